//! The built shared library: soname `libsandlock.so.1`, and every exported
//! symbol is a `sandlock_*` function bound to a `SANDLOCK_1.x` version node.
//!
//! `cargo test -p sandlock-ffi` compiles the cdylib together with the rlib
//! the tests link, into the directory of the test binary (`deps/`).

use std::path::PathBuf;
use std::process::Command;

fn shared_library() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let library = exe.parent().unwrap().join("libsandlock.so");
    assert!(library.exists(), "{} is missing: cargo builds it with the tests", library.display());
    library
}

fn readelf(args: &[&str]) -> String {
    let output = Command::new("readelf").args(args).arg(shared_library()).output().expect("readelf (binutils) runs");
    assert!(output.status.success(), "readelf failed: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout).unwrap()
}

/// Names of the symbols the library defines in its dynamic symbol table
/// (undefined ones are what it imports, e.g. from libc).
fn defined_dynamic_symbols() -> Vec<String> {
    readelf(&["--dyn-syms", "--wide"])
        .lines()
        .filter_map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            // Num: Value Size Type Bind Vis Ndx Name
            let is_entry = fields.len() == 8 && fields[0].ends_with(':') && fields[0] != "Num:";
            (is_entry && fields[6] != "UND").then(|| fields[7].to_string())
        })
        .collect()
}

/// The version nodes of `sandlock.map`, oldest first.
const NODES: [&str; 2] = ["SANDLOCK_1.0", "SANDLOCK_1.1"];

#[test]
fn every_export_is_a_sandlock_function_with_a_version_node() {
    let symbols = defined_dynamic_symbols();
    let node_of = |symbol: &str| symbol.split_once("@@").map(|(_, node)| node.to_string());
    let strays: Vec<&String> = symbols
        .iter()
        .filter(|s| !(s.starts_with("sandlock_") && node_of(s).is_some_and(|n| NODES.contains(&n.as_str()))))
        .collect();
    assert!(strays.is_empty(), "unversioned or foreign exports: {strays:?}");
    for (expected, node) in [
        ("sandlock_version", "SANDLOCK_1.0"),
        ("sandlock_last_error", "SANDLOCK_1.0"),
        ("sandlock_run", "SANDLOCK_1.0"),
        ("sandlock_handler_new", "SANDLOCK_1.0"),
        ("sandlock_mem_read_cstr", "SANDLOCK_1.0"),
        ("sandlock_policy_private_ipc", "SANDLOCK_1.1"),
    ] {
        let symbol = format!("{expected}@@{node}");
        assert!(symbols.contains(&symbol), "{symbol} is not exported: {symbols:?}");
    }
}

#[test]
fn no_rust_runtime_symbol_is_exported() {
    let table = readelf(&["--dyn-syms", "--wide"]);
    let defined = defined_dynamic_symbols();
    for leak in ["rust_eh_personality", "__rust", "_ZN", "_R"] {
        assert!(!defined.iter().any(|name| name.starts_with(leak)), "{leak}* exported:\n{table}");
    }
}

#[test]
fn soname_is_libsandlock_so_1() {
    let sonames: Vec<String> = readelf(&["-d", "--wide"])
        .lines()
        .filter(|line| line.contains("(SONAME)"))
        .map(|line| line.split_whitespace().last().unwrap().to_string())
        .collect();
    assert_eq!(sonames, ["[libsandlock.so.1]"]);
}

#[test]
fn the_version_nodes_are_defined() {
    let versions = readelf(&["--version-info", "--wide"]);
    let definitions = versions.split("Version definition section").nth(1).expect("a version definition section");
    let definitions = definitions.split("Version needs section").next().unwrap();
    let names: Vec<&str> = definitions.lines().filter_map(|line| line.split("Name: ").nth(1)).collect();
    let mut expected = vec!["libsandlock.so.1"];
    expected.extend(NODES);
    assert_eq!(names, expected);
}
