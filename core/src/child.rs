//! A running sandbox: its process group, the supervisor answering its
//! notifications, and the one poll loop that waits for exit, timeout and
//! output.

use std::os::fd::BorrowedFd;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use nix::errno::Errno;
use nix::poll::{PollFd, PollFlags, PollTimeout};

use crate::error::{Result, SandlockError};
use crate::group::Group;
use crate::output::{Capture, Feed};
use crate::policy_fn::{Event, FlagLog};
use crate::private_tmp::PrivateTmp;
use crate::seccomp::supervisor::Supervisor;
use crate::status::{ExitStatus, HandlerKill, RunOutput};

/// After the leader exits and the group is killed, how long output pipes
/// held by dying processes may take to reach EOF.
const DRAIN_LIMIT: Duration = Duration::from_secs(1);

/// A sandboxed program started with [`crate::Sandbox::spawn`]. Dropping it
/// kills the whole process group and reaps it.
pub struct Child {
    pid: libc::pid_t,
    supervisor: Option<Supervisor>,
    deadline: Option<Instant>,
    status: Option<ExitStatus>,
    handler_kill: Option<HandlerKill>,
    group: GroupSignal,
    /// Keeps this child's entry in the timer alive.
    timeout: Option<Arc<dyn crate::timer::Due>>,
    flagged: Option<FlagLog>,
    /// Removed once the group is gone.
    private_tmp: Option<PrivateTmp>,
}

/// Reads the events a `policy_fn` flagged in a spawned child's run; take
/// one with [`Child::flagged_reader`].
#[derive(Clone)]
pub struct FlaggedReader(Option<FlagLog>);

impl FlaggedReader {
    /// The events flagged so far, and how many more were flagged than kept.
    pub fn flagged(&self) -> (Vec<Event>, u64) {
        self.0.as_ref().map(|log| log.snapshot()).unwrap_or_default()
    }
}

/// What the signallers of a group, its timeout and its reaper share.
struct GroupState {
    group: Arc<Group>,
    timed_out: AtomicBool,
}

/// Sends signals to the sandbox's process group from any thread, also while
/// another thread waits on the [`Child`]; never once the leader is reaped
/// (its pid, the group's id, may then belong to someone else).
/// Take one with [`Child::signaller`].
#[derive(Clone)]
pub struct GroupSignal {
    state: Arc<GroupState>,
}

impl GroupSignal {
    /// Send `sig` to every process of the sandbox. Returns false, sending
    /// nothing, when the sandbox has ended and been reaped.
    pub fn signal(&self, sig: i32) -> Result<bool> {
        // 0 only tests, and a negative or unknown number means nothing.
        if !(1..=64).contains(&sig) {
            return Err(SandlockError::InvalidArgument { what: "signal", reason: format!("{sig} is not in 1..=64") });
        }
        let sent = self.state.group.while_held(|pgid| {
            // SAFETY: killpg has no memory effects; `while_held` vouches
            // that the group id is still the sandbox's.
            if unsafe { libc::killpg(pgid, sig) } < 0 {
                Err(SandlockError::last_os("signalling the sandbox's process group"))
            } else {
                Ok(())
            }
        });
        sent.transpose().map(|sent| sent.is_some())
    }

    /// Kill the group for the timeout, unless it was reaped.
    fn time_out(&self) {
        if let Ok(true) = self.signal(libc::SIGKILL) {
            self.state.timed_out.store(true, Ordering::Relaxed);
        }
    }

    /// Mark the leader as about to be reaped: no signal is sent after this.
    fn retire(&self) {
        self.state.group.retire();
    }
}

/// The timeout of a spawned child nobody may be waiting on, for the
/// process's one timer thread; dropped with the child.
struct Timeout(GroupSignal);

impl crate::timer::Due for Timeout {
    fn due(&self) {
        self.0.time_out();
    }
}

/// Pipes of a captured run.
pub(crate) struct Streams {
    pub stdin: Feed,
    pub stdout: Capture,
    pub stderr: Capture,
}

