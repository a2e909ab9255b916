//! `make bench` for the core: spawn cost and the handler path, each as a
//! ratio to a floor measured in the same run (see docs/benchmarks.md).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use criterion::{criterion_group, Criterion};
use sandlock_core::{Handler, HandlerCtx, HandlerResult, NotifAction, Policy, Sandbox, Syscall};

#[path = "../../benches/floor/harness.rs"]
mod harness;

const GROUP_SPAWN: &str = "spawn";
const GROUP_NOTIF: &str = "notif";

fn typical_policy(extra_read: &std::path::Path) -> Policy {
    let mut read = vec![PathBuf::from("/usr"), PathBuf::from("/lib"), PathBuf::from("/bin"), PathBuf::from("/etc")];
    if std::path::Path::new("/lib64").exists() {
        read.push("/lib64".into());
    }
    read.push(extra_read.to_path_buf());
    Policy::builder()
        .fs_read(read)
        .fs_write([std::env::temp_dir()])
        .net_connect_tcp([443])
        .timeout(Duration::from_secs(30))
        .build()
        .expect("typical policy")
}

/// What the spawn rows run: the typical sandbox, one with a private network
/// (needs root) and the bare floor's Landlock ruleset.
struct SpawnSubjects {
    sandbox: Sandbox,
    private_network: Option<Sandbox>,
    ruleset: std::os::fd::OwnedFd,
}

impl SpawnSubjects {
    fn new(programs: &harness::FloorPrograms) -> SpawnSubjects {
        let private_network = Policy::builder()
            .fs_read(["/usr", "/lib", "/bin", "/etc"])
            .private_network(true)
            .build()
            .ok()
            .map(|p| Sandbox::new(p).expect("sandbox"));
        let mut dirs: Vec<&Path> = ["/usr", "/lib", "/bin", "/etc"].iter().map(Path::new).collect();
        if Path::new("/lib64").exists() {
            dirs.push(Path::new("/lib64"));
        }
        dirs.push(&programs.dir);
        SpawnSubjects {
            sandbox: Sandbox::new(typical_policy(&programs.dir)).expect("sandbox"),
            private_network,
            ruleset: harness::floors::read_ruleset(&dirs),
        }
    }

    fn run(&self) {
        let out = self.sandbox.run(&["/bin/true"]).expect("sandboxed /bin/true");
        assert!(out.status.success());
    }

    fn spawn(&self) {
        let mut child = self.sandbox.spawn(&["/bin/true"]).expect("spawned /bin/true");
        assert!(child.wait().expect("waiting").success());
    }

    fn run_private_network(&self, sandbox: &Sandbox) {
        let out = sandbox.run(&["/bin/true"]).expect("/bin/true in a private network");
        assert!(out.status.success());
    }
}

fn spawn_benches(c: &mut Criterion, subjects: &SpawnSubjects) {
    let mut group = c.benchmark_group(GROUP_SPAWN);
    group.sample_size(50).measurement_time(Duration::from_secs(5));
    group.bench_function("true_floor", |b| b.iter(harness::floors::fork_exec_wait));
    group.bench_function("true_posix_spawn", |b| b.iter(harness::floors::posix_spawn_wait));
    group.bench_function("true_bare_sandbox", |b| b.iter(|| harness::floors::bare_sandbox(&subjects.ruleset)));
    group.bench_function("true_sandboxed", |b| b.iter(|| subjects.run()));
    group.bench_function("true_spawned", |b| b.iter(|| subjects.spawn()));
    if let Some(private_network) = &subjects.private_network {
        group.bench_function("true_private_network", |b| b.iter(|| subjects.run_private_network(private_network)));
    }
    group.finish();
}

/// The spawn rows again, interleaved round by round with their floors (the
/// ratio table comes from these: criterion measures one row after another,
/// so a shared machine's load changes between a row and its floor).
fn interleaved_spawn_table(subjects: &SpawnSubjects) {
    let rounds = std::env::var("SANDLOCK_BENCH_SPAWN_ROUNDS").ok().and_then(|r| r.parse().ok()).unwrap_or(400);
    let mut names = vec!["true_floor", "true_posix_spawn", "true_bare_sandbox", "true_sandboxed", "true_spawned"];
    let mut floor = harness::floors::fork_exec_wait;
    let mut posix = harness::floors::posix_spawn_wait;
    let mut bare = || harness::floors::bare_sandbox(&subjects.ruleset);
    let mut run = || subjects.run();
    let mut spawn = || subjects.spawn();
    let mut private = || {
        if let Some(private_network) = &subjects.private_network {
            subjects.run_private_network(private_network)
        }
    };
    let mut paths: Vec<&mut dyn FnMut()> = vec![&mut floor, &mut posix, &mut bare, &mut run, &mut spawn];
    if subjects.private_network.is_some() {
        names.push("true_private_network");
        paths.push(&mut private);
    }
    let medians = harness::interleaved(rounds, &mut paths);
    harness::print_interleaved_table(
        &format!("Spawn: median per run of /bin/true over {rounds} interleaved rounds, against plain fork+exec+wait"),
        &names,
        &medians,
        &[
            ("true_sandboxed", "true_floor", Some(1.15)),
            ("true_spawned", "true_floor", Some(1.15)),
            ("true_sandboxed", "true_posix_spawn", None),
            ("true_posix_spawn", "true_floor", None),
            ("true_bare_sandbox", "true_floor", None),
            ("true_sandboxed", "true_bare_sandbox", None),
            ("true_private_network", "true_floor", None),
        ],
    );
}

