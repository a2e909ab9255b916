//! What a program needs to be loaded: found by reading files the way the
//! kernel and the dynamic loader would (ELF headers with goblin, `#!`
//! lines, `/etc/ld.so.conf`), never by running the program or its loader,
//! which would run untrusted code outside the sandbox.
//!
//! [`load_paths`] is every directory a program's loading reads (the
//! `sandlock` command's `--auto-read`); [`exec_interpreter`] is the one
//! file the kernel itself opens next when it executes a program (the
//! pre-fork exec check).

use std::collections::{BTreeSet, HashSet};
use std::ffi::{OsStr, OsString};
use std::fs;
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use goblin::container::Ctx;
use goblin::elf::program_header::{ProgramHeader, PT_INTERP};
use goblin::elf::Elf;
use nix::sys::statvfs::{statvfs, FsFlags};

use crate::error::ExecProblem;

/// The dynamic loader's cache; reading it is how ld.so finds libraries in
/// the directories of /etc/ld.so.conf quickly.
const LD_SO_CACHE: &str = "/etc/ld.so.cache";
const LD_SO_CONF: &str = "/etc/ld.so.conf";
/// How many `#!` interpreters the kernel follows (BINPRM_MAX_RECURSION).
const MAX_SCRIPT_DEPTH: usize = 4;

#[cfg(target_arch = "x86_64")]
const MULTIARCH: &str = "x86_64-linux-gnu";
#[cfg(target_arch = "aarch64")]
const MULTIARCH: &str = "aarch64-linux-gnu";

/// The read grants that let `program` start: the files the kernel and the
/// dynamic loader would load — the program, its interpreters (`#!` lines
/// and the ELF `PT_INTERP`) and its shared libraries (`DT_NEEDED`, found
/// through `DT_RUNPATH`/`DT_RPATH`, `/etc/ld.so.conf` and the default
/// directories), recursively — and the loader's cache when there is one,
/// sorted and without duplicates. `path` is the search path of
/// `#!/usr/bin/env NAME`. Files are read, never run.
///
/// The program is untrusted, so what it names is parsed as the kernel,
/// `env` and the loader parse it, and only files they would load count:
/// an interpreter is a regular executable file that is an ELF or a `#!`
/// script, the ELF interpreter an ELF, a library a shared object of the
/// program's machine. A file is granted through its directory only when
/// that directory is the program's own, on `path`, or one the loader
/// searches by its configuration; any other is granted alone, so that a
/// program cannot name its way into a directory. Data files the program
/// opens later (a Python stdlib, locales, certificates) are not included.
pub fn load_paths(program: &Path, path: &OsStr) -> Vec<PathBuf> {
    let conf_dirs = ld_so_conf_dirs(Path::new(LD_SO_CONF), &mut HashSet::new());
    let Ok(program) = fs::canonicalize(program) else { return Vec::new() };
    let system_dirs: HashSet<PathBuf> = std::env::split_paths(path)
        .chain(conf_dirs.iter().cloned())
        .chain(default_dirs())
        .filter_map(|dir| fs::canonicalize(dir).ok())
        .collect();
    let mut resolver =
        Resolver { path: path.to_os_string(), conf_dirs, system_dirs, seen: HashSet::new(), files: BTreeSet::new() };
    resolver.files.insert(program.clone());
    resolver.program(&program, 0);
    let whole = |dir: &Path| resolver.system_dirs.contains(dir) || Some(dir) == program.parent();
    let mut grants: BTreeSet<PathBuf> = resolver
        .files
        .iter()
        .map(|file| match file.parent() {
            Some(dir) if whole(dir) => dir.to_path_buf(),
            _ => file.clone(),
        })
        .collect();
    if Path::new(LD_SO_CACHE).is_file() {
        grants.insert(PathBuf::from(LD_SO_CACHE));
    }
    grants.into_iter().collect()
}

/// The file the kernel opens after `program` when it executes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Interpreter {
    /// The interpreter of a `#!` line, which the kernel executes in turn.
    Script(PathBuf),
    /// The ELF interpreter (`PT_INTERP`, the dynamic loader).
    Elf(PathBuf),
}

/// How much of a script the kernel reads for its `#!` line (BINPRM_BUF_SIZE).
const BINPRM_BUF_SIZE: usize = 256;

