//! Every run entry point (captured or interactive, with or without
//! handlers), and the preparation they share: from C arguments to a ready
//! sandbox.

use std::ffi::{c_char, c_int, OsStr};
use std::ptr;

use sandlock_core::{ExitStatus, Sandbox};

use crate::error::FfiError;
use crate::guard;
use crate::handler::registrations::{sandlock_handler_registration_t, Registrations};
use crate::policy::sandlock_policy_t;
use crate::result::sandlock_result_t;

/// A sandbox with its handlers and the argument vector to run in it.
pub(crate) struct Prepared<'a> {
    pub(crate) sandbox: Sandbox,
    pub(crate) argv: Vec<&'a OsStr>,
}

/// Take the registrations (first, so that every path consumes them), then
/// check the other arguments and build the sandbox.
///
/// # Safety
/// As documented for `sandlock_run_with_handlers`.
pub(crate) unsafe fn prepare<'a>(
    policy: *const sandlock_policy_t,
    name: *const c_char,
    argv: *const *const c_char,
    argc: u32,
    registrations: *const sandlock_handler_registration_t,
    count: usize,
) -> (Registrations, Result<Prepared<'a>, FfiError>) {
    // SAFETY: forwarded from the caller.
    let (handlers, taken) = unsafe { Registrations::take(registrations, count) };
    let prepared = taken.and_then(|()| {
        // SAFETY: forwarded from the caller.
        let policy = unsafe { guard::reference(policy, "policy") }?;
        // SAFETY: forwarded from the caller.
        let argv = unsafe { guard::argv(argv, argc) }?;
        let name = match name.is_null() {
            true => None,
            // SAFETY: forwarded from the caller.
            false => Some(unsafe { guard::utf8(name, "name") }?),
        };
        let mut sandbox = Sandbox::new(policy.build()?)?;
        if let Some(name) = name {
            sandbox = sandbox.with_name(name);
        }
        let sandbox = handlers.add_to(sandbox)?;
        Ok(Prepared { sandbox, argv })
    });
    (handlers, prepared)
}

/// The run's outcome once its handlers are freed: a run error wins over a
/// `ud_drop` panic, which wins over success.
pub(crate) fn finish<T>(outcome: Result<T, FfiError>, released: Result<(), FfiError>) -> Result<T, FfiError> {
    let value = outcome?;
    released?;
    Ok(value)
}

/// The shell's convention: the exit code, or 128 + the killing signal.
pub(crate) fn interactive_code(status: ExitStatus) -> c_int {
    match status {
        ExitStatus::Exited(code) => code,
        ExitStatus::Signaled(signal) => 128 + signal,
    }
}

/// Run a program to completion under `policy`, capturing its stdout and
/// stderr. `name` (may be NULL) labels the sandbox in errors. `argv` holds
/// `argc` (1..=4096) strings; `argv[0]` is the program, searched in the
/// child's `PATH` when it has no `/`. All arguments are borrowed for the
/// call only.
///
/// Returns an owned result (free it with `sandlock_result_free`), or NULL
/// with the reason in `sandlock_last_error()`. Thread-safe: several runs may
/// share one policy concurrently (while no setter runs on it).
///
/// # Safety
/// `policy` must be NULL or a live policy; `name` NULL or a C string; `argv`
/// NULL or `argc` pointers to C strings.
#[no_mangle]
pub unsafe extern "C" fn sandlock_run(
    policy: *const sandlock_policy_t,
    name: *const c_char,
    argv: *const *const c_char,
    argc: u32,
) -> *mut sandlock_result_t {
    guard::call(|| {
        // SAFETY: forwarded from the caller; no registrations.
        let (_, prepared) = unsafe { prepare(policy, name, argv, argc, ptr::null(), 0) };
        let prepared = prepared?;
        let output = prepared.sandbox.run(&prepared.argv)?;
        Ok(Box::into_raw(Box::new(sandlock_result_t { output })))
    })
    .unwrap_or(ptr::null_mut())
}
versioned!(sandlock_run, "SANDLOCK_1.0");

/// Run a program to completion with the caller's stdin, stdout and
/// stderr. Arguments as for `sandlock_run`. Returns the
/// child's exit code, 128 + the signal that killed it, or a negative status
/// with the reason in `sandlock_last_error()`. Thread-safe.
///
/// # Safety
/// As for `sandlock_run`.
#[no_mangle]
pub unsafe extern "C" fn sandlock_run_interactive(
    policy: *const sandlock_policy_t,
    name: *const c_char,
    argv: *const *const c_char,
    argc: u32,
) -> c_int {
    guard::call(|| {
        // SAFETY: forwarded from the caller; no registrations.
        let (_, prepared) = unsafe { prepare(policy, name, argv, argc, ptr::null(), 0) };
        let prepared = prepared?;
        Ok(interactive_code(prepared.sandbox.run_interactive(&prepared.argv)?))
    })
    .unwrap_or_else(|status| status as c_int)
}
versioned!(sandlock_run_interactive, "SANDLOCK_1.0");

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
        let (handlers, prepared) = unsafe { prepare(policy, name, argv, argc, registrations, count) };
        let outcome = prepared.and_then(|p| Ok(p.sandbox.run(&p.argv)?));
        let output = finish(outcome, handlers.release())?;
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
        let (handlers, prepared) = unsafe { prepare(policy, name, argv, argc, registrations, count) };
        let outcome = prepared.and_then(|p| Ok(p.sandbox.run_interactive(&p.argv)?));
        Ok(interactive_code(finish(outcome, handlers.release())?))
    })
    .unwrap_or_else(|status| status as c_int)
}
versioned!(sandlock_run_interactive_with_handlers, "SANDLOCK_1.0");
