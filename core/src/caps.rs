//! Dropping capabilities and switching credentials in the child, between fork
//! and exec: only raw syscalls, nothing that allocates or locks. glibc's
//! `setgroups`/`setresgid`/`setresuid` wrappers are not raw: they signal
//! every thread of the process to change its credentials too (in a
//! `CLONE_VM` child those are the parent's threads) and take glibc locks.

/// Highest capability number the kernel knows today (CAP_CHECKPOINT_RESTORE).
pub(crate) const CAP_LAST_CAP: u32 = 40;

const CAP_SETGID: u32 = 6;
const CAP_SETUID: u32 = 7;
const CAP_SETPCAP: u32 = 8;
pub(crate) const CAP_SYS_ADMIN: u32 = 21;
const LINUX_CAPABILITY_VERSION_3: u32 = 0x2008_0522;

#[repr(C)]
struct CapHeader {
    version: u32,
    pid: libc::c_int,
}

#[repr(C)]
#[derive(Clone, Copy, Default)]
struct CapData {
    effective: u32,
    permitted: u32,
    inheritable: u32,
}

/// A capability mask from a list of `CAP_*` numbers (each ≤ CAP_LAST_CAP).
pub(crate) fn mask(caps: &[u32]) -> u64 {
    caps.iter().fold(0u64, |m, &c| m | (1u64 << c))
}

/// `prctl` as a raw syscall with integer arguments.
fn prctl(option: libc::c_int, arg2: libc::c_ulong, arg3: libc::c_ulong) -> libc::c_long {
    // SAFETY: every prctl option used here takes integers only.
    unsafe { libc::syscall(libc::SYS_prctl, option, arg2, arg3, 0 as libc::c_ulong, 0 as libc::c_ulong) }
}

use crate::raw_syscall::errno;

fn current_caps() -> Result<[CapData; 2], i32> {
    let mut header = CapHeader { version: LINUX_CAPABILITY_VERSION_3, pid: 0 };
    let mut data = [CapData::default(); 2];
    // SAFETY: `header` and `data` are live locals: a v3 header, and the two
    // elements a v3 capget writes.
    let rc = unsafe { libc::syscall(libc::SYS_capget, &mut header as *mut CapHeader, data.as_mut_ptr()) };
    if rc < 0 {
        return Err(errno());
    }
    Ok(data)
}

fn has_effective(data: &[CapData; 2], cap: u32) -> bool {
    data[(cap / 32) as usize].effective & (1 << (cap % 32)) != 0
}

/// Run `call` with this thread's effective capabilities reduced to `keep`
/// (capabilities are per thread), then restore them: for calls the
/// supervisor makes on the child's behalf, so the kernel's capability checks
/// see what the child has. Fails with the errno of capget/capset, without
/// running `call`, when the set cannot be reduced.
pub(crate) fn with_effective<T>(keep: u64, call: impl FnOnce() -> T) -> Result<T, i32> {
    let saved = current_caps()?;
    let mut reduced = saved;
    reduced[0].effective &= keep as u32;
    reduced[1].effective &= (keep >> 32) as u32;
    set_caps(&reduced)?;
    // Restored even if `call` panics: the thread goes on serving the
    // sandbox (the dispatcher catches the panic).
    struct Restore([CapData; 2]);
    impl Drop for Restore {
        fn drop(&mut self) {
            // Restoring needs only the permitted set, which was not touched.
            set_caps(&self.0).expect("raising effective capabilities back within the permitted set");
        }
    }
    let _restore = Restore(saved);
    Ok(call())
}

/// Run `call` with this thread's file-system uid and gid set to `uid` and
/// `gid` and its effective capabilities cut to `keep`: what the kernel
/// checks of an opener then is the child's (a `/proc` file's ptrace check
/// compares the opener's file-system ids and capabilities with the
/// target's). Only this thread changes (raw syscalls, no glibc broadcast).
pub(crate) fn as_child<T>(uid: u32, gid: u32, keep: u64, call: impl FnOnce() -> T) -> Result<T, i32> {
    // The ids first, while the thread may still change them (CAP_SETUID,
    // CAP_SETGID); setfsuid/setfsgid say nothing when they fail, so the
    // ids are read back (an id of -1 changes nothing and returns it).
    // SAFETY: setfsuid/setfsgid take an id and return the previous one;
    // they change only the calling thread's credentials.
    let (saved_gid, saved_uid) = unsafe { (libc::setfsgid(gid), libc::setfsuid(uid)) };
    // Restored even if `call` panics, as `with_effective` restores.
    struct Restore(i32, i32);
    impl Drop for Restore {
        fn drop(&mut self) {
            // SAFETY: as above, back to the ids read.
            unsafe {
                libc::setfsuid(self.0 as u32);
                libc::setfsgid(self.1 as u32);
            }
        }
    }
    let _restore = Restore(saved_uid, saved_gid);
    // SAFETY: as above; -1 only reads.
    let switched = unsafe { libc::setfsuid(u32::MAX) as u32 == uid && libc::setfsgid(u32::MAX) as u32 == gid };
    if switched {
        with_effective(keep, call)
    } else {
        Err(libc::EPERM)
    }
}