impl Child {
    /// With `timer`, the process's timer thread enforces the timeout even if
    /// nobody waits (for `spawn`); otherwise the waiting loop does.
    pub(crate) fn new(
        group: Arc<Group>,
        supervisor: Option<Supervisor>,
        timeout: Option<Duration>,
        timer: bool,
        flagged: Option<FlagLog>,
    ) -> Result<Child> {
        let deadline = timeout.and_then(|t| Instant::now().checked_add(t));
        let pid = group.pgid();
        let group = GroupSignal { state: Arc::new(GroupState { group, timed_out: AtomicBool::new(false) }) };
        let mut child = Child {
            pid,
            supervisor,
            deadline,
            status: None,
            handler_kill: None,
            group,
            timeout: None,
            flagged,
            private_tmp: None,
        };
        if let (Some(deadline), true) = (deadline, timer) {
            let timeout: Arc<dyn crate::timer::Due> = Arc::new(Timeout(child.group.clone()));
            // On failure `child` is dropped, which kills and reaps the sandbox.
            crate::timer::schedule(deadline, &timeout)
                .map_err(|e| SandlockError::io("starting the timer thread", e))?;
            child.timeout = Some(timeout);
        }
        Ok(child)
    }

    /// The run's private temporary directory, removed when it is reaped.
    pub(crate) fn with_private_tmp(mut self, tmp: Option<PrivateTmp>) -> Child {
        self.private_tmp = tmp;
        self
    }

    /// Process id of the sandboxed program, which is also its process group.
    pub fn pid(&self) -> u32 {
        self.pid as u32
    }

    /// True when the policy's timeout killed the sandbox.
    pub fn timed_out(&self) -> bool {
        self.group.state.timed_out.load(Ordering::Relaxed)
    }

    /// The handler kill that ended the sandbox, once it was waited for.
    pub fn handler_kill(&self) -> Option<HandlerKill> {
        self.handler_kill
    }

    /// The events a `policy_fn` flagged so far (the first
    /// [`crate::policy_fn::MAX_FLAGGED`], holding at most
    /// [`crate::policy_fn::MAX_FLAGGED_BYTES`]), and how many more it flagged.
    pub fn flagged(&self) -> (Vec<Event>, u64) {
        self.flagged.as_ref().map(|log| log.snapshot()).unwrap_or_default()
    }

    /// A handle that reads the flagged events from any thread, also while
    /// another one waits on this child.
    pub fn flagged_reader(&self) -> FlaggedReader {
        FlaggedReader(self.flagged.clone())
    }

    /// A handle that signals the sandbox's group from any thread, also
    /// while another one waits on this child.
    pub fn signaller(&self) -> GroupSignal {
        self.group.clone()
    }

    /// Wait until the program exits (or the policy's timeout kills it).
    pub fn wait(&mut self) -> Result<ExitStatus> {
        loop {
            if let Some(status) = self.wait_until(None, None)? {
                return Ok(status);
            }
        }
    }

    /// Wait at most `limit`; `None` if the program is still running.
    pub fn wait_timeout(&mut self, limit: Duration) -> Result<Option<ExitStatus>> {
        // A limit past what the clock holds is no limit.
        self.wait_until(Instant::now().checked_add(limit), None)
    }

    /// Kill every process of the sandbox (`SIGKILL` to the process group).
    /// The status is collected by the next wait.
    pub fn kill(&mut self) -> Result<()> {
        self.signal(libc::SIGKILL)
    }

    /// Send `sig` to every process of the sandbox (`killpg` on its group),
    /// for a front end that forwards the signals it receives. It does
    /// nothing once the leader is reaped, when its pid (the group id) may
    /// belong to someone else (see [`GroupSignal`]).
    pub fn signal(&mut self, sig: i32) -> Result<()> {
        self.group.signal(sig).map(|_| ())
    }

    /// Wait for exit while feeding/capturing `streams`, then drain them.
    pub(crate) fn wait_with_output(mut self, mut streams: Streams) -> Result<RunOutput> {
        let status = loop {
            if let Some(status) = self.wait_until(None, Some(&mut streams))? {
                break status;
            }
        };
        let drain_end = Instant::now() + DRAIN_LIMIT;
        while streams.stdout.is_open() || streams.stderr.is_open() {
            if !poll_streams(None, &mut streams, remaining(Some(drain_end)))? {
                break;
            }
        }
        let (flagged, flagged_dropped) = self.flagged.as_ref().map(|log| log.take()).unwrap_or_default();
        Ok(RunOutput {
            status,
            flagged,
            flagged_dropped,
            stdout: std::mem::take(&mut streams.stdout.data),
            stderr: std::mem::take(&mut streams.stderr.data),
            timed_out: self.timed_out(),
            handler_kill: self.handler_kill,
            stdout_truncated: streams.stdout.truncated,
            stderr_truncated: streams.stderr.truncated,
        })
    }

