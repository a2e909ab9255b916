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

    /// The address-space limit lowered at run time, `u64::MAX` for none.
    pub(crate) fn max_memory(&self) -> u64 {
        self.max_memory.load(Ordering::Relaxed)
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
/// process gone before its turn counts as a change: a line of processes
/// that each fork the next and exit would otherwise end the passes with
/// its newest member unseen. Each pass holds the group's lock (once the
/// run has reaped its leader, the group's id may be another process's)
/// but only for itself: a sandbox forking without end kept one call, and
/// with it the lock the run's timeout and reap wait for, going until the
/// pid numbers wrapped.
fn apply_memory_limit(group: &Group, limit: u64) -> Result<()> {
    let pass = |pgid: libc::pid_t| -> std::result::Result<bool, i32> {
        let mut changed = false;
        for pid in crate::procs::in_group(pgid) {
            changed |= lower_rlimit(pid, limit)? != Lowered::No;
        }
        Ok(changed)
    };
    while let Some(changed) = group.while_held(pass) {
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
pub(crate) enum Lowered {
    Yes,
    /// Already at or below the limit.
    No,
    /// The process is gone.
    Gone,
}

/// Lower `pid`'s `RLIMIT_AS` to at most `limit`; the errno when it may not
/// be changed. Without `CAP_SYS_RESOURCE` (most containers withhold it)
/// the kernel lets only a caller of the target's real ids change its limit:
/// refused, the call is made again with this thread's real ids switched to
/// the target's, for as short a time as the call — while they are switched,
/// the target's uid may signal this thread, which Landlock's signal scope
/// stops unless the policy turns it off (docs/threat-model.md).
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
    crate::caps::with_real_ids(uid, gid, || lower_rlimit_as_we_are(pid, limit))?
}

fn lower_rlimit_as_we_are(pid: i32, limit: u64) -> std::result::Result<Lowered, i32> {
    let mut old = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: prlimit64 reads the current limits into a local.
    if unsafe { libc::prlimit(pid, libc::RLIMIT_AS, std::ptr::null(), &mut old) } < 0 {
        return gone_or(errno());
    }
    if old.rlim_cur <= limit && old.rlim_max <= limit {
        return Ok(Lowered::No);
    }
    let new = libc::rlimit { rlim_cur: old.rlim_cur.min(limit), rlim_max: old.rlim_max.min(limit) };
    // SAFETY: prlimit64 reads `new`; lowering needs no capability.
    if unsafe { libc::prlimit(pid, libc::RLIMIT_AS, &new, std::ptr::null_mut()) } < 0 {
        return gone_or(errno());
    }
    Ok(Lowered::Yes)
}

fn gone_or(errno: i32) -> std::result::Result<Lowered, i32> {
    if errno == libc::ESRCH {
        Ok(Lowered::Gone)
    } else {
        Err(errno)
    }
}

fn errno() -> i32 {
    std::io::Error::last_os_error().raw_os_error().unwrap_or(libc::EIO)
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
