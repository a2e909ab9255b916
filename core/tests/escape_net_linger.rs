//! A lingering socket (data a peer never reads, `SO_LINGER` of days)
//! passing through the supervisor. Alone in its binary: while the
//! supervisor holds its copy of such a socket, a spawn on another host
//! thread copies the host's fd table, and if that copy ends up the
//! socket's last reference, that other child's exec sleeps in TCP's
//! lingering close (a gap row of docs/threat-model.md).

mod common;

use std::net::{Ipv4Addr, TcpListener};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use common::{policy, program, sandbox_as, Identity};

/// The net built-in makes `listen` on its own copy of the child's socket;
/// when the child closes its fd meanwhile, dropping the copy is the
/// socket's last close, which for a lingering socket (data a peer never
/// reads, `SO_LINGER` of days) slept on the receiving thread, for good:
/// the sandbox stalled until its timeout and the host kept the thread.
#[test]
fn a_lingering_socket_closed_under_a_listen_does_not_stall_the_sandbox() {
    for identity in Identity::all() {
        let peer = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
        let small: libc::c_int = 4096;
        // SAFETY: SO_RCVBUF on the listener's own socket, from a live int
        // of the size given (accepted sockets inherit it).
        let set = unsafe {
            libc::setsockopt(
                std::os::fd::AsRawFd::as_raw_fd(&peer),
                libc::SOL_SOCKET,
                libc::SO_RCVBUF,
                (&small as *const libc::c_int).cast(),
                std::mem::size_of::<libc::c_int>() as libc::socklen_t,
            )
        };
        assert_eq!(set, 0);
        let port = peer.local_addr().unwrap().port();
        peer.set_nonblocking(true).unwrap();
        // Accept and never read, until the run is over.
        let over = Arc::new(AtomicBool::new(false));
        let done = Arc::clone(&over);
        let held = std::thread::spawn(move || {
            let mut streams = Vec::new();
            while !done.load(Ordering::SeqCst) {
                match peer.accept() {
                    Ok((stream, _)) => streams.push(stream),
                    Err(_) => std::thread::sleep(Duration::from_millis(1)),
                }
            }
        });
        let sandbox = sandbox_as(
            identity,
            policy().net_connect_tcp([port]).net_bind_tcp([40999]).timeout(Duration::from_secs(20)),
        );
        let out =
            sandbox.run(&[program("linger_race").into_os_string(), port.to_string().into(), "150".into()]).unwrap();
        assert!(!out.timed_out, "{identity}: the sandbox stalled");
        over.store(true, Ordering::SeqCst);
        held.join().unwrap();
        assert_eq!(common::printed_count(&out, "raced"), 1, "{identity}: the close never raced the listen");
    }
}
