//! The `policy_fn` handler: it makes an event of each watched call, asks
//! the callback (bounded by its time limit), and answers. Calls it only
//! looks at (forks, opens, signals) come before every other handler; calls
//! it must carry out to be race-free (exec, connect, bind, listen) come
//! after the user's handlers, in the place of the kernel.

use std::collections::HashMap;
use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::Arc;

use crate::builtins::net::{self, NetGuard};
use crate::builtins::task_limit::{self, TaskGate};
use crate::error::Result;
use crate::group::Group;
use crate::handler::{Handler, HandlerCtx, HandlerResult};
use crate::kernel::KernelFeatures;
use crate::notif::{ExceptionPolicy, NotifAction};
use crate::policy::Policy;
use crate::policy_fn::connect::Request;
use crate::policy_fn::control::{Control, Tightened};
use crate::policy_fn::event::{from_notification, from_notification_with_parent};
use crate::policy_fn::freeze::{self, SharedMemory};
use crate::policy_fn::monitor::Bounded;
use crate::policy_fn::paths::{DeniedPaths, PathGuard};
use crate::policy_fn::tracer::Tracer;
use crate::policy_fn::waits::Waits;
use crate::policy_fn::{Category, Decision, Detail, Event, FlagLog, NetOp, PolicyFn, PolicyFnOptions};
use crate::sockaddr::{self, MAX_ADDR};
use crate::syscall::{number_of, Syscall};

/// Landlock ABI that checks TCP connects by port.
const LANDLOCK_ABI_NET: i32 = 4;
/// Landlock ABI that scopes signals to the sandbox.
const LANDLOCK_ABI_SCOPE: i32 = 6;

/// A `policy_fn` as given to the sandbox; each run gets its own handler.
#[derive(Clone)]
pub(crate) struct PolicyFnSpec {
    pub callback: Arc<dyn PolicyFn>,
    pub options: PolicyFnOptions,
}

/// The process limit of a run with a `policy_fn`, lowered or not. It lets
/// the clone go itself, so it comes after every other handler of it.
struct ProcessGate {
    state: Arc<Tightened>,
    gate: TaskGate,
}

impl Handler for ProcessGate {
    fn handle(&self, ctx: &HandlerCtx<'_>) -> HandlerResult {
        // A lowered memory limit reaches the child through its parent,
        // limited before the clone goes; a cloner whose limit cannot be
        // lowered gets no child, which would escape it.
        if let Some(memory) = self.state.lowered_max_memory() {
            if crate::policy_fn::control::lower_rlimit(ctx.pid() as i32, memory).is_err() {
                return Ok(NotifAction::Errno(libc::EAGAIN));
            }
        }
        let limit = self.state.max_processes();
        if limit == u32::MAX {
            return Ok(NotifAction::Continue);
        }
        Ok(self.gate.admit(ctx, limit, task_limit::flags_of(ctx)))
    }

    fn exception_policy(&self) -> ExceptionPolicy {
        ExceptionPolicy::DenyEperm
    }
}

/// What the handler does with a syscall.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Process,
    Exec { at: bool },
    Connect,
    Bind,
    Listen,
    Send,
    Open,
    Signal,
}

/// The syscalls a `policy_fn` traps, by their place in the chain.
pub(crate) struct Traps {
    /// Before every other handler.
    pub first: Vec<u32>,
    /// After the user's handlers.
    pub last: Vec<u32>,
}

impl Traps {
    /// Forks (for the process limit, which the control handle may lower
    /// at any time) and connects (for `restrict_connect`) are always
    /// trapped; the rest by category.
    pub(crate) fn wanted(categories: Category, policy: &Policy) -> Traps {
        let mut first: Vec<&str> = vec!["clone", "fork", "vfork"];
        let mut last: Vec<&str> = vec!["connect"];
        if categories.contains(Category::FILE) {
            first.extend(["open", "openat", "openat2", "creat"]);
        }
        if categories.contains(Category::SIGNAL) {
            first.extend(["kill", "tkill", "tgkill", "rt_sigqueueinfo", "rt_tgsigqueueinfo", "pidfd_send_signal"]);
        }
        // With path control, execs are checked against the denied paths.
        if categories.contains(Category::EXEC) || categories.contains(Category::PATHS) {
            last.extend(["execve", "execveat"]);
        }
        if categories.contains(Category::NETWORK) {
            last.extend(["bind", "listen"]);
            // Only sockets other than TCP take a destination with a send.
            if policy.allow_unix_sockets || policy.allow_netlink {
                last.extend(["sendto", "sendmsg", "sendmmsg"]);
            }
        }
        let numbers = |names: Vec<&str>| names.into_iter().filter_map(number_of).collect();
        Traps { first: numbers(first), last: numbers(last) }
    }
}

