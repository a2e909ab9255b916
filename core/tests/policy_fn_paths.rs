//! `deny_path` through the public API: a `policy_fn` with
//! `Category::PATHS` takes hold of its control handle, and the test denies
//! paths with it while real programs run, as uid 0 and as nobody (see
//! docs/policy-fn.md, "deny_path").

mod common;

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{program, sandbox_as, Identity, TempDir};
use sandlock_core::{Category, Control, Decision, Event, ExitStatus, RunOutput, Sandbox, SandlockError};

/// The control handle of the run, once the callback saw its first event.
#[derive(Clone, Default)]
struct Handle(Arc<Mutex<Option<Control>>>);

impl Handle {
    fn get(&self) -> Control {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(control) = self.0.lock().unwrap().clone() {
                return control;
            }
            assert!(Instant::now() < deadline, "the callback never ran");
            std::thread::sleep(Duration::from_millis(1));
        }
    }
}

/// A sandbox writing in `dirs`, whose `policy_fn` hands its control handle
/// to `handle` and allows everything.
fn sandbox(identity: Identity, dirs: &[&Path], handle: &Handle) -> Sandbox {
    let policy = common::policy().fs_write(dirs.iter().copied()).fs_write(["/dev/null"]);
    let slot = handle.clone();
    sandbox_as(identity, policy).policy_fn(Category::FILE | Category::PATHS, move |_: &Event, control: &Control| {
        slot.0.lock().unwrap().get_or_insert_with(|| control.clone());
        Decision::Allow
    })
}

fn sh(sandbox: &Sandbox, script: &str) -> RunOutput {
    sandbox.run(&["/bin/sh", "-c", script]).unwrap()
}

fn text(out: &RunOutput) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn wait_for(path: &Path) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !path.exists() {
        assert!(Instant::now() < deadline, "{} never appeared", path.display());
        std::thread::sleep(Duration::from_micros(200));
    }
}

fn file(dir: &TempDir, name: &str, content: &str) -> PathBuf {
    PathBuf::from(dir.file_with_mode(name, content, 0o666))
}

/// The `race` probe: readers of `f.<i>` while the test denies it, round
/// after round; "clean" when no reader read a file after its deny returned.
fn race(identity: Identity, rounds: usize, threads: usize, fork: bool) {
    let dir = TempDir::new_shared();
    for i in 0..rounds {
        file(&dir, &format!("f.{i}"), "secret");
    }
    let handle = Handle::default();
    let sandbox = sandbox(identity, &[dir.path()], &handle);
    std::thread::scope(|scope| {
        let run = scope.spawn(|| {
            let probe = program("deny_path_probe");
            let (rounds, threads) = (rounds.to_string(), threads.to_string());
            let argv = [
                probe.to_str().unwrap(),
                "race",
                dir.path().to_str().unwrap(),
                &rounds,
                &threads,
                if fork { "1" } else { "0" },
            ];
            sandbox.run(&argv).unwrap()
        });
        for i in 0..rounds {
            wait_for(&dir.path().join(format!("ready.{i}")));
            handle.get().deny_path(dir.path().join(format!("f.{i}"))).unwrap();
            fs::write(dir.path().join(format!("denied.{i}")), "").unwrap();
        }
        let out = run.join().unwrap();
        assert_eq!((text(&out).as_str(), out.status), ("clean\n", ExitStatus::Exited(0)), "{identity}: {out:?}");
    });
}

#[test]
fn a_racing_opener_never_reads_a_denied_file_after_deny_path_returned() {
    for identity in Identity::all() {
        race(identity, 200, 3, false);
    }
}

#[test]
fn a_second_process_never_reads_a_denied_file_after_deny_path_returned() {
    for identity in Identity::all() {
        race(identity, 100, 2, true);
    }
}

#[test]
fn hardlinks_symlinks_renames_and_creates_reach_nothing_denied() {
    for identity in Identity::all() {
        let (dir, other) = (TempDir::new_shared(), TempDir::new_shared());
        let secret = file(&dir, "secret", "secret");
        fs::hard_link(&secret, other.path().join("hard")).unwrap();
        std::os::unix::fs::symlink(&secret, other.path().join("sym")).unwrap();
        let locked = dir.path().join("locked");
        fs::create_dir(&locked).unwrap();
        fs::set_permissions(&locked, fs::Permissions::from_mode(0o777)).unwrap();
        fs::write(locked.join("inner"), "secret").unwrap();
        let handle = Handle::default();
        let sandbox = sandbox(identity, &[dir.path(), other.path()], &handle);
        let (d, o, l) = (dir.path().display(), other.path().display(), locked.display());
        let script = format!(
            "cat /etc/hostname > /dev/null; while [ ! -e {o}/go ]; do sleep 0.01; done; \
             cat {d}/secret; echo cat=$?; cat {o}/hard; echo hard=$?; cat {o}/sym; echo sym=$?; \
             mv {d}/secret {d}/moved; echo mv=$?; mv {l} {o}/moved; echo mv-dir=$?; \
             ln {d}/secret {o}/again; echo ln=$?; : > {d}/secret; echo trunc=$?; \
             touch {l}/new; echo create-in=$?; cat {l}/inner; echo inner=$?; \
             cd {l} && cat inner; echo cwd=$?"
        );
        std::thread::scope(|scope| {
            let run = scope.spawn(|| sh(&sandbox, &script));
            let control = handle.get();
            control.deny_path(&secret).unwrap();
            control.deny_path(&locked).unwrap();
            fs::write(other.path().join("go"), "").unwrap();
            let out = run.join().unwrap();
            let stdout = text(&out);
            for line in stdout.lines() {
                let (what, code) = line.split_once('=').unwrap_or((line, ""));
                assert_ne!(code, "0", "{identity}: {what} succeeded:\n{stdout}");
            }
            assert!(!stdout.contains("secret"), "{identity}: the content leaked:\n{stdout}");
        });
        assert_eq!(fs::read_to_string(&secret).unwrap(), "secret");
        assert!(locked.join("inner").exists() && !locked.join("new").exists());
    }
}

