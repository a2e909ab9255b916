//! The policy handle: a `PolicyBuilder` whose every setter validates its
//! argument at once, so a mistake is reported by the call that made it.

use std::ffi::{c_char, c_int};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::time::Duration;

use sandlock_core::{
    check_capability, check_directory, check_path, check_port, PolicyBuilder, SandlockError, Stdin, Syscall,
};

use crate::error::{sandlock_error_t, FfiError};
use crate::guard;

/// A sandbox policy under construction (opaque). Create it with
/// `sandlock_policy_new`, free it with `sandlock_policy_free`.
#[derive(Default)]
pub struct sandlock_policy_t {
    builder: PolicyBuilder,
}

impl sandlock_policy_t {
    /// The options collected so far (a command copies them).
    pub(crate) fn builder(&self) -> &PolicyBuilder {
        &self.builder
    }

    fn update(&mut self, change: impl FnOnce(PolicyBuilder) -> PolicyBuilder) {
        self.builder = change(std::mem::take(&mut self.builder));
    }
}

/// Apply `change` to the policy behind `policy` (a 1.0 setter: the error
/// is the thread's last error).
///
/// # Safety
/// `policy` must be NULL or a live policy not used by another thread.
unsafe fn set(
    policy: *mut sandlock_policy_t,
    change: impl FnOnce(&mut sandlock_policy_t) -> Result<(), FfiError>,
) -> c_int {
    // SAFETY: forwarded from the caller.
    unsafe { set_err(policy, std::ptr::null_mut(), change) }
}

/// [`set`] for a 1.1 setter, which also hands the error to `*err`.
///
/// # Safety
/// As for [`set`]; `err` must be NULL or writable.
unsafe fn set_err(
    policy: *mut sandlock_policy_t,
    err: *mut *mut sandlock_error_t,
    change: impl FnOnce(&mut sandlock_policy_t) -> Result<(), FfiError>,
) -> c_int {
    guard::status_err(err, || {
        // SAFETY: NULL or a live, unshared policy (caller's contract).
        let policy = unsafe { guard::mutable(policy, "policy") }?;
        change(policy)
    })
}

/// Values of `sandlock_policy_stdin`'s `mode`: what the child reads.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum sandlock_stdin_t {
    /// `/dev/null` (the default).
    SANDLOCK_STDIN_NULL = 0,
    /// The caller's standard input.
    SANDLOCK_STDIN_INHERIT = 1,
    /// Bytes given to the setter, then end of file (captured runs only).
    SANDLOCK_STDIN_BYTES = 2,
}

/// A path argument that must be absolute and exist now.
///
/// # Safety
/// `path` must be NULL or a NUL-terminated string.
unsafe fn existing_path<'a>(path: *const c_char) -> Result<&'a Path, FfiError> {
    // SAFETY: forwarded from the caller.
    let path = Path::new(unsafe { guard::os_str(path, "path") }?);
    check_path(path)?;
    Ok(path)
}

/// A new, empty policy: nothing readable or writable, no ports, the default
/// syscall deny list, an empty environment.
///
/// Returns an owned handle (never NULL); free it with
/// `sandlock_policy_free`. Thread-safe.
#[no_mangle]
pub extern "C" fn sandlock_policy_new() -> *mut sandlock_policy_t {
    guard::value(|| Ok(Box::into_raw(Box::default())))
}
versioned!(sandlock_policy_new, "SANDLOCK_1.0");

/// Let the child read and execute `path` (a directory and everything under
/// it, or one file).
///
/// Returns `SANDLOCK_OK`, `SANDLOCK_E_INVALID` for a NULL, relative or
/// over-long (`PATH_MAX`) path, or `SANDLOCK_E_NOT_FOUND` when `path` does
/// not exist now (the policy is then unchanged). `path` is copied. Not thread-safe on one policy: setters
/// must not run concurrently with other calls on the same policy.
///
/// # Safety
/// `policy` must be NULL or a live policy; `path` NULL or a C string.
#[no_mangle]
pub unsafe extern "C" fn sandlock_policy_fs_read(policy: *mut sandlock_policy_t, path: *const c_char) -> c_int {
    // SAFETY: forwarded from the caller.
    unsafe {
        set(policy, |p| {
            let path = existing_path(path)?;
            p.update(|b| b.fs_read([path]));
            Ok(())
        })
    }
}
versioned!(sandlock_policy_fs_read, "SANDLOCK_1.0");

