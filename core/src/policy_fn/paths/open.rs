//! `open`, `openat`, `openat2` and `creat` on the child's behalf, in two
//! steps so that no side effect (`O_CREAT`, `O_TRUNC`, a FIFO's wake-up)
//! ever reaches a denied inode: first the path is resolved to an `O_PATH`
//! fd and that inode is checked, then exactly that inode is opened again
//! with the child's flags (`/proc/thread-self/fd/N`), or, when it does not
//! exist, the checked parent directory gets the new entry with `O_EXCL`.
//! Both steps run in the agent, so the kernel's own checks (permissions,
//! Landlock, `O_NOATIME` ownership, ...) see the child.

use std::collections::HashSet;
use std::ffi::CStr;
use std::os::fd::{AsRawFd, OwnedFd};
use std::sync::Arc;

use super::check::{self, Verdict};
use super::resolve::{bare_name, meets_procfs, split_last, MAX_LINKS};
use super::sys::{self, cstring, OpenHow, Sys};
use super::{Call, Inode};
use crate::notif::NotifAction;

const O_TMPFILE_BIT: u64 = (libc::O_TMPFILE & !libc::O_DIRECTORY) as u64;
/// The kernel's `O_LARGEFILE` (glibc's is 0 on 64-bit targets).
#[cfg(target_arch = "x86_64")]
const KERNEL_O_LARGEFILE: u64 = 0o100000;
#[cfg(target_arch = "aarch64")]
const KERNEL_O_LARGEFILE: u64 = 0o400000;
/// The kernel's `VALID_OPEN_FLAGS`.
const VALID_OPEN_FLAGS: u64 = (libc::O_ACCMODE
    | libc::O_CREAT
    | libc::O_EXCL
    | libc::O_NOCTTY
    | libc::O_TRUNC
    | libc::O_APPEND
    | libc::O_NONBLOCK
    | libc::O_SYNC
    | libc::O_DSYNC
    | libc::O_ASYNC
    | libc::O_DIRECT
    | libc::O_DIRECTORY
    | libc::O_NOFOLLOW
    | libc::O_NOATIME
    | libc::O_CLOEXEC
    | libc::O_PATH
    | libc::O_TMPFILE) as u64
    | KERNEL_O_LARGEFILE;
const O_PATH_FLAGS: u64 = (libc::O_DIRECTORY | libc::O_NOFOLLOW | libc::O_PATH | libc::O_CLOEXEC) as u64;
const S_IALLUGO: u64 = 0o7777;
pub(super) const SCOPED: u64 = libc::RESOLVE_BENEATH | libc::RESOLVE_IN_ROOT;

/// What `open` and `openat` make of their integer flags and mode (the
/// kernel's `build_open_how`): unknown bits dropped, the mode only with
/// `O_CREAT` or `O_TMPFILE`, only its own flags with `O_PATH`.
pub(super) fn legacy_how(flags: u64, mode: u64) -> OpenHow {
    let flags = u64::from(flags as u32) & VALID_OPEN_FLAGS;
    let creates = flags & (libc::O_CREAT as u64 | O_TMPFILE_BIT) != 0;
    let mode = if creates { mode & S_IALLUGO } else { 0 };
    let flags = if flags & libc::O_PATH as u64 != 0 { flags & O_PATH_FLAGS } else { flags };
    OpenHow { flags, mode, resolve: 0 }
}

/// The kernel's verdict on `how` alone (flag combinations, mode, resolve
/// bits): an open with a bad dirfd fails with `EBADF` only once `how`
/// passed.
fn validate(how: &OpenHow) -> Sys<()> {
    match sys::openat2(-1, c"x", how) {
        Err(libc::EBADF) => Ok(()),
        Err(errno) => Err(errno),
        Ok(_) => Err(libc::EBADF),
    }
}

/// The child's fd for `fd`, close-on-exec when it asked.
pub(super) fn inject(fd: OwnedFd, flags: u64) -> NotifAction {
    let newfd_flags = if flags & libc::O_CLOEXEC as u64 != 0 { libc::O_CLOEXEC as u32 } else { 0 };
    NotifAction::InjectFdSend { srcfd: fd, newfd_flags }
}

