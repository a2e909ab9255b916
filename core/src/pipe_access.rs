//! A caller's pipe, narrowed to the directions its runs were given.
//! `/proc/self/fd/N` (and `/dev/stdin`, which leads there) opens a pipe
//! again in either direction, and Landlock does not look at pipes, which
//! lie on no path: a child given the read end of the caller's pipe as its
//! stdin could open it for writing and put data in front of whoever reads
//! the pipe next (`producer | { sandlock run …; sh; }`), or open its
//! stdout pipe for reading and take what the caller's other writers send.
//! The kernel's owner check is all that stands in the way, and it passes
//! for a uid-0 child (the caller's pipes are root's) and for a child of
//! the uid that made the pipe. So while runs share a caller's pipe, its
//! mode keeps only the permission bits of the directions they use: an open
//! in another direction fails with `EACCES` for every uid, since the child
//! holds no `CAP_DAC_OVERRIDE` and the filter denies the chmod family. The
//! mode comes back when the last of those runs is over.

use std::ffi::CString;
use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, OwnedFd, RawFd};
use std::sync::Mutex;

use nix::fcntl::OFlag;
use nix::sys::statfs::{fstatfs, FsType};

/// The file system of anonymous pipes. A named FIFO lies on a path, which
/// Landlock checks when it is opened again.
const PIPEFS_MAGIC: FsType = FsType(0x5049_5045);

const READ_BITS: u32 = 0o444;
const WRITE_BITS: u32 = 0o222;

/// The caller's pipes that running sandboxes use, each once.
static NARROWED: Mutex<Vec<Narrowed>> = Mutex::new(Vec::new());

/// The registry, taken by the thread that forks ([`crate::fork_locks`]).
pub(crate) fn held_across_fork() -> Box<dyn std::any::Any> {
    Box::new(narrowed())
}

fn narrowed() -> std::sync::MutexGuard<'static, Vec<Narrowed>> {
    NARROWED.lock().unwrap_or_else(|e| e.into_inner())
}

#[derive(Debug)]
struct Narrowed {
    inode: (u64, u64),
    /// An `O_PATH` fd of the pipe, to put its mode back: it makes neither a
    /// reader nor a writer, so the caller's reader still sees its end of
    /// file when the writers are gone.
    path: OwnedFd,
    /// The permission bits before the first run.
    original: u32,
    /// The runs' uses of the pipe, and how many of them read or write it.
    uses: usize,
    readers: usize,
    writers: usize,
}

impl Narrowed {
    /// The mode for the directions in use.
    fn mode(&self) -> u32 {
        let mut mode = self.original;
        if self.readers == 0 {
            mode &= !READ_BITS;
        }
        if self.writers == 0 {
            mode &= !WRITE_BITS;
        }
        mode
    }

    fn set_mode(&self, mode: u32) -> bool {
        let Ok(path) = CString::new(format!("/proc/self/fd/{}", self.path.as_raw_fd())) else { return false };
        // SAFETY: a NUL-terminated path; chmod follows the link to the pipe.
        unsafe { libc::chmod(path.as_ptr(), mode) == 0 }
    }

    fn current_mode(&self) -> Option<u32> {
        nix::sys::stat::fstat(self.path.as_raw_fd()).ok().map(|stat| stat.st_mode & 0o7777)
    }
}

/// The caller's pipes one run uses; their modes widen again when it is
/// dropped, once the run's group is killed, so that none of its processes
/// opens them any more.
#[derive(Debug, Default)]
pub(crate) struct PipeAccess(Vec<Use>);

#[derive(Debug)]
struct Use {
    inode: (u64, u64),
    reads: bool,
    writes: bool,
}

impl PipeAccess {
    /// Narrow the mode of the caller's pipe `fd` (of `stat`, opened with
    /// `flags`) to the directions the running sandboxes use, this one's
    /// included. Anything but an anonymous pipe is left alone, and so is a
    /// pipe whose mode the caller may not change (another uid's, without
    /// `CAP_FOWNER`: a child of the caller's uid is then refused by the
    /// owner check anyway). An `O_PATH` fd uses neither direction.
    pub(crate) fn narrow(&mut self, fd: RawFd, stat: &libc::stat, flags: OFlag) {
        // SAFETY: `fd` is the caller's stream, open for the whole spawn.
        let stream = unsafe { BorrowedFd::borrow_raw(fd) };
        if !fstatfs(stream).is_ok_and(|fs| fs.filesystem_type() == PIPEFS_MAGIC) {
            return;
        }
        let access = flags & OFlag::O_ACCMODE;
        let path_only = flags.contains(OFlag::O_PATH);
        let reads = !path_only && access != OFlag::O_WRONLY;
        let writes = !path_only && access != OFlag::O_RDONLY;
        let inode = (stat.st_dev, stat.st_ino);
        let mut pipes = narrowed();
        let (at, first) = match pipes.iter().position(|p| p.inode == inode) {
            Some(at) => (at, false),
            None => {
                let Some(path) = path_of(fd) else { return };
                let original = stat.st_mode & 0o7777;
                pipes.push(Narrowed { inode, path, original, uses: 0, readers: 0, writers: 0 });
                (pipes.len() - 1, true)
            }
        };
        let pipe = &mut pipes[at];
        let before = if first { pipe.original } else { pipe.mode() };
        pipe.uses += 1;
        pipe.readers += usize::from(reads);
        pipe.writers += usize::from(writes);
        let mode = pipe.mode();
        if mode != before && !pipe.set_mode(mode) && first {
            // Nothing was changed, so nothing is to be put back.
            pipes.swap_remove(at);
            return;
        }
        self.0.push(Use { inode, reads, writes });
    }
}