/// The handler of one run.
pub(crate) struct PolicyFnHandler {
    callback: Arc<dyn PolicyFn>,
    options: PolicyFnOptions,
    control: Control,
    bounded: Bounded,
    shared: SharedMemory,
    tracer: Tracer,
    /// Connects in progress, each waited for on a thread.
    connects: Waits,
    flagged: FlagLog,
    kinds: HashMap<u32, Kind>,
    /// Watched syscalls a static rule fails with this errno.
    static_errno: HashMap<u32, i32>,
    net: NetGuard,
    /// The net built-in makes binds (otherwise they pass to the kernel).
    bind_mediated: bool,
    bind_ports: Vec<u16>,
    /// The TCP ports Landlock lets the child connect to, when it checks them.
    connect_ports: Option<Vec<u16>>,
    signals_scoped: bool,
    write_rules: Vec<PathBuf>,
    /// With `Category::PATHS`: the guard of every path call, which the
    /// sandbox registers for [`PathGuard::SYSCALLS`].
    paths: Option<Arc<PathGuard>>,
}

impl PolicyFnHandler {
    /// `static_errno`: the watched syscalls the filter would fail, which
    /// the handler fails the same way after showing them.
    /// Fails when path control's agent cannot be confined like the child.
    /// `ruleset` is the Landlock ruleset the run's child restricts itself with.
    pub(crate) fn new(
        spec: &PolicyFnSpec,
        policy: &Policy,
        static_errno: HashMap<u32, i32>,
        ruleset: Option<Arc<std::os::fd::OwnedFd>>,
    ) -> Result<PolicyFnHandler> {
        let landlock = KernelFeatures::get().landlock_abi;
        let denied = spec.options.categories.contains(Category::PATHS).then(|| Arc::new(DeniedPaths::new()));
        let paths = match &denied {
            Some(denied) => Some(Arc::new(PathGuard::with_ruleset(policy, Arc::clone(denied), ruleset)?)),
            None => None,
        };
        let state = Tightened::new(policy.max_processes, policy.max_memory, denied);
        Ok(PolicyFnHandler {
            callback: Arc::clone(&spec.callback),
            options: spec.options,
            control: Control { state: Arc::new(state) },
            bounded: Bounded::new(spec.options.time_limit),
            shared: SharedMemory::default(),
            tracer: Tracer::default(),
            connects: Waits::default(),
            flagged: FlagLog::default(),
            kinds: kinds(),
            static_errno,
            net: NetGuard::for_policy(policy),
            bind_mediated: crate::builtins::mediates_bind(policy),
            bind_ports: policy.net_bind_tcp.clone(),
            connect_ports: (policy.landlock.is_some() && landlock >= LANDLOCK_ABI_NET)
                .then(|| policy.net_connect_tcp.clone()),
            signals_scoped: policy.landlock.is_some() && policy.scope_ipc && landlock >= LANDLOCK_ABI_SCOPE,
            write_rules: policy.write_paths.clone(),
            paths,
        })
    }

    /// The guard of every path call, with `Category::PATHS`.
    pub(crate) fn path_guard(&self) -> Option<Arc<PathGuard>> {
        self.paths.clone()
    }

    /// The handler that lets a clone go under the run's process limit,
    /// for the end of the clone's chain.
    pub(crate) fn process_gate(&self) -> Arc<dyn Handler> {
        Arc::new(ProcessGate { state: Arc::clone(&self.control.state), gate: TaskGate::default() })
    }

    /// The run's sandbox has started as `group`.
    pub(crate) fn started(&self, group: &Arc<Group>) {
        self.control.state.set_sandbox(group);
    }

    pub(crate) fn flag_log(&self) -> FlagLog {
        Arc::clone(&self.flagged)
    }

    fn watches(&self, category: Category) -> bool {
        self.options.categories.contains(category)
    }

