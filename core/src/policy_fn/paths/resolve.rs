//! Path resolution on the child's behalf: the kernel resolves, in the
//! agent (so with the child's credentials and Landlock domain), into an
//! `O_PATH` fd that pins the inode the checks then look at.
//!
//! The agent never follows a procfs magic link (`RESOLVE_NO_MAGICLINKS`):
//! in the agent `/proc/self` is the supervisor, and a magic link leads to
//! an object without a path walk — `/proc/self/fd/N` of the supervisor
//! would hand out its descriptors. A path that meets a magic link (the
//! kernel answers `ELOOP`) is walked again one component at a time; the
//! walk gives `self` and `thread-self` the child's meaning and takes the
//! object behind `fd/N`, `cwd`, `root` or `exe` of a task of the sandbox
//! from that task itself. Any other procfs file is refused (`EACCES`, as
//! Landlock refuses it to the child: `/proc` is never under a rule).

use std::collections::VecDeque;
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::sync::Arc;

use super::open::SCOPED;
use super::sys::{self, cstring, Sys};
use super::Call;

/// The most symlinks one resolution follows (the kernel's `MAXSYMLINKS`).
pub(super) const MAX_LINKS: u32 = 40;
const PROC_ROOT_INO: u64 = 1;

/// Where the walk is inside the child's `/proc`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Proc {
    Root,
    /// `/proc/<pid>` (a process) or `/proc/<pid>/task/<tid>` (a thread).
    Task {
        id: i32,
        thread: bool,
    },
    TaskDir(i32),
    Fds {
        id: i32,
        thread: bool,
    },
}

enum Position {
    Real(Arc<OwnedFd>),
    Proc(Proc),
}

/// After the kernel's resolution of `path` from `dir` failed in the agent:
/// does the walk pass through procfs, where the agent's view (its own
/// `/proc/self`, its own fds, no magic links) is not the child's? A magic
/// link answers `ELOOP`, but a fd number the supervisor lacks answers
/// `ENOENT`, so any failure is looked at: the components are walked as the
/// kernel walked them, up to the failing one.
pub(super) fn meets_procfs(dir: RawFd, path: &[u8]) -> bool {
    let on_procfs = |fd: RawFd| sys::fs_type(fd) == Ok(libc::PROC_SUPER_MAGIC);
    let root = || sys::open_path(libc::AT_FDCWD, c"/", libc::O_DIRECTORY as u64, 0).ok();
    let mut current: Option<OwnedFd> = if path.first() == Some(&b'/') { root() } else { None };
    let here = |current: &Option<OwnedFd>| current.as_ref().map_or(dir, |c| c.as_raw_fd());
    if on_procfs(here(&current)) {
        return true;
    }
    let mut todo = components(path);
    let mut links = 0;
    while let Some(component) = todo.pop_front() {
        let Ok(name) = cstring(&component) else { return false };
        let Ok(next) = sys::open_path(here(&current), &name, libc::O_NOFOLLOW as u64, 0) else { return false };
        if on_procfs(next.as_raw_fd()) {
            return true;
        }
        let Ok(st) = sys::fstat(next.as_raw_fd()) else { return false };
        if sys::file_type(&st) == libc::S_IFLNK {
            links += 1;
            let Ok(target) = sys::readlinkat(next.as_raw_fd(), c"") else { return false };
            if links > MAX_LINKS || target.is_empty() {
                return false;
            }
            for c in components(&target).into_iter().rev() {
                todo.push_front(c);
            }
            if target[0] == b'/' {
                current = root();
            }
            continue;
        }
        current = Some(next);
    }
    false
}

/// The components of `path`, without empty ones and `.`.
fn components(path: &[u8]) -> VecDeque<Vec<u8>> {
    path.split(|&b| b == b'/').filter(|c| !c.is_empty() && *c != b".").map(<[u8]>::to_vec).collect()
}

fn number(component: &[u8]) -> Option<i32> {
    if component.is_empty() || !component.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(component).ok()?.parse().ok()
}

/// Split `path` into the directory to resolve and the last component,
/// trailing slashes kept (so that a call on (directory fd, last) means what
/// the call on `path` means). A path of slashes only is `/` and `.`.
pub(super) fn split_last(path: &[u8]) -> (Vec<u8>, Vec<u8>) {
    let end = path.iter().rposition(|&b| b != b'/').map_or(0, |i| i + 1);
    if end == 0 {
        return (b"/".to_vec(), b".".to_vec());
    }
    let start = path[..end].iter().rposition(|&b| b == b'/').map_or(0, |i| i + 1);
    let dir = if start == 0 { b".".to_vec() } else { path[..start].to_vec() };
    (dir, path[start..].to_vec())
}

/// The last component without its trailing slashes.
pub(super) fn bare_name(last: &[u8]) -> &[u8] {
    let end = last.iter().rposition(|&b| b != b'/').map_or(0, |i| i + 1);
    &last[..end]
}