/// Let the child read, write, create and remove entries under `path`.
///
/// Returns `SANDLOCK_OK`, `SANDLOCK_E_INVALID` for a NULL, relative or
/// over-long (`PATH_MAX`) path, or `SANDLOCK_E_NOT_FOUND` when `path` does
/// not exist now (the policy is then unchanged). `path` is copied. Not thread-safe on one policy.
///
/// # Safety
/// `policy` must be NULL or a live policy; `path` NULL or a C string.
#[no_mangle]
pub unsafe extern "C" fn sandlock_policy_fs_write(policy: *mut sandlock_policy_t, path: *const c_char) -> c_int {
    // SAFETY: forwarded from the caller.
    unsafe {
        set(policy, |p| {
            let path = existing_path(path)?;
            p.update(|b| b.fs_write([path]));
            Ok(())
        })
    }
}
versioned!(sandlock_policy_fs_write, "SANDLOCK_1.0");

/// Let the child connect to TCP `port`; every other port is refused.
///
/// Returns `SANDLOCK_OK`, or `SANDLOCK_E_INVALID` for a NULL policy or port
/// 0. Not thread-safe on one policy.
///
/// # Safety
/// `policy` must be NULL or a live policy.
#[no_mangle]
pub unsafe extern "C" fn sandlock_policy_net_connect_tcp(policy: *mut sandlock_policy_t, port: u16) -> c_int {
    // SAFETY: forwarded from the caller.
    unsafe {
        set(policy, |p| {
            check_port(port, "net_connect_tcp")?;
            p.update(|b| b.net_connect_tcp([port]));
            Ok(())
        })
    }
}
versioned!(sandlock_policy_net_connect_tcp, "SANDLOCK_1.0");

/// Let the child bind TCP `port`; every other port is refused.
///
/// Returns `SANDLOCK_OK`, or `SANDLOCK_E_INVALID` for a NULL policy or port
/// 0. Not thread-safe on one policy.
///
/// # Safety
/// `policy` must be NULL or a live policy.
#[no_mangle]
pub unsafe extern "C" fn sandlock_policy_net_bind_tcp(policy: *mut sandlock_policy_t, port: u16) -> c_int {
    // SAFETY: forwarded from the caller.
    unsafe {
        set(policy, |p| {
            check_port(port, "net_bind_tcp")?;
            p.update(|b| b.net_bind_tcp([port]));
            Ok(())
        })
    }
}
versioned!(sandlock_policy_net_bind_tcp, "SANDLOCK_1.0");

/// Make syscall `name` (e.g. `"ptrace"`) fail with `EPERM`, on top of the
/// default deny list.
///
/// Returns `SANDLOCK_OK`, or `SANDLOCK_E_INVALID` for a NULL argument or a
/// name this architecture does not have. `name` is copied. Not thread-safe
/// on one policy.
///
/// # Safety
/// `policy` must be NULL or a live policy; `name` NULL or a C string.
#[no_mangle]
pub unsafe extern "C" fn sandlock_policy_deny_syscall(policy: *mut sandlock_policy_t, name: *const c_char) -> c_int {
    // SAFETY: forwarded from the caller.
    unsafe {
        set(policy, |p| {
            let name = guard::utf8(name, "syscall name")?;
            Syscall::from_name(name)?;
            p.update(|b| b.deny_syscalls([name]));
            Ok(())
        })
    }
}
versioned!(sandlock_policy_deny_syscall, "SANDLOCK_1.0");

