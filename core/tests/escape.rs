//! Escape attempts: each test runs a real program under a real policy and
//! asserts exactly what the program observed (the errno it printed, or how
//! it ended).

mod common;

use std::ffi::OsStr;
use std::fs;
use std::net::TcpListener;
use std::os::unix::fs::symlink;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{policy, probe, program, pseudo_terminal, sandbox, sandbox_as, Identity, TempDir};
use sandlock_core::{
    Category, Control, Decision, Event, ExitStatus, HandlerCtx, HandlerResult, NotifAction, Policy, SandlockError,
    Stdin, Syscall,
};

const SIGSYS: i32 = 31;
const SIGKILL: i32 = 9;
const SIGTERM: &str = "15";

/// A port nothing listens on now: bound to an ephemeral port, then released.
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").expect("binding an ephemeral port").local_addr().unwrap().port()
}

fn errno() -> i32 {
    std::io::Error::last_os_error().raw_os_error().expect("an OS error")
}

/// True once `pid` has exited: it is gone, or a zombie waiting for PID 1
/// (which reaps orphans lazily on this machine). Waits up to two seconds for
/// the kernel to finish delivering SIGKILL.
fn exits_soon(pid: i32) -> bool {
    let deadline = Instant::now() + Duration::from_secs(2);
    loop {
        // SAFETY: signal 0 only checks that the process exists.
        if unsafe { libc::kill(pid, 0) } < 0 && errno() == libc::ESRCH {
            return true;
        }
        if let Ok(stat) = fs::read_to_string(format!("/proc/{pid}/stat")) {
            let state = stat.rsplit_once(')').map(|(_, rest)| rest.trim_start().chars().next());
            if state == Some(Some('Z')) {
                return true;
            }
        }
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn writes_outside_the_write_set_are_denied() {
    for id in Identity::all() {
        // World-writable dirs: only the sandbox keeps uid 65534 out of them.
        let writable = TempDir::new_shared();
        let readable = TempDir::new_shared();
        let outside = TempDir::new_shared();
        let sandbox = sandbox_as(id, policy().fs_read([readable.path()]).fs_write([writable.path()]));
        assert_eq!(probe(&sandbox, "fs", &["write", &outside.file("f")]), "EACCES\n", "{id}");
        assert_eq!(probe(&sandbox, "fs", &["write", &readable.file("f")]), "EACCES\n", "{id}");
        assert_eq!(probe(&sandbox, "fs", &["write", &writable.file("f")]), "ok\n", "{id}");
        assert_eq!(fs::read(writable.file("f")).unwrap(), b"x", "{id}");
        assert!(!outside.path().join("f").exists(), "{id}");
        assert!(!readable.path().join("f").exists(), "{id}");
    }
}

#[test]
fn reads_outside_the_read_set_are_denied() {
    for id in Identity::all() {
        // World-readable files: only the sandbox keeps uid 65534 from them.
        let readable = TempDir::new_public();
        let outside = TempDir::new_public();
        readable.file_with_mode("f", "visible", 0o644);
        outside.file_with_mode("f", "secret", 0o644);
        let sandbox = sandbox_as(id, policy().fs_read([readable.path()]));
        assert_eq!(probe(&sandbox, "fs", &["read", &outside.file("f")]), "EACCES\n", "{id}");
        assert_eq!(probe(&sandbox, "fs", &["read", &readable.file("f")]), "ok\n", "{id}");
    }
}

#[test]
fn symlink_in_the_write_dir_does_not_lead_outside() {
    for id in Identity::all() {
        let writable = TempDir::new_shared();
        let outside = TempDir::new_public();
        // Readable and writable by any uid: only the sandbox stands between.
        outside.file_with_mode("secret", "secret", 0o666);
        symlink(outside.file("secret"), writable.file("escape")).unwrap();
        let sandbox = sandbox_as(id, policy().fs_write([writable.path()]));
        assert_eq!(probe(&sandbox, "fs", &["read", &writable.file("escape")]), "EACCES\n", "{id}");
        assert_eq!(probe(&sandbox, "fs", &["write", &writable.file("escape")]), "EACCES\n", "{id}");
        assert_eq!(fs::read_to_string(outside.file("secret")).unwrap(), "secret", "{id}");
    }
}

#[test]
fn hardlink_to_a_file_outside_is_denied() {
    for id in Identity::all() {
        let writable = TempDir::new_shared();
        let outside = TempDir::new_public();
        // Mode 0666, so that fs.protected_hardlinks lets uid 65534 link
        // root's files and only Landlock decides.
        outside.file_with_mode("secret", "secret", 0o666);
        writable.file_with_mode("own", "own", 0o666);
        let sandbox = sandbox_as(id, policy().fs_write([writable.path()]));
        // Landlock refuses a link that would give the file more access than it
        // has at its source with EXDEV (see landlock's current_check_refer_path).
        let escape = ["link", &outside.file("secret"), &writable.file("alias")];
        assert_eq!(probe(&sandbox, "fs", &escape), "EXDEV\n", "{id}");
        assert!(!writable.path().join("alias").exists(), "{id}");
        assert_eq!(probe(&sandbox, "fs", &["link", &writable.file("own"), &writable.file("own2")]), "ok\n", "{id}");
    }
}

#[test]
fn standard_devices_are_usable_and_no_other_device_is() {
    for id in Identity::all() {
        let sandbox = sandbox_as(id, policy());
        for device in ["/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom"] {
            assert_eq!(probe(&sandbox, "fs", &["read", device]), "ok\n", "{id}: reading {device}");
        }
        for device in ["/dev/null", "/dev/zero", "/dev/random", "/dev/urandom"] {
            assert_eq!(probe(&sandbox, "fs", &["write", device]), "ok\n", "{id}: writing {device}");
        }
        // The device's own answer: the open was allowed.
        assert_eq!(probe(&sandbox, "fs", &["write", "/dev/full"]), "ENOSPC\n", "{id}");
        // No ioctl on them, and no other device (kmsg is readable by any uid).
        assert_eq!(probe(&sandbox, "fs", &["entropy", "/dev/urandom"]), "EACCES\n", "{id}");
        assert_eq!(probe(&sandbox, "fs", &["read", "/dev/kmsg"]), "EACCES\n", "{id}");
        assert_eq!(probe(&sandbox, "fs", &["write", "/dev/kmsg"]), "EACCES\n", "{id}");
        // Turned off, even /dev/null is out of reach.
        let without = sandbox_as(id, policy().std_devices(false));
        assert_eq!(probe(&without, "fs", &["write", "/dev/null"]), "EACCES\n", "{id}");
        assert_eq!(probe(&without, "fs", &["read", "/dev/urandom"]), "EACCES\n", "{id}");
    }
}

/// An object in the host's `/dev/shm`, as another program's POSIX shared
/// memory (`shm_open` name `/NAME`); removed on drop.
struct HostShm {
    name: String,
}

impl HostShm {
    fn new(tag: &str, mode: u32) -> HostShm {
        use std::os::unix::fs::PermissionsExt;
        let shm = HostShm { name: format!("sandlock-escape-{tag}-{}", std::process::id()) };
        fs::write(shm.path(), "secret").unwrap();
        fs::set_permissions(shm.path(), fs::Permissions::from_mode(mode)).unwrap();
        shm
    }

    fn path(&self) -> PathBuf {
        PathBuf::from("/dev/shm").join(&self.name)
    }

    fn shm_name(&self) -> String {
        format!("/{}", self.name)
    }
}

impl Drop for HostShm {
    fn drop(&mut self) {
        let _ = fs::remove_file(self.path());
    }
}

/// Without `private_shm` no rule grants `/dev/shm`; with it the child gets
/// a tmpfs of its own: the host's objects (world-writable ones included)
/// are not there, what it creates never reaches the host, and the next run
/// starts empty.
#[test]
fn private_shm_is_the_runs_own_and_hides_the_hosts_objects() {
    for id in Identity::all() {
        let host = HostShm::new(&format!("{}", id.uid()), 0o666);
        let shared = sandbox_as(id, policy());
        assert_eq!(probe(&shared, "ipc", &["shm_open", &host.shm_name()]), "EACCES\n", "{id}");
        assert_eq!(probe(&shared, "ipc", &["sem_new", "/sandlock-escape-sem"]), "EACCES\n", "{id}");
        let private = sandbox_as(id, policy().private_shm(true));
        assert_eq!(probe(&private, "ipc", &["shm_open", &host.shm_name()]), "ENOENT\n", "{id}");
        assert_eq!(fs::read_to_string(host.path()).unwrap(), "secret", "{id}");
        assert_eq!(probe(&private, "ipc", &["sem_new", "/sandlock-escape-sem"]), "ok\n", "{id}");
        let mine = format!("/dev/shm/sandlock-escape-mine-{}", std::process::id());
        assert_eq!(probe(&private, "fs", &["write", &mine]), "ok\n", "{id}");
        assert!(!PathBuf::from(&mine).exists(), "{id}: the child's object reached the host");
        assert_eq!(probe(&private, "fs", &["read", &mine]), "ENOENT\n", "{id}: a second run saw the first's");
        // The mount namespace grants nothing else: the rest is as before.
        assert_eq!(probe(&private, "fs", &["write", "/dev/sandlock-escape"]), "EACCES\n", "{id}");
        assert_eq!(probe(&private, "fs", &["write", "/etc/sandlock-escape"]), "EACCES\n", "{id}");
    }
}

/// An unprivileged caller gets its private `/dev/shm` through a user
/// namespace; the child keeps the caller's uid there, so it would own the
/// caller's own objects in the host's `/dev/shm`: they must stay hidden.
#[test]
fn an_unprivileged_callers_private_shm_hides_its_own_objects() {
    common::as_unprivileged_caller("an_unprivileged_callers_private_shm_hides_its_own_objects", &[], || {
        let own = HostShm::new("own", 0o600);
        let mine = format!("/dev/shm/sandlock-escape-mine-{}", std::process::id());
        let policy = Policy::builder().fs_read(common::system_read_paths()).private_shm(true).build().unwrap();
        // The user namespace gives the program no privilege: no namespace
        // or mount of its own.
        let script = format!(
            "cat {} || echo hidden; echo x > {mine} && cat {mine}; id -u; unshare -r true || echo no-unshare; \
             mount -t tmpfs none /tmp || echo no-mount",
            own.path().display()
        );
        let out = sandlock_core::Sandbox::new(policy).unwrap().run(&["/bin/sh", "-c", &script]).unwrap();
        assert_eq!(
            String::from_utf8_lossy(&out.stdout),
            format!("hidden\nx\n{}\nno-unshare\nno-mount\n", common::NOBODY),
            "{out:?}"
        );
        assert!(!PathBuf::from(&mine).exists(), "the child's object reached the host");
        assert_eq!(fs::read_to_string(own.path()).unwrap(), "secret");
    });
}

/// The first line a spawned `sh -c SCRIPT` prints; the child keeps running.
fn spawn_and_read_line(sandbox: &sandlock_core::Sandbox, script: &str) -> (sandlock_core::Child, String) {
    use std::io::BufRead;
    let mut fds = [0; 2];
    // SAFETY: pipe2 writes two new fds into `fds`.
    assert_eq!(unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) }, 0);
    // SAFETY: both fds are new and owned by nobody else.
    let (read, write) = unsafe {
        use std::os::fd::FromRawFd;
        (fs::File::from_raw_fd(fds[0]), std::os::fd::OwnedFd::from_raw_fd(fds[1]))
    };
    let stdio = sandlock_core::StdioOverrides {
        stdout: Some(sandlock_core::Stdio::Fd(write)),
        stderr: Some(sandlock_core::Stdio::Null),
        ..Default::default()
    };
    let child = sandbox.spawn_with(&["/bin/sh", "-c", script], stdio).unwrap();
    let mut line = String::new();
    std::io::BufReader::new(read).read_line(&mut line).unwrap();
    (child, line.trim_end().to_string())
}

