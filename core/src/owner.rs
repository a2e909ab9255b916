//! The process that made a run's objects. A host that forks without exec
//! (a pre-fork server, Python's `os.fork` and multiprocessing) copies them
//! into its children, which drop them — at exit, through a finalizer —
//! while the run goes on in the parent: a copy dropped there killed the
//! parent's sandbox and removed its temporary directory. A copy in another
//! process acts on nothing (no signal, no directory removed, no stream put
//! back); it only lets go of its memory and fds.

#[derive(Debug, Clone, Copy)]
pub(crate) struct Owner(libc::pid_t);

impl Owner {
    pub(crate) fn this_process() -> Owner {
        Owner(std::process::id() as libc::pid_t)
    }

    /// Whether the caller runs in the process that made the object.
    pub(crate) fn is_here(self) -> bool {
        std::process::id() as libc::pid_t == self.0
    }
}
