//! Handing the seccomp listener from the child to the supervisor without
//! the child making a syscall: once the filter is installed, any syscall of
//! the child may be one a handler traps, and a trapped hand-off would wait
//! for a supervisor that cannot start without it.
//!
//! The child stores the listener's fd number in a shared page; the parent
//! copies the fd with `pidfd_getfd` and then releases the child, which
//! meanwhile only yields (a trapped `sched_yield` is answered once the
//! supervisor runs, so even that cannot deadlock).
//!
//! [`Handoff::publish_and_wait`] runs in the child between fork and exec:
//! atomics on the shared page and a raw `sched_yield`, no allocation, no
//! lock, no glibc wrapper. The parent's side uses `nix`.

use std::io;
use std::num::NonZeroUsize;
use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, OwnedFd, RawFd};
use std::ptr::NonNull;
use std::sync::atomic::{AtomicI32, AtomicU32, Ordering};
use std::time::{Duration, Instant};

use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
use nix::sys::mman::{mmap_anonymous, munmap, MapFlags, ProtFlags};

use crate::error::{Result, SandlockError, SpawnStage};

/// How long the parent waits for the child to publish its listener.
const PUBLISH_LIMIT: Duration = Duration::from_secs(10);
/// Pause between the parent's looks at the shared page.
const POLL_PAUSE: Duration = Duration::from_micros(20);

#[repr(C)]
struct Shared {
    listener: AtomicI32,
    released: AtomicU32,
}

/// A page shared by parent and child across fork.
pub(crate) struct Handoff {
    page: NonNull<Shared>,
}

// SAFETY: the page holds only atomics, and the mapping lives until drop.
unsafe impl Send for Handoff {}
// SAFETY: as above; all access goes through atomic operations.
unsafe impl Sync for Handoff {}

const PAGE: usize = 4096;

impl Handoff {
    pub(crate) fn new() -> Result<Handoff> {
        let len = NonZeroUsize::new(PAGE).expect("a page has bytes");
        let rw = ProtFlags::PROT_READ | ProtFlags::PROT_WRITE;
        // SAFETY: a new anonymous mapping at an address the kernel picks
        // replaces nothing of ours.
        let page = unsafe { mmap_anonymous(None, len, rw, MapFlags::MAP_SHARED) }
            .map_err(|e| SandlockError::io("mapping the listener hand-off page", e.into()))?
            .cast::<Shared>();
        // SAFETY: the mapping is page-aligned, writable, larger than `Shared`
        // and not yet seen by anyone else.
        unsafe { page.write(Shared { listener: AtomicI32::new(-1), released: AtomicU32::new(0) }) };
        Ok(Handoff { page })
    }

    fn shared(&self) -> &Shared {
        // SAFETY: initialised in `new` and mapped until drop; only shared
        // references are made, and `Shared` is atomics only.
        unsafe { self.page.as_ref() }
    }

    /// Child side: publish the listener and wait until the parent holds a
    /// copy. Async-signal-safe.
    pub(crate) fn publish_and_wait(&self, listener: RawFd) {
        let shared = self.shared();
        shared.listener.store(listener, Ordering::Release);
        while shared.released.load(Ordering::Acquire) == 0 {
            // SAFETY: the raw sched_yield takes no arguments and touches no memory.
            unsafe { libc::syscall(libc::SYS_sched_yield) };
        }
    }

    /// Parent side: copy the child's listener. `None` when the child failed
    /// before publishing it (its report, readable on `report`, says why).
    pub(crate) fn take(&self, pidfd: BorrowedFd<'_>, report: BorrowedFd<'_>) -> Result<Option<OwnedFd>> {
        let shared = self.shared();
        let deadline = Instant::now() + PUBLISH_LIMIT;
        let fd = loop {
            let fd = shared.listener.load(Ordering::Acquire);
            if fd >= 0 {
                break fd;
            }
            if child_reported(report) {
                return Ok(None);
            }
            if Instant::now() > deadline {
                return Err(SandlockError::Spawn {
                    stage: SpawnStage::ListenerHandoff,
                    source: io::Error::new(io::ErrorKind::TimedOut, "the child never published its listener"),
                });
            }
            // One sleep, whatever interrupts it: a sleep that restarts
            // with the time left never returned under signals more frequent
            // than the timer slack, and the deadline above was never seen.
            let pause = libc::timespec { tv_sec: 0, tv_nsec: POLL_PAUSE.as_nanos() as libc::c_long };
            // SAFETY: nanosleep reads one timespec on this stack frame and
            // is given no remainder to write.
            unsafe { libc::nanosleep(&pause, std::ptr::null_mut()) };
        };
        // SAFETY: pidfd_getfd takes integers and touches no memory of ours;
        // `pidfd` is borrowed, so it stays open for the call.
        let copy = unsafe { libc::syscall(libc::SYS_pidfd_getfd, pidfd.as_raw_fd(), fd, 0u32) };
        shared.released.store(1, Ordering::Release);
        if copy < 0 {
            let error = io::Error::last_os_error();
            // SAFETY: PR_GET_DUMPABLE takes no pointer and changes nothing.
            let dumpable = unsafe { libc::prctl(libc::PR_GET_DUMPABLE) } != 0;
            let why = if dumpable {
                "the supervisor needs ptrace access to its own child (Linux 5.6+, Yama ptrace_scope at most 2)"
            } else {
                "this process is not dumpable — it changed its uid or gid without exec, as a daemon dropping root \
                 does — and neither are its children before their exec, so the kernel lets no process without \
                 CAP_SYS_PTRACE take their fds; call prctl(PR_SET_DUMPABLE, 1) after the switch (its memory is then \
                 open to other processes of its uid), or switch ids before exec"
            };
            return Err(SandlockError::Spawn {
                stage: SpawnStage::ListenerHandoff,
                source: io::Error::new(
                    error.kind(),
                    format!("pidfd_getfd of the seccomp listener failed ({error}); {why}"),
                ),
            });
        }
        // SAFETY: pidfd_getfd returned a new fd (close-on-exec) that we own.
        Ok(Some(unsafe { OwnedFd::from_raw_fd(copy as RawFd) }))
    }
}

/// True when the child wrote its failure report or closed the pipe.
fn child_reported(report: BorrowedFd<'_>) -> bool {
    poll(&mut [PollFd::new(report, PollFlags::POLLIN)], PollTimeout::ZERO).is_ok_and(|n| n > 0)
}

impl Drop for Handoff {
    fn drop(&mut self) {
        // SAFETY: the mapping `new` made; references to it borrow `self`, so
        // none outlives this call. The child's copy of the mapping is its own.
        let _ = unsafe { munmap(self.page.cast(), PAGE) };
    }
}
