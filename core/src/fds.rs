//! The library's own fds stay clear of 0, 1 and 2: a caller that closed
//! its standard streams gets those numbers back from the kernel for the
//! next fds made, and the child's setup puts its stdio there — over a
//! ruleset or pipe that took one of them (every run then failed with
//! "applying the Landlock ruleset: File descriptor in bad state").

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

/// `fd`, moved to a number of 3 or more when it has a stdio number.
pub(crate) fn above_stdio(fd: OwnedFd) -> io::Result<OwnedFd> {
    if fd.as_raw_fd() > 2 {
        return Ok(fd);
    }
    // SAFETY: F_DUPFD_CLOEXEC makes a new fd of ours (the original is
    // closed when `fd` drops).
    let moved = unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_DUPFD_CLOEXEC, 3) };
    if moved < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: a new fd that nothing else owns.
    Ok(unsafe { OwnedFd::from_raw_fd(moved) })
}
