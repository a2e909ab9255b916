//! No silent weakening: on a kernel whose Landlock is older than a policy
//! needs, `build()` fails and names the missing group; only `best_effort`
//! builds. An older kernel is faked per process: a thread serves a seccomp
//! listener, and a filter on the main thread alone (no TSYNC) sends it every
//! `landlock_create_ruleset`. The server answers the ABI version query with
//! the fake ABI and lets real ruleset creation run. Both probes — the
//! `landlock` crate's and `KernelFeatures` — run on the main thread after
//! the filter is in place, so both see the fake. Each ABI gets a fresh
//! process (this binary again), because both probes are made once.

use std::os::fd::RawFd;
use std::process::{Command, ExitCode};
use std::sync::mpsc;

use sandlock_core::{KernelFeatures, Policy, SandlockError};

const FAKE_ABI_VAR: &str = "SANDLOCK_TEST_FAKE_LANDLOCK_ABI";
const LANDLOCK_CREATE_RULESET_VERSION: u64 = 1;
/// ABI 0 stands for a kernel without Landlock (`EOPNOTSUPP`).
const FAKE_ABIS: std::ops::RangeInclusive<i32> = 0..=6;

fn main() -> ExitCode {
    match std::env::var(FAKE_ABI_VAR) {
        Ok(abi) => {
            let abi = abi.parse().expect("a fake ABI number");
            fake_landlock_abi(abi);
            check_policies(abi);
            ExitCode::SUCCESS
        }
        Err(_) => run_every_case(),
    }
}

/// This binary once per fake ABI; each case prints its own verdicts.
fn run_every_case() -> ExitCode {
    let exe = std::env::current_exe().expect("path of this test binary");
    let (mut passed, mut failed) = (0, 0);
    for abi in FAKE_ABIS {
        let out = Command::new(&exe).env(FAKE_ABI_VAR, abi.to_string()).output().expect("running a case");
        print!("{}", String::from_utf8_lossy(&out.stdout));
        if out.status.success() {
            println!("test fake_landlock_abi_{abi} ... ok");
            passed += 1;
        } else {
            println!("test fake_landlock_abi_{abi} ... FAILED ({})", out.status);
            eprint!("{}", String::from_utf8_lossy(&out.stderr));
            failed += 1;
        }
    }
    println!("old_kernel: {passed} passed, {failed} failed");
    if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// Which `Unsupported` feature each policy fails with under `abi` (`None`:
/// it builds), and that best effort always builds.
fn check_policies(abi: i32) {
    let default = Policy::builder().build();
    let unscoped = Policy::builder().scope_ipc(false).build();
    // TCP is hard-required whatever the ports, and file-system rights up to
    // IoctlDev (ABI 5) whatever the paths; scoping only when asked for.
    let (expect_default, expect_unscoped) = match abi {
        0..=3 => (Some("TCP port rules"), Some("TCP port rules")),
        4 => (Some("Landlock file-system rules"), Some("Landlock file-system rules")),
        5 => (Some("IPC scoping"), None),
        _ => (None, None),
    };
    assert_eq!(unsupported(&default), expect_default, "ABI {abi}, default policy: {default:?}");
    assert_eq!(unsupported(&unscoped), expect_unscoped, "ABI {abi}, scope_ipc(false): {unscoped:?}");
    // Every kind of rule, so that the crate leaves out each one the kernel
    // cannot take: a directory and a file to read, one to write, ports.
    let tmp = std::env::temp_dir();
    let lenient = Policy::builder()
        .fs_read(["/usr", "/etc/hostname"])
        .fs_write([tmp])
        .net_connect_tcp([443])
        .net_bind_tcp([8080])
        .best_effort(true)
        .build();
    assert!(lenient.is_ok(), "ABI {abi}, best effort: {lenient:?}");
    assert_eq!(KernelFeatures::get().landlock_abi, abi, "KernelFeatures probed past the fake");
    println!("ABI {abi}: default {expect_default:?}, scope_ipc(false) {expect_unscoped:?}, best effort builds");
}

fn unsupported(result: &sandlock_core::Result<Policy>) -> Option<&'static str> {
    match result {
        Ok(_) => None,
        Err(SandlockError::Unsupported { feature, .. }) => Some(feature),
        Err(other) => panic!("expected Unsupported or a policy, got {other}"),
    }
}

