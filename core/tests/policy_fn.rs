//! policy_fn: events, decisions, race-free fields and run-time tightening,
//! through real sandboxed programs (see docs/policy-fn.md).

mod common;

use std::ffi::{OsStr, OsString};
use std::io::Read;
use std::net::{Ipv4Addr, TcpListener};
use std::os::unix::ffi::OsStrExt;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{program, sandbox_as, Identity, TempDir};
use sandlock_core::{
    Category, Control, Decision, Destination, Detail, Event, ExitStatus, NetOp, PolicyFnOptions, Sandbox,
};

const ECHO: &str = "/usr/bin/echo";

/// The test policy, with `/dev/null` for the shell scripts.
fn policy() -> sandlock_core::PolicyBuilder {
    common::policy().fs_read(["/dev/zero"]).fs_write(["/dev/null"])
}

fn sh(script: &str) -> Vec<String> {
    vec!["/bin/sh".into(), "-c".into(), script.into()]
}

fn argv0_ends_with(event: &Event, name: &[u8]) -> bool {
    matches!(&event.detail, Detail::Exec { argv, .. } if argv.first().is_some_and(|a| a.as_bytes().ends_with(name)))
}

#[test]
fn an_exec_is_denied_by_its_argv() {
    for identity in Identity::all() {
        let sandbox = sandbox_as(identity, policy()).policy_fn(Category::EXEC, |event: &Event, _: &Control| {
            if argv0_ends_with(event, b"curl") {
                Decision::Deny(libc::EACCES)
            } else {
                Decision::Allow
            }
        });
        let out =
            sandbox.run(&sh("curl --version >/dev/null 2>&1; echo curl=$?; ls /usr >/dev/null; echo ls=$?")).unwrap();
        assert_eq!(String::from_utf8_lossy(&out.stdout), "curl=126\nls=0\n", "{identity}");
        assert_eq!(out.status, ExitStatus::Exited(0));
    }
}

#[test]
fn events_carry_what_the_kernel_uses() {
    let events = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&events);
    let sandbox = sandbox_as(Identity::Root, policy()).policy_fn(
        Category::PROCESS | Category::EXEC | Category::FILE,
        move |event: &Event, _: &Control| {
            seen.lock().unwrap().push(event.clone());
            Decision::Allow
        },
    );
    let out = sandbox.run(&sh("/usr/bin/true one two; cat /etc/hostname >/dev/null")).unwrap();
    assert!(out.status.success());
    let events = events.lock().unwrap();
    let exec = events.iter().find(|e| argv0_ends_with(e, b"true")).expect("an exec event for true");
    assert_eq!(exec.syscall.name(), "execve");
    assert_eq!(exec.category, Category::EXEC);
    let Detail::Exec { argv, truncated } = &exec.detail else { unreachable!() };
    assert_eq!(argv, &[OsString::from("/usr/bin/true"), "one".into(), "two".into()]);
    assert!(!truncated && exec.race_free && !exec.denied_by_policy);
    assert!(exec.pid > 0 && exec.ppid > 0);
    let fork = events.iter().find(|e| e.category == Category::PROCESS).expect("the shell forks");
    assert!(matches!(fork.detail, Detail::Process { thread: false, .. }));
    // The fork's child is the process that made the exec.
    assert_eq!(exec.ppid, fork.pid);
    assert!(events.iter().any(|e| e.category == Category::FILE && e.race_free), "cat opens a file");
}

#[test]
fn flagged_events_are_in_the_result() {
    let sandbox = sandbox_as(Identity::Root, policy()).policy_fn(Category::EXEC, |event: &Event, _: &Control| {
        if argv0_ends_with(event, b"ls") {
            Decision::Flag
        } else {
            Decision::Allow
        }
    });
    let out = sandbox.run(&sh("ls / >/dev/null; ls /usr >/dev/null; true")).unwrap();
    assert!(out.status.success());
    assert_eq!(out.flagged.len(), 2, "{:?}", out.flagged);
    assert!(out.flagged.iter().all(|e| argv0_ends_with(e, b"ls")));
    assert_eq!(out.flagged_dropped, 0);
}

#[test]
fn a_statically_denied_call_says_so_and_stays_denied() {
    let events = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&events);
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    let granted = listener.local_addr().unwrap().port();
    let other = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    let refused = other.local_addr().unwrap().port();
    let sandbox = sandbox_as(Identity::Root, policy().net_connect_tcp([granted])).policy_fn(
        Category::NETWORK,
        move |event: &Event, _: &Control| {
            seen.lock().unwrap().push(event.clone());
            // Allowing cannot undo a static rule.
            Decision::Allow
        },
    );
    let race = program("connect_race");
    let net = program("net");
    let out = sandbox
        .run(&[
            "/bin/sh".into(),
            "-c".into(),
            format!("{0} once {granted}; {0} once {refused}; {1} bind 8080", race.display(), net.display()),
        ])
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout), "ok\nEACCES\nEACCES\n");
    let events = events.lock().unwrap();
    let connects: Vec<&Event> =
        events.iter().filter(|e| matches!(e.detail, Detail::Network { op: NetOp::Connect, .. })).collect();
    assert_eq!(connects.len(), 2);
    assert!(!connects[0].denied_by_policy && connects[0].race_free);
    assert!(connects[1].denied_by_policy);
    assert!(matches!(connects[1].detail, Detail::Network { port: Some(p), addr: Some(_), .. } if p == refused));
    // No rule grants binds: the filter's deny list, shown to the callback.
    let bind =
        events.iter().find(|e| matches!(e.detail, Detail::Network { op: NetOp::Bind, .. })).expect("a bind event");
    assert!(bind.denied_by_policy);
    assert!(matches!(bind.detail, Detail::Network { port: Some(8080), .. }));
}

