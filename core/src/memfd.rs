//! Sealed memfds: the content of virtual files handed to the child.

use std::ffi::CStr;
use std::io::{self, Seek, SeekFrom, Write};
use std::os::fd::{AsRawFd, OwnedFd};

use nix::fcntl::{fcntl, FcntlArg, SealFlag};
use nix::sys::memfd::{memfd_create, MemFdCreateFlag};

use crate::notif::{InjectFlags, NotifAction};

// Here rather than beside the enum: `notif` depends on nothing, and this
// constructor needs a memfd.
impl NotifAction {
    /// An action that answers the syscall with a new read-only fd whose
    /// content is `data` (a sealed memfd): a virtual file.
    pub fn inject_bytes(data: &[u8], flags: InjectFlags) -> io::Result<NotifAction> {
        let fd = sealed_memfd(data, flags.writable)?;
        let newfd_flags = if flags.cloexec { libc::O_CLOEXEC as u32 } else { 0 };
        Ok(NotifAction::InjectFdSend { srcfd: fd, newfd_flags })
    }
}

/// A memfd holding `data`, sealed against resizing (and writing, unless
/// `writable`), positioned at offset 0.
pub(crate) fn sealed_memfd(data: &[u8], writable: bool) -> io::Result<OwnedFd> {
    let fd = memfd_create(c"sandlock-inject", MemFdCreateFlag::MFD_CLOEXEC | MemFdCreateFlag::MFD_ALLOW_SEALING)?;
    sealed(fd, data, writable)
}

/// A sealed, read-only memfd holding the program `data`, which exec may
/// run: asked for with `MFD_EXEC` (a kernel whose `vm.memfd_noexec` is 1
/// otherwise makes memfds not executable), without it on kernels before
/// 6.3, which do not know the flag and make every memfd executable.
pub(crate) fn sealed_program(name: &CStr, data: &[u8]) -> io::Result<OwnedFd> {
    let flags = MemFdCreateFlag::MFD_CLOEXEC | MemFdCreateFlag::MFD_ALLOW_SEALING;
    let exec = MemFdCreateFlag::from_bits_retain(libc::MFD_EXEC);
    let fd = match memfd_create(name, flags | exec) {
        Err(nix::Error::EINVAL) => memfd_create(name, flags)?,
        created => created?,
    };
    sealed(fd, data, false)
}

fn sealed(fd: OwnedFd, data: &[u8], writable: bool) -> io::Result<OwnedFd> {
    let mut file = std::fs::File::from(fd);
    file.write_all(data)?;
    file.seek(SeekFrom::Start(0))?;
    let mut seals = SealFlag::F_SEAL_SHRINK | SealFlag::F_SEAL_GROW | SealFlag::F_SEAL_SEAL;
    if !writable {
        seals |= SealFlag::F_SEAL_WRITE;
    }
    fcntl(file.as_raw_fd(), FcntlArg::F_ADD_SEALS(seals))?;
    Ok(file.into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    #[test]
    fn content_is_readable_from_the_start_and_sealed() {
        let fd = sealed_memfd(b"virtual", false).unwrap();
        let mut file = std::fs::File::from(fd);
        let mut text = String::new();
        file.read_to_string(&mut text).unwrap();
        assert_eq!(text, "virtual");
        assert_eq!(file.write(b"x").unwrap_err().raw_os_error(), Some(libc::EPERM));
    }
}
