//! Each policy option, seen from inside a real sandbox.

mod common;

use std::fs;
use std::io::Write;
use std::net::TcpListener;
use std::os::unix::fs::PermissionsExt;
use std::process::Stdio;
use std::time::{Duration, Instant};

use common::{code, ok, path, run, sandlock, stderr, stdout, PYTHON, PYTHON_READ};

fn python(options: &[&str], code: &str) -> std::process::Output {
    let mut args = vec!["run"];
    args.extend(PYTHON_READ);
    args.extend(options);
    args.extend(["--", PYTHON, "-c", code]);
    run(&args)
}

#[test]
fn read_lets_cat_read_a_file_and_without_it_cat_gets_eacces() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("data");
    fs::write(&file, "granted\n").unwrap();
    let out = run(&["run", "--auto-read", "--read", path(&file), "--", "cat", path(&file)]);
    assert_eq!(ok(&out), "granted\n");
    let out = run(&["run", "--auto-read", "--", "cat", path(&file)]);
    assert_eq!(code(&out), 1);
    assert!(stderr(&out).contains("Permission denied"), "{}", stderr(&out));
}

#[test]
fn write_lets_the_program_create_files_only_there() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("note");
    let script = format!("echo written > {}", path(&file));
    let out = run(&["run", "--auto-read", "--", "sh", "-c", &script]);
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(!file.exists());
    let out = run(&["run", "--auto-read", "--write", path(dir.path()), "--", "sh", "-c", &script]);
    ok(&out);
    assert_eq!(fs::read_to_string(&file).unwrap(), "written\n");
}

#[test]
fn connect_lets_the_program_reach_one_port() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port().to_string();
    let script = format!("exec 3<>/dev/tcp/127.0.0.1/{port}");
    let out = run(&["run", "--auto-read", "--connect", &port, "--", "bash", "-c", &script]);
    ok(&out);
    let out = run(&["run", "--auto-read", "--", "bash", "-c", &script]);
    assert_eq!(code(&out), 1);
    assert!(stderr(&out).contains("Permission denied"), "{}", stderr(&out));
}

#[test]
fn bind_lets_the_program_listen_on_one_port() {
    // A port that was free a moment ago.
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port().to_string();
    let code_text = format!("import socket; socket.socket().bind(('127.0.0.1', {port}))");
    ok(&python(&["--bind", &port], &code_text));
    let out = python(&[], &code_text);
    assert_eq!(code(&out), 1);
    assert!(stderr(&out).contains("PermissionError"), "{}", stderr(&out));
}

#[test]
fn timeout_kills_the_sandbox_and_exits_124() {
    let start = Instant::now();
    let out = run(&["run", "--auto-read", "--timeout", "300ms", "--", "sh", "-c", "echo $$; exec sleep 30"]);
    assert_eq!(code(&out), 124, "{}", stderr(&out));
    assert!(start.elapsed() < Duration::from_secs(10));
    let pid = stdout(&out).trim().to_string();
    assert!(!std::path::Path::new(&format!("/proc/{pid}")).exists(), "the sleeper {pid} survived");
}

#[test]
fn memory_bounds_the_address_space() {
    let allocate = "bytearray(256 << 20)";
    ok(&python(&[], allocate));
    let out = python(&["--memory", "128M"], allocate);
    assert_eq!(code(&out), 1);
    assert!(stderr(&out).contains("MemoryError"), "{}", stderr(&out));
}

#[test]
fn max_processes_bounds_forks() {
    // Python, not a shell: a shell's SIGCHLD handler can interrupt a fork
    // the supervisor is deciding (EINTR), which would blur the limit's EAGAIN.
    let forks = "import os, time\n\
                 for _ in range(3):\n    \
                     if os.fork() == 0:\n        time.sleep(0.2); os._exit(0)\n\
                 while True:\n    \
                     try: os.wait()\n    \
                     except ChildProcessError: break";
    ok(&python(&["--max-processes", "8"], forks));
    let out = python(&["--max-processes", "2"], forks);
    assert_eq!(code(&out), 1);
    assert!(stderr(&out).contains("BlockingIOError"), "{}", stderr(&out));
}

#[test]
fn max_open_files_sets_the_limit() {
    let out = run(&["run", "--auto-read", "--max-open-files", "64", "--", "sh", "-c", "ulimit -n"]);
    assert_eq!(ok(&out), "64\n");
}

