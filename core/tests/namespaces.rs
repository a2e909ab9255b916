//! Private IPC and network namespaces: what they open inside the sandbox,
//! and that nothing of the host is reachable through them.

mod common;

use std::net::TcpListener;
use std::time::Duration;

use common::{policy, probe, sandbox};
use sandlock_core::{Policy, SandlockError};

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A SysV key and a queue name no other test run uses.
fn unique(prefix: &str) -> String {
    format!("{prefix}{}", std::process::id())
}

/// SysV IPC is denied without a private namespace and works in one. POSIX
/// message queues are denied without one too (`O_CREAT` would make the
/// queue before Landlock refuses it); in one, they are files of the
/// namespace's mqueue file system, which no Landlock rule covers.
#[test]
fn host_ipc_is_denied_and_a_private_namespace_opens_sysv() {
    let key = (std::process::id() % 100_000 + 700_000).to_string();
    let queue = format!("/{}", unique("sandlock-mq-"));
    let denied = sandbox(policy());
    assert_eq!(probe(&denied, "namespaces", &["sysv_shm", &key]), "EPERM\n");
    assert_eq!(probe(&denied, "namespaces", &["mq", &queue]), "EPERM\n");
    let private = sandbox(policy().private_ipc(true));
    assert_eq!(probe(&private, "namespaces", &["sysv_shm", &key]), "ok\n");
    assert_eq!(probe(&private, "namespaces", &["mq", &queue]), "EACCES\n");
    // The segment lived in the child's namespace: the host has no such key.
    // SAFETY: shmget with integers only looks the key up.
    let host = unsafe { libc::shmget(key.parse().unwrap(), 0, 0) };
    assert_eq!(host, -1);
    let queue = std::ffi::CString::new(queue).unwrap();
    // SAFETY: without O_CREAT, mq_open reads only the name.
    assert_eq!(unsafe { libc::mq_open(queue.as_ptr(), libc::O_RDONLY) }, -1, "a queue made in the host");
}

#[test]
fn a_private_network_reaches_only_its_own_loopback() {
    let host = TcpListener::bind("127.0.0.1:0").unwrap();
    let host_port = host.local_addr().unwrap().port();
    let inner_port = free_port();
    let private = sandbox(
        policy()
            .private_network(true)
            .net_connect_tcp([host_port, inner_port])
            .net_bind_tcp([inner_port])
            .timeout(Duration::from_secs(10)),
    );
    // Granted, but the host's listener is in another namespace.
    assert_eq!(probe(&private, "namespaces", &["tcp_connect", &host_port.to_string()]), "ECONNREFUSED\n");
    assert_eq!(probe(&private, "namespaces", &["loopback_echo", &inner_port.to_string()]), "ok\n");
    host.set_nonblocking(true).unwrap();
    assert!(host.accept().is_err(), "the host listener was reached");
}

#[test]
fn abstract_names_stay_private_with_unix_sockets_and_a_private_network() {
    let name = unique("sandlock-abstract-");
    let shared = sandbox(policy().allow_unix_sockets(true));
    let private = sandbox(policy().allow_unix_sockets(true).private_network(true));
    assert_eq!(probe(&private, "namespaces", &["abstract_bind", &name]), "ok\n");
    // Held by a host socket now, the name is still free in a private network.
    let mut address = vec![0u8];
    address.extend_from_slice(name.as_bytes());
    let _host = bind_abstract(&address);
    assert_eq!(probe(&private, "namespaces", &["abstract_bind", &name]), "ok\n");
    assert_eq!(probe(&shared, "namespaces", &["abstract_bind", &name]), "EADDRINUSE\n");
}

fn bind_abstract(address: &[u8]) -> std::os::fd::OwnedFd {
    use std::os::fd::FromRawFd;
    // SAFETY: a zeroed sockaddr_un is valid; the name fits in sun_path.
    let mut addr: libc::sockaddr_un = unsafe { std::mem::zeroed() };
    addr.sun_family = libc::AF_UNIX as libc::sa_family_t;
    for (dst, src) in addr.sun_path.iter_mut().zip(address) {
        *dst = *src as libc::c_char;
    }
    // SAFETY: socket with integer arguments.
    let fd = unsafe { libc::socket(libc::AF_UNIX, libc::SOCK_STREAM | libc::SOCK_CLOEXEC, 0) };
    assert!(fd >= 0);
    // SAFETY: socket returned a new fd we own.
    let fd = unsafe { std::os::fd::OwnedFd::from_raw_fd(fd) };
    let len = (std::mem::size_of::<libc::sa_family_t>() + address.len()) as libc::socklen_t;
    // SAFETY: `addr` is a valid sockaddr_un of at least `len` bytes.
    let rc =
        unsafe { libc::bind(std::os::fd::AsRawFd::as_raw_fd(&fd), (&addr as *const libc::sockaddr_un).cast(), len) };
    assert_eq!(rc, 0, "binding the host's abstract name: {}", std::io::Error::last_os_error());
    fd
}

/// Only a caller with CAP_SYS_ADMIN can make namespaces: elsewhere the
/// policy fails to build, or under best effort runs without them.
#[test]
fn private_namespaces_need_a_privileged_caller() {
    let outcome = std::thread::spawn(|| {
        drop_effective_sys_admin();
        let strict = Policy::builder().private_ipc(true).build();
        let lenient = Policy::builder().private_network(true).best_effort(true).build();
        (strict.err().map(|e| e.to_string()), lenient.is_ok())
    })
    .join()
    .unwrap();
    let expected = SandlockError::Unsupported {
        feature: "private IPC namespace",
        reason: "creating a namespace needs CAP_SYS_ADMIN in the caller".into(),
    };
    assert_eq!(outcome, (Some(expected.to_string()), true));
}

/// Clear CAP_SYS_ADMIN from this thread's effective set (capabilities are
/// per thread; the thread ends right after).
fn drop_effective_sys_admin() {
    #[repr(C)]
    struct Header {
        version: u32,
        pid: i32,
    }
    #[repr(C)]
    #[derive(Clone, Copy)]
    struct Data {
        effective: u32,
        permitted: u32,
        inheritable: u32,
    }
    let mut header = Header { version: 0x2008_0522, pid: 0 };
    let mut data = [Data { effective: 0, permitted: 0, inheritable: 0 }; 2];
    // SAFETY: capget v3 writes two Data entries.
    assert_eq!(unsafe { libc::syscall(libc::SYS_capget, &mut header as *mut Header, data.as_mut_ptr()) }, 0);
    data[0].effective &= !(1 << 21);
    // SAFETY: capset v3 reads two Data entries.
    assert_eq!(unsafe { libc::syscall(libc::SYS_capset, &mut header as *mut Header, data.as_ptr()) }, 0);
}
