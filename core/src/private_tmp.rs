//! A private temporary directory per run ([`crate::PolicyBuilder::private_tmp`]):
//! created fresh under the caller's temporary directory before the child
//! starts, mode 0700 and owned by the child's uid and gid, granted to the
//! child as a write rule of that run's own ruleset, named by `TMPDIR`, and
//! removed once the run's process group is gone, whatever the child left
//! in it.
//!
//! The name is looked up once, right after it is made: the base is shared
//! (another run granted `/tmp` may rename what is in it and leave a link
//! in its place), so giving the directory to the child's uid, the rule and
//! the removal all go through the fd of the directory made, never the name.

use std::ffi::{CStr, CString, OsString};
use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, IntoRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use nix::dir::Dir;
use nix::errno::Errno;
use nix::fcntl::{renameat2, AtFlags, OFlag, RenameFlags};
use nix::sys::stat::{fchmod, fstat, fstatat, Mode};
use nix::unistd::{fchown, mkdtemp, unlinkat, Gid, Uid, UnlinkatFlags};

use crate::error::{Result, SandlockError};

/// How often removal is tried: a process of the group killed in the middle
/// of creating a file may finish that call after the first listing.
const REMOVE_ATTEMPTS: usize = 5;
const REMOVE_PAUSE: Duration = Duration::from_millis(20);

/// Where runs' directories are made: the caller's `TMPDIR`, else `/tmp`. An
/// empty TMPDIR means none, as for mktemp(1): a service started with
/// `TMPDIR=` failed every run.
pub(crate) fn base_dir() -> PathBuf {
    match std::env::var_os("TMPDIR") {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => PathBuf::from("/tmp"),
    }
}

/// The directory of one run; dropping it removes it with its content.
#[derive(Debug)]
pub(crate) struct PrivateTmp {
    /// Taken only by the drop.
    made: Option<Made>,
    owner: crate::owner::Owner,
}

/// The directory made, and where.
#[derive(Debug)]
struct Made {
    /// What the child is told (`TMPDIR`).
    path: PathBuf,
    /// The directory made, whatever its name now leads to.
    dir: OwnedFd,
    /// The directory it was made in, and its name there.
    base: OwnedFd,
    name: CString,
}

/// Directories whose removal found the host out of fds (its table full
/// when the run was reaped: emptying one opens its subdirectories), each
/// still held by its two fds. A run's directory would otherwise stay for
/// good; each is tried again, once, when the process next makes one. At
/// most [`MAX_LEFT`]: a host kept at its limit gets its fds back, and the
/// directories past that stay, as before.
static LEFT: Mutex<Vec<(crate::owner::Owner, Made)>> = Mutex::new(Vec::new());

const MAX_LEFT: usize = 64;

fn left() -> MutexGuard<'static, Vec<(crate::owner::Owner, Made)>> {
    LEFT.lock().unwrap_or_else(|e| e.into_inner())
}

/// `LEFT`, taken by the thread that forks ([`crate::fork_locks`]).
pub(crate) fn held_across_fork() -> Box<dyn std::any::Any> {
    Box::new(left())
}

/// Try again to remove the directories this process left; those still
/// failing for want of fds stay. Never with the lock held: a removal takes
/// as long as the tree, and a fork waits for the lock. Copies in a process
/// the host forked are only let go of.
fn remove_left() {
    let pending = std::mem::take(&mut *left());
    for (owner, made) in pending.into_iter().filter(|(owner, _)| owner.is_here()) {
        if let Err(made) = made.remove_or_keep(1) {
            keep((owner, made));
        }
    }
}

fn keep(entry: (crate::owner::Owner, Made)) {
    let mut left = left();
    if left.len() < MAX_LEFT {
        left.push(entry);
    }
}

