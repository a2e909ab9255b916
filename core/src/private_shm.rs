//! A `/dev/shm` of the sandbox's own ([`crate::PolicyBuilder::private_shm`]),
//! for POSIX shared memory and semaphores (`shm_open`, `sem_open`: Python's
//! `multiprocessing`, many runtimes) among the sandbox's processes only.
//!
//! The child gets a mount namespace of its own, stops mount propagation in
//! it (`MS_REC | MS_PRIVATE` on `/`, so nothing it mounts reaches the host),
//! and mounts a fresh tmpfs on `/dev/shm`, hiding the host's objects. With
//! `CAP_SYS_ADMIN` the caller's privilege does this; without it the child
//! first enters a user namespace of its own that maps only the caller's uid
//! and gid to themselves (unprivileged user namespaces; the child's uid
//! does not change), which owns the mount namespace.
//!
//! Landlock sees inodes, not mount namespaces: the host's rules still
//! apply in the copy of the mount tree, and the new tmpfs, whose root is an
//! inode no rule knows, would be out of reach. So the child adds one rule
//! (read and write below the new `/dev/shm`) to the ruleset before it
//! restricts itself. That ruleset is always one made for this run alone,
//! never the policy's shared one (see `per_run`).

use std::ffi::CString;
use std::os::fd::RawFd;
use std::sync::OnceLock;

use crate::error::{Result, SandlockError, SpawnStage};

/// The size of the tmpfs when the policy sets no `max_memory`: Docker's
/// default `/dev/shm`.
pub(crate) const DEFAULT_SIZE: u64 = 64 << 20;

const SHM: &str = "/dev/shm";
const LANDLOCK_RULE_PATH_BENEATH: libc::c_long = 1;

/// How the child gets a mount namespace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Privilege {
    /// The caller has `CAP_SYS_ADMIN`.
    Admin,
    /// Through a user namespace of the child's own.
    UserNamespace,
}

/// How this caller can give a child a private `/dev/shm`, or why it
/// cannot. Under best effort a caller that cannot gets `None`: the child
/// then has no `/dev/shm` at all (no rule grants it).
pub(crate) fn privilege(best_effort: bool) -> Result<Option<Privilege>> {
    let unsupported = |reason: &str| {
        if best_effort {
            Ok(None)
        } else {
            Err(SandlockError::Unsupported { feature: "private /dev/shm", reason: reason.to_string() })
        }
    };
    if !std::path::Path::new(SHM).is_dir() {
        return unsupported("/dev/shm is not a directory on this machine");
    }
    if crate::caps::caller_has(crate::caps::CAP_SYS_ADMIN) {
        return Ok(Some(Privilege::Admin));
    }
    if user_namespaces_allowed() {
        return Ok(Some(Privilege::UserNamespace));
    }
    unsupported(
        "the caller has no CAP_SYS_ADMIN and this kernel refuses it a user namespace \
         (user.max_user_namespaces, or a security module)",
    )
}

/// Whether this process may create a user namespace: a child cloned into
/// one exits at once. The answer is kept once it is the kernel's (yes, or a
/// refusal by policy): a clone refused for want of tasks or memory, or at
/// the namespace count's limit, is asked again next time.
fn user_namespaces_allowed() -> bool {
    static ALLOWED: OnceLock<bool> = OnceLock::new();
    if let Some(&allowed) = ALLOWED.get() {
        return allowed;
    }
    let flags = (libc::CLONE_NEWUSER | libc::SIGCHLD) as libc::c_ulong;
    // SAFETY: a fork-like clone (no CLONE_VM, no new stack): the child has
    // its own copy of our memory and only makes the exit_group syscall,
    // touching no lock or allocator state.
    let pid = unsafe { libc::syscall(libc::SYS_clone, flags, 0usize, 0usize, 0usize, 0usize) };
    if pid == 0 {
        // SAFETY: ends the probe child at once; does not return.
        unsafe { libc::syscall(libc::SYS_exit_group, 0 as libc::c_long) };
    }
    if pid < 0 {
        let errno = std::io::Error::last_os_error().raw_os_error();
        if matches!(errno, Some(libc::EAGAIN | libc::ENOMEM | libc::ENOSPC)) {
            return false;
        }
        return *crate::fork_locks::get_or_init(&ALLOWED, || false);
    }
    let pid = nix::unistd::Pid::from_raw(pid as libc::pid_t);
    while let Err(nix::errno::Errno::EINTR) = nix::sys::wait::waitpid(pid, None) {}
    *crate::fork_locks::get_or_init(&ALLOWED, || true)
}

/// What the child does for its `/dev/shm`, prepared before the fork.
pub(crate) struct ShmPlan {
    privilege: Privilege,
    /// "UID UID 1" and "GID GID 1": the caller's ids map to themselves.
    uid_map: Vec<u8>,
    gid_map: Vec<u8>,
    uid_map_path: CString,
    gid_map_path: CString,
    setgroups_path: CString,
    root: CString,
    shm: CString,
    tmpfs: CString,
    options: CString,
    /// The file-system rights of the child's rule on the new `/dev/shm`.
    access: u64,
}

fn cstring(text: String) -> CString {
    CString::new(text).expect("the mount strings have no NUL byte")
}

