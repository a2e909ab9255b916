//! Every process-wide lock or lazily made value of the core and the C
//! library survives a host's `fork`: one that another thread held, or was
//! making, at the fork stayed so for good in the new process, whose next
//! use waited forever (tests/host_fork.rs, ffi/tests/host_fork.rs). So a
//! `static` lock must be one the fork handlers take, a `static OnceLock`
//! must be filled through `fork_locks::get_or_init`, and `Once`, `LazyLock`
//! and the like (whose "running" state a fork copies) are not used at all.
//! A new one fails here until it is covered.

use std::path::{Path, PathBuf};

/// The statics the fork handlers take: `fork_locks::take_before_fork` in
/// the core, `take_live` in the C library.
const TAKEN_ACROSS_FORKS: [&str; 11] = [
    "STATE",
    "RUNS",
    "NARROWED",
    "INHERITED",
    "LEFT",
    "TIMER",
    "RUNNING_IN",
    "CLOSED_IN_FORKS",
    "MAKING",
    "MADE",
    "LIVE",
];

const LOCKS: [&str; 3] = ["Mutex", "RwLock", "Condvar"];
const FORBIDDEN: [&str; 4] = ["Once<", "Once =", "LazyLock", "OnceCell"];

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|ext| ext == "rs") && !path.ends_with("tests.rs") {
            out.push(path);
        }
    }
}

/// (name, the rest of the line after `static NAME:`) of each static outside
/// a `thread_local!` (a thread's own, which no fork shares).
fn statics(text: &str) -> Vec<(String, String)> {
    text.lines()
        .filter_map(|line| {
            let (_, after) = line.trim_start().split_once("static ")?;
            let (name, rest) = after.split_once(':')?;
            let name = name.trim();
            let thread_own = rest.trim_start().starts_with("RefCell") || rest.trim_start().starts_with("Cell");
            (!name.is_empty() && name.chars().all(|c| c.is_ascii_uppercase() || c == '_') && !thread_own)
                .then(|| (name.to_string(), rest.to_string()))
        })
        .collect()
}

#[test]
fn every_process_wide_lock_and_lazy_value_survives_a_fork() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut files = Vec::new();
    for crate_dir in ["core/src", "ffi/src"] {
        sources(&root.join(crate_dir), &mut files);
    }
    assert!(files.len() > 50, "only {} source files found", files.len());
    let mut uncovered = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        for (name, rest) in statics(&text) {
            let shown = format!("{}: {name}", file.strip_prefix(&root).unwrap_or(file).display());
            if FORBIDDEN.iter().any(|kind| rest.contains(kind)) {
                uncovered.push(format!("{shown} (a fork copies its running state; use fork_locks::get_or_init)"));
            } else if rest.contains("OnceLock") {
                if !text.contains(&format!("fork_locks::get_or_init(&{name}")) {
                    uncovered.push(format!("{shown} (not filled through fork_locks::get_or_init)"));
                }
            } else if LOCKS.iter().any(|lock| rest.contains(lock)) && !TAKEN_ACROSS_FORKS.contains(&name.as_str()) {
                uncovered.push(format!("{shown} (no fork handler takes it)"));
            }
        }
    }
    assert!(uncovered.is_empty(), "process-wide state a fork can copy half done:\n{}", uncovered.join("\n"));
}
