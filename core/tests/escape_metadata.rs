//! File metadata outside the write set. Landlock mediates opening,
//! creating, removing and truncating files, not changing their ACLs,
//! timestamps, extended attributes, inode flags or owners; the kernel lets
//! the owner do all of that without a capability, and a uid-0 child owns
//! every root-owned file on the host. So the filter denies the families
//! that write metadata; an unprivileged child is refused by the kernel as
//! well (it owns nothing of the host's).

mod common;

use std::ffi::CString;
use std::fs::{self, File, FileTimes};
use std::os::fd::AsRawFd;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::time::{Duration, SystemTime};

use common::{policy, probe, sandbox_as, Identity, TempDir};

/// Times the host files carry, so that a change by the child shows.
const HOST_TIME: Duration = Duration::from_secs(1_000_000_000);

/// What the tests compare before and after the child ran. ctime moves on
/// every successful metadata change, even one that sets the same values
/// (`chown` to the current owner still clears the setuid bit and ctime).
#[derive(Debug, PartialEq, Eq)]
struct Snapshot {
    mode: u32,
    uid: u32,
    gid: u32,
    atime: (i64, i64),
    mtime: (i64, i64),
    ctime: (i64, i64),
    xattrs: Vec<(String, Vec<u8>)>,
    flags: libc::c_int,
}

fn cpath(path: &str) -> CString {
    CString::new(Path::new(path).as_os_str().as_bytes()).unwrap()
}

fn errno() -> i32 {
    std::io::Error::last_os_error().raw_os_error().expect("an OS error")
}

/// Names and values of every extended attribute of `path`, sorted.
fn xattrs(path: &str) -> Vec<(String, Vec<u8>)> {
    let c = cpath(path);
    let mut names = vec![0u8; 4096];
    // SAFETY: `names` is a writable buffer of the length passed.
    let len = unsafe { libc::llistxattr(c.as_ptr(), names.as_mut_ptr().cast(), names.len()) };
    assert!(len >= 0, "listxattr {path}: errno {}", errno());
    let mut out: Vec<(String, Vec<u8>)> = names[..len as usize]
        .split(|&b| b == 0)
        .filter(|n| !n.is_empty())
        .map(|name| {
            let cname = CString::new(name).unwrap();
            let mut value = vec![0u8; 4096];
            // SAFETY: `value` is a writable buffer of the length passed.
            let n = unsafe { libc::lgetxattr(c.as_ptr(), cname.as_ptr(), value.as_mut_ptr().cast(), value.len()) };
            assert!(n >= 0, "getxattr {path}: errno {}", errno());
            value.truncate(n as usize);
            (String::from_utf8_lossy(name).into_owned(), value)
        })
        .collect();
    out.sort();
    out
}

/// The inode flags (`lsattr`) of `path`.
fn inode_flags(path: &str) -> libc::c_int {
    let file = File::open(path).unwrap();
    let mut flags: libc::c_int = 0;
    // SAFETY: FS_IOC_GETFLAGS writes one int into `flags`; the fd is open.
    let rc = unsafe { libc::ioctl(file.as_raw_fd(), libc::FS_IOC_GETFLAGS, &mut flags) };
    assert_eq!(rc, 0, "FS_IOC_GETFLAGS {path}: errno {}", errno());
    flags
}

fn snapshot(path: &str) -> Snapshot {
    let m = fs::symlink_metadata(path).unwrap();
    Snapshot {
        mode: m.mode(),
        uid: m.uid(),
        gid: m.gid(),
        atime: (m.atime(), m.atime_nsec()),
        mtime: (m.mtime(), m.mtime_nsec()),
        ctime: (m.ctime(), m.ctime_nsec()),
        xattrs: xattrs(path),
        flags: inode_flags(path),
    }
}

/// A root-owned host file with `mode`, a `user.sandlock` attribute of the
/// host's and fixed times; returns its path.
fn host_file(dir: &TempDir, name: &str, mode: u32) -> String {
    let path = dir.file_with_mode(name, "host", mode);
    let c = cpath(&path);
    // SAFETY: the name and value are valid for the lengths passed.
    let rc = unsafe { libc::setxattr(c.as_ptr(), c"user.sandlock".as_ptr(), b"host".as_ptr().cast(), 4, 0) };
    assert_eq!(rc, 0, "setxattr {path}: errno {}", errno());
    let when = SystemTime::UNIX_EPOCH + HOST_TIME;
    File::open(&path).unwrap().set_times(FileTimes::new().set_accessed(when).set_modified(when)).unwrap();
    path
}

