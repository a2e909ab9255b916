//! Build-time half of the ABI checks:
//!
//! 1. compile `c/layout_asserts.c` (the frozen 1.0 layout as `_Static_assert`s)
//!    against `include/sandlock.h`, so a drifting header fails the build;
//! 2. generate Rust bindings of the header with bindgen (`$OUT_DIR/header.rs`);
//! 3. read those bindings and write `$OUT_DIR/facts.rs`: for every struct,
//!    union, typedef and constant of the header, the pair (value in the
//!    header, value in the `sandlock-ffi` crate, `sandlock::` in Rust) that
//!    `tests/layout.rs` compares, plus the functions the header declares.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use syn::{Fields, ForeignItem, Item, Type};

fn main() {
    let manifest_dir = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let out_dir = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    let include_dir = manifest_dir.join("../include");
    let header = include_dir.join("sandlock.h");
    let static_asserts = manifest_dir.join("c/layout_asserts.c");
    println!("cargo:rerun-if-changed={}", header.display());
    println!("cargo:rerun-if-changed={}", static_asserts.display());

    compile_static_asserts(&static_asserts, &include_dir);

    let bindings = bindgen::Builder::default()
        .header(header.to_str().expect("the header path is UTF-8"))
        .allowlist_item("(sandlock|SANDLOCK)_.*")
        .clang_args(["-std=c11"])
        .generate()
        .expect("bindgen parses include/sandlock.h")
        .to_string();
    std::fs::write(out_dir.join("header.rs"), &bindings).expect("write header.rs");

    let parsed = syn::parse_file(&bindings).expect("bindgen's output is valid Rust");
    std::fs::write(out_dir.join("facts.rs"), facts_source(&parsed)).expect("write facts.rs");
}

/// Compile the `_Static_assert`s; a failing one stops the build with the
/// compiler's message naming the field or constant.
fn compile_static_asserts(source: &Path, include_dir: &Path) {
    cc::Build::new()
        .file(source)
        .include(include_dir)
        .std("c11")
        .flag("-Wall")
        .flag("-Wextra")
        .flag("-pedantic")
        .warnings_into_errors(true)
        .compile("sandlock_layout_asserts");
}

/// What the header defines, as bindgen renders it.
#[derive(Default)]
struct HeaderItems {
    /// Structs and unions with their named fields (opaque handles excluded).
    records: Vec<(String, Vec<String>)>,
    /// `typedef`s: enums (rendered as integer aliases) and function pointers.
    aliases: BTreeSet<String>,
    /// `#define` constants and enum variants: (name, its typedef if any).
    constants: Vec<(String, Option<String>)>,
    functions: Vec<String>,
}

fn header_items(file: &syn::File) -> HeaderItems {
    let mut items = HeaderItems::default();
    for item in &file.items {
        match item {
            Item::Struct(s) => {
                if let Fields::Named(named) = &s.fields {
                    let fields: Vec<String> =
                        named.named.iter().filter_map(|f| f.ident.as_ref().map(ToString::to_string)).collect();
                    // bindgen renders an opaque `typedef struct x x;` as `{ _unused: [u8; 0] }`.
                    if fields != ["_unused"] {
                        items.records.push((s.ident.to_string(), fields));
                    }
                }
            }
            Item::Union(u) => {
                let fields = u.fields.named.iter().filter_map(|f| f.ident.as_ref().map(ToString::to_string)).collect();
                items.records.push((u.ident.to_string(), fields));
            }
            Item::Type(t) => {
                items.aliases.insert(t.ident.to_string());
            }
            Item::Const(c) if c.ident != "_" => {
                let alias = match &*c.ty {
                    Type::Path(path) => path.path.get_ident().map(ToString::to_string),
                    _ => None,
                };
                items.constants.push((c.ident.to_string(), alias));
            }
            Item::ForeignMod(foreign) => {
                for foreign_item in &foreign.items {
                    if let ForeignItem::Fn(f) = foreign_item {
                        items.functions.push(f.sig.ident.to_string());
                    }
                }
            }
            _ => {}
        }
    }
    items
}

/// The source of `facts.rs`; every `Fact` pairs a header value with the
/// value of the same item in the `sandlock-ffi` crate (`sandlock::`).
fn facts_source(file: &syn::File) -> String {
    let items = header_items(file);
    let mut layout = String::new();
    for (record, fields) in &items.records {
        let (header_ty, rust_ty) = (format!("header::{record}"), format!("sandlock::{record}"));
        push_fact(&mut layout, &format!("{record}: size"), &size_of(&header_ty), &size_of(&rust_ty));
        push_fact(&mut layout, &format!("{record}: alignment"), &align_of(&header_ty), &align_of(&rust_ty));
        for field in fields {
            let what = format!("{record}.{field}");
            let offset = |ty: &str| format!("::std::mem::offset_of!({ty}, {field})");
            let size = |ty: &str| format!("crate::field_size!({ty}, {field})");
            let type_name = |ty: &str| format!("crate::field_type_name!({ty}, {field})");
            push_fact(&mut layout, &format!("{what}: offset"), &offset(&header_ty), &offset(&rust_ty));
            push_fact(&mut layout, &format!("{what}: size"), &size(&header_ty), &size(&rust_ty));
            push_type_fact(&mut layout, &format!("{what}: type"), &type_name(&header_ty), &type_name(&rust_ty));
        }
    }
    for alias in &items.aliases {
        let (header_ty, rust_ty) = (format!("header::{alias}"), format!("sandlock::{alias}"));
        push_fact(&mut layout, &format!("{alias}: size"), &size_of(&header_ty), &size_of(&rust_ty));
        push_fact(&mut layout, &format!("{alias}: alignment"), &align_of(&header_ty), &align_of(&rust_ty));
    }

    let mut constants = String::new();
    for (name, alias) in &items.constants {
        // bindgen names an enum's constants `<enum>_<VARIANT>` and types them by the enum.
        let variant = alias
            .as_ref()
            .filter(|a| items.aliases.contains(*a))
            .and_then(|a| name.strip_prefix(&format!("{a}_")).map(|variant| (a.clone(), variant.to_string())));
        let (what, rust) = match variant {
            Some((alias, variant)) => (format!("{alias}::{variant}"), format!("sandlock::{alias}::{variant}")),
            None => (name.clone(), format!("sandlock::{name}")),
        };
        push_fact(&mut constants, &what, &format!("header::{name}"), &rust);
    }

    let mut functions = String::new();
    for function in &items.functions {
        let _ = writeln!(functions, "    {function:?},");
    }

    format!(
        "/// Size, alignment, field offset, size and type of every struct, union\n\
         /// and typedef of `sandlock.h`, in the header and in `sandlock-ffi`.\n\
         pub fn layout_facts() -> Vec<Fact> {{\n    vec![\n{layout}    ]\n}}\n\n\
         /// Value of every `#define` and enum constant of `sandlock.h`, in the\n\
         /// header and in `sandlock-ffi`.\n\
         pub fn constant_facts() -> Vec<Fact> {{\n    vec![\n{constants}    ]\n}}\n\n\
         /// Functions `sandlock.h` declares, in header order.\n\
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
