//! argv of an exec, race-free: before the supervisor reads it, every other
//! task that could write the exec-ing task's memory is stopped, and it is
//! let go only once the kernel has taken its own copy (the exec passed its
//! exec stop, or failed). Memory another process could write without
//! sharing the address space (shared mappings, writable files) is found
//! from the mappings and reported as not race-free. See docs/policy-fn.md.
//!
//! Tasks that share the memory are found with `kcmp(KCMP_VM)` among the
//! sandbox's tasks (every process of the sandbox stays in its group). The
//! scan is skipped while no task of the sandbox ever made a `CLONE_VM`
//! clone (the `clone` trap notes each before it runs): then every process
//! has memory of its own, and one with one thread is alone in it. It is
//! skipped too for a single-threaded process while every such clone was a
//! `vfork`: the other tasks in its memory, if any, are `vfork` relatives,
//! blocked until their child execs or exits — unless one in the middle of
//! a chain is killed, which wakes the one above it. Those execs are always
//! checked at the exec stop (below). Which tasks share a memory cannot be
//! told from parents, thread counts or marks on a process: a `vfork` child
//! whose parent died is reparented out of the sandbox, and a thread made by
//! a `vfork` child lives on in its parent's memory after the child's leader
//! exits.
//!
//! No stop holds what the kernel writes for a sharer that is killed
//! (`clear_child_tid`, robust futexes), nor a thread woken from a `vfork`
//! of an unrelated child, nor asynchronous I/O (`io_submit`: a direct read
//! lands in private memory whenever the device is done, tied to no task):
//! so whenever the memory is shared, a string is in a file's mapping, or
//! the sandbox ever made an AIO context, the exec-ing task is traced to its
//! exec stop and the argv the kernel copied is compared with what the
//! callback saw.

use std::ffi::OsString;
use std::os::unix::ffi::OsStringExt;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::maps::{Mapping, Maps};
use crate::mem::{ChildMemory, PAGE};
use crate::policy_fn::exec_copy;
use crate::policy_fn::tracer::{Frozen, Tracer};
use crate::HandlerCtx;

/// Most arguments and bytes an event carries.
const MAX_ARGS: usize = 4096;
const MAX_BYTES: usize = 256 * 1024;

const KCMP_VM: libc::c_int = 1;

/// What the sandbox ever did that shares memory between tasks.
#[derive(Debug, Default)]
pub(crate) struct SharedMemory {
    /// A `CLONE_VM` clone (a `vfork` included) happened in the sandbox.
    any_clone_vm: AtomicBool,
    /// A `CLONE_VM` clone without `CLONE_VFORK` (a thread, or a process
    /// sharing memory whose parent goes on running) happened in the sandbox.
    beyond_vfork: AtomicBool,
}

impl SharedMemory {
    /// A task clones with `flags`. Noted before the clone is let go: no
    /// exec decided after it takes a shortcut the clone ends.
    pub(crate) fn note_clone(&self, flags: u64) {
        if flags & libc::CLONE_VM as u64 != 0 {
            self.any_clone_vm.store(true, Ordering::SeqCst);
            if flags & libc::CLONE_VFORK as u64 == 0 {
                self.beyond_vfork.store(true, Ordering::SeqCst);
            }
        }
    }

    /// True while every process of the sandbox has memory of its own.
    fn never_shared(&self) -> bool {
        !self.any_clone_vm.load(Ordering::SeqCst)
    }

