//! `policy_fn`: an event for each thing the child does in the categories a
//! callback asked for, and the callback's decision; a control handle to
//! tighten the sandbox while it runs. docs/policy-fn.md is the contract.
//!
//! The pieces: `event` builds an event from a notification, `freeze` makes
//! an exec's argv race-free through `tracer` (the run's ptrace thread),
//! `connect` makes connects on the child's own socket, `control` holds what
//! the callback tightened, `paths` enforces `deny_path`, `monitor` bounds
//! a callback's time, and `builtin` is the handler that puts them together.

mod builtin;
mod connect;
mod control;
mod event;
mod exec_copy;
mod freeze;
mod monitor;
mod paths;
mod tracer;
mod waits;

use std::ffi::OsString;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub(crate) use builtin::{PolicyFnHandler, PolicyFnSpec, Traps};
pub use control::{Control, Destination};
pub(crate) use event::category_of;
pub(crate) use paths::PathGuard;

use crate::syscall::Syscall;

/// Categories of events, combined with `|`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Category(u32);

impl Category {
    /// `clone`, `fork`, `vfork`.
    pub const PROCESS: Category = Category(1 << 0);
    /// `execve`, `execveat`, with argv.
    pub const EXEC: Category = Category(1 << 1);
    /// `connect`, `bind`, `listen`, sends with an address.
    pub const NETWORK: Category = Category(1 << 2);
    /// Opens, with their flags (never their path).
    pub const FILE: Category = Category(1 << 3);
    /// Signals to other tasks.
    pub const SIGNAL: Category = Category(1 << 4);
    /// Not events: lets the control handle's `deny_path` work. Every path
    /// call is then made by the supervisor once something is denied (see
    /// docs/policy-fn.md, "deny_path").
    pub const PATHS: Category = Category(1 << 5);
    /// Every category of events (not `PATHS`).
    pub const ALL: Category = Category(0b1_1111);

    pub const fn bits(self) -> u32 {
        self.0
    }

    /// `None` for bits that name no category.
    pub const fn from_bits(bits: u32) -> Option<Category> {
        if bits & !(Category::ALL.0 | Category::PATHS.0) != 0 {
            None
        } else {
            Some(Category(bits))
        }
    }

    pub const fn contains(self, other: Category) -> bool {
        self.0 & other.0 == other.0
    }

    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }
}

impl std::ops::BitOr for Category {
    type Output = Category;
    fn bitor(self, other: Category) -> Category {
        Category(self.0 | other.0)
    }
}

/// What a network event is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NetOp {
    Connect,
    Bind,
    Listen,
    /// `sendto`/`sendmsg`/`sendmmsg` with a destination address.
    SendTo,
}

/// The details of an event, by category.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Detail {
    Process {
        /// The clone flags (`SIGCHLD` for `fork`, `CLONE_VM|CLONE_VFORK|SIGCHLD` for `vfork`).
        flags: u64,
        /// It makes a thread (`CLONE_THREAD`).
        thread: bool,
    },
    Exec {
        /// The arguments, as bytes (no path: `argv[0]` is what the caller chose).
        argv: Vec<OsString>,
        /// More arguments (or bytes) than an event holds; the rest is left out.
        truncated: bool,
    },
    Network {
        op: NetOp,
        /// The socket's address family (`AF_INET`, `AF_INET6`, `AF_UNIX`, ...).
        family: i32,
        /// The address and port, for IPv4 and IPv6.
        addr: Option<IpAddr>,
        port: Option<u16>,
    },
    File {
        /// The open flags (`O_RDONLY`, `O_CREAT`, ...).
        flags: u64,
    },
    Signal {
        /// The target as the syscall names it (a pid, a negative process
        /// group, a thread id, or a pidfd for `pidfd_send_signal`).
        target: i64,
        signal: i32,
    },
}

/// One thing the child does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    pub syscall: Syscall,
    pub category: Category,
    /// The task (thread id) that made the call, and its process's parent.
    pub pid: u32,
    pub ppid: u32,
    pub detail: Detail,
    /// A static rule answers the call with an error whatever the decision.
    pub denied_by_policy: bool,
    /// Every field is what the kernel uses (see docs/policy-fn.md).
    pub race_free: bool,
}

/// The answer to an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// The call goes on; the other layers still decide.
    Allow,
    /// The call fails with this errno (1..=4095).
    Deny(i32),
    /// Allow, and list the event in the run's result.
    Flag,
}