#[test]
fn env_and_pass_env_are_the_whole_environment() {
    let out = sandlock()
        .args(["run", "--auto-read", "--env", "GREETING=hello", "--pass-env", "SANDLOCK_TEST_PASSED", "--", "env"])
        .env("SANDLOCK_TEST_PASSED", "yes")
        .env("SANDLOCK_TEST_NOT_PASSED", "no")
        .output()
        .unwrap();
    let mut vars: Vec<String> = ok(&out).lines().map(String::from).collect();
    vars.sort();
    assert_eq!(vars, ["GREETING=hello", "SANDLOCK_TEST_PASSED=yes"]);
    // A value given with --env wins over the one passed on, in either order.
    for args in
        [["--env", "GREETING=given", "--pass-env", "GREETING"], ["--pass-env", "GREETING", "--env", "GREETING=given"]]
    {
        let out = sandlock()
            .args(["run", "--auto-read"])
            .args(args)
            .args(["--", "env"])
            .env("GREETING", "passed")
            .output()
            .unwrap();
        assert_eq!(ok(&out), "GREETING=given\n", "{args:?}");
    }
}

#[test]
fn cwd_is_the_working_directory() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(&["run", "--auto-read", "--cwd", path(dir.path()), "--", "pwd"]);
    assert_eq!(ok(&out).trim(), path(&dir.path().canonicalize().unwrap()));
}

#[test]
fn uid_gid_and_user_set_the_identity() {
    let ids = "id -u; id -g; id -G";
    let out = run(&["run", "--auto-read", "--uid", "1234", "--gid", "4321", "--", "sh", "-c", ids]);
    assert_eq!(ok(&out), "1234\n4321\n4321\n");
    let host = |flag| stdout(&std::process::Command::new("id").args([flag, "nobody"]).output().unwrap());
    let expected = format!("{}{}{}", host("-u"), host("-g"), host("-g"));
    let out = run(&["run", "--auto-read", "--user", "nobody", "--", "sh", "-c", ids]);
    assert_eq!(ok(&out), expected);
    // --uid takes a name too, and wins over --user.
    let out = run(&["run", "--auto-read", "--user", "root", "--uid", "nobody", "--", "id", "-u"]);
    assert_eq!(ok(&out), host("-u"));
}

#[test]
fn keep_cap_keeps_one_capability() {
    let show = ["--read", "/proc", "--auto-read"];
    let cap_eff = |extra: &[&str]| {
        let mut args = vec!["run"];
        args.extend(show);
        args.extend(extra);
        args.extend(["--", "grep", "CapEff", "/proc/self/status"]);
        ok(&run(&args)).split_whitespace().nth(1).unwrap().to_string()
    };
    assert_eq!(cap_eff(&[]), "0000000000000000");
    // CAP_NET_BIND_SERVICE is capability 10.
    assert_eq!(cap_eff(&["--keep-cap", "net_bind_service"]), "0000000000000400");
}

#[test]
fn deny_syscall_fails_the_call_with_eperm() {
    ok(&run(&["run", "--auto-read", "--", "uname"]));
    let out = run(&["run", "--auto-read", "--deny-syscall", "uname", "--", "uname"]);
    assert_eq!(code(&out), 1);
    assert!(stderr(&out).contains("Operation not permitted"), "{}", stderr(&out));
}

#[test]
fn allow_syscall_runs_the_program_on_its_list_only() {
    // execve itself is not on the list: the exec fails inside the sandbox.
    let out = run(&["run", "--auto-read", "--allow-syscall", "read,write", "--", "true"]);
    assert_eq!(code(&out), 126, "{}", stderr(&out));
    assert!(stderr(&out).contains("cannot execute"), "{}", stderr(&out));
}

#[test]
fn allow_unix_sockets_and_allow_netlink_open_their_families() {
    for (flag, family) in [("--allow-unix-sockets", "AF_UNIX"), ("--allow-netlink", "AF_NETLINK")] {
        let code_text = format!("import socket; socket.socket(socket.{family}, socket.SOCK_DGRAM)");
        let out = python(&[], &code_text);
        assert!(stderr(&out).contains("PermissionError"), "{family}: {}", stderr(&out));
        ok(&python(&[flag], &code_text));
    }
}

