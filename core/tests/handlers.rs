//! The handler API against real children under real policies: each test runs
//! one of the C programs in `tests/handler-programs/` (compiled once per test
//! process, statically, so that no dynamic loader opens files behind the
//! test's back) and asserts exactly what the child printed.

use std::ffi::OsString;
use std::os::fd::{FromRawFd, OwnedFd};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use sandlock_core::{
    AsyncHandler, DeferredReply, ExceptionPolicy, ExitStatus, HandlerCtx, HandlerFuture, HandlerKill, HandlerResult,
    InjectFlags, MemoryError, NotifAction, Notification, Policy, PolicyBuilder, RunOutput, Sandbox, SandlockError,
    Syscall, NATIVE_AUDIT_ARCH,
};

/// Upper bound for every run, so that a broken handler path fails the test
/// instead of hanging it.
const RUN_TIMEOUT: Duration = Duration::from_secs(10);

const PATH_MAX: usize = libc::PATH_MAX as usize;

/// Prefix of the per-process directory under `CARGO_TARGET_TMPDIR`.
const WORK_DIR_PREFIX: &str = "handlers-";

/// `handlers-<pid>/` holds `bin/` (the compiled programs, readable by every
/// policy below) and `data/` (files no policy grants unless a test says so).
fn work_dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let root = Path::new(env!("CARGO_TARGET_TMPDIR"));
        remove_dirs_of_finished_runs(root);
        let dir = root.join(format!("{WORK_DIR_PREFIX}{}", std::process::id()));
        std::fs::create_dir_all(dir.join("data")).expect("create the data directory");
        compile_programs(&dir.join("bin"));
        dir
    })
}

/// Earlier test processes cannot clean up after themselves (libtest has no
/// exit hook), so each run removes the directories of processes that are gone.
fn remove_dirs_of_finished_runs(root: &Path) {
    let Ok(entries) = std::fs::read_dir(root) else { return };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name.to_str().and_then(|n| n.strip_prefix(WORK_DIR_PREFIX)) else { continue };
        if !Path::new("/proc").join(pid).exists() {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

/// Compiles every `handler-programs/*.c` into `bin`, all at once.
fn compile_programs(bin: &Path) {
    std::fs::create_dir_all(bin).expect("create the program directory");
    let sources = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/handler-programs");
    let compilers: Vec<(PathBuf, std::process::Child)> = std::fs::read_dir(&sources)
        .expect("list tests/handler-programs")
        .map(|entry| entry.expect("read tests/handler-programs").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "c"))
        .map(|source| {
            let output = bin.join(source.file_stem().expect("a source file name"));
            let compiler = Command::new("cc")
                .args(["-O2", "-static", "-Wall", "-Wextra", "-Werror", "-o"])
                .arg(&output)
                .arg(&source)
                .spawn()
                .expect("start cc");
            (source, compiler)
        })
        .collect();
    for (source, mut compiler) in compilers {
        let status = compiler.wait().expect("wait for cc");
        assert!(status.success(), "cc failed on {}", source.display());
    }
}

fn program(name: &str) -> PathBuf {
    work_dir().join("bin").join(name)
}

/// A file with `content` in the data directory, which no policy grants.
fn data_file(name: &str, content: &str) -> PathBuf {
    let path = work_dir().join("data").join(name);
    std::fs::write(&path, content).expect("write a data file");
    path
}

/// What every sandbox here may do: run the test programs, nothing else.
fn policy() -> PolicyBuilder {
    Policy::builder().fs_read([work_dir().join("bin")]).timeout(RUN_TIMEOUT)
}

fn sandbox(policy: PolicyBuilder) -> Sandbox {
    Sandbox::new(policy.build().expect("a valid policy")).expect("a sandbox")
}

fn syscall(name: &str) -> Syscall {
    Syscall::from_name(name).expect("a syscall of this architecture")
}

fn run(sandbox: &Sandbox, program_name: &str, args: &[&str]) -> RunOutput {
    let mut argv: Vec<OsString> = vec![program(program_name).into()];
    argv.extend(args.iter().map(OsString::from));
    sandbox.run(&argv).expect("the sandboxed run")
}

/// The child exited with 0, printed exactly `stdout`, and was not timed out.
fn assert_printed(out: &RunOutput, stdout: &str) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(std::str::from_utf8(&out.stdout).expect("UTF-8 output"), stdout, "stderr: {stderr}");
    assert_eq!(out.status, ExitStatus::Exited(0), "stderr: {stderr}");
    assert!(!out.timed_out);
}

fn assert_killed(out: &RunOutput) {
    assert_eq!(out.status, ExitStatus::Signaled(libc::SIGKILL));
    assert_eq!(out.stdout, b"");
    assert!(!out.timed_out);
}

/// Unwinds like a panic, without the panic hook's report cluttering the test
/// log (the hook only runs for `panic!`, and the supervisor sees no difference).
fn handler_panic() -> ! {
    std::panic::resume_unwind(Box::new("handler failed on purpose"))
}

#[test]
fn errno_from_a_handler_reaches_the_child() {
    let sandbox = sandbox(policy())
        .add_handler(syscall("uname"), |_: &HandlerCtx| -> HandlerResult { Ok(NotifAction::Errno(libc::EACCES)) });
    assert_printed(&run(&sandbox, "uname_sysname", &[]), "EACCES\n");
}

