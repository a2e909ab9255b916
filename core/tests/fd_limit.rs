//! A host at its open-file limit (a busy service, a low `ulimit -n`): every
//! run either works or fails with an error that says the host ran short —
//! never one that blames the kernel (`Unsupported`, which invites a retry
//! with best effort, enforcing less) or the policy's paths — and leaves no
//! fd and no temporary directory behind. One test in a binary of its own:
//! the limit is the whole process's.

mod common;

use common::{policy, TempDir};
use sandlock_core::{ExitStatus, Sandbox, SandlockError};

/// This process's open fds but the one `read_dir` uses, and the procfs
/// built-in's `/proc`, which it opens once for the process's life.
fn open_fds() -> usize {
    let links = std::fs::read_dir("/proc/self/fd").unwrap().flatten().map(|entry| std::fs::read_link(entry.path()));
    links.filter(|link| link.as_ref().map_or(true, |target| target != std::path::Path::new("/proc"))).count() - 1
}

fn set_fd_limit(soft: u64) {
    let (_, hard) = nix::sys::resource::getrlimit(nix::sys::resource::Resource::RLIMIT_NOFILE).unwrap();
    nix::sys::resource::setrlimit(nix::sys::resource::Resource::RLIMIT_NOFILE, soft, hard).unwrap();
}

/// Wait for `child` with every fd this process may open taken, then put the
/// limit back to `normal`.
fn wait_with_the_table_full(child: &mut sandlock_core::Child, normal: u64) -> sandlock_core::Result<ExitStatus> {
    set_fd_limit(open_fds() as u64 + 4);
    let mut filling = Vec::new();
    while let Ok(copy) = std::fs::File::open("/dev/null") {
        filling.push(copy);
    }
    let status = child.wait();
    drop(filling);
    set_fd_limit(normal);
    status
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

    // The procfs built-in opens /proc at its first served open, in this
    // process: one made while the table was full for a moment was kept, and
    // every later run's /proc failed.
    let proc_sandbox = Sandbox::new(policy().fs_read(["/proc"]).build().unwrap()).unwrap();
    let reader = ["/bin/sh", "-c", "sleep 0.5; head -c 1 /proc/self/stat"];
    let mut child = proc_sandbox.spawn(&reader).unwrap();
    let _ = wait_with_the_table_full(&mut child, normal);
    let out = proc_sandbox.run(&reader).unwrap();
    assert!(out.status.success(), "/proc once the host had fds again: {out:?}");

    // A run reaped while the table is full, whose child left a
    // subdirectory in its private_tmp: emptying it opens that
    // subdirectory, and the directory stayed for good. It goes at the
    // process's next private_tmp run, and its fds with it.
    let writer = Sandbox::new(policy().private_tmp(true).build().unwrap()).unwrap();
    let before = open_fds();
    let script = ["/bin/sh", "-c", "mkdir \"$TMPDIR/sub\" && echo x > \"$TMPDIR/sub/file\""];
    let mut child = writer.spawn(&script).unwrap();
    let status = wait_with_the_table_full(&mut child, normal).unwrap();
    assert!(status.success(), "{status:?}");
    drop(child);
    assert_eq!(std::fs::read_dir(base.path()).unwrap().count(), 1, "the directory went with the table full");
    writer.run(&["/bin/true"]).unwrap();
    let left: Vec<_> = std::fs::read_dir(base.path()).unwrap().collect();
    assert!(left.is_empty(), "{left:?} left in TMPDIR after the next run");
    assert_eq!(open_fds(), before, "fds left behind");
}
