//! A caller whose `SIGCHLD` handler reaps any child (`waitpid(-1)`), behind
//! the run's back. Alone in its binary: the handler is the whole process's.

mod common;

use std::sync::atomic::{AtomicI32, Ordering};

use common::{policy, sandbox};

static REAPED: AtomicI32 = AtomicI32::new(0);

extern "C" fn reap_any(_: libc::c_int) {
    // SAFETY: waitpid is async-signal-safe; the status is not kept.
    let pid = unsafe { libc::waitpid(-1, std::ptr::null_mut(), libc::WNOHANG) };
    if pid > 0 {
        REAPED.store(pid, Ordering::SeqCst);
    }
}

/// Once the leader was reaped elsewhere its pid was free, and the run's
/// signals (a kill, the timeout) went to whatever group took it next —
/// here an unrelated job of the host made to get that pid. Nothing is sent
/// then, and the run's error says what took its child.
#[test]
fn a_leader_reaped_elsewhere_is_never_signalled_through_its_old_pid() {
    let sandbox = sandbox(policy());
    // SAFETY: a zeroed sigaction is valid; the handler only calls waitpid
    // and stores to an atomic.
    unsafe {
        let mut action: libc::sigaction = std::mem::zeroed();
        action.sa_sigaction = reap_any as extern "C" fn(libc::c_int) as libc::sighandler_t;
        action.sa_flags = libc::SA_RESTART;
        assert_eq!(libc::sigaction(libc::SIGCHLD, &action, std::ptr::null_mut()), 0);
    }
    // A child whose exec fails ends before the clone returns (the parent
    // waits for a vfork child's exec or exit), and the handler reaps it at
    // once: the spawn still reports why the exec failed, as its pidfd came
    // with the clone (opened after it, the spawn failed with "No such
    // process").
    let dir = common::TempDir::new_public();
    let outside = dir.file("true");
    std::fs::copy("/bin/true", &outside).unwrap();
    let err = sandbox.spawn(&[&outside]).err().expect("the exec is refused").to_string();
    assert!(err.contains("not under any fs_read or fs_write path"), "{err}");
    // A program reaped as soon as it ends still spawns.
    for _ in 0..20 {
        let mut child = sandbox.spawn(&["/bin/true"]).unwrap();
        while REAPED.load(Ordering::SeqCst) != child.pid() as i32 {
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
        assert!(child.wait().is_err());
    }
    let mut child = sandbox.spawn(&["/bin/true"]).unwrap();
    let leader = child.pid() as i32;
    while REAPED.load(Ordering::SeqCst) != leader {
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    // An unrelated job in a group of its own, with the leader's old pid.
    std::fs::write("/proc/sys/kernel/ns_last_pid", (leader - 1).to_string()).unwrap();
    let mut job = std::process::Command::new("/bin/sleep");
    std::os::unix::process::CommandExt::process_group(&mut job, 0);
    let mut job = job.arg("30").spawn().unwrap();
    let reused = job.id() as i32 == leader;
    child.kill().unwrap();
    std::thread::sleep(std::time::Duration::from_millis(100));
    // A job the kill reached was reaped by the handler: try_wait fails.
    let job_alive = matches!(job.try_wait(), Ok(None));
    // Reaped by the handler already when the run's kill reached it.
    let _ = job.kill();
    let _ = job.wait();
    assert!(job_alive, "the kill reached the job that took the leader's pid (reused: {reused})");
    let err = child.wait().expect_err("the child was reaped elsewhere").to_string();
    assert!(err.contains("another wait in this process reaped"), "{err}");
    // SAFETY: back to the default disposition.
    unsafe { libc::signal(libc::SIGCHLD, libc::SIG_DFL) };
}