    /// True while every task sharing memory with another got there through
    /// `vfork` (its parent blocked until it execs or exits).
    fn only_vfork(&self) -> bool {
        !self.beyond_vfork.load(Ordering::SeqCst)
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
    /// The image the exec must start (its `/proc/<pid>/cmdline` and `exe`
    /// at the exec stop), when something the freeze cannot hold could
    /// still write it: a task sharing the memory dies (the kernel then
    /// writes its `clear_child_tid` and robust futexes), or a waiting
    /// `vfork` parent wakes, a file behind the strings changes, or an
    /// asynchronous read lands. An exec
    /// that copied anything else is killed at its exec stop.
    pub expected: Option<exec_copy::ExpectedImage>,
}

/// Who besides the exec-ing task can reach its memory.
enum Writers {
    /// Nobody: one thread, never sharing its memory.
    Alone,
    /// Perhaps `vfork` relatives, none stopped: blocked until the exec has
    /// copied argv unless one is killed (its exit writes, the one above it
    /// wakes), which the check at the exec stop catches.
    VforkRelatives,
    /// These tasks, to be stopped.
    Tasks(Vec<i32>),
}

/// Read the argv of the exec in `ctx` (`execveat` when `at`), race-free
/// when it can be made so. `write_rules` are the paths the child may write
/// (a private mapping of a file there can change under a stopped process).
pub(crate) fn read_argv(
    ctx: &HandlerCtx<'_>,
    at: bool,
    shared: &SharedMemory,
    write_rules: &[PathBuf],
    tracer: &Tracer,
) -> Argv {
    let argv_addr = if at { ctx.args()[2] } else { ctx.args()[1] };
    let tid = ctx.pid() as i32;
    let pgid = ctx.sandbox_pgid();
    let stat = crate::procs::task_stat(tid as u32);
    let writers = writers(tid, stat, pgid, shared);
    let shared_memory = !matches!(writers, Writers::Alone);
    let (mut frozen, mut stopped_all) = match writers {
        Writers::Alone | Writers::VforkRelatives => (None, true),
        Writers::Tasks(tasks) => match tracer.freeze(tid, tasks, move |seen| sharers(tid, pgid, seen)) {
            Some((frozen, complete)) => (Some(frozen), complete),
            // ptrace refused (Yama): read anyway and say it is not race-free.
            None => (None, false),
        },
    };
    let (args, truncated, ranges) = read_strings(ctx, argv_addr);
    let memory = ranges.map(|ranges| memory_of(tid, &ranges, write_rules));
    let private = memory.is_some_and(|m| m.private);
    let file_backed = memory.is_some_and(|m| m.file_backed);
    let mut expected = None;
    if (shared_memory || file_backed) && private && !truncated {
        // The exec stop is where the copy is compared: the task is traced
        // for it, alone when nothing else had to stop.
        if frozen.is_none() {
            frozen = tracer.trace_exec_task(tid);
            stopped_all &= frozen.is_some();
        }
        if frozen.is_some() {
            expected = Some(exec_copy::expected_image(ctx.pid(), exec_copy::program(ctx, at).as_ref(), &args));
        }
    }
    let ppid = stat.map_or(0, |s| s.ppid);
    Argv { args, truncated, race_free: stopped_all && private && !truncated, ppid, frozen, expected }
}

/// True unless the exec stopped at `pid` started the image `expected`
/// ([`exec_copy::expected_image`]): its argv, and the file it runs.
pub(crate) fn ran_other_image(pid: i32, expected: &exec_copy::ExpectedImage) -> bool {
    use std::os::unix::fs::MetadataExt;
    let exe = std::fs::metadata(format!("/proc/{pid}/exe")).ok().map(|meta| (meta.dev(), meta.ino()));
    let runs_expected = match expected.exe {
        exec_copy::Exe::Any => true,
        exec_copy::Exe::Is(dev, ino) => exe == Some((dev, ino)),
        exec_copy::Exe::Unknown => false,
    };
    if !runs_expected {
        return true;
    }
    match std::fs::read(format!("/proc/{pid}/cmdline")) {
        // Before Linux 5.18 an empty argv stays empty.
        Ok(copied) => copied != expected.cmdline && !(copied.is_empty() && expected.cmdline == b"\0"),
        Err(_) => true,
    }
}

/// The argv at `argv_addr`, read without stopping anyone (for an exec a
/// static rule fails anyway), and whether it was cut.
pub(crate) fn read_argv_unfrozen(ctx: &HandlerCtx<'_>, argv_addr: u64) -> (Vec<OsString>, bool) {
    let (args, truncated, _) = read_strings(ctx, argv_addr);
    (args, truncated)
}

/// The other tasks that could write the memory of `tid` (whose `/proc`
/// stat is `stat`).
fn writers(tid: i32, stat: Option<crate::procs::TaskStat>, pgid: i32, shared: &SharedMemory) -> Writers {
    let threads = stat.map_or(u64::MAX, |s| s.threads);
    if threads == 1 && shared.never_shared() {
        return Writers::Alone;
    }
    if threads == 1 && shared.only_vfork() {
        return Writers::VforkRelatives;
    }
    // No task can start sharing the memory but one already in it: when
    // none is found, none can appear.
    let tasks = sharers(tid, pgid, &[]);
    if tasks.is_empty() {
        Writers::Alone
    } else {
        Writers::Tasks(tasks)
    }
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
/// ranges they and the pointer array occupy (`None` when unreadable). The
/// reads are checked against the notification once, after the last: a
/// notification still valid then was valid for every read before it.
fn read_strings(ctx: &HandlerCtx<'_>, argv_addr: u64) -> (Vec<OsString>, bool, Option<Vec<Range>>) {
    let memory = ctx.memory();
    let (args, truncated, ranges) = read_strings_unchecked(&memory, argv_addr);
    match memory.check_valid() {
        Ok(()) => (args, truncated, ranges),
        // The reads may have been of another process that took the pid.
        Err(_) => (Vec::new(), true, None),
    }
}

fn read_strings_unchecked(memory: &ChildMemory<'_>, argv_addr: u64) -> (Vec<OsString>, bool, Option<Vec<Range>>) {
    let mut args = Vec::new();
    let mut ranges = Vec::new();
    let mut bytes = 0usize;
    if argv_addr == 0 {
        return (args, false, Some(ranges));
    }
    let mut pointers: Vec<u64> = Vec::new();
    let mut slot = argv_addr;
    for i in 0..=MAX_ARGS {
        if pointers.is_empty() {
            // The pointers up to the end of this page in one read (a pointer
            // across the end is read alone), as a string is read.
            let in_page = ((PAGE - slot % PAGE) / 8).clamp(1, (MAX_ARGS + 1 - i) as u64) as usize;
            let mut chunk = vec![0u8; in_page * 8];
            if memory.read_unchecked(slot, &mut chunk).is_err() {
                return (args, true, None);
            }
            pointers =
                chunk.chunks_exact(8).rev().map(|p| u64::from_ne_bytes(p.try_into().expect("8 bytes"))).collect();
        }
        let addr = pointers.pop().expect("refilled above");
        ranges.push((slot, slot + 8));
        slot += 8;
        if addr == 0 {
            return (args, false, Some(ranges));
        }
        if i == MAX_ARGS {
            break;
        }
        let room = MAX_BYTES.saturating_sub(bytes);
        match memory.read_cstr_unchecked(addr, room) {
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

/// Where the argv ranges lie.
#[derive(Debug, Clone, Copy)]
struct ArgvMemory {
    /// Every range within one private mapping, anonymous or of a file the
    /// sandbox cannot write by the paths its rules name.
    private: bool,
    /// Some range is in a file's mapping, whose pages show the file's
    /// changes until copied on write (and a file may be reached by other
    /// paths than the one the mapping shows: hard links, symbolic links
    /// in rules).
    file_backed: bool,
}

fn memory_of(tid: i32, ranges: &[(u64, u64)], write_rules: &[PathBuf]) -> ArgvMemory {
    let Ok(mut maps) = Maps::open(tid as u32) else { return ArgvMemory { private: false, file_backed: false } };
    let mut last: Option<Mapping> = None;
    let mut file_backed = false;
    let private = ranges.iter().all(|&(start, end)| {
        if !last.as_ref().is_some_and(|m| m.contains(start, end)) {
            last = maps.covering(start);
        }
        last.as_ref().is_some_and(|m| {
            file_backed |= m.inode != 0;
            m.contains(start, end) && m.private && !writable_elsewhere(m, write_rules)
        })
    });
    ArgvMemory { private, file_backed }
}

/// A file another process may write: a memfd, a deleted file, or one
/// under a write rule (its pages show writes until copied on write).
fn writable_elsewhere(mapping: &Mapping, write_rules: &[PathBuf]) -> bool {
    if mapping.inode == 0 {
        return false;
    }
    let path = &mapping.path;
    path.starts_with("/memfd:")
        || path.ends_with(" (deleted)")
        || write_rules.iter().any(|rule| std::path::Path::new(path).starts_with(rule))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_others_may_write_are_found() {
        let mapping =
            |inode, path: &str| Mapping { start: 0x5600, end: 0x5700, private: true, dev: 0, inode, path: path.into() };
        assert!(!writable_elsewhere(&mapping(0, "[heap]"), &[]));
        assert!(writable_elsewhere(&mapping(7, "/memfd:argv (deleted)"), &[]));
        assert!(writable_elsewhere(&mapping(7, "/tmp/gone (deleted)"), &[]));
        assert!(writable_elsewhere(&mapping(42, "/tmp/work/lib.so"), &[PathBuf::from("/tmp/work")]));
        assert!(!writable_elsewhere(&mapping(42, "/tmp/work/lib.so"), &[PathBuf::from("/srv")]));
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