/// Host files as a sandbox sees them: `outside` is in no rule, `readonly`
/// is under a read-only rule. Both dirs are public (0755), so that only
/// the file's own mode and the sandbox decide.
struct Host {
    outside: TempDir,
    readonly: TempDir,
}

impl Host {
    fn new() -> Host {
        Host { outside: TempDir::new_public(), readonly: TempDir::new_public() }
    }

    fn sandbox(&self, id: Identity) -> sandlock_core::Sandbox {
        sandbox_as(id, policy().fs_read([self.readonly.path()]))
    }
}

/// A minimal ACL granting other rw would turn a 0600 secret into 0606:
/// `setxattr(system.posix_acl_access)` needs only ownership.
#[test]
fn acls_of_host_files_cannot_be_set() {
    for id in Identity::all() {
        let host = Host::new();
        let outside = host_file(&host.outside, "secret", 0o600);
        let readonly = host_file(&host.readonly, "secret", 0o600);
        let sandbox = host.sandbox(id);
        for (place, file) in [("in no rule", &outside), ("under a read-only rule", &readonly)] {
            let before = snapshot(file);
            assert_eq!(probe(&sandbox, "metadata", &["acl", file]), "EPERM\n", "{id}: ACL on a 0600 file {place}");
            let after = snapshot(file);
            assert_eq!(after.mode & 0o7777, 0o600, "{id}: mode of the file {place}");
            assert!(
                !after.xattrs.iter().any(|(name, _)| name == "system.posix_acl_access"),
                "{id}: the file {place} has an ACL"
            );
            assert_eq!(after, before, "{id}: metadata of the file {place}");
        }
    }
}

/// Timestamps, user xattrs, inode flags, file attributes and owners of
/// host files: for uid 0 the filter refuses (the child owns the files);
/// for uid 65534 the kernel does too (not the owner), except that writing
/// and removing user xattrs needs only write permission, so the filter's
/// EPERM is what both uids see there.
#[test]
fn metadata_of_host_files_cannot_be_changed() {
    // Each writes one kind of metadata by path.
    let by_path = ["utimes", "setxattr", "lsetxattr", "removexattr", "chown", "lchown", "fchownat", "file_setattr"];
    // Each opens the file O_RDONLY, then writes through the descriptor.
    let by_fd = ["fsetxattr", "setflags", "setversion", "fssetxattr", "fchown"];
    for id in Identity::all() {
        let host = Host::new();
        let secret = host_file(&host.outside, "secret", 0o600);
        // A setuid program of the read set (think /usr/bin/su): readable by
        // all, so that uid 65534 gets a descriptor too.
        let tool = host_file(&host.readonly, "tool", 0o4755);
        let sandbox = host.sandbox(id);
        let (secret_before, tool_before) = (snapshot(&secret), snapshot(&tool));
        for probe_name in by_path {
            let out = probe(&sandbox, "metadata", &[probe_name, &secret]);
            assert_eq!(out, "EPERM\n", "{id}: {probe_name} on a file in no rule");
            let out = probe(&sandbox, "metadata", &[probe_name, &tool]);
            assert_eq!(out, "EPERM\n", "{id}: {probe_name} on a file under a read-only rule");
        }
        for probe_name in by_fd {
            // No descriptor of a file in no rule: Landlock refuses the open.
            let out = probe(&sandbox, "metadata", &[probe_name, &secret]);
            assert_eq!(out, "EACCES\n", "{id}: {probe_name} on a file in no rule");
            let out = probe(&sandbox, "metadata", &[probe_name, &tool]);
            assert_eq!(out, "EPERM\n", "{id}: {probe_name} on an O_RDONLY fd of a file under a read-only rule");
        }
        assert_eq!(snapshot(&secret), secret_before, "{id}: metadata of the file in no rule");
        assert_eq!(snapshot(&tool), tool_before, "{id}: metadata of the file under a read-only rule");
        // A file the child's uid owns under a read-only rule: the kernel's
        // ownership check passes, the filter does not.
        let own = host_file(&host.readonly, "own", 0o644);
        std::os::unix::fs::chown(&own, Some(id.uid()), Some(id.uid())).unwrap();
        let own_before = snapshot(&own);
        for probe_name in ["setflags", "setversion", "fssetxattr"] {
            let out = probe(&sandbox, "metadata", &[probe_name, &own]);
            assert_eq!(out, "EPERM\n", "{id}: {probe_name} on its own file under a read-only rule");
        }
        assert_eq!(snapshot(&own), own_before, "{id}: metadata of its own file under a read-only rule");
    }
}

