//! The argv a new image starts with, as the kernel builds it from the argv
//! an exec was given (fs/binfmt_script.c): the same for a binary; for a
//! `#!` script, `argv[0]` dropped and the interpreter, its optional
//! argument and the script's name pushed in front — once per script, when
//! an interpreter is a script too. The check at the exec stop compares the
//! new image's `/proc/<pid>/cmdline` with this, byte for byte, and its
//! `/proc/<pid>/exe` with the last file of the chain: an argv rewritten
//! after the callback saw it cannot pass for a script's, nor a file swapped
//! (a script for a binary) with an argv rewritten to match.
//!
//! The files are read here, from the child's view (`/proc/<pid>/root`,
//! `cwd`, `fd`, and its own entries for `/proc/self` and `/dev/fd`), before
//! the exec is answered, and only those the kernel could execute, without
//! waiting. A file that changes before the kernel reads it, or a handler
//! the kernel has and this does not know (`binfmt_misc`), makes another
//! image than predicted: the exec is killed, which fails closed.

use std::ffi::OsString;
use std::fs::OpenOptions;
use std::io::Read;
use std::os::fd::AsRawFd;
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::PathBuf;

use crate::handler::HandlerCtx;
use crate::loader::script_line;

/// How many programs the kernel loads for one exec before `ELOOP`
/// (`exec_binprm`: a depth above 5).
const MAX_PROGRAMS: usize = 6;
/// How much of a file the kernel reads for its `#!` line.
const HEAD: usize = 256;

/// The program an exec names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Program {
    /// Where this process reaches the file the child names.
    path: PathBuf,
    /// The name the kernel gives the script in the copy
    /// (`bprm->filename`).
    name: Vec<u8>,
}

/// The program of the exec in `ctx` (`execveat` when `at`), or none when
/// its path cannot be read.
pub(crate) fn program(ctx: &HandlerCtx<'_>, at: bool) -> Option<Program> {
    let args = ctx.args();
    let (dirfd, path_addr) = if at { (args[0] as i32, args[1]) } else { (libc::AT_FDCWD, args[0]) };
    let path = ctx.read_cstr_bytes(path_addr, libc::PATH_MAX as usize - 1).ok()?;
    Some(program_at(ctx.pid(), dirfd, path))
}

/// What `fs/exec.c` names the file `path` relative to `dirfd` of `pid`.
fn program_at(pid: u32, dirfd: i32, path: Vec<u8>) -> Program {
    if dirfd == libc::AT_FDCWD || path.starts_with(b"/") {
        return Program { path: child_path(pid, &path), name: path };
    }
    let fd_dir = format!("/proc/{pid}/fd/{dirfd}");
    if path.is_empty() {
        // AT_EMPTY_PATH: the file is the descriptor itself.
        return Program { path: PathBuf::from(&fd_dir), name: format!("/dev/fd/{dirfd}").into_bytes() };
    }
    let relative = PathBuf::from(OsString::from_vec(path.clone()));
    let name = [format!("/dev/fd/{dirfd}/").as_bytes(), &path].concat();
    Program { path: PathBuf::from(fd_dir).join(relative), name }
}

/// Where this process reaches `path` as the child `pid` resolves it: from
/// its root when absolute, from its working directory otherwise — and the
/// child's own `/proc` entries for the names that mean "myself"
/// (`/proc/self`, `/proc/thread-self`, `/dev/fd`, `/dev/std*`), which from
/// here would mean this process.
fn child_path(pid: u32, path: &[u8]) -> PathBuf {
    // `//` and `/./` name what `/` does.
    let mut normal: Vec<u8> = if path.starts_with(b"/") { b"/".to_vec() } else { Vec::new() };
    for part in path.split(|&b| b == b'/').filter(|part| !part.is_empty() && *part != b".") {
        if !matches!(normal.last(), None | Some(b'/')) {
            normal.push(b'/');
        }
        normal.extend_from_slice(part);
    }
    if path.ends_with(b"/") && !normal.ends_with(b"/") {
        normal.push(b'/');
    }
    let path = &normal[..];
    let own = format!("/proc/{pid}/");
    let fds = format!("{own}fd/");
    let myself: [(&[u8], &str); 6] = [
        (b"/proc/self/", &own),
        (b"/proc/thread-self/", &own),
        (b"/dev/fd/", &fds),
        (b"/dev/stdin", &format!("{fds}0")),
        (b"/dev/stdout", &format!("{fds}1")),
        (b"/dev/stderr", &format!("{fds}2")),
    ];
    for (name, there) in myself {
        if let Some(rest) = path.strip_prefix(name) {
            return PathBuf::from(there).join(std::ffi::OsStr::from_bytes(rest));
        }
    }
    let path = std::path::Path::new(std::ffi::OsStr::from_bytes(path));
    match path.strip_prefix("/") {
        Ok(inside) => PathBuf::from(format!("/proc/{pid}/root")).join(inside),
        Err(_) => PathBuf::from(format!("/proc/{pid}/cwd")).join(path),
    }
}

