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
