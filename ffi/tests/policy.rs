//! Policy setters validate their argument at the call that passes it.

mod common;

use std::ptr;

use common::*;
use sandlock::sandlock_status_t::*;
use sandlock::*;

const E_INVALID: i32 = SANDLOCK_E_INVALID as i32;
const E_NOT_FOUND: i32 = SANDLOCK_E_NOT_FOUND as i32;

#[test]
fn valid_values_are_accepted() {
    let policy = sandlock_policy_new();
    assert!(!policy.is_null());
    // SAFETY: a live policy and C strings.
    unsafe {
        assert_eq!(sandlock_policy_fs_read(policy, cstring("/usr").as_ptr()), 0);
        assert_eq!(sandlock_policy_fs_write(policy, cstring("/tmp").as_ptr()), 0);
        assert_eq!(sandlock_policy_net_connect_tcp(policy, 443), 0);
        assert_eq!(sandlock_policy_net_bind_tcp(policy, 8080), 0);
        assert_eq!(sandlock_policy_deny_syscall(policy, cstring("ptrace").as_ptr()), 0);
        assert_eq!(sandlock_policy_timeout_ms(policy, 1500), 0);
        assert_eq!(sandlock_policy_max_processes(policy, 8), 0);
        assert_eq!(sandlock_policy_max_memory(policy, 1 << 30), 0);
        assert_eq!(sandlock_policy_env(policy, cstring("LANG").as_ptr(), cstring("C").as_ptr()), 0);
        assert_eq!(sandlock_policy_cwd(policy, cstring("/tmp").as_ptr()), 0);
        assert_eq!(last_error(), "");
        sandlock_policy_free(policy);
    }
}

#[test]
fn a_missing_path_is_reported_by_the_setter_that_got_it() {
    let policy = sandlock_policy_new();
    let missing = cstring("/no/such/dir");
    // SAFETY: a live policy and C strings.
    unsafe {
        assert_eq!(sandlock_policy_fs_read(policy, missing.as_ptr()), E_NOT_FOUND);
        assert_eq!(
            last_error(),
            "path \"/no/such/dir\" does not exist or cannot be opened: No such file or directory (os error 2)"
        );
        assert_eq!(sandlock_policy_fs_write(policy, missing.as_ptr()), E_NOT_FOUND);
        assert_eq!(sandlock_policy_cwd(policy, missing.as_ptr()), E_NOT_FOUND);
        sandlock_policy_free(policy);
    }
}

#[test]
fn a_cwd_that_is_not_a_directory_is_rejected_at_the_setter() {
    let policy = sandlock_policy_new();
    // SAFETY: a live policy and C strings.
    unsafe {
        assert_eq!(sandlock_policy_cwd(policy, cstring("/etc/hostname").as_ptr()), E_INVALID);
        assert_eq!(last_error(), "working directory \"/etc/hostname\" is not a directory");
        sandlock_policy_free(policy);
    }
}

#[test]
fn relative_and_overlong_paths_are_invalid_with_a_short_message() {
    let policy = sandlock_policy_new();
    let long = format!("/{}", "a".repeat(5000));
    // SAFETY: a live policy and C strings.
    unsafe {
        for setter in [sandlock_policy_fs_read, sandlock_policy_fs_write, sandlock_policy_cwd] {
            assert_eq!(setter(policy, cstring(&long).as_ptr()), E_INVALID);
            let message = last_error();
            assert_eq!(
                message,
                format!("a path of 5001 bytes is longer than PATH_MAX (4096): \"/{}\"...", "a".repeat(47))
            );
            assert_eq!(setter(policy, cstring("usr/lib").as_ptr()), E_INVALID);
            assert_eq!(
                last_error(),
                "path \"usr/lib\" must be absolute (policy paths are never resolved against the caller's directory)"
            );
        }
        sandlock_policy_free(policy);
    }
}

