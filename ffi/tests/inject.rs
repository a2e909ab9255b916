//! fd injection: the library closes an fd it was handed on every fallback
//! path, never closes stdio, and sends a valid fd to the child.

mod common;

use std::ffi::c_void;
use std::os::fd::{AsRawFd, FromRawFd, IntoRawFd, OwnedFd, RawFd};
use std::ptr;
use std::time::{Duration, Instant};

use common::*;
use sandlock::sandlock_action_kind_t::*;
use sandlock::sandlock_exception_policy_t::*;
use sandlock::*;

fn pipe() -> (OwnedFd, OwnedFd) {
    let mut fds = [0; 2];
    // SAFETY: pipe2 writes two fds into `fds`.
    assert_eq!(unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) }, 0);
    // SAFETY: both fds are new and owned by nobody else.
    unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) }
}

/// True once every copy of the pipe's write end is closed: the read end
/// then reports end of file. Other tests' children may hold a copy for a
/// moment between their fork and exec, hence the wait.
fn writer_closed(reader: &OwnedFd) -> bool {
    let mut pfd = libc::pollfd { fd: reader.as_raw_fd(), events: libc::POLLIN, revents: 0 };
    // SAFETY: one valid pollfd.
    if unsafe { libc::poll(&mut pfd, 1, 5000) } != 1 {
        return false;
    }
    let mut byte = 0u8;
    // SAFETY: reading one byte into a local.
    unsafe { libc::read(reader.as_raw_fd(), ptr::from_mut(&mut byte).cast(), 1) == 0 }
}

/// The fd the test hands to a callback through `ud`.
fn fd_of(ud: *mut c_void) -> RawFd {
    ud as usize as RawFd
}

fn fd_as_ud(fd: RawFd) -> *mut c_void {
    fd as usize as *mut c_void
}

unsafe extern "C-unwind" fn inject_then_fail(
    ud: *mut c_void,
    _notif: *const sandlock_notif_data_t,
    _mem: *mut sandlock_mem_handle_t,
    out: *mut sandlock_action_out_t,
) -> i32 {
    // SAFETY: the library passes a writable action.
    unsafe { sandlock_action_set_inject_fd_send(out, fd_of(ud), 0) };
    -1
}

unsafe extern "C-unwind" fn inject_then_panic(
    ud: *mut c_void,
    _notif: *const sandlock_notif_data_t,
    _mem: *mut sandlock_mem_handle_t,
    out: *mut sandlock_action_out_t,
) -> i32 {
    // SAFETY: the library passes a writable action.
    unsafe { sandlock_action_set_inject_fd_send(out, fd_of(ud), 0) };
    panic!("handler panics after handing over an fd");
}

unsafe extern "C-unwind" fn inject_tracked(
    ud: *mut c_void,
    _notif: *const sandlock_notif_data_t,
    _mem: *mut sandlock_mem_handle_t,
    out: *mut sandlock_action_out_t,
) -> i32 {
    // SAFETY: the library passes a writable action; C code can write the
    // reserved kind directly, as this does.
    unsafe {
        (*out).kind = SANDLOCK_ACTION_INJECT_FD_SEND_TRACKED as u32;
        (*out).payload.inject_tracked =
            sandlock_action_inject_tracked_t { srcfd: fd_of(ud), newfd_flags: 0, tracker: 7 };
    }
    0
}

unsafe extern "C-unwind" fn inject_with_bad_flags(
    ud: *mut c_void,
    _notif: *const sandlock_notif_data_t,
    _mem: *mut sandlock_mem_handle_t,
    out: *mut sandlock_action_out_t,
) -> i32 {
    // SAFETY: the library passes a writable action.
    unsafe { sandlock_action_set_inject_fd_send(out, fd_of(ud), libc::O_APPEND as u32) }
}

/// Hand the write end of a fresh pipe to `callback` in a run of `uname`;
/// returns the run's outcome and whether the library closed the fd.
fn hand_over_writer(callback: sandlock_handler_fn_t) -> (Outcome, bool) {
    let (reader, writer) = pipe();
    let fd = writer.into_raw_fd();
    let out =
        run_with(&["uname"], &[registration("uname", handler(callback, fd_as_ud(fd), SANDLOCK_EXCEPTION_DENY_EIO))]);
    (out, writer_closed(&reader))
}

fn uname_failed_with_eio() -> Outcome {
    Outcome {
        exit_code: 1,
        signal: 0,
        stdout: String::new(),
        stderr: "uname: cannot get system name: Input/output error\n".into(),
    }
}

#[test]
fn a_failing_callback_has_its_injected_fd_closed() {
    assert_eq!(hand_over_writer(Some(inject_then_fail)), (uname_failed_with_eio(), true));
}

