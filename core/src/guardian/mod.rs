//! The guardian: a process beside the host that kills the host's sandboxes
//! once the host is gone. A sandbox's timeout and its handlers live in the
//! host's threads, so a host killed, crashed or exiting without waiting
//! left its sandboxes running unsupervised, reparented to init.
//!
//! The guardian (`program.c`, embedded and exec'd from a sealed memfd, so
//! nothing need be installed) is started on a process's first spawn. It
//! forks once and its first process exits, which the host reaps at once:
//! the guardian is an orphan, init's child (or that of the nearest
//! subreaper, the host itself if it is one), so no `wait(-1)` of the host
//! waits for it. A sibling of the host (`CLONE_PARENT`) would have left a
//! zombie per host with the host's parent, which a service starting
//! `sandlock` commands never reaps. The host keeps one end of a
//! `SOCK_SEQPACKET` pair; every spawned child, right after it takes its
//! process group and before it execs, sends its pid on it (WATCH), and the
//! host sends it again once that run is over, before the leader's reap
//! frees the number (FORGET). The guardian sees end of file once every
//! copy of that end is closed — the host's, and that of each child it was
//! starting — and then kills every group still watched, whatever became
//! of its leader: a leader that exits the moment its parent changes may be
//! reaped by init before the guardian looks, while the rest of its group
//! holds the group's number. A child registers itself rather than the host
//! registering it after the clone, so no host death between the two leaves
//! a sandbox unwatched. A guardian started anew, the last one killed, is
//! told of every run not yet over.
//!
//! Where the guardian cannot start (exec from a memfd refused, as under
//! `vm.memfd_noexec = 2`), spawns run unwatched, as before it existed
//! (docs/threat-model.md). A host that is PID 1 of a pid namespace needs
//! none: its death ends every process of the namespace.

use std::collections::BTreeSet;
use std::ffi::{c_char, CString};
use std::io;
use std::os::fd::{AsFd, AsRawFd, IntoRawFd, OwnedFd, RawFd};
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::{Mutex, RwLock, RwLockReadGuard};
use std::time::{Duration, Instant};

use nix::errno::Errno;
use nix::sys::socket::{socketpair, AddressFamily, SockFlag, SockType};
use nix::sys::stat::fstat;
use nix::sys::wait::{waitpid, WaitStatus};
use nix::unistd::{getpid, Pid};

use crate::clone_child;
use crate::fork_locks::ClosedInForks;
use crate::raw_syscall;

/// The guardian program, built by `build.rs`.
static PROGRAM: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/guardian"));

/// The guardian's first process's exit status when its fork was refused
/// (program.c's `FORK_REFUSED`).
const FORK_REFUSED: i32 = 3;

/// How long after a failed start the next spawn tries again; a start that
/// failed for good (exec refused) is not tried again.
const RETRY_AFTER: Duration = Duration::from_secs(1);

enum State {
    Unstarted,
    Running(Running),
    Failed { retry_at: Option<Instant> },
}

/// The host's end of the guardian's socket, and which file it is: a host
/// that closed our fd (a daemon closing every fd) may have a new file at
/// that number, which must never receive the guardian's messages.
struct Running {
    socket: OwnedFd,
    identity: (u64, u64),
    /// The process that started it: a forked host holds a copy of its
    /// parent's end, which must not keep that guardian waiting.
    owner: libc::pid_t,
    /// A child the host forks without exec (a prefork server's worker,
    /// Python's `os.fork`) closes its copy at once: it would keep the
    /// guardian from seeing the host's death for as long as it lives. Its
    /// state still names the parent, and its first spawn starts a guardian
    /// of its own, leaving the number alone once it names another file.
    _closed_in_forks: ClosedInForks,
}

static STATE: RwLock<State> = RwLock::new(State::Unstarted);

/// This process's runs not yet over, by group id: a guardian started anew
/// (the last one killed) is told to watch them too. Its lock is taken
/// after `STATE`'s, never before.
static RUNS: Mutex<Runs> = Mutex::new(Runs { owner: 0, groups: BTreeSet::new() });

struct Runs {
    owner: libc::pid_t,
    groups: BTreeSet<libc::pid_t>,
}

impl Runs {
    /// The runs of the process `me` (ours): a forked host's copy holds its
    /// parent's.
    fn of_process(&mut self, me: libc::pid_t) -> &mut BTreeSet<libc::pid_t> {
        if self.owner != me {
            self.owner = me;
            self.groups.clear();
        }
        &mut self.groups
    }
}

