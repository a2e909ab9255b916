//! docs/threat-model.md names a test for every class it says is guarded;
//! each named test must exist, and a row without one must say it is a gap.

use std::path::Path;

fn source_of(file: &str) -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let path = match file {
        "bpf.rs" => root.join("src/seccomp/bpf.rs"),
        // Unit tests, named by their path in the crate.
        unit if unit.starts_with("src/") => root.join(unit),
        // The command's and the bindings' tests, named by their path in
        // the workspace.
        outside if ["cli/", "ffi/", "go/", "python/", "c-examples/"].iter().any(|dir| outside.starts_with(dir)) => {
            root.join("..").join(outside)
        }
        other => root.join("tests").join(other),
    };
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// (file, test) pairs of one table cell: "`a.rs`: `x`, `y`; `b.go`: `z`".
fn tests_in(cell: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut file = None;
    for quoted in cell.split('`').skip(1).step_by(2) {
        if [".rs", ".go", ".py", ".c"].iter().any(|ext| quoted.ends_with(ext)) {
            file = Some(quoted.to_string());
        } else if let Some(file) = &file {
            out.push((file.clone(), quoted.to_string()));
        }
    }
    out
}

#[test]
fn every_guarded_class_names_tests_that_exist() {
    let doc = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/threat-model.md")).unwrap();
    let rows: Vec<&str> =
        doc.lines().filter(|l| l.starts_with("| ") && !l.starts_with("| class") && !l.starts_with("| ---")).collect();
    assert!(rows.len() > 40, "only {} rows", rows.len());
    let mut missing = Vec::new();
    for row in rows {
        let test_cell = row.trim_end_matches('|').rsplit('|').next().unwrap();
        let tests = tests_in(test_cell);
        if tests.is_empty() && !row.contains("**gap") && !row.contains("Docker blocks and we allow") {
            missing.push(format!("no test and no gap: {row}"));
        }
        for (file, test) in tests {
            let source = source_of(&file);
            // A Rust, Go, Python or C test function.
            let defined =
                [format!("fn {test}("), format!("func {test}("), format!("def {test}("), format!(" {test}(void)")];
            if !defined.iter().any(|definition| source.contains(definition.as_str())) {
                missing.push(format!("{file} has no test {test}"));
            }
        }
    }
    assert!(missing.is_empty(), "{}", missing.join("\n"));
}
