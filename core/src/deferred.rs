//! The right to answer a trapped syscall later, from any thread: the one
//! part of the handler API that needs the responder, kept apart so that
//! `handler` and `seccomp::respond` do not depend on each other.

use std::sync::Arc;

use crate::handler::HandlerCtx;
use crate::notif::{Bounds, ExceptionPolicy, NotifAction, Notification};
use crate::seccomp::listener::Listener;
use crate::seccomp::respond::respond;

impl HandlerCtx<'_> {
    /// Take the right to answer this notification later; return
    /// [`NotifAction::Hold`] from the handler to make use of it.
    pub fn defer(&self) -> DeferredReply {
        DeferredReply { listener: Arc::clone(self.listener), notif: *self.notif, bounds: self.bounds.clone() }
    }
}

/// The right to answer a held notification from any thread.
pub struct DeferredReply {
    listener: Arc<Listener>,
    notif: Notification,
    bounds: Bounds,
}

impl DeferredReply {
    pub fn id(&self) -> u64 {
        self.notif.id
    }

    /// True while the child still waits on this notification (a fatal
    /// signal or the end of the sandbox ends the wait).
    pub fn is_valid(&self) -> bool {
        self.listener.id_valid(self.notif.id)
    }

    /// Answer the held syscall. An action that cannot be carried out (a
    /// refused kill target, an invalid fd) answers `EPERM`. Returns false when
    /// the child no longer waits on it.
    pub fn reply(self, action: NotifAction) -> bool {
        let action = match action {
            NotifAction::Hold => return true,
            other => other,
        };
        respond(&self.listener, &self.notif, &self.bounds, action, ExceptionPolicy::DenyEperm).answered
    }
}
