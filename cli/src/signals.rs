//! The sandbox runs in a process group of its own, so that the core can
//! kill all of it; this module makes it behave like a shell job anyway:
//! signals sent to this command reach the sandbox's group, and on a
//! terminal the sandbox is the foreground group (Ctrl-C, Ctrl-Z and
//! terminal reads go to it) and this command follows its stops.

use std::io::{stdin, IsTerminal};
use std::time::Duration;

use nix::errno::Errno;
use nix::sys::signal::{kill, sigaction, SaFlags, SigAction, SigHandler, SigSet, SigmaskHow, Signal};
use nix::sys::signalfd::SignalFd;
use nix::sys::wait::{waitid, Id, WaitPidFlag, WaitStatus};
use nix::unistd::{getpgrp, getpid, tcgetpgrp, tcsetpgrp, Pid};
use sandlock_core::{Child, ExitStatus};

use crate::exit::{Failure, CANNOT_START};

/// Signals this command passes on to the sandbox's group: every signal
/// whose default would end this command and leave the sandbox running —
/// those a shell or a service manager sends a job, the user and timer
/// signals, and the real-time ones (below). Faults (`SIGSEGV`, `SIGBUS`,
/// `SIGFPE`, `SIGILL`) stay this command's own.
const FORWARDED: [Signal; 17] = [
    Signal::SIGINT,
    Signal::SIGTERM,
    Signal::SIGHUP,
    Signal::SIGQUIT,
    Signal::SIGUSR1,
    Signal::SIGUSR2,
    Signal::SIGALRM,
    Signal::SIGVTALRM,
    Signal::SIGPROF,
    Signal::SIGXCPU,
    Signal::SIGXFSZ,
    Signal::SIGIO,
    Signal::SIGPWR,
    Signal::SIGSYS,
    Signal::SIGTRAP,
    Signal::SIGABRT,
    Signal::SIGSTKFLT,
];

/// The real-time signals libc leaves to programs, which end a process by
/// default too.
fn realtime() -> std::ops::RangeInclusive<libc::c_int> {
    libc::SIGRTMIN()..=libc::SIGRTMAX()
}

/// The signals the waiting loop handles, queued for it on a signalfd.
pub struct Signals {
    fd: SignalFd,
    old_mask: SigSet,
}

impl Signals {
    /// Block the handled signals. Call it before any thread starts (the
    /// core starts supervisor threads), so every thread inherits the mask
    /// and no signal is lost to a thread that does not read them. The
    /// sandboxed program starts with an empty mask (the core resets it).
    pub fn block() -> Result<Signals, Failure> {
        let mut mask = SigSet::empty();
        // SIGCONT still continues this process while blocked; it is only
        // also queued, so the loop can continue the sandbox too.
        for signal in FORWARDED.into_iter().chain([Signal::SIGTSTP, Signal::SIGCONT, Signal::SIGCHLD]) {
            mask.add(signal);
        }
        let mut raw: libc::sigset_t = *mask.as_ref();
        for signal in realtime() {
            // SAFETY: `raw` is an initialised sigset and `signal` a valid number.
            unsafe { libc::sigaddset(&mut raw, signal) };
        }
        // SAFETY: `raw` was made from a SigSet and sigaddset only.
        let mask = unsafe { SigSet::from_sigset_t_unchecked(raw) };
        let mut old_mask = SigSet::empty();
        let failed = |e: Errno| Failure::new(CANNOT_START, format!("cannot set up signal forwarding: {e}"));
        nix::sys::signal::pthread_sigmask(SigmaskHow::SIG_BLOCK, Some(&mask), Some(&mut old_mask)).map_err(failed)?;
        let fd = SignalFd::new(&mask).map_err(failed)?;
        Ok(Signals { fd, old_mask })
    }

    /// Wait for `child` to end, forwarding signals meanwhile; `terminal` is
    /// set when the sandbox should own this command's terminal.
    pub fn wait(&self, child: &mut Child, terminal: Option<Terminal>) -> Result<ExitStatus, Failure> {
        let failed =
            |e: sandlock_core::SandlockError| Failure::new(CANNOT_START, format!("waiting for the sandbox: {e}"));
        let group = Pid::from_raw(child.pid() as i32);
        let terminal = terminal.map(|t| t.hand_to(group));
        loop {
            // Checked before each read: SIGCHLD may have come before the read.
            if let Some(status) = child.wait_timeout(Duration::ZERO).map_err(failed)? {
                return Ok(status);
            }
            let number = match self.fd.read_signal() {
                Ok(Some(info)) => Some(info.ssi_signo as libc::c_int),
                Ok(None) | Err(Errno::EINTR) => None,
                Err(e) => return Err(Failure::new(CANNOT_START, format!("reading signals: {e}"))),
            };
            if let Some(number) = number.filter(|n| realtime().contains(n)) {
                child.signal(number).map_err(failed)?;
                continue;
            }
            match number.and_then(|n| Signal::try_from(n).ok()) {
                Some(Signal::SIGCHLD) => {
                    if let Some(terminal) = &terminal {
                        terminal.follow_stop(child).map_err(failed)?;
                    }
                }
                Some(Signal::SIGTSTP) => {
                    child.signal(Signal::SIGTSTP as i32).map_err(failed)?;
                    // On a terminal the sandbox's stop is followed above;
                    // otherwise stop along with it, like a job would.
                    if terminal.is_none() {
                        stop_self();
                    }
                }
                Some(Signal::SIGCONT) => {
                    if let Some(terminal) = &terminal {
                        terminal.resume();
                    }
                    child.signal(Signal::SIGCONT as i32).map_err(failed)?;
                }
                Some(signal) => child.signal(signal as i32).map_err(failed)?,
                None => {}
            }
        }
    }
}

