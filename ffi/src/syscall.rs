//! Syscall names to numbers of the architecture the library was built for.

use std::ffi::c_char;

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
