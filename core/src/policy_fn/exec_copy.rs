//! The argv a new image starts with, as the kernel builds it from the argv
//! an exec was given (fs/binfmt_script.c): the same for a binary; for a
//! `#!` script, `argv[0]` dropped and the interpreter, its optional
//! argument and the script's name pushed in front — once per script, when
//! an interpreter is a script too. The check at the exec stop compares the
//! new image's `/proc/<pid>/cmdline` with this, byte for byte: an argv
//! rewritten after the callback saw it cannot pass for a script's.
//!
//! The files are read here, from the child's view (`/proc/<pid>/root`,
//! `cwd`, `fd`), before the exec is answered. A file that changes before
//! the kernel reads it, or a handler the kernel has and this does not know
//! (`binfmt_misc`), makes a copy other than predicted: the exec is killed,
//! which fails closed.

use std::ffi::OsString;
use std::fs::{File, OpenOptions};
use std::io::Read;
use std::os::fd::AsRawFd;
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::os::unix::fs::OpenOptionsExt;
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
/// its root when absolute, from its working directory otherwise.
fn child_path(pid: u32, path: &[u8]) -> PathBuf {
    let path = std::path::Path::new(std::ffi::OsStr::from_bytes(path));
    match path.strip_prefix("/") {
        Ok(inside) => PathBuf::from(format!("/proc/{pid}/root")).join(inside),
        Err(_) => PathBuf::from(format!("/proc/{pid}/cwd")).join(path),
    }
}

/// `/proc/<pid>/cmdline` of the image an exec of `program` with `args`
/// starts, child `pid`'s files deciding; `program` none is taken for a
/// binary.
pub(crate) fn expected_cmdline(pid: u32, program: Option<&Program>, args: &[OsString]) -> Vec<u8> {
    let mut argv: Vec<Vec<u8>> = args.iter().map(|a| a.as_bytes().to_vec()).collect();
    if argv.is_empty() {
        // Linux 5.18 on starts an empty argv with one empty argument.
        argv.push(Vec::new());
    }
    if let Some(program) = program {
        let (mut file, mut name) = (program.path.clone(), program.name.clone());
        for _ in 1..MAX_PROGRAMS {
            let Some(line) = head_of_regular_file(&file).and_then(|head| script_line(&head)) else { break };
            let mut next = vec![line.interpreter.clone()];
            next.extend(line.argument);
            next.push(name);
            next.extend(argv.drain(..).skip(1));
            argv = next;
            file = child_path(pid, &line.interpreter);
            name = line.interpreter;
        }
    }
    argv.into_iter().flat_map(|arg| arg.into_iter().chain([0])).collect()
}

/// The first bytes of `path` when it is a regular file. A path the child
/// chose may name a FIFO or a device: the file is first opened `O_PATH`,
/// which opens nothing, and read only if it is a regular file.
fn head_of_regular_file(path: &std::path::Path) -> Option<Vec<u8>> {
    let handle = OpenOptions::new().read(true).custom_flags(libc::O_PATH).open(path).ok()?;
    if !handle.metadata().ok()?.is_file() {
        return None;
    }
    let file = File::open(format!("/proc/self/fd/{}", handle.as_raw_fd())).ok()?;
    let mut head = Vec::with_capacity(HEAD);
    file.take(HEAD as u64).read_to_end(&mut head).ok()?;
    Some(head)
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

    #[test]
    fn the_copy_is_the_argv_for_a_binary_and_grows_per_script() {
        let dir = std::env::temp_dir().join(format!("sandlock-exec-copy-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let script = |name: &str, text: &str| {
            let path = dir.join(name);
            std::fs::write(&path, text).unwrap();
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
            path.to_str().unwrap().to_owned()
        };
        let plain = script("plain.sh", "#!/bin/sh\necho\n");
        let with_arg = script("arg.sh", "#!/usr/bin/env  python3 -u \nprint()\n");
        let nested = script("nested", &format!("#!{with_arg} -x\n"));
        // SAFETY: getpid has no memory effects.
        let me = unsafe { libc::getpid() } as u32;
        let expect = |path: &str, given: &[&str]| {
            expected_cmdline(me, Some(&program_at(me, libc::AT_FDCWD, path.as_bytes().to_vec())), &args(given))
        };
        assert_eq!(expect("/bin/true", &["true", "a"]), cmdline(&["true", "a"]));
        assert_eq!(expect(&plain, &["x", "a", "b"]), cmdline(&["/bin/sh", &plain, "a", "b"]));
        assert_eq!(expect(&with_arg, &["x", "a"]), cmdline(&["/usr/bin/env", "python3 -u", &with_arg, "a"]));
        assert_eq!(
            expect(&nested, &["x", "a"]),
            cmdline(&["/usr/bin/env", "python3 -u", &with_arg, "-x", &nested, "a"])
        );
        assert_eq!(expect(&plain, &[]), cmdline(&["/bin/sh", &plain]));
        assert_eq!(expected_cmdline(me, None, &[]), vec![0]);
        // Not a regular file: read as nothing, never opened for reading.
        assert_eq!(head_of_regular_file(std::path::Path::new("/dev/zero")), None);
        std::fs::remove_dir_all(&dir).unwrap();
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