#[test]
fn connects_are_audited_with_host_and_port() {
    for identity in Identity::all() {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
        let port = listener.local_addr().unwrap().port();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = Arc::clone(&seen);
        let sandbox = sandbox_as(identity, policy().net_connect_tcp([port])).policy_fn(
            Category::NETWORK,
            move |event: &Event, _: &Control| {
                if let Detail::Network { op: NetOp::Connect, addr, port, family, .. } = event.detail {
                    log.lock().unwrap().push((family, addr, port, event.race_free));
                }
                Decision::Allow
            },
        );
        let out =
            sandbox.run(&[program("connect_race").into_os_string(), "once".into(), port.to_string().into()]).unwrap();
        assert_eq!(String::from_utf8_lossy(&out.stdout), "ok\n", "{identity}");
        assert_eq!(*seen.lock().unwrap(), vec![(libc::AF_INET, Some(Ipv4Addr::LOCALHOST.into()), Some(port), true)]);
    }
}

/// Accepts connections on `listener` until dropped; counts them.
struct Counter {
    accepted: Arc<AtomicUsize>,
    port: u16,
}

impl Counter {
    fn start() -> Counter {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
        let port = listener.local_addr().unwrap().port();
        let accepted = Arc::new(AtomicUsize::new(0));
        let count = Arc::clone(&accepted);
        std::thread::spawn(move || {
            for mut stream in listener.incoming().flatten() {
                count.fetch_add(1, Ordering::SeqCst);
                let _ = stream.read(&mut [0u8; 1]);
            }
        });
        Counter { accepted, port }
    }
}

#[test]
fn a_connect_racer_never_reaches_the_denied_address() {
    const RUNS: usize = 300;
    for identity in Identity::all() {
        let (good, bad) = (Counter::start(), Counter::start());
        let bad_port = bad.port;
        // Landlock grants both ports: only the callback tells them apart.
        let sandbox = sandbox_as(identity, policy().net_connect_tcp([good.port, bad.port])).policy_fn(
            Category::NETWORK,
            move |event: &Event, _: &Control| match event.detail {
                Detail::Network { op: NetOp::Connect, port: Some(p), .. } if p == bad_port => {
                    Decision::Deny(libc::ECONNREFUSED)
                }
                _ => Decision::Allow,
            },
        );
        let race = program("connect_race");
        let argv: Vec<OsString> = vec![
            race.into_os_string(),
            "race".into(),
            RUNS.to_string().into(),
            good.port.to_string().into(),
            bad.port.to_string().into(),
        ];
        let out = sandbox.run(&argv).unwrap();
        assert!(out.status.success(), "{identity}: {}", String::from_utf8_lossy(&out.stderr));
        let connected: usize = String::from_utf8_lossy(&out.stdout).trim().parse().unwrap();
        std::thread::sleep(Duration::from_millis(100));
        assert_eq!(bad.accepted.load(Ordering::SeqCst), 0, "{identity}: a connect reached the denied port");
        assert!(connected > 0, "{identity}: no connect went through");
        assert_eq!(good.accepted.load(Ordering::SeqCst), connected, "{identity}");
    }
}

/// What each echo exec's callback saw: argv[1] and whether it was race-free.
fn run_argv_racer(identity: Identity, mode: &str, runs: usize) -> (Vec<(String, bool)>, Vec<String>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&seen);
    let sandbox = sandbox_as(identity, policy()).policy_fn(Category::EXEC, move |event: &Event, _: &Control| {
        if let Detail::Exec { argv, .. } = &event.detail {
            if argv.first().is_some_and(|a| a == ECHO) {
                let arg = argv.get(1).map(|a| a.to_string_lossy().into_owned()).unwrap_or_default();
                log.lock().unwrap().push((arg, event.race_free));
            }
        }
        Decision::Allow
    });
    let argv: Vec<OsString> =
        vec![program("argv_race").into_os_string(), mode.into(), runs.to_string().into(), ECHO.into()];
    let out = sandbox.run(&argv).unwrap();
    assert!(out.status.success(), "{identity} {mode}: {}", String::from_utf8_lossy(&out.stderr));
    let ran: Vec<String> = String::from_utf8_lossy(&out.stdout).lines().map(str::to_owned).collect();
    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen.len(), runs, "{identity} {mode}: one event per exec");
    assert_eq!(ran.len(), runs, "{identity} {mode}: one line per exec");
    (seen, ran)
}

fn assert_ran_what_was_seen(identity: Identity, mode: &str) {
    let (seen, ran) = run_argv_racer(identity, mode, 60);
    for (i, ((arg, race_free), printed)) in seen.iter().zip(&ran).enumerate() {
        assert!(race_free, "{identity} {mode}: exec {i} is not race-free");
        assert_eq!(arg, printed, "{identity} {mode}: exec {i} ran another argv than the callback saw");
    }
}

