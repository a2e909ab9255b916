//! A running sandbox: its process group, the supervisor answering its
//! notifications, and the one poll loop that waits for exit, timeout and
//! output.

use std::os::fd::{AsRawFd, OwnedFd};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::error::{Result, SandlockError};
use crate::output::{Capture, Feed};
use crate::seccomp::supervisor::Supervisor;
use crate::status::{ExitStatus, HandlerKill, RunOutput};

/// After the leader exits and the group is killed, how long output pipes
/// held by dying processes may take to reach EOF.
const DRAIN_LIMIT: Duration = Duration::from_secs(1);

/// A sandboxed program started with [`crate::Sandbox::spawn`]. Dropping it
/// kills the whole process group and reaps it.
pub struct Child {
    pid: libc::pid_t,
    pidfd: OwnedFd,
    supervisor: Option<Supervisor>,
    deadline: Option<Instant>,
    status: Option<ExitStatus>,
    handler_kill: Option<HandlerKill>,
    group: GroupSignal,
    watchdog: Option<JoinHandle<()>>,
}

/// What the signallers of a group, its watchdog and its reaper share. The
/// group's id is its leader's pid, which is free for reuse once the leader
/// is reaped: so `reaped` is set under the lock before the reap, and every
/// signal is sent under the same lock, never after.
#[derive(Default)]
struct GroupState {
    reaped: Mutex<bool>,
    /// Wakes the watchdog when the leader is about to be reaped.
    wake: Condvar,
    timed_out: AtomicBool,
}

/// Sends signals to the sandbox's process group from any thread, also while
/// another thread waits on the [`Child`]; never once the leader is reaped.
/// Take one with [`Child::signaller`].
#[derive(Clone)]
pub struct GroupSignal {
    pid: libc::pid_t,
    state: Arc<GroupState>,
}

impl GroupSignal {
    /// Send `sig` to every process of the sandbox. Returns false, sending
    /// nothing, when the sandbox has ended and been reaped.
    pub fn signal(&self, sig: i32) -> Result<bool> {
        let reaped = self.state.reaped.lock().unwrap_or_else(|e| e.into_inner());
        if *reaped {
            return Ok(false);
        }
        // SAFETY: killpg has no memory effects; the leader is not reaped
        // (checked under the lock the reaper takes first), so the group id
        // is still the sandbox's.
        if unsafe { libc::killpg(self.pid, sig) } < 0 {
            return Err(SandlockError::last_os("signalling the sandbox's process group"));
        }
        Ok(true)
    }

    /// Kill the group for the timeout, unless it was reaped.
    fn time_out(&self) {
        if let Ok(true) = self.signal(libc::SIGKILL) {
            self.state.timed_out.store(true, Ordering::Relaxed);
        }
    }

    /// Mark the leader as about to be reaped: no signal is sent after this.
    fn retire(&self) {
        *self.state.reaped.lock().unwrap_or_else(|e| e.into_inner()) = true;
        self.state.wake.notify_all();
    }
}

/// Enforce the timeout of a spawned child nobody may be waiting on.
fn watchdog(group: &GroupSignal, deadline: Instant) -> Result<JoinHandle<()>> {
    let group = group.clone();
    std::thread::Builder::new()
        .name("sandlock-timeout".into())
        .spawn(move || {
            let mut reaped = group.state.reaped.lock().unwrap_or_else(|e| e.into_inner());
            while !*reaped {
                let left = deadline.saturating_duration_since(Instant::now());
                if left.is_zero() {
                    drop(reaped);
                    group.time_out();
                    return;
                }
                reaped = group.state.wake.wait_timeout(reaped, left).unwrap_or_else(|e| e.into_inner()).0;
            }
        })
        .map_err(|e| SandlockError::io("starting the timeout thread", e))
}

/// Pipes of a captured run.
pub(crate) struct Streams {
    pub stdin: Feed,
    pub stdout: Capture,
    pub stderr: Capture,
}

impl Child {
    /// With `watchdog`, a thread enforces the timeout even if nobody waits
    /// (for `spawn`); otherwise the waiting loop does.
    pub(crate) fn new(
        pid: libc::pid_t,
        pidfd: OwnedFd,
        supervisor: Option<Supervisor>,
        timeout: Option<Duration>,
        watchdog: bool,
    ) -> Result<Child> {
        let deadline = timeout.map(|t| Instant::now() + t);
        let group = GroupSignal { pid, state: Arc::default() };
        let mut child =
            Child { pid, pidfd, supervisor, deadline, status: None, handler_kill: None, group, watchdog: None };
        if let (Some(deadline), true) = (deadline, watchdog) {
            // On failure `child` is dropped, which kills and reaps the sandbox.
            child.watchdog = Some(self::watchdog(&child.group, deadline)?);
        }
        Ok(child)
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
        self.wait_until(Some(Instant::now() + limit), None)
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
            if !poll_streams(None, &mut streams, remaining_ms(Some(drain_end)))? {
                break;
            }
        }
        Ok(RunOutput {
            status,
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
            let timeout = remaining_ms(next);
            match streams.as_deref_mut() {
                Some(streams) => {
                    poll_streams(Some(self.pidfd.as_raw_fd()), streams, timeout)?;
                }
                None => {
                    poll_fds(&mut [pollfd(self.pidfd.as_raw_fd(), libc::POLLIN)], timeout)?;
                }
            }
        }
    }