#[test]
fn private_ipc_opens_sysv_ipc_in_a_namespace_of_its_own() {
    let out = run(&["run", "--auto-read", "--", "ipcmk", "-M", "4096"]);
    assert!(stderr(&out).contains("Operation not permitted"), "{}", stderr(&out));
    let out = run(&["run", "--auto-read", "--private-ipc", "--", "sh", "-c", "ipcmk -M 4096 && ipcs -m"]);
    let listing = ok(&out);
    assert_eq!(listing.lines().filter(|l| l.starts_with("0x")).count(), 1, "{listing}");
}

#[test]
fn std_devices_are_there_unless_no_std_devices() {
    ok(&run(&["run", "--auto-read", "--", "sh", "-c", "echo x > /dev/null && head -c 1 /dev/urandom >/dev/null"]));
    let out = run(&["run", "--auto-read", "--no-std-devices", "--", "sh", "-c", "echo x > /dev/null"]);
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(stderr(&out).contains("/dev/null: Permission denied"), "{}", stderr(&out));
}

#[test]
fn private_tmp_is_the_programs_tmpdir_and_goes_with_it() {
    let script = "echo kept > \"$TMPDIR/f\" && cat \"$TMPDIR/f\" && echo \"$TMPDIR\"";
    let out = run(&["run", "--auto-read", "--private-tmp", "--", "sh", "-c", script]);
    let printed = ok(&out);
    let (content, dir) = printed.split_once('\n').unwrap();
    assert_eq!(content, "kept");
    let dir = std::path::Path::new(dir.trim_end());
    assert_eq!(dir.parent(), Some(std::env::temp_dir().as_path()), "{printed}");
    assert!(dir.file_name().unwrap().to_str().unwrap().starts_with("sandlock-tmp-"), "{printed}");
    assert!(!dir.exists(), "{} outlived the run", dir.display());
}

#[test]
fn private_shm_lets_python_multiprocessing_share_memory() {
    let code_text = "import multiprocessing as m\nwith m.Pool(2) as p: print(sum(p.map(abs, [-1, -2])))\nv = m.Value('i', 7); print(v.value)";
    let out = python(&[], code_text);
    assert_ne!(code(&out), 0);
    let out = python(&["--private-shm"], code_text);
    assert_eq!(ok(&out), "3\n7\n");
}

#[test]
fn private_network_reaches_nothing_outside() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port().to_string();
    let connect = format!("echo > /dev/tcp/127.0.0.1/{port}");
    ok(&run(&["run", "--auto-read", "--connect", &port, "--", "bash", "-c", &connect]));
    let out = run(&["run", "--auto-read", "--connect", &port, "--private-network", "--", "bash", "-c", &connect]);
    assert_eq!(code(&out), 1);
    assert!(stderr(&out).contains("Connection refused"), "{}", stderr(&out));
}

#[test]
fn no_ipc_scope_lets_signals_leave_the_sandbox() {
    let signal_us = format!("kill -0 {}", std::process::id());
    let out = run(&["run", "--auto-read", "--", "sh", "-c", &signal_us]);
    assert!(stderr(&out).contains("Operation not permitted"), "{}", stderr(&out));
    ok(&run(&["run", "--auto-read", "--no-ipc-scope", "--", "sh", "-c", &signal_us]));
}

#[test]
fn stdin_is_inherited_unless_null() {
    let feed = |args: &[&str]| {
        let mut child = sandlock().args(args).stdin(Stdio::piped()).stdout(Stdio::piped()).spawn().unwrap();
        child.stdin.take().unwrap().write_all(b"typed\n").unwrap();
        child.wait_with_output().unwrap()
    };
    assert_eq!(ok(&feed(&["run", "--auto-read", "--", "cat"])), "typed\n");
    assert_eq!(ok(&feed(&["run", "--auto-read", "--stdin", "null", "--", "cat"])), "");
}

#[test]
fn auto_read_follows_a_script_through_env_to_its_interpreter() {
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("hello");
    fs::write(&script, "#!/usr/bin/env sh\necho from the script\n").unwrap();
    fs::set_permissions(&script, fs::Permissions::from_mode(0o755)).unwrap();
    let out = run(&["run", "--auto-read", "--env", "PATH=/usr/bin:/bin", "--", path(&script)]);
    assert_eq!(ok(&out), "from the script\n");
    // Without it, exec itself is refused.
    let out = run(&["run", "--", path(&script)]);
    assert_eq!(code(&out), 126, "{}", stderr(&out));
}