#[test]
fn argv_rewritten_by_a_sibling_thread_is_what_runs() {
    for identity in Identity::all() {
        assert_ran_what_was_seen(identity, "thread");
    }
}

#[test]
fn argv_rewritten_by_a_vfork_parents_thread_is_what_runs() {
    for identity in Identity::all() {
        assert_ran_what_was_seen(identity, "vfork");
    }
}

#[test]
fn argv_rewritten_by_a_process_sharing_memory_without_vfork_is_what_runs() {
    // The exec-ing vfork child's own process and its parent have one
    // thread each; the writer is a third process in the same memory, so
    // the vfork shortcut must not apply.
    for identity in Identity::all() {
        assert_ran_what_was_seen(identity, "vmclone");
    }
}

/// The writer is woken, or the kernel writes for a task that is killed,
/// at a moment nothing the freeze holds decides: the exec is compared with
/// what the callback saw at its exec stop, and killed there if it copied
/// anything else. So every exec either ran what was seen or was killed.
fn assert_ran_what_was_seen_or_died(identity: Identity, mode: &str, runs: usize) {
    let (seen, ran) = run_argv_racer(identity, mode, runs);
    for (i, ((arg, race_free), printed)) in seen.iter().zip(&ran).enumerate() {
        assert!(race_free, "{identity} {mode}: exec {i} is not race-free");
        assert!(
            printed == "killed" || printed == arg,
            "{identity} {mode}: exec {i} ran {printed:?}, the callback saw {arg:?}"
        );
    }
}

#[test]
fn argv_rewritten_by_a_thread_woken_from_an_unrelated_vfork_never_runs() {
    for identity in Identity::all() {
        assert_ran_what_was_seen_or_died(identity, "vforkwait", 200);
    }
}

/// The exec-ing process has one thread and a parent that shares nothing
/// with it, yet another task writes its memory: a `vfork` grandparent woken
/// by the death of the middle of the chain (the exec-ing orphan was
/// reparented), or a thread or `CLONE_VM` process left behind by a `vfork`
/// child that exited. Every run runs the argv the callback saw, or is
/// killed at its exec stop.
#[test]
fn argv_of_a_process_that_only_looks_alone_is_what_runs_or_nothing() {
    for identity in Identity::all() {
        for mode in ["orphan", "leftthread", "leftprocess"] {
            assert_ran_what_was_seen_or_died(identity, mode, 60);
        }
    }
}

/// While the callback decides, a process that shares the memory and is
/// held by the freeze is killed by one that does not: its exit makes the
/// kernel zero 4 bytes of the argv the callback saw (`clear_child_tid`),
/// every time. The exec copies the changed argv, so it must die at its exec
/// stop.
#[test]
fn argv_written_by_the_kernel_for_a_killed_sharer_never_runs() {
    for identity in Identity::all() {
        let dir = TempDir::new_public();
        let go = PathBuf::from(dir.file("go"));
        let seen = Arc::new(Mutex::new(Vec::new()));
        let (log, signal) = (Arc::clone(&seen), go.clone());
        let policy = policy().fs_read([dir.path()]);
        let sandbox = sandbox_as(identity, policy).policy_fn(Category::EXEC, move |event: &Event, _: &Control| {
            if let Detail::Exec { argv, .. } = &event.detail {
                if argv.first().is_some_and(|a| a == ECHO) {
                    log.lock().unwrap().push((argv.get(1).cloned(), event.race_free));
                    // Let the killer go, and give the kernel's write time to land.
                    std::fs::write(&signal, "").unwrap();
                    std::thread::sleep(Duration::from_millis(50));
                    std::fs::remove_file(&signal).unwrap();
                }
            }
            Decision::Allow
        });
        let runs = "10";
        let argv = [program("argv_race").into_os_string(), "cleartid".into(), runs.into(), ECHO.into(), go.into()];
        let out = sandbox.run(&argv).unwrap();
        assert!(out.status.success(), "{identity}: {}", String::from_utf8_lossy(&out.stderr));
        let seen = seen.lock().unwrap().clone();
        assert_eq!(seen.len(), 10, "{identity}");
        assert!(seen.iter().all(|(arg, race_free)| *race_free && arg.as_deref() == Some(OsStr::new("AAAAAAAA"))));
        assert_eq!(String::from_utf8_lossy(&out.stdout), "killed\n".repeat(10), "{identity}");
    }
}

/// argv in a private mapping of a file: the page shows the file's changes
/// until copied on write, and the file may be written by a path no rule
/// names (a hard link, a symlinked rule, the host). The callback rewrites
/// it while it decides, every time: the exec must die at its exec stop.
#[test]
fn argv_in_a_mapped_file_changed_after_the_check_never_runs() {
    for identity in Identity::all() {
        let dir = TempDir::new_public();
        let file = PathBuf::from(dir.file_with_mode("argv", "AAAAAAAA\0", 0o644));
        let seen = Arc::new(Mutex::new(Vec::new()));
        let (log, target) = (Arc::clone(&seen), file.clone());
        let sandbox = sandbox_as(identity, policy().fs_read([dir.path()])).policy_fn(
            Category::EXEC,
            move |event: &Event, _: &Control| {
                if let Detail::Exec { argv, .. } = &event.detail {
                    if argv.first().is_some_and(|a| a == ECHO) {
                        let arg = argv.get(1).cloned().unwrap_or_default();
                        let other = if arg == "AAAAAAAA" { "BBBBBBBB\0" } else { "AAAAAAAA\0" };
                        std::fs::write(&target, other).unwrap();
                        log.lock().unwrap().push(event.race_free);
                    }
                }
                Decision::Allow
            },
        );
        let argv = [program("argv_race").into_os_string(), "mapped".into(), "10".into(), ECHO.into(), file.into()];
        let out = sandbox.run(&argv).unwrap();
        assert!(out.status.success(), "{identity}: {}", String::from_utf8_lossy(&out.stderr));
        assert_eq!(*seen.lock().unwrap(), vec![true; 10], "{identity}");
        assert_eq!(String::from_utf8_lossy(&out.stdout), "killed\n".repeat(10), "{identity}");
    }
}

