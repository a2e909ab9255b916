//! The thread that makes every ptrace call of a run. A tracer is a thread,
//! not a process: only the thread that seized a task may detach it, reap it
//! when it dies, or wait for it. One long-lived thread per run does all of
//! it, so a task that is slow to stop is never left behind by a receiving
//! thread that has moved on: the tracer keeps checking it until it can let
//! it go. When the run ends and the thread exits, the kernel detaches
//! whatever it still traces.

use std::sync::{mpsc, Mutex};
use std::time::{Duration, Instant};

use crate::syscall::number_of;

/// How long a task may take to reach a ptrace stop before the freeze says
/// it is not complete (the task is let go once it does stop).
const STOP_LIMIT: Duration = Duration::from_secs(1);
/// How often the tracer checks tasks that had not stopped when let go.
const LINGER_POLL: Duration = Duration::from_millis(2);
/// How long an exec whose program must be checked may take to reach its
/// exec stop; past that the task is killed (the check fails closed).
const CHECKED_EXEC_LIMIT: Duration = Duration::from_secs(10);
/// `PTRACE_EVENT_EXEC`, in the `si_code` of an exec stop (above the signal).
const PTRACE_EVENT_EXEC: i32 = 4;

/// A check of the program an exec started, made at the exec stop (before
/// the task runs an instruction of it) with the task's id: true kills it.
pub(crate) type ExecCheck = Box<dyn FnOnce(i32) -> bool + Send>;

type Job = Box<dyn FnOnce(&mut Vec<i32>) + Send>;

/// The run's ptrace thread, started on first use.
#[derive(Default)]
pub(crate) struct Tracer {
    jobs: Mutex<Option<mpsc::Sender<Job>>>,
}

impl Tracer {
    /// Seize `exec_task` (the task in `execve`) and stop `tasks`, then the
    /// tasks `more` finds (given every task seen so far), until it finds
    /// none. `None` when ptrace is refused for the exec-ing task; otherwise
    /// the flag says whether every writer is held in a ptrace stop.
    pub(crate) fn freeze(
        &self,
        exec_task: i32,
        tasks: Vec<i32>,
        more: impl Fn(&[i32]) -> Vec<i32> + Send + 'static,
    ) -> Option<(Frozen, bool)> {
        let sender = self.sender()?;
        let (answer, stopped) = mpsc::sync_channel(1);
        let job: Job = Box::new(move |lingering| {
            let _ = answer.send(Held::stop(exec_task, tasks, more, lingering));
        });
        sender.send(job).ok()?;
        let (held, complete) = stopped.recv().ok()??;
        Some((Frozen { held: Some(held), tracer: sender }, complete))
    }

    /// Seize only `exec_task`, for a check at its exec stop when nothing
    /// else has to stop; `None` when ptrace is refused.
    pub(crate) fn trace_exec_task(&self, exec_task: i32) -> Option<Frozen> {
        self.freeze(exec_task, Vec::new(), |_| Vec::new()).map(|(frozen, _)| frozen)
    }

    fn sender(&self) -> Option<mpsc::Sender<Job>> {
        let mut jobs = self.jobs.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(sender) = jobs.as_ref() {
            return Some(sender.clone());
        }
        let (sender, queue) = mpsc::channel::<Job>();
        std::thread::Builder::new().name("sandlock-tracer".into()).spawn(move || serve(&queue)).ok()?;
        *jobs = Some(sender.clone());
        Some(sender)
    }
}

/// Run jobs until the run's handler is dropped; meanwhile let go of the
/// tasks that had not stopped in time as soon as they do.
fn serve(queue: &mpsc::Receiver<Job>) {
    let mut lingering: Vec<i32> = Vec::new();
    loop {
        let job = if lingering.is_empty() {
            queue.recv().map_err(|_| mpsc::RecvTimeoutError::Disconnected)
        } else {
            queue.recv_timeout(LINGER_POLL)
        };
        match job {
            Ok(job) => job(&mut lingering),
            Err(mpsc::RecvTimeoutError::Timeout) => {}
            Err(mpsc::RecvTimeoutError::Disconnected) => return,
        }
        lingering.retain(|&tid| !try_detach(tid));
    }
}

/// Tasks held for an exec, let go with [`Frozen::release`] (or when
/// dropped) once the exec was answered.
pub(crate) struct Frozen {
    held: Option<Held>,
    tracer: mpsc::Sender<Job>,
}

impl Frozen {
    /// Let the tasks go once the exec-ing task has passed the point where
    /// the kernel copied argv; the caller does not wait for it.
    pub(crate) fn release(mut self) {
        self.post_release(None);
    }

    /// [`Frozen::release`], and if the exec succeeded, `check` the program
    /// at the exec stop before the task may run it.
    pub(crate) fn release_checked(mut self, check: ExecCheck) {
        self.post_release(Some(check));
    }

