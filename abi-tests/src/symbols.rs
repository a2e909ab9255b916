//! The exported-symbol rule: every symbol of the newest baseline stays,
//! with the same version; a new symbol is a `sandlock_*` function bound to
//! the node of the minor version after that baseline's (`SANDLOCK_1.1`
//! while 1.0 is the newest baseline), and the header documents each
//! function with the version whose node exports it.

use std::collections::{BTreeMap, BTreeSet};

/// Defined dynamic symbols (`name@@VERSION`, or a bare name when
/// unversioned) in the output of `readelf --dyn-syms --wide`.
pub fn defined_dynamic_symbols(readelf_output: &str) -> Vec<String> {
    let mut symbols: Vec<String> = readelf_output
        .lines()
        .filter_map(|line| {
            // Num: Value Size Type Bind Vis Ndx Name
            let columns: Vec<&str> = line.split_whitespace().collect();
            let [_, _, _, _, bind, _, ndx, name] = columns.as_slice() else {
                return None;
            };
            let exported = matches!(*bind, "GLOBAL" | "WEAK") && *ndx != "UND";
            exported.then(|| name.to_string())
        })
        .collect();
    symbols.sort();
    symbols
}

/// `SANDLOCK_1.2` → (1, 2).
fn node_version(node: &str) -> Option<(u32, u32)> {
    let (major, minor) = node.strip_prefix("SANDLOCK_")?.split_once('.')?;
    Some((major.parse().ok()?, minor.parse().ok()?))
}

/// What breaks the rule, one line per symbol; empty when `current` keeps it.
pub fn violations(baseline: &[String], current: &[String]) -> Vec<String> {
    let current_set: BTreeSet<&str> = current.iter().map(String::as_str).collect();
    let baseline_set: BTreeSet<&str> = baseline.iter().map(String::as_str).collect();
    let mut problems = Vec::new();

    for symbol in &baseline_set {
        if !current_set.contains(symbol) {
            let name = symbol.split('@').next().unwrap_or(symbol);
            let now: Vec<&str> = current_set.iter().copied().filter(|s| s.split('@').next() == Some(name)).collect();
            if now.is_empty() {
                problems.push(format!("{symbol}: removed"));
            } else {
                problems.push(format!("{symbol}: changed to {}", now.join(", ")));
            }
        }
    }

    let newest_baseline_node =
        baseline_set.iter().filter_map(|s| s.split_once("@@").and_then(|(_, node)| node_version(node))).max();
    let baseline_names: BTreeSet<&str> = baseline_set.iter().map(|s| s.split('@').next().unwrap_or(s)).collect();
    for symbol in current_set.difference(&baseline_set) {
        let Some((name, node)) = symbol.split_once("@@") else {
            problems.push(format!("{symbol}: exported without a version node"));
            continue;
        };
        if baseline_names.contains(name) {
            // Reported above as a change of the baseline's symbol.
            continue;
        }
        if !name.starts_with("sandlock_") {
            problems.push(format!("{symbol}: exported, but only sandlock_* functions may be"));
            continue;
        }
        match (node_version(node), newest_baseline_node) {
            (None, _) => problems.push(format!("{symbol}: {node} is not a SANDLOCK_<major>.<minor> node")),
            (Some(added), Some(newest)) if added <= newest => problems.push(format!(
                "{symbol}: added to {node}, which the baseline already froze; new symbols go into a new node \
                 (SANDLOCK_{}.{})",
                newest.0,
                newest.1 + 1
            )),
            (Some((major, _)), Some((baseline_major, _))) if major != baseline_major => {
                problems.push(format!("{symbol}: {node} is another major version than the baseline's"));
            }
            // Until a minor version is released and frozen, its additions
            // are the only ones: a node beyond it would skip a release.
            (Some(added), Some(newest)) if added != (newest.0, newest.1 + 1) => problems.push(format!(
                "{symbol}: {node} skips SANDLOCK_{}.{}, the version after the newest baseline's",
                newest.0,
                newest.1 + 1
            )),
            _ => {}
        }
    }
    problems
}

