//! Network escapes past what Landlock mediates: Landlock's network rules
//! cover TCP bind and connect by port only, and its scope covers connects
//! to abstract UNIX sockets. Every other way of reaching the host's network
//! (UNIX datagrams, abstract binds, other protocols, implicit connects and
//! binds, other families) must be refused by the filter. Each test runs a
//! probe for uid 0 and uid 65534 and checks the host peer's side too.

mod common;

use std::fs;
use std::io::ErrorKind;
use std::net::{Ipv4Addr, TcpListener, UdpSocket};
use std::os::linux::net::SocketAddrExt;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::{SocketAddr, UnixDatagram, UnixListener};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use common::{policy, probe, sandbox_as, Identity, TempDir};
use sandlock_core::{Category, Control, Decision, Event};

const IPPROTO_MPTCP: &str = "262";
const IPPROTO_SCTP: &str = "132";

/// A port nothing listens on now: bound to an ephemeral port, then released.
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").expect("binding an ephemeral port").local_addr().unwrap().port()
}

/// A host TCP listener on 127.0.0.1 that never blocks in accept, and its port.
fn host_listener() -> (TcpListener, String) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("binding the host listener");
    listener.set_nonblocking(true).unwrap();
    let port = listener.local_addr().unwrap().port().to_string();
    (listener, port)
}

/// Panics if a connection is waiting on `listener`. The probes have exited
/// by now, so any connect of theirs has completed its handshake.
fn assert_nothing_accepted(listener: &TcpListener, what: &str) {
    match listener.accept() {
        Err(e) if e.kind() == ErrorKind::WouldBlock => {}
        Ok((_, from)) => panic!("{what}: the host listener accepted a connection from {from}"),
        Err(e) => panic!("{what}: accept failed: {e}"),
    }
}

/// A host datagram socket as a daemon might leave it: mode 0666 in a 0755
/// dir, so that any uid may send to it and only the sandbox can refuse.
struct HostDatagram {
    _dir: TempDir,
    socket: UnixDatagram,
    path: String,
}

impl HostDatagram {
    fn new() -> HostDatagram {
        let dir = TempDir::new_public();
        let path = dir.file("daemon.sock");
        let socket = UnixDatagram::bind(&path).expect("binding the host datagram socket");
        socket.set_nonblocking(true).unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o666)).unwrap();
        HostDatagram { _dir: dir, socket, path }
    }

    fn assert_nothing_arrived(&self, what: &str) {
        let mut buf = [0u8; 64];
        match self.socket.recv(&mut buf) {
            Err(e) if e.kind() == ErrorKind::WouldBlock => {}
            Ok(n) => panic!("{what}: the host socket received {:?}", String::from_utf8_lossy(&buf[..n])),
            Err(e) => panic!("{what}: recv failed: {e}"),
        }
    }
}

/// A name in the abstract namespace no other test process uses.
fn abstract_name() -> String {
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    format!("sandlock-test-{}-{}", std::process::id(), COUNTER.fetch_add(1, Ordering::Relaxed))
}

/// Panics unless the host can take `name` now (nothing in the sandbox kept it).
fn assert_host_can_bind_abstract(name: &str, what: &str) {
    let addr = SocketAddr::from_abstract_name(name.as_bytes()).unwrap();
    if let Err(e) = UnixListener::bind_addr(&addr) {
        panic!("{what}: the host cannot bind @{name}: {e}");
    }
}

/// A datagram pair end is still a datagram socket: sendto, connect and
/// sendmsg re-address it at any pathname socket, and Landlock does not
/// mediate sending to one (here a 0666 host socket, which any uid may use).
/// So the pair itself is refused, and every way of using one fails at
/// `socketpair`.
#[test]
fn datagram_socketpairs_are_denied_so_no_end_reaches_a_host_socket() {
    for id in Identity::all() {
        let host = HostDatagram::new();
        let sandbox = sandbox_as(id, policy());
        assert_eq!(probe(&sandbox, "sockets", &["pair", "dgram"]), "EPERM\n", "{id}: socketpair(SOCK_DGRAM)");
        for how in ["pair_dgram_sendto", "pair_dgram_connect", "pair_dgram_scm"] {
            assert_eq!(probe(&sandbox, "sockets", &[how, &host.path]), "EPERM\n", "{id}: {how}");
            host.assert_nothing_arrived(&format!("{id}: {how}"));
        }
    }
}

