//! The child's own `/proc` entries, served by the procfs built-in. The
//! built-in opens them in the supervisor, so a file whose content depends
//! on the opener's credentials (CAP_SYS_ADMIN for pagemap frame numbers
//! and kernel stacks) shows the supervisor's view, and the net/ entries of
//! the child's pid describe the host's network namespace. Those entries are
//! refused; the ordinary ones stay readable.

mod common;

use common::{policy, probe, program, sandbox_as, Identity};

fn proc_policy() -> sandlock_core::PolicyBuilder {
    policy().fs_read(["/proc"])
}

/// Physical frame numbers (pagemap, the Rowhammer aid), kernel stacks and
/// syscall state (kernel addresses), the memory file, and the host's UNIX
/// and TCP socket tables (bound paths and abstract names, connections of
/// every host process).
#[test]
fn privileged_and_host_wide_proc_entries_are_refused() {
    let refused = [
        "/proc/self/pagemap",
        "/proc/self/stack",
        "/proc/self/syscall",
        "/proc/self/mem",
        "/proc/self/net/unix",
        "/proc/self/net/tcp",
        "/proc/net/tcp",
    ];
    for id in Identity::all() {
        let sandbox = sandbox_as(id, proc_policy());
        for path in refused {
            assert_eq!(probe(&sandbox, "procfs", &["open", path]), "EACCES\n", "{id}: open {path}");
        }
        let out = probe(&sandbox, "procfs", &["task_stack"]);
        assert_eq!(out, "EACCES\n", "{id}: open /proc/self/task/<tid>/stack");
    }
}

/// What the pagemap leak looks like today: the built-in opens pagemap with
/// the supervisor's CAP_SYS_ADMIN, so even a uid-65534 child reads the
/// physical frame number of its stack page (seen: "read 0x8100000000182459"
/// as uid 0 and "read 0x810000000017fbaa" as uid 65534, where uid 65534
/// outside a sandbox reads 0x8100000000000000, the frame number zeroed).
#[test]
fn pagemap_content_does_not_reach_the_child() {
    for id in Identity::all() {
        let sandbox = sandbox_as(id, proc_policy());
        assert_eq!(probe(&sandbox, "procfs", &["pagemap"]), "EACCES\n", "{id}: read of /proc/self/pagemap");
    }
}

#[test]
fn ordinary_proc_entries_of_the_child_stay_readable() {
    for id in Identity::all() {
        let sandbox = sandbox_as(id, proc_policy());
        for path in
            ["/proc/self/status", "/proc/self/stat", "/proc/self/maps", "/proc/self/cmdline", "/proc/self/mountinfo"]
        {
            assert_eq!(probe(&sandbox, "procfs", &["read", path]), "ok\n", "{id}: read {path}");
        }
        assert_eq!(probe(&sandbox, "procfs", &["list", "/proc/self/fd"]), "ok\n", "{id}: list /proc/self/fd");
        // The kernel hands no O_PATH file to another process: such opens
        // are served read-only (they failed with EBADF).
        for path in ["/proc/self", "/proc/self/status"] {
            assert_eq!(probe(&sandbox, "procfs", &["open_path", path]), "ok\n", "{id}: O_PATH {path}");
        }
        assert_eq!(probe(&sandbox, "procfs", &["open_path", "/proc/1/status"]), "EACCES\n", "{id}: O_PATH of pid 1");
    }
}

/// The supervisor opens `/proc` files for the child with the child's ids
/// and capabilities: a process of the sandbox that made itself not
/// dumpable keeps its environment and mappings from the others, as the
/// kernel would (opened with the supervisor's, they were read).
#[test]
fn an_undumpable_process_keeps_its_proc_files_from_the_others() {
    for id in Identity::all() {
        let sandbox = sandbox_as(id, proc_policy());
        let undumpable = program("undumpable");
        let script = format!(
            "SECRET=hunter2 {} > /dev/null & sleep 0.3; \
             cat /proc/$!/environ > /dev/null 2>&1 && echo environ read; \
             cat /proc/$!/maps > /dev/null 2>&1 && echo maps read; \
             cat /proc/self/environ > /dev/null && echo own readable; kill $!",
            undumpable.display()
        );
        let out = sandbox.run(&["/bin/sh", "-c", &script]).unwrap();
        assert_eq!(String::from_utf8_lossy(&out.stdout), "own readable\n", "{id}: {out:?}");
    }
}

#[test]
fn links_of_host_processes_of_any_uid_cannot_be_read() {
    // A host process of the unprivileged uid, and one of root.
    let mut host = [Some(65534), None].map(|uid| {
        let mut command = std::process::Command::new("/bin/sleep");
        command.arg("60");
        if let Some(uid) = uid {
            std::os::unix::process::CommandExt::uid(&mut command, uid);
            std::os::unix::process::CommandExt::gid(&mut command, uid);
        }
        command.spawn().unwrap()
    });
    for id in Identity::all() {
        for sandbox in [sandbox_as(id, policy()), sandbox_as(id, proc_policy())] {
            for process in &host {
                for entry in ["exe", "cwd", "root", "fd/0"] {
                    let path = format!("/proc/{}/{entry}", process.id());
                    // Landlock's ptrace rule: nothing outside the sandbox's
                    // domain may be inspected, whatever its uid.
                    assert_eq!(probe(&sandbox, "procfs", &["readlink", &path]), "EACCES\n", "{id}: {path}");
                }
            }
        }
    }
    for process in &mut host {
        let _ = process.kill();
        let _ = process.wait();
    }
}