/// A run's private temporary directory is its alone: another run, even
/// under the same uid, cannot read or write it, nor write next to it; and
/// removing it follows no link the child left there.
#[test]
fn private_tmp_is_the_runs_alone_and_its_removal_follows_no_link() {
    for id in Identity::all() {
        let sandbox = sandbox_as(id, policy().private_tmp(true));
        let (mut first, dir) =
            spawn_and_read_line(&sandbox, r#"echo secret > "$TMPDIR/f" && echo "$TMPDIR" && exec sleep 30"#);
        let dir = PathBuf::from(dir);
        assert_eq!(dir.parent(), Some(std::env::temp_dir().as_path()), "{id}");
        let file = dir.join("f");
        let file = file.to_str().unwrap();
        assert_eq!(probe(&sandbox, "fs", &["read", file]), "EACCES\n", "{id}: another run read it");
        assert_eq!(probe(&sandbox, "fs", &["write", dir.join("g").to_str().unwrap()]), "EACCES\n", "{id}");
        let beside = std::env::temp_dir().join(format!("sandlock-escape-beside-{}", std::process::id()));
        assert_eq!(probe(&sandbox, "fs", &["write", beside.to_str().unwrap()]), "EACCES\n", "{id}");
        assert!(!beside.exists(), "{id}");
        first.kill().unwrap();
        first.wait().unwrap();
        assert!(!dir.exists(), "{id}: {} outlived its run", dir.display());

        // Links to a host directory, and a directory the child shut (a
        // uid-0 child may not chmod: the filter denies it).
        let host = TempDir::new_public();
        let kept = host.file_with_mode("kept", "host data", 0o644);
        let script = format!(
            r#"ln -s {0} "$TMPDIR/link" && ln -s {kept} "$TMPDIR/file" && mkdir "$TMPDIR/shut" && ln -s {0} "$TMPDIR/shut/link" ; chmod 000 "$TMPDIR/shut"; echo "$TMPDIR""#,
            host.path().display()
        );
        let (mut second, dir) = spawn_and_read_line(&sandbox, &script);
        assert_eq!(second.wait().unwrap(), ExitStatus::Exited(0), "{id}");
        assert!(!PathBuf::from(&dir).exists(), "{id}: {dir} outlived its run");
        assert_eq!(fs::read_to_string(&kept).unwrap(), "host data", "{id}");
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(fs::metadata(host.path()).unwrap().permissions().mode() & 0o777, 0o755, "{id}");

        // Nested deeper than a path can name (Landlock's checks walk the
        // whole depth on every call, so the child's own nesting is kept
        // short; `private_tmp.rs` removes 25,000 levels, beyond the fds
        // and stack a recursive walk needs).
        let script = format!(r#"echo "$({} deep "$TMPDIR" 2500) $TMPDIR""#, program("fs").display());
        let (mut third, line) = spawn_and_read_line(&sandbox, &script);
        assert_eq!(third.wait().unwrap(), ExitStatus::Exited(0), "{id}");
        let dir = line.strip_prefix("ok ").unwrap_or_else(|| panic!("{id}: the probe said {line}"));
        assert!(!PathBuf::from(dir).exists(), "{id}: {dir} outlived its run");
    }
}

#[test]
fn tcp_connect_reaches_only_allowed_ports() {
    let allowed = TcpListener::bind("127.0.0.1:0").unwrap();
    let denied = TcpListener::bind("127.0.0.1:0").unwrap();
    let allowed_port = allowed.local_addr().unwrap().port();
    let denied_port = denied.local_addr().unwrap().port();
    for id in Identity::all() {
        let sandbox = sandbox_as(id, policy().net_connect_tcp([allowed_port]));
        assert_eq!(probe(&sandbox, "net", &["connect", &denied_port.to_string()]), "EACCES\n", "{id}");
        assert_eq!(probe(&sandbox, "net", &["connect", &allowed_port.to_string()]), "ok\n", "{id}");
    }
}

#[test]
fn tcp_bind_takes_only_allowed_ports() {
    for id in Identity::all() {
        // Ephemeral ports, above 1024: uid 65534 needs no privilege for them.
        let allowed_port = free_port();
        let denied_port = free_port();
        let sandbox = sandbox_as(id, policy().net_bind_tcp([allowed_port]));
        assert_eq!(probe(&sandbox, "net", &["bind", &denied_port.to_string()]), "EACCES\n", "{id}");
        assert_eq!(probe(&sandbox, "net", &["bind", &allowed_port.to_string()]), "ok\n", "{id}");
    }
}

#[test]
fn raw_packet_and_netlink_sockets_are_denied() {
    for id in Identity::all() {
        let sandbox = sandbox_as(id, policy());
        assert_eq!(probe(&sandbox, "net", &["socket", "raw"]), "EPERM\n", "{id}");
        assert_eq!(probe(&sandbox, "net", &["socket", "packet"]), "EPERM\n", "{id}");
        assert_eq!(probe(&sandbox, "net", &["socket", "netlink"]), "EPERM\n", "{id}");
    }
}

#[test]
fn netlink_opens_only_when_allowed() {
    for id in Identity::all() {
        let sandbox = sandbox_as(id, policy().allow_netlink(true));
        assert_eq!(probe(&sandbox, "net", &["socket", "netlink"]), "ok\n", "{id}");
        assert_eq!(probe(&sandbox, "net", &["socket", "netlink_diag"]), "ok\n", "{id}");
        assert_eq!(probe(&sandbox, "net", &["socket", "netlink_usersock"]), "EPERM\n", "{id}");
        assert_eq!(probe(&sandbox, "net", &["socket", "packet"]), "EPERM\n", "{id}");
    }
}

#[test]
fn mounts_and_user_namespaces_are_denied() {
    for id in Identity::all() {
        let sandbox = sandbox_as(id, policy());
        assert_eq!(probe(&sandbox, "kernel", &["mount"]), "EPERM\n", "{id}");
        assert_eq!(probe(&sandbox, "kernel", &["unshare_user"]), "EPERM\n", "{id}");
        assert_eq!(probe(&sandbox, "kernel", &["clone_newuser"]), "EPERM\n", "{id}");
    }
}

#[test]
fn the_parent_cannot_be_traced_signalled_or_written() {
    for id in Identity::all() {
        let sandbox = sandbox_as(id, policy());
        assert_eq!(probe(&sandbox, "process", &["ptrace_parent"]), "EPERM\n", "{id}");
        assert_eq!(probe(&sandbox, "process", &["kill_parent", "0"]), "EPERM\n", "{id}");
        assert_eq!(probe(&sandbox, "process", &["kill_parent", SIGTERM]), "EPERM\n", "{id}");
        assert_eq!(probe(&sandbox, "process", &["process_vm_writev_parent"]), "EPERM\n", "{id}");
        // prlimit on another process needs only matching uids (no capability,
        // no Landlock hook): RLIMIT_CPU on the parent would kill it.
        assert_eq!(probe(&sandbox, "process", &["prlimit_parent"]), "EPERM\n", "{id}");
        assert_eq!(probe(&sandbox, "process", &["pidfd_kill_parent"]), "EPERM\n", "{id}");
        // A pidfd of a host process tells no more than that it lives: not
        // its uid, parent or cgroup.
        assert_eq!(probe(&sandbox, "process", &["pidfd_info_parent"]), "ENOTTY\n", "{id}");
    }
}

/// `clone(CLONE_PARENT)` would make a process the child of the sandbox's
/// parent — this test process — which reaps only the program it started:
/// every such process would stay a zombie in the caller.
#[test]
fn no_process_becomes_a_child_of_the_caller() {
    for id in Identity::all() {
        let sandbox = sandbox_as(id, policy());
        assert_eq!(probe(&sandbox, "process", &["clone_parent"]), "EPERM\n", "{id}");
        // Forks and threads, which glibc makes with plain clone, still work.
        let out = sandbox.run(&["sh", "-c", "(true) && echo forked"]).unwrap();
        assert_eq!(String::from_utf8_lossy(&out.stdout), "forked\n", "{id}: {out:?}");
    }
}

#[test]
fn signals_reach_only_the_sandbox_group() {
    // SAFETY: getpgrp has no memory effects.
    let own_group = unsafe { libc::getpgrp() };
    for id in Identity::all() {
        // A process of a foreign group, of the child's own uid (the kernel
        // alone would let the signal through), that SIGTERM would end.
        let mut victim =
            std::process::Command::new("sleep").arg("10").process_group(0).uid(id.uid()).gid(id.uid()).spawn().unwrap();
        let sandbox = sandbox_as(id, policy());
        assert_eq!(probe(&sandbox, "process", &["kill_group", &own_group.to_string(), "0"]), "EPERM\n", "{id}");
        let kill_victim = ["kill_group", &victim.id().to_string(), SIGTERM];
        assert_eq!(probe(&sandbox, "process", &kill_victim), "EPERM\n", "{id}");
        assert_eq!(probe(&sandbox, "process", &["kill_own_group"]), "ok\n", "{id}");
        assert_eq!(victim.try_wait().unwrap(), None, "{id}: the foreign group was signalled");
        victim.kill().unwrap();
        victim.wait().unwrap();
    }
}

#[test]
fn io_uring_and_file_handles_are_denied() {
    for id in Identity::all() {
        let sandbox = sandbox_as(id, policy());
        assert_eq!(probe(&sandbox, "kernel", &["io_uring_setup"]), "EPERM\n", "{id}");
        assert_eq!(probe(&sandbox, "kernel", &["open_by_handle_at"]), "EPERM\n", "{id}");
    }
}

#[test]
fn parent_memory_cannot_be_opened_through_proc() {
    for id in Identity::all() {
        let sandbox = sandbox_as(id, policy().fs_read(["/proc"]));
        assert_eq!(probe(&sandbox, "process", &["parent_mem"]), "EACCES\n", "{id}");
    }
}

#[test]
fn fork_bomb_is_bounded_by_max_processes() {
    for id in Identity::all() {
        let sandbox = sandbox_as(id, policy().max_processes(16).timeout(Duration::from_secs(10)));
        let started = Instant::now();
        let out = sandbox.run(&[program("fork_bomb")]).unwrap();
        assert_eq!(String::from_utf8_lossy(&out.stdout), "EAGAIN\n", "{id}");
        assert_eq!(out.status, ExitStatus::Exited(0), "{id}");
        assert!(!out.timed_out, "{id}");
        assert!(started.elapsed() < Duration::from_secs(5), "{id}: took {:?}", started.elapsed());
        // The host can still start processes.
        assert!(std::process::Command::new("true").status().unwrap().success(), "{id}");
    }
}

/// Tasks cloning at the same moment: each clone is counted once the one
/// before it is a task (counting before the kernel made it let 8 bombers
/// of 8 threads reach 112–117 tasks under a limit of 100).
#[test]
fn tasks_forking_at_once_stay_within_max_processes() {
    for id in Identity::all() {
        let limited = || sandbox_as(id, policy().max_processes(100).timeout(Duration::from_secs(60)));
        // The built-in, and a policy_fn, which enforces the limit itself.
        let watched = limited().policy_fn(Category::PROCESS, |_: &Event, _: &Control| Decision::Allow);
        for (how, sandbox) in [("built-in", limited()), ("policy_fn", watched)] {
            let out = sandbox.run(&[program("fork_race").into_os_string(), "8".into(), "8".into()]).unwrap();
            let peak = common::printed_count(&out, "peak");
            assert!(peak <= 100, "{id} {how}: {peak} tasks at once under a limit of 100");
            assert!(peak >= 90, "{id} {how}: only {peak} tasks: the limit refused forks it had room for");
        }
    }
}

/// The limit lets a clone go itself, so it comes after the embedder's own
/// handlers of it: a handler refusing forks still refuses them under a
/// process limit, with or without a policy_fn.
#[test]
fn a_handler_on_forks_is_asked_under_max_processes() {
    for id in Identity::all() {
        let asked = Arc::new(AtomicUsize::new(0));
        let refusing = |sandbox: sandlock_core::Sandbox| {
            ["clone", "fork", "vfork"].iter().fold(sandbox, |sandbox, name| {
                let asked = Arc::clone(&asked);
                sandbox.add_handler(Syscall::from_name(name).unwrap(), move |_: &HandlerCtx| -> HandlerResult {
                    asked.fetch_add(1, Ordering::SeqCst);
                    Ok(NotifAction::Errno(libc::EPERM))
                })
            })
        };
        let limited = || sandbox_as(id, policy().max_processes(50));
        let watched = limited().policy_fn(Category::PROCESS, |_: &Event, _: &Control| Decision::Allow);
        for (how, sandbox) in [("built-in", refusing(limited())), ("policy_fn", refusing(watched))] {
            asked.store(0, Ordering::SeqCst);
            let out = sandbox.run(&["/bin/sh", "-c", "/bin/true && echo ran"]).unwrap();
            assert_eq!(String::from_utf8_lossy(&out.stdout), "", "{id} {how}: the fork the handler refused ran");
            assert!(asked.load(Ordering::SeqCst) >= 1, "{id} {how}: the handler was never asked");
        }
    }
}

#[test]
fn timeout_kills_a_sleeping_program() {
    for id in Identity::all() {
        let sandbox = sandbox_as(id, policy().timeout(Duration::from_millis(300)));
        let started = Instant::now();
        let out = sandbox.run(&["sleep", "30"]).unwrap();
        let elapsed = started.elapsed();
        assert!(out.timed_out, "{id}");
        assert_eq!(out.status, ExitStatus::Signaled(SIGKILL), "{id}");
        assert!(elapsed >= Duration::from_millis(300), "{id}: returned after {elapsed:?}");
        assert!(elapsed < Duration::from_secs(5), "{id}: returned after {elapsed:?}");
    }
}

#[test]
fn timeout_kills_the_whole_process_group() {
    for id in Identity::all() {
        // Time for a loaded machine to start the grandchild and say so.
        let sandbox = sandbox_as(id, policy().timeout(Duration::from_secs(2)));
        let out = sandbox.run(&[program("orphan")]).unwrap();
        assert!(out.timed_out, "{id}");
        assert_eq!(out.status, ExitStatus::Signaled(SIGKILL), "{id}");
        let stdout = String::from_utf8(out.stdout).unwrap();
        let grandchild: i32 = stdout.trim_end().parse().unwrap_or_else(|_| panic!("{id}: no pid in {stdout:?}"));
        assert!(exits_soon(grandchild), "{id}: grandchild {grandchild} survived the timeout");
    }
}

#[test]
fn terminal_injection_ioctls_are_denied() {
    for id in Identity::all() {
        let sandbox = sandbox_as(id, policy());
        assert_eq!(probe(&sandbox, "kernel", &["tiocsti"]), "EPERM\n", "{id}");
        assert_eq!(probe(&sandbox, "kernel", &["tiocsti_high"]), "EPERM\n", "{id}");
        assert_eq!(probe(&sandbox, "kernel", &["tioclinux"]), "EPERM\n", "{id}");
        // Signalling the terminal's foreground group, or making another
        // group of its session the foreground one.
        assert_eq!(probe(&sandbox, "kernel", &["tiocswinsz"]), "EPERM\n", "{id}");
        assert_eq!(probe(&sandbox, "kernel", &["tiocspgrp"]), "EPERM\n", "{id}");
        // Leaving the terminal unusable to the host after the run.
        for call in ["tiocsetd", "tcxonc", "tiocexcl"] {
            assert_eq!(probe(&sandbox, "kernel", &[call]), "EPERM\n", "{id}: {call}");
        }
        // Other ioctls reach the kernel, which finds no terminal on /dev/null.
        assert_eq!(probe(&sandbox, "kernel", &["tcgets"]), "ENOTTY\n", "{id}");
    }
}

#[test]
fn console_and_line_requests_on_a_shared_terminal_are_denied() {
    // Requests with their argument where it matters ("" = a zeroed buffer).
    let denied = [
        ("0x5606", "3"),    // VT_ACTIVATE: another console to the front
        ("0x5607", "3"),    // VT_WAITACTIVE
        ("0x5608", "0"),    // VT_DISALLOCATE: the host's unused consoles freed
        ("0x4b45", "4"),    // KDSKBMODE K_OFF: the keyboard off
        ("0x4b3a", "1"),    // KDSETMODE KD_GRAPHICS: no text shown
        ("0x4b71", ""),     // PIO_CMAP: every console's palette
        ("0x4b72", ""),     // KDFONTOP
        ("0x4b2f", "1000"), // KIOCSOUND: the speaker
        ("0x541c", ""),     // TIOCLINUX
        ("0x5412", ""),     // TIOCSTI
        ("0x540e", "1"),    // TIOCSCTTY
        ("0x5417", ""),     // TIOCMBIC: the modem lines (a hang-up)
        ("0x5418", ""),     // TIOCMSET
        ("0x5427", "0"),    // TIOCSBRK: a break
        ("0x5409", "0"),    // TCSBRK 0: a break
        ("0x5425", "0"),    // TCSBRKP
        ("0x541f", ""),     // TIOCSSERIAL
        ("0x540d", ""),     // TIOCNXCL: the caller's exclusive mode cleared
        ("0x5420", "1"),    // TIOCPKT: a caller's master in packet mode
        ("0x40045431", ""), // TIOCSPTLCK: a caller's slave locked
    ];
    // Queries, modes and draining still work on the terminal itself.
    let allowed = [("0x5401", ""), ("0x5413", ""), ("0x541b", ""), ("0x5411", ""), ("0x5409", "1")];
    for id in Identity::all() {
        let sandbox = sandbox_as(id, policy());
        let on_terminal = |request: &str, arg: &str| {
            let (_master, slave) = pseudo_terminal();
            let stdio =
                sandlock_core::StdioOverrides { stdin: Some(sandlock_core::Stdio::Fd(slave)), ..Default::default() };
            let mut argv = vec![program("kernel").into_os_string(), "ioctl".into(), request.into()];
            if !arg.is_empty() {
                argv.push(arg.into());
            }
            let out = sandbox.run_with(&argv, stdio).unwrap();
            assert_eq!(out.status, ExitStatus::Exited(0), "{id}: {request}");
            String::from_utf8(out.stdout).unwrap()
        };
        for (request, arg) in denied {
            assert_eq!(on_terminal(request, arg), "EPERM\n", "{id}: {request} {arg}");
        }
        for (request, arg) in allowed {
            assert_eq!(on_terminal(request, arg), "ok\n", "{id}: {request} {arg}");
        }
    }
}

#[test]
fn foreign_abi_syscalls_are_killed_with_sigsys() {
    for id in Identity::all() {
        let sandbox = sandbox_as(id, policy());
        for abi in ["int80", "x32"] {
            let out = sandbox.run(&[program("abi").into_os_string(), abi.into()]).unwrap();
            assert_eq!(out.status, ExitStatus::Signaled(SIGSYS), "{id}: {abi}");
            assert_eq!(out.stdout, b"", "{id}: {abi}");
        }
    }
}

#[test]
fn clone3_fails_with_enosys_and_fork_and_threads_fall_back() {
    for id in Identity::all() {
        let sandbox = sandbox_as(id, policy());
        assert_eq!(probe(&sandbox, "abi", &["clone3"]), "ENOSYS\n", "{id}");
        assert_eq!(probe(&sandbox, "abi", &["fork"]), "ok\n", "{id}");
        assert_eq!(probe(&sandbox, "abi", &["thread"]), "ok\n", "{id}");
    }
}

#[test]
fn no_descriptor_of_the_caller_reaches_the_child() {
    for id in Identity::all() {
        let continue_getppid = |_: &HandlerCtx| -> HandlerResult { Ok(NotifAction::Continue) };
        let plain = sandbox_as(id, policy());
        // A handler means a seccomp listener lives in this process.
        let with_handler =
            sandbox_as(id, policy()).add_handler(Syscall::from_name("getppid").unwrap(), continue_getppid);
        // The procfs built-in keeps a /proc descriptor open in this process.
        let with_proc = sandbox_as(id, policy().fs_read(["/proc"]).max_processes(8));
        for sandbox in [&plain, &with_handler, &with_proc] {
            assert_eq!(probe(sandbox, "fds", &[]), "done\n", "{id}");
        }
    }
}

#[test]
fn a_root_child_has_no_privileges() {
    let writable = TempDir::new();
    fs::write(writable.file("own"), "own").unwrap();
    let sandbox = sandbox(policy().fs_write([writable.path()]));
    assert_eq!(probe(&sandbox, "fs", &["mknod", &writable.file("null")]), "EPERM\n");
    assert_eq!(probe(&sandbox, "fs", &["chown", &writable.file("own"), "1000"]), "EPERM\n");
    assert_eq!(probe(&sandbox, "kernel", &["sethostname"]), "EPERM\n");
    assert_eq!(probe(&sandbox, "net", &["socket", "raw"]), "EPERM\n");
    assert!(!writable.path().join("null").exists());
}

#[test]
fn uid_and_gid_switch_to_the_policy_values() {
    let sandbox = sandbox(policy().uid(65534).gid(65534));
    let out = sandbox.run(&["sh", "-c", "id -u; id -g; id -G"]).unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stderr), "");
    assert_eq!(out.status, ExitStatus::Exited(0));
    assert_eq!(String::from_utf8_lossy(&out.stdout), "65534\n65534\n65534\n");
}