/// Connected stream and seqpacket pairs have no way to name another peer:
/// they stay allowed, and a seqpacket end's sendto ignores the address.
#[test]
fn stream_and_seqpacket_pairs_work_and_reach_only_each_other() {
    for id in Identity::all() {
        let host = HostDatagram::new();
        let sandbox = sandbox_as(id, policy());
        assert_eq!(probe(&sandbox, "sockets", &["pair", "stream"]), "ok\n", "{id}: socketpair(SOCK_STREAM)");
        assert_eq!(probe(&sandbox, "sockets", &["pair", "seqpacket"]), "ok\n", "{id}: socketpair(SOCK_SEQPACKET)");
        // "ok": the datagram reached the pair's other end.
        let sendto = probe(&sandbox, "sockets", &["pair_seqpacket_sendto", &host.path]);
        assert_eq!(sendto, "ok\n", "{id}: sendto from a seqpacket pair end");
        host.assert_nothing_arrived(&format!("{id}: sendto from a seqpacket pair end"));
    }
}

/// Landlock's abstract-socket scope stops connects out of the sandbox, not
/// binds: a pair end could squat a name a host daemon (X11, D-Bus, ...) is
/// about to take. A TCP bind grant says nothing about UNIX names; only
/// `allow_unix_sockets`, whose stated meaning includes the host's abstract
/// namespace, lets the bind through.
#[test]
fn socketpair_ends_cannot_take_host_abstract_names() {
    for id in Identity::all() {
        let policies = [
            ("no grant", policy(), "EACCES\n"),
            ("a TCP bind grant", policy().net_bind_tcp([free_port()]), "EACCES\n"),
            ("allow_unix_sockets", policy().allow_unix_sockets(true), "ok\n"),
        ];
        for (grant, policy, expected) in policies {
            let sandbox = sandbox_as(id, policy);
            for ty in ["stream", "seqpacket"] {
                let name = abstract_name();
                let what = format!("{id}, {grant}: bind of a {ty} pair end to @{name}");
                assert_eq!(probe(&sandbox, "sockets", &["abstract_bind", ty, &name]), expected, "{what}");
                assert_host_can_bind_abstract(&name, &what);
            }
        }
    }
}

/// Landlock's port rules apply to TCP only: an MPTCP socket (which falls
/// back to plain TCP against a TCP peer) or SCTP would connect anywhere.
/// The protocols are refused at `socket`. (A kernel without SCTP, like this
/// machine's, answers EPROTONOSUPPORT or ESOCKTNOSUPPORT by itself.)
#[test]
fn mptcp_and_sctp_sockets_are_denied() {
    for id in Identity::all() {
        let (listener, port) = host_listener();
        let sandbox = sandbox_as(id, policy());
        for (family, ty, protocol) in [
            ("inet", "stream", IPPROTO_MPTCP),
            ("inet6", "stream", IPPROTO_MPTCP),
            ("inet", "stream", IPPROTO_SCTP),
            ("inet", "seqpacket", IPPROTO_SCTP),
            ("inet6", "stream", IPPROTO_SCTP),
            ("inet6", "seqpacket", IPPROTO_SCTP),
        ] {
            let what = format!("{id}: socket({family}, {ty}, {protocol}) + connect to port {port}");
            assert_eq!(
                probe(&sandbox, "sockets", &["proto_connect", family, ty, protocol, &port]),
                "EPERM\n",
                "{what}"
            );
            assert_nothing_accepted(&listener, &what);
        }
    }
}

