//! What this kernel offers, probed once per process: reported by
//! `KernelFeatures::get()`, and used to pick the seccomp flags a spawn asks
//! for.

use std::os::fd::{FromRawFd, OwnedFd};
use std::sync::OnceLock;

use crate::error::{Result, SandlockError};
use crate::seccomp::bpf::{self, FilterSpec};
use crate::seccomp::listener::Listener;

/// Kernel features sandlock relies on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KernelFeatures {
    /// Landlock ABI version, 0 when Landlock is unavailable.
    pub landlock_abi: i32,
    /// `SECCOMP_RET_USER_NOTIF` is available (Linux 5.0+).
    pub seccomp_user_notif: bool,
    /// `SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV` (Linux 5.19+): once a
    /// handler has a notification, only a fatal signal ends the child's
    /// wait, so a handler's side effects are never repeated. Used when present.
    pub seccomp_wait_killable_recv: bool,
    /// `SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP` (Linux 6.6+): the answered child
    /// wakes on the answering CPU (the fast handler path). Used when present.
    pub seccomp_sync_wakeup: bool,
}

impl KernelFeatures {
    pub fn get() -> &'static KernelFeatures {
        static FEATURES: OnceLock<KernelFeatures> = OnceLock::new();
        crate::fork_locks::get_or_init(&FEATURES, KernelFeatures::probe)
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
        // SAFETY: GET_ACTION_AVAIL reads one u32 through the pointer, and
        // `action` is a live local u32.
        let notif =
            unsafe { libc::syscall(libc::SYS_seccomp, libc::SECCOMP_GET_ACTION_AVAIL, 0, &action as *const u32) };
        let (seccomp_wait_killable_recv, seccomp_sync_wakeup) =
            if notif == 0 { probe_listener_flags() } else { (false, false) };
        KernelFeatures {
            landlock_abi: abi.max(0) as i32,
            seccomp_user_notif: notif == 0,
            seccomp_wait_killable_recv,
            seccomp_sync_wakeup,
        }
    }

    /// Fail with `Unsupported` when the handler path cannot work here,
    /// unless the caller opted into best effort. What Landlock can enforce
    /// is the `landlock` crate's to decide (see `landlock_rules`).
    pub(crate) fn require_user_notif(&self, best_effort: bool) -> Result<()> {
        if best_effort || self.seccomp_user_notif {
            return Ok(());
        }
        Err(SandlockError::Unsupported {
            feature: "seccomp user notification",
            reason: "SECCOMP_RET_USER_NOTIF is not available".into(),
        })
    }
}

/// (WAIT_KILLABLE_RECV, FD_SYNC_WAKE_UP): both exist only as flags of a real
/// listener, so a short-lived thread installs a filter that denies nothing
/// it calls and tries them. Without TSYNC, no_new_privs and the filter bind
/// only that thread: the process stays unfiltered and nothing is forked.
fn probe_listener_flags() -> (bool, bool) {
    let filter = bpf::assemble(&FilterSpec::default());
    let probe = move || {
        // no_new_privs is a property of this thread alone.
        if nix::sys::prctl::set_no_new_privs().is_err() {
            return (false, false);
        }
        let killable = bpf::install(
            &filter,
            libc::SECCOMP_FILTER_FLAG_NEW_LISTENER | libc::SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV,
        )
        .ok();
        let Some(fd) = killable.or_else(|| bpf::install(&filter, libc::SECCOMP_FILTER_FLAG_NEW_LISTENER).ok()) else {
            return (false, false);
        };
        // SAFETY: the install returned a new listener fd that nothing else owns.
        let listener = Listener::new(unsafe { OwnedFd::from_raw_fd(fd) });
        (killable.is_some(), listener.set_sync_wakeup().is_ok())
    };
    std::thread::Builder::new()
        .name("sandlock-probe".into())
        .spawn(probe)
        .ok()
        .and_then(|thread| thread.join().ok())
        .unwrap_or((false, false))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status_field(name: &str) -> String {
        let status = std::fs::read_to_string("/proc/thread-self/status").unwrap();
        status.lines().find_map(|l| l.strip_prefix(name)).unwrap().trim().to_string()
    }

    #[test]
    fn the_listener_probe_leaves_the_calling_thread_unfiltered() {
        let flags = probe_listener_flags();
        if KernelFeatures::get().seccomp_user_notif {
            assert_eq!(
                flags,
                (KernelFeatures::get().seccomp_wait_killable_recv, KernelFeatures::get().seccomp_sync_wakeup)
            );
        }
        assert_eq!(status_field("Seccomp:"), "0");
        assert_eq!(status_field("NoNewPrivs:"), "0");
    }
}
