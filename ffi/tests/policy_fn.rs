//! policy_fn through the C ABI: the callback with its user data, the event
//! snapshot and its argument accessor, decisions, the control handle and
//! the flagged events of a result.

mod common;

use std::ffi::{c_void, CStr};
use std::ptr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use common::*;
use sandlock::sandlock_category_t::*;
use sandlock::sandlock_decision_t::*;
use sandlock::sandlock_status_t::*;
use sandlock::*;

/// What a test's callback does, and what it saw; its `ud`.
struct Probe {
    /// Deny execs whose first argument ends with this.
    deny: &'static str,
    /// Flag execs whose first argument ends with this.
    flag: &'static str,
    /// Restrict connects to nothing on the first exec of this.
    lock_network_on: &'static str,
    /// Deny this path on the first exec of `lock_network_on`.
    deny_path: Option<std::ffi::CString>,
    seen: Mutex<Vec<Vec<String>>>,
    drops: &'static AtomicUsize,
}

fn args_of(event: *const sandlock_event_t) -> Vec<String> {
    // SAFETY: the event the library passed, during the callback.
    let argc = unsafe { (*event).argc };
    (0..argc)
        .map(|i| {
            let mut len = 0;
            // SAFETY: as above; `len` is writable.
            let arg = unsafe { sandlock_event_arg(event, i, &mut len) };
            assert!(!arg.is_null());
            // SAFETY: a NUL-terminated string owned by the event.
            let text = unsafe { CStr::from_ptr(arg) }.to_str().unwrap().to_owned();
            assert_eq!(text.len(), len);
            text
        })
        .collect()
}

unsafe extern "C-unwind" fn decide(
    ud: *mut c_void,
    event: *const sandlock_event_t,
    control: *mut sandlock_control_t,
    deny_errno: *mut i32,
) -> u32 {
    // SAFETY: the test's Probe, alive until ud_drop.
    let probe = unsafe { &*ud.cast::<Probe>() };
    // SAFETY: the event the library passed.
    let event_ref = unsafe { &*event };
    assert_eq!(event_ref.size as usize, std::mem::size_of::<sandlock_event_t>());
    if event_ref.category != SANDLOCK_CATEGORY_EXEC as u32 {
        return SANDLOCK_DECISION_ALLOW as u32;
    }
    let args = args_of(event);
    probe.seen.lock().unwrap().push(args.clone());
    let first = args.first().cloned().unwrap_or_default();
    if !probe.lock_network_on.is_empty() && first.ends_with(probe.lock_network_on) {
        let mut err = ptr::null_mut();
        // SAFETY: the control of this callback; no destinations.
        assert_eq!(unsafe { sandlock_control_restrict_connect(control, ptr::null(), 0, &mut err) }, 0);
        // SAFETY: as above.
        assert_eq!(unsafe { sandlock_control_lower_max_processes(control, 1_000, &mut err) }, 0);
        if let Some(path) = &probe.deny_path {
            // SAFETY: as above; a C string.
            assert_eq!(unsafe { sandlock_control_deny_path(control, path.as_ptr(), &mut err) }, 0, "{}", last_error());
        }
    }
    if !probe.deny.is_empty() && first.ends_with(probe.deny) {
        // SAFETY: writable for the callback.
        unsafe { *deny_errno = libc::EACCES };
        return SANDLOCK_DECISION_DENY as u32;
    }
    if !probe.flag.is_empty() && first.ends_with(probe.flag) {
        return SANDLOCK_DECISION_FLAG as u32;
    }
    SANDLOCK_DECISION_ALLOW as u32
}

unsafe extern "C-unwind" fn drop_probe(ud: *mut c_void) {
    // SAFETY: the Box the test leaked into `ud`, dropped once.
    let probe = unsafe { Box::from_raw(ud.cast::<Probe>()) };
    probe.drops.fetch_add(1, Ordering::SeqCst);
}

