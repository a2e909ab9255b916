//! The Landlock ruleset of a policy, created once when the policy is built;
//! every child only calls `landlock_restrict_self` on the resulting fd.
//!
//! The rights are those of [`TARGET`], declared here, not read from the
//! kernel: the `landlock` crate probes the kernel and, group by group,
//! either enforces what the group asks for or fails, as each group's
//! [`CompatLevel`] says. A group the policy needs is a hard requirement, so
//! an older kernel makes the policy fail to build instead of silently
//! running weaker; only a policy that asks for best effort lets the crate
//! leave out what the kernel lacks.

use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};
use std::path::{Path, PathBuf};

use landlock::{
    Access, AccessFs, AccessNet, BitFlags, CompatLevel, Compatible, NetPort, PathBeneath, PathFd, Ruleset, RulesetAttr,
    RulesetCreated, RulesetCreatedAttr, RulesetError, Scope, ABI,
};

use nix::sys::stat::fstat;
use nix::sys::statfs::{fstatfs, PROC_SUPER_MAGIC};

use crate::error::{Result, SandlockError};

/// The Landlock ABI whose rights a policy handles: file-system rights up to
/// `Truncate` (ABI 3) and `IoctlDev` (ABI 5), TCP bind and connect (ABI 4),
/// abstract-socket and signal scoping (ABI 6).
const TARGET: ABI = ABI::V6;

/// A group of rights that is enforced whole or reported as missing.
struct Group {
    /// The `feature` of the `Unsupported` error.
    feature: &'static str,
    /// What kernel brings everything the group asks for.
    needs: &'static str,
}

const TCP: Group =
    Group { feature: "TCP port rules", needs: "TCP port rules need Landlock ABI 4 (Linux 6.7) with lsm=landlock" };
const FS: Group = Group {
    feature: "Landlock file-system rules",
    needs: "the file-system rights up to ioctl_dev need Landlock ABI 5 (Linux 6.10)",
};
const IPC: Group =
    Group { feature: "IPC scoping", needs: "abstract-socket and signal scoping need Landlock ABI 6 (Linux 6.12)" };

impl Group {
    fn unsupported(&self, error: RulesetError) -> SandlockError {
        SandlockError::Unsupported { feature: self.feature, reason: format!("{error}; {}", self.needs) }
    }
}

/// What the ruleset grants, in plain terms.
#[derive(Debug, Clone)]
pub(crate) struct Rules {
    /// Paths the child may read and execute.
    pub read: Vec<PathBuf>,
    /// Paths the child may do everything in.
    pub write: Vec<PathBuf>,
    pub bind_tcp: Vec<u16>,
    pub connect_tcp: Vec<u16>,
    /// Abstract UNIX sockets and signals stay inside the sandbox.
    pub scope_ipc: bool,
    /// The standard devices are readable and writable (see `devices`).
    pub std_devices: bool,
    /// Enforce what this kernel can and leave out the rest.
    pub best_effort: bool,
}

/// A created ruleset, and the inodes of its rules that grant execution.
#[derive(Debug)]
pub(crate) struct Built {
    pub fd: OwnedFd,
    /// (device, inode) of each path a rule lets the child execute below:
    /// Landlock decides on the inodes of the resolved path, from the file
    /// up to the root, so the exec check walks the same ones.
    pub exec_roots: Vec<(u64, u64)>,
}

/// The file-system rights a write rule grants, as this kernel's Landlock
/// handles them: the bits a rule added to the ruleset later (by the child,
/// on the private `/dev/shm` it mounts) may carry.
pub(crate) fn write_access_bits() -> u64 {
    let kernel = ABI::from(crate::kernel::KernelFeatures::get().landlock_abi);
    (AccessFs::from_all(TARGET) & AccessFs::from_all(kernel)).bits()
}

