//! procfs virtualisation: the child sees its own processes only.
//!
//! When a policy grants `/proc`, Landlock is built *without* it, so the child
//! itself can open nothing there. This built-in answers every absolute
//! `/proc` open instead: it checks the path (pids must belong to the
//! sandbox, files must be on the lists below), opens it here with `openat2`
//! confined beneath `/proc` with no symlinks, and injects the fd.
//!
//! The supervisor opens with the child's file-system uid and gid and the
//! capabilities it keeps, so the kernel's checks at open (the ptrace check
//! of `environ`, `maps`, `fd` against a process that made itself not
//! dumpable) are the child's. Some files still decide what to show from
//! the opener at read time (`pagemap` shows physical frames only to
//! `CAP_SYS_ADMIN`, `stack` is root-only, `net/` lists the host's sockets):
//! so only files whose content is the same whoever opens them are on the
//! lists, each decided in docs/user-guide.md.
//! Any other path gets `Continue`; because Landlock still hides `/proc`, a
//! path swapped by another thread after the check cannot reach it (no
//! TOCTOU window). Relative opens into `/proc` therefore fail with `EACCES`.

use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::fs::OpenOptionsExt;
use std::sync::OnceLock;

use nix::fcntl::{openat2, OFlag, OpenHow, ResolveFlag};
use nix::unistd::{getpgid, Pid};

use crate::handler::{Handler, HandlerCtx, HandlerResult};
use crate::notif::{ExceptionPolicy, NotifAction};
use crate::syscall::number_of;

pub(crate) struct ProcFs {
    /// Who the child is, for the opens made on its behalf: its
    /// file-system ids and the capabilities it keeps.
    pub uid: u32,
    pub gid: u32,
    pub caps: u64,
}

/// Global `/proc` files that say nothing about other processes.
const GLOBAL_FILES: &[&str] = &["cpuinfo", "meminfo", "stat", "loadavg", "uptime", "version", "filesystems"];

/// Entries of `/proc/<pid>` (and `/proc/<pid>/task/<tid>`) of a sandboxed
/// process that show the same to the child as to the supervisor. `fd` and
/// `fdinfo` are directories; the links inside `fd` are magic links, which
/// the open refuses.
const PROCESS_FILES: &[&str] = &[
    "auxv",
    "cgroup",
    "cmdline",
    "comm",
    "cpuset",
    "environ",
    "fd",
    "fdinfo",
    "io",
    "limits",
    "loginuid",
    "maps",
    "mountinfo",
    "mounts",
    "oom_score",
    "oom_score_adj",
    "schedstat",
    "sessionid",
    "smaps",
    "smaps_rollup",
    "stat",
    "statm",
    "status",
    "task",
];

impl Handler for ProcFs {
    fn handle(&self, ctx: &HandlerCtx<'_>) -> HandlerResult {
        let args = ctx.args();
        let nr = ctx.syscall_nr() as u32;
        let (path_addr, flags) = if Some(nr) == number_of("openat2") {
            let mut how = [0u8; 8];
            ctx.read_mem(args[2], &mut how)?;
            (args[1], u64::from_ne_bytes(how))
        } else if Some(nr) == number_of("openat") {
            (args[1], args[2])
        } else {
            (args[0], args[1])
        };
        // A bad pointer is the kernel's to report; Landlock keeps /proc shut.
        let Ok(path) = ctx.read_cstr_bytes(path_addr, libc::PATH_MAX as usize) else {
            return Ok(NotifAction::Continue);
        };
        let Some(rest) = under_proc(&path) else {
            return Ok(NotifAction::Continue);
        };
        let relative = match rewrite(rest, ctx.pid(), |pid| in_sandbox(pid, ctx.sandbox_pgid())) {
            Ok(relative) => relative,
            Err(errno) => return Ok(NotifAction::Errno(errno)),
        };
        // With the child's ids and capabilities: a file another process of
        // the sandbox keeps from it (not dumpable) stays kept.
        let opened = crate::caps::as_child(self.uid, self.gid, self.caps, || open_beneath_proc(&relative, flags));
        Ok(match opened.and_then(|result| result) {
            Ok(fd) => {
                let cloexec = flags & libc::O_CLOEXEC as u64 != 0;
                NotifAction::InjectFdSend { srcfd: fd, newfd_flags: if cloexec { libc::O_CLOEXEC as u32 } else { 0 } }
            }
            Err(errno) => NotifAction::Errno(errno),
        })
    }

