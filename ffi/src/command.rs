//! The command object (1.1): a policy, a program and its arguments,
//! handlers, stdio and a name, collected by setters, then started by one of
//! three verbs — run, run interactively, spawn. New features become new
//! setters, not new entry points.

use std::ffi::{c_char, c_int, c_void, OsString};
use std::os::fd::{FromRawFd, OwnedFd};

use sandlock_core::{ExitStatus, PolicyBuilder, Sandbox, Stdio, StdioOverrides};

use crate::child::sandlock_child_t;
use crate::error::{sandlock_error_t, FfiError};
use crate::guard;
use crate::handler::abi::sandlock_handler_ud_drop_t;
use crate::handler::container::sandlock_handler_t;
use crate::handler::registrations::Registrations;
use crate::policy::sandlock_policy_t;
use crate::policy_fn::{self, sandlock_policy_fn_t};
use crate::result::sandlock_result_t;

/// A program to run under a policy (opaque). Create it with
/// `sandlock_command_new`, configure it with the `sandlock_command_set_*` /
/// `_add_*` setters, start it with one verb (`sandlock_command_run`,
/// `_run_interactive` or `_spawn`), and free it with
/// `sandlock_command_free` whatever happened.
pub struct sandlock_command_t {
    policy: PolicyBuilder,
    argv: Vec<OsString>,
    name: Option<String>,
    handlers: Registrations,
    stdio: [Option<OwnedFd>; 3],
    /// A verb has run: handlers and stdio went with it.
    spent: bool,
}

impl sandlock_command_t {
    /// A command from C arguments: `name` may be NULL.
    ///
    /// # Safety
    /// `policy` must be NULL or a live policy; `argv` NULL or `argc`
    /// pointers, each NULL or a C string; `name` NULL or a C string.
    pub(crate) unsafe fn from_c(
        policy: *const sandlock_policy_t,
        argv: *const *const c_char,
        argc: u32,
        name: *const c_char,
    ) -> Result<sandlock_command_t, FfiError> {
        // SAFETY: NULL or a live policy (caller's contract).
        let policy = unsafe { guard::reference(policy, "policy") }?;
        // SAFETY: NULL or `argc` C strings (caller's contract).
        let argv = unsafe { guard::argv(argv, argc) }?;
        let name = match name.is_null() {
            true => None,
            // SAFETY: a C string (caller's contract).
            false => Some(unsafe { guard::utf8(name, "name") }?.to_owned()),
        };
        Ok(sandlock_command_t {
            policy: policy.builder().clone(),
            argv: argv.into_iter().map(ToOwned::to_owned).collect(),
            name,
            handlers: Registrations::default(),
            stdio: [None, None, None],
            spent: false,
        })
    }

    pub(crate) fn with_handlers(mut self, handlers: Registrations) -> sandlock_command_t {
        self.handlers = handlers;
        self
    }

    /// The sandbox, streams and handlers for a verb. The command is spent
    /// from here on: its handlers go with the verb, and are freed here when
    /// the sandbox cannot be built.
    fn start(&mut self) -> Result<(Sandbox, StdioOverrides, Registrations), FfiError> {
        if self.spent {
            return Err(FfiError::invalid("the command already ran; create a new one for each run"));
        }
        self.spent = true;
        let mut handlers = std::mem::take(&mut self.handlers);
        handlers.seal();
        let [stdin, stdout, stderr] = std::mem::take(&mut self.stdio);
        let stdio = StdioOverrides {
            stdin: stdin.map(Stdio::Fd),
            stdout: stdout.map(Stdio::Fd),
            stderr: stderr.map(Stdio::Fd),
        };
        match self.sandbox(&handlers) {
            Ok(sandbox) => Ok((sandbox, stdio, handlers)),
            // The build error wins over a panic of a ud_drop.
            Err(e) => {
                let _ = handlers.release();
                Err(self.in_run(e))
            }
        }
    }

    fn sandbox(&self, handlers: &Registrations) -> Result<Sandbox, FfiError> {
        let policy = self.policy.build()?;
        let mut sandbox = Sandbox::new(policy)?;
        if let Some(name) = &self.name {
            sandbox = sandbox.with_name(name);
        }
        handlers.add_to(sandbox)
    }

    fn in_run(&self, error: impl Into<FfiError>) -> FfiError {
        error.into().in_run(self.name.as_deref())
    }