#[test]
fn every_capability_set_is_empty() {
    for id in Identity::all() {
        let sandbox = sandbox_as(id, policy().fs_read(["/proc"]));
        let out = sandbox.run(&["cat", "/proc/self/status"]).unwrap();
        assert_eq!(out.status, ExitStatus::Exited(0), "{id}: {}", String::from_utf8_lossy(&out.stderr));
        let status = String::from_utf8(out.stdout).unwrap();
        let caps: Vec<&str> = status.lines().filter(|l| l.starts_with("Cap")).collect();
        assert_eq!(
            caps,
            [
                "CapInh:\t0000000000000000",
                "CapPrm:\t0000000000000000",
                "CapEff:\t0000000000000000",
                "CapBnd:\t0000000000000000",
                "CapAmb:\t0000000000000000",
            ],
            "{id}"
        );
    }
}

#[test]
fn a_program_missing_from_path_is_exec_not_found() {
    match sandbox(policy()).run(&["sandlock-no-such-program"]) {
        Err(SandlockError::ExecNotFound { program }) => assert_eq!(program, "sandlock-no-such-program"),
        other => panic!("expected ExecNotFound, got {other:?}"),
    }
}

#[test]
fn a_missing_program_path_is_exec_not_found() {
    let missing = "/nonexistent/sandlock-no-such-program";
    match sandbox(policy()).run(&[missing]) {
        Err(SandlockError::ExecNotFound { program }) => assert_eq!(program, missing),
        other => panic!("expected ExecNotFound, got {other:?}"),
    }
}