fn runs() -> std::sync::MutexGuard<'static, Runs> {
    RUNS.lock().unwrap_or_else(|e| e.into_inner())
}

/// The guardian's socket for one spawn, held until the clone has copied it
/// into the child: no restart closes it meanwhile.
pub(crate) struct ForSpawn(RwLockReadGuard<'static, State>);

impl ForSpawn {
    /// The fd the child registers on, or -1 to run unwatched.
    pub(crate) fn fd(&self) -> RawFd {
        match &*self.0 {
            State::Running(running) => running.socket.as_raw_fd(),
            _ => -1,
        }
    }
}

/// The guardian's socket, starting the guardian if none runs for this
/// process (first spawn, the guardian killed, the host forked). A start
/// runs its first process on the stack that ends at `stack_top`, which no
/// other child uses until this returns (the spawning thread's child stack).
pub(crate) fn for_spawn(stack_top: *mut libc::c_void) -> ForSpawn {
    let read = || STATE.read().unwrap_or_else(|e| e.into_inner());
    {
        let state = read();
        if usable(&state) {
            return ForSpawn(state);
        }
    }
    {
        let mut state = STATE.write().unwrap_or_else(|e| e.into_inner());
        if !usable(&state) {
            let old = std::mem::replace(&mut *state, State::Unstarted);
            if let State::Running(running) = old {
                discard(running);
            }
            *state = match start(stack_top) {
                Ok(running) => {
                    for &pgid in runs().of_process(running.owner).iter() {
                        let _ = send(running.socket.as_raw_fd(), WATCH, pgid as u32);
                    }
                    State::Running(running)
                }
                Err(failure) => State::Failed { retry_at: failure.retry.then(|| Instant::now() + RETRY_AFTER) },
            };
        }
    }
    ForSpawn(read())
}

/// `STATE` and `RUNS`, taken by the thread that forks
/// ([`crate::fork_locks`]): a spawn holds `STATE` until its child has
/// exec'd, and a fork meanwhile left the new process a lock no thread of
/// its would release.
pub(crate) fn held_across_fork() -> Box<dyn std::any::Any> {
    Box::new((STATE.write().unwrap_or_else(|e| e.into_inner()), runs()))
}

fn usable(state: &State) -> bool {
    match state {
        State::Unstarted => false,
        State::Running(running) => running.owner == getpid().as_raw() && intact(running),
        State::Failed { retry_at } => retry_at.map_or(true, |at| Instant::now() < at),
    }
}

/// The socket is still ours and its peer, the guardian, still holds its end.
fn intact(running: &Running) -> bool {
    if identity(&running.socket).ok() != Some(running.identity) {
        return false;
    }
    let mut poll = libc::pollfd { fd: running.socket.as_raw_fd(), events: 0, revents: 0 };
    // SAFETY: one pollfd on the stack, a zero timeout.
    let ready = unsafe { libc::poll(&mut poll, 1, 0) };
    ready == 0 || poll.revents & (libc::POLLHUP | libc::POLLERR | libc::POLLNVAL) == 0
}

/// Close an end we no longer use — unless its number now names another
/// file of the host's, which stays open.
fn discard(running: Running) {
    if identity(&running.socket).ok() != Some(running.identity) {
        let _ = running.socket.into_raw_fd();
    }
}

fn identity(fd: &OwnedFd) -> nix::Result<(u64, u64)> {
    let stat = fstat(fd.as_raw_fd())?;
    Ok((stat.st_dev, stat.st_ino))
}

struct StartFailure {
    /// The cause may pass (no memory, a process limit): try again later.
    retry: bool,
}

impl From<nix::Error> for StartFailure {
    fn from(_: nix::Error) -> StartFailure {
        StartFailure { retry: true }
    }
}

impl From<io::Error> for StartFailure {
    fn from(_: io::Error) -> StartFailure {
        StartFailure { retry: true }
    }
}

/// Start a guardian beside this process, its first process on the stack
/// that ends at `stack_top`.
fn start(stack_top: *mut libc::c_void) -> Result<Running, StartFailure> {
    if getpid().as_raw() == 1 || children_start_a_pid_namespace() {
        return Err(StartFailure { retry: false });
    }
    let (host_end, guardian_end) = socketpair(AddressFamily::Unix, SockType::SeqPacket, None, SockFlag::SOCK_CLOEXEC)?;
    let program = crate::memfd::sealed_program(c"sandlock-guardian", PROGRAM)?;
    let argv0 = c"sandlock-guardian";
    let socket_arg = CString::new(guardian_end.as_raw_fd().to_string()).expect("digits have no NUL");
    let argv: [*const c_char; 3] = [argv0.as_ptr(), socket_arg.as_ptr(), std::ptr::null()];
    let envp: [*const c_char; 1] = [std::ptr::null()];
    let exec_errno = AtomicI32::new(0);
    let child = GuardianChild {
        socket: guardian_end.as_raw_fd(),
        program: program.as_raw_fd(),
        argv: &argv,
        envp: &envp,
        exec_errno: &exec_errno,
    };
    // SAFETY: the caller vouches that no one else uses the stack until we
    // return; the child runs only `GuardianChild::exec`, which makes raw
    // syscalls on memory prepared above and never returns.
    let started = unsafe { clone_child::vfork(stack_top, GuardianChild::exec, &child) };
    drop((guardian_end, program));
    let Ok((pid, _pidfd)) = started else {
        return Err(StartFailure { retry: true });
    };
    // The first process exits at once, after its fork or its failed exec.
    // A wait of the host's own may take it first (ECHILD here); a signal
    // must not end this wait early, or the process is left a zombie.
    let first = loop {
        match waitpid(Pid::from_raw(pid), None) {
            Err(Errno::EINTR) => continue,
            other => break other,
        }
    };
    if matches!(first, Ok(WaitStatus::Exited(_, FORK_REFUSED))) {
        // The host is at its task limit: no guardian for now.
        return Err(StartFailure { retry: true });
    }
    if exec_errno.load(Ordering::Relaxed) != 0 {
        // The exec was refused, and will be again: no more tries.
        return Err(StartFailure { retry: false });
    }
    let identity = identity(&host_end)?;
    let closed_in_forks = ClosedInForks::new(host_end.as_fd());
    Ok(Running { socket: host_end, identity, owner: getpid().as_raw(), _closed_in_forks: closed_in_forks })
}

/// A process that unshared its pid namespace (`unshare --pid` without
/// `--fork`) makes its next child that namespace's init, and the namespace
/// ends when that child exits: the guardian's first process, which exits at
/// once, would leave no namespace for the sandboxes. Such a host runs its
/// sandboxes unwatched, as before the guardian. The kernel names the
/// children's namespace only once it has an init (ENOENT before).
fn children_start_a_pid_namespace() -> bool {
    match (std::fs::read_link("/proc/self/ns/pid"), std::fs::read_link("/proc/self/ns/pid_for_children")) {
        (Ok(own), Ok(children)) => own != children,
        (Ok(_), Err(e)) => e.kind() == io::ErrorKind::NotFound,
        _ => false,
    }
}

/// What the guardian's child needs between the clone and its exec.
struct GuardianChild<'a> {
    socket: RawFd,
    program: RawFd,
    argv: &'a [*const c_char; 3],
    envp: &'a [*const c_char; 1],
    /// Where a failed exec leaves its errno, in the memory we share.
    exec_errno: &'a AtomicI32,
}

