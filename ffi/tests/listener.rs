//! A callback that hands back the seccomp listener as an fd to inject gets
//! its exception policy, and the listener stays open. This file holds one
//! test so that the process has exactly one listener to find.

mod common;

use std::ffi::c_void;
use std::sync::atomic::{AtomicUsize, Ordering};

use common::*;
use sandlock::sandlock_exception_policy_t::*;
use sandlock::*;

/// The process's seccomp listener, found by its /proc/self/fd link.
fn listener_fd() -> i32 {
    let listeners: Vec<i32> = std::fs::read_dir("/proc/self/fd")
        .unwrap()
        .flatten()
        .filter(|entry| entry.path().read_link().is_ok_and(|target| target.as_os_str() == "anon_inode:seccomp notify"))
        .map(|entry| entry.file_name().to_str().unwrap().parse().unwrap())
        .collect();
    assert_eq!(listeners.len(), 1, "{listeners:?}");
    listeners[0]
}

/// The first call injects the listener; later calls answer 7.
unsafe extern "C-unwind" fn inject_listener_once(
    ud: *mut c_void,
    _notif: *const sandlock_notif_data_t,
    _mem: *mut sandlock_mem_handle_t,
    out: *mut sandlock_action_out_t,
) -> i32 {
    // SAFETY: `ud` is the test's call counter.
    let calls = unsafe { &*(ud as *const AtomicUsize) };
    if calls.fetch_add(1, Ordering::SeqCst) == 0 {
        // SAFETY: the library passes a writable action.
        unsafe { sandlock_action_set_inject_fd_send(out, listener_fd(), 0) }
    } else {
        // SAFETY: the library passes a writable action.
        unsafe { sandlock_action_set_return_value(out, 7) }
    }
}

#[test]
fn the_listener_is_refused_as_an_injected_fd_and_stays_open() {
    let calls = AtomicUsize::new(0);
    let ud = std::ptr::from_ref(&calls).cast_mut().cast();
    // The outer shell's getppid gets the exception policy: EIO, which
    // glibc's getppid passes through raw, so $PPID is -5. The inner shell's
    // is answered through the same listener, which would be gone had the
    // refused injection closed it.
    let out = run_with(
        &["/bin/sh", "-c", "echo $PPID; /bin/sh -c 'echo $PPID'"],
        &[registration("getppid", handler(Some(inject_listener_once), ud, SANDLOCK_EXCEPTION_DENY_EIO))],
    );
    assert_eq!(out, Outcome { exit_code: 0, signal: 0, stdout: "-5\n7\n".into(), stderr: String::new() });
    assert_eq!(calls.load(Ordering::SeqCst), 2);
}
