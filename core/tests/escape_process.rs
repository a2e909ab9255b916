//! Reaching host processes without kill(2) or ptrace(2). Landlock scopes
//! signals, not scheduling: renicing, pinning, rescheduling or changing the
//! I/O priority of another process needs only a matching uid, plus (the
//! commoncap check) that the target's capabilities are a subset of the
//! caller's. So a uid-0 child without capabilities reaches every root
//! process that holds none either (a neighbouring sandbox, a daemon that
//! dropped them all), and a uid-65534 child every host process of uid 65534
//! (daemons run as nobody). The filter lets these calls name only the
//! caller itself. Each test starts victims of each kind and checks them
//! afterwards.

mod common;

use std::os::unix::process::CommandExt;
use std::process::Command;
use std::time::Duration;

use common::{policy, probe, sandbox, sandbox_as, Identity, NOBODY};

const IOPRIO_WHO_PROCESS: libc::c_int = 1;
const SIGKILL: &str = "9";

/// What the probes try to change about a victim.
#[derive(Debug, PartialEq, Eq)]
struct SchedState {
    nice: i64,
    policy: i64,
    cpus: Vec<usize>,
    ioprio: i64,
}

enum Process {
    Host(std::process::Child),
    Sandboxed(sandlock_core::Child),
}

/// A `sleep` in a process group of its own (so nothing of the sandbox's or
/// the test's group signals it), killed on drop.
struct Victim {
    process: Process,
    what: &'static str,
    /// The uid the victim runs as.
    uid: u32,
}

impl Victim {
    fn host(uid: u32, what: &'static str) -> Victim {
        let child = Command::new("sleep")
            .arg("30")
            .process_group(0)
            .uid(uid)
            .gid(uid)
            .spawn()
            .expect("starting a victim process");
        Victim { process: Process::Host(child), what, uid }
    }

    /// A child of the same unprivileged uid passes the kernel's owner check
    /// on this victim, and the filter lets unprivileged children name other
    /// processes (threads name each other by tid: pthread_setaffinity_np),
    /// so such a victim is in reach: a gap of docs/threat-model.md, whose
    /// advice is a uid of its own for each tenant.
    fn in_reach_of(&self, id: Identity) -> bool {
        id == Identity::Nobody && self.uid == id.uid()
    }

    /// A host process of root with every capability, a root process with
    /// none (in a sandbox of its own: uid 0, no capabilities), and a host
    /// process of uid 65534.
    fn all() -> [Victim; 3] {
        let neighbour = sandbox(policy()).spawn(&["sleep", "30"]).expect("starting a sandboxed victim");
        [
            Victim::host(0, "root host process with capabilities"),
            Victim { process: Process::Sandboxed(neighbour), what: "root process without capabilities", uid: 0 },
            Victim::host(NOBODY, "uid-65534 host process"),
        ]
    }

    fn pid(&self) -> String {
        match &self.process {
            Process::Host(child) => child.id(),
            Process::Sandboxed(child) => child.pid(),
        }
        .to_string()
    }

    fn describe(&self) -> String {
        format!("{} {}", self.what, self.pid())
    }

    fn state(&self) -> SchedState {
        let pid: libc::pid_t = self.pid().parse().unwrap();
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
        // Fields after the command name; field 3 (state) is at index 0.
        let fields: Vec<&str> = stat.rsplit_once(')').unwrap().1.split_whitespace().collect();
        let field = |n: usize| -> i64 { fields[n - 3].parse().unwrap() };
        // SAFETY: a zeroed cpu_set_t is an empty set.
        let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
        // SAFETY: sched_getaffinity writes at most size_of::<cpu_set_t>() bytes into `set`.
        let rc = unsafe { libc::sched_getaffinity(pid, std::mem::size_of::<libc::cpu_set_t>(), &mut set) };
        assert_eq!(rc, 0, "sched_getaffinity {pid}");
        // SAFETY: CPU_ISSET only reads `set`, for CPUs below CPU_SETSIZE.
        let cpus = (0..libc::CPU_SETSIZE as usize).filter(|&cpu| unsafe { libc::CPU_ISSET(cpu, &set) }).collect();
        // SAFETY: ioprio_get has no memory effects.
        let ioprio = unsafe { libc::syscall(libc::SYS_ioprio_get, IOPRIO_WHO_PROCESS, pid) };
        assert!(ioprio >= 0, "ioprio_get {pid}");
        SchedState { nice: field(19), policy: field(41), cpus, ioprio }
    }