impl PrivateTmp {
    /// A new directory `sandlock-tmp-XXXXXX` under the caller's temporary
    /// directory (`TMPDIR`, else `/tmp`), for a child running as `uid` and
    /// `gid` (the caller's when `None`).
    pub(crate) fn create(uid: Option<u32>, gid: Option<u32>) -> Result<PrivateTmp> {
        remove_left();
        let base = base_dir();
        // A relative TMPDIR is relative to this process's directory, not to
        // the child's: the child would get a path that leads nowhere.
        let base = std::path::absolute(&base).map_err(|source| SandlockError::PathNotFound { path: base, source })?;
        // A base that is not there is the caller's to fix; a full or
        // read-only one, or no fd to spare, is the host's state of the moment.
        let base_error = |context: &'static str| {
            let base = base.clone();
            move |e: Errno| match e {
                Errno::ENOENT | Errno::ENOTDIR => SandlockError::PathNotFound { path: base, source: e.into() },
                _ => SandlockError::io(context, e.into()),
            }
        };
        let base_fd = open_fd(None, base.as_os_str().as_bytes(), OFlag::empty())
            .map_err(base_error("opening the base of the private temporary directory"))?;
        let path =
            mkdtemp(&base.join("sandlock-tmp-XXXXXX")).map_err(base_error("making the private temporary directory"))?;
        let name = CString::new(path.file_name().expect("mkdtemp names a file").as_bytes())
            .expect("mkdtemp's name has no NUL");
        let made = Self::open_made(base_fd.as_fd(), &name, &path);
        let dir = match made {
            Ok(dir) => dir,
            Err(e) => {
                // Empty, as mkdtemp made it: no fd is needed to remove it.
                let _ = unlinkat(Some(base_fd.as_raw_fd()), name.as_c_str(), UnlinkatFlags::RemoveDir);
                return Err(e);
            }
        };
        let made = Made { path, dir, base: base_fd, name };
        let tmp = PrivateTmp { made: Some(made), owner: crate::owner::Owner::this_process() };
        if uid.is_some() || gid.is_some() {
            fchown(tmp.made().dir.as_raw_fd(), uid.map(Uid::from_raw), gid.map(Gid::from_raw))
                .map_err(|e| SandlockError::io("giving the private temporary directory to the child", e.into()))?;
        }
        Ok(tmp)
    }

    /// The directory `name` that mkdtemp just made in `base`, opened and
    /// given mode 0700 (mkdtemp's mode is 0700 less the umask). Another run
    /// with a grant on the base may have swapped in a directory of its own
    /// by now, which gives it nothing it could not make there itself;
    /// anything but a directory of our uid with no subdirectory and no
    /// permission for others (as mkdtemp made it) is refused.
    fn open_made(base: BorrowedFd<'_>, name: &CString, path: &Path) -> Result<OwnedFd> {
        let failed =
            |source| SandlockError::Io { context: "opening the private temporary directory just made", source };
        let dir = open_fd(Some(base), name.as_bytes(), OFlag::O_NOFOLLOW).map_err(|e| failed(e.into()))?;
        let made = fstat(dir.as_raw_fd()).map_err(|e| failed(e.into()))?;
        let fresh =
            made.st_uid == Uid::effective().as_raw() && made.st_mode & 0o7777 & !0o700 == 0 && made.st_nlink == 2;
        if !fresh {
            return Err(failed(io::Error::other(format!("{} was replaced by another directory", path.display()))));
        }
        if made.st_mode & 0o7777 != 0o700 {
            fchmod(dir.as_raw_fd(), Mode::S_IRWXU).map_err(|e| failed(e.into()))?;
        }
        Ok(dir)
    }

    /// The directory itself and its path, for the run's write rule.
    pub(crate) fn rule(&self) -> (&Path, BorrowedFd<'_>) {
        let made = self.made();
        (&made.path, made.dir.as_fd())
    }

    #[cfg(test)]
    fn path(&self) -> &Path {
        &self.made().path
    }

    /// `TMPDIR=<the directory>`, for the child's environment.
    pub(crate) fn env(&self) -> (OsString, OsString) {
        ("TMPDIR".into(), self.made().path.clone().into_os_string())
    }

    fn made(&self) -> &Made {
        self.made.as_ref().expect("taken only by the drop")
    }
}