/// Says it always answers EACCES; counts the calls that reach it anyway.
struct FixedEacces(Arc<AtomicUsize>);

impl sandlock_core::Handler for FixedEacces {
    fn handle(&self, _: &HandlerCtx<'_>) -> HandlerResult {
        self.0.fetch_add(1, Ordering::SeqCst);
        Ok(NotifAction::Errno(libc::EACCES))
    }

    fn fixed_errno(&self) -> Option<i32> {
        Some(libc::EACCES)
    }
}

#[test]
fn a_fixed_errno_is_answered_by_the_filter_without_a_round_trip() {
    let calls = Arc::new(AtomicUsize::new(0));
    let fixed = sandbox(policy()).add_handler(syscall("uname"), FixedEacces(Arc::clone(&calls)));
    for _ in 0..2 {
        assert_printed(&run(&fixed, "uname_sysname", &[]), "EACCES\n");
    }
    assert_eq!(calls.load(Ordering::SeqCst), 0, "the handler was called: the call went to the supervisor");
    // After a handler that decides by looking, the fixed one is reached.
    let looked_at = sandbox(policy())
        .add_handler(syscall("uname"), |_: &HandlerCtx| -> HandlerResult { Ok(NotifAction::Continue) })
        .add_handler(syscall("uname"), FixedEacces(Arc::clone(&calls)));
    assert_printed(&run(&looked_at, "uname_sysname", &[]), "EACCES\n");
    assert_eq!(calls.load(Ordering::SeqCst), 1);
}

#[test]
fn continue_lets_the_syscall_run() {
    let sandbox = sandbox(policy())
        .add_handler(syscall("uname"), |_: &HandlerCtx| -> HandlerResult { Ok(NotifAction::Continue) });
    assert_printed(&run(&sandbox, "uname_sysname", &[]), "Linux\n");
}

#[test]
fn user_openat_handler_runs_after_the_procfs_builtin() {
    let file = data_file("first-line.txt", "first line\nsecond line\n");
    let seen = Arc::new(Mutex::new(Vec::new()));
    let record = Arc::clone(&seen);
    let sandbox = sandbox(policy().fs_read([Path::new("/proc"), file.as_path()])).add_handler(
        syscall("openat"),
        move |ctx: &HandlerCtx| -> HandlerResult {
            record.lock().unwrap().push(ctx.read_cstr(ctx.args()[1], PATH_MAX)?);
            Ok(NotifAction::Continue)
        },
    );
    let file = file.to_str().expect("a UTF-8 path");
    let out = run(&sandbox, "open_first_line", &[file, "/proc/1/cmdline", "/proc/self/status"]);
    assert_printed(
        &out,
        &format!("{file}: first line\n/proc/1/cmdline: EACCES\n/proc/self/status: Name:\topen_first_line\n"),
    );
    // Both /proc opens were decided by the built-in, so the user handler never saw them.
    assert_eq!(*seen.lock().unwrap(), [file]);
}

#[test]
fn procfs_builtin_hides_foreign_pids_and_serves_the_own_one() {
    let sandbox = sandbox(policy().fs_read(["/proc"]));
    let out = run(&sandbox, "open_first_line", &["/proc/1/cmdline", "/proc/self/status"]);
    assert_printed(&out, "/proc/1/cmdline: EACCES\n/proc/self/status: Name:\topen_first_line\n");
}

/// Two handlers on `uname` that record their position in `order` before
/// answering `first` and `second`.
fn chain_of_two(order: &Arc<Mutex<Vec<u8>>>, first: fn() -> NotifAction, second: fn() -> NotifAction) -> Sandbox {
    let (order_1, order_2) = (Arc::clone(order), Arc::clone(order));
    sandbox(policy())
        .add_handler(syscall("uname"), move |_: &HandlerCtx| -> HandlerResult {
            order_1.lock().unwrap().push(1);
            Ok(first())
        })
        .add_handler(syscall("uname"), move |_: &HandlerCtx| -> HandlerResult {
            order_2.lock().unwrap().push(2);
            Ok(second())
        })
}

#[test]
fn chain_runs_in_registration_order_until_an_answer() {
    let order = Arc::new(Mutex::new(Vec::new()));
    let sandbox = chain_of_two(&order, || NotifAction::Continue, || NotifAction::Errno(libc::EACCES));
    assert_printed(&run(&sandbox, "uname_sysname", &["2"]), "EACCES\nEACCES\n");
    assert_eq!(*order.lock().unwrap(), [1, 2, 1, 2]);
}

#[test]
fn first_answer_in_the_chain_wins() {
    let order = Arc::new(Mutex::new(Vec::new()));
    let sandbox = chain_of_two(&order, || NotifAction::Errno(libc::EPERM), || NotifAction::Errno(libc::EACCES));
    assert_printed(&run(&sandbox, "uname_sysname", &["2"]), "EPERM\nEPERM\n");
    assert_eq!(*order.lock().unwrap(), [1, 1]);
}