#[test]
fn the_1_1_setters_accept_their_values_and_reject_null() {
    let policy = sandlock_policy_new();
    // SAFETY: a live policy, then NULL.
    unsafe {
        let mut err = ptr::null_mut();
        assert_eq!(sandlock_policy_private_ipc(policy, true, &mut err), 0);
        assert!(err.is_null());
        assert_eq!(sandlock_policy_private_network(policy, false, ptr::null_mut()), 0);
        assert_eq!(sandlock_policy_handler_grace_ms(policy, 0, ptr::null_mut()), 0);
        assert_eq!(sandlock_policy_private_ipc(ptr::null_mut(), true, &mut err), E_INVALID);
        assert_eq!(last_error(), "policy must not be NULL");
        assert_eq!(sandlock_error_status(err), E_INVALID);
        assert_eq!(std::ffi::CStr::from_ptr(sandlock_error_message(err)).to_str().unwrap(), "policy must not be NULL");
        sandlock_error_free(err);
        assert_eq!(sandlock_policy_private_network(ptr::null_mut(), true, ptr::null_mut()), E_INVALID);
        assert_eq!(sandlock_policy_handler_grace_ms(ptr::null_mut(), 5, ptr::null_mut()), E_INVALID);
        sandlock_policy_free(policy);
    }
}

#[test]
fn port_zero_is_rejected_and_named() {
    let policy = sandlock_policy_new();
    // SAFETY: a live policy.
    unsafe {
        assert_eq!(sandlock_policy_net_connect_tcp(policy, 0), E_INVALID);
        assert_eq!(last_error(), "port 0 is not a valid TCP port for net_connect_tcp");
        assert_eq!(sandlock_policy_net_bind_tcp(policy, 0), E_INVALID);
        assert_eq!(last_error(), "port 0 is not a valid TCP port for net_bind_tcp");
        sandlock_policy_free(policy);
    }
}

#[test]
fn an_unknown_syscall_name_is_rejected_and_named() {
    let policy = sandlock_policy_new();
    // SAFETY: a live policy and a C string.
    unsafe {
        assert_eq!(sandlock_policy_deny_syscall(policy, cstring("no_such_call").as_ptr()), E_INVALID);
        assert_eq!(last_error(), "unknown syscall \"no_such_call\" on this architecture");
        sandlock_policy_free(policy);
    }
}

#[test]
fn zero_limits_are_rejected_and_named() {
    let policy = sandlock_policy_new();
    // SAFETY: a live policy.
    unsafe {
        assert_eq!(sandlock_policy_timeout_ms(policy, 0), E_INVALID);
        assert_eq!(last_error(), "limit timeout_ms must be greater than zero");
        assert_eq!(sandlock_policy_max_processes(policy, 0), E_INVALID);
        assert_eq!(last_error(), "limit max_processes must be greater than zero");
        assert_eq!(sandlock_policy_max_memory(policy, 0), E_INVALID);
        assert_eq!(last_error(), "limit max_memory must be greater than zero");
        sandlock_policy_free(policy);
    }
}

#[test]
fn an_environment_key_with_equals_sign_is_rejected() {
    let policy = sandlock_policy_new();
    // SAFETY: a live policy and C strings.
    unsafe {
        assert_eq!(sandlock_policy_env(policy, cstring("A=B").as_ptr(), cstring("x").as_ptr()), E_INVALID);
        assert_eq!(last_error(), "environment key \"A=B\" must be non-empty and contain no '='");
        assert_eq!(sandlock_policy_env(policy, cstring("").as_ptr(), cstring("x").as_ptr()), E_INVALID);
        assert_eq!(last_error(), "environment key \"\" must be non-empty and contain no '='");
        sandlock_policy_free(policy);
    }
}

#[test]
fn a_rejected_value_leaves_the_policy_usable() {
    let policy = system_policy();
    // SAFETY: a live policy.
    assert_eq!(unsafe { sandlock_policy_timeout_ms(policy, 0) }, E_INVALID);
    let argv = Argv::new(&["/bin/echo", "still fine"]);
    // SAFETY: live policy and argv.
    let result = unsafe { sandlock_run(policy, ptr::null(), argv.ptr(), argv.argc()) };
    // SAFETY: freed once.
    unsafe { sandlock_policy_free(policy) };
    assert_eq!(outcome(result).stdout, "still fine\n");
}

