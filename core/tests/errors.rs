//! Errors that say what to do: each message a user sees, asserted exactly.

mod common;

use std::fs;
use std::os::unix::fs::PermissionsExt;

use common::{policy, sandbox, TempDir, NOBODY};
use sandlock_core::{Policy, SandlockError};

#[test]
fn a_named_sandbox_names_its_run_in_every_error() {
    let named = sandbox(policy()).with_name("job-42");
    let err = named.run(&["/nonexistent/program"]).unwrap_err();
    assert_eq!(err.to_string(), "run \"job-42\": program \"/nonexistent/program\" not found");
    assert!(matches!(err.inner(), SandlockError::ExecNotFound { program } if program == "/nonexistent/program"));
    let err = named.spawn(&["/nonexistent/program"]).err().unwrap();
    assert_eq!(err.to_string(), "run \"job-42\": program \"/nonexistent/program\" not found");
    let err = named.run_interactive(&["/nonexistent/program"]).unwrap_err();
    assert_eq!(err.to_string(), "run \"job-42\": program \"/nonexistent/program\" not found");
    // Without a name the message is the error's own.
    let err = sandbox(policy()).run(&["/nonexistent/program"]).unwrap_err();
    assert_eq!(err.to_string(), "program \"/nonexistent/program\" not found");
}

/// The message of the error a run of `argv` under `policy` fails with.
fn run_error(policy: sandlock_core::PolicyBuilder, argv: &[&str]) -> String {
    sandbox(policy).run(argv).expect_err("the run fails").to_string()
}

#[test]
fn an_exec_the_sandbox_refuses_names_the_file_and_the_cause() {
    let dir = TempDir::new_public();
    let script = dir.file_with_mode("job", "#!/bin/sh\necho hi\n", 0o755);
    // The program itself under no rule.
    assert_eq!(
        run_error(policy(), &[&script]),
        format!("cannot execute {script:?}: it is not under any fs_read or fs_write path")
    );
    // Its #! interpreter under no rule.
    let only_dir = Policy::builder().fs_read([dir.path()]);
    assert_eq!(
        run_error(only_dir.clone(), &[&script]),
        format!("cannot execute {script:?}: its #! interpreter \"/bin/sh\" is not under any fs_read or fs_write path")
    );
    // Its ELF interpreter under no rule.
    let copy = dir.file("true");
    fs::copy("/bin/true", &copy).unwrap();
    let loader =
        if cfg!(target_arch = "x86_64") { "/lib64/ld-linux-x86-64.so.2" } else { "/lib/ld-linux-aarch64.so.1" };
    assert_eq!(
        run_error(only_dir, &[&copy]),
        format!("cannot execute {copy:?}: its ELF interpreter {loader:?} is not under any fs_read or fs_write path")
    );
    // Not executable, not a regular file.
    let text = dir.file_with_mode("notes", "#!/bin/sh\n", 0o644);
    let granted = policy().fs_read([dir.path()]);
    assert_eq!(
        run_error(granted.clone(), &[&text]),
        format!("cannot execute {text:?}: it is not executable (mode 0644)")
    );
    let sub = dir.path().join("subdir");
    fs::create_dir(&sub).unwrap();
    let sub = sub.to_str().unwrap();
    assert_eq!(run_error(granted, &[sub]), format!("cannot execute {sub:?}: it is not a regular file"));
    // With the run's name in front.
    let named = sandbox(policy()).with_name("job-42");
    assert_eq!(
        named.run(&[&script]).unwrap_err().to_string(),
        format!("run \"job-42\": cannot execute {script:?}: it is not under any fs_read or fs_write path")
    );
}