fn command_with(args: &[&str], probe: Probe, categories: u32) -> *mut sandlock_command_t {
    let policy = system_policy();
    // SAFETY: a live policy and a C string.
    assert_eq!(unsafe { sandlock_policy_fs_write(policy, cstring("/dev/null").as_ptr()) }, 0);
    let argv = Argv::new(args);
    let mut err = ptr::null_mut();
    // SAFETY: a live policy and argv; the command copies both.
    let command = unsafe { sandlock_command_new(policy, argv.ptr(), argv.argc(), &mut err) };
    // SAFETY: freed once.
    unsafe { sandlock_policy_free(policy) };
    let ud = Box::into_raw(Box::new(probe)).cast::<c_void>();
    // SAFETY: a live command; `ud` is the probe, freed by drop_probe.
    let status =
        unsafe { sandlock_command_set_policy_fn(command, categories, Some(decide), ud, Some(drop_probe), &mut err) };
    assert_eq!(status, 0, "{}", last_error());
    command
}

fn probe(deny: &'static str, flag: &'static str, drops: &'static AtomicUsize) -> Probe {
    Probe { deny, flag, lock_network_on: "", deny_path: None, seen: Mutex::new(Vec::new()), drops }
}

fn stdout_of(result: *const sandlock_result_t) -> String {
    let mut len = 0;
    // SAFETY: a live result.
    let data = unsafe { sandlock_result_stdout(result, &mut len) };
    // SAFETY: `len` bytes owned by the result.
    String::from_utf8_lossy(unsafe { std::slice::from_raw_parts(data, len) }).into_owned()
}

#[test]
fn a_c_callback_denies_an_exec_by_its_arguments_and_its_ud_is_dropped_once() {
    static DROPS: AtomicUsize = AtomicUsize::new(0);
    let script = "curl --version >/dev/null 2>&1; echo curl=$?; ls /usr >/dev/null; echo ls=$?";
    let command = command_with(&["/bin/sh", "-c", script], probe("curl", "ls", &DROPS), SANDLOCK_CATEGORY_EXEC as u32);
    let mut err = ptr::null_mut();
    // SAFETY: a live command.
    let result = unsafe { sandlock_command_run(command, &mut err) };
    assert!(!result.is_null(), "{}", last_error());
    assert_eq!(stdout_of(result), "curl=126\nls=0\n");
    // The run freed the callback's ud before it returned.
    assert_eq!(DROPS.load(Ordering::SeqCst), 1);
    // SAFETY: a live result.
    assert_eq!(unsafe { sandlock_result_flagged_count(result) }, 1);
    // SAFETY: as above.
    assert_eq!(unsafe { sandlock_result_flagged_dropped(result) }, 0);
    // SAFETY: as above; index 0 exists.
    let flagged = unsafe { sandlock_result_flagged_event(result, 0) };
    assert_eq!(args_of(flagged), ["ls", "/usr"]);
    // SAFETY: a flagged event owned by the result.
    let flagged = unsafe { *flagged };
    assert_eq!(flagged.category, SANDLOCK_CATEGORY_EXEC as u32);
    assert!(flagged.race_free && !flagged.denied_by_policy);
    // SAFETY: `syscall_nr` of a real syscall.
    let name = unsafe { CStr::from_ptr(sandlock_syscall_name(flagged.syscall_nr)) };
    assert_eq!(name.to_str().unwrap(), "execve");
    // SAFETY: a live result; index 1 does not exist.
    assert!(unsafe { sandlock_result_flagged_event(result, 1) }.is_null());
    assert_eq!(sandlock_last_status(), SANDLOCK_E_INVALID as i32);
    // SAFETY: freed once each.
    unsafe {
        sandlock_result_free(result);
        sandlock_command_free(command);
    }
    assert_eq!(DROPS.load(Ordering::SeqCst), 1);
}

