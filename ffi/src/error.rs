//! Status codes, the thread-local last error that explains them, and the
//! owned error object 1.1 calls hand to the caller (which survives a change
//! of thread, as a goroutine's between two cgo calls).

use std::cell::RefCell;
use std::ffi::{c_char, CString};

use sandlock_core::{MemoryError, SandlockError};

use crate::guard;

/// Result of a call. `SANDLOCK_OK` and `SANDLOCK_STILL_RUNNING` are not
/// failures; every negative value is, and `sandlock_last_error()` then says
/// what went wrong and names the offending value.
#[repr(i32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum sandlock_status_t {
    SANDLOCK_OK = 0,
    /// `sandlock_child_wait`: the timeout passed and the child still runs.
    SANDLOCK_STILL_RUNNING = 1,
    /// An argument is invalid: NULL, out of range, not UTF-8, unknown name.
    SANDLOCK_E_INVALID = -1,
    /// A path or program does not exist.
    SANDLOCK_E_NOT_FOUND = -2,
    /// This kernel cannot enforce what the policy asks for.
    SANDLOCK_E_UNSUPPORTED = -3,
    /// Starting the sandboxed child failed.
    SANDLOCK_E_SPAWN = -4,
    /// An I/O error in the supervisor.
    SANDLOCK_E_IO = -5,
    /// A panic was caught (inside the library or in a callback's `ud_drop`).
    SANDLOCK_E_PANIC = -6,
    /// A handler is registered on a syscall the policy denies.
    SANDLOCK_E_DENIED = -7,
    /// Child memory could not be accessed (the child left the syscall, the
    /// address is unmapped, or a string has no NUL within the buffer).
    SANDLOCK_E_MEMORY = -8,
    /// A handler failed.
    SANDLOCK_E_HANDLER = -9,
}

use sandlock_status_t::*;

/// A failed call: its status, the errno behind it (0 when none) and the
/// message `sandlock_last_error()` returns.
#[derive(Debug)]
pub(crate) struct FfiError {
    pub(crate) status: sandlock_status_t,
    pub(crate) errno: i32,
    pub(crate) message: String,
}

impl FfiError {
    pub(crate) fn new(status: sandlock_status_t, message: impl Into<String>) -> FfiError {
        FfiError { status, errno: 0, message: message.into() }
    }

    pub(crate) fn invalid(message: impl Into<String>) -> FfiError {
        FfiError::new(SANDLOCK_E_INVALID, message)
    }

    /// The same error, its message prefixed with the run's name.
    pub(crate) fn in_run(mut self, name: Option<&str>) -> FfiError {
        if let Some(name) = name {
            self.message = format!("run {name:?}: {}", self.message);
        }
        self
    }
}

impl From<SandlockError> for FfiError {
    fn from(error: SandlockError) -> FfiError {
        FfiError { status: status_of(&error), errno: errno_of(&error), message: error.to_string() }
    }
}

/// The status of an error; a named run's error has the status of the
/// error inside.
fn status_of(error: &SandlockError) -> sandlock_status_t {
    match error {
        SandlockError::PathNotFound { .. } | SandlockError::ExecNotFound { .. } => SANDLOCK_E_NOT_FOUND,
        SandlockError::RelativePath { .. }
        | SandlockError::PathTooLong { .. }
        | SandlockError::NotADirectory { .. }
        | SandlockError::InvalidPort { .. }
        | SandlockError::UnknownSyscallName { .. }
        | SandlockError::UnknownSyscallNumber { .. }
        | SandlockError::ZeroLimit { .. }
        | SandlockError::InvalidArgument { .. } => SANDLOCK_E_INVALID,
        SandlockError::Unsupported { .. } => SANDLOCK_E_UNSUPPORTED,
        SandlockError::HandlerOnDeniedSyscall { .. } => SANDLOCK_E_DENIED,
        SandlockError::Spawn { .. } => SANDLOCK_E_SPAWN,
        SandlockError::Io { .. } => SANDLOCK_E_IO,
        SandlockError::Memory(_) => SANDLOCK_E_MEMORY,
        SandlockError::Handler(_) => SANDLOCK_E_HANDLER,
        SandlockError::InRun { error, .. } => status_of(error),
    }
}

/// The errno behind an error, 0 when none.
fn errno_of(error: &SandlockError) -> i32 {
    match error {
        SandlockError::PathNotFound { source, .. }
        | SandlockError::Spawn { source, .. }
        | SandlockError::Io { source, .. }
        | SandlockError::Memory(MemoryError::Fault { source, .. }) => source.raw_os_error().unwrap_or(0),
        SandlockError::InRun { error, .. } => errno_of(error),
        _ => 0,
    }
}

impl From<MemoryError> for FfiError {
    fn from(error: MemoryError) -> FfiError {
        SandlockError::Memory(error).into()
    }
}

/// The last error of this thread: its status (none after a success),
/// errno and message.
#[derive(Default)]
struct LastError {
    status: Option<sandlock_status_t>,
    errno: i32,
    message: CString,
}

/// A C string of `text`; a NUL inside is shown instead of truncating it.
fn c_message(text: &str) -> CString {
    CString::new(text.replace('\0', "\\0")).unwrap_or_default()
}

thread_local! {
    static LAST_ERROR: RefCell<LastError> = RefCell::default();
}

/// Forget the previous call's error (every export that can fail starts
/// with this).
pub(crate) fn clear() {
    let _ = LAST_ERROR.try_with(|last| *last.borrow_mut() = LastError::default());
}

pub(crate) fn set(error: &FfiError) {
    let message = c_message(&error.message);
    let _ = LAST_ERROR
        .try_with(|last| *last.borrow_mut() = LastError { status: Some(error.status), errno: error.errno, message });
}

/// A failed call's status, errno and message, owned by the caller (opaque).
/// 1.1 functions hand one out through their `sandlock_error_t **err`
/// parameter; `sandlock_error_take_last` makes one of the thread's last
/// error. Free it with `sandlock_error_free`.
pub struct sandlock_error_t {
    status: sandlock_status_t,
    errno: i32,
    message: CString,
}

impl From<FfiError> for sandlock_error_t {
    fn from(error: FfiError) -> sandlock_error_t {
        sandlock_error_t { status: error.status, errno: error.errno, message: c_message(&error.message) }
    }
}

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
    let taken = LAST_ERROR.try_with(|last| std::mem::take(&mut *last.borrow_mut())).ok();
    match taken {
        Some(LastError { status: Some(status), errno, message }) => {
            Box::into_raw(Box::new(sandlock_error_t { status, errno, message }))
        }
        _ => std::ptr::null_mut(),
    }
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
    LAST_ERROR.try_with(|last| last.borrow().message.as_ptr()).unwrap_or(c"".as_ptr())
}
versioned!(sandlock_last_error, "SANDLOCK_1.0");

/// Status of the last failed call on this thread (a negative
/// `sandlock_status_t`), or `SANDLOCK_OK` when the most recent call
/// succeeded; it goes with `sandlock_last_error()` and is most useful after
/// a function that reports failure as NULL. Thread-safe, per thread.
#[no_mangle]
pub extern "C" fn sandlock_last_status() -> i32 {
    let status = LAST_ERROR.try_with(|last| last.borrow().status).ok().flatten();
    status.unwrap_or(SANDLOCK_OK) as i32
}
versioned!(sandlock_last_status, "SANDLOCK_1.0");
