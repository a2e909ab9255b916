//! Handlers the policy itself needs; they run before user handlers.

mod procfs;
mod task_limit;

use std::sync::Arc;

use crate::handler::Handler;
use crate::policy::Policy;
use crate::syscall::number_of;

pub(crate) struct Builtins {
    pub handlers: Vec<(u32, Arc<dyn Handler>)>,
    /// `/proc` is left out of the Landlock rules: the procfs built-in opens
    /// it on the child's behalf.
    pub proc_hidden: bool,
}

pub(crate) fn for_policy(policy: &Policy) -> Builtins {
    let mut handlers: Vec<(u32, Arc<dyn Handler>)> = Vec::new();
    let proc_hidden = policy.grants_proc();
    if proc_hidden {
        let procfs: Arc<dyn Handler> = Arc::new(procfs::ProcFs);
        for name in ["open", "openat", "openat2"] {
            if let Some(nr) = number_of(name) {
                handlers.push((nr, Arc::clone(&procfs)));
            }
        }
    }
    if let Some(max) = policy.max_processes {
        let limit: Arc<dyn Handler> = Arc::new(task_limit::TaskLimit { max });
        for name in ["clone", "fork", "vfork"] {
            if let Some(nr) = number_of(name) {
                handlers.push((nr, Arc::clone(&limit)));
            }
        }
    }
    Builtins { handlers, proc_hidden }
}