#[test]
fn the_control_handle_tightens_the_running_sandbox() {
    static DROPS: AtomicUsize = AtomicUsize::new(0);
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let policy = system_policy();
    // SAFETY: a live policy.
    assert_eq!(unsafe { sandlock_policy_net_connect_tcp(policy, port) }, 0);
    let script = format!("exec 3<>/dev/tcp/127.0.0.1/{port} && echo first; /usr/bin/true; exec 4<>/dev/tcp/127.0.0.1/{port} && echo second");
    let argv = Argv::new(&["/usr/bin/bash", "-c", &script]);
    let mut err = ptr::null_mut();
    // SAFETY: a live policy and argv.
    let command = unsafe { sandlock_command_new(policy, argv.ptr(), argv.argc(), &mut err) };
    // SAFETY: freed once.
    unsafe { sandlock_policy_free(policy) };
    let mut p = probe("", "", &DROPS);
    p.lock_network_on = "true";
    let ud = Box::into_raw(Box::new(p)).cast::<c_void>();
    // SAFETY: a live command; `ud` freed by drop_probe.
    let status = unsafe {
        sandlock_command_set_policy_fn(
            command,
            SANDLOCK_CATEGORY_EXEC as u32,
            Some(decide),
            ud,
            Some(drop_probe),
            &mut err,
        )
    };
    assert_eq!(status, 0);
    // SAFETY: a live command.
    let result = unsafe { sandlock_command_run(command, &mut err) };
    assert!(!result.is_null(), "{}", last_error());
    assert_eq!(stdout_of(result), "first\n");
    // SAFETY: freed once each.
    unsafe {
        sandlock_result_free(result);
        sandlock_command_free(command);
    }
    assert_eq!(DROPS.load(Ordering::SeqCst), 1);
}

#[test]
fn bad_arguments_are_refused_and_the_ud_stays_the_callers() {
    static DROPS: AtomicUsize = AtomicUsize::new(0);
    let command = command_with(&["/usr/bin/true"], probe("", "", &DROPS), SANDLOCK_CATEGORY_EXEC as u32);
    let mut err = ptr::null_mut();
    let cases: [(u32, bool, &str); 2] = [
        (1 << 9, true, "name no sandlock_category_t"),
        (SANDLOCK_CATEGORY_EXEC as u32, false, "callback must not be NULL"),
    ];
    for (categories, with_callback, message) in cases {
        let callback = if with_callback { Some(decide as _) } else { None };
        // SAFETY: a live command; the ud is a dummy the library must not drop.
        let status = unsafe {
            sandlock_command_set_policy_fn(
                command,
                categories,
                callback,
                7usize as *mut c_void,
                Some(drop_probe),
                &mut err,
            )
        };
        assert_eq!(status, SANDLOCK_E_INVALID as i32);
        assert!(last_error().contains(message), "{}", last_error());
        // SAFETY: the owned error of the failed call.
        unsafe { sandlock_error_free(err) };
    }
    // SAFETY: a live command; values out of range.
    let status =
        unsafe { sandlock_command_set_policy_fn_failure(command, 0, SANDLOCK_DECISION_DENY as u32, 1, &mut err) };
    assert_eq!(status, SANDLOCK_E_INVALID as i32);
    // SAFETY: the owned error.
    unsafe { sandlock_error_free(err) };
    // SAFETY: as above.
    let status =
        unsafe { sandlock_command_set_policy_fn_failure(command, 100, SANDLOCK_DECISION_DENY as u32, 0, &mut err) };
    assert_eq!(status, SANDLOCK_E_INVALID as i32);
    assert!(last_error().contains("on_failure_errno 0"), "{}", last_error());
    // SAFETY: the owned error.
    unsafe { sandlock_error_free(err) };
    // SAFETY: a valid setting.
    let status = unsafe {
        sandlock_command_set_policy_fn_failure(command, 100, SANDLOCK_DECISION_DENY as u32, libc::EIO, &mut err)
    };
    assert_eq!(status, 0);
    // The accessors refuse NULL.
    // SAFETY: NULL is allowed and refused.
    assert!(unsafe { sandlock_event_arg(ptr::null(), 0, ptr::null_mut()) }.is_null());
    // SAFETY: as above.
    let status = unsafe { sandlock_control_lower_max_memory(ptr::null(), 1, ptr::null_mut()) };
    assert_eq!(status, SANDLOCK_E_INVALID as i32);
    // SAFETY: as above.
    assert_eq!(unsafe { sandlock_result_flagged_count(ptr::null()) }, -1);
    // Freeing the command that never ran drops the ud once.
    // SAFETY: freed once.
    unsafe { sandlock_command_free(command) };
    assert_eq!(DROPS.load(Ordering::SeqCst), 1);
}

