//! `connect` made race-free: the supervisor takes the child's socket
//! (`pidfd_getfd`) and reads the address once; after the decision it makes
//! the connect itself on that socket with its own copy, so the kernel never
//! reads the child's address again. Landlock does not check a connect the
//! supervisor makes, so the policy's TCP ports are checked here as Landlock
//! would. A connect that would block is finished on a thread of its own,
//! at most `waits::MAX_WAITS` at once.

use std::net::IpAddr;
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::child_socket::ChildSocket;
use crate::deferred::DeferredReply;
use crate::handler::HandlerCtx;
use crate::notif::NotifAction;
use crate::policy_fn::waits::{Wait, Waits};
use crate::sockaddr::{self, MAX_ADDR};

/// How often a connect in progress checks that the child still waits.
const POLL_SLICE: Duration = Duration::from_millis(100);

/// A connect the child asked for, with what the supervisor copied of it.
pub(crate) struct Request {
    socket: ChildSocket,
    addr: Vec<u8>,
    /// The socket is TCP over IPv4 or IPv6 (the only kind made here).
    pub tcp: bool,
    pub family: i32,
    pub ip: Option<IpAddr>,
    pub port: Option<u16>,
}

impl Request {
    /// Copy the socket and the address of the `connect` in `ctx`.
    pub(crate) fn take(ctx: &HandlerCtx<'_>) -> Result<Request, i32> {
        let args = ctx.args();
        let len = args[2] as u32 as usize;
        if len > MAX_ADDR {
            return Err(libc::EINVAL);
        }
        let mut addr = vec![0u8; len];
        ctx.read_mem(args[1], &mut addr).map_err(|_| libc::EFAULT)?;
        let socket = ctx.child_socket(args[0] as i32).map_err(|e| e.raw_os_error().unwrap_or(libc::EBADF))?;
        let domain = sockaddr::int_option(socket.as_fd(), libc::SO_DOMAIN)?;
        let tcp = matches!(domain, libc::AF_INET | libc::AF_INET6)
            && sockaddr::int_option(socket.as_fd(), libc::SO_TYPE)? == libc::SOCK_STREAM
            && sockaddr::int_option(socket.as_fd(), libc::SO_PROTOCOL)? == libc::IPPROTO_TCP;
        let (family, ip, port) = sockaddr::decode(&addr);
        Ok(Request { socket, addr, tcp, family, ip, port })
    }

    /// Make the connect and answer the child through `reply`. A connect
    /// that completes (or fails) at once is answered here; one in progress
    /// on a blocking socket is waited for on a thread, counted in `waits`
    /// (with none left, the connect fails with `EAGAIN` before it starts).
    pub(crate) fn perform(self, reply: DeferredReply, waits: &Waits) {
        let Some(wait) = waits.start() else {
            reply.reply(NotifAction::Errno(libc::EAGAIN));
            return;
        };
        match self.start() {
            Started::Done(action) => {
                reply.reply(action);
            }
            Started::InProgress(deadline) => {
                let work = Arc::new(Mutex::new(Some((self, reply))));
                let theirs = Arc::clone(&work);
                let spawned = std::thread::Builder::new().name("sandlock-connect".into()).spawn(move || {
                    let _wait: Wait = wait;
                    if let Some((request, reply)) = take(&theirs) {
                        request.finish_and_reply(deadline, reply);
                    }
                });
                // Without a thread, the wait happens here rather than never.
                if spawned.is_err() {
                    if let Some((request, reply)) = take(&work) {
                        request.finish_and_reply(deadline, reply);
                    }
                }
            }
        }
    }

    fn finish_and_reply(self, deadline: Option<Instant>, reply: DeferredReply) {
        if let Some(action) = self.finish(deadline, &reply) {
            reply.reply(action);
        }
    }