    /// The callback's decision on `event`, within its time limit; a flagged
    /// event is recorded.
    fn ask(&self, event: Event) -> Decision {
        let callback = Arc::clone(&self.callback);
        let control = self.control.clone();
        let spare = (self.options.on_failure == Decision::Flag).then(|| event.clone());
        let answer = self.bounded.run(move || {
            let decision = callback.decide(&event, &control);
            (decision, event)
        });
        let (decision, event) = match answer {
            Ok((Decision::Deny(errno), event)) if !(1..=4095).contains(&errno) => {
                (self.options.on_failure, Some(event))
            }
            Ok((decision, event)) => (decision, Some(event)),
            Err(_) => (self.options.on_failure, spare),
        };
        if decision == Decision::Flag {
            if let Some(event) = event {
                self.flagged.push(event);
            }
        }
        decision
    }

    /// Ask about `event` if its category is watched; `Allow` otherwise.
    fn ask_if_watched(&self, event: impl FnOnce() -> Event, category: Category) -> Decision {
        if self.watches(category) {
            self.ask(event())
        } else {
            Decision::Allow
        }
    }

    fn process(&self, ctx: &HandlerCtx<'_>, syscall: Syscall) -> NotifAction {
        // Forks are trapped for the process limit even when nobody watches
        // them: the event (and its /proc reads) only when it is asked for.
        let event = || from_notification(ctx, syscall, Category::PROCESS);
        if self.watches(Category::EXEC) {
            self.shared.note_clone(crate::syscall::clone_flags(syscall.name(), ctx.args()));
        }
        let limit = self.control.state.max_processes();
        // Unreadable /proc counts as full: the limit fails closed.
        let full = limit != u32::MAX
            && crate::procs::tasks_in_group(ctx.sandbox_pgid()).unwrap_or(u64::MAX) >= u64::from(limit);
        let decision = self.ask_if_watched(|| Event { denied_by_policy: full, ..event() }, Category::PROCESS);
        match decision {
            _ if full => NotifAction::Errno(libc::EAGAIN),
            Decision::Deny(errno) => NotifAction::Errno(errno),
            // Counted again, one clone at a time, by the run's
            // `ProcessGate` after every other handler.
            Decision::Allow | Decision::Flag => NotifAction::Continue,
        }
    }

    fn exec(&self, ctx: &HandlerCtx<'_>, syscall: Syscall, at: bool) -> NotifAction {
        let (decision, frozen, expected) = if self.watches(Category::EXEC) {
            let argv = freeze::read_argv(ctx, at, &self.shared, &self.write_rules, &self.tracer);
            let mut event = from_notification_with_parent(ctx, syscall, Category::EXEC, argv.ppid);
            event.detail = Detail::Exec { argv: argv.args, truncated: argv.truncated };
            event.race_free = argv.race_free;
            (self.ask(event), argv.frozen, argv.expected)
        } else {
            (Decision::Allow, None, None)
        };
        let mut action = match decision {
            Decision::Deny(errno) => NotifAction::Errno(errno),
            Decision::Allow | Decision::Flag => NotifAction::Continue,
        };
        let mut check = None;
        if let (NotifAction::Continue, Some(guard)) = (&action, self.paths.as_ref().filter(|g| g.active())) {
            if exec_path_denied(ctx, guard, at) {
                action = NotifAction::Errno(libc::EACCES);
            } else {
                check = Some(Arc::clone(guard));
            }
        }
        // The kernel resolves the path again: what it runs is checked at
        // the exec stop, for which the exec-ing task must be traced.
        let frozen = match (frozen, &check) {
            (None, Some(_)) => self.tracer.trace_exec_task(ctx.pid() as i32),
            (frozen, _) => frozen,
        };
        match frozen {
            None => action,
            Some(frozen) => {
                // The writers are let go only once the kernel has its copy
                // of argv, which is after the answer.
                ctx.defer().reply(action);
                match (check, expected) {
                    (None, None) => frozen.release(),
                    (guard, expected) => frozen.release_checked(Box::new(move |pid| {
                        expected.is_some_and(|image| freeze::ran_other_image(pid, &image))
                            || guard.is_some_and(|guard| guard.program_denied(pid))
                    })),
                }
                NotifAction::Hold
            }
        }
    }

