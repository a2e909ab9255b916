//! Dropping capabilities and switching credentials in the child, between fork
//! and exec: only raw syscalls, nothing that allocates or locks.

/// Highest capability number the kernel knows today (CAP_CHECKPOINT_RESTORE).
pub(crate) const CAP_LAST_CAP: u32 = 40;

const CAP_SETPCAP: u32 = 8;
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

fn errno() -> i32 {
    // SAFETY: errno is thread-local and always readable.
    unsafe { *libc::__errno_location() }
}

fn current_caps() -> Result<[CapData; 2], i32> {
    let mut header = CapHeader { version: LINUX_CAPABILITY_VERSION_3, pid: 0 };
    let mut data = [CapData::default(); 2];
    // SAFETY: header and a two-element data array, as capget v3 expects.
    let rc = unsafe { libc::syscall(libc::SYS_capget, &mut header as *mut CapHeader, data.as_mut_ptr()) };
    if rc < 0 {
        return Err(errno());
    }
    Ok(data)
}

fn has_effective(data: &[CapData; 2], cap: u32) -> bool {
    data[(cap / 32) as usize].effective & (1 << (cap % 32)) != 0
}

/// Switch to `gid`/`uid` (when set) and keep only the capabilities in `keep`,
/// in every set; errors are errno values for the spawn-error report.
pub(crate) fn drop_privileges(
    keep: u64,
    uid: Option<u32>,
    gid: Option<u32>,
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
            // SAFETY: prctl with integer arguments only.
            let rc = unsafe { libc::prctl(libc::PR_CAPBSET_DROP, cap as libc::c_ulong, 0, 0, 0) };
            if rc < 0 {
                if errno() == libc::EINVAL {
                    break;
                }
                return Err((Capabilities, errno()));
            }
        }
    }
    // SAFETY: prctl with integer arguments only.
    if unsafe { libc::prctl(libc::PR_CAP_AMBIENT, libc::PR_CAP_AMBIENT_CLEAR_ALL as libc::c_ulong, 0, 0, 0) } < 0 {
        return Err((Capabilities, errno()));
    }
    if keep != 0 && uid.is_some() {
        // SAFETY: prctl with integer arguments only.
        if unsafe { libc::prctl(libc::PR_SET_KEEPCAPS, 1, 0, 0, 0) } < 0 {
            return Err((Capabilities, errno()));
        }
    }
    if let Some(gid) = gid {
        // SAFETY: setgroups with an empty list reads no memory.
        if unsafe { libc::setgroups(0, std::ptr::null()) } < 0 {
            return Err((Credentials, errno()));
        }
        // SAFETY: setresgid has no memory effects.
        if unsafe { libc::setresgid(gid, gid, gid) } < 0 {
            return Err((Credentials, errno()));
        }
    }
    if let Some(uid) = uid {
        // SAFETY: setresuid has no memory effects.
        if unsafe { libc::setresuid(uid, uid, uid) } < 0 {
            return Err((Credentials, errno()));
        }
    }
    let kept = [
        CapData { effective: keep as u32, permitted: keep as u32, inheritable: keep as u32 },
        CapData { effective: (keep >> 32) as u32, permitted: (keep >> 32) as u32, inheritable: (keep >> 32) as u32 },
    ];
    let mut header = CapHeader { version: LINUX_CAPABILITY_VERSION_3, pid: 0 };
    // SAFETY: header and a two-element data array, as capset v3 expects.
    if unsafe { libc::syscall(libc::SYS_capset, &mut header as *mut CapHeader, kept.as_ptr()) } < 0 {
        return Err((Capabilities, errno()));
    }
    for cap in 0..=CAP_LAST_CAP {
        if keep & (1 << cap) != 0 {
            // SAFETY: prctl with integer arguments only.
            let rc = unsafe {
                libc::prctl(
                    libc::PR_CAP_AMBIENT,
                    libc::PR_CAP_AMBIENT_RAISE as libc::c_ulong,
                    cap as libc::c_ulong,
                    0,
                    0,
                )
            };
            if rc < 0 {
                return Err((Capabilities, errno()));
            }
        }
    }
    Ok(())
}
