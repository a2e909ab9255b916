//! A spawned child's group can be signalled from another thread while one
//! waits on it, and never after its leader was reaped.

mod common;

use common::{policy, sandbox};
use sandlock_core::ExitStatus;

#[test]
fn another_thread_signals_the_group_while_one_waits() {
    let mut child = sandbox(policy()).spawn(&["sleep", "30"]).unwrap();
    let signaller = child.signaller();
    let waiter = std::thread::spawn(move || child.wait().unwrap());
    // Pause and resume reach the group too before the final signal.
    assert!(signaller.signal(libc::SIGSTOP).unwrap());
    assert!(signaller.signal(libc::SIGCONT).unwrap());
    assert!(signaller.signal(libc::SIGTERM).unwrap());
    assert_eq!(waiter.join().unwrap(), ExitStatus::Signaled(libc::SIGTERM));
    // The leader is reaped: its pid may be anyone's now, so nothing is sent.
    assert!(!signaller.signal(libc::SIGKILL).unwrap());
}
