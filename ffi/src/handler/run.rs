//! Registration arrays: taking every handler in one (on every path), adding
//! them to a sandbox, freeing them after the run; and the run entry points
//! that take handlers.

use std::ffi::{c_char, c_int};
use std::sync::Arc;

use sandlock_core::{Sandbox, Syscall};

use crate::error::FfiError;
use crate::guard;
use crate::handler::abi::sandlock_handler_registration_t;
use crate::handler::container::sandlock_handler_t;
use crate::policy::sandlock_policy_t;
use crate::result::sandlock_result_t;
use crate::run::{self, interactive_code, SANDLOCK_MAX_REGISTRATIONS};

/// The handlers of one registration array, owned by the call that took it.
pub(crate) struct Registrations {
    entries: Vec<(i64, Arc<sandlock_handler_t>)>,
}

impl Registrations {
    pub(crate) fn none() -> Registrations {
        Registrations { entries: Vec::new() }
    }

    /// Take over every handler in the array, then judge the array: a
    /// failure is reported only after all its handlers are owned here, so
    /// that [`Registrations::release`] frees each of them.
    ///
    /// # Safety
    /// A non-NULL `array` must point to `count` readable entries whose
    /// handlers are NULL or unconsumed handlers from `sandlock_handler_new`.
    pub(crate) unsafe fn take(
        array: *const sandlock_handler_registration_t,
        count: usize,
    ) -> (Registrations, Result<(), FfiError>) {
        if count == 0 {
            return (Registrations::none(), Ok(()));
        }
        if array.is_null() {
            return (
                Registrations::none(),
                Err(FfiError::invalid(format!("registrations must not be NULL when count is {count}"))),
            );
        }
        if count > isize::MAX as usize / std::mem::size_of::<sandlock_handler_registration_t>() {
            // No array is that long: `count` is garbage, and reading it undefined behaviour.
            return (Registrations::none(), Err(FfiError::invalid(format!("count {count} cannot describe an array"))));
        }
        // SAFETY: `count` readable entries (caller's contract).
        let slice = unsafe { std::slice::from_raw_parts(array, count) };
        let mut entries = Vec::with_capacity(count.min(SANDLOCK_MAX_REGISTRATIONS));
        let mut taken = std::collections::HashSet::with_capacity(count.min(SANDLOCK_MAX_REGISTRATIONS));
        let mut verdict = Ok(());
        for (i, registration) in slice.iter().enumerate() {
            let refusal = if registration.handler.is_null() {
                Some(format!("registrations[{i}].handler is NULL"))
            } else if !taken.insert(registration.handler) {
                // Taking it twice would free it twice.
                Some(format!(
                    "registrations[{i}].handler appears earlier in the array; register a handler once \
                     (create one handler per registration)"
                ))
            } else {
                None
            };
            if let Some(reason) = refusal {
                if verdict.is_ok() {
                    verdict = Err(FfiError::invalid(reason));
                }
                continue;
            }
            // SAFETY: an unconsumed handler from sandlock_handler_new, taken
            // once: a pointer seen before was skipped above.
            let handler = unsafe { Box::from_raw(registration.handler) };
            entries.push((registration.syscall_nr, Arc::from(handler)));
        }
        if count > SANDLOCK_MAX_REGISTRATIONS {
            verdict =
                Err(FfiError::invalid(format!("count must be at most {SANDLOCK_MAX_REGISTRATIONS}, got {count}")));
        }
        (Registrations { entries }, verdict)
    }

    /// Register every handler on `sandbox`, in array order.
    pub(crate) fn add_to(&self, mut sandbox: Sandbox) -> Result<Sandbox, FfiError> {
        for (i, (nr, handler)) in self.entries.iter().enumerate() {
            let syscall =
                Syscall::checked(*nr).map_err(|e| FfiError::invalid(format!("registrations[{i}].syscall_nr: {e}")))?;
            sandbox = sandbox.add_shared_handler(syscall, Arc::clone(handler) as Arc<dyn sandlock_core::Handler>);
        }
        Ok(sandbox)
    }

