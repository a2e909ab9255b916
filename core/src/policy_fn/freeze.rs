//! argv of an exec, race-free: before the supervisor reads it, every other
//! task that could write the exec-ing task's memory is stopped, and it is
//! let go only once the kernel has taken its own copy (the exec passed its
//! exec stop, or failed). Memory another process could write without
//! sharing the address space (shared mappings, writable files) is found
//! from the mappings and reported as not race-free. See docs/policy-fn.md.
//!
//! Tasks that share the memory are found with `kcmp(KCMP_VM)` among the
//! sandbox's tasks (a task can only share memory with one it started or
//! was started by, and every process of the sandbox stays in its group).
//! The scan is skipped when the exec-ing process is alone in its memory:
//! one thread, not sharing its parent's memory, and never having made a
//! `CLONE_VM` clone other than a `vfork` (the `clone` trap marks those). It is skipped too for a
//! single-threaded `vfork` child (a shell's, `posix_spawn`'s) while no task
//! of the sandbox ever shared memory other than through `vfork`: then the
//! only other tasks in its memory are its `vfork` ancestors, each blocked
//! until its child has execed or exited — and an exec copies argv first.

use std::collections::HashSet;
use std::ffi::OsString;
use std::os::unix::ffi::OsStringExt;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

use crate::policy_fn::tracer::{Frozen, Tracer};
use crate::HandlerCtx;

/// Most arguments and bytes an event carries.
const MAX_ARGS: usize = 4096;
const MAX_BYTES: usize = 256 * 1024;

const KCMP_VM: libc::c_int = 1;

/// Processes (by tgid) that made a `CLONE_VM` clone other than a `vfork`:
/// their memory may be shared by a task of another thread group.
#[derive(Debug, Default)]
pub(crate) struct SharedMemory {
    tgids: Mutex<HashSet<u32>>,
    /// A `CLONE_VM` clone without `CLONE_VFORK` (a thread, or a process
    /// sharing memory whose parent goes on running) happened in the sandbox.
    beyond_vfork: AtomicBool,
}

impl SharedMemory {
    /// The `clone` of task `tid` with `flags` makes another task share its memory.
    pub(crate) fn note_clone(&self, tid: u32, flags: u64) {
        // A `vfork` needs no mark: while its child shares the memory, the
        // process that made it is blocked (a single-threaded one cannot
        // exec meanwhile; a multi-threaded one takes the full search anyway),
        // and the child's own exec finds its parent by `kcmp`.
        if flags & libc::CLONE_VM as u64 != 0 && flags & libc::CLONE_VFORK as u64 == 0 {
            // Before the clone is let go: no exec decided after it takes
            // the shortcut.
            self.beyond_vfork.store(true, Ordering::SeqCst);
            let tgid = crate::procs::tgid_of(tid).unwrap_or(tid);
            self.tgids.lock().unwrap_or_else(|e| e.into_inner()).insert(tgid);
        }
    }

    /// True while every task sharing memory with another got there through
    /// `vfork` (its parent blocked until it execs or exits).
    fn only_vfork(&self) -> bool {
        !self.beyond_vfork.load(Ordering::SeqCst)
    }

    fn marked(&self, tgid: u32) -> bool {
        self.tgids.lock().unwrap_or_else(|e| e.into_inner()).contains(&tgid)
    }
}

/// The argv an exec will use, and the stop that keeps it so.
pub(crate) struct Argv {
    pub args: Vec<OsString>,
    pub truncated: bool,
    pub race_free: bool,
    /// The parent of the exec-ing process (0 when it is gone), read with
    /// what the freeze needed, for the event.
    pub ppid: u32,
    /// The tasks stopped for it; let go with [`Frozen::release`] once the
    /// call was answered.
    pub frozen: Option<Frozen>,
}

