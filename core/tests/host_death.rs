//! A sandbox never outlives its host. A host killed (SIGKILL: no
//! destructor, no handler runs) or exiting without waiting for its child
//! (`process::exit` with the `Child` still alive) left its sandboxes
//! running, reparented to init, with nothing left to enforce their timeout.
//! The guardian kills their groups once the host is gone.
//!
//! Each case is this binary again as the host (a process of its own, for
//! uid 0 and, through `setpriv`, for uid 65534): it spawns a shell that
//! starts a grandchild in the sandbox's group, prints both pids, and then
//! dies as the case says. This process is a subreaper, so the sandbox's
//! orphans become its children and a dead one shows as a zombie here
//! rather than vanishing into init. One more host checks that its own
//! waits for any child do not count the guardian.

mod common;

use std::ffi::OsStr;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use common::{guardians_of, program, running, stat_of, system_read_paths, Identity, NOBODY};
use sandlock_core::{HandlerCtx, HandlerResult, NotifAction, Policy, Sandbox, Syscall};

const ROLE_VAR: &str = "SANDLOCK_TEST_HOST_ROLE";
/// The path of the probe `leaves_with_its_host`, compiled by the test.
const LEAVER_VAR: &str = "SANDLOCK_TEST_LEAVER";
/// How long a sandbox may take to die once its host is gone.
const LIMIT: Duration = Duration::from_secs(10);

#[derive(Debug, Clone, Copy)]
enum Host {
    Root,
    Unprivileged,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Ending {
    Killed,
    ExitsWithoutWaiting,
    /// Killed, and the sandbox's leader leaves at once (the probe
    /// `leaves_with_its_host`) and is reaped while the guardian is held
    /// stopped: the rest of the group must die all the same.
    KilledAndTheLeaderLeaves,
    /// Killed after its guardian was killed while the sandbox ran and a
    /// later spawn started another: the new one must watch it too.
    KilledAfterItsGuardianWasReplaced,
    /// Killed while a process it forked without exec lives on, holding a
    /// copy of every fd the host had.
    KilledWhileAForkOfItLives,
}

impl Ending {
    fn parse(text: &str) -> Ending {
        [
            Ending::Killed,
            Ending::ExitsWithoutWaiting,
            Ending::KilledAndTheLeaderLeaves,
            Ending::KilledAfterItsGuardianWasReplaced,
            Ending::KilledWhileAForkOfItLives,
        ]
        .into_iter()
        .find(|ending| format!("{ending:?}") == text)
        .unwrap_or_else(|| panic!("no ending {text}"))
    }
}

#[derive(Debug, Clone, Copy)]
struct Case {
    host: Host,
    child: Identity,
    handler: bool,
    ending: Ending,
}

impl Case {
    fn all() -> Vec<Case> {
        let mut cases = Vec::new();
        for (host, child) in
            [(Host::Root, Identity::Root), (Host::Root, Identity::Nobody), (Host::Unprivileged, Identity::Nobody)]
        {
            for handler in [false, true] {
                for ending in [Ending::Killed, Ending::ExitsWithoutWaiting] {
                    cases.push(Case { host, child, handler, ending });
                }
            }
            cases.push(Case { host, child, handler: false, ending: Ending::KilledAndTheLeaderLeaves });
            cases.push(Case { host, child, handler: false, ending: Ending::KilledAfterItsGuardianWasReplaced });
            cases.push(Case { host, child, handler: false, ending: Ending::KilledWhileAForkOfItLives });
        }
        cases
    }

    fn name(&self) -> String {
        format!(
            "a_sandbox_dies_with_its_host({:?} host, child {}, {}, host {:?})",
            self.host,
            self.child,
            if self.handler { "a handler" } else { "no handler" },
            self.ending
        )
    }