impl Made {
    /// Remove it in at most `attempts` tries; give it back when the host
    /// had no fd to spare, to be tried again later.
    fn remove_or_keep(self, attempts: usize) -> std::result::Result<(), Made> {
        for attempt in 0..attempts {
            match self.remove() {
                Ok(()) => return Ok(()),
                Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
                Err(_) if attempt + 1 < attempts => std::thread::sleep(REMOVE_PAUSE),
                Err(e) if matches!(e.raw_os_error(), Some(libc::EMFILE | libc::ENFILE)) => return Err(self),
                // Nothing to report to: the run has ended. What is left is
                // an empty-ish directory only the child's uid can enter.
                Err(_) => return Ok(()),
            }
        }
        Ok(())
    }

    /// Remove the directory's content through its fd, then its name from
    /// the base if the name still leads to it (one moved elsewhere is left
    /// there, empty).
    fn remove(&self) -> io::Result<()> {
        let made = fstat(self.dir.as_raw_fd())?;
        if self.named_by_its_name(&made)? {
            // An empty directory goes without a new fd, which a host at
            // its open-file limit would not have.
            match unlinkat(Some(self.base.as_raw_fd()), self.name.as_c_str(), UnlinkatFlags::RemoveDir) {
                Ok(()) | Err(Errno::ENOENT) => return Ok(()),
                Err(_) => {}
            }
        }
        empty(self.dir.as_fd())?;
        if !self.named_by_its_name(&made)? {
            return Ok(());
        }
        Ok(unlinkat(Some(self.base.as_raw_fd()), self.name.as_c_str(), UnlinkatFlags::RemoveDir)?)
    }

    /// Whether the directory's name in the base still leads to it (`made`).
    fn named_by_its_name(&self, made: &libc::stat) -> io::Result<bool> {
        let named = match fstatat(Some(self.base.as_raw_fd()), self.name.as_c_str(), AtFlags::AT_SYMLINK_NOFOLLOW) {
            Ok(named) => named,
            Err(Errno::ENOENT) => return Ok(false),
            Err(e) => return Err(e.into()),
        };
        Ok((named.st_dev, named.st_ino) == (made.st_dev, made.st_ino))
    }
}

impl Drop for PrivateTmp {
    fn drop(&mut self) {
        let Some(made) = self.made.take() else { return };
        // A copy in a process the host forked: the run is the spawner's.
        if !self.owner.is_here() {
            return;
        }
        if let Err(made) = made.remove_or_keep(REMOVE_ATTEMPTS) {
            keep((self.owner, made));
        }
    }
}

/// Remove everything below `dir`, however deep or wide the child made it:
/// a directory is emptied by unlinking what is not a directory and moving
/// each subdirectory up into `dir` itself, to be emptied in its turn. So
/// the walk needs no recursion, at most three fds and no path longer than
/// one name; each directory is listed once, as it is read (never held
/// whole), and the moved ones are known by number. Symbolic links are
/// removed, never followed. A directory the child made unreadable or
/// unwritable to its owner is given back the owner's rights first (the
/// caller may be that owner rather than root).
fn empty(dir: BorrowedFd<'_>) -> io::Result<()> {
    // The child may have taken its owner's rights away: given back first,
    // as looking up "." in it needs them. Then a new open of the same
    // directory, whose listing starts at the top on every attempt.
    let _ = fchmod(dir.as_raw_fd(), Mode::S_IRWXU);
    let top = open_dir(Some(dir), b".")?;
    let mut moved = Moved::default();
    for_each_name(&top, |name| if unlinked(&top, name)? { Ok(()) } else { empty_into(&top, name, &mut moved) })?;
    while let Some(number) = moved.pending.pop() {
        empty_into(&top, &moved_name(number), &mut moved)?;
    }
    Ok(())
}

/// The directories moved up into the top one, by number, not yet emptied.
#[derive(Default)]
struct Moved {
    next: u64,
    pending: Vec<u64>,
}

fn moved_name(number: u64) -> CString {
    CString::new(format!(".sandlock-moved-{number}")).expect("no NUL in the name")
}