#[test]
fn a_denied_program_does_not_run() {
    for identity in Identity::all() {
        let (dir, work) = (TempDir::new_public(), TempDir::new_shared());
        let tool = dir.path().join("tool");
        fs::copy("/bin/true", &tool).unwrap();
        fs::set_permissions(&tool, fs::Permissions::from_mode(0o755)).unwrap();
        let handle = Handle::default();
        let policy = common::policy().fs_read([dir.path()]).fs_write([work.path()]).fs_write(["/dev/null"]);
        let slot = handle.clone();
        let sandbox =
            sandbox_as(identity, policy).policy_fn(Category::FILE | Category::PATHS, move |_: &Event, c: &Control| {
                slot.0.lock().unwrap().get_or_insert_with(|| c.clone());
                Decision::Allow
            });
        let (t, w) = (tool.display(), work.path().display());
        let script = format!(
            "{t}; echo before=$?; : > {w}/ran; while [ ! -e {w}/go ]; do sleep 0.01; done; \
             {t}; echo after=$?; ln -s {t} {w}/alias; {w}/alias; echo alias=$?; /bin/true; echo other=$?"
        );
        std::thread::scope(|scope| {
            let run = scope.spawn(|| sh(&sandbox, &script));
            wait_for(&work.path().join("ran"));
            handle.get().deny_path(dir.path()).unwrap();
            fs::write(work.path().join("go"), "").unwrap();
            let out = run.join().unwrap();
            assert_eq!(text(&out), "before=0\nafter=126\nalias=126\nother=0\n", "{identity}: {out:?}");
        });
    }
}

#[test]
fn deny_path_needs_path_control_and_a_path_that_exists() {
    let handle = Handle::default();
    let slot = handle.clone();
    let without =
        sandbox_as(Identity::Root, common::policy()).policy_fn(Category::FILE, move |_: &Event, c: &Control| {
            slot.0.lock().unwrap().get_or_insert_with(|| c.clone());
            Decision::Allow
        });
    assert!(without.run(&["/bin/cat", "/etc/hostname"]).unwrap().status.success());
    let err = handle.get().deny_path("/etc/hostname").unwrap_err().to_string();
    assert!(err.contains("Category::PATHS"), "{err}");

    let dir = TempDir::new_shared();
    let handle = Handle::default();
    let with = sandbox(Identity::Root, &[dir.path()], &handle);
    assert!(with.run(&["/bin/cat", "/etc/hostname"]).unwrap().status.success());
    let control = handle.get();
    assert!(matches!(control.deny_path("etc/hostname"), Err(SandlockError::RelativePath { .. })));
    assert!(matches!(control.deny_path("/nonexistent/sandlock"), Err(SandlockError::PathNotFound { .. })));
}

#[test]
fn a_program_swapped_in_after_the_check_is_killed_before_it_runs() {
    for identity in Identity::all() {
        let (dir, work) = (TempDir::new_public(), TempDir::new_shared());
        for (name, program) in [("good", "/bin/true"), ("bad", "/bin/false")] {
            fs::copy(program, work.path().join(name)).unwrap();
            fs::set_permissions(work.path().join(name), fs::Permissions::from_mode(0o755)).unwrap();
        }
        let handle = Handle::default();
        let policy = common::policy().fs_read([dir.path()]).fs_write([work.path()]).fs_write(["/dev/null"]);
        let slot = handle.clone();
        let sandbox =
            sandbox_as(identity, policy).policy_fn(Category::FILE | Category::PATHS, move |_: &Event, c: &Control| {
                slot.0.lock().unwrap().get_or_insert_with(|| c.clone());
                Decision::Allow
            });
        std::thread::scope(|scope| {
            let run = scope.spawn(|| {
                let probe = program("deny_path_probe");
                sandbox.run(&[probe.to_str().unwrap(), "exec-race", work.path().to_str().unwrap(), "200"]).unwrap()
            });
            handle.get().deny_path(work.path().join("bad")).unwrap();
            fs::write(work.path().join("go"), "").unwrap();
            let out = run.join().unwrap();
            let counts = text(&out);
            assert!(counts.starts_with("good ") && counts.contains(" bad 0 "), "{identity}: {out:?}");
        });
    }
}

