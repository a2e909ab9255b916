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
//! the locks below, which are taken first. And the new process closes at
//! once the fds whose copies would hold something up ([`ClosedInForks`]).
//!
//! The handlers are registered once, on the first lazy value or spawn —
//! never under one of these locks, as a module registering its own at first
//! use did, waiting for a fork that waited for it.

use std::any::Any;
use std::cell::RefCell;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard, OnceLock};

use crate::raw_syscall;

/// Values being made now, and the signal that their count fell to zero.
static MAKING: Mutex<usize> = Mutex::new(0);
static MADE: Condvar = Condvar::new();

/// An fd by number, and which file it is (device, inode): one closed and
/// its number reused names another file, which stays open.
type Registered = (RawFd, (u64, u64));

/// The fds a process forked from this one closes at once.
static CLOSED_IN_FORKS: Mutex<Vec<Registered>> = Mutex::new(Vec::new());

/// What the forking thread took, between its fork's handlers.
struct HeldAcrossFork {
    _locks: Vec<Box<dyn Any>>,
    closed_in_forks: MutexGuard<'static, Vec<Registered>>,
    _making: MutexGuard<'static, usize>,
}

thread_local! {
    static HELD: RefCell<Option<HeldAcrossFork>> = const { RefCell::new(None) };
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
    // on the forking thread; the child's also closes the registered fds
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

/// An fd of this process that every process forked from it closes at once,
/// for as long as this lives (drop it before the fd): the host's end of the
/// guardian's socket kept the guardian from seeing the host's death, and a
/// run's stdin feed kept that run from its end of input, for as long as a
/// copy lived. Through the fork's handlers, so glibc's `fork` only: the
/// library's own clones run none, and `posix_spawn` and Go's `os/exec` exec
/// at once (these fds are close-on-exec).
#[derive(Debug)]
pub(crate) struct ClosedInForks(Option<Registered>);

impl ClosedInForks {
    pub(crate) fn new(fd: BorrowedFd<'_>) -> ClosedInForks {
        hold_across_forks();
        // An fd we just made always has a stat; without one there is no
        // file to tell apart, and nothing is registered.
        let Ok(stat) = nix::sys::stat::fstat(fd.as_raw_fd()) else { return ClosedInForks(None) };
        let registered = (fd.as_raw_fd(), (stat.st_dev, stat.st_ino));
        closed_in_forks().push(registered);
        ClosedInForks(Some(registered))
    }
}

impl Drop for ClosedInForks {
    fn drop(&mut self) {
        let Some(registered) = self.0 else { return };
        let mut list = closed_in_forks();
        if let Some(at) = list.iter().position(|&r| r == registered) {
            list.swap_remove(at);
        }
    }
}

fn closed_in_forks() -> MutexGuard<'static, Vec<Registered>> {
    CLOSED_IN_FORKS.lock().unwrap_or_else(|e| e.into_inner())
}

/// An fd this process owns that no process forked from it keeps.
#[derive(Debug)]
pub(crate) struct PrivateFd {
    // Declared first, so dropped before the fd is closed.
    _closed_in_forks: ClosedInForks,
    fd: OwnedFd,
}

impl PrivateFd {
    pub(crate) fn new(fd: OwnedFd) -> PrivateFd {
        PrivateFd { _closed_in_forks: ClosedInForks::new(fd.as_fd()), fd }
    }
}

impl AsFd for PrivateFd {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

/// The modules' locks first (a spawn holds the guardian's while it takes
/// the streams' registries, so that one comes first), then the list of fds
/// to close, then no value being made: no maker waits for a lock, and no
/// holder of a later lock waits for an earlier one.
extern "C" fn take_before_fork() {
    let locks = vec![
        crate::guardian::held_across_fork(),
        crate::pipe_access::held_across_fork(),
        crate::own_description::held_across_fork(),
        crate::private_tmp::held_across_fork(),
        crate::timer::held_across_fork(),
    ];
    let closed_in_forks = closed_in_forks();
    let mut count = making();
    while *count > 0 {
        count = MADE.wait(count).unwrap_or_else(|e| e.into_inner());
    }
    let held = HeldAcrossFork { _locks: locks, closed_in_forks, _making: count };
    HELD.with(|slot| *slot.borrow_mut() = Some(held));
}

fn release() -> Option<HeldAcrossFork> {
    HELD.with(|slot| slot.borrow_mut().take())
}

extern "C" fn release_in_parent() {
    drop(release());
}

extern "C" fn release_in_child() {
    let Some(held) = release() else { return };
    for &(fd, identity) in held.closed_in_forks.iter() {
        close_if_still(fd, identity);
    }
}

/// Close `fd` if it still names the file `identity`: only `fstat` and
/// `close`, as the child of a fork in a threaded process may call.
fn close_if_still(fd: RawFd, identity: (u64, u64)) {
    // SAFETY: a zeroed stat is a valid output buffer.
    let mut stat: libc::stat = unsafe { std::mem::zeroed() };
    // SAFETY: fstat writes one stat into `stat`, which outlives the call.
    let known = unsafe { raw_syscall::call(libc::SYS_fstat, [fd as usize, &mut stat as *mut libc::stat as usize]) };
    if known.is_ok() && (stat.st_dev as u64, stat.st_ino as u64) == identity {
        // SAFETY: closes this new process's copy of an fd registered by the
        // code that owns it in the parent; in this process nothing uses it
        // (its owner's copy acts only in the process that made it).
        let _ = unsafe { raw_syscall::call(libc::SYS_close, [fd as usize]) };
    }
}