/// `sendto`/`sendmsg` with MSG_FASTOPEN connect inside the kernel's send
/// path, past the connect hook Landlock uses: the flag is refused whatever
/// the port rules say. TCP_FASTOPEN_CONNECT only defers the SYN of a real
/// `connect()`, which Landlock checks (regression test).
#[test]
fn tcp_fast_open_cannot_connect_past_the_port_rules() {
    for id in Identity::all() {
        let (denied, denied_port) = host_listener();
        let (granted, granted_port) = host_listener();
        let plain = sandbox_as(id, policy());
        let with_grant = sandbox_as(id, policy().net_connect_tcp([granted_port.parse().unwrap()]));
        // sendmmsg was found in the red-team pass: its flags reach
        // tcp_sendmsg the same way.
        for how in ["fastopen_sendto", "fastopen_sendmsg", "fastopen_sendmmsg"] {
            let what = format!("{id}: {how} to non-granted port {denied_port}");
            assert_eq!(probe(&plain, "sockets", &[how, &denied_port]), "EPERM\n", "{what}");
            assert_nothing_accepted(&denied, &what);
            let what = format!("{id}: {how} to granted port {granted_port}");
            assert_eq!(probe(&with_grant, "sockets", &[how, &granted_port]), "EPERM\n", "{what}");
            assert_nothing_accepted(&granted, &what);
        }
        let what = format!("{id}: TCP_FASTOPEN_CONNECT + connect to non-granted port {denied_port}");
        assert_eq!(probe(&plain, "sockets", &["fastopen_connect", &denied_port]), "EACCES\n", "{what}");
        assert_nothing_accepted(&denied, &what);
    }
}

/// `listen()` on an unbound socket binds an ephemeral port without the
/// bind hook Landlock uses: a listener must be bound to a granted port.
#[test]
fn listen_binds_only_granted_ports() {
    for id in Identity::all() {
        let granted = free_port();
        let other = free_port().to_string();
        let plain = sandbox_as(id, policy());
        assert_eq!(probe(&plain, "sockets", &["listen_unbound"]), "EACCES\n", "{id}: listen, no grant");
        let with_grant = sandbox_as(id, policy().net_bind_tcp([granted]));
        let what = format!("{id}: listen with port {granted} granted");
        assert_eq!(probe(&with_grant, "sockets", &["listen_unbound"]), "EACCES\n", "{what}, unbound");
        assert_eq!(
            probe(&with_grant, "sockets", &["bind_listen", &granted.to_string()]),
            "ok\n",
            "{what}, bound to it"
        );
        assert_eq!(probe(&with_grant, "sockets", &["bind_listen", &other]), "EACCES\n", "{what}, bound to {other}");
    }
}

/// A refused connect, or one undone with `connect(AF_UNSPEC)`, leaves the
/// socket unbound while `getsockname` still shows the ephemeral port it
/// had; `listen` would then bind whatever port the socket's local range
/// names. Only a socket bound to a granted port may listen, on every path
/// that mediates `listen` (the built-in, alone or beside UNIX sockets, and
/// `policy_fn`).
#[test]
fn listen_takes_no_port_a_connect_left_behind() {
    for id in Identity::all() {
        let (host, host_port) = host_listener();
        let refused = free_port();
        let granted = free_port();
        let base = || policy().net_connect_tcp([refused, host_port.parse().unwrap()]).net_bind_tcp([granted]);
        let sandboxes = [
            ("built-in", sandbox_as(id, base())),
            ("with UNIX sockets", sandbox_as(id, base().allow_unix_sockets(true))),
            (
                "policy_fn",
                sandbox_as(id, base()).policy_fn(Category::NETWORK, |_: &Event, _: &Control| Decision::Allow),
            ),
        ];
        for (what, sandbox) in &sandboxes {
            // A port in the ephemeral range, which IP_LOCAL_PORT_RANGE may name.
            let local = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port().to_string();
            let out = probe(sandbox, "sockets", &["connect_listen", "refused", &refused.to_string(), &local]);
            assert_eq!(out, "EACCES\n", "{id} {what}: listen after a refused connect");
            let out = probe(sandbox, "sockets", &["connect_listen", "undone", &host_port, &local]);
            assert_eq!(out, "EACCES\n", "{id} {what}: listen after an undone connect");
            assert!(std::net::TcpStream::connect(("127.0.0.1", local.parse::<u16>().unwrap())).is_err(), "{id} {what}");
            let out = probe(sandbox, "sockets", &["bind_listen", &granted.to_string()]);
            assert_eq!(out, "ok\n", "{id} {what}: a granted port still listens");
        }
        drop(host);
    }
}

