//! The command exits as the child did, or with a code that says why the
//! child never ran.

mod common;

use std::fs;
use std::io::{BufRead, BufReader, Write};
use std::os::unix::fs::PermissionsExt;
use std::process::{Command, Stdio};

use common::{code, one_line_error, path, run, sandlock, stderr};

#[test]
fn the_childs_exit_code_and_signal_come_through() {
    assert_eq!(code(&run(&["run", "--auto-read", "--", "sh", "-c", "exit 3"])), 3);
    assert_eq!(code(&run(&["run", "--auto-read", "--", "sh", "-c", "kill -TERM $$"])), 143);
}

/// The command running `script` in a sandboxed shell, and the first line
/// the script printed (so the sandbox runs).
fn command_running(script: &str) -> (std::process::Child, String) {
    let mut child =
        sandlock().args(["run", "--auto-read", "--", "sh", "-c", script]).stdout(Stdio::piped()).spawn().unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    (child, line)
}

/// The status of a sandboxed `sleep` whose command was sent `signal` (a
/// name for kill(1)) once the sandbox ran.
fn status_after_signalling_the_command(signal: &str) -> Option<i32> {
    let (mut child, line) = command_running("echo ready; exec sleep 30");
    assert_eq!(line, "ready\n");
    let sent = Command::new("kill").args([&format!("-{signal}"), &child.id().to_string()]).status().unwrap();
    assert!(sent.success());
    child.wait().unwrap().code()
}

#[test]
fn sigterm_to_the_command_reaches_the_sandbox() {
    assert_eq!(status_after_signalling_the_command("TERM"), Some(143));
}

/// Every signal that would end the command reaches the sandbox too (the
/// user, timer, power and real-time ones): left to their default, they
/// ended the command and left the sandbox running, past its timeout.
#[test]
fn signals_that_would_end_the_command_reach_the_sandbox() {
    for (signal, status) in [("USR1", 138), ("USR2", 140), ("ALRM", 142), ("PWR", 158), ("XCPU", 152), ("RTMIN+3", 165)]
    {
        // The command exits as its child did: killed by the same signal.
        assert_eq!(status_after_signalling_the_command(signal), Some(status), "SIG{signal}");
    }
}

/// `SIGKILL` ends the command without a word to its sandbox; the guardian
/// then ends the sandbox, which ran on unsupervised before.
#[test]
fn the_sandbox_dies_with_the_killed_command() {
    let (mut child, line) = command_running("echo $$; exec sleep 1000");
    let sandboxed: i32 = line.trim().parse().unwrap_or_else(|_| panic!("the sandbox printed {line:?}"));
    child.kill().unwrap();
    child.wait().unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let running = |pid: i32| {
        fs::read_to_string(format!("/proc/{pid}/stat"))
            .is_ok_and(|stat| stat.rsplit_once(") ").is_some_and(|(_, rest)| !rest.starts_with('Z')))
    };
    while running(sandboxed) && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let survived = running(sandboxed);
    if survived {
        let _ = Command::new("kill").args(["-KILL", &sandboxed.to_string()]).status();
    }
    assert!(!survived, "SIGKILL ended the command and its sandbox {sandboxed} ran on");
}

/// Until the sandbox starts, signals are this command's own: a policy file
/// that is a FIFO nobody writes held it, and Ctrl-C did nothing.
#[test]
fn ctrl_c_ends_the_command_while_it_reads_its_policy() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("policy.toml");
    nix::unistd::mkfifo(&fifo, nix::sys::stat::Mode::from_bits_truncate(0o600)).unwrap();
    let mut child = sandlock().args(["run", "--policy", path(&fifo), "--", "true"]).spawn().unwrap();
    std::thread::sleep(std::time::Duration::from_millis(300));
    let sent = Command::new("kill").args(["-INT", &child.id().to_string()]).status().unwrap();
    assert!(sent.success());
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while child.try_wait().unwrap().is_none() && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let status = child.try_wait().unwrap();
    if status.is_none() {
        child.kill().unwrap();
    }
    use std::os::unix::process::ExitStatusExt;
    assert_eq!(status.and_then(|s| s.signal()), Some(libc::SIGINT), "SIGINT did not end the command");
}