#[test]
fn a_path_denied_through_the_control_handle_is_out_of_reach() {
    static DROPS: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!("sandlock-ffi-deny-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let secret = dir.join("secret");
    std::fs::write(&secret, "hidden\n").unwrap();
    let policy = system_policy();
    // SAFETY: a live policy and a C string.
    assert_eq!(unsafe { sandlock_policy_fs_read(policy, cstring(dir.to_str().unwrap()).as_ptr()) }, 0);
    let script = format!("cat {0}; /usr/bin/true; cat {0} || echo refused", secret.display());
    let argv = Argv::new(&["/bin/sh", "-c", &script]);
    let mut err = ptr::null_mut();
    // SAFETY: a live policy and argv.
    let command = unsafe { sandlock_command_new(policy, argv.ptr(), argv.argc(), &mut err) };
    // SAFETY: freed once.
    unsafe { sandlock_policy_free(policy) };
    let mut p = probe("", "", &DROPS);
    p.lock_network_on = "true";
    p.deny_path = Some(cstring(secret.to_str().unwrap()));
    let ud = Box::into_raw(Box::new(p)).cast::<c_void>();
    let categories = SANDLOCK_CATEGORY_EXEC as u32 | SANDLOCK_CATEGORY_PATHS as u32;
    // SAFETY: a live command; `ud` freed by drop_probe.
    let status =
        unsafe { sandlock_command_set_policy_fn(command, categories, Some(decide), ud, Some(drop_probe), &mut err) };
    assert_eq!(status, 0);
    // SAFETY: a live command.
    let result = unsafe { sandlock_command_run(command, &mut err) };
    assert!(!result.is_null(), "{}", last_error());
    assert_eq!(stdout_of(result), "hidden\nrefused\n");
    // SAFETY: freed once each.
    unsafe {
        sandlock_result_free(result);
        sandlock_command_free(command);
    }
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(DROPS.load(Ordering::SeqCst), 1);
}

#[test]
fn a_spawned_child_lists_its_flagged_events() {
    static DROPS: AtomicUsize = AtomicUsize::new(0);
    let command =
        command_with(&["/bin/sh", "-c", "ls /usr >/dev/null"], probe("", "ls", &DROPS), SANDLOCK_CATEGORY_EXEC as u32);
    let mut err = ptr::null_mut();
    // SAFETY: a live command.
    let child = unsafe { sandlock_command_spawn(command, &mut err) };
    assert!(!child.is_null(), "{}", last_error());
    // SAFETY: a live child; no time limit.
    assert_eq!(unsafe { sandlock_child_wait_for(child, -1, &mut err) }, 0);
    // SAFETY: a live child.
    assert_eq!(unsafe { sandlock_child_flagged_count(child) }, 1);
    // SAFETY: as above; index 0 exists.
    assert_eq!(args_of(unsafe { sandlock_child_flagged_event(child, 0) }), ["ls", "/usr"]);
    // SAFETY: as above; index 1 does not.
    assert!(unsafe { sandlock_child_flagged_event(child, 1) }.is_null());
    // SAFETY: freed once each.
    unsafe {
        sandlock_child_free(child);
        sandlock_command_free(command);
    }
    assert_eq!(DROPS.load(Ordering::SeqCst), 1);
}

/// What `keep_control` saw: the first event's handle, and the status of a
/// call made with it from the next event's callback.
struct Kept {
    first: Mutex<Option<usize>>,
    stale_status: Mutex<Vec<i32>>,
}

unsafe extern "C-unwind" fn keep_control(
    ud: *mut c_void,
    event: *const sandlock_event_t,
    control: *mut sandlock_control_t,
    _deny_errno: *mut i32,
) -> u32 {
    // SAFETY: the test's Kept, alive for the whole test.
    let kept = unsafe { &*ud.cast::<Kept>() };
    // SAFETY: the event the library passed.
    if unsafe { (*event).category } != SANDLOCK_CATEGORY_EXEC as u32 {
        return SANDLOCK_DECISION_ALLOW as u32;
    }
    let mut first = kept.first.lock().unwrap();
    match *first {
        None => *first = Some(control as usize),
        Some(old) => {
            // SAFETY: the handle of an earlier callback, which returned:
            // the library must refuse it without touching what it was.
            let status = unsafe { sandlock_control_lower_max_processes(old as *const _, 1_000, ptr::null_mut()) };
            kept.stale_status.lock().unwrap().push(status);
        }
    }
    SANDLOCK_DECISION_ALLOW as u32
}

#[test]
fn a_control_handle_is_refused_once_its_callback_returned() {
    // The second exec's callback runs on the same worker thread as the
    // first's: a handle that lived in the first's stack frame would be at
    // the same address again, and look alive.
    let kept = Box::leak(Box::new(Kept { first: Mutex::new(None), stale_status: Mutex::new(Vec::new()) }));
    let policy = system_policy();
    let argv = Argv::new(&["/bin/sh", "-c", "/usr/bin/true; /usr/bin/true"]);
    let mut err = ptr::null_mut();
    // SAFETY: a live policy and argv.
    let command = unsafe { sandlock_command_new(policy, argv.ptr(), argv.argc(), &mut err) };
    // SAFETY: freed once.
    unsafe { sandlock_policy_free(policy) };
    let ud = ptr::from_mut(kept).cast::<c_void>();
    // SAFETY: a live command; `kept` outlives the run (leaked), no ud_drop.
    let status = unsafe {
        sandlock_command_set_policy_fn(command, SANDLOCK_CATEGORY_EXEC as u32, Some(keep_control), ud, None, &mut err)
    };
    assert_eq!(status, 0, "{}", last_error());
    // SAFETY: a live command.
    let result = unsafe { sandlock_command_run(command, &mut err) };
    assert!(!result.is_null(), "{}", last_error());
    // SAFETY: freed once each.
    unsafe {
        sandlock_result_free(result);
        sandlock_command_free(command);
    }
    // Three execs: sh, and the two of true; each later one tried the first's handle.
    assert_eq!(*kept.stale_status.lock().unwrap(), [SANDLOCK_E_INVALID as i32; 2]);
    // After the run, too.
    let old = kept.first.lock().unwrap().expect("the first exec was seen");
    // SAFETY: an expired handle, which the library must refuse.
    let status = unsafe { sandlock_control_lower_max_processes(old as *const _, 1_000, &mut err) };
    assert_eq!(status, SANDLOCK_E_INVALID as i32);
    assert_eq!(last_error(), "the control handle is only valid while its policy_fn callback runs");
    // SAFETY: the owned error.
    unsafe { sandlock_error_free(err) };
}

unsafe extern "C-unwind" fn no_decision_for_true(
    _ud: *mut c_void,
    event: *const sandlock_event_t,
    _control: *mut sandlock_control_t,
    _deny_errno: *mut i32,
) -> u32 {
    if args_of(event).first().is_some_and(|a| a == "/usr/bin/true") {
        return 7;
    }
    SANDLOCK_DECISION_ALLOW as u32
}

#[test]
fn an_answer_that_is_no_decision_gets_the_failure_outcome_without_a_panic() {
    // A C programmer's mistake, answered as documented; it must not print
    // a Rust panic and backtrace on the embedding program's stderr.
    static PANICS: Mutex<Vec<String>> = Mutex::new(Vec::new());
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let message = info.to_string();
        if message.contains("sandlock_decision_t") {
            PANICS.lock().unwrap_or_else(|e| e.into_inner()).push(message);
        }
        previous(info);
    }));
    let policy = system_policy();
    let argv = Argv::new(&["/bin/sh", "-c", "/usr/bin/true; echo $?"]);
    let mut err = ptr::null_mut();
    // SAFETY: a live policy and argv.
    let command = unsafe { sandlock_command_new(policy, argv.ptr(), argv.argc(), &mut err) };
    // SAFETY: freed once.
    unsafe { sandlock_policy_free(policy) };
    // SAFETY: a live command; no ud.
    let status = unsafe {
        sandlock_command_set_policy_fn(
            command,
            SANDLOCK_CATEGORY_EXEC as u32,
            Some(no_decision_for_true),
            ptr::null_mut(),
            None,
            &mut err,
        )
    };
    assert_eq!(status, 0, "{}", last_error());
    // SAFETY: a live command.
    let result = unsafe { sandlock_command_run(command, &mut err) };
    assert!(!result.is_null(), "{}", last_error());
    // The failure outcome, DENY with EPERM: the shell cannot run true.
    assert_eq!(stdout_of(result), "126\n");
    // SAFETY: freed once each.
    unsafe {
        sandlock_result_free(result);
        sandlock_command_free(command);
    }
    assert_eq!(*PANICS.lock().unwrap(), Vec::<String>::new());
}