/// A `#!` line as the kernel splits it (fs/binfmt_script.c, Linux 5.1 on).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ScriptLine {
    pub interpreter: Vec<u8>,
    /// Everything after the interpreter but the spaces around it, as one
    /// argument.
    pub argument: Option<Vec<u8>>,
}

/// The `#!` line at the start of `head` (the first bytes of a file), or
/// none when the kernel would not run the file as a script: not `#!`, no
/// interpreter, or an interpreter name the 256-byte buffer cuts (and when
/// the name is empty, which the kernel runs as a script that cannot run).
pub(crate) fn script_line(head: &[u8]) -> Option<ScriptLine> {
    // The kernel's buffer: the file's first bytes, zeros after a short one.
    let mut buf = [0u8; BINPRM_BUF_SIZE];
    let len = head.len().min(BINPRM_BUF_SIZE);
    buf[..len].copy_from_slice(&head[..len]);
    if !buf.starts_with(b"#!") {
        return None;
    }
    let spacetab = |b: u8| b == b' ' || b == b'\t';
    // Both searches include `last`, as the kernel's do.
    let non_spacetab = |first: usize, last: usize| (first..=last).find(|&i| !spacetab(buf[i]));
    let terminator = |first: usize, last: usize| (first..=last).find(|&i| spacetab(buf[i]) || buf[i] == 0);
    let buf_end = BINPRM_BUF_SIZE - 1;
    let newline = buf.iter().take_while(|&&b| b != 0).position(|&b| b == b'\n');
    let mut end = match newline {
        Some(at) => at,
        None => {
            let first = non_spacetab(2, buf_end)?;
            // No space, tab or NUL after the name: it may be cut.
            terminator(first, buf_end)?;
            buf_end
        }
    };
    while spacetab(buf[end - 1]) {
        end -= 1;
    }
    let name = non_spacetab(2, end).filter(|&at| at != end)?;
    let separator = terminator(name, end);
    let argument = separator.filter(|&at| buf[at] != 0).and_then(|at| non_spacetab(at, end));
    // Each is a C string: it also ends at the first NUL.
    let c_string = |from: usize, to: usize| buf[from..to].split(|&b| b == 0).next().unwrap_or_default().to_vec();
    let interpreter = c_string(name, separator.unwrap_or(end));
    // An empty name (a NUL first) is a script whose exec fails (ENOENT).
    (!interpreter.is_empty()).then(|| ScriptLine { interpreter, argument: argument.map(|at| c_string(at, end)) })
}

/// How much of a file is read to find its interpreter: a `#!` line is at
/// most this long for the kernel (BINPRM_BUF_SIZE), and the ELF program
/// headers follow the ELF header in every linker's output.
const HEAD: usize = 4096;

/// The interpreter of the executable `program`, when it has one and the
/// file can be read: its `#!` line or its `PT_INTERP`. Reads the head of
/// the file only.
pub(crate) fn exec_interpreter(program: &Path) -> Option<Interpreter> {
    let file = fs::File::open(program).ok()?;
    let mut head = vec![0u8; HEAD];
    let len = file.read_at(&mut head, 0).ok()?;
    head.truncate(len);
    if head.starts_with(b"#!") {
        return script_line(&head).map(|line| Interpreter::Script(PathBuf::from(OsString::from_vec(line.interpreter))));
    }
    let header = Elf::parse_header(&head).ok()?;
    let ctx = Ctx::new(header.container().ok()?, header.endianness().ok()?);
    let headers = ProgramHeader::parse(&head, header.e_phoff as usize, header.e_phnum as usize, ctx).ok()?;
    let interp = headers.iter().find(|h| h.p_type == PT_INTERP)?;
    let mut name = vec![0u8; usize::try_from(interp.p_filesz).ok()?.min(libc::PATH_MAX as usize)];
    let read = file.read_at(&mut name, interp.p_offset).ok()?;
    name.truncate(read);
    let name = name.split(|&b| b == 0).next().unwrap_or_default();
    (!name.is_empty()).then(|| Interpreter::Elf(PathBuf::from(OsStr::from_bytes(name))))
}

/// The machine an executable was built for; libraries of another one
/// (32-bit ones in a shared directory) are skipped as the loader skips them.
#[derive(Clone, Copy, PartialEq, Eq)]
struct Machine {
    is_64: bool,
    e_machine: u16,
}