fn set_caps(data: &[CapData; 2]) -> Result<(), i32> {
    let mut header = CapHeader { version: LINUX_CAPABILITY_VERSION_3, pid: 0 };
    // SAFETY: `header` is a live v3 header and `data` borrows the two
    // elements a v3 capset reads.
    if unsafe { libc::syscall(libc::SYS_capset, &mut header as *mut CapHeader, data.as_ptr()) } < 0 {
        return Err(errno());
    }
    Ok(())
}

/// True when the calling thread has `cap` in its effective set.
pub(crate) fn caller_has(cap: u32) -> bool {
    current_caps().is_ok_and(|caps| has_effective(&caps, cap))
}

/// Whether the child can switch to `uid` and `gid` (when set) from this
/// caller, and whether it then drops its supplementary groups (always, with
/// `CAP_SETGID`). Without the capability the child may still take an id
/// the caller already has (the kernel lets anyone set its own real,
/// effective or saved id), and keeps groups that are only `gid` itself. In
/// a user namespace of the child's own (`user_namespace`) only the
/// caller's effective ids are mapped and `setgroups` is denied.
pub(crate) fn check_switch(uid: Option<u32>, gid: Option<u32>, user_namespace: bool) -> crate::Result<bool> {
    use crate::SandlockError::NeedsPrivilege;
    use nix::unistd::{getgroups, getresgid, getresuid};
    let io = |e: nix::Error| crate::SandlockError::io("reading this process's credentials", e.into());
    let uids = getresuid().map_err(io)?;
    let gids = getresgid().map_err(io)?;
    let (euid, egid) = (uids.effective.as_raw(), gids.effective.as_raw());
    if let Some(uid) = uid {
        if user_namespace && uid != euid {
            return Err(NeedsPrivilege {
                what: format!("switching the child to uid {uid} with a private /dev/shm"),
                capability: "CAP_SYS_ADMIN",
                hint: format!("without it the child's user namespace maps only uid {euid}"),
            });
        }
        let own = [uids.real, uids.effective, uids.saved].iter().any(|id| id.as_raw() == uid);
        if !own && !caller_has(CAP_SETUID) {
            return Err(NeedsPrivilege {
                what: format!("switching the child to uid {uid}"),
                capability: "CAP_SETUID",
                hint: format!("run as root, or set no uid and the child keeps uid {euid}"),
            });
        }
        // Another uid than the effective one (the one the child would
        // keep), with this process's groups, is not that uid: a root
        // caller's child kept gid 0 (root-group files) and every
        // supplementary group (disk, adm, ...) — a set-user-ID caller's
        // too, switching to its real uid.
        if uid != euid && gid.is_none() {
            return Err(crate::SandlockError::InvalidArgument {
                what: "uid",
                reason: format!(
                    "switching the child to uid {uid} without a gid keeps this process's gid {egid} and its \
                     supplementary groups: set a gid too (usually the uid's own group)"
                ),
            });
        }
    }
    let Some(gid) = gid else { return Ok(false) };
    if user_namespace && gid != egid {
        return Err(NeedsPrivilege {
            what: format!("switching the child to gid {gid} with a private /dev/shm"),
            capability: "CAP_SYS_ADMIN",
            hint: format!("without it the child's user namespace maps only gid {egid}"),
        });
    }
    let privileged = caller_has(CAP_SETGID) && !user_namespace;
    let own = [gids.real, gids.effective, gids.saved].iter().any(|id| id.as_raw() == gid);
    if !own && !privileged {
        return Err(NeedsPrivilege {
            what: format!("switching the child to gid {gid}"),
            capability: "CAP_SETGID",
            hint: format!("run as root, or set no gid and the child keeps gid {egid}"),
        });
    }
    if privileged {
        return Ok(true);
    }
    let extra: Vec<String> =
        getgroups().map_err(io)?.iter().map(|g| g.as_raw()).filter(|&g| g != gid).map(|g| g.to_string()).collect();
    if !extra.is_empty() {
        return Err(NeedsPrivilege {
            what: format!("dropping the supplementary groups {} of this process", extra.join(", ")),
            capability: "CAP_SETGID",
            hint: "run as root, or set no gid and the child keeps them".into(),
        });
    }
    Ok(false)
}