#[test]
fn an_exec_the_kernel_refuses_for_the_uid_names_the_directory_that_keeps_it_out() {
    // Readable by the rules, but a 0700 root directory keeps uid 65534 out.
    let dir = TempDir::new();
    fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o700)).unwrap();
    let script = dir.file_with_mode("job", "#!/bin/sh\necho hi\n", 0o755);
    let nobody = policy().fs_read([dir.path()]).uid(NOBODY).gid(NOBODY);
    let shown = dir.path().canonicalize().unwrap();
    assert_eq!(
        run_error(nobody, &[&script]),
        format!("cannot execute {script:?}: it cannot be reached by uid 65534: {shown:?} (owner 0, group 0, mode 0700) denies it")
    );
}

#[test]
fn a_switch_an_unprivileged_caller_cannot_make_says_what_it_needs() {
    common::as_unprivileged_caller("a_switch_an_unprivileged_caller_cannot_make_says_what_it_needs", &[], || {
        let build = |b: sandlock_core::PolicyBuilder| b.fs_read(common::system_read_paths()).build();
        assert_eq!(
            build(Policy::builder().uid(0)).unwrap_err().to_string(),
            "switching the child to uid 0 needs CAP_SETUID, which this process lacks (run as root, or set no uid and \
             the child keeps uid 65534)"
        );
        assert_eq!(
            build(Policy::builder().gid(0)).unwrap_err().to_string(),
            "switching the child to gid 0 needs CAP_SETGID, which this process lacks (run as root, or set no gid and \
             the child keeps gid 65534)"
        );
        assert_eq!(
            build(Policy::builder().private_shm(true).uid(1234)).unwrap_err().to_string(),
            "switching the child to uid 1234 with a private /dev/shm needs CAP_SYS_ADMIN, which this process lacks \
             (without it the child's user namespace maps only uid 65534)"
        );
        assert!(matches!(build(Policy::builder().uid(0)), Err(SandlockError::NeedsPrivilege { .. })));
        // The ids it already has work without privilege.
        let own = build(Policy::builder().uid(NOBODY).gid(NOBODY)).unwrap();
        let out = sandlock_core::Sandbox::new(own).unwrap().run(&["/bin/sh", "-c", "id -u; id -g; id -G"]).unwrap();
        assert_eq!(String::from_utf8_lossy(&out.stdout), "65534\n65534\n65534\n", "{out:?}");
    });
}

/// A daemon that dropped root without exec is not dumpable, and neither
/// are its children before their exec: the kernel refuses it their
/// listener. The error said Yama was to blame (this machine has none).
#[test]
fn a_supervised_run_of_a_caller_that_is_not_dumpable_says_so() {
    common::as_unprivileged_caller("a_supervised_run_of_a_caller_that_is_not_dumpable_says_so", &[], || {
        // What a switch of ids without exec leaves (setpriv's exec undid it).
        // SAFETY: PR_SET_DUMPABLE takes an integer.
        assert_eq!(unsafe { libc::prctl(libc::PR_SET_DUMPABLE, 0) }, 0);
        let policy = Policy::builder().fs_read(common::system_read_paths()).max_processes(8).build().unwrap();
        let error = sandlock_core::Sandbox::new(policy).unwrap().run(&["/bin/true"]).unwrap_err();
        // SAFETY: as above.
        assert_eq!(unsafe { libc::prctl(libc::PR_SET_DUMPABLE, 1) }, 0);
        assert!(matches!(error, SandlockError::Spawn { .. }), "{error:?}");
        assert!(error.to_string().contains("this process is not dumpable"), "{error}");
    });
}

#[test]
fn supplementary_groups_an_unprivileged_caller_cannot_drop_are_named() {
    common::as_unprivileged_caller("supplementary_groups_an_unprivileged_caller_cannot_drop_are_named", &[100], || {
        let build = |b: sandlock_core::PolicyBuilder| b.fs_read(common::system_read_paths()).build();
        assert_eq!(
            build(Policy::builder().gid(NOBODY)).unwrap_err().to_string(),
            "dropping the supplementary groups 100 of this process needs CAP_SETGID, which this process lacks (run as \
             root, or set no gid and the child keeps them)"
        );
        // Only a uid switch to its own uid: the groups stay, nothing is dropped.
        build(Policy::builder().uid(NOBODY)).unwrap();
    });
}

