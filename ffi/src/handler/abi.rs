//! The handler ABI: the notification snapshot, the action a callback fills
//! in through setters, their numeric values, and the callback types. It
//! knows nothing of the handler handle built from them (`container`).

use std::ffi::{c_int, c_void};
use std::os::fd::IntoRawFd;

use sandlock_core::{InjectFlags, NotifAction, Notification};

use crate::error::{sandlock_status_t, FfiError};
use crate::guard;
use crate::handler::mem::sandlock_mem_handle_t;

/// `sandlock_action_set_inject_bytes` flag: the child's fd is opened
/// read-write (the content is still sealed against growing or shrinking).
pub const SANDLOCK_INJECT_WRITABLE: u32 = 1 << 0;
/// `sandlock_action_set_inject_bytes` flag: the child's fd stays open across
/// `execve` (by default it is close-on-exec).
pub const SANDLOCK_INJECT_NO_CLOEXEC: u32 = 1 << 1;

/// The kernel's notification, copied for the callback (80 bytes). Fields
/// may only be added at the end within a major version.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct sandlock_notif_data_t {
    /// Notification id (unique while the child waits).
    pub id: u64,
    /// Thread id of the trapped task, in the supervisor's pid namespace.
    pub pid: u32,
    pub flags: u32,
    pub syscall_nr: i32,
    /// `AUDIT_ARCH_*` of the syscall.
    pub arch: u32,
    pub instruction_pointer: u64,
    pub args: [u64; 6],
}

impl From<&Notification> for sandlock_notif_data_t {
    fn from(n: &Notification) -> Self {
        sandlock_notif_data_t {
            id: n.id,
            pid: n.pid,
            flags: n.flags,
            syscall_nr: n.syscall_nr,
            arch: n.arch,
            instruction_pointer: n.instruction_pointer,
            args: n.args,
        }
    }
}

/// Values of `sandlock_action_out_t.kind`.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum sandlock_action_kind_t {
    /// No action set: the handler's exception policy answers.
    SANDLOCK_ACTION_UNSET = 0,
    SANDLOCK_ACTION_CONTINUE = 1,
    SANDLOCK_ACTION_ERRNO = 2,
    SANDLOCK_ACTION_RETURN_VALUE = 3,
    SANDLOCK_ACTION_INJECT_FD_SEND = 4,
    /// Reserved for fd injection with a completion tracker; it has no setter
    /// yet and is answered like a failure (its `srcfd` is closed).
    SANDLOCK_ACTION_INJECT_FD_SEND_TRACKED = 5,
    SANDLOCK_ACTION_HOLD = 6,
    SANDLOCK_ACTION_KILL = 7,
}

impl sandlock_action_kind_t {
    pub(crate) fn from_u32(kind: u32) -> Option<sandlock_action_kind_t> {
        use sandlock_action_kind_t::*;
        [
            SANDLOCK_ACTION_UNSET,
            SANDLOCK_ACTION_CONTINUE,
            SANDLOCK_ACTION_ERRNO,
            SANDLOCK_ACTION_RETURN_VALUE,
            SANDLOCK_ACTION_INJECT_FD_SEND,
            SANDLOCK_ACTION_INJECT_FD_SEND_TRACKED,
            SANDLOCK_ACTION_HOLD,
            SANDLOCK_ACTION_KILL,
        ]
        .into_iter()
        .find(|k| *k as u32 == kind)
    }
}

/// What a handler answers when its callback fails: returns non-zero, sets no
/// action, sets an action that cannot be carried out, or panics.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum sandlock_exception_policy_t {
    /// Kill the sandbox's process group (fail closed; the default).
    SANDLOCK_EXCEPTION_KILL = 0,
    /// Fail the syscall with `EPERM`.
    SANDLOCK_EXCEPTION_DENY_EPERM = 1,
    /// Let the syscall run (fail open: only for observing handlers).
    SANDLOCK_EXCEPTION_CONTINUE = 2,
    /// Fail the syscall with `EIO`.
    SANDLOCK_EXCEPTION_DENY_EIO = 3,
}

