//! A long-lived sandboxed child for services: spawn it, then wait (with a
//! timeout), signal, pause, resume, kill and free it.

use std::ffi::c_int;
use std::sync::{Condvar, Mutex, MutexGuard, OnceLock, TryLockError};
use std::time::{Duration, Instant};

use sandlock_core::{Child, ExitStatus, FlaggedReader, GroupSignal};

use crate::error::{sandlock_error_t, sandlock_status_t, FfiError};
use crate::guard;
use crate::handler::registrations::Registrations;
use crate::policy_fn::event::{sandlock_event_t, EventBox};
use crate::result::sandlock_exit_t;

/// A running sandboxed program and the handlers that serve it (opaque).
/// Free it with `sandlock_child_free`.
pub struct sandlock_child_t {
    /// Held by the thread waiting in the kernel; signals go around it
    /// through `signaller`.
    child: Mutex<Child>,
    /// Told (under `waits`) when a waiter lets `child` go or sets `exit`,
    /// so that a wait behind another one still ends at its own deadline.
    waits: Mutex<()>,
    wait_done: Condvar,
    signaller: GroupSignal,
    pid: i32,
    /// Set by the wait that saw the child end.
    exit: OnceLock<sandlock_exit_t>,
    handlers: Registrations,
    /// Flagged events handed out so far; each stays where it is until the
    /// child is freed, so its pointer stays valid (hence boxed: the vector
    /// moves its elements when it grows).
    #[allow(clippy::vec_box)]
    flagged: Mutex<Vec<Box<EventBox>>>,
    reader: FlaggedReader,
}

impl sandlock_child_t {
    /// A child handle owning the handlers that serve it.
    pub(crate) fn new(child: Child, handlers: Registrations) -> *mut sandlock_child_t {
        let (signaller, pid, reader) = (child.signaller(), child.pid() as i32, child.flagged_reader());
        let child = Mutex::new(child);
        Box::into_raw(Box::new(sandlock_child_t {
            child,
            waits: Mutex::new(()),
            wait_done: Condvar::new(),
            signaller,
            pid,
            exit: OnceLock::new(),
            handlers,
            flagged: Mutex::new(Vec::new()),
            reader,
        }))
    }

    /// Wait at most `timeout_ms` (negative: no limit); `None` while it runs.
    /// One thread at a time waits in the kernel; the others wait for it to
    /// see the end or give up, each until its own deadline.
    fn wait(&self, timeout_ms: i64) -> Result<Option<ExitStatus>, FfiError> {
        // A timeout past what the clock holds is none.
        let deadline =
            u64::try_from(timeout_ms).ok().and_then(|ms| Instant::now().checked_add(Duration::from_millis(ms)));
        loop {
            if let Some(status) = self.ended() {
                return Ok(Some(status));
            }
            let child = match self.child.try_lock() {
                Ok(child) => child,
                // A panic in a wait leaves the Child as consistent as before it.
                Err(TryLockError::Poisoned(poisoned)) => poisoned.into_inner(),
                Err(TryLockError::WouldBlock) => {
                    let turn = self.waits.lock().unwrap_or_else(|e| e.into_inner());
                    if self.ended().is_some() {
                        continue;
                    }
                    // The holder may have let `child` go, and told us, since the first try.
                    let try_again = self.child.try_lock().is_ok();
                    if try_again {
                        continue;
                    }
                    match deadline {
                        None => drop(self.wait_done.wait(turn)),
                        Some(deadline) => {
                            let left = deadline.saturating_duration_since(Instant::now());
                            if left.is_zero() {
                                return Ok(None);
                            }
                            drop(self.wait_done.wait_timeout(turn, left));
                        }
                    }
                    continue;
                }
            };
            let result = self.wait_holding(child, deadline);
            let _turn = self.waits.lock().unwrap_or_else(|e| e.into_inner());
            self.wait_done.notify_all();
            return result;
        }
    }