/// Read the argv at `argv_addr` of the exec in `ctx`, race-free when it can
/// be made so. `write_rules` are the paths the child may write (a private
/// mapping of a file there can change under a stopped process).
pub(crate) fn read_argv(
    ctx: &HandlerCtx<'_>,
    argv_addr: u64,
    shared: &SharedMemory,
    write_rules: &[PathBuf],
    tracer: &Tracer,
) -> Argv {
    let tid = ctx.pid() as i32;
    let pgid = ctx.sandbox_pgid();
    let stat = crate::procs::task_stat(tid as u32);
    let (frozen, stopped_all) = match writers(tid, stat, pgid, shared) {
        None => (None, true),
        Some(tasks) => match tracer.freeze(tid, tasks, move |seen| sharers(tid, pgid, seen)) {
            Some((frozen, complete)) => (Some(frozen), complete),
            // ptrace refused (Yama): read anyway and say it is not race-free.
            None => (None, false),
        },
    };
    let (args, truncated, ranges) = read_strings(ctx, argv_addr);
    let private = ranges.is_some_and(|ranges| only_private_memory(tid, &ranges, write_rules));
    let ppid = stat.map_or(0, |s| s.ppid);
    Argv { args, truncated, race_free: stopped_all && private && !truncated, ppid, frozen }
}

/// The argv at `argv_addr`, read without stopping anyone (for an exec a
/// static rule fails anyway), and whether it was cut.
pub(crate) fn read_argv_unfrozen(ctx: &HandlerCtx<'_>, argv_addr: u64) -> (Vec<OsString>, bool) {
    let (args, truncated, _) = read_strings(ctx, argv_addr);
    (args, truncated)
}

/// The other tasks that could write the memory of `tid` (whose `/proc`
/// stat is `stat`), or `None` when it is alone in it.
fn writers(tid: i32, stat: Option<crate::procs::TaskStat>, pgid: i32, shared: &SharedMemory) -> Option<Vec<i32>> {
    let threads = stat.map_or(u64::MAX, |s| s.threads);
    if threads == 1 && shared.only_vfork() {
        return None;
    }
    let tgid = crate::procs::tgid_of(tid as u32).unwrap_or(tid as u32);
    let parent = stat.map_or(0, |s| s.ppid) as i32;
    // SAFETY: getpgid has no memory effects.
    let parent_in_sandbox = parent > 0 && unsafe { libc::getpgid(parent) } == pgid;
    // A parent outside the sandbox (the supervisor, or a reaper) never
    // shares memory with it: the first process is forked, not vforked.
    if threads == 1 && !shared.marked(tgid) && !(parent_in_sandbox && same_memory(tid, parent)) {
        return None;
    }
    let tasks = sharers(tid, pgid, &[]);
    (!tasks.is_empty()).then_some(tasks)
}

/// The sandbox's tasks other than `tid` (and `except`) sharing its memory.
fn sharers(tid: i32, pgid: i32, except: &[i32]) -> Vec<i32> {
    crate::procs::in_group(pgid)
        .into_iter()
        .flat_map(crate::procs::threads_of)
        .filter(|&t| t != tid && !except.contains(&t) && same_memory(tid, t))
        .collect()
}

/// True when tasks `a` and `b` share their address space.
fn same_memory(a: i32, b: i32) -> bool {
    // SAFETY: kcmp takes integers only.
    unsafe { libc::syscall(libc::SYS_kcmp, a, b, KCMP_VM, 0usize, 0usize) == 0 }
}

/// Addresses `[start, end)` of child memory.
type Range = (u64, u64);

/// The argv strings (as bytes), whether they were cut, and the address
/// ranges they and the pointer array occupy (`None` when unreadable).
fn read_strings(ctx: &HandlerCtx<'_>, argv_addr: u64) -> (Vec<OsString>, bool, Option<Vec<Range>>) {
    let mut args = Vec::new();
    let mut ranges = Vec::new();
    let mut bytes = 0usize;
    if argv_addr == 0 {
        return (args, false, Some(ranges));
    }
    for i in 0..=MAX_ARGS {
        let slot = argv_addr + 8 * i as u64;
        let mut pointer = [0u8; 8];
        if ctx.read_mem(slot, &mut pointer).is_err() {
            return (args, true, None);
        }
        ranges.push((slot, slot + 8));
        let addr = u64::from_ne_bytes(pointer);
        if addr == 0 {
            return (args, false, Some(ranges));
        }
        if i == MAX_ARGS {
            break;
        }
        let room = MAX_BYTES.saturating_sub(bytes);
        match ctx.read_cstr_bytes(addr, room) {
            Ok(arg) => {
                bytes += arg.len() + 1;
                ranges.push((addr, addr + arg.len() as u64 + 1));
                args.push(OsString::from_vec(arg));
            }
            Err(_) => return (args, true, None),
        }
    }
    (args, true, Some(ranges))
}

