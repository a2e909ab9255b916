//! Shared by the benchmarks: builds the C floor programs and prints the ratio
//! table from criterion's own estimates, so every figure is a median from the
//! same run as its floor.

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

/// One line per (measured, floor) pair: median per iteration and the ratio.
pub fn print_ratio_table(title: &str, group: &str, since: std::time::SystemTime, rows: &[(&str, &str, Option<f64>)]) {
    println!("\n{title}");
    println!("{:<34} {:>14} {:>14} {:>8} {:>8}", "path", "median", "floor", "ratio", "target");
    for (name, floor, target) in rows {
        match (median_ns(group, name, since), median_ns(group, floor, since)) {
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
