//! Streams the caller hands to a run: the child reads and writes the
//! caller's fds, the caller keeps (and closes) its own.

mod common;

use std::io::{Read, Write};
use std::os::fd::{FromRawFd, OwnedFd};

use common::{policy, sandbox};
use sandlock_core::{ExitStatus, Stdio, StdioOverrides};

/// (read end, write end), both close-on-exec.
fn raw_pipe() -> (OwnedFd, OwnedFd) {
    let mut fds = [0; 2];
    // SAFETY: pipe2 writes two new fds into `fds`.
    assert_eq!(unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) }, 0);
    // SAFETY: both fds are new and owned by nobody else.
    unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) }
}

fn pipe() -> (std::fs::File, OwnedFd) {
    let (read, write) = raw_pipe();
    (std::fs::File::from(read), write)
}

#[test]
fn a_spawned_child_writes_to_the_callers_pipe() {
    let (mut reader, writer) = pipe();
    let stdio = StdioOverrides { stdout: Some(Stdio::Fd(writer)), stderr: Some(Stdio::Null), ..Default::default() };
    let mut child = sandbox(policy()).spawn_with(&["echo", "through the pipe"], stdio).unwrap();
    assert_eq!(child.wait().unwrap(), ExitStatus::Exited(0));
    // The library closed its copy: EOF comes once the child is gone.
    let mut text = String::new();
    reader.read_to_string(&mut text).unwrap();
    assert_eq!(text, "through the pipe\n");
}

#[test]
fn a_run_reads_the_callers_stdin_and_still_captures_what_it_was_not_given() {
    let (reader, writer) = raw_pipe();
    let mut writer = std::fs::File::from(writer);
    writer.write_all(b"fed by the caller\n").unwrap();
    drop(writer);
    let stdio = StdioOverrides { stdin: Some(Stdio::Fd(reader)), ..Default::default() };
    let out = sandbox(policy()).run_with(&["cat"], stdio).unwrap();
    assert_eq!((out.status, out.stdout.as_slice()), (ExitStatus::Exited(0), &b"fed by the caller\n"[..]));
}

#[test]
fn a_stream_given_to_run_is_not_captured() {
    let (mut reader, writer) = pipe();
    let stdio = StdioOverrides { stderr: Some(Stdio::Fd(writer)), ..Default::default() };
    let out = sandbox(policy()).run_with(&["sh", "-c", "echo out; echo err >&2"], stdio).unwrap();
    assert_eq!((out.stdout.as_slice(), out.stderr.as_slice()), (&b"out\n"[..], &b""[..]));
    let mut text = String::new();
    reader.read_to_string(&mut text).unwrap();
    assert_eq!(text, "err\n");
}
