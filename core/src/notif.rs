//! The plain data of a trapped syscall: the kernel's notification, the
//! answers to it and what to answer when a handler fails. It depends on no
//! other module of the crate, so that the listener, the responder, the
//! handler API and whatever else decides syscalls can all share it without
//! depending on one another.

use std::os::fd::{OwnedFd, RawFd};
use std::sync::Arc;

use crate::group::Group;

/// The kernel's notification, copied out of `struct seccomp_notif`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Notification {
    pub id: u64,
    pub pid: u32,
    pub flags: u32,
    pub syscall_nr: i32,
    pub arch: u32,
    pub instruction_pointer: u64,
    pub args: [u64; 6],
}

/// The answer to a trapped syscall.
#[derive(Debug)]
pub enum NotifAction {
    /// Let the kernel run the syscall as the child asked. Landlock and the
    /// rest of the filter still apply; use it for auditing, never to grant.
    Continue,
    /// Fail the syscall with this errno (a positive value such as `EACCES`).
    Errno(i32),
    /// Skip the syscall and make it return this value.
    ReturnValue(i64),
    /// Send nothing now. The child stays blocked in the syscall until a
    /// [`crate::DeferredReply`] taken with [`crate::HandlerCtx::defer`]
    /// answers it, or until the sandbox ends (timeout, kill or exit),
    /// whichever comes first.
    Hold,
    /// Send `signal` to process group `pgid` of the sandbox, then fail the
    /// syscall with `EPERM`. `pgid` 0 means the notifying process's group.
    /// The supervisor refuses any group that is not the sandbox's own.
    Kill { signal: i32, pgid: i32 },
    /// Install `srcfd` in the child as the syscall's result (a new fd number);
    /// `newfd_flags` may be `O_CLOEXEC`. The fd is closed in the supervisor
    /// whether or not it was sent.
    InjectFdSend { srcfd: OwnedFd, newfd_flags: u32 },
}

/// Options of [`NotifAction::inject_bytes`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InjectFlags {
    /// The fd is opened read-write (the content is still sealed against growth).
    pub writable: bool,
    /// The child's fd is close-on-exec.
    pub cloexec: bool,
}

impl Default for InjectFlags {
    fn default() -> Self {
        InjectFlags { writable: false, cloexec: true }
    }
}

/// What the supervisor answers when a handler fails (returns an error or
/// panics). The numeric values are part of the C ABI.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[repr(u32)]
pub enum ExceptionPolicy {
    /// Kill the sandbox's process group (fail closed). The default.
    #[default]
    Kill = 0,
    /// Fail the syscall with `EPERM`.
    DenyEperm = 1,
    /// Let the syscall run.
    Continue = 2,
    /// Fail the syscall with `EIO`.
    DenyEio = 3,
}

impl ExceptionPolicy {
    pub fn from_u32(value: u32) -> Option<ExceptionPolicy> {
        match value {
            0 => Some(ExceptionPolicy::Kill),
            1 => Some(ExceptionPolicy::DenyEperm),
            2 => Some(ExceptionPolicy::Continue),
            3 => Some(ExceptionPolicy::DenyEio),
            _ => None,
        }
    }
}

/// What an answer may reach of the sandbox: its process group, the only
/// one a kill may signal, and its Landlock ruleset, which the policy keeps
/// open for every run and which, like the listener, no action may send to
/// the child (it could add rules that later runs would apply) or close.
#[derive(Clone)]
pub(crate) struct Bounds {
    /// Acted on only while its id is still the sandbox's (a late answer
    /// comes after the run, when the id may be someone else's).
    pub group: Arc<Group>,
    /// The ruleset's fd, -1 when the policy has none.
    pub ruleset: RawFd,
}
