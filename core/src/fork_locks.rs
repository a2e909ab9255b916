//! Process-wide locks held across glibc's `fork`. A fork copies each lock
//! as it is at that moment, and one that another thread held stays held
//! for good in the new process, which has no such thread: a pre-fork
//! server's worker, or a `multiprocessing` child, then waited on it at its
//! first spawn. A module registers a function that takes its locks; the
//! thread that forks takes every module's first (waiting for whoever holds
//! them) and lets go of them in both processes, in the order the modules
//! registered. A spawn holds the guardian's lock while it sets up its
//! streams, taking the streams' registries: the guardian registers first
//! (at a process's first spawn, before any stream is set up), so the
//! forking thread never holds a registry while it waits for the guardian's.

use std::any::Any;
use std::cell::RefCell;
use std::sync::{Mutex, MutexGuard, Once};

/// What a module's function took, let go of when dropped.
pub(crate) type Held = Box<dyn Any>;

type Takers = Vec<fn() -> Held>;

static TAKERS: Mutex<Takers> = Mutex::new(Vec::new());

/// On the forking thread, between its fork's handlers: the list of
/// takers, and what each took.
type HeldAcrossFork = (MutexGuard<'static, Takers>, Vec<Held>);

thread_local! {
    static HELD: RefCell<Option<HeldAcrossFork>> = const { RefCell::new(None) };
}

/// Take what `take` takes around every later fork. Called once per module.
pub(crate) fn hold_across_forks(take: fn() -> Held) {
    static REGISTERED: Once = Once::new();
    REGISTERED.call_once(|| {
        // SAFETY: registers handlers that take and release this crate's
        // locks on the forking thread.
        unsafe { libc::pthread_atfork(Some(take_before_fork), Some(release_after_fork), Some(release_after_fork)) };
    });
    TAKERS.lock().unwrap_or_else(|e| e.into_inner()).push(take);
}

extern "C" fn take_before_fork() {
    // The list itself stays taken too: a thread registering at the fork
    // would leave it held in the new process.
    let takers = TAKERS.lock().unwrap_or_else(|e| e.into_inner());
    let held = takers.iter().map(|take| take()).collect();
    HELD.with(|slot| *slot.borrow_mut() = Some((takers, held)));
}

extern "C" fn release_after_fork() {
    HELD.with(|slot| {
        if let Some((takers, mut held)) = slot.borrow_mut().take() {
            // In the reverse of the order they were taken.
            while held.pop().is_some() {}
            drop(takers);
        }
    });
}
