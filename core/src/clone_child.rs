//! Children started by a raw clone that comes with their pidfd
//! (`CLONE_PIDFD`: opened afterwards, a child that ended and was reaped by
//! another wait of this process in between had no pidfd to open, and its
//! pid may be someone else's). The spawned sandbox and the guardian's first
//! process start this way; what they run is theirs to keep to raw syscalls.

use std::io;
use std::os::fd::{FromRawFd, OwnedFd};

use nix::sys::signal::{pthread_sigmask, SigSet, SigmaskHow};

/// What the clone callback runs, and on what.
struct Start<'a, T> {
    run: fn(&T) -> !,
    arg: &'a T,
}

extern "C" fn entry<T>(start: *mut libc::c_void) -> libc::c_int {
    // SAFETY: `start` is the `Start` that `vfork` passed to clone; with
    // CLONE_VM|CLONE_VFORK it stays alive and unchanged until exec.
    let start = unsafe { &*(start as *const Start<'_, T>) };
    (start.run)(start.arg)
}

/// Start a child like posix_spawn: `CLONE_VM | CLONE_VFORK`, so no page
/// table is copied and the parent's memory takes no copy-on-write faults —
/// what makes fork costly in a large host (and may be refused a commit
/// charge). The child runs `run(arg)` on the stack that ends at `top`, in
/// our address space until exec; the calling thread resumes once the child
/// exec'd or exited, and all signals stay blocked meanwhile so no handler of
/// ours runs in the child. Returns its pid and pidfd.
///
/// # Safety
///
/// `top` ends a stack no one else uses until this returns; `run` makes only
/// raw syscalls on memory prepared before the call and never returns.
pub(crate) unsafe fn vfork<T>(top: *mut libc::c_void, run: fn(&T) -> !, arg: &T) -> io::Result<(libc::pid_t, OwnedFd)> {
    let start = Start { run, arg };
    let mut old = SigSet::empty();
    // Blocking every signal cannot fail with a valid `how`; the old mask is
    // restored right after clone returns.
    let _ = pthread_sigmask(SigmaskHow::SIG_SETMASK, Some(&SigSet::all()), Some(&mut old));
    // With CLONE_PIDFD the kernel writes the pidfd to `pidfd` (the
    // parent-tid argument) before either side runs.
    let mut pidfd: libc::c_int = -1;
    // SAFETY: the stack and what the child runs are the caller's promise;
    // `start` and `pidfd` are locals that outlive the call.
    let pid = unsafe {
        libc::clone(
            entry::<T>,
            top,
            libc::CLONE_VM | libc::CLONE_VFORK | libc::CLONE_PIDFD | libc::SIGCHLD,
            &start as *const Start<'_, T> as *mut libc::c_void,
            &mut pidfd as *mut libc::c_int,
        )
    };
    let err = io::Error::last_os_error();
    let _ = pthread_sigmask(SigmaskHow::SIG_SETMASK, Some(&old), None);
    if pid < 0 {
        return Err(err);
    }
    Ok((pid, owned_pidfd(pidfd)))
}

/// Start a child with a plain fork, which runs `run(arg)` in its copy of
/// our memory. Returns its pid and pidfd.
///
/// # Safety
///
/// `run` makes only raw syscalls (the copy of a multi-threaded process
/// holds whatever locks other threads held) and never returns.
pub(crate) unsafe fn fork<T>(run: fn(&T) -> !, arg: &T) -> io::Result<(libc::pid_t, OwnedFd)> {
    let mut pidfd: libc::c_int = -1;
    // A fork as a raw clone (glibc's fork has no CLONE_PIDFD): the flags,
    // no new stack, the parent-tid argument that CLONE_PIDFD fills, and
    // two zero arguments (child tid and TLS, in either order per arch).
    // SAFETY: what the child runs is the caller's promise; `pidfd` is a
    // local that outlives the call.
    let pid = unsafe {
        libc::syscall(
            libc::SYS_clone,
            (libc::CLONE_PIDFD | libc::SIGCHLD) as libc::c_ulong,
            0usize,
            &mut pidfd as *mut libc::c_int,
            0usize,
            0usize,
        )
    };
    if pid < 0 {
        return Err(io::Error::last_os_error());
    }
    if pid == 0 {
        run(arg);
    }
    Ok((pid as libc::pid_t, owned_pidfd(pidfd)))
}

/// The pidfd a `CLONE_PIDFD` clone returned.
fn owned_pidfd(pidfd: libc::c_int) -> OwnedFd {
    // SAFETY: the kernel made this fd for the clone that succeeded; nothing
    // else owns it.
    unsafe { OwnedFd::from_raw_fd(pidfd) }
}
