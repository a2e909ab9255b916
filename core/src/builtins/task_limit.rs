//! `max_processes`: refuse a fork or thread creation once the sandbox's
//! process group holds that many tasks. RLIMIT_NPROC cannot do this: it
//! counts every process of the uid and does not bind uid 0.
//!
//! A clone let go is not a task yet: the kernel makes it after the answer.
//! Counting the next clone before then let tasks cloning at once overshoot
//! the limit by as many (112 tasks under a limit of 100). So the
//! [`TaskGate`] admits one clone at a time: it counts, lets the clone go,
//! and holds the next one until the new task is there (or the cloner is
//! gone, or the clone plainly failed).

use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::handler::{Handler, HandlerCtx, HandlerResult};
use crate::notif::{ExceptionPolicy, NotifAction};

/// How long a clone let go may take to show its task before the gate takes
/// it for failed (the kernel refused it: no memory, a limit of its own).
const CLONE_LIMIT: Duration = Duration::from_millis(100);

/// One clone at a time, each counted once the one before it is a task.
#[derive(Default)]
pub(crate) struct TaskGate {
    admitting: Mutex<()>,
}

impl TaskGate {
    /// The answer to the clone in `ctx` (`flags` as the call gives them)
    /// under a limit of `max` tasks: `EAGAIN` when the group is full;
    /// otherwise the clone is let go here and `Hold` returned, once its task
    /// exists. Unreadable /proc counts as full: the limit fails closed.
    pub(crate) fn admit(&self, ctx: &HandlerCtx<'_>, max: u32, flags: u64) -> NotifAction {
        let _admitting = self.admitting.lock().unwrap_or_else(|e| e.into_inner());
        if crate::procs::tasks_in_group(ctx.sandbox_pgid()).unwrap_or(u64::MAX) >= u64::from(max) {
            return NotifAction::Errno(libc::EAGAIN);
        }
        let cloner = ctx.pid() as i32;
        let tgid = crate::procs::tgid_of(cloner as u32).map_or(cloner, |t| t as i32);
        let made_by_clone = || made_by(tgid, cloner, flags);
        let before = made_by_clone();
        if !ctx.defer().reply(NotifAction::Continue) {
            // The cloner is gone (killed): nothing was made.
            return NotifAction::Hold;
        }
        let deadline = Instant::now() + CLONE_LIMIT;
        let mut pause = Duration::from_micros(5);
        while made_by_clone().iter().all(|task| before.contains(task))
            && crate::procs::task_stat(cloner as u32).is_some()
            && Instant::now() < deadline
        {
            std::thread::sleep(pause);
            pause = (pause * 2).min(Duration::from_millis(1));
        }
        NotifAction::Hold
    }
}

/// The tasks a clone of `cloner` (of process `tgid`) with `flags` adds to:
/// the threads of its process, or the children of the thread itself.
fn made_by(tgid: i32, cloner: i32, flags: u64) -> Vec<i32> {
    if flags & libc::CLONE_THREAD as u64 != 0 {
        return crate::procs::threads_of(tgid);
    }
    crate::procs::read(format!("/proc/{tgid}/task/{cloner}/children"))
        .map(|list| list.split_whitespace().filter_map(|pid| pid.parse().ok()).collect())
        .unwrap_or_default()
}

/// The clone flags of the `clone`, `fork` or `vfork` in `ctx`.
pub(crate) fn flags_of(ctx: &HandlerCtx<'_>) -> u64 {
    match crate::syscall::Syscall::checked(i64::from(ctx.syscall_nr())) {
        Ok(syscall) => crate::syscall::clone_flags(syscall.name(), ctx.args()),
        Err(_) => 0,
    }
}

/// The built-in of a policy's `max_processes` (without a `policy_fn`). It
/// answers the clone itself, so it runs after every other handler of it.
pub(crate) struct TaskLimit {
    max: u32,
    gate: TaskGate,
}

impl TaskLimit {
    pub(crate) fn new(max: u32) -> TaskLimit {
        TaskLimit { max, gate: TaskGate::default() }
    }
}

impl Handler for TaskLimit {
    fn handle(&self, ctx: &HandlerCtx<'_>) -> HandlerResult {
        Ok(self.gate.admit(ctx, self.max, flags_of(ctx)))
    }

    fn exception_policy(&self) -> ExceptionPolicy {
        ExceptionPolicy::DenyEperm
    }
}
