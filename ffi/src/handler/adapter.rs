//! A C callback as a core `Handler`: it runs inline on the receiving thread
//! with the notification, a memory handle and the action on the stack, and
//! every failure becomes the handler's exception policy.

use std::os::fd::{FromRawFd, OwnedFd, RawFd};
use std::panic::{catch_unwind, AssertUnwindSafe};

use sandlock_core::{ExceptionPolicy, Handler, HandlerCtx, HandlerError, HandlerResult, NotifAction};

use crate::guard;
use crate::handler::abi::{sandlock_action_kind_t, sandlock_action_out_t, sandlock_notif_data_t};
use crate::handler::container::{sandlock_handler_t, Answer, Callback, Fixed};
use crate::handler::mem::sandlock_mem_handle_t;

use sandlock_action_kind_t::*;

impl Handler for sandlock_handler_t {
    fn handle(&self, ctx: &HandlerCtx<'_>) -> HandlerResult {
        match &self.answer {
            Answer::Callback { callback, ud, .. } => call_back(*callback, *ud, ctx),
            Answer::Fixed(Fixed::Continue) => Ok(NotifAction::Continue),
            Answer::Fixed(Fixed::Errno(e)) => Ok(NotifAction::Errno(*e)),
            Answer::Fixed(Fixed::ReturnValue(v)) => Ok(NotifAction::ReturnValue(*v)),
        }
    }

    fn exception_policy(&self) -> ExceptionPolicy {
        self.policy
    }

    fn fixed_errno(&self) -> Option<i32> {
        match self.answer {
            Answer::Fixed(Fixed::Errno(errno)) => Some(errno),
            _ => None,
        }
    }
}

/// Run a C callback for one notification, with the notification, a memory
/// handle and the action on the stack.
fn call_back(callback: Callback, ud: *mut std::ffi::c_void, ctx: &HandlerCtx<'_>) -> HandlerResult {
    let notif = sandlock_notif_data_t::from(ctx.notification());
    let mem = sandlock_mem_handle_t::new(ctx);
    let mut out = sandlock_action_out_t::unset();
    let mem_ptr = std::ptr::from_ref(&mem).cast_mut();
    // SAFETY: the callback gets pointers to locals that outlive the call;
    // `ud` is the value its creator paired with it.
    let outcome = catch_unwind(AssertUnwindSafe(|| unsafe { callback(ud, &notif, mem_ptr, &mut out) }));
    mem.invalidate();
    match outcome {
        Ok(0) => translate(&out, ctx),
        Ok(rc) => {
            drain(&out, ctx);
            Err(format!("handler callback returned {rc}").into())
        }
        Err(payload) => {
            drain(&out, ctx);
            Err(guard::panic_error("a handler callback", &*payload).message.into())
        }
    }
}

/// An fd the callback handed over, or `None` for one the library must never
/// take: stdio (or negative), the sandbox's own (the seccomp listener, the
/// Landlock ruleset), and a number that is not an open fd of this process
/// (there is nothing to send or to close).
fn owned_srcfd(srcfd: RawFd, ctx: &HandlerCtx<'_>) -> Option<OwnedFd> {
    if srcfd < 3 || ctx.is_sandbox_fd(srcfd) {
        return None;
    }
    // SAFETY: F_GETFD only reads the fd's flags; it fails with EBADF when
    // `srcfd` is not open.
    if unsafe { libc::fcntl(srcfd, libc::F_GETFD) } < 0 {
        return None;
    }
    // SAFETY: by the setter's contract an open fd left in the action belongs
    // to the library from the moment the callback returns.
    Some(unsafe { OwnedFd::from_raw_fd(srcfd) })
}

/// The fd an action carries, if any.
fn carried_fd(out: &sandlock_action_out_t) -> Option<RawFd> {
    match sandlock_action_kind_t::from_u32(out.kind)? {
        // SAFETY: the kind says the `inject` member was written last.
        SANDLOCK_ACTION_INJECT_FD_SEND => Some(unsafe { out.payload.inject.srcfd }),
        // SAFETY: the kind says the `inject_tracked` member was written last.
        SANDLOCK_ACTION_INJECT_FD_SEND_TRACKED => Some(unsafe { out.payload.inject_tracked.srcfd }),
        _ => None,
    }
}

/// Close the fd a failed callback left in its action.
fn drain(out: &sandlock_action_out_t, ctx: &HandlerCtx<'_>) {
    if let Some(fd) = carried_fd(out) {
        drop(owned_srcfd(fd, ctx));
    }
}

fn refuse(reason: String) -> HandlerResult {
    Err(HandlerError::from(reason))
}

/// The action a successful callback chose.
fn translate(out: &sandlock_action_out_t, ctx: &HandlerCtx<'_>) -> HandlerResult {
    let Some(kind) = sandlock_action_kind_t::from_u32(out.kind) else {
        return refuse(format!("handler set unknown action kind {}", out.kind));
    };
    match kind {
        SANDLOCK_ACTION_UNSET => refuse("handler returned 0 without setting an action".into()),
        SANDLOCK_ACTION_CONTINUE => Ok(NotifAction::Continue),
        // SAFETY: ERRNO kind → `errno_value`.
        SANDLOCK_ACTION_ERRNO => Ok(NotifAction::Errno(unsafe { out.payload.errno_value })),
        // SAFETY: RETURN_VALUE kind → `return_value`.
        SANDLOCK_ACTION_RETURN_VALUE => Ok(NotifAction::ReturnValue(unsafe { out.payload.return_value })),
        SANDLOCK_ACTION_INJECT_FD_SEND => {
            // SAFETY: INJECT_FD_SEND kind → `inject`.
            let inject = unsafe { out.payload.inject };
            match owned_srcfd(inject.srcfd, ctx) {
                Some(srcfd) => Ok(NotifAction::InjectFdSend { srcfd, newfd_flags: inject.newfd_flags }),
                None => refuse(format!(
                    "handler tried to inject fd {}, which is stdio, the sandbox's own or not open",
                    inject.srcfd
                )),
            }
        }
        SANDLOCK_ACTION_INJECT_FD_SEND_TRACKED => {
            drain(out, ctx);
            refuse("handler set the reserved tracked fd injection".into())
        }
        SANDLOCK_ACTION_HOLD => Ok(NotifAction::Hold),
        SANDLOCK_ACTION_KILL => {
            // SAFETY: KILL kind → `kill`.
            let kill = unsafe { out.payload.kill };
            Ok(NotifAction::Kill { signal: kill.sig, pgid: kill.pgid })
        }
    }
}
