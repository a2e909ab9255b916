//! The deny lists: syscalls that fail with `EPERM` before any handler sees
//! them — in every sandbox, for a uid-0 child, and without a private IPC
//! namespace. `docs/deny-list.md` explains each entry.

/// One syscall of the default deny list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DenyEntry {
    /// The syscall's name, as in the kernel's syscall table.
    pub name: &'static str,
    /// The attack that denying it blocks.
    pub reason: &'static str,
}

const fn entry(name: &'static str, reason: &'static str) -> DenyEntry {
    DenyEntry { name, reason }
}

/// Syscalls denied by default. Names missing on the native arch (such as
/// `iopl` on aarch64) are skipped.
pub const DEFAULT_DENY: &[DenyEntry] = &[
    entry("mount", "remounting or overmounting paths would escape the Landlock view of the filesystem"),
    entry("umount2", "unmounting could uncover hidden paths or disturb the host's mounts"),
    entry("pivot_root", "changing the root mount would escape the filesystem view"),
    entry("chroot", "a chroot can be combined with open directory fds to break out of path checks"),
    entry("fsopen", "new mount API: creates filesystem contexts for mounting"),
    entry("fsconfig", "new mount API: configures a filesystem context to be mounted"),
    entry("fsmount", "new mount API: turns a filesystem context into a mount"),
    entry("fspick", "new mount API: reconfigures an existing mount"),
    entry("move_mount", "new mount API: attaches a mount anywhere in the tree"),
    entry("open_tree", "new mount API: clones a mount tree to reattach it elsewhere"),
    entry("open_tree_attr", "new mount API: clones a mount tree with changed attributes"),
    entry("mount_setattr", "changes mount attributes such as read-only or idmapping"),
    entry(
        "ptrace",
        "a tracer can read and rewrite another process, syscall arguments included after the supervisor checked them",
    ),
    entry("process_vm_readv", "reads another process's memory"),
    entry("process_vm_writev", "writes another process's memory"),
    entry("kcmp", "compares kernel objects of other processes, leaking kernel pointer order"),
    entry("pidfd_getfd", "steals a file descriptor from another process"),
    entry("kexec_load", "loads a new kernel to boot into"),
    entry("kexec_file_load", "loads a new kernel to boot into"),
    entry("init_module", "loads code into the kernel"),
    entry("finit_module", "loads code into the kernel from a file"),
    entry("delete_module", "unloads kernel modules"),
    entry("bpf", "loads eBPF programs, a large kernel attack surface"),
    entry(
        "perf_event_open",
        "profiling exposes kernel addresses and side channels, and has a long record of kernel bugs",
    ),
    entry("userfaultfd", "pauses the kernel mid-copy on a page fault, widening race windows for exploits"),
    entry("add_key", "the kernel keyring is shared state outside the sandbox"),
    entry("request_key", "the kernel keyring is shared state outside the sandbox, and can run a host upcall"),
    entry("keyctl", "reads and changes keys in the kernel keyring"),
    entry(
        "io_setup",
        "AIO contexts take their events from one pool for the whole machine: one call took all of it, and every host process's io_setup failed",
    ),
    entry(
        "futex_requeue",
        "moves waiters between futex words whose flags are in memory; a shared word (a file mapping) holds other processes' waiters",
    ),
    entry("io_uring_setup", "io_uring operations bypass seccomp"),
    entry("io_uring_enter", "io_uring operations bypass seccomp"),
    entry("io_uring_register", "io_uring operations bypass seccomp"),
    entry("open_by_handle_at", "opens files by handle, bypassing path-based checks (the Shocker container escape)"),
    entry("name_to_handle_at", "obtains file handles for open_by_handle_at"),
    entry("unshare", "new namespaces (user namespaces above all) open kernel attack surface and escape path views"),
    entry("setns", "joining another namespace escapes the sandbox's view"),
    entry("personality", "changes the execution domain, e.g. to disable address space randomization"),
    entry("reboot", "reboots or halts the machine"),
    entry("swapon", "adds swap devices"),
    entry("swapoff", "removes swap devices"),
    entry("settimeofday", "changes the system clock"),
    entry("clock_settime", "changes the system clock"),
    entry("clock_adjtime", "changes the system clock"),
    entry("adjtimex", "changes the system clock"),
    entry("iopl", "grants direct access to I/O ports"),
    entry("ioperm", "grants direct access to I/O ports"),
    entry("modify_ldt", "a rarely used interface with a record of kernel bugs"),
    entry("acct", "switches process accounting on or off for the whole system"),
    entry("quotactl", "changes disk quotas"),
    entry("quotactl_fd", "changes disk quotas"),
    entry("syslog", "reads or clears the kernel log, which leaks kernel addresses"),
    entry("vhangup", "hangs up the controlling terminal"),
    entry("lookup_dcookie", "obsolete profiling interface that resolves kernel directory entries"),
    entry("nfsservctl", "obsolete NFS server control"),
    entry("uselib", "obsolete library loader with a record of kernel bugs"),
    entry("sysfs", "obsolete filesystem type enumeration"),
    entry("_sysctl", "obsolete interface that changes kernel parameters"),
    entry("fanotify_init", "watches file access across whole mounts and filesystems"),
    entry("move_pages", "moves or inspects pages of other processes"),
    entry("migrate_pages", "moves pages of other processes between NUMA nodes"),
    entry("setsid", "the sandbox must stay in its process group, so that timeout and kill reach every process"),
    entry("setpgid", "the sandbox must stay in its process group, so that timeout and kill reach every process"),
    entry("lsm_set_self_attr", "changes the process's security-module attributes"),
    entry("lsm_get_self_attr", "reports the host's security-module configuration of the process"),
    entry("lsm_list_modules", "reports which security modules the host runs"),
    entry("mbind", "NUMA memory policy: kernel code with a record of use-after-free bugs (Docker denies it)"),
    entry("set_mempolicy", "NUMA memory policy: kernel code with a record of use-after-free bugs (Docker denies it)"),
    entry("get_mempolicy", "NUMA memory policy: kernel code with a record of use-after-free bugs (Docker denies it)"),
    entry(
        "set_mempolicy_home_node",
        "NUMA memory policy: kernel code with a record of use-after-free bugs (Docker denies it)",
    ),
    entry("process_madvise", "acts on the memory of another process through a pidfd"),
    entry("cachestat", "reports page-cache residency of files, a side channel on what the host reads"),
    entry("statmount", "reads the host's mount tree"),
    entry("listmount", "reads the host's mount tree"),
    entry("file_getattr", "inode attributes by path, new in Linux 6.17 and out of Landlock's view (Docker denies it)"),
    entry("file_setattr", "changes inode attributes by path with only an ownership check, out of Landlock's view"),
    entry("ustat", "obsolete file-system statistics call (Docker denies it)"),
    entry(
        "setxattr",
        "extended attributes and ACLs are not covered by Landlock: a write to files outside the write set",
    ),
    entry("lsetxattr", "as setxattr, on a symlink itself"),
    entry("fsetxattr", "as setxattr, through an fd that may be open for reading only"),
    entry("setxattrat", "as setxattr, relative to a directory fd"),
    entry("removexattr", "as setxattr: removes an extended attribute or ACL"),
    entry("lremovexattr", "as removexattr, on a symlink itself"),
    entry("fremovexattr", "as removexattr, through an fd that may be open for reading only"),
    entry("removexattrat", "as removexattr, relative to a directory fd"),
];

