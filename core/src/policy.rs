//! What a sandboxed program may do: file-system paths, TCP ports, IPC scoping,
//! syscall rules, limits, environment and working directory.
//!
//! The builder validates everything in `build()`, so a `Policy` that exists is
//! one this kernel can enforce (or one whose caller opted into best effort).

use std::ffi::{OsStr, OsString};
use std::os::fd::OwnedFd;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use crate::error::{Result, SandlockError};
use crate::kernel::KernelFeatures;
use crate::landlock_rules::{self, Rules};
use crate::private_shm::Privilege;
use crate::proc_paths::{proc_relation, rule_paths, ProcRelation};
use crate::syscall::Syscall;

/// Default bound on each captured output stream of [`crate::Sandbox::run`].
pub const DEFAULT_MAX_OUTPUT: usize = 16 * 1024 * 1024;

/// What the child reads on its standard input.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Stdin {
    /// `/dev/null` (the default).
    #[default]
    Null,
    /// The caller's own standard input.
    Inherit,
    /// These bytes, then end of file.
    Bytes(Vec<u8>),
}

/// Which syscalls the seccomp filter lets through.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SyscallRules {
    /// Everything except the default deny list and these extra syscalls.
    DenyList(Vec<Syscall>),
    /// Only these syscalls; everything else fails with `EPERM`. The default
    /// deny list still applies on top.
    AllowList(Vec<Syscall>),
}

/// A validated sandbox policy. Build one with [`Policy::builder`].
#[derive(Debug, Clone)]
pub struct Policy {
    /// The Landlock ruleset of `fs_read`, `fs_write`, the TCP ports and IPC
    /// scoping, created once in `build` (so an unsupported kernel fails
    /// there) and applied by every run; `None` when best effort found no
    /// Landlock.
    pub(crate) landlock: Option<Arc<OwnedFd>>,
    /// What the ruleset was made of, for runs that need one of their own
    /// (a private temporary directory, a private `/dev/shm`).
    pub(crate) rules: Arc<Rules>,
    /// The inodes below which the ruleset lets the child execute (see
    /// `exec_check`); empty without Landlock.
    pub(crate) exec_roots: Arc<Vec<(u64, u64)>>,
    /// Some grant reaches into `/proc`: the procfs built-in runs.
    pub(crate) proc_granted: bool,
    pub(crate) net_bind_tcp: Vec<u16>,
    /// What the ruleset holds, for the supervisor's own checks on the
    /// child's behalf (`policy_fn` makes connects, and must know which
    /// files the child may write: the write rules, the standard devices,
    /// and where private temporary directories and `/dev/shm` are).
    pub(crate) net_connect_tcp: Vec<u16>,
    pub(crate) write_paths: Vec<PathBuf>,
    pub(crate) scope_ipc: bool,
    pub(crate) syscalls: SyscallRules,
    pub(crate) allow_netlink: bool,
    pub(crate) allow_unix_sockets: bool,
    pub(crate) timeout: Option<Duration>,
    pub(crate) max_memory: Option<u64>,
    pub(crate) max_open_files: Option<u64>,
    pub(crate) max_processes: Option<u32>,
    pub(crate) env: Vec<(OsString, OsString)>,
    pub(crate) cwd: Option<PathBuf>,
    pub(crate) stdin: Stdin,
    pub(crate) uid: Option<u32>,
    pub(crate) gid: Option<u32>,
    pub(crate) keep_capabilities: Vec<u32>,
    pub(crate) max_output: usize,
    pub(crate) private_ipc: bool,
    pub(crate) private_network: bool,
    pub(crate) handler_grace: Duration,
    /// Each run gets a temporary directory of its own (`TMPDIR`).
    pub(crate) private_tmp: bool,
    /// Each run gets a `/dev/shm` of its own, made this way.
    pub(crate) private_shm: Option<Privilege>,
    /// The gid switch also empties the supplementary groups (see
    /// `caps::check_switch`).
    pub(crate) drop_groups: bool,
}

impl Policy {
    pub fn builder() -> PolicyBuilder {
        PolicyBuilder::default()
    }

    pub fn timeout(&self) -> Option<Duration> {
        self.timeout
    }

    pub fn syscall_rules(&self) -> &SyscallRules {
        &self.syscalls
    }

