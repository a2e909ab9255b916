//! `make bench`: what a policy_fn costs, each figure against the same work
//! without one in the same run — a shell loop of 1,000 execs (every exec an
//! event, argv read race-free), and a fork-heavy loop (events per second).

use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use criterion::{criterion_group, Criterion};
use sandlock_core::{Category, Control, Decision, Event, Policy, Sandbox};

#[path = "../../benches/floor/harness.rs"]
mod harness;

const GROUP: &str = "policy_fn";
/// Execs (and forks) per iteration.
const LOOP: usize = 1000;

fn policy() -> Policy {
    let mut read = vec![PathBuf::from("/usr"), PathBuf::from("/lib"), PathBuf::from("/bin"), PathBuf::from("/etc")];
    if std::path::Path::new("/lib64").exists() {
        read.push("/lib64".into());
    }
    Policy::builder().fs_read(read).build().expect("policy")
}

fn allow_all(_: &Event, _: &Control) -> Decision {
    Decision::Allow
}

fn run(sandbox: &Sandbox, script: &str) {
    let out = sandbox.run(&["/bin/sh", "-c", script]).expect("the loop");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

fn benches(c: &mut Criterion) {
    let plain = Sandbox::new(policy()).expect("sandbox");
    let execs = Sandbox::new(policy()).expect("sandbox").policy_fn(Category::EXEC, allow_all);
    let forks = Sandbox::new(policy()).expect("sandbox").policy_fn(Category::PROCESS, allow_all);
    let exec_loop = format!("i=0; while [ $i -lt {LOOP} ]; do /usr/bin/true; i=$((i+1)); done");
    // A subshell is a fork without an exec.
    let fork_loop = format!("i=0; while [ $i -lt {LOOP} ]; do (:); i=$((i+1)); done");
    let mut group = c.benchmark_group(GROUP);
    group.sample_size(10).measurement_time(Duration::from_secs(15));
    group.bench_function("execs_plain", |b| b.iter(|| run(&plain, &exec_loop)));
    group.bench_function("execs_policy_fn", |b| b.iter(|| run(&execs, &exec_loop)));
    group.bench_function("forks_plain", |b| b.iter(|| run(&plain, &fork_loop)));
    group.bench_function("forks_policy_fn", |b| b.iter(|| run(&forks, &fork_loop)));
    group.finish();
}

criterion_group!(policy_fn, benches);

fn main() {
    let started = SystemTime::now();
    policy_fn();
    Criterion::default().configure_from_args().final_summary();
    harness::print_ratio_table(
        &format!("policy_fn: a shell loop of {LOOP} execs / {LOOP} forks, with an allow-all callback against none"),
        GROUP,
        started,
        &[("execs_policy_fn", "execs_plain", Some(1.2)), ("forks_policy_fn", "forks_plain", None)],
    );
    if let Some(ns) = harness::median(GROUP, "forks_policy_fn", started) {
        println!("events per second under the fork loop: {:.0}", LOOP as f64 / (ns / 1e9));
    }
}
