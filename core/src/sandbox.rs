//! The sandbox builder: a policy, optional handlers, and the three ways to
//! run a program — `run` (captured output), `run_interactive` (inherited
//! stdio) and `spawn` (a [`Child`] handle).

use std::collections::HashMap;
use std::ffi::{OsStr, OsString};
use std::sync::{Arc, OnceLock};

use crate::builtins;
use crate::child::{Child, Streams};
use crate::deny::{default_deny_numbers, host_ipc_deny_numbers, root_child_deny_numbers};
use crate::error::{Result, SandlockError};
use crate::exec_check::{self, ChildIdentity};
use crate::handler::{AsyncAdapter, AsyncHandler, Handler, WithPolicy};
use crate::notif::ExceptionPolicy;
use crate::output::{Capture, Feed};
use crate::per_run::PerRun;
use crate::policy::{Policy, Stdin, SyscallRules};
use crate::policy_fn::{
    category_of, Category, PathGuard, PolicyFn, PolicyFnHandler, PolicyFnOptions, PolicyFnSpec, Traps,
};
use crate::seccomp::bpf::{self, FilterSpec};
use crate::seccomp::dispatch::Dispatch;
use crate::seccomp::supervisor::{Supervisor, SupervisorConfig};
use crate::spawn::{self, PlanInput, SpawnPlan, StdioMode};
use crate::status::{ExitStatus, RunOutput};
use crate::syscall::{number_of, Syscall};

/// Receiving threads per sandbox. One keeps the wake-up on the CPU that
/// answers (see docs/benchmarks.md); raise it when handlers block.
pub const DEFAULT_RECEIVER_THREADS: usize = 1;

/// Most threads receiving on one listener: each waits in the kernel for
/// the next call, so more than the sandbox has tasks only cost memory.
const MAX_RECEIVER_THREADS: usize = 256;

/// A policy plus handlers, ready to run programs. Reusable: each run gets
/// its own process group and supervisor.
pub struct Sandbox {
    policy: Policy,
    name: Option<String>,
    handlers: Vec<(Syscall, Arc<dyn Handler>)>,
    rejected: Option<(Syscall, &'static str)>,
    receiver_threads: usize,
    sync_wakeup: bool,
    policy_fn: Option<PolicyFnSpec>,
    /// The filter, built by the first run: every run of this sandbox has
    /// the same one. A builder call starts it anew.
    filter: OnceLock<Arc<Vec<libc::sock_filter>>>,
}

impl Sandbox {
    pub fn new(policy: Policy) -> Result<Sandbox> {
        Ok(Sandbox {
            policy,
            name: None,
            handlers: Vec::new(),
            rejected: None,
            receiver_threads: DEFAULT_RECEIVER_THREADS,
            sync_wakeup: true,
            policy_fn: None,
            filter: OnceLock::new(),
        })
    }

    /// A label for this sandbox: every error of its runs says
    /// `run "NAME": ...` ([`SandlockError::InRun`]).
    pub fn with_name(mut self, name: impl Into<String>) -> Sandbox {
        self.name = Some(name.into());
        self
    }

    pub fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }

    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// Run `handler` on every `syscall` the program makes, after the
    /// built-ins and the handlers added before it. A handler on a syscall the
    /// policy denies is refused: the next run fails with
    /// [`SandlockError::HandlerOnDeniedSyscall`].
    pub fn add_handler(self, syscall: Syscall, handler: impl Handler) -> Sandbox {
        self.add_shared_handler(syscall, Arc::new(handler))
    }

    /// [`Sandbox::add_handler`] with an explicit exception policy.
    pub fn add_handler_with_policy(self, syscall: Syscall, handler: impl Handler, policy: ExceptionPolicy) -> Sandbox {
        self.add_handler(syscall, WithPolicy { handler, policy })
    }

