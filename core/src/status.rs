//! How a sandboxed program ended, and what it printed.

use crate::policy_fn::Event;
use crate::syscall::Syscall;

/// Exit status of the sandboxed program.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitStatus {
    /// Exited with this code.
    Exited(i32),
    /// Killed by this signal.
    Signaled(i32),
}

impl ExitStatus {
    pub(crate) fn from_wait_status(status: libc::c_int) -> ExitStatus {
        if libc::WIFSIGNALED(status) {
            ExitStatus::Signaled(libc::WTERMSIG(status))
        } else {
            ExitStatus::Exited(libc::WEXITSTATUS(status))
        }
    }

    pub fn code(&self) -> Option<i32> {
        match self {
            ExitStatus::Exited(code) => Some(*code),
            ExitStatus::Signaled(_) => None,
        }
    }

    pub fn signal(&self) -> Option<i32> {
        match self {
            ExitStatus::Exited(_) => None,
            ExitStatus::Signaled(sig) => Some(*sig),
        }
    }

    pub fn success(&self) -> bool {
        *self == ExitStatus::Exited(0)
    }
}

/// A handler killed the sandbox (its group got `signal`) while answering
/// this syscall.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HandlerKill {
    pub syscall: Syscall,
    /// The handler failed (returned an error or panicked) and its exception
    /// policy killed; otherwise it answered with a kill itself.
    pub exception: bool,
    /// The signal sent (`SIGKILL` for an exception policy). A signal the
    /// child survives did not end it: compare with the exit status.
    pub signal: i32,
}

/// Result of [`crate::Sandbox::run`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunOutput {
    pub status: ExitStatus,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
    /// The policy's timeout expired and the process group was killed.
    pub timed_out: bool,
    /// A handler killed the sandbox (the first kill, when several did).
    pub handler_kill: Option<HandlerKill>,
    /// The events a `policy_fn` flagged, in order (the first
    /// [`crate::policy_fn::MAX_FLAGGED`], holding at most
    /// [`crate::policy_fn::MAX_FLAGGED_BYTES`]).
    pub flagged: Vec<Event>,
    /// Flagged events past that bound, counted but not kept.
    pub flagged_dropped: u64,
    /// Output past the policy's `max_output` bound was discarded.
    pub stdout_truncated: bool,
    pub stderr_truncated: bool,
}