    fn role(&self) -> String {
        format!("{}:{}:{:?}", self.child.uid(), self.handler, self.ending)
    }
}

/// The role of a host that checks its own waits instead of dying.
const WAITING_HOST: &str = "waits";
/// The role of a host that runs one sandbox and exits.
const ONE_RUN_HOST: &str = "one run";
/// The role of a host that spawns while the test holds its guardian stopped.
const STALLED_HOST: &str = "stalled";

fn plain_sandbox() -> Sandbox {
    Sandbox::new(Policy::builder().fs_read(system_read_paths()).build().unwrap()).unwrap()
}

fn be_a_host_with_one_run() -> ExitCode {
    let out = plain_sandbox().run(&["/bin/echo", "ran"]).expect("running the sandbox");
    assert_eq!(out.stdout, b"ran\n", "{out:?}");
    ExitCode::SUCCESS
}

/// `unshare --pid` without `--fork`: the host's next child is the new
/// namespace's init, and the namespace ends with it. The guardian's first
/// process, which exits at once, took that place, and the sandbox's spawn
/// then failed with ENOMEM; such a host now starts no guardian.
fn a_host_whose_children_start_a_pid_namespace_still_runs_its_sandbox() -> Result<(), String> {
    let exe = std::env::current_exe().expect("path of this test binary");
    let out = Command::new("unshare")
        .arg("--pid")
        .arg(exe)
        .env(ROLE_VAR, ONE_RUN_HOST)
        .output()
        .map_err(|e| format!("running unshare: {e}"))?;
    if !out.status.success() {
        return Err(format!("{}: {}", out.status, String::from_utf8_lossy(&out.stderr)));
    }
    Ok(())
}

/// Until the test's word on stdin, then spawn until one fails.
fn be_a_host_whose_guardian_is_stopped() -> ExitCode {
    let sandbox = plain_sandbox();
    let wait_for_word = || {
        let mut line = String::new();
        std::io::stdin().read_line(&mut line).expect("reading the test's word");
    };
    assert!(sandbox.run(&["/bin/true"]).expect("the first run").status.success());
    println!("started");
    wait_for_word();
    // Each run is a watch and a forget: the socket fills after some
    // hundreds of messages, and a spawn then fails within seconds.
    let refused = (0..2000).find_map(|_| {
        let began = Instant::now();
        match sandbox.run(&["/bin/true"]) {
            Ok(out) => {
                assert!(out.status.success(), "{out:?}");
                None
            }
            Err(e) => Some((e, began.elapsed())),
        }
    });
    let (error, took) = refused.expect("2000 runs went through with the guardian stopped");
    assert!(took < Duration::from_secs(5), "the refused spawn took {took:?}");
    let message = error.to_string();
    assert!(message.contains("process group"), "{message}");
    println!("refused");
    wait_for_word();
    assert!(sandbox.run(&["/bin/true"]).expect("a run once the guardian runs again").status.success());
    ExitCode::SUCCESS
}

/// A guardian stopped (a debugger, `kill -STOP`) filled its socket, and
/// every spawn then hung in its watch message, and every run's end in its
/// forget message: a spawn now fails after a bounded wait, the end of a run
/// never waits, and spawns work again once the guardian runs.
fn a_stopped_guardian_fails_spawns_rather_than_hanging_them() -> Result<(), String> {
    let exe = std::env::current_exe().expect("path of this test binary");
    let mut host = Command::new(exe)
        .env(ROLE_VAR, STALLED_HOST)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| format!("starting the host: {e}"))?;
    let mut from_host = BufReader::new(host.stdout.take().expect("piped stdout"));
    let mut to_host = host.stdin.take().expect("piped stdin");
    let mut expect = |word: &str| -> Result<(), String> {
        let mut line = String::new();
        from_host.read_line(&mut line).map_err(|e| format!("reading the host: {e}"))?;
        if line.trim() == word {
            Ok(())
        } else {
            Err(format!("the host said {line:?}, not {word:?}"))
        }
    };
    let outcome = (|| {
        expect("started")?;
        let guardian = stop_the_guardian()?;
        writeln!(to_host, "go").map_err(|e| e.to_string())?;
        let refused = expect("refused");
        // SAFETY: kill with integer arguments, to the guardian found above.
        unsafe { libc::kill(guardian, libc::SIGCONT) };
        refused?;
        writeln!(to_host, "go").map_err(|e| e.to_string())?;
        let status = host.wait().map_err(|e| e.to_string())?;
        if status.success() {
            Ok(())
        } else {
            Err(format!("the host failed: {status}"))
        }
    })();
    let _ = host.kill();
    let _ = host.wait();
    reap_zombies();
    outcome
}

fn main() -> ExitCode {
    match std::env::var(ROLE_VAR) {
        Ok(role) if role == WAITING_HOST => be_a_host_that_waits_for_any_child(),
        Ok(role) if role == ONE_RUN_HOST => be_a_host_with_one_run(),
        Ok(role) if role == STALLED_HOST => be_a_host_whose_guardian_is_stopped(),
        Ok(role) => be_the_host(&role),
        Err(_) => run_every_case(),
    }
}