    fn wait_holding(
        &self,
        mut child: MutexGuard<'_, Child>,
        deadline: Option<Instant>,
    ) -> Result<Option<ExitStatus>, FfiError> {
        let status = match deadline {
            Some(deadline) => child.wait_timeout(deadline.saturating_duration_since(Instant::now()))?,
            None => Some(child.wait()?),
        };
        if let Some(status) = status {
            let _ = self.exit.set(sandlock_exit_t::new(status, child.timed_out(), child.handler_kill()));
        }
        Ok(status)
    }

    /// How the child ended, once a wait saw it.
    fn ended(&self) -> Option<ExitStatus> {
        self.exit.get().map(|exit| match exit.signal {
            0 => ExitStatus::Exited(exit.exit_code),
            signal => ExitStatus::Signaled(signal),
        })
    }

    /// The flagged events, with those flagged since the last look added.
    #[allow(clippy::vec_box)]
    fn flagged(&self) -> std::sync::MutexGuard<'_, Vec<Box<EventBox>>> {
        let mut kept = self.flagged.lock().unwrap_or_else(|e| e.into_inner());
        let (events, _) = self.reader.flagged();
        let known = kept.len();
        kept.extend(events.iter().skip(known).map(|e| Box::new(EventBox::new(e))));
        kept
    }

    fn signal(&self, sig: c_int) -> Result<(), FfiError> {
        if !(1..=64).contains(&sig) {
            return Err(FfiError::invalid(format!("signal {sig} is not in 1..=64")));
        }
        self.signaller.signal(sig)?;
        Ok(())
    }
}

/// Process id of the child, which is also its process group. Returns -1
/// with `SANDLOCK_E_INVALID` for a NULL child. Borrows `child`;
/// thread-safe (must not overlap `sandlock_child_free`).
///
/// # Safety
/// `child` must be NULL or a live child.
#[no_mangle]
pub unsafe extern "C" fn sandlock_child_pid(child: *const sandlock_child_t) -> i32 {
    guard::value(|| {
        // SAFETY: NULL or a live child (caller's contract).
        Ok(unsafe { guard::reference(child, "child") }?.pid)
    })
}
versioned!(sandlock_child_pid, "SANDLOCK_1.0");

/// Wait for the child to end, at most `timeout_ms` milliseconds (negative:
/// without limit; 0: just check). The policy's own timeout still applies.
///
/// Returns `SANDLOCK_OK` once the child has ended, with its exit code in
/// `*exit_code` (-1 if a signal killed it) and the signal in `*signal` (0
/// if it exited); either pointer may be NULL. Returns
/// `SANDLOCK_STILL_RUNNING` when the time ran out first (outputs not
/// written), or a negative status on error. After the child ended, further
/// calls return the same status at once. Thread-safe: several threads may
/// wait on one child, each returning by its own deadline (one waits in the
/// kernel, the others for it), and other threads may signal or kill it
/// meanwhile (not free it).
///
/// # Safety
/// `child` must be NULL or a live child; `exit_code` and `signal` NULL or
/// writable.
#[no_mangle]
pub unsafe extern "C" fn sandlock_child_wait(
    child: *mut sandlock_child_t,
    timeout_ms: i64,
    exit_code: *mut i32,
    signal: *mut i32,
) -> c_int {
    guard::code(|| {
        // SAFETY: NULL or a live child (caller's contract).
        let child = unsafe { guard::reference(child, "child") }?;
        let Some(status) = child.wait(timeout_ms)? else {
            return Ok(sandlock_status_t::SANDLOCK_STILL_RUNNING as c_int);
        };
        let (code, sig) = match status {
            ExitStatus::Exited(code) => (code, 0),
            ExitStatus::Signaled(sig) => (-1, sig),
        };
        // SAFETY: NULL or writable (caller's contract).
        if let Some(exit_code) = unsafe { exit_code.as_mut() } {
            *exit_code = code;
        }
        // SAFETY: NULL or writable (caller's contract).
        if let Some(signal) = unsafe { signal.as_mut() } {
            *signal = sig;
        }
        Ok(sandlock_status_t::SANDLOCK_OK as c_int)
    })
}
versioned!(sandlock_child_wait, "SANDLOCK_1.0");