    /// True once the leader has exited (it stays a zombie until `reap`).
    fn exited(&self) -> Result<bool> {
        // SAFETY: a zeroed siginfo_t is a valid output buffer for waitid.
        let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
        // SAFETY: waitid writes into `info`; WNOWAIT leaves the zombie in place.
        let rc = unsafe {
            libc::waitid(libc::P_PID, self.pid as libc::id_t, &mut info, libc::WEXITED | libc::WNOHANG | libc::WNOWAIT)
        };
        if rc < 0 {
            return Err(SandlockError::last_os("waiting for the sandboxed program"));
        }
        // SAFETY: waitid filled `info` (or left it zeroed when nothing exited).
        Ok(unsafe { info.si_pid() } != 0)
    }

    /// Kill what is left of the group while the leader's pid is still held
    /// by its zombie, then reap the leader and stop the supervisor.
    fn reap(&mut self) -> Result<ExitStatus> {
        // What is left of the group, while its id is still held by the zombie.
        let _ = self.group.signal(libc::SIGKILL);
        self.group.retire();
        if let Some(watchdog) = self.watchdog.take() {
            let _ = watchdog.join();
        }
        let mut raw = 0;
        // SAFETY: reaping our own child into a local status word.
        while unsafe { libc::waitpid(self.pid, &mut raw, 0) } < 0 {
            let err = std::io::Error::last_os_error();
            if err.kind() != std::io::ErrorKind::Interrupted {
                return Err(SandlockError::io("reaping the sandboxed program", err));
            }
        }
        let status = ExitStatus::from_wait_status(raw);
        self.status = Some(status);
        if let Some(supervisor) = self.supervisor.take() {
            self.handler_kill = supervisor.stop();
        }
        Ok(status)
    }
}

impl Drop for Child {
    fn drop(&mut self) {
        if self.status.is_none() {
            let _ = self.kill();
            let _ = self.wait();
        }
    }
}

fn pollfd(fd: i32, events: libc::c_short) -> libc::pollfd {
    libc::pollfd { fd, events, revents: 0 }
}

fn remaining_ms(until: Option<Instant>) -> i32 {
    match until {
        None => -1,
        Some(t) => {
            let left = t.saturating_duration_since(Instant::now());
            // Round up so a poll never returns just before the deadline.
            left.as_millis().saturating_add(u128::from(left.subsec_nanos() % 1_000_000 != 0)).min(i32::MAX as u128)
                as i32
        }
    }
}

fn poll_fds(fds: &mut [libc::pollfd], timeout_ms: i32) -> Result<i32> {
    // SAFETY: `fds` is a valid array of pollfd of the given length.
    let n = unsafe { libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, timeout_ms) };
    if n < 0 {
        let err = std::io::Error::last_os_error();
        if err.kind() == std::io::ErrorKind::Interrupted {
            return Ok(0);
        }
        return Err(SandlockError::io("polling the sandboxed program", err));
    }
    Ok(n)
}

/// One poll over the pidfd (if any) and the open streams; services the
/// streams that are ready. Returns false when nothing became ready.
fn poll_streams(pidfd: Option<i32>, streams: &mut Streams, timeout_ms: i32) -> Result<bool> {
    let mut fds = Vec::with_capacity(4);
    if let Some(fd) = pidfd {
        fds.push(pollfd(fd, libc::POLLIN));
    }
    let slots = [streams.stdin.raw(), streams.stdout.raw(), streams.stderr.raw()];
    for (i, fd) in slots.iter().enumerate() {
        if let Some(fd) = fd {
            fds.push(pollfd(*fd, if i == 0 { libc::POLLOUT } else { libc::POLLIN }));
        }
    }
    if poll_fds(&mut fds, timeout_ms)? == 0 {
        return Ok(false);
    }
    for pfd in &fds {
        if pfd.revents == 0 {
            continue;
        }
        if slots[0] == Some(pfd.fd) {
            streams.stdin.write_available();
        } else if slots[1] == Some(pfd.fd) {
            streams.stdout.read_available();
        } else if slots[2] == Some(pfd.fd) {
            streams.stderr.read_available();
        }
    }
    Ok(true)
}