/// True when every range lies in memory only the stopped tasks could
/// write: private mappings, anonymous or of a file the sandbox cannot write.
fn only_private_memory(tid: i32, ranges: &[(u64, u64)], write_rules: &[PathBuf]) -> bool {
    let Ok(maps) = crate::procs::read(format!("/proc/{tid}/maps")) else { return false };
    let mappings: Vec<Mapping> = maps.lines().filter_map(Mapping::parse).collect();
    ranges.iter().all(|&(start, end)| {
        mappings
            .iter()
            .filter(|m| m.start < end && start < m.end)
            .all(|m| m.private && !m.writable_elsewhere(write_rules))
            && mappings.iter().any(|m| m.start <= start && end <= m.end)
    })
}

/// One line of `/proc/<pid>/maps`.
#[derive(Debug, PartialEq, Eq)]
struct Mapping {
    start: u64,
    end: u64,
    private: bool,
    inode: u64,
    path: String,
}

impl Mapping {
    fn parse(line: &str) -> Option<Mapping> {
        let mut fields = line.splitn(6, ' ');
        let (start, end) = fields.next()?.split_once('-')?;
        let perms = fields.next()?;
        let (_offset, _dev) = (fields.next()?, fields.next()?);
        let inode = fields.next()?.parse().ok()?;
        let path = fields.next().unwrap_or("").trim_start().to_string();
        Some(Mapping {
            start: u64::from_str_radix(start, 16).ok()?,
            end: u64::from_str_radix(end, 16).ok()?,
            private: perms.as_bytes().get(3) == Some(&b'p'),
            inode,
            path,
        })
    }

    /// A file another process may write: a memfd, a deleted file, or one
    /// under a write rule (its pages show writes until copied on write).
    fn writable_elsewhere(&self, write_rules: &[PathBuf]) -> bool {
        if self.inode == 0 {
            return false;
        }
        self.path.starts_with("/memfd:")
            || self.path.ends_with(" (deleted)")
            || write_rules.iter().any(|rule| std::path::Path::new(&self.path).starts_with(rule))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mappings_parse_with_and_without_paths() {
        let line = "7f00a000-7f00b000 rw-s 00000000 00:01 1234                       /memfd:argv (deleted)";
        assert_eq!(
            Mapping::parse(line),
            Some(Mapping {
                start: 0x7f00a000,
                end: 0x7f00b000,
                private: false,
                inode: 1234,
                path: "/memfd:argv (deleted)".into()
            })
        );
        let anon = Mapping::parse("55d0c000-55d2d000 rw-p 00000000 00:00 0                          [heap]").unwrap();
        assert!(anon.private && !anon.writable_elsewhere(&[]));
        let file = Mapping::parse("5600-5700 r--p 00000000 fe:01 42  /tmp/work/lib.so").unwrap();
        assert!(file.writable_elsewhere(&[PathBuf::from("/tmp/work")]));
        assert!(!file.writable_elsewhere(&[PathBuf::from("/srv")]));
    }

    #[test]
    fn this_process_shares_its_memory_with_its_threads_only() {
        // SAFETY: getpid has no memory effects.
        let me = unsafe { libc::getpid() };
        // SAFETY: gettid has no memory effects.
        let tid = unsafe { libc::gettid() };
        assert!(same_memory(me, tid));
        assert!(!same_memory(me, 1));
    }
}