impl ShmPlan {
    /// A tmpfs of `size` bytes (mode 1777, no devices, no set-id programs).
    pub(crate) fn new(privilege: Privilege, size: u64) -> ShmPlan {
        let uid = nix::unistd::geteuid().as_raw();
        let gid = nix::unistd::getegid().as_raw();
        ShmPlan {
            privilege,
            uid_map: format!("{uid} {uid} 1\n").into_bytes(),
            gid_map: format!("{gid} {gid} 1\n").into_bytes(),
            uid_map_path: cstring("/proc/self/uid_map".into()),
            gid_map_path: cstring("/proc/self/gid_map".into()),
            setgroups_path: cstring("/proc/self/setgroups".into()),
            root: cstring("/".into()),
            shm: cstring(SHM.into()),
            tmpfs: cstring("tmpfs".into()),
            options: cstring(format!("mode=1777,size={size}")),
            access: crate::landlock_rules::write_access_bits(),
        }
    }

    /// The namespaces the child unshares for it.
    pub(crate) fn namespaces(&self) -> libc::c_int {
        match self.privilege {
            Privilege::Admin => libc::CLONE_NEWNS,
            Privilege::UserNamespace => libc::CLONE_NEWUSER | libc::CLONE_NEWNS,
        }
    }

    /// In the child, right after unsharing [`ShmPlan::namespaces`]: map
    /// the ids, mount the tmpfs and grant it in `ruleset` (this run's own),
    /// with raw syscalls only.
    pub(crate) fn enter(&self, ruleset: Option<RawFd>) -> Result<(), (SpawnStage, i32)> {
        let stage = SpawnStage::Namespaces;
        if self.privilege == Privilege::UserNamespace {
            write_file(&self.uid_map_path, &self.uid_map)?;
            write_file(&self.setgroups_path, b"deny")?;
            write_file(&self.gid_map_path, &self.gid_map)?;
        }
        let private = (libc::MS_REC | libc::MS_PRIVATE) as usize;
        // SAFETY: mount(NULL, "/", NULL, flags, NULL): the target is a
        // C string of the plan, alive for the call; the kernel reads it only.
        unsafe { sys(stage, libc::SYS_mount, [0, self.root.as_ptr() as usize, 0, private, 0]) }?;
        let flags = (libc::MS_NOSUID | libc::MS_NODEV) as usize;
        let tmpfs = self.tmpfs.as_ptr() as usize;
        let (shm, options) = (self.shm.as_ptr() as usize, self.options.as_ptr() as usize);
        // SAFETY: mount("tmpfs", "/dev/shm", "tmpfs", flags, options): four
        // C strings of the plan, alive for the call; the kernel reads them only.
        unsafe { sys(stage, libc::SYS_mount, [tmpfs, shm, tmpfs, flags, options]) }?;
        let Some(ruleset) = ruleset else { return Ok(()) };
        let open_flags = (libc::O_PATH | libc::O_DIRECTORY | libc::O_CLOEXEC) as usize;
        // SAFETY: openat(AT_FDCWD, "/dev/shm", flags): a C string of the plan.
        let dir = unsafe { sys(stage, libc::SYS_openat, [libc::AT_FDCWD as usize, shm, open_flags, 0, 0]) }?;
        let rule = PathBeneathAttr { allowed_access: self.access, parent_fd: dir as i32 };
        let rule_ptr = &rule as *const PathBeneathAttr as usize;
        // SAFETY: landlock_add_rule(ruleset, PATH_BENEATH, &rule, 0): `rule`
        // is on this stack frame for the call, and the kernel reads it only.
        let added = unsafe {
            sys(
                SpawnStage::Landlock,
                libc::SYS_landlock_add_rule,
                [ruleset as usize, LANDLOCK_RULE_PATH_BENEATH as usize, rule_ptr, 0, 0],
            )
        };
        // SAFETY: close of the fd opened above, which nothing else uses.
        let _ = unsafe { sys(stage, libc::SYS_close, [dir as usize, 0, 0, 0, 0]) };
        added.map(|_| ())
    }
}

/// `struct landlock_path_beneath_attr` (packed in the UAPI header).
#[repr(C, packed)]
struct PathBeneathAttr {
    allowed_access: u64,
    parent_fd: i32,
}

/// The raw syscall `nr` with `args`, as a result.
///
/// # Safety
/// Each argument the syscall reads as a pointer must point to memory that
/// is alive for the call and of the type the syscall expects; none of the
/// callers passes a syscall that writes through a pointer.
unsafe fn sys(stage: SpawnStage, nr: libc::c_long, args: [usize; 5]) -> Result<libc::c_long, (SpawnStage, i32)> {
    // SAFETY: forwarded from the caller.
    unsafe { crate::raw_syscall::call(nr, args) }.map_err(|e| (stage, e))
}

/// Write `bytes` to the file at `path` in one write, with raw syscalls.
fn write_file(path: &CString, bytes: &[u8]) -> Result<(), (SpawnStage, i32)> {
    let stage = SpawnStage::Namespaces;
    let flags = (libc::O_WRONLY | libc::O_CLOEXEC) as usize;
    // SAFETY: openat(AT_FDCWD, path, flags): `path` is a C string alive for the call.
    let fd = unsafe { sys(stage, libc::SYS_openat, [libc::AT_FDCWD as usize, path.as_ptr() as usize, flags, 0, 0]) }?;
    let (data, len) = (bytes.as_ptr() as usize, bytes.len());
    // SAFETY: write(fd, bytes, len): the kernel reads `len` bytes of `bytes`.
    let written = unsafe { sys(stage, libc::SYS_write, [fd as usize, data, len, 0, 0]) };
    // SAFETY: close of the fd opened above, which nothing else uses.
    let _ = unsafe { sys(stage, libc::SYS_close, [fd as usize, 0, 0, 0, 0]) };
    written.map(|_| ())
}
