//! `deny_path`: files and directories made unreachable to the sandbox while
//! it runs. docs/policy-fn.md ("deny_path") is the contract; in short:
//!
//! - The denied set holds inodes (device, inode number): the denied file or
//!   directory and, for a directory, every inode below it at the time of
//!   the call. A file found below a denied directory later is denied by its
//!   ancestors (`check`).
//! - Before anything is denied, path calls go on to the kernel. Once
//!   something is, the guard no longer lets the kernel read a path from the
//!   child's memory: it reads it once and makes the call itself, in the
//!   `agent` (a thread confined like the child), on fds that pin what was
//!   checked (`resolve`, `open`, `names`), and hands the child the result.
//! - Every decision — `Continue` on an empty set included — is made and
//!   sent under the set's read lock; `deny` takes the write lock, so when
//!   it returns no call decided on the old set is still unanswered.

mod agent;
mod check;
mod fifo;
mod names;
mod open;
mod resolve;
mod sys;
#[cfg(test)]
mod tests;

use std::cell::OnceCell;
use std::collections::HashSet;
use std::ffi::CString;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::sync::{Arc, RwLock, RwLockReadGuard};

use crate::error::{Result, SandlockError};
use crate::handler::{Handler, HandlerCtx, HandlerResult};
use crate::notif::{ExceptionPolicy, NotifAction};
use crate::policy::Policy;
use crate::syscall::number_of;

use agent::{Agent, Confinement};
use sys::{OpenHow, Sys, OPEN_HOW_SIZE};

/// A file by identity: device and inode number.
type Inode = (u64, u64);

/// Most inodes below one denied directory.
pub(crate) const MAX_BELOW: usize = 65_536;
/// Deepest directory tree below a denied directory.
const MAX_TREE_DEPTH: usize = 256;

/// The denied inodes. Only ever grows.
#[derive(Debug, Default)]
pub(crate) struct DeniedPaths {
    /// Replaced, never changed in place: a call takes the set it decides
    /// on with it to the agent.
    inodes: RwLock<Arc<HashSet<Inode>>>,
}

impl DeniedPaths {
    pub(crate) fn new() -> DeniedPaths {
        DeniedPaths::default()
    }

    /// Deny the file or directory at `path` (absolute; symlinks resolved
    /// now, in the supervisor's view) and, for a directory, every inode
    /// below it. Returns when no call decided before is still unanswered.
    /// Nothing is denied when it fails (a directory with more than
    /// [`MAX_BELOW`] inodes below it, or one that cannot be listed).
    pub(crate) fn deny(&self, path: &Path) -> Result<()> {
        crate::policy::check_path(path)?;
        let not_found = |source| SandlockError::PathNotFound { path: path.to_path_buf(), source };
        let name = CString::new(path.as_os_str().as_bytes()).map_err(|_| SandlockError::InvalidArgument {
            what: "deny_path",
            reason: format!("{} holds a NUL byte", path.display()),
        })?;
        // SAFETY: `name` is NUL-terminated; the flags take no more arguments.
        let fd = unsafe { libc::open(name.as_ptr(), libc::O_PATH | libc::O_CLOEXEC) };
        if fd < 0 {
            return Err(not_found(std::io::Error::last_os_error()));
        }
        // SAFETY: open returned a new fd that nothing else owns.
        let fd = unsafe { OwnedFd::from_raw_fd(fd) };
        let st = sys::fstat(fd.as_raw_fd()).map_err(|e| not_found(std::io::Error::from_raw_os_error(e)))?;
        // The walk happens under the write lock: no call of the sandbox
        // can add a name below the directory meanwhile.
        let mut inodes = self.write();
        let mut found = vec![check::inode(&st)];
        if sys::is_dir(&st) {
            collect_below(path, &fd, &mut found, 0)?;
        }
        let mut grown = HashSet::clone(&inodes);
        grown.extend(found);
        *inodes = Arc::new(grown);
        Ok(())
    }

    pub(crate) fn read(&self) -> RwLockReadGuard<'_, Arc<HashSet<Inode>>> {
        self.inodes.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Arc<HashSet<Inode>>> {
        self.inodes.write().unwrap_or_else(|e| e.into_inner())
    }
}