/// Runs `getppid_print` in `sandbox` (plus a counting `getppid` handler) and
/// returns the fields of the refusal; the count proves no child ran.
fn refusal(sandbox: Sandbox) -> (&'static str, u32, &'static str) {
    let calls = Arc::new(AtomicUsize::new(0));
    let count = Arc::clone(&calls);
    let sandbox = sandbox.add_handler(syscall("getppid"), move |_: &HandlerCtx| -> HandlerResult {
        count.fetch_add(1, Ordering::SeqCst);
        Ok(NotifAction::Continue)
    });
    let result = sandbox.run(&[program("getppid_print")]);
    assert_eq!(calls.load(Ordering::SeqCst), 0);
    match result {
        Err(SandlockError::HandlerOnDeniedSyscall { name, nr, list }) => (name, nr, list),
        other => panic!("expected HandlerOnDeniedSyscall, got {other:?}"),
    }
}

fn continue_handler(_: &HandlerCtx) -> HandlerResult {
    Ok(NotifAction::Continue)
}

#[test]
fn handler_on_a_default_denied_syscall_is_refused() {
    let sandbox = sandbox(policy()).add_handler(syscall("mount"), continue_handler);
    assert_eq!(refusal(sandbox), ("mount", libc::SYS_mount as u32, "default deny list"));
}

#[test]
fn handler_on_a_policy_denied_syscall_is_refused() {
    let sandbox = sandbox(policy().deny_syscalls(["mremap"])).add_handler(syscall("mremap"), continue_handler);
    assert_eq!(refusal(sandbox), ("mremap", libc::SYS_mremap as u32, "policy deny list"));
}

#[test]
fn handler_outside_the_allowlist_is_refused() {
    let allowlist = policy().allow_only_syscalls(["getppid", "write", "exit_group"]);
    let sandbox = sandbox(allowlist).add_handler(syscall("uname"), continue_handler);
    assert_eq!(refusal(sandbox), ("uname", libc::SYS_uname as u32, "not in the policy allowlist"));
}

#[test]
fn handler_on_chmod_is_refused_for_a_uid0_child_only() {
    let as_root = sandbox(policy()).add_handler(syscall("fchmodat"), continue_handler);
    assert_eq!(refusal(as_root), ("fchmodat", libc::SYS_fchmodat as u32, "denied to a uid-0 child"));
    let unprivileged = sandbox(policy().uid(65534).gid(65534)).add_handler(syscall("fchmodat"), continue_handler);
    assert_printed(&run(&unprivileged, "getppid_print", &[]), &format!("{}\n", std::process::id()));
}

#[test]
fn handler_on_clone3_is_refused() {
    let sandbox = sandbox(policy()).add_handler(syscall("clone3"), continue_handler);
    assert_eq!(refusal(sandbox), ("clone3", libc::SYS_clone3 as u32, "clone3 always fails with ENOSYS"));
}

#[test]
fn syscall_constructors_reject_what_the_architecture_lacks() {
    assert!(matches!(Syscall::checked(-5), Err(SandlockError::UnknownSyscallNumber { nr: -5 })));
    assert!(matches!(Syscall::checked(100_000), Err(SandlockError::UnknownSyscallNumber { nr: 100_000 })));
    match Syscall::from_name("nope") {
        Err(SandlockError::UnknownSyscallName { name, suggestion: None }) => assert_eq!(name, "nope"),
        other => panic!("expected UnknownSyscallName, got {other:?}"),
    }
}

#[test]
fn return_value_replaces_the_syscall_result() {
    let sandbox = sandbox(policy())
        .add_handler(syscall("getppid"), |_: &HandlerCtx| -> HandlerResult { Ok(NotifAction::ReturnValue(777)) });
    assert_printed(&run(&sandbox, "getppid_print", &[]), "777\n");
}

#[test]
fn kill_reaches_every_process_of_the_sandbox_group() {
    // The grandchild makes the call; the leader dying proves the whole group got the signal.
    let sandbox = sandbox(policy()).add_handler(syscall("getppid"), |_: &HandlerCtx| -> HandlerResult {
        Ok(NotifAction::Kill { signal: libc::SIGKILL, pgid: 0 })
    });
    assert_killed(&run(&sandbox, "group_kill", &[]));
}

/// A kill with a stop signal ends nothing: the group waited stopped and
/// the run never returned (no timeout). It is refused; the handler's
/// exception policy answers.
#[test]
fn a_kill_with_a_stop_signal_is_refused() {
    for signal in [libc::SIGSTOP, libc::SIGTSTP, libc::SIGTTIN, libc::SIGTTOU] {
        let stop = move |_: &HandlerCtx| -> HandlerResult { Ok(NotifAction::Kill { signal, pgid: 0 }) };
        let sandbox = sandbox(policy()).add_handler_with_policy(syscall("getppid"), stop, ExceptionPolicy::DenyEperm);
        assert_printed(&run(&sandbox, "getppid_print", &[]), "EPERM\n");
    }
}

static SIGUSR1_RECEIVED: AtomicBool = AtomicBool::new(false);

extern "C" fn note_sigusr1(_: libc::c_int) {
    SIGUSR1_RECEIVED.store(true, Ordering::SeqCst);
}

