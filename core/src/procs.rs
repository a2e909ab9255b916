//! The sandbox's processes, found by their process group in `/proc` (the
//! group is the sandbox: no process can leave it), and reading `/proc`
//! files cheaply.

use std::fs;
use std::io::Read;

/// A `/proc` file's text, read with one large buffer: `/proc` files report
/// size 0, so `fs::read_to_string` would stat the file and then grow its
/// buffer from 32 bytes, one read per doubling, each read making the
/// kernel render the file again — on a path taken for every event.
///
/// Bytes that are not UTF-8 are replaced, never an error: `stat` and
/// `status` hold the task's name, which the child sets itself
/// (`PR_SET_NAME`), and a file refused for its name would hide the process
/// from the group scans (the process limit, the argv freeze).
pub(crate) fn read(path: impl AsRef<std::path::Path>) -> std::io::Result<String> {
    // `read_to_end` into spare capacity, without the size probe (an fstat
    // and an lseek) `read_to_string` makes first.
    let mut bytes = Vec::with_capacity(4096);
    fs::File::open(path)?.read_to_end(&mut bytes)?;
    Ok(String::from_utf8(bytes).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()))
}

/// `/proc/<tid>/status` of a task, read once for several fields.
pub(crate) struct Status(String);

impl Status {
    pub(crate) fn of(tid: u32) -> Option<Status> {
        read(format!("/proc/{tid}/status")).ok().map(Status)
    }

    /// The text after `name` (e.g. `"Tgid:"`), trimmed.
    pub(crate) fn field(&self, name: &str) -> Option<&str> {
        self.0.lines().find_map(|l| l.strip_prefix(name)).map(str::trim)
    }

    /// A decimal field.
    pub(crate) fn number(&self, name: &str) -> Option<u32> {
        self.field(name)?.parse().ok()
    }
}

/// The process (thread group) of task `tid`; `None` when it is gone.
pub(crate) fn tgid_of(tid: u32) -> Option<u32> {
    Status::of(tid)?.number("Tgid:")
}

/// The process ids whose group is `pgid`.
pub(crate) fn in_group(pgid: i32) -> Vec<i32> {
    group_stats(pgid).into_iter().map(|(pid, _)| pid).collect()
}

/// The number of tasks (threads of all processes) in group `pgid`; `None`
/// when `/proc` cannot be read.
pub(crate) fn tasks_in_group(pgid: i32) -> Option<u64> {
    fs::read_dir("/proc").ok()?;
    Some(group_stats(pgid).into_iter().map(|(_, threads)| threads).sum())
}

/// The thread ids of process `pid`.
pub(crate) fn threads_of(pid: i32) -> Vec<i32> {
    let Ok(entries) = fs::read_dir(format!("/proc/{pid}/task")) else { return Vec::new() };
    entries.flatten().filter_map(|e| e.file_name().to_str()?.parse().ok()).collect()
}

/// (pid, threads) of every process of group `pgid`.
fn group_stats(pgid: i32) -> Vec<(i32, u64)> {
    let Ok(entries) = fs::read_dir("/proc") else { return Vec::new() };
    let mut out = Vec::new();
    for entry in entries.flatten() {
        let Some(pid) = entry.file_name().to_str().and_then(|n| n.parse::<i32>().ok()) else { continue };
        if let Some(stat) = task_stat(pid as u32) {
            if stat.pgrp == pgid {
                out.push((pid, stat.threads));
            }
        }
    }
    out
}

/// What the supervisor reads of a task's `/proc/<tid>/stat`, which the
/// kernel renders far more cheaply than `status` (no capability, signal or
/// CPU-list fields): for events taken on every exec and fork.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TaskStat {
    /// The parent of the task's process.
    pub ppid: u32,
    pub pgrp: i32,
    /// Threads of the task's process.
    pub threads: u64,
}

/// `/proc/<tid>/stat` of a task; `None` when it is gone.
pub(crate) fn task_stat(tid: u32) -> Option<TaskStat> {
    parse_stat(&read(format!("/proc/{tid}/stat")).ok()?)
}

/// A `/proc/<pid>/stat` line. The command name may hold spaces and
/// parentheses, so fields are counted after the last `)`.
fn parse_stat(stat: &str) -> Option<TaskStat> {
    let rest = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // After the name: state(3) ppid(4) pgrp(5) ... num_threads(20).
    Some(TaskStat {
        ppid: fields.get(1)?.parse().ok()?,
        pgrp: fields.get(2)?.parse().ok()?,
        threads: fields.get(17)?.parse().ok()?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_fields_survive_odd_command_names() {
        let line = "42 (a) b (c) S 1 777 777 0 -1 4194560 0 0 0 0 0 0 0 0 20 0 3 0 100 0 0";
        assert_eq!(parse_stat(line), Some(TaskStat { ppid: 1, pgrp: 777, threads: 3 }));
    }

    #[test]
    fn a_process_named_with_bytes_that_are_not_utf8_is_still_found() {
        // SAFETY: the child makes raw syscalls only and never returns; the
        // name is a static byte string.
        let child = unsafe { libc::fork() };
        if child == 0 {
            // SAFETY: as above.
            unsafe {
                libc::syscall(libc::SYS_prctl, libc::PR_SET_NAME, c"\xff\xfe) S 1".as_ptr(), 0, 0, 0);
                libc::syscall(libc::SYS_pause);
                libc::_exit(0);
            }
        }
        let named = (0..200).any(|_| {
            std::thread::sleep(std::time::Duration::from_millis(5));
            std::fs::read(format!("/proc/{child}/stat")).is_ok_and(|s| s.contains(&0xff))
        });
        // SAFETY: getpgrp has no memory effects.
        let found = in_group(unsafe { libc::getpgrp() }).contains(&child);
        // SAFETY: killing and reaping our own child.
        unsafe {
            libc::kill(child, libc::SIGKILL);
            libc::waitpid(child, std::ptr::null_mut(), 0);
        }
        assert!(named, "the child never took its name");
        assert!(found, "a process whose name is not UTF-8 was missing from its group");
    }

    #[test]
    fn this_process_is_in_its_group_with_its_threads() {
        // SAFETY: getpgrp and getpid have no memory effects.
        let (group, me) = unsafe { (libc::getpgrp(), libc::getpid()) };
        assert!(in_group(group).contains(&me));
        assert!(tasks_in_group(group).unwrap() >= 1);
        assert!(threads_of(me).contains(&me));
    }
}