    fn assert_alive(&mut self, what: &str) {
        let describe = self.describe();
        match &mut self.process {
            Process::Host(child) => {
                if let Some(status) = child.try_wait().unwrap() {
                    panic!("{what}: the {describe} ended: {status}");
                }
            }
            Process::Sandboxed(child) => {
                if let Some(status) = child.wait_timeout(Duration::ZERO).unwrap() {
                    panic!("{what}: the {describe} ended: {status:?}");
                }
            }
        }
    }
}

impl Drop for Victim {
    fn drop(&mut self) {
        match &mut self.process {
            Process::Host(child) => {
                let _ = child.kill();
                let _ = child.wait();
            }
            // Dropping a sandlock Child kills and reaps its group.
            Process::Sandboxed(_) => {}
        }
    }
}

/// Each probe names a victim by pid (or its process group, which has the
/// victim's pid as id).
#[test]
fn host_processes_cannot_be_reniced_or_rescheduled() {
    let attempts: [&[&str]; 6] = [
        &["setpriority_pid", "{pid}", "19"],
        &["setpriority_pgrp", "{pid}", "19"],
        &["setaffinity", "{pid}"],
        &["setscheduler_idle", "{pid}"],
        &["setattr_idle", "{pid}"],
        &["ioprio_pid", "{pid}"],
    ];
    for id in Identity::all() {
        let mut victims = Victim::all();
        let before: Vec<SchedState> = victims.iter().map(Victim::state).collect();
        let sandbox = sandbox_as(id, policy());
        for victim in &victims {
            let pid = victim.pid();
            let expected = if victim.in_reach_of(id) { "ok\n" } else { "EPERM\n" };
            for attempt in attempts {
                let args: Vec<&str> = attempt.iter().map(|a| if *a == "{pid}" { pid.as_str() } else { a }).collect();
                let what = format!("{id}: {} on the {}", args.join(" "), victim.describe());
                assert_eq!(probe(&sandbox, "sched", &args), expected, "{what}");
            }
        }
        for (victim, before) in victims.iter_mut().zip(&before) {
            let what = format!("{id}: scheduling of the {}", victim.describe());
            if !victim.in_reach_of(id) {
                assert_eq!(&victim.state(), before, "{what}");
            }
            victim.assert_alive(&what);
        }
    }
}

/// `setpriority(PRIO_USER, 0)` and `ioprio_set(IOPRIO_WHO_USER, uid)` act
/// on every process of the caller's uid on the machine. The values change
/// nothing even where the call goes through (today), since a uid-0 child
/// would reach every root process without capabilities, other sandboxes'
/// included: nice -20 raises no process for a caller without CAP_SYS_NICE,
/// and I/O priority 0 ("none") is what every process starts with. So the
/// output is what shows the reach: today setpriority runs its permission
/// checks and fails with EACCES on the processes it may not raise, and
/// ioprio_set succeeds for uid 65534 (for uid 0 it stops with EPERM at
/// init, which holds capabilities); the filter refuses both with EPERM.
#[test]
fn every_process_of_the_uid_cannot_be_reached_at_once() {
    for id in Identity::all() {
        let mut victims = Victim::all();
        let before: Vec<SchedState> = victims.iter().map(Victim::state).collect();
        let sandbox = sandbox_as(id, policy());
        assert_eq!(
            probe(&sandbox, "sched", &["setpriority_user", "-20"]),
            "EPERM\n",
            "{id}: setpriority(PRIO_USER, 0)"
        );
        assert_eq!(probe(&sandbox, "sched", &["ioprio_user"]), "EPERM\n", "{id}: ioprio_set(IOPRIO_WHO_USER, own uid)");
        for (victim, before) in victims.iter_mut().zip(&before) {
            let what = format!("{id}: scheduling of the {}", victim.describe());
            assert_eq!(&victim.state(), before, "{what}");
            victim.assert_alive(&what);
        }
    }
}

