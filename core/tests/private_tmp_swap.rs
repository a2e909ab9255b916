//! A run's private temporary directory is made in a shared base (`/tmp`),
//! where another run with a write grant there — a uid-0 child owns a
//! root-owned `/tmp`, a child of the caller's uid owns what the caller
//! makes — may rename the new directory away and leave a link to a host
//! file in its place. Whatever it swaps in, the child must never get the
//! link's target: neither its ownership (a file of root's given to uid
//! 65534) nor a write rule on it. Alone in its binary: `TMPDIR` is the
//! whole process's.

mod common;

use std::ffi::CStr;
use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;

use common::{policy, sandbox_as, Identity, TempDir};

const RUNS: usize = 100;

/// Watch `base` and swap every new `sandlock-tmp-*` directory for a link
/// to the current target, as a run granted the base could; until `stop`.
fn swap_new_directories(base: &Path, target: &Mutex<PathBuf>, swaps: &AtomicUsize, stop: &AtomicBool) {
    // SAFETY: inotify_init1 takes flags and returns a new fd or -1.
    let fd = unsafe { libc::inotify_init1(libc::IN_NONBLOCK | libc::IN_CLOEXEC) };
    assert!(fd >= 0, "inotify_init1: {}", std::io::Error::last_os_error());
    let watched = std::ffi::CString::new(base.as_os_str().as_encoded_bytes()).unwrap();
    // SAFETY: `watched` is a NUL-terminated path that outlives the call.
    assert!(unsafe { libc::inotify_add_watch(fd, watched.as_ptr(), libc::IN_CREATE) } >= 0);
    let mut buf = [0u8; 4096];
    while !stop.load(Ordering::Relaxed) {
        let mut pfd = libc::pollfd { fd, events: libc::POLLIN, revents: 0 };
        // SAFETY: one pollfd on the stack, valid for the call.
        if unsafe { libc::poll(&mut pfd, 1, 50) } <= 0 {
            continue;
        }
        // SAFETY: `buf` is ours and as long as the length passed.
        let n = unsafe { libc::read(fd, buf.as_mut_ptr().cast(), buf.len()) };
        let mut at = 0;
        while n > 0 && at + std::mem::size_of::<libc::inotify_event>() <= n as usize {
            // SAFETY: the kernel wrote whole events from `at` on; an
            // unaligned read copies the header out.
            let event: libc::inotify_event = unsafe { std::ptr::read_unaligned(buf.as_ptr().add(at).cast()) };
            let name_at = at + std::mem::size_of::<libc::inotify_event>();
            at = name_at + event.len as usize;
            let Ok(name) = CStr::from_bytes_until_nul(&buf[name_at..at]) else { continue };
            let name = name.to_string_lossy();
            if !name.starts_with("sandlock-tmp-") || name.ends_with(".aside") {
                continue;
            }
            let made = base.join(&*name);
            if fs::rename(&made, base.join(format!("{name}.aside"))).is_ok()
                && std::os::unix::fs::symlink(&*target.lock().unwrap(), &made).is_ok()
            {
                swaps.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
    // SAFETY: closing the inotify fd made above, used by nothing else.
    unsafe { libc::close(fd) };
}

struct StopOnDrop<'a>(&'a AtomicBool);

impl Drop for StopOnDrop<'_> {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Relaxed);
    }
}

#[test]
fn a_swapped_private_tmp_never_hands_the_child_a_host_file() {
    let base = TempDir::new_public();
    let host = TempDir::new_public();
    let file = host.path().join("root-file");
    fs::write(&file, "host data").unwrap();
    fs::set_permissions(&file, std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
    let dir = host.path().join("root-dir");
    fs::create_dir(&dir).unwrap();
    fs::set_permissions(&dir, std::os::unix::fs::PermissionsExt::from_mode(0o700)).unwrap();
    std::env::set_var("TMPDIR", base.path());

    let target = Mutex::new(file.clone());
    let (swaps, stop) = (AtomicUsize::new(0), AtomicBool::new(false));
    std::thread::scope(|scope| {
        scope.spawn(|| swap_new_directories(base.path(), &target, &swaps, &stop));
        // Stops the swapper however this thread leaves (a failed assertion
        // too), or the scope would wait for it for good.
        let _stop = StopOnDrop(&stop);
        for id in Identity::all() {
            let sandbox = sandbox_as(id, policy().private_tmp(true));
            for run in 0..RUNS {
                *target.lock().unwrap() = if run % 2 == 0 { file.clone() } else { dir.clone() };
                // Whatever the run's fate (a swapped directory may fail it):
                // only what it did to the host counts.
                let _ = sandbox.run(&["/bin/sh", "-c", r#"echo escaped > "$TMPDIR/marker"; echo escaped > "$TMPDIR""#]);
                for victim in [&file, &dir] {
                    let meta = fs::metadata(victim).unwrap();
                    assert_eq!((meta.uid(), meta.gid()), (0, 0), "{id}, run {run}: {} given away", victim.display());
                }
                assert_eq!(fs::read_to_string(&file).unwrap(), "host data", "{id}, run {run}: the file was written");
                assert!(!dir.join("marker").exists(), "{id}, run {run}: the child wrote into the host directory");
            }
        }
    });
    // The race was run, not merely set up.
    assert!(swaps.load(Ordering::Relaxed) > 0, "no directory was swapped");
}