/// Landlock has no UDP rules: a UDP socket reaches any host service and
/// the whole network, and a ping socket sends ICMP. They are refused. (Ping
/// sockets are otherwise up to net.ipv4.ping_group_range, which admits no
/// group on this machine, EACCES, and every group on many distributions.)
#[test]
fn udp_and_ping_sockets_are_denied() {
    for id in Identity::all() {
        let receiver = UdpSocket::bind("127.0.0.1:0").unwrap();
        receiver.set_nonblocking(true).unwrap();
        let port = receiver.local_addr().unwrap().port().to_string();
        let sandbox = sandbox_as(id, policy());
        assert_eq!(probe(&sandbox, "sockets", &["udp", "inet", &port]), "EPERM\n", "{id}: UDP over IPv4");
        assert_eq!(probe(&sandbox, "sockets", &["udp", "inet6", &port]), "EPERM\n", "{id}: UDP over IPv6");
        assert_eq!(probe(&sandbox, "sockets", &["ping"]), "EPERM\n", "{id}: ping socket");
        let mut buf = [0u8; 64];
        match receiver.recv_from(&mut buf) {
            Err(e) if e.kind() == ErrorKind::WouldBlock => {}
            Ok((n, from)) => panic!("{id}: the host received {:?} from {from}", String::from_utf8_lossy(&buf[..n])),
            Err(e) => panic!("{id}: recv failed: {e}"),
        }
    }
}

/// Every address family other than TCP over IPv4 and IPv6 is out of
/// Landlock's reach (AF_VSOCK, for one, talks to the hypervisor host):
/// of `socket(family, type, 0)` for families 0..=45, only `AF_INET` and
/// `AF_INET6` `SOCK_STREAM` open.
#[test]
fn only_tcp_sockets_of_inet_families_open() {
    for id in Identity::all() {
        let sandbox = sandbox_as(id, policy());
        assert_eq!(probe(&sandbox, "sockets", &["families"]), "2,1\n10,1\ndone\n", "{id}: (family,type) that opened");
    }
}

/// `Stdin::Bytes` feeds the child through a socket pair (so the supervisor
/// can write without SIGPIPE); the child may not use that socket to pass
/// fds, or anything, back into the supervisor. The input is more than the
/// socket holds and the child reads none of it, so the supervisor's end is
/// still open when the child tries.
#[test]
fn the_stdin_socket_carries_nothing_back_to_the_supervisor() {
    for id in Identity::all() {
        let sandbox = sandbox_as(id, policy().stdin(sandlock_core::Stdin::Bytes(vec![b'x'; 8 << 20])));
        assert_eq!(probe(&sandbox, "sockets", &["stdin_scm"]), "EPIPE\n", "{id}");
    }
}