    /// True when a grant reaches into `/proc`: `/proc` itself, a path below
    /// it, a symlink into it, or an ancestor. The procfs built-in then
    /// mediates every `/proc` open and Landlock gets no `/proc` rule.
    pub(crate) fn grants_proc(&self) -> bool {
        self.proc_granted
    }

    /// False when an allowlist leaves syscall `nr` out: then nothing, not
    /// even a built-in handler, may carry it out.
    pub(crate) fn allowlist_admits(&self, nr: u32) -> bool {
        match &self.syscalls {
            SyscallRules::AllowList(allowed) => allowed.iter().any(|s| s.nr() == nr),
            SyscallRules::DenyList(_) => true,
        }
    }

    /// The child may bind TCP ports (some `net_bind_tcp` grant).
    pub(crate) fn grants_tcp_bind(&self) -> bool {
        !self.net_bind_tcp.is_empty()
    }

    /// How long a finished run waits for handlers still inside a callback.
    pub fn handler_grace(&self) -> Duration {
        self.handler_grace
    }

    /// The size of a private `/dev/shm`: `max_memory`, or 64 MiB.
    pub(crate) fn shm_size(&self) -> u64 {
        self.max_memory.unwrap_or(crate::private_shm::DEFAULT_SIZE)
    }
}

/// Collects a policy; [`PolicyBuilder::build`] validates it.
#[derive(Debug, Clone)]
pub struct PolicyBuilder {
    fs_read: Vec<PathBuf>,
    fs_write: Vec<PathBuf>,
    net_bind_tcp: Vec<u16>,
    net_connect_tcp: Vec<u16>,
    scope_ipc: bool,
    deny: Vec<String>,
    allow: Option<Vec<String>>,
    allow_netlink: bool,
    allow_unix_sockets: bool,
    timeout: Option<Duration>,
    max_memory: Option<u64>,
    max_open_files: Option<u64>,
    max_processes: Option<u32>,
    env: Vec<(OsString, OsString)>,
    cwd: Option<PathBuf>,
    stdin: Stdin,
    uid: Option<u32>,
    gid: Option<u32>,
    keep_capabilities: Vec<u32>,
    max_output: usize,
    best_effort: bool,
    private_ipc: bool,
    private_network: bool,
    handler_grace: Duration,
    std_devices: bool,
    private_tmp: bool,
    private_shm: bool,
}

/// Default of [`PolicyBuilder::handler_grace`].
pub const DEFAULT_HANDLER_GRACE: Duration = Duration::from_secs(2);

impl Default for PolicyBuilder {
    fn default() -> Self {
        PolicyBuilder {
            fs_read: Vec::new(),
            fs_write: Vec::new(),
            net_bind_tcp: Vec::new(),
            net_connect_tcp: Vec::new(),
            scope_ipc: true,
            deny: Vec::new(),
            allow: None,
            allow_netlink: false,
            allow_unix_sockets: false,
            timeout: None,
            max_memory: None,
            max_open_files: None,
            max_processes: None,
            env: Vec::new(),
            cwd: None,
            stdin: Stdin::Null,
            uid: None,
            gid: None,
            keep_capabilities: Vec::new(),
            max_output: DEFAULT_MAX_OUTPUT,
            best_effort: false,
            private_ipc: false,
            private_network: false,
            handler_grace: DEFAULT_HANDLER_GRACE,
            std_devices: true,
            private_tmp: false,
            private_shm: false,
        }
    }
}

impl PolicyBuilder {
    /// Paths (directories or single files) the child may read and execute.
    pub fn fs_read<I, P>(mut self, paths: I) -> Self
    where
        I: IntoIterator<Item = P>,
        P: AsRef<Path>,
    {
        self.fs_read.extend(paths.into_iter().map(|p| p.as_ref().to_path_buf()));
        self
    }

    /// Paths the child may read, write, create and remove entries in.
    pub fn fs_write<I, P>(mut self, paths: I) -> Self
    where
        I: IntoIterator<Item = P>,
        P: AsRef<Path>,
    {
        self.fs_write.extend(paths.into_iter().map(|p| p.as_ref().to_path_buf()));
        self
    }

    /// TCP ports the child may connect to. Any other port is refused.
    pub fn net_connect_tcp<I: IntoIterator<Item = u16>>(mut self, ports: I) -> Self {
        self.net_connect_tcp.extend(ports);
        self
    }

    /// TCP ports the child may bind. Any other port is refused.
    pub fn net_bind_tcp<I: IntoIterator<Item = u16>>(mut self, ports: I) -> Self {
        self.net_bind_tcp.extend(ports);
        self
    }