/// Kill the whole sandbox `ms` milliseconds after it starts.
///
/// Returns `SANDLOCK_OK`, or `SANDLOCK_E_INVALID` for a NULL policy or 0.
/// Not thread-safe on one policy.
///
/// # Safety
/// `policy` must be NULL or a live policy.
#[no_mangle]
pub unsafe extern "C" fn sandlock_policy_timeout_ms(policy: *mut sandlock_policy_t, ms: u64) -> c_int {
    // SAFETY: forwarded from the caller.
    unsafe {
        set(policy, |p| {
            if ms == 0 {
                return Err(SandlockError::ZeroLimit { limit: "timeout_ms" }.into());
            }
            p.update(|b| b.timeout(Duration::from_millis(ms)));
            Ok(())
        })
    }
}
versioned!(sandlock_policy_timeout_ms, "SANDLOCK_1.0");

/// Allow at most `n` tasks (processes and threads) alive in the sandbox.
///
/// Returns `SANDLOCK_OK`, or `SANDLOCK_E_INVALID` for a NULL policy or 0.
/// Not thread-safe on one policy.
///
/// # Safety
/// `policy` must be NULL or a live policy.
#[no_mangle]
pub unsafe extern "C" fn sandlock_policy_max_processes(policy: *mut sandlock_policy_t, n: u32) -> c_int {
    // SAFETY: forwarded from the caller.
    unsafe {
        set(policy, |p| {
            if n == 0 {
                return Err(SandlockError::ZeroLimit { limit: "max_processes" }.into());
            }
            p.update(|b| b.max_processes(n));
            Ok(())
        })
    }
}
versioned!(sandlock_policy_max_processes, "SANDLOCK_1.0");

/// Limit the child's address space to `bytes` (`RLIMIT_AS`).
///
/// Returns `SANDLOCK_OK`, or `SANDLOCK_E_INVALID` for a NULL policy or 0.
/// Not thread-safe on one policy.
///
/// # Safety
/// `policy` must be NULL or a live policy.
#[no_mangle]
pub unsafe extern "C" fn sandlock_policy_max_memory(policy: *mut sandlock_policy_t, bytes: u64) -> c_int {
    // SAFETY: forwarded from the caller.
    unsafe {
        set(policy, |p| {
            if bytes == 0 {
                return Err(SandlockError::ZeroLimit { limit: "max_memory" }.into());
            }
            p.update(|b| b.max_memory(bytes));
            Ok(())
        })
    }
}
versioned!(sandlock_policy_max_memory, "SANDLOCK_1.0");

/// Set environment variable `key` to `value` in the child (the environment
/// starts empty; a second call with the same key replaces the value).
///
/// Returns `SANDLOCK_OK`, or `SANDLOCK_E_INVALID` for a NULL argument or a
/// key that is empty or contains `=`. Both strings are copied. Not
/// thread-safe on one policy.
///
/// # Safety
/// `policy` must be NULL or a live policy; `key` and `value` NULL or C strings.
#[no_mangle]
pub unsafe extern "C" fn sandlock_policy_env(
    policy: *mut sandlock_policy_t,
    key: *const c_char,
    value: *const c_char,
) -> c_int {
    // SAFETY: forwarded from the caller.
    unsafe {
        set(policy, |p| {
            let key = guard::os_str(key, "key")?;
            let value = guard::os_str(value, "value")?;
            if key.is_empty() || key.as_bytes().contains(&b'=') {
                return Err(FfiError::invalid(format!("environment key {key:?} must be non-empty and contain no '='")));
            }
            p.update(|b| b.env(key, value));
            Ok(())
        })
    }
}
versioned!(sandlock_policy_env, "SANDLOCK_1.0");

/// Run the child in directory `path`.
///
/// Returns `SANDLOCK_OK`, `SANDLOCK_E_INVALID` for a NULL, relative or
/// over-long path or one that is not a directory, or `SANDLOCK_E_NOT_FOUND`
/// when `path` does not exist now. `path` is copied. Not thread-safe on one
/// policy.
///
/// # Safety
/// `policy` must be NULL or a live policy; `path` NULL or a C string.
#[no_mangle]
pub unsafe extern "C" fn sandlock_policy_cwd(policy: *mut sandlock_policy_t, path: *const c_char) -> c_int {
    // SAFETY: forwarded from the caller.
    unsafe {
        set(policy, |p| {
            let path = Path::new(guard::os_str(path, "path")?);
            check_directory(path)?;
            p.update(|b| b.cwd(path));
            Ok(())
        })
    }
}
versioned!(sandlock_policy_cwd, "SANDLOCK_1.0");