    fn post_release(&mut self, check: Option<ExecCheck>) {
        if let Some(held) = self.held.take() {
            // A tracer that is gone has already let every task go.
            let _ = self.tracer.send(Box::new(move |lingering| held.release(lingering, check)));
        }
    }
}

impl Drop for Frozen {
    fn drop(&mut self) {
        self.post_release(None);
    }
}

/// What the tracer thread holds: each task stops before it runs another
/// user instruction, and the exec-ing task stops once its exec is past
/// copying argv (its exec stop) or has failed (the interrupt stop on its
/// way back).
struct Held {
    exec_task: i32,
    /// The exec-ing task's thread group: after an exec from another thread,
    /// the task carries this id.
    exec_tgid: i32,
    others: Vec<i32>,
}

impl Held {
    fn stop(
        exec_task: i32,
        tasks: Vec<i32>,
        more: impl Fn(&[i32]) -> Vec<i32>,
        lingering: &mut Vec<i32>,
    ) -> Option<(Held, bool)> {
        if ptrace(libc::PTRACE_SEIZE, exec_task, libc::PTRACE_O_TRACEEXEC as usize) < 0 {
            return None;
        }
        // The task waits in the seccomp notification, which only a fatal
        // signal ends (WAIT_KILLABLE_RECV): the interrupt takes effect on
        // its way back from a failed exec.
        ptrace(libc::PTRACE_INTERRUPT, exec_task, 0);
        let exec_tgid = crate::procs::tgid_of(exec_task as u32).map_or(exec_task, |t| t as i32);
        let mut held = Held { exec_task, exec_tgid, others: Vec::new() };
        let mut complete = true;
        let mut seen: Vec<i32> = Vec::new();
        let mut pending = tasks;
        while !pending.is_empty() {
            let mut seized = Vec::new();
            for task in std::mem::take(&mut pending) {
                seen.push(task);
                // A thread waiting for its vfork child cannot run before
                // that child execs or exits, and an exec copies argv
                // before it lets the parent go.
                if in_vfork(task) {
                    continue;
                }
                if lingering.contains(&task) {
                    // Still traced by us from an earlier exec, interrupted.
                    lingering.retain(|&t| t != task);
                } else if ptrace(libc::PTRACE_SEIZE, task, 0) < 0 {
                    complete &= task_gone(task);
                    continue;
                }
                ptrace(libc::PTRACE_INTERRUPT, task, 0);
                held.others.push(task);
                seized.push(task);
            }
            // An interrupted task stops on its way back to user space; one
            // that does not (asleep where signals cannot wake it) could
            // still have the kernel write for it. They stop together: one
            // deadline for all, not a second each (20 tasks asleep in an
            // uninterruptible wait held an exec 20 s).
            let deadline = Instant::now() + STOP_LIMIT;
            for task in seized {
                complete &= wait_until(task, deadline.saturating_duration_since(Instant::now()), is_stopped_or_gone);
            }
            // A task that ran before it stopped may have made a thread.
            pending = more(&seen);
        }
        Some((held, complete))
    }

    fn release(mut self, lingering: &mut Vec<i32>, check: Option<ExecCheck>) {
        let (task, tgid) = (self.exec_task, self.exec_tgid);
        let others = &mut self.others;
        let limit = if check.is_some() { CHECKED_EXEC_LIMIT } else { STOP_LIMIT };
        // The exec ends the process's other threads and waits until they
        // are released, which for a traced thread is its tracer's reap:
        // collect the dead ones while waiting. A task that died on its way
        // (its whole process gone) never stops: nothing is left to wait for.
        let reached = wait_until(task, limit, |state| {
            others.retain(|&other| !reap_if_dead(other));
            state == Some('t') || task_gone(task) && (state_of(tgid) == Some('t') || task_gone(tgid))
        });
        let stopped = if task_gone(task) { tgid } else { task };
        if stopped != task {
            // An exec from another thread: the task took the leader's id,
            // and the kernel answers no ptrace call on it (ESRCH) until
            // its tracer has waited for the exec event. Taken here, with
            // nothing reaped; the stop stays.
            take_exec_event(stopped);
        }
        if let Some(check) = check {
            // An exec that failed stops on its way back (not an exec
            // stop) and runs what it ran before; a stop the tracer cannot
            // read is checked by killing it.
            let unchecked = |tid| exec_stop(tid).map_or(true, |at_exec| at_exec && check(tid));
            if !reached || unchecked(stopped) {
                // SAFETY: kill takes integers; `stopped` is a task we trace
                // (it cannot be reaped and its id reused meanwhile).
                unsafe { libc::kill(stopped, libc::SIGKILL) };
            }
        }
        let deadline = Instant::now() + STOP_LIMIT;
        for tid in std::iter::once(stopped).chain(self.others.into_iter().filter(|&t| t != stopped)) {
            let left = deadline.saturating_duration_since(Instant::now());
            if !wait_until(tid, left, is_stopped_or_gone) || !try_detach(tid) {
                lingering.push(tid);
            }
        }
    }
}

