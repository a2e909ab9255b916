//! The handler handle: a C callback, its user data and destructor, and the
//! exception policy; `ud_drop` runs exactly once, whatever happens.

use std::ffi::c_void;
use std::panic::{catch_unwind, AssertUnwindSafe};

use sandlock_core::ExceptionPolicy;

use crate::error::{sandlock_error_t, FfiError};
use crate::guard;
use crate::handler::abi::{
    sandlock_action_kind_t, sandlock_action_out_t, sandlock_handler_fn_t, sandlock_handler_ud_drop_t,
    sandlock_notif_data_t,
};
use crate::handler::mem::sandlock_mem_handle_t;

/// A `sandlock_handler_fn_t` known not to be NULL.
pub(crate) type Callback = unsafe extern "C-unwind" fn(
    *mut c_void,
    *const sandlock_notif_data_t,
    *mut sandlock_mem_handle_t,
    *mut sandlock_action_out_t,
) -> i32;

/// A handler (opaque): create it with `sandlock_handler_new` (a callback)
/// or `sandlock_handler_new_static` (a fixed answer); a run entry point, a
/// command or `sandlock_handler_free` consumes it.
pub struct sandlock_handler_t {
    pub(crate) answer: Answer,
    pub(crate) policy: ExceptionPolicy,
}

/// How a handler answers.
pub(crate) enum Answer {
    /// A C callback with its user data and destructor.
    Callback { callback: Callback, ud: *mut c_void, ud_drop: sandlock_handler_ud_drop_t },
    /// The same answer every time, given without calling anyone.
    Fixed(Fixed),
}

/// The answers a static handler may give.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Fixed {
    Continue,
    Errno(i32),
    ReturnValue(i64),
}

// SAFETY: the C contract requires `ud` and the callback to be thread-safe
// (callbacks of one handler may run concurrently on supervisor threads).
unsafe impl Send for sandlock_handler_t {}
// SAFETY: as for Send; the handler itself is never mutated while shared.
unsafe impl Sync for sandlock_handler_t {}

impl sandlock_handler_t {
    /// Run `ud_drop` now (if it has not run), reporting a panic in it.
    pub(crate) fn release(&mut self) -> Result<(), FfiError> {
        let Answer::Callback { ud, ud_drop, .. } = &mut self.answer else {
            return Ok(());
        };
        let Some(ud_drop) = ud_drop.take() else {
            return Ok(());
        };
        let ud = *ud;
        // SAFETY: `ud_drop` is the caller's destructor for `ud`, called once.
        catch_unwind(AssertUnwindSafe(|| unsafe { ud_drop(ud) }))
            .map_err(|payload| guard::panic_error("ud_drop", &*payload))
    }
}

impl Drop for sandlock_handler_t {
    fn drop(&mut self) {
        // Reached without `release` when a supervisor thread that outlived
        // its run drops the last reference, or while unwinding from a panic
        // in the library: nobody is left to report a panic in `ud_drop` to,
        // and it must not unwind out of a destructor.
        let _ = self.release();
    }
}

/// Create a handler: `callback` is called for each trapped syscall it is
/// registered on, with `ud` as its first argument. `ud_drop` (may be NULL)
/// is called with `ud` exactly once when the handler is freed, also when
/// `ud` is NULL. `exception_policy` is a `sandlock_exception_policy_t`
/// value; it answers the syscall when the callback fails.
///
/// Returns an owned handler; pass it to exactly one run entry point (which
/// consumes it on every path, success or failure) or free it with
/// `sandlock_handler_free`. Returns NULL with `SANDLOCK_E_INVALID` when
/// `callback` is NULL or `exception_policy` is not a defined value; `ud` is
/// then still the caller's and `ud_drop` is not called.
///
/// Thread-safety: the callback may run on several supervisor threads at
/// once, so `ud` must be safe to use concurrently. `ud_drop` runs on the
/// thread that frees the handler.
///
/// # Safety
/// `callback` and `ud_drop` must be NULL or functions of the documented
/// types; `ud` must stay valid until `ud_drop` is called.
#[no_mangle]
pub unsafe extern "C" fn sandlock_handler_new(
    callback: sandlock_handler_fn_t,
    ud: *mut c_void,
    ud_drop: sandlock_handler_ud_drop_t,
    exception_policy: u32,
) -> *mut sandlock_handler_t {
    guard::value(|| {
        let callback = callback.ok_or_else(|| FfiError::invalid("callback must not be NULL"))?;
        let policy = ExceptionPolicy::from_u32(exception_policy).ok_or_else(|| {
            let known = "0 (KILL), 1 (DENY_EPERM), 2 (CONTINUE), 3 (DENY_EIO)";
            FfiError::invalid(format!("exception policy {exception_policy} is not one of {known}"))
        })?;
        Ok(Box::into_raw(Box::new(sandlock_handler_t { answer: Answer::Callback { callback, ud, ud_drop }, policy })))
    })
}
versioned!(sandlock_handler_new, "SANDLOCK_1.0");