/// argv in private memory that an asynchronous direct read (`io_submit`)
/// is still filling when the process execs: the device writes it whenever
/// it is done, through no task a freeze could stop (the exec stop caught
/// it, in this test's earlier form). No AIO context can be made in a
/// sandbox now (`io_setup` is denied: one call took the machine's whole
/// pool), so no such read is ever in flight.
#[test]
fn argv_cannot_be_written_by_asynchronous_io() {
    for identity in Identity::all() {
        let sandbox =
            sandbox_as(identity, policy()).policy_fn(Category::EXEC, |_: &Event, _: &Control| Decision::Allow);
        assert_eq!(common::probe(&sandbox, "host_shared", &["io_setup"]), "EPERM\n", "{identity}");
    }
}

/// A flagged exec event is kept for the whole run: its argv must hold its
/// text, not the page each string was read with (a child flagging execs
/// of 4,096 one-byte arguments in a loop grew the host by 16 MiB an event).
#[test]
fn a_flagged_events_argv_holds_no_more_than_its_text() {
    for identity in Identity::all() {
        let sandbox = sandbox_as(identity, policy()).policy_fn(Category::EXEC, |_: &Event, _: &Control| Decision::Flag);
        let argv = [program("argv_race").into_os_string(), "paged".into(), "5".into(), ECHO.into()];
        let out = sandbox.run(&argv).unwrap();
        assert!(out.status.success(), "{identity}: {}", String::from_utf8_lossy(&out.stderr));
        let execs: Vec<&Vec<OsString>> = out
            .flagged
            .iter()
            .filter_map(|event| match &event.detail {
                Detail::Exec { argv, .. } if argv.first().is_some_and(|a| a == ECHO) => Some(argv),
                _ => None,
            })
            .collect();
        assert_eq!(execs.len(), 5, "{identity}");
        for argv in execs {
            assert_eq!(argv.len(), 513, "{identity}");
            let held: usize = argv[1..].iter().map(OsString::capacity).sum();
            assert!(held <= 512 * 8, "{identity}: 512 one-byte arguments hold {held} bytes");
        }
    }
}

/// Connects that wait (to a listener whose queue is full) are finished on
/// host threads, each holding a copy of the socket: past 64 at once they
/// fail with `EAGAIN` before they start, instead of taking the host to its
/// fd limit (1,500 did).
#[test]
fn connects_waiting_past_the_bound_fail_instead_of_taking_host_threads() {
    use std::os::fd::AsRawFd;
    for identity in Identity::all() {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
        // SAFETY: listen again on the listener's own socket, to make its
        // queue hold one connection only.
        assert_eq!(unsafe { libc::listen(listener.as_raw_fd(), 0) }, 0);
        let port = listener.local_addr().unwrap().port();
        let _filling = std::net::TcpStream::connect((Ipv4Addr::LOCALHOST, port)).unwrap();
        let sandbox = sandbox_as(identity, policy().net_connect_tcp([port]))
            .policy_fn(Category::NETWORK, |_: &Event, _: &Control| Decision::Allow);
        let argv = [program("waits").into_os_string(), "connect".into(), "100".into(), port.to_string().into()];
        let out = sandbox.run(&argv).unwrap();
        let refused = common::printed_count(&out, "refused");
        assert!(refused >= 100 - 64, "{identity}: {refused} of 100 waiting connects refused");
    }
}

/// The run's first process, stopped as a task that could write the argv
/// of its `CLONE_VM` child's exec, is killed meanwhile: its exit status is
/// the run's to collect, not the tracer's (which reaped it, and the run
/// failed with ECHILD).
#[test]
fn the_first_process_killed_while_stopped_for_an_exec_is_the_runs_to_reap() {
    for identity in Identity::all() {
        let sandbox = sandbox_as(identity, policy()).policy_fn(Category::EXEC, |event: &Event, _: &Control| {
            if argv0_ends_with(event, b"echo") {
                // SAFETY: kill takes integers; the parent is the run's first process.
                unsafe { libc::kill(event.ppid as i32, libc::SIGKILL) };
                std::thread::sleep(Duration::from_millis(100));
            }
            Decision::Allow
        });
        // Waited for only once the exec is over, so that the tracer sees
        // the first process dead before the run looks.
        let mut child = sandbox.spawn(&[program("vm_child_exec").into_os_string(), ECHO.into()]).unwrap();
        std::thread::sleep(Duration::from_secs(1));
        assert_eq!(child.wait().unwrap(), ExitStatus::Signaled(libc::SIGKILL), "{identity}");
    }
}