/// The dynamic loader this process (and every program on the machine) runs
/// with, as a path.
fn loader() -> PathBuf {
    let maps = fs::read_to_string("/proc/self/maps").unwrap();
    let line = maps.lines().find(|l| l.contains("/ld-linux")).expect("a dynamically linked test binary");
    PathBuf::from(&line[line.find('/').unwrap()..])
}

#[test]
fn a_program_that_maps_a_denied_file_at_exec_is_killed_at_its_exec_stop() {
    for identity in Identity::all() {
        let work = TempDir::new_shared();
        let handle = Handle::default();
        let sandbox = sandbox(identity, &[work.path()], &handle);
        let w = work.path().display();
        // The check before the exec sees /bin/true, which is not denied;
        // the kernel then maps the denied loader, which the check at the
        // exec stop finds. The shell itself mapped it before.
        let script = format!("/bin/true; echo before=$?; : > {w}/ran; while [ ! -e {w}/go ]; do sleep 0.01; done; /bin/true; echo after=$?");
        std::thread::scope(|scope| {
            let run = scope.spawn(|| sh(&sandbox, &script));
            wait_for(&work.path().join("ran"));
            handle.get().deny_path(loader()).unwrap();
            fs::write(work.path().join("go"), "").unwrap();
            let out = run.join().unwrap();
            assert_eq!(text(&out), "before=0\nafter=137\n", "{identity}: {out:?}");
        });
    }
}

/// A sandbox writing in `work` whose `policy_fn` (watching `categories`)
/// denies `denied` at its first event, before the child goes on: every
/// path call after it is the guard's.
fn denying_at_the_first_event(identity: Identity, work: &TempDir, denied: &TempDir, categories: Category) -> Sandbox {
    let policy = common::policy().fs_write([work.path()]).fs_write(["/dev/null"]);
    let (deny, done) = (denied.path().to_path_buf(), std::sync::Once::new());
    sandbox_as(identity, policy).policy_fn(categories | Category::PATHS, move |_: &Event, control: &Control| {
        done.call_once(|| control.deny_path(&deny).unwrap());
        Decision::Allow
    })
}

/// FIFO opens that wait for a writer are waited for on host threads (two
/// each, with three fds): past 64 at once they fail with `EAGAIN` instead.
#[test]
fn fifo_opens_waiting_past_the_bound_fail_instead_of_taking_host_threads() {
    for identity in Identity::all() {
        let (work, denied) = (TempDir::new_shared(), TempDir::new_shared());
        let sandbox = denying_at_the_first_event(identity, &work, &denied, Category::FILE);
        let fifo = work.path().join("fifo");
        let program = common::program("waits");
        let out = sandbox.run(&[program.as_os_str(), "fifo".as_ref(), "100".as_ref(), fifo.as_os_str()]).unwrap();
        let refused = common::printed_count(&out, "refused");
        assert!(refused >= 100 - 64, "{identity}: {refused} of 100 waiting opens refused");
    }
}

/// An exec whose other threads wait in calls the supervisor holds (FIFO
/// opens under path control) cannot stop them: they are waited for
/// together, a second in all, not a second each (20 threads held the exec
/// 20 s).
#[test]
fn an_exec_waits_for_threads_that_cannot_stop_together() {
    for identity in Identity::all() {
        let (work, denied) = (TempDir::new_shared(), TempDir::new_shared());
        let sandbox = denying_at_the_first_event(identity, &work, &denied, Category::FILE | Category::EXEC);
        let fifo = work.path().join("fifo");
        let argv = [
            common::program("waits").into_os_string(),
            "fifoexec".into(),
            "20".into(),
            fifo.into(),
            "/usr/bin/echo".into(),
        ];
        let started = Instant::now();
        let out = sandbox.run(&argv).unwrap();
        assert_eq!(text(&out), "done\n", "{identity}: {out:?}");
        assert!(started.elapsed() < Duration::from_secs(10), "{identity}: the exec took {:?}", started.elapsed());
    }
}

/// The run's first process held in a ptrace stop (its exec checked at the
/// exec stop, here because the callback took path control while deciding
/// that very exec) is not its exit: the host read the stop as one and
/// killed the sandbox.
#[test]
fn the_first_program_runs_when_its_exec_is_held_at_the_exec_stop() {
    for identity in Identity::all() {
        let (work, denied) = (TempDir::new_shared(), TempDir::new_shared());
        let sandbox = denying_at_the_first_event(identity, &work, &denied, Category::EXEC);
        let out = sandbox.run(&["/usr/bin/echo", "hi"]).unwrap();
        assert_eq!(out.status, ExitStatus::Exited(0), "{identity}: {out:?}");
        assert_eq!(text(&out), "hi\n", "{identity}");
    }
}
