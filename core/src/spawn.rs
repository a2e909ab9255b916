//! fork → process group and the guardian → signals, scheduling and personality reset → stdio
//! → private namespaces → limits → credentials and capabilities →
//! no_new_privs → Landlock → seccomp → exec.
//!
//! The child is started with `clone(CLONE_VM | CLONE_VFORK)` like
//! posix_spawn, or with a plain fork when the sandbox has handlers (the
//! child then waits for the supervisor to take its listener, see `handoff`).
//! Everything it needs is prepared in the parent ([`SpawnPlan`]), so that
//! between fork and exec the child of a multi-threaded host only makes raw
//! syscalls through `libc::syscall`: no allocation, no locks, and none of
//! glibc's wrappers that do more than the syscall (the set-ID ones signal
//! every thread of the process, which in a `CLONE_VM` child are the
//! parent's). A failure in the child is reported through a close-on-exec
//! pipe as (stage, errno); EOF means exec succeeded. The parent's side
//! (pipes, sockets, the child's stack, the signal mask, reaping) uses `nix`;
//! nothing the child runs does.

use std::ffi::{CString, OsStr, OsString};
use std::io;
use std::num::NonZeroUsize;
use std::os::fd::{AsFd, AsRawFd, OwnedFd, RawFd};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use nix::errno::Errno;
use nix::fcntl::OFlag;
use nix::sys::mman::{mmap_anonymous, mprotect, munmap, MapFlags, ProtFlags};
use nix::sys::signal::{kill, Signal};
use nix::sys::socket::{shutdown, socketpair, AddressFamily, Shutdown, SockFlag, SockType};
use nix::sys::wait::waitpid;
use nix::unistd::{access, pipe2, read, setpgid, AccessFlags, Pid};

use crate::clone_child;
use crate::error::{Result, SandlockError, SpawnStage};
use crate::fork_locks::PrivateFd;
use crate::group::Group;
use crate::guardian;
use crate::handoff::Handoff;
use crate::own_description::{CallerStreams, Origin};
use crate::own_fd_table::{self, KEEPER_STACK};
use crate::private_shm::ShmPlan;
use crate::raw_syscall::{self, errno};
use crate::seccomp::bpf;
use crate::task_defaults;

const DEFAULT_PATH: &str = "/usr/local/bin:/usr/bin:/bin";

/// How one of the child's standard streams is connected.
#[derive(Debug)]
pub(crate) enum StdioMode {
    Inherit,
    Null,
    Pipe,
    /// A caller's fd, which the child gets a copy of.
    Fd(OwnedFd),
}

/// Everything the child needs, prepared before fork.
pub(crate) struct SpawnPlan {
    program: CString,
    // Keep the strings alive: the pointer arrays point into them.
    _argv: Vec<CString>,
    _envp: Vec<CString>,
    argv_ptrs: Vec<*const libc::c_char>,
    envp_ptrs: Vec<*const libc::c_char>,
    cwd: Option<CString>,
    rlimits: Vec<(libc::__rlimit_resource_t, libc::rlim_t)>,
    keep_caps: u64,
    uid: Option<u32>,
    gid: Option<u32>,
    landlock: Option<Arc<OwnedFd>>,
    filter: std::sync::Arc<Vec<libc::sock_filter>>,
    notify: bool,
    /// `CLONE_NEW*` flags to unshare (needs CAP_SYS_ADMIN, kept until then).
    namespaces: libc::c_int,
    /// A private `/dev/shm` to mount right after unsharing.
    shm: Option<ShmPlan>,
    drop_groups: bool,
}

pub(crate) struct PlanInput<'a> {
    pub argv: &'a [OsString],
    pub env: &'a [(OsString, OsString)],
    pub cwd: Option<&'a Path>,
    pub max_memory: Option<u64>,
    pub max_open_files: Option<u64>,
    pub keep_caps: u64,
    pub uid: Option<u32>,
    pub gid: Option<u32>,
    pub landlock: Option<Arc<OwnedFd>>,
    pub filter: std::sync::Arc<Vec<libc::sock_filter>>,
    pub notify: bool,
    pub namespaces: libc::c_int,
    pub shm: Option<ShmPlan>,
    pub drop_groups: bool,
}

