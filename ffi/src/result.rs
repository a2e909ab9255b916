//! The result of a captured run: how the child ended and its output; and
//! the exit snapshot runs and spawned children share.

use sandlock_core::{ExitStatus, HandlerKill, RunOutput};

use crate::error::FfiError;
use crate::guard;

/// Values of `sandlock_exit_t.reason`: why the child ended.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum sandlock_exit_reason_t {
    /// It exited by itself, with `exit_code`.
    SANDLOCK_EXIT_EXITED = 0,
    /// A signal from outside the library (or from the program itself)
    /// killed it: `signal`.
    SANDLOCK_EXIT_SIGNALED = 1,
    /// The policy's timeout killed the sandbox.
    SANDLOCK_EXIT_TIMED_OUT = 2,
    /// A handler failed on `syscall_nr` and its exception policy killed the
    /// sandbox.
    SANDLOCK_EXIT_HANDLER_FAILED = 3,
    /// A handler answered `syscall_nr` with a kill.
    SANDLOCK_EXIT_HANDLER_KILLED = 4,
}

/// How a run or a spawned child ended (a snapshot the library owns and
/// fills; fields may only be added at the end within a major version).
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct sandlock_exit_t {
    /// A `sandlock_exit_reason_t` value.
    pub reason: u32,
    /// The exit code, or -1 when a signal killed the child.
    pub exit_code: i32,
    /// The signal that killed the child, or 0 when it exited.
    pub signal: i32,
    /// For the two handler reasons, the syscall whose handler killed the
    /// sandbox; -1 otherwise.
    pub syscall_nr: i64,
    /// Captured output past the policy's max output was discarded.
    pub stdout_truncated: bool,
    pub stderr_truncated: bool,
}

impl sandlock_exit_t {
    /// The snapshot of an ended child: a timeout first, then a handler's
    /// kill (when the child died of the signal it sent), then the status
    /// itself.
    pub(crate) fn new(status: ExitStatus, timed_out: bool, kill: Option<HandlerKill>) -> sandlock_exit_t {
        use sandlock_exit_reason_t::*;
        let (exit_code, signal) = match status {
            ExitStatus::Exited(code) => (code, 0),
            ExitStatus::Signaled(sig) => (-1, sig),
        };
        // A kill whose signal the child survived (or handled) did not end it.
        let kill = kill.filter(|k| status == ExitStatus::Signaled(k.signal));
        let (reason, syscall_nr) = match (status, timed_out, kill) {
            (ExitStatus::Signaled(_), true, _) => (SANDLOCK_EXIT_TIMED_OUT, -1),
            (ExitStatus::Signaled(_), false, Some(k)) if k.exception => {
                (SANDLOCK_EXIT_HANDLER_FAILED, i64::from(k.syscall.nr()))
            }
            (ExitStatus::Signaled(_), false, Some(k)) => (SANDLOCK_EXIT_HANDLER_KILLED, i64::from(k.syscall.nr())),
            (ExitStatus::Signaled(_), false, None) => (SANDLOCK_EXIT_SIGNALED, -1),
            (ExitStatus::Exited(_), ..) => (SANDLOCK_EXIT_EXITED, -1),
        };
        sandlock_exit_t {
            reason: reason as u32,
            exit_code,
            signal,
            syscall_nr,
            stdout_truncated: false,
            stderr_truncated: false,
        }
    }
}

/// The outcome of a captured run (opaque): how the child ended and what it
/// wrote. Free it with `sandlock_result_free`.
pub struct sandlock_result_t {
    output: RunOutput,
    exit: sandlock_exit_t,
}

impl sandlock_result_t {
    pub(crate) fn new(output: RunOutput) -> sandlock_result_t {
        let exit = sandlock_exit_t {
            stdout_truncated: output.stdout_truncated,
            stderr_truncated: output.stderr_truncated,
            ..sandlock_exit_t::new(output.status, output.timed_out, output.handler_kill)
        };
        sandlock_result_t { output, exit }
    }
}

/// How the run ended: why, the exit code or signal, the syscall of a
/// handler that killed it, and whether output was truncated. The snapshot is
/// owned by `result` (valid until `sandlock_result_free`). Returns NULL
/// with `SANDLOCK_E_INVALID` for a NULL result. Thread-safe. Since 1.1.
///
/// # Safety
/// `result` must be NULL or a live result.
#[no_mangle]
pub unsafe extern "C" fn sandlock_result_exit(result: *const sandlock_result_t) -> *const sandlock_exit_t {
    guard::value(|| {
        // SAFETY: NULL or a live result (caller's contract).
        Ok(std::ptr::from_ref(&unsafe { guard::reference(result, "result") }?.exit))
    })
}
versioned!(sandlock_result_exit, "SANDLOCK_1.1");