impl Call<'_> {
    /// Open `path` (at `path_addr`) from `dirfd` as `how` says.
    pub(super) fn open(&self, dirfd: i32, path_addr: u64, how: OpenHow) -> NotifAction {
        // An O_PATH fd reaches no content, and every call that could reach
        // content through it comes back here or to the exec check; the
        // kernel makes it (an O_PATH fd cannot be injected either).
        if how.flags & libc::O_PATH as u64 != 0 {
            return NotifAction::Continue;
        }
        match self.open_fd(dirfd, path_addr, how) {
            Ok(Some(fd)) => inject(fd, how.flags),
            // A FIFO: answered when it opens (see `fifo`).
            Ok(None) => NotifAction::Hold,
            Err(errno) => NotifAction::Errno(errno),
        }
    }

    fn open_fd(&self, dirfd: i32, path_addr: u64, how: OpenHow) -> Sys<Option<OwnedFd>> {
        let path = self.read_path(path_addr)?;
        validate(&how)?;
        if path.is_empty() {
            return Err(libc::ENOENT);
        }
        let start = self.start(dirfd, &path, how.resolve & SCOPED != 0)?;
        if how.flags & libc::O_CREAT as u64 != 0 {
            return self.create(&start, path, how);
        }
        let (dir, name, denied) = (start.clone(), cstring(&path)?, Arc::clone(self.denied));
        if let Fast::Done(result) = self.agent(move || fast_open(dir, &name, how, &denied))? {
            return result.map(Some);
        }
        let lookup = how.flags & (libc::O_NOFOLLOW | libc::O_DIRECTORY) as u64;
        let fd = self.resolve(&start, &path, lookup, how.resolve)?;
        self.open_existing(fd, how, false)
    }

    /// `O_CREAT`: make the entry in the checked parent, or open what is
    /// there (following a dangling symlink to create its target, as the
    /// kernel does).
    fn create(&self, start: &Option<Arc<OwnedFd>>, mut path: Vec<u8>, how: OpenHow) -> Sys<Option<OwnedFd>> {
        let mut rounds = 0u32;
        loop {
            let (dir, last) = split_last(&path);
            let parent = self.resolve(start, &dir, libc::O_DIRECTORY as u64, how.resolve)?;
            check::allowed(self.denied, parent.as_raw_fd())?;
            let name = bare_name(&last);
            if name.len() != last.len() || name == b"." || name == b".." {
                return Err(libc::EISDIR);
            }
            let name = cstring(name)?;
            let umask = self.umask();
            let exclusive = OpenHow {
                flags: how.flags | (libc::O_EXCL | libc::O_NOFOLLOW | libc::O_CLOEXEC | libc::O_NOCTTY) as u64,
                mode: how.mode,
                resolve: how.resolve | libc::RESOLVE_NO_MAGICLINKS,
            };
            let (dir_fd, new_name) = (Arc::clone(&parent), name.clone());
            match self.agent(move || {
                sys::set_umask(umask);
                sys::openat2(dir_fd.as_raw_fd(), &new_name, &exclusive)
            })? {
                Ok(fd) => return Ok(Some(fd)),
                Err(libc::EEXIST) if how.flags & libc::O_EXCL as u64 == 0 => {}
                Err(errno) => return Err(errno),
            }
            match self.resolve(start, &path, how.flags & libc::O_NOFOLLOW as u64, how.resolve) {
                Ok(fd) => return self.open_existing(fd, how, true),
                Err(libc::ENOENT) => {}
                Err(errno) => return Err(errno),
            }
            rounds += 1;
            if rounds > MAX_LINKS {
                return Err(libc::ELOOP);
            }
            // A dangling symlink (or an entry removed meanwhile: try again).
            let Ok(st) = sys::fstatat(parent.as_raw_fd(), &name, libc::AT_SYMLINK_NOFOLLOW) else { continue };
            if sys::file_type(&st) != libc::S_IFLNK {
                continue;
            }
            if how.resolve & libc::RESOLVE_NO_SYMLINKS != 0 {
                return Err(libc::ELOOP);
            }
            let target = sys::readlinkat(parent.as_raw_fd(), &name)?;
            if target.is_empty() {
                return Err(libc::ENOENT);
            }
            path = if target[0] == b'/' {
                target
            } else {
                let mut joined = dir;
                if joined.last() != Some(&b'/') {
                    joined.push(b'/');
                }
                joined.extend_from_slice(&target);
                joined
            };
        }
    }

    /// Open the checked inode behind the `O_PATH` fd `fd` with the child's flags.
    fn open_existing(&self, fd: Arc<OwnedFd>, how: OpenHow, creating: bool) -> Sys<Option<OwnedFd>> {
        let st = sys::fstat(fd.as_raw_fd())?;
        check::allowed(self.denied, fd.as_raw_fd())?;
        let flags = how.flags;
        let kind = sys::file_type(&st);
        if creating && flags & libc::O_EXCL as u64 != 0 {
            return Err(libc::EEXIST);
        }
        if creating && kind == libc::S_IFDIR {
            return Err(libc::EISDIR);
        }
        if kind == libc::S_IFLNK {
            return Err(libc::ELOOP);
        }
        if flags & O_TMPFILE_BIT != 0 {
            let umask = self.umask();
            let tmp = OpenHow { flags: flags | libc::O_CLOEXEC as u64, mode: how.mode, resolve: 0 };
            return self
                .agent(move || {
                    sys::set_umask(umask);
                    sys::openat2(fd.as_raw_fd(), c".", &tmp)
                })?
                .map(Some);
        }
        let flags = reopen_flags(flags);
        if kind == libc::S_IFIFO && fifo_waits(flags) {
            return self.open_fifo_later(fd, flags).map(|()| None);
        }
        self.agent(move || reopen_existing(&fd, flags, kind))?.map(Some)
    }
}

