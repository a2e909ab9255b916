//! A run's process-group id is its leader's pid, free for reuse once the
//! run has reaped it, while a handler past `handler_grace` or a kept
//! `policy_fn` `Control` may still act on the group. Acting then must
//! reach nobody: here the id is given at once to a host job in a group of
//! its own (`ns_last_pid`; a tenant forking round `pid_max` gets the same
//! without it), which a late kill or memory limit must leave alone. Alone
//! in its binary: other tests' forks would take the id first.

mod common;

use std::os::unix::process::CommandExt;
use std::process::{Child, Command};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{policy, sandbox_as, Identity};
use sandlock_core::policy_fn::{Category, Control, Decision, Event};
use sandlock_core::{ExceptionPolicy, HandlerCtx, HandlerResult, NotifAction, Syscall};

/// One test at a time: each places a host job at a pid of its own.
static SERIAL: Mutex<()> = Mutex::new(());

/// How long an act released after the run is given to happen.
const SETTLE: Duration = Duration::from_millis(300);

/// A host job (`sleep`) in a process group of its own whose id is `pid`.
fn host_job_at(pid: i32) -> Child {
    for _ in 0..50 {
        std::fs::write("/proc/sys/kernel/ns_last_pid", (pid - 1).to_string()).unwrap();
        let job = Command::new("/bin/sleep").arg("30").process_group(0).spawn().unwrap();
        if job.id() as i32 == pid {
            return job;
        }
        reap(job);
    }
    panic!("pid {pid} was not given to the host job");
}

fn reap(mut job: Child) {
    let _ = job.kill();
    let _ = job.wait();
}

fn assert_alive(job: &mut Child, what: &str) {
    assert!(job.try_wait().unwrap().is_none(), "{what}: the host job was ended: {:?}", job.try_wait());
}

/// A handler on `uname` that answers only once released, after its run.
fn late_answer(id: Identity, answer: HandlerResult, exception: ExceptionPolicy) {
    let (entered, handler_entered) = mpsc::channel::<()>();
    let (release, released) = mpsc::channel::<()>();
    let (entered, released) = (Mutex::new(entered), Mutex::new(released));
    let answer = Mutex::new(Some(answer));
    let handler = move |_: &HandlerCtx| {
        let _ = entered.lock().unwrap().send(());
        let _ = released.lock().unwrap().recv();
        answer.lock().unwrap().take().unwrap()
    };
    // The timeout ends the run while the handler waits; counted from the
    // spawn, it leaves a loaded machine time to reach the handler first.
    let sandbox = sandbox_as(id, policy().timeout(Duration::from_secs(2)).handler_grace(Duration::ZERO))
        .add_handler_with_policy(Syscall::from_name("uname").unwrap(), handler, exception);
    let mut child = sandbox.spawn(&["/bin/uname"]).unwrap();
    let pid = child.pid() as i32;
    handler_entered.recv_timeout(Duration::from_secs(30)).expect("the handler was called");
    child.wait().unwrap();
    assert!(child.timed_out(), "{id}: the run ended before its handler answered");
    drop(child);
    let mut job = host_job_at(pid);
    release.send(()).unwrap();
    std::thread::sleep(SETTLE);
    assert_alive(&mut job, &format!("{id}, a late answer"));
    reap(job);
}

#[test]
fn a_handlers_kill_after_its_run_reaches_nobody() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    for id in Identity::all() {
        late_answer(id, Ok(NotifAction::Kill { signal: libc::SIGKILL, pgid: 0 }), ExceptionPolicy::DenyEperm);
        // The default exception policy kills too: a handler's late error.
        late_answer(id, Err("gone".into()), ExceptionPolicy::Kill);
    }
}

#[test]
fn a_kept_control_after_its_run_lowers_no_ones_memory() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    for id in Identity::all() {
        let kept: Arc<Mutex<Option<Control>>> = Arc::default();
        let keep = Arc::clone(&kept);
        let sandbox = sandbox_as(id, policy()).policy_fn(Category::EXEC, move |_: &Event, control: &Control| {
            keep.lock().unwrap().get_or_insert_with(|| control.clone());
            Decision::Allow
        });
        let mut child = sandbox.spawn(&["/bin/sh", "-c", "/bin/true"]).unwrap();
        let pid = child.pid() as i32;
        child.wait().unwrap();
        drop(child);
        let control = kept.lock().unwrap().take().expect("the callback saw the exec");
        let mut job = host_job_at(pid);
        control.lower_max_memory(64 << 10).unwrap();
        let limits = std::fs::read_to_string(format!("/proc/{pid}/limits")).unwrap();
        let address_space = limits.lines().find(|l| l.starts_with("Max address space")).unwrap();
        assert!(address_space.contains("unlimited"), "{id}: the host job's limit was lowered: {address_space}");
        assert_alive(&mut job, &format!("{id}, a late memory limit"));
        reap(job);
    }
}
