//! C-ABI handlers in real sandboxes: actions, exception policies, child
//! memory access, and the kill guard.

mod common;

use std::ffi::c_void;
use std::ptr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use common::*;
use sandlock::sandlock_exception_policy_t::*;
use sandlock::sandlock_status_t::*;
use sandlock::*;

/// Outcome of `uname` (which prints the kernel name) when its `uname(2)`
/// fails with the errno described by `message`.
fn uname_failed(message: &str) -> Outcome {
    Outcome {
        exit_code: 1,
        signal: 0,
        stdout: String::new(),
        stderr: format!("uname: cannot get system name: {message}\n"),
    }
}

fn uname_printed_linux() -> Outcome {
    Outcome { exit_code: 0, signal: 0, stdout: "Linux\n".into(), stderr: String::new() }
}

fn killed_by_sigkill() -> Outcome {
    Outcome { exit_code: -1, signal: libc::SIGKILL, stdout: String::new(), stderr: String::new() }
}

/// Run `uname` with one handler on `uname(2)`.
fn uname_with(callback: sandlock_handler_fn_t, ud: *mut c_void, policy: sandlock_exception_policy_t) -> Outcome {
    run_with(&["uname"], &[registration("uname", handler(callback, ud, policy))])
}

unsafe extern "C-unwind" fn return_4242(
    ud: *mut c_void,
    notif: *const sandlock_notif_data_t,
    _mem: *mut sandlock_mem_handle_t,
    out: *mut sandlock_action_out_t,
) -> i32 {
    // SAFETY: `ud` is the test's Mutex; `notif` is valid during the call.
    let seen = unsafe { &*(ud as *const Mutex<Vec<sandlock_notif_data_t>>) };
    // SAFETY: as above.
    seen.lock().unwrap().push(unsafe { *notif });
    // SAFETY: the library passes a writable action.
    unsafe { sandlock_action_set_return_value(out, 4242) }
}

#[test]
fn a_c_handler_fakes_getppid_and_sees_the_notification() {
    let seen: Mutex<Vec<sandlock_notif_data_t>> = Mutex::new(Vec::new());
    let ud = ptr::from_ref(&seen).cast_mut().cast();
    let out = run_with(
        &["/bin/sh", "-c", "echo $PPID"],
        &[registration("getppid", handler(Some(return_4242), ud, SANDLOCK_EXCEPTION_KILL))],
    );
    assert_eq!(out, Outcome { exit_code: 0, signal: 0, stdout: "4242\n".into(), stderr: String::new() });
    let seen = seen.into_inner().unwrap();
    assert_eq!(seen.len(), 1);
    assert_eq!(i64::from(seen[0].syscall_nr), libc::SYS_getppid);
    assert_eq!(seen[0].arch, 0xC000_003E, "AUDIT_ARCH_X86_64");
    assert_ne!(seen[0].pid, 0);
    assert_ne!(seen[0].id, 0);
}

unsafe extern "C-unwind" fn deny_eacces(
    _ud: *mut c_void,
    _notif: *const sandlock_notif_data_t,
    _mem: *mut sandlock_mem_handle_t,
    out: *mut sandlock_action_out_t,
) -> i32 {
    // SAFETY: the library passes a writable action.
    unsafe { sandlock_action_set_errno(out, libc::EACCES) }
}

#[test]
fn an_errno_action_fails_the_syscall_with_that_errno() {
    assert_eq!(
        uname_with(Some(deny_eacces), ptr::null_mut(), SANDLOCK_EXCEPTION_KILL),
        uname_failed("Permission denied")
    );
}

unsafe extern "C-unwind" fn kill_own_group(
    _ud: *mut c_void,
    _notif: *const sandlock_notif_data_t,
    _mem: *mut sandlock_mem_handle_t,
    out: *mut sandlock_action_out_t,
) -> i32 {
    // SAFETY: the library passes a writable action.
    unsafe { sandlock_action_set_kill(out, libc::SIGKILL, 0) }
}

#[test]
fn a_kill_action_kills_the_child() {
    assert_eq!(uname_with(Some(kill_own_group), ptr::null_mut(), SANDLOCK_EXCEPTION_DENY_EPERM), killed_by_sigkill());
}

