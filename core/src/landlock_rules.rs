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
pub(crate) struct Rules<'a> {
    /// Paths the child may read and execute.
    pub read: &'a [PathBuf],
    /// Paths the child may do everything in.
    pub write: &'a [PathBuf],
    pub bind_tcp: &'a [u16],
    pub connect_tcp: &'a [u16],
    /// Abstract UNIX sockets and signals stay inside the sandbox.
    pub scope_ipc: bool,
    /// Enforce what this kernel can and leave out the rest.
    pub best_effort: bool,
}

/// Create the ruleset fd, or `None` when best effort found no Landlock.
pub(crate) fn build(rules: &Rules<'_>) -> Result<Option<OwnedFd>> {
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
    let mut created = ruleset.create().map_err(landlock)?;
    for (paths, access) in [(rules.read, AccessFs::from_read(TARGET)), (rules.write, AccessFs::from_all(TARGET))] {
        for path in paths {
            created = add_path_rule(created, path, access)?;
        }
    }
    for &port in rules.connect_tcp {
        created = created.add_rule(NetPort::new(port, AccessNet::ConnectTcp)).map_err(|e| TCP.unsupported(e))?;
    }
    for &port in rules.bind_tcp {
        created = created.add_rule(NetPort::new(port, AccessNet::BindTcp)).map_err(|e| TCP.unsupported(e))?;
    }
    Ok(created.into())
}

fn add_path_rule(created: RulesetCreated, path: &Path, access: BitFlags<AccessFs>) -> Result<RulesetCreated> {
    let not_found = |source| SandlockError::PathNotFound { path: path.to_path_buf(), source };
    let fd = PathFd::new(path).map_err(|e| not_found(std::io::Error::other(e.to_string())))?;
    let (is_dir, on_procfs) = inspect(fd.as_fd()).map_err(not_found)?;
    // The rule is what this fd names, resolved in the caller's process:
    // on procfs that is the caller's /proc (`/proc/self`, `/dev/fd`), so
    // procfs is never granted through Landlock, whatever the path became
    // since the policy's paths were checked. The procfs built-in serves it
    // instead.
    if on_procfs {
        return Ok(created);
    }
    // Directory-only rights are invalid on a file rule.
    let access = if is_dir { access } else { access & AccessFs::from_file(TARGET) };
    created.add_rule(PathBeneath::new(fd, access)).map_err(|e| SandlockError::Unsupported {
        feature: "Landlock path rule",
        reason: format!("{}: {e}", path.display()),
    })
}

/// (is a directory, is on procfs) of an open fd.
fn inspect(fd: BorrowedFd<'_>) -> std::io::Result<(bool, bool)> {
    let st = fstat(fd.as_raw_fd())?;
    let on_procfs = fstatfs(fd)?.filesystem_type() == PROC_SUPER_MAGIC;
    Ok((st.st_mode & libc::S_IFMT == libc::S_IFDIR, on_procfs))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn procfs_fds_are_recognised_whatever_the_path() {
        for (path, procfs) in [("/proc/self", true), ("/proc", true), ("/usr", false)] {
            let fd = PathFd::new(path).unwrap();
            assert_eq!(inspect(fd.as_fd()).unwrap(), (true, procfs), "{path}");
        }
    }
}
