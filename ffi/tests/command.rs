//! The 1.1 command object, error objects, static handlers and child
//! controls, through the C ABI.

mod common;

use std::ffi::{c_int, CStr};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::ptr;

use common::*;
use sandlock::sandlock_exit_reason_t::*;
use sandlock::sandlock_status_t::*;
use sandlock::*;

/// An owned error's status, errno and message; frees it.
fn take(err: *mut sandlock_error_t) -> (i32, i32, String) {
    assert!(!err.is_null(), "no error object");
    // SAFETY: a live error, freed once.
    unsafe {
        let message = CStr::from_ptr(sandlock_error_message(err)).to_str().unwrap().to_owned();
        let out = (sandlock_error_status(err), sandlock_error_errno(err), message);
        sandlock_error_free(err);
        out
    }
}

fn command(args: &[&str]) -> *mut sandlock_command_t {
    let policy = system_policy();
    let argv = Argv::new(args);
    let mut err = ptr::null_mut();
    // SAFETY: a live policy and argv; the command copies both.
    let command = unsafe { sandlock_command_new(policy, argv.ptr(), argv.argc(), &mut err) };
    // SAFETY: freed once; the command keeps its own copy.
    unsafe { sandlock_policy_free(policy) };
    assert!(!command.is_null() && err.is_null());
    command
}

fn pipe() -> (OwnedFd, OwnedFd) {
    let mut fds = [0; 2];
    // SAFETY: pipe2 writes two new fds into `fds`.
    assert_eq!(unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) }, 0);
    // SAFETY: both are new and ours.
    unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) }
}

fn read_all(fd: OwnedFd) -> String {
    let mut text = String::new();
    std::io::Read::read_to_string(&mut std::fs::File::from(fd), &mut text).unwrap();
    text
}

#[test]
fn a_command_runs_with_its_output_captured_and_its_exit_described() {
    let command = command(&["sh", "-c", "echo out; echo err >&2; exit 3"]);
    let mut err = ptr::null_mut();
    // SAFETY: a live command.
    let result = unsafe { sandlock_command_run(command, &mut err) };
    assert!(err.is_null());
    // SAFETY: a live result.
    let exit = unsafe { *sandlock_result_exit(result) };
    assert_eq!(
        exit,
        sandlock_exit_t {
            reason: SANDLOCK_EXIT_EXITED as u32,
            exit_code: 3,
            signal: 0,
            syscall_nr: -1,
            stdout_truncated: false,
            stderr_truncated: false
        }
    );
    assert_eq!(outcome(result), Outcome { exit_code: 3, signal: 0, stdout: "out\n".into(), stderr: "err\n".into() });
    // A command runs once.
    // SAFETY: a live command.
    assert!(unsafe { sandlock_command_run(command, &mut err) }.is_null());
    assert_eq!(
        take(err),
        (SANDLOCK_E_INVALID as i32, 0, "the command already ran; create a new one for each run".into())
    );
    // SAFETY: freed once.
    unsafe { sandlock_command_free(command) };
}

#[test]
fn a_spawned_command_streams_through_the_callers_fds_which_it_keeps() {
    let command = command(&["cat"]);
    let (in_read, in_write) = pipe();
    let (out_read, out_write) = pipe();
    // SAFETY: a live command and open fds, which the command duplicates.
    unsafe {
        assert_eq!(sandlock_command_set_stdin(command, in_read.as_raw_fd(), ptr::null_mut()), 0);
        assert_eq!(sandlock_command_set_stdout(command, out_write.as_raw_fd(), ptr::null_mut()), 0);
    }
    drop((in_read, out_write));
    let mut err = ptr::null_mut();
    // SAFETY: a live command.
    let child = unsafe { sandlock_command_spawn(command, &mut err) };
    assert!(!child.is_null(), "{}", last_error());
    // SAFETY: freed once; the child does not need it.
    unsafe { sandlock_command_free(command) };
    std::io::Write::write_all(&mut std::fs::File::from(in_write), b"streamed\n").unwrap();
    // SAFETY: a live child.
    assert_eq!(unsafe { sandlock_child_wait_for(child, -1, &mut err) }, SANDLOCK_OK as c_int);
    // SAFETY: the child ended and was waited for.
    let exit = unsafe { *sandlock_child_exit(child) };
    assert_eq!((exit.reason, exit.exit_code), (SANDLOCK_EXIT_EXITED as u32, 0));
    // SAFETY: freed once.
    unsafe { sandlock_child_free(child) };
    assert_eq!(read_all(out_read), "streamed\n");
}

