//! The seccomp user-notification listener fd and its ioctls.

use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};

use nix::poll::{poll, PollFd, PollFlags, PollTimeout};

use crate::notif::Notification;

/// Wake the waiting child on the CPU of the answering thread
/// (`SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP` of <linux/seccomp.h>, Linux 6.6);
/// the libc crate lacks it.
const FD_SYNC_WAKE_UP: u64 = 1;

/// Owns the listener fd; shared by the receiving threads and deferred replies.
#[derive(Debug)]
pub struct Listener {
    fd: OwnedFd,
}

impl Listener {
    pub(crate) fn new(fd: OwnedFd) -> Self {
        Listener { fd }
    }

    pub(crate) fn raw(&self) -> RawFd {
        self.fd.as_raw_fd()
    }

    /// Block until a notification arrives.
    pub(crate) fn recv(&self, out: &mut Notification) -> io::Result<()> {
        // The kernel rejects a receive buffer that is not zeroed.
        // SAFETY: all-zero bytes are a valid `seccomp_notif` (integers only).
        let mut raw: libc::seccomp_notif = unsafe { std::mem::zeroed() };
        // SAFETY: `raw` is a writable `struct seccomp_notif`, the type the
        // ioctl number encodes, borrowed for the call only.
        let rc = unsafe { libc::ioctl(self.raw(), libc::SECCOMP_IOCTL_NOTIF_RECV, &mut raw) };
        if rc < 0 {
            return Err(io::Error::last_os_error());
        }
        *out = Notification {
            id: raw.id,
            pid: raw.pid,
            flags: raw.flags,
            syscall_nr: raw.data.nr,
            arch: raw.data.arch,
            instruction_pointer: raw.data.instruction_pointer,
            args: raw.data.args,
        };
        Ok(())
    }

    pub(crate) fn send(&self, id: u64, val: i64, error: i32, flags: u32) -> io::Result<()> {
        let resp = libc::seccomp_notif_resp { id, val, error, flags };
        // SAFETY: `resp` is a readable `struct seccomp_notif_resp`, the type
        // the ioctl number encodes; the kernel only reads it.
        let rc = unsafe { libc::ioctl(self.raw(), libc::SECCOMP_IOCTL_NOTIF_SEND, &resp) };
        if rc < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    }

    /// True while the child still waits on notification `id`.
    pub(crate) fn id_valid(&self, id: u64) -> bool {
        // SAFETY: the ioctl reads the u64 that `&id` points to, alive for
        // the call.
        unsafe { libc::ioctl(self.raw(), libc::SECCOMP_IOCTL_NOTIF_ID_VALID, &id) == 0 }
    }

    /// Install `srcfd` in the child and answer notification `id` with the new
    /// fd number.
    pub(crate) fn addfd_send(&self, id: u64, srcfd: BorrowedFd<'_>, newfd_flags: u32) -> io::Result<i32> {
        let req = libc::seccomp_notif_addfd {
            id,
            flags: libc::SECCOMP_ADDFD_FLAG_SEND as u32,
            srcfd: srcfd.as_raw_fd() as u32,
            newfd: 0,
            newfd_flags,
        };
        // SAFETY: `req` is a readable `struct seccomp_notif_addfd`, the type
        // the ioctl number encodes; `srcfd` is borrowed, so open, for the call.
        let rc = unsafe { libc::ioctl(self.raw(), libc::SECCOMP_IOCTL_NOTIF_ADDFD, &req) };
        if rc < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(rc)
    }

    /// Ask for synchronous wake-ups (Linux 6.6+).
    pub(crate) fn set_sync_wakeup(&self) -> io::Result<()> {
        let flags = FD_SYNC_WAKE_UP;
        // SAFETY: SET_FLAGS takes the flags by value, not through a pointer.
        let rc = unsafe { libc::ioctl(self.raw(), libc::SECCOMP_IOCTL_NOTIF_SET_FLAGS, flags) };
        if rc < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    }

    /// True once every process under the filter is gone.
    pub(crate) fn hung_up(&self) -> bool {
        let mut fds = [PollFd::new(self.fd.as_fd(), PollFlags::POLLIN)];
        let ready = poll(&mut fds, PollTimeout::ZERO).is_ok_and(|n| n > 0);
        ready && fds[0].revents().is_some_and(|r| r.contains(PollFlags::POLLHUP))
    }
}

impl AsFd for Listener {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn kernel_struct_sizes_match_the_ioctl_numbers() {
        assert_eq!(std::mem::size_of::<libc::seccomp_notif>(), 80);
        assert_eq!(std::mem::size_of::<libc::seccomp_notif_resp>(), 24);
        assert_eq!(std::mem::size_of::<libc::seccomp_notif_addfd>(), 24);
        assert_eq!((libc::SECCOMP_IOCTL_NOTIF_RECV >> 16) & 0x3fff, 80);
        assert_eq!((libc::SECCOMP_IOCTL_NOTIF_SEND >> 16) & 0x3fff, 24);
        assert_eq!((libc::SECCOMP_IOCTL_NOTIF_ADDFD >> 16) & 0x3fff, 24);
    }
}
