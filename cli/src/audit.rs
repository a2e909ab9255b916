//! `--audit`: a handler per named syscall that logs each call, one line
//! each, and lets it run. What it reads of the child's memory (paths,
//! socket addresses) is for display only: the child may change it before
//! the kernel reads it again, so nothing here decides anything — every
//! handler answers Continue and Landlock and the filter still apply.

use std::fmt::Write as _;
use std::fs::OpenOptions;
use std::io::Write;
use std::path::Path;
use std::sync::{Arc, Mutex};

use sandlock_core::{ExceptionPolicy, Handler, HandlerCtx, HandlerResult, NotifAction, Sandbox, Syscall};

use crate::exit::Failure;
use crate::options::{describe_io, invalid};

/// Longest path read for display (PATH_MAX).
const MAX_PATH: usize = 4096;

/// How to show one argument.
#[derive(Clone, Copy)]
enum Arg {
    /// A directory fd (`AT_FDCWD` by name).
    Dirfd,
    /// A NUL-terminated path.
    Path,
    /// open(2) flags.
    OpenFlags,
    /// A `struct sockaddr *` whose length is the next argument.
    Sockaddr,
    /// File mode bits, in octal.
    Mode,
    /// A plain integer.
    Int,
}

use Arg::{Dirfd, Int, Mode, OpenFlags, Path as P, Sockaddr};

/// Syscalls whose arguments are decoded; any other shows its six raw
/// argument registers.
const SIGNATURES: &[(&str, &[Arg])] = &[
    ("access", &[P, Int]),
    ("bind", &[Int, Sockaddr, Int]),
    ("chdir", &[P]),
    ("chmod", &[P, Mode]),
    ("connect", &[Int, Sockaddr, Int]),
    ("creat", &[P, Mode]),
    ("execve", &[P]),
    ("execveat", &[Dirfd, P]),
    ("faccessat", &[Dirfd, P, Int]),
    ("faccessat2", &[Dirfd, P, Int, Int]),
    ("mkdir", &[P, Mode]),
    ("mkdirat", &[Dirfd, P, Mode]),
    ("newfstatat", &[Dirfd, P]),
    ("open", &[P, OpenFlags]),
    ("openat", &[Dirfd, P, OpenFlags]),
    ("openat2", &[Dirfd, P]),
    ("readlink", &[P]),
    ("readlinkat", &[Dirfd, P]),
    ("rename", &[P, P]),
    ("renameat", &[Dirfd, P, Dirfd, P]),
    ("renameat2", &[Dirfd, P, Dirfd, P, Int]),
    ("rmdir", &[P]),
    ("sendto", &[Int, Int, Int, Int, Sockaddr, Int]),
    ("stat", &[P]),
    ("lstat", &[P]),
    ("statx", &[Dirfd, P, Int, Int]),
    ("truncate", &[P, Int]),
    ("unlink", &[P]),
    ("unlinkat", &[Dirfd, P, Int]),
];

const OPEN_FLAGS: &[(i32, &str)] = &[
    (libc::O_CREAT, "O_CREAT"),
    (libc::O_EXCL, "O_EXCL"),
    (libc::O_NOCTTY, "O_NOCTTY"),
    (libc::O_TRUNC, "O_TRUNC"),
    (libc::O_APPEND, "O_APPEND"),
    (libc::O_NONBLOCK, "O_NONBLOCK"),
    (libc::O_SYNC, "O_SYNC"),
    (libc::O_DSYNC, "O_DSYNC"),
    (libc::O_TMPFILE, "O_TMPFILE"),
    (libc::O_DIRECTORY, "O_DIRECTORY"),
    (libc::O_NOFOLLOW, "O_NOFOLLOW"),
    (libc::O_CLOEXEC, "O_CLOEXEC"),
    (libc::O_PATH, "O_PATH"),
    (libc::O_NOATIME, "O_NOATIME"),
    (libc::O_DIRECT, "O_DIRECT"),
];

/// Where the lines go; handlers may run on several threads at once.
type Log = Arc<Mutex<Box<dyn Write + Send>>>;

struct Audit {
    name: &'static str,
    signature: Option<&'static [Arg]>,
    log: Log,
}

impl Handler for Audit {
    fn handle(&self, ctx: &HandlerCtx<'_>) -> HandlerResult {
        let line = format!("sandlock audit: pid {}: {}\n", ctx.pid(), self.describe(ctx));
        let mut log = self.log.lock().unwrap_or_else(|e| e.into_inner());
        // A full disk or a closed stderr must not change what the child sees.
        let _ = log.write_all(line.as_bytes()).and_then(|()| log.flush());
        Ok(NotifAction::Continue)
    }

    /// Auditing never fails a call: whatever goes wrong, the call runs.
    fn exception_policy(&self) -> ExceptionPolicy {
        ExceptionPolicy::Continue
    }
}

impl Audit {
    /// `name(arg, arg, ...)` as strace shows it.
    fn describe(&self, ctx: &HandlerCtx<'_>) -> String {
        let args = ctx.args();
        let mut out = format!("{}(", self.name);
        match self.signature {
            Some(signature) => {
                for (i, arg) in signature.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    out.push_str(&show(ctx, *arg, args[i], args.get(i + 1).copied().unwrap_or(0)));
                }
            }
            None => {
                let raw: Vec<String> = args.iter().map(|a| format!("{a:#x}")).collect();
                out.push_str(&raw.join(", "));
            }
        }
        out.push(')');
        out
    }
}