#[test]
fn another_thread_pauses_resumes_and_kills_a_child_while_one_waits() {
    let command = command(&["sleep", "30"]);
    // SAFETY: a live command.
    let child = unsafe { sandlock_command_spawn(command, ptr::null_mut()) };
    // SAFETY: freed once.
    unsafe { sandlock_command_free(command) };
    assert!(!child.is_null());
    let shared = child as usize;
    let waiter = std::thread::spawn(move || {
        // SAFETY: the child lives until the main thread frees it after join.
        unsafe { sandlock_child_wait_for(shared as *const sandlock_child_t, -1, ptr::null_mut()) }
    });
    // SAFETY: a live child; signals may overlap the wait.
    unsafe {
        assert!(sandlock_child_exit(child).is_null());
        assert_eq!(sandlock_child_pause(child, ptr::null_mut()), 0);
        assert_eq!(sandlock_child_resume(child, ptr::null_mut()), 0);
        let mut err = ptr::null_mut();
        assert_eq!(sandlock_child_signal(child, 65, &mut err), SANDLOCK_E_INVALID as c_int);
        assert_eq!(take(err), (SANDLOCK_E_INVALID as i32, 0, "signal 65 is not in 1..=64".into()));
        assert_eq!(sandlock_child_signal(child, libc::SIGTERM, ptr::null_mut()), 0);
    }
    assert_eq!(waiter.join().unwrap(), SANDLOCK_OK as c_int);
    // SAFETY: a live child, waited for.
    let exit = unsafe { *sandlock_child_exit(child) };
    assert_eq!((exit.reason, exit.exit_code, exit.signal), (SANDLOCK_EXIT_SIGNALED as u32, -1, libc::SIGTERM));
    // SAFETY: freed once.
    unsafe { sandlock_child_free(child) };
}

#[test]
fn a_static_handler_answers_without_a_callback() {
    let mut action = action_with_sentinel();
    // SAFETY: a writable action.
    unsafe { sandlock_action_set_return_value(&mut action, 4242) };
    let mut err = ptr::null_mut();
    // SAFETY: a readable action.
    let handler = unsafe { sandlock_handler_new_static(&action, &mut err) };
    assert!(!handler.is_null() && err.is_null());
    let command = command(&["sh", "-c", "echo $PPID"]);
    // SAFETY: a live command; the handler is consumed.
    unsafe { assert_eq!(sandlock_command_add_handler(command, syscall_nr("getppid"), handler, ptr::null_mut()), 0) };
    // SAFETY: a live command, freed once.
    let result = unsafe { sandlock_command_run(command, ptr::null_mut()) };
    // SAFETY: freed once.
    unsafe { sandlock_command_free(command) };
    assert_eq!(outcome(result).stdout, "4242\n");

    // SAFETY: a writable action.
    unsafe { sandlock_action_set_hold(&mut action) };
    // SAFETY: a readable action.
    assert!(unsafe { sandlock_handler_new_static(&action, &mut err) }.is_null());
    let (status, _, message) = take(err);
    assert_eq!(status, SANDLOCK_E_INVALID as i32);
    assert_eq!(message, "a static handler answers with continue, an errno or a return value, not action kind 6");
}

