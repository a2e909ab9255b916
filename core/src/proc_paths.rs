//! How granted paths stand to `/proc`, and what Landlock is given instead
//! when `/proc` is served by the procfs built-in: rules are resolved in the
//! caller's process, where `/proc/self` (or `/dev/fd`) names the caller, so
//! no Landlock rule may reach into `/proc`.

use std::fs;
use std::path::{Path, PathBuf};

/// How a granted path stands to `/proc`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ProcRelation {
    /// `/proc` or below, once symlinks are resolved.
    Inside,
    /// An ancestor of `/proc`, such as `/`.
    Ancestor,
    Unrelated,
}

/// Where `path` resolves relative to `/proc`, decided on the canonical path.
pub(crate) fn proc_relation(path: &Path) -> ProcRelation {
    let proc = Path::new("/proc");
    let canonical = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    if canonical.starts_with(proc) {
        ProcRelation::Inside
    } else if proc.starts_with(&canonical) {
        ProcRelation::Ancestor
    } else {
        ProcRelation::Unrelated
    }
}

/// The paths to grant: when `/proc` is hidden, anything resolving into it is
/// left out and an ancestor of `/proc` is replaced by its entries other than
/// the one leading to `/proc`. Computed once, when the policy is built.
pub(crate) fn rule_paths(paths: &[PathBuf], hide_proc: bool) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for path in paths {
        if !hide_proc {
            out.push(path.clone());
            continue;
        }
        match proc_relation(path) {
            ProcRelation::Inside => {}
            ProcRelation::Ancestor => out.extend(siblings_off_path(path, Path::new("/proc"))),
            ProcRelation::Unrelated => out.push(path.clone()),
        }
    }
    out
}

/// Entries of `ancestor` (recursively along the way) except those on the
/// way to `target`.
fn siblings_off_path(ancestor: &Path, target: &Path) -> Vec<PathBuf> {
    let Ok(entries) = fs::read_dir(ancestor) else { return Vec::new() };
    let mut out = Vec::new();
    for entry in entries.flatten() {
        let path = entry.path();
        if path == target {
            continue;
        }
        if target.starts_with(&path) {
            out.extend(siblings_off_path(&path, target));
        } else {
            out.push(path);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn root_grant_is_split_around_proc() {
        let paths = rule_paths(&[PathBuf::from("/")], true);
        assert!(!paths.iter().any(|p| p.starts_with("/proc")));
        assert!(paths.contains(&PathBuf::from("/usr")));
        assert!(paths.contains(&PathBuf::from("/etc")));
    }

    #[test]
    fn paths_resolving_into_proc_are_dropped_when_hidden() {
        let paths = [PathBuf::from("/proc/self"), PathBuf::from("/usr")];
        assert_eq!(rule_paths(&paths, true), vec![PathBuf::from("/usr")]);
    }

    #[test]
    fn proc_rules_are_dropped_only_when_hidden() {
        let paths = [PathBuf::from("/proc"), PathBuf::from("/usr")];
        assert_eq!(rule_paths(&paths, true), vec![PathBuf::from("/usr")]);
        assert_eq!(rule_paths(&paths, false), paths.to_vec());
    }
}
