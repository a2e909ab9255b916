//! The one error type of the core: every failure names what went wrong and the
//! offending value, so that an embedder can report it without guessing.

use std::io;
use std::path::PathBuf;

/// Where in the child's confinement sequence a spawn failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpawnStage {
    ProcessGroup,
    Stdio,
    WorkingDirectory,
    ResourceLimits,
    Credentials,
    Capabilities,
    NoNewPrivs,
    Landlock,
    Seccomp,
    ListenerHandoff,
    Exec,
    Namespaces,
}

impl std::fmt::Display for SpawnStage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let text = match self {
            SpawnStage::ProcessGroup => "creating the process group",
            SpawnStage::Stdio => "setting up stdio",
            SpawnStage::WorkingDirectory => "changing to the working directory",
            SpawnStage::ResourceLimits => "setting resource limits",
            SpawnStage::Credentials => "switching uid/gid",
            SpawnStage::Capabilities => "dropping capabilities",
            SpawnStage::NoNewPrivs => "setting no_new_privs",
            SpawnStage::Landlock => "applying the Landlock ruleset",
            SpawnStage::Seccomp => "installing the seccomp filter",
            SpawnStage::ListenerHandoff => "handing the seccomp listener to the supervisor",
            SpawnStage::Exec => "executing the program",
            SpawnStage::Namespaces => "creating the private namespaces",
        };
        f.write_str(text)
    }
}

/// Why a program cannot be executed in the sandbox: which file of its
/// exec chain, and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExecDenial {
    pub file: ExecFile,
    pub problem: ExecProblem,
}

/// A file the kernel opens to execute a program.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExecFile {
    /// The program itself.
    Program,
    /// The interpreter named by a `#!` line (of the program or of another
    /// interpreter).
    ScriptInterpreter(PathBuf),
    /// The ELF interpreter (`PT_INTERP`, the dynamic loader).
    ElfInterpreter(PathBuf),
}

/// What keeps a file of the exec chain from being executed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExecProblem {
    /// No `fs_read` or `fs_write` rule covers it, so Landlock refuses it.
    NoReadRule,
    /// It has no execute bit at all (`mode` is its permission bits).
    NotExecutable { mode: u32 },
    /// It is a directory or another file that is not a regular file.
    NotRegularFile,
    /// It is on a file system mounted `noexec`.
    NoexecMount,
    /// The child's uid and gid may not search `path` (an ancestor
    /// directory, or the file itself for execution).
    PermissionDenied { uid: u32, path: PathBuf, owner: u32, group: u32, mode: u32 },
}

