//! The agent: a supervisor thread confined exactly like the child, which
//! makes the file calls the path guard performs on the child's behalf, so
//! that it can reach nothing the child could not.
//!
//! Credentials, capabilities, `no_new_privs` and a Landlock domain are per
//! thread in Linux; so is the file-system context (cwd, root, umask) once
//! the thread unshares it. Only raw syscalls are used to set them up:
//! glibc's set-ID wrappers would change every thread of the process.
//! The other threads of the supervisor keep their own.

use std::os::fd::{AsRawFd, OwnedFd};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{mpsc, Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::error::{Result, SandlockError, SpawnStage};
use crate::policy::Policy;

/// What the child is confined by, for a thread of the supervisor to take on.
pub(super) struct Confinement {
    uid: Option<u32>,
    gid: Option<u32>,
    drop_groups: bool,
    keep_caps: u64,
    /// The child's Landlock ruleset (a ruleset fd may be applied by any
    /// number of threads); `None` when the child gets none either.
    landlock: Option<Arc<OwnedFd>>,
}

const LANDLOCK_RESTRICT_SELF: libc::c_long = libc::SYS_landlock_restrict_self;

impl Confinement {
    /// The confinement of a child of `policy` restricted by `landlock`.
    pub(super) fn for_policy(policy: &Policy, landlock: Option<Arc<OwnedFd>>) -> Confinement {
        Confinement {
            uid: policy.uid,
            gid: policy.gid,
            drop_groups: policy.drop_groups,
            keep_caps: crate::caps::mask(&policy.keep_capabilities),
            landlock,
        }
    }

    /// Confine the calling thread, and only it, for good.
    pub(super) fn apply(&self) -> std::result::Result<(), (SpawnStage, i32)> {
        // SAFETY: unshare takes an integer; CLONE_FS gives this thread its
        // own cwd, root and umask (a copy of the process's).
        if unsafe { libc::syscall(libc::SYS_unshare, libc::CLONE_FS as libc::c_ulong) } < 0 {
            return Err((SpawnStage::Namespaces, super::sys::errno()));
        }
        // The child's own sequence: raw syscalls, this task only.
        crate::caps::drop_privileges(self.keep_caps, self.uid, self.gid, self.drop_groups)?;
        // SAFETY: prctl with integer arguments.
        if unsafe { libc::syscall(libc::SYS_prctl, libc::PR_SET_NO_NEW_PRIVS, 1usize, 0usize, 0usize, 0usize) } < 0 {
            return Err((SpawnStage::NoNewPrivs, super::sys::errno()));
        }
        if let Some(ruleset) = &self.landlock {
            // SAFETY: landlock_restrict_self takes an open ruleset fd and flags.
            if unsafe { libc::syscall(LANDLOCK_RESTRICT_SELF, ruleset.as_raw_fd(), 0u32) } < 0 {
                return Err((SpawnStage::Landlock, super::sys::errno()));
            }
        }
        Ok(())
    }

    /// Start a confined thread running `body`; fails when the thread cannot
    /// be started or confined (`body` then does not run).
    pub(super) fn spawn<F>(self: &Arc<Self>, name: &str, body: F) -> Result<JoinHandle<()>>
    where
        F: FnOnce() + Send + 'static,
    {
        let confinement = Arc::clone(self);
        let (ready, confined) = mpsc::sync_channel(1);
        let thread = std::thread::Builder::new()
            .name(name.into())
            .spawn(move || {
                let outcome = confinement.apply();
                let ok = outcome.is_ok();
                let _ = ready.send(outcome);
                if ok {
                    body();
                }
            })
            .map_err(|e| SandlockError::io("starting the path agent", e))?;
        match confined.recv() {
            Ok(Ok(())) => Ok(thread),
            Ok(Err((stage, errno))) => {
                let _ = thread.join();
                Err(SandlockError::Spawn { stage, source: std::io::Error::from_raw_os_error(errno) })
            }
            Err(_) => {
                let _ = thread.join();
                Err(SandlockError::Handler("the path agent died while confining itself".into()))
            }
        }
    }
}

type Job = Box<dyn FnOnce() + Send>;

/// How long the caller of a job waits for its answer before it sleeps.
const SPIN: Duration = Duration::from_micros(100);

/// One confined thread serving jobs in order. Dropping it ends the thread
/// (after the job it may be running) and joins it.
pub(super) struct Agent {
    jobs: Mutex<Option<mpsc::Sender<Job>>>,
    thread: Option<JoinHandle<()>>,
}

impl Agent {
    pub(super) fn start(confinement: &Arc<Confinement>) -> Result<Agent> {
        let (jobs, queue) = mpsc::channel::<Job>();
        let thread = confinement.spawn("sandlock-paths", move || {
            while let Ok(job) = queue.recv() {
                // A job that panics loses its answer (its caller sees
                // `None`); the agent goes on.
                let _ = catch_unwind(AssertUnwindSafe(job));
            }
        })?;
        Ok(Agent { jobs: Mutex::new(Some(jobs)), thread: Some(thread) })
    }

    /// Run `job` on the agent and wait for its answer; `None` when the
    /// agent is gone or the job panicked.
    pub(super) fn run<T: Send + 'static>(&self, job: impl FnOnce() -> T + Send + 'static) -> Option<T> {
        let (answer, outcome) = mpsc::sync_channel(1);
        let job: Job = Box::new(move || {
            let _ = answer.send(job());
        });
        {
            let jobs = self.jobs.lock().unwrap_or_else(|e| e.into_inner());
            jobs.as_ref()?.send(job).ok()?;
        }
        // Most jobs take a few microseconds: waiting for the answer without
        // sleeping spares the wake-up of this thread, which costs more than
        // the job on a busy machine.
        let spin_until = Instant::now() + SPIN;
        while Instant::now() < spin_until {
            match outcome.try_recv() {
                Ok(answer) => return Some(answer),
                Err(mpsc::TryRecvError::Empty) => std::thread::yield_now(),
                Err(mpsc::TryRecvError::Disconnected) => return None,
            }
        }
        outcome.recv().ok()
    }
}

impl Drop for Agent {
    fn drop(&mut self) {
        self.jobs.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