#[test]
fn kill_of_the_supervisor_group_is_refused() {
    // SAFETY: a zeroed sigaction is valid (empty mask, no flags); the handler
    // only stores to an atomic, which is async-signal-safe.
    unsafe {
        let mut action: libc::sigaction = std::mem::zeroed();
        action.sa_sigaction = note_sigusr1 as extern "C" fn(libc::c_int) as libc::sighandler_t;
        assert_eq!(libc::sigaction(libc::SIGUSR1, &action, std::ptr::null_mut()), 0);
    }
    // SAFETY: getpgrp has no memory effects.
    let own_group = unsafe { libc::getpgrp() };
    let kill_own_group =
        move |_: &HandlerCtx| -> HandlerResult { Ok(NotifAction::Kill { signal: libc::SIGUSR1, pgid: own_group }) };

    let with_eperm =
        sandbox(policy()).add_handler_with_policy(syscall("getppid"), kill_own_group, ExceptionPolicy::DenyEperm);
    assert_printed(&run(&with_eperm, "getppid_print", &[]), "EPERM\n");
    // With the default exception policy the refused kill fails closed: the sandbox dies.
    let with_default = sandbox(policy()).add_handler(syscall("getppid"), kill_own_group);
    assert_killed(&run(&with_default, "getppid_print", &[]));

    assert!(!SIGUSR1_RECEIVED.load(Ordering::SeqCst));
}

#[test]
fn panicking_handler_kills_the_sandbox_by_default() {
    let sandbox =
        sandbox(policy()).add_handler(syscall("uname"), |_: &HandlerCtx| -> HandlerResult { handler_panic() });
    assert_killed(&run(&sandbox, "uname_sysname", &["2"]));
}

#[test]
fn panicking_handler_gets_its_policy_and_the_next_call_is_served() {
    let calls = AtomicUsize::new(0);
    let panic_once = move |_: &HandlerCtx| -> HandlerResult {
        if calls.fetch_add(1, Ordering::SeqCst) == 0 {
            handler_panic();
        }
        Ok(NotifAction::Continue)
    };
    let sandbox = sandbox(policy()).add_handler_with_policy(syscall("uname"), panic_once, ExceptionPolicy::DenyEperm);
    assert_printed(&run(&sandbox, "uname_sysname", &["2"]), "EPERM\nLinux\n");
}

fn failing_handler(_: &HandlerCtx) -> HandlerResult {
    Err("handler failed on purpose".into())
}

#[test]
fn failing_handler_with_deny_eio_answers_eio() {
    let sandbox =
        sandbox(policy()).add_handler_with_policy(syscall("uname"), failing_handler, ExceptionPolicy::DenyEio);
    assert_printed(&run(&sandbox, "uname_sysname", &[]), "EIO\n");
}

#[test]
fn failing_handler_with_continue_lets_the_syscall_run() {
    let sandbox =
        sandbox(policy()).add_handler_with_policy(syscall("uname"), failing_handler, ExceptionPolicy::Continue);
    assert_printed(&run(&sandbox, "uname_sysname", &[]), "Linux\n");
}

#[test]
fn read_cstr_and_read_mem_see_the_path_the_child_passed() {
    let path = "/no such dir/sandlock test";
    let seen = Arc::new(Mutex::new(Vec::new()));
    let record = Arc::clone(&seen);
    let sandbox = sandbox(policy()).add_handler(syscall("openat"), move |ctx: &HandlerCtx| -> HandlerResult {
        let text = ctx.read_cstr(ctx.args()[1], PATH_MAX)?;
        let mut raw = vec![0; text.len() + 1];
        ctx.read_mem(ctx.args()[1], &mut raw)?;
        record.lock().unwrap().push((text, raw));
        Ok(NotifAction::Continue)
    });
    assert_printed(&run(&sandbox, "open_first_line", &[path]), &format!("{path}: ENOENT\n"));
    assert_eq!(*seen.lock().unwrap(), [(path.to_string(), b"/no such dir/sandlock test\0".to_vec())]);
}

#[test]
fn write_mem_changes_what_the_child_sees() {
    let sandbox = sandbox(policy()).add_handler(syscall("uname"), |ctx: &HandlerCtx| -> HandlerResult {
        // `sysname` is the first field of `struct utsname`.
        ctx.write_mem(ctx.args()[0], b"sandlock-os\0")?;
        Ok(NotifAction::ReturnValue(0))
    });
    assert_printed(&run(&sandbox, "uname_sysname", &[]), "sandlock-os\n");
}

/// Kills the process behind `ctx` and waits until the kernel has taken it out
/// of the syscall; true if that happened within two seconds.
fn kill_and_wait_until_stale(ctx: &HandlerCtx) -> bool {
    let pid = ctx.pid() as libc::pid_t;
    // SAFETY: kill has no memory effects; the child cannot be reaped (and its
    // pid reused) while it still waits on this notification.
    unsafe { libc::kill(pid, libc::SIGKILL) };
    let deadline = Instant::now() + Duration::from_secs(2);
    while ctx.is_valid() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(1));
    }
    !ctx.is_valid()
}