/// Every inode below the directory `dir` (an `O_PATH` fd of `root`'s tree),
/// without following symlinks; mounts below it are crossed.
fn collect_below(root: &Path, dir: &OwnedFd, found: &mut Vec<Inode>, depth: usize) -> Result<()> {
    let too_large = |reason: String| SandlockError::InvalidArgument { what: "deny_path", reason };
    if depth >= MAX_TREE_DEPTH {
        return Err(too_large(format!("{} is more than {MAX_TREE_DEPTH} directories deep", root.display())));
    }
    let listing = std::fs::read_dir(format!("/proc/thread-self/fd/{}", dir.as_raw_fd()))
        .map_err(|e| SandlockError::io("listing a directory to deny", e))?;
    for entry in listing {
        let entry = entry.map_err(|e| SandlockError::io("listing a directory to deny", e))?;
        let meta = match entry.metadata() {
            Ok(meta) => meta,
            // Removed since it was listed.
            Err(e) if e.raw_os_error() == Some(libc::ENOENT) => continue,
            Err(e) => return Err(SandlockError::io("reading an entry of a directory to deny", e)),
        };
        found.push((meta.dev(), meta.ino()));
        if found.len() > MAX_BELOW + 1 {
            return Err(too_large(format!(
                "{} holds more than {MAX_BELOW} files and directories; deny smaller parts of it",
                root.display()
            )));
        }
        if meta.is_dir() {
            let name = CString::new(entry.file_name().as_bytes()).map_err(|_| too_large("a NUL in a name".into()))?;
            match sys::open_path(dir.as_raw_fd(), &name, (libc::O_DIRECTORY | libc::O_NOFOLLOW) as u64, 0) {
                Ok(sub) => collect_below(root, &sub, found, depth + 1)?,
                Err(libc::ENOENT) => continue,
                Err(e) => {
                    return Err(SandlockError::io("opening a directory to deny", std::io::Error::from_raw_os_error(e)))
                }
            }
        }
    }
    Ok(())
}

/// What the guard does for a syscall.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Open,
    Openat,
    Openat2,
    Creat,
    Mkdir,
    Mkdirat,
    Mknod,
    Mknodat,
    Symlink,
    Symlinkat,
    Link,
    Linkat,
    Rename,
    Renameat,
    Renameat2,
    Unlink,
    Unlinkat,
    Rmdir,
    Truncate,
}

fn op_of(name: &str) -> Option<Op> {
    Some(match name {
        "open" => Op::Open,
        "openat" => Op::Openat,
        "openat2" => Op::Openat2,
        "creat" => Op::Creat,
        "mkdir" => Op::Mkdir,
        "mkdirat" => Op::Mkdirat,
        "mknod" => Op::Mknod,
        "mknodat" => Op::Mknodat,
        "symlink" => Op::Symlink,
        "symlinkat" => Op::Symlinkat,
        "link" => Op::Link,
        "linkat" => Op::Linkat,
        "rename" => Op::Rename,
        "renameat" => Op::Renameat,
        "renameat2" => Op::Renameat2,
        "unlink" => Op::Unlink,
        "unlinkat" => Op::Unlinkat,
        "rmdir" => Op::Rmdir,
        "truncate" => Op::Truncate,
        _ => return None,
    })
}

/// Enforces the denied set on every path call of the sandbox.
pub(crate) struct PathGuard {
    denied: Arc<DeniedPaths>,
    confinement: Arc<Confinement>,
    agent: Agent,
    waiting: Arc<fifo::Waiting>,
    /// Indexed by syscall number.
    ops: Vec<Option<Op>>,
}

