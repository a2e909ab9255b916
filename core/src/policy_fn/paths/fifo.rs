//! Opens that wait: a FIFO opened for reading or writing only, without
//! `O_NONBLOCK`, waits for its other end. It runs on a confined thread of
//! its own, so the agent never waits, and is answered when it completes —
//! after its inode was checked again against the denied set as it is then.
//! A watcher ends the wait when the child no longer waits (it was killed)
//! or the sandbox is over, by opening the other end itself; the guard
//! joins every watcher when it is dropped. At most `waits::MAX_WAITS`
//! opens wait at once (each holds two host threads and three fds); one
//! more fails with `EAGAIN`.

use std::os::fd::{AsRawFd, OwnedFd};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use super::open::inject;
use super::sys::{self, Sys};
use super::{check, Call};
use crate::notif::NotifAction;
use crate::policy_fn::waits::{Wait, Waits};
use crate::seccomp::listener::Listener;

/// How often a watcher looks whether the child still waits.
const TICK: Duration = Duration::from_millis(50);

/// The watchers of the opens that wait.
#[derive(Default)]
pub(super) struct Waiting {
    closing: AtomicBool,
    watchers: Mutex<Vec<JoinHandle<()>>>,
    opens: Waits,
}

impl Waiting {
    /// End every wait and join the threads.
    pub(super) fn shut(&self) {
        self.closing.store(true, Ordering::SeqCst);
        let watchers = std::mem::take(&mut *self.watchers.lock().unwrap_or_else(|e| e.into_inner()));
        for watcher in watchers {
            let _ = watcher.join();
        }
    }

    fn add(&self, watcher: JoinHandle<()>) {
        let mut watchers = self.watchers.lock().unwrap_or_else(|e| e.into_inner());
        watchers.retain(|w| !w.is_finished());
        watchers.push(watcher);
    }
}

impl Call<'_> {
    /// Open the FIFO `fd` with `flags` on a thread of its own and answer
    /// the child from there.
    pub(super) fn open_fifo_later(&self, fd: Arc<OwnedFd>, flags: u64) -> Sys<()> {
        let wait = self.guard.waiting.opens.start().ok_or(libc::EAGAIN)?;
        let reply = self.ctx.defer();
        let id = self.ctx.id();
        let listener = Listener::new(self.ctx.listener_fd().try_clone_to_owned().map_err(|_| libc::EMFILE)?);
        let (done, opened) = mpsc::sync_channel::<Sys<OwnedFd>>(1);
        let fifo = Arc::clone(&fd);
        let opener = self
            .guard
            .confinement
            .spawn("sandlock-fifo", move || {
                let _ = done.send(sys::reopen(fifo.as_raw_fd(), flags));
            })
            .map_err(|_| libc::EAGAIN)?;
        let denied = Arc::clone(&self.guard.denied);
        let waiting = Arc::clone(&self.guard.waiting);
        let watcher = std::thread::Builder::new()
            .name("sandlock-fifo-watch".into())
            .spawn(move || {
                let _wait: Wait = wait;
                let result = loop {
                    match opened.recv_timeout(TICK) {
                        Ok(result) => break Some(result),
                        Err(RecvTimeoutError::Disconnected) => break Some(Err(libc::EACCES)),
                        Err(RecvTimeoutError::Timeout) => {
                            if waiting.closing.load(Ordering::SeqCst) || !listener.id_valid(id) {
                                // Again until the opener is done: one that had
                                // not reached its open yet misses the first.
                                loop {
                                    open_other_end(&fd, flags);
                                    if !matches!(opened.recv_timeout(TICK), Err(RecvTimeoutError::Timeout)) {
                                        break;
                                    }
                                }
                                break None;
                            }
                        }
                    }
                };
                let _ = opener.join();
                let Some(result) = result else { return };
                let state = denied.read();
                let action = match result.and_then(|new| check::allowed(&state, new.as_raw_fd()).map(|()| new)) {
                    Ok(new) => inject(new, flags),
                    Err(errno) => NotifAction::Errno(errno),
                };
                reply.reply(action);
            })
            .map_err(|_| libc::EAGAIN)?;
        self.guard.waiting.add(watcher);
        Ok(())
    }
}

/// Open the FIFO's other end without waiting, which ends the wait of an
/// opener of this end.
fn open_other_end(fd: &OwnedFd, flags: u64) {
    let other = if flags & libc::O_ACCMODE as u64 == libc::O_RDONLY as u64 { libc::O_WRONLY } else { libc::O_RDONLY };
    let _ = sys::reopen(fd.as_raw_fd(), (other | libc::O_NONBLOCK) as u64);
}
