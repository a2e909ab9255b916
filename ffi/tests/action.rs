//! The action setters and the layout of the handler ABI types.

mod common;

use std::io::Read;
use std::mem::{align_of, offset_of, size_of};
use std::os::fd::{AsRawFd, FromRawFd};
use std::ptr;

use common::*;
use sandlock::sandlock_action_kind_t::*;
use sandlock::sandlock_exception_policy_t::*;
use sandlock::sandlock_status_t::*;
use sandlock::*;

const E_INVALID: i32 = SANDLOCK_E_INVALID as i32;

#[test]
fn notification_snapshot_layout() {
    assert_eq!(size_of::<sandlock_notif_data_t>(), 80);
    assert_eq!(align_of::<sandlock_notif_data_t>(), 8);
    assert_eq!(offset_of!(sandlock_notif_data_t, id), 0);
    assert_eq!(offset_of!(sandlock_notif_data_t, pid), 8);
    assert_eq!(offset_of!(sandlock_notif_data_t, flags), 12);
    assert_eq!(offset_of!(sandlock_notif_data_t, syscall_nr), 16);
    assert_eq!(offset_of!(sandlock_notif_data_t, arch), 20);
    assert_eq!(offset_of!(sandlock_notif_data_t, instruction_pointer), 24);
    assert_eq!(offset_of!(sandlock_notif_data_t, args), 32);
}

#[test]
fn action_layout() {
    assert_eq!(size_of::<sandlock_action_out_t>(), 24);
    assert_eq!(align_of::<sandlock_action_out_t>(), 8);
    assert_eq!(offset_of!(sandlock_action_out_t, kind), 0);
    assert_eq!(offset_of!(sandlock_action_out_t, payload), 8);
    assert_eq!(size_of::<sandlock_action_payload_t>(), 16);
    assert_eq!(offset_of!(sandlock_action_inject_t, srcfd), 0);
    assert_eq!(offset_of!(sandlock_action_inject_t, newfd_flags), 4);
    assert_eq!(offset_of!(sandlock_action_inject_tracked_t, tracker), 8);
    assert_eq!(offset_of!(sandlock_action_kill_t, sig), 0);
    assert_eq!(offset_of!(sandlock_action_kill_t, pgid), 4);
    assert_eq!(size_of::<sandlock_handler_registration_t>(), 16);
    assert_eq!(offset_of!(sandlock_handler_registration_t, handler), 8);
}

#[test]
fn kind_and_policy_values_are_the_abi_values() {
    let kinds = [
        SANDLOCK_ACTION_UNSET,
        SANDLOCK_ACTION_CONTINUE,
        SANDLOCK_ACTION_ERRNO,
        SANDLOCK_ACTION_RETURN_VALUE,
        SANDLOCK_ACTION_INJECT_FD_SEND,
        SANDLOCK_ACTION_INJECT_FD_SEND_TRACKED,
        SANDLOCK_ACTION_HOLD,
        SANDLOCK_ACTION_KILL,
    ];
    assert_eq!(kinds.map(|k| k as u32), [0, 1, 2, 3, 4, 5, 6, 7]);
    let policies = [
        SANDLOCK_EXCEPTION_KILL,
        SANDLOCK_EXCEPTION_DENY_EPERM,
        SANDLOCK_EXCEPTION_CONTINUE,
        SANDLOCK_EXCEPTION_DENY_EIO,
    ];
    assert_eq!(policies.map(|p| p as u32), [0, 1, 2, 3]);
    assert_eq!((SANDLOCK_INJECT_WRITABLE, SANDLOCK_INJECT_NO_CLOEXEC), (1, 2));
}

#[test]
fn tag_only_setters_leave_the_payload_untouched() {
    let mut out = action_with_sentinel();
    // SAFETY: a writable action.
    assert_eq!(unsafe { sandlock_action_set_continue(&mut out) }, 0);
    assert_eq!(out.kind, SANDLOCK_ACTION_CONTINUE as u32);
    // SAFETY: `none` was written by action_with_sentinel.
    assert_eq!(unsafe { out.payload.none }, 0x0123_4567_89ab_cdef);

    let mut out = action_with_sentinel();
    // SAFETY: a writable action.
    assert_eq!(unsafe { sandlock_action_set_hold(&mut out) }, 0);
    assert_eq!(out.kind, SANDLOCK_ACTION_HOLD as u32);
    // SAFETY: `none` was written by action_with_sentinel.
    assert_eq!(unsafe { out.payload.none }, 0x0123_4567_89ab_cdef);
}