/// Switch to `gid`/`uid` (when set) and keep only the capabilities in `keep`,
/// in every set; errors are errno values for the spawn-error report.
/// `drop_groups`: empty the supplementary groups with the gid switch (see
/// [`check_switch`]).
pub(crate) fn drop_privileges(
    keep: u64,
    uid: Option<u32>,
    gid: Option<u32>,
    drop_groups: bool,
) -> Result<(), (crate::error::SpawnStage, i32)> {
    use crate::error::SpawnStage::{Capabilities, Credentials};
    let caps = current_caps().map_err(|e| (Capabilities, e))?;
    if has_effective(&caps, CAP_SETPCAP) {
        // Capabilities are numbered without gaps: EINVAL marks the first one
        // past what this kernel knows.
        for cap in 0..64u32 {
            if keep & (1 << cap) != 0 {
                continue;
            }
            let rc = prctl(libc::PR_CAPBSET_DROP, libc::c_ulong::from(cap), 0);
            if rc < 0 {
                if errno() == libc::EINVAL {
                    break;
                }
                return Err((Capabilities, errno()));
            }
        }
    }
    if prctl(libc::PR_CAP_AMBIENT, libc::PR_CAP_AMBIENT_CLEAR_ALL as libc::c_ulong, 0) < 0 {
        return Err((Capabilities, errno()));
    }
    if keep != 0 && uid.is_some() && prctl(libc::PR_SET_KEEPCAPS, 1, 0) < 0 {
        return Err((Capabilities, errno()));
    }
    if let Some(gid) = gid {
        // SAFETY: the raw syscall with a count of 0 reads no list; it changes
        // only this task's credentials (no glibc set-ID broadcast).
        if drop_groups && unsafe { libc::syscall(libc::SYS_setgroups, 0usize, std::ptr::null::<libc::gid_t>()) } < 0 {
            return Err((Credentials, errno()));
        }
        // SAFETY: the raw syscall takes three integers and changes only this
        // task's credentials.
        if unsafe {
            libc::syscall(
                libc::SYS_setresgid,
                libc::c_ulong::from(gid),
                libc::c_ulong::from(gid),
                libc::c_ulong::from(gid),
            )
        } < 0
        {
            return Err((Credentials, errno()));
        }
    }
    if let Some(uid) = uid {
        // SAFETY: the raw syscall takes three integers and changes only this
        // task's credentials (no glibc set-ID broadcast).
        if unsafe {
            libc::syscall(
                libc::SYS_setresuid,
                libc::c_ulong::from(uid),
                libc::c_ulong::from(uid),
                libc::c_ulong::from(uid),
            )
        } < 0
        {
            return Err((Credentials, errno()));
        }
    }
    let kept = [
        CapData { effective: keep as u32, permitted: keep as u32, inheritable: keep as u32 },
        CapData { effective: (keep >> 32) as u32, permitted: (keep >> 32) as u32, inheritable: (keep >> 32) as u32 },
    ];
    let mut header = CapHeader { version: LINUX_CAPABILITY_VERSION_3, pid: 0 };
    // SAFETY: `header` is a live v3 header and `kept` holds the two
    // elements a v3 capset reads; the raw syscall changes this task only.
    if unsafe { libc::syscall(libc::SYS_capset, &mut header as *mut CapHeader, kept.as_ptr()) } < 0 {
        return Err((Capabilities, errno()));
    }
    for cap in 0..=CAP_LAST_CAP {
        if keep & (1 << cap) != 0 {
            let rc = prctl(libc::PR_CAP_AMBIENT, libc::PR_CAP_AMBIENT_RAISE as libc::c_ulong, libc::c_ulong::from(cap));
            if rc < 0 {
                return Err((Capabilities, errno()));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_call_that_panics_leaves_the_thread_as_it_was() {
        // On a thread of its own: the test changes only that thread.
        std::thread::spawn(|| {
            let before = current_caps().unwrap();
            // SAFETY: -1 only reads the file-system ids.
            let ids = || unsafe { (libc::setfsuid(u32::MAX), libc::setfsgid(u32::MAX)) };
            let fs_ids = ids();
            let panicked = std::panic::catch_unwind(|| as_child(65534, 65534, 0, || panic!("inside")));
            assert!(panicked.is_err());
            let after = current_caps().unwrap();
            assert_eq!((after[0].effective, after[1].effective), (before[0].effective, before[1].effective));
            assert_eq!(ids(), fs_ids);
        })
        .join()
        .unwrap();
    }
}
