//! A host that is a subreaper (a container's init, a service manager)
//! adopts the sandbox's orphans. Alone in its binary: the subreaper flag
//! is the whole process's.

mod common;

use common::{children_but_the_guardian, policy, sandbox};

/// Each run's orphans (a background job its program left) were left as
/// zombies of the host, 500 after 500 runs.
#[test]
fn a_subreaper_host_reaps_the_orphans_of_each_run() {
    // SAFETY: PR_SET_CHILD_SUBREAPER takes an integer.
    assert_eq!(unsafe { libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1) }, 0);
    let sandbox = sandbox(policy());
    for _ in 0..20 {
        let out = sandbox.run(&["/bin/sh", "-c", "sleep 30 & sleep 30 & exit 0"]).unwrap();
        assert!(out.status.success());
    }
    let (zombies, alive) = children_but_the_guardian();
    assert!(zombies.is_empty() && alive.is_empty(), "children left: zombies {zombies:?}, alive {alive:?}");
}