    fn exception_policy(&self) -> ExceptionPolicy {
        ExceptionPolicy::DenyEperm
    }
}

/// The part after `/proc/` of an absolute path into `/proc`.
fn under_proc(path: &[u8]) -> Option<&[u8]> {
    if path == b"/proc" {
        return Some(b"");
    }
    path.strip_prefix(b"/proc/")
}

fn in_sandbox(pid: u32, sandbox_pgid: i32) -> bool {
    let Ok(pid) = i32::try_from(pid) else { return false };
    pid > 0 && getpgid(Some(Pid::from_raw(pid))).is_ok_and(|pgid| pgid.as_raw() == sandbox_pgid)
}

/// Map the path below `/proc` to one the supervisor may open, or the errno
/// to answer: `self` becomes the caller's pid, other pids must be in the
/// sandbox, `.` and `..` are refused.
fn rewrite(rest: &[u8], caller: u32, allowed_pid: impl Fn(u32) -> bool) -> Result<String, i32> {
    let rest = std::str::from_utf8(rest).map_err(|_| libc::EACCES)?;
    let parts: Vec<&str> = rest.split('/').filter(|p| !p.is_empty()).collect();
    if parts.iter().any(|p| *p == "." || *p == "..") {
        return Err(libc::EACCES);
    }
    let Some((first, tail)) = parts.split_first() else {
        return Ok(".".into());
    };
    let head = match *first {
        "self" => caller.to_string(),
        "thread-self" => format!("{caller}/task/{caller}"),
        "mounts" if tail.is_empty() => format!("{caller}/mounts"),
        pid if is_number(pid) => {
            let pid: u32 = pid.parse().map_err(|_| libc::ENOENT)?;
            if !allowed_pid(pid) {
                return Err(libc::EACCES);
            }
            pid.to_string()
        }
        name if GLOBAL_FILES.contains(&name) && tail.is_empty() => return Ok(name.to_string()),
        _ => return Err(libc::EACCES),
    };
    // `thread-self` already names a task directory.
    let in_task = *first == "thread-self";
    if !process_entry_allowed(tail, in_task) {
        return Err(libc::EACCES);
    }
    Ok(std::iter::once(head.as_str()).chain(tail.iter().copied()).collect::<Vec<_>>().join("/"))
}

fn is_number(part: &str) -> bool {
    !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit())
}

/// The path below a process (or task) directory is on [`PROCESS_FILES`]:
/// the directory itself, an entry, `fdinfo/<n>`, or the same below
/// `task/<tid>` (once).
fn process_entry_allowed(tail: &[&str], in_task: bool) -> bool {
    match tail {
        [] => true,
        ["task"] => !in_task,
        ["task", tid, rest @ ..] if !in_task && is_number(tid) => process_entry_allowed(rest, true),
        ["fdinfo" | "fd", n] => is_number(n),
        [entry] => PROCESS_FILES.contains(entry) && *entry != "task",
        _ => false,
    }
}

/// `/proc`, opened once it could be: a failure (the host's fd table full
/// for a moment) is not kept, or every later run's `/proc` would fail.
fn proc_dir() -> Result<&'static OwnedFd, i32> {
    static PROC: OnceLock<OwnedFd> = OnceLock::new();
    if let Some(proc) = PROC.get() {
        return Ok(proc);
    }
    // O_PATH | O_DIRECTORY, and close-on-exec as std opens every file.
    let opened = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_PATH | libc::O_DIRECTORY)
        .open("/proc")
        .map_err(|e| e.raw_os_error().unwrap_or(libc::EIO))?;
    // Another thread may have opened it meanwhile: one copy is kept.
    Ok(crate::fork_locks::get_or_init(&PROC, || OwnedFd::from(opened)))
}

