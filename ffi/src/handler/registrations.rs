//! Registration arrays: taking every handler in one (on every path), adding
//! them to a sandbox, freeing them after the run. A command's `policy_fn`
//! is owned the same way, next to its handlers.

use std::sync::Arc;

use sandlock_core::{PolicyFnOptions, Sandbox, Syscall};

use crate::error::FfiError;
use crate::handler::container::sandlock_handler_t;
use crate::limits::SANDLOCK_MAX_REGISTRATIONS;
use crate::policy_fn::{Adapter, CPolicyFn, PolicyFnSetting};

/// One entry of the array a run entry point consumes.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct sandlock_handler_registration_t {
    /// The syscall to handle, e.g. from `sandlock_syscall_nr`.
    pub syscall_nr: i64,
    /// A handler from `sandlock_handler_new`; the run takes it over.
    pub handler: *mut sandlock_handler_t,
}

/// The handlers of one registration array or command, owned by whoever
/// took them.
#[derive(Default)]
pub(crate) struct Registrations {
    entries: Vec<(i64, Arc<sandlock_handler_t>)>,
    /// Handlers added one at a time ([`Registrations::push`]), kept in the
    /// caller's allocation until [`Registrations::seal`]: while it lives, a
    /// handler's address names it, so one passed again is recognised
    /// ([`Registrations::contains`]) instead of taken twice. (`Arc::from` a
    /// box moves the handler and frees that address for the next one.)
    added: Vec<(i64, Box<sandlock_handler_t>)>,
    policy_fn: Option<PolicyFnSetting>,
}

impl Registrations {
    /// Take over every handler in the array, then judge the array: a
    /// failure is reported only after all its handlers are owned here, so
    /// that [`Registrations::release`] frees each of them.
    ///
    /// # Safety
    /// A non-NULL `array` must point to `count` readable entries whose
    /// handlers are NULL or unconsumed handlers from `sandlock_handler_new`.
    pub(crate) unsafe fn take(
        array: *const sandlock_handler_registration_t,
        count: usize,
    ) -> (Registrations, Result<(), FfiError>) {
        if count == 0 {
            return (Registrations::default(), Ok(()));
        }
        if array.is_null() {
            return (
                Registrations::default(),
                Err(FfiError::invalid(format!("registrations must not be NULL when count is {count}"))),
            );
        }
        if count > isize::MAX as usize / std::mem::size_of::<sandlock_handler_registration_t>() {
            // No array is that long: `count` is garbage, and reading it undefined behaviour.
            return (
                Registrations::default(),
                Err(FfiError::invalid(format!("count {count} cannot describe an array"))),
            );
        }
        // SAFETY: `count` readable entries (caller's contract).
        let slice = unsafe { std::slice::from_raw_parts(array, count) };
        let mut entries = Vec::with_capacity(count.min(SANDLOCK_MAX_REGISTRATIONS));
        let mut taken = std::collections::HashSet::with_capacity(count.min(SANDLOCK_MAX_REGISTRATIONS));
        let mut verdict = Ok(());
        for (i, registration) in slice.iter().enumerate() {
            let refusal = if registration.handler.is_null() {
                Some(format!("registrations[{i}].handler is NULL"))
            } else if !taken.insert(registration.handler) {
                // Taking it twice would free it twice.
                Some(format!(
                    "registrations[{i}].handler appears earlier in the array; register a handler once \
                     (create one handler per registration)"
                ))
            } else {
                None
            };
            if let Some(reason) = refusal {
                if verdict.is_ok() {
                    verdict = Err(FfiError::invalid(reason));
                }
                continue;
            }
            // SAFETY: an unconsumed handler from sandlock_handler_new, taken
            // once: a pointer seen before was skipped above.
            let handler = unsafe { Box::from_raw(registration.handler) };
            entries.push((registration.syscall_nr, Arc::from(handler)));
        }
        if count > SANDLOCK_MAX_REGISTRATIONS {
            verdict =
                Err(FfiError::invalid(format!("count must be at most {SANDLOCK_MAX_REGISTRATIONS}, got {count}")));
        }
        (Registrations { entries, added: Vec::new(), policy_fn: None }, verdict)
    }