#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct sandlock_action_inject_t {
    /// A supervisor fd; the library takes it over (see the setter).
    pub srcfd: i32,
    /// 0 or `O_CLOEXEC`, applied to the child's new fd.
    pub newfd_flags: u32,
}

#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct sandlock_action_inject_tracked_t {
    pub srcfd: i32,
    pub newfd_flags: u32,
    pub tracker: u64,
}

#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct sandlock_action_kill_t {
    pub sig: i32,
    /// 0 = the child's process group; any other group is refused.
    pub pgid: i32,
}

/// Payload of `sandlock_action_out_t`; which member is meaningful depends on
/// `kind`. (`errno_value`, because `errno` is a macro in C.)
#[repr(C)]
#[derive(Clone, Copy)]
pub union sandlock_action_payload_t {
    pub none: u64,
    pub errno_value: i32,
    pub return_value: i64,
    pub inject: sandlock_action_inject_t,
    pub inject_tracked: sandlock_action_inject_tracked_t,
    pub kill: sandlock_action_kill_t,
}

/// The action a callback chooses (24 bytes). The library passes it zeroed
/// (`kind` = `SANDLOCK_ACTION_UNSET`); fill it with one
/// `sandlock_action_set_*` call.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct sandlock_action_out_t {
    /// A `sandlock_action_kind_t` value.
    pub kind: u32,
    pub payload: sandlock_action_payload_t,
}

impl sandlock_action_out_t {
    pub(crate) fn unset() -> sandlock_action_out_t {
        sandlock_action_out_t {
            kind: sandlock_action_kind_t::SANDLOCK_ACTION_UNSET as u32,
            payload: sandlock_action_payload_t { none: 0 },
        }
    }
}

/// A handler callback. It runs on a supervisor thread while the child waits
/// in the syscall; several may run at once, so `ud` must be thread-safe.
/// `notif` and `mem` are valid only until it returns. Return 0 after setting
/// an action in `out`; any other value selects the exception policy.
pub type sandlock_handler_fn_t = Option<
    unsafe extern "C-unwind" fn(
        ud: *mut c_void,
        notif: *const sandlock_notif_data_t,
        mem: *mut sandlock_mem_handle_t,
        out: *mut sandlock_action_out_t,
    ) -> i32,
>;

/// Frees a handler's `ud`; called exactly once per handler, even for NULL `ud`.
pub type sandlock_handler_ud_drop_t = Option<unsafe extern "C-unwind" fn(ud: *mut c_void)>;

/// Write `kind` (and the payload `fill` chooses) into `out`.
///
/// # Safety
/// `out` must be NULL or a writable action.
unsafe fn set_action(
    out: *mut sandlock_action_out_t,
    kind: sandlock_action_kind_t,
    fill: impl FnOnce(&mut sandlock_action_payload_t) -> Result<(), FfiError>,
) -> c_int {
    guard::status(|| {
        // SAFETY: NULL or a writable action (caller's contract).
        let out = unsafe { guard::mutable(out, "out") }?;
        fill(&mut out.payload)?;
        out.kind = kind as u32;
        Ok(())
    })
}

/// Let the syscall run as the child asked (Landlock and the filter still
/// apply: use it to observe, never to grant). Sets only `kind`; the payload
/// is left as it was.
///
/// Returns `SANDLOCK_OK`, or `SANDLOCK_E_INVALID` when `out` is NULL.
/// Thread-safe for distinct `out`s.
///
/// # Safety
/// `out` must be NULL or a writable `sandlock_action_out_t`.
#[no_mangle]
pub unsafe extern "C" fn sandlock_action_set_continue(out: *mut sandlock_action_out_t) -> c_int {
    // SAFETY: forwarded from the caller.
    unsafe { set_action(out, sandlock_action_kind_t::SANDLOCK_ACTION_CONTINUE, |_| Ok(())) }
}
versioned!(sandlock_action_set_continue, "SANDLOCK_1.0");