static SIGURG_RECEIVED: AtomicUsize = AtomicUsize::new(0);

extern "C" fn count_sigurg(_: libc::c_int) {
    SIGURG_RECEIVED.fetch_add(1, Ordering::SeqCst);
}

unsafe extern "C-unwind" fn kill_test_process_group(
    _ud: *mut c_void,
    _notif: *const sandlock_notif_data_t,
    _mem: *mut sandlock_mem_handle_t,
    out: *mut sandlock_action_out_t,
) -> i32 {
    // SAFETY: getpgrp has no memory effects.
    let own_group = unsafe { libc::getpgrp() };
    // SAFETY: the library passes a writable action.
    unsafe { sandlock_action_set_kill(out, libc::SIGURG, own_group) }
}

#[test]
fn a_kill_aimed_at_the_callers_group_is_refused_and_the_caller_survives() {
    // SIGURG is harmless to every process of the group (its default is to
    // ignore), so a broken guard shows up as a count instead of a crash.
    // SAFETY: installing a handler that only touches an atomic.
    let previous =
        unsafe { libc::signal(libc::SIGURG, count_sigurg as extern "C" fn(libc::c_int) as libc::sighandler_t) };
    assert_ne!(previous, libc::SIG_ERR);
    let out = uname_with(Some(kill_test_process_group), ptr::null_mut(), SANDLOCK_EXCEPTION_DENY_EPERM);
    assert_eq!(out, uname_failed("Operation not permitted"));
    assert_eq!(SIGURG_RECEIVED.load(Ordering::SeqCst), 0);
}

unsafe extern "C-unwind" fn fail_with_rc_1(
    _ud: *mut c_void,
    _notif: *const sandlock_notif_data_t,
    _mem: *mut sandlock_mem_handle_t,
    _out: *mut sandlock_action_out_t,
) -> i32 {
    1
}

unsafe extern "C-unwind" fn set_nothing(
    _ud: *mut c_void,
    _notif: *const sandlock_notif_data_t,
    _mem: *mut sandlock_mem_handle_t,
    _out: *mut sandlock_action_out_t,
) -> i32 {
    0
}

unsafe extern "C-unwind" fn panic_after_setting_an_action(
    _ud: *mut c_void,
    _notif: *const sandlock_notif_data_t,
    _mem: *mut sandlock_mem_handle_t,
    out: *mut sandlock_action_out_t,
) -> i32 {
    // SAFETY: the library passes a writable action.
    unsafe { sandlock_action_set_return_value(out, 0) };
    panic!("handler written in Rust panics");
}

unsafe extern "C-unwind" fn set_unknown_kind(
    _ud: *mut c_void,
    _notif: *const sandlock_notif_data_t,
    _mem: *mut sandlock_mem_handle_t,
    out: *mut sandlock_action_out_t,
) -> i32 {
    // SAFETY: the library passes a writable action.
    unsafe { (*out).kind = 99 };
    0
}

#[test]
fn a_non_zero_return_selects_the_exception_policy() {
    assert_eq!(
        uname_with(Some(fail_with_rc_1), ptr::null_mut(), SANDLOCK_EXCEPTION_DENY_EIO),
        uname_failed("Input/output error")
    );
}

#[test]
fn the_default_exception_policy_kills() {
    assert_eq!(uname_with(Some(fail_with_rc_1), ptr::null_mut(), SANDLOCK_EXCEPTION_KILL), killed_by_sigkill());
}

#[test]
fn no_action_set_selects_the_exception_policy() {
    assert_eq!(
        uname_with(Some(set_nothing), ptr::null_mut(), SANDLOCK_EXCEPTION_DENY_EPERM),
        uname_failed("Operation not permitted")
    );
}

#[test]
fn a_panicking_handler_gets_its_exception_policy_not_its_action() {
    // The action set before the panic (return 0) would make uname print
    // garbage; the CONTINUE policy lets the real syscall run instead.
    assert_eq!(
        uname_with(Some(panic_after_setting_an_action), ptr::null_mut(), SANDLOCK_EXCEPTION_CONTINUE),
        uname_printed_linux()
    );
}

