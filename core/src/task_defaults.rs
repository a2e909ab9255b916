//! What a spawned child must not take from the host thread that starts it.
//! The personality flags a set-ID exec clears (no address randomisation,
//! readable memory executable, a mapped page zero, the old memory layout):
//! the filter refuses `personality` to the child for the same reason. And
//! what `SCHED_RESET_ON_FORK` would not pass on — a real-time policy, a
//! negative nice — with the real-time I/O class, which only
//! `CAP_SYS_ADMIN` may set. A thread of a real-time service, or a host run
//! under `setarch -R`, started untrusted code with all of them.
//!
//! Runs between fork and exec: raw syscalls only, each lowering what the
//! child has, which needs no privilege.

/// The personality flags the kernel clears on a set-ID exec.
const CLEARED_ON_SETID: libc::c_long =
    (libc::READ_IMPLIES_EXEC | libc::ADDR_NO_RANDOMIZE | libc::ADDR_COMPAT_LAYOUT | libc::MMAP_PAGE_ZERO)
        as libc::c_long;
/// `personality`'s argument that changes nothing and returns the current one.
const QUERY_PERSONALITY: usize = 0xffff_ffff;
const IOPRIO_WHO_PROCESS: usize = 1;
const IOPRIO_CLASS_SHIFT: libc::c_long = 13;
const IOPRIO_CLASS_RT: libc::c_long = 1;

/// Give the calling child the defaults above where the host thread had more.
pub(crate) fn reset() -> Result<(), i32> {
    let persona = raw(libc::SYS_personality, [QUERY_PERSONALITY])?;
    if persona & CLEARED_ON_SETID != 0 {
        raw(libc::SYS_personality, [(persona & !CLEARED_ON_SETID) as usize])?;
    }
    let policy = raw(libc::SYS_sched_getscheduler, [0])? as libc::c_int & !libc::SCHED_RESET_ON_FORK;
    if policy == libc::SCHED_FIFO || policy == libc::SCHED_RR {
        let param = libc::sched_param { sched_priority: 0 };
        // SAFETY: `param` is a live sched_param the kernel only reads.
        unsafe {
            crate::raw_syscall::call(
                libc::SYS_sched_setscheduler,
                [0, libc::SCHED_OTHER as usize, &param as *const libc::sched_param as usize],
            )
        }?;
    }
    // The raw syscall returns 20 - nice, so that no result is negative.
    let nice = 20 - raw(libc::SYS_getpriority, [libc::PRIO_PROCESS as usize, 0])?;
    if nice < 0 {
        raw(libc::SYS_setpriority, [libc::PRIO_PROCESS as usize, 0, 0])?;
    }
    let io_class = raw(libc::SYS_ioprio_get, [IOPRIO_WHO_PROCESS, 0])? >> IOPRIO_CLASS_SHIFT;
    if io_class == IOPRIO_CLASS_RT {
        // Class "none": the I/O priority follows the nice value again.
        raw(libc::SYS_ioprio_set, [IOPRIO_WHO_PROCESS, 0, 0])?;
    }
    Ok(())
}

/// A raw syscall of this module; the errno on failure.
fn raw<const N: usize>(nr: libc::c_long, args: [usize; N]) -> Result<libc::c_long, i32> {
    // SAFETY: every call here passes integers only.
    unsafe { crate::raw_syscall::call(nr, args) }
}
