//! The policy options: one field per option, shared by the command line
//! (clap) and policy files (serde, field names = long option names with
//! `_`), each fed to one `PolicyBuilder` call in [`PolicyOptions::builder`].
//!
//! Adding an option is a field here, a line in `merge` and a call in
//! `builder`; both destructure the struct, so the compiler points at them.

use std::path::Path;

use clap::{Args, ValueEnum};
use sandlock_core::{check_path, Policy, PolicyBuilder, SandlockError, Stdin, Syscall};
use serde::{Deserialize, Serialize};

use crate::accounts;
use crate::exit::Failure;
use crate::values::{self, AbsPath, Account, Capability, EnvVar, Size, Timeout};

const FILES: &str = "Files";
const NETWORK: &str = "Network and IPC";
const SYSCALLS: &str = "Syscalls";
const LIMITS: &str = "Limits";
const IDENTITY: &str = "Identity";
const ENVIRONMENT: &str = "Environment";

/// What the child reads on standard input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StdinMode {
    /// /dev/null
    Null,
    /// this command's standard input
    Inherit,
}

#[derive(Debug, Clone, Default, PartialEq, Args, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PolicyOptions {
    /// Let the program read and execute PATH: a directory and everything
    /// below it, or one file (repeatable)
    #[arg(long, value_name = "PATH", help_heading = FILES)]
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub read: Vec<AbsPath>,

    /// Let the program read, write, create and remove files below PATH
    /// (repeatable)
    #[arg(long, value_name = "PATH", help_heading = FILES)]
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub write: Vec<AbsPath>,

    /// Grant read access to what the program needs to load: its binary,
    /// its interpreters and its shared libraries
    ///
    /// Grants the files the kernel and the loader would load: the program;
    /// its ELF interpreter (PT_INTERP); its shared libraries (DT_NEEDED,
    /// found through DT_RUNPATH/DT_RPATH, /etc/ld.so.conf and the default
    /// directories), recursively; for a #! script, its interpreter (for
    /// `#!/usr/bin/env NAME`, env and NAME found on the child's PATH) the
    /// same way. A file is granted with its whole directory when that is
    /// the program's, on PATH or one the loader searches, else alone; what
    /// the program names but the kernel could not load is not granted.
    /// Also grants /etc/ld.so.cache. Files are read, never run. Data files
    /// the program opens later (a Python stdlib, locales, certificates)
    /// still need --read.
    #[arg(long, help_heading = FILES)]
    #[serde(skip_serializing_if = "is_false")]
    pub auto_read: bool,

    /// Keep the program away from /dev/null, /dev/zero, /dev/full,
    /// /dev/random and /dev/urandom (readable and writable by default, no
    /// ioctl)
    #[arg(long, help_heading = FILES)]
    #[serde(skip_serializing_if = "is_false")]
    pub no_std_devices: bool,

    /// Give the program a temporary directory of its own, named by TMPDIR:
    /// created fresh (mode 0700, owned by the program's uid) under this
    /// command's TMPDIR or /tmp, and removed with everything in it when the
    /// program's process group is gone
    #[arg(long, help_heading = FILES)]
    #[serde(skip_serializing_if = "is_false")]
    pub private_tmp: bool,

    /// Let the program connect to TCP PORT (repeatable; e.g. 443 or 80,443)
    #[arg(long, value_name = "PORT", value_delimiter = ',', value_parser = values::port, help_heading = NETWORK)]
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub connect: Vec<u16>,

    /// Let the program bind TCP PORT (repeatable)
    #[arg(long, value_name = "PORT", value_delimiter = ',', value_parser = values::port, help_heading = NETWORK)]
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub bind: Vec<u16>,

    /// Let abstract UNIX sockets and signals reach outside the sandbox
    /// (scoped by default)
    #[arg(long, help_heading = NETWORK)]
    #[serde(skip_serializing_if = "is_false")]
    pub no_ipc_scope: bool,

    /// Let the program create AF_UNIX sockets and datagram socket pairs
    /// (denied by default): it may then connect to any socket file its uid
    /// may write to, which Landlock does not mediate, and bind names in the
    /// host's abstract namespace; combine with --user and --private-network
    #[arg(long, help_heading = NETWORK)]
    #[serde(skip_serializing_if = "is_false")]
    pub allow_unix_sockets: bool,

    /// Let the program open AF_NETLINK sockets (denied by default)
    #[arg(long, help_heading = NETWORK)]
    #[serde(skip_serializing_if = "is_false")]
    pub allow_netlink: bool,

    /// Give the program a network namespace of its own, with only a
    /// loopback: nothing outside is reachable by any protocol (needs root;
    /// adds about 0.5 ms to the start)
    #[arg(long, help_heading = NETWORK)]
    #[serde(skip_serializing_if = "is_false")]
    pub private_network: bool,

    /// Give the program an IPC namespace of its own, so that it may use
    /// SysV shared memory, semaphores and message queues (denied otherwise;
    /// needs root)
    #[arg(long, help_heading = NETWORK)]
    #[serde(skip_serializing_if = "is_false")]
    pub private_ipc: bool,

    /// Give the program a /dev/shm of its own (a fresh tmpfs of --memory
    /// bytes, 64M without it), for POSIX shared memory and semaphores
    /// (Python's multiprocessing); without root it takes a user namespace,
    /// and --uid/--gid must then be this command's own
    #[arg(long, help_heading = NETWORK)]
    #[serde(skip_serializing_if = "is_false")]
    pub private_shm: bool,

    /// Deny syscall NAME (EPERM) on top of the default deny list
    /// (repeatable; e.g. uname,ptrace)
    #[arg(long, value_name = "NAME", value_delimiter = ',', help_heading = SYSCALLS)]
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub deny_syscall: Vec<String>,

    /// Allowlist mode: only the named syscalls run, every other one fails
    /// with EPERM (repeatable; the default deny list still applies)
    #[arg(long, value_name = "NAME", value_delimiter = ',', help_heading = SYSCALLS)]
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub allow_syscall: Vec<String>,

    /// Kill the whole sandbox after DURATION of wall-clock time (e.g. 500ms,
    /// 5s, 2m); the command then exits with 124
    #[arg(long, value_name = "DURATION", help_heading = LIMITS)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timeout: Option<Timeout>,

    /// Address-space limit (RLIMIT_AS), e.g. 256M or 1G
    #[arg(long, value_name = "SIZE", help_heading = LIMITS)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub memory: Option<Size>,

    /// Most processes and threads alive in the sandbox at once
    #[arg(long, value_name = "N", help_heading = LIMITS)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_processes: Option<u32>,

    /// Open-file limit (RLIMIT_NOFILE)
    #[arg(long, value_name = "N", help_heading = LIMITS)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_open_files: Option<u64>,

    /// How long the command waits, once the program ended, for --audit
    /// logging still in progress [default: 2s]
    #[arg(long, value_name = "DURATION", help_heading = LIMITS)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub handler_grace: Option<Timeout>,

    /// Bound on each output stream a front end captures (the policy's
    /// max_output); this command passes output through, so it only matters
    /// in a policy file shared with programs that capture it
    #[arg(long, value_name = "SIZE", help_heading = LIMITS)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_output: Option<Size>,

    /// Run as user NAME: its uid and primary group, no supplementary
    /// groups (--uid and --gid take precedence)
    #[arg(long, value_name = "NAME", help_heading = IDENTITY)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,

    /// Run under this uid (a number or a user name); another uid than this
    /// command's needs --gid (or --user) too
    #[arg(long, value_name = "UID", help_heading = IDENTITY)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uid: Option<Account>,

    /// Run under this gid (a number or a group name), no supplementary groups
    #[arg(long, value_name = "GID", help_heading = IDENTITY)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gid: Option<Account>,

    /// Keep capability CAP (e.g. CAP_NET_BIND_SERVICE) instead of dropping
    /// it with the others (repeatable)
    #[arg(long, value_name = "CAP", value_delimiter = ',', help_heading = IDENTITY)]
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub keep_cap: Vec<Capability>,

    /// Set an environment variable; the environment starts empty
    /// (repeatable)
    #[arg(long, value_name = "KEY=VALUE", help_heading = ENVIRONMENT)]
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub env: Vec<EnvVar>,

    /// Copy variable NAME from this environment, when set (repeatable;
    /// e.g. PATH,HOME); a value given with --env wins
    #[arg(long, value_name = "NAME", value_delimiter = ',', help_heading = ENVIRONMENT)]
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub pass_env: Vec<String>,

    /// Working directory of the program
    #[arg(long, value_name = "DIR", help_heading = ENVIRONMENT)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cwd: Option<AbsPath>,

    /// What the program reads on standard input [default: inherit]
    #[arg(long, value_name = "FROM", help_heading = ENVIRONMENT)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stdin: Option<StdinMode>,

    /// Enforce what this kernel can and run anyway, instead of failing when
    /// a layer of the policy is unsupported (see `sandlock check`)
    #[arg(long)]
    #[serde(skip_serializing_if = "is_false")]
    pub best_effort: bool,
}