/// An exec from a thread other than the first: the task takes the
/// process's id, and the kernel answers no ptrace call on it until its
/// tracer has waited for the exec event — the run hung, the check never
/// made, the tracer polling a task it could not let go.
#[test]
fn an_exec_from_a_second_thread_runs_checked() {
    for identity in Identity::all() {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = Arc::clone(&seen);
        let sandbox = sandbox_as(identity, policy().timeout(Duration::from_secs(30))).policy_fn(
            Category::EXEC,
            move |event: &Event, _: &Control| {
                if argv0_ends_with(event, b"echo") {
                    log.lock().unwrap().push(event.race_free);
                }
                Decision::Allow
            },
        );
        let argv = [program("argv_race").into_os_string(), "fromthread".into(), "3".into(), ECHO.into()];
        let out = sandbox.run(&argv).unwrap();
        assert!(!out.timed_out, "{identity}: the run hung");
        assert_eq!(String::from_utf8_lossy(&out.stdout), "AAAAAAAA\n".repeat(3), "{identity}: {out:?}");
        assert_eq!(*seen.lock().unwrap(), vec![true; 3], "{identity}");
    }
}

/// Programs named through the child's own `/proc` entries, however
/// spelled: the supervisor resolving them as itself predicted its own
/// program, and the check killed the exec.
#[test]
fn programs_named_through_proc_self_run_under_the_argv_check() {
    for identity in Identity::all() {
        let dir = TempDir::new_shared();
        let sandbox = sandbox_as(identity, policy().fs_write([dir.path()]))
            .policy_fn(Category::EXEC, |_: &Event, _: &Control| Decision::Allow);
        let link = format!("{}/me", dir.path().display());
        let script = format!(
            "ln -s /proc/self/exe {link}; {link} -c 'echo linked'; //proc/./self/exe -c 'echo spelled'; \
             cd /proc && self/exe -c 'echo relative'"
        );
        let out = sandbox.run(&sh(&script)).unwrap();
        assert_eq!(String::from_utf8_lossy(&out.stdout), "linked\nspelled\nrelative\n", "{identity}: {out:?}");
    }
}

/// Where the `spliced` racer keeps its argv (argv_race.c: SPLICE_AT).
const SPLICE_AT: u64 = 0x05b5_b000_0000;

/// The check at the exec stop compares the copy exactly: an argv array
/// rewritten after the callback saw it into the shape of a script's copy
/// (another `argv[0]` and one more argument in front) is still another
/// argv. The callback makes the rewrite itself, every time, through the
/// child's memory file, standing in for any writer no stop holds.
#[test]
fn argv_rewritten_into_a_scripts_shape_never_runs() {
    use std::os::unix::fs::FileExt;
    for identity in Identity::all() {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = Arc::clone(&seen);
        let sandbox = sandbox_as(identity, policy()).policy_fn(Category::EXEC, move |event: &Event, _: &Control| {
            if let Detail::Exec { argv, .. } = &event.detail {
                if argv.first().is_some_and(|a| a == ECHO) {
                    // array[1..3] = {"EVIL", "AAAAAAAA"}: array[3] is NULL already.
                    let spliced = [(SPLICE_AT + 3072).to_ne_bytes(), (SPLICE_AT + 2048).to_ne_bytes()].concat();
                    let memory = std::fs::OpenOptions::new().write(true).open(format!("/proc/{}/mem", event.pid));
                    let written = memory.and_then(|m| m.write_all_at(&spliced, SPLICE_AT + 8)).is_ok();
                    log.lock().unwrap().push((argv.clone(), event.race_free, written));
                }
            }
            Decision::Allow
        });
        let argv = [program("argv_race").into_os_string(), "spliced".into(), "10".into(), ECHO.into()];
        let out = sandbox.run(&argv).unwrap();
        assert!(out.status.success(), "{identity}: {}", String::from_utf8_lossy(&out.stderr));
        let expected: Vec<OsString> = vec![ECHO.into(), "AAAAAAAA".into()];
        assert_eq!(*seen.lock().unwrap(), vec![(expected, true, true); 10], "{identity}");
        assert_eq!(String::from_utf8_lossy(&out.stdout), "killed\n".repeat(10), "{identity}");
    }
}

/// A script swapped for a binary after the prediction read it, with the
/// argv rewritten into the copy predicted for the script: byte for byte
/// the same cmdline, another program. The callback makes both changes
/// while it decides, standing in for a writer no stop holds (a `vfork`
/// ancestor woken by a killed middle of its chain): the exec must die.
#[test]
fn a_script_swapped_for_a_binary_with_the_predicted_argv_never_runs() {
    use std::os::unix::fs::FileExt;
    for identity in Identity::all() {
        let dir = TempDir::new_public();
        let script = dir.file_with_mode("s", "#!/usr/bin/echo SCRIPT\n", 0o755);
        let binary = dir.file("binary");
        std::fs::copy(ECHO, &binary).unwrap();
        let (swap_in, swapped) = (binary.clone(), script.clone());
        let sandbox = sandbox_as(identity, policy().fs_read([dir.path()])).policy_fn(
            Category::EXEC,
            move |event: &Event, _: &Control| {
                if argv0_ends_with(event, b"/s") {
                    std::fs::rename(&swap_in, &swapped).unwrap();
                    // array[0..4] = {"/usr/bin/echo", "SCRIPT", the script, "AAAAAAAA"}.
                    let memory =
                        std::fs::OpenOptions::new().write(true).open(format!("/proc/{}/mem", event.pid)).unwrap();
                    memory.write_all_at(b"/usr/bin/echo\0", SPLICE_AT + 3200).unwrap();
                    memory.write_all_at(b"SCRIPT\0", SPLICE_AT + 3328).unwrap();
                    let at = |offset: u64| (SPLICE_AT + offset).to_ne_bytes();
                    let array = [at(3200), at(3328), at(1024), at(2048)].concat();
                    memory.write_all_at(&array, SPLICE_AT).unwrap();
                }
                Decision::Allow
            },
        );
        let argv = [program("argv_race").into_os_string(), "spliced".into(), "1".into(), script.clone().into()];
        let out = sandbox.run(&argv).unwrap();
        assert!(out.status.success(), "{identity}: {}", String::from_utf8_lossy(&out.stderr));
        assert_eq!(String::from_utf8_lossy(&out.stdout), "killed\n", "{identity}");
    }
}

