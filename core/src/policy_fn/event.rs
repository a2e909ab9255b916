//! From a notification to an event: which category a syscall belongs to,
//! and the fields that come from registers (exec argv and network
//! addresses are filled in by `freeze`, `connect` and `builtin`).

use crate::policy_fn::{Category, Detail, Event, NetOp};
use crate::syscall::{clone_flags, number_of, Syscall};
use crate::HandlerCtx;

/// The syscalls `policy_fn` watches, by category.
pub(crate) const WATCHED: &[(Category, &[&str])] = &[
    (Category::PROCESS, &["clone", "fork", "vfork"]),
    (Category::EXEC, &["execve", "execveat"]),
    (Category::NETWORK, &["connect", "bind", "listen", "sendto", "sendmsg", "sendmmsg"]),
    (Category::FILE, &["open", "openat", "openat2", "creat"]),
    (Category::SIGNAL, &["kill", "tkill", "tgkill", "rt_sigqueueinfo", "rt_tgsigqueueinfo", "pidfd_send_signal"]),
];

/// The category of syscall `nr`, if `policy_fn` watches it.
pub(crate) fn category_of(nr: u32) -> Option<Category> {
    WATCHED.iter().find(|(_, names)| names.iter().any(|n| number_of(n) == Some(nr))).map(|&(c, _)| c)
}

/// The parent of the process of task `tid` (0 when the task is gone).
pub(crate) fn parent_of(tid: u32) -> u32 {
    crate::procs::task_stat(tid).map_or(0, |s| s.ppid)
}

/// The event for the notification in `ctx`, with what registers tell; argv
/// and network addresses start empty.
pub(crate) fn from_notification(ctx: &HandlerCtx<'_>, syscall: Syscall, category: Category) -> Event {
    from_notification_with_parent(ctx, syscall, category, parent_of(ctx.pid()))
}

/// [`from_notification`] for a caller that already read the parent.
pub(crate) fn from_notification_with_parent(
    ctx: &HandlerCtx<'_>,
    syscall: Syscall,
    category: Category,
    ppid: u32,
) -> Event {
    let args = ctx.args();
    let name = syscall.name();
    let detail = match category {
        c if c == Category::PROCESS => {
            let flags = clone_flags(name, args);
            Detail::Process { flags, thread: flags & libc::CLONE_THREAD as u64 != 0 }
        }
        c if c == Category::EXEC => Detail::Exec { argv: Vec::new(), truncated: false },
        c if c == Category::NETWORK => {
            let op = match name {
                "connect" => NetOp::Connect,
                "bind" => NetOp::Bind,
                "listen" => NetOp::Listen,
                _ => NetOp::SendTo,
            };
            Detail::Network { op, family: libc::AF_UNSPEC, addr: None, port: None }
        }
        c if c == Category::FILE => Detail::File {
            flags: match name {
                "open" => args[1],
                "openat" => args[2],
                "creat" => (libc::O_CREAT | libc::O_WRONLY | libc::O_TRUNC) as u64,
                // openat2's flags are in memory; the open itself decides.
                _ => 0,
            },
        },
        _ => {
            let (target, signal) = match name {
                "tgkill" | "rt_tgsigqueueinfo" => (args[1] as i32 as i64, args[2] as i32),
                _ => (args[0] as i32 as i64, args[1] as i32),
            };
            Detail::Signal { target, signal }
        }
    };
    Event {
        syscall,
        category,
        pid: ctx.pid(),
        ppid,
        detail,
        denied_by_policy: false,
        // Register fields are what the kernel uses; exec and network events
        // say otherwise when they must.
        race_free: !(category == Category::FILE && name == "openat2"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_watched_name_is_a_syscall_and_has_one_category() {
        for (category, names) in WATCHED {
            for name in *names {
                let nr = number_of(name).unwrap_or_else(|| panic!("{name}"));
                assert_eq!(category_of(nr), Some(*category), "{name}");
            }
        }
        assert_eq!(category_of(number_of("read").unwrap()), None);
    }
}
