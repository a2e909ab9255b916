//! On a terminal the command hands the terminal to the sandbox and follows
//! its stops like a shell job. The sandboxed program must not be able to
//! use that to stop the command's timeout while the rest of it runs on.
//! Each test starts `sandlock` in a session of its own whose controlling
//! terminal is a new pty, as a shell's job would have.

mod common;

use std::fs::File;
use std::io::Read;
use std::os::fd::{FromRawFd, OwnedFd};
use std::os::unix::process::CommandExt;
use std::process::{Child, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// A pty: (master, slave).
fn pty() -> (OwnedFd, OwnedFd) {
    let (mut master, mut slave) = (-1, -1);
    // SAFETY: openpty writes two new fds; the name and settings are unused.
    let rc =
        unsafe { libc::openpty(&mut master, &mut slave, std::ptr::null_mut(), std::ptr::null(), std::ptr::null()) };
    assert_eq!(rc, 0, "openpty: {}", std::io::Error::last_os_error());
    // SAFETY: both fds are new and owned by nobody else.
    unsafe { (OwnedFd::from_raw_fd(master), OwnedFd::from_raw_fd(slave)) }
}

/// The command in its session; dropping it kills what is left of the
/// session (the command and its sandbox), so a failing test leaves nothing.
struct Session(Child);

impl Drop for Session {
    fn drop(&mut self) {
        kill_session(self.0.id());
        let _ = self.0.wait();
    }
}

/// `sandlock ARGS` in a new session whose controlling terminal is the
/// slave of a new pty; returns the command and the master, drained on a
/// thread so that the child's writes never block.
fn on_a_terminal(args: &[&str]) -> (Session, std::thread::JoinHandle<Vec<u8>>) {
    let mut command = common::sandlock();
    command.args(args);
    started_on_a_terminal(command)
}

/// As [`on_a_terminal`], but `sandlock ARGS` is a job of a job-control shell
/// (`sh -m`), which leads the session and prints `exit N` when the job
/// ends: the job's process group is then not orphaned, so the terminal can
/// stop it (SIGTTOU), as under an interactive shell.
fn as_a_shell_job(args: &[&str]) -> (Session, std::thread::JoinHandle<Vec<u8>>) {
    let mut command = std::process::Command::new("/bin/sh");
    command.args(["-m", "-c", r#""$0" "$@"; echo "exit $?""#, env!("CARGO_BIN_EXE_sandlock")]).args(args);
    started_on_a_terminal(command)
}

fn started_on_a_terminal(mut command: std::process::Command) -> (Session, std::thread::JoinHandle<Vec<u8>>) {
    let (master, slave) = pty();
    command.stdin(Stdio::from(slave.try_clone().unwrap()));
    command.stdout(Stdio::from(slave.try_clone().unwrap()));
    command.stderr(Stdio::from(slave));
    // SAFETY: between fork and exec only setsid and ioctl, both
    // async-signal-safe; stdin is the pty's slave.
    unsafe {
        command.pre_exec(|| {
            if libc::setsid() < 0 || libc::ioctl(0, libc::TIOCSCTTY, 0) < 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let child = command.spawn().expect("starting sandlock on a pty");
    let reader = std::thread::spawn(move || {
        let mut out = Vec::new();
        // EIO once every slave fd is closed: the end of the output.
        let _ = File::from(master).read_to_end(&mut out);
        out
    });
    (Session(child), reader)
}

/// The process state letter of `pid` (`T` when stopped).
fn state(pid: u32) -> char {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    stat.rsplit_once(')').unwrap().1.trim_start().chars().next().unwrap()
}

fn wait_until(what: &str, limit: Duration, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting until {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The command's exit status, waiting at most `limit` (then the test
/// fails, and dropping the session kills it).
fn exit_within(sandlock: &mut Session, limit: Duration) -> ExitStatus {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(status) = sandlock.0.try_wait().unwrap() {
            return status;
        }
        assert!(Instant::now() < deadline, "sandlock did not end within {limit:?}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// SIGKILL to every process of session `sid`: the command and its sandbox.
fn kill_session(sid: u32) {
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<i32>() else { continue };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else { continue };
        // After the name: state, ppid, pgrp, session.
        let session = stat.rsplit_once(')').and_then(|(_, rest)| rest.split_whitespace().nth(3)?.parse::<u32>().ok());
        if session == Some(sid) {
            // SAFETY: kill has no memory effects; the process is in our child's session.
            unsafe { libc::kill(pid, libc::SIGKILL) };
        }
    }
}

/// The program's leader stops itself while another of its processes keeps
/// writing. The command follows the stop, as a job does — and the whole
/// sandbox stops with it, so nothing runs on while its timeout cannot fire;
/// once continued (`fg`), the timeout that passed meanwhile fires.
#[test]
fn a_program_stopping_itself_stops_all_of_the_sandbox_with_the_command() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("log");
    let script =
        format!("(while :; do echo alive >> {0}; sleep 0.05; done) & sleep 0.3; kill -STOP $$; wait", log.display());
    let dir_arg = dir.path().to_str().unwrap();
    let args = ["run", "--read", "/usr", "--read", "/bin", "--read", "/lib", "--read", "/lib64", "--write", dir_arg];
    let (mut sandlock, output) =
        on_a_terminal(&[&args[..], &["--timeout", "2s", "--", "/bin/sh", "-c", &script]].concat());
    wait_until("the command follows the stop", Duration::from_secs(10), || state(sandlock.0.id()) == 'T');
    let lines = || std::fs::read_to_string(&log).map(|l| l.lines().count()).unwrap_or(0);
    // Stopped past its timeout: the writer must be stopped too.
    std::thread::sleep(Duration::from_millis(2500));
    let before = lines();
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(lines(), before, "a process of the sandbox ran on while the command was stopped");
    // SAFETY: kill has no memory effects; the pid is our child's.
    assert_eq!(unsafe { libc::kill(sandlock.0.id() as i32, libc::SIGCONT) }, 0);
    let status = exit_within(&mut sandlock, Duration::from_secs(10));
    assert_eq!(status.code(), Some(124));
    drop(output);
}

/// The program sets `TOSTOP` on the terminal it was handed; the command's
/// own audit lines to the same terminal must not stop it (SIGTTOU), which
/// would stop its timeout too.
#[test]
fn tostop_on_the_terminal_does_not_stop_the_commands_timeout() {
    let started = Instant::now();
    let (mut shell, output) = as_a_shell_job(&[
        "run",
        "--read",
        "/usr",
        "--read",
        "/bin",
        "--read",
        "/lib",
        "--read",
        "/lib64",
        "--audit",
        "clock_nanosleep",
        "--timeout",
        "2s",
        "--",
        "/bin/sh",
        "-c",
        "stty tostop; while :; do sleep 0.1; done",
    ]);
    // A stopped job leaves the shell waiting for it: no exit then.
    exit_within(&mut shell, Duration::from_secs(15));
    // The sandbox is gone with its timeout, so every slave fd is closed.
    let output = String::from_utf8_lossy(&output.join().unwrap()).into_owned();
    assert!(output.contains("exit 124"), "the timeout ended the run: {output}");
    assert!(started.elapsed() < Duration::from_secs(10), "{output}");
    assert!(output.contains("clock_nanosleep"), "the audit lines reach the terminal: {output}");
}