    /// Keep abstract UNIX sockets and signals from reaching outside the
    /// sandbox (on by default).
    pub fn scope_ipc(mut self, on: bool) -> Self {
        self.scope_ipc = on;
        self
    }

    /// Syscalls to deny (by name) on top of the default deny list.
    pub fn deny_syscalls<I, S>(mut self, names: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.deny.extend(names.into_iter().map(Into::into));
        self
    }

    /// Allowlist mode: only these syscalls (by name) may run.
    pub fn allow_only_syscalls<I, S>(mut self, names: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.allow.get_or_insert_with(Vec::new).extend(names.into_iter().map(Into::into));
        self
    }

    /// Let the child open `AF_NETLINK` sockets (denied by default).
    pub fn allow_netlink(mut self, on: bool) -> Self {
        self.allow_netlink = on;
        self
    }

    /// Let the child create `AF_UNIX` sockets (denied by default;
    /// `socketpair` is always allowed). Landlock does not mediate connecting
    /// to a pathname socket, and a child running as uid 0 passes the owner
    /// check of root-owned sockets such as `/run/docker.sock`: allow them
    /// together with an unprivileged [`PolicyBuilder::uid`].
    pub fn allow_unix_sockets(mut self, on: bool) -> Self {
        self.allow_unix_sockets = on;
        self
    }

    /// Wall-clock limit; the whole process group is killed when it expires.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Address-space limit in bytes (`RLIMIT_AS`).
    pub fn max_memory(mut self, bytes: u64) -> Self {
        self.max_memory = Some(bytes);
        self
    }

    /// Open-file limit (`RLIMIT_NOFILE`).
    pub fn max_open_files(mut self, n: u64) -> Self {
        self.max_open_files = Some(n);
        self
    }

    /// Most tasks (processes and threads) alive in the sandbox at once.
    pub fn max_processes(mut self, n: u32) -> Self {
        self.max_processes = Some(n);
        self
    }

    /// Set one environment variable (the environment starts empty).
    pub fn env(mut self, key: impl AsRef<OsStr>, value: impl AsRef<OsStr>) -> Self {
        let key = key.as_ref().to_os_string();
        self.env.retain(|(k, _)| *k != key);
        self.env.push((key, value.as_ref().to_os_string()));
        self
    }

    /// Copy these variables from the caller's environment, when set.
    pub fn pass_env<I, S>(mut self, keys: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        for key in keys {
            if let Some(value) = std::env::var_os(key.as_ref()) {
                self = self.env(key, value);
            }
        }
        self
    }

    /// Working directory of the child (absolute). Without one the child
    /// starts in the caller's working directory, which it can use only if a
    /// rule grants it; relative program paths and arguments are resolved
    /// from the child's working directory.
    pub fn cwd(mut self, path: impl AsRef<Path>) -> Self {
        self.cwd = Some(path.as_ref().to_path_buf());
        self
    }

    pub fn stdin(mut self, stdin: Stdin) -> Self {
        self.stdin = stdin;
        self
    }

    /// Run the child under this uid (requires a privileged caller). A uid
    /// other than this process's needs a [`gid`](Self::gid) too: the build
    /// fails rather than let the child keep this process's groups.
    pub fn uid(mut self, uid: u32) -> Self {
        self.uid = Some(uid);
        self
    }

    /// Run the child under this gid, with no supplementary groups.
    pub fn gid(mut self, gid: u32) -> Self {
        self.gid = Some(gid);
        self
    }

    /// Keep one capability (`CAP_*` number) that would otherwise be dropped.
    pub fn keep_capability(mut self, cap: u32) -> Self {
        self.keep_capabilities.push(cap);
        self
    }

    /// Bound on each captured output stream; output past it is discarded.
    pub fn max_output(mut self, bytes: usize) -> Self {
        self.max_output = bytes;
        self
    }

    /// Run with whatever part of the policy this kernel can enforce instead of
    /// failing. Off by default; see `docs/user-guide.md`.
    pub fn best_effort(mut self, on: bool) -> Self {
        self.best_effort = on;
        self
    }

    /// Give the child its own IPC namespace, so that it may use SysV IPC
    /// among its own processes (denied otherwise: SysV objects live outside
    /// the file system, where Landlock cannot see them). Needs
    /// `CAP_SYS_ADMIN` in the caller; costs nothing measurable at spawn.
    pub fn private_ipc(mut self, on: bool) -> Self {
        self.private_ipc = on;
        self
    }