/// A host TCP listener on 127.0.0.1 in a `SO_REUSEPORT` group, owned by
/// `uid` (the kernel lets only sockets of its owner's uid join), that
/// never blocks in accept, and its port.
fn reuseport_listener_of(uid: u32) -> (TcpListener, String) {
    use std::os::fd::FromRawFd;
    let fd = std::thread::spawn(move || {
        // SAFETY: setfsuid takes an integer; it changes this short-lived
        // thread's file-system uid only, which the new socket is owned by.
        unsafe { libc::syscall(libc::SYS_setfsuid, uid) };
        // SAFETY: socket takes integers.
        unsafe { libc::socket(libc::AF_INET, libc::SOCK_STREAM | libc::SOCK_CLOEXEC, 0) }
    })
    .join()
    .unwrap();
    assert!(fd >= 0, "socket: {}", std::io::Error::last_os_error());
    let on: libc::c_int = 1;
    // SAFETY: SO_REUSEPORT reads one c_int from `on`.
    let rc =
        unsafe { libc::setsockopt(fd, libc::SOL_SOCKET, libc::SO_REUSEPORT, (&on as *const libc::c_int).cast(), 4) };
    assert_eq!(rc, 0);
    // SAFETY: a zeroed sockaddr_in is valid; the fields set are its address.
    let mut addr: libc::sockaddr_in = unsafe { std::mem::zeroed() };
    addr.sin_family = libc::AF_INET as libc::sa_family_t;
    addr.sin_addr.s_addr = u32::from(Ipv4Addr::LOCALHOST).to_be();
    let len = std::mem::size_of::<libc::sockaddr_in>() as libc::socklen_t;
    // SAFETY: bind reads `len` bytes of `addr`; listen takes integers.
    assert_eq!(unsafe { libc::bind(fd, (&addr as *const libc::sockaddr_in).cast(), len) }, 0);
    // SAFETY: listen takes integers.
    assert_eq!(unsafe { libc::listen(fd, 8) }, 0);
    // SAFETY: `fd` is the socket made above, owned by nothing else.
    let listener = unsafe { TcpListener::from_raw_fd(fd) };
    listener.set_nonblocking(true).unwrap();
    let port = listener.local_addr().unwrap().port().to_string();
    (listener, port)
}

/// Sockets of one uid may share a port through `SO_REUSEPORT`, and a BPF
/// program attached to the group then steers its connections: with a bind
/// grant on a port where a host service of the child's uid listens so, the
/// child took over every new connection of the service. Joining is refused
/// and the host's listener still gets its clients.
#[test]
fn a_host_listeners_reuseport_group_cannot_be_joined() {
    for id in Identity::all() {
        let uid = match id {
            Identity::Root => 0,
            Identity::Nobody => common::NOBODY,
        };
        let (host, port) = reuseport_listener_of(uid);
        let sandbox = sandbox_as(id, policy().net_bind_tcp([port.parse().unwrap()]));
        assert_eq!(probe(&sandbox, "sockets", &["reuseport_listen", &port]), "EPERM\n", "{id}: SO_REUSEPORT");
        let _client = std::net::TcpStream::connect(format!("127.0.0.1:{port}")).unwrap();
        let mut accepted = host.accept();
        for _ in 0..100 {
            if !matches!(&accepted, Err(e) if e.kind() == ErrorKind::WouldBlock) {
                break;
            }
            std::thread::sleep(Duration::from_millis(10));
            accepted = host.accept();
        }
        assert!(accepted.is_ok(), "{id}: the host listener lost its client: {accepted:?}");
    }
}

/// A multicast membership, even on a TCP socket, makes the host send IGMP
/// or MLD reports of the groups and sources the child names onto the
/// network — data out with no grant, which a helper decoded on the wire —
/// and IPv6 flow labels fill one table for the whole machine, lingering
/// after the run. The filter refuses every such option with `EPERM`; the
/// kernel's answer to the same call outside is shown beside it (`ENODEV`
/// on a machine without a multicast route, never `EPERM`).
#[test]
fn multicast_memberships_and_flow_labels_are_refused() {
    let options = ["ip_join", "ip_source_join", "ip6_join", "ip6_flowlabel"];
    for name in options {
        assert_ne!(common::probe_unsandboxed("host_shared", &[name]), "EPERM\n", "{name} outside the sandbox");
    }
    for id in Identity::all() {
        let sandbox = sandbox_as(id, policy());
        for name in options {
            assert_eq!(probe(&sandbox, "host_shared", &[name]), "EPERM\n", "{id}: {name}");
        }
    }
}