struct Resolver {
    path: OsString,
    conf_dirs: Vec<PathBuf>,
    /// Canonical directories of `path`, ld.so.conf and the loader's
    /// defaults: the system's, where no program puts files of its own.
    system_dirs: HashSet<PathBuf>,
    /// Canonical paths of the programs and interpreters already looked at
    /// (a script may name itself).
    seen: HashSet<PathBuf>,
    /// Canonical paths of every file the program needs.
    files: BTreeSet<PathBuf>,
}

impl Resolver {
    /// The executable file at the canonical `path`, already counted: what
    /// its `#!` line or its ELF headers make the kernel and the loader load.
    fn program(&mut self, path: &Path, depth: usize) {
        if !self.seen.insert(path.to_path_buf()) {
            return;
        }
        let Ok(bytes) = fs::read(path) else { return };
        if bytes.starts_with(b"#!") {
            if let Some(line) = script_line(&bytes).filter(|_| depth < MAX_SCRIPT_DEPTH) {
                self.script(&line, depth);
            }
            return;
        }
        let Ok(elf) = Elf::parse(&bytes) else { return };
        let machine = Machine { is_64: elf.is_64, e_machine: elf.header.e_machine };
        if let Some(interpreter) = elf_interpreter(&elf, &bytes) {
            self.elf_interpreter(&interpreter);
        }
        self.object(path, &elf, machine, &[]);
    }

    /// An interpreter the kernel executes in turn (a `#!` line's), and for
    /// `env` the program it runs.
    fn script(&mut self, line: &ScriptLine, depth: usize) {
        let interpreter = PathBuf::from(OsStr::from_bytes(&line.interpreter));
        let Some(found) = executable(&interpreter) else { return };
        self.files.insert(found.clone());
        self.program(&found, depth + 1);
        // The system's env, by the file it is: a program's own "env" (a
        // link to cat, a copy of it) would have the name granted.
        let is_env = found.file_name() == Some(OsStr::new("env"))
            && found.parent().is_some_and(|dir| self.system_dirs.contains(dir));
        if is_env {
            let argument = line.argument.as_deref().map(String::from_utf8_lossy);
            if let Some(name) = argument.as_deref().and_then(env_program) {
                let found = if name.contains('/') { executable(Path::new(name)) } else { self.on_path(name) };
                if let Some(found) = found {
                    self.files.insert(found.clone());
                    self.program(&found, depth + 1);
                }
            }
        }
    }

    /// The ELF interpreter (the dynamic loader): an ELF itself, which the
    /// kernel maps without looking for an interpreter of its own.
    fn elf_interpreter(&mut self, path: &Path) {
        let Some(found) = executable(path) else { return };
        let is_elf = fs::read(&found).is_ok_and(|bytes| Elf::parse(&bytes).is_ok());
        if is_elf {
            self.files.insert(found);
        }
    }

    /// An ELF object's libraries, recursively. `rpath` is the DT_RPATH
    /// chain of the objects that loaded it, which the loader also searches
    /// for it when it has no DT_RUNPATH.
    fn object(&mut self, path: &Path, elf: &Elf<'_>, machine: Machine, rpath: &[PathBuf]) {
        let runpath = search_dirs(&elf.runpaths, path);
        let mut own_rpath = Vec::new();
        if runpath.is_empty() {
            own_rpath.extend(search_dirs(&elf.rpaths, path));
            own_rpath.extend(rpath.iter().cloned());
        }
        for name in &elf.libraries {
            let candidates: Vec<PathBuf> = if name.contains('/') {
                vec![PathBuf::from(name)]
            } else {
                own_rpath
                    .iter()
                    .chain(&runpath)
                    .chain(&self.conf_dirs)
                    .chain(&default_dirs())
                    .map(|d| d.join(name))
                    .collect()
            };
            for candidate in candidates {
                if self.library(&candidate, machine, &own_rpath) {
                    break;
                }
            }
        }
    }

