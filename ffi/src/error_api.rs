//! The exports that hand out and read errors: owned error objects (1.1)
//! and the calling thread's last error (1.0).

use std::ffi::c_char;

use crate::error::{self, sandlock_error_t, sandlock_status_t::SANDLOCK_E_INVALID};
use crate::guard;

/// Status of `error` (a negative `sandlock_status_t`), or `SANDLOCK_E_INVALID`
/// for NULL. Borrows `error`; thread-safe. Since 1.1.
///
/// # Safety
/// `error` must be NULL or a live error.
#[no_mangle]
pub unsafe extern "C" fn sandlock_error_status(error: *const sandlock_error_t) -> i32 {
    // SAFETY: NULL or a live error (caller's contract).
    unsafe { error.as_ref() }.map_or(SANDLOCK_E_INVALID, |e| e.status) as i32
}
versioned!(sandlock_error_status, "SANDLOCK_1.1");

/// The `errno` behind `error` (e.g. `EACCES` from a failed `exec`), or 0 when
/// the failure has none or `error` is NULL. Borrows `error`; thread-safe.
/// Since 1.1.
///
/// # Safety
/// `error` must be NULL or a live error.
#[no_mangle]
pub unsafe extern "C" fn sandlock_error_errno(error: *const sandlock_error_t) -> i32 {
    // SAFETY: NULL or a live error (caller's contract).
    unsafe { error.as_ref() }.map_or(0, |e| e.errno)
}
versioned!(sandlock_error_errno, "SANDLOCK_1.1");

/// The message of `error`: NUL-terminated UTF-8 that names the offending
/// value, owned by `error` (valid until `sandlock_error_free`). Never NULL:
/// the empty string for a NULL `error`. Thread-safe. Since 1.1.
///
/// # Safety
/// `error` must be NULL or a live error.
#[no_mangle]
pub unsafe extern "C" fn sandlock_error_message(error: *const sandlock_error_t) -> *const c_char {
    // SAFETY: NULL or a live error (caller's contract).
    unsafe { error.as_ref() }.map_or(c"".as_ptr(), |e| e.message.as_ptr())
}
versioned!(sandlock_error_message, "SANDLOCK_1.1");

/// Free an error. NULL is a no-op. Must not race with other calls on the
/// same error. Since 1.1.
///
/// # Safety
/// `error` must be NULL or an error from this library not yet freed.
#[no_mangle]
pub unsafe extern "C" fn sandlock_error_free(error: *mut sandlock_error_t) {
    guard::unit(|| {
        if !error.is_null() {
            // SAFETY: a live error from this library, freed once.
            drop(unsafe { Box::from_raw(error) });
        }
        Ok(())
    })
}
versioned!(sandlock_error_free, "SANDLOCK_1.1");

/// The calling thread's last error as an owned error, or NULL when the most
/// recent call on this thread succeeded; the thread's last error is then
/// cleared. Call it right after a 1.0 function failed, on the same thread
/// (in one cgo call from Go), to keep its status, errno and message across
/// a change of thread. Free the result with `sandlock_error_free`.
/// Thread-safe: each thread has its own last error. Since 1.1.
#[no_mangle]
pub extern "C" fn sandlock_error_take_last() -> *mut sandlock_error_t {
    error::take_last().map_or(std::ptr::null_mut(), |e| Box::into_raw(Box::new(e)))
}
versioned!(sandlock_error_take_last, "SANDLOCK_1.1");

/// Message of the last failed call on this thread.
///
/// Returns a NUL-terminated UTF-8 string, never NULL: the empty string when
/// the most recent call on this thread succeeded (calls that cannot fail,
/// `sandlock_version` and `sandlock_last_*`, leave it as it is). The string
/// is owned by the library and stays valid until the next call on the same
/// thread; copy it to keep it. Thread-safe: each thread has its own last
/// error, so errors of other threads never show here.
#[no_mangle]
pub extern "C" fn sandlock_last_error() -> *const c_char {
    error::last_message()
}
versioned!(sandlock_last_error, "SANDLOCK_1.0");

/// Status of the last failed call on this thread (a negative
/// `sandlock_status_t`), or `SANDLOCK_OK` when the most recent call
/// succeeded; it goes with `sandlock_last_error()` and is most useful after
/// a function that reports failure as NULL. Thread-safe, per thread.
#[no_mangle]
pub extern "C" fn sandlock_last_status() -> i32 {
    error::last_status() as i32
}
versioned!(sandlock_last_status, "SANDLOCK_1.0");
