//! Turning a [`NotifAction`] into the kernel's answer, failing closed: a kill
//! that could reach outside the sandbox is never sent, and an fd to inject is
//! checked and closed on every path.

use std::os::fd::{AsFd, AsRawFd, IntoRawFd, RawFd};

use nix::unistd::{getpgid, getpgrp, Pid};

use crate::notif::{Bounds, ExceptionPolicy, NotifAction, Notification};
use crate::seccomp::listener::Listener;

/// The action an exception policy stands for.
pub(crate) fn exception_action(policy: ExceptionPolicy) -> NotifAction {
    match policy {
        ExceptionPolicy::Kill => NotifAction::Kill { signal: libc::SIGKILL, pgid: 0 },
        ExceptionPolicy::DenyEperm => NotifAction::Errno(libc::EPERM),
        ExceptionPolicy::Continue => NotifAction::Continue,
        ExceptionPolicy::DenyEio => NotifAction::Errno(libc::EIO),
    }
}

/// Why an action could not be carried out as asked.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Refused {
    KillTarget,
    InjectFd,
    Errno,
}

/// The process group a kill may target, or `None` when it could reach the
/// supervisor or anything outside the sandbox.
pub(crate) fn kill_target(notif_pid: u32, requested_pgid: i32, sandbox_pgid: i32) -> Option<i32> {
    let pid = i32::try_from(notif_pid).ok().filter(|&p| p > 0)?;
    let target = if requested_pgid == 0 {
        getpgid(Some(Pid::from_raw(pid))).ok().map(Pid::as_raw).filter(|&pgid| pgid > 0)?
    } else {
        requested_pgid
    };
    let own = getpgrp().as_raw();
    (target > 0 && target != own && target == sandbox_pgid).then_some(target)
}

/// Check an action before it is sent; a refused action has already released
/// what it owned (without closing fds it must not close).
pub(crate) fn validate(
    listener: &Listener,
    notif: &Notification,
    bounds: &Bounds,
    action: NotifAction,
) -> Result<NotifAction, Refused> {
    match action {
        NotifAction::Kill { signal, pgid } => {
            // A stop signal ends nothing: the group would wait stopped, and
            // the run with it (for good without a timeout).
            let stops = [libc::SIGSTOP, libc::SIGTSTP, libc::SIGTTIN, libc::SIGTTOU];
            if !(1..=64).contains(&signal) || stops.contains(&signal) {
                return Err(Refused::KillTarget);
            }
            match kill_target(notif.pid, pgid, bounds.group.pgid()) {
                Some(target) => Ok(NotifAction::Kill { signal, pgid: target }),
                None => Err(Refused::KillTarget),
            }
        }
        NotifAction::InjectFdSend { srcfd, newfd_flags } => {
            let raw = srcfd.as_raw_fd();
            if raw < 3 || raw == listener.raw() || raw == bounds.ruleset {
                // Not ours to close: it is stdio, the listener or the ruleset.
                let _ = srcfd.into_raw_fd();
                return Err(Refused::InjectFd);
            }
            if is_confinement(raw, &[listener.raw(), bounds.ruleset]) {
                // A copy of one (closed here, as the action owns it).
                return Err(Refused::InjectFd);
            }
            if newfd_flags & !(libc::O_CLOEXEC as u32) != 0 {
                return Err(Refused::InjectFd);
            }
            Ok(NotifAction::InjectFdSend { srcfd, newfd_flags })
        }
        NotifAction::Errno(e) if e <= 0 || e > 4095 => Err(Refused::Errno),
        other => Ok(other),
    }
}

/// True when `fd` is a file that confines a sandbox: a copy of one of
/// `own` (the listener, the ruleset), any seccomp listener or Landlock
/// ruleset, or a `/proc` file of the supervisor. With a listener the child
/// could answer its own calls, with a ruleset add rules that later runs of
/// a policy apply, with `/proc/<supervisor>/mem` rewrite the supervisor; a
/// copy has another number than the original, so the number alone does not
/// tell. What an fd leads to (a socket with a listener queued on it) no
/// check can see: a handler hands over only fds it made for the purpose.
fn is_confinement(fd: RawFd, own: &[RawFd]) -> bool {
    const KCMP_FILE: libc::c_int = 0;
    // SAFETY: getpid has no memory effects.
    let me = unsafe { libc::getpid() };
    let same_file = |other: RawFd| {
        // SAFETY: kcmp takes integers and compares two of our own fds.
        other >= 0 && unsafe { libc::syscall(libc::SYS_kcmp, me, me, KCMP_FILE, fd, other) } == 0
    };
    if own.iter().any(|&other| same_file(other)) {
        return true;
    }
    let Ok(kind) = std::fs::read_link(format!("/proc/self/fd/{fd}")) else { return false };
    let Some(kind) = kind.to_str() else { return false };
    matches!(kind, "anon_inode:seccomp notify" | "anon_inode:[landlock-ruleset]") || is_supervisors_proc_file(kind, me)
}

