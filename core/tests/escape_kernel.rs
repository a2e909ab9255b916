//! Kernel interfaces no sandboxed program needs, each a record of kernel
//! bugs or a window onto host state that Landlock does not mediate: NUMA
//! memory policy, another process's memory advice, file attributes by
//! path, LSM self-inspection, superblock and mount enumeration, and
//! page-cache residency. The filter refuses them for every uid. The uprobe
//! trampolines' syscalls are out of any filter's reach (the kernel passes
//! them through seccomp), and the kernel itself refuses them outside a
//! trampoline.

mod common;

use common::{policy, probe, sandbox_as, Identity};

#[test]
fn unneeded_kernel_interfaces_are_denied() {
    let syscalls = [
        "mbind",
        "set_mempolicy",
        "get_mempolicy",
        "set_mempolicy_home_node",
        "process_madvise",
        "file_getattr",
        "file_setattr",
        "lsm_get_self_attr",
        "lsm_list_modules",
        "ustat",
        "cachestat",
        "statmount",
        "listmount",
        "add_key",
        "keyctl",
        "request_key",
        "bpf",
        "perf_event_open",
        "userfaultfd",
        "kexec_load",
        "finit_module",
        "acct",
        "swapon",
        "syslog",
        "personality",
    ];
    for id in Identity::all() {
        let sandbox = sandbox_as(id, policy());
        for name in syscalls {
            assert_eq!(probe(&sandbox, "surface", &[name]), "EPERM\n", "{id}: {name}");
        }
        assert_eq!(probe(&sandbox, "surface", &["uprobe"]), "ENXIO\n", "{id}: uprobe outside a trampoline");
    }
}

/// State one process's calls take from a pool the whole machine shares, or
/// from other processes: an AIO context's events (one call took all of
/// `fs.aio-max-nr`, and every host process's `io_setup` failed), a futex
/// requeue from a word in a file mapping (a host thread waiting on a
/// process-shared mutex in a file the child could read was moved to the
/// child's word, and never woke). Each is refused with `EPERM`, where the
/// kernel answers the same call made outside; the child's own futexes still
/// requeue.
#[test]
fn machine_wide_pools_and_other_processes_futex_waiters_are_out_of_reach() {
    for name in ["io_setup", "futex_requeue_shared", "futex2_requeue"] {
        assert_eq!(common::probe_unsandboxed("host_shared", &[name]), "ok\n", "{name} outside the sandbox");
    }
    for id in Identity::all() {
        let sandbox = sandbox_as(id, policy());
        for name in ["io_setup", "futex_requeue_shared", "futex2_requeue"] {
            assert_eq!(probe(&sandbox, "host_shared", &[name]), "EPERM\n", "{id}: {name}");
        }
        assert_eq!(probe(&sandbox, "host_shared", &["futex_requeue_private"]), "ok\n", "{id}: a private requeue");
    }
}

/// Queued signals and POSIX timers count per uid against the limit of the
/// process queueing them: with the caller's limit, a uid-0 child took the
/// whole count and the host's root services got `EAGAIN` from
/// `timer_create` and `sigqueue`. The child's limit is half the caller's.
#[test]
fn the_child_may_queue_at_most_half_the_signals_its_caller_may() {
    let (soft, _) = nix::sys::resource::getrlimit(nix::sys::resource::Resource::RLIMIT_SIGPENDING).unwrap();
    for id in Identity::all() {
        let printed = probe(&sandbox_as(id, policy()), "host_shared", &["sigpending"]);
        assert_eq!(printed, format!("{} {}\n", soft / 2, soft / 2), "{id}");
    }
}