#[test]
fn a_program_outside_fs_read_is_refused_before_the_fork_and_by_the_kernel() {
    for id in Identity::all() {
        // A public dir and a 0755 copy: any uid could run it but for Landlock.
        let hidden = TempDir::new_public();
        let copy = PathBuf::from(hidden.file("fds"));
        common::copy_executable(&program("fds"), &copy);
        let sandbox = sandbox_as(id, policy());
        match sandbox.run(&[&copy]) {
            Err(SandlockError::ExecDenied { program, reason }) => {
                assert_eq!(program, copy, "{id}");
                assert_eq!(reason.problem, sandlock_core::ExecProblem::NoReadRule, "{id}");
            }
            other => panic!("{id}: expected ExecDenied, got {other:?}"),
        }
        // The check only explains: a child that execs it anyway is refused
        // by Landlock.
        let out = sandbox
            .run(&[OsStr::new("/bin/sh"), OsStr::new("-c"), OsStr::new("exec \"$0\""), copy.as_os_str()])
            .unwrap();
        assert_eq!(out.status, ExitStatus::Exited(126), "{id}");
        assert!(String::from_utf8_lossy(&out.stderr).contains("Permission denied"), "{id}: {out:?}");
    }
}

/// Landlock's execute right chooses which files run, not which code: a
/// memfd is under no rule and executes anyway (as would the loader on a
/// written file, or a `PROT_EXEC` mapping). What runs so must be as
/// confined as the program that brought it.
#[test]
fn code_run_from_a_memfd_stays_confined() {
    let fs_probe = program("fs");
    let process_probe = program("process");
    for id in Identity::all() {
        let outside = TempDir::new_public();
        outside.file_with_mode("f", "secret", 0o644);
        let sandbox = sandbox_as(id, policy().fs_read(["/proc"]));
        for how in ["at", "proc"] {
            let run = |argv: &[&OsStr]| {
                let mut full = vec![program("memfd_exec").into_os_string(), how.into()];
                full.extend(argv.iter().map(|a| a.to_os_string()));
                let out = sandbox.run(&full).unwrap();
                assert_eq!(out.status, ExitStatus::Exited(0), "{id} {how}: {out:?}");
                String::from_utf8(out.stdout).unwrap()
            };
            let read = run(&[fs_probe.as_os_str(), "read".as_ref(), outside.file("f").as_ref()]);
            assert_eq!(read, "EACCES\n", "{id} {how}");
            assert_eq!(run(&[process_probe.as_os_str(), "ptrace_parent".as_ref()]), "EPERM\n", "{id} {how}");
            let status = run(&["/bin/cat".as_ref(), "/proc/self/status".as_ref()]);
            let fields: Vec<&str> = status
                .lines()
                .filter(|l| ["Uid:", "Cap", "NoNewPrivs:", "Seccomp:"].iter().any(|p| l.starts_with(p)))
                .collect();
            let uid = id.uid();
            let expected = [
                format!("Uid:\t{uid}\t{uid}\t{uid}\t{uid}"),
                "CapInh:\t0000000000000000".into(),
                "CapPrm:\t0000000000000000".into(),
                "CapEff:\t0000000000000000".into(),
                "CapBnd:\t0000000000000000".into(),
                "CapAmb:\t0000000000000000".into(),
                "NoNewPrivs:\t1".into(),
                "Seccomp:\t2".into(),
            ];
            assert_eq!(fields, expected, "{id} {how}");
        }
    }
}

