//! A host flooded with signals whose handlers do not restart calls (an
//! interval timer, a sampling profiler's `SIGPROF`): every wait of the
//! library is interrupted again and again. A pause that restarted with the
//! time left never ended once signals came more often than the timer
//! slack, and a supervised spawn waited for good. One test in a binary of
//! its own: the timer and the handler are the whole process's.

mod common;

use std::sync::mpsc;
use std::time::Duration;

use sandlock_core::{Policy, Sandbox};

extern "C" fn count_nothing(_: libc::c_int) {}

/// Raise SIGALRM on the calling thread every 25 µs, from a timer that
/// targets that thread alone.
fn flood_this_thread() {
    // SAFETY: a handler that does nothing, without SA_RESTART; a timer
    // created on locals, aimed at this thread's id.
    unsafe {
        let mut action: libc::sigaction = std::mem::zeroed();
        action.sa_sigaction = count_nothing as extern "C" fn(libc::c_int) as usize;
        assert_eq!(libc::sigaction(libc::SIGALRM, &action, std::ptr::null_mut()), 0);
        let mut event: libc::sigevent = std::mem::zeroed();
        event.sigev_notify = libc::SIGEV_THREAD_ID;
        event.sigev_signo = libc::SIGALRM;
        event.sigev_notify_thread_id = libc::gettid();
        let mut timer: libc::timer_t = std::ptr::null_mut();
        assert_eq!(libc::timer_create(libc::CLOCK_MONOTONIC, &mut event, &mut timer), 0);
        let every = libc::timespec { tv_sec: 0, tv_nsec: 25_000 };
        let spec = libc::itimerspec { it_interval: every, it_value: every };
        assert_eq!(libc::timer_settime(timer, 0, &spec, std::ptr::null_mut()), 0);
    }
}

#[test]
fn supervised_runs_start_under_a_flood_of_interrupting_signals() {
    let policy = Policy::builder().fs_read(common::system_read_paths()).max_processes(8).build().unwrap();
    let sandbox = Sandbox::new(policy).unwrap();
    let (done, result) = mpsc::channel();
    std::thread::spawn(move || {
        flood_this_thread();
        for _ in 0..20 {
            done.send(sandbox.run(&["/bin/true"]).map(|out| out.status.success())).unwrap();
        }
    });
    for run in 0..20 {
        let outcome =
            result.recv_timeout(Duration::from_secs(60)).unwrap_or_else(|_| panic!("run {run} never returned"));
        assert!(outcome.unwrap_or_else(|e| panic!("run {run}: {e}")), "run {run}");
    }
}