    fn wait_until(&mut self, limit: Option<Instant>, mut streams: Option<&mut Streams>) -> Result<Option<ExitStatus>> {
        if let Some(status) = self.status {
            return Ok(Some(status));
        }
        loop {
            let now = Instant::now();
            if let Some(deadline) = self.deadline {
                if now >= deadline && !self.timed_out() {
                    self.group.time_out();
                }
            }
            if self.exited()? {
                return self.reap().map(Some);
            }
            if limit.is_some_and(|l| now >= l) {
                return Ok(None);
            }
            let next = match (limit, self.deadline.filter(|_| !self.timed_out())) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
            let timeout = remaining(next);
            match streams.as_deref_mut() {
                Some(streams) => {
                    poll_streams(Some(self.group.state.group.leader()), streams, timeout)?;
                }
                None => {
                    poll_fds(&mut [PollFd::new(self.group.state.group.leader(), PollFlags::POLLIN)], timeout)?;
                }
            }
        }
    }

    /// True once the leader has exited (it stays a zombie until `reap`).
    fn exited(&self) -> Result<bool> {
        // libc's waitid, not nix's: nix's `WaitStatus` has no real-time
        // signals, so it fails for a leader killed by one.
        // SAFETY: all-zero bytes are a valid siginfo_t (integers and a union
        // of integers).
        let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
        // SAFETY: `info` is a live local the kernel may write whole; the
        // other arguments are integers. WNOWAIT leaves the zombie in place.
        let rc = unsafe {
            libc::waitid(libc::P_PID, self.pid as libc::id_t, &mut info, libc::WEXITED | libc::WNOHANG | libc::WNOWAIT)
        };
        if rc < 0 {
            return Err(reaped_elsewhere_or("waiting for the sandboxed program"));
        }
        // The leader in a ptrace stop of the run's own tracer is reported
        // too (the tracer is a thread of this process): that is no exit.
        let exit = matches!(info.si_code, libc::CLD_EXITED | libc::CLD_KILLED | libc::CLD_DUMPED);
        // SAFETY: reading the union as child-status fields is what waitid
        // filled for a child it reports; with WNOHANG and nothing to report
        // it left `info` zeroed, so `si_pid` reads 0.
        Ok(exit && unsafe { info.si_pid() } != 0)
    }

    /// Kill what is left of the group while the leader's pid is still held
    /// by its zombie, then reap the leader and stop the supervisor.
    fn reap(&mut self) -> Result<ExitStatus> {
        // What is left of the group, while its id is still held by the zombie.
        let _ = self.group.signal(libc::SIGKILL);
        self.group.retire();
        let mut raw = 0;
        // libc's waitpid, for the reason `exited` gives.
        // SAFETY: reaping our own child into a local status word, which
        // outlives the call.
        while unsafe { libc::waitpid(self.pid, &mut raw, 0) } < 0 {
            let err = std::io::Error::last_os_error();
            if err.kind() != std::io::ErrorKind::Interrupted {
                return Err(reaped_elsewhere_or("reaping the sandboxed program"));
            }
        }
        let status = ExitStatus::from_wait_status(raw);
        self.status = Some(status);
        // The group was killed above: nothing of the run writes there now.
        drop(self.private_tmp.take());
        // Stopped before any orphan is reaped: the receiving threads end
        // with the run even where nobody ever reaps them (a subreaper above
        // this process that never does; tests/unreaped_orphans.rs).
        if let Some(supervisor) = self.supervisor.take() {
            self.handler_kill = supervisor.stop();
        }
        reap_adopted_orphans(self.pid);
        Ok(status)
    }
}

/// The last OS error of a wait on the leader, as `context` — or, for
/// `ECHILD`, what took the child: another wait in this process.
fn reaped_elsewhere_or(context: &'static str) -> SandlockError {
    let err = std::io::Error::last_os_error();
    if err.raw_os_error() == Some(libc::ECHILD) {
        return SandlockError::io(
            "waiting for the sandboxed program, which another wait in this process reaped (a SIGCHLD handler or \
             waitpid(-1) must wait only for its own children)",
            err,
        );
    }
    SandlockError::io(context, err)
}