#[test]
fn invalid_policies_fail_to_build_with_typed_errors() {
    let missing = PathBuf::from("/nonexistent/sandlock-test-path");
    match Policy::builder().fs_read([&missing]).build() {
        Err(SandlockError::PathNotFound { path, source }) => {
            assert_eq!(path, missing);
            assert_eq!(source.kind(), std::io::ErrorKind::NotFound);
        }
        other => panic!("expected PathNotFound, got {other:?}"),
    }
    match Policy::builder().net_connect_tcp([0]).build() {
        Err(SandlockError::InvalidPort { rule }) => assert_eq!(rule, "net_connect_tcp"),
        other => panic!("expected InvalidPort, got {other:?}"),
    }
    match Policy::builder().net_bind_tcp([0]).build() {
        Err(SandlockError::InvalidPort { rule }) => assert_eq!(rule, "net_bind_tcp"),
        other => panic!("expected InvalidPort, got {other:?}"),
    }
    match Policy::builder().deny_syscalls(["no_such_syscall"]).build() {
        Err(SandlockError::UnknownSyscallName { name, suggestion: None }) => assert_eq!(name, "no_such_syscall"),
        other => panic!("expected UnknownSyscallName, got {other:?}"),
    }
    match Policy::builder().max_processes(0).build() {
        Err(SandlockError::ZeroLimit { limit }) => assert_eq!(limit, "max_processes"),
        other => panic!("expected ZeroLimit, got {other:?}"),
    }
}

