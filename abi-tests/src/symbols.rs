//! The exported-symbol rule: every symbol of the newest baseline stays,
//! with the same version; a new symbol is a `sandlock_*` function bound to a
//! version node newer than every node of that baseline.

use std::collections::BTreeSet;

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
            _ => {}
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::{defined_dynamic_symbols, violations};

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