/// Create a handler that gives the same answer to every call, without a
/// callback: the supervisor answers it itself and never enters the caller's
/// code (nor its runtime: no Go scheduler, no Python GIL). `action` is an
/// action filled by `sandlock_action_set_continue`, `_set_errno` or
/// `_set_return_value`; it is copied. An errno handler that is the first
/// handler of its syscall costs no round trip at all: the seccomp filter
/// answers the syscall itself.
///
/// Returns an owned handler, to be consumed like one from
/// `sandlock_handler_new` (it has no `ud`, so nothing to drop), or NULL with
/// the error in `*err` (when not NULL) and `sandlock_last_error()`:
/// `SANDLOCK_E_INVALID` for a NULL action or any other kind (a fixed fd, a
/// hold or a kill is not something every call can be answered with).
/// Thread-safe. Since 1.1.
///
/// # Safety
/// `action` must be NULL or a readable action; `err` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn sandlock_handler_new_static(
    action: *const sandlock_action_out_t,
    err: *mut *mut sandlock_error_t,
) -> *mut sandlock_handler_t {
    guard::value_err(err, || {
        // SAFETY: NULL or a readable action (caller's contract).
        let action = unsafe { guard::reference(action, "action") }?;
        let fixed = match sandlock_action_kind_t::from_u32(action.kind) {
            Some(sandlock_action_kind_t::SANDLOCK_ACTION_CONTINUE) => Fixed::Continue,
            // SAFETY: the kind says `errno_value` was written last.
            Some(sandlock_action_kind_t::SANDLOCK_ACTION_ERRNO) => Fixed::Errno(unsafe { action.payload.errno_value }),
            Some(sandlock_action_kind_t::SANDLOCK_ACTION_RETURN_VALUE) => {
                // SAFETY: the kind says `return_value` was written last.
                Fixed::ReturnValue(unsafe { action.payload.return_value })
            }
            _ => {
                return Err(FfiError::invalid(format!(
                    "a static handler answers with continue, an errno or a return value, not action kind {}",
                    action.kind
                )))
            }
        };
        if let Fixed::Errno(e) = fixed {
            if !(1..=4095).contains(&e) {
                return Err(FfiError::invalid(format!("errno value {e} is not in 1..=4095")));
            }
        }
        // A fixed answer cannot fail; its exception policy is never used.
        Ok(Box::into_raw(Box::new(sandlock_handler_t { answer: Answer::Fixed(fixed), policy: ExceptionPolicy::Kill })))
    })
}
versioned!(sandlock_handler_new_static, "SANDLOCK_1.1");

/// Free a handler that was not passed to a run entry point; calls its
/// `ud_drop` exactly once. NULL is a no-op. A panic in `ud_drop` is caught:
/// the handler is still freed and `sandlock_last_error()` reports it
/// (status `SANDLOCK_E_PANIC`). Must not race with other uses of `handler`.
///
/// # Safety
/// `handler` must be NULL or a handler from `sandlock_handler_new` that was
/// neither freed nor passed to a run entry point.
#[no_mangle]
pub unsafe extern "C" fn sandlock_handler_free(handler: *mut sandlock_handler_t) {
    guard::unit(|| {
        if handler.is_null() {
            return Ok(());
        }
        // SAFETY: an unconsumed handler from sandlock_handler_new, freed once.
        let mut handler = unsafe { Box::from_raw(handler) };
        handler.release()
    });
}
versioned!(sandlock_handler_free, "SANDLOCK_1.0");
