//! `max_processes`: refuse a fork or thread creation once the sandbox's
//! process group holds that many tasks. RLIMIT_NPROC cannot do this: it
//! counts every process of the uid and does not bind uid 0.

use crate::handler::{Handler, HandlerCtx, HandlerResult};
use crate::notif::{ExceptionPolicy, NotifAction};

pub(crate) struct TaskLimit {
    pub max: u32,
}

impl Handler for TaskLimit {
    fn handle(&self, ctx: &HandlerCtx<'_>) -> HandlerResult {
        // Unreadable /proc counts as full: the limit fails closed.
        if crate::procs::tasks_in_group(ctx.sandbox_pgid()).unwrap_or(u64::MAX) >= u64::from(self.max) {
            return Ok(NotifAction::Errno(libc::EAGAIN));
        }
        Ok(NotifAction::Continue)
    }

    fn exception_policy(&self) -> ExceptionPolicy {
        ExceptionPolicy::DenyEperm
    }
}