/// How long a run waits for the rest of its killed group to be gone when
/// this process adopts the sandbox's orphans.
const ORPHAN_LIMIT: Duration = Duration::from_secs(1);

/// In a process that is a subreaper (a container's init, a service
/// manager), the sandbox's orphans become its children: reap those of the
/// group `pgid`, which was just killed, until the group is gone — each
/// run's orphans were left as zombies of the host.
fn reap_adopted_orphans(pgid: i32) {
    let mut subreaper: libc::c_int = 0;
    // SAFETY: PR_GET_CHILD_SUBREAPER writes one int into `subreaper`.
    let known = unsafe { libc::prctl(libc::PR_GET_CHILD_SUBREAPER, &mut subreaper as *mut libc::c_int) } == 0;
    if !known || subreaper == 0 {
        return;
    }
    let deadline = Instant::now() + ORPHAN_LIMIT;
    loop {
        loop {
            // SAFETY: a zeroed siginfo_t is a valid output buffer.
            let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
            // SAFETY: waitid writes one siginfo_t; P_PGID reaps only our
            // own children in the sandbox's group.
            let rc =
                unsafe { libc::waitid(libc::P_PGID, pgid as libc::id_t, &mut info, libc::WEXITED | libc::WNOHANG) };
            // SAFETY: with WNOHANG and nothing to report, waitid left
            // `info` zeroed, so `si_pid` reads 0.
            if rc != 0 || unsafe { info.si_pid() } == 0 {
                break;
            }
        }
        // SAFETY: signal 0 to the group only tests whether a member is left.
        let group_gone = unsafe { libc::kill(-pgid, 0) } != 0;
        if group_gone || Instant::now() >= deadline {
            return;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
}

impl Drop for Child {
    fn drop(&mut self) {
        if self.status.is_none() && self.group.state.group.owned_here() {
            let _ = self.kill();
            let _ = self.wait();
        }
    }
}

/// How long to wait until `until`, rounded up to whole milliseconds so a
/// poll never returns just before the deadline.
fn remaining(until: Option<Instant>) -> PollTimeout {
    match until {
        None => PollTimeout::NONE,
        Some(t) => {
            let left = t.saturating_duration_since(Instant::now());
            let ms = left.as_millis().saturating_add(u128::from(left.subsec_nanos() % 1_000_000 != 0));
            PollTimeout::try_from(ms).unwrap_or(PollTimeout::MAX)
        }
    }
}

/// `poll`, with an interrupted wait counting as nothing ready.
fn poll_fds(fds: &mut [PollFd<'_>], timeout: PollTimeout) -> Result<i32> {
    match nix::poll::poll(fds, timeout) {
        Ok(n) => Ok(n),
        Err(Errno::EINTR) => Ok(0),
        Err(e) => Err(SandlockError::io("polling the sandboxed program", e.into())),
    }
}

/// One poll over the pidfd (if any) and the open streams; services the
/// streams that are ready. Returns false when nothing became ready.
fn poll_streams(pidfd: Option<BorrowedFd<'_>>, streams: &mut Streams, timeout: PollTimeout) -> Result<bool> {
    // Which stream each entry serves (0 stdin, 1 stdout, 2 stderr; none for
    // the pidfd), so the streams can be serviced once the poll set is gone.
    let mut served = [None; 4];
    let mut ready = [false; 4];
    {
        let mut fds = Vec::with_capacity(4);
        if let Some(fd) = pidfd {
            fds.push(PollFd::new(fd, PollFlags::POLLIN));
        }
        let slots = [streams.stdin.fd(), streams.stdout.fd(), streams.stderr.fd()];
        for (i, fd) in slots.into_iter().enumerate() {
            if let Some(fd) = fd {
                served[fds.len()] = Some(i);
                fds.push(PollFd::new(fd, if i == 0 { PollFlags::POLLOUT } else { PollFlags::POLLIN }));
            }
        }
        if poll_fds(&mut fds, timeout)? == 0 {
            return Ok(false);
        }
        for (slot, pfd) in ready.iter_mut().zip(&fds) {
            *slot = pfd.revents().is_some_and(|r| !r.is_empty());
        }
    }
    for (stream, _) in served.iter().zip(ready).filter(|(_, ready)| *ready) {
        match stream {
            Some(0) => streams.stdin.write_available(),
            Some(1) => streams.stdout.read_available(),
            Some(2) => streams.stderr.read_available(),
            _ => {}
        }
    }
    Ok(true)
}
