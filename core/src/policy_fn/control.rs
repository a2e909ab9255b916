//! What a `policy_fn` tightened while the sandbox runs. Every change only
//! narrows: denied paths are added, never removed; connect restrictions
//! are layers that all must match; limits only go down.

use std::net::IpAddr;
use std::path::Path;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock, RwLock};

use crate::error::{Result, SandlockError};
use crate::group::Group;
use crate::policy_fn::paths::DeniedPaths;

/// A destination a connect may reach: an IPv4 or IPv6 network (`prefix`
/// bits of `net`) and, optionally, one port.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Destination {
    pub net: IpAddr,
    pub prefix: u8,
    pub port: Option<u16>,
}

impl Destination {
    /// Exactly this address, any port.
    pub fn host(addr: IpAddr) -> Destination {
        let prefix = if addr.is_ipv4() { 32 } else { 128 };
        Destination { net: addr, prefix, port: None }
    }

    fn check(&self) -> Result<()> {
        let bits = if self.net.is_ipv4() { 32 } else { 128 };
        if self.prefix > bits {
            return Err(SandlockError::InvalidArgument {
                what: "restrict_connect",
                reason: format!("prefix /{} is longer than an address of {} ({bits} bits)", self.prefix, self.net),
            });
        }
        if self.port == Some(0) {
            return Err(SandlockError::InvalidPort { rule: "restrict_connect" });
        }
        Ok(())
    }

    pub(crate) fn matches(&self, addr: IpAddr, port: u16) -> bool {
        if self.port.is_some_and(|p| p != port) {
            return false;
        }
        // An IPv4-mapped IPv6 address is that IPv4 address.
        let addr = match addr {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(addr, IpAddr::V4),
            v4 => v4,
        };
        match (self.net, addr) {
            (IpAddr::V4(net), IpAddr::V4(a)) => prefix_eq(&net.octets(), &a.octets(), self.prefix),
            (IpAddr::V6(net), IpAddr::V6(a)) => prefix_eq(&net.octets(), &a.octets(), self.prefix),
            _ => false,
        }
    }
}

fn prefix_eq(a: &[u8], b: &[u8], prefix: u8) -> bool {
    let (whole, rest) = (usize::from(prefix / 8), prefix % 8);
    if a[..whole] != b[..whole] {
        return false;
    }
    rest == 0 || (a[whole] ^ b[whole]) >> (8 - rest) == 0
}

/// The tightened state shared by the control handle and the built-ins.
#[derive(Debug)]
pub(crate) struct Tightened {
    /// Each layer lists what a connect may reach; all layers must agree.
    connect: RwLock<Vec<Vec<Destination>>>,
    max_processes: AtomicU32,
    max_memory: AtomicU64,
    /// The policy's own memory limit, which every process has from its start.
    policy_max_memory: u64,
    /// The sandbox's group, known once it started.
    sandbox: OnceLock<Arc<Group>>,
    /// The denied paths, when the `policy_fn` controls paths.
    paths: Option<Arc<DeniedPaths>>,
}

impl Tightened {
    pub(crate) fn new(
        max_processes: Option<u32>,
        max_memory: Option<u64>,
        paths: Option<Arc<DeniedPaths>>,
    ) -> Tightened {
        Tightened {
            paths,
            connect: RwLock::default(),
            max_processes: AtomicU32::new(max_processes.unwrap_or(u32::MAX)),
            max_memory: AtomicU64::new(max_memory.unwrap_or(u64::MAX)),
            policy_max_memory: max_memory.unwrap_or(u64::MAX),
            sandbox: OnceLock::new(),
        }
    }

    /// The sandbox this state serves (known once it started).
    pub(crate) fn set_sandbox(&self, group: &Arc<Group>) {
        let _ = self.sandbox.set(Arc::clone(group));
    }

    pub(crate) fn connect_allowed(&self, addr: IpAddr, port: u16) -> bool {
        let layers = self.connect.read().unwrap_or_else(|e| e.into_inner());
        layers.iter().all(|layer| layer.iter().any(|d| d.matches(addr, port)))
    }

    pub(crate) fn connect_restricted(&self) -> bool {
        !self.connect.read().unwrap_or_else(|e| e.into_inner()).is_empty()
    }