    fn connect(&self, ctx: &HandlerCtx<'_>, syscall: Syscall) -> NotifAction {
        let state = &self.control.state;
        if !self.watches(Category::NETWORK) && !state.connect_restricted() {
            return NotifAction::Continue;
        }
        let request = match Request::take(ctx) {
            Ok(request) => request,
            Err(errno) => return NotifAction::Errno(errno),
        };
        let mut event = from_notification(ctx, syscall, Category::NETWORK);
        if !request.tcp {
            // A UNIX or netlink socket (when the policy allows them): the
            // kernel reads the address again, so the event has none.
            event.detail = Detail::Network { op: NetOp::Connect, family: request.family, addr: None, port: None };
            event.race_free = false;
            return match self.ask_if_watched(|| event, Category::NETWORK) {
                Decision::Deny(errno) => NotifAction::Errno(errno),
                Decision::Allow | Decision::Flag => NotifAction::Continue,
            };
        }
        let denied = match (request.ip, request.port) {
            (Some(ip), Some(port)) => self.connect_refused(state, ip, port),
            _ => false,
        };
        event.detail =
            Detail::Network { op: NetOp::Connect, family: request.family, addr: request.ip, port: request.port };
        event.denied_by_policy = denied;
        match self.ask_if_watched(|| event, Category::NETWORK) {
            // Landlock's answer to a port no rule grants.
            _ if denied => NotifAction::Errno(libc::EACCES),
            Decision::Deny(errno) => NotifAction::Errno(errno),
            Decision::Allow | Decision::Flag => {
                request.perform(ctx.defer(), &self.connects);
                NotifAction::Hold
            }
        }
    }

    fn connect_refused(&self, state: &Tightened, ip: IpAddr, port: u16) -> bool {
        self.connect_ports.as_ref().is_some_and(|ports| !ports.contains(&port)) || !state.connect_allowed(ip, port)
    }

    fn bind(&self, ctx: &HandlerCtx<'_>, syscall: Syscall) -> HandlerResult {
        let addr = match net::read_address(ctx) {
            Ok(addr) => addr,
            Err(errno) => return Ok(NotifAction::Errno(errno)),
        };
        let socket = match ctx.child_socket(ctx.args()[0] as i32) {
            Ok(socket) => socket,
            Err(e) => return Ok(NotifAction::Errno(e.raw_os_error().unwrap_or(libc::EBADF))),
        };
        let (family, ip, port) = sockaddr::decode(&addr);
        let inet = matches!(family, libc::AF_INET | libc::AF_INET6);
        let denied = self.bind_mediated && inet && port.is_some_and(|p| !self.bind_ports.contains(&p));
        let mut event = from_notification(ctx, syscall, Category::NETWORK);
        event.detail = Detail::Network { op: NetOp::Bind, family, addr: ip, port };
        event.denied_by_policy = denied;
        // Unmediated binds (a UNIX socket, UNIX sockets allowed) read the
        // address again.
        let performed = self.bind_mediated && self.net.binds_itself(&socket);
        event.race_free = performed;
        match self.ask(event) {
            Decision::Deny(errno) => Ok(NotifAction::Errno(errno)),
            Decision::Allow | Decision::Flag if performed => self.net.bind_on(&socket, &addr),
            Decision::Allow | Decision::Flag => Ok(NotifAction::Continue),
        }
    }

    fn listen(&self, ctx: &HandlerCtx<'_>, syscall: Syscall) -> HandlerResult {
        let socket = match ctx.child_socket(ctx.args()[0] as i32) {
            Ok(socket) => socket,
            Err(e) => return Ok(NotifAction::Errno(e.raw_os_error().unwrap_or(libc::EBADF))),
        };
        let (family, addr, port) = net::local_address(&socket);
        let mut event = from_notification(ctx, syscall, Category::NETWORK);
        event.detail = Detail::Network { op: NetOp::Listen, family, addr, port };
        // A TCP socket not bound to a granted port would listen on a port
        // no rule granted.
        event.denied_by_policy = !self.net.may_listen(&socket);
        match self.ask(event) {
            Decision::Deny(errno) => Ok(NotifAction::Errno(errno)),
            Decision::Allow | Decision::Flag => self.net.listen_on(&socket, ctx.args()[1] as i32),
        }
    }

