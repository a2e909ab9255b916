//! A host that forks without exec (a pre-fork server; Python's `os.fork`,
//! whose finalizers free every handle at exit) copies its running
//! sandboxes' handles into the new process. A copy dropped there killed the
//! parent's sandbox (the pidfd said the group was still held) and removed
//! its temporary directory; it must act on nothing.

mod common;

use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

use common::{policy, TempDir};
use sandlock_core::{ExitStatus, Sandbox, Stdin, Stdio, StdioOverrides};

fn mode_of(fd: &OwnedFd) -> u32 {
    nix::sys::stat::fstat(fd.as_raw_fd()).unwrap().st_mode & 0o7777
}

#[test]
fn a_handle_dropped_in_a_forked_process_leaves_the_run_alone() {
    let base = TempDir::new();
    std::env::set_var("TMPDIR", base.path());
    let sandbox = Sandbox::new(policy().private_tmp(true).build().unwrap()).unwrap();
    // A caller's pipe as its stdout, narrowed to writing while the run lasts.
    let mut ends = [0; 2];
    // SAFETY: pipe2 writes two new fds into `ends`.
    assert_eq!(unsafe { libc::pipe2(ends.as_mut_ptr(), libc::O_CLOEXEC) }, 0);
    // SAFETY: both are new fds owned by nobody else.
    let (read_end, write_end) = unsafe { (OwnedFd::from_raw_fd(ends[0]), OwnedFd::from_raw_fd(ends[1])) };
    let stdio = StdioOverrides { stdout: Some(Stdio::Fd(write_end)), ..Default::default() };
    let script = "sleep 1; test -d \"$TMPDIR\" && exit 7";
    let mut child = sandbox.spawn_with(&["/bin/sh", "-c", script], stdio).unwrap();
    // SAFETY: the forked process only drops the copied handle and leaves
    // with _exit, running no other code of this process.
    let pid = unsafe { libc::fork() };
    assert!(pid >= 0);
    if pid == 0 {
        drop(child);
        // SAFETY: ends the forked process without running destructors.
        unsafe { libc::_exit(0) };
    }
    let mut status = 0;
    // SAFETY: reaps the process forked above into a local.
    assert_eq!(unsafe { libc::waitpid(pid, &mut status, 0) }, pid);
    assert_eq!(mode_of(&read_end), 0o200, "the forked copy widened the caller's pipe while the run lasts");
    assert_eq!(child.wait().unwrap(), ExitStatus::Exited(7), "the run was disturbed by the forked copy");
    assert_eq!(mode_of(&read_end), 0o600, "the spawner puts the pipe's mode back");
    assert_eq!(std::fs::read_dir(base.path()).unwrap().count(), 0, "the spawner removes the directory");
}

/// Another thread running `/bin/true` in a sandbox until stopped.
struct Spawner {
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    thread: std::thread::JoinHandle<()>,
}

impl Spawner {
    fn start(sandbox: &std::sync::Arc<Sandbox>) -> Spawner {
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let (sandbox, stopped) = (sandbox.clone(), stop.clone());
        let thread = std::thread::spawn(move || {
            while !stopped.load(std::sync::atomic::Ordering::Relaxed) {
                sandbox.run(&["/bin/true"]).unwrap();
            }
        });
        Spawner { stop, thread }
    }

    fn stop(self) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        self.thread.join().unwrap();
    }
}

/// A fork while another thread spawns copied the guardian's lock as that
/// spawn held it (until its child exec'd): no thread of the new process
/// would ever release it, and the new process's first spawn waited for good
/// (a pre-fork server's worker, a `multiprocessing` child).
#[test]
fn a_process_forked_while_another_thread_spawns_can_spawn() {
    let sandbox = std::sync::Arc::new(Sandbox::new(policy().build().unwrap()).unwrap());
    let spawner = Spawner::start(&sandbox);
    for round in 0..40 {
        assert_eq!(status_of_a_run_in_a_fork(&sandbox), 0, "round {round}: status");
    }
    spawner.stop();
}

/// Fork, run `/bin/true` in `sandbox` in the new process, and give its wait
/// status: 0 when the run succeeded, `SIGALRM`'s when it hung.
fn status_of_a_run_in_a_fork(sandbox: &Sandbox) -> i32 {
    // SAFETY: the forked process runs one sandbox and leaves with _exit;
    // an alarm ends it if that run hangs.
    let pid = unsafe { libc::fork() };
    assert!(pid >= 0);
    if pid == 0 {
        // SAFETY: alarm and _exit have no preconditions.
        unsafe { libc::alarm(10) };
        let ok = sandbox.run(&["/bin/true"]).is_ok_and(|out| out.status.success());
        // SAFETY: as above.
        unsafe { libc::_exit(if ok { 0 } else { 1 }) };
    }
    let mut status = 0;
    // SAFETY: reaps the process forked above into a local.
    assert_eq!(unsafe { libc::waitpid(pid, &mut status, 0) }, pid);
    status
}

/// A fork while another thread made a sandbox's first run copied its filter
/// half built (a `OnceLock` whose maker was on that thread): the new
/// process's first run of that sandbox waited for it forever. The forks
/// land at each point of the first run, 20 µs apart.
#[test]
fn a_process_forked_while_a_first_run_builds_the_filter_can_run_that_sandbox() {
    for round in 0..40 {
        let sandbox = std::sync::Arc::new(Sandbox::new(policy().build().unwrap()).unwrap());
        let spawner = Spawner::start(&sandbox);
        std::thread::sleep(std::time::Duration::from_micros(20 * round));
        assert_eq!(status_of_a_run_in_a_fork(&sandbox), 0, "round {round}: status");
        spawner.stop();
    }
}

