//! The one panic boundary every export goes through, the failure value of
//! each return type, and the checked conversions of C arguments into Rust
//! values.

use std::any::Any;
use std::ffi::{c_char, c_int, CStr, OsStr};
use std::os::unix::ffi::OsStrExt;
use std::panic::{catch_unwind, AssertUnwindSafe};

use crate::error::{self, sandlock_error_t, sandlock_status_t, FfiError};
use crate::limits::SANDLOCK_MAX_ARGC;

/// What an export that returns a value gives back when it fails; the
/// status and message then are in the last error (and in `*err` for 1.1
/// calls).
pub(crate) trait Failure {
    fn failure() -> Self;
}

impl<T> Failure for *mut T {
    fn failure() -> Self {
        std::ptr::null_mut()
    }
}

impl<T> Failure for *const T {
    fn failure() -> Self {
        std::ptr::null()
    }
}

/// A pid, exit code, signal or syscall number: never -1 on success.
impl Failure for i32 {
    fn failure() -> Self {
        -1
    }
}

impl Failure for i64 {
    fn failure() -> Self {
        -1
    }
}

impl Failure for () {
    fn failure() -> Self {}
}

/// Run the body of an export: clear the thread's last error, catch any
/// panic, and on failure record the error (in the last error, and in
/// `*err` when `err` is not NULL) and hand back its status.
fn call<T>(
    err: *mut *mut sandlock_error_t,
    body: impl FnOnce() -> Result<T, FfiError>,
) -> Result<T, sandlock_status_t> {
    error::clear();
    let outcome =
        catch_unwind(AssertUnwindSafe(body)).unwrap_or_else(|payload| Err(panic_error("the library", &*payload)));
    match outcome {
        Ok(value) => {
            // SAFETY: `err` is NULL or writable (every export's contract).
            if let Some(slot) = unsafe { err.as_mut() } {
                *slot = std::ptr::null_mut();
            }
            Ok(value)
        }
        Err(e) => {
            let status = e.status;
            error::set(&e);
            // SAFETY: as above.
            if let Some(slot) = unsafe { err.as_mut() } {
                *slot = Box::into_raw(Box::new(sandlock_error_t::from(e)));
            }
            Err(status)
        }
    }
}

/// An export that returns a value: [`Failure::failure`] when it fails.
pub(crate) fn value<T: Failure>(body: impl FnOnce() -> Result<T, FfiError>) -> T {
    call(std::ptr::null_mut(), body).unwrap_or_else(|_| T::failure())
}

/// [`value`] for a 1.1 export with an error out-parameter.
pub(crate) fn value_err<T: Failure>(err: *mut *mut sandlock_error_t, body: impl FnOnce() -> Result<T, FfiError>) -> T {
    call(err, body).unwrap_or_else(|_| T::failure())
}

/// An export that returns a status code: `SANDLOCK_OK`, or the error's.
pub(crate) fn status(body: impl FnOnce() -> Result<(), FfiError>) -> c_int {
    status_err(std::ptr::null_mut(), body)
}

/// [`status`] for a 1.1 export with an error out-parameter.
pub(crate) fn status_err(err: *mut *mut sandlock_error_t, body: impl FnOnce() -> Result<(), FfiError>) -> c_int {
    code_err(err, || body().map(|()| sandlock_status_t::SANDLOCK_OK as c_int))
}

/// An export whose success is a non-negative code (a second status such as
/// `SANDLOCK_STILL_RUNNING`, or an exit code): the body's, or the error's
/// negative status.
pub(crate) fn code(body: impl FnOnce() -> Result<c_int, FfiError>) -> c_int {
    code_err(std::ptr::null_mut(), body)
}

/// [`code`] for a 1.1 export with an error out-parameter.
pub(crate) fn code_err(err: *mut *mut sandlock_error_t, body: impl FnOnce() -> Result<c_int, FfiError>) -> c_int {
    call(err, body).unwrap_or_else(|status| status as c_int)
}

/// An export that returns nothing (the `_free` functions).
pub(crate) fn unit(body: impl FnOnce() -> Result<(), FfiError>) {
    value(body)
}

/// The error for a caught panic of `origin`, with the panic's message.
pub(crate) fn panic_error(origin: &str, payload: &(dyn Any + Send)) -> FfiError {
    let text = payload
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("(no message)");
    FfiError::new(sandlock_status_t::SANDLOCK_E_PANIC, format!("panic in {origin}: {text}"))
}