/// Run the child under `uid` (switching needs a privileged caller). A root
/// service should give untrusted code an unprivileged uid: a child that
/// keeps uid 0 passes the kernel's owner checks on every root-owned file
/// and socket where Landlock does not look (see docs/user-guide.md). A uid
/// other than the caller's needs `sandlock_policy_gid` too: a run fails
/// with `SANDLOCK_E_INVALID` rather than let the child keep the caller's
/// gid and supplementary groups; so does uid 4294967295, `(uid_t)-1`.
///
/// Returns `SANDLOCK_OK`, or `SANDLOCK_E_INVALID` for a NULL policy.
/// Not thread-safe on one policy.
///
/// # Safety
/// `policy` must be NULL or a live policy.
#[no_mangle]
pub unsafe extern "C" fn sandlock_policy_uid(policy: *mut sandlock_policy_t, uid: u32) -> c_int {
    // SAFETY: forwarded from the caller.
    unsafe {
        set(policy, |p| {
            p.update(|b| b.uid(uid));
            Ok(())
        })
    }
}
versioned!(sandlock_policy_uid, "SANDLOCK_1.0");

/// Run the child under `gid`, with no supplementary groups (switching
/// needs a privileged caller).
///
/// Returns `SANDLOCK_OK`, or `SANDLOCK_E_INVALID` for a NULL policy.
/// Not thread-safe on one policy.
///
/// # Safety
/// `policy` must be NULL or a live policy.
#[no_mangle]
pub unsafe extern "C" fn sandlock_policy_gid(policy: *mut sandlock_policy_t, gid: u32) -> c_int {
    // SAFETY: forwarded from the caller.
    unsafe {
        set(policy, |p| {
            p.update(|b| b.gid(gid));
            Ok(())
        })
    }
}
versioned!(sandlock_policy_gid, "SANDLOCK_1.0");

/// Let the child create `AF_UNIX` sockets (denied by default; `socketpair`
/// always works). Landlock does not mediate connecting to a pathname
/// socket, so allow them only together with an unprivileged uid.
///
/// Returns `SANDLOCK_OK`, or `SANDLOCK_E_INVALID` for a NULL policy.
/// Not thread-safe on one policy.
///
/// # Safety
/// `policy` must be NULL or a live policy.
#[no_mangle]
pub unsafe extern "C" fn sandlock_policy_allow_unix_sockets(policy: *mut sandlock_policy_t, allow: bool) -> c_int {
    // SAFETY: forwarded from the caller.
    unsafe {
        set(policy, |p| {
            p.update(|b| b.allow_unix_sockets(allow));
            Ok(())
        })
    }
}
versioned!(sandlock_policy_allow_unix_sockets, "SANDLOCK_1.0");

/// Give the child a private IPC namespace, in which it may use SysV IPC
/// among its own processes (denied otherwise). Needs `CAP_SYS_ADMIN` in the caller: without it a run fails
/// with `SANDLOCK_E_UNSUPPORTED`, unless the policy is best effort (IPC then
/// stays denied).
///
/// Returns `SANDLOCK_OK`, or `SANDLOCK_E_INVALID` for a NULL policy (the
/// error also in `*err`). Not thread-safe on one policy. Since 1.1.
///
/// # Safety
/// `policy` must be NULL or a live policy; `err` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn sandlock_policy_private_ipc(
    policy: *mut sandlock_policy_t,
    on: bool,
    err: *mut *mut sandlock_error_t,
) -> c_int {
    // SAFETY: forwarded from the caller.
    unsafe {
        set_err(policy, err, |p| {
            p.update(|b| b.private_ipc(on));
            Ok(())
        })
    }
}
versioned!(sandlock_policy_private_ipc, "SANDLOCK_1.1");