#[test]
fn a_program_that_is_not_found_is_127() {
    let err = one_line_error(&run(&["run", "--", "sandlock-no-such-program"]), 127);
    assert_eq!(err, "sandlock: sandlock-no-such-program: command not found");
    one_line_error(&run(&["run", "--", "/nonexistent/program"]), 127);
}

#[test]
fn a_program_that_cannot_be_executed_is_126() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("not-executable");
    fs::write(&file, "#!/bin/sh\n").unwrap();
    fs::set_permissions(&file, fs::Permissions::from_mode(0o644)).unwrap();
    let err = one_line_error(&run(&["run", "--auto-read", "--", path(&file)]), 126);
    assert_eq!(err, format!("sandlock: {}: permission denied", file.display()));
    // Found, but outside every read grant: Landlock would refuse the exec.
    let err = one_line_error(&run(&["run", "--", "true"]), 126);
    let true_path = which("true");
    assert_eq!(
        err,
        format!(
            "sandlock: cannot execute {true_path:?}: it is not under any fs_read or fs_write path (--read a \
             directory holding it, or --auto-read)"
        )
    );
}

#[test]
fn a_limit_no_run_could_set_is_a_usage_error() {
    // Above fs.nr_open even root may not raise RLIMIT_NOFILE: every run
    // would fail at its spawn, so the value is refused before.
    let out = run(&["run", "--auto-read", "--max-open-files", "2000000000", "--", "true"]);
    let err = one_line_error(&out, 2);
    assert!(err.contains("2000000000 is above the kernel's fs.nr_open"), "{}", stderr(&out));
}

/// The first `name` on this process's PATH, as the command finds it.
fn which(name: &str) -> std::path::PathBuf {
    let path = std::env::var_os("PATH").unwrap();
    std::env::split_paths(&path).map(|dir| dir.join(name)).find(|file| file.is_file()).unwrap()
}

#[test]
fn a_uid_switch_without_the_privilege_is_125_and_says_what_it_needs() {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 || !std::path::Path::new("/usr/bin/setpriv").exists() {
        let _ = writeln!(std::io::stderr(), "skipped: needs root and setpriv to become an unprivileged caller");
        return;
    }
    let out = Command::new("/usr/bin/setpriv")
        .args(["--reuid=65534", "--regid=65534", "--clear-groups", "--inh-caps=-all"])
        .arg(env!("CARGO_BIN_EXE_sandlock"))
        .args(["run", "--auto-read", "--uid", "0", "--", "true"])
        .env("PATH", "/usr/bin:/bin")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(
        one_line_error(&out, 125),
        "sandlock: switching the child to uid 0 needs CAP_SETUID, which this process lacks (run as root, or set no \
         uid and the child keeps uid 65534)"
    );
}

#[test]
fn flags_the_program_sets_on_the_commands_pipes_stay_its_own() {
    // A shell pipeline's pipes, as `producer | sandlock run … | consumer`.
    let mut fds = [0; 4];
    // SAFETY: pipe2 writes two new fds each time.
    unsafe {
        assert_eq!(libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC), 0);
        assert_eq!(libc::pipe2(fds[2..].as_mut_ptr(), libc::O_CLOEXEC), 0);
    }
    // SAFETY: four new fds owned by nobody else.
    let [stdin_read, stdin_write, stdout_read, stdout_write] =
        fds.map(|fd| unsafe { <std::os::fd::OwnedFd as std::os::fd::FromRawFd>::from_raw_fd(fd) });
    let kept = [stdin_read.try_clone().unwrap(), stdout_write.try_clone().unwrap()];
    let set_non_blocking = "import os\nfor fd in (0, 1, 2): os.set_blocking(fd, False)\nprint('done')";
    let mut args: Vec<&str> = vec!["run"];
    args.extend(common::PYTHON_READ);
    args.extend(["--", common::PYTHON, "-c", set_non_blocking]);
    let status = sandlock()
        .args(&args)
        .stdin(Stdio::from(stdin_read))
        .stdout(Stdio::from(stdout_write))
        .status()
        .expect("running sandlock");
    assert!(status.success(), "{status:?}");
    for (fd, name) in kept.iter().zip(["stdin", "stdout"]) {
        // SAFETY: F_GETFL on an fd we own.
        let flags = unsafe { libc::fcntl(std::os::fd::AsRawFd::as_raw_fd(fd), libc::F_GETFL) };
        // The next command of the pipeline would get EAGAIN writing to a full pipe.
        assert_eq!(flags & libc::O_NONBLOCK, 0, "{name}: {flags:#x}");
    }
    drop((kept, stdin_write));
    let mut text = String::new();
    std::io::Read::read_to_string(&mut std::fs::File::from(stdout_read), &mut text).unwrap();
    assert_eq!(text, "done\n");
}

