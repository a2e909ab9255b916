//! Status codes and the thread-local last error that explains them.

use std::cell::RefCell;
use std::ffi::{c_char, CString};

use sandlock_core::{MemoryError, SandlockError};

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

/// A failed call: its status and the message `sandlock_last_error()` returns.
#[derive(Debug)]
pub(crate) struct FfiError {
    pub(crate) status: sandlock_status_t,
    pub(crate) message: String,
}

impl FfiError {
    pub(crate) fn new(status: sandlock_status_t, message: impl Into<String>) -> FfiError {
        FfiError { status, message: message.into() }
    }

    pub(crate) fn invalid(message: impl Into<String>) -> FfiError {
        FfiError::new(SANDLOCK_E_INVALID, message)
    }
}

impl From<SandlockError> for FfiError {
    fn from(error: SandlockError) -> FfiError {
        let status = match &error {
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
        };
        FfiError::new(status, error.to_string())
    }
}

impl From<MemoryError> for FfiError {
    fn from(error: MemoryError) -> FfiError {
        SandlockError::Memory(error).into()
    }
}

/// The last error of this thread: its status (none after a success) and
/// message.
#[derive(Default)]
struct LastError {
    status: Option<sandlock_status_t>,
    message: CString,
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
    // A C string cannot hold NUL; show it instead of truncating the message.
    let text = error.message.replace('\0', "\\0");
    let message = CString::new(text).unwrap_or_default();
    let _ = LAST_ERROR.try_with(|last| *last.borrow_mut() = LastError { status: Some(error.status), message });
}

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
