//! The handler API: the handler traits and what a handler sees of a trapped
//! syscall ([`HandlerCtx`]). What it may answer and what happens when it
//! fails are plain data, in `notif`; the right to answer later is in
//! `deferred`, the one part that needs the responder.

use std::future::Future;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd, RawFd};
use std::pin::Pin;
use std::sync::Arc;

use crate::mem::{ChildMemory, MemoryError};
use crate::notif::{Bounds, ExceptionPolicy, NotifAction, Notification};
use crate::seccomp::listener::Listener;

/// Any error a handler returns; it selects the handler's exception policy.
pub type HandlerError = Box<dyn std::error::Error + Send + Sync + 'static>;
pub type HandlerResult = Result<NotifAction, HandlerError>;

/// A synchronous handler. It runs inline on the supervisor's receiving
/// thread, so it must not block for long; several notifications may be
/// handled concurrently, so it must be thread-safe.
pub trait Handler: Send + Sync + 'static {
    fn handle(&self, ctx: &HandlerCtx<'_>) -> HandlerResult;

    fn exception_policy(&self) -> ExceptionPolicy {
        ExceptionPolicy::Kill
    }

    /// The errno this handler answers every call with, whatever its
    /// arguments and memory, if it does. When it is the first of its
    /// syscall's chain, the filter then answers the syscall itself
    /// (`SECCOMP_RET_ERRNO`): no round trip, and `handle` is never called.
    fn fixed_errno(&self) -> Option<i32> {
        None
    }
}

impl<F> Handler for F
where
    F: Fn(&HandlerCtx<'_>) -> HandlerResult + Send + Sync + 'static,
{
    fn handle(&self, ctx: &HandlerCtx<'_>) -> HandlerResult {
        self(ctx)
    }
}

/// Boxed future returned by an [`AsyncHandler`].
pub type HandlerFuture<'a> = Pin<Box<dyn Future<Output = HandlerResult> + Send + 'a>>;

/// A handler that awaits. The supervisor drives it on the tokio runtime
/// given at registration, from the receiving thread; prefer [`Handler`]
/// unless the handler really waits on I/O.
pub trait AsyncHandler: Send + Sync + 'static {
    fn handle<'a>(&'a self, ctx: &'a HandlerCtx<'a>) -> HandlerFuture<'a>;

    fn exception_policy(&self) -> ExceptionPolicy {
        ExceptionPolicy::Kill
    }
}

pub(crate) struct AsyncAdapter<H> {
    pub(crate) handler: H,
    pub(crate) runtime: tokio::runtime::Handle,
}

impl<H: AsyncHandler> Handler for AsyncAdapter<H> {
    fn handle(&self, ctx: &HandlerCtx<'_>) -> HandlerResult {
        self.runtime.block_on(self.handler.handle(ctx))
    }

    fn exception_policy(&self) -> ExceptionPolicy {
        self.handler.exception_policy()
    }
}

/// A handler with an exception policy chosen at registration.
pub(crate) struct WithPolicy<H> {
    pub(crate) handler: H,
    pub(crate) policy: ExceptionPolicy,
}

impl<H: Handler> Handler for WithPolicy<H> {
    fn handle(&self, ctx: &HandlerCtx<'_>) -> HandlerResult {
        self.handler.handle(ctx)
    }

    fn exception_policy(&self) -> ExceptionPolicy {
        self.policy
    }

    fn fixed_errno(&self) -> Option<i32> {
        self.handler.fixed_errno()
    }
}

/// What a handler sees of one trapped syscall. It lives only for the
/// duration of the handler call.
pub struct HandlerCtx<'a> {
    pub(crate) notif: &'a Notification,
    pub(crate) listener: &'a Arc<Listener>,
    pub(crate) bounds: &'a Bounds,
}

impl<'a> HandlerCtx<'a> {
    pub fn notification(&self) -> &Notification {
        self.notif
    }