#[test]
fn memory_access_after_the_child_left_the_syscall_is_stale() {
    let observed = Arc::new(Mutex::new(None));
    let record = Arc::clone(&observed);
    let sandbox = sandbox(policy()).add_handler(syscall("uname"), move |ctx: &HandlerCtx| -> HandlerResult {
        let valid_while_waiting = ctx.is_valid();
        let left = kill_and_wait_until_stale(ctx);
        let read = ctx.read_mem(ctx.args()[0], &mut [0; 8]);
        let write = ctx.write_mem(ctx.args()[0], b"x\0");
        let cstr = ctx.read_cstr(ctx.args()[0], PATH_MAX);
        *record.lock().unwrap() = Some((
            valid_while_waiting,
            left,
            matches!(read, Err(MemoryError::Stale)),
            matches!(write, Err(MemoryError::Stale)),
            matches!(cstr, Err(MemoryError::Stale)),
        ));
        Ok(NotifAction::Errno(libc::EACCES))
    });
    assert_killed(&run(&sandbox, "uname_sysname", &[]));
    assert_eq!(*observed.lock().unwrap(), Some((true, true, true, true, true)));
}

#[test]
fn memory_access_after_the_call_was_answered_is_stale() {
    let observed = Arc::new(Mutex::new(None));
    let record = Arc::clone(&observed);
    let sandbox = sandbox(policy()).add_handler(syscall("uname"), move |ctx: &HandlerCtx| -> HandlerResult {
        // Answer first through a deferred reply, then touch the child's memory.
        let replied = ctx.defer().reply(NotifAction::Errno(libc::EACCES));
        let read = ctx.read_mem(ctx.args()[0], &mut [0; 8]);
        *record.lock().unwrap() = Some((replied, ctx.is_valid(), matches!(read, Err(MemoryError::Stale))));
        Ok(NotifAction::Hold)
    });
    assert_printed(&run(&sandbox, "uname_sysname", &[]), "EACCES\n");
    assert_eq!(*observed.lock().unwrap(), Some((true, false, true)));
}

#[test]
fn deferred_reply_after_the_child_died_returns_false() {
    let held: Arc<Mutex<Option<(u64, bool, DeferredReply)>>> = Arc::new(Mutex::new(None));
    let keep = Arc::clone(&held);
    let sandbox = sandbox(policy()).add_handler(syscall("getppid"), move |ctx: &HandlerCtx| -> HandlerResult {
        let reply = ctx.defer();
        let left = kill_and_wait_until_stale(ctx);
        *keep.lock().unwrap() = Some((ctx.id(), left, reply));
        Ok(NotifAction::Hold)
    });
    assert_killed(&run(&sandbox, "getppid_print", &[]));
    let (id, left, reply) = held.lock().unwrap().take().expect("the handler ran");
    assert!(left);
    assert_eq!(reply.id(), id);
    assert!(!reply.reply(NotifAction::ReturnValue(0)));
}

/// The path the child opens to get an injected fd.
const VIRTUAL_PATH: &str = "/sandlock/virtual";

/// An `openat` handler that answers [`VIRTUAL_PATH`] with `inject()` and lets
/// every other open run.
fn inject_on_virtual_path(
    inject: impl Fn() -> NotifAction + Send + Sync + 'static,
) -> impl Fn(&HandlerCtx) -> HandlerResult + Send + Sync + 'static {
    move |ctx: &HandlerCtx| -> HandlerResult {
        if ctx.read_cstr(ctx.args()[1], PATH_MAX)? == VIRTUAL_PATH {
            return Ok(inject());
        }
        Ok(NotifAction::Continue)
    }
}

#[test]
fn injected_fd_is_a_working_fd_in_the_child() {
    // The file lies outside the policy: only the injection lets the child read it.
    let file = data_file("injected.txt", "opened by the supervisor\n");
    let source = file.clone();
    let handler = inject_on_virtual_path(move || {
        let opened = std::fs::File::open(&source).expect("open the file to inject");
        NotifAction::InjectFdSend { srcfd: OwnedFd::from(opened), newfd_flags: libc::O_CLOEXEC as u32 }
    });
    let sandbox = sandbox(policy()).add_handler(syscall("openat"), handler);
    let file = file.to_str().expect("a UTF-8 path");
    let out = run(&sandbox, "open_first_line", &[VIRTUAL_PATH, file]);
    assert_printed(&out, &format!("{VIRTUAL_PATH}: opened by the supervisor\n{file}: EACCES\n"));
}

#[test]
fn injected_bytes_are_readable_and_sealed() {
    let handler =
        inject_on_virtual_path(|| NotifAction::inject_bytes(b"hello", InjectFlags::default()).expect("a sealed memfd"));
    let sandbox = sandbox(policy()).add_handler(syscall("openat"), handler);
    assert_printed(&run(&sandbox, "read_then_write", &[VIRTUAL_PATH]), "content: hello\nwrite: EPERM\n");
}

fn fd_is_open(fd: libc::c_int) -> bool {
    // SAFETY: F_GETFD only reads the fd's flags.
    unsafe { libc::fcntl(fd, libc::F_GETFD) >= 0 }
}

