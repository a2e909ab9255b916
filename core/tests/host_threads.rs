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

/// The uid and gid lines of every thread of this process, from /proc
/// (threads that end while it reads are skipped).
fn thread_credentials() -> Vec<(String, String)> {
    let mut out = Vec::new();
    for task in std::fs::read_dir("/proc/self/task").unwrap().flatten() {
        let Ok(status) = std::fs::read_to_string(task.path().join("status")) else { continue };
        let field = |name: &str| status.lines().find(|l| l.starts_with(name)).map(str::to_string);
        if let (Some(uid), Some(gid)) = (field("Uid:"), field("Gid:")) {
            out.push((uid, gid));
        }
    }
    out
}

/// A uid/gid switch happens in the child alone, with raw syscalls. glibc's
/// set-ID wrappers walk the process's thread list under a lock to signal
/// every thread to switch too — in a `clone(CLONE_VM)` child that is the
/// host's list and lock, which host threads being created and joined hold
/// all the time. So: children switch while host threads come and go, every
/// run finishes, and afterwards every host thread has its credentials.
#[test]
fn a_uid_switch_in_the_child_leaves_every_host_thread_alone() {
    let stop = Arc::new(AtomicBool::new(false));
    let idlers: Vec<_> = (0..3)
        .map(|_| {
            let stop = Arc::clone(&stop);
            std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    std::thread::spawn(|| std::thread::sleep(Duration::from_micros(50))).join().unwrap();
                }
            })
        })
        .collect();
    let before = thread_credentials();
    let getppid = Syscall::from_name("getppid").unwrap();
    let plain = Arc::new(sandbox(policy().uid(65534).gid(65534).timeout(Duration::from_secs(10))));
    let handled = Arc::new(
        sandbox(policy().uid(65534).gid(65534).timeout(Duration::from_secs(10)))
            .add_handler(getppid, |_: &HandlerCtx| -> HandlerResult { Ok(NotifAction::Continue) }),
    );
    let runners: Vec<_> = [plain, handled]
        .into_iter()
        .map(|sb| {
            std::thread::spawn(move || {
                for _ in 0..RUNS_PER_THREAD {
                    let out = sb.run(&["id", "-u"]).expect("a run with a uid switch");
                    assert_eq!((out.status, out.stdout.as_slice()), (ExitStatus::Exited(0), &b"65534\n"[..]));
                }
            })
        })
        .collect();
    for runner in runners {
        runner.join().expect("a runner thread panicked");
    }
    let after = thread_credentials();
    stop.store(true, Ordering::Relaxed);
    for idler in idlers {
        idler.join().unwrap();
    }
    let root = ("Uid:\t0\t0\t0\t0".to_string(), "Gid:\t0\t0\t0\t0".to_string());
    assert!(before.iter().all(|c| *c == root), "the test needs a root host: {before:?}");
    assert!(after.iter().all(|c| *c == root), "host threads changed credentials: {after:?}");
}