    /// [`Sandbox::add_handler`] for a handler shared with other sandboxes.
    pub fn add_shared_handler(mut self, syscall: Syscall, handler: Arc<dyn Handler>) -> Sandbox {
        self.filter = OnceLock::new();
        if self.rejected.is_none() {
            if let Some(list) = self.blocked_by(syscall) {
                self.rejected = Some((syscall, list));
            }
        }
        self.handlers.push((syscall, handler));
        self
    }

    /// An async handler, driven on `runtime` from the receiving thread
    /// (`Handle::block_on`). A current-thread runtime drives timers and I/O
    /// only while a thread is inside its `Runtime::block_on`: see
    /// docs/handlers.md.
    pub fn add_async_handler(
        self,
        syscall: Syscall,
        handler: impl AsyncHandler,
        runtime: tokio::runtime::Handle,
    ) -> Sandbox {
        self.add_handler(syscall, AsyncAdapter { handler, runtime })
    }

    /// Show `callback` an event for each call of the child in `categories`
    /// and let it allow, deny or flag it, and tighten the sandbox through
    /// its [`Control`](crate::Control) (see docs/policy-fn.md). A later call
    /// replaces it.
    ///
    /// ```no_run
    /// use std::os::unix::ffi::OsStrExt;
    /// use sandlock_core::{Category, Control, Decision, Detail, Event, Policy, Sandbox};
    ///
    /// let policy = Policy::builder().fs_read(["/usr", "/lib", "/etc"]).build()?;
    /// let sandbox = Sandbox::new(policy)?.policy_fn(Category::EXEC, |event: &Event, _: &Control| match &event.detail {
    ///     Detail::Exec { argv, .. } if argv.first().is_some_and(|a| a.as_bytes().ends_with(b"curl")) => {
    ///         Decision::Deny(libc::EACCES)
    ///     }
    ///     _ => Decision::Allow,
    /// });
    /// let out = sandbox.run(&["/bin/sh", "-c", "curl --version || echo curl refused"])?;
    /// # Ok::<(), sandlock_core::SandlockError>(())
    /// ```
    pub fn policy_fn(self, categories: Category, callback: impl PolicyFn) -> Sandbox {
        self.policy_fn_with(PolicyFnOptions::new(categories), callback)
    }

    /// [`Sandbox::policy_fn`] with a time limit and failure outcome of
    /// the caller's choice.
    pub fn policy_fn_with(mut self, options: PolicyFnOptions, callback: impl PolicyFn) -> Sandbox {
        self.filter = OnceLock::new();
        self.policy_fn = Some(PolicyFnSpec { callback: Arc::new(callback), options });
        self
    }

    /// Number of threads receiving notifications (1 to 256; 0 counts as 1,
    /// more fails each run with `InvalidArgument`).
    pub fn receiver_threads(mut self, threads: usize) -> Sandbox {
        self.receiver_threads = threads.max(1);
        self
    }

    /// Use `SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP` where the kernel has it (on
    /// by default; off only to measure its effect).
    pub fn sync_wakeup(mut self, on: bool) -> Sandbox {
        self.sync_wakeup = on;
        self
    }

