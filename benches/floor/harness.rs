//! Shared by the benchmarks: builds the C floor programs and prints the ratio
//! table from criterion's own estimates, so every figure is a median from the
//! same run as its floor.

// Each benchmark uses a part of it.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

/// The compiled floor programs.
pub struct FloorPrograms {
    pub dir: PathBuf,
    pub getppid_loop: PathBuf,
    pub notif_floor: PathBuf,
}

pub fn build_floor_programs(out: &Path) -> FloorPrograms {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("../benches/floor");
    std::fs::create_dir_all(out).expect("bench output dir");
    let compile = |name: &str| {
        let bin = out.join(name);
        let status = Command::new("cc")
            .args(["-O2", "-o"])
            .arg(&bin)
            .arg(src.join(format!("{name}.c")))
            .status()
            .expect("running cc");
        assert!(status.success(), "compiling {name}.c failed");
        bin
    };
    FloorPrograms { dir: out.to_path_buf(), getppid_loop: compile("getppid_loop"), notif_floor: compile("notif_floor") }
}

/// The C-callback bench program (`make bench` builds it with pkg-config
/// against the staged library and names it in this variable).
pub const C_HANDLER_BENCH_ENV: &str = "SANDLOCK_C_HANDLER_BENCH";

/// `iters` getppid calls answered by a C handler through libsandlock.
pub fn c_handler_loop(program: &Path, programs: &FloorPrograms, iters: u64) -> Duration {
    let out = Command::new(program)
        .arg(iters.to_string())
        .arg(&programs.getppid_loop)
        .output()
        .expect("running the C handler bench");
    assert!(out.status.success(), "c_handler_bench failed: {}", String::from_utf8_lossy(&out.stderr));
    parse_nanos(&out.stdout)
}

/// Parse the nanoseconds a floor program printed.
pub fn parse_nanos(stdout: &[u8]) -> Duration {
    let text = String::from_utf8_lossy(stdout);
    Duration::from_nanos(text.trim().parse().unwrap_or_else(|_| panic!("bad timing output {text:?}")))
}

/// `iters` getppid calls outside any sandbox: the bare syscall.
pub fn bare_loop(programs: &FloorPrograms, iters: u64) -> Duration {
    let out = Command::new(&programs.getppid_loop).arg(iters.to_string()).output().expect("running getppid_loop");
    assert!(out.status.success(), "getppid_loop failed");
    parse_nanos(&out.stdout)
}

/// The raw C loop answering `iters` notifications.
pub fn floor_loop(programs: &FloorPrograms, iters: u64, sync: bool) -> Duration {
    let out = Command::new(&programs.notif_floor)
        .arg(iters.to_string())
        .arg(if sync { "sync" } else { "nosync" })
        .arg(&programs.getppid_loop)
        .output()
        .expect("running notif_floor");
    assert!(out.status.success(), "notif_floor failed: {}", String::from_utf8_lossy(&out.stderr));
    parse_nanos(&out.stdout)
}

/// Criterion's median for `group/name`, if it was measured after `since`
/// (older estimates on disk belong to another run and must not be mixed in).
fn median_ns(group: &str, name: &str, since: std::time::SystemTime) -> Option<f64> {
    let dir = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"));
    let path = dir.join("criterion").join(group).join(name).join("new/estimates.json");
    if std::fs::metadata(&path).ok()?.modified().ok()? < since {
        return None;
    }
    let text = std::fs::read_to_string(path).ok()?;
    let at = text.find("\"median\"")?;
    let rest = &text[at..];
    let point = rest.find("\"point_estimate\":")? + "\"point_estimate\":".len();
    let value: String =
        rest[point..].chars().take_while(|c| c.is_ascii_digit() || *c == '.' || *c == 'e' || *c == '-').collect();
    value.parse().ok()
}

/// Criterion's median for `group/name` in this run, in nanoseconds.
pub fn median(group: &str, name: &str, since: std::time::SystemTime) -> Option<f64> {
    median_ns(group, name, since)
}

/// One line per (measured, floor) pair: median per iteration and the ratio.
pub fn print_ratio_table(title: &str, group: &str, since: std::time::SystemTime, rows: &[(&str, &str, Option<f64>)]) {
    print_rows(title, rows, |name| median_ns(group, name, since));
}

fn print_rows(title: &str, rows: &[(&str, &str, Option<f64>)], median: impl Fn(&str) -> Option<f64>) {
    println!("\n{title}");
    println!("{:<34} {:>14} {:>14} {:>8} {:>8}", "path", "median", "floor", "ratio", "target");
    for (name, floor, target) in rows {
        match (median(name), median(floor)) {
            (Some(m), Some(f)) => {
                let verdict = match target.map(|t| m / f <= t) {
                    Some(true) => "ok",
                    Some(false) => "MISSED",
                    None => "",
                };
                let target = target.map_or("-".to_string(), |t| format!("{t:.2}x"));
                println!("{name:<34} {m:>11.0} ns {f:>11.0} ns {:>7.2}x {target:>8} {verdict}", m / f)
            }
            _ => println!("{name:<34} (not measured in this run)"),
        }
    }
}

/// The floors a spawn is measured against, each running `/bin/true` and
/// waiting for it.
pub mod floors {
    use std::os::fd::{AsRawFd, OwnedFd};

    const TRUE: &std::ffi::CStr = c"/bin/true";

