//! Streams the caller hands to a run: the child reads and writes the
//! caller's fds, the caller keeps (and closes) its own.

mod common;

use std::io::{Read, Write};
use std::os::fd::{FromRawFd, OwnedFd};

use common::{policy, program, pseudo_terminal, sandbox, sandbox_as, Identity};
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

fn status_flags(fd: &OwnedFd) -> libc::c_int {
    // SAFETY: F_GETFL on an fd we own.
    let flags = unsafe { libc::fcntl(std::os::fd::AsRawFd::as_raw_fd(fd), libc::F_GETFL) };
    assert!(flags >= 0);
    flags & (libc::O_NONBLOCK | libc::O_APPEND)
}

#[test]
fn status_flags_the_child_sets_on_the_callers_pipes_and_terminal_stay_its_own() {
    for id in Identity::all() {
        let (stdin_read, stdin_write) = raw_pipe();
        let (stdout_read, stdout_write) = raw_pipe();
        let (_master, slave) = pseudo_terminal();
        // The caller's own copies share their descriptions with what it gives.
        let kept = [stdin_read.try_clone().unwrap(), stdout_write.try_clone().unwrap(), slave.try_clone().unwrap()];
        let stdio = StdioOverrides {
            stdin: Some(Stdio::Fd(stdin_read)),
            stdout: Some(Stdio::Fd(stdout_write)),
            stderr: Some(Stdio::Fd(slave)),
        };
        let out = sandbox_as(id, policy()).run_with(&[program("status_flags")], stdio).unwrap();
        assert_eq!(out.status, ExitStatus::Exited(0), "{id}");
        for (fd, name) in kept.iter().zip(["stdin pipe", "stdout pipe", "terminal"]) {
            // O_NONBLOCK left on a caller's stdout made its next write to a
            // full pipe fail with EAGAIN.
            assert_eq!(status_flags(fd), 0, "{id}: {name}");
        }
        drop((kept, stdin_write));
        let mut text = String::new();
        std::fs::File::from(stdout_read).read_to_string(&mut text).unwrap();
        assert_eq!(text, "done\n", "{id}: the child still writes to the caller's pipe");
    }
}

#[test]
fn status_flags_the_child_sets_on_a_given_file_are_put_back_after_the_run() {
    let dir = common::TempDir::new();
    for id in Identity::all() {
        // A regular file's offset must stay shared with the caller's: the
        // child shares its description, whose flags come back afterwards.
        let file = std::fs::File::create(dir.file(&format!("out-{id}"))).unwrap();
        let kept = OwnedFd::from(file.try_clone().unwrap());
        let stdio = StdioOverrides {
            stdin: Some(Stdio::Null),
            stdout: Some(Stdio::Fd(file.into())),
            stderr: Some(Stdio::Null),
        };
        let out = sandbox_as(id, policy()).run_with(&[program("status_flags")], stdio).unwrap();
        assert_eq!(out.status, ExitStatus::Exited(0), "{id}");
        assert_eq!(status_flags(&kept), 0, "{id}");
        assert_eq!(std::fs::read_to_string(dir.file(&format!("out-{id}"))).unwrap(), "done\n", "{id}");
    }
}

#[test]
fn a_caller_reading_a_given_socket_to_its_end_before_it_waits_sees_the_end() {
    let (reader, writer) = std::os::unix::net::UnixStream::pair().unwrap();
    let stdio = StdioOverrides { stdout: Some(Stdio::Fd(writer.into())), ..Default::default() };
    let mut child = sandbox(policy()).spawn_with(&["echo", "to the end"], stdio).unwrap();
    // Nothing of the library's may hold the socket open until the reap
    // (which would make this read wait for good: bounded, to fail instead).
    reader.set_read_timeout(Some(std::time::Duration::from_secs(30))).unwrap();
    let mut text = String::new();
    (&reader).read_to_string(&mut text).unwrap();
    assert_eq!(text, "to the end\n");
    assert_eq!(child.wait().unwrap(), ExitStatus::Exited(0));
}

#[test]
fn a_path_only_fd_given_as_stdin_stays_unreadable() {
    for id in Identity::all() {
        let (read, write) = raw_pipe();
        std::fs::File::from(write).write_all(b"secret\n").unwrap();
        // SAFETY: a NUL-terminated path; the new fd is owned below.
        let only_path = unsafe {
            let path =
                std::ffi::CString::new(format!("/proc/self/fd/{}", std::os::fd::AsRawFd::as_raw_fd(&read))).unwrap();
            let fd = libc::open(path.as_ptr(), libc::O_PATH | libc::O_CLOEXEC);
            assert!(fd >= 0);
            OwnedFd::from_raw_fd(fd)
        };
        let stdio = StdioOverrides { stdin: Some(Stdio::Fd(only_path)), ..Default::default() };
        // Nor may it open the pipe again through its fd (the caller could
        // not: an O_PATH fd is no reader).
        let out = sandbox_as(id, policy()).run_with(&["/bin/sh", "-c", "cat; cat /dev/stdin"], stdio).unwrap();
        // The caller's fd grants no reading; the child's may not either.
        assert_eq!(out.stdout, b"", "{id}");
        assert_ne!(out.status, ExitStatus::Exited(0), "{id}");
        drop(read);
    }
}

