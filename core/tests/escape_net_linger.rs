//! A lingering socket (data a peer never reads, `SO_LINGER` of days)
//! passing through the host: the supervisor's copy of a child's, and one
//! the host drops while another run's child is between clone and exec.
//! Alone in its binary, so that no other test's spawns meet these sockets.

mod common;

use std::io::Write;
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::os::fd::{AsRawFd, OwnedFd};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{policy, program, sandbox_as, Identity};
use sandlock_core::{Policy, Sandbox};

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

/// A TCP socket whose last close lingers `seconds`: connected to a peer
/// that accepts and never reads (kept by the returned thread until `over`),
/// its send buffer full, `SO_LINGER` on.
fn lingering_socket(seconds: i32, over: &Arc<AtomicBool>) -> (OwnedFd, std::thread::JoinHandle<()>) {
    let peer = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    let stream = TcpStream::connect(peer.local_addr().unwrap()).unwrap();
    let (accepted, _) = peer.accept().unwrap();
    let done = Arc::clone(over);
    let held = std::thread::spawn(move || {
        while !done.load(Ordering::SeqCst) {
            std::thread::sleep(Duration::from_millis(5));
        }
        drop(accepted);
    });
    stream.set_nonblocking(true).unwrap();
    let chunk = vec![0u8; 64 * 1024];
    while (&stream).write(&chunk).is_ok() {}
    let fd = OwnedFd::from(stream);
    let linger = libc::linger { l_onoff: 1, l_linger: seconds };
    // SAFETY: SO_LINGER on our own socket, from a live struct of the size given.
    let set = unsafe {
        libc::setsockopt(
            fd.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_LINGER,
            (&linger as *const libc::linger).cast(),
            std::mem::size_of::<libc::linger>() as libc::socklen_t,
        )
    };
    assert_eq!(set, 0);
    (fd, held)
}

/// Drop the host's reference to `fd` without waiting: a thread with a copy
/// of the fd table holds the last one and closes it as it exits, which
/// never lingers.
fn drop_without_lingering(fd: OwnedFd) {
    let (unshared, ready) = std::sync::mpsc::sync_channel(0);
    let (dropped, gone) = std::sync::mpsc::sync_channel::<()>(0);
    let closer = std::thread::spawn(move || {
        // SAFETY: unshare(CLONE_FILES) only gives this thread its own copy of the fd table.
        unshared.send(unsafe { libc::unshare(libc::CLONE_FILES) }).unwrap();
        let _ = gone.recv();
    });
    assert_eq!(ready.recv().unwrap(), 0);
    drop(fd);
    dropped.send(()).unwrap();
    closer.join().unwrap();
}

/// The children of the host thread `tid`, from `/proc`.
fn has_children(tid: libc::pid_t) -> bool {
    std::fs::read_to_string(format!("/proc/self/task/{tid}/children")).is_ok_and(|list| !list.trim().is_empty())
}

/// A socket copy the host drops while another thread's spawn is between
/// clone and exec (as the supervisor drops its copies of children's
/// sockets): the new child's copy of the fd table held the last reference,
/// and its exec slept in TCP's lingering close for the whole linger time.
/// Each way of starting a child: shared memory (no handler), a fork (a
/// handler), and private namespaces.
#[test]
fn a_socket_the_host_drops_during_a_spawn_never_stalls_that_spawn() {
    common::take_a_copy_of_a_childs_socket();
    let kinds = [
        ("no handler", policy()),
        ("a handler", policy().net_bind_tcp([40998])),
        ("private namespaces", policy().private_network(true).private_ipc(true).private_shm(true)),
    ];
    for (identity, (kind, policy)) in Identity::all().into_iter().flat_map(|id| kinds.clone().map(|k| (id, k))) {
        let sandbox = Arc::new(sandbox_as(identity, policy.timeout(Duration::from_secs(60))));
        spawns_beside_dropped_sockets(&sandbox, &format!("{identity}, {kind}"));
    }
}

/// The same for an unprivileged host, whose private `/dev/shm` comes with a
/// user namespace: the child waits for its keeper to be gone before it
/// unshares one (the kernel refuses a process with another thread).
#[test]
fn a_socket_an_unprivileged_host_drops_during_a_user_namespace_spawn_never_stalls_it() {
    let test = "a_socket_an_unprivileged_host_drops_during_a_user_namespace_spawn_never_stalls_it";
    common::as_unprivileged_caller(test, &[], || {
        let port = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap().local_addr().unwrap().port();
        let read = common::system_read_paths();
        let binder = Sandbox::new(Policy::builder().fs_read(&read).net_bind_tcp([port]).build().unwrap()).unwrap();
        let bind = format!("import socket; socket.socket().bind(('127.0.0.1', {port})); print('bound')");
        let out = binder.run(&["python3", "-c", &bind]).unwrap();
        assert_eq!(String::from_utf8_lossy(&out.stdout), "bound\n", "{out:?}");
        let policy = Policy::builder().fs_read(&read).private_shm(true).timeout(Duration::from_secs(60));
        let sandbox = Arc::new(Sandbox::new(policy.build().unwrap()).unwrap());
        spawns_beside_dropped_sockets(&sandbox, "an unprivileged host, private shm");
    });
}

/// Twenty runs of `/bin/true` in `sandbox`, each on a thread of its own,
/// while this thread drops a lingering socket as soon as the run's child
/// exists; none may wait on it.
fn spawns_beside_dropped_sockets(sandbox: &Arc<Sandbox>, what: &str) {
    const LINGER: i32 = 10;
    for round in 0..20 {
        let over = Arc::new(AtomicBool::new(false));
        let (socket, held) = lingering_socket(LINGER, &over);
        let (tid_of, tid) = std::sync::mpsc::channel();
        let runs = Arc::clone(sandbox);
        let spawner = std::thread::spawn(move || {
            // SAFETY: gettid takes nothing and cannot fail.
            tid_of.send(unsafe { libc::gettid() }).unwrap();
            let started = Instant::now();
            let out = runs.run(&["/bin/true"]).unwrap();
            (out, started.elapsed())
        });
        let tid = tid.recv().unwrap();
        let looking = Instant::now();
        while !has_children(tid) && looking.elapsed() < Duration::from_secs(5) {
            std::hint::spin_loop();
        }
        drop_without_lingering(socket);
        let (out, took) = spawner.join().unwrap();
        over.store(true, Ordering::SeqCst);
        held.join().unwrap();
        assert!(out.status.success(), "{what}, round {round}: {out:?}");
        assert!(
            took < Duration::from_secs(LINGER as u64 / 2),
            "{what}, round {round}: the run took {took:?}, its exec waiting on the host's socket"
        );
    }
}
