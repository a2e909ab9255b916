//! A sandbox's killed orphans are reaped by whoever adopts them (PID 1, or a
//! subreaper), maybe late, maybe never — a service running as PID 1 in a
//! container never reaps children it does not know. The supervisor must end
//! with the run anyway. This binary makes itself the subreaper and reaps
//! nothing itself; the run stops its supervisor before it reaps the orphans
//! it left (tests/subreaper.rs), so a supervisor waiting for the orphans to
//! be reaped would leave its threads behind.

mod common;

use std::fs;
use std::time::Duration;

use common::{children_but_the_guardian, policy, program, sandbox};
use sandlock_core::{ExitStatus, HandlerCtx, HandlerResult, NotifAction, Syscall};

fn threads() -> usize {
    fs::read_dir("/proc/self/task").expect("listing /proc/self/task").count()
}

#[test]
fn supervisor_threads_end_with_the_run_even_if_orphans_stay_unreaped() {
    // SAFETY: prctl with integer arguments; affects only this test process.
    assert_eq!(unsafe { libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) }, 0);
    let handled = sandbox(policy().timeout(Duration::from_millis(200)))
        .add_handler(Syscall::from_name("getppid").unwrap(), |_: &HandlerCtx| -> HandlerResult {
            Ok(NotifAction::Continue)
        });
    // Warm up what lives once per process (compiled probes) with a run that
    // leaves no orphan.
    assert_eq!(handled.run(&[program("fds")]).unwrap().stdout, b"done\n");
    let before = threads();
    let out = handled.run(&[program("orphan")]).unwrap();
    assert!(out.timed_out);
    assert_eq!(out.status, ExitStatus::Signaled(libc::SIGKILL));
    assert_eq!(threads(), before, "a receiving thread outlived the run");
    // The grandchild, killed with its group and adopted by us, was reaped
    // by the run once its supervisor had stopped: nothing of it is left.
    assert_eq!(children_but_the_guardian(), (vec![], vec![]));
}