#[test]
fn errno_setter_writes_kind_and_value() {
    let mut out = action_with_sentinel();
    // SAFETY: a writable action.
    assert_eq!(unsafe { sandlock_action_set_errno(&mut out, libc::EACCES) }, 0);
    assert_eq!(out.kind, SANDLOCK_ACTION_ERRNO as u32);
    // SAFETY: the setter wrote `errno_value`.
    assert_eq!(unsafe { out.payload.errno_value }, libc::EACCES);
}

#[test]
fn errno_out_of_range_is_rejected_and_the_action_unchanged() {
    for bad in [0, -1, 4096, i32::MIN] {
        let mut out = action_with_sentinel();
        // SAFETY: a writable action.
        assert_eq!(unsafe { sandlock_action_set_errno(&mut out, bad) }, E_INVALID);
        assert_eq!(last_error(), format!("errno value {bad} is not in 1..=4095"));
        assert_eq!(out.kind, 0xdead);
        // SAFETY: `none` was written by action_with_sentinel.
        assert_eq!(unsafe { out.payload.none }, 0x0123_4567_89ab_cdef);
    }
}

#[test]
fn return_value_setter_writes_kind_and_value() {
    let mut out = action_with_sentinel();
    // SAFETY: a writable action.
    assert_eq!(unsafe { sandlock_action_set_return_value(&mut out, -42) }, 0);
    assert_eq!(out.kind, SANDLOCK_ACTION_RETURN_VALUE as u32);
    // SAFETY: the setter wrote `return_value`.
    assert_eq!(unsafe { out.payload.return_value }, -42);
}

#[test]
fn inject_fd_send_setter_writes_kind_fd_and_flags() {
    let mut out = action_with_sentinel();
    // SAFETY: a writable action; the fd number is only stored.
    assert_eq!(unsafe { sandlock_action_set_inject_fd_send(&mut out, 17, libc::O_CLOEXEC as u32) }, 0);
    assert_eq!(out.kind, SANDLOCK_ACTION_INJECT_FD_SEND as u32);
    // SAFETY: the setter wrote `inject`.
    let inject = unsafe { out.payload.inject };
    assert_eq!(inject, sandlock_action_inject_t { srcfd: 17, newfd_flags: libc::O_CLOEXEC as u32 });
}

#[test]
fn kill_setter_writes_kind_signal_and_group() {
    let mut out = action_with_sentinel();
    // SAFETY: a writable action.
    assert_eq!(unsafe { sandlock_action_set_kill(&mut out, libc::SIGTERM, 0) }, 0);
    assert_eq!(out.kind, SANDLOCK_ACTION_KILL as u32);
    // SAFETY: the setter wrote `kill`.
    assert_eq!(unsafe { out.payload.kill }, sandlock_action_kill_t { sig: libc::SIGTERM, pgid: 0 });
}

#[test]
fn kill_setter_rejects_bad_signals_and_negative_groups() {
    let mut out = action_with_sentinel();
    // SAFETY: a writable action.
    unsafe {
        assert_eq!(sandlock_action_set_kill(&mut out, 0, 0), E_INVALID);
        assert_eq!(last_error(), "signal 0 is not in 1..=64");
        assert_eq!(sandlock_action_set_kill(&mut out, 65, 0), E_INVALID);
        assert_eq!(last_error(), "signal 65 is not in 1..=64");
        assert_eq!(sandlock_action_set_kill(&mut out, libc::SIGKILL, -1), E_INVALID);
        assert_eq!(last_error(), "process group -1 is negative");
    }
    assert_eq!(out.kind, 0xdead);
}

/// The memfd an inject_bytes action carries, as a file the test owns.
fn injected_file(out: &sandlock_action_out_t) -> std::fs::File {
    assert_eq!(out.kind, SANDLOCK_ACTION_INJECT_FD_SEND as u32);
    // SAFETY: the setter wrote `inject`; outside a callback the fd is ours.
    unsafe { std::fs::File::from_raw_fd(out.payload.inject.srcfd) }
}

