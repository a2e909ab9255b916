//! Closing the supervisor's copy of a child's socket (taken with
//! `pidfd_getfd`) without waiting for it. When the child closed its own fd
//! meanwhile, the copy is the last reference, and its close is the
//! socket's: with `SO_LINGER` on, TCP's close sleeps until the data is sent
//! or the linger time the child chose has passed (years), no signal
//! reaching the thread — a child made a receiving thread sleep so, one per
//! run. A close made as a thread exits never lingers (`inet_release` under
//! `PF_EXITING`), so such a copy is handed to a short-lived thread with a
//! file table of its own, which holds the last reference and exits.

use std::ops::Deref;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};
use std::sync::mpsc;

use nix::sched::{unshare, CloneFlags};
use nix::sys::socket::{getsockopt, sockopt};

/// A copy of a child's socket, closed without lingering when dropped.
#[derive(Debug)]
pub(crate) struct ChildSocket(Option<OwnedFd>);

impl From<OwnedFd> for ChildSocket {
    fn from(fd: OwnedFd) -> ChildSocket {
        ChildSocket(Some(fd))
    }
}

impl Deref for ChildSocket {
    type Target = OwnedFd;

    fn deref(&self) -> &OwnedFd {
        self.0.as_ref().expect("present until dropped")
    }
}

impl AsFd for ChildSocket {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.deref().as_fd()
    }
}

impl AsRawFd for ChildSocket {
    fn as_raw_fd(&self) -> RawFd {
        self.deref().as_raw_fd()
    }
}

impl Drop for ChildSocket {
    fn drop(&mut self) {
        if let Some(fd) = self.0.take() {
            close(fd);
        }
    }
}

/// True when closing the last reference to `fd` would wait: a socket with
/// `SO_LINGER` on and a linger time (a time of 0 resets at once).
pub(crate) fn lingers(fd: BorrowedFd<'_>) -> bool {
    getsockopt(&fd, sockopt::Linger).is_ok_and(|linger| linger.l_onoff != 0 && linger.l_linger > 0)
}

/// Close `fd`; if it lingers, as the last act of a thread that exits.
pub(crate) fn close(fd: OwnedFd) {
    if lingers(fd.as_fd()) {
        close_at_exit(fd);
    }
}

/// Close `fd` as the last act of a thread that exits, whatever it is: for
/// a socket the child may make linger after it was looked at.
pub(crate) fn close_at_exit(fd: OwnedFd) {
    let (unshared, ready) = mpsc::sync_channel::<bool>(0);
    let (closed, ours_gone) = mpsc::sync_channel::<()>(0);
    let closer = std::thread::Builder::new().name("sandlock-close".into()).spawn(move || {
        // A copy of the file table, holding `fd` too; closed as the thread
        // exits, after the shared table's reference is gone.
        let _ = unshared.send(unshare(CloneFlags::CLONE_FILES).is_ok());
        let _ = ours_gone.recv();
    });
    match closer {
        Ok(closer) if ready.recv() == Ok(true) => {
            drop(fd);
            let _ = closed.send(());
            let _ = closer.join();
        }
        // No thread of its own: the close waits, on a thread that no one
        // waits for, rather than on the caller's.
        _ => {
            let _ = std::thread::Builder::new().name("sandlock-close".into()).spawn(move || drop(fd));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use std::net::{TcpListener, TcpStream};
    use std::time::{Duration, Instant};

    #[test]
    fn the_last_copy_of_a_lingering_socket_closes_at_once() {
        // A peer that never reads: the data cannot be sent, the close
        // would linger its 4 s.
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let stream = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let _peer = listener.accept().unwrap();
        stream.set_nonblocking(true).unwrap();
        let chunk = vec![0u8; 64 * 1024];
        while (&stream).write(&chunk).is_ok() {}
        let fd = OwnedFd::from(stream);
        let linger = libc::linger { l_onoff: 1, l_linger: 4 };
        nix::sys::socket::setsockopt(&fd, sockopt::Linger, &linger).unwrap();
        assert!(lingers(fd.as_fd()));
        let started = Instant::now();
        drop(ChildSocket::from(fd));
        assert!(started.elapsed() < Duration::from_secs(2), "{:?}", started.elapsed());
    }
}
