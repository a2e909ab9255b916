//! The guard in real sandboxes, for a child that keeps uid 0 and for an
//! unprivileged one: the tests deny paths directly (`DeniedPaths::deny`)
//! while the child runs, as the control handle does.

use std::collections::hash_map::DefaultHasher;
use std::fs;
use std::hash::{Hash, Hasher};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use super::*;
use crate::{ExitStatus, RunOutput, Sandbox, Syscall};

const NOBODY: u32 = 65534;
const PROBE_SOURCE: &str = include_str!("../../../tests/programs/deny_path_probe.c");

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Who {
    Root,
    Nobody,
}

const BOTH: [Who; 2] = [Who::Root, Who::Nobody];

/// A directory any uid may write, removed on drop.
struct Dir(PathBuf);

impl Dir {
    fn new() -> Dir {
        static N: AtomicUsize = AtomicUsize::new(0);
        let n = N.fetch_add(1, Ordering::Relaxed);
        let path = std::env::temp_dir().join(format!("sandlock-paths-{}-{n}", std::process::id()));
        fs::create_dir(&path).unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o777)).unwrap();
        Dir(path)
    }

    fn join(&self, name: impl AsRef<Path>) -> PathBuf {
        self.0.join(name)
    }

    fn s(&self) -> &str {
        self.0.to_str().unwrap()
    }

    fn file(&self, name: &str, content: &str, mode: u32) -> PathBuf {
        let path = self.join(name);
        fs::write(&path, content).unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(mode)).unwrap();
        path
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// The compiled probe, built once per source version in a public directory.
fn probe() -> &'static Path {
    static PROBE: OnceLock<PathBuf> = OnceLock::new();
    PROBE.get_or_init(|| {
        let mut hasher = DefaultHasher::new();
        PROBE_SOURCE.hash(&mut hasher);
        let dir = std::env::temp_dir().join(format!("sandlock-paths-probe-{:016x}", hasher.finish()));
        let binary = dir.join("deny_path_probe");
        if !binary.exists() {
            fs::create_dir_all(&dir).unwrap();
            fs::set_permissions(&dir, fs::Permissions::from_mode(0o755)).unwrap();
            let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/programs/deny_path_probe.c");
            let staging = dir.join(format!("probe.{}.tmp", std::process::id()));
            let out = std::process::Command::new("cc")
                .args(["-O2", "-Wall", "-Wextra", "-pthread", "-o"])
                .arg(&staging)
                .arg(&source)
                .output()
                .unwrap();
            assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
            fs::set_permissions(&staging, fs::Permissions::from_mode(0o755)).unwrap();
            fs::rename(&staging, &binary).unwrap();
        }
        binary
    })
}

fn read_paths() -> Vec<PathBuf> {
    ["/usr", "/lib", "/lib64", "/bin", "/etc"].iter().map(PathBuf::from).filter(|p| p.exists()).collect()
}

/// A sandbox whose path calls go through a guard of `denied`, writing in `write`.
fn guarded(who: Who, write: &[&Path], denied: &Arc<DeniedPaths>) -> Sandbox {
    let mut builder = Policy::builder()
        .fs_read(read_paths())
        .fs_read([probe().parent().unwrap()])
        .fs_write(write.iter().copied())
        .fs_write(["/dev/null"]);
    if who == Who::Nobody {
        builder = builder.uid(NOBODY).gid(NOBODY);
    }
    // Only a net under the waits of the tests, which fail first: a race of
    // hundreds of rounds takes ~40 s on 2 loaded vCPUs.
    let policy = builder.timeout(Duration::from_secs(600)).build().unwrap();
    let guard: Arc<dyn Handler> = Arc::new(PathGuard::new(&policy, Arc::clone(denied)).unwrap());
    let mut sandbox = Sandbox::new(policy).unwrap();
    for name in PathGuard::SYSCALLS {
        sandbox = sandbox.add_shared_handler(Syscall::from_name(name).unwrap(), Arc::clone(&guard));
    }
    sandbox
}