    fn send(&self, ctx: &HandlerCtx<'_>, syscall: Syscall) -> NotifAction {
        let Some(addr) = send_destination(ctx, syscall.name()) else { return NotifAction::Continue };
        let (family, ip, port) = sockaddr::decode(&addr);
        let mut event = from_notification(ctx, syscall, Category::NETWORK);
        event.detail = Detail::Network { op: NetOp::SendTo, family, addr: ip, port };
        // The kernel reads the destination again.
        event.race_free = false;
        match self.ask(event) {
            Decision::Deny(errno) => NotifAction::Errno(errno),
            Decision::Allow | Decision::Flag => NotifAction::Continue,
        }
    }

    fn open(&self, ctx: &HandlerCtx<'_>, syscall: Syscall) -> NotifAction {
        let mut event = from_notification(ctx, syscall, Category::FILE);
        if syscall.name() == "openat2" {
            // `struct open_how` starts with the flags; the kernel reads
            // them again, which the event says (race_free is false).
            let mut flags = [0u8; 8];
            if ctx.read_mem(ctx.args()[2], &mut flags).is_ok() {
                event.detail = Detail::File { flags: u64::from_ne_bytes(flags) };
            }
        }
        match self.ask(event) {
            Decision::Deny(errno) => NotifAction::Errno(errno),
            Decision::Allow | Decision::Flag => NotifAction::Continue,
        }
    }

    fn signal(&self, ctx: &HandlerCtx<'_>, syscall: Syscall) -> NotifAction {
        let mut event = from_notification(ctx, syscall, Category::SIGNAL);
        let outside = self.signals_scoped && signal_leaves_sandbox(ctx, syscall.name());
        event.denied_by_policy = outside;
        match self.ask(event) {
            // Landlock's answer to a signal out of its scope.
            _ if outside => NotifAction::Errno(libc::EPERM),
            Decision::Deny(errno) => NotifAction::Errno(errno),
            Decision::Allow | Decision::Flag => NotifAction::Continue,
        }
    }

    /// A watched call a static rule fails: the callback sees it (and may
    /// flag it); the answer is the rule's.
    fn statically_denied(&self, ctx: &HandlerCtx<'_>, syscall: Syscall, kind: Kind, errno: i32) -> NotifAction {
        let category = category_of_kind(kind);
        let mut event = from_notification(ctx, syscall, category);
        event.denied_by_policy = true;
        match kind {
            Kind::Exec { at } => {
                let (argv, truncated) = freeze::read_argv_unfrozen(ctx, if at { ctx.args()[2] } else { ctx.args()[1] });
                event.detail = Detail::Exec { argv, truncated };
                event.race_free = false;
            }
            Kind::Connect | Kind::Bind => {
                let mut addr = vec![0u8; (ctx.args()[2] as u32 as usize).min(MAX_ADDR)];
                if ctx.read_mem(ctx.args()[1], &mut addr).is_ok() {
                    let (family, ip, port) = sockaddr::decode(&addr);
                    let op = if kind == Kind::Connect { NetOp::Connect } else { NetOp::Bind };
                    event.detail = Detail::Network { op, family, addr: ip, port };
                }
                event.race_free = false;
            }
            _ => {}
        }
        if self.watches(category) {
            self.ask(event);
        }
        NotifAction::Errno(errno)
    }
}

impl Handler for PolicyFnHandler {
    fn handle(&self, ctx: &HandlerCtx<'_>) -> HandlerResult {
        let nr = ctx.syscall_nr() as u32;
        let (Some(&kind), Ok(syscall)) = (self.kinds.get(&nr), Syscall::checked(i64::from(nr))) else {
            return Ok(NotifAction::Continue);
        };
        if let Some(&errno) = self.static_errno.get(&nr) {
            return Ok(self.statically_denied(ctx, syscall, kind, errno));
        }
        Ok(match kind {
            Kind::Process => self.process(ctx, syscall),
            Kind::Exec { at } => self.exec(ctx, syscall, at),
            Kind::Connect => self.connect(ctx, syscall),
            Kind::Bind => return self.bind(ctx, syscall),
            Kind::Listen => return self.listen(ctx, syscall),
            Kind::Send => self.send(ctx, syscall),
            Kind::Open => self.open(ctx, syscall),
            Kind::Signal => self.signal(ctx, syscall),
        })
    }