    /// The verb's outcome once its handlers are freed: a run error wins over
    /// a `ud_drop` panic, which wins over success. The sandbox goes first: it
    /// holds references to the handlers. A run error already names the run
    /// (the sandbox has the command's name).
    fn finish<T>(
        &self,
        sandbox: Sandbox,
        outcome: sandlock_core::Result<T>,
        handlers: Registrations,
    ) -> Result<T, FfiError> {
        drop(sandbox);
        let released = handlers.release();
        let value = outcome?;
        released?;
        Ok(value)
    }

    pub(crate) fn run(&mut self) -> Result<*mut sandlock_result_t, FfiError> {
        let (sandbox, stdio, handlers) = self.start()?;
        let outcome = sandbox.run_with(&self.argv, stdio);
        let output = self.finish(sandbox, outcome, handlers)?;
        Ok(Box::into_raw(Box::new(sandlock_result_t::new(output))))
    }

    pub(crate) fn run_interactive(&mut self) -> Result<c_int, FfiError> {
        let (sandbox, stdio, handlers) = self.start()?;
        let outcome = sandbox.run_interactive_with(&self.argv, stdio);
        Ok(interactive_code(self.finish(sandbox, outcome, handlers)?))
    }

    /// Start the child; output streams without an fd go to `/dev/null`
    /// when `quiet`, else to the caller's (what 1.0 spawns did).
    pub(crate) fn spawn(&mut self, quiet: bool) -> Result<*mut sandlock_child_t, FfiError> {
        let (sandbox, mut stdio, handlers) = self.start()?;
        if quiet {
            for stream in [&mut stdio.stdout, &mut stdio.stderr] {
                stream.get_or_insert(Stdio::Null);
            }
        }
        match sandbox.spawn_with(&self.argv, stdio) {
            Ok(child) => Ok(sandlock_child_t::new(child, handlers)),
            Err(e) => self.finish(sandbox, Err(e), handlers),
        }
    }
}

/// The shell's convention: the exit code, or 128 + the killing signal.
pub(crate) fn interactive_code(status: ExitStatus) -> c_int {
    match status {
        ExitStatus::Exited(code) => code,
        ExitStatus::Signaled(signal) => 128 + signal,
    }
}

/// A command for `policy` running `argv` (`argc` strings, 1..=4096;
/// `argv[0]` is the program, searched in the child's `PATH` when it has no
/// `/`). The policy and the strings are copied: the caller may change or
/// free them afterwards.
///
/// Returns an owned command (free it with `sandlock_command_free`), or NULL
/// with the error in `*err` (when `err` is not NULL; free it with
/// `sandlock_error_free`) and in `sandlock_last_error()`:
/// `SANDLOCK_E_INVALID` for a NULL policy or argv, a NULL entry or a bad
/// `argc`. Thread-safe (the policy must not be changed concurrently).
/// Since 1.1.
///
/// # Safety
/// `policy` must be NULL or a live policy; `argv` NULL or `argc` pointers,
/// each NULL or a C string; `err` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn sandlock_command_new(
    policy: *const sandlock_policy_t,
    argv: *const *const c_char,
    argc: u32,
    err: *mut *mut sandlock_error_t,
) -> *mut sandlock_command_t {
    guard::value_err(err, || {
        // SAFETY: forwarded from the caller; no name.
        let command = unsafe { sandlock_command_t::from_c(policy, argv, argc, std::ptr::null()) }?;
        Ok(Box::into_raw(Box::new(command)))
    })
}
versioned!(sandlock_command_new, "SANDLOCK_1.1");

/// Run `body` on a command that has not run yet.
///
/// # Safety
/// `command` must be NULL or a live command not used by another thread;
/// `err` NULL or writable.
unsafe fn configure(
    command: *mut sandlock_command_t,
    err: *mut *mut sandlock_error_t,
    body: impl FnOnce(&mut sandlock_command_t) -> Result<(), FfiError>,
) -> c_int {
    guard::status_err(err, || {
        // SAFETY: NULL or a live, unshared command (caller's contract).
        let command = unsafe { guard::mutable(command, "command") }?;
        if command.spent {
            return Err(FfiError::invalid("the command already ran; its settings can no longer change"));
        }
        body(command)
    })
}

/// Name the run: the name labels its errors ("run \"job-42\": ...").
/// `name` is copied.
///
/// Returns `SANDLOCK_OK`, or `SANDLOCK_E_INVALID` for a NULL argument, a
/// name that is not UTF-8, or a command that already ran. Not thread-safe
/// on one command. Since 1.1.
///
/// # Safety
/// `command` must be NULL or a live command; `name` NULL or a C string;
/// `err` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn sandlock_command_set_name(
    command: *mut sandlock_command_t,
    name: *const c_char,
    err: *mut *mut sandlock_error_t,
) -> c_int {
    // SAFETY: forwarded from the caller.
    unsafe {
        configure(command, err, |c| {
            c.name = Some(guard::utf8(name, "name")?.to_owned());
            Ok(())
        })
    }
}
versioned!(sandlock_command_set_name, "SANDLOCK_1.1");