/// `bytes` as a C string; `shown` names the value in the error.
fn cstring(what: &'static str, shown: impl FnOnce() -> String, bytes: &[u8]) -> Result<CString> {
    CString::new(bytes).map_err(|_| SandlockError::InvalidArgument {
        what,
        reason: format!("{} contains a NUL byte, where C would end the string", shown()),
    })
}

impl SpawnPlan {
    pub(crate) fn new(input: PlanInput<'_>) -> Result<SpawnPlan> {
        let first = input
            .argv
            .first()
            .ok_or(SandlockError::InvalidArgument { what: "argv", reason: "must name a program".into() })?;
        let path_var = input.env.iter().find(|(k, _)| k == "PATH").map(|(_, v)| v.as_os_str());
        let program = resolve_program(first, path_var, input.cwd)?;
        let argv: Vec<CString> = input
            .argv
            .iter()
            .enumerate()
            .map(|(i, a)| cstring("argv", || format!("argv[{i}] {a:?}"), a.as_bytes()))
            .collect::<Result<_>>()?;
        let envp: Vec<CString> = input
            .env
            .iter()
            .map(|(k, v)| {
                // Names were checked when the policy was built.
                let mut entry = k.clone().into_vec();
                entry.push(b'=');
                entry.extend_from_slice(v.as_bytes());
                cstring("env", || format!("the value of {k:?}"), &entry)
            })
            .collect::<Result<_>>()?;
        let argv_ptrs = argv.iter().map(|c| c.as_ptr()).chain(std::iter::once(std::ptr::null())).collect();
        let envp_ptrs = envp.iter().map(|c| c.as_ptr()).chain(std::iter::once(std::ptr::null())).collect();
        let cwd = input.cwd.map(|p| cstring("cwd", || format!("{p:?}"), p.as_os_str().as_bytes())).transpose()?;
        let mut rlimits = vec![(libc::RLIMIT_CORE, 0)];
        if let Some(bytes) = input.max_memory {
            rlimits.push((libc::RLIMIT_AS, bytes));
        }
        if let Some(n) = input.max_open_files {
            rlimits.push((libc::RLIMIT_NOFILE, n));
        }
        // Queued signals and POSIX timers are counted per uid, against the
        // limit of the process that queues or creates them: with the
        // caller's limit a uid-0 child took the whole count, and the host's
        // root services got EAGAIN from timer_create and sigqueue until it
        // ended. Half leaves the host the other half, whatever its runs do.
        if let Ok((soft, _)) = nix::sys::resource::getrlimit(nix::sys::resource::Resource::RLIMIT_SIGPENDING) {
            if soft != libc::RLIM_INFINITY {
                rlimits.push((libc::RLIMIT_SIGPENDING, soft / 2));
            }
        }
        Ok(SpawnPlan {
            program: cstring("program", || format!("{program:?}"), program.as_bytes())?,
            _argv: argv,
            _envp: envp,
            argv_ptrs,
            envp_ptrs,
            cwd,
            rlimits,
            keep_caps: input.keep_caps,
            uid: input.uid,
            gid: input.gid,
            landlock: input.landlock,
            filter: input.filter,
            notify: input.notify,
            namespaces: input.namespaces | input.shm.as_ref().map_or(0, ShmPlan::namespaces),
            shm: input.shm,
            drop_groups: input.drop_groups,
        })
    }

    /// The path the child executes.
    pub(crate) fn program(&self) -> &Path {
        Path::new(OsStr::from_bytes(self.program.as_bytes()))
    }
}

