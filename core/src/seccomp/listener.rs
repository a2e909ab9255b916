//! The seccomp user-notification listener fd and its ioctls.

use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};

use crate::notif::Notification;

// _IOWR('!', 0, struct seccomp_notif) and friends, from <linux/seccomp.h>.
const NOTIF_RECV: libc::c_ulong = 0xC050_2100;
const NOTIF_SEND: libc::c_ulong = 0xC018_2101;
const NOTIF_ID_VALID: libc::c_ulong = 0x4008_2102;
const NOTIF_ADDFD: libc::c_ulong = 0x4018_2103;
const NOTIF_SET_FLAGS: libc::c_ulong = 0x4008_2104;

/// Tell the kernel to run the syscall as the child asked.
pub(crate) const RESP_FLAG_CONTINUE: u32 = 1;
/// Install the fd and answer the notification in one step.
const ADDFD_FLAG_SEND: u32 = 1 << 1;
/// Wake the waiting child on the CPU of the answering thread.
const FD_SYNC_WAKE_UP: u64 = 1;

#[repr(C)]
#[derive(Default)]
struct RawSeccompData {
    nr: i32,
    arch: u32,
    instruction_pointer: u64,
    args: [u64; 6],
}

#[repr(C)]
#[derive(Default)]
struct RawNotif {
    id: u64,
    pid: u32,
    flags: u32,
    data: RawSeccompData,
}

#[repr(C)]
struct RawResp {
    id: u64,
    val: i64,
    error: i32,
    flags: u32,
}

#[repr(C)]
struct RawAddFd {
    id: u64,
    flags: u32,
    srcfd: u32,
    newfd: u32,
    newfd_flags: u32,
}

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
        let mut raw = RawNotif::default();
        // SAFETY: `raw` is a writable `struct seccomp_notif` of the size the
        // ioctl number encodes.
        let rc = unsafe { libc::ioctl(self.raw(), NOTIF_RECV, &mut raw as *mut RawNotif) };
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
        let resp = RawResp { id, val, error, flags };
        // SAFETY: `resp` is a readable `struct seccomp_notif_resp` of the size
        // the ioctl number encodes.
        let rc = unsafe { libc::ioctl(self.raw(), NOTIF_SEND, &resp as *const RawResp) };
        if rc < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    }

    /// True while the child still waits on notification `id`.
    pub(crate) fn id_valid(&self, id: u64) -> bool {
        // SAFETY: the ioctl reads one u64 from the pointer, which is valid.
        unsafe { libc::ioctl(self.raw(), NOTIF_ID_VALID, &id as *const u64) == 0 }
    }

    /// Install `srcfd` in the child and answer notification `id` with the new
    /// fd number.
    pub(crate) fn addfd_send(&self, id: u64, srcfd: BorrowedFd<'_>, newfd_flags: u32) -> io::Result<i32> {
        let req = RawAddFd { id, flags: ADDFD_FLAG_SEND, srcfd: srcfd.as_raw_fd() as u32, newfd: 0, newfd_flags };
        // SAFETY: `req` is a readable `struct seccomp_notif_addfd` of the size
        // the ioctl number encodes; `srcfd` is open for the whole call.
        let rc = unsafe { libc::ioctl(self.raw(), NOTIF_ADDFD, &req as *const RawAddFd) };
        if rc < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(rc)
    }

    /// Ask for synchronous wake-ups (Linux 6.6+).
    pub(crate) fn set_sync_wakeup(&self) -> io::Result<()> {
        let flags = FD_SYNC_WAKE_UP;
        // SAFETY: the ioctl takes the flags by value in its argument.
        let rc = unsafe { libc::ioctl(self.raw(), NOTIF_SET_FLAGS, flags) };
        if rc < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    }

    /// True once every process under the filter is gone.
    pub(crate) fn hung_up(&self) -> bool {
        let mut pfd = libc::pollfd { fd: self.raw(), events: libc::POLLIN, revents: 0 };
        // SAFETY: one valid pollfd, zero timeout.
        let rc = unsafe { libc::poll(&mut pfd, 1, 0) };
        rc > 0 && pfd.revents & libc::POLLHUP != 0
    }
}

impl AsFd for Listener {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kernel_struct_sizes_match_the_ioctl_numbers() {
        assert_eq!(std::mem::size_of::<RawNotif>(), 80);
        assert_eq!(std::mem::size_of::<RawResp>(), 24);
        assert_eq!(std::mem::size_of::<RawAddFd>(), 24);
        assert_eq!((NOTIF_RECV >> 16) & 0x3fff, 80);
        assert_eq!((NOTIF_SEND >> 16) & 0x3fff, 24);
        assert_eq!((NOTIF_ADDFD >> 16) & 0x3fff, 24);
    }
}