impl GuardianChild<'_> {
    /// Keep the socket (clearing its close-on-exec flag) and nothing else of
    /// the host's, then exec the program; on failure leave errno and exit.
    fn exec(&self) -> ! {
        let everything_but_socket = [(0, self.socket - 1), (self.socket + 1, libc::c_int::MAX)];
        // SAFETY: integer arguments only: fd numbers and flags.
        let kept = unsafe { raw_syscall::call(libc::SYS_fcntl, [self.socket as usize, libc::F_SETFD as usize, 0]) };
        for (first, last) in everything_but_socket.into_iter().filter(|(first, last)| first <= last) {
            // Marked close-on-exec rather than closed: the program must
            // stay open until exec. A kernel without
            // close_range leaves them to their own flags.
            // SAFETY: integer arguments only.
            let _ = unsafe {
                raw_syscall::call(
                    libc::SYS_close_range,
                    [first as usize, last as usize, libc::CLOSE_RANGE_CLOEXEC as usize],
                )
            };
        }
        let errno = match kept {
            // SAFETY: the path is an empty C string and argv/envp are
            // NULL-terminated arrays of C strings, all alive in this
            // process's copy of the parent's memory.
            Ok(_) => match unsafe {
                raw_syscall::call(
                    libc::SYS_execveat,
                    [
                        self.program as usize,
                        c"".as_ptr() as usize,
                        self.argv.as_ptr() as usize,
                        self.envp.as_ptr() as usize,
                        libc::AT_EMPTY_PATH as usize,
                    ],
                )
            } {
                Ok(_) => 0,
                Err(errno) => errno,
            },
            Err(errno) => errno,
        };
        self.exec_errno.store(errno.max(1), Ordering::Relaxed);
        // SAFETY: exit_group ends this child alone (a process of its own),
        // runs none of the host's exit handlers and does not return.
        unsafe {
            let _ = raw_syscall::call(libc::SYS_exit_group, [127]);
        }
        unreachable!("exit_group does not return")
    }
}