    /// A library candidate; true when it is the one the loader would take:
    /// a shared object of the program's machine.
    fn library(&mut self, path: &Path, machine: Machine, rpath: &[PathBuf]) -> bool {
        let Ok(canonical) = fs::canonicalize(path) else { return false };
        if self.files.contains(&canonical) {
            return true;
        }
        let Ok(bytes) = fs::read(&canonical) else { return false };
        let Ok(elf) = Elf::parse(&bytes) else { return false };
        if (Machine { is_64: elf.is_64, e_machine: elf.header.e_machine }) != machine
            || elf.header.e_type != goblin::elf::header::ET_DYN
        {
            return false;
        }
        self.files.insert(canonical.clone());
        self.object(&canonical, &elf, machine, rpath);
        true
    }

    /// The program `env` finds for `name` on the search path: the first
    /// file there it could execute.
    fn on_path(&self, name: &str) -> Option<PathBuf> {
        std::env::split_paths(&self.path).find_map(|dir| executable(&dir.join(name)))
    }
}

/// The canonical path of `path` when the kernel could execute it for
/// someone: an absolute path (a relative one is the child's, from a
/// directory this process does not know) to a regular file with an
/// execute bit, on a file system not mounted `noexec`.
fn executable(path: &Path) -> Option<PathBuf> {
    if !path.is_absolute() {
        return None;
    }
    let canonical = fs::canonicalize(path).ok()?;
    let meta = fs::metadata(&canonical).ok()?;
    exec_refusal(&canonical, &meta).is_none().then_some(canonical)
}

/// Why the kernel refuses to execute the file `path` (whose metadata is
/// `meta`) for every uid: not a regular file, no execute bit, or on a
/// `noexec` mount.
pub(crate) fn exec_refusal(path: &Path, meta: &fs::Metadata) -> Option<ExecProblem> {
    use std::os::unix::fs::PermissionsExt;
    if !meta.is_file() {
        return Some(ExecProblem::NotRegularFile);
    }
    let mode = meta.permissions().mode() & 0o7777;
    if mode & 0o111 == 0 {
        return Some(ExecProblem::NotExecutable { mode });
    }
    if statvfs(path).is_ok_and(|fs| fs.flags().contains(FsFlags::ST_NOEXEC)) {
        return Some(ExecProblem::NoexecMount);
    }
    None
}

/// The ELF interpreter as the kernel takes it (`load_elf_binary`): the
/// first `PT_INTERP`, a NUL-terminated name filling it (goblin keeps the
/// last one, and a name without its NUL).
fn elf_interpreter(elf: &Elf<'_>, bytes: &[u8]) -> Option<PathBuf> {
    let header = elf.program_headers.iter().find(|h| h.p_type == PT_INTERP)?;
    let start = usize::try_from(header.p_offset).ok()?;
    let len = usize::try_from(header.p_filesz).ok()?;
    if !(2..=libc::PATH_MAX as usize).contains(&len) {
        return None;
    }
    let name = bytes.get(start..start.checked_add(len)?)?;
    let (last, name) = name.split_last()?;
    (*last == 0 && !name.contains(&0)).then(|| PathBuf::from(OsStr::from_bytes(name)))
}

/// The program GNU `env` runs for the one argument a `#!` line gives it,
/// when that can be told for sure: the argument alone is a program name
/// unless it is an option; `-S STRING` (the usual `#!/usr/bin/env -S`)
/// is split into words, of which `-i`, `-u NAME`, `-v`, `--` and
/// assignments come before the name. Anything else (other options,
/// quotes, escapes, `${VAR}` in the string) gives none: no grant is better
/// than one from a misread line.
fn env_program(argument: &str) -> Option<&str> {
    let split = match argument.strip_prefix("-S").or_else(|| argument.strip_prefix("--split-string=")) {
        Some(split) => split,
        None if argument.starts_with('-') || argument.contains('=') => return None,
        None => return Some(argument),
    };
    if split.contains(['\\', '\'', '"', '$', '#']) {
        return None;
    }
    let mut words = split.split_ascii_whitespace();
    while let Some(word) = words.next() {
        match word {
            "-i" | "--ignore-environment" | "-" | "-v" | "--debug" => {}
            "-u" | "--unset" => {
                words.next()?;
            }
            "--" => return words.find(|word| !word.contains('=')),
            _ if word.starts_with("--unset=") || (word.starts_with("-u") && word.len() > 2) => {}
            _ if word.starts_with('-') => return None,
            _ if word.contains('=') => {}
            _ => return Some(word),
        }
    }
    None
}