    /// Which list keeps a handler on `syscall` from being honoured, if any:
    /// the filter's deny lists (the same source it is built from), the
    /// allowlist, or clone3's fixed ENOSYS.
    fn blocked_by(&self, syscall: Syscall) -> Option<&'static str> {
        if syscall.name() == "clone3" {
            return Some("clone3 always fails with ENOSYS");
        }
        if let Some(list) = self.deny_lists().find(|list| list.numbers.contains(&syscall.nr())) {
            return Some(list.name);
        }
        match &self.policy.syscalls {
            SyscallRules::AllowList(allowed) if !allowed.contains(&syscall) => Some("not in the policy allowlist"),
            _ => None,
        }
    }

    /// Every list of syscalls the filter denies for this sandbox; the filter
    /// and the registration check both read it, so a handler can never sit
    /// on a syscall the filter answers first.
    fn deny_lists(&self) -> impl Iterator<Item = DenyList> + '_ {
        let policy = &self.policy;
        let policy_list = match &policy.syscalls {
            SyscallRules::DenyList(extra) => extra.iter().map(|s| s.nr()).collect(),
            SyscallRules::AllowList(_) => Vec::new(),
        };
        let root_list = if self.child_is_root() { root_child_deny_numbers().to_vec() } else { Vec::new() };
        let ipc_list = if policy.private_ipc { Vec::new() } else { host_ipc_deny_numbers().to_vec() };
        // Without a bind grant no socket the child can create may be bound
        // (Landlock refuses every TCP port, and pair ends must not take
        // abstract names), so bind fails with Landlock's errno without asking
        // anyone; listen too, which binds a TCP port implicitly (netlink
        // sockets cannot listen).
        let mut net_list = Vec::new();
        if !policy.grants_tcp_bind() && !policy.allow_unix_sockets {
            if !policy.allow_netlink {
                net_list.push(libc::SYS_bind as u32);
            }
            net_list.push(libc::SYS_listen as u32);
        }
        [
            DenyList { numbers: default_deny_numbers().to_vec(), errno: libc::EPERM, name: "default deny list" },
            DenyList { numbers: root_list, errno: libc::EPERM, name: "denied to a uid-0 child" },
            DenyList { numbers: ipc_list, errno: libc::EPERM, name: "host IPC, denied without private_ipc" },
            DenyList {
                numbers: net_list,
                errno: libc::EACCES,
                name: "no bind grant (net_bind_tcp, allow_unix_sockets or allow_netlink)",
            },
            DenyList { numbers: policy_list, errno: libc::EPERM, name: "policy deny list" },
        ]
        .into_iter()
    }

    /// Run to completion, capturing stdout and stderr (each bounded by the
    /// policy's `max_output`).
    pub fn run<S: AsRef<OsStr>>(&self, argv: &[S]) -> Result<RunOutput> {
        self.run_with(argv, StdioOverrides::default())
    }

    /// [`Sandbox::run`] with some streams chosen by the caller; a stream
    /// given here is not captured (its part of the output stays empty).
    pub fn run_with<S: AsRef<OsStr>>(&self, argv: &[S], stdio: StdioOverrides) -> Result<RunOutput> {
        let bytes = match (&stdio.stdin, &self.policy.stdin) {
            (None, Stdin::Bytes(bytes)) => bytes.clone(),
            _ => Vec::new(),
        };
        let modes = [
            stdio.stdin.map_or_else(|| self.policy_stdin(true), |s| Ok(s.into())),
            Ok(stdio.stdout.map_or(StdioMode::Pipe, Into::into)),
            Ok(stdio.stderr.map_or(StdioMode::Pipe, Into::into)),
        ];
        let run = || {
            let (child, started) = self.launch(argv, collect_modes(modes)?, false)?;
            let streams = Streams {
                stdin: Feed::new(started.stdin, bytes),
                stdout: Capture::new(started.stdout, self.policy.max_output),
                stderr: Capture::new(started.stderr, self.policy.max_output),
            };
            child.wait_with_output(streams)
        };
        run().map_err(|e| e.in_run(self.name()))
    }

    /// Run to completion with the caller's stdin, stdout and stderr (the
    /// policy's `stdin` setting is for `run` and `spawn`).
    pub fn run_interactive<S: AsRef<OsStr>>(&self, argv: &[S]) -> Result<ExitStatus> {
        self.run_interactive_with(argv, StdioOverrides::default())
    }

    /// [`Sandbox::run_interactive`] with some streams chosen by the caller.
    pub fn run_interactive_with<S: AsRef<OsStr>>(&self, argv: &[S], stdio: StdioOverrides) -> Result<ExitStatus> {
        let inherit = |s: Option<Stdio>| s.map_or(StdioMode::Inherit, Into::into);
        let modes = [inherit(stdio.stdin), inherit(stdio.stdout), inherit(stdio.stderr)];
        let run = || {
            let (mut child, _pipes) = self.launch(argv, modes, false)?;
            child.wait()
        };
        run().map_err(|e| e.in_run(self.name()))
    }

    /// Start the program with the caller's stdout and stderr and return at
    /// once; stdin is `/dev/null` or inherited, as the policy says.
    pub fn spawn<S: AsRef<OsStr>>(&self, argv: &[S]) -> Result<Child> {
        self.spawn_with(argv, StdioOverrides::default())
    }

    /// [`Sandbox::spawn`] with some streams chosen by the caller.
    pub fn spawn_with<S: AsRef<OsStr>>(&self, argv: &[S], stdio: StdioOverrides) -> Result<Child> {
        let modes = [
            stdio.stdin.map_or_else(|| self.policy_stdin(false), |s| Ok(s.into())),
            Ok(stdio.stdout.map_or(StdioMode::Inherit, Into::into)),
            Ok(stdio.stderr.map_or(StdioMode::Inherit, Into::into)),
        ];
        let spawn = || -> Result<Child> { Ok(self.launch(argv, collect_modes(modes)?, true)?.0) };
        spawn().map_err(|e| e.in_run(self.name()))
    }

    /// The child's stdin as the policy says; bytes need a run that feeds them.
    fn policy_stdin(&self, can_feed: bool) -> Result<StdioMode> {
        match &self.policy.stdin {
            Stdin::Null => Ok(StdioMode::Null),
            Stdin::Inherit => Ok(StdioMode::Inherit),
            Stdin::Bytes(_) if can_feed => Ok(StdioMode::Pipe),
            Stdin::Bytes(_) => Err(SandlockError::InvalidArgument {
                what: "stdin",
                reason: "Stdin::Bytes is fed by run(); spawn() takes Null, Inherit or a caller's fd".into(),
            }),
        }
    }

    /// Start the program; with `timer` the timeout is enforced by the timer
    /// thread (for children nobody may be waiting on).
    fn launch<S: AsRef<OsStr>>(&self, argv: &[S], stdio: [StdioMode; 3], timer: bool) -> Result<(Child, Pipes)> {
        if let Some((syscall, list)) = self.rejected {
            return Err(SandlockError::HandlerOnDeniedSyscall { name: syscall.name(), nr: syscall.nr(), list });
        }
        // Checked before the fork: a count no host can start panicked
        // after it, with the child left running unsupervised.
        if self.receiver_threads > MAX_RECEIVER_THREADS {
            return Err(SandlockError::InvalidArgument {
                what: "receiver_threads",
                reason: format!(
                    "{} is more than {MAX_RECEIVER_THREADS} threads on one listener",
                    self.receiver_threads
                ),
            });
        }
        let argv: Vec<OsString> = argv.iter().map(|a| a.as_ref().to_os_string()).collect();
        self.check_path_guard()?;
        let mut per_run = PerRun::prepare(&self.policy)?;
        let builtins = builtins::for_policy(&self.policy, self.policy_fn.is_none());
        let (policy_fn, traps) = match &self.policy_fn {
            Some(spec) => {
                let (traps, static_errno) = self.policy_fn_traps(spec);
                let handler = PolicyFnHandler::new(spec, &self.policy, static_errno, per_run.landlock.clone())?;
                (Some(Arc::new(handler)), traps)
            }
            None => (None, Traps { first: Vec::new(), last: Vec::new() }),
        };
        // Watched syscalls a static rule fails are trapped, and failed by
        // the policy_fn handler after its callback saw them.
        let moved: Vec<u32> = traps.first.iter().chain(&traps.last).copied().collect();
        let with = |nrs: Vec<u32>, handler: &Option<Arc<PolicyFnHandler>>| {
            let handler = handler.clone();
            nrs.into_iter().filter_map(move |nr| Some((nr, Arc::clone(handler.as_ref()?) as Arc<dyn Handler>)))
        };
        let user = self.handlers.iter().map(|(s, h)| (s.nr(), Arc::clone(h)));
        let paths = self.path_guard_traps(policy_fn.as_ref().and_then(|h| h.path_guard()));
        let forks: Vec<u32> = ["clone", "fork", "vfork"].iter().filter_map(|name| number_of(name)).collect();
        let gate = policy_fn.as_ref().map(|h| h.process_gate());
        let process_gate = traps
            .first
            .iter()
            .filter(|nr| forks.contains(nr))
            .filter_map(|&nr| Some((nr, Arc::clone(gate.as_ref()?))))
            .collect::<Vec<_>>();
        let chain = with(traps.first, &policy_fn)
            .chain(builtins.first)
            .chain(user)
            .chain(with(traps.last, &policy_fn))
            .chain(paths)
            .chain(builtins.last)
            .chain(process_gate);
        let (chain, fixed) = compile_fixed_errnos(chain.collect());
        let dispatch = Arc::new(Dispatch::new(chain));
        let notify = !dispatch.is_empty();
        // The filter is the same for every run of this sandbox: built once.
        let filter = Arc::clone(crate::fork_locks::get_or_init(&self.filter, || {
            Arc::new(bpf::assemble(&self.filter_spec(dispatch.syscalls(), &moved, &fixed)))
        }));
        let plan = SpawnPlan::new(PlanInput {
            argv: &argv,
            env: &per_run.env,
            cwd: self.policy.cwd.as_deref(),
            max_memory: self.policy.max_memory,
            max_open_files: self.policy.max_open_files,
            keep_caps: crate::caps::mask(&self.policy.keep_capabilities),
            uid: self.policy.uid,
            gid: self.policy.gid,
            landlock: per_run.landlock.clone(),
            filter,
            notify,
            namespaces: self.namespace_flags(),
            shm: per_run.shm.take(),
            drop_groups: self.policy.drop_groups,
        })?;
        let mut started = spawn::start(&plan, stdio)?;
        let supervisor = match started.listener.take() {
            Some(listener) => {
                let config = SupervisorConfig {
                    threads: self.receiver_threads,
                    sync_wakeup: self.sync_wakeup,
                    grace: self.policy.handler_grace,
                };
                match Supervisor::start(
                    listener,
                    dispatch,
                    Arc::clone(&started.group),
                    self.policy.landlock.clone(),
                    &config,
                ) {
                    Ok(supervisor) => Some(supervisor),
                    Err(e) => {
                        spawn::kill_and_reap(started.pid);
                        return Err(e);
                    }
                }
            }
            None => None,
        };
        if let Err(e) = started.finish() {
            if let Some(supervisor) = supervisor {
                supervisor.stop();
            }
            return Err(exec_check::explain_refusal(
                e,
                plan.program(),
                self.policy.cwd.as_deref(),
                &per_run.exec_rules(),
                &self.child_identity(),
            ));
        }
        let pipes = Pipes { stdin: started.stdin.take(), stdout: started.stdout.take(), stderr: started.stderr.take() };
        let flagged = policy_fn.map(|handler| {
            handler.started(&started.group);
            handler.flag_log()
        });
        let child = Child::new(Arc::clone(&started.group), supervisor, self.policy.timeout, timer, flagged)?;
        Ok((child.with_private_tmp(per_run.tmp), pipes))
    }

    /// The path guard of a `policy_fn` opens files in the caller's mount
    /// namespace, where a private `/dev/shm` is not.
    fn check_path_guard(&self) -> Result<()> {
        let paths = self.policy_fn.as_ref().is_some_and(|spec| spec.options.categories.contains(Category::PATHS));
        if paths && self.policy.private_shm.is_some() {
            return Err(SandlockError::InvalidArgument {
                what: "policy_fn",
                reason: "Category::PATHS cannot be combined with private_shm: the path guard opens files in the \
                         caller's mount namespace, which has no private /dev/shm"
                    .into(),
            });
        }
        Ok(())
    }

    /// Who the child runs as, for explaining a refused exec.
    fn child_identity(&self) -> ChildIdentity {
        let groups = if self.policy.gid.is_some() && self.policy.drop_groups {
            Vec::new()
        } else {
            nix::unistd::getgroups().map(|g| g.iter().map(|g| g.as_raw()).collect()).unwrap_or_default()
        };
        ChildIdentity {
            uid: self.policy.uid.unwrap_or_else(|| nix::unistd::geteuid().as_raw()),
            gid: self.policy.gid.unwrap_or_else(|| nix::unistd::getegid().as_raw()),
            groups,
        }
    }

    /// The child keeps uid 0 (the caller is root and the policy sets no uid).
    fn child_is_root(&self) -> bool {
        self.policy.uid.unwrap_or_else(|| nix::unistd::geteuid().as_raw()) == 0
    }

    fn namespace_flags(&self) -> libc::c_int {
        let ipc = if self.policy.private_ipc { libc::CLONE_NEWIPC } else { 0 };
        let net = if self.policy.private_network { libc::CLONE_NEWNET } else { 0 };
        ipc | net
    }

    /// Every syscall the filter fails with a fixed errno, sorted by number;
    /// the first list naming a syscall decides its errno.
    fn denied(&self) -> Vec<(u32, i32)> {
        let mut deny: Vec<(u32, i32)> =
            self.deny_lists().flat_map(|list| list.numbers.into_iter().map(move |nr| (nr, list.errno))).collect();
        deny.sort_by_key(|&(nr, _)| nr);
        deny.dedup_by_key(|&mut (nr, _)| nr);
        deny
    }

    /// What a `policy_fn` traps, and the errno of each watched syscall that
    /// a static rule (a deny list or the allowlist) fails. Unwatched ones
    /// stay with the filter.
    fn policy_fn_traps(&self, spec: &PolicyFnSpec) -> (Traps, HashMap<u32, i32>) {
        let denied = self.denied();
        let mut static_errno = HashMap::new();
        let mut keep = |nrs: Vec<u32>| -> Vec<u32> {
            nrs.into_iter()
                .filter(|&nr| {
                    let rule = denied.binary_search_by_key(&nr, |&(n, _)| n).ok().map(|i| denied[i].1);
                    let rule = rule.or_else(|| (!self.policy.allowlist_admits(nr)).then_some(libc::EPERM));
                    match rule {
                        None => true,
                        Some(errno) if category_of(nr).is_some_and(|c| spec.options.categories.contains(c)) => {
                            static_errno.insert(nr, errno);
                            true
                        }
                        Some(_) => false,
                    }
                })
                .collect()
        };
        let wanted = Traps::wanted(spec.options.categories, &self.policy);
        let traps = Traps { first: keep(wanted.first), last: keep(wanted.last) };
        (traps, static_errno)
    }

    /// The path guard of a `policy_fn` with `Category::PATHS`, on every path
    /// syscall a static rule does not fail (those stay with the filter).
    fn path_guard_traps(&self, guard: Option<Arc<PathGuard>>) -> Vec<(u32, Arc<dyn Handler>)> {
        let Some(guard) = guard else { return Vec::new() };
        let denied = self.denied();
        PathGuard::SYSCALLS
            .iter()
            .filter_map(|name| number_of(name))
            .filter(|nr| denied.binary_search_by_key(nr, |&(n, _)| n).is_err())
            .filter(|&nr| self.policy.allowlist_admits(nr))
            .map(|nr| (nr, Arc::clone(&guard) as Arc<dyn Handler>))
            .collect()
    }

    /// `trapped`: syscalls sent to the supervisor though a list denies them;
    /// `fixed`: syscalls whose handlers' answer is a fixed errno.
    fn filter_spec(&self, notify: Vec<u32>, trapped: &[u32], fixed: &[(u32, i32)]) -> FilterSpec {
        let mut deny = self.denied();
        deny.retain(|(nr, _)| !trapped.contains(nr));
        // A denied syscall carries no handler (registration refuses one),
        // so the two lists never name the same number.
        deny.extend_from_slice(fixed);
        deny.sort_by_key(|&(nr, _)| nr);
        let allow_only = match &self.policy.syscalls {
            SyscallRules::AllowList(allowed) => Some(allowed.iter().map(|s| s.nr()).collect()),
            SyscallRules::DenyList(_) => None,
        };
        FilterSpec {
            notify,
            deny,
            allow_only,
            unknown: crate::syscall::unknown_ranges().to_vec(),
            allow_netlink: self.policy.allow_netlink,
            allow_unix: self.policy.allow_unix_sockets,
            child_is_root: self.child_is_root(),
        }
    }
}

