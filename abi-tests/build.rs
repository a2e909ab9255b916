//! Build-time half of the ABI checks:
//!
//! 1. generate Rust bindings of `include/sandlock.h` with bindgen
//!    (`$OUT_DIR/header.rs`);
//! 2. read them (`src/api.rs`, shared with the tests) and write
//!    `$OUT_DIR/facts.rs`: for every struct, union, typedef and constant of
//!    the header, the pair (value in the header, value in the `sandlock-ffi`
//!    crate, `sandlock::` in Rust) that `tests/layout.rs` compares, plus the
//!    functions the header declares. Items are written sorted by name, so
//!    the facts do not depend on the order of the header's declarations.
//!
//! The C `_Static_assert`s of `c/layout_asserts.c` are compiled by a test
//! (`tests/layout.rs`), not here: a failing one must not stop the build, or
//! every other check of the crate would go unrun and unreported.

use std::fmt::Write as _;
use std::path::PathBuf;

#[allow(dead_code)]
#[path = "src/api.rs"]
mod api;

use api::{Api, TypeDef};

fn main() {
    let manifest_dir = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let out_dir = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    let header = manifest_dir.join("../include/sandlock.h");
    println!("cargo:rerun-if-changed={}", header.display());
    println!("cargo:rerun-if-changed=src/api.rs");

    let bindings = api::bindings(&header).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(out_dir.join("header.rs"), &bindings).expect("write header.rs");
    let api = Api::from_bindings(&bindings).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(out_dir.join("facts.rs"), facts_source(&api)).expect("write facts.rs");
}

/// The source of `facts.rs`; every `Fact` pairs a header value with the
/// value of the same item in the `sandlock-ffi` crate (`sandlock::`).
fn facts_source(api: &Api) -> String {
    let mut layout = String::new();
    for (name, def) in &api.types {
        let (header_ty, rust_ty) = (format!("header::{name}"), format!("sandlock::{name}"));
        let fields = match def {
            // C only holds pointers to an opaque handle: it has no layout.
            TypeDef::Opaque => continue,
            TypeDef::Alias(_) => &[][..],
            TypeDef::Record { fields, .. } => fields.as_slice(),
        };
        push_fact(&mut layout, &format!("{name}: size"), &size_of(&header_ty), &size_of(&rust_ty));
        push_fact(&mut layout, &format!("{name}: alignment"), &align_of(&header_ty), &align_of(&rust_ty));
        for (field, _) in fields {
            let what = format!("{name}.{field}");
            let offset = |ty: &str| format!("::std::mem::offset_of!({ty}, {field})");
            let size = |ty: &str| format!("crate::field_size!({ty}, {field})");
            let type_name = |ty: &str| format!("crate::field_type_name!({ty}, {field})");
            push_fact(&mut layout, &format!("{what}: offset"), &offset(&header_ty), &offset(&rust_ty));
            push_fact(&mut layout, &format!("{what}: size"), &size(&header_ty), &size(&rust_ty));
            push_type_fact(&mut layout, &format!("{what}: type"), &type_name(&header_ty), &type_name(&rust_ty));
        }
    }

    let mut constants = String::new();
    for (name, constant) in &api.constants {
        let (what, rust) = match &constant.enumeration {
            Some(enumeration) => (format!("{enumeration}::{name}"), format!("sandlock::{enumeration}::{name}")),
            None => (name.clone(), format!("sandlock::{name}")),
        };
        push_fact(&mut constants, &what, &format!("header::{}", constant.bindgen_name), &rust);
    }

    let mut functions = String::new();
    for function in api.functions.keys() {
        let _ = writeln!(functions, "    {function:?},");
    }

    format!(
        "/// Size, alignment, field offset, size and type of every struct, union\n\
         /// and typedef of `sandlock.h`, in the header and in `sandlock-ffi`.\n\
         pub fn layout_facts() -> Vec<Fact> {{\n    vec![\n{layout}    ]\n}}\n\n\
         /// Value of every `#define` and enum constant of `sandlock.h`, in the\n\
         /// header and in `sandlock-ffi`.\n\
         pub fn constant_facts() -> Vec<Fact> {{\n    vec![\n{constants}    ]\n}}\n\n\
         /// Functions `sandlock.h` declares, sorted by name.\n\
         pub const HEADER_FUNCTIONS: &[&str] = &[\n{functions}];\n"
    )
}

fn size_of(ty: &str) -> String {
    format!("::std::mem::size_of::<{ty}>()")
}

fn align_of(ty: &str) -> String {
    format!("::std::mem::align_of::<{ty}>()")
}

fn push_fact(out: &mut String, what: &str, header: &str, rust: &str) {
    let _ = writeln!(out, "        Fact::number({what:?}, {header} as i128, {rust} as i128),");
}

fn push_type_fact(out: &mut String, what: &str, header: &str, rust: &str) {
    let _ = writeln!(out, "        Fact::type_name({what:?}, {header}, {rust}),");
}
