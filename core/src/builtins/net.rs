//! `bind` and `listen` on the child's behalf, when a policy lets the child
//! bind something. Landlock checks TCP ports, but `listen` on an unbound
//! socket binds a port with no check, and a socket-pair end may `bind` a
//! name in the host's abstract UNIX namespace. Answering `Continue` after
//! looking would race: another thread could swap the fd or the address
//! before the kernel reads them again. So this built-in takes the child's
//! socket itself (`pidfd_getfd`), reads the address once, decides, and makes
//! the call on that socket with its own copy of the address, with the
//! capabilities the child would have.

use std::net::IpAddr;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};

use nix::sys::socket::{getsockname, SockaddrStorage};

use crate::handler::{Handler, HandlerCtx, HandlerResult};
use crate::notif::{ExceptionPolicy, NotifAction};
use crate::policy::Policy;
use crate::sockaddr::{self, MAX_ADDR};

pub(crate) struct NetGuard {
    /// TCP ports the policy lets the child bind.
    bind_ports: Vec<u16>,
    /// Capabilities the child keeps, for the calls made on its behalf.
    child_caps: u64,
    bind_nr: u32,
}

impl NetGuard {
    pub(crate) fn for_policy(policy: &Policy) -> NetGuard {
        NetGuard {
            bind_ports: policy.net_bind_tcp.clone(),
            child_caps: crate::caps::mask(&policy.keep_capabilities),
            bind_nr: libc::SYS_bind as u32,
        }
    }

    fn bind(&self, ctx: &HandlerCtx<'_>) -> HandlerResult {
        match read_address(ctx) {
            Ok(addr) => self.bind_with(ctx, &addr),
            Err(errno) => Ok(NotifAction::Errno(errno)),
        }
    }

    /// The `bind` in `ctx`, with the address already copied from the child
    /// (by `policy_fn`, which showed it to its callback).
    pub(crate) fn bind_with(&self, ctx: &HandlerCtx<'_>, addr: &[u8]) -> HandlerResult {
        let args = ctx.args();
        let len = addr.len();
        if !(2..=MAX_ADDR).contains(&len) {
            return Ok(NotifAction::Errno(libc::EINVAL));
        }
        let socket = match ctx.child_fd(args[0] as i32) {
            Ok(socket) => socket,
            Err(e) => return Ok(errno_of(&e)),
        };
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
            // A socket-pair end: a name would be one in the host's namespace.
            SocketKind::Other => return Ok(NotifAction::Errno(libc::EACCES)),
        }
        // libc's bind, not nix's: the kernel gets the child's address bytes
        // as they are (nix wants a typed address).
        Ok(result(crate::caps::with_effective(self.child_caps, || {
            // SAFETY: `socket` is a borrowed, so open, fd for the call; `addr`
            // holds `len` initialised bytes, all the kernel reads.
            unsafe { libc::bind(socket.as_raw_fd(), addr.as_ptr().cast(), len as libc::socklen_t) }
        })))
    }

    fn listen(&self, ctx: &HandlerCtx<'_>) -> HandlerResult {
        match ctx.child_fd(ctx.args()[0] as i32) {
            Ok(socket) => self.listen_on(&socket, ctx.args()[1] as i32),
            Err(e) => Ok(errno_of(&e)),
        }
    }

    /// `listen` on `socket`, the child's own (taken by the caller).
    pub(crate) fn listen_on(&self, socket: &OwnedFd, backlog: i32) -> HandlerResult {
        if let Ok(SocketKind::Tcp(_)) = SocketKind::of(socket.as_fd()) {
            match local_port(socket.as_fd()) {
                // Unbound: listen would pick a port no rule granted.
                Ok(0) => return Ok(NotifAction::Errno(libc::EACCES)),
                Ok(_) => {}
                Err(errno) => return Ok(NotifAction::Errno(errno)),
            }
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

/// The bound port of an IPv4 or IPv6 socket (0 when unbound).
fn local_port(socket: BorrowedFd<'_>) -> Result<u16, i32> {
    let addr: SockaddrStorage = getsockname(socket.as_raw_fd()).map_err(|e| e as i32)?;
    let port = addr.as_sockaddr_in().map(|a| a.port()).or_else(|| addr.as_sockaddr_in6().map(|a| a.port()));
    Ok(port.unwrap_or(0))
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