    pub(crate) fn max_processes(&self) -> u32 {
        self.max_processes.load(Ordering::Relaxed)
    }

    /// The address-space limit once lowered at run time below the policy's
    /// (which every process has from its start); `None` before.
    pub(crate) fn lowered_max_memory(&self) -> Option<u64> {
        let now = self.max_memory.load(Ordering::Relaxed);
        (now < self.policy_max_memory).then_some(now)
    }
}

/// The handle a `policy_fn` callback gets to tighten the sandbox while it
/// runs. Cheap to clone; every method is thread-safe and only narrows.
#[derive(Debug, Clone)]
pub struct Control {
    pub(crate) state: Arc<Tightened>,
}

impl Control {
    /// Make the file or directory at `path` (absolute; symlinks resolved
    /// now, in the caller's view) unreachable to every process of the
    /// sandbox for every open, create, rename, link, unlink, truncate and
    /// exec decided after this returns; a directory takes everything below
    /// it along, now and later. Descriptors and mappings the child got
    /// before stay usable (Linux cannot revoke them). Needs a `policy_fn`
    /// with `Category::PATHS`; see docs/policy-fn.md, "deny_path".
    pub fn deny_path(&self, path: impl AsRef<Path>) -> Result<()> {
        match &self.state.paths {
            Some(paths) => paths.deny(path.as_ref()),
            None => Err(SandlockError::InvalidArgument {
                what: "deny_path",
                reason: "this policy_fn does not control paths: give it Category::PATHS".into(),
            }),
        }
    }

    /// From now on a TCP connect reaches only these destinations, and only
    /// those also allowed by every earlier call. Landlock's port rules
    /// still apply.
    pub fn restrict_connect(&self, allowed: &[Destination]) -> Result<()> {
        for d in allowed {
            d.check()?;
        }
        self.state.connect.write().unwrap_or_else(|e| e.into_inner()).push(allowed.to_vec());
        Ok(())
    }

    /// Allow at most `n` tasks in the sandbox from now on; a value above the
    /// current limit changes nothing.
    pub fn lower_max_processes(&self, n: u32) -> Result<()> {
        if n == 0 {
            return Err(SandlockError::ZeroLimit { limit: "max_processes" });
        }
        self.state.max_processes.fetch_min(n, Ordering::Relaxed);
        Ok(())
    }

    /// Lower the address-space limit (`RLIMIT_AS`) of every process of the
    /// sandbox now, and so of those they start; a value above the current
    /// limit changes nothing, and so does a call once the run has ended.
    pub fn lower_max_memory(&self, bytes: u64) -> Result<()> {
        if bytes == 0 {
            return Err(SandlockError::ZeroLimit { limit: "max_memory" });
        }
        let limit = self.state.max_memory.fetch_min(bytes, Ordering::Relaxed).min(bytes);
        match self.state.sandbox.get() {
            Some(group) => apply_memory_limit(group, limit),
            None => Ok(()),
        }
    }
}

/// Set `RLIMIT_AS` (soft and hard) to at most `limit` for every process of
/// the sandbox's group, pass after pass until one finds every process at
/// or below it: a process forked by one not yet limited gets it in the
/// next pass, and every fork from now on is of a limited process (the
/// process gate lowers the cloner first), whose child inherits it. A
/// process gone before its turn in the first pass counts as a change: a
/// line of processes that each fork the next and exit would otherwise end
/// the passes with its newest member unseen. Each pass holds the group's
/// lock (once the run has reaped its leader, the group's id may be another
/// process's) but only for itself: a sandbox forking without end kept one
/// call, and with it the lock the run's timeout and reap wait for, going
/// until the pid numbers wrapped.
fn apply_memory_limit(group: &Group, limit: u64) -> Result<()> {
    let mut first = true;
    let mut pass = |pgid: libc::pid_t| -> std::result::Result<bool, i32> {
        let mut changed = false;
        for pid in crate::procs::in_group(pgid) {
            changed |= match lower_rlimit(pid, limit)? {
                Lowered::Yes => true,
                // Only a process that was there before the limit may have
                // forked a child the gate did not lower: a sandbox keeping
                // hundreds of short-lived processes going kept the call
                // going for as long.
                Lowered::Gone => first,
                Lowered::No => false,
            };
        }
        first = false;
        Ok(changed)
    };
    while let Some(changed) = group.while_held(&mut pass) {
        let changed = changed.map_err(|errno| SandlockError::Io {
            context: "lowering the memory limit (RLIMIT_AS) of the sandbox's processes",
            source: std::io::Error::from_raw_os_error(errno),
        })?;
        if !changed {
            break;
        }
    }
    Ok(())
}