#[test]
fn audit_logs_each_open_with_pid_and_path() {
    let dir = tempfile::tempdir().unwrap();
    let probe = dir.path().join("probe");
    fs::write(&probe, "").unwrap();
    let out = run(&["run", "--auto-read", "--read", path(&probe), "--audit", "openat", "--", "cat", path(&probe)]);
    ok(&out);
    let expected = format!("openat(AT_FDCWD, \"{}\", O_RDONLY)", path(&probe));
    let line = stderr(&out).lines().find(|line| line.ends_with(&expected)).map(String::from);
    let line = line.unwrap_or_else(|| panic!("no audit line for the probe in:\n{}", stderr(&out)));
    let pid = line.strip_prefix("sandlock audit: pid ").and_then(|rest| rest.split(':').next()).unwrap();
    assert!(pid.parse::<u32>().is_ok(), "{line}");

    // A denied open is logged too: the handler runs before Landlock says no.
    let log = dir.path().join("audit.log");
    let out = run(&["run", "--auto-read", "--audit", "openat", "--audit-log", path(&log), "--", "cat", path(&probe)]);
    assert_eq!(code(&out), 1);
    assert!(!stderr(&out).contains("sandlock audit"), "{}", stderr(&out));
    assert!(fs::read_to_string(&log).unwrap().lines().any(|line| line.ends_with(&expected)));
}

/// The audit log may go where an earlier sandbox could write, and the
/// command may run as root: a link planted at its name would take the
/// child's text into a file of the sandbox's choosing (`/etc/ld.so.preload`
/// makes every host process load a library the text names), and a FIFO
/// hung the command. Only a regular file is written, never through a link.
#[test]
fn the_audit_log_is_a_regular_file_never_a_link() {
    let root_only = tempfile::tempdir().unwrap();
    for uid in ["0", "65534"] {
        let shared = tempfile::tempdir().unwrap();
        fs::set_permissions(shared.path(), fs::Permissions::from_mode(0o777)).unwrap();
        let log = shared.path().join("audit.log");
        let target = root_only.path().join(format!("preload-{uid}"));
        let plant = ["run", "--auto-read", "--uid", uid, "--gid", uid, "--write", path(shared.path()), "--"];
        ok(&run(&[&plant[..], &["ln", "-s", path(&target), path(&log)]].concat()));
        let out = run(&["run", "--auto-read", "--audit", "openat", "--audit-log", path(&log), "--", "true"]);
        assert_eq!(code(&out), 2, "uid {uid}: {}", stderr(&out));
        assert!(stderr(&out).contains("is a symbolic link"), "{}", stderr(&out));
        assert!(!target.exists(), "uid {uid}: the log was written through the link");
    }
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("fifo");
    nix::unistd::mkfifo(&fifo, nix::sys::stat::Mode::from_bits_truncate(0o600)).unwrap();
    let mut command = sandlock()
        .args(["run", "--auto-read", "--audit", "openat", "--audit-log", path(&fifo), "--", "true"])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while command.try_wait().unwrap().is_none() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    if command.try_wait().unwrap().is_none() {
        command.kill().unwrap();
        panic!("the command hung opening a FIFO as its audit log");
    }
    let out = command.wait_with_output().unwrap();
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("is not a regular file"), "{}", stderr(&out));
}

/// The private tmp is made under TMPDIR, which may be relative (to this
/// command's directory, not the child's: the child got a path that led
/// nowhere) or missing (the message named no path).
#[test]
fn private_tmp_under_a_relative_or_missing_tmpdir() {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir(dir.path().join("base")).unwrap();
    let script = "echo written > \"$TMPDIR/note\" && cat \"$TMPDIR/note\"";
    let args = ["run", "--auto-read", "--private-tmp", "--cwd", "/", "--", "sh", "-c", script];
    let out = sandlock().args(args).env("TMPDIR", "base").current_dir(dir.path()).output().unwrap();
    assert_eq!(ok(&out), "written\n");
    let out = sandlock().args(args).env("TMPDIR", "/nonexistent/base").output().unwrap();
    assert_eq!(code(&out), 125);
    assert!(stderr(&out).contains("\"/nonexistent/base\" does not exist"), "{}", stderr(&out));
}