/// The path to exec: argv[0] itself when it has a slash, else the first
/// executable match in the child's PATH (or a default PATH).
fn resolve_program(name: &OsStr, path_var: Option<&OsStr>, cwd: Option<&Path>) -> Result<OsString> {
    if name.as_bytes().contains(&b'/') {
        // A program that does not exist at all is the caller's mistake;
        // anything else (hidden by Landlock, missing interpreter) is
        // reported by exec in the child. A relative one is the child's:
        // from its working directory, where it execs it.
        let seen_from_child = match cwd {
            Some(cwd) => cwd.join(name),
            None => PathBuf::from(name),
        };
        return match std::fs::symlink_metadata(&seen_from_child) {
            Err(e) if matches!(e.raw_os_error(), Some(libc::ENOENT | libc::ENOTDIR)) => {
                Err(SandlockError::ExecNotFound { program: name.to_string_lossy().into_owned() })
            }
            _ => Ok(name.to_os_string()),
        };
    }
    let search = path_var.unwrap_or(OsStr::new(DEFAULT_PATH));
    for dir in std::env::split_paths(search) {
        // A relative entry (an empty one is ".") is the child's, from its
        // working directory.
        let dir = match cwd {
            Some(cwd) if dir.is_relative() => cwd.join(dir),
            _ => dir,
        };
        let candidate = dir.join(name);
        if access(&candidate, AccessFlags::X_OK).is_ok() {
            return Ok(candidate.into_os_string());
        }
    }
    Err(SandlockError::ExecNotFound { program: name.to_string_lossy().into_owned() })
}

/// A forked child whose exec outcome is not known yet.
pub(crate) struct Started {
    pub pid: libc::pid_t,
    /// The child's process group, through its pidfd.
    pub group: Arc<Group>,
    pub listener: Option<OwnedFd>,
    pub stdin: Option<PrivateFd>,
    pub stdout: Option<OwnedFd>,
    pub stderr: Option<OwnedFd>,
    report: OwnedFd,
}

fn pipe() -> Result<(OwnedFd, OwnedFd)> {
    let (read, write) = pipe2(OFlag::O_CLOEXEC).map_err(|e| SandlockError::io("creating a pipe", e.into()))?;
    Ok((above_stdio(read)?, above_stdio(write)?))
}

/// [`crate::fds::above_stdio`], as a spawn error.
fn above_stdio(fd: OwnedFd) -> Result<OwnedFd> {
    crate::fds::above_stdio(fd).map_err(|e| SandlockError::io("moving an fd above stdio", e))
}

/// `/dev/null` opened for reading or writing, close-on-exec (as std opens
/// every file).
fn dev_null(write: bool) -> Result<OwnedFd> {
    let file = std::fs::OpenOptions::new()
        .read(!write)
        .write(write)
        .open("/dev/null")
        .map_err(|e| SandlockError::io("opening /dev/null", e))?;
    above_stdio(file.into())
}

/// For each stream (`number` 0, 1 or 2): the child's end and, for a pipe,
/// the parent's end. A caller's pipe, FIFO or terminal goes to the child
/// as a description of its own ([`CallerStreams::own_or_share`]); one the child shares
/// goes into `shared`. `None` for the child's end keeps the caller's
/// stream at its number.
fn stdio_pair(
    mode: StdioMode,
    number: RawFd,
    child_reads: bool,
    shared: &mut CallerStreams,
) -> Result<(Option<OwnedFd>, Option<OwnedFd>)> {
    match mode {
        StdioMode::Inherit => Ok((shared.own_or_share(number, Origin::Inherited).map(above_stdio).transpose()?, None)),
        StdioMode::Null => Ok((Some(dev_null(!child_reads)?), None)),
        // Above stdio like ours: one at another stream's number would be
        // overwritten when that stream is put in place first.
        StdioMode::Fd(fd) => {
            let fd = shared.own_or_share(fd.as_raw_fd(), Origin::Given).unwrap_or(fd);
            Ok((Some(above_stdio(fd)?), None))
        }
        StdioMode::Pipe if child_reads => {
            // A socket, so the parent can write with MSG_NOSIGNAL (see
            // output.rs); shut for reading on our side, so the child can send
            // nothing (no fds with SCM_RIGHTS) back up it: its sends fail
            // with EPIPE.
            let (parent, child) = socketpair(AddressFamily::Unix, SockType::Stream, None, SockFlag::SOCK_CLOEXEC)
                .map_err(|e| SandlockError::io("creating a socket pair", e.into()))?;
            shutdown(parent.as_raw_fd(), Shutdown::Read)
                .map_err(|e| SandlockError::io("shutting the stdin socket for reading", e.into()))?;
            Ok((Some(above_stdio(child)?), Some(parent)))
        }
        StdioMode::Pipe => {
            let (read, write) = pipe()?;
            Ok(if child_reads { (Some(read), Some(write)) } else { (Some(write), Some(read)) })
        }
    }
}