#[test]
fn every_setter_rejects_null() {
    let policy = sandlock_policy_new();
    let path = cstring("/usr");
    // SAFETY: NULL arguments are part of the contract.
    unsafe {
        assert_eq!(sandlock_policy_fs_read(ptr::null_mut(), path.as_ptr()), E_INVALID);
        assert_eq!(last_error(), "policy must not be NULL");
        assert_eq!(sandlock_policy_fs_read(policy, ptr::null()), E_INVALID);
        assert_eq!(last_error(), "path must not be NULL");
        assert_eq!(sandlock_policy_fs_write(policy, ptr::null()), E_INVALID);
        assert_eq!(sandlock_policy_cwd(policy, ptr::null()), E_INVALID);
        assert_eq!(sandlock_policy_net_connect_tcp(ptr::null_mut(), 80), E_INVALID);
        assert_eq!(sandlock_policy_net_bind_tcp(ptr::null_mut(), 80), E_INVALID);
        assert_eq!(sandlock_policy_deny_syscall(policy, ptr::null()), E_INVALID);
        assert_eq!(last_error(), "syscall name must not be NULL");
        assert_eq!(sandlock_policy_timeout_ms(ptr::null_mut(), 1), E_INVALID);
        assert_eq!(sandlock_policy_max_processes(ptr::null_mut(), 1), E_INVALID);
        assert_eq!(sandlock_policy_max_memory(ptr::null_mut(), 1), E_INVALID);
        assert_eq!(sandlock_policy_env(policy, ptr::null(), path.as_ptr()), E_INVALID);
        assert_eq!(last_error(), "key must not be NULL");
        assert_eq!(sandlock_policy_env(policy, path.as_ptr(), ptr::null()), E_INVALID);
        assert_eq!(last_error(), "value must not be NULL");
        sandlock_policy_free(ptr::null_mut());
        sandlock_policy_free(policy);
    }
}

#[test]
fn syscall_names_resolve_to_this_architectures_numbers() {
    assert_eq!(syscall_nr("getppid"), libc::SYS_getppid);
    assert_eq!(syscall_nr("openat"), libc::SYS_openat);
    // SAFETY: a C string and NULL.
    unsafe {
        assert_eq!(sandlock_syscall_nr(cstring("no_such_call").as_ptr()), -1);
        assert_eq!(last_error(), "unknown syscall \"no_such_call\" on this architecture");
        assert_eq!(sandlock_syscall_nr(ptr::null()), -1);
        assert_eq!(last_error(), "name must not be NULL");
    }
}

#[test]
fn version_matches_the_crate_and_the_header_macros() {
    let major: u32 = env!("CARGO_PKG_VERSION_MAJOR").parse().unwrap();
    let minor: u32 = env!("CARGO_PKG_VERSION_MINOR").parse().unwrap();
    let patch: u32 = env!("CARGO_PKG_VERSION_PATCH").parse().unwrap();
    assert_eq!((SANDLOCK_VERSION_MAJOR, SANDLOCK_VERSION_MINOR, SANDLOCK_VERSION_PATCH), (major, minor, patch));
    assert_eq!(sandlock_version(), major << 16 | minor << 8 | patch);
}

#[test]
fn last_error_is_per_thread() {
    let policy = sandlock_policy_new();
    // SAFETY: a live policy.
    assert_eq!(unsafe { sandlock_policy_timeout_ms(policy, 0) }, E_INVALID);
    let other_thread = std::thread::spawn(last_error).join().unwrap();
    assert_eq!(other_thread, "");
    assert_eq!(last_error(), "limit timeout_ms must be greater than zero");
    // SAFETY: freed once.
    unsafe { sandlock_policy_free(policy) };
}