/// Add `handler` on syscall `syscall_nr` (from `sandlock_syscall_nr`), after
/// the handlers added before it.
///
/// Ownership: `handler` is consumed on every return path, success or error
/// (it is freed, `ud_drop` included, when the call fails); the caller must
/// not use it again. A handler on a syscall the policy denies makes the verb
/// fail with `SANDLOCK_E_DENIED`.
///
/// Returns `SANDLOCK_OK`, or `SANDLOCK_E_INVALID` for a NULL command or
/// handler, a number this architecture does not have, a handler already
/// added, or a command that already ran. Not thread-safe on one command.
/// Since 1.1.
///
/// # Safety
/// `command` must be NULL or a live command; `handler` NULL or an
/// unconsumed handler from `sandlock_handler_new*`; `err` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn sandlock_command_add_handler(
    command: *mut sandlock_command_t,
    syscall_nr: i64,
    handler: *mut sandlock_handler_t,
    err: *mut *mut sandlock_error_t,
) -> c_int {
    // A handler this command already holds stays where it is: taking it
    // again would free it twice.
    // SAFETY: NULL or a live command (caller's contract), only read here.
    let again = !handler.is_null() && unsafe { command.as_ref() }.is_some_and(|c| c.handlers.contains(handler));
    // SAFETY: the caller hands the handler over (NULL or unconsumed); it is
    // taken before anything else can fail.
    let taken = (!handler.is_null() && !again).then(|| unsafe { Box::from_raw(handler) });
    // SAFETY: forwarded from the caller.
    unsafe {
        configure(command, err, move |c| {
            if again {
                return Err(FfiError::invalid(
                    "handler was already added to this command; add a handler once (create one handler per syscall)",
                ));
            }
            let handler = taken.ok_or_else(|| FfiError::invalid("handler must not be NULL"))?;
            c.handlers.push(syscall_nr, handler)
        })
    }
}
versioned!(sandlock_command_add_handler, "SANDLOCK_1.1");

/// Show `callback` an event for each call of the child in `categories`
/// (`sandlock_category_t` bits combined with `|`) and let it allow, deny or
/// flag it, and tighten the sandbox through its control handle (see
/// docs/policy-fn.md). `ud` is the callback's first argument; `ud_drop`
/// (may be NULL) is called with it exactly once, when the command (or the
/// child it spawned) no longer needs it, or now when a later call replaces
/// this one. The time limit is 1 s and the failure outcome
/// `SANDLOCK_DECISION_DENY` with `EPERM` unless
/// `sandlock_command_set_policy_fn_failure` says otherwise.
///
/// Returns `SANDLOCK_OK`, or `SANDLOCK_E_INVALID` for a NULL command or
/// callback, bits that name no category, or a command that already ran;
/// `ud` then stays the caller's and `ud_drop` is not called. Not
/// thread-safe on one command. The callback runs on library threads, and
/// one that passed its time limit may still run while the next event is
/// given: `ud` must be usable from several threads. Since 1.1.
///
/// # Safety
/// `command` must be NULL or a live command; `callback` and `ud_drop` NULL
/// or functions of their documented types; `ud` valid until `ud_drop` is
/// called; `err` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn sandlock_command_set_policy_fn(
    command: *mut sandlock_command_t,
    categories: u32,
    callback: sandlock_policy_fn_t,
    ud: *mut c_void,
    ud_drop: sandlock_handler_ud_drop_t,
    err: *mut *mut sandlock_error_t,
) -> c_int {
    // SAFETY: forwarded from the caller.
    unsafe {
        configure(command, err, |c| {
            let setting = policy_fn::setting(categories, callback, ud, ud_drop)?;
            c.handlers.set_policy_fn(setting)
        })
    }
}
versioned!(sandlock_command_set_policy_fn, "SANDLOCK_1.1");