#[test]
fn add_handler_consumes_the_handler_on_every_path() {
    let counter = DropCounter::default();
    let command = command(&["true"]);
    let mut err = ptr::null_mut();
    // SAFETY: a live command; each handler is consumed by the call.
    unsafe {
        assert_eq!(sandlock_command_add_handler(command, -5, counter.handler(Some(allow)), &mut err), -1);
        assert_eq!(
            take(err),
            (
                SANDLOCK_E_INVALID as i32,
                0,
                "syscall_nr: syscall number -5 is not a syscall of this architecture".into()
            )
        );
        assert_eq!(counter.count(), 1);
        assert_eq!(sandlock_command_add_handler(ptr::null_mut(), 0, counter.handler(Some(allow)), &mut err), -1);
        assert_eq!(take(err).2, "command must not be NULL");
        assert_eq!(counter.count(), 2);
        // Never run: freeing the command frees it.
        assert_eq!(
            sandlock_command_add_handler(command, syscall_nr("uname"), counter.handler(Some(allow)), &mut err),
            0
        );
        sandlock_command_free(command);
    }
    assert_eq!(counter.count(), 3);
}

#[test]
fn adding_one_handler_twice_is_refused_and_frees_it_once() {
    // Taking the same handler twice freed it twice (a double free, and a
    // second ud_drop): the header promises SANDLOCK_E_INVALID instead.
    let counter = DropCounter::default();
    let command = command(&["sh", "-c", "echo $PPID"]);
    let handler = counter.handler(Some(allow));
    let mut err = ptr::null_mut();
    // SAFETY: a live command; the handler is consumed once, by the first call.
    unsafe {
        assert_eq!(sandlock_command_add_handler(command, syscall_nr("getppid"), handler, &mut err), 0);
        assert_eq!(sandlock_command_add_handler(command, syscall_nr("uname"), handler, &mut err), -1);
    }
    assert_eq!(
        take(err),
        (
            SANDLOCK_E_INVALID as i32,
            0,
            "handler was already added to this command; add a handler once (create one handler per syscall)".into()
        )
    );
    assert_eq!(counter.count(), 0);
    // A handler created after it may reuse a freed address: it is new.
    let fresh = counter.handler(Some(allow));
    // SAFETY: a live command and an unconsumed handler.
    assert_eq!(unsafe { sandlock_command_add_handler(command, syscall_nr("uname"), fresh, &mut err) }, 0);
    // SAFETY: a live command, freed once.
    let result = unsafe { sandlock_command_run(command, ptr::null_mut()) };
    assert_eq!(counter.count(), 2);
    assert_eq!(outcome(result).exit_code, 0);
    // SAFETY: freed once.
    unsafe { sandlock_command_free(command) };
    assert_eq!(counter.count(), 2);
}

#[test]
fn errors_name_the_run_and_keep_the_errno() {
    let command = command(&["/bin/true"]);
    let hidden = std::env::temp_dir().join(format!("sandlock-ffi-hidden-{}", std::process::id()));
    std::fs::copy("/bin/true", &hidden).unwrap();
    let argv = Argv::new(&[hidden.to_str().unwrap()]);
    let policy = system_policy();
    let mut err = ptr::null_mut();
    // SAFETY: live arguments; the program is outside every read rule (found
    // before the fork: it is never executed).
    unsafe {
        let outside = sandlock_command_new(policy, argv.ptr(), argv.argc(), ptr::null_mut());
        assert_eq!(sandlock_command_set_name(outside, cstring("job-42").as_ptr(), ptr::null_mut()), 0);
        assert!(sandlock_command_run(outside, &mut err).is_null());
        sandlock_command_free(outside);
        sandlock_command_free(command);
        sandlock_policy_free(policy);
    }
    std::fs::remove_file(&hidden).unwrap();
    let (status, errno, message) = take(err);
    assert_eq!((status, errno), (SANDLOCK_E_SPAWN as i32, libc::EACCES));
    assert_eq!(
        message,
        format!("run \"job-42\": cannot execute {hidden:?}: it is not under any fs_read or fs_write path")
    );
}