/// The flags to open an existing, checked inode again with.
fn reopen_flags(flags: u64) -> u64 {
    flags & !((libc::O_CREAT | libc::O_EXCL | libc::O_NOFOLLOW) as u64) | libc::O_NOCTTY as u64
}

/// A FIFO opened this way waits for its other end.
fn fifo_waits(flags: u64) -> bool {
    flags & libc::O_NONBLOCK as u64 == 0 && flags & libc::O_ACCMODE as u64 != libc::O_RDWR as u64
}

/// Open the checked inode behind `fd` (of type `kind`) again, in the agent.
/// A device open never waits there (a terminal line waiting for carrier):
/// it is made non-blocking and set back.
fn reopen_existing(fd: &OwnedFd, flags: u64, kind: u32) -> Sys<OwnedFd> {
    let nonblock = libc::O_NONBLOCK as u64;
    if kind != libc::S_IFCHR && kind != libc::S_IFBLK {
        return sys::reopen(fd.as_raw_fd(), flags);
    }
    let new = sys::reopen(fd.as_raw_fd(), flags | nonblock)?;
    if flags & nonblock == 0 {
        let status = sys::status_flags(new.as_raw_fd())?;
        sys::set_status_flags(new.as_raw_fd(), status & !libc::O_NONBLOCK)?;
    }
    Ok(new)
}

/// The outcome of [`fast_open`].
enum Fast {
    Done(Sys<OwnedFd>),
    /// Not for the one-step open: a magic link on the way, a directory on
    /// the way the child cannot search, an `O_TMPFILE`, a FIFO that waits.
    Slow,
}

/// The common open — no `O_CREAT`, no magic link — in one agent job:
/// resolve, check against `denied` (the set the call decides on), open
/// again.
fn fast_open(start: Option<Arc<OwnedFd>>, path: &CStr, how: OpenHow, denied: &HashSet<Inode>) -> Fast {
    let dir = start.as_ref().map_or(libc::AT_FDCWD, |d| d.as_raw_fd());
    let lookup = how.flags & (libc::O_NOFOLLOW | libc::O_DIRECTORY) as u64;
    let fd = match sys::open_path(dir, path, lookup, how.resolve) {
        Ok(fd) => fd,
        Err(_) if meets_procfs(dir, path.to_bytes()) => return Fast::Slow,
        Err(errno) => return Fast::Done(Err(errno)),
    };
    let (Ok(st), Ok(fs)) = (sys::fstat(fd.as_raw_fd()), sys::fs_type(fd.as_raw_fd())) else { return Fast::Slow };
    if fs == libc::PROC_SUPER_MAGIC {
        return Fast::Done(Err(libc::EACCES));
    }
    match check::verdict(denied, fd.as_raw_fd()) {
        Verdict::Allowed => {}
        Verdict::Denied => return Fast::Done(Err(libc::EACCES)),
        Verdict::Unknown => return Fast::Slow,
    }
    let kind = sys::file_type(&st);
    let flags = reopen_flags(how.flags);
    match kind {
        libc::S_IFLNK => Fast::Done(Err(libc::ELOOP)),
        _ if how.flags & O_TMPFILE_BIT != 0 => Fast::Slow,
        libc::S_IFIFO if fifo_waits(flags) => Fast::Slow,
        _ => Fast::Done(reopen_existing(&fd, flags, kind)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn legacy_flags_are_what_openat_makes_of_them() {
        let creat = legacy_how((libc::O_CREAT | libc::O_WRONLY) as u64, 0o100644);
        assert_eq!(creat, OpenHow { flags: (libc::O_CREAT | libc::O_WRONLY) as u64, mode: 0o644, resolve: 0 });
        // The mode is ignored without O_CREAT, O_PATH keeps only its flags,
        // bits above 32 and unknown ones are dropped.
        assert_eq!(legacy_how(libc::O_RDONLY as u64, 0o644).mode, 0);
        let path = legacy_how((libc::O_PATH | libc::O_TRUNC | libc::O_CLOEXEC) as u64, 0);
        assert_eq!(path.flags, (libc::O_PATH | libc::O_CLOEXEC) as u64);
        assert_eq!(legacy_how(1 << 40, 0).flags, 0);
        assert_eq!(legacy_how(0x4000_0000, 0).flags, 0);
    }

    #[test]
    fn flag_combinations_are_judged_by_the_kernel() {
        assert_eq!(validate(&legacy_how(libc::O_RDONLY as u64, 0)), Ok(()));
        // O_TMPFILE needs write access; openat2 refuses a mode without O_CREAT.
        assert_eq!(validate(&legacy_how((libc::O_TMPFILE | libc::O_RDONLY) as u64, 0o600)), Err(libc::EINVAL));
        assert_eq!(validate(&OpenHow { flags: 0, mode: 0o600, resolve: 0 }), Err(libc::EINVAL));
        assert_eq!(validate(&OpenHow { flags: 0, mode: 0, resolve: 1 << 40 }), Err(libc::EINVAL));
    }
}