fn is_false(value: &bool) -> bool {
    !*value
}

/// Append what `more` has that `list` lacks, keeping the order.
fn extend_unique<T: PartialEq>(list: &mut Vec<T>, more: Vec<T>) {
    for item in more {
        if !list.contains(&item) {
            list.push(item);
        }
    }
}

impl PolicyOptions {
    /// `self` (from a policy file) with `cli` on top: lists add up, single
    /// values and variables of the same name are replaced, switches turn on.
    pub fn merge(mut self, cli: PolicyOptions) -> PolicyOptions {
        let PolicyOptions {
            read,
            write,
            auto_read,
            no_std_devices,
            private_tmp,
            connect,
            bind,
            no_ipc_scope,
            allow_unix_sockets,
            allow_netlink,
            private_network,
            private_ipc,
            private_shm,
            deny_syscall,
            allow_syscall,
            timeout,
            memory,
            max_processes,
            max_open_files,
            handler_grace,
            max_output,
            user,
            uid,
            gid,
            keep_cap,
            env,
            pass_env,
            cwd,
            stdin,
            best_effort,
        } = cli;
        extend_unique(&mut self.read, read);
        extend_unique(&mut self.write, write);
        self.auto_read |= auto_read;
        self.no_std_devices |= no_std_devices;
        self.private_tmp |= private_tmp;
        extend_unique(&mut self.connect, connect);
        extend_unique(&mut self.bind, bind);
        self.no_ipc_scope |= no_ipc_scope;
        self.allow_unix_sockets |= allow_unix_sockets;
        self.allow_netlink |= allow_netlink;
        self.private_network |= private_network;
        self.private_ipc |= private_ipc;
        self.private_shm |= private_shm;
        extend_unique(&mut self.deny_syscall, deny_syscall);
        extend_unique(&mut self.allow_syscall, allow_syscall);
        self.timeout = timeout.or(self.timeout);
        self.memory = memory.or(self.memory);
        self.max_processes = max_processes.or(self.max_processes);
        self.max_open_files = max_open_files.or(self.max_open_files);
        self.handler_grace = handler_grace.or(self.handler_grace);
        self.max_output = max_output.or(self.max_output);
        self.user = user.or(self.user);
        self.uid = uid.or(self.uid);
        self.gid = gid.or(self.gid);
        extend_unique(&mut self.keep_cap, keep_cap);
        self.env.retain(|old| !env.iter().any(|new| new.key == old.key));
        self.env.extend(env);
        extend_unique(&mut self.pass_env, pass_env);
        self.cwd = cwd.or(self.cwd);
        self.stdin = stdin.or(self.stdin);
        self.best_effort |= best_effort;
        self
    }