/// Time `iters` intercepted getppid calls of a sandboxed child, measured
/// inside the child (spawn costs excluded).
fn sandboxed_loop(sandbox: &Sandbox, programs: &harness::FloorPrograms, iters: u64) -> Duration {
    let out = sandbox.run(&[programs.getppid_loop.as_os_str(), iters.to_string().as_ref()]).expect("getppid loop");
    assert!(out.status.success(), "getppid_loop failed: {}", String::from_utf8_lossy(&out.stderr));
    harness::parse_nanos(&out.stdout)
}

/// A handler whose answer is always EPERM, and says so.
struct FixedErrno;

impl Handler for FixedErrno {
    fn handle(&self, _: &HandlerCtx<'_>) -> HandlerResult {
        Ok(NotifAction::Errno(libc::EPERM))
    }

    fn fixed_errno(&self) -> Option<i32> {
        Some(libc::EPERM)
    }
}

fn notif_benches(c: &mut Criterion, programs: &harness::FloorPrograms) {
    let getppid = Syscall::checked(libc::SYS_getppid).expect("getppid");
    let policy = typical_policy(&programs.dir);
    let return_value = |_: &HandlerCtx| -> HandlerResult { Ok(NotifAction::ReturnValue(4242)) };
    let keep_going = |_: &HandlerCtx| -> HandlerResult { Ok(NotifAction::Continue) };
    let rv = Sandbox::new(policy.clone()).expect("sandbox").add_handler(getppid, return_value);
    let cont = Sandbox::new(policy.clone()).expect("sandbox").add_handler(getppid, keep_going);
    let rv_nosync =
        Sandbox::new(policy.clone()).expect("sandbox").add_handler(getppid, return_value).sync_wakeup(false);
    let rv_two = Sandbox::new(policy.clone()).expect("sandbox").add_handler(getppid, return_value).receiver_threads(2);
    // A fixed errno: the filter answers it, no round trip.
    let fixed = Sandbox::new(policy.clone()).expect("sandbox").add_handler(getppid, FixedErrno);
    let unhandled = Sandbox::new(policy).expect("sandbox");

    let mut group = c.benchmark_group(GROUP_NOTIF);
    group.sample_size(20).measurement_time(Duration::from_secs(4));
    group.bench_function("floor_sync", |b| b.iter_custom(|n| harness::floor_loop(programs, n, true)));
    group.bench_function("floor_nosync", |b| b.iter_custom(|n| harness::floor_loop(programs, n, false)));
    group.bench_function("rust_return_value", |b| b.iter_custom(|n| sandboxed_loop(&rv, programs, n)));
    group.bench_function("rust_continue", |b| b.iter_custom(|n| sandboxed_loop(&cont, programs, n)));
    group.bench_function("rust_return_value_nosync", |b| b.iter_custom(|n| sandboxed_loop(&rv_nosync, programs, n)));
    group.bench_function("rust_return_value_2_receivers", |b| b.iter_custom(|n| sandboxed_loop(&rv_two, programs, n)));
    group.bench_function("fixed_errno", |b| b.iter_custom(|n| sandboxed_loop(&fixed, programs, n)));
    group.bench_function("filtered_syscall", |b| b.iter_custom(|n| sandboxed_loop(&unhandled, programs, n)));
    group.bench_function("bare_syscall", |b| b.iter_custom(|n| harness::bare_loop(programs, n)));
    if let Some(c_bench) = std::env::var_os(harness::C_HANDLER_BENCH_ENV) {
        let c_bench = PathBuf::from(c_bench);
        group.bench_function("c_return_value", |b| b.iter_custom(|n| harness::c_handler_loop(&c_bench, programs, n)));
    }
    group.finish();
}

fn benches(c: &mut Criterion) {
    let started = Instant::now();
    let programs = floor_programs();
    spawn_benches(c, &SpawnSubjects::new(programs));
    notif_benches(c, programs);
    eprintln!("benchmarks took {:.0?}", started.elapsed());
}

/// The floor programs, compiled once for the criterion rows and the
/// interleaved table.
fn floor_programs() -> &'static harness::FloorPrograms {
    static PROGRAMS: std::sync::OnceLock<harness::FloorPrograms> = std::sync::OnceLock::new();
    PROGRAMS.get_or_init(|| harness::build_floor_programs(&PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("floor")))
}

criterion_group!(core_benches, benches);

fn main() {
    let started = std::time::SystemTime::now();
    core_benches();
    Criterion::default().configure_from_args().final_summary();
    interleaved_spawn_table(&SpawnSubjects::new(floor_programs()));
    harness::print_ratio_table(
        "Handler path: median per intercepted getppid, against a raw C NOTIF_RECV/NOTIF_SEND loop",
        GROUP_NOTIF,
        started,
        &[
            ("rust_return_value", "floor_sync", Some(1.2)),
            ("rust_continue", "floor_sync", Some(1.2)),
            ("rust_return_value_nosync", "floor_nosync", Some(1.2)),
            ("rust_return_value_2_receivers", "floor_sync", None),
            ("c_return_value", "floor_sync", Some(1.3)),
            ("floor_nosync", "floor_sync", None),
            ("fixed_errno", "bare_syscall", Some(1.1)),
            ("fixed_errno", "filtered_syscall", None),
            ("filtered_syscall", "bare_syscall", None),
            ("fixed_errno", "floor_sync", None),
        ],
    );
}
