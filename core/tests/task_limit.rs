//! A host at its task limit when it first spawns (`RLIMIT_NPROC` of an
//! unprivileged service, a container's `pids.max`): the guardian's first
//! process could not fork the guardian and became it, and the host waited
//! for that process to exit — which it does only when the host does. The
//! spawn hung for good, with every other thread's spawn behind it.

mod common;

use std::sync::mpsc;
use std::time::Duration;

use sandlock_core::{ExitStatus, Policy, Sandbox, SandlockError};

/// The tests count the uid's tasks: one at a time.
static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Tasks (threads included) whose real uid is `uid`, as the kernel counts
/// them against `RLIMIT_NPROC`.
fn tasks_of(uid: u32) -> u64 {
    let mut tasks = 0;
    // Processes only: not `self` and `thread-self`, which repeat one.
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        if !entry.file_name().to_string_lossy().bytes().all(|b| b.is_ascii_digit()) {
            continue;
        }
        let Ok(status) = std::fs::read_to_string(entry.path().join("status")) else { continue };
        let field = |name: &str| {
            status
                .lines()
                .find_map(|l| l.strip_prefix(name))
                .and_then(|v| v.split_whitespace().next()?.parse::<u64>().ok())
        };
        if field("Uid:") == Some(u64::from(uid)) {
            tasks += field("Threads:").unwrap_or(0);
        }
    }
    tasks
}

#[test]
fn the_first_spawn_at_the_task_limit_returns() {
    let _serial = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    common::as_unprivileged_caller("the_first_spawn_at_the_task_limit_returns", &[], || {
        let sandbox = Sandbox::new(Policy::builder().fs_read(common::system_read_paths()).build().unwrap()).unwrap();
        let (done, result) = mpsc::channel();
        std::thread::spawn(move || {
            // Room for one more task: the guardian's first process, not its
            // fork (and, once it is gone, the sandbox's).
            let limit = tasks_of(common::NOBODY) + 1;
            nix::sys::resource::setrlimit(nix::sys::resource::Resource::RLIMIT_NPROC, limit, limit).unwrap();
            done.send(sandbox.run(&["/bin/true"]).map(|out| out.status)).unwrap()
        });
        // It returns: with the sandbox run, or refused its own clone when
        // another process of the uid took the room meanwhile.
        match result.recv_timeout(Duration::from_secs(30)).expect("the spawn returns") {
            Ok(status) => assert_eq!(status, ExitStatus::Exited(0)),
            Err(SandlockError::Spawn { source, .. }) => assert_eq!(source.raw_os_error(), Some(libc::EAGAIN)),
            Err(e) => panic!("{e:?}"),
        }
    });
}

/// A private `/dev/shm` for an unprivileged caller needs a user namespace,
/// which the library probes with a clone: one refused for want of a task
/// was kept as the kernel's answer, and every later run failed saying the
/// kernel refuses user namespaces.
#[test]
fn a_user_namespace_probe_refused_at_the_task_limit_is_asked_again() {
    let _serial = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    common::as_unprivileged_caller("a_user_namespace_probe_refused_at_the_task_limit_is_asked_again", &[], || {
        let build = || Policy::builder().fs_read(common::system_read_paths()).private_shm(true).build();
        let (_, hard) = nix::sys::resource::getrlimit(nix::sys::resource::Resource::RLIMIT_NPROC).unwrap();
        // No room for the probe's child.
        let full = tasks_of(common::NOBODY);
        nix::sys::resource::setrlimit(nix::sys::resource::Resource::RLIMIT_NPROC, full, hard).unwrap();
        let refused = build();
        nix::sys::resource::setrlimit(nix::sys::resource::Resource::RLIMIT_NPROC, hard, hard).unwrap();
        assert!(refused.is_err(), "the probe had room: {refused:?}");
        let policy = build().expect("asked again once the host had room");
        let out = Sandbox::new(policy).unwrap().run(&["/bin/true"]).unwrap();
        assert_eq!(out.status, ExitStatus::Exited(0));
    });
}
