//! Is a file denied: its inode, or the inode of a directory it is found in,
//! up to the root, is in the denied set.
//!
//! A directory's ancestors are found with `..` from the directory itself
//! (a directory has one parent; mounts are crossed as the kernel crosses
//! them). A file other than a directory may have several names: the one
//! it was reached by is the fd's link in `/proc/thread-self/fd`, which is
//! confirmed by looking the name up in the directory it names and finding
//! the same inode; a rename in between makes the check try again, a few
//! times, then refuse. The walk only looks names up (`O_PATH`); the agent
//! tries it first with the child's rights, and when a directory on the way
//! is not searchable for the child (it may have been given a directory
//! whose ancestors it could not search itself) a supervisor thread makes
//! it with its own.

use std::collections::HashSet;
use std::os::fd::{AsRawFd, OwnedFd, RawFd};

use super::resolve::split_last;
use super::sys::{self, cstring, Sys};
use super::Inode;

/// Most directories between a file and the root.
const MAX_DEPTH: usize = 4096;
/// Tries to confirm the name of a file that is being renamed.
const NAME_TRIES: usize = 8;

pub(super) fn inode(st: &libc::stat) -> Inode {
    (st.st_dev, st.st_ino)
}

/// What the check found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Verdict {
    Allowed,
    Denied,
    /// Where the file lives could not be made out (a directory on the way
    /// could not be searched, a rename kept moving it).
    Unknown,
}

/// `Ok` when the file behind `fd` is not denied; `EACCES` when it is or
/// when where it lives cannot be made out.
pub(super) fn allowed(denied: &HashSet<Inode>, fd: RawFd) -> Sys<()> {
    match verdict(denied, fd) {
        Verdict::Allowed => Ok(()),
        Verdict::Denied | Verdict::Unknown => Err(libc::EACCES),
    }
}

/// The verdict on the file behind `fd`, with the calling thread's rights.
pub(super) fn verdict(denied: &HashSet<Inode>, fd: RawFd) -> Verdict {
    let Ok(st) = sys::fstat(fd) else { return Verdict::Unknown };
    if denied.contains(&inode(&st)) {
        return Verdict::Denied;
    }
    if sys::is_dir(&st) {
        return ancestors(denied, fd, st);
    }
    // No name left: the file is in no directory (an unlinked file reached
    // through a descriptor; one that was below a denied directory when it
    // was denied is denied by inode).
    if st.st_nlink == 0 {
        return Verdict::Allowed;
    }
    let Ok(mut shown) = fd_link(fd) else { return Verdict::Unknown };
    // Pipes, sockets, anonymous inodes: no directory.
    if shown.first() != Some(&b'/') {
        return Verdict::Allowed;
    }
    for _ in 0..NAME_TRIES {
        if let Some(parent) = confirmed_parent(&shown, &st) {
            let Ok(pst) = sys::fstat(parent.as_raw_fd()) else { return Verdict::Unknown };
            return ancestors(denied, parent.as_raw_fd(), pst);
        }
        // The name it was reached by was removed (an `O_TMPFILE` linked
        // later, a file unlinked while open): as for a file with no name
        // left, its other names were made through the guard, in
        // directories it checked, or before the deny, which denied them
        // by inode.
        if shown.ends_with(b" (deleted)") {
            return Verdict::Allowed;
        }
        let Ok(again) = fd_link(fd) else { return Verdict::Unknown };
        shown = again;
    }
    Verdict::Unknown
}

/// The link text of `fd` in `/proc/thread-self/fd`: the path the kernel
/// shows for it.
fn fd_link(fd: RawFd) -> Sys<Vec<u8>> {
    let link = cstring(format!("/proc/thread-self/fd/{fd}").as_bytes())?;
    sys::readlinkat(libc::AT_FDCWD, &link)
}

/// The directory named by `shown`'s parent, when its entry of that name is
/// the file `st` describes.
fn confirmed_parent(shown: &[u8], st: &libc::stat) -> Option<OwnedFd> {
    let (dir, name) = split_last(shown);
    let dir = cstring(&dir).ok()?;
    let parent = sys::open_path(libc::AT_FDCWD, &dir, libc::O_DIRECTORY as u64, libc::RESOLVE_NO_SYMLINKS).ok()?;
    let entry = sys::fstatat(parent.as_raw_fd(), &cstring(&name).ok()?, libc::AT_SYMLINK_NOFOLLOW).ok()?;
    (inode(&entry) == inode(st)).then_some(parent)
}

/// Walk `..` from the directory `fd` (described by `st`) to the root.
fn ancestors(denied: &HashSet<Inode>, fd: RawFd, st: libc::stat) -> Verdict {
    let mut here = inode(&st);
    let mut current: Option<OwnedFd> = None;
    for _ in 0..MAX_DEPTH {
        if denied.contains(&here) {
            return Verdict::Denied;
        }
        let from = current.as_ref().map_or(fd, |c| c.as_raw_fd());
        let Ok(parent) = sys::open_path(from, c"..", libc::O_DIRECTORY as u64, 0) else { return Verdict::Unknown };
        let Ok(up) = sys::fstat(parent.as_raw_fd()) else { return Verdict::Unknown };
        if inode(&up) == here {
            return Verdict::Allowed;
        }
        here = inode(&up);
        current = Some(parent);
    }
    Verdict::Unknown
}