/// Give the child a private network namespace with only a loopback
/// interface: nothing outside the sandbox is reachable by any protocol, and
/// abstract UNIX socket names stay private. TCP grants then apply to the
/// private loopback. Needs `CAP_SYS_ADMIN` in the caller (as for
/// `sandlock_policy_private_ipc`) and costs about 0.5 ms per run.
///
/// Returns `SANDLOCK_OK`, or `SANDLOCK_E_INVALID` for a NULL policy (the
/// error also in `*err`). Not thread-safe on one policy. Since 1.1.
///
/// # Safety
/// `policy` must be NULL or a live policy; `err` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn sandlock_policy_private_network(
    policy: *mut sandlock_policy_t,
    on: bool,
    err: *mut *mut sandlock_error_t,
) -> c_int {
    // SAFETY: forwarded from the caller.
    unsafe {
        set_err(policy, err, |p| {
            p.update(|b| b.private_network(on));
            Ok(())
        })
    }
}
versioned!(sandlock_policy_private_network, "SANDLOCK_1.1");

/// Let the child read and write the standard devices `/dev/null`,
/// `/dev/zero`, `/dev/full`, `/dev/random` and `/dev/urandom` (on by
/// default): no `ioctl` on them, and each only when its path is that kernel
/// device. Off, the child opens no device the policy does not grant.
///
/// Returns `SANDLOCK_OK`, or `SANDLOCK_E_INVALID` for a NULL policy (the
/// error also in `*err`). Borrows `policy`. Not thread-safe on one policy.
/// Since 1.1.
///
/// # Safety
/// `policy` must be NULL or a live policy; `err` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn sandlock_policy_std_devices(
    policy: *mut sandlock_policy_t,
    on: bool,
    err: *mut *mut sandlock_error_t,
) -> c_int {
    // SAFETY: forwarded from the caller.
    unsafe { switch(policy, err, |b| b.std_devices(on)) }
}
versioned!(sandlock_policy_std_devices, "SANDLOCK_1.1");

/// Give each run a temporary directory of its own (off by default):
/// created fresh under the caller's `TMPDIR` (else `/tmp`) with mode 0700,
/// owned by the child's uid and gid, writable by the child alone, named by
/// `TMPDIR` in its environment (replacing a `TMPDIR` set with
/// `sandlock_policy_env`), and removed with everything in it once the run's
/// process group is gone, also when the run fails. A run fails with
/// `SANDLOCK_E_IO` when the directory cannot be created.
///
/// Returns `SANDLOCK_OK`, or `SANDLOCK_E_INVALID` for a NULL policy (the
/// error also in `*err`). Borrows `policy`. Not thread-safe on one policy.
/// Since 1.1.
///
/// # Safety
/// `policy` must be NULL or a live policy; `err` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn sandlock_policy_private_tmp(
    policy: *mut sandlock_policy_t,
    on: bool,
    err: *mut *mut sandlock_error_t,
) -> c_int {
    // SAFETY: forwarded from the caller.
    unsafe { switch(policy, err, |b| b.private_tmp(on)) }
}
versioned!(sandlock_policy_private_tmp, "SANDLOCK_1.1");

/// Give each run a `/dev/shm` of its own (off by default), for POSIX shared
/// memory and semaphores among its processes: a fresh tmpfs of the policy's
/// `max_memory` bytes (64 MiB without it) in a private mount namespace,
/// which hides the host's `/dev/shm`. With `CAP_SYS_ADMIN` in the caller it
/// costs a mount namespace; without it the child first enters a user
/// namespace of its own mapping only the caller's uid and gid, so a
/// `sandlock_policy_uid`/`_gid` other than the caller's fails the run with
/// `SANDLOCK_E_UNSUPPORTED` (errno `EPERM`). A kernel that allows neither
/// fails the run with `SANDLOCK_E_UNSUPPORTED`, unless the policy is best
/// effort (the child then has no `/dev/shm`). Cannot be combined with a
/// `policy_fn` watching `SANDLOCK_CATEGORY_PATHS` (`SANDLOCK_E_INVALID`).
///
/// Returns `SANDLOCK_OK`, or `SANDLOCK_E_INVALID` for a NULL policy (the
/// error also in `*err`). Borrows `policy`. Not thread-safe on one policy.
/// Since 1.1.
///
/// # Safety
/// `policy` must be NULL or a live policy; `err` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn sandlock_policy_private_shm(
    policy: *mut sandlock_policy_t,
    on: bool,
    err: *mut *mut sandlock_error_t,
) -> c_int {
    // SAFETY: forwarded from the caller.
    unsafe { switch(policy, err, |b| b.private_shm(on)) }
}
versioned!(sandlock_policy_private_shm, "SANDLOCK_1.1");