fn open_proc_link(task: i32, thread: bool, entry: &[u8]) -> Sys<OwnedFd> {
    let dir = if thread { format!("/proc/{task}/task/{task}/") } else { format!("/proc/{task}/") };
    super::open_proc(&format!("{dir}{}", std::str::from_utf8(entry).map_err(|_| libc::EINVAL)?))
}

impl Call<'_> {
    /// Resolve `path` from `start` (`None`: the root, for an absolute path)
    /// to an `O_PATH` fd. `flags` may hold `O_NOFOLLOW` and `O_DIRECTORY`;
    /// `resolve` is `openat2`'s. The result is never on procfs.
    pub(super) fn resolve(
        &self,
        start: &Option<Arc<OwnedFd>>,
        path: &[u8],
        flags: u64,
        resolve: u64,
    ) -> Sys<Arc<OwnedFd>> {
        let (dir, bytes) = (start.clone(), path.to_vec());
        let fast = self.agent(move || {
            let dir = dir.as_ref().map_or(libc::AT_FDCWD, |d| d.as_raw_fd());
            let name = cstring(&bytes).map_err(|errno| (errno, false))?;
            sys::open_path(dir, &name, flags, resolve).map_err(|errno| (errno, meets_procfs(dir, &bytes)))
        })?;
        let fd = match fast {
            Ok(fd) => Arc::new(fd),
            Err((errno, false)) => return Err(errno),
            Err((errno, true)) => {
                // The kernel would have walked the child's /proc; its magic
                // links are refused to scoped resolution (EXDEV) and to one
                // that follows no (magic) symlinks (ELOOP).
                if resolve & SCOPED != 0 {
                    return Err(libc::EXDEV);
                }
                if resolve & (libc::RESOLVE_NO_SYMLINKS | libc::RESOLVE_NO_MAGICLINKS) != 0 {
                    return Err(errno);
                }
                let follow = flags & libc::O_NOFOLLOW as u64 == 0;
                let want_dir = flags & libc::O_DIRECTORY as u64 != 0;
                self.resolve_slowly(start, path, follow, want_dir)?
            }
        };
        if sys::fs_type(fd.as_raw_fd())? == libc::PROC_SUPER_MAGIC {
            return Err(libc::EACCES);
        }
        Ok(fd)
    }

    /// The walk one component at a time (see the module comment).
    fn resolve_slowly(
        &self,
        start: &Option<Arc<OwnedFd>>,
        path: &[u8],
        follow_last: bool,
        want_dir: bool,
    ) -> Sys<Arc<OwnedFd>> {
        let mut todo = components(path);
        let trailing_slash = path.last() == Some(&b'/');
        let (mut follow_last, mut want_dir) = (follow_last || trailing_slash, want_dir || trailing_slash);
        let mut position = match start {
            Some(fd) if path.first() != Some(&b'/') => Position::Real(Arc::clone(fd)),
            _ => Position::Real(self.root()?),
        };
        let mut links = 0u32;
        let mut count_link = || {
            links += 1;
            if links > MAX_LINKS {
                Err(libc::ELOOP)
            } else {
                Ok(())
            }
        };
        while let Some(component) = todo.pop_front() {
            let last = todo.is_empty();
            match position {
                Position::Real(dir) => {
                    let name = cstring(&component)?;
                    let here = Arc::clone(&dir);
                    let next =
                        self.agent(move || sys::open_path(dir.as_raw_fd(), &name, libc::O_NOFOLLOW as u64, 0))??;
                    let st = sys::fstat(next.as_raw_fd())?;
                    if sys::fs_type(next.as_raw_fd())? == libc::PROC_SUPER_MAGIC {
                        if st.st_ino != PROC_ROOT_INO || component == b".." {
                            return Err(libc::EACCES);
                        }
                        position = Position::Proc(Proc::Root);
                        continue;
                    }
                    if sys::file_type(&st) == libc::S_IFLNK && (!last || follow_last) {
                        count_link()?;
                        let target = sys::readlinkat(next.as_raw_fd(), c"")?;
                        if target.is_empty() {
                            return Err(libc::ENOENT);
                        }
                        if last && target.last() == Some(&b'/') {
                            (follow_last, want_dir) = (true, true);
                        }
                        for c in components(&target).into_iter().rev() {
                            todo.push_front(c);
                        }
                        // A relative target goes on from the link's directory.
                        position = match target[0] {
                            b'/' => Position::Real(self.root()?),
                            _ => Position::Real(here),
                        };
                        continue;
                    }
                    position = Position::Real(Arc::new(next));
                }
                Position::Proc(at) => match self.proc_step(at, &component)? {
                    ProcStep::At(next) => position = Position::Proc(next),
                    ProcStep::Link(target) => {
                        if last && !follow_last {
                            return Err(libc::EACCES);
                        }
                        count_link()?;
                        for c in components(&target).into_iter().rev() {
                            todo.push_front(c);
                        }
                        position = Position::Proc(Proc::Root);
                    }
                    ProcStep::Object(fd) => {
                        if last && !follow_last {
                            return Err(libc::ELOOP);
                        }
                        count_link()?;
                        position = Position::Real(Arc::new(fd));
                    }
                },
            }
        }
        match position {
            Position::Real(fd) => {
                if want_dir && !sys::is_dir(&sys::fstat(fd.as_raw_fd())?) {
                    return Err(libc::ENOTDIR);
                }
                Ok(fd)
            }
            Position::Proc(_) => Err(libc::EACCES),
        }
    }

    fn root(&self) -> Sys<Arc<OwnedFd>> {
        Ok(Arc::new(self.agent(|| sys::open_path(libc::AT_FDCWD, c"/", libc::O_DIRECTORY as u64, 0))??))
    }

    fn proc_step(&self, at: Proc, component: &[u8]) -> Sys<ProcStep> {
        let (tgid, tid) = (self.tgid(), self.ctx.pid() as i32);
        let task = |id: i32, thread: bool| -> Sys<ProcStep> {
            if self.in_sandbox(id) {
                Ok(ProcStep::At(Proc::Task { id, thread }))
            } else {
                Err(libc::EACCES)
            }
        };
        match (at, component) {
            (Proc::Root, b"self") => Ok(ProcStep::Link(tgid.to_string().into_bytes())),
            (Proc::Root, b"thread-self") => Ok(ProcStep::Link(format!("{tgid}/task/{tid}").into_bytes())),
            (Proc::Root, c) => task(number(c).ok_or(libc::EACCES)?, false),
            (Proc::Task { id, thread }, b"fd") => Ok(ProcStep::At(Proc::Fds { id, thread })),
            (Proc::Task { id, thread: false }, b"task") => Ok(ProcStep::At(Proc::TaskDir(id))),
            (Proc::Task { thread: false, .. }, b"..") => Ok(ProcStep::At(Proc::Root)),
            (Proc::Task { id, thread: true }, b"..") => Ok(ProcStep::At(Proc::TaskDir(self.tgid_of(id)))),
            (Proc::Task { id, thread }, entry @ (b"cwd" | b"root" | b"exe")) => {
                let fd = open_proc_link(id, thread, entry)?;
                // Opened for the task that still has the id.
                if !self.in_sandbox(id) {
                    return Err(libc::EACCES);
                }
                Ok(ProcStep::Object(fd))
            }
            (Proc::TaskDir(id), b"..") => Ok(ProcStep::At(Proc::Task { id, thread: false })),
            (Proc::TaskDir(id), c) => {
                let t = number(c).ok_or(libc::EACCES)?;
                if self.tgid_of(t) != id {
                    return Err(libc::ENOENT);
                }
                task(t, true)
            }
            (Proc::Fds { id, thread }, b"..") => Ok(ProcStep::At(Proc::Task { id, thread })),
            (Proc::Fds { id, .. }, c) => {
                let n = number(c).ok_or(libc::ENOENT)?;
                let pidfd = crate::pidfd::open_task(id as u32).map_err(|e| e.raw_os_error().unwrap_or(libc::ESRCH))?;
                if !self.in_sandbox(id) {
                    return Err(libc::EACCES);
                }
                crate::pidfd::get_fd(&pidfd, n)
                    .map_err(|e| match e.raw_os_error() {
                        Some(libc::EBADF) => libc::ENOENT,
                        other => other.unwrap_or(libc::EACCES),
                    })
                    .map(ProcStep::Object)
            }
            _ => Err(libc::EACCES),
        }
    }

    /// The task `id` belongs to the sandbox (its process group).
    pub(super) fn in_sandbox(&self, id: i32) -> bool {
        // SAFETY: getpgid has no memory effects.
        id > 0 && unsafe { libc::getpgid(id) } == self.ctx.sandbox_pgid()
    }

    fn tgid_of(&self, tid: i32) -> i32 {
        crate::procs::tgid_of(tid as u32).map_or(-1, |t| t as i32)
    }
}

enum ProcStep {
    At(Proc),
    /// `self`, `thread-self`: a symlink, with its meaning for the child.
    Link(Vec<u8>),
    /// A magic link's object, taken from the task.
    Object(OwnedFd),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_last_component_keeps_its_trailing_slashes() {
        let cases: [(&[u8], &[u8], &[u8]); 7] = [
            (b"a", b".", b"a"),
            (b"/a", b"/", b"a"),
            (b"a/b/", b"a/", b"b/"),
            (b"a//b//", b"a//", b"b//"),
            (b"/", b"/", b"."),
            (b"///", b"/", b"."),
            (b"../x", b"../", b"x"),
        ];
        for (path, dir, last) in cases {
            assert_eq!(split_last(path), (dir.to_vec(), last.to_vec()), "{}", String::from_utf8_lossy(path));
        }
        assert_eq!(bare_name(b"b//"), b"b");
    }

    #[test]
    fn components_skip_empty_and_dot() {
        assert_eq!(components(b"/a//./b/../c/"), [b"a".to_vec(), b"b".to_vec(), b"..".to_vec(), b"c".to_vec()]);
    }
}
