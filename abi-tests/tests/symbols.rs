//! The dynamic exports of the built `libsandlock.so` against the newest
//! committed baseline (`baseline/symbols-<version>.txt`) and the header.
//!
//! The library checked is the one cargo built for this test (next to the
//! test binary), or `$SANDLOCK_LIB` when set (check-all.sh points it at the
//! release build).

use std::path::{Path, PathBuf};
use std::process::Command;

use std::collections::BTreeMap;

use sandlock_abi_tests::api::Api;
use sandlock_abi_tests::symbols::{defined_dynamic_symbols, node_mismatches, violations};
use sandlock_abi_tests::testing::header_path;
use sandlock_abi_tests::HEADER_FUNCTIONS;

fn library() -> PathBuf {
    if let Some(path) = std::env::var_os("SANDLOCK_LIB") {
        return PathBuf::from(path);
    }
    let test_binary = std::env::current_exe().expect("the test binary has a path");
    let deps_dir = test_binary.parent().expect("the test binary lives in target/<profile>/deps");
    deps_dir.join("libsandlock.so")
}

fn readelf(args: &[&str], library: &Path) -> String {
    let output = Command::new("readelf").args(args).arg(library).output().expect("readelf (binutils) runs");
    assert!(
        output.status.success(),
        "readelf {args:?} {}: {}",
        library.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("readelf prints UTF-8")
}

fn current_exports() -> Vec<String> {
    defined_dynamic_symbols(&readelf(&["--dyn-syms", "--wide"], &library()))
}

/// The baseline with the highest version, and its lines.
fn newest_baseline() -> (PathBuf, Vec<String>) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("baseline");
    let version_of = |path: &Path| -> Option<(u32, u32)> {
        let stem = path.file_name()?.to_str()?.strip_prefix("symbols-")?.strip_suffix(".txt")?;
        let (major, minor) = stem.split_once('.')?;
        Some((major.parse().ok()?, minor.parse().ok()?))
    };
    let newest = std::fs::read_dir(&dir)
        .expect("abi-tests/baseline exists")
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter_map(|path| version_of(&path).map(|version| (version, path)))
        .max()
        .map(|(_, path)| path)
        .expect("a baseline/symbols-<major>.<minor>.txt exists");
    let text = std::fs::read_to_string(&newest).expect("the baseline is readable");
    let lines = text.lines().filter(|line| !line.is_empty()).map(ToString::to_string).collect();
    (newest, lines)
}

#[test]
fn exports_keep_the_newest_baseline() {
    let (baseline_path, baseline) = newest_baseline();
    let problems = violations(&baseline, &current_exports());
    assert!(
        problems.is_empty(),
        "{} against {}:\n  {}",
        library().display(),
        baseline_path.display(),
        problems.join("\n  ")
    );
}

#[test]
fn the_baseline_is_sorted_and_versioned() {
    let (_, baseline) = newest_baseline();
    let mut sorted = baseline.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(baseline, sorted);
    assert_eq!(baseline.iter().filter(|s| !s.starts_with("sandlock_") || !s.contains("@@SANDLOCK_")).count(), 0);
}

#[test]
fn the_header_declares_exactly_the_exported_functions() {
    let mut exported: Vec<String> =
        current_exports().iter().map(|s| s.split('@').next().unwrap_or(s).to_string()).collect();
    exported.sort();
    let mut declared: Vec<String> = HEADER_FUNCTIONS.iter().map(ToString::to_string).collect();
    declared.sort();
    assert_eq!(declared, exported);
}

#[test]
fn the_soname_is_libsandlock_so_1() {
    let dynamic = readelf(&["--dynamic", "--wide"], &library());
    let sonames: Vec<&str> = dynamic
        .lines()
        .filter(|line| line.contains("(SONAME)"))
        .filter_map(|line| line.split_once('[')?.1.split_once(']').map(|(soname, _)| soname))
        .collect();
    assert_eq!(sonames, ["libsandlock.so.1"]);
}

#[test]
fn each_function_is_exported_in_the_node_of_the_version_its_header_doc_gives() {
    let api = Api::of_header(&header_path()).unwrap_or_else(|e| panic!("{e}"));
    let since: BTreeMap<String, Option<(u32, u32)>> =
        api.functions.iter().map(|(name, prototype)| (name.clone(), prototype.since)).collect();
    let exports = current_exports();
    assert_eq!(node_mismatches(&exports, &since), Vec::<String>::new());
    // The 1.1 node is in use: its functions are exactly those documented
    // "Since 1.1." (none may hide in 1.0, none be left out of 1.1).
    let in_1_1: Vec<&str> = exports.iter().filter_map(|s| s.strip_suffix("@@SANDLOCK_1.1")).collect();
    let documented_1_1: Vec<&str> =
        since.iter().filter(|(_, v)| **v == Some((1, 1))).map(|(name, _)| name.as_str()).collect();
    assert!(!in_1_1.is_empty());
    assert_eq!(in_1_1, documented_1_1);
}

#[test]
fn the_version_script_defines_the_1_1_node_on_top_of_1_0() {
    let map = std::fs::read_to_string(sandlock_abi_tests::testing::repo_root().join("ffi/sandlock.map"))
        .expect("ffi/sandlock.map");
    let compact: String = map.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(compact.contains("SANDLOCK_1.0 { local: *; };"), "{map}");
    assert!(compact.contains("SANDLOCK_1.1 { local: *; } SANDLOCK_1.0;"), "{map}");
}
