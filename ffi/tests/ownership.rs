//! Handler ownership: `ud_drop` exactly once, and run entry points that
//! consume every handler on every return path.

mod common;

use std::ffi::c_void;
use std::ptr;
use std::sync::atomic::{AtomicUsize, Ordering};

use common::*;
use sandlock::sandlock_exception_policy_t::*;
use sandlock::*;

#[test]
fn invalid_exception_policies_are_rejected_and_named() {
    for value in [4u32, 1 << 31, u32::MAX] {
        // SAFETY: a valid callback; no ud.
        let handler = unsafe { sandlock_handler_new(Some(allow), ptr::null_mut(), Some(count_drop), value) };
        assert!(handler.is_null());
        assert_eq!(
            last_error(),
            format!("exception policy {value} is not one of 0 (KILL), 1 (DENY_EPERM), 2 (CONTINUE), 3 (DENY_EIO)")
        );
    }
}

#[test]
fn a_rejected_handler_leaves_ud_with_the_caller() {
    let counter = DropCounter::default();
    let ud = counter.ud();
    // SAFETY: an invalid policy value; `ud` stays ours on failure.
    let handler = unsafe { sandlock_handler_new(Some(allow), ud, Some(count_drop), 4) };
    assert!(handler.is_null());
    assert_eq!(counter.count(), 0);
    // SAFETY: releasing the reference the rejected handler did not take.
    unsafe { count_drop(ud) };
    assert_eq!(counter.count(), 1);
}

#[test]
fn a_null_callback_is_rejected() {
    // SAFETY: NULL is part of the contract.
    let handler = unsafe { sandlock_handler_new(None, ptr::null_mut(), None, 0) };
    assert!(handler.is_null());
    assert_eq!(last_error(), "callback must not be NULL");
}

#[test]
fn handler_free_runs_ud_drop_exactly_once() {
    let counter = DropCounter::default();
    let handler = counter.handler(Some(allow));
    // SAFETY: an unconsumed handler, freed once.
    unsafe { sandlock_handler_free(handler) };
    assert_eq!(counter.count(), 1);
    assert_eq!(last_error(), "");
}

static NULL_UD_DROPS: AtomicUsize = AtomicUsize::new(0);

unsafe extern "C-unwind" fn count_null_ud_drop(ud: *mut c_void) {
    assert!(ud.is_null());
    NULL_UD_DROPS.fetch_add(1, Ordering::SeqCst);
}

#[test]
fn ud_drop_runs_for_a_null_ud_too() {
    // SAFETY: a valid callback and destructor.
    let handler = unsafe {
        sandlock_handler_new(Some(allow), ptr::null_mut(), Some(count_null_ud_drop), SANDLOCK_EXCEPTION_KILL as u32)
    };
    assert!(!handler.is_null());
    // SAFETY: an unconsumed handler, freed once.
    unsafe { sandlock_handler_free(handler) };
    assert_eq!(NULL_UD_DROPS.load(Ordering::SeqCst), 1);
}

#[test]
fn handler_free_accepts_null() {
    // SAFETY: NULL is a no-op.
    unsafe { sandlock_handler_free(ptr::null_mut()) };
    assert_eq!(last_error(), "");
}

/// `ud_drop` that counts like [`count_drop`], then panics.
unsafe extern "C-unwind" fn count_then_panic(ud: *mut c_void) {
    // SAFETY: `ud` came from DropCounter::ud and is released once.
    unsafe { count_drop(ud) };
    panic!("ud_drop fails");
}

fn panicking_handler(counter: &DropCounter) -> *mut sandlock_handler_t {
    // SAFETY: `ud` is an Arc reference that count_then_panic releases once.
    let handler = unsafe {
        sandlock_handler_new(Some(allow), counter.ud(), Some(count_then_panic), SANDLOCK_EXCEPTION_KILL as u32)
    };
    assert!(!handler.is_null());
    handler
}

#[test]
fn a_panicking_ud_drop_is_caught_and_reported() {
    let counter = DropCounter::default();
    // SAFETY: an unconsumed handler, freed once.
    unsafe { sandlock_handler_free(panicking_handler(&counter)) };
    assert_eq!(counter.count(), 1);
    assert_eq!(last_error(), "panic in ud_drop: ud_drop fails");
}