    /// The core's policy builder for these options. Every value is checked
    /// here first, so that an error names the option that holds it.
    pub fn builder(&self) -> Result<PolicyBuilder, Failure> {
        let PolicyOptions {
            read,
            write,
            auto_read: _,
            no_std_devices,
            private_tmp,
            connect,
            bind,
            no_ipc_scope,
            allow_unix_sockets,
            allow_netlink,
            private_network,
            private_ipc,
            private_shm,
            deny_syscall,
            allow_syscall,
            timeout,
            memory,
            max_processes,
            max_open_files,
            handler_grace,
            max_output,
            user,
            uid,
            gid,
            keep_cap,
            env,
            pass_env,
            cwd,
            stdin,
            best_effort,
        } = self;
        let mut b = Policy::builder();
        b = b.fs_read(existing("--read", read)?);
        b = b.fs_write(existing("--write", write)?);
        b = b.net_connect_tcp(ports("--connect", connect)?);
        b = b.net_bind_tcp(ports("--bind", bind)?);
        b = b.scope_ipc(!no_ipc_scope);
        b = b.allow_unix_sockets(*allow_unix_sockets);
        b = b.allow_netlink(*allow_netlink);
        b = b.private_network(*private_network);
        b = b.private_ipc(*private_ipc);
        b = b.private_shm(*private_shm);
        b = b.std_devices(!no_std_devices);
        b = b.private_tmp(*private_tmp);
        b = b.deny_syscalls(syscalls("--deny-syscall", deny_syscall)?);
        if !allow_syscall.is_empty() && !deny_syscall.is_empty() {
            return Err(Failure::usage(
                "--allow-syscall cannot be combined with --deny-syscall (an allowlist denies everything it does not list)",
            ));
        }
        if !allow_syscall.is_empty() {
            b = b.allow_only_syscalls(syscalls("--allow-syscall", allow_syscall)?);
        }
        if let Some(t) = timeout {
            b = b.timeout(nonzero("--timeout", t, t.0.is_zero())?.0);
        }
        if let Some(size) = memory {
            b = b.max_memory(nonzero("--memory", size, size.0 == 0)?.0);
        }
        if let Some(n) = max_processes {
            b = b.max_processes(*nonzero("--max-processes", n, *n == 0)?);
        }
        if let Some(n) = max_open_files {
            b = b.max_open_files(*nonzero("--max-open-files", n, *n == 0)?);
        }
        if let Some(grace) = handler_grace {
            b = b.handler_grace(grace.0);
        }
        if let Some(size) = max_output {
            let bytes = nonzero("--max-output", size, size.0 == 0)?.0;
            b = b.max_output(usize::try_from(bytes).unwrap_or(usize::MAX));
        }
        let named =
            user.as_deref().map(|name| accounts::user(name).map_err(|e| invalid("--user", name, e))).transpose()?;
        let uid = uid.as_ref().map(|u| accounts::uid(u).map_err(|e| invalid("--uid", u, e))).transpose()?;
        let gid = gid.as_ref().map(|g| accounts::gid(g).map_err(|e| invalid("--gid", g, e))).transpose()?;
        if let Some(uid) = uid.or(named.map(|(uid, _)| uid)) {
            b = b.uid(uid);
        }
        if let Some(gid) = gid.or(named.map(|(_, gid)| gid)) {
            b = b.gid(gid);
        }
        for cap in keep_cap {
            b = b.keep_capability(u32::from(cap.0.index()));
        }
        for name in pass_env {
            if name.is_empty() || name.contains('=') {
                return Err(invalid("--pass-env", name, "not a variable name"));
            }
        }
        // A value given with --env is more specific than one passed on.
        b = b.pass_env(pass_env);
        for var in env {
            b = b.env(&var.key, &var.value);
        }
        if let Some(dir) = cwd {
            b = b.cwd(existing("--cwd", std::slice::from_ref(dir))?[0]);
        }
        b = b.stdin(match stdin.unwrap_or(StdinMode::Inherit) {
            StdinMode::Null => Stdin::Null,
            StdinMode::Inherit => Stdin::Inherit,
        });
        Ok(b.best_effort(*best_effort))
    }
}