impl PipeAccess {
    /// Forget this run's uses without widening anything (see
    /// [`crate::own_description::CallerStreams::abandon`]).
    pub(crate) fn abandon(&mut self) {
        self.0.clear();
    }
}

impl Drop for PipeAccess {
    fn drop(&mut self) {
        let mut pipes = narrowed();
        for Use { inode, reads, writes } in self.0.drain(..) {
            let Some(at) = pipes.iter().position(|p| p.inode == inode) else { continue };
            let pipe = &mut pipes[at];
            let before = pipe.mode();
            pipe.uses -= 1;
            pipe.readers -= usize::from(reads);
            pipe.writers -= usize::from(writes);
            let last = pipe.uses == 0;
            let after = if last { pipe.original } else { pipe.mode() };
            // A mode someone else set meanwhile is theirs to keep.
            if after != before && pipe.current_mode() == Some(before) {
                pipe.set_mode(after);
            }
            if last {
                pipes.swap_remove(at);
            }
        }
    }
}

/// An `O_PATH` fd of what `fd` is.
fn path_of(fd: RawFd) -> Option<OwnedFd> {
    let path = CString::new(format!("/proc/self/fd/{fd}")).ok()?;
    // SAFETY: a NUL-terminated path; the result is checked and owned below.
    let raw = unsafe { libc::open(path.as_ptr(), libc::O_PATH | libc::O_CLOEXEC) };
    // SAFETY: `open` returned a new fd that nothing else owns.
    (raw >= 0).then(|| unsafe { OwnedFd::from_raw_fd(raw) })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stat_of(fd: RawFd) -> libc::stat {
        nix::sys::stat::fstat(fd).unwrap()
    }

    fn mode_of(fd: RawFd) -> u32 {
        stat_of(fd).st_mode & 0o7777
    }

    fn use_pipe(run: &mut PipeAccess, fd: &OwnedFd, flags: OFlag) {
        run.narrow(fd.as_raw_fd(), &stat_of(fd.as_raw_fd()), flags);
    }

    #[test]
    fn overlapping_runs_keep_the_directions_in_use_until_the_last_ends() {
        let (read, write) = nix::unistd::pipe2(OFlag::O_CLOEXEC).unwrap();
        let mut reading = PipeAccess::default();
        use_pipe(&mut reading, &read, OFlag::O_RDONLY);
        assert_eq!(mode_of(read.as_raw_fd()), 0o400);
        // A second run writing the same pipe widens it; the first ending
        // leaves the writer's direction only.
        let mut writing = PipeAccess::default();
        use_pipe(&mut writing, &write, OFlag::O_WRONLY);
        assert_eq!(mode_of(read.as_raw_fd()), 0o600);
        drop(reading);
        assert_eq!(mode_of(read.as_raw_fd()), 0o200);
        drop(writing);
        assert_eq!(mode_of(read.as_raw_fd()), 0o600);
        let stat = stat_of(read.as_raw_fd());
        assert!(narrowed().iter().all(|p| p.inode != (stat.st_dev, stat.st_ino)), "forgotten after the last run");
    }

    #[test]
    fn a_path_only_use_opens_no_direction() {
        let (read, _write) = nix::unistd::pipe2(OFlag::O_CLOEXEC).unwrap();
        let mut run = PipeAccess::default();
        use_pipe(&mut run, &read, OFlag::O_RDONLY | OFlag::O_PATH);
        assert_eq!(mode_of(read.as_raw_fd()), 0);
        drop(run);
        assert_eq!(mode_of(read.as_raw_fd()), 0o600);
    }

    #[test]
    fn a_mode_the_caller_sets_meanwhile_is_kept() {
        let (read, _write) = nix::unistd::pipe2(OFlag::O_CLOEXEC).unwrap();
        let mut run = PipeAccess::default();
        use_pipe(&mut run, &read, OFlag::O_RDONLY);
        nix::sys::stat::fchmod(read.as_raw_fd(), nix::sys::stat::Mode::from_bits_truncate(0o640)).unwrap();
        drop(run);
        assert_eq!(mode_of(read.as_raw_fd()), 0o640);
    }

    #[test]
    fn a_named_fifo_is_left_alone() {
        let dir = std::env::temp_dir().join(format!("sandlock-pipe-access-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let fifo = dir.join("fifo");
        nix::unistd::mkfifo(&fifo, nix::sys::stat::Mode::from_bits_truncate(0o600)).unwrap();
        let end = nix::fcntl::open(
            &fifo,
            OFlag::O_RDONLY | OFlag::O_NONBLOCK | OFlag::O_CLOEXEC,
            nix::sys::stat::Mode::empty(),
        )
        .unwrap();
        // SAFETY: a new fd that nothing else owns.
        let end = unsafe { OwnedFd::from_raw_fd(end) };
        let mut run = PipeAccess::default();
        use_pipe(&mut run, &end, OFlag::O_RDONLY);
        assert_eq!(mode_of(end.as_raw_fd()), 0o600);
        assert!(run.0.is_empty());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
