//! The control handle a `policy_fn` callback gets: it tightens the running
//! sandbox, one way only, and is valid only while that callback runs.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::ffi::{c_char, c_int};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard};

use sandlock_core::{Control, Destination};

use crate::error::{sandlock_error_t, FfiError};
use crate::guard;

/// Tightens the running sandbox (opaque). The library passes one to each
/// `policy_fn` callback; it is valid only until the callback returns.
///
/// A handle is a token the library looks up among the callbacks running
/// now, never an address it reads: one kept past its callback is refused
/// with `SANDLOCK_E_INVALID`, even while a later callback runs.
pub struct sandlock_control_t {
    _opaque: [u8; 0],
}

/// The controls of the callbacks running now, by token.
static LIVE: Mutex<BTreeMap<usize, Control>> = Mutex::new(BTreeMap::new());

/// The next token. Tokens are never reused within a process; they start
/// above the first page and step by 16, so that no binding mistakes one for
/// a small integer or a misaligned pointer.
static NEXT_TOKEN: AtomicUsize = AtomicUsize::new(1 << 16);

fn live() -> MutexGuard<'static, BTreeMap<usize, Control>> {
    hold_across_forks();
    // A map of clones stays consistent whatever panicked while it was held.
    LIVE.lock().unwrap_or_else(|e| e.into_inner())
}

/// `LIVE`, taken by a thread of the host that forks (`os.fork`, a pre-fork
/// server) and let go of in both processes: one another thread's callback
/// held at the fork stayed held in the new process, whose first callback
/// then waited on it for good. Registered before the lock is first taken,
/// never under it; not by a `Once`, whose copy "running" at a fork would be
/// waited on forever the same way.
fn hold_across_forks() {
    static REGISTERED: AtomicBool = AtomicBool::new(false);
    if REGISTERED.load(Ordering::Acquire) || REGISTERED.swap(true, Ordering::AcqRel) {
        return;
    }
    // SAFETY: registers handlers that only take and drop `LIVE`'s guard on
    // the forking thread.
    unsafe { libc::pthread_atfork(Some(take_live), Some(release_live), Some(release_live)) };
}

thread_local! {
    static LIVE_HELD: RefCell<Option<MutexGuard<'static, BTreeMap<usize, Control>>>> = const { RefCell::new(None) };
}

extern "C" fn take_live() {
    let held = LIVE.lock().unwrap_or_else(|e| e.into_inner());
    LIVE_HELD.with(|slot| *slot.borrow_mut() = Some(held));
}

extern "C" fn release_live() {
    LIVE_HELD.with(|slot| drop(slot.borrow_mut().take()));
}

/// The handle of one callback: registered while it lives, refused from
/// the moment it is dropped (when the callback returned, or unwound).
pub(crate) struct Lease {
    token: usize,
}

impl Lease {
    pub(crate) fn new(control: &Control) -> Lease {
        let token = NEXT_TOKEN.fetch_add(16, Ordering::Relaxed);
        live().insert(token, control.clone());
        Lease { token }
    }

    /// The handle to give the callback.
    pub(crate) fn handle(&self) -> *mut sandlock_control_t {
        std::ptr::without_provenance_mut(self.token)
    }
}

impl Drop for Lease {
    fn drop(&mut self) {
        // Dropped without the lock: the last clone frees the run's state.
        let removed = live().remove(&self.token);
        drop(removed);
    }
}

/// A destination a connect may reach, for `sandlock_control_restrict_connect`.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct sandlock_destination_t {
    /// `AF_INET` (the first 4 bytes of `addr`) or `AF_INET6` (16 bytes),
    /// network order.
    pub family: i32,
    pub addr: [u8; 16],
    /// The network's prefix length in bits (32 or 128: one address).
    pub prefix: u8,
    /// One port, or -1 for any.
    pub port: i32,
}

impl sandlock_destination_t {
    fn to_core(self, index: usize) -> Result<Destination, FfiError> {
        let net = match self.family {
            libc::AF_INET => IpAddr::V4(Ipv4Addr::new(self.addr[0], self.addr[1], self.addr[2], self.addr[3])),
            libc::AF_INET6 => IpAddr::V6(Ipv6Addr::from(self.addr)),
            family => {
                return Err(FfiError::invalid(format!(
                    "destinations[{index}].family {family} is neither AF_INET nor AF_INET6"
                )))
            }
        };
        let port = match self.port {
            -1 => None,
            p => Some(u16::try_from(p).map_err(|_| {
                FfiError::invalid(format!("destinations[{index}].port {p} is not a port (1..=65535, or -1 for any)"))
            })?),
        };
        Ok(Destination { net, prefix: self.prefix, port })
    }
}

/// Run `body` on the control behind `handle`.
///
/// # Safety
/// `err` must be NULL or writable; `handle` may be anything (it is looked
/// up, never dereferenced).
unsafe fn with_control(
    handle: *const sandlock_control_t,
    err: *mut *mut sandlock_error_t,
    body: impl FnOnce(&Control) -> Result<(), FfiError>,
) -> c_int {
    guard::status_err(err, || {
        if handle.is_null() {
            return Err(FfiError::invalid("control must not be NULL"));
        }
        // A clone: the lock is not held while the body works (deny_path
        // may walk a large directory).
        let control = live().get(&handle.addr()).cloned();
        let control = control
            .ok_or_else(|| FfiError::invalid("the control handle is only valid while its policy_fn callback runs"))?;
        body(&control)
    })
}

