//! `sandlock check`: what this kernel enforces, one line per thing, and
//! whether the default policy can run here. The probing is the core's
//! (`KernelFeatures`); the verdict is the core's too — whether it builds
//! the default policy — so this command never disagrees with `run`.

use std::process::ExitCode;

use sandlock_core::{KernelFeatures, Policy};

use crate::exit::Failure;

/// What each Landlock ABI version added, as the kernel's uapi names it.
const LANDLOCK_GROUPS: [(i32, &str, &str); 7] = [
    (
        1,
        "file system",
        "execute, write_file, read_file, read_dir, remove_dir, remove_file, make_char, make_dir, make_reg, \
         make_sock, make_fifo, make_block, make_sym",
    ),
    (2, "file system", "refer (link and rename across directories)"),
    (3, "file system", "truncate"),
    (4, "network", "TCP bind, TCP connect"),
    (5, "file system", "ioctl_dev (ioctls on devices)"),
    (6, "IPC scoping", "abstract UNIX sockets, signals"),
    (7, "audit logging", "log_same_exec_off, log_new_exec_on, log_subdomains_off"),
];

/// The layers of the default policy, each with the Landlock ABI it needs
/// (0: the layer is seccomp user notification).
const DEFAULT_LAYERS: [(&str, i32, &str); 4] = [
    ("Landlock file-system rules", 1, "Linux 5.13 with lsm=landlock"),
    ("TCP port rules", 4, "Linux 6.7"),
    ("IPC scoping", 6, "Linux 6.12"),
    ("seccomp user notification", 0, "Linux 5.0"),
];

fn yes_no(present: bool) -> &'static str {
    if present {
        "yes"
    } else {
        "no"
    }
}

/// The report, one line per thing, and whether the default policy runs.
pub fn report(features: &KernelFeatures) -> Vec<String> {
    let abi = features.landlock_abi;
    let mut lines = vec![match abi {
        0 => "landlock: not available".to_string(),
        abi => format!("landlock: ABI {abi}"),
    }];
    for (version, group, rights) in LANDLOCK_GROUPS {
        lines.push(format!("landlock ABI {version}, {group}: {rights}: {}", yes_no(abi >= version)));
    }
    lines.push(format!("seccomp user notification: {}", yes_no(features.seccomp_user_notif)));
    lines.push(format!(
        "seccomp flag SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV: {}",
        yes_no(features.seccomp_wait_killable_recv)
    ));
    lines.push(format!(
        "seccomp listener flag SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP: {}",
        yes_no(features.seccomp_sync_wakeup)
    ));
    for (layer, needs_abi, needs) in DEFAULT_LAYERS {
        let present = if needs_abi == 0 { features.seccomp_user_notif } else { abi >= needs_abi };
        if !present {
            lines.push(format!("default policy layer missing: {layer} (needs {needs})"));
        }
    }
    lines
}

pub fn run() -> Result<ExitCode, Failure> {
    let mut lines = report(KernelFeatures::get());
    let verdict = Policy::builder().build();
    lines.push(match &verdict {
        Ok(_) => "default policy: enforceable on this kernel".to_string(),
        Err(e) => format!("default policy: not enforceable: {e} (--best-effort runs without the missing layers)"),
    });
    crate::emit(format!("{}\n", lines.join("\n")).as_bytes())?;
    Ok(if verdict.is_ok() { ExitCode::SUCCESS } else { ExitCode::from(1) })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_old_kernel_is_told_which_layers_are_missing() {
        let old = KernelFeatures {
            landlock_abi: 3,
            seccomp_user_notif: true,
            seccomp_wait_killable_recv: true,
            seccomp_sync_wakeup: false,
        };
        let lines = report(&old);
        assert!(lines.contains(&"landlock ABI 3, file system: truncate: yes".to_string()), "{lines:#?}");
        assert!(lines.contains(&"landlock ABI 4, network: TCP bind, TCP connect: no".to_string()), "{lines:#?}");
        let missing: Vec<_> = lines.iter().filter(|l| l.starts_with("default policy layer missing")).collect();
        assert_eq!(
            missing,
            [
                "default policy layer missing: TCP port rules (needs Linux 6.7)",
                "default policy layer missing: IPC scoping (needs Linux 6.12)"
            ]
        );
    }
}