/// Fail the syscall with `errno_value` (1..=4095, e.g. `EACCES`).
///
/// Returns `SANDLOCK_OK`, or `SANDLOCK_E_INVALID` (and leaves `out`
/// unchanged) when `out` is NULL or the value is out of range. Thread-safe
/// for distinct `out`s.
///
/// # Safety
/// `out` must be NULL or a writable `sandlock_action_out_t`.
#[no_mangle]
pub unsafe extern "C" fn sandlock_action_set_errno(out: *mut sandlock_action_out_t, errno_value: i32) -> c_int {
    // SAFETY: forwarded from the caller.
    unsafe {
        set_action(out, sandlock_action_kind_t::SANDLOCK_ACTION_ERRNO, |payload| {
            if !(1..=4095).contains(&errno_value) {
                return Err(FfiError::invalid(format!("errno value {errno_value} is not in 1..=4095")));
            }
            payload.errno_value = errno_value;
            Ok(())
        })
    }
}
versioned!(sandlock_action_set_errno, "SANDLOCK_1.0");

/// Skip the syscall and make it return `value`.
///
/// Returns `SANDLOCK_OK`, or `SANDLOCK_E_INVALID` when `out` is NULL.
/// Thread-safe for distinct `out`s.
///
/// # Safety
/// `out` must be NULL or a writable `sandlock_action_out_t`.
#[no_mangle]
pub unsafe extern "C" fn sandlock_action_set_return_value(out: *mut sandlock_action_out_t, value: i64) -> c_int {
    // SAFETY: forwarded from the caller.
    unsafe {
        set_action(out, sandlock_action_kind_t::SANDLOCK_ACTION_RETURN_VALUE, |payload| {
            payload.return_value = value;
            Ok(())
        })
    }
}
versioned!(sandlock_action_set_return_value, "SANDLOCK_1.0");

/// Answer the syscall with a new fd in the child that refers to the same
/// file as the supervisor's `srcfd`; `newfd_flags` is 0 or `O_CLOEXEC`.
///
/// Ownership: when the callback returns with this action still in `out`,
/// the library owns `srcfd` and closes it, whether the fd is sent or the
/// callback failed (non-zero return, panic). An fd below 3, the seccomp
/// listener or the policy's Landlock ruleset is refused and never closed;
/// the exception policy answers.
/// Overwriting `out` with another setter leaves `srcfd` with the caller.
///
/// Returns `SANDLOCK_OK`, or `SANDLOCK_E_INVALID` when `out` is NULL.
/// Thread-safe for distinct `out`s.
///
/// # Safety
/// `out` must be NULL or a writable `sandlock_action_out_t`.
#[no_mangle]
pub unsafe extern "C" fn sandlock_action_set_inject_fd_send(
    out: *mut sandlock_action_out_t,
    srcfd: c_int,
    newfd_flags: u32,
) -> c_int {
    // SAFETY: forwarded from the caller.
    unsafe {
        set_action(out, sandlock_action_kind_t::SANDLOCK_ACTION_INJECT_FD_SEND, |payload| {
            payload.inject = sandlock_action_inject_t { srcfd, newfd_flags };
            Ok(())
        })
    }
}
versioned!(sandlock_action_set_inject_fd_send, "SANDLOCK_1.0");