/// What the image an exec starts must be: its `/proc/<pid>/cmdline`, and
/// for a script the file it runs (`/proc/<pid>/exe`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ExpectedImage {
    pub cmdline: Vec<u8>,
    pub exe: Exe,
}

/// What `/proc/<pid>/exe` of the new image must be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Exe {
    /// Anything: a binary's copy is its argv, which is compared; which
    /// file runs is path control's to decide, as for any exec.
    Any,
    /// The last file of a script's chain, by (device, inode): the prefix
    /// of the copy was read from the files, and a script swapped for a
    /// binary, with the argv rewritten to that prefix, would match it.
    Is(u64, u64),
    /// A script whose chain could not be followed here: no image passes.
    Unknown,
}

/// The image an exec of `program` with `args` starts, child `pid`'s files
/// deciding; `program` none is taken for a binary of unknown file.
pub(crate) fn expected_image(pid: u32, program: Option<&Program>, args: &[OsString]) -> ExpectedImage {
    let mut argv: Vec<Vec<u8>> = args.iter().map(|a| a.as_bytes().to_vec()).collect();
    if argv.is_empty() {
        // Linux 5.18 on starts an empty argv with one empty argument.
        argv.push(Vec::new());
    }
    let mut exe = Exe::Any;
    if let Some(program) = program {
        let (mut file, mut name) = (program.path.clone(), program.name.clone());
        for level in 0..MAX_PROGRAMS {
            let Some(executable) = Executable::open(&file) else { break };
            if level > 0 {
                exe = Exe::Is(executable.id.0, executable.id.1);
            }
            let Some(line) = executable.head.as_deref().and_then(script_line) else { break };
            let mut next = vec![line.interpreter.clone()];
            next.extend(line.argument);
            next.push(name);
            next.extend(argv.drain(..).skip(1));
            argv = next;
            file = child_path(pid, &line.interpreter);
            name = line.interpreter;
            exe = Exe::Unknown;
        }
    }
    ExpectedImage { cmdline: argv.into_iter().flat_map(|arg| arg.into_iter().chain([0])).collect(), exe }
}

/// A file the kernel could execute, and its first bytes.
struct Executable {
    id: (u64, u64),
    /// None when it cannot be read without waiting (a lease).
    head: Option<Vec<u8>>,
}

impl Executable {
    /// The file at `path` when it is one the kernel could execute: a
    /// regular file with an execute bit, on a mount without `noexec`. A
    /// path the child chose may name a FIFO, a device, or a file whose
    /// reading takes something from the host (`/proc/kmsg`, tracefs's
    /// `trace_pipe`): the file is opened `O_PATH` first, which opens
    /// nothing, and read only if the kernel could run it, without waiting.
    fn open(path: &std::path::Path) -> Option<Executable> {
        let handle = OpenOptions::new().read(true).custom_flags(libc::O_PATH).open(path).ok()?;
        let meta = handle.metadata().ok()?;
        let noexec = nix::sys::statvfs::fstatvfs(&handle)
            .map_or(true, |fs| fs.flags().contains(nix::sys::statvfs::FsFlags::ST_NOEXEC));
        if !meta.is_file() || meta.permissions().mode() & 0o111 == 0 || noexec {
            return None;
        }
        let read = OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY)
            .open(format!("/proc/self/fd/{}", handle.as_raw_fd()));
        let head = read.ok().and_then(|file| {
            let mut head = Vec::with_capacity(HEAD);
            file.take(HEAD as u64).read_to_end(&mut head).ok().map(|_| head)
        });
        Some(Executable { id: (meta.dev(), meta.ino()), head })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn args(list: &[&str]) -> Vec<OsString> {
        list.iter().map(OsString::from).collect()
    }

    fn cmdline(list: &[&str]) -> Vec<u8> {
        list.iter().flat_map(|a| a.bytes().chain([0])).collect()
    }

    fn id(path: &str) -> Option<(u64, u64)> {
        use std::os::unix::fs::MetadataExt;
        let meta = std::fs::metadata(path).unwrap();
        Some((meta.dev(), meta.ino()))
    }

