//! A caller that ignores `SIGCHLD` (daemons do, to have children reaped
//! for them). Alone in its binary: the disposition is the whole process's.

mod common;

use common::{policy, sandbox};

/// The kernel reaps such a process's children itself, so no run could
/// collect its own: every run failed with "No child processes". Runs are
/// refused before a child starts, saying why.
#[test]
fn a_caller_ignoring_sigchld_is_told_so_and_starts_no_child() {
    // Made first: the probes compile with a child of their own.
    let sandbox = sandbox(policy());
    // SAFETY: setting SIGCHLD to SIG_IGN for this test process.
    unsafe { libc::signal(libc::SIGCHLD, libc::SIG_IGN) };
    let err = sandbox.run(&["/bin/true"]).expect_err("refused").to_string();
    assert!(err.starts_with("invalid value for SIGCHLD: this process ignores SIGCHLD"), "{err}");
    // SAFETY: back to the default.
    unsafe { libc::signal(libc::SIGCHLD, libc::SIG_DFL) };
    assert!(sandbox.run(&["/bin/true"]).unwrap().status.success());
}