/// Open read-only beneath `/proc`, following no symlink of any kind.
fn open_beneath_proc(relative: &str, child_flags: u64) -> Result<OwnedFd, i32> {
    let accmode = child_flags & libc::O_ACCMODE as u64;
    let forbidden = (libc::O_CREAT | libc::O_TRUNC | libc::O_APPEND) as u64;
    // O_TMPFILE includes the O_DIRECTORY bit: test it as a whole.
    let tmpfile = libc::O_TMPFILE as u64;
    if accmode != libc::O_RDONLY as u64 || child_flags & forbidden != 0 || child_flags & tmpfile == tmpfile {
        return Err(libc::EACCES);
    }
    // Not O_PATH: the kernel hands no O_PATH file to another process
    // (`SECCOMP_IOCTL_NOTIF_ADDFD` fails with EBADF), so such an open is
    // served read-only, after the same checks.
    let kept = OFlag::O_DIRECTORY | OFlag::O_NONBLOCK;
    // The child's flags are a syscall argument: only the kept bits count.
    let flags = OFlag::from_bits_truncate(child_flags as libc::c_int) & kept;
    let how = OpenHow::new().flags(flags | OFlag::O_RDONLY | OFlag::O_CLOEXEC).resolve(
        ResolveFlag::RESOLVE_BENEATH
            | ResolveFlag::RESOLVE_NO_SYMLINKS
            | ResolveFlag::RESOLVE_NO_MAGICLINKS
            | ResolveFlag::RESOLVE_NO_XDEV,
    );
    let dir = proc_dir()?;
    let fd = openat2(dir.as_raw_fd(), relative, how).map_err(|e| e as i32)?;
    // SAFETY: openat2 returned a new fd that nothing else owns.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn only(pid: u32) -> impl Fn(u32) -> bool {
        move |p| p == pid
    }

    #[test]
    fn self_maps_to_the_caller() {
        assert_eq!(rewrite(b"self/status", 42, only(42)), Ok("42/status".into()));
        assert_eq!(rewrite(b"thread-self/comm", 42, only(42)), Ok("42/task/42/comm".into()));
        assert_eq!(rewrite(b"", 42, only(42)), Ok(".".into()));
    }

    #[test]
    fn foreign_pids_and_dot_dot_are_refused() {
        assert_eq!(rewrite(b"1/cmdline", 42, only(42)), Err(libc::EACCES));
        assert_eq!(rewrite(b"self/../1/cmdline", 42, only(42)), Err(libc::EACCES));
        assert_eq!(rewrite(b"kallsyms", 42, only(42)), Err(libc::EACCES));
        assert_eq!(rewrite(b"sys/kernel/hostname", 42, only(42)), Err(libc::EACCES));
        assert_eq!(rewrite(b"42/cmdline", 42, only(42)), Ok("42/cmdline".into()));
    }

    #[test]
    fn files_that_depend_on_the_opener_are_refused() {
        for path in [
            "self/pagemap",
            "self/stack",
            "self/syscall",
            "self/mem",
            "self/net/unix",
            "net/tcp",
            "self/task/42/stack",
            "thread-self/pagemap",
            "self/attr/current",
            "self/ns/net",
            "self/task/42/task/42/stat",
            "self/fd/3/x",
        ] {
            assert_eq!(rewrite(path.as_bytes(), 42, only(42)), Err(libc::EACCES), "{path}");
        }
        for (path, out) in [
            ("self/status", "42/status"),
            ("self/maps", "42/maps"),
            ("self/task/43/status", "42/task/43/status"),
            ("thread-self/stat", "42/task/42/stat"),
            ("self/fd", "42/fd"),
            ("self/fdinfo/3", "42/fdinfo/3"),
            ("self/task", "42/task"),
            ("mounts", "42/mounts"),
            ("self", "42"),
        ] {
            assert_eq!(rewrite(path.as_bytes(), 42, only(42)), Ok(out.to_string()), "{path}");
        }
    }

    #[test]
    fn only_absolute_proc_paths_are_mediated() {
        assert_eq!(under_proc(b"/proc/self/stat"), Some(&b"self/stat"[..]));
        assert_eq!(under_proc(b"/proc"), Some(&b""[..]));
        assert_eq!(under_proc(b"/procfoo"), None);
        assert_eq!(under_proc(b"self/stat"), None);
    }

    #[test]
    fn writes_and_magic_links_are_refused() {
        let me = nix::unistd::getpid();
        assert_eq!(open_beneath_proc(&format!("{me}/status"), libc::O_WRONLY as u64).err(), Some(libc::EACCES));
        assert_eq!(open_beneath_proc(&format!("{me}/root/etc/passwd"), 0).err(), Some(libc::ELOOP));
        assert!(open_beneath_proc(&format!("{me}/status"), 0).is_ok());
        assert_eq!(open_beneath_proc(".", libc::O_TMPFILE as u64).err(), Some(libc::EACCES));
    }

    #[test]
    fn directories_open_like_files() {
        let flags = (libc::O_RDONLY | libc::O_DIRECTORY | libc::O_NONBLOCK | libc::O_CLOEXEC) as u64;
        assert!(open_beneath_proc(".", flags).is_ok());
        let me = nix::unistd::getpid();
        assert!(open_beneath_proc(&format!("{me}/task"), flags).is_ok());
    }
}
