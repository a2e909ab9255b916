//! Sealed memfds: the content of virtual files handed to the child.

use std::io::{self, Seek, SeekFrom, Write};
use std::os::fd::{AsRawFd, OwnedFd};

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
    let name = c"sandlock-inject";
    // SAFETY: `name` is a valid NUL-terminated string.
    let raw = unsafe { libc::memfd_create(name.as_ptr(), libc::MFD_CLOEXEC | libc::MFD_ALLOW_SEALING) };
    if raw < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: memfd_create returned a new fd that nothing else owns.
    let fd = unsafe { <OwnedFd as std::os::fd::FromRawFd>::from_raw_fd(raw) };
    let mut file = std::fs::File::from(fd);
    file.write_all(data)?;
    file.seek(SeekFrom::Start(0))?;
    let mut seals = libc::F_SEAL_SHRINK | libc::F_SEAL_GROW | libc::F_SEAL_SEAL;
    if !writable {
        seals |= libc::F_SEAL_WRITE;
    }
    // SAFETY: fcntl with integer arguments on an fd we own.
    if unsafe { libc::fcntl(file.as_raw_fd(), libc::F_ADD_SEALS, seals) } < 0 {
        return Err(io::Error::last_os_error());
    }
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