    /// Add one handler (a command's `add_handler`), checking its number now.
    pub(crate) fn push(&mut self, syscall_nr: i64, handler: Box<sandlock_handler_t>) -> Result<(), FfiError> {
        if let Err(e) = Syscall::checked(syscall_nr) {
            // The number's error wins over a panic of this handler's ud_drop.
            let _ =
                Registrations { entries: Vec::new(), added: vec![(syscall_nr, handler)], policy_fn: None }.release();
            return Err(FfiError::invalid(format!("syscall_nr: {e}")));
        }
        self.added.push((syscall_nr, handler));
        Ok(())
    }

    /// Whether `handler` is one [`Registrations::push`] took and still holds.
    pub(crate) fn contains(&self, handler: *const sandlock_handler_t) -> bool {
        self.added.iter().any(|(_, owned)| std::ptr::eq(&**owned, handler))
    }

    /// Make the added handlers shareable with a sandbox, after the others.
    pub(crate) fn seal(&mut self) {
        for (nr, handler) in self.added.drain(..) {
            self.entries.push((nr, Arc::from(handler)));
        }
    }

    /// Set the `policy_fn`; one set before is freed (its `ud_drop` runs).
    pub(crate) fn set_policy_fn(&mut self, setting: PolicyFnSetting) -> Result<(), FfiError> {
        match self.policy_fn.replace(setting) {
            Some(old) => release_policy_fn(old.callback),
            None => Ok(()),
        }
    }

    /// The `policy_fn`'s options, to change them.
    pub(crate) fn policy_fn_options(&mut self) -> Option<&mut PolicyFnOptions> {
        self.policy_fn.as_mut().map(|setting| &mut setting.options)
    }

    /// Register every handler on `sandbox`, in array order (the added ones
    /// only once sealed), and the `policy_fn`.
    pub(crate) fn add_to(&self, mut sandbox: Sandbox) -> Result<Sandbox, FfiError> {
        if let Some(setting) = &self.policy_fn {
            sandbox = sandbox.policy_fn_with(
                setting.options,
                Adapter { callback: Arc::clone(&setting.callback), on_failure: setting.options.on_failure },
            );
        }
        for (i, (nr, handler)) in self.entries.iter().enumerate() {
            let syscall =
                Syscall::checked(*nr).map_err(|e| FfiError::invalid(format!("registrations[{i}].syscall_nr: {e}")))?;
            sandbox = sandbox.add_shared_handler(syscall, Arc::clone(handler) as Arc<dyn sandlock_core::Handler>);
        }
        Ok(sandbox)
    }

    /// Free every handler (each `ud_drop` runs once, even if another one
    /// panics) and report the first panic. A handler a lingering supervisor
    /// thread still holds is freed when that thread lets go.
    pub(crate) fn release(mut self) -> Result<(), FfiError> {
        self.seal();
        let mut first_panic = match self.policy_fn.take() {
            Some(setting) => release_policy_fn(setting.callback),
            None => Ok(()),
        };
        for (_, handler) in self.entries {
            if let Some(mut handler) = Arc::into_inner(handler) {
                let released = handler.release();
                if first_panic.is_ok() {
                    first_panic = released;
                }
            }
        }
        first_panic
    }
}

/// Run a `policy_fn`'s `ud_drop` now if nothing else holds it; otherwise the
/// last holder (a lingering supervisor thread) runs it when it lets go.
fn release_policy_fn(callback: Arc<CPolicyFn>) -> Result<(), FfiError> {
    match Arc::into_inner(callback) {
        Some(callback) => callback.release(),
        None => Ok(()),
    }
}