fn ptrace(request: libc::c_uint, pid: i32, data: usize) -> libc::c_long {
    // SAFETY: the requests used (SEIZE, INTERRUPT, DETACH) take a pid and an
    // integer, and read or write no memory of ours.
    unsafe { libc::ptrace(request, pid, 0usize, data) }
}

/// Detach `tid` if it is in a ptrace stop, or collect it if it died (an
/// exec ends its process's other threads; a traced one waits for its
/// tracer). False when it is still running.
fn try_detach(tid: i32) -> bool {
    match state_of(tid) {
        Some('t') => ptrace(libc::PTRACE_DETACH, tid, 0) == 0 || task_gone(tid) && reap_if_dead(tid),
        _ => reap_if_dead(tid),
    }
}

/// Collect `tid` if it died (it is traced, so only its tracer can) —
/// unless it is a child of this process (the run's first process, not its
/// other threads), whose exit status is the run's, collected by the run.
fn reap_if_dead(tid: i32) -> bool {
    if !task_gone(tid) {
        return false;
    }
    if is_child_of_this_process(tid) {
        return true;
    }
    let mut status = 0;
    // SAFETY: reaping a traced task's exit into a local.
    unsafe { libc::waitpid(tid, &mut status, libc::__WALL | libc::WNOHANG) };
    true
}

/// True when `tid` leads a process this process started.
fn is_child_of_this_process(tid: i32) -> bool {
    let leads = crate::procs::tgid_of(tid as u32) == Some(tid as u32);
    // SAFETY: getpid has no memory effects.
    leads && crate::procs::task_stat(tid as u32).is_some_and(|stat| stat.ppid == unsafe { libc::getpid() } as u32)
}

/// True when `tid` waits in `vfork` (or a `clone` with `CLONE_VFORK`) for
/// its child, from `/proc/<tid>/syscall`: the number, then the arguments.
fn in_vfork(tid: i32) -> bool {
    let Ok(line) = crate::procs::read(format!("/proc/{tid}/syscall")) else { return false };
    let mut fields = line.split_whitespace();
    let nr: Option<u32> = fields.next().and_then(|n| n.parse().ok());
    let flags = fields.next().and_then(|a| u64::from_str_radix(a.trim_start_matches("0x"), 16).ok()).unwrap_or(0);
    match nr {
        Some(nr) if Some(nr) == number_of("vfork") => true,
        Some(nr) if Some(nr) == number_of("clone") => flags & libc::CLONE_VFORK as u64 != 0,
        _ => false,
    }
}

/// The state letter of a task in `/proc/<tid>/stat`.
fn state_of(tid: i32) -> Option<char> {
    let stat = crate::procs::read(format!("/proc/{tid}/stat")).ok()?;
    stat[stat.rfind(')')? + 1..].split_whitespace().next()?.chars().next()
}

fn task_gone(tid: i32) -> bool {
    matches!(state_of(tid), None | Some('Z') | Some('X'))
}

fn is_stopped_or_gone(state: Option<char>) -> bool {
    matches!(state, None | Some('t') | Some('Z') | Some('X'))
}

/// True when `tid` is in the ptrace stop of a successful exec.
/// Whether `tid` is in the ptrace stop of a successful exec (false for
/// another stop); none when its stop cannot be read.
fn exec_stop(tid: i32) -> Option<bool> {
    // SAFETY: a zeroed siginfo_t is a valid output buffer.
    let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
    // SAFETY: PTRACE_GETSIGINFO writes one siginfo_t into `info`; we are
    // the tracer of `tid`.
    let rc = unsafe { libc::ptrace(libc::PTRACE_GETSIGINFO, tid, 0usize, &mut info as *mut libc::siginfo_t) };
    (rc == 0).then_some(info.si_signo == libc::SIGTRAP && info.si_code >> 8 == PTRACE_EVENT_EXEC)
}

/// Take the report of `tid`'s stop (not its exit: nothing is reaped).
fn take_exec_event(tid: i32) {
    // SAFETY: a zeroed siginfo_t is a valid output buffer.
    let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
    // SAFETY: waitid writes one siginfo_t into `info`; WSTOPPED without
    // WEXITED takes a stop report only.
    unsafe { libc::waitid(libc::P_PID, tid as libc::id_t, &mut info, libc::WSTOPPED | libc::WNOHANG | libc::__WALL) };
}

/// Wait at most `limit` until `until` holds for the state of `tid`, read
/// from `/proc` — not from `waitpid`, whose notification the host's own
/// `wait` may take; the state stays.
fn wait_until(tid: i32, limit: Duration, mut until: impl FnMut(Option<char>) -> bool) -> bool {
    let deadline = Instant::now() + limit;
    let mut pause = Duration::from_micros(5);
    loop {
        if until(state_of(tid)) {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(pause);
        pause = (pause * 2).min(Duration::from_millis(1));
    }
}