/// Kill every process of the sandbox (`SIGKILL` to its process group); a
/// later `sandlock_child_wait` collects the status. Killing a child that
/// already ended does nothing. Returns `SANDLOCK_OK`, or
/// `SANDLOCK_E_INVALID` for a NULL child. Thread-safe, also while another
/// thread waits on the child (must not overlap `sandlock_child_free`).
///
/// # Safety
/// `child` must be NULL or a live child.
#[no_mangle]
pub unsafe extern "C" fn sandlock_child_kill(child: *mut sandlock_child_t) -> c_int {
    guard::status(|| {
        // SAFETY: NULL or a live child (caller's contract).
        unsafe { guard::reference(child, "child") }?.signal(libc::SIGKILL)
    })
}
versioned!(sandlock_child_kill, "SANDLOCK_1.0");

/// Wait for the child to end, at most `timeout_ms` milliseconds (negative:
/// without limit; 0: just check); the policy's own timeout still applies.
///
/// Returns `SANDLOCK_OK` once the child has ended (then
/// `sandlock_child_exit` describes how), `SANDLOCK_STILL_RUNNING` when the
/// time ran out first, or a negative status with the error in `*err` (when
/// not NULL) and in `sandlock_last_error()`. Thread-safe as
/// `sandlock_child_wait`. Since 1.1.
///
/// # Safety
/// `child` must be NULL or a live child; `err` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn sandlock_child_wait_for(
    child: *const sandlock_child_t,
    timeout_ms: i64,
    err: *mut *mut sandlock_error_t,
) -> c_int {
    guard::code_err(err, || {
        // SAFETY: NULL or a live child (caller's contract).
        let child = unsafe { guard::reference(child, "child") }?;
        let status = match child.wait(timeout_ms)? {
            Some(_) => sandlock_status_t::SANDLOCK_OK,
            None => sandlock_status_t::SANDLOCK_STILL_RUNNING,
        };
        Ok(status as c_int)
    })
}
versioned!(sandlock_child_wait_for, "SANDLOCK_1.1");

/// Send signal `sig` (1..=64) to every process of the sandbox. A child that
/// already ended gets nothing (its group id may be someone else's by now).
///
/// Returns `SANDLOCK_OK`, or a negative status with the error in `*err`
/// (when not NULL): `SANDLOCK_E_INVALID` for a NULL child or a signal out
/// of range. Thread-safe, also while another thread waits on the child
/// (must not overlap `sandlock_child_free`). Since 1.1.
///
/// # Safety
/// `child` must be NULL or a live child; `err` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn sandlock_child_signal(
    child: *const sandlock_child_t,
    sig: c_int,
    err: *mut *mut sandlock_error_t,
) -> c_int {
    guard::status_err(err, || {
        // SAFETY: NULL or a live child (caller's contract).
        unsafe { guard::reference(child, "child") }?.signal(sig)
    })
}
versioned!(sandlock_child_signal, "SANDLOCK_1.1");

/// Stop every process of the sandbox (`SIGSTOP` to its group); its time
/// limit keeps running. As `sandlock_child_signal`. Since 1.1.
///
/// # Safety
/// `child` must be NULL or a live child; `err` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn sandlock_child_pause(
    child: *const sandlock_child_t,
    err: *mut *mut sandlock_error_t,
) -> c_int {
    // SAFETY: forwarded from the caller.
    unsafe { sandlock_child_signal(child, libc::SIGSTOP, err) }
}
versioned!(sandlock_child_pause, "SANDLOCK_1.1");