/// The guardian's operations: the words of one message are the operation
/// and a pid (program.c).
const WATCH: u32 = 1;
const FORGET: u32 = 2;

/// How long a spawned child waits for room on the guardian's socket (a
/// guardian held stopped fills it) before its spawn fails.
const WATCH_WAIT_MS: usize = 2000;
const WATCH_WAIT_STEP_MS: usize = 100;

/// In a spawned child before exec (raw syscalls only): have the guardian
/// on `socket` watch our group, named by our pid. Nothing to do for -1.
pub(crate) fn watch_me(socket: RawFd) -> Result<(), i32> {
    if socket < 0 {
        return Ok(());
    }
    // SAFETY: getpid takes no arguments.
    let pid = unsafe { raw_syscall::call(libc::SYS_getpid, []) }? as u32;
    for _ in 0..WATCH_WAIT_MS / WATCH_WAIT_STEP_MS {
        match send(socket, WATCH, pid) {
            Err(libc::EAGAIN) => wait_for_room(socket, WATCH_WAIT_STEP_MS),
            Err(libc::EINTR) => {}
            sent => return sent,
        }
    }
    Err(libc::EAGAIN)
}

/// Wait up to `ms` for `socket` to take a message (raw `ppoll`, which
/// every architecture has).
fn wait_for_room(socket: RawFd, ms: usize) {
    let mut poll = libc::pollfd { fd: socket, events: libc::POLLOUT, revents: 0 };
    let timeout = libc::timespec { tv_sec: (ms / 1000) as libc::time_t, tv_nsec: ((ms % 1000) * 1_000_000) as _ };
    // SAFETY: one pollfd and a timespec on this stack frame, no signal mask.
    let _ = unsafe {
        raw_syscall::call(
            libc::SYS_ppoll,
            [&mut poll as *mut libc::pollfd as usize, 1, &timeout as *const libc::timespec as usize, 0, 0],
        )
    };
}

/// A child of ours that leads the group `pgid` started: a guardian started
/// later watches it too.
pub(crate) fn started(pgid: libc::pid_t) {
    runs().of_process(getpid().as_raw()).insert(pgid);
}

/// The run of the sandbox whose group is `pgid` is over: its group was
/// killed, and its leader is reaped or about to be, after which the number
/// may be someone else's. A guardian held stopped, its socket full, misses
/// the message rather than stall the run (docs/threat-model.md).
pub(crate) fn forget(pgid: libc::pid_t) {
    let state = STATE.read().unwrap_or_else(|e| e.into_inner());
    let me = getpid().as_raw();
    runs().of_process(me).remove(&pgid);
    // A forked host's groups are its parent's, watched by that guardian.
    if let State::Running(running) = &*state {
        if running.owner == me {
            let _ = send(running.socket.as_raw_fd(), FORGET, pgid as u32);
        }
    }
}

/// One message, never blocking, with raw syscalls (the spawned child sends
/// one too).
fn send(socket: RawFd, operation: u32, pid: u32) -> Result<(), i32> {
    let message = [operation, pid];
    let flags = libc::MSG_NOSIGNAL | libc::MSG_DONTWAIT;
    // SAFETY: `message` lives on this stack frame for the call; no address
    // is given; MSG_NOSIGNAL keeps a gone guardian from raising SIGPIPE.
    unsafe {
        raw_syscall::call(
            libc::SYS_sendto,
            [socket as usize, message.as_ptr() as usize, std::mem::size_of_val(&message), flags as usize],
        )
    }
    .map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_program_is_a_static_executable_for_this_architecture() {
        assert_eq!(&PROGRAM[..4], b"\x7fELF");
        let elf = goblin::elf::Elf::parse(PROGRAM).expect("the guardian parses as ELF");
        assert!(elf.interpreter.is_none(), "the guardian must need no dynamic loader");
        assert!(elf.libraries.is_empty());
        #[cfg(target_arch = "x86_64")]
        assert_eq!(elf.header.e_machine, goblin::elf::header::EM_X86_64);
        #[cfg(target_arch = "aarch64")]
        assert_eq!(elf.header.e_machine, goblin::elf::header::EM_AARCH64);
    }
}