    /// Give the child its own network namespace with only a loopback
    /// interface: nothing outside the sandbox is reachable by any protocol,
    /// and abstract UNIX socket names are private to it. Needs
    /// `CAP_SYS_ADMIN` in the caller, and costs about 0.5 ms per spawn
    /// (see docs/benchmarks.md). TCP grants then apply to the private
    /// loopback only.
    pub fn private_network(mut self, on: bool) -> Self {
        self.private_network = on;
        self
    }

    /// How long a run that ended waits for handlers still inside a callback
    /// before it returns ([`DEFAULT_HANDLER_GRACE`] by default). A callback
    /// that outlives it finishes on its own; its answer goes nowhere.
    pub fn handler_grace(mut self, grace: Duration) -> Self {
        self.handler_grace = grace;
        self
    }

    /// Let the child read and write the standard devices `/dev/null`,
    /// `/dev/zero`, `/dev/full`, `/dev/random` and `/dev/urandom` (on by
    /// default): no `ioctl` on them, and each only when its path is that
    /// kernel device. Off, the child opens no device it is not granted.
    pub fn std_devices(mut self, on: bool) -> Self {
        self.std_devices = on;
        self
    }

    /// Give each run a temporary directory of its own: created fresh
    /// under the caller's temporary directory (`TMPDIR`, else `/tmp`) with
    /// mode 0700, owned by the child's uid and gid, writable by the child
    /// alone, named by `TMPDIR` in its environment (replacing a `TMPDIR`
    /// the policy sets), and removed with everything in it when the run's
    /// process group is gone — also when the run fails.
    pub fn private_tmp(mut self, on: bool) -> Self {
        self.private_tmp = on;
        self
    }

    /// Give each run a `/dev/shm` of its own, for POSIX shared memory and
    /// semaphores among its processes (Python's `multiprocessing` needs
    /// it): a fresh tmpfs of `max_memory` bytes (64 MiB without it) in a
    /// private mount namespace, which hides the host's `/dev/shm` objects.
    /// With `CAP_SYS_ADMIN` in the caller it costs a mount namespace;
    /// without it the child first enters a user namespace of its own
    /// mapping only the caller's uid and gid (then the child runs as the
    /// caller's uid). A kernel that allows neither fails the build with
    /// `Unsupported`, or under best effort runs without `/dev/shm`. A run
    /// with a `policy_fn` watching [`Category::PATHS`](crate::Category::PATHS)
    /// fails with `InvalidArgument` (its path guard opens files in the
    /// caller's mount namespace). See docs/threat-model.md.
    pub fn private_shm(mut self, on: bool) -> Self {
        self.private_shm = on;
        self
    }

