//! The event a `policy_fn` callback gets: a snapshot struct the library
//! owns (it only grows at the end), and an accessor for the exec arguments,
//! whose number and length vary.

use std::ffi::{c_char, CString};
use std::net::IpAddr;
use std::os::unix::ffi::OsStrExt;

use sandlock_core::{Category, Detail, Event, NetOp};

use crate::guard;

/// Bits of a `policy_fn`'s categories, and the one category of an event.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum sandlock_category_t {
    /// `clone`, `fork`, `vfork`.
    SANDLOCK_CATEGORY_PROCESS = 1,
    /// `execve`, `execveat`, with their arguments.
    SANDLOCK_CATEGORY_EXEC = 2,
    /// `connect`, `bind`, `listen`, and sends with a destination.
    SANDLOCK_CATEGORY_NETWORK = 4,
    /// Opens, with their flags (never their path).
    SANDLOCK_CATEGORY_FILE = 8,
    /// Signals to other tasks.
    SANDLOCK_CATEGORY_SIGNAL = 16,
    /// No events: lets `sandlock_control_deny_path` work (once a path is
    /// denied, the supervisor makes every path call; see docs/policy-fn.md).
    SANDLOCK_CATEGORY_PATHS = 32,
}

/// Values of `sandlock_event_t.net_op`.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum sandlock_net_op_t {
    SANDLOCK_NET_CONNECT = 0,
    SANDLOCK_NET_BIND = 1,
    SANDLOCK_NET_LISTEN = 2,
    /// `sendto`, `sendmsg` or `sendmmsg` with a destination.
    SANDLOCK_NET_SENDTO = 3,
}

/// One thing the child did, for a `policy_fn` callback (a snapshot the
/// library owns; fields may only be added at the end within a major
/// version, so read `size` before a field added after 1.1). It never holds
/// a path: a path read from the child can change before the kernel reads
/// it (see docs/policy-fn.md).
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct sandlock_event_t {
    /// `sizeof(sandlock_event_t)` of the library that filled it.
    pub size: u32,
    /// One `sandlock_category_t` bit; the fields of that category are set.
    pub category: u32,
    /// The syscall (its name: `sandlock_syscall_name`).
    pub syscall_nr: i64,
    /// The task (thread id) that made the call, and its process's parent.
    pub pid: u32,
    pub ppid: u32,
    /// A static rule answers the call with an error whatever the decision.
    pub denied_by_policy: bool,
    /// Every field is what the kernel uses.
    pub race_free: bool,
    /// PROCESS: the call makes a thread (`CLONE_THREAD`).
    pub thread: bool,
    /// EXEC: more arguments or bytes than an event holds; the rest is cut.
    pub argv_truncated: bool,
    /// PROCESS: the clone flags.
    pub clone_flags: u64,
    /// EXEC: the number of arguments (read with `sandlock_event_arg`).
    pub argc: u32,
    /// NETWORK: a `sandlock_net_op_t` value.
    pub net_op: u32,
    /// NETWORK: the address family of the call (`AF_INET`, `AF_UNIX`, ...).
    pub family: i32,
    /// NETWORK: `AF_INET` or `AF_INET6` when `addr` holds an address (4 or
    /// 16 bytes, network order), 0 when there is none.
    pub addr_family: i32,
    pub addr: [u8; 16],
    /// NETWORK: the port, or -1 when there is none.
    pub port: i32,
    /// SIGNAL: the signal, and its target as the syscall names it (a pid,
    /// a negative process group, a thread id, or a pidfd).
    pub signal: i32,
    pub signal_target: i64,
    /// FILE: the open flags (`O_RDONLY`, `O_CREAT`, ...).
    pub open_flags: u64,
}

/// An event with the arguments its accessor hands out. `public` comes
/// first, so a pointer to it is a pointer to the whole.
#[repr(C)]
pub(crate) struct EventBox {
    public: sandlock_event_t,
    argv: Vec<CString>,
}