/// How long a run that ended waits, at most, for handler callbacks still
/// running before it returns (default 2000 ms; 0 returns at once). A
/// callback that outlives the grace finishes on its own thread, its answer
/// discarded, and its handler is freed (`ud_drop`) when it returns.
///
/// Returns `SANDLOCK_OK`, or `SANDLOCK_E_INVALID` for a NULL policy (the
/// error also in `*err`). Not thread-safe on one policy. Since 1.1.
///
/// # Safety
/// `policy` must be NULL or a live policy; `err` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn sandlock_policy_handler_grace_ms(
    policy: *mut sandlock_policy_t,
    ms: u64,
    err: *mut *mut sandlock_error_t,
) -> c_int {
    // SAFETY: forwarded from the caller.
    unsafe {
        set_err(policy, err, |p| {
            p.update(|b| b.handler_grace(Duration::from_millis(ms)));
            Ok(())
        })
    }
}
versioned!(sandlock_policy_handler_grace_ms, "SANDLOCK_1.1");

/// A 1.1 setter that only records a switch.
///
/// # Safety
/// As for [`set_err`].
unsafe fn switch(
    policy: *mut sandlock_policy_t,
    err: *mut *mut sandlock_error_t,
    change: impl FnOnce(PolicyBuilder) -> PolicyBuilder,
) -> c_int {
    // SAFETY: forwarded from the caller.
    unsafe {
        set_err(policy, err, |p| {
            p.update(change);
            Ok(())
        })
    }
}

/// Allowlist mode: only the syscalls named by calls of this setter (e.g.
/// `"read"`) may run; every other fails with `EPERM` (the deny lists still
/// apply). Cannot be combined with `sandlock_policy_deny_syscall` (a run
/// then fails with `SANDLOCK_E_INVALID`).
///
/// Returns `SANDLOCK_OK`, or `SANDLOCK_E_INVALID` for a NULL argument or a
/// name this architecture does not have (the error also in `*err`). `name`
/// is copied. Not thread-safe on one policy. Since 1.1.
///
/// # Safety
/// `policy` must be NULL or a live policy; `name` NULL or a C string; `err`
/// NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn sandlock_policy_allow_only_syscall(
    policy: *mut sandlock_policy_t,
    name: *const c_char,
    err: *mut *mut sandlock_error_t,
) -> c_int {
    // SAFETY: forwarded from the caller.
    unsafe {
        set_err(policy, err, |p| {
            let name = guard::utf8(name, "syscall name")?;
            Syscall::from_name(name)?;
            p.update(|b| b.allow_only_syscalls([name]));
            Ok(())
        })
    }
}
versioned!(sandlock_policy_allow_only_syscall, "SANDLOCK_1.1");

/// Limit the child to `n` open files (`RLIMIT_NOFILE`).
///
/// Returns `SANDLOCK_OK`, or `SANDLOCK_E_INVALID` for a NULL policy or 0
/// (the error also in `*err`). Not thread-safe on one policy. Since 1.1.
///
/// # Safety
/// `policy` must be NULL or a live policy; `err` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn sandlock_policy_max_open_files(
    policy: *mut sandlock_policy_t,
    n: u64,
    err: *mut *mut sandlock_error_t,
) -> c_int {
    // SAFETY: forwarded from the caller.
    unsafe {
        set_err(policy, err, |p| {
            if n == 0 {
                return Err(SandlockError::ZeroLimit { limit: "max_open_files" }.into());
            }
            p.update(|b| b.max_open_files(n));
            Ok(())
        })
    }
}
versioned!(sandlock_policy_max_open_files, "SANDLOCK_1.1");