/// DT_RPATH / DT_RUNPATH entries with `$ORIGIN` expanded to the object's
/// directory; entries with other loader variables are left out.
fn search_dirs(entries: &[&str], object: &Path) -> Vec<PathBuf> {
    let origin = object.parent().unwrap_or(Path::new("/")).to_string_lossy();
    entries
        .iter()
        .flat_map(|entry| entry.split(':'))
        .filter(|dir| !dir.is_empty())
        .map(|dir| dir.replace("${ORIGIN}", &origin).replace("$ORIGIN", &origin))
        .filter(|dir| !dir.contains('$'))
        .map(PathBuf::from)
        .collect()
}

/// The loader's built-in directories, after those of ld.so.conf.
fn default_dirs() -> [PathBuf; 6] {
    [
        PathBuf::from(format!("/lib/{MULTIARCH}")),
        PathBuf::from(format!("/usr/lib/{MULTIARCH}")),
        PathBuf::from("/lib64"),
        PathBuf::from("/usr/lib64"),
        PathBuf::from("/lib"),
        PathBuf::from("/usr/lib"),
    ]
}

/// The directories listed in an ld.so.conf, following its `include` lines
/// (glob patterns, relative to the file's directory).
fn ld_so_conf_dirs(conf: &Path, visited: &mut HashSet<PathBuf>) -> Vec<PathBuf> {
    if !visited.insert(conf.to_path_buf()) {
        return Vec::new();
    }
    let Ok(text) = fs::read_to_string(conf) else { return Vec::new() };
    let base = conf.parent().unwrap_or(Path::new("/"));
    let mut dirs = Vec::new();
    for line in text.lines() {
        let line = line.split('#').next().unwrap_or_default().trim();
        if let Some(patterns) = line.strip_prefix("include").filter(|rest| rest.starts_with([' ', '\t'])) {
            for pattern in patterns.split_whitespace() {
                for file in glob(&base.join(pattern)) {
                    dirs.extend(ld_so_conf_dirs(&file, visited));
                }
            }
        } else if line.starts_with('/') {
            dirs.push(PathBuf::from(line));
        }
    }
    dirs
}

/// Files matching `pattern`, whose wildcards (`*`, `?`) may only be in the
/// last component, as in every ld.so.conf include seen in distributions.
fn glob(pattern: &Path) -> Vec<PathBuf> {
    let (Some(dir), Some(name)) = (pattern.parent(), pattern.file_name()) else { return Vec::new() };
    let name = name.to_string_lossy();
    if !name.contains(['*', '?']) {
        return vec![pattern.to_path_buf()];
    }
    let Ok(entries) = fs::read_dir(dir) else { return Vec::new() };
    let mut files: Vec<PathBuf> = entries
        .filter_map(|entry| entry.ok())
        .filter(|entry| wildcard_match(name.as_bytes(), entry.file_name().to_string_lossy().as_bytes()))
        .map(|entry| entry.path())
        .collect();
    files.sort();
    files
}