#[test]
fn take_last_keeps_a_1_0_error_across_threads() {
    // SAFETY: a NULL policy is refused by the 1.0 setter.
    assert_eq!(unsafe { sandlock_policy_fs_read(ptr::null_mut(), cstring("/usr").as_ptr()) }, -1);
    let err = sandlock_error_take_last();
    assert_eq!(last_error(), "");
    assert!(sandlock_error_take_last().is_null());
    let moved = err as usize;
    let read = std::thread::spawn(move || take(moved as *mut sandlock_error_t)).join().unwrap();
    assert_eq!(read, (SANDLOCK_E_INVALID as i32, 0, "policy must not be NULL".into()));
    // SAFETY: NULL is accepted by every error accessor.
    unsafe {
        assert_eq!(sandlock_error_status(ptr::null()), SANDLOCK_E_INVALID as i32);
        assert_eq!(sandlock_error_errno(ptr::null()), 0);
        assert_eq!(CStr::from_ptr(sandlock_error_message(ptr::null())).to_bytes(), b"");
        sandlock_error_free(ptr::null_mut());
    }
}

#[test]
fn the_landlock_abi_is_this_kernels() {
    let abi = sandlock_landlock_abi();
    assert!(abi >= 6, "Landlock ABI {abi}");
}

#[test]
fn a_failing_handler_is_named_in_the_exit() {
    let counter = DropCounter::default();
    let failing = counter.handler(Some(fail));
    let command = command(&["uname"]);
    // SAFETY: a live command; the handler is consumed.
    let result = unsafe {
        sandlock_command_add_handler(command, syscall_nr("uname"), failing, ptr::null_mut());
        let result = sandlock_command_run(command, ptr::null_mut());
        sandlock_command_free(command);
        result
    };
    // SAFETY: a live result.
    let exit = unsafe { *sandlock_result_exit(result) };
    assert_eq!(
        (exit.reason, exit.signal, exit.syscall_nr),
        (SANDLOCK_EXIT_HANDLER_FAILED as u32, libc::SIGKILL, syscall_nr("uname"))
    );
    // SAFETY: freed once.
    unsafe { sandlock_result_free(result) };
    assert_eq!(counter.count(), 1);
}

/// A callback that fails (the default exception policy kills the sandbox).
unsafe extern "C-unwind" fn fail(
    _ud: *mut std::ffi::c_void,
    _notif: *const sandlock_notif_data_t,
    _mem: *mut sandlock_mem_handle_t,
    _out: *mut sandlock_action_out_t,
) -> i32 {
    -1
}

/// A callback that ends the sandbox with SIGUSR2 (not SIGKILL).
unsafe extern "C-unwind" fn kill_with_sigusr2(
    _ud: *mut std::ffi::c_void,
    _notif: *const sandlock_notif_data_t,
    _mem: *mut sandlock_mem_handle_t,
    out: *mut sandlock_action_out_t,
) -> i32 {
    // SAFETY: the library passes a writable action.
    unsafe { sandlock_action_set_kill(out, libc::SIGUSR2, 0) }
}

#[test]
fn a_handlers_kill_with_any_signal_is_named_in_the_exit() {
    // Only SIGKILL used to count: a handler's SIGUSR2 read as a signal from
    // outside the library (SANDLOCK_EXIT_SIGNALED, no syscall).
    let counter = DropCounter::default();
    let command = command(&["uname"]);
    // SAFETY: a live command; the handler is consumed.
    let result = unsafe {
        sandlock_command_add_handler(
            command,
            syscall_nr("uname"),
            counter.handler(Some(kill_with_sigusr2)),
            ptr::null_mut(),
        );
        let result = sandlock_command_run(command, ptr::null_mut());
        sandlock_command_free(command);
        result
    };
    // SAFETY: a live result.
    let exit = unsafe { *sandlock_result_exit(result) };
    assert_eq!(
        (exit.reason, exit.exit_code, exit.signal, exit.syscall_nr),
        (SANDLOCK_EXIT_HANDLER_KILLED as u32, -1, libc::SIGUSR2, syscall_nr("uname"))
    );
    // SAFETY: freed once.
    unsafe { sandlock_result_free(result) };
}
