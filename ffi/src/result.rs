//! The result of a captured run: exit status and output.

use std::ptr;

use sandlock_core::{ExitStatus, RunOutput};

use crate::error::FfiError;
use crate::guard;

/// The outcome of `sandlock_run` / `sandlock_run_with_handlers` (opaque):
/// how the child ended and what it wrote. Free it with `sandlock_result_free`.
pub struct sandlock_result_t {
    pub(crate) output: RunOutput,
}

/// Exit code of the child, or -1 when a signal killed it (see
/// `sandlock_result_signal`). Returns -1 with `SANDLOCK_E_INVALID` in
/// `sandlock_last_error()` for a NULL result. Borrows `result`; thread-safe
/// (results are immutable).
///
/// # Safety
/// `result` must be NULL or a live result.
#[no_mangle]
pub unsafe extern "C" fn sandlock_result_exit_code(result: *const sandlock_result_t) -> i32 {
    guard::call(|| {
        // SAFETY: NULL or a live result (caller's contract).
        let result = unsafe { guard::reference(result, "result") }?;
        Ok(result.output.status.code().unwrap_or(-1))
    })
    .unwrap_or(-1)
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
    guard::call(|| {
        // SAFETY: NULL or a live result (caller's contract).
        let result = unsafe { guard::reference(result, "result") }?;
        Ok(match result.output.status {
            ExitStatus::Exited(_) => 0,
            ExitStatus::Signaled(signal) => signal,
        })
    })
    .unwrap_or(-1)
}
versioned!(sandlock_result_signal, "SANDLOCK_1.0");

/// The bytes of one captured stream, with their count in `*len`.
///
/// # Safety
/// `result` must be NULL or a live result; `len` NULL or writable.
unsafe fn stream(result: *const sandlock_result_t, len: *mut usize, pick: fn(&RunOutput) -> &[u8]) -> *const u8 {
    guard::call(|| {
        // SAFETY: NULL or writable (caller's contract).
        let len = unsafe { guard::mutable(len, "len") }?;
        *len = 0;
        // SAFETY: NULL or a live result (caller's contract).
        let result = unsafe { guard::reference(result, "result") }?;
        let bytes = pick(&result.output);
        *len = bytes.len();
        Ok::<_, FfiError>(bytes.as_ptr())
    })
    .unwrap_or(ptr::null())
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
    let _ = guard::call(|| {
        if !result.is_null() {
            // SAFETY: a live result from this library, freed once.
            drop(unsafe { Box::from_raw(result) });
        }
        Ok(())
    });
}
versioned!(sandlock_result_free, "SANDLOCK_1.0");