fn wildcard_match(pattern: &[u8], text: &[u8]) -> bool {
    match (pattern.first(), text.first()) {
        (None, None) => true,
        (Some(b'*'), _) => {
            wildcard_match(&pattern[1..], text) || (!text.is_empty() && wildcard_match(pattern, &text[1..]))
        }
        (Some(b'?'), Some(_)) => wildcard_match(&pattern[1..], &text[1..]),
        (Some(p), Some(t)) if p == t => wildcard_match(&pattern[1..], &text[1..]),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn libc_dir() -> PathBuf {
        let sh = fs::canonicalize("/bin/sh").unwrap();
        let grants = load_paths(&sh, OsStr::new("/usr/bin:/bin"));
        grants.into_iter().find(|dir| dir.join("libc.so.6").exists()).expect("libc's directory is granted")
    }

    #[test]
    fn an_elf_program_needs_its_directory_its_loader_and_libc() {
        let sh = fs::canonicalize("/bin/sh").unwrap();
        let grants = load_paths(&sh, OsStr::new(""));
        assert!(grants.contains(&sh.parent().unwrap().to_path_buf()), "{grants:?}");
        assert!(grants.iter().any(|dir| dir.join("libc.so.6").exists()), "{grants:?}");
        let sorted: Vec<_> = grants.iter().cloned().collect::<BTreeSet<_>>().into_iter().collect();
        assert_eq!(grants, sorted);
    }

    #[test]
    fn a_script_line_is_split_as_the_kernel_splits_it() {
        let line = |interpreter: &str, argument: Option<&str>| {
            Some(ScriptLine { interpreter: interpreter.into(), argument: argument.map(Into::into) })
        };
        assert_eq!(script_line(b"#!/bin/sh\necho"), line("/bin/sh", None));
        assert_eq!(script_line(b"#! \t/bin/sh \t\n"), line("/bin/sh", None));
        assert_eq!(script_line(b"#!/usr/bin/env python3\n"), line("/usr/bin/env", Some("python3")));
        // The rest of the line is one argument, inner spaces and all.
        assert_eq!(script_line(b"#!/usr/bin/env -S a  b \n"), line("/usr/bin/env", Some("-S a  b")));
        assert_eq!(script_line(b"#!/bin/sh"), line("/bin/sh", None));
        assert_eq!(script_line(b"#!/bin/sh\0 -x\n"), line("/bin/sh", None));
        assert_eq!(script_line(b"#!/bin/sh -x\0y\n"), line("/bin/sh", Some("-x")));
        assert_eq!(script_line(b"#!  \n"), None);
        assert_eq!(script_line(b"#!"), None);
        assert_eq!(script_line(b"\x7fELF"), None);
        // A name running past the buffer may be cut: not a script.
        let long = [b"#!/".as_slice(), &[b'a'; 300]].concat();
        assert_eq!(script_line(&long), None);
        // An argument past it is cut where the buffer ends.
        let cut = [b"#!/bin/sh ".as_slice(), &[b'x'; 300]].concat();
        assert_eq!(script_line(&cut).unwrap().argument.unwrap().len(), 256 - 1 - 10);
    }

    /// A directory of its own under the system temp dir, removed on drop.
    struct Scratch(PathBuf);

    impl Scratch {
        fn new(name: &str) -> Scratch {
            let dir = std::env::temp_dir().join(format!("sandlock-loader-{name}-{}", std::process::id()));
            fs::create_dir_all(&dir).unwrap();
            Scratch(dir)
        }
    }

    impl Drop for Scratch {
        fn drop(&mut self) {
            let _ = fs::remove_dir_all(&self.0);
        }
    }

    #[test]
    fn a_script_needs_its_interpreter_and_what_env_runs() {
        let dir = Scratch::new("env");
        let script = dir.0.join("script");
        fs::write(&script, "#!/usr/bin/env -S sh -e\necho hi\n").unwrap();
        let sh_dir = fs::canonicalize("/bin/sh").unwrap().parent().unwrap().to_path_buf();
        let grants = load_paths(&script, OsStr::new("/usr/bin:/bin"));
        assert!(grants.contains(&dir.0.canonicalize().unwrap()), "{grants:?}");
        assert!(grants.contains(&sh_dir), "{grants:?}");
        assert!(grants.contains(&libc_dir()), "{grants:?}");
    }

    #[test]
    fn the_exec_interpreter_is_the_shebang_or_pt_interp() {
        let dir = Scratch::new("interp");
        let script = dir.0.join("script");
        fs::write(&script, "#! /usr/bin/python3 -u\nprint(1)\n").unwrap();
        assert_eq!(exec_interpreter(&script), Some(Interpreter::Script(PathBuf::from("/usr/bin/python3"))));
        let sh = fs::canonicalize("/bin/sh").unwrap();
        let elf = fs::read(&sh).unwrap();
        let expected = Elf::parse(&elf).unwrap().interpreter.map(PathBuf::from).map(Interpreter::Elf);
        assert!(expected.is_some());
        assert_eq!(exec_interpreter(&sh), expected);
        let data = dir.0.join("data");
        fs::write(&data, "just text").unwrap();
        assert_eq!(exec_interpreter(&data), None);
        assert_eq!(exec_interpreter(&dir.0.join("missing")), None);
    }

    #[test]
    fn env_arguments_are_read_as_env_reads_them_or_not_at_all() {
        assert_eq!(env_program("python3"), Some("python3"));
        assert_eq!(env_program("-S LANG=C python3 -u"), Some("python3"));
        // Without -S the argument is one word: no program has that name.
        assert_eq!(env_program("python3 -u"), Some("python3 -u"));
        assert_eq!(env_program("-S -u /etc/shadow -i /usr/bin/cat"), Some("/usr/bin/cat"));
        assert_eq!(env_program("-S --unset=X -uY -- A=1 perl"), Some("perl"));
        // An option with a value env reads in the same word, or an
        // assignment: env then runs the script itself.
        assert_eq!(env_program("-u /etc/shadow /usr/bin/cat"), None);
        assert_eq!(env_program("A=1"), None);
        // What cannot be told for sure gives nothing.
        assert_eq!(env_program("-S -C /root cat"), None);
        assert_eq!(env_program("-S 'a b' cat"), None);
        assert_eq!(env_program("-S ${X} cat"), None);
        assert_eq!(env_program("-S"), None);
        assert_eq!(env_program(""), Some(""));
    }

    /// A copy of /bin/true at `to`, executable.
    fn executable_copy(to: &Path) -> PathBuf {
        use std::os::unix::fs::PermissionsExt;
        fs::create_dir_all(to.parent().unwrap()).unwrap();
        fs::copy(fs::canonicalize("/bin/true").unwrap(), to).unwrap();
        fs::set_permissions(to, fs::Permissions::from_mode(0o755)).unwrap();
        to.to_path_buf()
    }

    #[test]
    fn what_a_script_names_outside_the_search_directories_is_granted_alone() {
        let dir = Scratch::new("alone");
        let tool = executable_copy(&dir.0.join("tools/tool"));
        let hidden = executable_copy(&dir.0.join("hidden/x"));
        let script = dir.0.join("job/script");
        fs::create_dir_all(script.parent().unwrap()).unwrap();
        fs::write(&script, format!("#!{}\n", tool.display())).unwrap();
        let grants = load_paths(&script, OsStr::new("/usr/bin:/bin"));
        assert!(grants.contains(&script.parent().unwrap().canonicalize().unwrap()), "{grants:?}");
        assert!(grants.contains(&tool.canonicalize().unwrap()), "{grants:?}");
        assert!(!grants.contains(&tool.parent().unwrap().canonicalize().unwrap()), "{grants:?}");
        // env's -u takes the next word: the program is the one after it.
        fs::write(&script, format!("#!/usr/bin/env -S -u {} {}\n", hidden.display(), tool.display())).unwrap();
        let grants = load_paths(&script, OsStr::new("/usr/bin:/bin"));
        assert!(grants.contains(&tool.canonicalize().unwrap()), "{grants:?}");
        assert!(!grants.iter().any(|grant| grant.starts_with(dir.0.join("hidden").canonicalize().unwrap())));
    }

    #[test]
    fn what_a_script_names_but_the_kernel_could_not_run_is_not_granted() {
        let dir = Scratch::new("unrunnable");
        let secret = dir.0.join("secret/data");
        fs::create_dir_all(secret.parent().unwrap()).unwrap();
        fs::write(&secret, "#!/bin/sh\n").unwrap();
        let script = dir.0.join("job/script");
        fs::create_dir_all(script.parent().unwrap()).unwrap();
        for line in [
            format!("#!{}\n", secret.display()),
            format!("#!{}\n", secret.parent().unwrap().display()),
            "#!/etc/passwd\n".to_string(),
            format!("#!/usr/bin/env {}\n", secret.display()),
        ] {
            fs::write(&script, &line).unwrap();
            let grants = load_paths(&script, OsStr::new("/usr/bin:/bin"));
            assert!(!grants.iter().any(|grant| grant.starts_with(dir.0.join("secret"))), "{line}: {grants:?}");
            assert!(!grants.iter().any(|grant| grant.starts_with("/etc/passwd") || grant == Path::new("/etc")));
        }
    }

    #[test]
    fn origin_expands_and_other_variables_are_dropped() {
        let dirs = search_dirs(&["$ORIGIN/../lib:/opt/x", "$LIB/y"], Path::new("/opt/app/bin/app"));
        assert_eq!(dirs, [PathBuf::from("/opt/app/bin/../lib"), PathBuf::from("/opt/x")]);
    }

    #[test]
    fn wildcards_match_like_the_shell() {
        assert!(wildcard_match(b"*.conf", b"libc.conf"));
        assert!(!wildcard_match(b"*.conf", b"libc.conf.bak"));
        assert!(wildcard_match(b"x?.c*", b"x1.conf"));
    }
}