/// The `policy_fn`'s time limit (`time_limit_ms`, at least 1) and the
/// decision for a callback that passes it, panics or returns a value that
/// is no decision (`on_failure`, a `sandlock_decision_t` value;
/// `on_failure_errno` is the errno of `SANDLOCK_DECISION_DENY`, 1..=4095,
/// and ignored otherwise).
///
/// Returns `SANDLOCK_OK`, or `SANDLOCK_E_INVALID` for a NULL command, a
/// command without a `policy_fn` (set it first) or that already ran, a
/// time limit of 0, or a value outside those ranges. Not thread-safe on one
/// command. Since 1.1.
///
/// # Safety
/// `command` must be NULL or a live command; `err` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn sandlock_command_set_policy_fn_failure(
    command: *mut sandlock_command_t,
    time_limit_ms: u32,
    on_failure: u32,
    on_failure_errno: i32,
    err: *mut *mut sandlock_error_t,
) -> c_int {
    // SAFETY: forwarded from the caller.
    unsafe {
        configure(command, err, |c| {
            let options = c.handlers.policy_fn_options().ok_or_else(|| {
                FfiError::invalid("the command has no policy_fn: call sandlock_command_set_policy_fn first")
            })?;
            policy_fn::failure_options(options, time_limit_ms, on_failure, on_failure_errno)
        })
    }
}
versioned!(sandlock_command_set_policy_fn_failure, "SANDLOCK_1.1");

/// Connect the child's stream `target` (0, 1, 2) to a copy of `fd`.
///
/// # Safety
/// As for the exported stdio setters.
unsafe fn set_stream(
    command: *mut sandlock_command_t,
    target: usize,
    fd: c_int,
    err: *mut *mut sandlock_error_t,
) -> c_int {
    // SAFETY: forwarded from the caller.
    unsafe {
        configure(command, err, |c| {
            c.stdio[target] = match fd {
                -1 => None,
                fd => Some(duplicate(fd)?),
            };
            Ok(())
        })
    }
}

/// A close-on-exec copy (numbered 3 or more) of the caller's open `fd`.
fn duplicate(fd: c_int) -> Result<OwnedFd, FfiError> {
    if fd < 0 {
        return Err(FfiError::invalid(format!("fd {fd} is not a file descriptor (use -1 for the default)")));
    }
    // SAFETY: F_DUPFD_CLOEXEC only reads `fd`; it fails with EBADF when
    // `fd` is not open.
    let copy = unsafe { libc::fcntl(fd, libc::F_DUPFD_CLOEXEC, 3) };
    if copy < 0 {
        let error = std::io::Error::last_os_error();
        // Only EBADF is the caller's fd; EMFILE is this process's table full.
        if error.raw_os_error() != Some(libc::EBADF) {
            return Err(sandlock_core::SandlockError::Io {
                context: "copying a stream's fd for the child",
                source: error,
            }
            .into());
        }
        return Err(FfiError::invalid(format!("fd {fd} is not open: {error}")));
    }
    // SAFETY: fcntl returned a new fd that nothing else owns.
    Ok(unsafe { OwnedFd::from_raw_fd(copy) })
}

/// The child's standard input is a copy of `fd` (a pipe, file, socket or
/// terminal); the library duplicates it now, so the caller keeps and closes
/// its own. -1 restores the default: the policy's stdin (`/dev/null`
/// unless set otherwise).
///
/// Returns `SANDLOCK_OK`, `SANDLOCK_E_INVALID` for a NULL command, an fd
/// that is not open, or a command that already ran, or `SANDLOCK_E_IO`
/// (errno `EMFILE`) when this process has no fd to spare for the copy; the
/// command is unchanged on failure. Not thread-safe on one
/// command. Since 1.1.
///
/// # Safety
/// `command` must be NULL or a live command; `err` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn sandlock_command_set_stdin(
    command: *mut sandlock_command_t,
    fd: c_int,
    err: *mut *mut sandlock_error_t,
) -> c_int {
    // SAFETY: forwarded from the caller.
    unsafe { set_stream(command, 0, fd, err) }
}
versioned!(sandlock_command_set_stdin, "SANDLOCK_1.1");

/// The child's standard output goes to a copy of `fd` (duplicated now; the
/// caller keeps its own). -1 restores the default: captured into the result
/// by `sandlock_command_run`, inherited by `_run_interactive`, `/dev/null`
/// for `_spawn`. Output sent to an fd is not in the result.
///
/// Returns and safety as for `sandlock_command_set_stdin`. Since 1.1.
///
/// # Safety
/// `command` must be NULL or a live command; `err` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn sandlock_command_set_stdout(
    command: *mut sandlock_command_t,
    fd: c_int,
    err: *mut *mut sandlock_error_t,
) -> c_int {
    // SAFETY: forwarded from the caller.
    unsafe { set_stream(command, 1, fd, err) }
}
versioned!(sandlock_command_set_stdout, "SANDLOCK_1.1");