    #[test]
    fn the_image_is_the_argv_for_a_binary_and_grows_per_script() {
        let dir = std::env::temp_dir().join(format!("sandlock-exec-copy-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let script = |name: &str, text: &str, mode: u32| {
            let path = dir.join(name);
            std::fs::write(&path, text).unwrap();
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
            path.to_str().unwrap().to_owned()
        };
        let plain = script("plain.sh", "#!/bin/sh\necho\n", 0o755);
        let with_arg = script("arg.sh", "#!/usr/bin/env  python3 -u \nprint()\n", 0o755);
        let nested = script("nested", &format!("#!{with_arg} -x\n"), 0o755);
        let unrunnable = script("unrunnable", "#!/bin/sh\n", 0o644);
        // SAFETY: getpid has no memory effects.
        let me = unsafe { libc::getpid() } as u32;
        let expect = |path: &str, given: &[&str]| {
            expected_image(me, Some(&program_at(me, libc::AT_FDCWD, path.as_bytes().to_vec())), &args(given))
        };
        let image = |list: &[&str], exe: &str| {
            let (dev, ino) = id(exe).unwrap();
            ExpectedImage { cmdline: cmdline(list), exe: Exe::Is(dev, ino) }
        };
        let binary = ExpectedImage { cmdline: cmdline(&["true", "a"]), exe: Exe::Any };
        assert_eq!(expect("/bin/true", &["true", "a"]), binary);
        assert_eq!(expect(&plain, &["x", "a", "b"]), image(&["/bin/sh", &plain, "a", "b"], "/bin/sh"));
        let env = image(&["/usr/bin/env", "python3 -u", &with_arg, "a"], "/usr/bin/env");
        assert_eq!(expect(&with_arg, &["x", "a"]), env);
        let chain = image(&["/usr/bin/env", "python3 -u", &with_arg, "-x", &nested, "a"], "/usr/bin/env");
        assert_eq!(expect(&nested, &["x", "a"]), chain);
        assert_eq!(expect(&plain, &[]).cmdline, cmdline(&["/bin/sh", &plain]));
        assert_eq!(expected_image(me, None, &[]), ExpectedImage { cmdline: vec![0], exe: Exe::Any });
        // Files the kernel could not execute are not read: their lines are
        // no script's.
        assert_eq!(expect(&unrunnable, &["x"]), ExpectedImage { cmdline: cmdline(&["x"]), exe: Exe::Any });
        assert_eq!(expect("/proc/kmsg", &["x"]).cmdline, cmdline(&["x"]));
        // A script whose interpreter cannot be followed passes no image.
        let lost = script("lost", "#!/nonexistent/sh\n", 0o755);
        assert_eq!(expect(&lost, &["x"]).exe, Exe::Unknown);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn names_for_myself_are_the_childs() {
        assert_eq!(child_path(7, b"/proc/self/fd/3"), PathBuf::from("/proc/7/fd/3"));
        assert_eq!(child_path(7, b"/proc/thread-self/exe"), PathBuf::from("/proc/7/exe"));
        assert_eq!(child_path(7, b"/dev/fd/3"), PathBuf::from("/proc/7/fd/3"));
        assert_eq!(child_path(7, b"/dev/stdin"), PathBuf::from("/proc/7/fd/0"));
        assert_eq!(child_path(7, b"/usr/bin/x"), PathBuf::from("/proc/7/root/usr/bin/x"));
        assert_eq!(child_path(7, b"x"), PathBuf::from("/proc/7/cwd/x"));
        assert_eq!(child_path(7, b"//proc/./self//exe"), PathBuf::from("/proc/7/exe"));
    }

    #[test]
    fn a_program_is_named_as_the_kernel_names_it() {
        assert_eq!(program_at(7, libc::AT_FDCWD, b"./s".to_vec()).name, b"./s");
        assert_eq!(program_at(7, libc::AT_FDCWD, b"./s".to_vec()).path, PathBuf::from("/proc/7/cwd/./s"));
        assert_eq!(program_at(7, 3, b"/bin/s".to_vec()).path, PathBuf::from("/proc/7/root/bin/s"));
        assert_eq!(program_at(7, 3, b"s".to_vec()).name, b"/dev/fd/3/s");
        assert_eq!(program_at(7, 3, b"s".to_vec()).path, PathBuf::from("/proc/7/fd/3/s"));
        assert_eq!(program_at(7, 3, Vec::new()).name, b"/dev/fd/3");
    }
}