/// A host's `waitpid(-1)` — a SIGCHLD handler, a shutdown that waits for
/// every child — neither waits for nor reaps the guardian, which left the
/// host's children (here for the test's, the subreaper above).
fn be_a_host_that_waits_for_any_child() -> ExitCode {
    let sandbox = Sandbox::new(Policy::builder().fs_read(system_read_paths()).build().unwrap()).unwrap();
    let out = sandbox.run(&["/bin/true"]).expect("running /bin/true");
    assert!(out.status.success(), "{out:?}");
    // SAFETY: getppid has no preconditions.
    let parent = unsafe { libc::getppid() } as u32;
    assert!(guardian_among_children_of(parent), "no guardian runs for a host that has run a sandbox");
    // SAFETY: waitpid with a null status pointer; WNOHANG returns 0 while
    // a child it would wait for runs.
    let waited = unsafe { libc::waitpid(-1, std::ptr::null_mut(), libc::WNOHANG) };
    let errno = std::io::Error::last_os_error().raw_os_error();
    assert_eq!((waited, errno), (-1, Some(libc::ECHILD)), "the host's wait for any child counts the guardian");
    ExitCode::SUCCESS
}

fn a_hosts_wait_for_any_child_neither_blocks_on_nor_reaps_the_guardian() -> Result<(), String> {
    let exe = std::env::current_exe().expect("path of this test binary");
    let out = Command::new(exe).env(ROLE_VAR, WAITING_HOST).output().map_err(|e| format!("starting the host: {e}"))?;
    if !out.status.success() {
        return Err(format!("{}: {}", out.status, String::from_utf8_lossy(&out.stderr)));
    }
    let deadline = Instant::now() + LIMIT;
    while guardian_alive() && Instant::now() < deadline {
        reap_zombies();
        std::thread::sleep(Duration::from_millis(20));
    }
    reap_zombies();
    if guardian_alive() {
        return Err("the guardian of a host that exited still ran".into());
    }
    Ok(())
}

/// The host: spawn, print the pids the sandbox printed, then die.
fn be_the_host(role: &str) -> ExitCode {
    let fields: Vec<&str> = role.split(':').collect();
    let [uid, handler, ending] = fields[..] else { panic!("bad role {role}") };
    let ending = Ending::parse(ending);
    let leaver = std::env::var_os(LEAVER_VAR).map(PathBuf::from).expect("the probe's path");
    let mut policy = Policy::builder().fs_read(system_read_paths()).fs_read([leaver.parent().unwrap()]);
    if uid != "0" && unsafe_geteuid() == 0 {
        policy = policy.uid(NOBODY).gid(NOBODY);
    }
    let mut sandbox = Sandbox::new(policy.build().expect("the host's policy")).expect("the host's sandbox");
    if handler == "true" {
        sandbox = sandbox.add_handler(Syscall::from_name("getppid").unwrap(), |_: &HandlerCtx| -> HandlerResult {
            Ok(NotifAction::Continue)
        });
    }
    // The shell's own pid leads the group; `sleep` is a second process in
    // it. Both pids reach our stdout, a pipe to the test.
    let shell: [&OsStr; 3] = ["/bin/sh".as_ref(), "-c".as_ref(), "sleep 1000 & echo $$ $!; wait".as_ref()];
    let argv = if ending == Ending::KilledAndTheLeaderLeaves { &[leaver.as_os_str()][..] } else { &shell[..] };
    let child = sandbox.spawn(argv).expect("spawning the sandbox");
    if ending == Ending::KilledAfterItsGuardianWasReplaced {
        // The test kills the guardian, then says so on our stdin.
        let mut line = String::new();
        std::io::stdin().read_line(&mut line).expect("reading the test's word");
        let out = sandbox.run(&["/bin/true"]).expect("a later run");
        assert!(out.status.success(), "{out:?}");
        println!("replaced");
    }
    if ending == Ending::KilledWhileAForkOfItLives {
        // SAFETY: the forked child only pauses (async-signal-safe) until the
        // test kills it.
        let forked = unsafe { libc::fork() };
        if forked == 0 {
            loop {
                // SAFETY: pause has no preconditions.
                unsafe { libc::pause() };
            }
        }
        println!("fork {forked}");
    }
    if ending != Ending::ExitsWithoutWaiting {
        loop {
            std::thread::sleep(Duration::from_secs(1000));
        }
    }
    // Wait until the shell has printed, so the test knows the pids; then
    // leave without waiting for (or dropping) the child.
    std::thread::sleep(Duration::from_millis(300));
    std::mem::forget(child);
    std::process::exit(0)
}