/// Fork and confine the child. The caller starts the supervisor on
/// `listener` (the child may already wait on it), then calls [`Started::finish`].
pub(crate) fn start(plan: &SpawnPlan, stdio: [StdioMode; 3]) -> Result<Started> {
    refuse_ignored_sigchld()?;
    let [stdin, stdout, stderr] = stdio;
    let stacks = CHILD_STACKS_OF_THREAD.with(ChildStacks::tops)?;
    crate::fork_locks::hold_across_forks();
    // Held until the child has its copies and ours are closed: glibc's
    // fork waits for it (crate::fork_locks), so no process the host forks
    // meanwhile keeps a copy of the child's ends or of the report pipe's
    // write end, which kept the run's start (and its reader's end of file)
    // waiting for as long as that process lived.
    let guardian = guardian::for_spawn(stacks.child);
    let mut shared = CallerStreams::default();
    let (child_in, parent_in) = stdio_pair(stdin, libc::STDIN_FILENO, true, &mut shared)?;
    let (child_out, parent_out) = stdio_pair(stdout, libc::STDOUT_FILENO, false, &mut shared)?;
    let (child_err, parent_err) = stdio_pair(stderr, libc::STDERR_FILENO, false, &mut shared)?;
    let (report_read, report_write) = pipe()?;
    let handoff = if plan.notify { Some(Handoff::new()?) } else { None };
    let child_fds = ChildFds {
        stdio: [raw(&child_in), raw(&child_out), raw(&child_err)],
        report: report_write.as_raw_fd(),
        guardian: guardian.fd(),
        handoff: handoff.as_ref(),
        keeper_stack: stacks.keeper,
    };
    // The hand-off needs the parent running while the child waits for it.
    // The pidfd comes with the clone (`CLONE_PIDFD`): opened afterwards, a
    // child that ended and was reaped by another wait of this process in
    // between had no pidfd to open, and its pid may be someone else's.
    let (pid, pidfd) =
        if plan.notify { fork_child(plan, &child_fds)? } else { vfork_child(plan, &child_fds, stacks.child)? };
    // Registered while no fork can copy it: a copy of the feeding end kept
    // the child from its end of input for as long as that process lived.
    let parent_in = parent_in.map(PrivateFd::new);
    // The child has its copies; close ours so EOF reaches the right side.
    drop((child_in, child_out, child_err, report_write, guardian));
    guardian::started(pid);
    // It may fail once the child has exec'd, which is fine since the child
    // sets its group itself first.
    let _ = setpgid(Pid::from_raw(pid), Pid::from_raw(pid));
    let mut started = Started {
        pid,
        group: Arc::new(Group::new(pid, pidfd, shared)),
        listener: None,
        stdin: parent_in,
        stdout: parent_out,
        stderr: parent_err,
        report: report_read,
    };
    if let Some(handoff) = &handoff {
        match handoff.take(started.group.leader(), started.report.as_fd()) {
            Ok(Some(listener)) => started.listener = Some(listener),
            // The child failed before installing its filter: its report says
            // why (and `finish` reaps it). No report means it died without
            // one (a signal from outside); reap it here.
            Ok(None) => {
                return Err(started.finish().err().unwrap_or_else(|| {
                    kill_and_reap(pid);
                    handoff_error(io::Error::new(io::ErrorKind::UnexpectedEof, "the child died before exec"))
                }))
            }
            Err(e) => {
                kill_and_reap(pid);
                return Err(e);
            }
        }
    }
    Ok(started)
}

/// With `SIGCHLD` ignored (or `SA_NOCLDWAIT`) the kernel reaps this
/// process's children itself: the run could never collect its child (every
/// run failed with "No child processes"), so none is started.
fn refuse_ignored_sigchld() -> Result<()> {
    // SAFETY: a zeroed sigaction is a valid output buffer.
    let mut action: libc::sigaction = unsafe { std::mem::zeroed() };
    // SAFETY: reading SIGCHLD's disposition into `action`, changing nothing.
    if unsafe { libc::sigaction(libc::SIGCHLD, std::ptr::null(), &mut action) } != 0 {
        return Ok(());
    }
    if action.sa_sigaction == libc::SIG_IGN || action.sa_flags & libc::SA_NOCLDWAIT != 0 {
        return Err(SandlockError::InvalidArgument {
            what: "SIGCHLD",
            reason: "this process ignores SIGCHLD (SIG_IGN or SA_NOCLDWAIT), so the kernel reaps its children \
                     and no run could collect its own: restore SIGCHLD's default before running sandboxes"
                .into(),
        });
    }
    Ok(())
}

