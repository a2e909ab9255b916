//! The 1.0 run entry points (captured or interactive, with or without
//! handlers, and spawn): each is a thin wrapper over a command object.

use std::ffi::{c_char, c_int};
use std::ptr;

use crate::child::sandlock_child_t;
use crate::command::sandlock_command_t;
use crate::error::FfiError;
use crate::guard;
use crate::handler::registrations::{sandlock_handler_registration_t, Registrations};
use crate::policy::sandlock_policy_t;
use crate::result::sandlock_result_t;

/// The command a 1.0 entry point stands for. The registrations are taken
/// first, so that every path consumes them, and freed here when another
/// argument is bad (that error wins over a panic of a `ud_drop`).
///
/// # Safety
/// As documented for `sandlock_run_with_handlers`.
unsafe fn command(
    policy: *const sandlock_policy_t,
    name: *const c_char,
    argv: *const *const c_char,
    argc: u32,
    registrations: *const sandlock_handler_registration_t,
    count: usize,
) -> Result<sandlock_command_t, FfiError> {
    // SAFETY: forwarded from the caller.
    let (handlers, taken) = unsafe { Registrations::take(registrations, count) };
    // SAFETY: forwarded from the caller.
    match taken.and_then(|()| unsafe { sandlock_command_t::from_c(policy, argv, argc, name) }) {
        Ok(command) => Ok(command.with_handlers(handlers)),
        Err(e) => {
            let _ = handlers.release();
            Err(e)
        }
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
    // SAFETY: forwarded from the caller; no registrations.
    guard::value(|| unsafe { command(policy, name, argv, argc, ptr::null(), 0) }?.run())
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
    // SAFETY: forwarded from the caller; no registrations.
    guard::code(|| unsafe { command(policy, name, argv, argc, ptr::null(), 0) }?.run_interactive())
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
    // SAFETY: forwarded from the caller.
    guard::value(|| unsafe { command(policy, name, argv, argc, registrations, count) }?.run())
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
    // SAFETY: forwarded from the caller.
    guard::code(|| unsafe { command(policy, name, argv, argc, registrations, count) }?.run_interactive())
}
versioned!(sandlock_run_interactive_with_handlers, "SANDLOCK_1.0");

/// Start a program under `policy` with C handlers and return at once. The
/// child uses the caller's stdout and stderr and reads `/dev/null`.
/// Arguments and the ownership of `registrations` are as for
/// `sandlock_run_with_handlers`: every handler is consumed on every path;
/// on success the child owns them until `sandlock_child_free`.
///
/// Returns an owned child, or NULL with the reason in
/// `sandlock_last_error()`. Thread-safe.
///
/// # Safety
/// As for `sandlock_run_with_handlers`.
#[no_mangle]
pub unsafe extern "C" fn sandlock_spawn_with_handlers(
    policy: *const sandlock_policy_t,
    name: *const c_char,
    argv: *const *const c_char,
    argc: u32,
    registrations: *const sandlock_handler_registration_t,
    count: usize,
) -> *mut sandlock_child_t {
    // SAFETY: forwarded from the caller.
    guard::value(|| unsafe { command(policy, name, argv, argc, registrations, count) }?.spawn(false))
}
versioned!(sandlock_spawn_with_handlers, "SANDLOCK_1.0");
