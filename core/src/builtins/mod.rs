//! Handlers the policy itself needs. Those that decide run before user
//! handlers; those that carry a call out on the child's behalf run after
//! them, in the place of the kernel.

pub(crate) mod net;
mod procfs;
pub(crate) mod task_limit;

use std::sync::Arc;

use crate::handler::Handler;
use crate::policy::Policy;
use crate::syscall::number_of;

/// The built-in handlers of a policy, in chain order around user handlers.
pub(crate) struct Builtins {
    /// Run before user handlers.
    pub first: Vec<(u32, Arc<dyn Handler>)>,
    /// Run after user handlers: they perform the call themselves.
    pub last: Vec<(u32, Arc<dyn Handler>)>,
}

/// Put `handler` on the syscalls `names` that the policy's allowlist (if
/// any) admits: a notified syscall reaches the supervisor before the
/// filter's allowlist, and a built-in that lets it go on would run a call
/// the policy closed.
fn register(policy: &Policy, list: &mut Vec<(u32, Arc<dyn Handler>)>, names: &[&str], handler: Arc<dyn Handler>) {
    for nr in names.iter().filter_map(|name| number_of(name)) {
        if policy.allowlist_admits(nr) {
            list.push((nr, Arc::clone(&handler)));
        }
    }
}

/// The built-in handlers a policy needs. When the policy grants `/proc`,
/// Landlock gets no `/proc` rule and the procfs built-in opens it on the
/// child's behalf; when it lets the child bind or listen, the net built-in
/// does both on the child's own socket. `task_limit`: enforce
/// `max_processes` here (a `policy_fn` enforces it itself, lowered or not).
pub(crate) fn for_policy(policy: &Policy, task_limit: bool) -> Builtins {
    let mut first = Vec::new();
    let mut last = Vec::new();
    if policy.grants_proc() {
        let child = procfs::ProcFs {
            uid: policy.uid.unwrap_or_else(|| nix::unistd::geteuid().as_raw()),
            gid: policy.gid.unwrap_or_else(|| nix::unistd::getegid().as_raw()),
            caps: crate::caps::mask(&policy.keep_capabilities),
        };
        register(policy, &mut first, &["open", "openat", "openat2"], Arc::new(child));
    }
    if let (true, Some(max)) = (task_limit, policy.max_processes) {
        // Last: it lets the clone go itself, once every other handler did.
        register(policy, &mut last, &["clone", "fork", "vfork"], Arc::new(task_limit::TaskLimit::new(max)));
    }
    let (bind, listen) = (mediates_bind(policy), policy.grants_tcp_bind() || policy.allow_unix_sockets);
    if bind || listen {
        let guard: Arc<dyn Handler> = Arc::new(net::NetGuard::for_policy(policy));
        if bind {
            register(policy, &mut last, &["bind"], Arc::clone(&guard));
        }
        if listen {
            register(policy, &mut last, &["listen"], guard);
        }
    }
    Builtins { first, last }
}

/// The net built-in makes the child's TCP and netlink binds (a UNIX
/// socket's it leaves to the kernel under `allow_unix_sockets`); without any
/// bind grant the filter refuses them.
pub(crate) fn mediates_bind(policy: &Policy) -> bool {
    policy.grants_tcp_bind() || policy.allow_netlink
}
