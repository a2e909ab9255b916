//! The Landlock ruleset of a policy, created in the parent before fork; the
//! child only calls `landlock_restrict_self` on the resulting fd.

use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};
use std::path::Path;

use landlock::{
    Access, AccessFs, AccessNet, BitFlags, CompatLevel, Compatible, NetPort, PathBeneath, PathFd, Ruleset, RulesetAttr,
    RulesetCreatedAttr, Scope, ABI,
};

use crate::error::{Result, SandlockError};
use crate::kernel::KernelFeatures;
use crate::policy::Policy;

/// Build the ruleset fd from the policy's rule paths (see [`rule_paths`]).
pub(crate) fn build(policy: &Policy) -> Result<Option<OwnedFd>> {
    let abi = ABI::from(KernelFeatures::get().landlock_abi);
    if abi == ABI::Unsupported {
        return Ok(None);
    }
    let err = |e: landlock::RulesetError| SandlockError::Unsupported { feature: "Landlock", reason: e.to_string() };
    let level = if policy.best_effort { CompatLevel::BestEffort } else { CompatLevel::HardRequirement };
    let mut ruleset =
        Ruleset::default().set_compatibility(level).handle_access(AccessFs::from_all(abi)).map_err(err)?;
    if abi >= ABI::V4 {
        ruleset = ruleset.handle_access(AccessNet::BindTcp | AccessNet::ConnectTcp).map_err(err)?;
    }
    if policy.scope_ipc && abi >= ABI::V6 {
        ruleset = ruleset.scope(Scope::AbstractUnixSocket | Scope::Signal).map_err(err)?;
    }
    let mut created = ruleset.create().map_err(err)?;
    let read = AccessFs::from_read(abi);
    let write = AccessFs::from_all(abi);
    for (paths, access) in [(&policy.read_rules, read), (&policy.write_rules, write)] {
        for path in paths {
            created = add_path_rule(created, path, access, abi)?;
        }
    }
    if abi >= ABI::V4 {
        for &port in &policy.net_connect_tcp {
            created = created.add_rule(NetPort::new(port, AccessNet::ConnectTcp)).map_err(err)?;
        }
        for &port in &policy.net_bind_tcp {
            created = created.add_rule(NetPort::new(port, AccessNet::BindTcp)).map_err(err)?;
        }
    }
    Ok(created.into())
}

fn add_path_rule(
    created: landlock::RulesetCreated,
    path: &Path,
    access: BitFlags<AccessFs>,
    abi: ABI,
) -> Result<landlock::RulesetCreated> {
    let not_found = |source| SandlockError::PathNotFound { path: path.to_path_buf(), source };
    let fd = PathFd::new(path).map_err(|e| not_found(std::io::Error::other(e.to_string())))?;
    let (is_dir, on_procfs) = inspect(fd.as_fd()).map_err(not_found)?;
    // The rule is what this fd names, resolved in the caller's process:
    // on procfs that is the caller's /proc (`/proc/self`, `/dev/fd`), so
    // procfs is never granted through Landlock, whatever the path became
    // since the policy was built. The procfs built-in serves it instead.
    if on_procfs {
        return Ok(created);
    }
    // Directory-only rights are invalid on a file rule.
    let access = if is_dir { access } else { access & AccessFs::from_file(abi) };
    created.add_rule(PathBeneath::new(fd, access)).map_err(|e| SandlockError::Unsupported {
        feature: "Landlock path rule",
        reason: format!("{}: {e}", path.display()),
    })
}

/// (is a directory, is on procfs) of an open fd.
fn inspect(fd: BorrowedFd<'_>) -> std::io::Result<(bool, bool)> {
    // SAFETY: zeroed stat/statfs are valid output buffers for the calls below.
    let (mut st, mut sfs): (libc::stat, libc::statfs) = unsafe { (std::mem::zeroed(), std::mem::zeroed()) };
    // SAFETY: fstat and fstatfs write into the local buffers; `fd` is open.
    if unsafe { libc::fstat(fd.as_raw_fd(), &mut st) } < 0 || unsafe { libc::fstatfs(fd.as_raw_fd(), &mut sfs) } < 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok((st.st_mode & libc::S_IFMT == libc::S_IFDIR, sfs.f_type == libc::PROC_SUPER_MAGIC))
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