fn sh(sandbox: &Sandbox, script: &str) -> RunOutput {
    sandbox.run(&["/bin/sh", "-c", script]).unwrap()
}

fn text(out: &RunOutput) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn wait_for(path: &Path) {
    wait_for_while(path, || true);
}

/// [`wait_for`], giving up at once when `running` turns false (the run
/// that was to make `path` has ended).
fn wait_for_while(path: &Path, running: impl Fn() -> bool) -> bool {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !path.exists() {
        if !running() {
            return false;
        }
        assert!(Instant::now() < deadline, "{} never appeared", path.display());
        std::thread::sleep(Duration::from_micros(200));
    }
    true
}

#[test]
fn programs_work_while_something_is_denied() {
    for who in BOTH {
        let dir = Dir::new();
        let denied = Arc::new(DeniedPaths::new());
        denied.deny(&dir.file("unrelated", "x", 0o644)).unwrap();
        let sandbox = guarded(who, &[&dir.0], &denied);
        let d = dir.s();
        let out = sh(
            &sandbox,
            &format!(
                "cat /etc/hostname >/dev/null && ls /usr >/dev/null && echo hi > {d}/out && cat {d}/out && \
                 mkdir {d}/m && mv {d}/out {d}/m/ && ln -s m/out {d}/l && cat {d}/l && rm -r {d}/m {d}/l && echo done"
            ),
        );
        assert_eq!((text(&out).as_str(), out.status), ("hi\nhi\ndone\n", ExitStatus::Exited(0)), "{who:?}: {out:?}");
    }
}

#[test]
fn opens_and_name_calls_mean_what_the_kernel_says() {
    for who in BOTH {
        let (kernel_dir, guard_dir) = (Dir::new(), Dir::new());
        // Nothing denied: the kernel makes every call.
        let nothing = Arc::new(DeniedPaths::new());
        let by_kernel =
            guarded(who, &[&kernel_dir.0], &nothing).run(&[probe().to_str().unwrap(), "opens", kernel_dir.s()]);
        // Something unrelated denied: the guard makes them.
        let denied = Arc::new(DeniedPaths::new());
        let other = Dir::new();
        denied.deny(&other.0).unwrap();
        let by_guard = guarded(who, &[&guard_dir.0], &denied).run(&[probe().to_str().unwrap(), "opens", guard_dir.s()]);
        let (by_kernel, by_guard) = (by_kernel.unwrap(), by_guard.unwrap());
        assert_eq!(by_kernel.status, ExitStatus::Exited(0), "{who:?}: {by_kernel:?}");
        let (k, g) = (text(&by_kernel), text(&by_guard));
        for (a, b) in k.lines().zip(g.lines()) {
            assert_eq!(a, b, "{who:?}: kernel and guard differ");
        }
        assert_eq!(k.lines().count(), g.lines().count(), "{who:?}\n{k}\n---\n{g}");
    }
}