/// What [`lower_rlimit`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(i32)]
pub(crate) enum Lowered {
    Yes = 0,
    /// Already at or below the limit.
    No = 1,
    /// The process is gone.
    Gone = 2,
}

/// Lower `pid`'s `RLIMIT_AS` to at most `limit`; the errno when it may not
/// be changed. Without `CAP_SYS_RESOURCE` (most containers withhold it)
/// the kernel lets only a caller of the target's real ids change its limit:
/// refused, the call is made again by a short-lived child of ours whose
/// real ids are the target's ([`lower_rlimit_as`]). Never by a thread of
/// the host with its ids switched: the target's uid could signal that
/// thread — a sandbox without Landlock's signal scope killed the host
/// with `SIGKILL` while a fork of its own held the window open.
pub(crate) fn lower_rlimit(pid: i32, limit: u64) -> std::result::Result<Lowered, i32> {
    match lower_rlimit_as_we_are(pid, limit) {
        Err(libc::EPERM) => {}
        other => return other,
    }
    let ids = crate::procs::Status::of(pid as u32).and_then(|status| {
        let first = |name| status.field(name)?.split_whitespace().next()?.parse::<u32>().ok();
        Some((first("Uid:")?, first("Gid:")?))
    });
    let Some((uid, gid)) = ids else { return Ok(Lowered::Gone) };
    lower_rlimit_as(uid, gid, pid, limit)
}

/// What the child of [`lower_rlimit_as`] works on, in the memory it shares
/// with us until it exits.
struct AsTarget {
    uid: u32,
    gid: u32,
    pid: i32,
    limit: u64,
    /// Where the child leaves its answer: `Lowered as i32`, or `-errno`.
    answer: std::sync::atomic::AtomicI32,
}

/// [`lower_rlimit_as_we_are`] in a `CLONE_VM|CLONE_VFORK` child whose real
/// uid and gid are `uid` and `gid` (its effective ids, and so its
/// capabilities, kept to switch them): a process of its own, which the
/// target's uid may signal and nothing more — killed, the answer is `EINTR`.
fn lower_rlimit_as(uid: u32, gid: u32, pid: i32, limit: u64) -> std::result::Result<Lowered, i32> {
    use std::sync::atomic::Ordering::SeqCst;
    let target = AsTarget { uid, gid, pid, limit, answer: std::sync::atomic::AtomicI32::new(-libc::EINTR) };
    let top = crate::spawn::child_stack_top().map_err(|_| libc::ENOMEM)?;
    // SAFETY: this thread's child stack serves one child at a time, and this
    // thread waits in the clone until the child exits; the child makes only
    // raw syscalls on `target`, which outlives it.
    let (child, _pidfd) = unsafe { crate::clone_child::vfork(top, AsTarget::run, &target) }
        .map_err(|e| e.raw_os_error().unwrap_or(libc::EIO))?;
    // The child has exited; a wait of the host's own may have reaped it.
    let _ = nix::sys::wait::waitpid(nix::unistd::Pid::from_raw(child), None);
    match target.answer.load(SeqCst) {
        0 => Ok(Lowered::Yes),
        1 => Ok(Lowered::No),
        2 => Ok(Lowered::Gone),
        errno => Err(-errno),
    }
}

impl AsTarget {
    fn run(target: &AsTarget) -> ! {
        use std::sync::atomic::Ordering::SeqCst;
        let keep = usize::MAX;
        // SAFETY: setresgid/setresuid with -1 (all ones) for the ids kept
        // change this child's credentials only.
        let switched = unsafe {
            crate::raw_syscall::call(libc::SYS_setresgid, [target.gid as usize, keep, keep])
                .and_then(|_| crate::raw_syscall::call(libc::SYS_setresuid, [target.uid as usize, keep, keep]))
        };
        let answer = match switched.and_then(|_| lower_rlimit_as_we_are(target.pid, target.limit)) {
            Ok(lowered) => lowered as i32,
            Err(errno) => -errno,
        };
        target.answer.store(answer, SeqCst);
        // SAFETY: exit ends this child only; the parent then resumes.
        unsafe {
            let _ = crate::raw_syscall::call(libc::SYS_exit, [0usize]);
        }
        unreachable!("exit returned")
    }
}

