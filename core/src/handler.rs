//! The handler API: what a handler sees of a trapped syscall ([`HandlerCtx`]),
//! what it may answer ([`NotifAction`]), and what happens when it fails
//! ([`ExceptionPolicy`]).

use std::future::Future;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::pin::Pin;
use std::sync::Arc;

use crate::mem::{ChildMemory, MemoryError};
use crate::seccomp::listener::Listener;

/// The kernel's notification, copied out of `struct seccomp_notif`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Notification {
    pub id: u64,
    pub pid: u32,
    pub flags: u32,
    pub syscall_nr: i32,
    pub arch: u32,
    pub instruction_pointer: u64,
    pub args: [u64; 6],
}

/// The answer to a trapped syscall.
#[derive(Debug)]
pub enum NotifAction {
    /// Let the kernel run the syscall as the child asked. Landlock and the
    /// rest of the filter still apply; use it for auditing, never to grant.
    Continue,
    /// Fail the syscall with this errno (a positive value such as `EACCES`).
    Errno(i32),
    /// Skip the syscall and make it return this value.
    ReturnValue(i64),
    /// Send nothing now. The child stays blocked in the syscall until a
    /// [`DeferredReply`] taken with [`HandlerCtx::defer`] answers it, or until
    /// the sandbox ends (timeout, kill or exit), whichever comes first.
    Hold,
    /// Send `signal` to process group `pgid` of the sandbox, then fail the
    /// syscall with `EPERM`. `pgid` 0 means the notifying process's group.
    /// The supervisor refuses any group that is not the sandbox's own.
    Kill { signal: i32, pgid: i32 },
    /// Install `srcfd` in the child as the syscall's result (a new fd number);
    /// `newfd_flags` may be `O_CLOEXEC`. The fd is closed in the supervisor
    /// whether or not it was sent.
    InjectFdSend { srcfd: OwnedFd, newfd_flags: u32 },
}

impl NotifAction {
    /// An action that answers the syscall with a new read-only fd whose
    /// content is `data` (a sealed memfd): a virtual file.
    pub fn inject_bytes(data: &[u8], flags: InjectFlags) -> std::io::Result<NotifAction> {
        let fd = crate::memfd::sealed_memfd(data, flags.writable)?;
        let newfd_flags = if flags.cloexec { libc::O_CLOEXEC as u32 } else { 0 };
        Ok(NotifAction::InjectFdSend { srcfd: fd, newfd_flags })
    }
}

/// Options of [`NotifAction::inject_bytes`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InjectFlags {
    /// The fd is opened read-write (the content is still sealed against growth).
    pub writable: bool,
    /// The child's fd is close-on-exec.
    pub cloexec: bool,
}

impl Default for InjectFlags {
    fn default() -> Self {
        InjectFlags { writable: false, cloexec: true }
    }
}

/// What the supervisor answers when a handler fails (returns an error or
/// panics). The numeric values are part of the C ABI.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[repr(u32)]
pub enum ExceptionPolicy {
    /// Kill the sandbox's process group (fail closed). The default.
    #[default]
    Kill = 0,
    /// Fail the syscall with `EPERM`.
    DenyEperm = 1,
    /// Let the syscall run.
    Continue = 2,
    /// Fail the syscall with `EIO`.
    DenyEio = 3,
}

impl ExceptionPolicy {
    pub fn from_u32(value: u32) -> Option<ExceptionPolicy> {
        match value {
            0 => Some(ExceptionPolicy::Kill),
            1 => Some(ExceptionPolicy::DenyEperm),
            2 => Some(ExceptionPolicy::Continue),
            3 => Some(ExceptionPolicy::DenyEio),
            _ => None,
        }
    }
}

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
}

/// What a handler sees of one trapped syscall. It lives only for the
/// duration of the handler call.
pub struct HandlerCtx<'a> {
    pub(crate) notif: &'a Notification,
    pub(crate) listener: &'a Arc<Listener>,
    pub(crate) sandbox_pgid: i32,
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
        self.sandbox_pgid
    }

    /// The seccomp listener, for advanced use (e.g. `SECCOMP_IOCTL_NOTIF_ADDFD`
    /// without `SEND`). Do not close it or answer through it directly; use
    /// the returned action or [`HandlerCtx::defer`].
    pub fn listener_fd(&self) -> BorrowedFd<'_> {
        self.listener.as_fd()
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

    fn memory(&self) -> ChildMemory<'_> {
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

    /// Take the right to answer this notification later; return
    /// [`NotifAction::Hold`] from the handler to make use of it.
    pub fn defer(&self) -> DeferredReply {
        DeferredReply { listener: Arc::clone(self.listener), notif: *self.notif, sandbox_pgid: self.sandbox_pgid }
    }
}

/// The right to answer a held notification from any thread.
pub struct DeferredReply {
    listener: Arc<Listener>,
    notif: Notification,
    sandbox_pgid: i32,
}

impl DeferredReply {
    pub fn id(&self) -> u64 {
        self.notif.id
    }

    /// Answer the held syscall. An action that cannot be carried out (a
    /// refused kill target, an invalid fd) answers `EPERM`. Returns false when
    /// the child no longer waits on it.
    pub fn reply(self, action: NotifAction) -> bool {
        let action = match action {
            NotifAction::Hold => return true,
            other => other,
        };
        crate::seccomp::respond::respond(
            &self.listener,
            &self.notif,
            self.sandbox_pgid,
            action,
            ExceptionPolicy::DenyEperm,
        )
        .answered
    }
}
