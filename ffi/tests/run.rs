//! Runs without handlers, results, and argument checking of run entry points.

mod common;

use std::ptr;

use common::*;
use sandlock::sandlock_status_t::*;
use sandlock::*;

/// Run `args` under `policy`, freeing the policy.
fn run_and_free(policy: *mut sandlock_policy_t, args: &[&str]) -> Outcome {
    let argv = Argv::new(args);
    // SAFETY: live policy and argv; the policy is freed once afterwards.
    let result = unsafe { sandlock_run(policy, ptr::null(), argv.ptr(), argv.argc()) };
    // SAFETY: freed once.
    unsafe { sandlock_policy_free(policy) };
    outcome(result)
}

#[test]
fn policy_only_run_captures_exact_output() {
    let policy = system_policy();
    let argv = Argv::new(&["/bin/echo", "hi"]);
    let name = cstring("echo-test");
    // SAFETY: live policy, name and argv.
    let result = unsafe { sandlock_run(policy, name.as_ptr(), argv.ptr(), argv.argc()) };
    // SAFETY: freed once.
    unsafe { sandlock_policy_free(policy) };
    assert_eq!(outcome(result), Outcome { exit_code: 0, signal: 0, stdout: "hi\n".into(), stderr: String::new() });
    assert_eq!(last_error(), "");
    assert_eq!(sandlock_last_status(), SANDLOCK_OK as i32);
}

#[test]
fn exit_code_and_stderr_of_a_failing_program() {
    let out = run_and_free(system_policy(), &["/bin/sh", "-c", "echo oops >&2; exit 3"]);
    assert_eq!(out, Outcome { exit_code: 3, signal: 0, stdout: String::new(), stderr: "oops\n".into() });
}

#[test]
fn a_killed_child_reports_its_signal_and_exit_code_minus_one() {
    let out = run_and_free(system_policy(), &["/bin/sh", "-c", "kill -9 $$"]);
    assert_eq!(out, Outcome { exit_code: -1, signal: 9, stdout: String::new(), stderr: String::new() });
}

#[test]
fn environment_and_cwd_reach_the_child() {
    let policy = system_policy();
    // SAFETY: live policy and C strings.
    unsafe {
        assert_eq!(sandlock_policy_env(policy, cstring("GREETING").as_ptr(), cstring("hello").as_ptr()), 0);
        assert_eq!(sandlock_policy_cwd(policy, cstring("/usr").as_ptr()), 0);
    }
    assert_eq!(run_and_free(policy, &["/bin/sh", "-c", "echo $GREETING; pwd"]).stdout, "hello\n/usr\n");
}

#[test]
fn a_denied_syscall_fails_with_eperm_in_the_child() {
    let policy = system_policy();
    // SAFETY: live policy and a C string.
    assert_eq!(unsafe { sandlock_policy_deny_syscall(policy, cstring("uname").as_ptr()) }, 0);
    assert_eq!(
        run_and_free(policy, &["uname"]),
        Outcome {
            exit_code: 1,
            signal: 0,
            stdout: String::new(),
            stderr: "uname: cannot get system name: Operation not permitted\n".into()
        }
    );
}

#[test]
fn run_interactive_returns_the_exit_code() {
    let policy = system_policy();
    let argv = Argv::new(&["/bin/sh", "-c", "exit 7"]);
    // SAFETY: live policy and argv.
    let code = unsafe { sandlock_run_interactive(policy, ptr::null(), argv.ptr(), argv.argc()) };
    // SAFETY: freed once.
    unsafe { sandlock_policy_free(policy) };
    assert_eq!(code, 7);
}

#[test]
fn run_interactive_reports_a_killing_signal_as_128_plus_signal() {
    let policy = system_policy();
    let argv = Argv::new(&["/bin/sh", "-c", "kill -9 $$"]);
    // SAFETY: live policy and argv.
    let code = unsafe { sandlock_run_interactive(policy, ptr::null(), argv.ptr(), argv.argc()) };
    // SAFETY: freed once.
    unsafe { sandlock_policy_free(policy) };
    assert_eq!(code, 128 + 9);
}

#[test]
fn a_missing_program_is_not_found() {
    let policy = system_policy();
    let argv = Argv::new(&["/usr/bin/no-such-program"]);
    // SAFETY: live policy and argv.
    let result = unsafe { sandlock_run(policy, ptr::null(), argv.ptr(), argv.argc()) };
    assert!(result.is_null());
    assert_eq!(sandlock_last_status(), SANDLOCK_E_NOT_FOUND as i32);
    assert_eq!(last_error(), "program \"/usr/bin/no-such-program\" not found");
    // SAFETY: freed once.
    unsafe { sandlock_policy_free(policy) };
}

#[test]
fn null_policy_and_null_argv_are_rejected() {
    let policy = system_policy();
    let argv = Argv::new(&["/bin/true"]);
    // SAFETY: NULL arguments are part of the contract.
    unsafe {
        assert!(sandlock_run(ptr::null(), ptr::null(), argv.ptr(), 1).is_null());
        assert_eq!(last_error(), "policy must not be NULL");
        assert!(sandlock_run(policy, ptr::null(), ptr::null(), 1).is_null());
        assert_eq!(last_error(), "argv must not be NULL");
        assert_eq!(sandlock_run_interactive(ptr::null(), ptr::null(), argv.ptr(), 1), SANDLOCK_E_INVALID as i32);
        assert_eq!(last_error(), "policy must not be NULL");
        sandlock_policy_free(policy);
    }
}

