//! The handler handle: a C callback, its user data and destructor, and the
//! exception policy; `ud_drop` runs exactly once, whatever happens.

use std::ffi::c_void;
use std::panic::{catch_unwind, AssertUnwindSafe};

use sandlock_core::ExceptionPolicy;

use crate::error::FfiError;
use crate::guard;
use crate::handler::abi::{
    sandlock_action_out_t, sandlock_handler_fn_t, sandlock_handler_ud_drop_t, sandlock_notif_data_t,
};
use crate::handler::mem::sandlock_mem_handle_t;

/// A `sandlock_handler_fn_t` known not to be NULL.
pub(crate) type Callback = unsafe extern "C-unwind" fn(
    *mut c_void,
    *const sandlock_notif_data_t,
    *mut sandlock_mem_handle_t,
    *mut sandlock_action_out_t,
) -> i32;

/// A handler (opaque): create it with `sandlock_handler_new`; a run entry
/// point or `sandlock_handler_free` consumes it.
pub struct sandlock_handler_t {
    pub(crate) callback: Callback,
    pub(crate) ud: *mut c_void,
    ud_drop: sandlock_handler_ud_drop_t,
    pub(crate) policy: ExceptionPolicy,
}

// SAFETY: the C contract requires `ud` and the callback to be thread-safe
// (callbacks of one handler may run concurrently on supervisor threads).
unsafe impl Send for sandlock_handler_t {}
// SAFETY: as for Send; the handler itself is never mutated while shared.
unsafe impl Sync for sandlock_handler_t {}

impl sandlock_handler_t {
    /// Run `ud_drop` now (if it has not run), reporting a panic in it.
    pub(crate) fn release(&mut self) -> Result<(), FfiError> {
        let Some(ud_drop) = self.ud_drop.take() else {
            return Ok(());
        };
        let ud = self.ud;
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
    guard::call(|| {
        let callback = callback.ok_or_else(|| FfiError::invalid("callback must not be NULL"))?;
        let policy = ExceptionPolicy::from_u32(exception_policy).ok_or_else(|| {
            let known = "0 (KILL), 1 (DENY_EPERM), 2 (CONTINUE), 3 (DENY_EIO)";
            FfiError::invalid(format!("exception policy {exception_policy} is not one of {known}"))
        })?;
        Ok(Box::into_raw(Box::new(sandlock_handler_t { callback, ud, ud_drop, policy })))
    })
    .unwrap_or(std::ptr::null_mut())
}
versioned!(sandlock_handler_new, "SANDLOCK_1.0");

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
    let _ = guard::call(|| {
        if handler.is_null() {
            return Ok(());
        }
        // SAFETY: an unconsumed handler from sandlock_handler_new, freed once.
        let mut handler = unsafe { Box::from_raw(handler) };
        handler.release()
    });
}
versioned!(sandlock_handler_free, "SANDLOCK_1.0");