/// Stack of a `vfork_child` child: its frames are small (raw syscalls), the
/// rest is margin; a guard page below each stack catches an overflow.
const CHILD_STACK: usize = 256 * 1024;
const GUARD: usize = 4096;
/// The mapping: guard, the keeper's stack, guard, the child's stack.
const STACKS: usize = GUARD + KEEPER_STACK + GUARD + CHILD_STACK;

/// What the child runs on: prepared by the parent, which (suspended, or
/// in its own copy of memory after a fork) does not touch it until exec.
struct CloneArgs<'a> {
    plan: &'a SpawnPlan,
    fds: &'a ChildFds<'a>,
}

fn run_child(args: &CloneArgs<'_>) -> ! {
    child_main(args.plan, args.fds)
}

/// The tops of the stacks a child of this thread runs on (stacks grow
/// down): its own, when it shares our memory (`vfork_child`, and the
/// guardian's first process before it), and its keeper thread's
/// (`own_fd_table`), in a copy of this mapping after a fork.
struct StackTops {
    child: *mut libc::c_void,
    keeper: *mut libc::c_void,
}

/// The top of this thread's child stack, for a `CLONE_VM|CLONE_VFORK`
/// child of the library's other than a spawn (it serves one at a time).
pub(crate) fn child_stack_top() -> Result<*mut libc::c_void> {
    Ok(CHILD_STACKS_OF_THREAD.with(ChildStacks::tops)?.child)
}

/// The child stacks of each spawning thread, mapped once: unmapping them
/// after every spawn costs TLB-shootdown IPIs, and CLONE_VFORK suspends only
/// the calling thread, so its stacks serve one child at a time.
struct ChildStacks(std::cell::Cell<*mut libc::c_void>);

thread_local! {
    static CHILD_STACKS_OF_THREAD: ChildStacks = const { ChildStacks(std::cell::Cell::new(std::ptr::null_mut())) };
}

impl ChildStacks {
    /// The tops of the stacks, mapping them on first use.
    fn tops(&self) -> Result<StackTops> {
        if self.0.get().is_null() {
            let len = NonZeroUsize::new(STACKS).expect("a stack has pages");
            let rw = ProtFlags::PROT_READ | ProtFlags::PROT_WRITE;
            let flags = MapFlags::MAP_PRIVATE | MapFlags::MAP_STACK;
            // SAFETY: a new anonymous mapping at an address the kernel picks
            // replaces nothing of ours.
            let base = unsafe { mmap_anonymous(None, len, rw, flags) }
                .map_err(|e| SandlockError::io("mapping the child's stack", e.into()))?;
            let keeper_guard = GUARD + KEEPER_STACK;
            // SAFETY: the guard pages below each stack, in the mapping just
            // made, which nothing uses yet.
            let _ = unsafe { mprotect(base, GUARD, ProtFlags::PROT_NONE) };
            // SAFETY: as above; `keeper_guard + GUARD` is within the mapping.
            let _ = unsafe { mprotect(base.byte_add(keeper_guard), GUARD, ProtFlags::PROT_NONE) };
            self.0.set(base.as_ptr());
        }
        let base = self.0.get().cast::<u8>();
        // SAFETY: both offsets are within the mapping of `STACKS` bytes or
        // one past its end, which `add` allows.
        let (keeper, child) = unsafe { (base.add(GUARD + KEEPER_STACK), base.add(STACKS)) };
        Ok(StackTops { child: child.cast(), keeper: keeper.cast() })
    }
}