#[test]
fn captured_output_is_bounded() {
    let hundred_bytes: String = (b'a'..=b'z').cycle().take(100).map(char::from).collect();
    let sandbox = sandbox(policy().max_output(10));
    let out = sandbox.run(&["printf", "%s", &hundred_bytes]).unwrap();
    assert_eq!(out.status, ExitStatus::Exited(0));
    assert_eq!(out.stdout, b"abcdefghij");
    assert!(out.stdout_truncated);
    assert!(!out.stderr_truncated);
}

#[test]
fn stdin_bytes_reach_the_program() {
    let input = b"first line\n\0binary\xff tail".to_vec();
    let sandbox = sandbox(policy().stdin(Stdin::Bytes(input.clone())));
    let out = sandbox.run(&["cat"]).unwrap();
    assert_eq!(out.status, ExitStatus::Exited(0));
    assert_eq!(out.stdout, input);
}

#[test]
fn the_environment_holds_only_what_the_policy_sets() {
    let empty = sandbox(policy()).run(&["env"]).unwrap();
    assert_eq!(empty.status, ExitStatus::Exited(0));
    assert_eq!(String::from_utf8_lossy(&empty.stdout), "");
    let one = sandbox(policy().env("A", "1")).run(&["env"]).unwrap();
    assert_eq!(one.status, ExitStatus::Exited(0));
    assert_eq!(String::from_utf8_lossy(&one.stdout), "A=1\n");
}