/// `ptr` as a shared reference, or an error naming `what` when it is NULL.
///
/// # Safety
/// A non-NULL `ptr` must point to a live `T` that is not mutated for `'a`.
pub(crate) unsafe fn reference<'a, T>(ptr: *const T, what: &str) -> Result<&'a T, FfiError> {
    // SAFETY: the caller guarantees a non-NULL `ptr` is valid for `'a`.
    unsafe { ptr.as_ref() }.ok_or_else(|| FfiError::invalid(format!("{what} must not be NULL")))
}

/// `ptr` as an exclusive reference, or an error naming `what` when it is NULL.
///
/// # Safety
/// A non-NULL `ptr` must point to a live `T` that nothing else accesses for `'a`.
pub(crate) unsafe fn mutable<'a, T>(ptr: *mut T, what: &str) -> Result<&'a mut T, FfiError> {
    // SAFETY: the caller guarantees a non-NULL `ptr` is valid and unaliased for `'a`.
    unsafe { ptr.as_mut() }.ok_or_else(|| FfiError::invalid(format!("{what} must not be NULL")))
}

/// A C string argument, or an error naming `what` when it is NULL.
///
/// # Safety
/// A non-NULL `ptr` must point to a NUL-terminated string that outlives `'a`.
pub(crate) unsafe fn c_str<'a>(ptr: *const c_char, what: &str) -> Result<&'a CStr, FfiError> {
    if ptr.is_null() {
        return Err(FfiError::invalid(format!("{what} must not be NULL")));
    }
    // SAFETY: non-NULL, and the caller guarantees NUL termination and lifetime.
    Ok(unsafe { CStr::from_ptr(ptr) })
}

/// A C string argument that must be UTF-8 (names, not paths).
///
/// # Safety
/// As for [`c_str`].
pub(crate) unsafe fn utf8<'a>(ptr: *const c_char, what: &str) -> Result<&'a str, FfiError> {
    // SAFETY: forwarded from the caller.
    let text = unsafe { c_str(ptr, what) }?;
    text.to_str().map_err(|_| FfiError::invalid(format!("{what} {text:?} is not valid UTF-8")))
}

/// A C string argument taken as raw bytes (paths, argv, environment).
///
/// # Safety
/// As for [`c_str`].
pub(crate) unsafe fn os_str<'a>(ptr: *const c_char, what: &str) -> Result<&'a OsStr, FfiError> {
    // SAFETY: forwarded from the caller.
    unsafe { c_str(ptr, what) }.map(|s| OsStr::from_bytes(s.to_bytes()))
}

/// A byte buffer argument: `len` bytes at `data`, which may be NULL only
/// when `len` is 0.
///
/// # Safety
/// A non-NULL `data` must be readable for `len` bytes for `'a`.
pub(crate) unsafe fn bytes<'a>(data: *const u8, len: usize, what: &str) -> Result<&'a [u8], FfiError> {
    match (data.is_null(), len) {
        (_, 0) => Ok(&[]),
        (true, _) => Err(FfiError::invalid(format!("{what} must not be NULL when len is {len}"))),
        // SAFETY: `data` is readable for `len` bytes (caller's contract).
        (false, _) => Ok(unsafe { std::slice::from_raw_parts(data, len) }),
    }
}

/// The program's argument vector: `argc` in `1..=SANDLOCK_MAX_ARGC`, no NULL entry.
///
/// # Safety
/// A non-NULL `argv` must point to `argc` pointers, each NULL or a
/// NUL-terminated string that outlives `'a`.
pub(crate) unsafe fn argv<'a>(argv: *const *const c_char, argc: u32) -> Result<Vec<&'a OsStr>, FfiError> {
    if argv.is_null() {
        return Err(FfiError::invalid("argv must not be NULL"));
    }
    if argc == 0 || argc > SANDLOCK_MAX_ARGC {
        return Err(FfiError::invalid(format!("argc must be between 1 and {SANDLOCK_MAX_ARGC}, got {argc}")));
    }
    // SAFETY: the caller guarantees `argc` readable entries; argc is bounded.
    let entries = unsafe { std::slice::from_raw_parts(argv, argc as usize) };
    entries
        .iter()
        .enumerate()
        // SAFETY: each entry is NULL or a valid C string (caller's contract).
        .map(|(i, &arg)| unsafe { os_str(arg, &format!("argv[{i}]")) })
        .collect()
}