/// Serve `landlock_create_ruleset` of the calling thread from another
/// thread, answering the version query with `abi`.
fn fake_landlock_abi(abi: i32) {
    let (send_listener, listener) = mpsc::channel::<RawFd>();
    // Started before the filter exists, so the server is not under it.
    std::thread::spawn(move || serve(listener.recv().expect("the listener"), abi));
    // SAFETY: prctl with integer arguments; no_new_privs binds this thread.
    assert_eq!(unsafe { libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) }, 0);
    send_listener.send(install_trap()).expect("the server waits for the listener");
}

/// A filter on this thread only that notifies `landlock_create_ruleset`
/// and allows everything else; returns its listener.
fn install_trap() -> RawFd {
    const LD_NR: u16 = (libc::BPF_LD | libc::BPF_W | libc::BPF_ABS) as u16;
    const JEQ: u16 = (libc::BPF_JMP | libc::BPF_JEQ | libc::BPF_K) as u16;
    const RET: u16 = (libc::BPF_RET | libc::BPF_K) as u16;
    let insn = |code, jt, jf, k| libc::sock_filter { code, jt, jf, k };
    let prog = [
        insn(LD_NR, 0, 0, std::mem::offset_of!(libc::seccomp_data, nr) as u32),
        insn(JEQ, 0, 1, libc::SYS_landlock_create_ruleset as u32),
        insn(RET, 0, 0, libc::SECCOMP_RET_USER_NOTIF),
        insn(RET, 0, 0, libc::SECCOMP_RET_ALLOW),
    ];
    let fprog = libc::sock_fprog { len: prog.len() as u16, filter: prog.as_ptr().cast_mut() };
    // SAFETY: `fprog` points to `prog`, both alive for the call, which
    // copies the program; without TSYNC it binds the calling thread only.
    let fd = unsafe {
        libc::syscall(
            libc::SYS_seccomp,
            libc::SECCOMP_SET_MODE_FILTER,
            libc::SECCOMP_FILTER_FLAG_NEW_LISTENER,
            &fprog as *const libc::sock_fprog,
        )
    };
    assert!(fd >= 0, "installing the trap: {}", std::io::Error::last_os_error());
    fd as RawFd
}

/// Answer the version query (NULL attr, size 0, the VERSION flag) with
/// `abi` (0: Landlock not enabled); let every real creation run.
fn serve(listener: RawFd, abi: i32) {
    loop {
        // SAFETY: all-zero is a valid seccomp_notif, and the kernel wants
        // the receive buffer zeroed.
        let mut notif: libc::seccomp_notif = unsafe { std::mem::zeroed() };
        // SAFETY: `notif` is a writable seccomp_notif, the size the ioctl
        // number encodes; `listener` stays open for the process's life.
        if unsafe { libc::ioctl(listener, libc::SECCOMP_IOCTL_NOTIF_RECV, &mut notif) } < 0 {
            continue;
        }
        let args = notif.data.args;
        let query = args[0] == 0 && args[1] == 0 && args[2] == LANDLOCK_CREATE_RULESET_VERSION;
        let mut resp = libc::seccomp_notif_resp { id: notif.id, val: 0, error: 0, flags: 0 };
        match (query, abi) {
            (true, 0) => resp.error = -libc::EOPNOTSUPP,
            (true, abi) => resp.val = i64::from(abi),
            (false, _) => resp.flags = libc::SECCOMP_USER_NOTIF_FLAG_CONTINUE as u32,
        }
        // SAFETY: `resp` is a readable seccomp_notif_resp, the size the
        // ioctl number encodes. A child gone meanwhile fails it harmlessly.
        unsafe { libc::ioctl(listener, libc::SECCOMP_IOCTL_NOTIF_SEND, &resp) };
    }
}
