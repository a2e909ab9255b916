//! `make bench`: sandboxes started back to back from 4 and 16 host threads,
//! against as many threads doing posix_spawn + waitpid, in the same run.
//! One iteration is one run of /bin/true on every thread.

use std::path::PathBuf;
use std::sync::Barrier;
use std::time::{Duration, Instant, SystemTime};

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
    let run = || {
        let out = sandbox.run(&["/bin/true"]).expect("sandboxed /bin/true");
        assert!(out.status.success());
    };
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

fn main() {
    let started = SystemTime::now();
    throughput();
    Criterion::default().configure_from_args().final_summary();
    harness::print_ratio_table(
        "Throughput: time for one /bin/true run on every host thread, against posix_spawn+waitpid on as many",
        GROUP,
        started,
        &[("sandboxed_4", "posix_spawn_4", Some(1.25)), ("sandboxed_16", "posix_spawn_16", Some(1.25))],
    );
}