    pub fn id(&self) -> u64 {
        self.notif.id
    }

    pub fn pid(&self) -> u32 {
        self.notif.pid
    }

    pub fn syscall_nr(&self) -> i32 {
        self.notif.syscall_nr
    }

    pub fn arch(&self) -> u32 {
        self.notif.arch
    }

    pub fn instruction_pointer(&self) -> u64 {
        self.notif.instruction_pointer
    }

    pub fn args(&self) -> &[u64; 6] {
        &self.notif.args
    }

    /// Process group of the sandbox (the first child's pid).
    pub fn sandbox_pgid(&self) -> i32 {
        self.bounds.group.pgid()
    }

    /// The seccomp listener, for advanced use (e.g. `SECCOMP_IOCTL_NOTIF_ADDFD`
    /// without `SEND`). Do not close it or answer through it directly; use
    /// the returned action or [`HandlerCtx::defer`].
    pub fn listener_fd(&self) -> BorrowedFd<'_> {
        self.listener.as_fd()
    }

    /// True for a descriptor of the sandbox itself, which a handler must
    /// never inject or close: the listener, and the policy's Landlock
    /// ruleset (kept open for every run; a child holding it could add rules
    /// that later runs would apply).
    pub fn is_sandbox_fd(&self, fd: RawFd) -> bool {
        fd >= 0 && (fd == self.listener.raw() || fd == self.bounds.ruleset)
    }

    /// True while the child still waits on this notification.
    pub fn is_valid(&self) -> bool {
        self.listener.id_valid(self.notif.id)
    }

    /// A copy of the trapped task's file descriptor `fd`, taken with
    /// `pidfd_getfd`: the same open file or socket, which the child cannot
    /// swap for another while the handler acts on it (as it can swap what
    /// the number `fd` means, or memory the kernel would read again after
    /// `Continue`). Close-on-exec; closing it does not affect the child.
    pub fn child_fd(&self, fd: i32) -> std::io::Result<OwnedFd> {
        let pidfd = crate::pidfd::open_task(self.notif.pid)?;
        // The task was still waiting after its pidfd was opened: the pidfd
        // names it, not a task that reused its id.
        if !self.is_valid() {
            return Err(std::io::Error::from_raw_os_error(libc::ESRCH));
        }
        crate::pidfd::get_fd(&pidfd, fd)
    }

    /// [`HandlerCtx::child_fd`] for a socket the supervisor acts on: the
    /// copy never lingers when its drop is the socket's last close.
    pub(crate) fn child_socket(&self, fd: i32) -> std::io::Result<crate::child_socket::ChildSocket> {
        self.child_fd(fd).map(Into::into)
    }

    pub(crate) fn memory(&self) -> ChildMemory<'_> {
        ChildMemory::new(self.listener, self.notif.id, self.notif.pid)
    }

    /// Read child memory at `addr` into `buf`, entirely or not at all.
    pub fn read_mem(&self, addr: u64, buf: &mut [u8]) -> Result<(), MemoryError> {
        self.memory().read(addr, buf)
    }

    /// Write `data` into child memory at `addr`.
    pub fn write_mem(&self, addr: u64, data: &[u8]) -> Result<(), MemoryError> {
        self.memory().write(addr, data)
    }

    /// Read a NUL-terminated string of at most `max_len` bytes (without the
    /// NUL) at `addr`.
    pub fn read_cstr_bytes(&self, addr: u64, max_len: usize) -> Result<Vec<u8>, MemoryError> {
        self.memory().read_cstr(addr, max_len)
    }

    /// [`HandlerCtx::read_cstr_bytes`] as UTF-8; other bytes are an error,
    /// never replaced, so that two paths never compare equal by accident.
    pub fn read_cstr(&self, addr: u64, max_len: usize) -> Result<String, MemoryError> {
        String::from_utf8(self.read_cstr_bytes(addr, max_len)?).map_err(|_| MemoryError::NotUtf8 { addr })
    }
}
