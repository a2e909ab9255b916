//! A sandbox's process group, named by its leader's pid. That number is
//! free for reuse once the leader is reaped — by the run, or by a wait
//! elsewhere in the host — while handlers, `policy_fn` callbacks and
//! timers may still act on the group from other threads, late. So whatever
//! acts on the group by number (a signal, a limit set on its processes)
//! goes through [`Group::while_held`]: under the lock the reaper takes
//! before the reap, and only while the leader's pidfd says that the leader
//! (or its zombie) still holds the number.

use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};
use std::sync::Mutex;

use crate::own_description::CallerStreams;
use crate::owner::Owner;

#[derive(Debug)]
pub(crate) struct Group {
    pgid: libc::pid_t,
    retired: Mutex<bool>,
    /// The leader's pidfd (the one the run polls).
    leader: OwnedFd,
    /// What the run's streams shared with the caller had set, put back
    /// once the group is killed.
    caller_streams: Mutex<Option<CallerStreams>>,
    owner: Owner,
}

impl Group {
    pub(crate) fn new(leader_pid: libc::pid_t, leader: OwnedFd, caller_streams: CallerStreams) -> Group {
        Group {
            pgid: leader_pid,
            retired: Mutex::new(false),
            leader,
            caller_streams: Mutex::new(Some(caller_streams)),
            owner: Owner::this_process(),
        }
    }

    /// The group's id, for reading only: acting on it goes through
    /// [`Group::while_held`].
    pub(crate) fn pgid(&self) -> libc::pid_t {
        self.pgid
    }

    pub(crate) fn leader(&self) -> BorrowedFd<'_> {
        self.leader.as_fd()
    }

    /// Run `act` with the group's id while that id is still the sandbox's;
    /// `None`, without running it, once the leader is reaped or about to be.
    /// The reaper waits for `act` to return. Never in a process the host
    /// forked, whose copy of the group is not its own ([`Owner`]).
    pub(crate) fn while_held<R>(&self, act: impl FnOnce(libc::pid_t) -> R) -> Option<R> {
        if !self.owner.is_here() {
            return None;
        }
        let retired = self.retired.lock().unwrap_or_else(|e| e.into_inner());
        (!*retired && self.leader_held()).then(|| act(self.pgid))
    }

    /// Whether this is the process that spawned the group.
    pub(crate) fn owned_here(&self) -> bool {
        self.owner.is_here()
    }

    /// Mark the leader as about to be reaped: nothing acts on the group
    /// after this returns, and the guardian forgets it.
    pub(crate) fn retire(&self) {
        let mut retired = self.retired.lock().unwrap_or_else(|e| e.into_inner());
        if !*retired {
            crate::guardian::forget(self.pgid);
            // The group is killed: its flags on shared streams come back
            // (in the process that spawned it only: see `CallerStreams`).
            drop(self.caller_streams.lock().unwrap_or_else(|e| e.into_inner()).take());
        }
        *retired = true;
    }

    /// True while the leader (or its zombie) still holds its pid: signal 0
    /// through its pidfd, which never names another process.
    fn leader_held(&self) -> bool {
        // SAFETY: pidfd_send_signal with signal 0 and no info only checks.
        let rc = unsafe { libc::syscall(libc::SYS_pidfd_send_signal, self.leader.as_raw_fd(), 0, 0usize, 0) };
        rc == 0 || std::io::Error::last_os_error().raw_os_error() != Some(libc::ESRCH)
    }
}
