//! What a `fork` of the host must not copy half done. glibc's `fork`
//! copies each lock as it is at that moment, and one that another thread
//! held stays held for good in the new process, which has no such thread: a
//! pre-fork server's worker, or a `multiprocessing` child, then waited on
//! it at its first spawn. The same holds for a value being made once (a
//! `OnceLock` whose maker runs on another thread, as a sandbox's first run
//! builds its filter): the new process waited on it forever.
//!
//! So the thread that forks takes, in its fork's handlers, every
//! process-wide lock of the library — waiting for whoever holds them — and
//! waits until no value is being made, then lets go in both processes.
//! Lazily made values go through [`get_or_init`]; their makers take none of
//! the locks below, which are taken first.
//!
//! The handlers are registered once, on the first lazy value or spawn —
//! never under one of these locks, as a module registering its own at first
//! use did, waiting for a fork that waited for it.

use std::any::Any;
use std::cell::RefCell;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard, OnceLock};

/// Values being made now, and the signal that their count fell to zero.
static MAKING: Mutex<usize> = Mutex::new(0);
static MADE: Condvar = Condvar::new();

thread_local! {
    /// On the forking thread, between its fork's handlers: what it took.
    static HELD: RefCell<Option<Vec<Box<dyn Any>>>> = const { RefCell::new(None) };
}

/// Register the fork handlers, once per process. Not a `Once`: one in
/// flight on another thread at a fork stays "running" in the new process,
/// which waits on it forever. A thread that loses the race goes on before
/// the winner's registration is in: at worst a fork at that very moment is
/// not waited for.
pub(crate) fn hold_across_forks() {
    static REGISTERED: AtomicBool = AtomicBool::new(false);
    if REGISTERED.load(Ordering::Acquire) || REGISTERED.swap(true, Ordering::AcqRel) {
        return;
    }
    // SAFETY: registers handlers that take and release this crate's locks
    // on the forking thread; the child's also closes the guardian's socket
    // with raw syscalls.
    unsafe { libc::pthread_atfork(Some(take_before_fork), Some(release_in_parent), Some(release_in_child)) };
}

/// `cell`'s value, made by `make` if it has none, with no fork of the host
/// while it is made. `make` must not take any lock of [`take_before_fork`].
pub(crate) fn get_or_init<T>(cell: &OnceLock<T>, make: impl FnOnce() -> T) -> &T {
    if let Some(value) = cell.get() {
        return value;
    }
    hold_across_forks();
    let _making = Making::start();
    cell.get_or_init(make)
}

/// One value being made; its drop (also on unwinding) counts it done.
struct Making;

impl Making {
    fn start() -> Making {
        // A nested value (a filter's deny lists) starts while the forking
        // thread waits on `MADE`, which leaves the lock free.
        *making() += 1;
        Making
    }
}

impl Drop for Making {
    fn drop(&mut self) {
        let mut count = making();
        *count -= 1;
        if *count == 0 {
            MADE.notify_all();
        }
    }
}

fn making() -> MutexGuard<'static, usize> {
    MAKING.lock().unwrap_or_else(|e| e.into_inner())
}

/// The locks first (a spawn holds the guardian's while it takes the
/// streams' registries, so that one comes first), then no value being made:
/// no maker waits for a lock.
extern "C" fn take_before_fork() {
    let mut held = vec![
        crate::guardian::held_across_fork(),
        crate::pipe_access::held_across_fork(),
        crate::own_description::held_across_fork(),
        crate::timer::held_across_fork(),
    ];
    let mut count = making();
    while *count > 0 {
        count = MADE.wait(count).unwrap_or_else(|e| e.into_inner());
    }
    held.push(Box::new(count));
    HELD.with(|slot| *slot.borrow_mut() = Some(held));
}

fn release() {
    HELD.with(|slot| {
        if let Some(mut held) = slot.borrow_mut().take() {
            // In the reverse of the order they were taken.
            while held.pop().is_some() {}
        }
    });
}

extern "C" fn release_in_parent() {
    release();
}

extern "C" fn release_in_child() {
    release();
    crate::guardian::close_socket_in_fork();
}
