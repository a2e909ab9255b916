//! Finding the program like a shell does: a name with a slash is a path,
//! any other name is looked up on this command's PATH. The core gets the
//! absolute path, so neither the child's (empty) PATH nor `--cwd` changes
//! which program runs.

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use nix::unistd::{access, AccessFlags};

use crate::exit::{Failure, CANNOT_EXECUTE, NOT_FOUND};

/// The search path when PATH is unset, as the core uses for a child.
const DEFAULT_PATH: &str = "/usr/local/bin:/usr/bin:/bin";

/// The absolute path of the program `name`.
pub fn find(name: &OsStr) -> Result<PathBuf, Failure> {
    let shown = Path::new(name).display();
    if name.is_empty() {
        return Err(Failure::new(NOT_FOUND, "'': command not found"));
    }
    if name.as_bytes().contains(&b'/') {
        let path = std::path::absolute(name).map_err(|e| Failure::new(NOT_FOUND, format!("{shown}: {e}")))?;
        return match candidate(&path) {
            Candidate::Executable => Ok(path),
            Candidate::Missing => Err(Failure::new(NOT_FOUND, format!("{shown}: no such file"))),
            Candidate::NotExecutable(why) => Err(Failure::new(CANNOT_EXECUTE, format!("{shown}: {why}"))),
        };
    }
    let search = std::env::var_os("PATH").unwrap_or_else(|| DEFAULT_PATH.into());
    let mut refused = None;
    for dir in std::env::split_paths(&search) {
        // An empty entry means the current directory, as in every shell.
        let dir = if dir.as_os_str().is_empty() { PathBuf::from(".") } else { dir };
        let path = dir.join(name);
        match candidate(&path) {
            Candidate::Executable => {
                return std::path::absolute(&path).map_err(|e| Failure::new(NOT_FOUND, format!("{shown}: {e}")))
            }
            Candidate::NotExecutable(why) => {
                refused.get_or_insert((path, why));
            }
            Candidate::Missing => {}
        }
    }
    match refused {
        Some((path, why)) => Err(Failure::new(CANNOT_EXECUTE, format!("{}: {why}", path.display()))),
        None => Err(Failure::new(NOT_FOUND, format!("{shown}: command not found"))),
    }
}

enum Candidate {
    Executable,
    Missing,
    NotExecutable(&'static str),
}

fn candidate(path: &Path) -> Candidate {
    match std::fs::metadata(path) {
        Err(_) => Candidate::Missing,
        Ok(meta) if meta.is_dir() => Candidate::NotExecutable("is a directory"),
        Ok(_) if access(path, AccessFlags::X_OK).is_err() => Candidate::NotExecutable("permission denied"),
        Ok(_) => Candidate::Executable,
    }
}