/// Lower `pid`'s `RLIMIT_AS` with this process's credentials, in raw
/// syscalls only (the child of [`lower_rlimit_as`] runs it too).
fn lower_rlimit_as_we_are(pid: i32, limit: u64) -> std::result::Result<Lowered, i32> {
    let mut old = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: prlimit64 reads the current limits into a local.
    let got = unsafe {
        crate::raw_syscall::call(
            libc::SYS_prlimit64,
            [pid as usize, libc::RLIMIT_AS as usize, 0, &mut old as *mut libc::rlimit as usize],
        )
    };
    match got {
        Err(errno) => return gone_or(errno),
        Ok(_) if old.rlim_cur <= limit && old.rlim_max <= limit => return Ok(Lowered::No),
        Ok(_) => {}
    }
    let new = libc::rlimit { rlim_cur: old.rlim_cur.min(limit), rlim_max: old.rlim_max.min(limit) };
    // SAFETY: prlimit64 reads `new`.
    let set = unsafe {
        crate::raw_syscall::call(
            libc::SYS_prlimit64,
            [pid as usize, libc::RLIMIT_AS as usize, &new as *const libc::rlimit as usize, 0],
        )
    };
    set.map(|_| Lowered::Yes).or_else(gone_or)
}

fn gone_or(errno: i32) -> std::result::Result<Lowered, i32> {
    if errno == libc::ESRCH {
        Ok(Lowered::Gone)
    } else {
        Err(errno)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn control() -> Control {
        Control { state: Arc::new(Tightened::new(None, None, None)) }
    }

    #[test]
    fn connect_layers_only_narrow() {
        let c = control();
        let ten = Destination { net: "10.0.0.0".parse().unwrap(), prefix: 8, port: None };
        let web = Destination { net: "10.1.0.0".parse().unwrap(), prefix: 16, port: Some(443) };
        assert!(c.state.connect_allowed("192.0.2.1".parse().unwrap(), 80));
        c.restrict_connect(&[ten]).unwrap();
        assert!(c.state.connect_allowed("10.9.9.9".parse().unwrap(), 80));
        assert!(!c.state.connect_allowed("192.0.2.1".parse().unwrap(), 80));
        c.restrict_connect(&[web]).unwrap();
        assert!(c.state.connect_allowed("10.1.2.3".parse().unwrap(), 443));
        assert!(!c.state.connect_allowed("10.1.2.3".parse().unwrap(), 80));
        assert!(!c.state.connect_allowed("10.9.9.9".parse().unwrap(), 443));
        // A wider set later changes nothing.
        c.restrict_connect(&[Destination { net: "0.0.0.0".parse().unwrap(), prefix: 0, port: None }]).unwrap();
        assert!(!c.state.connect_allowed("10.9.9.9".parse().unwrap(), 443));
        assert!(c.state.connect_allowed("::ffff:10.1.0.1".parse().unwrap(), 443));
        let bad = Destination { net: "10.0.0.0".parse().unwrap(), prefix: 33, port: None };
        assert!(c.restrict_connect(&[bad]).is_err());
    }

    #[test]
    fn limits_only_go_down() {
        let c = control();
        c.lower_max_processes(8).unwrap();
        c.lower_max_processes(50).unwrap();
        assert_eq!(c.state.max_processes(), 8);
        assert!(c.lower_max_processes(0).is_err());
    }

    #[test]
    fn deny_path_needs_path_control() {
        let err = control().deny_path("/etc/hostname").unwrap_err().to_string();
        assert!(err.contains("Category::PATHS"), "{err}");
        let paths = Arc::new(DeniedPaths::new());
        let c = Control { state: Arc::new(Tightened::new(None, None, Some(Arc::clone(&paths)))) };
        c.deny_path("/etc/hostname").unwrap();
        assert_eq!(paths.read().len(), 1);
    }
}
