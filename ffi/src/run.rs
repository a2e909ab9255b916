//! From C arguments to a ready sandbox, shared by every run entry point;
//! and the runs without handlers.

use std::ffi::{c_char, c_int, OsStr};
use std::ptr;

use sandlock_core::{ExitStatus, Sandbox};

use crate::error::FfiError;
use crate::guard;
use crate::handler::abi::sandlock_handler_registration_t;
use crate::handler::run::Registrations;
use crate::policy::sandlock_policy_t;
use crate::result::sandlock_result_t;

/// Most arguments a run accepts (`argc`): a bound that keeps a wrong count
/// from walking over unrelated memory.
pub const SANDLOCK_MAX_ARGC: u32 = 4096;

/// Most handlers one registration array may hold (`count`).
pub const SANDLOCK_MAX_REGISTRATIONS: usize = 4096;

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