/// Create the ruleset of `rules` plus `extra_write` (directories of this
/// run only, already open — by path, another run could have swapped them —
/// with their paths for errors), or `None` when best effort found no
/// Landlock.
pub(crate) fn build(rules: &Rules, extra_write: &[(&Path, BorrowedFd<'_>)]) -> Result<Option<Built>> {
    // Each group the policy asks for is one it needs. The groups are asked
    // for in the order of the ABIs that bring them, so an older kernel is
    // told about the first group it lacks.
    let level = if rules.best_effort { CompatLevel::BestEffort } else { CompatLevel::HardRequirement };
    // TCP and file-system rights are always handled: a policy denies every
    // port and every path it does not grant.
    let mut ruleset = Ruleset::default()
        .set_compatibility(level)
        .handle_access(AccessNet::BindTcp | AccessNet::ConnectTcp)
        .map_err(|e| TCP.unsupported(e))?
        .set_compatibility(level)
        .handle_access(AccessFs::from_all(TARGET))
        .map_err(|e| FS.unsupported(e))?;
    if rules.scope_ipc {
        ruleset = ruleset
            .set_compatibility(level)
            .scope(Scope::AbstractUnixSocket | Scope::Signal)
            .map_err(|e| IPC.unsupported(e))?;
    }
    let landlock = |e: RulesetError| SandlockError::Unsupported { feature: "Landlock", reason: e.to_string() };
    let mut created = ruleset.create().map_err(|e| match shortage(&e) {
        Some(source) => SandlockError::io("creating the Landlock ruleset", source),
        None => landlock(e),
    })?;
    let mut exec_roots = Vec::new();
    let write = rules.write.iter().map(|p| (p.as_path(), AccessFs::from_all(TARGET)));
    for (path, access) in rules.read.iter().map(|p| (p.as_path(), AccessFs::from_read(TARGET))).chain(write) {
        let (next, root) = add_path_rule(created, path, access)?;
        created = next;
        exec_roots.extend(root);
    }
    for &(path, dir) in extra_write {
        let (next, root) = add_fd_rule(created, dir, AccessFs::from_all(TARGET), path)?;
        created = next;
        exec_roots.extend(root);
    }
    if rules.std_devices {
        for device in &crate::devices::STANDARD {
            created = add_device_rule(created, device)?;
        }
    }
    for &port in &rules.connect_tcp {
        created = created.add_rule(NetPort::new(port, AccessNet::ConnectTcp)).map_err(|e| TCP.unsupported(e))?;
    }
    for &port in &rules.bind_tcp {
        created = created.add_rule(NetPort::new(port, AccessNet::BindTcp)).map_err(|e| TCP.unsupported(e))?;
    }
    let fd: Option<OwnedFd> = created.into();
    let fd = fd
        .map(crate::fds::above_stdio)
        .transpose()
        .map_err(|e| SandlockError::io("moving the ruleset above stdio", e))?;
    Ok(fd.map(|fd| Built { fd, exec_roots }))
}

/// Add the rule for `path`; returns the ruleset and the (device, inode)
/// the rule is on, unless it made none.
fn add_path_rule(
    created: RulesetCreated,
    path: &Path,
    access: BitFlags<AccessFs>,
) -> Result<(RulesetCreated, Option<(u64, u64)>)> {
    let not_found = |source| SandlockError::PathNotFound { path: path.to_path_buf(), source };
    let fd = PathFd::new(path).map_err(|e| match shortage(&e) {
        Some(source) => SandlockError::io("opening a granted path for its Landlock rule", source),
        None => not_found(std::io::Error::other(e.to_string())),
    })?;
    add_fd_rule(created, fd.as_fd(), access, path)
}

/// Add the rule for the open file `fd` (named `path` in errors).
fn add_fd_rule(
    created: RulesetCreated,
    fd: BorrowedFd<'_>,
    access: BitFlags<AccessFs>,
    path: &Path,
) -> Result<(RulesetCreated, Option<(u64, u64)>)> {
    let not_found = |source| SandlockError::PathNotFound { path: path.to_path_buf(), source };
    let (is_dir, on_procfs, inode) = inspect(fd).map_err(not_found)?;
    // The rule is what this fd names, resolved in the caller's process:
    // on procfs that is the caller's /proc (`/proc/self`, `/dev/fd`), so
    // procfs is never granted through Landlock, whatever the path became
    // since the policy's paths were checked. The procfs built-in serves it
    // instead.
    if on_procfs {
        return Ok((created, None));
    }
    // Directory-only rights are invalid on a file rule.
    let access = if is_dir { access } else { access & AccessFs::from_file(TARGET) };
    let created = created.add_rule(PathBeneath::new(fd, access)).map_err(|e| SandlockError::Unsupported {
        feature: "Landlock path rule",
        reason: format!("{}: {e}", path.display()),
    })?;
    Ok((created, Some(inode)))
}

/// Read and write (no ioctl, no execution) on `device`, when its path is
/// that device; anything else there gets no rule.
fn add_device_rule(created: RulesetCreated, device: &crate::devices::Device) -> Result<RulesetCreated> {
    let fd = match PathFd::new(device.path) {
        Ok(fd) => fd,
        Err(e) => match shortage(&e) {
            Some(source) => return Err(SandlockError::io("opening a standard device for its Landlock rule", source)),
            None => return Ok(created),
        },
    };
    if !device.is(fd.as_fd()) {
        return Ok(created);
    }
    created.add_rule(PathBeneath::new(fd, AccessFs::ReadFile | AccessFs::WriteFile)).map_err(|e| {
        SandlockError::Unsupported { feature: "Landlock path rule", reason: format!("{}: {e}", device.path) }
    })
}

/// The error under a `landlock` crate error when it says that the host is
/// short of fds or memory: a condition of the moment, reported as one. As
/// an `Unsupported` error it would invite a caller to try again with best
/// effort, which enforces less.
fn shortage(error: &(dyn std::error::Error + 'static)) -> Option<std::io::Error> {
    let mut next = Some(error);
    while let Some(error) = next {
        if let Some(errno) = error.downcast_ref::<std::io::Error>().and_then(std::io::Error::raw_os_error) {
            return matches!(errno, libc::EMFILE | libc::ENFILE | libc::ENOMEM)
                .then(|| std::io::Error::from_raw_os_error(errno));
        }
        next = error.source();
    }
    None
}

/// (is a directory, is on procfs, (device, inode)) of an open fd.
fn inspect(fd: BorrowedFd<'_>) -> std::io::Result<(bool, bool, (u64, u64))> {
    let st = fstat(fd.as_raw_fd())?;
    let on_procfs = fstatfs(fd)?.filesystem_type() == PROC_SUPER_MAGIC;
    Ok((st.st_mode & libc::S_IFMT == libc::S_IFDIR, on_procfs, (st.st_dev, st.st_ino)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn procfs_fds_are_recognised_whatever_the_path() {
        for (path, procfs) in [("/proc/self", true), ("/proc", true), ("/usr", false)] {
            let fd = PathFd::new(path).unwrap();
            let (is_dir, on_procfs, _) = inspect(fd.as_fd()).unwrap();
            assert_eq!((is_dir, on_procfs), (true, procfs), "{path}");
        }
    }
}