/// The argv check at the exec stop knows a `#!` script's: the kernel puts
/// the interpreter and the script's path in place of `argv[0]`. A shell's
/// `vfork` child, checked, must still run a script.
#[test]
fn a_script_run_by_a_shell_runs_under_the_argv_check() {
    for identity in Identity::all() {
        let dir = TempDir::new_public();
        let script = dir.file_with_mode("greet.sh", "#!/bin/sh\necho greeted \"$@\"\n", 0o755);
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = Arc::clone(&seen);
        let sandbox = sandbox_as(identity, policy().fs_read([dir.path()])).policy_fn(
            Category::EXEC,
            move |event: &Event, _: &Control| {
                if let Detail::Exec { argv, .. } = &event.detail {
                    log.lock().unwrap().push(argv.clone());
                }
                Decision::Allow
            },
        );
        // With an argument on its line, and a script as the interpreter.
        let strict = dir.file_with_mode("strict.sh", "#!/bin/sh -eu\necho strict \"$@\"\n", 0o755);
        let nested = dir.file_with_mode("nested", &format!("#!{script}\n"), 0o755);
        // And by a name for the shell's own fd (resolved as the child's).
        let script_line = format!("{script} a b; echo rc=$?; {strict} c; {nested} d; exec 3<{strict}; /dev/fd/3 e");
        let out = sandbox.run(&sh(&script_line)).unwrap();
        let printed = format!("greeted a b\nrc=0\nstrict c\ngreeted {nested} d\nstrict e\n");
        assert_eq!(String::from_utf8_lossy(&out.stdout), printed, "{identity}: {out:?}");
        let expected: Vec<OsString> = [script.as_str(), "a", "b"].iter().map(OsString::from).collect();
        assert!(seen.lock().unwrap().contains(&expected), "{identity}");
    }
}

#[test]
fn argv_in_memory_another_process_writes_is_not_race_free() {
    for identity in Identity::all() {
        let (seen, _) = run_argv_racer(identity, "shared", 20);
        assert!(seen.iter().all(|(_, race_free)| !race_free), "{identity}: a shared mapping was called race-free");
    }
}

#[test]
fn a_panicking_callback_gets_the_failure_outcome() {
    let sandbox = sandbox_as(Identity::Root, policy()).policy_fn(Category::EXEC, |event: &Event, _: &Control| {
        if argv0_ends_with(event, b"ls") {
            panic!("the callback fails");
        }
        Decision::Allow
    });
    let out = sandbox.run(&sh("ls / >/dev/null 2>&1; echo ls=$?; true; echo true=$?")).unwrap();
    // Deny(EPERM) by default: the shell cannot run ls.
    assert_eq!(String::from_utf8_lossy(&out.stdout), "ls=126\ntrue=0\n");
}

#[test]
fn a_slow_callback_gets_the_failure_outcome_and_the_sandbox_goes_on() {
    let mut options = PolicyFnOptions::new(Category::EXEC);
    options.time_limit = Duration::from_millis(200);
    options.on_failure = Decision::Deny(libc::ENOEXEC);
    let sandbox = sandbox_as(Identity::Root, policy()).policy_fn_with(options, |event: &Event, _: &Control| {
        if argv0_ends_with(event, b"ls") {
            std::thread::sleep(Duration::from_secs(5));
        }
        Decision::Allow
    });
    let started = Instant::now();
    let out = sandbox.run(&sh("ls / >/dev/null 2>&1; echo ls=$?; /usr/bin/true; echo true=$?")).unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout), "ls=126\ntrue=0\n");
    assert!(started.elapsed() < Duration::from_secs(4), "the run waited for the stuck callback");
}

#[test]
fn a_deny_with_an_impossible_errno_is_a_failure() {
    let sandbox = sandbox_as(Identity::Root, policy()).policy_fn(Category::EXEC, |event: &Event, _: &Control| {
        if argv0_ends_with(event, b"ls") {
            Decision::Deny(0)
        } else {
            Decision::Allow
        }
    });
    let out = sandbox.run(&sh("ls / >/dev/null 2>&1; echo ls=$?")).unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout), "ls=126\n");
}

