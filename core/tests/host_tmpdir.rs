//! A host started with an empty `TMPDIR` (`TMPDIR= service`, a unit file's
//! `Environment=TMPDIR=`): every `private_tmp` run failed, saying the
//! empty path could not be found. An empty `TMPDIR` means none, as for
//! mktemp(1): the directory goes under `/tmp`. One test in a binary of its
//! own: the environment is the whole process's.

mod common;

use common::{policy, sandbox_as, Identity};

#[test]
fn an_empty_tmpdir_puts_private_tmp_under_tmp() {
    std::env::set_var("TMPDIR", "");
    for identity in Identity::all() {
        let sandbox = sandbox_as(identity, policy().private_tmp(true));
        let out = sandbox.run(&["/bin/sh", "-c", "echo \"$TMPDIR\" && echo x > \"$TMPDIR/file\""]);
        let out = out.unwrap_or_else(|e| panic!("{identity:?}: {e}"));
        let tmpdir = String::from_utf8_lossy(&out.stdout).trim().to_string();
        assert!(out.status.success(), "{identity:?}: {out:?}");
        assert!(tmpdir.starts_with("/tmp/sandlock-tmp-"), "{identity:?}: TMPDIR {tmpdir:?}");
        assert!(!std::path::Path::new(&tmpdir).exists(), "{identity:?}: {tmpdir} left behind");
    }
}
