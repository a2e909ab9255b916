//! Raw syscalls as results, for code that runs between fork and exec (the
//! spawned child and what it calls): `libc::syscall` and the calling
//! thread's errno, none of glibc's wrappers that do more than the call.

/// The calling thread's errno. In a `CLONE_VM` child that is the suspended
/// parent thread's, which the parent reads after clone only when clone
/// failed, that is when no child ran.
pub(crate) fn errno() -> i32 {
    // SAFETY: `__errno_location` returns a valid pointer to the calling
    // thread's errno.
    unsafe { *libc::__errno_location() }
}

/// A raw syscall's return as `Ok`, or `Err(errno)` when it failed.
pub(crate) fn result(rc: libc::c_long) -> Result<libc::c_long, i32> {
    if rc < 0 {
        Err(errno())
    } else {
        Ok(rc)
    }
}

/// Syscall `nr` with `args`, the arguments not given zero: the kernel reads
/// every argument a call has, and a register's leftovers would be read too
/// (a futex wait given three took garbage for its timeout).
///
/// # Safety
///
/// Each argument the syscall reads as a pointer points to memory that is
/// alive for the call and of the type the syscall expects; memory it writes
/// through a pointer is the caller's to change.
pub(crate) unsafe fn call<const N: usize>(nr: libc::c_long, args: [usize; N]) -> Result<libc::c_long, i32> {
    const { assert!(N <= 6, "a syscall takes at most six arguments") };
    let mut all = [0usize; 6];
    all[..N].copy_from_slice(&args);
    // SAFETY: forwarded from the caller; the arguments not given are zero.
    result(unsafe { libc::syscall(nr, all[0], all[1], all[2], all[3], all[4], all[5]) })
}
