//! `--auto-read` derives grants from the program, which is untrusted: what
//! it names must not open a directory to it. Each probe reads a secret
//! outside every grant, as uid 0 and as uid 65534.

mod common;

use std::fs;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use common::{path, run, stderr, stdout};

const SECRET: &str = "not for the sandbox\n";

/// A world-readable secret under `root` (so only the sandbox keeps uid
/// 65534 from it) and a world-readable directory for the program.
fn scene(root: &Path) -> (PathBuf, PathBuf) {
    let secret = root.join("secret/data");
    let job = root.join("job");
    fs::create_dir_all(secret.parent().unwrap()).unwrap();
    fs::create_dir_all(&job).unwrap();
    fs::write(&secret, SECRET).unwrap();
    for dir in [root, secret.parent().unwrap(), &job] {
        fs::set_permissions(dir, fs::Permissions::from_mode(0o755)).unwrap();
    }
    (secret, job)
}

/// Run `program secret` with `--auto-read` as each uid: it must not print
/// the secret.
fn assert_secret_kept(program: &Path, secret: &Path) {
    assert_runs_outside(program);
    for uid in ["0", "65534"] {
        let out = run(&["run", "--auto-read", "--uid", uid, "--gid", uid, "--", path(program), path(secret)]);
        assert!(!stdout(&out).contains(SECRET), "uid {uid} read the secret; stderr: {}", stderr(&out));
        assert!(stderr(&out).contains("Permission denied"), "uid {uid}: {}", stderr(&out));
    }
}

#[test]
fn an_env_option_value_is_not_taken_for_the_program() {
    let root = tempfile::tempdir().unwrap();
    let (secret, job) = scene(root.path());
    let script = job.join("script");
    // env unsets a variable named like the secret and runs cat on it.
    fs::write(&script, format!("#!/usr/bin/env -S -u {} cat\n", secret.display())).unwrap();
    fs::set_permissions(&script, fs::Permissions::from_mode(0o755)).unwrap();
    assert_secret_kept(&script, &secret);
}

#[test]
fn a_second_pt_interp_is_not_taken_for_the_loader() {
    let root = tempfile::tempdir().unwrap();
    let (secret, job) = scene(root.path());
    let program = job.join("cat");
    fs::copy(fs::canonicalize("/bin/cat").unwrap(), &program).unwrap();
    with_second_interpreter(&program, &secret);
    assert_secret_kept(&program, &secret);
}

/// `program` (an x86_64 or aarch64 ELF) with its last `PT_NOTE` turned into
/// a second `PT_INTERP` naming `interpreter`, the name appended to the
/// file: the kernel and the loader use the first, and the program runs.
fn with_second_interpreter(program: &Path, interpreter: &Path) {
    let mut bytes = fs::read(program).unwrap();
    let field = |bytes: &[u8], at: usize, len: usize| {
        bytes[at..at + len].iter().rev().fold(0u64, |acc, &b| acc << 8 | u64::from(b)) as usize
    };
    let (phoff, phentsize, phnum) = (field(&bytes, 0x20, 8), field(&bytes, 0x36, 2), field(&bytes, 0x38, 2));
    let note = (0..phnum).map(|i| phoff + i * phentsize).rfind(|&h| field(&bytes, h, 4) == 4);
    let note = note.expect("cat has a PT_NOTE");
    let name = interpreter.as_os_str().as_bytes();
    let (at, len) = (bytes.len() as u64, name.len() as u64 + 1);
    bytes[note..note + 4].copy_from_slice(&3u32.to_le_bytes());
    bytes[note + 8..note + 16].copy_from_slice(&at.to_le_bytes());
    bytes[note + 32..note + 40].copy_from_slice(&len.to_le_bytes());
    bytes[note + 40..note + 48].copy_from_slice(&len.to_le_bytes());
    bytes.extend_from_slice(name);
    bytes.push(0);
    fs::write(program, bytes).unwrap();
    fs::set_permissions(program, fs::Permissions::from_mode(0o755)).unwrap();
}

/// `program /dev/null` succeeds outside the sandbox: the probe is a
/// working program. A child another test forks meanwhile may hold the
/// file open for writing until its exec (`ETXTBSY`).
fn assert_runs_outside(program: &Path) {
    let status = loop {
        match std::process::Command::new(program).arg("/dev/null").status() {
            Err(e) if e.raw_os_error() == Some(libc::ETXTBSY) => {
                std::thread::sleep(std::time::Duration::from_millis(10))
            }
            status => break status.unwrap(),
        }
    };
    assert!(status.success(), "{} fails outside the sandbox", program.display());
}

/// Only the system's env has its argument taken for a program it runs: a
/// program's own "env" (a link to cat, or a copy of it) had any executable
/// file it named granted, and printed it.
#[test]
fn a_programs_own_env_gets_nothing_granted() {
    for own_env in ["link", "copy"] {
        let root = tempfile::tempdir().unwrap();
        let (secret, job) = scene(root.path());
        fs::set_permissions(&secret, fs::Permissions::from_mode(0o755)).unwrap();
        let env = job.join("env");
        let cat = fs::canonicalize("/bin/cat").unwrap();
        if own_env == "link" {
            std::os::unix::fs::symlink(&cat, &env).unwrap();
        } else {
            fs::copy(&cat, &env).unwrap();
        }
        let script = job.join("script");
        fs::write(&script, format!("#!{} {}\n", env.display(), secret.display())).unwrap();
        fs::set_permissions(&script, fs::Permissions::from_mode(0o755)).unwrap();
        assert_secret_kept(&script, &secret);
    }
}