#[test]
fn the_commands_pipes_open_again_only_the_way_the_program_was_given_them() {
    // `producer | { sandlock run …; next; }`: writing into its stdin pipe
    // would feed `next`. The pipes are made by the child's uid, whose
    // owner check passes, as it does for uid 0.
    let script = "true 3>/dev/stdin && echo stdin-for-writing || echo refused
        true 3</proc/self/fd/1 && echo stdout-for-reading || echo refused
        true 3</dev/stdin && echo stdin-for-reading";
    for uid in [None, Some("65534")] {
        let mut fds = [0; 4];
        // SAFETY: pipe2 writes two new fds each time.
        unsafe {
            assert_eq!(libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC), 0);
            assert_eq!(libc::pipe2(fds[2..].as_mut_ptr(), libc::O_CLOEXEC), 0);
        }
        if uid.is_some() {
            for fd in [fds[0], fds[2]] {
                // SAFETY: fchown on a pipe this test made.
                assert_eq!(unsafe { libc::fchown(fd, 65534, 65534) }, 0);
            }
        }
        // SAFETY: four new fds owned by nobody else.
        let [stdin_read, stdin_write, stdout_read, stdout_write] =
            fds.map(|fd| unsafe { <std::os::fd::OwnedFd as std::os::fd::FromRawFd>::from_raw_fd(fd) });
        let mut args: Vec<&str> = vec!["run", "--read", "/usr", "--read", "/lib", "--read", "/bin"];
        if let Some(uid) = uid {
            args.extend(["--uid", uid, "--gid", uid]);
        }
        args.extend(["--", "sh", "-c", script]);
        let status = sandlock()
            .args(&args)
            .stdin(Stdio::from(stdin_read.try_clone().unwrap()))
            .stdout(Stdio::from(stdout_write))
            .stderr(Stdio::null())
            .status()
            .expect("running sandlock");
        assert!(status.success(), "{uid:?}: {status:?}");
        let mut text = String::new();
        std::io::Read::read_to_string(&mut std::fs::File::from(stdout_read), &mut text).unwrap();
        assert_eq!(text, "refused\nrefused\nstdin-for-reading\n", "{uid:?}");
        // Nothing reached the pipe's next reader.
        drop(stdin_write);
        let mut rest = Vec::new();
        std::io::Read::read_to_end(&mut std::fs::File::from(stdin_read), &mut rest).unwrap();
        assert_eq!(rest, b"", "{uid:?}");
    }
}

#[test]
fn flags_the_program_sets_on_the_commands_socket_are_put_back_when_it_ends() {
    // A service's stdout to journald is a socket, which cannot be opened
    // again: the program shares the command's description.
    let (socket, peer) = std::os::unix::net::UnixStream::pair().unwrap();
    let kept = socket.try_clone().unwrap();
    let set_non_blocking = "import os\nos.set_blocking(1, False)\nprint('done')";
    let mut args: Vec<&str> = vec!["run"];
    args.extend(common::PYTHON_READ);
    args.extend(["--", common::PYTHON, "-c", set_non_blocking]);
    let status = sandlock().args(&args).stdout(Stdio::from(std::os::fd::OwnedFd::from(socket))).status().unwrap();
    assert!(status.success(), "{status:?}");
    // SAFETY: F_GETFL on an fd we own.
    let flags = unsafe { libc::fcntl(std::os::fd::AsRawFd::as_raw_fd(&kept), libc::F_GETFL) };
    assert_eq!(flags & libc::O_NONBLOCK, 0, "{flags:#x}");
    drop(kept);
    let mut text = String::new();
    std::io::Read::read_to_string(&mut &peer, &mut text).unwrap();
    assert_eq!(text, "done\n");
}