/// `OPTION VALUE: reason`, the shape of every value error.
pub fn invalid(option: &str, value: impl std::fmt::Display, reason: impl std::fmt::Display) -> Failure {
    Failure::usage(format!("{option} {value}: {reason}"))
}

fn existing<'a>(option: &str, paths: &'a [AbsPath]) -> Result<Vec<&'a Path>, Failure> {
    paths
        .iter()
        .map(|path| match check_path(&path.0) {
            Ok(()) => Ok(path.0.as_path()),
            Err(SandlockError::PathNotFound { source, .. }) => Err(invalid(option, path, describe_io(&source))),
            Err(other) => Err(invalid(option, path, other)),
        })
        .collect()
}

/// An I/O error as a person says it, without the `(os error N)` suffix.
pub fn describe_io(error: &std::io::Error) -> String {
    match error.raw_os_error() {
        Some(libc::ENOENT | libc::ENOTDIR) => "path does not exist".to_string(),
        Some(libc::EACCES) => "permission denied".to_string(),
        _ => error.to_string(),
    }
}

fn ports(option: &str, ports: &[u16]) -> Result<Vec<u16>, Failure> {
    match ports.iter().find(|&&port| port == 0) {
        Some(port) => Err(invalid(option, port, values::PORT_RANGE)),
        None => Ok(ports.to_vec()),
    }
}

/// The names themselves; checked here so the core's message (unknown name)
/// comes with the option that held it.
fn syscalls<'a>(option: &str, names: &'a [String]) -> Result<&'a [String], Failure> {
    for name in names {
        Syscall::from_name(name).map_err(|e| invalid(option, name, e))?;
    }
    Ok(names)
}

fn nonzero<'a, T: std::fmt::Display>(option: &str, value: &'a T, zero: bool) -> Result<&'a T, Failure> {
    if zero {
        return Err(invalid(option, value, "must be greater than zero"));
    }
    Ok(value)
}