fn show(ctx: &HandlerCtx<'_>, arg: Arg, value: u64, next: u64) -> String {
    match arg {
        Arg::Int => (value as i64).to_string(),
        Arg::Mode => format!("{:#o}", value as u32),
        Arg::Dirfd if value as i32 == libc::AT_FDCWD => "AT_FDCWD".to_string(),
        Arg::Dirfd => (value as i32).to_string(),
        Arg::Path => match ctx.read_cstr_bytes(value, MAX_PATH) {
            // Debug quoting escapes newlines and control bytes: one call, one line.
            Ok(bytes) => format!("{:?}", String::from_utf8_lossy(&bytes)),
            Err(e) => format!("<{e}>"),
        },
        Arg::OpenFlags => open_flags(value as i32),
        Arg::Sockaddr => sockaddr(ctx, value, next as usize),
    }
}

fn open_flags(flags: i32) -> String {
    let mut out = match flags & libc::O_ACCMODE {
        libc::O_RDONLY => "O_RDONLY".to_string(),
        libc::O_WRONLY => "O_WRONLY".to_string(),
        libc::O_RDWR => "O_RDWR".to_string(),
        other => format!("{other:#o}"),
    };
    let mut rest = flags & !libc::O_ACCMODE;
    for &(bit, name) in OPEN_FLAGS {
        if rest & bit == bit {
            out.push('|');
            out.push_str(name);
            rest &= !bit;
        }
    }
    if rest != 0 {
        let _ = write!(out, "|{rest:#o}");
    }
    out
}

/// An IPv4, IPv6 or UNIX socket address, or its family number.
fn sockaddr(ctx: &HandlerCtx<'_>, addr: u64, len: usize) -> String {
    let mut buf = vec![0u8; len.min(std::mem::size_of::<libc::sockaddr_storage>())];
    if buf.len() < 2 || ctx.read_mem(addr, &mut buf).is_err() {
        return format!("{addr:#x}");
    }
    let port = |b: &[u8]| u16::from_be_bytes([b[2], b[3]]);
    match i32::from(u16::from_ne_bytes([buf[0], buf[1]])) {
        libc::AF_INET if buf.len() >= 8 => {
            format!("{}:{}", std::net::Ipv4Addr::new(buf[4], buf[5], buf[6], buf[7]), port(&buf))
        }
        libc::AF_INET6 if buf.len() >= 24 => {
            let ip: [u8; 16] = buf[8..24].try_into().unwrap_or_default();
            format!("[{}]:{}", std::net::Ipv6Addr::from(ip), port(&buf))
        }
        libc::AF_UNIX => {
            let path = &buf[2..];
            match path.split_first() {
                // Abstract names start with a NUL and are not terminated.
                Some((0, name)) => format!("{:?}", format!("@{}", String::from_utf8_lossy(name))),
                _ => {
                    let end = path.iter().position(|&b| b == 0).unwrap_or(path.len());
                    format!("{:?}", String::from_utf8_lossy(&path[..end]))
                }
            }
        }
        family => format!("{{family {family}}}"),
    }
}

/// Add an audit handler for each of `names` to `sandbox`, writing to
/// `log_file` or else to stderr.
pub fn install(sandbox: Sandbox, names: &[String], log_file: Option<&Path>) -> Result<Sandbox, Failure> {
    if names.is_empty() {
        return Ok(sandbox);
    }
    let out: Box<dyn Write + Send> = match log_file {
        Some(path) => Box::new(open_log(path).map_err(|reason| invalid("--audit-log", path.display(), reason))?),
        None => Box::new(std::io::stderr()),
    };
    let log: Log = Arc::new(Mutex::new(out));
    let mut sandbox = sandbox;
    for name in names {
        let syscall = Syscall::from_name(name).map_err(|e| invalid("--audit", name, e))?;
        let signature = SIGNATURES.iter().find(|(n, _)| *n == syscall.name()).map(|(_, s)| *s);
        let handler = Audit { name: syscall.name(), signature, log: Arc::clone(&log) };
        sandbox = sandbox.add_handler(syscall, handler);
    }
    Ok(sandbox)
}

/// The audit log, appended to. It may sit where an earlier sandbox could
/// write, and this process may be root: a link planted there must not
/// lead the child's text into a file of the host's choosing
/// (`/etc/ld.so.preload`), and a FIFO must not hang the command. So the
/// name itself is never followed, and only a regular file is written.
fn open_log(path: &Path) -> Result<std::fs::File, String> {
    use std::os::unix::fs::OpenOptionsExt;
    let file = OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o600)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
        .open(path)
        .map_err(|e| match e.raw_os_error() {
            Some(libc::ELOOP) => "is a symbolic link: name the file itself".to_string(),
            Some(libc::ENXIO) => "is not a regular file".to_string(),
            _ => describe_io(&e),
        })?;
    let meta = file.metadata().map_err(|e| describe_io(&e))?;
    if !meta.is_file() {
        return Err("is not a regular file".into());
    }
    Ok(file)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn open_flags_read_like_strace() {
        assert_eq!(open_flags(libc::O_RDONLY | libc::O_CLOEXEC), "O_RDONLY|O_CLOEXEC");
        assert_eq!(open_flags(libc::O_WRONLY | libc::O_CREAT | libc::O_TRUNC), "O_WRONLY|O_CREAT|O_TRUNC");
        assert_eq!(open_flags(libc::O_RDWR | libc::O_TMPFILE), "O_RDWR|O_TMPFILE");
    }

    #[test]
    fn every_signature_names_a_syscall_of_this_architecture_once() {
        for (i, (name, _)) in SIGNATURES.iter().enumerate() {
            assert!(SIGNATURES[..i].iter().all(|(other, _)| other != name), "{name} twice");
            // Legacy calls (open, stat, ...) exist on x86_64 only.
            if cfg!(target_arch = "x86_64") {
                Syscall::from_name(name).unwrap();
            }
        }
    }
}
