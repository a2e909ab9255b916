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
