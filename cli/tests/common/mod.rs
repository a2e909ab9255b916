//! Running the built `sandlock` binary, and what the tests assert about
//! its output.

// Each test binary uses a different subset of these helpers.
#![allow(dead_code)]

use std::path::Path;
use std::process::{Command, Output, Stdio};

/// The python3 of the system, with what it needs to start.
pub const PYTHON: &str = "/usr/bin/python3";
pub const PYTHON_READ: [&str; 4] = ["--read", "/usr", "--read", "/etc"];

pub fn sandlock() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_sandlock"));
    command.stdin(Stdio::null());
    command
}

/// Run `sandlock ARGS` to completion.
pub fn run(args: &[&str]) -> Output {
    sandlock().args(args).output().expect("running sandlock")
}

pub fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

pub fn code(out: &Output) -> i32 {
    out.status.code().unwrap_or_else(|| panic!("sandlock itself was killed: {:?}", out.status))
}

/// The run succeeded; returns what it printed.
pub fn ok(out: &Output) -> String {
    assert_eq!(code(out), 0, "stdout: {}\nstderr: {}", stdout(out), stderr(out));
    stdout(out)
}

/// The run failed with `status` and exactly one line on stderr, which is
/// returned.
pub fn one_line_error(out: &Output, status: i32) -> String {
    let err = stderr(out);
    assert_eq!(code(out), status, "stderr: {err}");
    assert_eq!(err.lines().count(), 1, "not one line: {err:?}");
    assert!(err.starts_with("sandlock: ") && err.ends_with('\n'), "{err:?}");
    err.trim_end().to_string()
}

pub fn path(p: &Path) -> &str {
    p.to_str().expect("test paths are UTF-8")
}
