//! What this kernel can enforce, probed once per process.

use std::sync::OnceLock;

use crate::error::{Result, SandlockError};
use crate::policy::Policy;

/// Landlock ABI that brought TCP port rules.
const LANDLOCK_ABI_NET: i32 = 4;
/// Landlock ABI that brought abstract-socket and signal scoping.
const LANDLOCK_ABI_SCOPE: i32 = 6;

/// Kernel features sandlock relies on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KernelFeatures {
    /// Landlock ABI version, 0 when Landlock is unavailable.
    pub landlock_abi: i32,
    /// `SECCOMP_RET_USER_NOTIF` is available (Linux 5.0+).
    pub seccomp_user_notif: bool,
}

impl KernelFeatures {
    pub fn get() -> &'static KernelFeatures {
        static FEATURES: OnceLock<KernelFeatures> = OnceLock::new();
        FEATURES.get_or_init(KernelFeatures::probe)
    }

    fn probe() -> KernelFeatures {
        const LANDLOCK_CREATE_RULESET_VERSION: libc::c_uint = 1;
        // SAFETY: with a NULL attr, size 0 and the VERSION flag, the syscall
        // only returns the ABI version.
        let abi = unsafe {
            libc::syscall(
                libc::SYS_landlock_create_ruleset,
                std::ptr::null::<u8>(),
                0usize,
                LANDLOCK_CREATE_RULESET_VERSION,
            )
        };
        let action: u32 = libc::SECCOMP_RET_USER_NOTIF;
        // SAFETY: GET_ACTION_AVAIL reads one u32 from a valid pointer.
        let notif =
            unsafe { libc::syscall(libc::SYS_seccomp, libc::SECCOMP_GET_ACTION_AVAIL, 0, &action as *const u32) };
        KernelFeatures { landlock_abi: abi.max(0) as i32, seccomp_user_notif: notif == 0 }
    }

    /// Fail with `Unsupported` when the policy asks for what this kernel
    /// cannot enforce, unless the policy opted into best effort.
    pub(crate) fn check_policy(&self, policy: &Policy) -> Result<()> {
        if policy.best_effort {
            return Ok(());
        }
        if self.landlock_abi < 1 {
            return Err(SandlockError::Unsupported {
                feature: "Landlock file-system rules",
                reason: "Landlock is not enabled in this kernel (needs Linux 5.13+ with lsm=landlock)".into(),
            });
        }
        if self.landlock_abi < LANDLOCK_ABI_NET {
            return Err(SandlockError::Unsupported {
                feature: "TCP port rules",
                reason: format!("Landlock ABI {} < {LANDLOCK_ABI_NET} (Linux 6.7)", self.landlock_abi),
            });
        }
        if policy.scope_ipc && self.landlock_abi < LANDLOCK_ABI_SCOPE {
            return Err(SandlockError::Unsupported {
                feature: "IPC scoping",
                reason: format!("Landlock ABI {} < {LANDLOCK_ABI_SCOPE} (Linux 6.12)", self.landlock_abi),
            });
        }
        if !self.seccomp_user_notif {
            return Err(SandlockError::Unsupported {
                feature: "seccomp user notification",
                reason: "SECCOMP_RET_USER_NOTIF is not available".into(),
            });
        }
        Ok(())
    }
}