/// Functions whose version node is not the version their documentation in
/// the header gives ("Since 1.1." → `SANDLOCK_1.1`; no such line →
/// `SANDLOCK_1.0`), one line each; empty when they all agree. `since` maps
/// each function the header declares to its documented version.
pub fn node_mismatches(exports: &[String], since: &BTreeMap<String, Option<(u32, u32)>>) -> Vec<String> {
    let mut problems = Vec::new();
    for symbol in exports {
        let Some((name, node)) = symbol.split_once("@@") else { continue };
        let Some(documented) = since.get(name) else { continue };
        let expected =
            documented.map_or("SANDLOCK_1.0".to_string(), |(major, minor)| format!("SANDLOCK_{major}.{minor}"));
        if node != expected {
            let doc = documented
                .map_or("no \"Since\" line (1.0)".to_string(), |(major, minor)| format!("\"Since {major}.{minor}.\""));
            problems.push(format!("{name}: exported in {node}, but the header documents it with {doc}"));
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::{defined_dynamic_symbols, node_mismatches, violations};

    fn symbols(list: &[&str]) -> Vec<String> {
        list.iter().map(ToString::to_string).collect()
    }

    const BASELINE: &[&str] = &["sandlock_run@@SANDLOCK_1.0", "sandlock_version@@SANDLOCK_1.0"];

    #[test]
    fn readelf_lines_give_defined_exports_only() {
        let output = "\
Symbol table '.dynsym' contains 4 entries:
   Num:    Value          Size Type    Bind   Vis      Ndx Name
     0: 0000000000000000     0 NOTYPE  LOCAL  DEFAULT  UND 
     1: 0000000000000000     0 FUNC    GLOBAL DEFAULT  UND close@GLIBC_2.2.5 (3)
     2: 000000000003cf20     6 FUNC    GLOBAL DEFAULT   16 sandlock_version@@SANDLOCK_1.0
     3: 000000000003cf30     6 FUNC    GLOBAL DEFAULT   16 helper
";
        assert_eq!(defined_dynamic_symbols(output), ["helper", "sandlock_version@@SANDLOCK_1.0"]);
    }

    #[test]
    fn the_baseline_itself_passes() {
        assert_eq!(violations(&symbols(BASELINE), &symbols(BASELINE)), Vec::<String>::new());
    }

    #[test]
    fn an_addition_in_a_new_node_passes() {
        let current =
            symbols(&["sandlock_run@@SANDLOCK_1.0", "sandlock_version@@SANDLOCK_1.0", "sandlock_wait@@SANDLOCK_1.1"]);
        assert_eq!(violations(&symbols(BASELINE), &current), Vec::<String>::new());
    }

    #[test]
    fn an_addition_beyond_the_next_minor_node_fails() {
        let current =
            symbols(&["sandlock_run@@SANDLOCK_1.0", "sandlock_version@@SANDLOCK_1.0", "sandlock_wait@@SANDLOCK_1.2"]);
        assert_eq!(
            violations(&symbols(BASELINE), &current),
            ["sandlock_wait@@SANDLOCK_1.2: SANDLOCK_1.2 skips SANDLOCK_1.1, the version after the newest baseline's"]
        );
    }

    #[test]
    fn nodes_must_match_the_documented_version() {
        let since = BTreeMap::from([
            ("sandlock_run".to_string(), None),
            ("sandlock_wait".to_string(), Some((1, 1))),
            ("sandlock_pause".to_string(), Some((1, 1))),
        ]);
        let agreeing =
            symbols(&["sandlock_run@@SANDLOCK_1.0", "sandlock_wait@@SANDLOCK_1.1", "sandlock_pause@@SANDLOCK_1.1"]);
        assert_eq!(node_mismatches(&agreeing, &since), Vec::<String>::new());
        let moved =
            symbols(&["sandlock_run@@SANDLOCK_1.1", "sandlock_wait@@SANDLOCK_1.0", "sandlock_pause@@SANDLOCK_1.1"]);
        assert_eq!(
            node_mismatches(&moved, &since),
            [
                "sandlock_run: exported in SANDLOCK_1.1, but the header documents it with no \"Since\" line (1.0)",
                "sandlock_wait: exported in SANDLOCK_1.0, but the header documents it with \"Since 1.1.\"",
            ]
        );
    }

    #[test]
    fn an_addition_to_a_frozen_node_fails() {
        let current =
            symbols(&["sandlock_run@@SANDLOCK_1.0", "sandlock_version@@SANDLOCK_1.0", "sandlock_wait@@SANDLOCK_1.0"]);
        assert_eq!(
            violations(&symbols(BASELINE), &current),
            ["sandlock_wait@@SANDLOCK_1.0: added to SANDLOCK_1.0, which the baseline already froze; new symbols go into \
              a new node (SANDLOCK_1.1)"]
        );
    }

    #[test]
    fn a_removal_fails() {
        let current = symbols(&["sandlock_version@@SANDLOCK_1.0"]);
        assert_eq!(violations(&symbols(BASELINE), &current), ["sandlock_run@@SANDLOCK_1.0: removed"]);
    }

    #[test]
    fn a_moved_symbol_fails() {
        let current = symbols(&["sandlock_run@@SANDLOCK_1.1", "sandlock_version@@SANDLOCK_1.0"]);
        assert_eq!(
            violations(&symbols(BASELINE), &current),
            ["sandlock_run@@SANDLOCK_1.0: changed to sandlock_run@@SANDLOCK_1.1"]
        );
    }

    #[test]
    fn unversioned_foreign_and_next_major_exports_fail() {
        let current = symbols(&[
            "sandlock_run@@SANDLOCK_1.0",
            "sandlock_version@@SANDLOCK_1.0",
            "sandlock_bare",
            "rust_eh_personality@@SANDLOCK_1.1",
            "sandlock_next@@SANDLOCK_2.0",
        ]);
        assert_eq!(
            violations(&symbols(BASELINE), &current),
            [
                "rust_eh_personality@@SANDLOCK_1.1: exported, but only sandlock_* functions may be",
                "sandlock_bare: exported without a version node",
                "sandlock_next@@SANDLOCK_2.0: SANDLOCK_2.0 is another major version than the baseline's",
            ]
        );
    }
}
