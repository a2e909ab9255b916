//! A long-lived sandboxed child for services: spawn it with handlers, then
//! wait (with a timeout), kill and free it.

use std::ffi::{c_char, c_int};
use std::time::Duration;

use sandlock_core::{Child, ExitStatus};

use crate::error::sandlock_status_t;
use crate::guard;
use crate::handler::registrations::{sandlock_handler_registration_t, Registrations};
use crate::policy::sandlock_policy_t;
use crate::run;

/// A running sandboxed program and the handlers that serve it (opaque).
/// Free it with `sandlock_child_free`.
pub struct sandlock_child_t {
    child: Child,
    handlers: Registrations,
}

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
    guard::call(|| {
        // SAFETY: forwarded from the caller.
        let (handlers, prepared) = unsafe { run::prepare(policy, name, argv, argc, registrations, count) };
        match prepared.and_then(|p| Ok(p.sandbox.spawn(&p.argv)?)) {
            Ok(child) => Ok(Box::into_raw(Box::new(sandlock_child_t { child, handlers }))),
            Err(e) => run::finish(Err(e), handlers.release()),
        }
    })
    .unwrap_or(std::ptr::null_mut())
}
versioned!(sandlock_spawn_with_handlers, "SANDLOCK_1.0");

/// Process id of the child, which is also its process group. Returns -1
/// with `SANDLOCK_E_INVALID` for a NULL child. Borrows `child`; must not
/// overlap `sandlock_child_wait`, `_kill` or `_free` on the same child.
///
/// # Safety
/// `child` must be NULL or a live child.
#[no_mangle]
pub unsafe extern "C" fn sandlock_child_pid(child: *const sandlock_child_t) -> i32 {
    guard::call(|| {
        // SAFETY: NULL or a live child (caller's contract).
        let child = unsafe { guard::reference(child, "child") }?;
        Ok(child.child.pid() as i32)
    })
    .unwrap_or(-1)
}
versioned!(sandlock_child_pid, "SANDLOCK_1.0");

/// Wait for the child to end, at most `timeout_ms` milliseconds (negative:
/// without limit; 0: just check). The policy's own timeout still applies.
///
/// Returns `SANDLOCK_OK` once the child has ended, with its exit code in
/// `*exit_code` (-1 if a signal killed it) and the signal in `*signal` (0
/// if it exited); either pointer may be NULL. Returns
/// `SANDLOCK_STILL_RUNNING` when the time ran out first (outputs not
/// written), or a negative status on error. After the child ended, further
/// calls return the same status at once. Not thread-safe on one child:
/// calls on the same child must not overlap.
///
/// # Safety
/// `child` must be NULL or a live child; `exit_code` and `signal` NULL or
/// writable.
#[no_mangle]
pub unsafe extern "C" fn sandlock_child_wait(
    child: *mut sandlock_child_t,
    timeout_ms: i64,
    exit_code: *mut i32,
    signal: *mut i32,
) -> c_int {
    guard::call(|| {
        // SAFETY: NULL or a live child, not used concurrently (caller's contract).
        let child = unsafe { guard::mutable(child, "child") }?;
        let status = match u64::try_from(timeout_ms) {
            Ok(ms) => child.child.wait_timeout(Duration::from_millis(ms))?,
            Err(_) => Some(child.child.wait()?),
        };
        let Some(status) = status else {
            return Ok(sandlock_status_t::SANDLOCK_STILL_RUNNING);
        };
        let (code, sig) = match status {
            ExitStatus::Exited(code) => (code, 0),
            ExitStatus::Signaled(sig) => (-1, sig),
        };
        // SAFETY: NULL or writable (caller's contract).
        if let Some(exit_code) = unsafe { exit_code.as_mut() } {
            *exit_code = code;
        }
        // SAFETY: NULL or writable (caller's contract).
        if let Some(signal) = unsafe { signal.as_mut() } {
            *signal = sig;
        }
        Ok(sandlock_status_t::SANDLOCK_OK)
    })
    .unwrap_or_else(|status| status) as c_int
}
versioned!(sandlock_child_wait, "SANDLOCK_1.0");

/// Kill every process of the sandbox (`SIGKILL` to its process group); a
/// later `sandlock_child_wait` collects the status. Killing a child that
/// already ended does nothing. Returns `SANDLOCK_OK`, or
/// `SANDLOCK_E_INVALID` for a NULL child. Must not overlap other calls on
/// the same child.
///
/// # Safety
/// `child` must be NULL or a live child.
#[no_mangle]
pub unsafe extern "C" fn sandlock_child_kill(child: *mut sandlock_child_t) -> c_int {
    guard::status(|| {
        // SAFETY: NULL or a live child, not used concurrently (caller's contract).
        let child = unsafe { guard::mutable(child, "child") }?;
        Ok(child.child.kill()?)
    })
}
versioned!(sandlock_child_kill, "SANDLOCK_1.0");

/// Free a child: kill it if it still runs, reap it, then free its handlers
/// (each `ud_drop` runs once; a panic in one is caught, the others still
/// run, and `sandlock_last_error()` reports it). NULL is a no-op. Must not
/// overlap other calls on the same child.
///
/// # Safety
/// `child` must be NULL or a child from `sandlock_spawn_with_handlers` not
/// yet freed.
#[no_mangle]
pub unsafe extern "C" fn sandlock_child_free(child: *mut sandlock_child_t) {
    let _ = guard::call(|| {
        if child.is_null() {
            return Ok(());
        }
        // SAFETY: a live child from sandlock_spawn_with_handlers, freed once.
        let sandlock_child_t { child, handlers } = *unsafe { Box::from_raw(child) };
        drop(child);
        handlers.release()
    });
}
versioned!(sandlock_child_free, "SANDLOCK_1.0");
