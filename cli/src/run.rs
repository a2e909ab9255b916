//! `sandlock run`: options to policy, program to absolute path, then spawn
//! with inherited stdio and wait, passing signals on, and exit as the
//! child did.

use std::ffi::OsString;
use std::io;
use std::path::Path;
use std::process::ExitCode;

use sandlock_core::{ExecDenial, ExecProblem, Sandbox, SandlockError, SpawnStage};

use crate::args::RunArgs;
use crate::exit::{self, Failure, CANNOT_EXECUTE, CANNOT_START, NOT_FOUND};
use crate::options::describe_io;
use crate::signals::{Signals, Terminal};
use crate::{audit, program};

/// glibc's search path for execvp when PATH is unset (`_CS_PATH`).
const EXECVP_DEFAULT_PATH: &str = "/bin:/usr/bin";

pub fn run(args: RunArgs) -> Result<ExitCode, Failure> {
    let options = args.source.effective()?;
    let mut builder = options.builder()?;
    let (name, program_args) = args.command.split_first().ok_or_else(|| Failure::usage("no PROGRAM given"))?;
    let program = program::find(name)?;
    if options.auto_read {
        // `#!/usr/bin/env NAME` finds NAME on the child's PATH, or where
        // execvp looks without one.
        let path = options.env.iter().rev().find(|var| var.key == "PATH").map(|var| OsString::from(&var.value));
        let passed = || options.pass_env.iter().any(|name| name == "PATH").then(|| std::env::var_os("PATH")).flatten();
        let path = path.or_else(passed).unwrap_or_else(|| EXECVP_DEFAULT_PATH.into());
        builder = builder.fs_read(sandlock_core::load_paths(&program, &path));
    }
    let policy = builder.build().map_err(|e| match e {
        SandlockError::Unsupported { .. } => {
            Failure::new(CANNOT_START, format!("{e} (see `sandlock check`; --best-effort runs without it)"))
        }
        SandlockError::NeedsPrivilege { .. } => Failure::new(CANNOT_START, e.to_string()),
        other => Failure::usage(other.to_string()),
    })?;
    let sandbox = Sandbox::new(policy).map_err(|e| Failure::new(CANNOT_START, e.to_string()))?;
    let sandbox = audit::install(sandbox, &args.audit, args.audit_log.as_deref())?;
    // Blocked only now: until here (a policy file or audit log that is a
    // FIFO nobody opens, say) Ctrl-C ends the command as it ends any other.
    let signals = Signals::block()?;
    let argv: Vec<OsString> =
        std::iter::once(program.clone().into_os_string()).chain(program_args.iter().cloned()).collect();
    let mut child = sandbox.spawn(&argv).map_err(|e| start_failure(e, &program))?;
    let status = signals.wait(&mut child, Terminal::foreground())?;
    Ok(ExitCode::from(exit::status_code(status, child.timed_out())))
}

/// Why the sandbox did not start, with the status a shell would give.
fn start_failure(error: SandlockError, program: &Path) -> Failure {
    let shown = program.display();
    match error {
        SandlockError::Spawn { stage: SpawnStage::Exec, source } => exec_failure(&source, &shown.to_string()),
        SandlockError::ExecNotFound { program } => Failure::new(NOT_FOUND, format!("{program}: command not found")),
        SandlockError::ExecDenied { reason: ExecDenial { problem: ExecProblem::NoReadRule, .. }, .. } => {
            Failure::new(CANNOT_EXECUTE, format!("{error} (--read a directory holding it, or --auto-read)"))
        }
        SandlockError::ExecDenied { .. } => Failure::new(CANNOT_EXECUTE, error.to_string()),
        SandlockError::HandlerOnDeniedSyscall { .. } => Failure::usage(format!("--audit: {error}")),
        other => Failure::new(CANNOT_START, format!("cannot start the sandbox: {other}")),
    }
}

/// The program exists (it was found before the fork), so exec failing
/// means the sandbox hides it or something it needs.
fn exec_failure(source: &io::Error, program: &str) -> Failure {
    match source.raw_os_error() {
        Some(libc::ENOENT) => {
            Failure::new(NOT_FOUND, format!("{program}: cannot execute: its ELF or #! interpreter was not found"))
        }
        Some(libc::EACCES) => Failure::new(
            CANNOT_EXECUTE,
            format!(
                "{program}: cannot execute: permission denied (the program or its ELF or #! interpreter is \
                 outside every --read path; --auto-read grants them)"
            ),
        ),
        _ => Failure::new(CANNOT_EXECUTE, format!("{program}: cannot execute: {}", describe_io(source))),
    }
}
