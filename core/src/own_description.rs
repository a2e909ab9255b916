//! A caller's stream given to the child as an open file description of the
//! child's own. A copied fd shares its description with the caller, and the
//! description holds the status flags: a child that set `O_NONBLOCK` on the
//! pipe that is also the caller's stdout left it so after the run, and the
//! caller's next write to a full pipe failed with `EAGAIN` (Rust's
//! `println!` panics; the next command of a shell pipeline fails).
//!
//! Pipes, FIFOs and terminals can be opened again through
//! `/proc/self/fd/N`, which makes a new description of the same pipe or
//! terminal: the child gets that one. Other files keep the shared
//! description (a regular file's offset must stay shared, so that the
//! caller's writes and the child's follow each other; a socket cannot be
//! opened again): the flags of the host's own streams are put back once
//! the run is over ([`CallerStreams`]); docs/threat-model.md says what that
//! leaves. A pipe's mode is narrowed meanwhile to the directions its runs
//! use ([`PipeAccess`]).

use std::ffi::CString;
use std::os::fd::{FromRawFd, OwnedFd, RawFd};
use std::sync::Mutex;

use nix::fcntl::{fcntl, FcntlArg, OFlag};
use nix::sys::stat::{fstat, SFlag};

use crate::owner::Owner;
use crate::pipe_access::PipeAccess;

/// The pseudo-terminal multiplexer (`/dev/ptmx`, `/dev/pts/ptmx`): opening
/// it again makes a new terminal instead.
const PTMX: (u64, u64) = (5, 2);

/// The status flags a new description takes over from the caller's.
const COPIED_FLAGS: OFlag = OFlag::O_APPEND.union(OFlag::O_NONBLOCK).union(OFlag::O_DIRECT);

/// The status flags `F_SETFL` changes, which are put back on a shared
/// description (`O_NOATIME` the filter refuses).
const RESTORED_FLAGS: OFlag = COPIED_FLAGS.union(OFlag::O_ASYNC);

/// What a run's child shares with the caller, put back once it is over:
/// the flags of shared descriptions, and the modes of pipes. A shared
/// stream the child inherits is found again at its number (the host holds
/// it there anyway) and shared by every run of the process that inherits
/// it: its flags are those before the first of them and come
/// back when the last ends ([`INHERITED`]; a run ending first would put back
/// what it saw, maybe set by another run's child). Of the fds a caller
/// gives, only a regular file is held for it: a held copy of a pipe or
/// socket would keep the caller's reader from its end of file until the
/// run is reaped — a caller reading the child's output to the end before
/// it waits would wait for good.
#[derive(Debug)]
pub(crate) struct CallerStreams {
    places: Vec<Place>,
    pipes: PipeAccess,
    /// A copy in a process the host forked puts nothing back: the run goes
    /// on in its spawner.
    owner: Owner,
}

impl Default for CallerStreams {
    fn default() -> CallerStreams {
        CallerStreams { places: Vec::new(), pipes: PipeAccess::default(), owner: Owner::this_process() }
    }
}

#[derive(Debug)]
enum Place {
    /// The host's stream at this number, while it is still this file.
    Inherited(Stream),
    /// Our copy of a regular file the caller gave, with its flags.
    Copy(OwnedFd, OFlag),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Stream {
    fd: RawFd,
    file: (u64, u64),
}

/// The host's streams that running sandboxes share: their flags before the
/// first such run, and how many are not over.
static INHERITED: Mutex<Vec<(Stream, OFlag, usize)>> = Mutex::new(Vec::new());

/// The registry, taken by the thread that forks ([`crate::fork_locks`]).
pub(crate) fn held_across_fork() -> Box<dyn std::any::Any> {
    Box::new(inherited())
}

fn inherited() -> std::sync::MutexGuard<'static, Vec<(Stream, OFlag, usize)>> {
    INHERITED.lock().unwrap_or_else(|e| e.into_inner())
}

/// Where a stream of the child comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Origin {
    /// The host's own stream at its number.
    Inherited,
    /// An fd the caller gave for it.
    Given,
}