impl PathGuard {
    /// Every syscall that opens, creates, removes, links, renames or
    /// truncates by path. `execve`/`execveat` are the exec flow's (see
    /// [`PathGuard::exec_denied`]); calls that only read or change metadata
    /// stay with the kernel (docs/policy-fn.md says why).
    #[cfg(target_arch = "x86_64")]
    pub(crate) const SYSCALLS: &'static [&'static str] = &[
        "open",
        "openat",
        "openat2",
        "creat",
        "mkdir",
        "mkdirat",
        "mknod",
        "mknodat",
        "symlink",
        "symlinkat",
        "link",
        "linkat",
        "rename",
        "renameat",
        "renameat2",
        "unlink",
        "unlinkat",
        "rmdir",
        "truncate",
    ];
    #[cfg(target_arch = "aarch64")]
    pub(crate) const SYSCALLS: &'static [&'static str] = &[
        "openat",
        "openat2",
        "mkdirat",
        "mknodat",
        "symlinkat",
        "linkat",
        "renameat",
        "renameat2",
        "unlinkat",
        "truncate",
    ];

    /// A guard for a sandbox running `policy`; its agent starts now, so a
    /// confinement the kernel refuses fails here.
    #[cfg(test)]
    pub(crate) fn new(policy: &Policy, denied: Arc<DeniedPaths>) -> Result<PathGuard> {
        Self::with_ruleset(policy, denied, policy.landlock.clone())
    }

    /// [`PathGuard::new`] for a run whose child restricts itself with
    /// `landlock` (its own ruleset, when the run has one).
    pub(crate) fn with_ruleset(
        policy: &Policy,
        denied: Arc<DeniedPaths>,
        landlock: Option<Arc<std::os::fd::OwnedFd>>,
    ) -> Result<PathGuard> {
        let confinement = Arc::new(Confinement::for_policy(policy, landlock));
        let agent = Agent::start(&confinement)?;
        let mut ops = Vec::new();
        for name in Self::SYSCALLS {
            let nr = number_of(name).ok_or_else(|| crate::syscall::unknown_name(name))?;
            if ops.len() <= nr as usize {
                ops.resize(nr as usize + 1, None);
            }
            ops[nr as usize] = op_of(name);
        }
        Ok(PathGuard { denied, confinement, agent, waiting: Arc::default(), ops })
    }

    /// Something is denied: path calls are made by the guard.
    pub(crate) fn active(&self) -> bool {
        !self.denied.read().is_empty()
    }

    /// The program an exec of `path` from `dirfd` (`execveat`'s flags in
    /// `at_flags`) would run is denied. An exec whose path does not resolve
    /// is left to the kernel, which fails it — or, if it raced, runs what
    /// [`PathGuard::program_denied`] then finds.
    pub(crate) fn exec_denied(&self, ctx: &HandlerCtx<'_>, dirfd: i32, path: &[u8], at_flags: u64) -> bool {
        let denied = self.denied.read();
        if denied.is_empty() {
            return false;
        }
        let call = Call::new(ctx, self, &denied);
        let file = if path.is_empty() {
            if at_flags & libc::AT_EMPTY_PATH as u64 == 0 {
                return false;
            }
            match call.child_fd(dirfd) {
                Ok(fd) => Arc::new(fd),
                Err(_) => return false,
            }
        } else {
            let Ok(start) = call.start(dirfd, path, false) else { return false };
            let flags = if at_flags & libc::AT_SYMLINK_NOFOLLOW as u64 != 0 { libc::O_NOFOLLOW as u64 } else { 0 };
            match call.resolve(&start, path, flags, 0) {
                Ok(fd) => fd,
                Err(_) => return false,
            }
        };
        check::allowed(&denied, file.as_raw_fd()).is_err()
    }

    /// After an exec of task `pid` passed its exec stop: the program it
    /// runs, or a file it has mapped (its ELF interpreter), is denied. Fails
    /// closed: true when the task's program cannot be looked at.
    pub(crate) fn program_denied(&self, pid: i32) -> bool {
        let denied = self.denied.read();
        if denied.is_empty() {
            return false;
        }
        let Ok(exe) = open_proc(&format!("/proc/{pid}/exe")) else { return true };
        if check::allowed(&denied, exe.as_raw_fd()).is_err() {
            return true;
        }
        let Ok(maps) = crate::maps::all(pid as u32) else { return true };
        let mut seen = HashSet::new();
        // Mapped files (not anonymous memory, nor a special name).
        for mapping in maps.iter().filter(|m| m.inode != 0 && m.path.starts_with('/')) {
            let inode = (mapping.dev, mapping.inode);
            if !seen.insert(inode) {
                continue;
            }
            if denied.contains(&inode) {
                return true;
            }
            // `map_files` names a mapping by its range, as `maps` prints it.
            if let Ok(file) = open_proc(&format!("/proc/{pid}/map_files/{:x}-{:x}", mapping.start, mapping.end)) {
                if check::allowed(&denied, file.as_raw_fd()).is_err() {
                    return true;
                }
            }
        }
        false
    }
}

