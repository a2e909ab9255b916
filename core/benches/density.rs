//! `make bench`: 1,000 sandboxes at once, each blocked in `sleep`, from one
//! host process — what each costs the host in threads, fds and memory, and
//! whether the host does any work while they wait. Without handlers no
//! thread is needed per sandbox (timeouts share one timer thread); with a
//! handler, one receiving thread each.

use std::path::PathBuf;
use std::time::Duration;

use sandlock_core::{Child, HandlerCtx, HandlerResult, NotifAction, Policy, Sandbox, Syscall};

/// How many sandboxes (override with SANDLOCK_DENSITY).
const DEFAULT_COUNT: usize = 1000;
/// How long the host is watched while every sandbox waits.
const IDLE: Duration = Duration::from_secs(2);

#[derive(Debug, Clone, Copy)]
struct Usage {
    threads: usize,
    fds: usize,
    rss_kib: u64,
    cpu: Duration,
}

fn usage() -> Usage {
    let count = |dir: &str| std::fs::read_dir(dir).map(|d| d.count()).unwrap_or(0);
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let rss_kib = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0);
    let mut ru: libc::rusage = unsafe_zeroed();
    // SAFETY: getrusage writes into the local it is given.
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut ru) };
    let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    Usage {
        threads: count("/proc/self/task"),
        fds: count("/proc/self/fd"),
        rss_kib,
        cpu: tv(ru.ru_utime) + tv(ru.ru_stime),
    }
}

fn unsafe_zeroed() -> libc::rusage {
    // SAFETY: rusage is plain integers, for which all zeroes is valid.
    unsafe { std::mem::zeroed() }
}

fn policy() -> Policy {
    let mut read = vec![PathBuf::from("/usr"), PathBuf::from("/lib"), PathBuf::from("/bin"), PathBuf::from("/etc")];
    if std::path::Path::new("/lib64").exists() {
        read.push("/lib64".into());
    }
    Policy::builder().fs_read(read).timeout(Duration::from_secs(600)).build().expect("policy")
}

fn measure(name: &str, sandbox: &Sandbox, count: usize) {
    let before = usage();
    let children: Vec<Child> =
        (0..count).map(|_| sandbox.spawn(&["/bin/sleep", "600"]).expect("spawning a sleeping sandbox")).collect();
    let loaded = usage();
    std::thread::sleep(IDLE);
    let idle = usage();
    let per = |a: usize, b: usize| (b as f64 - a as f64) / count as f64;
    println!(
        "{name:<14} {count:>6} {:>10.2} {:>10.2} {:>12.1} {:>14.3}",
        per(before.threads, loaded.threads),
        per(before.fds, loaded.fds),
        (loaded.rss_kib as f64 - before.rss_kib as f64) / count as f64,
        (idle.cpu - loaded.cpu).as_secs_f64() * 1000.0 / IDLE.as_secs_f64(),
    );
    for mut child in children {
        child.kill().expect("killing a sandbox");
        child.wait().expect("reaping a sandbox");
    }
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let count = std::env::var("SANDLOCK_DENSITY").ok().and_then(|v| v.parse().ok()).unwrap_or(DEFAULT_COUNT);
    let getppid = Syscall::from_name("getppid").expect("getppid");
    let plain = Sandbox::new(policy()).expect("sandbox");
    let handled = Sandbox::new(policy())
        .expect("sandbox")
        .add_handler(getppid, |_: &HandlerCtx| -> HandlerResult { Ok(NotifAction::Continue) });
    println!("\nDensity: sandboxes blocked in sleep at once, per sandbox (host process)");
    println!(
        "{:<14} {:>6} {:>10} {:>10} {:>12} {:>14}",
        "sandbox", "count", "threads", "fds", "RSS KiB", "idle CPU ms/s"
    );
    measure("no handler", &plain, count);
    measure("one handler", &handled, count);
}