/// Answer the syscall with a new fd in the child whose content is a copy of
/// the `len` bytes at `data`: a sealed memfd (a virtual file), read-only and
/// close-on-exec unless `flags` has `SANDLOCK_INJECT_WRITABLE` /
/// `SANDLOCK_INJECT_NO_CLOEXEC`.
///
/// The bytes are copied before the call returns. The memfd (in
/// `out->payload.inject.srcfd`) is owned like the `srcfd` of
/// `sandlock_action_set_inject_fd_send`: overwriting the action afterwards
/// leaves it to the caller to close.
///
/// Returns `SANDLOCK_OK`; `SANDLOCK_E_INVALID` when `out` is NULL, `data` is
/// NULL with `len` > 0, or `flags` has unknown bits; `SANDLOCK_E_IO` when
/// the memfd cannot be created. On error `out` is unchanged. Thread-safe for
/// distinct `out`s.
///
/// # Safety
/// `out` must be NULL or a writable `sandlock_action_out_t`; `data` must be
/// NULL or readable for `len` bytes.
#[no_mangle]
pub unsafe extern "C" fn sandlock_action_set_inject_bytes(
    out: *mut sandlock_action_out_t,
    data: *const u8,
    len: usize,
    flags: u32,
) -> c_int {
    let fill = |payload: &mut sandlock_action_payload_t| {
        let known = SANDLOCK_INJECT_WRITABLE | SANDLOCK_INJECT_NO_CLOEXEC;
        if flags & !known != 0 {
            return Err(FfiError::invalid(format!("inject flags {flags:#x} have unknown bits {:#x}", flags & !known)));
        }
        // SAFETY: `data` is NULL or readable for `len` bytes (caller's contract).
        let bytes = unsafe { guard::bytes(data, len, "data") }?;
        let inject = InjectFlags {
            writable: flags & SANDLOCK_INJECT_WRITABLE != 0,
            cloexec: flags & SANDLOCK_INJECT_NO_CLOEXEC == 0,
        };
        let memfd_error = |reason: String| {
            FfiError::new(sandlock_status_t::SANDLOCK_E_IO, format!("creating the memfd to inject: {reason}"))
        };
        match NotifAction::inject_bytes(bytes, inject) {
            Ok(NotifAction::InjectFdSend { srcfd, newfd_flags }) => {
                payload.inject = sandlock_action_inject_t { srcfd: srcfd.into_raw_fd(), newfd_flags };
                Ok(())
            }
            Ok(other) => Err(memfd_error(format!("the core answered {other:?} instead of an fd"))),
            Err(e) => Err(memfd_error(e.to_string())),
        }
    };
    // SAFETY: `out` is NULL or writable (caller's contract).
    unsafe { set_action(out, sandlock_action_kind_t::SANDLOCK_ACTION_INJECT_FD_SEND, fill) }
}
versioned!(sandlock_action_set_inject_bytes, "SANDLOCK_1.0");

/// Leave the child blocked in the syscall; it stays there until the sandbox
/// ends (timeout, kill or exit). Sets only `kind`; the payload is left as it
/// was.
///
/// Returns `SANDLOCK_OK`, or `SANDLOCK_E_INVALID` when `out` is NULL.
/// Thread-safe for distinct `out`s.
///
/// # Safety
/// `out` must be NULL or a writable `sandlock_action_out_t`.
#[no_mangle]
pub unsafe extern "C" fn sandlock_action_set_hold(out: *mut sandlock_action_out_t) -> c_int {
    // SAFETY: forwarded from the caller.
    unsafe { set_action(out, sandlock_action_kind_t::SANDLOCK_ACTION_HOLD, |_| Ok(())) }
}
versioned!(sandlock_action_set_hold, "SANDLOCK_1.0");

/// Send signal `sig` (1..=64) to process group `pgid` and fail the syscall
/// with `EPERM`. `pgid` 0 means the child's own group. The library never
/// signals any group but the sandbox's: a kill aimed elsewhere (including
/// the caller's own group) is refused and the exception policy answers.
///
/// Returns `SANDLOCK_OK`, or `SANDLOCK_E_INVALID` (and leaves `out`
/// unchanged) when `out` is NULL, `sig` is out of range or `pgid` < 0.
/// Thread-safe for distinct `out`s.
///
/// # Safety
/// `out` must be NULL or a writable `sandlock_action_out_t`.
#[no_mangle]
pub unsafe extern "C" fn sandlock_action_set_kill(out: *mut sandlock_action_out_t, sig: i32, pgid: i32) -> c_int {
    // SAFETY: forwarded from the caller.
    unsafe {
        set_action(out, sandlock_action_kind_t::SANDLOCK_ACTION_KILL, |payload| {
            if !(1..=64).contains(&sig) {
                return Err(FfiError::invalid(format!("signal {sig} is not in 1..=64")));
            }
            if pgid < 0 {
                return Err(FfiError::invalid(format!("process group {pgid} is negative")));
            }
            payload.kill = sandlock_action_kill_t { sig, pgid };
            Ok(())
        })
    }
}
versioned!(sandlock_action_set_kill, "SANDLOCK_1.0");