impl Drop for PathGuard {
    fn drop(&mut self) {
        self.waiting.shut();
    }
}

/// An `O_PATH` fd of a procfs magic link's object, opened by the supervisor.
pub(super) fn open_proc(path: &str) -> Sys<OwnedFd> {
    let path = sys::cstring(path.as_bytes())?;
    // SAFETY: `path` is NUL-terminated; the flags take no more arguments.
    let fd = unsafe { libc::open(path.as_ptr(), libc::O_PATH | libc::O_CLOEXEC) };
    if fd < 0 {
        return Err(sys::errno());
    }
    // SAFETY: open returned a new fd that nothing else owns.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

impl Handler for PathGuard {
    fn handle(&self, ctx: &HandlerCtx<'_>) -> HandlerResult {
        let op = usize::try_from(ctx.syscall_nr()).ok().and_then(|nr| self.ops.get(nr).copied().flatten());
        let denied = self.denied.read();
        let action = match op {
            None => NotifAction::Errno(libc::ENOSYS),
            Some(_) if denied.is_empty() => NotifAction::Continue,
            Some(op) => Call::new(ctx, self, &denied).perform(op),
        };
        // Answered under the read lock: `deny` waits for this answer.
        ctx.defer().reply(action);
        drop(denied);
        Ok(NotifAction::Hold)
    }

    fn exception_policy(&self) -> ExceptionPolicy {
        ExceptionPolicy::DenyEperm
    }
}

/// One call being made on the child's behalf.
pub(super) struct Call<'a> {
    ctx: &'a HandlerCtx<'a>,
    guard: &'a PathGuard,
    denied: &'a Arc<HashSet<Inode>>,
    tgid: OnceCell<i32>,
}