#[test]
fn every_ud_drop_runs_once_when_another_panics_after_a_run() {
    let counter = DropCounter::default();
    let registrations = [
        registration("uname", counter.handler(Some(allow))),
        registration("uname", panicking_handler(&counter)),
        registration("uname", counter.handler(Some(allow))),
    ];
    let policy = system_policy();
    let argv = Argv::new(&["/bin/true"]);
    // SAFETY: live policy, argv and registrations.
    let result =
        unsafe { sandlock_run_with_handlers(policy, ptr::null(), argv.ptr(), argv.argc(), registrations.as_ptr(), 3) };
    assert!(result.is_null());
    assert_eq!(sandlock_last_status(), sandlock_status_t::SANDLOCK_E_PANIC as i32);
    assert_eq!(last_error(), "panic in ud_drop: ud_drop fails");
    assert_eq!(counter.count(), 3);
    // SAFETY: freed once.
    unsafe { sandlock_policy_free(policy) };
}

/// The three entry points that consume a registration array, called with
/// a possibly bad policy/argv/argc; each returns its failure as a message.
#[derive(Clone, Copy, Debug)]
enum EntryPoint {
    Run,
    RunInteractive,
    Spawn,
}

const ENTRY_POINTS: [EntryPoint; 3] = [EntryPoint::Run, EntryPoint::RunInteractive, EntryPoint::Spawn];

impl EntryPoint {
    /// Call the entry point; `Err` with the last error when it failed.
    fn call(
        self,
        policy: *const sandlock_policy_t,
        argv: *const *const std::ffi::c_char,
        argc: u32,
        registrations: *const sandlock_handler_registration_t,
        count: usize,
    ) -> Result<(), String> {
        // SAFETY: the caller passes the arguments this test means to check;
        // every pointer is NULL or live. The error is read before a free
        // call resets it.
        unsafe {
            match self {
                EntryPoint::Run => {
                    let result = sandlock_run_with_handlers(policy, ptr::null(), argv, argc, registrations, count);
                    if result.is_null() {
                        return Err(last_error());
                    }
                    sandlock_result_free(result);
                }
                EntryPoint::RunInteractive => {
                    if sandlock_run_interactive_with_handlers(policy, ptr::null(), argv, argc, registrations, count) < 0
                    {
                        return Err(last_error());
                    }
                }
                EntryPoint::Spawn => {
                    let child = sandlock_spawn_with_handlers(policy, ptr::null(), argv, argc, registrations, count);
                    if child.is_null() {
                        return Err(last_error());
                    }
                    sandlock_child_free(child);
                }
            }
        }
        Ok(())
    }
}

/// Three handlers sharing one drop counter.
fn three_registrations(counter: &DropCounter) -> Vec<sandlock_handler_registration_t> {
    (0..3).map(|_| registration("uname", counter.handler(Some(allow)))).collect()
}

#[test]
fn a_null_policy_consumes_every_handler() {
    let argv = Argv::new(&["/bin/true"]);
    for entry in ENTRY_POINTS {
        let counter = DropCounter::default();
        let registrations = three_registrations(&counter);
        let outcome = entry.call(ptr::null(), argv.ptr(), argv.argc(), registrations.as_ptr(), 3);
        assert_eq!(outcome, Err("policy must not be NULL".into()), "{entry:?}");
        assert_eq!(counter.count(), 3, "{entry:?}");
    }
}

#[test]
fn a_null_argv_consumes_every_handler() {
    let policy = system_policy();
    for entry in ENTRY_POINTS {
        let counter = DropCounter::default();
        let registrations = three_registrations(&counter);
        let outcome = entry.call(policy, ptr::null(), 1, registrations.as_ptr(), 3);
        assert_eq!(outcome, Err("argv must not be NULL".into()), "{entry:?}");
        assert_eq!(counter.count(), 3, "{entry:?}");
    }
    // SAFETY: freed once.
    unsafe { sandlock_policy_free(policy) };
}

#[test]
fn a_bad_argc_consumes_every_handler() {
    let policy = system_policy();
    let argv = Argv::new(&["/bin/true"]);
    for entry in ENTRY_POINTS {
        for argc in [0, 4097] {
            let counter = DropCounter::default();
            let registrations = three_registrations(&counter);
            let outcome = entry.call(policy, argv.ptr(), argc, registrations.as_ptr(), 3);
            assert_eq!(outcome, Err(format!("argc must be between 1 and 4096, got {argc}")), "{entry:?}");
            assert_eq!(counter.count(), 3, "{entry:?} argc {argc}");
        }
    }
    // SAFETY: freed once.
    unsafe { sandlock_policy_free(policy) };
}