#[test]
fn a_panicking_callback_has_its_injected_fd_closed() {
    assert_eq!(hand_over_writer(Some(inject_then_panic)), (uname_failed_with_eio(), true));
}

#[test]
fn the_reserved_tracked_kind_has_its_fd_closed() {
    assert_eq!(hand_over_writer(Some(inject_tracked)), (uname_failed_with_eio(), true));
}

#[test]
fn an_injection_the_supervisor_refuses_has_its_fd_closed() {
    assert_eq!(hand_over_writer(Some(inject_with_bad_flags)), (uname_failed_with_eio(), true));
}

unsafe extern "C-unwind" fn inject_raw_fd(
    ud: *mut c_void,
    _notif: *const sandlock_notif_data_t,
    _mem: *mut sandlock_mem_handle_t,
    out: *mut sandlock_action_out_t,
) -> i32 {
    // SAFETY: the library passes a writable action.
    unsafe { sandlock_action_set_inject_fd_send(out, fd_of(ud), 0) }
}

#[test]
fn stdio_fds_are_refused_and_left_open() {
    for fd in [0, 1, 2] {
        let before = stat_fd(fd);
        let out = run_with(
            &["uname"],
            &[registration("uname", handler(Some(inject_raw_fd), fd_as_ud(fd), SANDLOCK_EXCEPTION_DENY_EIO))],
        );
        assert_eq!(out, uname_failed_with_eio(), "fd {fd}");
        assert!(same_file(fd, &before), "fd {fd} was closed");
    }
}

#[test]
fn a_negative_fd_is_refused() {
    let out = run_with(
        &["uname"],
        &[registration("uname", handler(Some(inject_raw_fd), fd_as_ud(-1), SANDLOCK_EXCEPTION_DENY_EIO))],
    );
    assert_eq!(out, uname_failed_with_eio());
}

unsafe extern "C-unwind" fn inject_on_virtual_path(
    ud: *mut c_void,
    notif: *const sandlock_notif_data_t,
    mem: *mut sandlock_mem_handle_t,
    out: *mut sandlock_action_out_t,
) -> i32 {
    let mut path = [0u8; 64];
    let mut len = 0usize;
    // SAFETY: `notif` and `mem` are valid during the call; args[1] is the
    // openat path; `path` holds 64 bytes.
    let rc = unsafe { sandlock_mem_read_cstr(mem, (*notif).args[1], path.as_mut_ptr(), path.len(), &mut len) };
    if rc != 0 || &path[..len] != b"/virtual/pipe" {
        // SAFETY: the library passes a writable action.
        return unsafe { sandlock_action_set_continue(out) };
    }
    // SAFETY: the library passes a writable action.
    unsafe { sandlock_action_set_inject_fd_send(out, fd_of(ud), libc::O_CLOEXEC as u32) }
}

/// True once no process holds the pipe's read end any more: writing then
/// fails with `EPIPE` (Rust ignores SIGPIPE). Other tests' children may
/// hold a copy for a moment between their fork and exec, hence the retries.
fn reader_closed(writer: &std::fs::File) -> bool {
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline {
        match std::io::Write::write(&mut &*writer, b"x") {
            Err(e) if e.raw_os_error() == Some(libc::EPIPE) => return true,
            _ => std::thread::sleep(Duration::from_millis(10)),
        }
    }
    false
}

#[test]
fn an_injected_fd_reaches_the_child_and_the_supervisor_copy_is_closed() {
    let (reader, writer) = pipe();
    let writer = std::fs::File::from(writer);
    std::io::Write::write_all(&mut &writer, b"through the pipe\n").unwrap();
    let fd = reader.into_raw_fd();
    let out = run_with(
        &["/usr/bin/head", "-c", "17", "/virtual/pipe"],
        &[registration("openat", handler(Some(inject_on_virtual_path), fd_as_ud(fd), SANDLOCK_EXCEPTION_KILL))],
    );
    assert_eq!(out, Outcome { exit_code: 0, signal: 0, stdout: "through the pipe\n".into(), stderr: String::new() });
    assert!(reader_closed(&writer), "the supervisor kept its copy of the injected fd");
}

/// An fd number the callback does not hold (closed, beyond any limit) is a
/// failed callback: its exception policy answers, not an `EBADF` from the
/// kernel's fd transfer.
#[test]
fn an_fd_that_is_not_open_gets_the_exception_policy() {
    // Numbers no other test of this process can be given: the kernel hands
    // out the lowest free number, so a number just closed here could be
    // another test's fd by the time the handler runs.
    for fd in [(1 << 20) - 1, 1 << 20, i32::MAX] {
        let out = run_with(
            &["uname"],
            &[registration("uname", handler(Some(inject_raw_fd), fd_as_ud(fd), SANDLOCK_EXCEPTION_DENY_EIO))],
        );
        assert_eq!(out, uname_failed_with_eio(), "fd {fd}");
    }
}
