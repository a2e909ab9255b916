//! Status codes, the thread-local last error that explains them, and the
//! owned error object 1.1 calls hand to the caller (which survives a change
//! of thread, as a goroutine's between two cgo calls).

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
    /// This kernel cannot enforce what the policy asks for, or this process
    /// lacks the privilege for it (a uid or gid switch without
    /// `CAP_SETUID`/`CAP_SETGID`: errno `EPERM`, and the message names the
    /// capability).
    SANDLOCK_E_UNSUPPORTED = -3,
    /// Starting the sandboxed child failed; also a program the sandbox
    /// would not let execute (errno `EACCES`, and the message names the
    /// file and why: no read rule, not executable, its interpreter).
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
        SandlockError::Unsupported { .. } | SandlockError::NeedsPrivilege { .. } => SANDLOCK_E_UNSUPPORTED,
        SandlockError::HandlerOnDeniedSyscall { .. } => SANDLOCK_E_DENIED,
        SandlockError::Spawn { .. } | SandlockError::ExecDenied { .. } => SANDLOCK_E_SPAWN,
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
        SandlockError::ExecDenied { .. } => libc::EACCES,
        SandlockError::NeedsPrivilege { .. } => libc::EPERM,
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
    pub(crate) status: sandlock_status_t,
    pub(crate) errno: i32,
    pub(crate) message: CString,
}

impl From<FfiError> for sandlock_error_t {
    fn from(error: FfiError) -> sandlock_error_t {
        sandlock_error_t { status: error.status, errno: error.errno, message: c_message(&error.message) }
    }
}

/// The thread's last error as an owned error (`None` after a success); the
/// thread's last error is then cleared.
pub(crate) fn take_last() -> Option<sandlock_error_t> {
    let taken = LAST_ERROR.try_with(|last| std::mem::take(&mut *last.borrow_mut())).ok()?;
    let LastError { status, errno, message } = taken;
    Some(sandlock_error_t { status: status?, errno, message })
}

/// The message of the thread's last error (empty after a success), valid
/// until the thread's next call.
pub(crate) fn last_message() -> *const c_char {
    LAST_ERROR.try_with(|last| last.borrow().message.as_ptr()).unwrap_or(c"".as_ptr())
}

/// The status of the thread's last error, `SANDLOCK_OK` after a success.
pub(crate) fn last_status() -> sandlock_status_t {
    LAST_ERROR.try_with(|last| last.borrow().status).ok().flatten().unwrap_or(SANDLOCK_OK)
}
