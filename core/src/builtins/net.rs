//! `bind` and `listen` on the child's behalf, when a policy lets the child
//! bind something. Landlock checks TCP ports, but `listen` on an unbound
//! socket binds a port with no check, and a socket-pair end may `bind` a
//! name in the host's abstract UNIX namespace. Answering `Continue` after
//! looking would race: another thread could swap the fd or the address
//! before the kernel reads them again. So this built-in takes the child's
//! socket itself (`pidfd_getfd`), reads the address once, decides, and makes
//! the call on that socket with its own copy of the address, with the
//! capabilities the child would have.
//!
//! A TCP socket may listen only once this built-in bound it to a granted
//! port: the socket's own address is no proof (after a failed or undone
//! connect, `getsockname` still shows the ephemeral port the kernel has
//! released, and `listen` then binds whatever port the socket's
//! `IP_LOCAL_PORT_RANGE` asks for), so the sockets it bound are known by
//! their `SO_COOKIE`, which the kernel never reuses. The most recent
//! [`MAX_BOUND`] are kept (a child binding and closing sockets in a loop
//! would otherwise grow the host without end): a socket bound longer ago
//! than that many binds can no longer listen.

use std::collections::{HashSet, VecDeque};
use std::net::IpAddr;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};
use std::sync::Mutex;

use crate::handler::{Handler, HandlerCtx, HandlerResult};
use crate::notif::{ExceptionPolicy, NotifAction};
use crate::policy::Policy;
use crate::sockaddr::{self, MAX_ADDR};

/// How many bound sockets the guard remembers.
const MAX_BOUND: usize = 65_536;

/// The cookies of the sockets bound here, the oldest forgotten first.
#[derive(Default)]
struct Bound {
    cookies: HashSet<u64>,
    order: VecDeque<u64>,
}

impl Bound {
    fn insert(&mut self, cookie: u64) {
        if self.cookies.insert(cookie) {
            self.order.push_back(cookie);
        }
        if self.order.len() > MAX_BOUND {
            if let Some(oldest) = self.order.pop_front() {
                self.cookies.remove(&oldest);
            }
        }
    }
}

pub(crate) struct NetGuard {
    /// TCP ports the policy lets the child bind.
    bind_ports: Vec<u16>,
    /// UNIX sockets bind as the kernel and Landlock decide.
    allow_unix: bool,
    /// Capabilities the child keeps, for the calls made on its behalf.
    child_caps: u64,
    bind_nr: u32,
    /// `SO_COOKIE`s of the TCP sockets bound here, to granted ports.
    bound: Mutex<Bound>,
}

impl NetGuard {
    pub(crate) fn for_policy(policy: &Policy) -> NetGuard {
        NetGuard {
            bind_ports: policy.net_bind_tcp.clone(),
            allow_unix: policy.allow_unix_sockets,
            child_caps: crate::caps::mask(&policy.keep_capabilities),
            bind_nr: libc::SYS_bind as u32,
            bound: Mutex::new(Bound::default()),
        }
    }

    fn bind(&self, ctx: &HandlerCtx<'_>) -> HandlerResult {
        let addr = match read_address(ctx) {
            Ok(addr) => addr,
            Err(errno) => return Ok(NotifAction::Errno(errno)),
        };
        match ctx.child_socket(ctx.args()[0] as i32) {
            Ok(socket) => self.bind_on(&socket, &addr),
            Err(e) => Ok(errno_of(&e)),
        }
    }

    /// True when a `bind` of `socket` is made here, with the address as it
    /// was read; false when the kernel makes it, reading the address again
    /// (a UNIX socket under `allow_unix_sockets`).
    pub(crate) fn binds_itself(&self, socket: &OwnedFd) -> bool {
        !(self.allow_unix && SocketKind::of(socket.as_fd()) == Ok(SocketKind::Other))
    }

