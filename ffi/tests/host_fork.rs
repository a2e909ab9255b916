//! A host that forks without exec (Python's `os.fork`, a pre-fork server)
//! while another thread is inside the library: a lock that thread held at
//! the fork stayed held in the new process, whose first call that needed it
//! waited for good.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use sandlock::*;

/// Run `call` on another thread until stopped, fork 100 times meanwhile,
/// and make `call` once in each forked process, which an alarm ends if it
/// hangs.
fn forks_while_another_thread_calls(call: fn()) {
    let stop = Arc::new(AtomicBool::new(false));
    let stopped = Arc::clone(&stop);
    let caller = std::thread::spawn(move || {
        while !stopped.load(Ordering::Relaxed) {
            call();
        }
    });
    for round in 0..100 {
        // SAFETY: the forked process makes one call and leaves with _exit.
        let pid = unsafe { libc::fork() };
        assert!(pid >= 0);
        if pid == 0 {
            // SAFETY: alarm and _exit have no preconditions.
            unsafe { libc::alarm(5) };
            call();
            // SAFETY: as above.
            unsafe { libc::_exit(0) };
        }
        let mut status = 0;
        // SAFETY: reaps the process forked above into a local.
        assert_eq!(unsafe { libc::waitpid(pid, &mut status, 0) }, pid);
        assert!(libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0, "round {round}: status {status:#x}");
    }
    stop.store(true, Ordering::Relaxed);
    caller.join().unwrap();
}

#[test]
fn a_process_forked_while_another_thread_names_syscalls_can_name_one() {
    forks_while_another_thread_calls(|| {
        for nr in 0..64 {
            sandlock_syscall_name(nr);
        }
    });
}

#[test]
fn a_process_forked_while_another_thread_looks_up_a_control_can_look_one_up() {
    forks_while_another_thread_calls(|| {
        // A token no callback holds: looked up among the live ones, refused.
        let stale = std::ptr::without_provenance::<sandlock_control_t>(1 << 16);
        // SAFETY: a handle is looked up, never read; `err` is NULL.
        let status = unsafe { sandlock_control_lower_max_processes(stale, 1, std::ptr::null_mut()) };
        assert_ne!(status, 0);
    });
}
