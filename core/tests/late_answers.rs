//! An answer a handler gives after its run is over (past the handler
//! grace) still follows the fd rules: an fd it hands over is closed, never
//! taken for the policy's ruleset because a later fd got that number. Alone
//! in its binary: it finds the ruleset among this process's fds.

mod common;

use std::os::fd::{AsRawFd, FromRawFd, IntoRawFd, OwnedFd, RawFd};
use std::sync::mpsc;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use common::{policy, sandbox};
use sandlock_core::{HandlerCtx, HandlerResult, NotifAction, Syscall};

/// This process's fds whose link reads `target`.
fn fds_linked_to(target: &str) -> Vec<RawFd> {
    std::fs::read_dir("/proc/self/fd")
        .unwrap()
        .filter_map(|entry| {
            let entry = entry.ok()?;
            let link = std::fs::read_link(entry.path()).ok()?;
            (link.to_str() == Some(target)).then(|| entry.file_name().to_str()?.parse().ok()).flatten()
        })
        .collect()
}

#[test]
fn an_fd_answered_after_the_run_and_its_policy_are_gone_is_closed() {
    let rulesets_before = fds_linked_to("anon_inode:[landlock-ruleset]");
    let (go, wait_for_go) = mpsc::channel::<RawFd>();
    let (answered, answer) = mpsc::channel::<RawFd>();
    let wait_for_go = Mutex::new(wait_for_go);
    let sandbox = sandbox(policy().timeout(Duration::from_secs(2)).handler_grace(Duration::ZERO)).add_handler(
        Syscall::checked(libc::SYS_openat).unwrap(),
        move |_: &HandlerCtx| -> HandlerResult {
            let ruleset = wait_for_go.lock().unwrap().recv().unwrap();
            let file = std::fs::File::open("/etc/hostname").unwrap();
            // The ruleset's number when it is free, else the lowest free
            // one above it.
            let fd = if file.as_raw_fd() >= ruleset {
                file.into_raw_fd()
            } else {
                // SAFETY: F_DUPFD makes a new fd of ours, owned below.
                unsafe { libc::fcntl(file.as_raw_fd(), libc::F_DUPFD_CLOEXEC, ruleset) }
            };
            answered.send(fd).unwrap();
            // SAFETY: `fd` was just made by F_DUPFD and nothing else owns it.
            Ok(NotifAction::InjectFdSend { srcfd: unsafe { OwnedFd::from_raw_fd(fd) }, newfd_flags: 0 })
        },
    );
    let ruleset = *fds_linked_to("anon_inode:[landlock-ruleset]")
        .iter()
        .find(|fd| !rulesets_before.contains(fd))
        .expect("the policy's ruleset");
    // Its first open waits in the handler until the run is over.
    let out = sandbox.run(&["/bin/cat", "/etc/hostname"]).unwrap();
    assert!(out.timed_out, "the child was to wait for the handler until killed: {out:?}");
    drop(sandbox);
    go.send(ruleset).unwrap();
    let handed = answer.recv_timeout(Duration::from_secs(10)).expect("the handler answered");
    let deadline = Instant::now() + Duration::from_secs(10);
    while fds_linked_to("/etc/hostname").contains(&handed) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(!fds_linked_to("/etc/hostname").contains(&handed), "fd {handed} (the ruleset was {ruleset}) was left open");
}
