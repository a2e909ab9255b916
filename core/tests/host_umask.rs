//! A host whose umask takes the owner's own bits (`umask 0177`, a common
//! daemon setting): `mkdtemp` then makes the run's private temporary
//! directory without them. Every run failed, saying the directory was
//! replaced, and left it behind. One test in a binary of its own: the umask
//! is the whole process's.

mod common;

use common::{policy, TempDir};
use sandlock_core::Sandbox;

#[test]
fn a_umask_without_the_owners_bits_still_gives_runs_their_private_tmp() {
    let base = TempDir::new();
    std::env::set_var("TMPDIR", base.path());
    for umask in [0o177, 0o777] {
        // SAFETY: umask has no preconditions.
        unsafe { libc::umask(umask) };
        let sandbox = Sandbox::new(policy().private_tmp(true).build().unwrap()).unwrap();
        let out = sandbox.run(&["/bin/sh", "-c", "stat -c %a \"$TMPDIR\" && echo x > \"$TMPDIR/file\""]);
        // SAFETY: as above.
        unsafe { libc::umask(0o022) };
        let out = out.unwrap_or_else(|e| panic!("umask {umask:o}: {e}"));
        assert_eq!((out.status.success(), out.stdout.as_slice()), (true, &b"700\n"[..]), "umask {umask:o}: {out:?}");
        assert_eq!(std::fs::read_dir(base.path()).unwrap().count(), 0, "umask {umask:o}: left in TMPDIR");
    }
}