/// The child's standard error goes to a copy of `fd`; as
/// `sandlock_command_set_stdout`. Since 1.1.
///
/// # Safety
/// `command` must be NULL or a live command; `err` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn sandlock_command_set_stderr(
    command: *mut sandlock_command_t,
    fd: c_int,
    err: *mut *mut sandlock_error_t,
) -> c_int {
    // SAFETY: forwarded from the caller.
    unsafe { set_stream(command, 2, fd, err) }
}
versioned!(sandlock_command_set_stderr, "SANDLOCK_1.1");

/// Run the command to completion, capturing the output streams that were
/// not given an fd (each bounded by the policy's max output).
///
/// A command runs once: its handlers go with the verb, which frees each
/// (`ud_drop` runs exactly once) before it returns, whatever the outcome.
/// Free the command itself with `sandlock_command_free` afterwards.
///
/// Returns an owned result (free it with `sandlock_result_free`), or NULL
/// with the error in `*err` and `sandlock_last_error()`, its message naming
/// the run: `SANDLOCK_E_INVALID` (a command that already ran, a bad
/// policy), `SANDLOCK_E_NOT_FOUND`, `SANDLOCK_E_UNSUPPORTED`,
/// `SANDLOCK_E_DENIED` (a handler on a denied syscall), `SANDLOCK_E_SPAWN`
/// (with the errno), `SANDLOCK_E_PANIC` (a `ud_drop` panicked). Blocks the
/// calling thread; different commands may run concurrently. Since 1.1.
///
/// # Safety
/// `command` must be NULL or a live command not used by another thread;
/// `err` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn sandlock_command_run(
    command: *mut sandlock_command_t,
    err: *mut *mut sandlock_error_t,
) -> *mut sandlock_result_t {
    guard::value_err(err, || {
        // SAFETY: NULL or a live, unshared command (caller's contract).
        unsafe { guard::mutable(command, "command") }?.run()
    })
}
versioned!(sandlock_command_run, "SANDLOCK_1.1");

/// Run the command to completion with the caller's stdin, stdout and
/// stderr, except the streams given an fd. Ownership as for
/// `sandlock_command_run`.
///
/// Returns the child's exit code, 128 + the signal that killed it, or a
/// negative status with the error in `*err` (see `sandlock_command_run`).
/// Since 1.1.
///
/// # Safety
/// `command` must be NULL or a live command not used by another thread;
/// `err` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn sandlock_command_run_interactive(
    command: *mut sandlock_command_t,
    err: *mut *mut sandlock_error_t,
) -> c_int {
    guard::code_err(err, || {
        // SAFETY: NULL or a live, unshared command (caller's contract).
        unsafe { guard::mutable(command, "command") }?.run_interactive()
    })
}
versioned!(sandlock_command_run_interactive, "SANDLOCK_1.1");

/// Start the command and return at once. Streams without an fd are
/// `/dev/null` (stdin: the policy's stdin, `/dev/null` unless set). The
/// child owns the command's handlers until `sandlock_child_free`; on
/// failure they are freed before this returns.
///
/// Returns an owned child (see `sandlock_child_wait_for`,
/// `sandlock_child_free`), or NULL with the error in `*err` (see
/// `sandlock_command_run`). Since 1.1.
///
/// # Safety
/// `command` must be NULL or a live command not used by another thread;
/// `err` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn sandlock_command_spawn(
    command: *mut sandlock_command_t,
    err: *mut *mut sandlock_error_t,
) -> *mut sandlock_child_t {
    guard::value_err(err, || {
        // SAFETY: NULL or a live, unshared command (caller's contract).
        unsafe { guard::mutable(command, "command") }?.spawn(true)
    })
}
versioned!(sandlock_command_spawn, "SANDLOCK_1.1");

/// Free a command and whatever it still owns (handlers never run: their
/// `ud_drop` runs now; the copied stdio fds). NULL is a no-op. Must not race
/// with other calls on the same command. Since 1.1.
///
/// # Safety
/// `command` must be NULL or a command from `sandlock_command_new` not yet
/// freed.
#[no_mangle]
pub unsafe extern "C" fn sandlock_command_free(command: *mut sandlock_command_t) {
    guard::unit(|| {
        if command.is_null() {
            return Ok(());
        }
        // SAFETY: a live command from sandlock_command_new, freed once.
        let command = unsafe { Box::from_raw(command) };
        // The stdio copies close with the rest of the command.
        command.handlers.release()
    })
}
versioned!(sandlock_command_free, "SANDLOCK_1.1");