/// Empty directory `name` of `top` — unlink what is not a directory, move
/// each subdirectory up into `top` — and remove it. One already gone (a
/// moved one the listing of `top` came across) is no error.
fn empty_into(top: &OwnedFd, name: &CStr, moved: &mut Moved) -> io::Result<()> {
    let sub = match open_dir(Some(top.as_fd()), name.to_bytes()) {
        Ok(sub) => sub,
        Err(e) if e.raw_os_error() == Some(libc::ENOENT) => return Ok(()),
        Err(e) => return Err(e),
    };
    for_each_name(&sub, |inner| {
        if !unlinked(&sub, inner)? {
            move_up(&sub, inner, top, moved)?;
        }
        Ok(())
    })?;
    drop(sub);
    Ok(unlinkat(Some(top.as_raw_fd()), name, UnlinkatFlags::RemoveDir)?)
}

/// Open directory `name` (relative to `parent`, else a path) for reading,
/// or as `O_PATH` if `extra` says so, as a library fd (above stdio).
fn open_fd(parent: Option<BorrowedFd<'_>>, name: &[u8], extra: OFlag) -> std::result::Result<OwnedFd, Errno> {
    let flags = OFlag::O_RDONLY | OFlag::O_DIRECTORY | OFlag::O_CLOEXEC | extra;
    let fd = nix::fcntl::openat(parent.map(|fd| fd.as_raw_fd()), name, flags, Mode::empty())?;
    // SAFETY: `openat` just returned this fd, which nothing else owns.
    let fd = unsafe { OwnedFd::from_raw_fd(fd) };
    crate::fds::above_stdio(fd).map_err(|e| Errno::from_raw(e.raw_os_error().unwrap_or(libc::EMFILE)))
}

/// Open directory `name` (relative to `parent`, else a path) without
/// following a link, with its owner's rights given back.
fn open_dir(parent: Option<BorrowedFd<'_>>, name: &[u8]) -> io::Result<OwnedFd> {
    let fd = match open_fd(parent, name, OFlag::O_NOFOLLOW) {
        Ok(fd) => fd,
        Err(Errno::EACCES) => {
            // Unreadable to its owner: change the mode through an O_PATH fd
            // (which needs no read right) naming this very inode.
            let path_fd = open_fd(parent, name, OFlag::O_NOFOLLOW | OFlag::O_PATH)?;
            nix::sys::stat::fchmodat(
                None,
                format!("/proc/self/fd/{}", path_fd.as_raw_fd()).as_str(),
                Mode::S_IRWXU,
                nix::sys::stat::FchmodatFlags::FollowSymlink,
            )?;
            open_fd(parent, name, OFlag::O_NOFOLLOW)?
        }
        Err(e) => return Err(e.into()),
    };
    // Search and write rights are what removing its entries needs; a caller
    // who is neither root nor the owner may still be able to without them.
    let _ = fchmod(fd.as_raw_fd(), Mode::S_IRWXU);
    Ok(fd)
}

/// Call `each` with every name in directory `dir` but `.` and `..`, as the
/// listing is read (entries unlinked meanwhile do not disturb it).
fn for_each_name(dir: &OwnedFd, mut each: impl FnMut(&CStr) -> io::Result<()>) -> io::Result<()> {
    let mut listing = Dir::from_fd(dir.try_clone()?.into_raw_fd())?;
    for entry in listing.iter() {
        let entry = entry?;
        let name = entry.file_name();
        if name.to_bytes() != b"." && name.to_bytes() != b".." {
            each(name)?;
        }
    }
    Ok(())
}

/// Unlink `name` from `dir` unless it is a directory; true when it is gone.
fn unlinked(dir: &OwnedFd, name: &CStr) -> io::Result<bool> {
    match unlinkat(Some(dir.as_raw_fd()), name, UnlinkatFlags::NoRemoveDir) {
        Ok(()) | Err(Errno::ENOENT) => Ok(true),
        Err(Errno::EISDIR) => Ok(false),
        Err(e) => Err(e.into()),
    }
}

