//! Everyday programs of this machine under the typical policy of
//! docs/recipes.md — the system directories read-only, one work directory
//! writable as the working directory and HOME, uid 65534, a private TMPDIR
//! and /dev/shm, the standard devices — each doing real work. A program the
//! machine lacks is skipped, and the test says so.

mod common;

use std::io::Write;
use std::os::unix::fs::chown;
use std::path::Path;
use std::process::Output;

use common::{code, sandlock, stderr, stdout};

/// Where the programs are looked up, in the command and in the child.
const SYSTEM_PATH: &str = "/usr/bin:/bin";

/// Whether `program` is installed on [`SYSTEM_PATH`].
fn installed(program: &str) -> bool {
    std::env::split_paths(SYSTEM_PATH).any(|dir| dir.join(program).is_file())
}

/// `argv` under the typical policy, in a fresh work directory owned by uid
/// 65534; `None` (after saying so) when `program` is not installed.
fn typical(program: &str, argv: &[&str]) -> Option<Output> {
    if !installed(program) {
        // Past the test harness's capture, so that the skip is seen.
        let _ = writeln!(std::io::stderr(), "skipped: {program} is not installed on {SYSTEM_PATH}");
        return None;
    }
    let work = tempfile::tempdir().unwrap();
    chown(work.path(), Some(65534), Some(65534)).unwrap();
    let work = work.path().to_str().unwrap();
    let out = sandlock()
        .env("PATH", SYSTEM_PATH)
        .args(["run", "--read", "/usr", "--read", "/etc", "--write", work, "--cwd", work])
        .args(["--env", &format!("HOME={work}"), "--env", &format!("PATH={SYSTEM_PATH}")])
        .args(["--uid", "65534", "--gid", "65534", "--private-tmp", "--private-shm", "--timeout", "120s", "--"])
        .args(argv)
        .output()
        .expect("running sandlock");
    Some(out)
}

/// `argv` succeeds under the typical policy and prints `expected`.
fn prints(program: &str, argv: &[&str], expected: &str) {
    let Some(out) = typical(program, argv) else { return };
    assert_eq!(code(&out), 0, "{argv:?}\nstdout: {}\nstderr: {}", stdout(&out), stderr(&out));
    assert_eq!(stdout(&out), expected, "{argv:?}\nstderr: {}", stderr(&out));
}

#[test]
fn python_multiprocessing_ssl_and_sqlite() {
    let script = "import multiprocessing as mp, ssl, sqlite3\n\
                  with mp.Pool(2) as pool: print(sum(pool.map(abs, [-1, -2, -3])))\n\
                  lock = mp.Lock(); lock.acquire(); lock.release(); print('semaphore')\n\
                  print(ssl.create_default_context().cert_store_stats()['x509_ca'] > 0)\n\
                  db = sqlite3.connect('t.db'); db.execute('create table t(x)'); db.execute('insert into t values (7)')\n\
                  db.commit(); print(db.execute('select x from t').fetchone()[0])\n";
    prints("python3", &["python3", "-c", script], "6\nsemaphore\nTrue\n7\n");
}

#[test]
fn python_venv() {
    let script =
        "python3 -m venv --without-pip venv && venv/bin/python -c 'import sys; print(sys.prefix != sys.base_prefix)'";
    prints("python3", &["sh", "-c", script], "True\n");
}

#[test]
fn gcc_compiles_a_program_that_runs() {
    let script = r#"printf '#include <stdio.h>\nint main(void) { puts("compiled"); return 0; }\n' > hello.c && gcc -O2 -o hello hello.c && ./hello"#;
    prints("gcc", &["sh", "-c", script], "compiled\n");
}

#[test]
fn git_init_commit_and_log() {
    let script = "git init -q repo && cd repo && git config user.email job@example.com && git config user.name job \
                  && echo text > file && git add file && git commit -qm first && git log --format=%s";
    prints("git", &["sh", "-c", script], "first\n");
}

#[test]
fn tar_packs_and_unpacks() {
    let script = "mkdir in out && echo data > in/file && tar czf in.tgz in && tar xzf in.tgz -C out && cat out/in/file";
    prints("tar", &["sh", "-c", script], "data\n");
}

#[test]
fn node_runs_a_script() {
    let script = "const os = require('os'); const fs = require('fs'); \
                  fs.writeFileSync(os.tmpdir() + '/f', 'node'); console.log(fs.readFileSync(os.tmpdir() + '/f', 'utf8'))";
    prints("node", &["node", "-e", script], "node\n");
}

#[test]
fn make_builds_a_target() {
    let script = r#"printf 'out.txt:\n\techo built > $@\n' > Makefile && make -s && cat out.txt"#;
    prints("make", &["sh", "-c", script], "built\n");
}

#[test]
fn sort_sorts() {
    let script = "printf 'b\\na\\nc\\n' > in && sort in";
    prints("sort", &["sh", "-c", script], "a\nb\nc\n");
}

#[test]
fn perl_with_a_module() {
    prints("perl", &["perl", "-MPOSIX", "-e", "print POSIX::floor(2.5), qq(\\n)"], "2\n");
}

#[test]
fn the_work_directory_is_the_only_place_written() {
    let Some(out) = typical("sh", &["sh", "-c", "echo x > /etc/sandlock-compat || echo refused"]) else { return };
    assert_eq!(stdout(&out), "refused\n", "{}", stderr(&out));
    assert!(!Path::new("/etc/sandlock-compat").exists());
}