#[test]
fn a_denied_file_is_out_of_reach_by_every_name() {
    for who in BOTH {
        let (dir, other) = (Dir::new(), Dir::new());
        let secret = dir.file("secret", "secret", 0o666);
        fs::hard_link(&secret, other.join("hard")).unwrap();
        std::os::unix::fs::symlink(&secret, other.join("sym")).unwrap();
        let denied = Arc::new(DeniedPaths::new());
        denied.deny(&secret).unwrap();
        let sandbox = guarded(who, &[&dir.0, &other.0], &denied);
        let (d, o) = (dir.s(), other.s());
        let script = format!(
            "cat {d}/secret; echo cat=$?; cat {o}/hard; echo hard=$?; cat {o}/sym; echo sym=$?; \
             cd {d} && cat secret; echo relative=$?; cat ../$(basename {d})/secret; echo dotdot=$?; \
             mv {d}/secret {d}/moved; echo mv=$?; mv {o}/hard {o}/moved; echo mv-hard=$?; \
             ln {d}/secret {o}/again; echo ln=$?; ln -s {d}/secret {o}/sym2 && cat {o}/sym2; echo sym2=$?; \
             : > {d}/secret; echo trunc=$?; echo x >> {d}/secret; echo append=$?; \
             rm {o}/hard; echo rm=$?; truncate -s 0 {o}/hard; echo truncate=$?"
        );
        let out = sh(&sandbox, &script);
        let stdout = text(&out);
        for line in stdout.lines() {
            let (what, code) = line.split_once('=').unwrap_or((line, ""));
            assert_ne!(code, "0", "{who:?}: {what} succeeded:\n{stdout}");
        }
        assert!(!stdout.contains("secret\n"), "{who:?}: the content leaked:\n{stdout}");
        assert_eq!(fs::read_to_string(&secret).unwrap(), "secret");
        assert!(other.join("hard").exists() && !dir.join("moved").exists() && !other.join("again").exists());
    }
}

#[test]
fn a_denied_directory_and_everything_below_it_are_out_of_reach() {
    for who in BOTH {
        let (dir, other) = (Dir::new(), Dir::new());
        let locked = dir.join("locked");
        fs::create_dir_all(locked.join("sub")).unwrap();
        fs::set_permissions(&locked, fs::Permissions::from_mode(0o777)).unwrap();
        let deep = locked.join("sub/deep");
        fs::write(&deep, "secret").unwrap();
        fs::write(locked.join("top"), "secret").unwrap();
        fs::hard_link(&deep, other.join("hard")).unwrap();
        other.file("outside", "free", 0o666);
        let denied = Arc::new(DeniedPaths::new());
        denied.deny(&locked).unwrap();
        // Made after the deny, by the host: denied by its directory.
        fs::write(locked.join("later"), "secret").unwrap();
        let sandbox = guarded(who, &[&dir.0, &other.0], &denied);
        let (l, o) = (locked.to_str().unwrap(), other.s());
        let script = format!(
            "cat {l}/top; echo top=$?; cat {l}/sub/deep; echo deep=$?; cat {o}/hard; echo hard=$?; \
             cat {l}/later; echo later=$?; ls {l}; echo ls=$?; touch {l}/new; echo touch=$?; \
             mkdir {l}/x; echo mkdir=$?; mkfifo {l}/f; echo mkfifo=$?; ln -s x {l}/l; echo symlink=$?; \
             mv {l} {o}/moved; echo mv-dir=$?; mv {l}/sub {o}/sub; echo mv-out=$?; \
             mv {o}/outside {l}/in; echo mv-in=$?; ln {o}/outside {l}/in; echo ln-in=$?; \
             rm {l}/top; echo rm=$?; cd {l}/sub && cat deep; echo cwd=$?"
        );
        let out = sh(&sandbox, &script);
        let stdout = text(&out);
        for line in stdout.lines() {
            let (what, code) = line.split_once('=').unwrap_or((line, ""));
            assert_ne!(code, "0", "{who:?}: {what} succeeded:\n{stdout}");
        }
        assert!(!stdout.contains("secret"), "{who:?}: the content leaked:\n{stdout}");
        let mut names: Vec<_> = fs::read_dir(&locked).unwrap().map(|e| e.unwrap().file_name()).collect();
        names.sort();
        assert_eq!(names, ["later", "sub", "top"], "{who:?}");
        assert!(other.join("outside").exists());
    }
}