    pub fn build(&self) -> Result<Policy> {
        for path in self.fs_read.iter().chain(&self.fs_write) {
            check_path(path)?;
        }
        for &port in &self.net_connect_tcp {
            check_port(port, "net_connect_tcp")?;
        }
        for &port in &self.net_bind_tcp {
            check_port(port, "net_bind_tcp")?;
        }
        if let Some(cwd) = &self.cwd {
            check_directory(cwd)?;
        }
        check_nonzero(self.max_memory, "max_memory")?;
        check_nonzero(self.max_open_files, "max_open_files")?;
        check_nonzero(self.max_processes.map(u64::from), "max_processes")?;
        check_nonzero(Some(self.max_output as u64), "max_output")?;
        if let Some(timeout) = self.timeout {
            if timeout.is_zero() {
                return Err(SandlockError::ZeroLimit { limit: "timeout" });
            }
        }
        check_duration(self.timeout, "timeout")?;
        check_duration(Some(self.handler_grace), "handler_grace")?;
        for &cap in &self.keep_capabilities {
            check_capability(cap)?;
        }
        for (key, value) in &self.env {
            check_env(key, value)?;
        }
        check_id(self.uid, "uid")?;
        check_id(self.gid, "gid")?;
        check_rlimit(self.max_memory, "max_memory")?;
        check_rlimit(self.max_open_files, "max_open_files")?;
        check_open_files(self.max_open_files)?;
        let deny = resolve_names(&self.deny)?;
        let syscalls = match &self.allow {
            Some(names) => {
                if !deny.is_empty() {
                    return Err(SandlockError::InvalidArgument {
                        what: "syscall rules",
                        reason: "a deny list and an allowlist cannot be combined".into(),
                    });
                }
                SyscallRules::AllowList(resolve_names(names)?)
            }
            None => SyscallRules::DenyList(deny),
        };
        let proc_granted =
            self.fs_read.iter().chain(&self.fs_write).any(|p| proc_relation(p) != ProcRelation::Unrelated);
        let namespaces = self.namespaces_available()?;
        let private_shm = if self.private_shm { crate::private_shm::privilege(self.best_effort)? } else { None };
        let user_namespace = private_shm == Some(Privilege::UserNamespace);
        let drop_groups = crate::caps::check_switch(self.uid, self.gid, user_namespace)?;
        // Grants into `/proc` are left out and ancestors of `/proc` split:
        // the procfs built-in serves it (see `proc_paths`).
        let rules = Rules {
            read: rule_paths(&self.fs_read, proc_granted),
            write: rule_paths(&self.fs_write, proc_granted),
            bind_tcp: self.net_bind_tcp.clone(),
            connect_tcp: self.net_connect_tcp.clone(),
            scope_ipc: self.scope_ipc,
            std_devices: self.std_devices,
            best_effort: self.best_effort,
        };
        let (landlock, exec_roots) = match landlock_rules::build(&rules, &[])? {
            Some(built) => (Some(Arc::new(built.fd)), built.exec_roots),
            None => (None, Vec::new()),
        };
        KernelFeatures::get().require_user_notif(self.best_effort)?;
        let mut write_paths = self.fs_write.clone();
        if self.std_devices {
            write_paths.extend(crate::devices::STANDARD.iter().map(|d| PathBuf::from(d.path)));
        }
        if self.private_tmp {
            write_paths.push(crate::private_tmp::base_dir());
        }
        if private_shm.is_some() {
            write_paths.push(PathBuf::from("/dev/shm"));
        }
        Ok(Policy {
            landlock,
            rules: Arc::new(rules),
            exec_roots: Arc::new(exec_roots),
            proc_granted,
            net_bind_tcp: self.net_bind_tcp.clone(),
            net_connect_tcp: self.net_connect_tcp.clone(),
            write_paths,
            scope_ipc: self.scope_ipc,
            syscalls,
            allow_netlink: self.allow_netlink,
            allow_unix_sockets: self.allow_unix_sockets,
            timeout: self.timeout,
            max_memory: self.max_memory,
            max_open_files: self.max_open_files,
            max_processes: self.max_processes,
            env: self.env.clone(),
            cwd: self.cwd.clone(),
            stdin: self.stdin.clone(),
            uid: self.uid,
            gid: self.gid,
            keep_capabilities: self.keep_capabilities.clone(),
            max_output: self.max_output,
            private_ipc: self.private_ipc && namespaces,
            private_network: self.private_network && namespaces,
            handler_grace: self.handler_grace,
            private_tmp: self.private_tmp,
            private_shm,
            drop_groups,
        })
    }

    /// Whether the private namespaces asked for can be made: creating one
    /// needs `CAP_SYS_ADMIN`. Without it the policy fails, or under best
    /// effort runs without them (a missing IPC namespace leaves SysV IPC
    /// denied; a missing network namespace leaves the host's).
    fn namespaces_available(&self) -> Result<bool> {
        let wanted = [(self.private_ipc, "private IPC namespace"), (self.private_network, "private network namespace")];
        let Some((_, feature)) = wanted.into_iter().find(|(on, _)| *on) else { return Ok(false) };
        if crate::caps::caller_has(crate::caps::CAP_SYS_ADMIN) {
            return Ok(true);
        }
        if self.best_effort {
            return Ok(false);
        }
        Err(SandlockError::Unsupported {
            feature,
            reason: "creating a namespace needs CAP_SYS_ADMIN in the caller".into(),
        })
    }
}

/// A path rule must be absolute (never resolved against the caller's
/// working directory), no longer than `PATH_MAX`, and name something that
/// exists now.
pub fn check_path(path: &Path) -> Result<()> {
    metadata(path).map(|_| ())
}

/// A working directory must pass [`check_path`] and be a directory.
pub fn check_directory(path: &Path) -> Result<()> {
    if metadata(path)?.is_dir() {
        Ok(())
    } else {
        Err(SandlockError::NotADirectory { path: path.to_path_buf() })
    }
}