    /// `bind` of `socket`, the child's own (taken by the caller), to `addr`,
    /// already copied from the child.
    pub(crate) fn bind_on(&self, socket: &OwnedFd, addr: &[u8]) -> HandlerResult {
        let len = addr.len();
        if !(2..=MAX_ADDR).contains(&len) {
            return Ok(NotifAction::Errno(libc::EINVAL));
        }
        let kind = match SocketKind::of(socket.as_fd()) {
            Ok(kind) => kind,
            Err(errno) => return Ok(NotifAction::Errno(errno)),
        };
        match kind {
            SocketKind::Tcp(domain) => {
                let family = u16::from_ne_bytes([addr[0], addr[1]]);
                if family != domain as u16 && family != libc::AF_UNSPEC as u16 {
                    return Ok(NotifAction::Errno(libc::EAFNOSUPPORT));
                }
                // The kernel refuses an IPv4/IPv6 address without a port.
                let Some(&[high, low]) = addr.get(2..4) else { return Ok(NotifAction::Errno(libc::EINVAL)) };
                // Port 0 (any port) is never granted, as with Landlock.
                let port = u16::from_be_bytes([high, low]);
                if !self.bind_ports.contains(&port) {
                    return Ok(NotifAction::Errno(libc::EACCES));
                }
            }
            // Netlink addresses are port ids and multicast groups; the
            // kernel checks the groups against the caller's capabilities,
            // which are the child's for the call below.
            SocketKind::Netlink => {}
            // Pathname binds are Landlock's (make-socket right); abstract
            // names are the host's, which the option accepts.
            SocketKind::Other if self.allow_unix => return Ok(NotifAction::Continue),
            // A socket-pair end: a name would be one in the host's namespace.
            SocketKind::Other => return Ok(NotifAction::Errno(libc::EACCES)),
        }
        // libc's bind, not nix's: the kernel gets the child's address bytes
        // as they are (nix wants a typed address).
        let action = result(crate::caps::with_effective(self.child_caps, || {
            // SAFETY: `socket` is a borrowed, so open, fd for the call; `addr`
            // holds `len` initialised bytes, all the kernel reads.
            unsafe { libc::bind(socket.as_raw_fd(), addr.as_ptr().cast(), len as libc::socklen_t) }
        }));
        if let (SocketKind::Tcp(_), NotifAction::ReturnValue(0), Ok(cookie)) = (kind, &action, cookie(socket.as_fd())) {
            self.bound.lock().unwrap_or_else(|e| e.into_inner()).insert(cookie);
        }
        Ok(action)
    }

    fn listen(&self, ctx: &HandlerCtx<'_>) -> HandlerResult {
        match ctx.child_socket(ctx.args()[0] as i32) {
            Ok(socket) => self.listen_on(&socket, ctx.args()[1] as i32),
            Err(e) => Ok(errno_of(&e)),
        }
    }

    /// True when `socket` may listen: not TCP, or bound here to a granted port.
    pub(crate) fn may_listen(&self, socket: &OwnedFd) -> bool {
        match SocketKind::of(socket.as_fd()) {
            Ok(SocketKind::Tcp(_)) => cookie(socket.as_fd())
                .is_ok_and(|cookie| self.bound.lock().unwrap_or_else(|e| e.into_inner()).cookies.contains(&cookie)),
            Ok(_) => true,
            Err(_) => false,
        }
    }

    /// `listen` on `socket`, the child's own (taken by the caller).
    pub(crate) fn listen_on(&self, socket: &OwnedFd, backlog: i32) -> HandlerResult {
        if !self.may_listen(socket) {
            // Not bound to a granted port: listen would take one no rule granted.
            return Ok(NotifAction::Errno(libc::EACCES));
        }
        Ok(result(crate::caps::with_effective(self.child_caps, || {
            // SAFETY: `socket` is a borrowed, so open, fd for the call; listen
            // takes integers and touches no memory of ours.
            unsafe { libc::listen(socket.as_raw_fd(), backlog) }
        })))
    }
}

impl Handler for NetGuard {
    fn handle(&self, ctx: &HandlerCtx<'_>) -> HandlerResult {
        if ctx.syscall_nr() as u32 == self.bind_nr {
            self.bind(ctx)
        } else {
            self.listen(ctx)
        }
    }

