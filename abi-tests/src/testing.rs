//! What the tests of the checks share: the repository's headers, altered
//! copies of the header in a temporary directory (each check's negative
//! test runs the check on one and expects the exact problem), a reordering
//! of the header (no check may depend on declaration order), and the C
//! compiler run over the `_Static_assert`s.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};

/// The repository's root directory.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("abi-tests lives in the repository").to_path_buf()
}

/// `include/sandlock.h`.
pub fn header_path() -> PathBuf {
    repo_root().join("include/sandlock.h")
}

pub fn header_text() -> String {
    std::fs::read_to_string(header_path()).expect("include/sandlock.h is readable")
}

/// Every frozen baseline header (`baseline/sandlock-<major>.<minor>.h`),
/// with its file name, oldest first.
pub fn baseline_headers() -> Vec<(String, PathBuf)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("baseline");
    let mut headers: Vec<((u32, u32), String, PathBuf)> = std::fs::read_dir(&dir)
        .expect("abi-tests/baseline exists")
        .filter_map(|entry| {
            let path = entry.ok()?.path();
            let name = path.file_name()?.to_str()?.to_string();
            let (major, minor) = name.strip_prefix("sandlock-")?.strip_suffix(".h")?.split_once('.')?;
            Some(((major.parse().ok()?, minor.parse().ok()?), name, path))
        })
        .collect();
    headers.sort();
    assert!(!headers.is_empty(), "no baseline/sandlock-<major>.<minor>.h in {}", dir.display());
    headers.into_iter().map(|(_, name, path)| (name, path)).collect()
}

/// `text` with its one occurrence of `from` replaced by `to`; a pattern
/// that is absent or ambiguous fails the test that asked for it, so an
/// alteration never silently does nothing.
pub fn edited(text: &str, from: &str, to: &str) -> String {
    let found = text.matches(from).count();
    assert_eq!(found, 1, "the header has {found} occurrences of {from:?}, the alteration expects one");
    text.replacen(from, to, 1)
}

/// A header in a directory of its own (`<dir>/sandlock.h`), removed on drop.
pub struct TempHeader {
    dir: PathBuf,
}

impl TempHeader {
    pub fn new(text: &str) -> TempHeader {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let dir = std::env::temp_dir().join(format!(
            "sandlock-abi-tests-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir).expect("create a temporary directory");
        std::fs::write(dir.join("sandlock.h"), text).expect("write the altered header");
        TempHeader { dir }
    }

    pub fn path(&self) -> PathBuf {
        self.dir.join("sandlock.h")
    }

    /// The directory to pass as `-I`.
    pub fn include_dir(&self) -> &Path {
        &self.dir
    }
}

impl Drop for TempHeader {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Compile `c/layout_asserts.c` against the `sandlock.h` in `include_dir`
/// as `check-all.sh` does; the compiler's diagnostics when it fails.
pub fn compile_static_asserts(include_dir: &Path) -> Result<(), String> {
    let cc = std::env::var("CC").unwrap_or_else(|_| "cc".to_string());
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("c/layout_asserts.c");
    let output = Command::new(&cc)
        .args(["-std=c11", "-Wall", "-Wextra", "-Werror", "-pedantic", "-fsyntax-only"])
        .arg("-I")
        .arg(include_dir)
        .arg(&source)
        .output()
        .unwrap_or_else(|e| panic!("the C compiler {cc:?} runs: {e}"));
    match output.status.success() {
        true => Ok(()),
        false => Err(String::from_utf8_lossy(&output.stderr).into_owned()),
    }
}

/// The header with its declarations in another order and nothing else
/// changed: the `#define`s, the enums, the enumerators inside each enum
/// and the function prototypes each reversed. The result must mean the
/// same to C, so it only moves declarations C lets move.
///
/// cbindgen separates declarations (each with its doc comment) by blank
/// lines; a run of consecutive paragraphs of one kind is reversed.
pub fn reordered(header: &str) -> String {
    #[derive(PartialEq, Clone, Copy)]
    enum Kind {
        Define,
        Enum,
        Function,
        Other,
    }
    let kind = |paragraph: &str| {
        let code: Vec<&str> = paragraph
            .lines()
            .filter(|l| {
                let t = l.trim_start();
                !(t.starts_with("/**") || t.starts_with('*'))
            })
            .collect();
        let first = code.first().copied().unwrap_or("");
        if first.starts_with("enum sandlock_") {
            Kind::Enum
        } else if code.iter().any(|l| l.starts_with('#') && !l.starts_with("#define SANDLOCK_")) {
            // The include guard, the includes, the extern "C" brackets.
            Kind::Other
        } else if !code.is_empty() && code.iter().all(|l| l.starts_with("#define SANDLOCK_")) {
            Kind::Define
        } else if !first.starts_with("typedef") && code.last().is_some_and(|l| l.ends_with(");")) {
            Kind::Function
        } else {
            Kind::Other
        }
    };
    let paragraphs: Vec<&str> = header.split("\n\n").collect();
    let mut out: Vec<String> = Vec::with_capacity(paragraphs.len());
    let mut i = 0;
    while i < paragraphs.len() {
        let k = kind(paragraphs[i]);
        let mut j = i + 1;
        while j < paragraphs.len() && k != Kind::Other && kind(paragraphs[j]) == k {
            j += 1;
        }
        let mut run: Vec<String> = paragraphs[i..j]
            .iter()
            .map(|p| if k == Kind::Enum { reversed_enumerators(p) } else { p.to_string() })
            .collect();
        if k != Kind::Other {
            run.reverse();
        }
        out.extend(run);
        i = j;
    }
    out.join("\n\n")
}

/// An enum's paragraph with its enumerators (each with its doc comment)
/// in reverse order.
fn reversed_enumerators(paragraph: &str) -> String {
    let lines: Vec<&str> = paragraph.lines().collect();
    let open = lines.iter().position(|l| l.trim() == "{").expect("an enum body opens with a line of `{`");
    let close = lines.iter().position(|l| l.trim() == "};").expect("an enum body ends with `};`");
    let mut entries: Vec<Vec<&str>> = Vec::new();
    let mut entry = Vec::new();
    for line in &lines[open + 1..close] {
        entry.push(*line);
        if line.trim_end().ends_with(',') {
            entries.push(std::mem::take(&mut entry));
        }
    }
    assert!(entry.is_empty(), "every enumerator ends with a comma");
    entries.reverse();
    let mut out: Vec<&str> = lines[..=open].to_vec();
    out.extend(entries.into_iter().flatten());
    out.extend(&lines[close..]);
    out.join("\n")
}