impl CallerStreams {
    /// The child's copy of the caller's stream `fd`: a new description of
    /// the pipe, FIFO or terminal it is, with its access mode and status
    /// flags. `None` for other files, for an `O_PATH` fd (which grants no
    /// reading or writing: reopened, it would), or when it cannot be opened
    /// again as the same object (another uid's pipe, a FIFO with no reader
    /// left, a terminal in exclusive mode, no `/proc`, or a device that names
    /// whichever terminal is current — `/dev/tty`, `/dev/tty0`,
    /// `/dev/console`): the child then shares `fd`'s description, whose flags
    /// are noted here to be put back — for an inherited socket, file, pipe or
    /// terminal (not other devices, `/dev/null`, whose flags change nothing),
    /// and for a given regular file.
    pub(crate) fn own_or_share(&mut self, fd: RawFd, origin: Origin) -> Option<OwnedFd> {
        let stat = fstat(fd).ok()?;
        let flags = OFlag::from_bits_truncate(fcntl(fd, FcntlArg::F_GETFL).ok()?);
        let kind = SFlag::from_bits_truncate(stat.st_mode & SFlag::S_IFMT.bits());
        let terminal = kind == SFlag::S_IFCHR && is_terminal(fd);
        let reopenable = kind == SFlag::S_IFIFO || (terminal && device(stat.st_rdev) != PTMX);
        if kind == SFlag::S_IFIFO {
            // Before it is opened again, in a direction it keeps.
            self.pipes.narrow(fd, &stat, flags);
        }
        if reopenable && !flags.contains(OFlag::O_PATH) {
            if let Some(own) = reopened(fd, &stat, flags) {
                return Some(own);
            }
        }
        match origin {
            Origin::Inherited if terminal || matches!(kind, SFlag::S_IFSOCK | SFlag::S_IFREG | SFlag::S_IFIFO) => {
                self.count_inherited(Stream { fd, file: (stat.st_dev, stat.st_ino) }, flags);
            }
            Origin::Given if kind == SFlag::S_IFREG => self.hold_given(fd, flags),
            _ => {}
        }
        None
    }

    /// Count a run sharing the host's stream, noting its flags if it is the
    /// first.
    fn count_inherited(&mut self, stream: Stream, flags: OFlag) {
        let mut streams = inherited();
        match streams.iter_mut().find(|(s, _, _)| *s == stream) {
            Some(entry) => entry.2 += 1,
            None => streams.push((stream, flags & RESTORED_FLAGS, 1)),
        }
        self.places.push(Place::Inherited(stream));
    }

    /// Hold a copy of a regular file the caller gave, with its flags.
    fn hold_given(&mut self, fd: RawFd, flags: OFlag) {
        if let Ok(copy) = fcntl(fd, FcntlArg::F_DUPFD_CLOEXEC(3)) {
            // SAFETY: F_DUPFD_CLOEXEC returned a new fd that nothing else owns.
            self.places.push(Place::Copy(unsafe { OwnedFd::from_raw_fd(copy) }, flags & RESTORED_FLAGS));
        }
    }
}

/// Dropped once the run is over (its group killed, so none of its
/// processes changes the flags again) or its start failed: the flags of a
/// given file are put back, and those of an inherited stream once no other
/// run shares it — however the run ended, so no count is left behind.
impl Drop for CallerStreams {
    fn drop(&mut self) {
        if !self.owner.is_here() {
            self.places.clear();
            self.pipes.abandon();
            return;
        }
        for place in self.places.drain(..) {
            match place {
                Place::Copy(copy, saved) => put_back(std::os::fd::AsRawFd::as_raw_fd(&copy), saved),
                Place::Inherited(stream) => {
                    let mut streams = inherited();
                    let Some(at) = streams.iter().position(|(s, _, _)| *s == stream) else { continue };
                    streams[at].2 -= 1;
                    if streams[at].2 > 0 {
                        continue;
                    }
                    let (_, saved, _) = streams.swap_remove(at);
                    if fstat(stream.fd).is_ok_and(|stat| (stat.st_dev, stat.st_ino) == stream.file) {
                        put_back(stream.fd, saved);
                    }
                }
            }
        }
    }
}

fn put_back(fd: RawFd, saved: OFlag) {
    let Ok(now) = fcntl(fd, FcntlArg::F_GETFL) else { return };
    let now = OFlag::from_bits_truncate(now);
    if now & RESTORED_FLAGS != saved {
        let _ = fcntl(fd, FcntlArg::F_SETFL((now - RESTORED_FLAGS) | saved));
    }
}

/// `fd` (of `stat`, with `flags`) opened again through `/proc/self/fd/N`,
/// if that is the same object.
fn reopened(fd: RawFd, stat: &libc::stat, flags: OFlag) -> Option<OwnedFd> {
    // Non-blocking, so that neither a FIFO without its other side nor a
    // serial line without carrier holds the spawn; not the controlling
    // terminal of a host that has none.
    let path = CString::new(format!("/proc/self/fd/{fd}")).ok()?;
    let open_flags = (flags & OFlag::O_ACCMODE) | OFlag::O_NONBLOCK | OFlag::O_NOCTTY | OFlag::O_CLOEXEC;
    // SAFETY: a NUL-terminated path; the result is checked and owned below.
    let raw = unsafe { libc::open(path.as_ptr(), open_flags.bits()) };
    if raw < 0 {
        return None;
    }
    // SAFETY: `open` returned a new fd that nothing else owns.
    let own = unsafe { OwnedFd::from_raw_fd(raw) };
    if identity(raw, &fstat(raw).ok()?)? != identity(fd, stat)? {
        return None;
    }
    fcntl(raw, FcntlArg::F_SETFL(flags & COPIED_FLAGS)).ok()?;
    Some(own)
}