/// Exit code of the child, or -1 when a signal killed it (see
/// `sandlock_result_signal`). Returns -1 with `SANDLOCK_E_INVALID` in
/// `sandlock_last_error()` for a NULL result. Borrows `result`; thread-safe
/// (results are immutable).
///
/// # Safety
/// `result` must be NULL or a live result.
#[no_mangle]
pub unsafe extern "C" fn sandlock_result_exit_code(result: *const sandlock_result_t) -> i32 {
    guard::value(|| {
        // SAFETY: NULL or a live result (caller's contract).
        let result = unsafe { guard::reference(result, "result") }?;
        Ok(result.output.status.code().unwrap_or(-1))
    })
}
versioned!(sandlock_result_exit_code, "SANDLOCK_1.0");

/// Signal that killed the child, or 0 when it exited by itself. Returns -1
/// with `SANDLOCK_E_INVALID` for a NULL result. Borrows `result`;
/// thread-safe.
///
/// # Safety
/// `result` must be NULL or a live result.
#[no_mangle]
pub unsafe extern "C" fn sandlock_result_signal(result: *const sandlock_result_t) -> i32 {
    guard::value(|| {
        // SAFETY: NULL or a live result (caller's contract).
        let result = unsafe { guard::reference(result, "result") }?;
        Ok(match result.output.status {
            ExitStatus::Exited(_) => 0,
            ExitStatus::Signaled(signal) => signal,
        })
    })
}
versioned!(sandlock_result_signal, "SANDLOCK_1.0");

/// The bytes of one captured stream, with their count in `*len`.
///
/// # Safety
/// `result` must be NULL or a live result; `len` NULL or writable.
unsafe fn stream(result: *const sandlock_result_t, len: *mut usize, pick: fn(&RunOutput) -> &[u8]) -> *const u8 {
    guard::value(|| {
        // SAFETY: NULL or writable (caller's contract).
        let len = unsafe { guard::mutable(len, "len") }?;
        *len = 0;
        // SAFETY: NULL or a live result (caller's contract).
        let result = unsafe { guard::reference(result, "result") }?;
        let bytes = pick(&result.output);
        *len = bytes.len();
        Ok::<_, FfiError>(bytes.as_ptr())
    })
}

/// What the child wrote to standard output (not NUL-terminated), with the
/// byte count in `*len`. The pointer is never NULL for a valid result (it
/// may point to zero bytes) and is owned by `result`: valid until
/// `sandlock_result_free`. Returns NULL (and `*len` = 0 when `len` is not
/// NULL) with `SANDLOCK_E_INVALID` when `result` or `len` is NULL.
/// Thread-safe.
///
/// # Safety
/// `result` must be NULL or a live result; `len` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn sandlock_result_stdout(result: *const sandlock_result_t, len: *mut usize) -> *const u8 {
    // SAFETY: forwarded from the caller.
    unsafe { stream(result, len, |output| &output.stdout) }
}
versioned!(sandlock_result_stdout, "SANDLOCK_1.0");

/// What the child wrote to standard error; as `sandlock_result_stdout`.
///
/// # Safety
/// `result` must be NULL or a live result; `len` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn sandlock_result_stderr(result: *const sandlock_result_t, len: *mut usize) -> *const u8 {
    // SAFETY: forwarded from the caller.
    unsafe { stream(result, len, |output| &output.stderr) }
}
versioned!(sandlock_result_stderr, "SANDLOCK_1.0");

/// Free a result and the output it owns. NULL is a no-op. Must not race with
/// other calls on the same result.
///
/// # Safety
/// `result` must be NULL or a result not yet freed.
#[no_mangle]
pub unsafe extern "C" fn sandlock_result_free(result: *mut sandlock_result_t) {
    guard::unit(|| {
        if !result.is_null() {
            // SAFETY: a live result from this library, freed once.
            drop(unsafe { Box::from_raw(result) });
        }
        Ok(())
    });
}
versioned!(sandlock_result_free, "SANDLOCK_1.0");