impl Drop for ChildStacks {
    fn drop(&mut self) {
        if let Some(base) = std::ptr::NonNull::new(self.0.get()) {
            // SAFETY: the mapping `tops` made; its thread is ending, and a
            // child on it was waited for (CLONE_VFORK) or runs on a copy of
            // it (a fork), so nothing uses it.
            let _ = unsafe { munmap(base, STACKS) };
        }
    }
}

/// Start the child like posix_spawn (`clone_child::vfork`), on its own
/// stack, which ends at `top`.
fn vfork_child(plan: &SpawnPlan, fds: &ChildFds<'_>, top: *mut libc::c_void) -> Result<(libc::pid_t, OwnedFd)> {
    // SAFETY: `top` ends a stack mapping of this thread that no other
    // child uses (the caller is suspended until exec); `run_child` only
    // runs `child_main`, which never returns and only makes raw syscalls on
    // memory prepared before this call.
    unsafe { clone_child::vfork(top, run_child, &CloneArgs { plan, fds }) }
        .map_err(|source| SandlockError::Spawn { stage: SpawnStage::ProcessGroup, source })
}

/// Start the child with a plain fork; used when the sandbox has handlers,
/// because the child then waits for the parent to take its listener.
fn fork_child(plan: &SpawnPlan, fds: &ChildFds<'_>) -> Result<(libc::pid_t, OwnedFd)> {
    // SAFETY: `run_child` only runs `child_main`, which makes raw syscalls
    // on memory prepared before the fork and never returns.
    unsafe { clone_child::fork(run_child, &CloneArgs { plan, fds }) }
        .map_err(|source| SandlockError::Spawn { stage: SpawnStage::ProcessGroup, source })
}

fn handoff_error(source: io::Error) -> SandlockError {
    SandlockError::Spawn { stage: SpawnStage::ListenerHandoff, source }
}

fn raw(fd: &Option<OwnedFd>) -> RawFd {
    fd.as_ref().map_or(-1, |f| f.as_raw_fd())
}

impl Started {
    /// Wait for the exec outcome. On failure the child is reaped and the
    /// typed error returned.
    pub(crate) fn finish(&self) -> Result<()> {
        let mut buf = [0u8; 8];
        let mut got = 0;
        while got < buf.len() {
            match read(self.report.as_raw_fd(), &mut buf[got..]) {
                Ok(0) => break,
                Ok(n) => got += n,
                Err(Errno::EINTR) => continue,
                Err(e) => {
                    kill_and_reap(self.pid);
                    return Err(SandlockError::io("reading the child's spawn report", e.into()));
                }
            }
        }
        if got == 0 {
            return Ok(());
        }
        kill_and_reap(self.pid);
        let stage = STAGES.get(u32::from_ne_bytes([buf[0], buf[1], buf[2], buf[3]]) as usize).copied();
        let errno = i32::from_ne_bytes([buf[4], buf[5], buf[6], buf[7]]);
        Err(SandlockError::Spawn {
            stage: stage.unwrap_or(SpawnStage::Exec),
            source: io::Error::from_raw_os_error(errno),
        })
    }
}

/// Kill our child `pid` and reap it; its status does not matter.
pub(crate) fn kill_and_reap(pid: libc::pid_t) {
    let _ = kill(Pid::from_raw(pid), Signal::SIGKILL);
    while let Err(Errno::EINTR) = waitpid(Pid::from_raw(pid), None) {}
    // After the reap: a child killed inside its own watch message could
    // otherwise have it arrive after this one. Nothing can take the freed
    // number in between but a pid space wrapped around in microseconds.
    guardian::forget(pid);
}

/// Stage numbers of the spawn report, in report order.
const STAGES: [SpawnStage; 12] = [
    SpawnStage::ProcessGroup,
    SpawnStage::Stdio,
    SpawnStage::WorkingDirectory,
    SpawnStage::ResourceLimits,
    SpawnStage::Credentials,
    SpawnStage::Capabilities,
    SpawnStage::NoNewPrivs,
    SpawnStage::Landlock,
    SpawnStage::Seccomp,
    SpawnStage::ListenerHandoff,
    SpawnStage::Exec,
    SpawnStage::Namespaces,
];

fn stage_number(stage: SpawnStage) -> u32 {
    STAGES.iter().position(|s| *s == stage).unwrap_or(STAGES.len() - 1) as u32
}

