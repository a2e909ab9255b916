//! The calls that change names — rename, link, unlink, rmdir, mkdir, mknod,
//! symlink — and truncate, on the child's behalf: each path is split into
//! its directory, resolved and checked in the agent, and its last
//! component; the call is then made in the agent on (directory fd, last
//! component), which means for the kernel what the child's path meant
//! (trailing slashes, `.` and `..` included). A denied directory, or an
//! entry that is a denied inode, answers `EACCES`: nothing is created in,
//! moved into or out of, linked to or removed from what was denied.

use std::ffi::CString;
use std::os::fd::{AsRawFd, OwnedFd};
use std::sync::Arc;

use super::check::{self, inode};
use super::resolve::{bare_name, split_last};
use super::sys::{self, cstring, Sys};
use super::Call;
use crate::notif::NotifAction;

/// A path as a (checked directory, last component) pair.
struct Entry {
    dir: Arc<OwnedFd>,
    last: CString,
}

fn done(result: Sys<()>) -> NotifAction {
    match result {
        Ok(()) => NotifAction::ReturnValue(0),
        Err(errno) => NotifAction::Errno(errno),
    }
}

impl Call<'_> {
    /// The checked directory and last component of `path` from `dirfd`;
    /// the entry itself, when it exists, must not be denied either.
    fn entry(&self, dirfd: i32, path: &[u8]) -> Sys<Entry> {
        if path.is_empty() {
            return Err(libc::ENOENT);
        }
        let start = self.start(dirfd, path, false)?;
        let (dir, last) = split_last(path);
        let dir = self.resolve(&start, &dir, libc::O_DIRECTORY as u64, 0)?;
        check::allowed(self.denied, dir.as_raw_fd())?;
        let name = bare_name(&last);
        if name != b"." && name != b".." {
            if let Ok(st) = sys::fstatat(dir.as_raw_fd(), &cstring(name)?, libc::AT_SYMLINK_NOFOLLOW) {
                if self.denied.contains(&inode(&st)) {
                    return Err(libc::EACCES);
                }
            }
        }
        Ok(Entry { dir, last: cstring(&last)? })
    }

    fn entry_at(&self, dirfd: u64, path_addr: u64) -> Sys<Entry> {
        let path = self.read_path(path_addr)?;
        self.entry(dirfd as i32, &path)
    }

    pub(super) fn unlink(&self, dirfd: u64, path_addr: u64, flags: i32) -> NotifAction {
        done(
            self.entry_at(dirfd, path_addr)
                .and_then(|e| self.agent(move || sys::unlinkat(e.dir.as_raw_fd(), &e.last, flags))?),
        )
    }

    pub(super) fn mkdir(&self, dirfd: u64, path_addr: u64, mode: u32) -> NotifAction {
        let umask = self.umask();
        done(self.entry_at(dirfd, path_addr).and_then(|e| {
            self.agent(move || {
                sys::set_umask(umask);
                sys::mkdirat(e.dir.as_raw_fd(), &e.last, mode)
            })?
        }))
    }

    pub(super) fn mknod(&self, dirfd: u64, path_addr: u64, mode: u32, dev: u32) -> NotifAction {
        let umask = self.umask();
        done(self.entry_at(dirfd, path_addr).and_then(|e| {
            self.agent(move || {
                sys::set_umask(umask);
                sys::mknodat(e.dir.as_raw_fd(), &e.last, mode, dev)
            })?
        }))
    }

    pub(super) fn symlink(&self, target_addr: u64, dirfd: u64, path_addr: u64) -> NotifAction {
        done(self.read_path(target_addr).and_then(|target| {
            let e = self.entry_at(dirfd, path_addr)?;
            // The target is only stored; following it later is checked.
            let target = cstring(&target)?;
            self.agent(move || sys::symlinkat(&target, e.dir.as_raw_fd(), &e.last))?
        }))
    }

    pub(super) fn rename(&self, old: (u64, u64), new: (u64, u64), flags: u32) -> NotifAction {
        done((|| {
            let from = self.entry_at(old.0, old.1)?;
            let to = self.entry_at(new.0, new.1)?;
            self.agent(move || sys::renameat2(from.dir.as_raw_fd(), &from.last, to.dir.as_raw_fd(), &to.last, flags))?
        })())
    }

    pub(super) fn link(&self, old: (u64, u64), new: (u64, u64), flags: i32) -> NotifAction {
        done((|| {
            if flags & !(libc::AT_SYMLINK_FOLLOW | libc::AT_EMPTY_PATH) != 0 {
                return Err(libc::EINVAL);
            }
            let old_path = self.read_path(old.1)?;
            let to = self.entry_at(new.0, new.1)?;
            if old_path.is_empty() && flags & libc::AT_EMPTY_PATH != 0 {
                // The file behind the child's fd; the kernel's rule for
                // linking a descriptor (CAP_DAC_READ_SEARCH, or the file
                // was opened with the caller's credentials) is applied to
                // the agent.
                let file = Arc::new(self.child_fd(old.0 as i32)?);
                check::allowed(self.denied, file.as_raw_fd())?;
                return self.agent(move || {
                    sys::linkat(file.as_raw_fd(), c"", to.dir.as_raw_fd(), &to.last, libc::AT_EMPTY_PATH)
                })?;
            }
            if flags & libc::AT_SYMLINK_FOLLOW != 0 {
                if old_path.is_empty() {
                    return Err(libc::ENOENT);
                }
                let start = self.start(old.0 as i32, &old_path, false)?;
                let file = self.resolve(&start, &old_path, 0, 0)?;
                check::allowed(self.denied, file.as_raw_fd())?;
                return self.agent(move || {
                    let magic = cstring(format!("/proc/thread-self/fd/{}", file.as_raw_fd()).as_bytes())?;
                    sys::linkat(libc::AT_FDCWD, &magic, to.dir.as_raw_fd(), &to.last, libc::AT_SYMLINK_FOLLOW)
                })?;
            }
            let from = self.entry(old.0 as i32, &old_path)?;
            self.agent(move || sys::linkat(from.dir.as_raw_fd(), &from.last, to.dir.as_raw_fd(), &to.last, 0))?
        })())
    }

    pub(super) fn truncate(&self, path_addr: u64, length: i64) -> NotifAction {
        done((|| {
            let path = self.read_path(path_addr)?;
            if path.is_empty() {
                return Err(libc::ENOENT);
            }
            let start = self.start(libc::AT_FDCWD, &path, false)?;
            let file = self.resolve(&start, &path, 0, 0)?;
            check::allowed(self.denied, file.as_raw_fd())?;
            // truncate(2) of the checked inode itself, by its fd's name.
            self.agent(move || {
                let magic = cstring(format!("/proc/thread-self/fd/{}", file.as_raw_fd()).as_bytes())?;
                sys::truncate(&magic, length)
            })?
        })())
    }
}
