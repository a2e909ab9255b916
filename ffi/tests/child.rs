//! A spawned child: pid, wait with a timeout, kill, free, and the handlers
//! it keeps until it is freed.

mod common;

use std::ffi::c_void;
use std::ptr;
use std::sync::atomic::{AtomicUsize, Ordering};

use common::*;
use sandlock::sandlock_status_t::*;
use sandlock::*;

fn spawn(args: &[&str], registrations: &[sandlock_handler_registration_t]) -> *mut sandlock_child_t {
    let policy = system_policy();
    let argv = Argv::new(args);
    // SAFETY: live policy, argv and registrations.
    let child = unsafe {
        sandlock_spawn_with_handlers(
            policy,
            ptr::null(),
            argv.ptr(),
            argv.argc(),
            registrations.as_ptr(),
            registrations.len(),
        )
    };
    assert!(!child.is_null(), "spawn failed: {}", last_error());
    // SAFETY: freed once; the child does not need the policy any more.
    unsafe { sandlock_policy_free(policy) };
    child
}

/// `sandlock_child_wait` as (status, exit code, signal); the outputs start
/// at sentinel values so that untouched ones show.
fn wait(child: *mut sandlock_child_t, timeout_ms: i64) -> (i32, i32, i32) {
    let (mut code, mut signal) = (-100, -100);
    // SAFETY: a live child and writable outputs.
    let status = unsafe { sandlock_child_wait(child, timeout_ms, &mut code, &mut signal) };
    (status, code, signal)
}

#[test]
fn wait_reports_the_exit_code() {
    let child = spawn(&["/bin/sh", "-c", "exit 4"], &[]);
    assert_eq!(wait(child, -1), (SANDLOCK_OK as i32, 4, 0));
    // Once ended, the same status comes back at once.
    assert_eq!(wait(child, 0), (SANDLOCK_OK as i32, 4, 0));
    // SAFETY: freed once.
    unsafe { sandlock_child_free(child) };
}

#[test]
fn a_short_wait_on_a_running_child_says_still_running_then_kill_ends_it() {
    let child = spawn(&["/bin/sleep", "30"], &[]);
    // SAFETY: a live child.
    let pid = unsafe { sandlock_child_pid(child) };
    assert!(pid > 0);
    // SAFETY: getpgid has no memory effects.
    assert_eq!(unsafe { libc::getpgid(pid) }, pid, "the child leads its own process group");
    assert_eq!(wait(child, 0), (SANDLOCK_STILL_RUNNING as i32, -100, -100));
    assert_eq!(wait(child, 20), (SANDLOCK_STILL_RUNNING as i32, -100, -100));
    assert_eq!(last_error(), "");
    // SAFETY: a live child.
    assert_eq!(unsafe { sandlock_child_kill(child) }, SANDLOCK_OK as i32);
    assert_eq!(wait(child, 5000), (SANDLOCK_OK as i32, -1, libc::SIGKILL));
    // SAFETY: a live child; killing an ended child does nothing.
    assert_eq!(unsafe { sandlock_child_kill(child) }, SANDLOCK_OK as i32);
    // SAFETY: freed once.
    unsafe { sandlock_child_free(child) };
}

#[test]
fn wait_accepts_null_outputs() {
    let child = spawn(&["/bin/true"], &[]);
    // SAFETY: a live child; NULL outputs are allowed.
    assert_eq!(unsafe { sandlock_child_wait(child, -1, ptr::null_mut(), ptr::null_mut()) }, SANDLOCK_OK as i32);
    // SAFETY: freed once.
    unsafe { sandlock_child_free(child) };
}

#[test]
fn freeing_a_running_child_kills_it() {
    let child = spawn(&["/bin/sleep", "30"], &[]);
    // SAFETY: a live child.
    let pid = unsafe { sandlock_child_pid(child) };
    // SAFETY: freed once.
    unsafe { sandlock_child_free(child) };
    // SAFETY: kill with signal 0 only checks existence; the pid was reaped.
    assert_eq!(unsafe { libc::kill(pid, 0) }, -1);
    assert_eq!(std::io::Error::last_os_error().raw_os_error(), Some(libc::ESRCH));
}

static GETPPID_CALLS: AtomicUsize = AtomicUsize::new(0);

unsafe extern "C-unwind" fn count_and_return_77(
    _ud: *mut c_void,
    _notif: *const sandlock_notif_data_t,
    _mem: *mut sandlock_mem_handle_t,
    out: *mut sandlock_action_out_t,
) -> i32 {
    GETPPID_CALLS.fetch_add(1, Ordering::SeqCst);
    // SAFETY: the library passes a writable action.
    unsafe { sandlock_action_set_return_value(out, 77) }
}

#[test]
fn a_spawned_child_keeps_its_handlers_until_it_is_freed() {
    let counter = DropCounter::default();
    let child =
        spawn(&["/bin/sh", "-c", "exit $PPID"], &[registration("getppid", counter.handler(Some(count_and_return_77)))]);
    assert_eq!(wait(child, -1), (SANDLOCK_OK as i32, 77, 0));
    assert_eq!(GETPPID_CALLS.load(Ordering::SeqCst), 1);
    assert_eq!(counter.count(), 0, "handlers live as long as the child");
    // SAFETY: freed once.
    unsafe { sandlock_child_free(child) };
    assert_eq!(counter.count(), 1);
    assert_eq!(last_error(), "");
}

#[test]
fn child_functions_reject_null() {
    // SAFETY: NULL is part of the contract.
    unsafe {
        assert_eq!(sandlock_child_pid(ptr::null()), -1);
        assert_eq!(last_error(), "child must not be NULL");
        assert_eq!(
            sandlock_child_wait(ptr::null_mut(), 0, ptr::null_mut(), ptr::null_mut()),
            SANDLOCK_E_INVALID as i32
        );
        assert_eq!(sandlock_child_kill(ptr::null_mut()), SANDLOCK_E_INVALID as i32);
        assert_eq!(last_error(), "child must not be NULL");
        sandlock_child_free(ptr::null_mut());
        assert_eq!(last_error(), "");
    }
}