struct ChildFds<'a> {
    stdio: [RawFd; 3],
    report: RawFd,
    /// Where the child registers with the guardian (-1: unwatched).
    guardian: RawFd,
    handoff: Option<&'a Handoff>,
    /// Top of the stack of the child's keeper thread (see `own_fd_table`).
    keeper_stack: *mut libc::c_void,
}

/// The child between fork and exec. Async-signal-safe: raw syscalls only.
fn child_main(plan: &SpawnPlan, fds: &ChildFds<'_>) -> ! {
    let Err((stage, err)) = confine_and_exec(plan, fds);
    let mut report = [0u8; 8];
    report[..4].copy_from_slice(&stage_number(stage).to_ne_bytes());
    report[4..].copy_from_slice(&err.to_ne_bytes());
    // SAFETY: writing a stack buffer to our report pipe, then leaving with
    // exit_group, which runs none of the parent's atexit handlers or
    // destructors and does not return.
    unsafe {
        libc::syscall(libc::SYS_write, fds.report, report.as_ptr(), report.len());
        libc::syscall(libc::SYS_exit_group, 127 as libc::c_long);
    }
    unreachable!("exit_group does not return")
}

enum Never {}

/// A raw syscall with integer (or prepared pointer) arguments, as a result.
macro_rules! sys {
    ($stage:expr, $nr:expr $(, $arg:expr)*) => {
        // SAFETY: each use passes integers, or pointers to memory prepared
        // before fork that outlives the call, as the syscall expects.
        raw_syscall::result(unsafe { libc::syscall($nr $(, $arg)*) }).map_err(|e| ($stage, e))
    };
}

fn confine_and_exec(plan: &SpawnPlan, fds: &ChildFds<'_>) -> Result<Never, (SpawnStage, i32)> {
    use SpawnStage::*;
    sys!(ProcessGroup, libc::SYS_setpgid, 0 as libc::c_long, 0 as libc::c_long)?;
    // Before anything can fail or take long: from here the group dies
    // with the host.
    guardian::watch_me(fds.guardian).map_err(|e| (ProcessGroup, e))?;
    reset_signals();
    task_defaults::reset().map_err(|e| (ResourceLimits, e))?;
    // Nothing of the caller's reaches the program, nor stays with the child
    // until exec: its table holds its stdio, its report and its ruleset.
    let keep = [fds.report, plan.landlock.as_ref().map_or(-1, |fd| fd.as_raw_fd())];
    let keeper = own_fd_table::make_own(fds.keeper_stack, fds.stdio, keep).map_err(|e| (Stdio, e))?;
    if let Some(keeper) = keeper.filter(|_| plan.namespaces & libc::CLONE_NEWUSER != 0) {
        keeper.wait_gone();
    }
    if plan.namespaces != 0 {
        sys!(Namespaces, libc::SYS_unshare, plan.namespaces as libc::c_long)?;
        if plan.namespaces & libc::CLONE_NEWNET != 0 {
            loopback_up().map_err(|e| (Namespaces, e))?;
        }
        if let Some(shm) = &plan.shm {
            shm.enter(plan.landlock.as_ref().map(|fd| fd.as_raw_fd()))?;
        }
    }
    if let Some(cwd) = &plan.cwd {
        sys!(WorkingDirectory, libc::SYS_chdir, cwd.as_ptr())?;
    }
    for &(resource, value) in &plan.rlimits {
        let limit = libc::rlimit { rlim_cur: value, rlim_max: value };
        sys!(
            ResourceLimits,
            libc::SYS_prlimit64,
            0 as libc::c_long,
            resource as libc::c_long,
            &limit as *const libc::rlimit,
            std::ptr::null_mut::<libc::rlimit>()
        )?;
    }
    crate::caps::drop_privileges(plan.keep_caps, plan.uid, plan.gid, plan.drop_groups)?;
    // prctl refuses unused arguments that are not zero.
    sys!(
        NoNewPrivs,
        libc::SYS_prctl,
        libc::PR_SET_NO_NEW_PRIVS as libc::c_long,
        1 as libc::c_long,
        0usize,
        0usize,
        0usize
    )?;
    if let Some(ruleset) = &plan.landlock {
        sys!(Landlock, libc::SYS_landlock_restrict_self, ruleset.as_raw_fd() as libc::c_long, 0 as libc::c_long)?;
    }
    let listener = install_filter(plan)?;
    if plan.notify {
        if let Some(handoff) = fds.handoff {
            handoff.publish_and_wait(listener);
        }
        // Our copy; the supervisor holds its own. A failed close changes nothing.
        let _ = sys!(Seccomp, libc::SYS_close, listener as libc::c_long);
    }
    let _ = sys!(Exec, libc::SYS_execve, plan.program.as_ptr(), plan.argv_ptrs.as_ptr(), plan.envp_ptrs.as_ptr());
    Err((Exec, errno()))
}

