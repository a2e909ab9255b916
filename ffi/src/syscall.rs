//! Syscall names to numbers of the architecture the library was built for,
//! and back.

use std::collections::HashMap;
use std::ffi::{c_char, CStr, CString};
use std::sync::{Mutex, OnceLock};

use sandlock_core::Syscall;

use crate::guard;

/// Number of the syscall called `name` (e.g. `"openat"`) on this
/// architecture, for `sandlock_handler_registration_t.syscall_nr`.
///
/// Every syscall of the architecture resolves, not only the ones the
/// library itself filters. Returns -1 when `name` is NULL, not UTF-8 or
/// unknown; `sandlock_last_error()` then names it. `name` is borrowed for
/// the call only. Thread-safe.
///
/// # Safety
/// `name` must be NULL or a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn sandlock_syscall_nr(name: *const c_char) -> i64 {
    guard::value(|| {
        // SAFETY: `name` is NULL or a C string (caller's contract).
        let name = unsafe { guard::utf8(name, "name") }?;
        Ok(i64::from(Syscall::from_name(name)?.nr()))
    })
}
versioned!(sandlock_syscall_nr, "SANDLOCK_1.0");

/// The C string of a syscall's name, made once per syscall and kept for the
/// life of the process (the table is bounded by the architecture's
/// syscalls), so callers get a pointer they never free.
fn interned(syscall: Syscall) -> &'static CStr {
    static NAMES: OnceLock<Mutex<HashMap<u32, &'static CStr>>> = OnceLock::new();
    let mut names = NAMES.get_or_init(Mutex::default).lock().unwrap_or_else(|e| e.into_inner());
    names.entry(syscall.nr()).or_insert_with(|| {
        // A table name never holds a NUL.
        let name = CString::new(syscall.name()).unwrap_or_default();
        Box::leak(name.into_boxed_c_str())
    })
}

/// Name of syscall `nr` on this architecture (e.g. `"openat"`), the inverse
/// of `sandlock_syscall_nr`: what a binding shows for
/// `sandlock_notif_data_t.syscall_nr` without a table of its own.
///
/// Returns a NUL-terminated string owned by the library and valid for the
/// life of the process (never free it), or NULL with `SANDLOCK_E_INVALID`
/// in `sandlock_last_error()` when `nr` is not a syscall of this
/// architecture. Thread-safe. Since 1.1.
#[no_mangle]
pub extern "C" fn sandlock_syscall_name(nr: i64) -> *const c_char {
    guard::value(|| Ok(interned(Syscall::checked(nr)?).as_ptr()))
}
versioned!(sandlock_syscall_name, "SANDLOCK_1.1");