#[test]
fn injecting_a_stdio_fd_is_refused_and_leaves_it_open() {
    let handler = |ctx: &HandlerCtx| -> HandlerResult {
        let path = ctx.read_cstr(ctx.args()[1], PATH_MAX)?;
        let Some(fd) = path.strip_prefix("/sandlock/fd").and_then(|n| n.parse::<libc::c_int>().ok()) else {
            return Ok(NotifAction::Continue);
        };
        // SAFETY: this wraps one of the test process's stdio fds, which the
        // supervisor must refuse and release without closing; the assertions
        // below check that it did.
        let srcfd = unsafe { OwnedFd::from_raw_fd(fd) };
        Ok(NotifAction::InjectFdSend { srcfd, newfd_flags: 0 })
    };
    let sandbox = sandbox(policy()).add_handler_with_policy(syscall("openat"), handler, ExceptionPolicy::DenyEperm);
    let out = run(&sandbox, "open_first_line", &["/sandlock/fd0", "/sandlock/fd1", "/sandlock/fd2"]);
    assert_printed(&out, "/sandlock/fd0: EPERM\n/sandlock/fd1: EPERM\n/sandlock/fd2: EPERM\n");
    assert_eq!([0, 1, 2].map(fd_is_open), [true, true, true]);
}

/// A new Landlock ruleset (of some other policy), as a caller's own fd.
fn another_ruleset() -> OwnedFd {
    #[repr(C)]
    struct RulesetAttr {
        handled_access_fs: u64,
    }
    let attr = RulesetAttr { handled_access_fs: 1 };
    // SAFETY: landlock_create_ruleset reads `size_of::<RulesetAttr>()`
    // bytes of `attr` and returns a new fd.
    let fd = unsafe {
        libc::syscall(
            libc::SYS_landlock_create_ruleset,
            &attr as *const RulesetAttr,
            std::mem::size_of::<RulesetAttr>(),
            0,
        )
    };
    assert!(fd >= 0, "landlock_create_ruleset: {}", std::io::Error::last_os_error());
    // SAFETY: a new fd that nothing else owns.
    unsafe { OwnedFd::from_raw_fd(fd as libc::c_int) }
}

/// A handler may not give the child what confines it, under another
/// number: a copy of the listener would let it answer its own calls, a
/// ruleset (its policy's or any other) add rules a later run applies, the
/// supervisor's `/proc/self/mem` rewrite the supervisor.
#[test]
fn what_confines_or_exposes_the_supervisor_is_never_injected() {
    let handler = |ctx: &HandlerCtx| -> HandlerResult {
        let srcfd = match ctx.read_cstr(ctx.args()[1], PATH_MAX)?.as_str() {
            "/sandlock/listener" => ctx.listener_fd().try_clone_to_owned().expect("a copy of the listener"),
            "/sandlock/ruleset" => another_ruleset(),
            "/sandlock/mem" => {
                OwnedFd::from(std::fs::OpenOptions::new().read(true).write(true).open("/proc/self/mem").unwrap())
            }
            "/sandlock/thread-environ" => OwnedFd::from(std::fs::File::open("/proc/thread-self/environ").unwrap()),
            _ => return Ok(NotifAction::Continue),
        };
        Ok(NotifAction::InjectFdSend { srcfd, newfd_flags: 0 })
    };
    let sandbox = sandbox(policy()).add_handler_with_policy(syscall("openat"), handler, ExceptionPolicy::DenyEperm);
    let paths = ["/sandlock/listener", "/sandlock/ruleset", "/sandlock/mem", "/sandlock/thread-environ"];
    let out = run(&sandbox, "open_first_line", &paths);
    assert_printed(&out, &paths.map(|path| format!("{path}: EPERM\n")).concat());
}

#[test]
fn held_call_is_answered_by_a_deferred_reply() {
    let replier: Arc<Mutex<Option<JoinHandle<bool>>>> = Arc::new(Mutex::new(None));
    let keep = Arc::clone(&replier);
    let sandbox = sandbox(policy()).add_handler(syscall("getppid"), move |ctx: &HandlerCtx| -> HandlerResult {
        let reply = ctx.defer();
        let thread = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(100));
            reply.reply(NotifAction::ReturnValue(42))
        });
        *keep.lock().unwrap() = Some(thread);
        Ok(NotifAction::Hold)
    });
    let started = Instant::now();
    assert_printed(&run(&sandbox, "getppid_print", &[]), "42\n");
    assert!(started.elapsed() >= Duration::from_millis(100));
    let thread = replier.lock().unwrap().take().expect("the handler ran");
    assert!(thread.join().expect("the replying thread"));
}

#[test]
fn held_call_without_a_reply_ends_at_the_policy_timeout() {
    let sandbox = sandbox(policy().timeout(Duration::from_millis(300)))
        .add_handler(syscall("getppid"), |_: &HandlerCtx| -> HandlerResult { Ok(NotifAction::Hold) });
    let started = Instant::now();
    let out = run(&sandbox, "getppid_print", &[]);
    assert!(started.elapsed() < Duration::from_secs(3), "took {:?}", started.elapsed());
    assert!(out.timed_out);
    assert_eq!(out.status, ExitStatus::Signaled(libc::SIGKILL));
    assert_eq!(out.stdout, b"");
}

