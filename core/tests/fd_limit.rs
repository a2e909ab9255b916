//! A host at its open-file limit (a busy service, a low `ulimit -n`): every
//! run either works or fails with an error that says the host ran short —
//! never one that blames the kernel (`Unsupported`, which invites a retry
//! with best effort, enforcing less) or the policy's paths — and leaves no
//! fd and no temporary directory behind. One test in a binary of its own:
//! the limit is the whole process's.

mod common;

use common::{policy, TempDir};
use sandlock_core::{Sandbox, SandlockError};

fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd").unwrap().count() - 1
}

fn set_fd_limit(soft: u64) {
    let (_, hard) = nix::sys::resource::getrlimit(nix::sys::resource::Resource::RLIMIT_NOFILE).unwrap();
    nix::sys::resource::setrlimit(nix::sys::resource::Resource::RLIMIT_NOFILE, soft, hard).unwrap();
}

#[test]
fn runs_at_the_fd_limit_work_or_say_the_host_ran_short() {
    let base = TempDir::new();
    std::env::set_var("TMPDIR", base.path());
    let (normal, _) = nix::sys::resource::getrlimit(nix::sys::resource::Resource::RLIMIT_NOFILE).unwrap();
    // The guardian, the timer thread and the probes are set up by a first run.
    Sandbox::new(policy().build().unwrap()).unwrap().run(&["/bin/true"]).unwrap();
    let before = open_fds();
    let mut failures = 0;
    for spare in 0..32 {
        set_fd_limit((before + spare) as u64);
        let result =
            policy().private_tmp(true).build().and_then(Sandbox::new).and_then(|sandbox| sandbox.run(&["/bin/true"]));
        set_fd_limit(normal);
        match result {
            Ok(out) => assert!(out.status.success(), "{spare} spare fds: {out:?}"),
            Err(e) => {
                failures += 1;
                let short = match e.inner() {
                    SandlockError::Io { source, .. } | SandlockError::Spawn { source, .. } => {
                        matches!(source.raw_os_error(), Some(libc::EMFILE | libc::ENFILE))
                    }
                    _ => false,
                };
                assert!(short, "{spare} spare fds: {e:?}");
            }
        }
        assert_eq!(open_fds(), before, "{spare} spare fds: fds left behind");
        let left: Vec<_> = std::fs::read_dir(base.path()).unwrap().collect();
        assert!(left.is_empty(), "{spare} spare fds: {left:?} left in TMPDIR");
    }
    assert!(failures > 0, "no limit was low enough to fail a run");
}