/// True for a `/proc` file of this process or one of its threads (`mem`,
/// `environ`, `fd/`...): the child would read and write the supervisor.
fn is_supervisors_proc_file(link: &str, me: libc::pid_t) -> bool {
    let Some(id) = link.strip_prefix("/proc/").and_then(|rest| rest.split('/').next()) else { return false };
    id.parse::<u32>().is_ok_and(|id| crate::procs::tgid_of(id) == Some(me as u32))
}

/// What answering a notification did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Response {
    /// The child still waited and got the answer.
    pub answered: bool,
    /// The signal a kill sent the sandbox's group, if it was sent one.
    pub killed: Option<i32>,
}

/// Send `action` (or, if refused, `fallback`'s action, which itself degrades
/// to `EPERM`).
pub(crate) fn respond(
    listener: &Listener,
    notif: &Notification,
    bounds: &Bounds,
    action: NotifAction,
    fallback: ExceptionPolicy,
) -> Response {
    let action = match validate(listener, notif, bounds, action) {
        Ok(action) => action,
        Err(_) => match validate(listener, notif, bounds, exception_action(fallback)) {
            Ok(action) => action,
            Err(_) => NotifAction::Errno(libc::EPERM),
        },
    };
    send_validated(listener, notif, bounds, action)
}

fn send_validated(listener: &Listener, notif: &Notification, bounds: &Bounds, action: NotifAction) -> Response {
    let id = notif.id;
    let mut killed = None;
    let sent = match action {
        NotifAction::Continue => listener.send(id, 0, 0, libc::SECCOMP_USER_NOTIF_FLAG_CONTINUE as u32),
        NotifAction::Errno(e) => listener.send(id, 0, -e, 0),
        NotifAction::ReturnValue(v) => listener.send(id, v, 0, 0),
        NotifAction::Hold => return Response { answered: true, killed },
        NotifAction::Kill { signal, pgid } => {
            // `pgid` was checked to be the sandbox's group, but an answer
            // may come after the run, when that id is someone else's.
            // Any signal: a handler may end the sandbox with SIGTERM or
            // SIGUSR2 as well as with SIGKILL, and the run must still say it
            // was the handler.
            killed = bounds.group.while_held(|held| {
                debug_assert_eq!(held, pgid);
                // libc's, not nix's: nix's `Signal` has no real-time signals.
                // SAFETY: killpg takes two integers and touches no memory of
                // ours; `while_held` vouches the group is still the sandbox's.
                unsafe { libc::killpg(held, signal) };
                signal
            });
            listener.send(id, 0, -libc::EPERM, 0)
        }
        NotifAction::InjectFdSend { srcfd, newfd_flags } => {
            // `srcfd` is dropped (closed) at the end of this arm either way.
            match listener.addfd_send(id, srcfd.as_fd(), newfd_flags) {
                Ok(_) => Ok(()),
                Err(e) => listener.send(id, 0, -e.raw_os_error().unwrap_or(libc::EBADF), 0),
            }
        }
    };
    Response { answered: sent.is_ok(), killed }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kill_never_targets_nonpositive_pids() {
        assert_eq!(kill_target(0, 0, 12345), None);
        assert_eq!(kill_target(u32::MAX, 0, 12345), None);
    }

    #[test]
    fn kill_never_targets_the_supervisor_group() {
        let (own_group, own_pid) = (getpgrp().as_raw(), nix::unistd::getpid().as_raw());
        assert_eq!(kill_target(own_pid as u32, 0, own_group), None);
        assert_eq!(kill_target(own_pid as u32, own_group, own_group), None);
    }

    #[test]
    fn kill_refuses_a_vanished_process() {
        // pid_max is at most 2^22, so this pid cannot exist: getpgid fails.
        assert_eq!(kill_target(4_194_304 + 7, 0, 4_194_311), None);
    }

    #[test]
    fn kill_refuses_groups_other_than_the_sandbox() {
        let own_pid = nix::unistd::getpid().as_raw() as u32;
        assert_eq!(kill_target(own_pid, 999_999, 1_000_000), None);
    }
}
