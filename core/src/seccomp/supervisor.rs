//! Receiving threads: each blocks in `SECCOMP_IOCTL_NOTIF_RECV` on the
//! listener itself and runs the chain inline, so a synchronous handler costs
//! no thread hop between receive and send.
//!
//! They end when the listener hangs up, which the kernel does when the last
//! task under the filter exits (zombies do not hold it; see
//! `core/tests/unreaped_orphans.rs`). A `poll` on the listener plus a stop
//! eventfd would not need that, but costs a syscall per notification:
//! measured 1.21x the raw loop instead of 1.04x (docs/benchmarks.md).

use std::os::fd::{AsRawFd, OwnedFd};
use std::sync::mpsc;
use std::sync::{Arc, OnceLock};
use std::thread::JoinHandle;
use std::time::Duration;

use crate::error::{Result, SandlockError};
use crate::group::Group;
use crate::handler::HandlerCtx;
use crate::notif::Bounds;
use crate::notif::Notification;
use crate::seccomp::dispatch::Dispatch;
use crate::seccomp::listener::Listener;
use crate::seccomp::respond::respond;
use crate::status::HandlerKill;
use crate::syscall::Syscall;

pub(crate) struct Supervisor {
    threads: Vec<JoinHandle<()>>,
    exited: mpsc::Receiver<()>,
    grace: Duration,
    kill: Arc<OnceLock<HandlerKill>>,
}

pub(crate) struct SupervisorConfig {
    pub threads: usize,
    pub sync_wakeup: bool,
    /// How long `stop` waits for receivers after the sandbox is gone; a
    /// thread still inside a slow handler then finishes on its own.
    pub grace: Duration,
}

impl Supervisor {
    /// Start receiving on `listener` for the sandbox whose group is `group`
    /// and whose policy keeps `ruleset` open for every run.
    pub(crate) fn start(
        listener: OwnedFd,
        dispatch: Arc<Dispatch>,
        group: Arc<Group>,
        ruleset: Option<Arc<OwnedFd>>,
        config: &SupervisorConfig,
    ) -> Result<Supervisor> {
        let bounds = Bounds { group, ruleset: ruleset.as_ref().map_or(-1, |fd| fd.as_raw_fd()) };
        let listener = Arc::new(Listener::new(listener));
        if config.sync_wakeup {
            // Linux < 6.6 lacks the flag; the loop works without it, slower.
            let _ = listener.set_sync_wakeup();
        }
        let (tx, exited) = mpsc::channel();
        let kill = Arc::new(OnceLock::new());
        let mut threads = Vec::with_capacity(config.threads);
        for _ in 0..config.threads.max(1) {
            let listener = Arc::clone(&listener);
            let dispatch = Arc::clone(&dispatch);
            let kill = Arc::clone(&kill);
            let tx = tx.clone();
            // A thread may outlive the run (a handler past the grace) and
            // the policy: while it runs, the ruleset's number must not be
            // another fd's, which a late answer would then leave open as
            // "the ruleset" instead of closing.
            let ruleset = ruleset.clone();
            let bounds = bounds.clone();
            let thread = std::thread::Builder::new()
                .name("sandlock-recv".into())
                .spawn(move || {
                    let _ruleset_open = ruleset;
                    receive_loop(&listener, &dispatch, &bounds, &kill);
                    let _ = tx.send(());
                })
                .map_err(|e| SandlockError::io("starting a supervisor thread", e))?;
            threads.push(thread);
        }
        Ok(Supervisor { threads, exited, grace: config.grace, kill })
    }

    /// Wait for the receivers once every sandboxed process is gone; returns
    /// the handler kill that ended the sandbox, if one did.
    pub(crate) fn stop(self) -> Option<HandlerKill> {
        let mut remaining = self.threads.len();
        // A grace past what the clock holds waits as long as it takes.
        let deadline = std::time::Instant::now().checked_add(self.grace);
        while remaining > 0 {
            let left = deadline.map_or(Duration::MAX, |d| d.saturating_duration_since(std::time::Instant::now()));
            if self.exited.recv_timeout(left).is_err() {
                break;
            }
            remaining -= 1;
        }
        if remaining == 0 {
            for thread in self.threads {
                let _ = thread.join();
            }
        }
        self.kill.get().copied()
    }
}

fn receive_loop(listener: &Arc<Listener>, dispatch: &Dispatch, bounds: &Bounds, kill: &OnceLock<HandlerKill>) {
    let mut notif = Notification::default();
    loop {
        if let Err(err) = listener.recv(&mut notif) {
            match err.raw_os_error() {
                Some(libc::EINTR) => continue,
                // The child left the syscall before we received it, or every
                // sandboxed process is gone (the listener hangs up).
                Some(libc::ENOENT) if !listener.hung_up() => continue,
                _ => return,
            }
        }
        let ctx = HandlerCtx { notif: &notif, listener, bounds };
        let decision = dispatch.run(&ctx);
        let response = respond(listener, &notif, bounds, decision.action, decision.fallback);
        if let Some(signal) = response.killed {
            if let Ok(syscall) = Syscall::checked(i64::from(notif.syscall_nr)) {
                // The first kill is the one that ended the sandbox (when the
                // child died of its signal: see HandlerKill::signal).
                let _ = kill.set(HandlerKill { syscall, exception: decision.failed, signal });
            }
        }
    }
}
