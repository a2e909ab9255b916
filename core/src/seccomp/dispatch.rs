//! The handler chain of each syscall: built-ins first, then user handlers in
//! registration order; the first action that is not `Continue` wins.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;

use crate::handler::{Handler, HandlerCtx};
use crate::notif::{ExceptionPolicy, NotifAction};
use crate::seccomp::respond::exception_action;

/// Chains indexed by syscall number, so dispatch is one bounds-checked load.
pub(crate) struct Dispatch {
    chains: Vec<Vec<Arc<dyn Handler>>>,
}

impl Dispatch {
    /// `handlers` in chain order (built-ins before user handlers).
    pub(crate) fn new(handlers: Vec<(u32, Arc<dyn Handler>)>) -> Dispatch {
        let size = handlers.iter().map(|(nr, _)| *nr as usize + 1).max().unwrap_or(0);
        let mut chains: Vec<Vec<Arc<dyn Handler>>> = (0..size).map(|_| Vec::new()).collect();
        for (nr, handler) in handlers {
            chains[nr as usize].push(handler);
        }
        Dispatch { chains }
    }

    /// The syscalls the filter must send to the supervisor, sorted.
    pub(crate) fn syscalls(&self) -> Vec<u32> {
        (0..self.chains.len() as u32).filter(|&nr| !self.chains[nr as usize].is_empty()).collect()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.chains.iter().all(Vec::is_empty)
    }

    /// Run the chain to the first answer that is not `Continue`.
    pub(crate) fn run(&self, ctx: &HandlerCtx<'_>) -> Decision {
        let chain = usize::try_from(ctx.syscall_nr()).ok().and_then(|nr| self.chains.get(nr));
        let Some(chain) = chain.filter(|c| !c.is_empty()) else {
            // The filter only traps syscalls with a chain; anything else is refused.
            return Decision::answer(NotifAction::Errno(libc::ENOSYS), ExceptionPolicy::DenyEperm);
        };
        for handler in chain {
            let policy = handler.exception_policy();
            let (action, failed) = match catch_unwind(AssertUnwindSafe(|| handler.handle(ctx))) {
                Ok(Ok(action)) => (action, false),
                Ok(Err(_)) | Err(_) => (exception_action(policy), true),
            };
            if !matches!(action, NotifAction::Continue) {
                return Decision { action, fallback: policy, failed };
            }
        }
        Decision::answer(NotifAction::Continue, ExceptionPolicy::Continue)
    }
}

/// What the chain decided for one notification.
pub(crate) struct Decision {
    pub action: NotifAction,
    /// The exception policy of the handler that decided, for an action that
    /// cannot be carried out.
    pub fallback: ExceptionPolicy,
    /// The action is that policy's, because the handler failed.
    pub failed: bool,
}

impl Decision {
    fn answer(action: NotifAction, fallback: ExceptionPolicy) -> Decision {
        Decision { action, fallback, failed: false }
    }
}