/// What a dynamic C program needs to start, print and exit (glibc's loader
/// and stdio), plus `extra`.
fn startup_allowlist(extra: &[&str]) -> Vec<String> {
    let base = [
        "execve",
        "brk",
        "arch_prctl",
        "set_tid_address",
        "set_robust_list",
        "rseq",
        "prlimit64",
        "mprotect",
        "mmap",
        "munmap",
        "access",
        "openat",
        "newfstatat",
        "fstat",
        "read",
        "pread64",
        "close",
        "write",
        "getrandom",
        "readlink",
        "exit_group",
        "exit",
    ];
    base.iter().chain(extra).filter(|name| Syscall::from_name(name).is_ok()).map(|s| s.to_string()).collect()
}

#[test]
fn allowlist_mode_runs_only_the_listed_syscalls() {
    let without = sandbox(policy().allow_only_syscalls(startup_allowlist(&[])));
    assert_eq!(probe(&without, "allowlisted", &[]), "getppid: EPERM\n");
    let with = sandbox(policy().allow_only_syscalls(startup_allowlist(&["getppid"])));
    assert_eq!(probe(&with, "allowlisted", &[]), "getppid: allowed\n");
}

/// The built-in handlers (the process limit, `/proc`, binds) sit on
/// syscalls the allowlist may leave out; the supervisor sees those before
/// the filter's allowlist would, so a built-in that let one go on would run
/// a call the policy closed.
#[test]
fn an_allowlist_binds_the_built_in_handlers_too() {
    let calls: &[&str] =
        if cfg!(target_arch = "x86_64") { &["clone", "open", "bind", "listen"] } else { &["clone", "bind", "listen"] };
    for id in Identity::all() {
        let port = free_port().to_string();
        let file = program("allowlisted");
        let guarded = |extra: &[&str]| {
            let allowed = startup_allowlist(&[&["socket"], extra].concat());
            let policy = policy().fs_read(["/proc"]).max_processes(8).net_bind_tcp([port.parse().unwrap()]);
            sandbox_as(id, policy.allow_only_syscalls(allowed))
        };
        let report = |verdict: &str| calls.iter().map(|c| format!("{c}: {verdict}\n")).collect::<String>();
        let args = ["builtins", port.as_str(), file.to_str().unwrap()];
        assert_eq!(probe(&guarded(&[]), "allowlisted", &args), report("EPERM"), "{id}");
        assert_eq!(probe(&guarded(calls), "allowlisted", &args), report("allowed"), "{id}");
    }
}

/// A grant below `/proc`, or of a symlink into it (`/dev/fd`), resolves
/// when the ruleset is built — in the caller's process, so `/proc/self`
/// would name the caller. Such grants go to the procfs built-in instead,
/// which serves the child's own entries and none of the caller's.
#[test]
fn proc_subpath_grants_never_expose_the_caller() {
    // cmdline and status need no ptrace access, so only the rules keep
    // them from the child.
    let caller_cmdline = format!("/proc/{}/cmdline", std::process::id());
    let mut grants = vec!["/proc/self".to_string(), format!("/proc/{}", std::process::id())];
    if std::path::Path::new("/dev/fd").exists() {
        grants.push("/dev/fd".into());
    }
    for id in Identity::all() {
        for grant in &grants {
            let sandbox = sandbox_as(id, policy().fs_read([grant]));
            let read_caller = probe(&sandbox, "fs", &["read", &caller_cmdline]);
            assert_eq!(read_caller, "EACCES\n", "{id}: with {grant} granted");
            let read_own = probe(&sandbox, "fs", &["read", "/proc/self/status"]);
            assert_eq!(read_own, "ok\n", "{id}: with {grant} granted");
        }
    }
}