#[test]
fn limits_lowered_at_run_time_hold_and_never_rise() {
    let sandbox = sandbox_as(Identity::Root, policy().max_processes(64)).policy_fn(
        Category::EXEC,
        |event: &Event, control: &Control| {
            if argv0_ends_with(event, b"true") {
                control.lower_max_processes(1).unwrap();
                // A later, higher value changes nothing.
                control.lower_max_processes(500).unwrap();
            }
            Decision::Allow
        },
    );
    let out = sandbox.run(&sh("/usr/bin/true; (exit 0); /usr/bin/true 2>/dev/null; echo after=$?")).unwrap();
    // After the first exec only the shell itself fits: its next fork fails.
    assert!(!String::from_utf8_lossy(&out.stdout).contains("after=0"), "{:?}", String::from_utf8_lossy(&out.stdout));
}

#[test]
fn memory_lowered_at_run_time_binds_the_running_processes() {
    // For uid 65534 too: without CAP_SYS_RESOURCE (this machine, most
    // containers) the limit of another uid's process is changed only by a
    // caller of that real uid.
    for identity in Identity::all() {
        let sandbox = sandbox_as(identity, policy()).policy_fn(Category::EXEC, |event: &Event, control: &Control| {
            if argv0_ends_with(event, b"true") {
                control.lower_max_memory(16 << 20).unwrap();
            }
            Decision::Allow
        });
        // awk holds a 30 MB line in memory: fine before, refused after (a
        // longer line takes awk minutes to build).
        let big = "head -c 30000000 /dev/zero | tr '\\0' x | awk '{print length($0)}'";
        let out = sandbox.run(&sh(&format!("{big}; /usr/bin/true; {big}"))).unwrap();
        assert_eq!(String::from_utf8_lossy(&out.stdout), "30000000\n", "{identity}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("out of memory"), "{identity}: {stderr}");
    }
}

#[test]
fn connect_restrictions_only_narrow() {
    let (a, b) = (Counter::start(), Counter::start());
    let (a_port, b_port) = (a.port, b.port);
    let sandbox = sandbox_as(Identity::Root, policy().net_connect_tcp([a.port, b.port])).policy_fn(
        Category::EXEC,
        move |event: &Event, control: &Control| {
            if argv0_ends_with(event, b"true") {
                let only_a = Destination { port: Some(a_port), ..Destination::host(Ipv4Addr::LOCALHOST.into()) };
                control.restrict_connect(&[only_a]).unwrap();
                // Allowing everything again changes nothing.
                let anything = Destination { net: Ipv4Addr::UNSPECIFIED.into(), prefix: 0, port: None };
                control.restrict_connect(&[anything]).unwrap();
            }
            Decision::Allow
        },
    );
    let race = program("connect_race");
    let script = format!("{0} once {b_port}; /usr/bin/true; {0} once {a_port}; {0} once {b_port}", race.display());
    let out = sandbox.run(&sh(&script)).unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout), "ok\nok\nEACCES\n");
}

#[test]
fn a_run_without_policy_fn_has_no_events_and_a_sandbox_is_reusable() {
    let count = Arc::new(AtomicUsize::new(0));
    let seen = Arc::clone(&count);
    let sandbox: Sandbox =
        sandbox_as(Identity::Root, policy()).policy_fn(Category::EXEC, move |_: &Event, _: &Control| {
            seen.fetch_add(1, Ordering::SeqCst);
            Decision::Allow
        });
    for _ in 0..3 {
        assert!(sandbox.run(&["/usr/bin/true"]).unwrap().status.success());
    }
    // The program's own exec is under the filter: one event per run.
    assert_eq!(count.load(Ordering::SeqCst), 3);
}

