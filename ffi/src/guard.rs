//! The one panic boundary every export goes through, and the checked
//! conversions of C arguments into Rust values.

use std::any::Any;
use std::ffi::{c_char, c_int, CStr, OsStr};
use std::os::unix::ffi::OsStrExt;
use std::panic::{catch_unwind, AssertUnwindSafe};

use crate::error::{self, sandlock_status_t, FfiError};
use crate::limits::SANDLOCK_MAX_ARGC;

/// Run the body of an export: clear the thread's last error, catch any
/// panic, and on failure record the message and return the status.
pub(crate) fn call<T>(body: impl FnOnce() -> Result<T, FfiError>) -> Result<T, sandlock_status_t> {
    error::clear();
    let outcome =
        catch_unwind(AssertUnwindSafe(body)).unwrap_or_else(|payload| Err(panic_error("the library", &*payload)));
    outcome.map_err(|e| {
        error::set(&e);
        e.status
    })
}

/// [`call`] for exports that return a status code.
pub(crate) fn status(body: impl FnOnce() -> Result<(), FfiError>) -> c_int {
    match call(body) {
        Ok(()) => sandlock_status_t::SANDLOCK_OK as c_int,
        Err(status) => status as c_int,
    }
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