#[test]
fn inject_bytes_creates_a_sealed_read_only_memfd() {
    let mut out = action_with_sentinel();
    let data = b"virtual file\n";
    // SAFETY: a writable action and `data.len()` readable bytes.
    assert_eq!(unsafe { sandlock_action_set_inject_bytes(&mut out, data.as_ptr(), data.len(), 0) }, 0);
    // SAFETY: the setter wrote `inject`.
    assert_eq!(unsafe { out.payload.inject.newfd_flags }, libc::O_CLOEXEC as u32);
    let mut file = injected_file(&out);
    let mut text = String::new();
    file.read_to_string(&mut text).unwrap();
    assert_eq!(text, "virtual file\n");
    // SAFETY: fcntl with integer arguments on an fd we own.
    let seals = unsafe { libc::fcntl(file.as_raw_fd(), libc::F_GET_SEALS) };
    let expected = libc::F_SEAL_SHRINK | libc::F_SEAL_GROW | libc::F_SEAL_SEAL | libc::F_SEAL_WRITE;
    assert_eq!(seals, expected);
}

#[test]
fn inject_bytes_flags_select_writable_and_inheritable() {
    let mut out = action_with_sentinel();
    let data = b"rw";
    let flags = SANDLOCK_INJECT_WRITABLE | SANDLOCK_INJECT_NO_CLOEXEC;
    // SAFETY: a writable action and readable bytes.
    assert_eq!(unsafe { sandlock_action_set_inject_bytes(&mut out, data.as_ptr(), data.len(), flags) }, 0);
    // SAFETY: the setter wrote `inject`.
    assert_eq!(unsafe { out.payload.inject.newfd_flags }, 0);
    let file = injected_file(&out);
    // SAFETY: fcntl with integer arguments on an fd we own.
    let seals = unsafe { libc::fcntl(file.as_raw_fd(), libc::F_GET_SEALS) };
    assert_eq!(seals, libc::F_SEAL_SHRINK | libc::F_SEAL_GROW | libc::F_SEAL_SEAL);
}

#[test]
fn inject_bytes_rejects_unknown_flags_and_null_data() {
    let mut out = action_with_sentinel();
    // SAFETY: a writable action; NULL data is part of the contract.
    unsafe {
        assert_eq!(sandlock_action_set_inject_bytes(&mut out, b"x".as_ptr(), 1, 0x4), E_INVALID);
        assert_eq!(last_error(), "inject flags 0x4 have unknown bits 0x4");
        assert_eq!(sandlock_action_set_inject_bytes(&mut out, ptr::null(), 3, 0), E_INVALID);
        assert_eq!(last_error(), "data must not be NULL when len is 3");
    }
    assert_eq!(out.kind, 0xdead);
}

#[test]
fn inject_bytes_accepts_empty_content_with_null_data() {
    let mut out = action_with_sentinel();
    // SAFETY: a writable action; NULL data with length 0 is allowed.
    assert_eq!(unsafe { sandlock_action_set_inject_bytes(&mut out, ptr::null(), 0, 0) }, 0);
    let mut text = String::new();
    injected_file(&out).read_to_string(&mut text).unwrap();
    assert_eq!(text, "");
}

#[test]
fn every_setter_rejects_a_null_action() {
    // SAFETY: NULL is part of the contract.
    unsafe {
        assert_eq!(sandlock_action_set_continue(ptr::null_mut()), E_INVALID);
        assert_eq!(last_error(), "out must not be NULL");
        assert_eq!(sandlock_action_set_errno(ptr::null_mut(), libc::EPERM), E_INVALID);
        assert_eq!(sandlock_action_set_return_value(ptr::null_mut(), 1), E_INVALID);
        assert_eq!(sandlock_action_set_inject_fd_send(ptr::null_mut(), 5, 0), E_INVALID);
        assert_eq!(sandlock_action_set_inject_bytes(ptr::null_mut(), b"x".as_ptr(), 1, 0), E_INVALID);
        assert_eq!(sandlock_action_set_hold(ptr::null_mut()), E_INVALID);
        assert_eq!(sandlock_action_set_kill(ptr::null_mut(), libc::SIGKILL, 0), E_INVALID);
        assert_eq!(last_error(), "out must not be NULL");
    }
}