#[test]
fn a_null_handler_in_the_array_consumes_the_others() {
    let policy = system_policy();
    let argv = Argv::new(&["/bin/true"]);
    for entry in ENTRY_POINTS {
        let counter = DropCounter::default();
        let mut registrations = three_registrations(&counter);
        // SAFETY: the handler is taken out of the array before the call.
        unsafe { sandlock_handler_free(registrations[1].handler) };
        registrations[1].handler = ptr::null_mut();
        let outcome = entry.call(policy, argv.ptr(), argv.argc(), registrations.as_ptr(), 3);
        assert_eq!(outcome, Err("registrations[1].handler is NULL".into()), "{entry:?}");
        assert_eq!(counter.count(), 3, "{entry:?}");
    }
    // SAFETY: freed once.
    unsafe { sandlock_policy_free(policy) };
}

/// One handler object twice in the array (registered on two syscalls): it
/// is consumed once, so `ud_drop` runs once, and the call fails naming the
/// second entry.
#[test]
fn a_handler_twice_in_the_array_is_rejected_and_freed_once() {
    let policy = system_policy();
    let argv = Argv::new(&["/bin/true"]);
    for entry in ENTRY_POINTS {
        let counter = DropCounter::default();
        let shared = counter.handler(Some(allow));
        let other = counter.handler(Some(allow));
        let registrations =
            [registration("uname", shared), registration("getpid", other), registration("getppid", shared)];
        let outcome = entry.call(policy, argv.ptr(), argv.argc(), registrations.as_ptr(), registrations.len());
        assert_eq!(
            outcome,
            Err("registrations[2].handler appears earlier in the array; register a handler once (create one handler \
                 per registration)"
                .into()),
            "{entry:?}"
        );
        assert_eq!(counter.count(), 2, "{entry:?}");
    }
    // SAFETY: freed once.
    unsafe { sandlock_policy_free(policy) };
}

#[test]
fn more_than_4096_registrations_are_rejected_and_all_consumed() {
    let policy = system_policy();
    let argv = Argv::new(&["/bin/true"]);
    for entry in ENTRY_POINTS {
        let counter = DropCounter::default();
        let registrations: Vec<_> = (0..4097).map(|_| registration("uname", counter.handler(Some(allow)))).collect();
        let outcome = entry.call(policy, argv.ptr(), argv.argc(), registrations.as_ptr(), registrations.len());
        assert_eq!(outcome, Err("count must be at most 4096, got 4097".into()), "{entry:?}");
        assert_eq!(counter.count(), 4097, "{entry:?}");
    }
    // SAFETY: freed once.
    unsafe { sandlock_policy_free(policy) };
}

#[test]
fn a_null_registration_array_with_a_count_is_rejected() {
    let policy = system_policy();
    let argv = Argv::new(&["/bin/true"]);
    for entry in ENTRY_POINTS {
        let outcome = entry.call(policy, argv.ptr(), argv.argc(), ptr::null(), 2);
        assert_eq!(outcome, Err("registrations must not be NULL when count is 2".into()), "{entry:?}");
    }
    // SAFETY: freed once.
    unsafe { sandlock_policy_free(policy) };
}

#[test]
fn a_successful_run_frees_every_handler_before_returning() {
    let policy = system_policy();
    let argv = Argv::new(&["/bin/true"]);
    for entry in ENTRY_POINTS {
        let counter = DropCounter::default();
        let registrations = three_registrations(&counter);
        assert_eq!(entry.call(policy, argv.ptr(), argv.argc(), registrations.as_ptr(), 3), Ok(()), "{entry:?}");
        assert_eq!(counter.count(), 3, "{entry:?}");
    }
    // SAFETY: freed once.
    unsafe { sandlock_policy_free(policy) };
}

#[test]
fn a_count_no_array_can_have_is_rejected_without_reading_the_array() {
    let policy = system_policy();
    let argv = Argv::new(&["/bin/true"]);
    let counter = DropCounter::default();
    let registrations = [registration("uname", counter.handler(Some(allow)))];
    for entry in ENTRY_POINTS {
        let outcome = entry.call(policy, argv.ptr(), argv.argc(), registrations.as_ptr(), usize::MAX);
        assert_eq!(outcome, Err(format!("count {} cannot describe an array", usize::MAX)), "{entry:?}");
    }
    assert_eq!(counter.count(), 0, "the array was not read");
    // SAFETY: the handler was never taken; freed once; the policy too.
    unsafe {
        sandlock_handler_free(registrations[0].handler);
        sandlock_policy_free(policy);
    }
    assert_eq!(counter.count(), 1);
}
