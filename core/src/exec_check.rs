//! Why a program did not execute in the sandbox.
//!
//! Exec fails with a bare `EACCES` for many reasons; the kernel says none
//! of them. Once it refused an exec with `EACCES`, [`explain_refusal`]
//! looks at every file the kernel opens to execute the program — the
//! program, each `#!` interpreter in turn, the ELF interpreter
//! (`PT_INTERP`) — and reports the first one that cannot work for anyone:
//! not a regular file, no execute bit at all, on a `noexec` mount, or
//! under no `fs_read`/`fs_write` rule. The rule check follows Landlock
//! itself: it walks the resolved path from the file up to the root and
//! looks for the inodes the ruleset's rules are on. Failing that, it names
//! the directory or file whose permission bits keep the child's uid out
//! (bits depend on who asks, and on ACLs this does not read).
//!
//! This runs only after a refusal, never before the fork: the lookups (a
//! stat, statvfs and realpath per file and a stat per directory above it,
//! about twenty syscalls for `/bin/true`) would otherwise be paid by every
//! run that execs fine (docs/benchmarks.md).

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use crate::error::{ExecDenial, ExecFile, ExecProblem, SandlockError};
use crate::loader::{exec_interpreter, exec_refusal, Interpreter};

/// How many `#!` interpreters the kernel follows (BINPRM_MAX_RECURSION).
const MAX_SCRIPT_DEPTH: usize = 4;

/// What the sandbox lets the child execute.
pub(crate) struct ExecRules<'a> {
    /// (device, inode) of each rule that grants execution below it.
    pub roots: &'a [(u64, u64)],
    /// Landlock confines the child (false under best effort without it).
    pub landlock: bool,
}

/// Who the child is when it executes the program.
pub(crate) struct ChildIdentity {
    pub uid: u32,
    pub gid: u32,
    pub groups: Vec<u32>,
}

/// Every file of the exec chain of `program`, each with how the error
/// names it: the program, then its `#!` interpreters, then the ELF
/// interpreter. Relative paths are the child's: taken from `cwd`.
fn chain(program: &Path, cwd: Option<&Path>) -> Vec<(ExecFile, PathBuf)> {
    let mut files = vec![(ExecFile::Program, absolute(program, cwd))];
    for _ in 0..=MAX_SCRIPT_DEPTH {
        let Some((_, last)) = files.last() else { break };
        match exec_interpreter(last) {
            Some(Interpreter::Script(next)) => {
                let next = absolute(&next, cwd);
                files.push((ExecFile::ScriptInterpreter(next.clone()), next));
            }
            Some(Interpreter::Elf(loader)) => {
                let loader = absolute(&loader, cwd);
                files.push((ExecFile::ElfInterpreter(loader.clone()), loader));
                break;
            }
            None => break,
        }
    }
    files
}

fn absolute(path: &Path, cwd: Option<&Path>) -> PathBuf {
    match cwd {
        Some(dir) if path.is_relative() => dir.join(path),
        _ => std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf()),
    }
}

/// `error`, or when it is an exec the kernel refused with `EACCES`, the
/// error that names the file of the exec chain and what keeps it from
/// running: first what no uid could get past in this sandbox, then the
/// permission bits that keep `who` out.
pub(crate) fn explain_refusal(
    error: SandlockError,
    program: &Path,
    cwd: Option<&Path>,
    rules: &ExecRules<'_>,
    who: &ChildIdentity,
) -> SandlockError {
    let refused = matches!(&error, SandlockError::Spawn { stage: crate::SpawnStage::Exec, source }
        if source.raw_os_error() == Some(libc::EACCES));
    if !refused {
        return error;
    }
    let chain = chain(program, cwd);
    let for_everyone = chain.iter().find_map(|(file, path)| Some((file, problem_for_everyone(path, rules)?)));
    let for_who = || chain.iter().find_map(|(file, path)| Some((file, permission_problem(path, who)?)));
    match for_everyone.or_else(for_who) {
        Some((file, problem)) => denied(program, file.clone(), problem),
        None => error,
    }
}

fn denied(program: &Path, file: ExecFile, problem: ExecProblem) -> SandlockError {
    SandlockError::ExecDenied { program: program.to_path_buf(), reason: ExecDenial { file, problem } }
}

/// What keeps `path` from being executed by any uid, if anything.
fn problem_for_everyone(path: &Path, rules: &ExecRules<'_>) -> Option<ExecProblem> {
    // Files the procfs built-in serves are not what this process sees.
    if path.starts_with("/proc") {
        return None;
    }
    // A missing file is the kernel's to report (ENOENT).
    let meta = std::fs::metadata(path).ok()?;
    if let Some(problem) = exec_refusal(path, &meta) {
        return Some(problem);
    }
    if rules.landlock && !under_a_rule(path, rules.roots) {
        return Some(ExecProblem::NoReadRule);
    }
    None
}

/// True when a rule is on `path` or one of the directories of its resolved
/// path, as Landlock looks for it; also when the path cannot be resolved
/// (nothing is known then).
fn under_a_rule(path: &Path, roots: &[(u64, u64)]) -> bool {
    let Ok(resolved) = std::fs::canonicalize(path) else { return true };
    resolved
        .ancestors()
        .filter_map(|dir| std::fs::metadata(dir).ok())
        .any(|meta| roots.contains(&(meta.dev(), meta.ino())))
}