/// What `fd` (of `stat`) reaches: a FIFO's inode, or the terminal a tty fd
/// drives (`TIOCGDEV`: `/dev/tty0` opened again is the console in front now).
fn identity(fd: RawFd, stat: &libc::stat) -> Option<(u64, u64, u64)> {
    if stat.st_mode & SFlag::S_IFMT.bits() != SFlag::S_IFCHR.bits() {
        return Some((stat.st_dev, stat.st_ino, 0));
    }
    let mut tty: libc::c_uint = 0;
    // SAFETY: TIOCGDEV writes one unsigned int into `tty`.
    if unsafe { libc::ioctl(fd, libc::TIOCGDEV, &mut tty) } < 0 {
        return None;
    }
    Some((0, 0, u64::from(tty)))
}

fn is_terminal(fd: RawFd) -> bool {
    nix::unistd::isatty(fd).unwrap_or(false)
}

fn device(rdev: u64) -> (u64, u64) {
    (libc::major(rdev) as u64, libc::minor(rdev) as u64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::fd::{AsFd, AsRawFd, BorrowedFd};

    fn reopened(fd: RawFd) -> Option<OwnedFd> {
        CallerStreams::default().own_or_share(fd, Origin::Given)
    }

    fn status_flags(fd: BorrowedFd<'_>) -> OFlag {
        OFlag::from_bits_truncate(fcntl(fd.as_raw_fd(), FcntlArg::F_GETFL).unwrap())
    }

    #[test]
    fn a_pipe_end_gets_a_description_of_its_own_with_the_same_access_and_flags() {
        let (read, write) = nix::unistd::pipe2(OFlag::O_CLOEXEC).unwrap();
        fcntl(write.as_raw_fd(), FcntlArg::F_SETFL(OFlag::O_APPEND)).unwrap();
        let own = reopened(write.as_raw_fd()).expect("a pipe opens again");
        assert_eq!(status_flags(own.as_fd()) & (OFlag::O_ACCMODE | COPIED_FLAGS), OFlag::O_WRONLY | OFlag::O_APPEND);
        // Flags set on the new description stay there.
        fcntl(own.as_raw_fd(), FcntlArg::F_SETFL(OFlag::O_NONBLOCK)).unwrap();
        assert!(!status_flags(write.as_fd()).contains(OFlag::O_NONBLOCK));
        // The same pipe.
        nix::unistd::write(&own, b"x").unwrap();
        let mut byte = [0u8; 1];
        assert_eq!(nix::unistd::read(read.as_raw_fd(), &mut byte), Ok(1));
        let own_read = reopened(read.as_raw_fd()).expect("a read end opens again");
        assert_eq!(status_flags(own_read.as_fd()) & OFlag::O_ACCMODE, OFlag::O_RDONLY);
    }

    #[test]
    fn flags_of_a_shared_socket_are_put_back() {
        let (a, _b) = std::os::unix::net::UnixStream::pair().unwrap();
        // Two runs that overlap: the first one's child sets the flag before
        // the second starts, and the first ends first.
        let mut first = CallerStreams::default();
        assert!(first.own_or_share(a.as_raw_fd(), Origin::Inherited).is_none());
        fcntl(a.as_raw_fd(), FcntlArg::F_SETFL(OFlag::O_NONBLOCK | OFlag::O_APPEND)).unwrap();
        let mut second = CallerStreams::default();
        assert!(second.own_or_share(a.as_raw_fd(), Origin::Inherited).is_none());
        drop(first);
        assert!(status_flags(a.as_fd()).contains(OFlag::O_NONBLOCK), "the second run still shares it");
        drop(second);
        assert_eq!(status_flags(a.as_fd()) & RESTORED_FLAGS, OFlag::empty());
    }

    #[test]
    fn a_path_only_fd_is_not_opened_again() {
        let (read, _write) = nix::unistd::pipe2(OFlag::O_CLOEXEC).unwrap();
        let path = format!("/proc/self/fd/{}", read.as_raw_fd());
        let only_path =
            nix::fcntl::open(path.as_str(), OFlag::O_PATH | OFlag::O_CLOEXEC, nix::sys::stat::Mode::empty()).unwrap();
        // SAFETY: a new fd that nothing else owns.
        let only_path = unsafe { OwnedFd::from_raw_fd(only_path) };
        assert!(reopened(only_path.as_raw_fd()).is_none());
    }

    #[test]
    fn regular_files_sockets_and_the_multiplexer_keep_theirs() {
        let file = std::fs::File::open("/proc/self/status").unwrap();
        assert!(reopened(file.as_raw_fd()).is_none());
        let (a, _b) = std::os::unix::net::UnixStream::pair().unwrap();
        assert!(reopened(a.as_raw_fd()).is_none());
        // SAFETY: posix_openpt returns a new fd or -1, checked here.
        let master = unsafe { libc::posix_openpt(libc::O_RDWR | libc::O_NOCTTY | libc::O_CLOEXEC) };
        assert!(master >= 0);
        // SAFETY: a new fd that nothing else owns.
        let master = unsafe { OwnedFd::from_raw_fd(master) };
        assert!(reopened(master.as_raw_fd()).is_none());
    }
}