fn unsafe_geteuid() -> u32 {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() }
}

/// A test of its own beside the cases.
type Check = fn() -> Result<(), String>;

fn run_every_case() -> ExitCode {
    // SAFETY: prctl with integer arguments; affects only this process.
    assert_eq!(unsafe { libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) }, 0);
    let (mut passed, mut failed) = (0, 0);
    let checks: [(&str, Check); 3] = [
        (
            "a_hosts_wait_for_any_child_neither_blocks_on_nor_reaps_the_guardian",
            a_hosts_wait_for_any_child_neither_blocks_on_nor_reaps_the_guardian,
        ),
        (
            "a_host_whose_children_start_a_pid_namespace_still_runs_its_sandbox",
            a_host_whose_children_start_a_pid_namespace_still_runs_its_sandbox,
        ),
        (
            "a_stopped_guardian_fails_spawns_rather_than_hanging_them",
            a_stopped_guardian_fails_spawns_rather_than_hanging_them,
        ),
    ];
    let named = checks.into_iter().map(|(name, check)| (name.to_string(), None, Some(check)));
    let cases = Case::all().into_iter().map(|case| (case.name(), Some(case), None));
    for (name, case, check) in named.chain(cases) {
        let outcome = match (case, check) {
            (Some(case), _) => a_sandbox_dies_with_its_host(case),
            (None, Some(check)) => check(),
            (None, None) => unreachable!("every entry is a case or a check"),
        };
        match outcome {
            Ok(()) => {
                println!("test {name} ... ok");
                passed += 1;
            }
            Err(why) => {
                println!("test {name} ... FAILED: {why}");
                failed += 1;
            }
        }
    }
    println!("host_death: {passed} passed, {failed} failed");
    if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

fn a_sandbox_dies_with_its_host(case: Case) -> Result<(), String> {
    let exe = std::env::current_exe().expect("path of this test binary");
    let mut command = match case.host {
        Host::Root => Command::new(&exe),
        Host::Unprivileged => {
            let setpriv = ["/usr/bin/setpriv", "/bin/setpriv"]
                .into_iter()
                .find(|p| Path::new(p).exists())
                .ok_or("setpriv is not installed (util-linux)")?;
            let mut command = Command::new(setpriv);
            command
                .args([&format!("--reuid={NOBODY}"), &format!("--regid={NOBODY}"), "--clear-groups", "--inh-caps=-all"])
                .arg(&exe);
            command
        }
    };
    let mut host = command
        .env(ROLE_VAR, case.role())
        .env(LEAVER_VAR, program("leaves_with_its_host"))
        .current_dir("/")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| format!("starting the host: {e}"))?;
    let mut pids = Vec::new();
    let outcome = the_host_dies(case, &mut host, &mut pids);
    // Whatever failed, nothing of the case is left for the next one.
    let _ = host.kill();
    let _ = host.wait();
    for &pid in &pids {
        // SAFETY: kill with integer arguments, to this case's processes.
        unsafe { libc::kill(pid, libc::SIGKILL) };
    }
    reap_zombies();
    outcome
}