impl EventBox {
    pub(crate) fn new(event: &Event) -> EventBox {
        let mut public = sandlock_event_t {
            size: std::mem::size_of::<sandlock_event_t>() as u32,
            category: event.category.bits(),
            syscall_nr: i64::from(event.syscall.nr()),
            pid: event.pid,
            ppid: event.ppid,
            denied_by_policy: event.denied_by_policy,
            race_free: event.race_free,
            thread: false,
            argv_truncated: false,
            clone_flags: 0,
            argc: 0,
            net_op: 0,
            family: 0,
            addr_family: 0,
            addr: [0; 16],
            port: -1,
            signal: 0,
            signal_target: 0,
            open_flags: 0,
        };
        let mut argv = Vec::new();
        match &event.detail {
            Detail::Process { flags, thread } => {
                public.clone_flags = *flags;
                public.thread = *thread;
            }
            Detail::Exec { argv: args, truncated } => {
                // An argument holds no NUL: the kernel reads it up to one.
                argv = args.iter().filter_map(|a| CString::new(a.as_bytes()).ok()).collect();
                public.argc = argv.len() as u32;
                public.argv_truncated = *truncated;
            }
            Detail::Network { op, family, addr, port } => {
                public.net_op = match op {
                    NetOp::Connect => sandlock_net_op_t::SANDLOCK_NET_CONNECT,
                    NetOp::Bind => sandlock_net_op_t::SANDLOCK_NET_BIND,
                    NetOp::Listen => sandlock_net_op_t::SANDLOCK_NET_LISTEN,
                    NetOp::SendTo => sandlock_net_op_t::SANDLOCK_NET_SENDTO,
                } as u32;
                public.family = *family;
                match addr {
                    Some(IpAddr::V4(v4)) => {
                        public.addr_family = libc::AF_INET;
                        public.addr[..4].copy_from_slice(&v4.octets());
                    }
                    Some(IpAddr::V6(v6)) => {
                        public.addr_family = libc::AF_INET6;
                        public.addr = v6.octets();
                    }
                    None => {}
                }
                public.port = port.map_or(-1, i32::from);
            }
            Detail::File { flags } => public.open_flags = *flags,
            Detail::Signal { target, signal } => {
                public.signal_target = *target;
                public.signal = *signal;
            }
        }
        EventBox { public, argv }
    }

    pub(crate) fn as_ptr(&self) -> *const sandlock_event_t {
        &self.public
    }
}

/// Category bits from C, refusing bits that name no category.
pub(crate) fn categories(bits: u32) -> Option<Category> {
    Category::from_bits(bits)
}

/// Argument `index` of an exec event, as a NUL-terminated string with its
/// length (without the NUL) in `*len` when `len` is not NULL. The pointer
/// is owned by the event: valid as long as the event (during the callback
/// for the event it was given, until `sandlock_result_free` for a flagged
/// one). Returns NULL with `SANDLOCK_E_INVALID` for a NULL event, an event
/// that is not an exec, or `index >= argc`. Thread-safe. Since 1.1.
///
/// # Safety
/// `event` must be NULL or an event the library handed out, still valid;
/// `len` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn sandlock_event_arg(
    event: *const sandlock_event_t,
    index: u32,
    len: *mut usize,
) -> *const c_char {
    guard::value(|| {
        // SAFETY: NULL or writable (caller's contract).
        if let Some(len) = unsafe { len.as_mut() } {
            *len = 0;
        }
        // SAFETY: the library hands out only pointers to the `public` field
        // of a live `EventBox`, its first field (caller's contract).
        let event = unsafe { guard::reference(event.cast::<EventBox>(), "event") }?;
        let arg = event.argv.get(index as usize).ok_or_else(|| {
            crate::error::FfiError::invalid(format!(
                "index {index} is past the event's {} arguments (argc)",
                event.argv.len()
            ))
        })?;
        // SAFETY: as above.
        if let Some(len) = unsafe { len.as_mut() } {
            *len = arg.as_bytes().len();
        }
        Ok(arg.as_ptr())
    })
}
versioned!(sandlock_event_arg, "SANDLOCK_1.1");