    /// A failure inside the handler itself (not the callback's, which gets
    /// `on_failure`) fails the call closed.
    fn exception_policy(&self) -> ExceptionPolicy {
        ExceptionPolicy::DenyEperm
    }
}

fn kinds() -> HashMap<u32, Kind> {
    let table: &[(&str, Kind)] = &[
        ("clone", Kind::Process),
        ("fork", Kind::Process),
        ("vfork", Kind::Process),
        ("execve", Kind::Exec { at: false }),
        ("execveat", Kind::Exec { at: true }),
        ("connect", Kind::Connect),
        ("bind", Kind::Bind),
        ("listen", Kind::Listen),
        ("sendto", Kind::Send),
        ("sendmsg", Kind::Send),
        ("sendmmsg", Kind::Send),
        ("open", Kind::Open),
        ("openat", Kind::Open),
        ("openat2", Kind::Open),
        ("creat", Kind::Open),
        ("kill", Kind::Signal),
        ("tkill", Kind::Signal),
        ("tgkill", Kind::Signal),
        ("rt_sigqueueinfo", Kind::Signal),
        ("rt_tgsigqueueinfo", Kind::Signal),
        ("pidfd_send_signal", Kind::Signal),
    ];
    table.iter().filter_map(|&(name, kind)| Some((number_of(name)?, kind))).collect()
}

fn category_of_kind(kind: Kind) -> Category {
    match kind {
        Kind::Process => Category::PROCESS,
        Kind::Exec { .. } => Category::EXEC,
        Kind::Connect | Kind::Bind | Kind::Listen | Kind::Send => Category::NETWORK,
        Kind::Open => Category::FILE,
        Kind::Signal => Category::SIGNAL,
    }
}

/// The destination of a send, when it names one (copied once).
fn send_destination(ctx: &HandlerCtx<'_>, name: &str) -> Option<Vec<u8>> {
    let args = ctx.args();
    let (addr, len) = match name {
        "sendto" => (args[4], args[5] as u32 as usize),
        // struct msghdr (and the first of sendmmsg's struct mmsghdr)
        // starts with msg_name and msg_namelen.
        _ => {
            let mut head = [0u8; 12];
            ctx.read_mem(args[1], &mut head).ok()?;
            let ptr = u64::from_ne_bytes(head[..8].try_into().ok()?);
            let len = u32::from_ne_bytes(head[8..12].try_into().ok()?) as usize;
            (ptr, len)
        }
    };
    if addr == 0 || len == 0 {
        return None;
    }
    let mut bytes = vec![0u8; len.min(MAX_ADDR)];
    ctx.read_mem(addr, &mut bytes).ok()?;
    Some(bytes)
}

/// The signal goes to a process outside the sandbox (which Landlock's
/// signal scope refuses). A target that does not exist is the kernel's
/// to answer.
fn signal_leaves_sandbox(ctx: &HandlerCtx<'_>, name: &str) -> bool {
    let args = ctx.args();
    let pgid = ctx.sandbox_pgid();
    let target = match name {
        "kill" => {
            let pid = args[0] as i32;
            if pid < -1 {
                return -pid != pgid;
            }
            if pid <= 0 {
                return false;
            }
            pid
        }
        "tkill" | "tgkill" | "rt_sigqueueinfo" | "rt_tgsigqueueinfo" => args[0] as i32,
        _ => return false,
    };
    // SAFETY: getpgid has no memory effects.
    let group = unsafe { libc::getpgid(target) };
    group > 0 && group != pgid
}

/// The program `execve`/`execveat` in `ctx` names is denied (read once; the
/// check at the exec stop covers a path changed since).
fn exec_path_denied(ctx: &HandlerCtx<'_>, guard: &PathGuard, at: bool) -> bool {
    let args = ctx.args();
    let (dirfd, path_addr, flags) = if at { (args[0] as i32, args[1], args[4]) } else { (libc::AT_FDCWD, args[0], 0) };
    match ctx.read_cstr_bytes(path_addr, libc::PATH_MAX as usize - 1) {
        Ok(path) => guard.exec_denied(ctx, dirfd, &path, flags),
        // The kernel fails it the same way (or, if it raced, the check at
        // the exec stop sees what runs).
        Err(_) => false,
    }
}
