//! sandlock-core: run an untrusted program under Landlock and a seccomp
//! filter, and decide chosen syscalls at run time in handlers.
//!
//! ```no_run
//! use sandlock_core::{Policy, Sandbox};
//! let policy = Policy::builder().fs_read(["/usr", "/lib", "/etc"]).build()?;
//! let out = Sandbox::new(policy)?.run(&["/bin/echo", "hello"])?;
//! assert_eq!(out.stdout, b"hello\n");
//! # Ok::<(), sandlock_core::SandlockError>(())
//! ```

#![deny(unsafe_op_in_unsafe_fn, clippy::undocumented_unsafe_blocks)]

mod builtins;
mod caps;
mod child;
mod child_socket;
mod clone_child;
mod deferred;
pub mod deny;
mod devices;
mod error;
mod exec_check;
mod fds;
mod fork_locks;
mod group;
mod guardian;
mod handler;
mod handoff;
mod kernel;
mod landlock_rules;
mod loader;
mod maps;
mod mem;
mod memfd;
mod notif;
mod output;
mod own_description;
mod own_fd_table;
mod owner;
mod per_run;
mod pidfd;
mod pipe_access;
mod policy;
pub mod policy_fn;
mod private_shm;
mod private_tmp;
mod proc_paths;
mod procs;
mod raw_syscall;
mod sandbox;
mod seccomp;
mod sockaddr;
mod spawn;
mod status;
mod syscall;
mod task_defaults;
mod timer;

pub use child::{Child, FlaggedReader, GroupSignal};
pub use deferred::DeferredReply;
pub use error::{ExecDenial, ExecFile, ExecProblem, Result, SandlockError, SpawnStage};
pub use handler::{AsyncHandler, Handler, HandlerCtx, HandlerError, HandlerFuture, HandlerResult};
pub use kernel::KernelFeatures;
pub use loader::load_paths;
pub use mem::MemoryError;
pub use notif::{ExceptionPolicy, InjectFlags, NotifAction, Notification};
pub use policy::{
    check_capability, check_directory, check_path, check_port, Policy, PolicyBuilder, Stdin, SyscallRules,
    DEFAULT_HANDLER_GRACE, DEFAULT_MAX_OUTPUT,
};
pub use policy_fn::{Category, Control, Decision, Destination, Detail, Event, NetOp, PolicyFn, PolicyFnOptions};
pub use sandbox::{Sandbox, Stdio, StdioOverrides};
pub use status::{ExitStatus, HandlerKill, RunOutput};
pub use syscall::{Syscall, NATIVE_AUDIT_ARCH};

/// The `libc` crate this crate is built with, so that handlers reach errno
/// values (`libc::EACCES`) and syscall numbers (`libc::SYS_openat`) without
/// a dependency of their own: `use sandlock_core::libc;`.
pub use libc;

/// The README's Rust example, built and run by `cargo test` as written.
#[doc = include_str!("../../README.md")]
#[cfg(doctest)]
pub struct ReadmeExamples;

/// The Rust programs of docs/recipes.md, built and run by `cargo test`.
#[doc = include_str!("../../docs/recipes.md")]
#[cfg(doctest)]
pub struct RecipeExamples;
