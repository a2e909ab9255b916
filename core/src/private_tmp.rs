//! A private temporary directory per run ([`crate::PolicyBuilder::private_tmp`]):
//! created fresh under the caller's temporary directory before the child
//! starts, mode 0700 and owned by the child's uid and gid, granted to the
//! child as a write rule of that run's own ruleset, named by `TMPDIR`, and
//! removed once the run's process group is gone, whatever the child left
//! in it.

use std::ffi::OsString;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, IntoRawFd, OwnedFd};
use std::path::{Path, PathBuf};
use std::time::Duration;

use nix::dir::Dir;
use nix::errno::Errno;
use nix::fcntl::OFlag;
use nix::sys::stat::{fchmod, Mode};
use nix::unistd::{chown, mkdtemp, Gid, Uid};

use crate::error::{Result, SandlockError};

/// How often removal is tried: a process of the group killed in the middle
/// of creating a file may finish that call after the first listing.
const REMOVE_ATTEMPTS: usize = 5;
const REMOVE_PAUSE: Duration = Duration::from_millis(20);

/// The directory of one run; dropping it removes it with its content.
#[derive(Debug)]
pub(crate) struct PrivateTmp {
    path: PathBuf,
}

impl PrivateTmp {
    /// A new directory `sandlock-tmp-XXXXXX` under the caller's temporary
    /// directory (`TMPDIR`, else `/tmp`), for a child running as `uid` and
    /// `gid` (the caller's when `None`).
    pub(crate) fn create(uid: Option<u32>, gid: Option<u32>) -> Result<PrivateTmp> {
        let template = std::env::temp_dir().join("sandlock-tmp-XXXXXX");
        let path =
            mkdtemp(&template).map_err(|e| SandlockError::io("creating the private temporary directory", e.into()))?;
        let tmp = PrivateTmp { path };
        if uid.is_some() || gid.is_some() {
            chown(&tmp.path, uid.map(Uid::from_raw), gid.map(Gid::from_raw))
                .map_err(|e| SandlockError::io("giving the private temporary directory to the child", e.into()))?;
        }
        Ok(tmp)
    }

    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// `TMPDIR=<the directory>`, for the child's environment.
    pub(crate) fn env(&self) -> (OsString, OsString) {
        ("TMPDIR".into(), self.path.clone().into_os_string())
    }
}

impl Drop for PrivateTmp {
    fn drop(&mut self) {
        for attempt in 0..REMOVE_ATTEMPTS {
            match remove(&self.path) {
                Ok(()) => return,
                Err(e) if e.kind() == io::ErrorKind::NotFound => return,
                Err(_) if attempt + 1 < REMOVE_ATTEMPTS => std::thread::sleep(REMOVE_PAUSE),
                // Nothing to report to: the run has ended. What is left is
                // an empty-ish directory only the child's uid can enter.
                Err(_) => {}
            }
        }
    }
}

/// Remove `dir` and everything below it. A directory the child made
/// unreadable or unwritable to its owner is given back the owner's rights
/// first (the caller may be that owner rather than root). Symbolic links
/// are removed, never followed.
fn remove(dir: &Path) -> io::Result<()> {
    match std::fs::remove_dir_all(dir) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Err(e),
        Err(_) => {
            open_up(dir)?;
            std::fs::remove_dir_all(dir)
        }
    }
}

/// Give `dir` and every directory below it mode 0700. Each directory is
/// opened relative to its parent's fd with `O_NOFOLLOW` and changed through
/// its own fd, so a link put in place of a directory is never followed.
fn open_up(dir: &Path) -> io::Result<()> {
    let flags = OFlag::O_RDONLY | OFlag::O_DIRECTORY | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC;
    let fd = nix::fcntl::open(dir, flags, Mode::empty())?;
    // SAFETY: `open` just returned this fd, which nothing else owns.
    open_up_fd(unsafe { OwnedFd::from_raw_fd(fd) })
}

fn open_up_fd(fd: OwnedFd) -> io::Result<()> {
    fchmod(fd.as_raw_fd(), Mode::S_IRWXU)?;
    let mut listing = Dir::from_fd(fd.try_clone()?.into_raw_fd())?;
    let flags = OFlag::O_RDONLY | OFlag::O_DIRECTORY | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC;
    for entry in listing.iter() {
        let entry = entry?;
        let name = entry.file_name();
        if name.to_bytes() == b"." || name.to_bytes() == b".." {
            continue;
        }
        match nix::fcntl::openat(Some(fd.as_raw_fd()), name, flags, Mode::empty()) {
            // SAFETY: `openat` just returned this fd, which nothing else owns.
            Ok(child) => open_up_fd(unsafe { OwnedFd::from_raw_fd(child) })?,
            // Not a directory (or a link): its parent's mode is what matters.
            Err(Errno::ENOTDIR | Errno::ELOOP) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn the_directory_is_private_and_goes_with_everything_in_it() {
        let tmp = PrivateTmp::create(None, None).unwrap();
        let path = tmp.path().to_path_buf();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o7777;
        assert_eq!(mode, 0o700);
        assert!(path.file_name().unwrap().to_string_lossy().starts_with("sandlock-tmp-"));
        std::fs::create_dir_all(path.join("a/b")).unwrap();
        std::fs::write(path.join("a/b/f"), "x").unwrap();
        std::os::unix::fs::symlink("/etc", path.join("a/etc")).unwrap();
        // A directory its owner cannot list or write.
        std::fs::set_permissions(path.join("a"), std::fs::Permissions::from_mode(0o000)).unwrap();
        drop(tmp);
        assert!(!path.exists());
        assert!(Path::new("/etc/hostname").exists(), "the link was not followed");
    }

    #[test]
    fn the_directory_belongs_to_the_childs_uid_and_gid() {
        use std::os::unix::fs::MetadataExt;
        if !Uid::effective().is_root() {
            return;
        }
        let tmp = PrivateTmp::create(Some(65534), Some(65534)).unwrap();
        let meta = std::fs::metadata(tmp.path()).unwrap();
        assert_eq!((meta.uid(), meta.gid()), (65534, 65534));
    }
}