/// A handler on a syscall, in chain order.
type Link = (u32, Arc<dyn Handler>);

/// Take out of `chain` the syscalls whose first handler answers a fixed
/// errno: the filter answers them. Returns the rest and those `(nr, errno)`.
fn compile_fixed_errnos(chain: Vec<Link>) -> (Vec<Link>, Vec<(u32, i32)>) {
    let mut first: HashMap<u32, Option<i32>> = HashMap::new();
    for (nr, handler) in &chain {
        first.entry(*nr).or_insert_with(|| handler.fixed_errno().filter(|e| (1..=4095).contains(e)));
    }
    let mut fixed: Vec<(u32, i32)> = first.into_iter().filter_map(|(nr, errno)| Some((nr, errno?))).collect();
    fixed.sort_unstable();
    let chain = chain.into_iter().filter(|(nr, _)| fixed.binary_search_by_key(nr, |&(n, _)| n).is_err()).collect();
    (chain, fixed)
}

/// One list of syscalls the filter fails with `errno`, named for errors.
struct DenyList {
    numbers: Vec<u32>,
    errno: i32,
    name: &'static str,
}

/// A standard stream of the child, chosen by the caller of
/// [`Sandbox::run_with`], [`Sandbox::run_interactive_with`] or
/// [`Sandbox::spawn_with`].
#[derive(Debug)]
pub enum Stdio {
    /// `/dev/null`.
    Null,
    /// The caller's own stream.
    Inherit,
    /// This file, pipe, socket or terminal: the child gets a copy, and this
    /// one is closed once the child has started.
    Fd(std::os::fd::OwnedFd),
}

impl From<Stdio> for StdioMode {
    fn from(stdio: Stdio) -> StdioMode {
        match stdio {
            Stdio::Null => StdioMode::Null,
            Stdio::Inherit => StdioMode::Inherit,
            Stdio::Fd(fd) => StdioMode::Fd(fd),
        }
    }
}

/// The streams a run takes from its caller; `None` keeps the run's default
/// (captured output for `run`, the caller's streams for `run_interactive`,
/// the policy's stdin and the caller's output for `spawn`).
#[derive(Debug, Default)]
pub struct StdioOverrides {
    pub stdin: Option<Stdio>,
    pub stdout: Option<Stdio>,
    pub stderr: Option<Stdio>,
}

fn collect_modes(modes: [Result<StdioMode>; 3]) -> Result<[StdioMode; 3]> {
    let [stdin, stdout, stderr] = modes;
    Ok([stdin?, stdout?, stderr?])
}

/// The parent's ends of the child's stdio pipes.
struct Pipes {
    stdin: Option<crate::fork_locks::PrivateFd>,
    stdout: Option<std::os::fd::OwnedFd>,
    stderr: Option<std::os::fd::OwnedFd>,
}
