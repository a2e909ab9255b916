//! pidfds of the sandbox's tasks, and copies of their file descriptors:
//! how the supervisor acts on the child's own objects (sockets, files)
//! instead of paths or addresses the child could change meanwhile.

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::sync::atomic::{AtomicBool, Ordering};

/// Set before this process first copies a child's fd: from then on its fd
/// table may hold copies whose last close a spawn must not make (see
/// `own_fd_table`).
static COPIES_TAKEN: AtomicBool = AtomicBool::new(false);

/// True once this process has copied a child's fd. Read in a spawned child
/// too: it is set before the copy is made, so a child whose table holds a
/// copy sees it set (in its own memory after a fork as much as in ours).
pub(crate) fn copies_taken() -> bool {
    COPIES_TAKEN.load(Ordering::SeqCst)
}

/// `PIDFD_THREAD` (Linux 6.9): a pidfd for one thread, not only a leader.
const PIDFD_THREAD: libc::c_uint = libc::O_EXCL as libc::c_uint;

fn pidfd_open(pid: libc::pid_t, flags: libc::c_uint) -> io::Result<OwnedFd> {
    // SAFETY: pidfd_open takes two integers and touches no memory of ours.
    let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, flags) };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: pidfd_open returned a new fd (close-on-exec) that nothing else owns.
    Ok(unsafe { OwnedFd::from_raw_fd(fd as i32) })
}

/// A pidfd for the task `tid` (any thread): with `PIDFD_THREAD` where the
/// kernel has it, else for its thread group's leader, which shares its fds.
pub(crate) fn open_task(tid: u32) -> io::Result<OwnedFd> {
    let tid = libc::pid_t::try_from(tid).map_err(|_| io::Error::from_raw_os_error(libc::ESRCH))?;
    match pidfd_open(tid, PIDFD_THREAD) {
        Err(e) if e.raw_os_error() == Some(libc::EINVAL) => pidfd_open(thread_group(tid)?, 0),
        other => other,
    }
}

/// The thread-group id of `tid`, from `/proc/<tid>/status`.
fn thread_group(tid: libc::pid_t) -> io::Result<libc::pid_t> {
    crate::procs::tgid_of(tid as u32)
        .map(|tgid| tgid as libc::pid_t)
        .ok_or_else(|| io::Error::from_raw_os_error(libc::ESRCH))
}

/// A copy of `fd` of the task behind `pidfd` (`pidfd_getfd`), close-on-exec.
pub(crate) fn get_fd(pidfd: &OwnedFd, fd: i32) -> io::Result<OwnedFd> {
    COPIES_TAKEN.store(true, Ordering::SeqCst);
    // SAFETY: pidfd_getfd takes integers and touches no memory of ours;
    // `pidfd` is borrowed, so it stays open for the call.
    let copy = unsafe { libc::syscall(libc::SYS_pidfd_getfd, pidfd.as_raw_fd(), fd, 0u32) };
    if copy < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: pidfd_getfd returned a new fd (always close-on-exec) that
    // nothing else owns.
    Ok(unsafe { OwnedFd::from_raw_fd(copy as i32) })
}