fn metadata(path: &Path) -> Result<std::fs::Metadata> {
    let len = path.as_os_str().len();
    if len >= libc::PATH_MAX as usize {
        let start: String = path.to_string_lossy().chars().take(48).collect();
        return Err(SandlockError::PathTooLong { len, start });
    }
    if !path.is_absolute() {
        return Err(SandlockError::RelativePath { path: path.to_path_buf() });
    }
    std::fs::metadata(path).map_err(|source| SandlockError::PathNotFound { path: path.to_path_buf(), source })
}

/// A `CAP_*` number the kernel knows.
pub fn check_capability(cap: u32) -> Result<()> {
    if cap > crate::caps::CAP_LAST_CAP {
        return Err(SandlockError::InvalidArgument {
            what: "keep_capability",
            reason: format!("{cap} is not a capability number (0..={})", crate::caps::CAP_LAST_CAP),
        });
    }
    Ok(())
}

/// A variable the child's environment can hold: a name without `=` or NUL,
/// a value without NUL (each run failed on it, the build did not).
fn check_env(key: &OsStr, value: &OsStr) -> Result<()> {
    use std::os::unix::ffi::OsStrExt;
    let reason = if key.is_empty() || key.as_bytes().contains(&b'=') {
        format!("{key:?} is not a variable name (empty, or with '=')")
    } else if key.as_bytes().contains(&0) || value.as_bytes().contains(&0) {
        format!("variable {key:?} contains a NUL byte, where C would end the string")
    } else {
        return Ok(());
    };
    Err(SandlockError::InvalidArgument { what: "env", reason })
}

/// `(uid_t)-1` is "leave it unchanged" to `setresuid`/`setresgid`: the
/// child would keep the caller's id (root's, for a root caller).
fn check_id(id: Option<u32>, what: &'static str) -> Result<()> {
    match id {
        Some(u32::MAX) => Err(SandlockError::InvalidArgument {
            what,
            reason: "4294967295 is (uid_t)-1, which the kernel reads as \"keep the caller's\"; choose a real id".into(),
        }),
        _ => Ok(()),
    }
}

/// A time so long that no clock can tell when it ends (deadlines are
/// `Instant`s: the sum overflowed and panicked in the run).
fn check_duration(value: Option<Duration>, what: &'static str) -> Result<()> {
    /// A century: past it a deadline means nothing, and every clock holds it.
    const LONGEST: Duration = Duration::from_secs(100 * 365 * 24 * 3600);
    match value {
        Some(value) if value > LONGEST => Err(SandlockError::InvalidArgument {
            what,
            reason: format!("{value:?} is longer than a century, past what a deadline can hold"),
        }),
        _ => Ok(()),
    }
}

/// `RLIM_INFINITY` as a limit is no limit at all.
fn check_rlimit(value: Option<u64>, what: &'static str) -> Result<()> {
    match value {
        Some(libc::RLIM_INFINITY) => Err(SandlockError::InvalidArgument {
            what,
            reason: format!("{} is RLIM_INFINITY, which sets no limit; leave the limit unset instead", u64::MAX),
        }),
        _ => Ok(()),
    }
}

/// An fd limit above the kernel's `fs.nr_open` cannot be set: every run
/// would fail at its spawn.
fn check_open_files(value: Option<u64>) -> Result<()> {
    let Some(value) = value else { return Ok(()) };
    let nr_open = std::fs::read_to_string("/proc/sys/fs/nr_open").ok().and_then(|text| text.trim().parse::<u64>().ok());
    match nr_open {
        Some(nr_open) if value > nr_open => Err(SandlockError::InvalidArgument {
            what: "max_open_files",
            reason: format!("{value} is above the kernel's fs.nr_open ({nr_open}), the most a process may have"),
        }),
        _ => Ok(()),
    }
}

/// Port 0 means "any port" to the kernel, never what a caller meant.
pub fn check_port(port: u16, rule: &'static str) -> Result<()> {
    if port == 0 {
        return Err(SandlockError::InvalidPort { rule });
    }
    Ok(())
}

fn check_nonzero(value: Option<u64>, limit: &'static str) -> Result<()> {
    match value {
        Some(0) => Err(SandlockError::ZeroLimit { limit }),
        _ => Ok(()),
    }
}

fn resolve_names(names: &[String]) -> Result<Vec<Syscall>> {
    let mut out: Vec<Syscall> = names.iter().map(|n| Syscall::from_name(n)).collect::<Result<_>>()?;
    out.sort();
    out.dedup();
    Ok(out)
}