/// Denied too when the child runs as uid 0: Landlock has no right for file
/// modes, owners or times, these calls need only ownership, and a uid-0
/// child owns every root-owned file on the host.
pub const ROOT_CHILD_DENY: &[DenyEntry] = &[
    entry("chmod", "a uid-0 child owns every root-owned file: it could make host files setuid or world-writable"),
    entry("fchmod", "as chmod, through an fd"),
    entry("fchmodat", "as chmod, relative to a directory fd"),
    entry("fchmodat2", "as chmod, with flags"),
    entry("chown", "the owner may change a file's group, which also clears its setuid bits"),
    entry("fchown", "as chown, through an fd"),
    entry("lchown", "as chown, on a symlink itself"),
    entry("fchownat", "as chown, relative to a directory fd"),
    entry("utime", "the owner may set any file times, hiding changes from backups, make and audits"),
    entry("utimes", "as utime, with microseconds"),
    entry("futimesat", "as utime, relative to a directory fd"),
    entry("utimensat", "as utime, with nanoseconds and through fds"),
];

/// Denied unless the policy gives the child a private IPC namespace: SysV
/// IPC objects live in the IPC namespace, not in the file system, so
/// Landlock never sees them and only their mode bits guard them. POSIX
/// message queues are files of the mqueue file system, which Landlock
/// checks only when a queue is opened, after `O_CREAT` made it.
pub const HOST_IPC_DENY: &[DenyEntry] = &[
    entry("shmget", "SysV shared memory of the host's IPC namespace"),
    entry("shmat", "SysV shared memory of the host's IPC namespace"),
    entry("shmctl", "SysV shared memory of the host's IPC namespace"),
    entry("shmdt", "SysV shared memory of the host's IPC namespace"),
    entry("semget", "SysV semaphores of the host's IPC namespace"),
    entry("semop", "SysV semaphores of the host's IPC namespace"),
    entry("semtimedop", "SysV semaphores of the host's IPC namespace"),
    entry("semctl", "SysV semaphores of the host's IPC namespace"),
    entry("msgget", "SysV message queues of the host's IPC namespace"),
    entry("msgsnd", "SysV message queues of the host's IPC namespace"),
    entry("msgrcv", "SysV message queues of the host's IPC namespace"),
    entry("msgctl", "SysV message queues of the host's IPC namespace"),
    // `mq_unlink` is no path call: Landlock never sees it.
    entry("mq_open", "POSIX message queues of the host's IPC namespace"),
    entry("mq_unlink", "POSIX message queues of the host's IPC namespace"),
    entry("mq_timedsend", "POSIX message queues of the host's IPC namespace"),
    entry("mq_timedreceive", "POSIX message queues of the host's IPC namespace"),
    entry("mq_notify", "POSIX message queues of the host's IPC namespace"),
    entry("mq_getsetattr", "POSIX message queues of the host's IPC namespace"),
];

