//! Exit statuses of the command and the one-line error that goes with each.
//! The child's own status passes through; the codes below are the ones the
//! command itself chooses, picked to match `timeout(1)` and POSIX shells so
//! that scripts can tell them apart.

use std::process::ExitCode;

use sandlock_core::ExitStatus;

/// A usage error: unknown option, bad value, or a policy that cannot be valid.
pub const USAGE: u8 = 2;
/// The policy's timeout fired and the sandbox was killed (as `timeout(1)`).
pub const TIMED_OUT: u8 = 124;
/// The sandbox could not start: this kernel cannot enforce the policy, a
/// uid/gid switch needs a privilege the command lacks, or setting up the
/// child failed.
pub const CANNOT_START: u8 = 125;
/// The program was found but could not be executed (permission denied).
pub const CANNOT_EXECUTE: u8 = 126;
/// The program (or its interpreter) was not found.
pub const NOT_FOUND: u8 = 127;

/// What `--help` and the man page say about exit statuses.
pub const EXIT_STATUS_HELP: &str = "\
Exit status:
  N        the program exited with status N
  128+S    the program was killed by signal S (e.g. 143 for SIGTERM)
  2        usage error: unknown option, bad value, unreadable policy file
  124      the --timeout expired and the sandbox was killed
  125      the sandbox could not start (kernel cannot enforce the policy,
           a --uid/--gid switch needs a privilege this command lacks,
           or setting up the child failed)
  126      the program was found but cannot be executed (permission denied)
  127      the program, or its interpreter, was not found";

/// An error of the command: a one-line message and the status to exit with.
#[derive(Debug)]
pub struct Failure {
    pub code: u8,
    pub message: String,
}

impl Failure {
    pub fn new(code: u8, message: impl Into<String>) -> Failure {
        Failure { code, message: message.into() }
    }

    pub fn usage(message: impl Into<String>) -> Failure {
        Failure::new(USAGE, message)
    }

    /// Print as `sandlock: MESSAGE` on one line and return the status.
    pub fn report(&self) -> ExitCode {
        eprintln!("sandlock: {}", self.message.replace('\n', " "));
        ExitCode::from(self.code)
    }
}

/// The command's status for the child's: its code, or 128 + the signal, or
/// [`TIMED_OUT`] when the policy's timeout killed it.
pub fn status_code(status: ExitStatus, timed_out: bool) -> u8 {
    if timed_out {
        return TIMED_OUT;
    }
    match status {
        ExitStatus::Exited(code) => code as u8,
        ExitStatus::Signaled(signal) => 128u8.wrapping_add(signal as u8),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn child_status_maps_like_a_shell() {
        assert_eq!(status_code(ExitStatus::Exited(3), false), 3);
        assert_eq!(status_code(ExitStatus::Signaled(15), false), 143);
        assert_eq!(status_code(ExitStatus::Signaled(9), true), TIMED_OUT);
    }
}
