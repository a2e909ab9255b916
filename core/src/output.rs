//! Bounded capture of the child's output (and feeding its stdin), driven by
//! the same `poll` loop that waits for the child.

use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};

use nix::errno::Errno;
use nix::sys::socket::{send, MsgFlags};

use crate::fork_locks::PrivateFd;

/// One output pipe being drained into a bounded buffer.
pub(crate) struct Capture {
    fd: Option<OwnedFd>,
    pub(crate) data: Vec<u8>,
    pub(crate) truncated: bool,
    max: usize,
}

impl Capture {
    pub(crate) fn new(fd: Option<OwnedFd>, max: usize) -> Capture {
        Capture { fd, data: Vec::new(), truncated: false, max }
    }

    pub(crate) fn fd(&self) -> Option<BorrowedFd<'_>> {
        self.fd.as_ref().map(|f| f.as_fd())
    }

    /// Read what is available; closes the pipe at EOF. Output past the
    /// bound is read and discarded so the child never blocks on a full pipe.
    pub(crate) fn read_available(&mut self) {
        let Some(fd) = &self.fd else { return };
        let mut buf = [0u8; 65536];
        let n = match nix::unistd::read(fd.as_raw_fd(), &mut buf) {
            Ok(0) => {
                self.fd = None;
                return;
            }
            Ok(n) => n,
            Err(Errno::EINTR) => return,
            Err(_) => {
                self.fd = None;
                return;
            }
        };
        let chunk = &buf[..n];
        let room = self.max.saturating_sub(self.data.len());
        if chunk.len() > room {
            self.truncated = true;
        }
        self.data.extend_from_slice(&chunk[..chunk.len().min(room)]);
    }

    pub(crate) fn is_open(&self) -> bool {
        self.fd.is_some()
    }
}

/// Bytes still to write to the child's stdin.
pub(crate) struct Feed {
    fd: Option<PrivateFd>,
    data: Vec<u8>,
    written: usize,
}

impl Feed {
    pub(crate) fn new(fd: Option<PrivateFd>, data: Vec<u8>) -> Feed {
        let mut feed = Feed { fd, data, written: 0 };
        if feed.data.is_empty() {
            feed.fd = None;
        }
        feed
    }

    pub(crate) fn fd(&self) -> Option<BorrowedFd<'_>> {
        self.fd.as_ref().map(|f| f.as_fd())
    }

    /// Write what the pipe takes; closes it when done or when the child
    /// stopped reading.
    pub(crate) fn write_available(&mut self) {
        let Some(fd) = &self.fd else { return };
        let rest = &self.data[self.written..];
        // stdin is a socket so that MSG_NOSIGNAL keeps a child that stopped
        // reading from raising SIGPIPE in the caller's process.
        let n = match send(fd.as_fd().as_raw_fd(), rest, MsgFlags::MSG_NOSIGNAL | MsgFlags::MSG_DONTWAIT) {
            Ok(n) => n,
            Err(Errno::EINTR | Errno::EAGAIN) => return,
            Err(_) => {
                self.fd = None;
                return;
            }
        };
        self.written += n;
        if self.written == self.data.len() {
            self.fd = None;
        }
    }
}