/// Directories under `/proc` open for the child like files: `ls` of its own
/// fd directory shows exactly stdio and the directory's own fd.
#[test]
fn proc_directories_of_the_child_can_be_listed() {
    for id in Identity::all() {
        let sandbox = sandbox_as(id, policy().fs_read(["/proc"]));
        let out = sandbox.run(&["ls", "/proc/self/fd"]).unwrap();
        assert_eq!(
            std::str::from_utf8(&out.stdout).unwrap(),
            "0\n1\n2\n3\n",
            "{id}: stderr: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(out.status, ExitStatus::Exited(0), "{id}");
    }
}

/// Landlock does not mediate connecting to a pathname UNIX socket, and a
/// uid-0 child passes the owner check of a root-owned 0660 socket (the shape
/// of /run/docker.sock or the system D-Bus), capabilities or not. So
/// `socket(AF_UNIX)` is denied unless the policy allows UNIX sockets — and
/// then only an unprivileged uid keeps such a socket out of reach.
#[test]
fn root_owned_unix_sockets_are_out_of_reach() {
    use std::os::unix::fs::PermissionsExt;
    let dir = TempDir::new();
    let path = dir.file("daemon.sock");
    let _listener = std::os::unix::net::UnixListener::bind(&path).unwrap();
    fs::set_permissions(&path, fs::Permissions::from_mode(0o660)).unwrap();
    fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o755)).unwrap();
    let path = path.as_str();
    let base = || policy().fs_read([dir.path()]);

    assert_eq!(probe(&sandbox(base()), "net", &["unix_connect", path]), "EPERM\n");
    let unprivileged = sandbox(base().allow_unix_sockets(true).uid(65534).gid(65534));
    assert_eq!(probe(&unprivileged, "net", &["unix_connect", path]), "EACCES\n");
    // What the default protects against: uid 0 with UNIX sockets allowed.
    let as_root = sandbox(base().allow_unix_sockets(true));
    assert_eq!(probe(&as_root, "net", &["unix_connect", path]), "ok\n");
    // A connected pair has no path to reach anything: always allowed.
    assert_eq!(probe(&sandbox(base()), "net", &["socket", "pair"]), "ok\n");
}

/// Landlock has no right for changing file modes, and `chmod` needs only
/// ownership: a uid-0 child owns every root-owned file. So the chmod family
/// is denied for a uid-0 child; an unprivileged uid may chmod only what it
/// owns.
#[test]
fn a_root_child_cannot_change_modes_of_host_files() {
    use std::os::unix::fs::PermissionsExt;
    let outside = TempDir::new();
    let host_file = outside.file("setuid-me");
    fs::write(&host_file, "x").unwrap();
    fs::set_permissions(&host_file, fs::Permissions::from_mode(0o755)).unwrap();
    let work = TempDir::new();
    fs::set_permissions(work.path(), fs::Permissions::from_mode(0o777)).unwrap();
    let own_file = work.file("mine");

    let as_root = sandbox(policy().fs_read([outside.path()]).fs_write([work.path()]));
    assert_eq!(probe(&as_root, "fs", &["chmod", &host_file, "4755"]), "EPERM\n");
    assert_eq!(probe(&as_root, "fs", &["write", &own_file]), "ok\n");
    assert_eq!(probe(&as_root, "fs", &["chmod", &own_file, "700"]), "EPERM\n");
    assert_eq!(fs::metadata(&host_file).unwrap().permissions().mode() & 0o7777, 0o755);

    let unprivileged = sandbox(policy().fs_read([outside.path()]).fs_write([work.path()]).uid(65534).gid(65534));
    assert_eq!(probe(&unprivileged, "fs", &["chmod", &host_file, "4755"]), "EPERM\n");
    let nobody_file = work.file("nobody");
    assert_eq!(probe(&unprivileged, "fs", &["write", &nobody_file]), "ok\n");
    assert_eq!(probe(&unprivileged, "fs", &["chmod", &nobody_file, "700"]), "ok\n");
}

/// Every call that creates a file with a mode. A uid-0 child would leave
/// setuid-root files on the host; an unprivileged one may make set-ID
/// files, which name only its own uid and gid.
#[test]
fn set_id_files_are_never_root_owned() {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    let mut calls = vec!["openat", "openat2", "mknodat", "tmpfile"];
    if cfg!(target_arch = "x86_64") {
        calls.extend(["open", "creat", "mknod"]);
    }
    for id in Identity::all() {
        let work = TempDir::new_shared();
        let sandbox = sandbox_as(id, policy().fs_read(["/proc"]).fs_write([work.path()]));
        for call in &calls {
            let path = work.file(call);
            let out = probe(&sandbox, "fs", &["create_set_id", call, &path]);
            if id == Identity::Root {
                // openat2's mode is in memory, out of the filter's reach.
                let expected = if *call == "openat2" { "ENOSYS\n" } else { "EPERM\n" };
                assert_eq!(out, expected, "{id} {call}");
                assert!(!Path::new(&path).exists(), "{id} {call}");
                continue;
            }
            assert_eq!(out, "ok\n", "{id} {call}");
            let made = fs::metadata(&path).unwrap();
            assert_eq!((made.uid(), made.gid()), (id.uid(), id.uid()), "{call}");
            assert_eq!(made.permissions().mode() & 0o7777, 0o6755, "{call}");
            // Without CAP_FSETID, a write clears the bits.
            assert_eq!(probe(&sandbox, "fs", &["write", &path]), "ok\n", "{call}");
            assert_eq!(fs::metadata(&path).unwrap().permissions().mode() & 0o7777, 0o755, "{call}");
        }
        // Files of ordinary modes are still made by every call.
        assert_eq!(probe(&sandbox, "fs", &["write", &work.file("plain")]), "ok\n", "{id}");
    }
}

/// `no_new_privs`: a setuid-root program (a copy of `id`) runs with the
/// child's own uid; an unprivileged child gains nothing by executing it.
#[test]
fn setuid_programs_gain_no_privilege() {
    use std::os::unix::fs::PermissionsExt;
    let dir = TempDir::new_public();
    let id = dir.file("setuid-id");
    common::copy_executable(Path::new("/usr/bin/id"), Path::new(&id));
    fs::set_permissions(&id, fs::Permissions::from_mode(0o4755)).unwrap();
    let sandbox = sandbox(policy().fs_read([dir.path()]).uid(65534).gid(65534));
    let out = sandbox.run(&[id.as_str(), "-u"]).unwrap();
    assert_eq!(
        (out.status, String::from_utf8_lossy(&out.stdout).into_owned()),
        (ExitStatus::Exited(0), "65534\n".into())
    );
}

/// `max_memory` and `max_open_files` are the child's rlimits, which the
/// kernel enforces: the shell sees them, and a descriptor past the limit
/// cannot be opened.
#[test]
fn memory_and_open_file_limits_bind_the_child() {
    let sandbox = sandbox(policy().max_memory(256 << 20).max_open_files(16));
    let out = sandbox.run(&["sh", "-c", "ulimit -v; ulimit -n; exec 20</dev/null"]).unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout), "262144\n16\n");
    assert_ne!(out.status, ExitStatus::Exited(0), "fd 20 opened under a limit of 16");
}