    /// Free every handler (each `ud_drop` runs once, even if another one
    /// panics) and report the first panic. A handler a lingering supervisor
    /// thread still holds is freed when that thread lets go.
    pub(crate) fn release(self) -> Result<(), FfiError> {
        let mut first_panic = Ok(());
        for (_, handler) in self.entries {
            if let Some(mut handler) = Arc::into_inner(handler) {
                let released = handler.release();
                if first_panic.is_ok() {
                    first_panic = released;
                }
            }
        }
        first_panic
    }
}

/// Run a program to completion under `policy` with C handlers, capturing
/// its stdout and stderr. `name` (may be NULL) labels the sandbox in
/// errors. `argv` holds `argc` (1..=4096) strings; `argv[0]` is the program,
/// searched in the child's `PATH` when it has no `/`.
///
/// Ownership: every handler in `registrations[0..count]` is consumed on
/// every return path, success or error (including NULL `policy`/`argv`,
/// bad `argc`, `count` > 4096, and a NULL handler in the array): the caller
/// must not free or reuse them. A handler that appears twice in the array
/// is consumed once and the call fails with `SANDLOCK_E_INVALID`. Each `ud_drop` has run exactly once before
/// this function returns (unless a supervisor thread is stuck in a
/// callback, which then frees it on return). `registrations` may be NULL
/// only when `count` is 0; the array itself stays the caller's. A `count`
/// no array can have (over `PTRDIFF_MAX / 16`) is garbage: it is rejected
/// without reading the array.
///
/// Returns an owned result (free it with `sandlock_result_free`), or NULL;
/// `sandlock_last_status()` then tells why: `SANDLOCK_E_INVALID` for bad
/// arguments or syscall numbers, `SANDLOCK_E_DENIED` for a handler on a
/// syscall the policy denies, `SANDLOCK_E_NOT_FOUND` for a missing program,
/// `SANDLOCK_E_PANIC` when a `ud_drop` panicked (the result is then freed);
/// `sandlock_last_error()` has the message.
/// Thread-safe: several runs may share one policy concurrently.
///
/// # Safety
/// `policy` must be NULL or a live policy; `name` NULL or a C string; `argv`
/// NULL or `argc` pointers to C strings; `registrations` NULL or `count`
/// readable entries, each handler NULL or an unconsumed handler.
#[no_mangle]
pub unsafe extern "C" fn sandlock_run_with_handlers(
    policy: *const sandlock_policy_t,
    name: *const c_char,
    argv: *const *const c_char,
    argc: u32,
    registrations: *const sandlock_handler_registration_t,
    count: usize,
) -> *mut sandlock_result_t {
    guard::call(|| {
        // SAFETY: forwarded from the caller.
        let (handlers, prepared) = unsafe { run::prepare(policy, name, argv, argc, registrations, count) };
        let outcome = prepared.and_then(|p| Ok(p.sandbox.run(&p.argv)?));
        let output = run::finish(outcome, handlers.release())?;
        Ok(Box::into_raw(Box::new(sandlock_result_t { output })))
    })
    .unwrap_or(std::ptr::null_mut())
}
versioned!(sandlock_run_with_handlers, "SANDLOCK_1.0");

/// As `sandlock_run_with_handlers`, but the child uses the caller's stdin,
/// stdout and stderr. Returns the child's exit code,
/// 128 + the signal that killed it, or a negative status (see
/// `sandlock_run_with_handlers`; the same ownership rules apply).
/// Thread-safe.
///
/// # Safety
/// As for `sandlock_run_with_handlers`.
#[no_mangle]
pub unsafe extern "C" fn sandlock_run_interactive_with_handlers(
    policy: *const sandlock_policy_t,
    name: *const c_char,
    argv: *const *const c_char,
    argc: u32,
    registrations: *const sandlock_handler_registration_t,
    count: usize,
) -> c_int {
    guard::call(|| {
        // SAFETY: forwarded from the caller.
        let (handlers, prepared) = unsafe { run::prepare(policy, name, argv, argc, registrations, count) };
        let outcome = prepared.and_then(|p| Ok(p.sandbox.run_interactive(&p.argv)?));
        Ok(interactive_code(run::finish(outcome, handlers.release())?))
    })
    .unwrap_or_else(|status| status as c_int)
}
versioned!(sandlock_run_interactive_with_handlers, "SANDLOCK_1.0");