/// A new network namespace starts with its loopback down; bring it up so
/// that the sandbox's own processes can talk over 127.0.0.1.
fn loopback_up() -> Result<(), i32> {
    let stage = SpawnStage::Namespaces;
    let sock = sys!(
        stage,
        libc::SYS_socket,
        libc::AF_INET as libc::c_long,
        (libc::SOCK_DGRAM | libc::SOCK_CLOEXEC) as libc::c_long,
        0 as libc::c_long
    )
    .map_err(|(_, e)| e)?;
    // struct ifreq: the name, then the flags (a short) at offset 16.
    let mut ifreq = [0u8; 40];
    ifreq[..2].copy_from_slice(b"lo");
    let result = sys!(stage, libc::SYS_ioctl, sock, libc::SIOCGIFFLAGS, ifreq.as_mut_ptr()).and_then(|_| {
        let flags = i16::from_ne_bytes([ifreq[16], ifreq[17]]) | libc::IFF_UP as i16;
        ifreq[16..18].copy_from_slice(&flags.to_ne_bytes());
        sys!(stage, libc::SYS_ioctl, sock, libc::SIOCSIFFLAGS, ifreq.as_ptr())
    });
    let _ = sys!(stage, libc::SYS_close, sock);
    result.map(|_| ()).map_err(|(_, e)| e)
}

fn install_filter(plan: &SpawnPlan) -> Result<RawFd, (SpawnStage, i32)> {
    let base = if plan.notify { libc::SECCOMP_FILTER_FLAG_NEW_LISTENER } else { 0 };
    // Once received, only a fatal signal may interrupt the child's wait, so a
    // handler's side effects are never repeated by a restarted syscall.
    let preferred = if plan.notify { base | libc::SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV } else { base };
    match bpf::install(&plan.filter, preferred) {
        Ok(fd) => Ok(fd),
        Err(e) if preferred != base && e.raw_os_error() == Some(libc::EINVAL) => bpf::install(&plan.filter, base)
            .map_err(|e| (SpawnStage::Seccomp, e.raw_os_error().unwrap_or(libc::EINVAL))),
        Err(e) => Err((SpawnStage::Seccomp, e.raw_os_error().unwrap_or(libc::EINVAL))),
    }
}

/// Signals the caller ignores would stay ignored across exec (Rust ignores
/// SIGPIPE, for one); the program starts with default dispositions and an
/// empty mask. Raw `rt_sigaction`, which unlike glibc's wrapper also resets
/// the signals glibc keeps for itself.
fn reset_signals() {
    // An all-zero kernel `struct sigaction` is SIG_DFL, no flags and an empty
    // mask whatever the architecture's field order; 32 bytes covers it.
    let default = [0u64; 4];
    let empty: u64 = 0;
    for sig in 1..=64 {
        if sig != libc::SIGKILL && sig != libc::SIGSTOP {
            // SAFETY: `default` outlives the call and is large enough for the
            // kernel's sigaction; the old action is not asked for. A signal
            // the kernel refuses stays as it was.
            unsafe { libc::syscall(libc::SYS_rt_sigaction, sig as libc::c_long, default.as_ptr(), 0usize, 8usize) };
        }
    }
    // SAFETY: `empty` is the 8-byte kernel sigset the syscall reads.
    unsafe {
        libc::syscall(libc::SYS_rt_sigprocmask, libc::SIG_SETMASK as libc::c_long, &empty as *const u64, 0usize, 8usize)
    };
}