/// The directory on the way to `path`, or `path` itself, whose permission
/// bits keep `who` from executing it; none when the bits allow it (an ACL
/// or something else refused it then).
fn permission_problem(path: &Path, who: &ChildIdentity) -> Option<ExecProblem> {
    let resolved = std::fs::canonicalize(path).ok()?;
    let mut steps: Vec<&Path> = resolved.ancestors().collect();
    steps.reverse();
    for step in steps {
        let meta = std::fs::metadata(step).ok()?;
        let mode = meta.permissions().mode() & 0o7777;
        let bits = if meta.uid() == who.uid {
            mode >> 6
        } else if meta.gid() == who.gid || who.groups.contains(&meta.gid()) {
            mode >> 3
        } else {
            mode
        };
        if bits & 0o1 == 0 {
            return Some(ExecProblem::PermissionDenied {
                uid: who.uid,
                path: step.to_path_buf(),
                owner: meta.uid(),
                group: meta.gid(),
                mode,
            });
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Scratch(PathBuf);

    impl Scratch {
        fn new(name: &str) -> Scratch {
            let dir = std::env::temp_dir().join(format!("sandlock-exec-check-{name}-{}", std::process::id()));
            std::fs::create_dir_all(&dir).unwrap();
            Scratch(dir)
        }

        fn file(&self, name: &str, text: &str, mode: u32) -> PathBuf {
            let path = self.0.join(name);
            std::fs::write(&path, text).unwrap();
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
            path
        }
    }

    impl Drop for Scratch {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    fn root_of(path: &str) -> (u64, u64) {
        let meta = std::fs::metadata(path).unwrap();
        (meta.dev(), meta.ino())
    }

    fn refused() -> SandlockError {
        SandlockError::Spawn { stage: crate::SpawnStage::Exec, source: std::io::Error::from_raw_os_error(libc::EACCES) }
    }

    /// Who runs the tests, so that permission bits never explain a refusal.
    fn me() -> ChildIdentity {
        // SAFETY: getuid and getgid have no memory effects.
        let (uid, gid) = unsafe { (libc::getuid(), libc::getgid()) };
        ChildIdentity { uid, gid, groups: Vec::new() }
    }

    fn problem_with(program: &Path, rules: &ExecRules<'_>) -> Option<ExecDenial> {
        match explain_refusal(refused(), program, None, rules, &me()) {
            SandlockError::ExecDenied { reason, .. } => Some(reason),
            SandlockError::Spawn { .. } => None,
            other => panic!("{other}"),
        }
    }

    fn problem(program: &Path, roots: &[(u64, u64)]) -> Option<ExecDenial> {
        problem_with(program, &ExecRules { roots, landlock: true })
    }

    #[test]
    fn each_file_of_the_chain_is_checked_in_order() {
        let dir = Scratch::new("chain");
        let usr = root_of("/usr");
        let scratch = root_of(dir.0.to_str().unwrap());
        let script = dir.file("job", "#!/usr/bin/python3\n", 0o755);
        assert_eq!(problem(&script, &[usr, scratch]), None);
        assert_eq!(
            problem(&script, &[usr]),
            Some(ExecDenial { file: ExecFile::Program, problem: ExecProblem::NoReadRule })
        );
        let python = PathBuf::from("/usr/bin/python3");
        assert_eq!(
            problem(&script, &[scratch]),
            Some(ExecDenial { file: ExecFile::ScriptInterpreter(python), problem: ExecProblem::NoReadRule })
        );
        let text = dir.file("text", "#!/bin/sh\n", 0o644);
        assert_eq!(
            problem(&text, &[usr, scratch]),
            Some(ExecDenial { file: ExecFile::Program, problem: ExecProblem::NotExecutable { mode: 0o644 } })
        );
        assert_eq!(
            problem(&dir.0, &[scratch]),
            Some(ExecDenial { file: ExecFile::Program, problem: ExecProblem::NotRegularFile })
        );
    }

    #[test]
    fn without_landlock_rules_are_not_looked_at() {
        let dir = Scratch::new("nolandlock");
        let script = dir.file("job", "#!/bin/sh\n", 0o755);
        assert_eq!(problem_with(&script, &ExecRules { roots: &[], landlock: false }), None);
    }

    #[test]
    fn a_refused_exec_names_the_directory_that_keeps_the_uid_out() {
        let dir = Scratch::new("dac");
        std::fs::set_permissions(&dir.0, std::fs::Permissions::from_mode(0o700)).unwrap();
        let program = dir.file("job", "#!/bin/sh\n", 0o755);
        let nobody = ChildIdentity { uid: 65534, gid: 65534, groups: Vec::new() };
        let owner = std::fs::metadata(&dir.0).unwrap().uid();
        let rules = ExecRules { roots: &[], landlock: false };
        match explain_refusal(refused(), &program, None, &rules, &nobody) {
            SandlockError::ExecDenied { reason, .. } => assert_eq!(
                reason.problem,
                ExecProblem::PermissionDenied {
                    uid: 65534,
                    path: std::fs::canonicalize(&dir.0).unwrap(),
                    owner,
                    group: std::fs::metadata(&dir.0).unwrap().gid(),
                    mode: 0o700
                }
            ),
            other => panic!("{other}"),
        }
        // Any other failure is left as it is.
        let other = SandlockError::Spawn {
            stage: crate::SpawnStage::Exec,
            source: std::io::Error::from_raw_os_error(libc::ENOEXEC),
        };
        assert!(matches!(explain_refusal(other, &program, None, &rules, &nobody), SandlockError::Spawn { .. }));
        // Nor is a program that can be executed refused by the check.
        assert!(matches!(
            explain_refusal(refused(), Path::new("/bin/sh"), None, &rules, &me()),
            SandlockError::Spawn { .. }
        ));
    }
}