/// Continue every process of a paused sandbox (`SIGCONT` to its group). As
/// `sandlock_child_signal`. Since 1.1.
///
/// # Safety
/// `child` must be NULL or a live child; `err` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn sandlock_child_resume(
    child: *const sandlock_child_t,
    err: *mut *mut sandlock_error_t,
) -> c_int {
    // SAFETY: forwarded from the caller.
    unsafe { sandlock_child_signal(child, libc::SIGCONT, err) }
}
versioned!(sandlock_child_resume, "SANDLOCK_1.1");

/// How the child ended, once a wait saw it end (`sandlock_child_wait` or
/// `_wait_for` returned `SANDLOCK_OK`): the snapshot is owned by `child`
/// (valid until `sandlock_child_free`). NULL while it runs or has not been
/// waited for, and for a NULL child. Thread-safe. Since 1.1.
///
/// # Safety
/// `child` must be NULL or a live child.
#[no_mangle]
pub unsafe extern "C" fn sandlock_child_exit(child: *const sandlock_child_t) -> *const sandlock_exit_t {
    // SAFETY: NULL or a live child (caller's contract).
    match unsafe { child.as_ref() }.and_then(|c| c.exit.get()) {
        Some(exit) => std::ptr::from_ref(exit),
        None => std::ptr::null(),
    }
}
versioned!(sandlock_child_exit, "SANDLOCK_1.1");

/// The number of events the child's `policy_fn` flagged so far (at most
/// 10,000 are kept). Returns -1 with `SANDLOCK_E_INVALID` for a NULL child.
/// Thread-safe, also while another thread waits on the child. Since 1.1.
///
/// # Safety
/// `child` must be NULL or a live child.
#[no_mangle]
pub unsafe extern "C" fn sandlock_child_flagged_count(child: *const sandlock_child_t) -> i64 {
    guard::value(|| {
        // SAFETY: NULL or a live child (caller's contract).
        Ok(unsafe { guard::reference(child, "child") }?.flagged().len() as i64)
    })
}
versioned!(sandlock_child_flagged_count, "SANDLOCK_1.1");

/// Flagged event `index` (in the order they happened), owned by `child`:
/// valid until `sandlock_child_free`; its arguments are read with
/// `sandlock_event_arg`. Returns NULL with `SANDLOCK_E_INVALID` for a NULL
/// child or an index past `sandlock_child_flagged_count`. Thread-safe.
/// Since 1.1.
///
/// # Safety
/// `child` must be NULL or a live child.
#[no_mangle]
pub unsafe extern "C" fn sandlock_child_flagged_event(
    child: *const sandlock_child_t,
    index: usize,
) -> *const sandlock_event_t {
    guard::value(|| {
        // SAFETY: NULL or a live child (caller's contract).
        let flagged = unsafe { guard::reference(child, "child") }?.flagged();
        let event = flagged
            .get(index)
            .ok_or_else(|| FfiError::invalid(format!("index {index} is past the {} flagged events", flagged.len())))?;
        Ok(event.as_ptr())
    })
}
versioned!(sandlock_child_flagged_event, "SANDLOCK_1.1");

/// Free a child: kill it if it still runs, reap it, then free its handlers
/// (each `ud_drop` runs once; a panic in one is caught, the others still
/// run, and `sandlock_last_error()` reports it). NULL is a no-op. Must not
/// overlap other calls on the same child.
///
/// # Safety
/// `child` must be NULL or a child from `sandlock_spawn_with_handlers` not
/// yet freed.
#[no_mangle]
pub unsafe extern "C" fn sandlock_child_free(child: *mut sandlock_child_t) {
    guard::unit(|| {
        if child.is_null() {
            return Ok(());
        }
        // SAFETY: a live child from a spawn, freed once.
        let sandlock_child_t { child, handlers, .. } = *unsafe { Box::from_raw(child) };
        drop(child);
        handlers.release()
    });
}
versioned!(sandlock_child_free, "SANDLOCK_1.0");