/// A fork while a run fed its stdin (`Stdin::Bytes`) copied the feeding
/// end: the child never saw its end of input while the copy lived (a
/// worker that lives for hours held the run for hours). The forked process
/// here lives until the run is over; the run must end first.
#[test]
fn a_process_forked_while_a_run_feeds_its_stdin_holds_up_nothing() {
    // More than the socket takes at once, read only after a pause: the feed
    // is under way when the host forks.
    let input = vec![b'x'; 1 << 20];
    let sandbox = Sandbox::new(policy().stdin(Stdin::Bytes(input)).build().unwrap()).unwrap();
    let run = std::thread::spawn(move || sandbox.run(&["/bin/sh", "-c", "sleep 0.3; wc -c"]).unwrap());
    std::thread::sleep(std::time::Duration::from_millis(100));
    // SAFETY: the forked process waits for a signal and leaves with _exit;
    // its alarm ends it if nobody kills it.
    let pid = unsafe { libc::fork() };
    assert!(pid >= 0);
    if pid == 0 {
        // SAFETY: alarm, pause and _exit have no preconditions.
        unsafe {
            libc::alarm(15);
            libc::pause();
            libc::_exit(0);
        }
    }
    let out = run.join().unwrap();
    let mut status = 0;
    // SAFETY: polls the process forked above into a local.
    let fork_was_alive = unsafe { libc::waitpid(pid, &mut status, libc::WNOHANG) } == 0;
    // SAFETY: kills and reaps that process.
    unsafe {
        libc::kill(pid, libc::SIGKILL);
        libc::waitpid(pid, &mut status, 0);
    }
    assert!(fork_was_alive, "the run ended only once the forked copy was gone");
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), (1 << 20).to_string(), "{out:?}");
}

/// The timer thread does not survive a fork: in a process forked after the
/// parent had started it, the timeouts of the runs it spawned never fired.
#[test]
fn timeouts_fire_in_a_process_forked_after_the_timer_started() {
    let sandbox = Sandbox::new(policy().timeout(std::time::Duration::from_millis(300)).build().unwrap()).unwrap();
    // The parent's timer thread, started by a spawn with a timeout.
    let mut first = sandbox.spawn(&["/bin/true"]).unwrap();
    first.wait().unwrap();
    // SAFETY: the forked process spawns one sandbox, looks at it, and leaves
    // with _exit; an alarm ends it if anything there hangs.
    let pid = unsafe { libc::fork() };
    assert!(pid >= 0);
    if pid == 0 {
        // SAFETY: alarm and _exit have no preconditions.
        unsafe { libc::alarm(20) };
        let child = sandbox.spawn(&["/bin/sleep", "30"]).unwrap();
        // Not waited for: only the timer thread can end it.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while common::running(child.pid()) && std::time::Instant::now() < deadline {
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        let killed = !common::running(child.pid());
        // SAFETY: as above.
        unsafe { libc::_exit(if killed { 0 } else { 1 }) };
    }
    let mut status = 0;
    // SAFETY: reaps the process forked above into a local.
    assert_eq!(unsafe { libc::waitpid(pid, &mut status, 0) }, pid);
    assert!(libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0, "the timeout never fired: status {status:#x}");
}

/// The write ends of pipes this process holds: a copy of a spawn's report
/// pipe or of its child's output end in another process keeps that run's
/// start, or its reader's end of file, waiting as long as the copy lives.
fn pipe_write_ends() -> Vec<i32> {
    let mut ends = Vec::new();
    for entry in std::fs::read_dir("/proc/self/fd").unwrap().flatten() {
        let Ok(fd) = entry.file_name().to_string_lossy().parse::<i32>() else { continue };
        // SAFETY: fstat and F_GETFL only read; a closed fd fails and is skipped.
        let (mut stat, flags) =
            (unsafe { std::mem::zeroed::<libc::stat>() }, unsafe { libc::fcntl(fd, libc::F_GETFL) });
        // SAFETY: as above, into a local stat.
        let is_fifo = unsafe { libc::fstat(fd, &mut stat) } == 0 && stat.st_mode & libc::S_IFMT == libc::S_IFIFO;
        if is_fifo && flags >= 0 && flags & libc::O_ACCMODE == libc::O_WRONLY {
            ends.push(fd);
        }
    }
    ends
}

/// A process the host forks while another thread spawns holds none of that
/// spawn's pipe ends (a worker that lived for 8 s held a run's start for
/// 8 s): glibc's fork waits until the spawn has closed them.
#[test]
fn a_process_forked_while_another_thread_spawns_holds_none_of_its_pipes() {
    let sandbox = std::sync::Arc::new(Sandbox::new(policy().build().unwrap()).unwrap());
    let before = pipe_write_ends();
    let spawner = Spawner::start(&sandbox);
    let mut held = 0;
    for _ in 0..200 {
        // SAFETY: the forked process lists its fds and leaves with _exit.
        let pid = unsafe { libc::fork() };
        assert!(pid >= 0);
        if pid == 0 {
            let copied = pipe_write_ends().iter().any(|fd| !before.contains(fd));
            // SAFETY: _exit has no preconditions.
            unsafe { libc::_exit(i32::from(copied)) };
        }
        let mut status = 0;
        // SAFETY: reaps the process forked above into a local.
        assert_eq!(unsafe { libc::waitpid(pid, &mut status, 0) }, pid);
        assert!(libc::WIFEXITED(status), "status {status:#x}");
        held += libc::WEXITSTATUS(status);
    }
    spawner.stop();
    assert_eq!(held, 0, "forks holding a spawn's pipe ends, of 200");
}