/// Every way back to a given pipe: the `/dev/std*` links, the child's own
/// `/proc/self/fd`, and another process's `/proc/<pid>/fd` in the sandbox.
/// Prints "refused" for each open in a direction the child was not given,
/// then tries the directions it was.
const REOPEN_THE_OTHER_WAY: &str = "\
    true 3>/dev/stdin && echo stdin-for-writing || echo refused
    true 3</dev/stdout && echo stdout-for-reading || echo refused
    true 3<>/proc/self/fd/0 && echo stdin-both-ways || echo refused
    sh -c 'true 3>/proc/$PPID/fd/0' && echo stdin-of-another-process || echo refused
    true 3</dev/stdin && echo stdin-for-reading
    true 3>/dev/stdout && echo stdout-for-writing";

fn mode_of(fd: &OwnedFd) -> u32 {
    // SAFETY: fstat fills a zeroed stat for an fd we own.
    let mut stat: libc::stat = unsafe { std::mem::zeroed() };
    // SAFETY: as above.
    assert_eq!(unsafe { libc::fstat(std::os::fd::AsRawFd::as_raw_fd(fd), &mut stat) }, 0);
    stat.st_mode & 0o7777
}

/// Runs [`REOPEN_THE_OTHER_WAY`] in `sandbox` on two new pipes of the
/// caller's, owned by `owner` (changed to it when it is given).
fn only_the_given_directions_open_again(sandbox: &sandlock_core::Sandbox, owner: Option<u32>, what: &str) {
    let (stdin_read, stdin_write) = raw_pipe();
    let (stdout_read, stdout_write) = raw_pipe();
    for (end, uid) in [&stdin_read, &stdout_read].into_iter().zip(owner.into_iter().cycle()) {
        // SAFETY: fchown on a pipe we own.
        assert_eq!(unsafe { libc::fchown(std::os::fd::AsRawFd::as_raw_fd(end), uid, uid) }, 0);
    }
    let stdio = StdioOverrides {
        stdin: Some(Stdio::Fd(stdin_read.try_clone().unwrap())),
        stdout: Some(Stdio::Fd(stdout_write)),
        stderr: Some(Stdio::Null),
    };
    let out = sandbox.run_with(&["/bin/sh", "-c", REOPEN_THE_OTHER_WAY], stdio).unwrap();
    assert_eq!(out.status, ExitStatus::Exited(0), "{what}");
    let mut text = String::new();
    std::fs::File::from(stdout_read.try_clone().unwrap()).read_to_string(&mut text).unwrap();
    assert_eq!(
        text, "refused\nrefused\nrefused\nrefused\nstdin-for-reading\nstdout-for-writing\n",
        "{what}: a pipe opened again the other way reaches whoever reads or writes it next"
    );
    // Nothing went into the caller's stdin pipe, and both modes are back.
    // SAFETY: F_SETFL on a pipe we own.
    unsafe { libc::fcntl(std::os::fd::AsRawFd::as_raw_fd(&stdin_read), libc::F_SETFL, libc::O_NONBLOCK) };
    let read = std::fs::File::from(stdin_read.try_clone().unwrap()).read(&mut [0u8; 1]);
    assert_eq!(read.map_err(|e| e.kind()), Err(std::io::ErrorKind::WouldBlock), "{what}");
    assert_eq!((mode_of(&stdin_read), mode_of(&stdout_read)), (0o600, 0o600), "{what}");
    drop(stdin_write);
}

#[test]
fn the_callers_pipes_open_again_only_the_way_the_child_was_given_them() {
    for id in Identity::all() {
        // Made by the child's uid, as a host or shell of that uid makes
        // them: the kernel's owner check passes then (and for uid 0 always).
        only_the_given_directions_open_again(&sandbox_as(id, policy()), Some(id.uid()), &id.to_string());
    }
}

/// A caller without privilege changes the mode of its own pipes, and its
/// child, of the same uid, is held by it.
#[test]
fn an_unprivileged_callers_pipes_open_again_only_the_way_its_child_was_given_them() {
    common::as_unprivileged_caller(
        "an_unprivileged_callers_pipes_open_again_only_the_way_its_child_was_given_them",
        &[],
        || {
            let policy = sandlock_core::Policy::builder().fs_read(common::system_read_paths()).build().unwrap();
            let sandbox = sandlock_core::Sandbox::new(policy).unwrap();
            only_the_given_directions_open_again(&sandbox, None, "an unprivileged caller");
        },
    );
}
