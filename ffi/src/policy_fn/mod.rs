//! `policy_fn` in C: a callback with user data and a destructor, set on a
//! command; the event snapshot and its accessor (`event`); the control
//! handle (`control`). docs/policy-fn.md is the contract.

pub mod control;
pub mod event;

use std::ffi::c_void;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;
use std::time::Duration;

use sandlock_core::{Control, Decision, Event, PolicyFn, PolicyFnOptions};

use crate::error::FfiError;
use crate::guard;
use crate::handler::abi::sandlock_handler_ud_drop_t;
use control::{sandlock_control_t, Lease};
use event::{sandlock_event_t, EventBox};

/// What a `policy_fn` callback answers (its return value).
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum sandlock_decision_t {
    /// The call goes on; the other layers still decide.
    SANDLOCK_DECISION_ALLOW = 0,
    /// The call fails with the errno the callback stored in `*deny_errno`
    /// (preset to `EPERM`; 1..=4095).
    SANDLOCK_DECISION_DENY = 1,
    /// Allow, and list the event in the run's result
    /// (`sandlock_result_flagged_event`).
    SANDLOCK_DECISION_FLAG = 2,
}

/// A `policy_fn` callback: it runs on a library thread while the child
/// waits, and returns a `sandlock_decision_t` value. Events come one at a
/// time, except that one past its time limit may still run while the next
/// is given on another thread.
/// `event` and `control` are valid only until it returns. A return value
/// that is no decision, a `DENY` with an errno outside 1..=4095, or a
/// callback past its time limit gets the failure outcome.
pub type sandlock_policy_fn_t = Option<
    unsafe extern "C-unwind" fn(
        ud: *mut c_void,
        event: *const sandlock_event_t,
        control: *mut sandlock_control_t,
        deny_errno: *mut i32,
    ) -> u32,
>;

/// A `sandlock_policy_fn_t` known not to be NULL.
type Callback =
    unsafe extern "C-unwind" fn(*mut c_void, *const sandlock_event_t, *mut sandlock_control_t, *mut i32) -> u32;

/// A C callback with its user data and destructor; `ud_drop` runs exactly
/// once, when the last reference goes ([`CPolicyFn::release`] at the end
/// of a verb, or later from a supervisor thread that outlived it).
pub(crate) struct CPolicyFn {
    callback: Callback,
    ud: *mut c_void,
    ud_drop: std::sync::Mutex<sandlock_handler_ud_drop_t>,
}

// SAFETY: the C contract requires `ud` and the callback to be usable from
// any thread (the callback runs on library threads).
unsafe impl Send for CPolicyFn {}
// SAFETY: as for Send (a callback past its time limit may still run while
// the next event is given on another thread); `ud_drop` is taken under its
// lock.
unsafe impl Sync for CPolicyFn {}

impl CPolicyFn {
    /// Run `ud_drop` now (if it has not run), reporting a panic in it.
    pub(crate) fn release(&self) -> Result<(), FfiError> {
        let Some(ud_drop) = self.ud_drop.lock().unwrap_or_else(|e| e.into_inner()).take() else {
            return Ok(());
        };
        let ud = self.ud;
        // SAFETY: `ud_drop` is the caller's destructor for `ud`, called once.
        catch_unwind(AssertUnwindSafe(|| unsafe { ud_drop(ud) }))
            .map_err(|payload| guard::panic_error("the policy_fn's ud_drop", &*payload))
    }
}

impl Drop for CPolicyFn {
    fn drop(&mut self) {
        // Nobody is left to report a panic in `ud_drop` to here.
        let _ = self.release();
    }
}

/// The callback as the core sees it, with the failure outcome that answers
/// a return value that is no decision (a C mistake, not a Rust panic: the
/// embedding program's stderr stays quiet).
pub(crate) struct Adapter {
    pub(crate) callback: Arc<CPolicyFn>,
    pub(crate) on_failure: Decision,
}

impl PolicyFn for Adapter {
    fn decide(&self, event: &Event, control: &Control) -> Decision {
        let snapshot = EventBox::new(event);
        // Refused again as soon as the callback returns (or unwinds).
        let lease = Lease::new(control);
        let mut deny_errno = libc::EPERM;
        // SAFETY: the callback gets pointers to locals that outlive the
        // call, and a handle valid while the lease lives; `ud` is the value
        // its creator paired with it.
        let answer =
            unsafe { (self.callback.callback)(self.callback.ud, snapshot.as_ptr(), lease.handle(), &mut deny_errno) };
        drop(lease);
        match answer {
            a if a == sandlock_decision_t::SANDLOCK_DECISION_ALLOW as u32 => Decision::Allow,
            a if a == sandlock_decision_t::SANDLOCK_DECISION_DENY as u32 => Decision::Deny(deny_errno),
            a if a == sandlock_decision_t::SANDLOCK_DECISION_FLAG as u32 => Decision::Flag,
            _ => self.on_failure,
        }
    }
}

/// What a command holds of its `policy_fn` until a verb takes it.
pub(crate) struct PolicyFnSetting {
    pub(crate) callback: Arc<CPolicyFn>,
    pub(crate) options: PolicyFnOptions,
}

/// A setting from C arguments, or why not (`ud` then stays the caller's).
pub(crate) fn setting(
    categories: u32,
    callback: sandlock_policy_fn_t,
    ud: *mut c_void,
    ud_drop: sandlock_handler_ud_drop_t,
) -> Result<PolicyFnSetting, FfiError> {
    let callback = callback.ok_or_else(|| FfiError::invalid("callback must not be NULL"))?;
    let categories = event::categories(categories).ok_or_else(|| {
        FfiError::invalid(format!(
            "categories {categories:#x} holds bits that name no sandlock_category_t (PROCESS|EXEC|NETWORK|FILE|SIGNAL|PATHS)"
        ))
    })?;
    let callback = Arc::new(CPolicyFn { callback, ud, ud_drop: std::sync::Mutex::new(ud_drop) });
    Ok(PolicyFnSetting { callback, options: PolicyFnOptions::new(categories) })
}

/// The time limit and failure outcome from C arguments.
pub(crate) fn failure_options(
    options: &mut PolicyFnOptions,
    time_limit_ms: u32,
    on_failure: u32,
    on_failure_errno: i32,
) -> Result<(), FfiError> {
    if time_limit_ms == 0 {
        return Err(FfiError::invalid("time_limit_ms must be at least 1"));
    }
    let decision = match on_failure {
        d if d == sandlock_decision_t::SANDLOCK_DECISION_ALLOW as u32 => Decision::Allow,
        d if d == sandlock_decision_t::SANDLOCK_DECISION_FLAG as u32 => Decision::Flag,
        d if d == sandlock_decision_t::SANDLOCK_DECISION_DENY as u32 => {
            if !(1..=4095).contains(&on_failure_errno) {
                return Err(FfiError::invalid(format!(
                    "on_failure_errno {on_failure_errno} is not an errno (1..=4095)"
                )));
            }
            Decision::Deny(on_failure_errno)
        }
        other => return Err(FfiError::invalid(format!("on_failure {other} is no sandlock_decision_t value"))),
    };
    options.time_limit = Duration::from_millis(u64::from(time_limit_ms));
    options.on_failure = decision;
    Ok(())
}
