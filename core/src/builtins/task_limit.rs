//! `max_processes`: refuse a fork or thread creation once the sandbox's
//! process group holds that many tasks. RLIMIT_NPROC cannot do this: it
//! counts every process of the uid and does not bind uid 0.

use std::fs;

use crate::handler::{Handler, HandlerCtx, HandlerResult};
use crate::notif::{ExceptionPolicy, NotifAction};

pub(crate) struct TaskLimit {
    pub max: u32,
}

impl Handler for TaskLimit {
    fn handle(&self, ctx: &HandlerCtx<'_>) -> HandlerResult {
        if tasks_in_group(ctx.sandbox_pgid()) >= u64::from(self.max) {
            return Ok(NotifAction::Errno(libc::EAGAIN));
        }
        Ok(NotifAction::Continue)
    }

    fn exception_policy(&self) -> ExceptionPolicy {
        ExceptionPolicy::DenyEperm
    }
}

/// Threads of all processes whose group is `pgid`.
fn tasks_in_group(pgid: i32) -> u64 {
    let Ok(entries) = fs::read_dir("/proc") else { return u64::MAX };
    let mut total = 0;
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name.to_str().filter(|n| n.bytes().all(|b| b.is_ascii_digit())) else { continue };
        let Ok(stat) = fs::read_to_string(format!("/proc/{pid}/stat")) else { continue };
        if let Some((group, threads)) = parse_stat(&stat) {
            if group == pgid {
                total += threads;
            }
        }
    }
    total
}

/// (pgrp, num_threads) from a `/proc/<pid>/stat` line. The command name may
/// hold spaces and parentheses, so fields are counted after the last `)`.
fn parse_stat(stat: &str) -> Option<(i32, u64)> {
    let rest = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // After the name: state(3) ppid(4) pgrp(5) ... num_threads(20).
    Some((fields.get(2)?.parse().ok()?, fields.get(17)?.parse().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_fields_survive_odd_command_names() {
        let line = "42 (a) b (c) S 1 777 777 0 -1 4194560 0 0 0 0 0 0 0 0 20 0 3 0 100 0 0";
        assert_eq!(parse_stat(line), Some((777, 3)));
    }

    #[test]
    fn counts_this_process_group() {
        let own = nix::unistd::getpgrp().as_raw();
        assert!(tasks_in_group(own) >= 1);
    }
}