#[test]
fn a_private_shm_with_the_path_guard_says_why_not() {
    use sandlock_core::{Category, Control, Decision, Event};
    let guarded =
        sandbox(policy().private_shm(true)).policy_fn(Category::PATHS, |_: &Event, _: &Control| Decision::Allow);
    assert_eq!(
        guarded.run(&["true"]).unwrap_err().to_string(),
        "invalid value for policy_fn: Category::PATHS cannot be combined with private_shm: the path guard opens files \
         in the caller's mount namespace, which has no private /dev/shm"
    );
}

/// Values the kernel reads as something else than a limit or an id are
/// refused when the policy is built, naming the value: `(uid_t)-1` keeps
/// the caller's id (a root caller's child ran as root), `RLIM_INFINITY` is
/// no limit, and an fd limit above `fs.nr_open` failed every spawn.
#[test]
fn ids_and_limits_the_kernel_reads_otherwise_are_refused() {
    let message = |builder: sandlock_core::PolicyBuilder| builder.build().expect_err("refused").to_string();
    let keep = "4294967295 is (uid_t)-1, which the kernel reads as \"keep the caller's\"; choose a real id";
    assert_eq!(message(policy().uid(u32::MAX)), format!("invalid value for uid: {keep}"));
    assert_eq!(message(policy().gid(u32::MAX)), format!("invalid value for gid: {keep}"));
    let infinity = "18446744073709551615 is RLIM_INFINITY, which sets no limit; leave the limit unset instead";
    assert_eq!(message(policy().max_memory(u64::MAX)), format!("invalid value for max_memory: {infinity}"));
    assert_eq!(message(policy().max_open_files(u64::MAX)), format!("invalid value for max_open_files: {infinity}"));
    let nr_open: u64 = fs::read_to_string("/proc/sys/fs/nr_open").unwrap().trim().parse().unwrap();
    assert_eq!(
        message(policy().max_open_files(nr_open + 1)),
        format!(
            "invalid value for max_open_files: {} is above the kernel's fs.nr_open ({nr_open}), the most a process may have",
            nr_open + 1
        )
    );
    assert!(policy().uid(NOBODY).gid(NOBODY).max_open_files(nr_open).build().is_ok());
}

/// A uid switch without a gid kept this process's gid and groups (a root
/// caller's child ran as uid 65534 with gid 0 and every supplementary
/// group): it is refused, naming what would be kept.
#[test]
fn a_uid_switch_without_a_gid_is_refused() {
    let err = policy().uid(NOBODY).build().expect_err("refused").to_string();
    assert_eq!(
        err,
        "invalid value for uid: switching the child to uid 65534 without a gid keeps this process's gid 0 and its \
         supplementary groups: set a gid too (usually the uid's own group)"
    );
    assert!(policy().uid(NOBODY).gid(NOBODY).build().is_ok());
    assert!(policy().uid(0).build().is_ok(), "its own uid is no switch");
}

/// Times past what a deadline can hold are refused at build, and waits
/// given one wait without limit: `Instant + Duration` overflowed and
/// panicked in the run (the command's `--timeout 500000000000y`).
#[test]
fn times_past_any_deadline_are_refused_or_unbounded() {
    let message = |builder: sandlock_core::PolicyBuilder| builder.build().expect_err("refused").to_string();
    let forever = std::time::Duration::MAX;
    assert!(message(policy().timeout(forever)).starts_with("invalid value for timeout: "));
    assert!(message(policy().handler_grace(forever)).starts_with("invalid value for handler_grace: "));
    let mut child = sandbox(policy()).spawn(&["/bin/true"]).unwrap();
    assert_eq!(child.wait_timeout(forever).unwrap(), Some(sandlock_core::ExitStatus::Exited(0)));
}