#[test]
fn an_unknown_action_kind_selects_the_exception_policy() {
    assert_eq!(
        uname_with(Some(set_unknown_kind), ptr::null_mut(), SANDLOCK_EXCEPTION_DENY_EIO),
        uname_failed("Input/output error")
    );
}

#[test]
fn continue_lets_the_syscall_run() {
    assert_eq!(uname_with(Some(allow), ptr::null_mut(), SANDLOCK_EXCEPTION_KILL), uname_printed_linux());
}

unsafe extern "C-unwind" fn write_fake_sysname(
    _ud: *mut c_void,
    notif: *const sandlock_notif_data_t,
    mem: *mut sandlock_mem_handle_t,
    out: *mut sandlock_action_out_t,
) -> i32 {
    let name = b"Fakix\0";
    // SAFETY: `notif` and `mem` are valid during the call; args[0] is the
    // child's `struct utsname *`, whose first field is `sysname`.
    let rc = unsafe { sandlock_mem_write(mem, (*notif).args[0], name.as_ptr(), name.len()) };
    if rc != 0 {
        return rc;
    }
    // SAFETY: the library passes a writable action.
    unsafe { sandlock_action_set_return_value(out, 0) }
}

#[test]
fn a_handler_writes_child_memory() {
    assert_eq!(
        uname_with(Some(write_fake_sysname), ptr::null_mut(), SANDLOCK_EXCEPTION_KILL),
        Outcome { exit_code: 0, signal: 0, stdout: "Fakix\n".into(), stderr: String::new() }
    );
}

unsafe extern "C-unwind" fn record_written_bytes(
    ud: *mut c_void,
    notif: *const sandlock_notif_data_t,
    mem: *mut sandlock_mem_handle_t,
    out: *mut sandlock_action_out_t,
) -> i32 {
    // SAFETY: `ud` is the test's Mutex; `notif` is valid during the call.
    let (seen, args) = unsafe { (&*(ud as *const Mutex<Vec<Vec<u8>>>), (*notif).args) };
    let mut buf = vec![0u8; args[2] as usize];
    let mut len = 0usize;
    // SAFETY: `mem` is valid during the call; `buf` holds args[2] bytes.
    let rc = unsafe { sandlock_mem_read(mem, args[1], buf.as_mut_ptr(), buf.len(), &mut len) };
    if rc != 0 {
        return rc;
    }
    buf.truncate(len);
    seen.lock().unwrap().push(buf);
    // SAFETY: the library passes a writable action.
    unsafe { sandlock_action_set_continue(out) }
}

#[test]
fn a_handler_reads_child_memory() {
    let seen: Mutex<Vec<Vec<u8>>> = Mutex::new(Vec::new());
    let ud = ptr::from_ref(&seen).cast_mut().cast();
    let out = run_with(
        &["/bin/echo", "hello"],
        &[registration("write", handler(Some(record_written_bytes), ud, SANDLOCK_EXCEPTION_KILL))],
    );
    assert_eq!(out.stdout, "hello\n");
    assert_eq!(seen.into_inner().unwrap(), vec![b"hello\n".to_vec()]);
}

unsafe extern "C-unwind" fn virtual_file(
    _ud: *mut c_void,
    notif: *const sandlock_notif_data_t,
    mem: *mut sandlock_mem_handle_t,
    out: *mut sandlock_action_out_t,
) -> i32 {
    let mut path = [0u8; 256];
    let mut len = 0usize;
    // SAFETY: `notif` and `mem` are valid during the call; args[1] is the
    // path of openat; `path` holds 256 bytes.
    let rc = unsafe { sandlock_mem_read_cstr(mem, (*notif).args[1], path.as_mut_ptr(), path.len(), &mut len) };
    if rc != 0 {
        return rc;
    }
    if &path[..len] != b"/virtual/motd" {
        // SAFETY: the library passes a writable action.
        return unsafe { sandlock_action_set_continue(out) };
    }
    let content = b"served from memory\n";
    // SAFETY: the library passes a writable action; `content` is readable.
    unsafe { sandlock_action_set_inject_bytes(out, content.as_ptr(), content.len(), 0) }
}