    /// Start the connect without blocking; a blocking socket is made
    /// non-blocking only for the call (the child is inside `connect` on it).
    fn start(&self) -> Started {
        let fd = self.socket.as_raw_fd();
        // SAFETY: F_GETFL reads the flags of an fd we own.
        let flags = unsafe { libc::fcntl(fd, libc::F_GETFL) };
        if flags < 0 {
            return Started::Done(NotifAction::Errno(last_errno()));
        }
        let blocking = flags & libc::O_NONBLOCK == 0;
        if blocking {
            // SAFETY: F_SETFL with the flags just read plus O_NONBLOCK.
            unsafe { libc::fcntl(fd, libc::F_SETFL, flags | libc::O_NONBLOCK) };
        }
        // SAFETY: `addr` holds the bytes copied from the child, all of
        // which the kernel reads; the socket is open.
        let rc = unsafe { libc::connect(fd, self.addr.as_ptr().cast(), self.addr.len() as libc::socklen_t) };
        let errno = if rc < 0 { last_errno() } else { 0 };
        if blocking {
            // SAFETY: F_SETFL restores the flags read above.
            unsafe { libc::fcntl(fd, libc::F_SETFL, flags) };
        }
        match errno {
            0 => Started::Done(NotifAction::ReturnValue(0)),
            libc::EINPROGRESS if blocking => {
                // A send timeout past what the clock holds is none.
                Started::InProgress(send_timeout(&self.socket).and_then(|t| Instant::now().checked_add(t)))
            }
            e => Started::Done(NotifAction::Errno(e)),
        }
    }

    /// Wait for a connect in progress as a blocking `connect` would: until
    /// it completes, fails, or the socket's send timeout passes
    /// (`EINPROGRESS`). `None` when the child stopped waiting.
    fn finish(&self, deadline: Option<Instant>, reply: &DeferredReply) -> Option<NotifAction> {
        loop {
            let mut slice = POLL_SLICE;
            if let Some(deadline) = deadline {
                let left = deadline.saturating_duration_since(Instant::now());
                if left.is_zero() {
                    return Some(NotifAction::Errno(libc::EINPROGRESS));
                }
                slice = slice.min(left);
            }
            let mut poll = libc::pollfd { fd: self.socket.as_raw_fd(), events: libc::POLLOUT, revents: 0 };
            // SAFETY: one pollfd, valid for the call.
            let rc = unsafe { libc::poll(&mut poll, 1, slice.as_millis() as libc::c_int) };
            if rc > 0 {
                return Some(match sockaddr::int_option(self.socket.as_fd(), libc::SO_ERROR) {
                    Ok(0) => NotifAction::ReturnValue(0),
                    Ok(e) | Err(e) => NotifAction::Errno(e),
                });
            }
            if rc < 0 && last_errno() != libc::EINTR {
                return Some(NotifAction::Errno(last_errno()));
            }
            if !reply.is_valid() {
                return None;
            }
        }
    }
}

type Work = Arc<Mutex<Option<(Request, DeferredReply)>>>;

fn take(work: &Work) -> Option<(Request, DeferredReply)> {
    work.lock().unwrap_or_else(|e| e.into_inner()).take()
}

enum Started {
    Done(NotifAction),
    /// A blocking connect goes on; its send timeout ends it at this time.
    InProgress(Option<Instant>),
}

/// The socket's `SO_SNDTIMEO`, which bounds a blocking connect.
fn send_timeout(socket: &OwnedFd) -> Option<Duration> {
    let mut tv = libc::timeval { tv_sec: 0, tv_usec: 0 };
    let mut len = std::mem::size_of::<libc::timeval>() as libc::socklen_t;
    // SAFETY: `tv` and `len` are valid for writes of the sizes given.
    let rc = unsafe {
        libc::getsockopt(
            socket.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_SNDTIMEO,
            (&mut tv as *mut libc::timeval).cast(),
            &mut len,
        )
    };
    let timeout = Duration::from_secs(tv.tv_sec as u64) + Duration::from_micros(tv.tv_usec as u64);
    (rc == 0 && !timeout.is_zero()).then_some(timeout)
}

fn last_errno() -> i32 {
    std::io::Error::last_os_error().raw_os_error().unwrap_or(libc::EIO)
}
