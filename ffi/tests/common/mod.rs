//! Helpers shared by the integration tests: policies, runs through the C
//! ABI, handler callbacks written as C would write them, and counters.

#![allow(dead_code)]

use std::ffi::{c_char, c_void, CStr, CString};
use std::ptr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use sandlock::*;

/// The thread's last error as a Rust string.
pub fn last_error() -> String {
    // SAFETY: sandlock_last_error never returns NULL and the string stays
    // valid until the next call on this thread.
    unsafe { CStr::from_ptr(sandlock_last_error()) }.to_str().unwrap().to_owned()
}

pub fn cstring(text: &str) -> CString {
    CString::new(text).unwrap()
}

/// A policy that lets the child run the system's programs.
pub fn system_policy() -> *mut sandlock_policy_t {
    let policy = sandlock_policy_new();
    for path in ["/usr", "/lib", "/lib64", "/bin", "/etc"] {
        // SAFETY: a live policy and a C string.
        let status = unsafe { sandlock_policy_fs_read(policy, cstring(path).as_ptr()) };
        assert_eq!(status, 0, "fs_read {path}: {}", last_error());
    }
    policy
}

/// A C argument vector: the strings and the pointer array into them.
pub struct Argv {
    strings: Vec<CString>,
    pointers: Vec<*const c_char>,
}

impl Argv {
    pub fn new(args: &[&str]) -> Argv {
        let strings: Vec<CString> = args.iter().map(|a| cstring(a)).collect();
        let pointers = strings.iter().map(|s| s.as_ptr()).collect();
        Argv { strings, pointers }
    }

    pub fn ptr(&self) -> *const *const c_char {
        self.pointers.as_ptr()
    }

    pub fn argc(&self) -> u32 {
        self.pointers.len() as u32
    }
}

/// What a captured run produced, read through the result accessors.
#[derive(Debug, PartialEq, Eq)]
pub struct Outcome {
    pub exit_code: i32,
    pub signal: i32,
    pub stdout: String,
    pub stderr: String,
}

/// Read and free a result.
pub fn outcome(result: *mut sandlock_result_t) -> Outcome {
    assert!(!result.is_null(), "run failed: {}", last_error());
    let stream = |read: unsafe extern "C" fn(*const sandlock_result_t, *mut usize) -> *const u8| {
        let mut len = 0usize;
        // SAFETY: a live result and a writable length.
        let data = unsafe { read(result, &mut len) };
        assert!(!data.is_null());
        // SAFETY: the result owns `len` bytes at `data` until it is freed.
        String::from_utf8(unsafe { std::slice::from_raw_parts(data, len) }.to_vec()).unwrap()
    };
    // SAFETY: a live result, freed once at the end.
    unsafe {
        let out = Outcome {
            exit_code: sandlock_result_exit_code(result),
            signal: sandlock_result_signal(result),
            stdout: stream(sandlock_result_stdout),
            stderr: stream(sandlock_result_stderr),
        };
        sandlock_result_free(result);
        out
    }
}

/// Run `args` under the system policy with `registrations` (consumed).
pub fn run_with(args: &[&str], registrations: &[sandlock_handler_registration_t]) -> Outcome {
    let policy = system_policy();
    let argv = Argv::new(args);
    // SAFETY: live policy, argv and registrations of the given lengths.
    let result = unsafe {
        sandlock_run_with_handlers(
            policy,
            ptr::null(),
            argv.ptr(),
            argv.argc(),
            registrations.as_ptr(),
            registrations.len(),
        )
    };
    // SAFETY: the policy is live and freed once.
    unsafe { sandlock_policy_free(policy) };
    outcome(result)
}

pub fn syscall_nr(name: &str) -> i64 {
    // SAFETY: a C string.
    let nr = unsafe { sandlock_syscall_nr(cstring(name).as_ptr()) };
    assert!(nr >= 0, "{name}: {}", last_error());
    nr
}

pub fn registration(syscall: &str, handler: *mut sandlock_handler_t) -> sandlock_handler_registration_t {
    assert!(!handler.is_null(), "handler_new failed: {}", last_error());
    sandlock_handler_registration_t { syscall_nr: syscall_nr(syscall), handler }
}

/// A handler whose `ud` is `ud` and whose exception policy is `policy`,
/// without a destructor.
pub fn handler(
    callback: sandlock_handler_fn_t,
    ud: *mut c_void,
    policy: sandlock_exception_policy_t,
) -> *mut sandlock_handler_t {
    // SAFETY: a valid callback; `ud` outlives the handler (test-owned).
    unsafe { sandlock_handler_new(callback, ud, None, policy as u32) }
}

/// Counts how often `ud_drop` ran for the handlers that carry it as `ud`.
#[derive(Clone, Default)]
pub struct DropCounter(Arc<AtomicUsize>);

impl DropCounter {
    pub fn count(&self) -> usize {
        self.0.load(Ordering::SeqCst)
    }

    /// A new reference for one handler's `ud`; `count_drop` releases it.
    pub fn ud(&self) -> *mut c_void {
        Arc::into_raw(Arc::clone(&self.0)) as *mut c_void
    }

    /// A handler with this counter as `ud` and [`count_drop`] as `ud_drop`.
    pub fn handler(&self, callback: sandlock_handler_fn_t) -> *mut sandlock_handler_t {
        // SAFETY: `ud` is an Arc reference that `count_drop` releases once.
        let handler = unsafe {
            sandlock_handler_new(
                callback,
                self.ud(),
                Some(count_drop),
                sandlock_exception_policy_t::SANDLOCK_EXCEPTION_KILL as u32,
            )
        };
        assert!(!handler.is_null(), "{}", last_error());
        handler
    }
}

/// `ud_drop` for a [`DropCounter`] reference.
pub unsafe extern "C-unwind" fn count_drop(ud: *mut c_void) {
    // SAFETY: `ud` came from DropCounter::ud and is released once.
    let counter = unsafe { Arc::from_raw(ud as *const AtomicUsize) };
    counter.fetch_add(1, Ordering::SeqCst);
}

/// A callback that lets every syscall continue.
pub unsafe extern "C-unwind" fn allow(
    _ud: *mut c_void,
    _notif: *const sandlock_notif_data_t,
    _mem: *mut sandlock_mem_handle_t,
    out: *mut sandlock_action_out_t,
) -> i32 {
    // SAFETY: the library passes a writable action.
    unsafe { sandlock_action_set_continue(out) }
}

/// An action with a sentinel in its payload, to see what a setter touches.
pub fn action_with_sentinel() -> sandlock_action_out_t {
    sandlock_action_out_t { kind: 0xdead, payload: sandlock_action_payload_t { none: 0x0123_4567_89ab_cdef } }
}

/// True when the file behind `fd` is still the one `before` described.
pub fn same_file(fd: i32, before: &libc::stat) -> bool {
    // SAFETY: a zeroed stat is a valid output buffer.
    let mut now: libc::stat = unsafe { std::mem::zeroed() };
    // SAFETY: fstat writes into `now`.
    let rc = unsafe { libc::fstat(fd, &mut now) };
    rc == 0 && now.st_dev == before.st_dev && now.st_ino == before.st_ino
}

pub fn stat_fd(fd: i32) -> libc::stat {
    // SAFETY: a zeroed stat is a valid output buffer.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    // SAFETY: fstat writes into `st`.
    assert_eq!(unsafe { libc::fstat(fd, &mut st) }, 0);
    st
}