#[test]
fn two_receiver_threads_serve_two_calls_at_once() {
    let in_flight = Arc::new(AtomicUsize::new(0));
    let most_at_once = Arc::new(AtomicUsize::new(0));
    let (in_flight_h, most_at_once_h) = (Arc::clone(&in_flight), Arc::clone(&most_at_once));
    let wait_for_company = move |_: &HandlerCtx| -> HandlerResult {
        let now = in_flight_h.fetch_add(1, Ordering::SeqCst) + 1;
        most_at_once_h.fetch_max(now, Ordering::SeqCst);
        // Stay inside the handler until the other call arrives (or give up),
        // so that one receiving thread alone would never see two at once.
        let deadline = Instant::now() + Duration::from_secs(2);
        while most_at_once_h.load(Ordering::SeqCst) < 2 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(1));
        }
        in_flight_h.fetch_sub(1, Ordering::SeqCst);
        Ok(NotifAction::ReturnValue(7))
    };
    let sandbox = sandbox(policy()).receiver_threads(2).add_handler(syscall("getppid"), wait_for_company);
    assert_printed(&run(&sandbox, "two_callers", &[]), "child 7\nparent 7\n");
    assert_eq!(most_at_once.load(Ordering::SeqCst), 2);
    assert_eq!(in_flight.load(Ordering::SeqCst), 0);
}

/// Answers with 99 after a tokio timer, so it only finishes if the runtime's
/// timer is driven.
struct ReturnAfterSleep;

impl AsyncHandler for ReturnAfterSleep {
    fn handle<'a>(&'a self, _: &'a HandlerCtx<'a>) -> HandlerFuture<'a> {
        Box::pin(async {
            tokio::time::sleep(Duration::from_millis(10)).await;
            Ok(NotifAction::ReturnValue(99))
        })
    }
}

#[test]
fn async_handler_is_driven_on_the_given_runtime() {
    // A current-thread runtime (the dev-dependency lacks rt-multi-thread): its
    // timers advance only while this thread sits in `Runtime::block_on`, so
    // the run itself goes to the blocking pool.
    let runtime = tokio::runtime::Builder::new_current_thread().enable_time().build().expect("a tokio runtime");
    let sandbox = sandbox(policy()).add_async_handler(syscall("getppid"), ReturnAfterSleep, runtime.handle().clone());
    let blocking_run = runtime.spawn_blocking(move || run(&sandbox, "getppid_print", &[]));
    let out = runtime.block_on(blocking_run).expect("the blocking run");
    assert_printed(&out, "99\n");
}

#[test]
fn context_describes_the_trapped_call() {
    let seen = Arc::new(Mutex::new(None));
    let record = Arc::clone(&seen);
    let sandbox = sandbox(policy()).add_handler(syscall("getppid"), move |ctx: &HandlerCtx| -> HandlerResult {
        let accessors = Notification {
            id: ctx.id(),
            pid: ctx.pid(),
            flags: ctx.notification().flags,
            syscall_nr: ctx.syscall_nr(),
            arch: ctx.arch(),
            instruction_pointer: ctx.instruction_pointer(),
            args: *ctx.args(),
        };
        *record.lock().unwrap() = Some((*ctx.notification(), accessors, ctx.sandbox_pgid()));
        // Answering with the pid lets the child confirm it from its side.
        Ok(NotifAction::ReturnValue(i64::from(ctx.pid())))
    });
    let out = run(&sandbox, "pid_and_ppid", &[]);
    let (notif, accessors, sandbox_pgid) = seen.lock().unwrap().expect("the handler ran");
    let pid = notif.pid;
    assert_printed(&out, &format!("{pid} {pid}\n"));
    assert_eq!(accessors, notif);
    assert_eq!(notif.arch, NATIVE_AUDIT_ARCH);
    assert_eq!(i64::from(notif.syscall_nr), libc::SYS_getppid);
    // A single-process child is the leader of its own group.
    assert_eq!(i64::from(pid), i64::from(sandbox_pgid));
    assert_ne!(notif.instruction_pointer, 0);
}

/// A handler on execve must answer before the program starts, so the child
/// is started with a plain fork (the supervisor runs before the exec).
#[test]
fn exec_handler_sees_the_program_path_and_can_deny_it() {
    let target = program("getppid_print");
    let seen = Arc::new(Mutex::new(Vec::new()));
    let record = Arc::clone(&seen);
    let audit = Sandbox::new(policy().build().expect("policy")).expect("sandbox").add_handler(
        syscall("execve"),
        move |ctx: &HandlerCtx| -> HandlerResult {
            record.lock().unwrap().push(ctx.read_cstr(ctx.args()[0], PATH_MAX)?);
            Ok(NotifAction::Continue)
        },
    );
    let out = audit.run(&[target.as_os_str()]).expect("run");
    assert_eq!(*seen.lock().unwrap(), vec![target.to_str().unwrap().to_string()]);
    assert_eq!(out.status, ExitStatus::Exited(0));

    let deny = Sandbox::new(policy().build().expect("policy"))
        .expect("sandbox")
        .add_handler(syscall("execve"), |_: &HandlerCtx| -> HandlerResult { Ok(NotifAction::Errno(libc::EACCES)) });
    match deny.run(&[target.as_os_str()]) {
        Err(SandlockError::Spawn { stage: sandlock_core::SpawnStage::Exec, source }) => {
            assert_eq!(source.raw_os_error(), Some(libc::EACCES))
        }
        other => panic!("expected an exec failure, got {other:?}"),
    }
}