impl std::fmt::Display for ExecDenial {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.file {
            ExecFile::Program => f.write_str("it")?,
            ExecFile::ScriptInterpreter(path) => write!(f, "its #! interpreter {path:?}")?,
            ExecFile::ElfInterpreter(path) => write!(f, "its ELF interpreter {path:?}")?,
        }
        match &self.problem {
            ExecProblem::NoReadRule => f.write_str(" is not under any fs_read or fs_write path"),
            ExecProblem::NotExecutable { mode } => write!(f, " is not executable (mode {mode:04o})"),
            ExecProblem::NotRegularFile => f.write_str(" is not a regular file"),
            ExecProblem::NoexecMount => f.write_str(" is on a file system mounted noexec"),
            ExecProblem::PermissionDenied { uid, path, owner, group, mode } => write!(
                f,
                " cannot be reached by uid {uid}: {path:?} (owner {owner}, group {group}, mode {mode:04o}) denies it"
            ),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SandlockError {
    #[error("path {path:?} does not exist or cannot be opened: {source}")]
    PathNotFound { path: PathBuf, source: io::Error },
    #[error("path {path:?} must be absolute (policy paths are never resolved against the caller's directory)")]
    RelativePath { path: PathBuf },
    #[error("a path of {len} bytes is longer than PATH_MAX (4096): {start:?}...")]
    PathTooLong { len: usize, start: String },
    #[error("working directory {path:?} is not a directory")]
    NotADirectory { path: PathBuf },
    #[error("port 0 is not a valid TCP port for {rule}")]
    InvalidPort { rule: &'static str },
    /// `suggestion` is the known name nearest to `name`, when one is close.
    #[error("unknown syscall {name:?} on this architecture{}", did_you_mean(*suggestion))]
    UnknownSyscallName { name: String, suggestion: Option<&'static str> },
    #[error("syscall number {nr} is not a syscall of this architecture")]
    UnknownSyscallNumber { nr: i64 },
    #[error("limit {limit} must be greater than zero")]
    ZeroLimit { limit: &'static str },
    #[error("invalid value for {what}: {reason}")]
    InvalidArgument { what: &'static str, reason: String },
    #[error("this kernel cannot enforce {feature}: {reason}")]
    Unsupported { feature: &'static str, reason: String },
    #[error("a handler on syscall {name} (nr {nr}) would re-open a syscall the policy denies ({list})")]
    HandlerOnDeniedSyscall { name: &'static str, nr: u32, list: &'static str },
    #[error("program {program:?} not found")]
    ExecNotFound { program: String },
    /// The program exists but the sandbox would not let it execute: found
    /// by looking at the files before the fork, or, when the kernel refused
    /// an exec nothing predicted, by looking at why afterwards.
    #[error("cannot execute {program:?}: {reason}")]
    ExecDenied { program: PathBuf, reason: ExecDenial },
    /// Switching the child's credentials needs a privilege the caller
    /// lacks; `hint` says what works instead.
    #[error("{what} needs {capability}, which this process lacks ({hint})")]
    NeedsPrivilege { what: String, capability: &'static str, hint: String },
    #[error("spawning the sandboxed child failed while {stage}: {source}")]
    Spawn { stage: SpawnStage, source: io::Error },
    #[error("{context}: {source}")]
    Io { context: &'static str, source: io::Error },
    #[error("child memory access failed: {0}")]
    Memory(#[from] crate::mem::MemoryError),
    #[error("handler failed: {0}")]
    Handler(String),
    /// An error of a run of a sandbox named with
    /// [`Sandbox::with_name`](crate::Sandbox::with_name): its message is the
    /// name, then the error's own. [`SandlockError::inner`] sees through it.
    #[error("run {name:?}: {error}")]
    InRun { name: String, error: Box<SandlockError> },
}

impl SandlockError {
    /// The error itself, without the run's name around it: match on this
    /// to tell the kinds of failure apart whether the sandbox is named or not.
    pub fn inner(&self) -> &SandlockError {
        match self {
            SandlockError::InRun { error, .. } => error.inner(),
            other => other,
        }
    }

    /// The error labelled with the run's name, when there is one.
    pub(crate) fn in_run(self, name: Option<&str>) -> SandlockError {
        match name {
            Some(name) => SandlockError::InRun { name: name.to_string(), error: Box::new(self) },
            None => self,
        }
    }

    pub(crate) fn io(context: &'static str, source: io::Error) -> Self {
        SandlockError::Io { context, source }
    }

    pub(crate) fn last_os(context: &'static str) -> Self {
        SandlockError::Io { context, source: io::Error::last_os_error() }
    }
}

fn did_you_mean(suggestion: Option<&str>) -> String {
    suggestion.map(|name| format!(" (did you mean {name}?)")).unwrap_or_default()
}

pub type Result<T, E = SandlockError> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    /// The one cause no test machine shows for real: a `noexec` mount.
    #[test]
    fn a_program_on_a_noexec_mount_says_so() {
        let error = SandlockError::ExecDenied {
            program: "/mnt/job".into(),
            reason: ExecDenial { file: ExecFile::Program, problem: ExecProblem::NoexecMount },
        };
        assert_eq!(error.to_string(), "cannot execute \"/mnt/job\": it is on a file system mounted noexec");
    }
}
