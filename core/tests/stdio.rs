//! Streams the caller hands to a run: the child reads and writes the
//! caller's fds, the caller keeps (and closes) its own.

mod common;

use std::io::{Read, Write};
use std::os::fd::OwnedFd;

use common::{policy, sandbox};
use sandlock_core::{ExitStatus, Stdio, StdioOverrides};

fn pipe() -> (std::fs::File, OwnedFd) {
    let (read, write) = std::io::pipe().unwrap();
    (std::fs::File::from(OwnedFd::from(read)), OwnedFd::from(write))
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
    let (reader, mut writer) = {
        let (r, w) = std::io::pipe().unwrap();
        (OwnedFd::from(r), std::fs::File::from(OwnedFd::from(w)))
    };
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
