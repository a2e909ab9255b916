//! Syscall names and numbers both ways, against libc's numbers.

mod common;

use std::ffi::CStr;

use common::*;
use sandlock::sandlock_status_t::*;
use sandlock::*;

fn name_of(nr: i64) -> Option<String> {
    let name = sandlock_syscall_name(nr);
    // SAFETY: a non-NULL result is a C string the library keeps alive.
    (!name.is_null()).then(|| unsafe { CStr::from_ptr(name) }.to_str().unwrap().to_owned())
}

#[test]
fn names_of_known_numbers_match_libc() {
    for (name, nr) in [("openat", libc::SYS_openat), ("getppid", libc::SYS_getppid), ("read", libc::SYS_read)] {
        assert_eq!(name_of(nr).as_deref(), Some(name));
        assert_eq!(syscall_nr(name), nr);
    }
}

#[test]
fn the_same_pointer_every_time() {
    assert_eq!(sandlock_syscall_name(libc::SYS_openat), sandlock_syscall_name(libc::SYS_openat));
}

#[test]
fn every_number_below_1024_round_trips() {
    let named: Vec<(i64, String)> = (0..1024).filter_map(|nr| name_of(nr).map(|name| (nr, name))).collect();
    assert!(named.len() > 300, "only {} syscalls have names", named.len());
    for (nr, name) in named {
        assert_eq!(syscall_nr(&name), nr, "{name}");
    }
}

#[test]
fn unknown_numbers_are_null_with_a_message_naming_them() {
    for nr in [-1, -5, 100_000, i64::MAX] {
        assert!(sandlock_syscall_name(nr).is_null(), "{nr}");
        assert_eq!(sandlock_last_status(), SANDLOCK_E_INVALID as i32);
        assert!(last_error().contains(&nr.to_string()), "{nr}: {}", last_error());
    }
    assert!(!sandlock_syscall_name(libc::SYS_read).is_null());
    assert_eq!(sandlock_last_status(), SANDLOCK_OK as i32);
}
