//! `check`, `man` and `completions`.

mod common;

use common::{ok, run};

#[test]
fn check_reports_this_kernel_and_passes() {
    let report = ok(&run(&["check"]));
    for line in [
        "landlock: ABI 7",
        "landlock ABI 4, network: TCP bind, TCP connect: yes",
        "landlock ABI 6, IPC scoping: abstract UNIX sockets, signals: yes",
        "seccomp user notification: yes",
        "seccomp flag SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV: yes",
        "seccomp listener flag SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP: yes",
        "default policy: enforceable on this kernel",
    ] {
        assert!(report.lines().any(|l| l == line), "no line {line:?} in:\n{report}");
    }
    assert!(!report.contains("missing"), "{report}");
}

#[test]
fn man_prints_a_page_with_the_run_options() {
    let page = ok(&run(&["man"]));
    assert!(page.lines().any(|line| line.starts_with(".TH sandlock 1")), "no title line");
    for text in [r"\-\-auto\-read", r"\-\-max\-processes", "EXIT STATUS", "124"] {
        assert!(page.contains(text), "the man page lacks {text}");
    }
}

#[test]
fn completions_cover_the_options() {
    for shell in ["bash", "zsh", "fish"] {
        let script = ok(&run(&["completions", shell]));
        assert!(script.contains("auto-read"), "{shell}");
    }
}

/// The examples of `run --help`, each with the exit status its comment
/// announces ("(exit N)", else 0).
fn help_examples() -> Vec<(String, i32)> {
    let help = ok(&run(&["run", "--help"]));
    let examples = help.split("Examples:\n").nth(1).and_then(|rest| rest.split("Exit status:").next()).unwrap();
    let mut commands = Vec::new();
    let mut expected = 0;
    let mut pending = String::new();
    for line in examples.lines().map(str::trim) {
        if let Some(comment) = line.strip_prefix('#') {
            expected = comment.split("(exit ").nth(1).map_or(0, |rest| rest.trim_end_matches(')').parse().unwrap());
        } else if let Some(start) = line.strip_suffix('\\') {
            pending.push_str(start);
        } else if !line.is_empty() {
            commands.push((format!("{pending}{line}"), expected));
            pending.clear();
        }
    }
    commands
}

#[test]
fn the_run_help_examples_work() {
    let examples = help_examples();
    assert!(examples.len() >= 5, "{examples:#?}");
    let bin_dir = std::path::Path::new(env!("CARGO_BIN_EXE_sandlock")).parent().unwrap();
    let path = format!("{}:/usr/bin:/bin", bin_dir.display());
    let work = tempfile::tempdir().unwrap();
    for (line, expected) in examples {
        let out = std::process::Command::new("sh")
            .args(["-c", &line])
            .env("PATH", &path)
            .current_dir(work.path())
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(expected), "{line}\n{}", String::from_utf8_lossy(&out.stderr));
    }
}