/// From now on a TCP connect reaches only the `count` destinations at
/// `destinations`, and only those every earlier call allowed too (calls
/// intersect; none widens). Landlock's port rules still apply.
///
/// Returns `SANDLOCK_OK`, or `SANDLOCK_E_INVALID` for a NULL handle, a
/// handle used after its callback returned, NULL `destinations` with a
/// non-zero count, a family other than `AF_INET`/`AF_INET6`, a prefix
/// longer than the address, or a port outside 1..=65535 (other than -1).
/// `count` 0 allows no destination at all. Thread-safe. Since 1.1.
///
/// # Safety
/// `control` must be NULL or a handle the library passed to a callback
/// (one whose callback returned is refused, never read);
/// `destinations` NULL or `count` readable entries; `err` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn sandlock_control_restrict_connect(
    control: *const sandlock_control_t,
    destinations: *const sandlock_destination_t,
    count: usize,
    err: *mut *mut sandlock_error_t,
) -> c_int {
    let restrict = |control: &Control| {
        let list: &[sandlock_destination_t] = match count {
            0 => &[],
            _ if destinations.is_null() => {
                return Err(FfiError::invalid(format!("destinations must not be NULL when count is {count}")))
            }
            _ if count > isize::MAX as usize / std::mem::size_of::<sandlock_destination_t>() => {
                return Err(FfiError::invalid(format!("count {count} cannot describe an array")))
            }
            // SAFETY: `count` readable entries (caller's contract).
            _ => unsafe { std::slice::from_raw_parts(destinations, count) },
        };
        let list = list.iter().enumerate().map(|(i, d)| d.to_core(i)).collect::<Result<Vec<_>, _>>()?;
        Ok(control.restrict_connect(&list)?)
    };
    // SAFETY: forwarded from the caller.
    unsafe { with_control(control, err, restrict) }
}
versioned!(sandlock_control_restrict_connect, "SANDLOCK_1.1");

/// Allow at most `n` tasks in the sandbox from now on; a value above the
/// current limit changes nothing. Returns `SANDLOCK_OK`, or
/// `SANDLOCK_E_INVALID` for a NULL or expired handle or `n` 0.
/// Thread-safe. Since 1.1.
///
/// # Safety
/// `control` must be NULL or a handle the library passed to a callback
/// (one whose callback returned is refused, never read);
/// `err` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn sandlock_control_lower_max_processes(
    control: *const sandlock_control_t,
    n: u32,
    err: *mut *mut sandlock_error_t,
) -> c_int {
    // SAFETY: forwarded from the caller.
    unsafe { with_control(control, err, |control| Ok(control.lower_max_processes(n)?)) }
}
versioned!(sandlock_control_lower_max_processes, "SANDLOCK_1.1");

/// Lower the address-space limit (`RLIMIT_AS`) of every process of the
/// sandbox, and of those they start, to at most `bytes`; a value above the
/// current limit changes nothing. Returns `SANDLOCK_OK`, or
/// `SANDLOCK_E_INVALID` for a NULL or expired handle or `bytes` 0.
/// Thread-safe. Since 1.1.
///
/// # Safety
/// `control` must be NULL or a handle the library passed to a callback
/// (one whose callback returned is refused, never read);
/// `err` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn sandlock_control_lower_max_memory(
    control: *const sandlock_control_t,
    bytes: u64,
    err: *mut *mut sandlock_error_t,
) -> c_int {
    // SAFETY: forwarded from the caller.
    unsafe { with_control(control, err, |control| Ok(control.lower_max_memory(bytes)?)) }
}
versioned!(sandlock_control_lower_max_memory, "SANDLOCK_1.1");

/// Make the file or directory at `path` (absolute; symlinks resolved now,
/// in the caller's view) unreachable to every process of the sandbox for
/// every open, create, rename, link, unlink, truncate and exec decided
/// after this returns; a directory takes everything below it along.
/// Descriptors and mappings the child got before stay usable (Linux cannot
/// revoke them). Needs a `policy_fn` set with `SANDLOCK_CATEGORY_PATHS`.
/// Nothing can undo it.
///
/// Returns `SANDLOCK_OK`, or `SANDLOCK_E_INVALID` for a NULL or expired
/// handle, a NULL or relative path, a `policy_fn` without
/// `SANDLOCK_CATEGORY_PATHS`, or a directory too large to deny;
/// `SANDLOCK_E_NOT_FOUND` for a path that does not exist. Thread-safe.
/// Since 1.1.
///
/// # Safety
/// `control` must be NULL or a handle the library passed to a callback
/// (one whose callback returned is refused, never read);
/// `path` NULL or a C string; `err` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn sandlock_control_deny_path(
    control: *const sandlock_control_t,
    path: *const c_char,
    err: *mut *mut sandlock_error_t,
) -> c_int {
    let deny = |control: &Control| {
        // SAFETY: NULL or a C string (caller's contract).
        let path = unsafe { guard::os_str(path, "path") }?;
        Ok(control.deny_path(path)?)
    };
    // SAFETY: forwarded from the caller.
    unsafe { with_control(control, err, deny) }
}
versioned!(sandlock_control_deny_path, "SANDLOCK_1.1");
