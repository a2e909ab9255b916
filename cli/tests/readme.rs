//! The command lines of the README's "From the shell" section run as
//! written.

use std::path::Path;
use std::process::Command;

/// The lines of the sh block that follows the "From the shell" heading.
fn readme_lines() -> Vec<String> {
    let readme = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../README.md")).unwrap();
    let section = readme.split("### From the shell").nth(1).expect("the README has a From the shell section");
    let block = section.split("```sh\n").nth(1).and_then(|rest| rest.split("```").next()).unwrap();
    block.lines().map(String::from).collect()
}

#[test]
fn the_readme_command_lines_work() {
    let lines = readme_lines();
    assert!(lines.len() >= 3 && lines.iter().all(|line| line.starts_with("sandlock ")), "{lines:#?}");
    let bin_dir = Path::new(env!("CARGO_BIN_EXE_sandlock")).parent().unwrap();
    // The system's python3, as on a machine without a per-user Python.
    let path = format!("{}:/usr/bin:/bin", bin_dir.display());
    let work = tempfile::tempdir().unwrap();
    for line in lines {
        let out = Command::new("sh").args(["-c", &line]).env("PATH", &path).current_dir(work.path()).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{line}\n{stderr}");
        assert!(!out.stdout.is_empty(), "{line} printed nothing");
    }
}
