//! sandlock inside a busy multi-threaded host (a Go service, a C daemon with
//! workers): while other threads hold and take the allocator's locks, runs
//! started concurrently from several threads — with and without handlers,
//! so through both the fork and the clone(CLONE_VM) start — all complete
//! with exact output. A child that touched a lock between fork and exec
//! would hang here (each run has a timeout, so a hang fails the test).

mod common;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use common::{policy, program, sandbox};
use sandlock_core::{ExitStatus, HandlerCtx, HandlerResult, NotifAction, Syscall};

const RUNS_PER_THREAD: usize = 15;

#[test]
fn concurrent_runs_complete_while_other_threads_allocate() {
    let stop = Arc::new(AtomicBool::new(false));
    let churners: Vec<_> = (0..3)
        .map(|i| {
            let stop = Arc::clone(&stop);
            std::thread::spawn(move || {
                let mut keep = Vec::new();
                while !stop.load(Ordering::Relaxed) {
                    keep.push(vec![i as u8; 1 + keep.len() % 4096]);
                    if keep.len() > 512 {
                        keep.clear();
                    }
                }
            })
        })
        .collect();

    let getppid = Syscall::from_name("getppid").unwrap();
    let plain = Arc::new(sandbox(policy().timeout(Duration::from_secs(10))));
    let handled = Arc::new(
        sandbox(policy().timeout(Duration::from_secs(10)))
            .add_handler(getppid, |_: &HandlerCtx| -> HandlerResult { Ok(NotifAction::Continue) }),
    );
    let fds = program("fds");
    let runners: Vec<_> = [plain, handled]
        .into_iter()
        .flat_map(|sb| [Arc::clone(&sb), sb])
        .map(|sb| {
            let fds = fds.clone();
            std::thread::spawn(move || {
                for _ in 0..RUNS_PER_THREAD {
                    let out = sb.run(&[&fds]).expect("a run in a busy host");
                    assert_eq!(
                        (out.status, out.stdout.as_slice(), out.timed_out),
                        (ExitStatus::Exited(0), &b"done\n"[..], false)
                    );
                }
            })
        })
        .collect();
    for runner in runners {
        runner.join().expect("a runner thread panicked");
    }
    stop.store(true, Ordering::Relaxed);
    for churner in churners {
        churner.join().unwrap();
    }
}
