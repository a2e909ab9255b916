//! The standard devices every program expects to open: `/dev/null`,
//! `/dev/zero`, `/dev/full`, `/dev/random` and `/dev/urandom`, granted for
//! reading and writing unless a policy turns them off
//! ([`crate::PolicyBuilder::std_devices`]).
//!
//! Each is granted only when the path is the kernel's memory character
//! device it names (major 1 and its minor): a container that put something
//! else there gets no rule for it. The rule is for reading and writing
//! only: no device `ioctl` (Landlock's `ioctl_dev`), no execution.

use std::os::fd::{AsRawFd, BorrowedFd};

/// The major number of the kernel's memory devices (`drivers/char/mem.c`).
const MEM_MAJOR: u32 = 1;

/// A standard device: its path and its minor number.
pub(crate) struct Device {
    pub path: &'static str,
    minor: u32,
}

pub(crate) const STANDARD: [Device; 5] = [
    Device { path: "/dev/null", minor: 3 },
    Device { path: "/dev/zero", minor: 5 },
    Device { path: "/dev/full", minor: 7 },
    Device { path: "/dev/random", minor: 8 },
    Device { path: "/dev/urandom", minor: 9 },
];

impl Device {
    /// `fd` (opened from this device's path) is the device itself.
    pub(crate) fn is(&self, fd: BorrowedFd<'_>) -> bool {
        nix::sys::stat::fstat(fd.as_raw_fd()).is_ok_and(|st| {
            st.st_mode & libc::S_IFMT == libc::S_IFCHR
                && libc::major(st.st_rdev) == MEM_MAJOR
                && libc::minor(st.st_rdev) == self.minor
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::fd::AsFd;

    #[test]
    fn the_standard_devices_of_this_machine_are_recognised_and_a_file_is_not() {
        for device in &STANDARD {
            let file = std::fs::File::open(device.path).unwrap();
            assert!(device.is(file.as_fd()), "{}", device.path);
        }
        let file = std::fs::File::open("/etc/hostname").unwrap();
        assert!(!STANDARD[0].is(file.as_fd()));
        let zero = std::fs::File::open("/dev/zero").unwrap();
        assert!(!STANDARD[0].is(zero.as_fd()), "/dev/zero is not /dev/null");
    }
}