impl Drop for Signals {
    fn drop(&mut self) {
        let _ = nix::sys::signal::pthread_sigmask(SigmaskHow::SIG_SETMASK, Some(&self.old_mask), None);
    }
}

/// Stop this process (the whole command, so the shell sees the job stop);
/// returns once it is continued.
fn stop_self() {
    let _ = kill(getpid(), Signal::SIGSTOP);
}

/// This command's standard input, when it is a terminal whose foreground
/// group is ours: the case where a shell expects the job to own it.
pub struct Terminal {
    ours: Pid,
}

impl Terminal {
    pub fn foreground() -> Option<Terminal> {
        let ours = getpgrp();
        (stdin().is_terminal() && tcgetpgrp(stdin()) == Ok(ours)).then_some(Terminal { ours })
    }

    fn hand_to(self, sandbox: Pid) -> HandedTerminal {
        // In the background, this command's own writes to the terminal (its
        // audit log) would stop it with SIGTTOU once the sandbox sets
        // TOSTOP, and its timeout with it; ignored, the writes go through.
        let ignore = SigAction::new(SigHandler::SigIgn, SaFlags::empty(), SigSet::empty());
        // SAFETY: installs SIG_IGN, no handler function runs; the previous
        // action is put back when the terminal is taken back.
        let ttou = unsafe { sigaction(Signal::SIGTTOU, &ignore) }.ok();
        set_foreground(sandbox);
        HandedTerminal { ours: self.ours, sandbox, ttou }
    }
}

/// The terminal while the sandbox's group is in the foreground; dropping it
/// takes the terminal back.
struct HandedTerminal {
    ours: Pid,
    sandbox: Pid,
    /// The SIGTTOU action before the hand-over.
    ttou: Option<SigAction>,
}

impl HandedTerminal {
    /// After SIGCHLD: if the sandbox stopped, do what a job control shell
    /// expects of a job and stop too, with the terminal back in our group;
    /// the SIGCONT that continues us is passed on by the loop.
    fn follow_stop(&self, child: &mut Child) -> sandlock_core::Result<()> {
        // WSTOPPED without WEXITED only collects a stop, never reaps.
        let Ok(WaitStatus::Stopped(_, signal)) =
            waitid(Id::Pid(self.sandbox), WaitPidFlag::WSTOPPED | WaitPidFlag::WNOHANG)
        else {
            return Ok(());
        };
        let sandbox_owns_it = tcgetpgrp(stdin()) == Ok(self.sandbox);
        // A terminal read or write just before the hand-over: retry it.
        if sandbox_owns_it && matches!(signal, Signal::SIGTTIN | Signal::SIGTTOU) {
            return child.signal(Signal::SIGCONT as i32);
        }
        if sandbox_owns_it {
            set_foreground(self.ours);
        }
        // While this command is stopped its timeout cannot fire: the whole
        // group stops first, so no process of it runs on meanwhile (one
        // process stopping itself would otherwise stop the clock for the
        // others). The SIGCONT that continues us goes to all of them, and a
        // timeout that passed meanwhile fires then.
        child.signal(Signal::SIGSTOP as i32)?;
        stop_self();
        Ok(())
    }

    /// Continued: if the shell put us in the foreground (`fg`), the
    /// sandbox gets the terminal again; after `bg` the shell keeps it.
    fn resume(&self) {
        if tcgetpgrp(stdin()) == Ok(self.ours) {
            set_foreground(self.sandbox);
        }
    }
}

impl Drop for HandedTerminal {
    fn drop(&mut self) {
        // Only if it is still the sandbox's: after `bg` the shell owns it.
        if tcgetpgrp(stdin()) == Ok(self.sandbox) {
            set_foreground(self.ours);
        }
        if let Some(previous) = &self.ttou {
            // SAFETY: restores the action saved at the hand-over.
            let _ = unsafe { sigaction(Signal::SIGTTOU, previous) };
        }
    }
}

/// Make `group` the terminal's foreground group. A background caller gets
/// SIGTTOU for that unless it ignores it, so it is ignored around the call.
fn set_foreground(group: Pid) {
    let ignore = SigAction::new(SigHandler::SigIgn, SaFlags::empty(), SigSet::empty());
    // SAFETY: installs SIG_IGN, no handler function runs; the previous
    // action is put back right after.
    let Ok(previous) = (unsafe { sigaction(Signal::SIGTTOU, &ignore) }) else { return };
    let _ = tcsetpgrp(stdin(), group);
    // SAFETY: restores the action saved above.
    let _ = unsafe { sigaction(Signal::SIGTTOU, &previous) };
}