/// A `policy_fn` callback. It runs on a supervisor thread while the child
/// waits; several may run at once, so it must be thread-safe.
pub trait PolicyFn: Send + Sync + 'static {
    fn decide(&self, event: &Event, control: &Control) -> Decision;
}

impl<F> PolicyFn for F
where
    F: Fn(&Event, &Control) -> Decision + Send + Sync + 'static,
{
    fn decide(&self, event: &Event, control: &Control) -> Decision {
        self(event, control)
    }
}

/// How a `policy_fn` runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PolicyFnOptions {
    pub categories: Category,
    /// A callback running longer gets `on_failure` (1 s by default).
    pub time_limit: Duration,
    /// The answer when the callback panics or passes its time limit
    /// (`Deny(EPERM)` by default).
    pub on_failure: Decision,
}

impl PolicyFnOptions {
    pub fn new(categories: Category) -> PolicyFnOptions {
        PolicyFnOptions { categories, time_limit: Duration::from_secs(1), on_failure: Decision::Deny(libc::EPERM) }
    }
}

/// The most flagged events a run keeps; later ones are counted, not kept.
pub const MAX_FLAGGED: usize = 10_000;
/// The most memory the flagged events of a run may hold (an exec event
/// carries up to 256 KiB of argv); later ones are counted, not kept.
pub const MAX_FLAGGED_BYTES: usize = 64 << 20;

impl Event {
    /// About how much memory the event holds.
    fn footprint(&self) -> usize {
        let argv = match &self.detail {
            Detail::Exec { argv, .. } => argv.iter().map(|arg| std::mem::size_of::<OsString>() + arg.len()).sum(),
            _ => 0,
        };
        std::mem::size_of::<Event>() + argv
    }
}

/// The events a `policy_fn` flagged during one run.
#[derive(Debug, Default)]
pub(crate) struct Flagged {
    log: Mutex<FlaggedLog>,
}

#[derive(Debug, Default, Clone)]
struct FlaggedLog {
    events: Vec<Event>,
    bytes: usize,
    not_kept: u64,
}

impl Flagged {
    pub(crate) fn push(&self, event: Event) {
        let mut log = self.log.lock().unwrap_or_else(|e| e.into_inner());
        let bytes = log.bytes + event.footprint();
        if log.events.len() < MAX_FLAGGED && bytes <= MAX_FLAGGED_BYTES {
            log.events.push(event);
            log.bytes = bytes;
        } else {
            log.not_kept += 1;
        }
    }

    /// A copy of the flagged events so far and how many more were not kept.
    pub(crate) fn snapshot(&self) -> (Vec<Event>, u64) {
        let log = self.log.lock().unwrap_or_else(|e| e.into_inner());
        (log.events.clone(), log.not_kept)
    }

    /// The flagged events so far and how many more were not kept.
    pub(crate) fn take(&self) -> (Vec<Event>, u64) {
        let log = std::mem::take(&mut *self.log.lock().unwrap_or_else(|e| e.into_inner()));
        (log.events, log.not_kept)
    }
}

/// Shared between a run's handler and its [`crate::Child`].
pub(crate) type FlagLog = Arc<Flagged>;

#[cfg(test)]
mod tests {
    use super::*;

    fn exec_event(bytes: usize) -> Event {
        Event {
            syscall: Syscall::from_name("execve").unwrap(),
            category: Category::EXEC,
            pid: 1,
            ppid: 0,
            detail: Detail::Exec { argv: vec![OsString::from("x".repeat(bytes))], truncated: false },
            denied_by_policy: false,
            race_free: true,
        }
    }

    #[test]
    fn the_flagged_log_is_bounded_by_its_bytes_too() {
        let log = Flagged::default();
        for _ in 0..400 {
            log.push(exec_event(256 * 1024));
        }
        let (kept, not_kept) = log.take();
        let bytes: usize = kept.iter().map(Event::footprint).sum();
        assert!(bytes <= MAX_FLAGGED_BYTES, "{bytes}");
        assert_eq!(kept.len(), MAX_FLAGGED_BYTES / exec_event(256 * 1024).footprint());
        assert_eq!(kept.len() as u64 + not_kept, 400);
        // Small events still count against the number.
        for _ in 0..MAX_FLAGGED + 5 {
            log.push(exec_event(1));
        }
        assert_eq!(log.snapshot().0.len(), MAX_FLAGGED);
        assert_eq!(log.snapshot().1, 5);
    }
}
