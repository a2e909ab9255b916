//! Handlers the policy itself needs; they run before user handlers.

mod procfs;
mod task_limit;

use std::sync::Arc;

use crate::handler::Handler;
use crate::policy::Policy;
use crate::syscall::number_of;

/// The built-in handlers a policy needs, in chain order. When the policy
/// grants `/proc`, Landlock gets no `/proc` rule and the procfs built-in
/// opens it on the child's behalf.
pub(crate) fn for_policy(policy: &Policy) -> Vec<(u32, Arc<dyn Handler>)> {
    let mut handlers: Vec<(u32, Arc<dyn Handler>)> = Vec::new();
    if policy.grants_proc() {
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
    handlers
}
