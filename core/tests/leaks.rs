//! Nothing of a run outlives it in the caller: no descriptor, no child
//! process, no thread. A test binary of its own, so that no test running in
//! parallel changes the counts.

mod common;

use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

use common::{policy, program, sandbox, TempDir};
use sandlock_core::{ExitStatus, HandlerCtx, HandlerResult, NotifAction, SandlockError, SpawnStage, Syscall};

const SIGKILL: i32 = 9;
const SIGTERM: i32 = 15;

fn entries(dir: &str) -> usize {
    fs::read_dir(dir).unwrap_or_else(|e| panic!("listing {dir}: {e}")).count()
}

/// True when this process has no child at all, running or zombie.
fn has_no_children() -> bool {
    // SAFETY: waitpid with a null status pointer and WNOHANG only queries.
    let rc = unsafe { libc::waitpid(-1, std::ptr::null_mut(), libc::WNOHANG) };
    rc == -1 && std::io::Error::last_os_error().raw_os_error() == Some(libc::ECHILD)
}

fn continue_getppid(_: &HandlerCtx) -> HandlerResult {
    Ok(NotifAction::Continue)
}

/// The kernel refused the exec in the forked child.
fn expect_exec_failure(result: sandlock_core::Result<sandlock_core::RunOutput>) {
    match result {
        Err(SandlockError::Spawn { stage: SpawnStage::Exec, source }) => {
            assert_eq!(source.raw_os_error(), Some(libc::ENOEXEC));
        }
        other => panic!("expected an exec failure, got {other:?}"),
    }
}

/// The kernel refused the exec and the exec check named why.
fn expect_exec_denied(result: sandlock_core::Result<sandlock_core::RunOutput>) {
    assert!(matches!(result, Err(SandlockError::ExecDenied { .. })), "expected ExecDenied, got {result:?}");
}

/// Fourteen runs that end in every way a run can end; `hidden_program` is a
/// probe copied where the policy grants nothing, `garbage` an executable
/// file of no format the kernel knows, where the policy grants reading.
fn one_round(hidden_program: &Path, garbage: &Path) {
    let getppid = Syscall::from_name("getppid").unwrap();
    let readable = garbage.parent().unwrap();
    let plain = sandbox(policy().fs_read([readable]));
    let with_handler = sandbox(policy().fs_read([readable])).add_handler(getppid, continue_getppid);
    let with_builtins = sandbox(policy().fs_read(["/proc"]).max_processes(8));
    let timed = sandbox(policy().timeout(Duration::from_millis(200)));
    let timed_with_handler =
        sandbox(policy().timeout(Duration::from_millis(200))).add_handler(getppid, continue_getppid);

    let out = plain.run(&[program("fds")]).unwrap();
    assert_eq!((out.status, out.stdout), (ExitStatus::Exited(0), b"done\n".to_vec()));

    let out = with_handler.run(&[program("fds")]).unwrap();
    assert_eq!((out.status, out.stdout), (ExitStatus::Exited(0), b"done\n".to_vec()));

    let out = with_builtins.run(&["head", "-c", "3", "/proc/self/status"]).unwrap();
    assert_eq!((out.status, out.stdout), (ExitStatus::Exited(0), b"Nam".to_vec()));

    match plain.run(&["sandlock-no-such-program"]) {
        Err(SandlockError::ExecNotFound { program }) => assert_eq!(program, "sandlock-no-such-program"),
        other => panic!("expected ExecNotFound, got {other:?}"),
    }

    expect_exec_denied(plain.run(&[hidden_program]));
    expect_exec_denied(with_handler.run(&[hidden_program]));
    expect_exec_failure(plain.run(&[garbage]));
    // The listener was already handed to a supervisor when exec failed.
    expect_exec_failure(with_handler.run(&[garbage]));

    let out = timed.run(&["sleep", "30"]).unwrap();
    assert!(out.timed_out);
    assert_eq!(out.status, ExitStatus::Signaled(SIGKILL));

    let out = timed.run(&[program("orphan")]).unwrap();
    assert!(out.timed_out);
    assert_eq!(out.status, ExitStatus::Signaled(SIGKILL));

    // Its killed grandchild is reaped by PID 1, whenever PID 1 gets to it;
    // the supervisor must end without waiting for that.
    let out = timed_with_handler.run(&[program("orphan")]).unwrap();
    assert!(out.timed_out);
    assert_eq!(out.status, ExitStatus::Signaled(SIGKILL));

    let mut child = with_handler.spawn(&["sleep", "30"]).unwrap();
    child.kill().unwrap();
    assert_eq!(child.wait().unwrap(), ExitStatus::Signaled(SIGKILL));

    let mut child = plain.spawn(&["sleep", "30"]).unwrap();
    child.signal(SIGTERM).unwrap();
    assert_eq!(child.wait().unwrap(), ExitStatus::Signaled(SIGTERM));
    // Reaped: the group id may be someone else's now, so nothing is sent.
    child.signal(SIGTERM).unwrap();

    drop(with_builtins.spawn(&["sleep", "30"]).unwrap());
}

#[test]
fn runs_leave_no_descriptors_children_or_threads_behind() {
    let hidden = TempDir::new();
    let hidden_program = PathBuf::from(hidden.file("fds"));
    common::copy_executable(&program("fds"), &hidden_program);
    let readable = TempDir::new_public();
    let garbage = readable.path().join("garbage");
    common::write_executable(&garbage, "\x01\x02 not a program\n", 0o755);
    // The first round also creates what lives once per process: the
    // compiled probes and the procfs built-in's /proc descriptor.
    one_round(&hidden_program, &garbage);
    let counted_rounds = |when: &str| {
        let fds_before = entries("/proc/self/fd");
        let threads_before = entries("/proc/self/task");
        one_round(&hidden_program, &garbage);
        one_round(&hidden_program, &garbage);
        assert_eq!(entries("/proc/self/fd"), fds_before, "descriptors leaked {when}");
        assert_eq!(entries("/proc/self/task"), threads_before, "threads leaked {when}");
        assert!(has_no_children(), "a child process was left behind {when}");
    };
    counted_rounds("before any copy of a child's fd");
    common::take_a_copy_of_a_childs_socket();
    counted_rounds("with a keeper in every spawn");
}