#[test]
fn argc_must_be_between_1_and_4096() {
    let policy = system_policy();
    let argv = Argv::new(&["/bin/true"]);
    // SAFETY: argc is checked before argv is read.
    unsafe {
        assert!(sandlock_run(policy, ptr::null(), argv.ptr(), 0).is_null());
        assert_eq!(last_error(), "argc must be between 1 and 4096, got 0");
        assert!(sandlock_run(policy, ptr::null(), argv.ptr(), 4097).is_null());
        assert_eq!(last_error(), "argc must be between 1 and 4096, got 4097");
        assert_eq!(sandlock_run_interactive(policy, ptr::null(), argv.ptr(), u32::MAX), SANDLOCK_E_INVALID as i32);
        assert_eq!(last_error(), "argc must be between 1 and 4096, got 4294967295");
        sandlock_policy_free(policy);
    }
}

#[test]
fn a_null_entry_in_argv_is_named() {
    let policy = system_policy();
    let program = cstring("/bin/echo");
    let pointers = [program.as_ptr(), ptr::null()];
    // SAFETY: two readable entries, the second NULL.
    let result = unsafe { sandlock_run(policy, ptr::null(), pointers.as_ptr(), 2) };
    assert!(result.is_null());
    assert_eq!(last_error(), "argv[1] must not be NULL");
    // SAFETY: freed once.
    unsafe { sandlock_policy_free(policy) };
}

#[test]
fn a_name_that_is_not_utf8_is_rejected() {
    let policy = system_policy();
    let argv = Argv::new(&["/bin/true"]);
    let name = std::ffi::CString::new(vec![0xff, 0xfe]).unwrap();
    // SAFETY: live arguments.
    let result = unsafe { sandlock_run(policy, name.as_ptr(), argv.ptr(), argv.argc()) };
    assert!(result.is_null());
    assert_eq!(last_error(), "name \"\\xff\\xfe\" is not valid UTF-8");
    // SAFETY: freed once.
    unsafe { sandlock_policy_free(policy) };
}

#[test]
fn result_accessors_reject_null() {
    let mut len = 99usize;
    // SAFETY: NULL arguments are part of the contract.
    unsafe {
        assert_eq!(sandlock_result_exit_code(ptr::null()), -1);
        assert_eq!(last_error(), "result must not be NULL");
        assert_eq!(sandlock_result_signal(ptr::null()), -1);
        assert!(sandlock_result_stdout(ptr::null(), &mut len).is_null());
        assert_eq!(len, 0);
        assert!(sandlock_result_stderr(ptr::null(), ptr::null_mut()).is_null());
        assert_eq!(last_error(), "len must not be NULL");
        assert_eq!(sandlock_last_status(), SANDLOCK_E_INVALID as i32);
        sandlock_result_free(ptr::null_mut());
        assert_eq!(last_error(), "");
    }
}

#[test]
fn uid_and_gid_switch_the_child() {
    let policy = system_policy();
    // SAFETY: a live policy.
    unsafe {
        assert_eq!(sandlock_policy_uid(policy, 65534), SANDLOCK_OK as i32);
        assert_eq!(sandlock_policy_gid(policy, 65534), SANDLOCK_OK as i32);
    }
    let out = run_and_free(policy, &["/bin/sh", "-c", "id -u; id -g"]);
    assert_eq!(out, Outcome { exit_code: 0, signal: 0, stdout: "65534\n65534\n".into(), stderr: String::new() });
}

/// The system policy plus `/dev/null`, which perl opens at startup.
fn perl_policy() -> *mut sandlock_policy_t {
    let policy = system_policy();
    // SAFETY: a live policy and a C string.
    let status = unsafe { sandlock_policy_fs_read(policy, cstring("/dev/null").as_ptr()) };
    assert_eq!(status, SANDLOCK_OK as i32, "{}", last_error());
    policy
}

#[test]
fn unix_sockets_are_denied_until_allowed() {
    let script = "use Socket; socket(my $s, AF_UNIX, SOCK_STREAM, 0) or die \"$!\\n\"; print \"ok\\n\"";
    let denied = run_and_free(perl_policy(), &["/usr/bin/perl", "-e", script]);
    assert_eq!((denied.stdout.as_str(), denied.stderr.as_str()), ("", "Operation not permitted\n"));
    let policy = perl_policy();
    // SAFETY: a live policy.
    assert_eq!(unsafe { sandlock_policy_allow_unix_sockets(policy, true) }, SANDLOCK_OK as i32);
    let allowed = run_and_free(policy, &["/usr/bin/perl", "-e", script]);
    assert_eq!(allowed, Outcome { exit_code: 0, signal: 0, stdout: "ok\n".into(), stderr: String::new() });
}

#[test]
fn identity_setters_reject_a_null_policy() {
    // SAFETY: NULL is rejected before any use.
    unsafe {
        assert_eq!(sandlock_policy_uid(ptr::null_mut(), 1), SANDLOCK_E_INVALID as i32);
        assert_eq!(sandlock_policy_gid(ptr::null_mut(), 1), SANDLOCK_E_INVALID as i32);
        assert_eq!(sandlock_policy_allow_unix_sockets(ptr::null_mut(), true), SANDLOCK_E_INVALID as i32);
    }
    assert_eq!(last_error(), "policy must not be NULL");
}