/// Keep at most `bytes` of each captured output stream of a run (16 MiB by
/// default); the rest is read and discarded, and the result says the stream
/// was truncated.
///
/// Returns `SANDLOCK_OK`, or `SANDLOCK_E_INVALID` for a NULL policy or 0
/// (the error also in `*err`). Not thread-safe on one policy. Since 1.1.
///
/// # Safety
/// `policy` must be NULL or a live policy; `err` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn sandlock_policy_max_output(
    policy: *mut sandlock_policy_t,
    bytes: usize,
    err: *mut *mut sandlock_error_t,
) -> c_int {
    // SAFETY: forwarded from the caller.
    unsafe {
        set_err(policy, err, |p| {
            if bytes == 0 {
                return Err(SandlockError::ZeroLimit { limit: "max_output" }.into());
            }
            p.update(|b| b.max_output(bytes));
            Ok(())
        })
    }
}
versioned!(sandlock_policy_max_output, "SANDLOCK_1.1");

/// Run with whatever part of the policy this kernel can enforce instead of
/// failing with `SANDLOCK_E_UNSUPPORTED` (off by default: sandlock never
/// runs weaker unless asked). `sandlock_landlock_abi` tells what the kernel
/// has.
///
/// Returns `SANDLOCK_OK`, or `SANDLOCK_E_INVALID` for a NULL policy (the
/// error also in `*err`). Not thread-safe on one policy. Since 1.1.
///
/// # Safety
/// `policy` must be NULL or a live policy; `err` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn sandlock_policy_best_effort(
    policy: *mut sandlock_policy_t,
    on: bool,
    err: *mut *mut sandlock_error_t,
) -> c_int {
    // SAFETY: forwarded from the caller.
    unsafe { switch(policy, err, |b| b.best_effort(on)) }
}
versioned!(sandlock_policy_best_effort, "SANDLOCK_1.1");

/// Keep abstract UNIX sockets and signals from reaching processes outside
/// the sandbox (Landlock scoping; on by default). Turning it off lets the
/// child signal any process its uid may signal.
///
/// Returns `SANDLOCK_OK`, or `SANDLOCK_E_INVALID` for a NULL policy (the
/// error also in `*err`). Not thread-safe on one policy. Since 1.1.
///
/// # Safety
/// `policy` must be NULL or a live policy; `err` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn sandlock_policy_scope_ipc(
    policy: *mut sandlock_policy_t,
    on: bool,
    err: *mut *mut sandlock_error_t,
) -> c_int {
    // SAFETY: forwarded from the caller.
    unsafe { switch(policy, err, |b| b.scope_ipc(on)) }
}
versioned!(sandlock_policy_scope_ipc, "SANDLOCK_1.1");

/// Let the child open `AF_NETLINK` sockets (denied by default): it can then
/// read the routes, links and socket listings of the host's network
/// namespace.
///
/// Returns `SANDLOCK_OK`, or `SANDLOCK_E_INVALID` for a NULL policy (the
/// error also in `*err`). Not thread-safe on one policy. Since 1.1.
///
/// # Safety
/// `policy` must be NULL or a live policy; `err` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn sandlock_policy_allow_netlink(
    policy: *mut sandlock_policy_t,
    on: bool,
    err: *mut *mut sandlock_error_t,
) -> c_int {
    // SAFETY: forwarded from the caller.
    unsafe { switch(policy, err, |b| b.allow_netlink(on)) }
}
versioned!(sandlock_policy_allow_netlink, "SANDLOCK_1.1");

/// Copy environment variable `name` from the caller's environment into the
/// child's, when it is set now (the child's environment starts empty).
///
/// Returns `SANDLOCK_OK`, or `SANDLOCK_E_INVALID` for a NULL argument or a
/// name that is empty or contains `=` (the error also in `*err`). Not
/// thread-safe on one policy. Since 1.1.
///
/// # Safety
/// `policy` must be NULL or a live policy; `name` NULL or a C string; `err`
/// NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn sandlock_policy_pass_env(
    policy: *mut sandlock_policy_t,
    name: *const c_char,
    err: *mut *mut sandlock_error_t,
) -> c_int {
    // SAFETY: forwarded from the caller.
    unsafe {
        set_err(policy, err, |p| {
            let name = guard::os_str(name, "name")?;
            if name.is_empty() || name.as_bytes().contains(&b'=') {
                return Err(FfiError::invalid(format!(
                    "environment name {name:?} must be non-empty and contain no '='"
                )));
            }
            p.update(|b| b.pass_env([name]));
            Ok(())
        })
    }
}
versioned!(sandlock_policy_pass_env, "SANDLOCK_1.1");

