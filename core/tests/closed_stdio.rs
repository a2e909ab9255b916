//! A caller whose standard input is closed still runs sandboxes. Alone in
//! its binary: it closes this process's fd 0.

mod common;

use std::io::{Read, Write};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

use common::{policy, sandbox};
use sandlock_core::{ExitStatus, Stdio, StdioOverrides};

/// The next fds the caller made took number 0 — the policy's ruleset, a
/// pipe — and the child's setup put its stdin there: every run failed with
/// "applying the Landlock ruleset: File descriptor in bad state".
#[test]
fn runs_work_for_a_caller_whose_stdin_is_closed() {
    // SAFETY: closing this process's stdin, which this test binary does not read.
    assert_eq!(unsafe { libc::close(0) }, 0);
    a_stream_given_on_a_stdio_number_is_the_one_the_child_gets();
    let sandbox = sandbox(policy());
    let runs = || {
        for _ in 0..3 {
            let out = sandbox.run(&["/bin/sh", "-c", "echo ran; read line; echo $?"]).unwrap();
            assert_eq!(
                String::from_utf8_lossy(&out.stdout),
                "ran\n1\n",
                "stderr: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
    };
    runs();
    // And once the supervisor has copied a child's fd, when each spawn
    // makes a table of its own.
    common::take_a_copy_of_a_childs_socket();
    runs();
}

/// A caller's stream that sits at a stdio number other than its own (here
/// the child's stdout at 0, free in this process): putting the child's
/// stdin in place first overwrote it, and the child wrote into its stdin.
fn a_stream_given_on_a_stdio_number_is_the_one_the_child_gets() {
    let (mut output, output_end) = pipe();
    // SAFETY: dup3 of our own pipe end onto fd 0, which is free (the pipe's
    // ends are above it).
    let at_zero = unsafe { libc::dup3(output_end.as_raw_fd(), 0, libc::O_CLOEXEC) };
    assert_eq!(at_zero, 0);
    drop(output_end);
    // SAFETY: the fd just made, which nothing else owns.
    let stdout = unsafe { OwnedFd::from_raw_fd(at_zero) };
    let (stdin, fed) = pipe();
    std::fs::File::from(fed).write_all(b"fed\n").unwrap();
    let stdio = StdioOverrides {
        stdin: Some(Stdio::Fd(stdin.into())),
        stdout: Some(Stdio::Fd(stdout)),
        stderr: Some(Stdio::Null),
    };
    let out = sandbox(policy()).run_with(&["cat"], stdio).unwrap();
    assert_eq!(out.status, ExitStatus::Exited(0), "stderr: {}", String::from_utf8_lossy(&out.stderr));
    let mut text = String::new();
    output.read_to_string(&mut text).unwrap();
    assert_eq!(text, "fed\n");
}

/// A pipe whose ends are above the stdio numbers.
fn pipe() -> (std::fs::File, OwnedFd) {
    let mut fds = [0; 2];
    // SAFETY: pipe2 writes two fds into the array.
    assert_eq!(unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) }, 0);
    let [read, write] = fds.map(|fd| {
        // SAFETY: F_DUPFD_CLOEXEC of our own new fd, then closing that one.
        let above = unsafe { libc::fcntl(fd, libc::F_DUPFD_CLOEXEC, 3) };
        assert!(above > 2);
        // SAFETY: as above.
        unsafe { libc::close(fd) };
        // SAFETY: the fd just made, owned once.
        unsafe { OwnedFd::from_raw_fd(above) }
    });
    (std::fs::File::from(read), write)
}
