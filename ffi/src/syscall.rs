//! Syscall names to numbers of the architecture the library was built for,
//! and back.

use std::ffi::{c_char, CStr, CString};
use std::sync::atomic::{AtomicPtr, Ordering};

use sandlock_core::Syscall;

use crate::error::FfiError;
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

/// More than the highest syscall number of any architecture the library
/// builds for.
const NAME_SLOTS: usize = 1024;

/// The C string of a syscall's name, made once per syscall and kept for the
/// life of the process (the table is bounded by the architecture's
/// syscalls), so callers get a pointer they never free. Without a lock: one
/// taken by another thread at a `fork` of the host stays taken in the new
/// process.
fn interned(syscall: Syscall) -> Result<&'static CStr, FfiError> {
    static NAMES: [AtomicPtr<c_char>; NAME_SLOTS] = [const { AtomicPtr::new(std::ptr::null_mut()) }; NAME_SLOTS];
    let slot = NAMES
        .get(syscall.nr() as usize)
        .ok_or_else(|| FfiError::invalid(format!("syscall {} is beyond the library's name table", syscall.nr())))?;
    let mut name = slot.load(Ordering::Acquire);
    if name.is_null() {
        // A table name never holds a NUL.
        let made = CString::new(syscall.name()).unwrap_or_default().into_raw();
        name = match slot.compare_exchange(std::ptr::null_mut(), made, Ordering::AcqRel, Ordering::Acquire) {
            Ok(_) => made,
            Err(theirs) => {
                // SAFETY: `made` came from `into_raw` above and was never
                // published: another thread's name won the slot.
                drop(unsafe { CString::from_raw(made) });
                theirs
            }
        };
    }
    // SAFETY: a slot holds only a leaked CString's pointer, never freed.
    Ok(unsafe { CStr::from_ptr(name) })
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
    guard::value(|| Ok(interned(Syscall::checked(nr)?)?.as_ptr()))
}
versioned!(sandlock_syscall_name, "SANDLOCK_1.1");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_syscall_of_the_architecture_has_a_name_slot() {
        let beyond = (NAME_SLOTS as i64..1 << 20).find(|&nr| Syscall::checked(nr).is_ok());
        assert_eq!(beyond, None);
        for nr in 0..NAME_SLOTS as i64 {
            if let Ok(syscall) = Syscall::checked(nr) {
                assert_eq!(interned(syscall).unwrap().to_str().unwrap(), syscall.name());
            }
        }
    }
}
