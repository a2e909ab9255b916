//! What one run gets of its own, beyond the policy it shares with every
//! other run: a private temporary directory, a private `/dev/shm`, and —
//! when either is asked for — a Landlock ruleset made for this run alone
//! (the policy's prebuilt one is shared by every run and must never change,
//! so a rule only this run needs goes into a fresh copy of it).

use std::borrow::Cow;
use std::ffi::OsString;
use std::os::fd::{BorrowedFd, OwnedFd};
use std::path::Path;
use std::sync::Arc;

use crate::error::Result;
use crate::exec_check::ExecRules;
use crate::landlock_rules;
use crate::policy::Policy;
use crate::private_shm::ShmPlan;
use crate::private_tmp::PrivateTmp;

/// The parts of a run that are its own.
pub(crate) struct PerRun<'p> {
    /// The ruleset the child restricts itself with.
    pub landlock: Option<Arc<OwnedFd>>,
    /// Below which inodes that ruleset lets the child execute.
    exec_roots: Cow<'p, [(u64, u64)]>,
    /// The child's environment (with `TMPDIR` for a private directory).
    pub env: Cow<'p, [(OsString, OsString)]>,
    /// Removed when dropped: the run's [`Child`](crate::Child) keeps it.
    pub tmp: Option<PrivateTmp>,
    /// What the child mounts; it goes into the spawn plan.
    pub shm: Option<ShmPlan>,
}

impl<'p> PerRun<'p> {
    pub(crate) fn prepare(policy: &'p Policy) -> Result<PerRun<'p>> {
        let shm = policy.private_shm.map(|privilege| ShmPlan::new(privilege, policy.shm_size()));
        let tmp = if policy.private_tmp { Some(PrivateTmp::create(policy.uid, policy.gid)?) } else { None };
        let shared = PerRun {
            landlock: policy.landlock.clone(),
            exec_roots: Cow::Borrowed(policy.exec_roots.as_slice()),
            env: Cow::Borrowed(policy.env.as_slice()),
            tmp: None,
            shm: None,
        };
        if tmp.is_none() && shm.is_none() {
            return Ok(shared);
        }
        let extra: Vec<(&Path, BorrowedFd<'_>)> = tmp.iter().map(PrivateTmp::rule).collect();
        // No Landlock under best effort stays none.
        let built = match policy.landlock {
            Some(_) => landlock_rules::build(&policy.rules, &extra)?,
            None => None,
        };
        let (landlock, exec_roots) = match built {
            Some(built) => (Some(Arc::new(built.fd)), Cow::Owned(built.exec_roots)),
            None => (None, Cow::Borrowed(policy.exec_roots.as_slice())),
        };
        let env = match &tmp {
            Some(tmp) => {
                let (key, value) = tmp.env();
                let mut env: Vec<(OsString, OsString)> =
                    policy.env.iter().filter(|(k, _)| *k != key).cloned().collect();
                env.push((key, value));
                Cow::Owned(env)
            }
            None => Cow::Borrowed(policy.env.as_slice()),
        };
        Ok(PerRun { landlock, exec_roots, env, tmp, shm })
    }

    /// What the exec check compares the program's path with.
    pub(crate) fn exec_rules(&self) -> ExecRules<'_> {
        ExecRules { roots: &self.exec_roots, landlock: self.landlock.is_some() }
    }
}