    fn wait(pid: libc::pid_t) {
        let mut status = 0;
        // SAFETY: reaping our own child into a local.
        unsafe { libc::waitpid(pid, &mut status, 0) };
        assert_eq!(status, 0, "/bin/true failed");
    }

    /// fork + execve + waitpid.
    pub fn fork_exec_wait() {
        let argv = [TRUE.as_ptr(), std::ptr::null()];
        let envp = [std::ptr::null()];
        // SAFETY: the child only calls execve and _exit on memory prepared
        // before the fork.
        let pid = unsafe { libc::fork() };
        if pid == 0 {
            // SAFETY: as above.
            unsafe {
                libc::execve(TRUE.as_ptr(), argv.as_ptr(), envp.as_ptr());
                libc::_exit(127);
            }
        }
        wait(pid);
    }

    /// posix_spawn + waitpid (glibc: clone(CLONE_VM|CLONE_VFORK), the
    /// faster floor).
    pub fn posix_spawn_wait() {
        let argv = [TRUE.as_ptr().cast_mut(), std::ptr::null_mut()];
        let envp = [std::ptr::null_mut()];
        let mut pid = 0;
        // SAFETY: valid path, argv and envp arrays; no attributes.
        let rc = unsafe {
            libc::posix_spawn(&mut pid, TRUE.as_ptr(), std::ptr::null(), std::ptr::null(), argv.as_ptr(), envp.as_ptr())
        };
        assert_eq!(rc, 0, "posix_spawn");
        wait(pid);
    }

    /// What any sandbox must do at least, in a bare forked child:
    /// no_new_privs, a Landlock ruleset (built once, by the caller) and a
    /// one-instruction seccomp filter, then execve.
    pub fn bare_sandbox(ruleset: &OwnedFd) {
        let allow = [libc::sock_filter {
            code: (libc::BPF_RET | libc::BPF_K) as u16,
            jt: 0,
            jf: 0,
            k: libc::SECCOMP_RET_ALLOW,
        }];
        let prog = libc::sock_fprog { len: 1, filter: allow.as_ptr().cast_mut() };
        let argv = [TRUE.as_ptr(), std::ptr::null()];
        let envp = [std::ptr::null()];
        let fd = ruleset.as_raw_fd();
        // SAFETY: the child makes raw syscalls on memory prepared before the
        // fork, then execs or exits.
        let pid = unsafe { libc::fork() };
        if pid == 0 {
            // SAFETY: as above.
            unsafe {
                libc::syscall(libc::SYS_prctl, libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
                libc::syscall(libc::SYS_landlock_restrict_self, fd, 0);
                libc::syscall(libc::SYS_seccomp, libc::SECCOMP_SET_MODE_FILTER, 0, &prog);
                libc::execve(TRUE.as_ptr(), argv.as_ptr(), envp.as_ptr());
                libc::_exit(127);
            }
        }
        wait(pid);
    }

    /// A Landlock ruleset granting read on `dirs` (what `bare_sandbox` applies).
    pub fn read_ruleset(dirs: &[&std::path::Path]) -> OwnedFd {
        use landlock::{Access, AccessFs, PathBeneath, PathFd, Ruleset, RulesetAttr, RulesetCreatedAttr, ABI};
        let abi = ABI::V5;
        let mut created = Ruleset::default().handle_access(AccessFs::from_all(abi)).unwrap().create().unwrap();
        for dir in dirs {
            created = created.add_rule(PathBeneath::new(PathFd::new(dir).unwrap(), AccessFs::from_read(abi))).unwrap();
        }
        Option::<OwnedFd>::from(created).expect("a Landlock ruleset")
    }
}

/// The median nanoseconds of each path over `rounds` rounds that run every
/// path once, in turn: a change of load on a shared machine then hits the
/// floor and what is measured against it alike.
pub fn interleaved(rounds: usize, paths: &mut [&mut dyn FnMut()]) -> Vec<f64> {
    medians_of_rounds(rounds, paths.len(), |i| {
        let started = std::time::Instant::now();
        paths[i]();
        started.elapsed()
    })
}

/// [`interleaved`] for paths that time themselves (a part of what they do).
pub fn interleaved_timed(rounds: usize, paths: &mut [&mut dyn FnMut() -> std::time::Duration]) -> Vec<f64> {
    medians_of_rounds(rounds, paths.len(), |i| paths[i]())
}

/// The median nanoseconds of `time(i)` for each of `count` paths over
/// `rounds` rounds that time every path once, in turn.
fn medians_of_rounds(rounds: usize, count: usize, mut time: impl FnMut(usize) -> std::time::Duration) -> Vec<f64> {
    let mut samples = vec![Vec::with_capacity(rounds); count];
    for _ in 0..rounds {
        for (i, times) in samples.iter_mut().enumerate() {
            times.push(time(i).as_nanos() as f64);
        }
    }
    samples
        .into_iter()
        .map(|mut times| {
            times.sort_by(f64::total_cmp);
            times[times.len() / 2]
        })
        .collect()
}

/// `print_ratio_table` for medians from `interleaved`, named by `names`.
pub fn print_interleaved_table(title: &str, names: &[&str], medians: &[f64], rows: &[(&str, &str, Option<f64>)]) {
    print_rows(title, rows, |name| names.iter().position(|n| *n == name).map(|i| medians[i]));
}