    fn exception_policy(&self) -> ExceptionPolicy {
        ExceptionPolicy::DenyEperm
    }
}

/// The address of the `bind` in `ctx`, copied once.
pub(crate) fn read_address(ctx: &HandlerCtx<'_>) -> Result<Vec<u8>, i32> {
    let args = ctx.args();
    let len = args[2] as u32 as usize;
    if !(2..=MAX_ADDR).contains(&len) {
        return Err(libc::EINVAL);
    }
    let mut addr = vec![0u8; len];
    ctx.read_mem(args[1], &mut addr).map_err(|_| libc::EFAULT)?;
    Ok(addr)
}

/// What the guard needs to know about a socket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SocketKind {
    /// TCP over this address family.
    Tcp(i32),
    Netlink,
    Other,
}

impl SocketKind {
    fn of(socket: BorrowedFd<'_>) -> Result<SocketKind, i32> {
        let domain = sockaddr::int_option(socket, libc::SO_DOMAIN)?;
        Ok(match domain {
            libc::AF_INET | libc::AF_INET6
                if sockaddr::int_option(socket, libc::SO_TYPE)? == libc::SOCK_STREAM
                    && sockaddr::int_option(socket, libc::SO_PROTOCOL)? == libc::IPPROTO_TCP =>
            {
                SocketKind::Tcp(domain)
            }
            libc::AF_NETLINK => SocketKind::Netlink,
            _ => SocketKind::Other,
        })
    }
}

/// The family, address and port a socket is bound to (the address and
/// port for IPv4 and IPv6 only).
pub(crate) fn local_address(socket: &OwnedFd) -> (i32, Option<IpAddr>, Option<u16>) {
    let mut addr = [0u8; MAX_ADDR];
    let mut len = MAX_ADDR as libc::socklen_t;
    // SAFETY: `addr` has room for `len` bytes, which the kernel updates.
    if unsafe { libc::getsockname(socket.as_raw_fd(), addr.as_mut_ptr().cast(), &mut len) } < 0 {
        return (libc::AF_UNSPEC, None, None);
    }
    crate::sockaddr::decode(&addr[..(len as usize).min(MAX_ADDR)])
}

/// The socket's `SO_COOKIE`: the kernel's id of it, never reused.
fn cookie(socket: BorrowedFd<'_>) -> Result<u64, i32> {
    let mut cookie = 0u64;
    let mut len = std::mem::size_of::<u64>() as libc::socklen_t;
    // SAFETY: `cookie` has room for the `len` bytes the kernel writes.
    let rc = unsafe {
        libc::getsockopt(
            socket.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_COOKIE,
            (&mut cookie as *mut u64).cast(),
            &mut len,
        )
    };
    if rc < 0 {
        return Err(last_errno());
    }
    Ok(cookie)
}

fn last_errno() -> i32 {
    std::io::Error::last_os_error().raw_os_error().unwrap_or(libc::EIO)
}

fn errno_of(error: &std::io::Error) -> NotifAction {
    NotifAction::Errno(error.raw_os_error().unwrap_or(libc::EBADF))
}

/// The child's answer for a call made here: 0, or the errno it failed with
/// (EPERM when the call could not be made with the child's capabilities).
fn result(rc: Result<libc::c_int, i32>) -> NotifAction {
    match rc {
        Ok(rc) if rc < 0 => NotifAction::Errno(last_errno()),
        Ok(_) => NotifAction::ReturnValue(0),
        Err(_) => NotifAction::Errno(libc::EPERM),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bound_sockets_remembered_are_the_latest() {
        let mut bound = Bound::default();
        for cookie in 0..(MAX_BOUND as u64 + 1000) {
            bound.insert(cookie);
        }
        bound.insert(MAX_BOUND as u64 + 999);
        assert_eq!(bound.cookies.len(), MAX_BOUND);
        assert_eq!(bound.order.len(), MAX_BOUND);
        assert!(!bound.cookies.contains(&999));
        assert!(bound.cookies.contains(&1000));
        assert!(bound.cookies.contains(&(MAX_BOUND as u64 + 999)));
    }
}