/// The case once its host runs; `pids` gets every pid it must clean up.
fn the_host_dies(case: Case, host: &mut std::process::Child, pids: &mut Vec<i32>) -> Result<(), String> {
    let mut from_host = BufReader::new(host.stdout.take().expect("piped stdout"));
    let mut sandboxed = Vec::new();
    // The sandbox's two pids, and the host's fork's ("fork N", in either
    // order), which the caller kills once the case is over.
    let lines = if case.ending == Ending::KilledWhileAForkOfItLives { 2 } else { 1 };
    for _ in 0..lines {
        let mut line = String::new();
        from_host.read_line(&mut line).map_err(|e| format!("reading the host: {e}"))?;
        let numbers = line.split_whitespace().filter_map(|p| p.parse::<i32>().ok());
        if line.starts_with("fork ") {
            pids.extend(numbers);
        } else {
            sandboxed.extend(numbers);
            if sandboxed.len() != 2 {
                return Err(format!("the sandbox printed {line:?}, not two pids"));
            }
        }
    }
    pids.extend(&sandboxed);
    let pids = &sandboxed;
    if case.ending == Ending::KilledAfterItsGuardianWasReplaced {
        let first = stop_the_guardian()?;
        // SAFETY: kill with integer arguments, to the guardian found above.
        unsafe { libc::kill(first, libc::SIGKILL) };
        // Gone, its socket closed, before the host's next spawn looks.
        // SAFETY: waitpid on our own child, the status not kept.
        unsafe { libc::waitpid(first, std::ptr::null_mut(), 0) };
        writeln!(host.stdin.take().expect("piped stdin"), "go").map_err(|e| format!("telling the host: {e}"))?;
        let mut word = String::new();
        from_host.read_line(&mut word).map_err(|e| format!("reading the host's word: {e}"))?;
        if word != "replaced\n" {
            return Err(format!("the host said {word:?} after its later run"));
        }
    }
    let stopped = if case.ending == Ending::KilledAndTheLeaderLeaves { Some(stop_the_guardian()?) } else { None };
    if case.ending != Ending::ExitsWithoutWaiting {
        host.kill().map_err(|e| format!("killing the host: {e}"))?;
    }
    let status = host.wait().map_err(|e| format!("waiting for the host: {e}"))?;
    if let Some(guardian) = stopped {
        // The leader sees its parent change, exits, and is reaped here
        // (we are its new parent) while the guardian cannot act.
        let deadline = Instant::now() + LIMIT;
        while alive(pids[0]) && Instant::now() < deadline {
            reap_zombies();
            std::thread::sleep(Duration::from_millis(5));
        }
        reap_zombies();
        let leader_reaped = !Path::new(&format!("/proc/{}", pids[0])).exists();
        let member_runs = alive(pids[1]);
        // SAFETY: kill with integer arguments, to the guardian found above.
        unsafe { libc::kill(guardian, libc::SIGCONT) };
        if !leader_reaped || !member_runs {
            return Err(format!(
                "no race made: leader reaped {leader_reaped}, the rest of its group runs {member_runs}"
            ));
        }
    }
    if case.ending == Ending::ExitsWithoutWaiting && !status.success() {
        return Err(format!("the host failed: {status}"));
    }
    let deadline = Instant::now() + LIMIT;
    while Instant::now() < deadline && (pids.iter().any(|&pid| alive(pid)) || guardian_alive()) {
        reap_zombies();
        std::thread::sleep(Duration::from_millis(20));
    }
    reap_zombies();
    let survivors: Vec<i32> = pids.iter().copied().filter(|&pid| alive(pid)).collect();
    if !survivors.is_empty() {
        return Err(format!("sandbox processes {survivors:?} still ran {LIMIT:?} after their host was gone"));
    }
    if guardian_alive() {
        return Err("the guardian still ran after it had killed the sandbox".into());
    }
    Ok(())
}

/// Stop the one guardian running (a child of ours, the subreaper), and
/// return its pid once it is stopped.
fn stop_the_guardian() -> Result<i32, String> {
    let guardians = guardians_of(std::process::id());
    let [guardian] = guardians[..] else {
        return Err(format!("guardians among this process's children: {guardians:?}, not one"));
    };
    let guardian = guardian as i32;
    // SAFETY: kill with integer arguments, to our own child.
    unsafe { libc::kill(guardian, libc::SIGSTOP) };
    let deadline = Instant::now() + LIMIT;
    while Instant::now() < deadline {
        if stat_of(guardian as u32).is_some_and(|(state, _, _)| state == 'T') {
            return Ok(guardian);
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    Err("the guardian did not stop".into())
}

/// True while `pid` runs (not a zombie, not gone).
fn alive(pid: i32) -> bool {
    running(pid as u32)
}

/// True while a guardian runs among this process's children: a host's
/// guardian leaves the host's children for ours, the subreaper's.
fn guardian_alive() -> bool {
    guardian_among_children_of(std::process::id())
}

fn guardian_among_children_of(parent: u32) -> bool {
    !guardians_of(parent).is_empty()
}

fn reap_zombies() {
    // SAFETY: waitpid with a null status pointer and WNOHANG reaps any
    // child that has ended; this process only has the cases' processes.
    while unsafe { libc::waitpid(-1, std::ptr::null_mut(), libc::WNOHANG) } > 0 {}
}
