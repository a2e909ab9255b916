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