/// One run per round of `race`: the readers race the deny itself.
fn race(who: Who, rounds: usize, threads: usize, fork: bool) {
    let dir = Dir::new();
    for i in 0..rounds {
        dir.file(&format!("f.{i}"), "secret", 0o644);
    }
    let denied = Arc::new(DeniedPaths::new());
    let sandbox = guarded(who, &[&dir.0], &denied);
    std::thread::scope(|scope| {
        let run = scope.spawn(|| {
            let argv = [
                probe().to_str().unwrap(),
                "race",
                dir.s(),
                &rounds.to_string(),
                &threads.to_string(),
                if fork { "1" } else { "0" },
            ];
            sandbox.run(&argv).unwrap()
        });
        for i in 0..rounds {
            // A run that ended early says why in its output, below.
            if !wait_for_while(&dir.join(format!("ready.{i}")), || !run.is_finished()) {
                break;
            }
            denied.deny(&dir.join(format!("f.{i}"))).unwrap();
            fs::write(dir.join(format!("denied.{i}")), "").unwrap();
        }
        let out = run.join().unwrap();
        assert_eq!((text(&out).as_str(), out.status), ("clean\n", ExitStatus::Exited(0)), "{who:?}: {out:?}");
    });
}

#[test]
fn racing_openers_never_read_a_file_after_its_deny_returned() {
    for who in BOTH {
        race(who, 200, 3, false);
    }
}

#[test]
fn a_second_process_never_reads_a_file_after_its_deny_returned() {
    for who in BOTH {
        race(who, 100, 2, true);
    }
}

#[test]
fn the_first_deny_of_a_run_waits_for_the_calls_the_kernel_was_let_to_make() {
    for who in BOTH {
        for _ in 0..25 {
            race(who, 1, 3, true);
        }
    }
}

#[test]
fn a_path_swapped_in_memory_is_read_once() {
    for who in BOTH {
        let dir = Dir::new();
        // Names of one length, so that every read of the buffer is one of them.
        let (allowed, secret) = (dir.file("aaaaaa", "fine", 0o644), dir.file("secret", "secret", 0o644));
        let denied = Arc::new(DeniedPaths::new());
        denied.deny(&secret).unwrap();
        let sandbox = guarded(who, &[&dir.0], &denied);
        let out = sandbox
            .run(&[probe().to_str().unwrap(), "swap", allowed.to_str().unwrap(), secret.to_str().unwrap(), "5000"])
            .unwrap();
        assert_eq!(text(&out), "clean 1\n", "{who:?}: {out:?}");
    }
}

#[test]
fn a_directory_fd_from_before_the_deny_reaches_nothing_after_it() {
    for who in BOTH {
        let dir = Dir::new();
        let locked = dir.join("locked");
        fs::create_dir(&locked).unwrap();
        fs::write(locked.join("secret"), "secret").unwrap();
        let marker = dir.join("go");
        let denied = Arc::new(DeniedPaths::new());
        let sandbox = guarded(who, &[&dir.0], &denied);
        std::thread::scope(|scope| {
            let run = scope.spawn(|| {
                sandbox
                    .run(&[
                        probe().to_str().unwrap(),
                        "dirfd",
                        locked.to_str().unwrap(),
                        "secret",
                        marker.to_str().unwrap(),
                    ])
                    .unwrap()
            });
            wait_for(&dir.join("go.ready"));
            denied.deny(&locked).unwrap();
            fs::write(&marker, "").unwrap();
            let out = run.join().unwrap();
            assert_eq!(
                text(&out),
                "before: opened\nafter: Permission denied\nfrom cwd: Permission denied\nreopen: Permission denied\nold fd reads: yes\n",
                "{who:?}: {out:?}"
            );
        });
    }
}

#[test]
fn the_agent_opens_nothing_the_child_could_not() {
    for who in BOTH {
        let (dir, outside) = (Dir::new(), Dir::new());
        outside.file("public", "public", 0o644);
        dir.file("root-only", "private", 0o600);
        let denied = Arc::new(DeniedPaths::new());
        denied.deny(&dir.file("unrelated", "", 0o644)).unwrap();
        let sandbox = guarded(who, &[&dir.0], &denied);
        let out = sh(
            &sandbox,
            &format!("cat {}/public; echo outside=$?; cat {}/root-only; echo own=$?", outside.s(), dir.s()),
        );
        let expected_own = if who == Who::Root { "privateown=0" } else { "own=1" };
        assert_eq!(text(&out), format!("outside=1\n{expected_own}\n"), "{who:?}: {out:?}");
    }
}

