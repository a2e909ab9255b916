//! The spawned child's fd table, made its own before exec and holding only
//! the child's fds. The clone copied the host's table, and with it every
//! copy the supervisor holds of a sandboxed child's socket (`pidfd_getfd`):
//! when the host dropped one while this child still held its copy, the
//! child's close was that socket's last, and the last close of a socket
//! its owner made linger (data a peer never reads, `SO_LINGER` of days)
//! sleeps for the linger time — exec's close of close-on-exec fds too, so
//! one tenant's socket stalled another tenant's run before it started.
//!
//! A close made by an exiting task never lingers (`inet_release` under
//! `PF_EXITING`). So the child starts a keeper thread that shares the
//! copied table, takes a table of its own (`unshare(CLONE_FILES)`, a second
//! copy), puts its stdio in place and closes everything else there — none
//! of those closes is a last one, the keeper's table holding every file —
//! and then lets the keeper exit: its exit drops the copied table, and any
//! last reference in it closes without waiting. Until this process first
//! copies a child's fd its table holds no such copy, and a spawn makes no
//! keeper.
//!
//! Runs between fork and exec: raw syscalls, an atomic flag above the
//! keeper's stack and glibc's `clone` (a syscall and a call, no lock, no
//! allocation).

use std::os::fd::RawFd;
use std::sync::atomic::{AtomicU32, Ordering};

/// Size of the keeper thread's stack mapping: it calls `sched_yield` and
/// returns. Its top [`FLAG_SPACE`] bytes hold its release flag.
pub(crate) const KEEPER_STACK: usize = 16 * 1024;
const FLAG_SPACE: usize = 64;

/// Make the calling child's fd table its own, holding `stdio[i]` at `i`
/// (a host fd; -1 keeps what the host has at `i`, unless close-on-exec),
/// the fds of `keep` (-1 for none) where they are, and nothing else.
/// `keeper_stack` is the top of a mapping of [`KEEPER_STACK`] bytes no one
/// else uses until this child has exec'd or exited.
///
/// The keeper is released before this returns and exits on its own; the
/// exec waits for it, and whatever needs the child alone in its thread
/// group before then calls [`Keeper::wait_gone`]. Without a keeper (no copy
/// of a child's fd was ever taken, or no thread could be made) the closes
/// happen all the same, as exec would have made them.
pub(crate) fn make_own(
    keeper_stack: *mut libc::c_void,
    stdio: [RawFd; 3],
    keep: [RawFd; 2],
) -> Result<Option<Keeper>, i32> {
    // SAFETY: the flag's bytes are the mapping's top ones, aligned, and
    // nothing but this child and its keeper uses them (see above).
    let release: &AtomicU32 = unsafe { &*keeper_stack.cast::<u8>().sub(FLAG_SPACE).cast::<AtomicU32>() };
    release.store(0, Ordering::Release);
    // SAFETY: one past the stack's own top is the flag's first byte.
    let stack = unsafe { keeper_stack.cast::<u8>().sub(FLAG_SPACE) }.cast();
    let keeper = if crate::pidfd::copies_taken() { start_keeper(stack, release) } else { None };
    let arranged = if keeper.is_some() { raw(libc::SYS_unshare, [libc::CLONE_FILES as usize]) } else { Ok(0) }
        .and_then(|_| place_stdio(stdio))
        .and_then(|()| close_all_but(keep));
    release.store(1, Ordering::Release);
    arranged.map(|()| keeper.map(|tid| Keeper { tid }))
}

/// A keeper, released: it exits as soon as it runs.
pub(crate) struct Keeper {
    tid: libc::pid_t,
}

impl Keeper {
    /// Wait until the keeper has left the thread group
    /// (`unshare(CLONE_NEWUSER)` refuses a process with another thread).
    pub(crate) fn wait_gone(self) {
        let Ok(tgid) = raw(libc::SYS_getpid, []) else { return };
        while raw(libc::SYS_tgkill, [tgid as usize, self.tid as usize, 0]).is_ok() {
            let _ = raw(libc::SYS_sched_yield, []);
        }
    }
}

/// A raw syscall of this module; the errno on failure.
fn raw<const N: usize>(nr: libc::c_long, args: [usize; N]) -> Result<libc::c_long, i32> {
    // SAFETY: every call here passes integers only.
    unsafe { crate::raw_syscall::call(nr, args) }
}

/// Put the child's stdio at 0, 1 and 2, without close-on-exec. Every fd
/// of `stdio` is above the stdio numbers (the spawn moves them there), so
/// putting one in place never overwrites another.
fn place_stdio(stdio: [RawFd; 3]) -> Result<(), i32> {
    for (target, &fd) in stdio.iter().enumerate() {
        if fd >= 0 {
            raw(libc::SYS_dup3, [fd as usize, target, 0])?;
        } else if raw(libc::SYS_fcntl, [target, libc::F_GETFD as usize, 0])
            .is_ok_and(|flags| flags & libc::FD_CLOEXEC as libc::c_long != 0)
        {
            // Inherited, but exec would close it: one of the host's own fds
            // (a copy of a child's socket among them) on a free stdio number.
            raw(libc::SYS_close, [target])?;
        }
    }
    Ok(())
}

/// Close every fd from 3 up except those of `keep` (-1 for none).
fn close_all_but(mut keep: [RawFd; 2]) -> Result<(), i32> {
    keep.sort_unstable();
    let mut from: u32 = 3;
    for fd in keep {
        let Ok(fd) = u32::try_from(fd) else { continue };
        if fd > from {
            raw(libc::SYS_close_range, [from as usize, fd as usize - 1, 0])?;
        }
        from = from.max(fd + 1);
    }
    raw(libc::SYS_close_range, [from as usize, u32::MAX as usize, 0]).map(|_| ())
}

/// Start the keeper: a thread of the child, on the stack ending at `stack`,
/// holding the fd table the clone copied until `release` is set; it exits
/// then, closing what only that table still held. It writes no memory and
/// makes no call that can fail, so the errno it shares with the child (it
/// has no TLS of its own) stays the child's, and a keeper still running
/// when its child was killed changes nothing of the host's. `None` if no
/// thread could be made (a limit on tasks, say).
fn start_keeper(stack: *mut libc::c_void, release: &AtomicU32) -> Option<libc::pid_t> {
    let flags = libc::CLONE_VM | libc::CLONE_FS | libc::CLONE_FILES | libc::CLONE_SIGHAND | libc::CLONE_THREAD;
    // SAFETY: `stack` tops a mapping only this keeper uses; `keep` only
    // reads `release`, which lives in the same mapping, and touches no TLS
    // (none is set up).
    let tid = unsafe { libc::clone(keep, stack, flags, release.as_ptr().cast()) };
    (tid > 0).then_some(tid)
}

/// The keeper thread: yield until released, then return (glibc's `clone`
/// then makes the thread's `exit`). `sched_yield` never fails.
extern "C" fn keep(release: *mut libc::c_void) -> libc::c_int {
    // SAFETY: `release` is the flag that `start_keeper` passed, in the
    // keeper's own mapping.
    let release = unsafe { &*(release as *const AtomicU32) };
    while release.load(Ordering::Acquire) == 0 {
        // SAFETY: the raw sched_yield takes no arguments and touches no memory.
        unsafe { libc::syscall(libc::SYS_sched_yield) };
    }
    0
}