#[test]
fn a_handler_serves_a_virtual_file_by_path() {
    assert_eq!(
        run_with(
            &["/bin/cat", "/virtual/motd"],
            &[registration("openat", handler(Some(virtual_file), ptr::null_mut(), SANDLOCK_EXCEPTION_KILL))]
        ),
        Outcome { exit_code: 0, signal: 0, stdout: "served from memory\n".into(), stderr: String::new() }
    );
}

/// Per openat: the status of a one-byte `mem_read_cstr`, the length it
/// reported, and the first byte of the buffer afterwards.
type CstrProbe = Mutex<Vec<(i32, usize, u8)>>;

unsafe extern "C-unwind" fn probe_one_byte_cstr(
    ud: *mut c_void,
    notif: *const sandlock_notif_data_t,
    mem: *mut sandlock_mem_handle_t,
    out: *mut sandlock_action_out_t,
) -> i32 {
    // SAFETY: `ud` is the test's probe; `notif` is valid during the call.
    let (probe, path) = unsafe { (&*(ud as *const CstrProbe), (*notif).args[1]) };
    let mut buf = [0xAAu8; 1];
    let mut len = 99usize;
    // SAFETY: `mem` is valid during the call; `buf` holds one byte.
    let rc = unsafe { sandlock_mem_read_cstr(mem, path, buf.as_mut_ptr(), 1, &mut len) };
    probe.lock().unwrap().push((rc, len, buf[0]));
    // SAFETY: the library passes a writable action.
    unsafe { sandlock_action_set_continue(out) }
}

#[test]
fn mem_read_cstr_with_max_len_1_reads_an_empty_string() {
    let probe: CstrProbe = Mutex::new(Vec::new());
    let ud = ptr::from_ref(&probe).cast_mut().cast();
    let out = run_with(
        &["/bin/cat", ""],
        &[registration("openat", handler(Some(probe_one_byte_cstr), ud, SANDLOCK_EXCEPTION_KILL))],
    );
    assert_eq!(out.stderr, "/bin/cat: '': No such file or directory\n");
    let probe = probe.into_inner().unwrap();
    // The loader's openat calls have non-empty paths: no NUL fits in one
    // byte, the buffer is left alone. cat's own openat("") is the last.
    let (last, earlier) = probe.split_last().unwrap();
    assert_eq!(*last, (SANDLOCK_OK as i32, 0, 0));
    assert!(!earlier.is_empty());
    assert!(earlier.iter().all(|&probe| probe == (SANDLOCK_E_MEMORY as i32, 99, 0xAA)), "{earlier:?}");
}

#[test]
fn memory_access_rejects_null_handles_and_zero_max_len() {
    let mut buf = [0u8; 4];
    let mut len = 0usize;
    // SAFETY: NULL handles are part of the contract.
    unsafe {
        assert_eq!(sandlock_mem_read_cstr(ptr::null(), 0, buf.as_mut_ptr(), 4, &mut len), SANDLOCK_E_INVALID as i32);
        assert_eq!(last_error(), "mem handle must not be NULL");
        assert_eq!(sandlock_mem_read(ptr::null(), 0, buf.as_mut_ptr(), 4, &mut len), SANDLOCK_E_INVALID as i32);
        assert_eq!(sandlock_mem_write(ptr::null(), 0, buf.as_ptr(), 4), SANDLOCK_E_INVALID as i32);
        assert_eq!(last_error(), "mem handle must not be NULL");
    }
}

/// Per call: the status of `mem_read_cstr` with `max_len` 0 and the error.
unsafe extern "C-unwind" fn probe_zero_max_len(
    ud: *mut c_void,
    notif: *const sandlock_notif_data_t,
    mem: *mut sandlock_mem_handle_t,
    out: *mut sandlock_action_out_t,
) -> i32 {
    // SAFETY: `ud` is the test's Mutex; `notif` is valid during the call.
    let (seen, path) = unsafe { (&*(ud as *const Mutex<Vec<(i32, String)>>), (*notif).args[1]) };
    let mut buf = [0u8; 1];
    // SAFETY: `mem` is valid during the call.
    let rc = unsafe { sandlock_mem_read_cstr(mem, path, buf.as_mut_ptr(), 0, ptr::null_mut()) };
    seen.lock().unwrap().push((rc, last_error()));
    // SAFETY: the library passes a writable action.
    unsafe { sandlock_action_set_continue(out) }
}