/// Keep capability `cap` (a `CAP_*` number, e.g. 10 for
/// `CAP_NET_BIND_SERVICE`) that is otherwise dropped with all the others.
///
/// Returns `SANDLOCK_OK`, or `SANDLOCK_E_INVALID` for a NULL policy or a
/// number that is no capability (the error also in `*err`). Not thread-safe
/// on one policy. Since 1.1.
///
/// # Safety
/// `policy` must be NULL or a live policy; `err` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn sandlock_policy_keep_capability(
    policy: *mut sandlock_policy_t,
    cap: u32,
    err: *mut *mut sandlock_error_t,
) -> c_int {
    // SAFETY: forwarded from the caller.
    unsafe {
        set_err(policy, err, |p| {
            check_capability(cap)?;
            p.update(|b| b.keep_capability(cap));
            Ok(())
        })
    }
}
versioned!(sandlock_policy_keep_capability, "SANDLOCK_1.1");

/// What the child reads on standard input, when no command sets an fd:
/// `SANDLOCK_STDIN_NULL` (the default), `SANDLOCK_STDIN_INHERIT` (the
/// caller's), or `SANDLOCK_STDIN_BYTES`: the `len` bytes at `data` (copied
/// now), then end of file — fed by the captured runs; a spawn of such a
/// policy fails with `SANDLOCK_E_INVALID`. `data` is read only for BYTES
/// and may be NULL when `len` is 0.
///
/// Returns `SANDLOCK_OK`, or `SANDLOCK_E_INVALID` for a NULL policy, an
/// unknown mode, or NULL `data` with `len` > 0 (the error also in `*err`).
/// Not thread-safe on one policy. Since 1.1.
///
/// # Safety
/// `policy` must be NULL or a live policy; `data` NULL or readable for
/// `len` bytes; `err` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn sandlock_policy_stdin(
    policy: *mut sandlock_policy_t,
    mode: u32,
    data: *const u8,
    len: usize,
    err: *mut *mut sandlock_error_t,
) -> c_int {
    // SAFETY: forwarded from the caller.
    unsafe {
        set_err(policy, err, |p| {
            let stdin = match mode {
                m if m == sandlock_stdin_t::SANDLOCK_STDIN_NULL as u32 => Stdin::Null,
                m if m == sandlock_stdin_t::SANDLOCK_STDIN_INHERIT as u32 => Stdin::Inherit,
                m if m == sandlock_stdin_t::SANDLOCK_STDIN_BYTES as u32 => {
                    Stdin::Bytes(guard::bytes(data, len, "data")?.to_vec())
                }
                other => {
                    return Err(FfiError::invalid(format!(
                        "stdin mode {other} is not one of 0 (NULL), 1 (INHERIT), 2 (BYTES)"
                    )))
                }
            };
            p.update(|b| b.stdin(stdin));
            Ok(())
        })
    }
}
versioned!(sandlock_policy_stdin, "SANDLOCK_1.1");

/// Free a policy. NULL is a no-op. Runs already started keep their own
/// copy, so the policy may be freed while children it started still run.
/// Must not race with other calls on the same policy.
///
/// # Safety
/// `policy` must be NULL or a policy from `sandlock_policy_new` not yet freed.
#[no_mangle]
pub unsafe extern "C" fn sandlock_policy_free(policy: *mut sandlock_policy_t) {
    guard::unit(|| {
        if !policy.is_null() {
            // SAFETY: a live policy from sandlock_policy_new, freed once.
            drop(unsafe { Box::from_raw(policy) });
        }
        Ok(())
    });
}
versioned!(sandlock_policy_free, "SANDLOCK_1.0");