/// Move directory `name` of `from` into `to` under a name not taken there,
/// and note it to be emptied.
fn move_up(from: &OwnedFd, name: &CStr, to: &OwnedFd, moved: &mut Moved) -> io::Result<()> {
    loop {
        let number = moved.next;
        moved.next += 1;
        let new_name = moved_name(number);
        match renameat2(
            Some(from.as_raw_fd()),
            name,
            Some(to.as_raw_fd()),
            new_name.as_c_str(),
            RenameFlags::RENAME_NOREPLACE,
        ) {
            Ok(()) => {
                moved.pending.push(number);
                return Ok(());
            }
            Err(Errno::EEXIST) => continue,
            Err(e) => return Err(e.into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn the_directory_is_private_and_goes_with_everything_in_it() {
        let tmp = PrivateTmp::create(None, None).unwrap();
        let path = tmp.path().to_path_buf();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o7777;
        assert_eq!(mode, 0o700);
        assert!(path.file_name().unwrap().to_string_lossy().starts_with("sandlock-tmp-"));
        std::fs::create_dir_all(path.join("a/b")).unwrap();
        std::fs::write(path.join("a/b/f"), "x").unwrap();
        std::os::unix::fs::symlink("/etc", path.join("a/etc")).unwrap();
        // A directory its owner cannot list or write.
        std::fs::set_permissions(path.join("a"), std::fs::Permissions::from_mode(0o000)).unwrap();
        drop(tmp);
        assert!(!path.exists());
        assert!(Path::new("/etc/hostname").exists(), "the link was not followed");
    }

    #[test]
    fn a_tree_deeper_than_any_path_and_the_fd_limit_goes_too() {
        let tmp = PrivateTmp::create(None, None).unwrap();
        let path = tmp.path().to_path_buf();
        // Deeper than PATH_MAX allows naming, than this process may hold
        // fds, and than a recursive walk's stack allows.
        let depth = 25_000;
        let flags = OFlag::O_RDONLY | OFlag::O_DIRECTORY | OFlag::O_CLOEXEC;
        let mut dir = nix::fcntl::open(&path, flags, Mode::empty()).unwrap();
        for level in 0..depth {
            nix::sys::stat::mkdirat(Some(dir), "d", Mode::S_IRWXU).unwrap();
            if level % 1000 == 0 {
                nix::fcntl::openat(
                    Some(dir),
                    "f",
                    flags.difference(OFlag::O_DIRECTORY) | OFlag::O_CREAT,
                    Mode::S_IRUSR,
                )
                .map(nix::unistd::close)
                .unwrap()
                .unwrap();
            }
            let next = nix::fcntl::openat(Some(dir), "d", flags, Mode::empty()).unwrap();
            nix::unistd::close(dir).unwrap();
            dir = next;
        }
        nix::unistd::symlinkat("/etc", Some(dir), "etc").unwrap();
        // Wide too: many links beside the chain's top.
        let top = nix::fcntl::open(&path, flags, Mode::empty()).unwrap();
        nix::fcntl::openat(Some(top), "target", flags.difference(OFlag::O_DIRECTORY) | OFlag::O_CREAT, Mode::S_IRUSR)
            .map(nix::unistd::close)
            .unwrap()
            .unwrap();
        for i in 0..5_000 {
            nix::unistd::linkat(
                Some(top),
                "target",
                Some(top),
                format!("link-{i:0>200}").as_str(),
                nix::fcntl::AtFlags::empty(),
            )
            .unwrap();
        }
        nix::unistd::close(top).unwrap();
        fchmod(dir, Mode::empty()).unwrap();
        nix::unistd::close(dir).unwrap();
        drop(tmp);
        assert!(!path.exists());
        assert!(Path::new("/etc/hostname").exists(), "the link was not followed");
    }

    #[test]
    fn the_directory_belongs_to_the_childs_uid_and_gid() {
        use std::os::unix::fs::MetadataExt;
        if !Uid::effective().is_root() {
            return;
        }
        let tmp = PrivateTmp::create(Some(65534), Some(65534)).unwrap();
        let meta = std::fs::metadata(tmp.path()).unwrap();
        assert_eq!((meta.uid(), meta.gid()), (65534, 65534));
    }
}