#[test]
fn mem_read_cstr_needs_room_for_the_nul() {
    let seen: Mutex<Vec<(i32, String)>> = Mutex::new(Vec::new());
    let ud = ptr::from_ref(&seen).cast_mut().cast();
    let out = run_with(
        &["/bin/echo", "ok"],
        &[registration("openat", handler(Some(probe_zero_max_len), ud, SANDLOCK_EXCEPTION_KILL))],
    );
    assert_eq!(out.stdout, "ok\n");
    let seen = seen.into_inner().unwrap();
    assert!(!seen.is_empty());
    let expected = (SANDLOCK_E_INVALID as i32, "max_len must be at least 1 (room for the NUL)".to_string());
    assert!(seen.iter().all(|s| *s == expected), "{seen:?}");
}

#[test]
fn a_handler_on_a_syscall_the_policy_denies_is_refused() {
    let policy = system_policy();
    // SAFETY: a live policy and a C string.
    assert_eq!(unsafe { sandlock_policy_deny_syscall(policy, cstring("uname").as_ptr()) }, 0);
    let counter = DropCounter::default();
    let registrations = [registration("uname", counter.handler(Some(allow)))];
    let argv = Argv::new(&["uname"]);
    // SAFETY: live policy, argv and registrations.
    let result =
        unsafe { sandlock_run_with_handlers(policy, ptr::null(), argv.ptr(), argv.argc(), registrations.as_ptr(), 1) };
    assert!(result.is_null());
    assert_eq!(sandlock_last_status(), SANDLOCK_E_DENIED as i32);
    assert_eq!(
        last_error(),
        format!(
            "a handler on syscall uname (nr {}) would re-open a syscall the policy denies (policy deny list)",
            libc::SYS_uname
        )
    );
    assert_eq!(counter.count(), 1);
    // SAFETY: freed once.
    unsafe { sandlock_policy_free(policy) };
}

#[test]
fn a_registration_with_an_unknown_syscall_number_is_rejected_and_named() {
    let counter = DropCounter::default();
    let policy = system_policy();
    let argv = Argv::new(&["/bin/true"]);
    for nr in [-1i64, 100_000] {
        let registrations = [sandlock_handler_registration_t { syscall_nr: nr, handler: counter.handler(Some(allow)) }];
        // SAFETY: live policy, argv and registrations.
        let result = unsafe {
            sandlock_run_with_handlers(policy, ptr::null(), argv.ptr(), argv.argc(), registrations.as_ptr(), 1)
        };
        assert!(result.is_null());
        assert_eq!(
            last_error(),
            format!("registrations[0].syscall_nr: syscall number {nr} is not a syscall of this architecture")
        );
    }
    assert_eq!(counter.count(), 2);
    // SAFETY: freed once.
    unsafe { sandlock_policy_free(policy) };
}

#[test]
fn interactive_run_with_handlers_returns_the_exit_code() {
    let policy = system_policy();
    let seen: Mutex<Vec<sandlock_notif_data_t>> = Mutex::new(Vec::new());
    let ud = ptr::from_ref(&seen).cast_mut().cast();
    let registrations = [registration("getppid", handler(Some(return_4242), ud, SANDLOCK_EXCEPTION_KILL))];
    let argv = Argv::new(&["/bin/sh", "-c", "exit $(( PPID % 256 ))"]);
    // SAFETY: live policy, argv and registrations.
    let code = unsafe {
        sandlock_run_interactive_with_handlers(policy, ptr::null(), argv.ptr(), argv.argc(), registrations.as_ptr(), 1)
    };
    // SAFETY: freed once.
    unsafe { sandlock_policy_free(policy) };
    assert_eq!(code, 4242 % 256);
    assert_eq!(seen.into_inner().unwrap().len(), 1);
}