/// A receiving-thread count no host can start is refused before the fork:
/// it panicked after it (or aborted the process allocating), leaving the
/// child running unsupervised.
#[test]
fn a_receiver_thread_count_past_the_bound_is_refused_before_the_fork() {
    let handled =
        |_: &sandlock_core::HandlerCtx| -> sandlock_core::HandlerResult { Ok(sandlock_core::NotifAction::Continue) };
    let getppid = sandlock_core::Syscall::from_name("getppid").unwrap();
    for threads in [257, usize::MAX] {
        let sandbox = sandbox(policy()).add_handler(getppid, handled).receiver_threads(threads);
        let err = sandbox.run(&["/bin/true"]).expect_err("refused").to_string();
        assert_eq!(
            err,
            format!("invalid value for receiver_threads: {threads} is more than 256 threads on one listener")
        );
    }
    let sandbox = sandbox(policy()).add_handler(getppid, handled).receiver_threads(256);
    assert!(sandbox.run(&["/bin/true"]).unwrap().status.success());
}

/// Variables the environment cannot hold are refused at build, naming them
/// (each run failed instead); a NUL in an argument names the argument.
#[test]
fn bad_variables_fail_the_build_and_a_nul_names_its_argument() {
    let message = |builder: sandlock_core::PolicyBuilder| builder.build().expect_err("refused").to_string();
    assert_eq!(
        message(policy().env("A=B", "1")),
        "invalid value for env: \"A=B\" is not a variable name (empty, or with '=')"
    );
    assert_eq!(
        message(policy().env("", "1")),
        "invalid value for env: \"\" is not a variable name (empty, or with '=')"
    );
    assert_eq!(
        message(policy().env("GREETING", "a\0b")),
        "invalid value for env: variable \"GREETING\" contains a NUL byte, where C would end the string"
    );
    let err = sandbox(policy()).run(&["/bin/echo", "ok", "a\0b"]).expect_err("refused").to_string();
    assert_eq!(err, "invalid value for argv: argv[2] \"a\\0b\" contains a NUL byte, where C would end the string");
}

/// A relative program path is the child's, from its working directory: it
/// was looked up from the caller's, so a program the child would find was
/// "not found", and one only the caller sees failed at exec.
#[test]
fn a_relative_program_is_found_from_the_childs_working_directory() {
    let out = sandbox(policy().cwd("/usr/bin")).run(&["./true"]).unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let dir = TempDir::new_public();
    let err = sandbox(policy().cwd(dir.path())).run(&["./true"]).expect_err("not there").to_string();
    assert_eq!(err, "program \"./true\" not found");
    // So is a relative entry of the child's PATH.
    let out = sandbox(policy().cwd("/usr").env("PATH", "bin")).run(&["true"]).unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

/// A set-user-ID caller (real uid 65534, effective 0) switching the child
/// to its real uid without a gid kept gid 0 and every group too.
#[test]
fn a_set_user_id_caller_switching_to_its_real_uid_needs_a_gid() {
    std::thread::spawn(|| {
        // SAFETY: raw setresuid changes this thread's ids only (not the
        // process's, as libc's would): real uid 65534, effective and saved 0.
        assert_eq!(unsafe { libc::syscall(libc::SYS_setresuid, NOBODY, 0, 0) }, 0);
        let err = policy().uid(NOBODY).build().map(|_| ()).map_err(|e| e.to_string());
        // SAFETY: as above, back to root's ids (effective 0 may).
        assert_eq!(unsafe { libc::syscall(libc::SYS_setresuid, 0, 0, 0) }, 0);
        assert!(err.as_ref().is_err_and(|e| e.contains("without a gid keeps")), "{err:?}");
    })
    .join()
    .unwrap();
}

/// A signal number out of range names itself (it was "Invalid argument").
#[test]
fn a_signal_out_of_range_names_itself() {
    let mut child = sandbox(policy()).spawn(&["/bin/sleep", "5"]).unwrap();
    for sig in [0, -1, 65] {
        assert_eq!(
            child.signal(sig).unwrap_err().to_string(),
            format!("invalid value for signal: {sig} is not in 1..=64")
        );
    }
    child.kill().unwrap();
    let _ = child.wait();
}
