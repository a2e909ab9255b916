//! `make bench`: sandboxes started back to back from 4 and 16 host threads,
//! against as many threads doing posix_spawn + waitpid, in the same run.
//! One iteration is one run of /bin/true on every thread.

use std::path::PathBuf;
use std::sync::Barrier;
use std::time::{Duration, Instant};

use criterion::{criterion_group, Criterion};
use sandlock_core::{Policy, Sandbox};

#[path = "../../benches/floor/harness.rs"]
mod harness;

const GROUP: &str = "throughput";
const THREADS: [usize; 2] = [4, 16];

fn typical_sandbox() -> Sandbox {
    let mut read = vec![PathBuf::from("/usr"), PathBuf::from("/lib"), PathBuf::from("/bin"), PathBuf::from("/etc")];
    if std::path::Path::new("/lib64").exists() {
        read.push("/lib64".into());
    }
    let policy = Policy::builder()
        .fs_read(read)
        .fs_write([std::env::temp_dir()])
        .timeout(Duration::from_secs(30))
        .build()
        .expect("typical policy");
    Sandbox::new(policy).expect("sandbox")
}

/// One sandboxed run of /bin/true, which must succeed.
fn run_true(sandbox: &Sandbox) {
    let out = sandbox.run(&["/bin/true"]).expect("sandboxed /bin/true");
    assert!(out.status.success());
}

/// One sandboxed start of /bin/true with the caller's streams, as the
/// posix_spawn floor has them, waited for; it must succeed.
fn spawn_true(sandbox: &Sandbox) {
    let mut child = sandbox.spawn(&["/bin/true"]).expect("spawned /bin/true");
    assert!(child.wait().expect("waiting").success());
}

/// `threads` threads each doing `iters` runs of `one`; the time until the
/// last finishes.
fn on_threads(threads: usize, iters: u64, one: &(dyn Fn() + Sync)) -> Duration {
    let start = Barrier::new(threads + 1);
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| {
                start.wait();
                for _ in 0..iters {
                    one();
                }
            });
        }
        start.wait();
        let began = Instant::now();
        // The scope joins every thread before it returns.
        began
    })
    .elapsed()
}

fn benches(c: &mut Criterion) {
    let sandbox = typical_sandbox();
    let run = || run_true(&sandbox);
    let mut group = c.benchmark_group(GROUP);
    group.sample_size(10).measurement_time(Duration::from_secs(8));
    for threads in THREADS {
        group.bench_function(format!("posix_spawn_{threads}"), |b| {
            b.iter_custom(|n| on_threads(threads, n, &harness::floors::posix_spawn_wait))
        });
        group.bench_function(format!("sandboxed_{threads}"), |b| b.iter_custom(|n| on_threads(threads, n, &run)));
    }
    group.finish();
}

criterion_group!(throughput, benches);

/// The rows again, interleaved round by round with their floors (the ratio
/// table comes from these: criterion measures one row after another, and
/// on a shared machine the floor alone moved by a third between runs).
/// A round runs each path `RUNS_PER_ROUND` times on every thread, timed
/// from the threads' start to the last one's end.
fn interleaved_table() {
    const RUNS_PER_ROUND: u64 = 5;
    let rounds = std::env::var("SANDLOCK_BENCH_THROUGHPUT_ROUNDS").ok().and_then(|r| r.parse().ok()).unwrap_or(60);
    let sandbox = typical_sandbox();
    let run = || run_true(&sandbox);
    let spawn = || spawn_true(&sandbox);
    let [few, many] = THREADS;
    let mut posix_few = || on_threads(few, RUNS_PER_ROUND, &harness::floors::posix_spawn_wait);
    let mut sandboxed_few = || on_threads(few, RUNS_PER_ROUND, &run);
    let mut spawned_few = || on_threads(few, RUNS_PER_ROUND, &spawn);
    let mut posix_many = || on_threads(many, RUNS_PER_ROUND, &harness::floors::posix_spawn_wait);
    let mut sandboxed_many = || on_threads(many, RUNS_PER_ROUND, &run);
    let mut spawned_many = || on_threads(many, RUNS_PER_ROUND, &spawn);
    let medians = harness::interleaved_timed(
        rounds,
        &mut [
            &mut posix_few,
            &mut sandboxed_few,
            &mut spawned_few,
            &mut posix_many,
            &mut sandboxed_many,
            &mut spawned_many,
        ],
    );
    harness::print_interleaved_table(
        &format!(
            "Throughput: {RUNS_PER_ROUND} /bin/true runs on every host thread, median of {rounds} interleaved rounds, \
             against posix_spawn+waitpid on as many"
        ),
        &["posix_spawn_4", "sandboxed_4", "spawned_4", "posix_spawn_16", "sandboxed_16", "spawned_16"],
        &medians,
        &[
            ("sandboxed_4", "posix_spawn_4", Some(1.25)),
            ("spawned_4", "posix_spawn_4", Some(1.25)),
            ("sandboxed_16", "posix_spawn_16", Some(1.25)),
            ("spawned_16", "posix_spawn_16", Some(1.25)),
        ],
    );
}

fn main() {
    throughput();
    Criterion::default().configure_from_args().final_summary();
    interleaved_table();
}