#[test]
fn fifo_opens_wait_without_holding_up_the_sandbox() {
    for who in BOTH {
        let dir = Dir::new();
        let denied = Arc::new(DeniedPaths::new());
        denied.deny(&dir.file("unrelated", "", 0o644)).unwrap();
        let sandbox = guarded(who, &[&dir.0], &denied);
        let d = dir.s();
        let out = sh(&sandbox, &format!("mkfifo {d}/p; (sleep 0.2; echo through > {d}/p) & cat {d}/p; wait"));
        assert_eq!((text(&out).as_str(), out.status), ("through\n", ExitStatus::Exited(0)), "{who:?}: {out:?}");
    }
}

#[test]
fn a_fifo_open_still_waiting_when_the_child_dies_ends() {
    let dir = Dir::new();
    let denied = Arc::new(DeniedPaths::new());
    denied.deny(&dir.file("unrelated", "", 0o644)).unwrap();
    let policy = Policy::builder().fs_read(read_paths()).fs_write([&dir.0]).fs_write(["/dev/null"]);
    let policy = policy.timeout(Duration::from_millis(300));
    let policy = policy.build().unwrap();
    let guard = Arc::new(PathGuard::new(&policy, Arc::clone(&denied)).unwrap());
    let mut sandbox = Sandbox::new(policy).unwrap();
    for name in PathGuard::SYSCALLS {
        sandbox = sandbox.add_shared_handler(Syscall::from_name(name).unwrap(), Arc::clone(&guard) as Arc<dyn Handler>);
    }
    let started = Instant::now();
    let out = sh(&sandbox, &format!("mkfifo {0}/p; cat {0}/p", dir.s()));
    assert!(out.timed_out, "{out:?}");
    drop(sandbox);
    // The last reference: dropping it ends the waiting open's threads.
    drop(guard);
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[test]
fn deny_refuses_relative_and_missing_paths() {
    let denied = DeniedPaths::new();
    assert!(matches!(denied.deny(Path::new("etc/hostname")), Err(SandlockError::RelativePath { .. })));
    assert!(matches!(denied.deny(Path::new("/nonexistent/sandlock")), Err(SandlockError::PathNotFound { .. })));
    assert!(denied.read().is_empty());
    let dir = Dir::new();
    fs::create_dir(dir.join("sub")).unwrap();
    fs::write(dir.join("sub/f"), "").unwrap();
    denied.deny(&dir.0).unwrap();
    assert_eq!(denied.read().len(), 3);
}

#[test]
fn mapped_files_and_programs_of_a_task_are_looked_at() {
    let dir = Dir::new();
    let program = dir.join("sleepy");
    fs::copy("/bin/sleep", &program).unwrap();
    fs::set_permissions(&program, fs::Permissions::from_mode(0o755)).unwrap();
    let denied = Arc::new(DeniedPaths::new());
    let policy = Policy::builder().fs_read(read_paths()).fs_read([&dir.0]).build().unwrap();
    let guard = PathGuard::new(&policy, Arc::clone(&denied)).unwrap();
    let mut child = std::process::Command::new(&program).arg("5").spawn().unwrap();
    let pid = child.id() as i32;
    // Until it ran its program, the child is still a copy of this process.
    let deadline = Instant::now() + Duration::from_secs(5);
    while fs::read_link(format!("/proc/{pid}/exe")).map_or(true, |exe| exe != program) {
        assert!(Instant::now() < deadline);
        std::thread::sleep(Duration::from_millis(1));
    }
    denied.deny(&dir.file("unrelated", "", 0o644)).unwrap();
    assert!(!guard.program_denied(pid));
    denied.deny(&dir.0).unwrap();
    assert!(guard.program_denied(pid));
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(guard.program_denied(pid), "a task that is gone fails closed");
}

#[test]
fn a_cwd_below_directories_the_child_cannot_search_still_works() {
    let dir = Dir::new();
    let private = dir.join("private");
    fs::create_dir_all(private.join("work")).unwrap();
    fs::set_permissions(&private, fs::Permissions::from_mode(0o700)).unwrap();
    fs::set_permissions(private.join("work"), fs::Permissions::from_mode(0o777)).unwrap();
    fs::write(private.join("work/data"), "data").unwrap();
    let denied = Arc::new(DeniedPaths::new());
    denied.deny(&dir.file("unrelated", "", 0o644)).unwrap();
    let policy = Policy::builder()
        .fs_read(read_paths())
        .fs_write([&dir.0])
        .fs_write(["/dev/null"])
        .cwd(private.join("work"))
        .uid(NOBODY)
        .gid(NOBODY)
        .build()
        .unwrap();
    let guard: Arc<dyn Handler> = Arc::new(PathGuard::new(&policy, Arc::clone(&denied)).unwrap());
    let mut sandbox = Sandbox::new(policy).unwrap();
    for name in PathGuard::SYSCALLS {
        sandbox = sandbox.add_shared_handler(Syscall::from_name(name).unwrap(), Arc::clone(&guard));
    }
    let out = sh(&sandbox, "cat data; echo; echo new > made && cat made");
    assert_eq!(text(&out), "data\nnew\n", "{out:?}");
    denied.deny(&private.join("work/data")).unwrap();
    let out = sh(&sandbox, "cat data; echo cat=$?");
    assert_eq!(text(&out), "cat=1\n", "{out:?}");
}

#[test]
fn an_exec_of_a_denied_program_is_found_by_the_exec_check() {
    for who in BOTH {
        let dir = Dir::new();
        let tool = dir.join("tool");
        fs::copy("/bin/true", &tool).unwrap();
        fs::set_permissions(&tool, fs::Permissions::from_mode(0o755)).unwrap();
        std::os::unix::fs::symlink(&tool, dir.join("alias")).unwrap();
        let denied = Arc::new(DeniedPaths::new());
        let mut builder = Policy::builder().fs_read(read_paths()).fs_read([&dir.0]).fs_write(["/dev/null"]);
        if who == Who::Nobody {
            builder = builder.uid(NOBODY).gid(NOBODY);
        }
        let policy = builder.build().unwrap();
        let guard = Arc::new(PathGuard::new(&policy, Arc::clone(&denied)).unwrap());
        let exec_guard = Arc::clone(&guard);
        // What the exec flow does before it lets an exec go on.
        let exec_check = move |ctx: &HandlerCtx<'_>| -> HandlerResult {
            let path = ctx.read_cstr_bytes(ctx.args()[0], 4095)?;
            Ok(if exec_guard.exec_denied(ctx, libc::AT_FDCWD, &path, 0) {
                NotifAction::Errno(libc::EACCES)
            } else {
                NotifAction::Continue
            })
        };
        let mut sandbox = Sandbox::new(policy).unwrap().add_handler(Syscall::from_name("execve").unwrap(), exec_check);
        for name in PathGuard::SYSCALLS {
            sandbox =
                sandbox.add_shared_handler(Syscall::from_name(name).unwrap(), Arc::clone(&guard) as Arc<dyn Handler>);
        }
        let script = format!("{0}/tool; echo tool=$?; {0}/alias; echo alias=$?; /bin/true; echo true=$?", dir.s());
        assert_eq!(text(&sh(&sandbox, &script)), "tool=0\nalias=0\ntrue=0\n", "{who:?}");
        denied.deny(&tool).unwrap();
        assert_eq!(text(&sh(&sandbox, &script)), "tool=126\nalias=126\ntrue=0\n", "{who:?}");
    }
}
