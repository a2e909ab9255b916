//! A host that is a subreaper (a container's init, a service manager)
//! adopts the sandbox's orphans. Alone in its binary: the subreaper flag
//! is the whole process's.

mod common;

use common::{policy, sandbox};

/// Pids of this process's children that are zombies, and of those alive.
fn children() -> (Vec<u32>, Vec<u32>) {
    // SAFETY: getpid has no memory effects.
    let me = unsafe { libc::getpid() } as u32;
    let (mut zombies, mut alive) = (Vec::new(), Vec::new());
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else { continue };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else { continue };
        let Some(after) = stat.rfind(')').map(|at| &stat[at + 2..]) else { continue };
        let fields: Vec<&str> = after.split_whitespace().collect();
        if fields.get(1).and_then(|ppid| ppid.parse::<u32>().ok()) == Some(me) {
            if fields[0] == "Z" {
                zombies.push(pid)
            } else {
                alive.push(pid)
            }
        }
    }
    (zombies, alive)
}

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
    let (zombies, alive) = children();
    assert!(zombies.is_empty() && alive.is_empty(), "children left: zombies {zombies:?}, alive {alive:?}");
}