/// Found in the red-team pass: `utimensat(path, NULL)` (what `touch` does)
/// needs only write permission, which a uid-0 child has on every 0600 or
/// 0644 root file, and moves mtime and ctime of host files outside the
/// write set. uid 65534 lacks write permission: the kernel says EACCES.
#[test]
fn host_file_times_cannot_be_touched() {
    for id in Identity::all() {
        let host = Host::new();
        let secret = host_file(&host.outside, "secret", 0o600);
        let tool = host_file(&host.readonly, "tool", 0o4755);
        let sandbox = host.sandbox(id);
        let (secret_before, tool_before) = (snapshot(&secret), snapshot(&tool));
        let expected = match id {
            Identity::Root => "EPERM\n",
            Identity::Nobody => "EACCES\n",
        };
        assert_eq!(probe(&sandbox, "metadata", &["utimes_now", &secret]), expected, "{id}: touch of a file in no rule");
        let out = probe(&sandbox, "metadata", &["utimes_now", &tool]);
        assert_eq!(out, expected, "{id}: touch of a file under a read-only rule");
        assert_eq!(snapshot(&secret), secret_before, "{id}: metadata of the file in no rule");
        assert_eq!(snapshot(&tool), tool_before, "{id}: metadata of the file under a read-only rule");
    }
}

/// In the write set an unprivileged child may set the times of the file it
/// created. A uid-0 child may not: its own files and the host's are alike
/// root-owned, and Landlock has no right for timestamps, so nothing tells
/// the filter which file a path names; it refuses explicit times for uid 0
/// everywhere.
#[test]
fn own_file_times_in_the_write_set_depend_on_the_uid() {
    for id in Identity::all() {
        let work = TempDir::new_shared();
        let own = work.file("own");
        let sandbox = sandbox_as(id, policy().fs_write([work.path()]));
        assert_eq!(probe(&sandbox, "fs", &["write", &own]), "ok\n", "{id}: creating its own file");
        assert_eq!(fs::metadata(&own).unwrap().uid(), id.uid(), "{id}: owner of the child's file");
        let before = fs::metadata(&own).unwrap().mtime();
        let (expected, mtime) = match id {
            Identity::Root => ("EPERM\n", before),
            // metadata.c sets both times to 42 s after the epoch.
            Identity::Nobody => ("ok\n", 42),
        };
        assert_eq!(probe(&sandbox, "metadata", &["utimes", &own]), expected, "{id}: utimensat of its own file");
        assert_eq!(fs::metadata(&own).unwrap().mtime(), mtime, "{id}: mtime of the child's file");
    }
}

/// Found in the red-team pass: a read lease needs only ownership (or
/// CAP_LEASE), so a uid-0 child may take one on any root file it can read
/// (the read set: /etc, /usr). Until the holder lets go, every host process
/// opening the file for writing blocks for up to lease-break-time (45 s by
/// default), again each time the child retakes it. uid 65534 owns nothing:
/// the kernel refuses with EACCES.
#[test]
fn leases_on_host_files_are_refused() {
    for id in Identity::all() {
        let host = Host::new();
        let tool = host_file(&host.readonly, "tool", 0o755);
        let sandbox = host.sandbox(id);
        let expected = match id {
            Identity::Root => "EPERM\n",
            Identity::Nobody => "EACCES\n",
        };
        let out = probe(&sandbox, "metadata", &["lease", &tool]);
        assert_eq!(out, expected, "{id}: F_SETLEASE on a root file under a read-only rule");
    }
}