/// Native numbers of `entries` that exist on this arch, sorted.
fn numbers(entries: &[DenyEntry]) -> Vec<u32> {
    let mut nrs: Vec<u32> = entries.iter().filter_map(|e| crate::syscall::number_of(e.name)).collect();
    nrs.sort_unstable();
    nrs.dedup();
    nrs
}

pub(crate) fn default_deny_numbers() -> &'static [u32] {
    static NUMBERS: std::sync::OnceLock<Vec<u32>> = std::sync::OnceLock::new();
    crate::fork_locks::get_or_init(&NUMBERS, || numbers(DEFAULT_DENY)).as_slice()
}

pub(crate) fn root_child_deny_numbers() -> &'static [u32] {
    static NUMBERS: std::sync::OnceLock<Vec<u32>> = std::sync::OnceLock::new();
    crate::fork_locks::get_or_init(&NUMBERS, || numbers(ROOT_CHILD_DENY)).as_slice()
}

pub(crate) fn host_ipc_deny_numbers() -> &'static [u32] {
    static NUMBERS: std::sync::OnceLock<Vec<u32>> = std::sync::OnceLock::new();
    crate::fork_locks::get_or_init(&NUMBERS, || numbers(HOST_IPC_DENY)).as_slice()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::syscall::number_of;

    #[test]
    fn numbers_cover_the_key_entries_sorted_and_unique() {
        let nrs = default_deny_numbers();
        for name in ["mount", "ptrace", "io_uring_setup", "unshare", "setsid", "setpgid"] {
            let nr = number_of(name).unwrap();
            assert!(nrs.binary_search(&nr).is_ok(), "{name} missing");
        }
        assert!(nrs.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn numbers_skip_only_names_missing_on_this_arch() {
        let known = DEFAULT_DENY.iter().filter(|e| number_of(e.name).is_some()).count();
        assert_eq!(default_deny_numbers().len(), known);
    }

    #[test]
    fn every_entry_has_a_reason() {
        for e in DEFAULT_DENY.iter().chain(ROOT_CHILD_DENY).chain(HOST_IPC_DENY) {
            assert!(!e.reason.trim().is_empty(), "{} has no reason", e.name);
        }
    }

    #[test]
    fn names_are_unique() {
        let mut names: Vec<&str> =
            DEFAULT_DENY.iter().chain(ROOT_CHILD_DENY).chain(HOST_IPC_DENY).map(|e| e.name).collect();
        names.sort_unstable();
        let before = names.len();
        names.dedup();
        assert_eq!(names.len(), before, "a name is in two deny lists");
    }

    #[test]
    fn every_entry_is_documented_with_its_reason() {
        let doc = include_str!("../../docs/deny-list.md");
        for e in DEFAULT_DENY.iter().chain(ROOT_CHILD_DENY).chain(HOST_IPC_DENY) {
            let row = format!("| `{}` | {} |", e.name, e.reason);
            assert!(doc.contains(&row), "docs/deny-list.md lacks the row: {row}");
        }
    }
}