#[test]
fn a_child_may_renice_itself() {
    // Lower than the test's own priority, whatever nice value it runs at:
    // raising it needs CAP_SYS_NICE, which the child no longer has.
    // SAFETY: getpriority has no memory effects.
    let own = unsafe { libc::getpriority(libc::PRIO_PROCESS, 0) };
    let lower = (own + 1).min(19).to_string();
    for id in Identity::all() {
        let sandbox = sandbox_as(id, policy());
        assert_eq!(
            probe(&sandbox, "sched", &["setpriority_self", &lower]),
            "ok\n",
            "{id}: setpriority(PRIO_PROCESS, 0, {lower})"
        );
    }
}

/// A descriptor's owner (F_SETOWN) is signalled when it becomes ready:
/// SIGIO, whose default action ends a `sleep`, or with F_SETSIG any signal,
/// SIGKILL included. The kernel checks only that the owner's setter had
/// uid 0 or the target's uid; Landlock's signal scope covers this delivery
/// (its file_send_sigiotask hook), and the victims must survive.
#[test]
fn descriptor_owner_signals_reach_no_host_process() {
    for id in Identity::all() {
        let mut victims = Victim::all();
        let sandbox = sandbox_as(id, policy());
        for victim in &mut victims {
            for sig in ["0", SIGKILL] {
                let what = format!("{id}: F_SETOWN {} with F_SETSIG {sig}", victim.describe());
                // The calls succeed; the signal is what never arrives.
                assert_eq!(probe(&sandbox, "sched", &["sigio", &victim.pid(), sig]), "ok\n", "{what}");
                victim.assert_alive(&what);
            }
        }
    }
}

/// What the spawning host thread holds that a set-ID exec or
/// `SCHED_RESET_ON_FORK` would not pass on: personality flags the filter
/// refuses the child (no address randomisation, readable memory executable,
/// a mapped page zero), real-time scheduling, a negative nice, the real-time
/// I/O class. The child inherited all of them from a thread of a
/// real-time service (or one run under `setarch -R`).
#[test]
fn the_spawning_threads_privileged_scheduling_and_personality_stay_with_it() {
    std::thread::spawn(|| {
        let risky = libc::ADDR_NO_RANDOMIZE | libc::READ_IMPLIES_EXEC | libc::MMAP_PAGE_ZERO;
        // SAFETY: each call changes only this test thread's own attributes.
        unsafe {
            assert!(libc::personality(risky as libc::c_ulong) >= 0);
            let param = libc::sched_param { sched_priority: 1 };
            assert_eq!(libc::sched_setscheduler(0, libc::SCHED_RR, &param), 0);
            assert_eq!(libc::setpriority(libc::PRIO_PROCESS, 0, -5), 0);
            let realtime = (1 << 13) | 4;
            assert_eq!(libc::syscall(libc::SYS_ioprio_set, IOPRIO_WHO_PROCESS, 0, realtime), 0);
        }
        for identity in Identity::all() {
            let sandbox = sandbox_as(identity, policy().fs_read(["/proc"]));
            let [first, second] = [0, 1].map(|_| probe(&sandbox, "sched", &["inherited"]));
            let (state, first_mapping) = first.split_once('\n').unwrap();
            let second_mapping = second.split_once('\n').unwrap().1;
            assert_ne!(first_mapping, second_mapping, "{identity}: no address randomisation");
            assert_eq!(state, "policy=0 nice=0 ioclass=0 perms=r--p page_zero=0", "{identity}");
        }
    })
    .join()
    .unwrap();
}