/// Handlers on every syscall the child makes after its filter is installed
/// (the listener hand-off, close, exec) must not deadlock the spawn.
#[test]
fn handlers_on_the_spawn_sequence_syscalls_do_not_deadlock() {
    let seen: Arc<Mutex<Vec<&'static str>>> = Arc::new(Mutex::new(Vec::new()));
    let mut sandbox = sandbox(policy());
    for name in ["sendmsg", "close", "sched_yield", "execve"] {
        let record = Arc::clone(&seen);
        sandbox = sandbox.add_handler(syscall(name), move |_: &HandlerCtx| -> HandlerResult {
            record.lock().unwrap().push(name);
            Ok(NotifAction::Continue)
        });
    }
    let out = run(&sandbox, "sendmsg_pair", &[]);
    assert_printed(&out, "received x\n");
    let seen = seen.lock().unwrap();
    let count = |name| seen.iter().filter(|n| **n == name).count();
    // The program's own calls only: the listener hand-off makes no syscall.
    assert_eq!((count("sendmsg"), count("execve")), (1, 1), "trapped: {seen:?}");
}

/// A sandbox whose getppid handler takes `busy` and then records that it
/// finished; the child is killed by a 200 ms timeout while it waits.
fn slow_handler_sandbox(grace: Option<Duration>, busy: Duration, finished: &Arc<AtomicBool>) -> Sandbox {
    // Long enough for a loaded machine to reach the handler before it.
    let mut builder = policy().timeout(Duration::from_secs(1));
    if let Some(grace) = grace {
        builder = builder.handler_grace(grace);
    }
    let finished = Arc::clone(finished);
    sandbox(builder).add_handler(syscall("getppid"), move |_: &HandlerCtx| -> HandlerResult {
        std::thread::sleep(busy);
        finished.store(true, Ordering::SeqCst);
        Ok(NotifAction::Continue)
    })
}

/// After a run ends, it waits up to the policy's handler grace for a
/// callback still running (the default waits out a short one) and no
/// longer: with no grace it returns while the callback is still inside.
#[test]
fn a_run_waits_for_a_stuck_handler_only_as_long_as_the_grace() {
    let finished = Arc::new(AtomicBool::new(false));
    let out = run(&slow_handler_sandbox(None, Duration::from_millis(1600), &finished), "getppid_print", &[]);
    assert!(out.timed_out);
    assert!(finished.load(Ordering::SeqCst), "the default grace did not wait for a 1.6 s callback");

    let finished = Arc::new(AtomicBool::new(false));
    let out = run(&slow_handler_sandbox(Some(Duration::ZERO), Duration::from_secs(3), &finished), "getppid_print", &[]);
    assert!(out.timed_out);
    assert!(!finished.load(Ordering::SeqCst), "a run with no grace waited for the callback");
    let deadline = Instant::now() + Duration::from_secs(10);
    while !finished.load(Ordering::SeqCst) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(finished.load(Ordering::SeqCst), "the callback never finished on its own");
}

/// The run says when a handler ended it, at which syscall, and whether by
/// its exception policy or by a kill it chose.
#[test]
fn the_run_names_the_handler_kill_that_ended_it() {
    let failing =
        sandbox(policy()).add_handler(syscall("uname"), |_: &HandlerCtx| -> HandlerResult { handler_panic() });
    let out = run(&failing, "uname_sysname", &["2"]);
    assert_eq!(
        out.handler_kill,
        Some(HandlerKill { syscall: syscall("uname"), exception: true, signal: libc::SIGKILL })
    );
    let killing = sandbox(policy()).add_handler(syscall("uname"), |_: &HandlerCtx| -> HandlerResult {
        Ok(NotifAction::Kill { signal: libc::SIGKILL, pgid: 0 })
    });
    let out = run(&killing, "uname_sysname", &["2"]);
    assert_eq!(
        out.handler_kill,
        Some(HandlerKill { syscall: syscall("uname"), exception: false, signal: libc::SIGKILL })
    );
    // Any signal counts: a handler's SIGTERM ends the sandbox as well.
    let terminating = sandbox(policy()).add_handler(syscall("uname"), |_: &HandlerCtx| -> HandlerResult {
        Ok(NotifAction::Kill { signal: libc::SIGTERM, pgid: 0 })
    });
    let out = run(&terminating, "uname_sysname", &["2"]);
    assert_eq!(out.status, ExitStatus::Signaled(libc::SIGTERM));
    assert_eq!(
        out.handler_kill,
        Some(HandlerKill { syscall: syscall("uname"), exception: false, signal: libc::SIGTERM })
    );
    let denying = sandbox(policy())
        .add_handler(syscall("uname"), |_: &HandlerCtx| -> HandlerResult { Ok(NotifAction::Errno(libc::EPERM)) });
    assert_eq!(run(&denying, "uname_sysname", &["2"]).handler_kill, None);
}