impl<'a> Call<'a> {
    fn new(ctx: &'a HandlerCtx<'a>, guard: &'a PathGuard, denied: &'a Arc<HashSet<Inode>>) -> Call<'a> {
        Call { ctx, guard, denied, tgid: OnceCell::new() }
    }

    fn perform(&self, op: Op) -> NotifAction {
        let a = *self.ctx.args();
        let cwd = libc::AT_FDCWD as u64;
        match op {
            Op::Open => self.open(libc::AT_FDCWD, a[0], open::legacy_how(a[1], a[2])),
            Op::Openat => self.open(a[0] as i32, a[1], open::legacy_how(a[2], a[3])),
            Op::Creat => self.open(
                libc::AT_FDCWD,
                a[0],
                open::legacy_how((libc::O_CREAT | libc::O_WRONLY | libc::O_TRUNC) as u64, a[1]),
            ),
            Op::Openat2 => match self.read_how(a[2], a[3]) {
                Ok(how) => self.open(a[0] as i32, a[1], how),
                Err(errno) => NotifAction::Errno(errno),
            },
            Op::Mkdir => self.mkdir(cwd, a[0], a[1] as u32),
            Op::Mkdirat => self.mkdir(a[0], a[1], a[2] as u32),
            Op::Mknod => self.mknod(cwd, a[0], a[1] as u32, a[2] as u32),
            Op::Mknodat => self.mknod(a[0], a[1], a[2] as u32, a[3] as u32),
            Op::Symlink => self.symlink(a[0], cwd, a[1]),
            Op::Symlinkat => self.symlink(a[0], a[1], a[2]),
            Op::Link => self.link((cwd, a[0]), (cwd, a[1]), 0),
            Op::Linkat => self.link((a[0], a[1]), (a[2], a[3]), a[4] as i32),
            Op::Rename => self.rename((cwd, a[0]), (cwd, a[1]), 0),
            Op::Renameat => self.rename((a[0], a[1]), (a[2], a[3]), 0),
            Op::Renameat2 => self.rename((a[0], a[1]), (a[2], a[3]), a[4] as u32),
            Op::Unlink => self.unlink(cwd, a[0], 0),
            Op::Unlinkat => self.unlink(a[0], a[1], a[2] as i32),
            Op::Rmdir => self.unlink(cwd, a[0], libc::AT_REMOVEDIR),
            Op::Truncate => self.truncate(a[0], a[1] as i64),
        }
    }

    /// A path argument, read once.
    fn read_path(&self, addr: u64) -> Sys<Vec<u8>> {
        use crate::mem::MemoryError;
        self.ctx.read_cstr_bytes(addr, libc::PATH_MAX as usize - 1).map_err(|e| match e {
            MemoryError::Unterminated { .. } => libc::ENAMETOOLONG,
            _ => libc::EFAULT,
        })
    }

    /// `openat2`'s `struct open_how`, read once: at least the first
    /// version's size, at most a page, anything past the known fields zero.
    fn read_how(&self, addr: u64, size: u64) -> Sys<OpenHow> {
        if size < OPEN_HOW_SIZE as u64 {
            return Err(libc::EINVAL);
        }
        if size > 4096 {
            return Err(libc::E2BIG);
        }
        let mut bytes = vec![0u8; size as usize];
        self.ctx.read_mem(addr, &mut bytes).map_err(|_| libc::EFAULT)?;
        if bytes[OPEN_HOW_SIZE..].iter().any(|&b| b != 0) {
            return Err(libc::E2BIG);
        }
        let field = |i: usize| u64::from_ne_bytes(bytes[i * 8..i * 8 + 8].try_into().unwrap_or([0; 8]));
        Ok(OpenHow { flags: field(0), mode: field(1), resolve: field(2) })
    }

    /// Where the walk of `path` from `dirfd` starts: `None` for an absolute
    /// path (the root; the child cannot chroot), unless `scoped` resolution
    /// makes the dirfd the root.
    fn start(&self, dirfd: i32, path: &[u8], scoped: bool) -> Sys<Option<Arc<OwnedFd>>> {
        if path.first() == Some(&b'/') && !scoped {
            return Ok(None);
        }
        if dirfd == libc::AT_FDCWD {
            let cwd = open_proc(&format!("/proc/{}/cwd", self.ctx.pid()))?;
            // Still the task that waits, not one that took its id.
            if !self.ctx.is_valid() {
                return Err(libc::ESRCH);
            }
            return Ok(Some(Arc::new(cwd)));
        }
        self.child_fd(dirfd).map(|fd| Some(Arc::new(fd)))
    }

    fn child_fd(&self, fd: i32) -> Sys<OwnedFd> {
        let copy = self.ctx.child_fd(fd).map_err(|e| match e.raw_os_error() {
            Some(libc::ESRCH) => libc::ESRCH,
            _ => libc::EBADF,
        })?;
        // No path call works on a socket, and the child could make one
        // linger (see `child_socket`) before the copy is dropped.
        let is_socket =
            nix::sys::stat::fstat(copy.as_raw_fd()).is_ok_and(|st| st.st_mode & libc::S_IFMT == libc::S_IFSOCK);
        if is_socket {
            crate::child_socket::close_at_exit(copy);
            return Err(libc::ENOTDIR);
        }
        Ok(copy)
    }

    /// Run `job` in the agent; `EACCES` when the agent is gone.
    fn agent<T: Send + 'static>(&self, job: impl FnOnce() -> T + Send + 'static) -> Sys<T> {
        self.guard.agent.run(job).ok_or(libc::EACCES)
    }

    /// The umask of the calling task (its process's file-system context).
    fn umask(&self) -> u32 {
        crate::procs::Status::of(self.ctx.pid())
            .and_then(|s| s.field("Umask:").and_then(|v| u32::from_str_radix(v, 8).ok()))
            .unwrap_or(0o022)
    }

    fn tgid(&self) -> i32 {
        *self.tgid.get_or_init(|| crate::procs::tgid_of(self.ctx.pid()).map_or(-1, |t| t as i32))
    }
}