#[test]
fn a_process_named_with_bytes_that_are_not_utf8_still_counts_against_a_lowered_limit() {
    // A program's file name becomes its task name, which /proc shows as
    // raw bytes: a process must not vanish from the count by its name.
    let dir = std::env::temp_dir().join(format!("sandlock-odd-name-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::set_permissions(&dir, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let odd = dir.join(std::ffi::OsStr::from_bytes(b"\xff\xfe"));
    // A copy made by cp, so no handle of ours keeps it busy for writing.
    assert!(std::process::Command::new("cp").arg("/bin/sleep").arg(&odd).status().unwrap().success());
    for identity in Identity::all() {
        let sandbox = sandbox_as(identity, policy().fs_read([dir.clone()]).max_processes(64)).policy_fn(
            Category::EXEC,
            |event: &Event, control: &Control| {
                if argv0_ends_with(event, b"true") {
                    control.lower_max_processes(4).unwrap();
                }
                Decision::Allow
            },
        );
        let script = "/usr/bin/true; for i in 1 2 3 4 5 6 7 8; do \"$0\" 3 & echo pid=$!; done 2>/dev/null; kill $(jobs -p) 2>/dev/null";
        let mut argv: Vec<OsString> = sh(script).into_iter().map(OsString::from).collect();
        argv.push(odd.clone().into_os_string());
        let out = sandbox.run(&argv).unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        let started: std::collections::HashSet<&str> = stdout.lines().filter(|l| l.starts_with("pid=")).collect();
        // The shell plus at most three sleepers fit in four tasks.
        assert!(
            started.len() <= 3,
            "{identity}: {} sleepers started under a limit of 4 tasks: {stdout}",
            started.len()
        );
        assert!(!started.is_empty(), "{identity}: no sleeper started at all: {stdout}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A run whose timeout kills processes while their execs wait to be
/// checked at the exec stop ends at its timeout. The tracer took a task
/// killed on its way there for one that may still arrive and waited out
/// the 10 s limit for it, while the receiving threads waited for the
/// tracer: the run returned at its timeout plus the whole handler grace,
/// and its threads lived on after it.
#[test]
fn a_run_killed_amid_checked_execs_ends_at_its_timeout() {
    let grace = Duration::from_secs(6);
    let sandbox = sandbox_as(Identity::Root, policy().timeout(Duration::from_secs(1)).handler_grace(grace))
        .policy_fn(Category::EXEC, |_: &Event, _: &Control| Decision::Allow);
    for _ in 0..3 {
        let started = Instant::now();
        let out = sandbox.run(&[program("exec_loop")]).unwrap();
        assert!(out.timed_out);
        let took = started.elapsed();
        assert!(took < Duration::from_secs(1) + grace / 2, "the run took {took:?}");
    }
}

/// A sandbox with `timeout` whose `policy_fn` hands its `Control` to a
/// thread of the host (a memory watchdog), which lowers the memory limit to
/// 1 TiB a second into the next run, then ends with how long the call took.
fn memory_lowered_by_a_watchdog(identity: Identity, timeout: Duration) -> (Sandbox, std::thread::JoinHandle<Duration>) {
    let control: Arc<Mutex<Option<Control>>> = Arc::default();
    let kept = Arc::clone(&control);
    let sandbox = sandbox_as(identity, policy().timeout(timeout)).policy_fn(
        Category::EXEC,
        move |_: &Event, control: &Control| {
            kept.lock().unwrap().get_or_insert_with(|| control.clone());
            Decision::Allow
        },
    );
    let watchdog = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(1000));
        let control = control.lock().unwrap().clone().expect("the callback saw an exec");
        let started = Instant::now();
        control.lower_max_memory(1 << 40).unwrap();
        started.elapsed()
    });
    (sandbox, watchdog)
}

#[test]
fn the_timeout_holds_while_a_thread_of_the_host_lowers_the_memory_of_a_sandbox_that_keeps_forking() {
    for identity in Identity::all() {
        let (sandbox, watchdog) = memory_lowered_by_a_watchdog(identity, Duration::from_secs(2));
        // Many processes make each pass over the group long, and a new one
        // appears all the time: a pass never came out empty, and the run's
        // timeout waited for the group's lock the passes held.
        let started = Instant::now();
        let out = sandbox.run(&[program("fork_churn").into_os_string(), "1000".into(), "100".into()]).unwrap();
        let elapsed = started.elapsed();
        watchdog.join().unwrap();
        assert!(out.timed_out, "{identity}");
        // Four times the timeout: before, the run went on until pid numbers
        // wrapped (10 s here, with 32,768 of them).
        assert!(elapsed < Duration::from_secs(8), "{identity}: the run returned after {elapsed:?}");
    }
}

#[test]
fn memory_lowered_at_run_time_reaches_a_line_of_processes_that_each_fork_the_next_and_exit() {
    for identity in Identity::all() {
        let (sandbox, watchdog) = memory_lowered_by_a_watchdog(identity, Duration::from_secs(20));
        // Each member lives 200 µs: listed by a pass, it is often gone
        // before its turn, and its successor was not listed.
        let out = sandbox.run(&[program("fork_chain").into_os_string(), "3".into(), "200".into()]).unwrap();
        watchdog.join().unwrap();
        assert_eq!(String::from_utf8_lossy(&out.stdout), format!("{}\n", 1u64 << 40), "{identity}");
    }
}

#[test]
fn lowering_the_memory_of_a_sandbox_of_another_uid_opens_no_thread_of_the_host_to_its_signals() {
    // Without CAP_SYS_RESOURCE (this machine) the limit of a uid-65534
    // process is lowered as a caller of its real ids: a thread of the host
    // with its ids switched could be signalled — SIGKILL ended the host —
    // by a sandbox that turned Landlock's signal scope off, on every fork.
    let dir = TempDir::new();
    let tids = dir.file("tids");
    let written = tids.clone();
    let sandbox = sandbox_as(Identity::Nobody, policy().fs_read([dir.path()]).scope_ipc(false)).policy_fn(
        Category::EXEC,
        move |_: &Event, control: &Control| {
            control.lower_max_memory(1 << 40).unwrap();
            // Every thread of the host by now, the receiving ones among them.
            let mut list = format!("{}\n", std::process::id());
            for task in std::fs::read_dir("/proc/self/task").unwrap() {
                list.push_str(&format!("{}\n", task.unwrap().file_name().to_string_lossy()));
            }
            std::fs::write(&written, list).unwrap();
            Decision::Allow
        },
    );
    let out = sandbox.run(&[program("signal_host_threads").into_os_string(), tids.into(), "2".into()]).unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout), "0\n", "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn lowering_the_memory_returns_while_the_sandbox_keeps_short_lived_processes_going() {
    for identity in Identity::all() {
        let (sandbox, watchdog) = memory_lowered_by_a_watchdog(identity, Duration::from_secs(8));
        let out = sandbox.run(&[program("fork_churn").into_os_string(), "0".into(), "300".into()]).unwrap();
        let took = watchdog.join().unwrap();
        assert!(out.timed_out, "{identity}");
        // Before, a process gone before its turn made another pass every
        // time, and the call went on until the run ended (6–7 s here).
        assert!(took < Duration::from_secs(5), "{identity}: lower_max_memory took {took:?}");
    }
}
