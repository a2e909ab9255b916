//! The C API a header declares, as bindgen renders it: its constants, types
//! and function prototypes, each keyed by its C name — never by where the
//! header declares it, so that reordering a header changes nothing here —
//! and the rule that a later header keeps every promise of a baseline's.
//!
//! `build.rs` includes this file too (`#[path]`), to generate the layout
//! facts from the same parse; it may use only `bindgen` and `syn`.

use std::collections::BTreeMap;
use std::path::Path;

use syn::{Fields, FnArg, ForeignItem, Item, Pat, ReturnType, Type};

/// A `#define` or enum constant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Constant {
    /// bindgen's name: the C name, prefixed with `<enum>_` for an enumerator.
    pub bindgen_name: String,
    /// The enum typedef an enumerator belongs to.
    pub enumeration: Option<String>,
    /// The value as a decimal literal (`-1`, `4096`).
    pub value: String,
}

/// A struct, union, opaque handle or typedef.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TypeDef {
    /// `typedef struct x x;` with no definition: C only holds pointers.
    Opaque,
    /// A struct or union with its fields (name, type) in layout order.
    Record { union: bool, fields: Vec<(String, String)> },
    /// A typedef of an integer (an enum's type) or a function pointer.
    Alias(String),
}

/// A function's prototype.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prototype {
    /// Parameters (name, type); the names only label messages.
    pub params: Vec<(String, String)>,
    /// The return type, `()` for void.
    pub ret: String,
    /// The version its documentation gives ("Since 1.1."), if any.
    pub since: Option<(u32, u32)>,
}

/// Everything a header declares that a C program can depend on.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Api {
    pub constants: BTreeMap<String, Constant>,
    pub types: BTreeMap<String, TypeDef>,
    pub functions: BTreeMap<String, Prototype>,
}

/// Rust bindings of `header`, generated the same way for every check.
pub fn bindings(header: &Path) -> Result<String, String> {
    let path = header.to_str().ok_or_else(|| format!("{} is not UTF-8", header.display()))?;
    bindgen::Builder::default()
        .header(path)
        .allowlist_item("(sandlock|SANDLOCK)_.*")
        .clang_args(["-std=c11"])
        .generate()
        .map(|bindings| bindings.to_string())
        .map_err(|e| format!("bindgen cannot parse {}: {e}", header.display()))
}

impl Api {
    /// The API of a header file (through bindgen).
    pub fn of_header(header: &Path) -> Result<Api, String> {
        Api::from_bindings(&bindings(header)?)
    }

    /// The API in bindgen's rendering of a header.
    pub fn from_bindings(source: &str) -> Result<Api, String> {
        let file = syn::parse_file(source).map_err(|e| format!("bindgen's output is not valid Rust: {e}"))?;
        let mut api = Api::default();
        let mut raw_constants = Vec::new();
        for item in &file.items {
            match item {
                Item::Struct(s) => {
                    let fields = match &s.fields {
                        Fields::Named(named) => named
                            .named
                            .iter()
                            .map(|f| Ok((ident(f.ident.as_ref())?, render(&f.ty)?)))
                            .collect::<Result<Vec<_>, String>>()?,
                        _ => Vec::new(),
                    };
                    // bindgen renders an opaque `typedef struct x x;` as `{ _unused: [u8; 0] }`.
                    let def = match fields.as_slice() {
                        [(name, _)] if name == "_unused" => TypeDef::Opaque,
                        _ => TypeDef::Record { union: false, fields },
                    };
                    api.types.insert(s.ident.to_string(), def);
                }
                Item::Union(u) => {
                    let fields = u
                        .fields
                        .named
                        .iter()
                        .map(|f| Ok((ident(f.ident.as_ref())?, render(&f.ty)?)))
                        .collect::<Result<Vec<_>, String>>()?;
                    api.types.insert(u.ident.to_string(), TypeDef::Record { union: true, fields });
                }
                Item::Type(t) => {
                    api.types.insert(t.ident.to_string(), TypeDef::Alias(render(&t.ty)?));
                }
                Item::Const(c) if c.ident != "_" => {
                    let ty = match &*c.ty {
                        Type::Path(path) => path.path.get_ident().map(ToString::to_string),
                        _ => None,
                    };
                    raw_constants.push((c.ident.to_string(), ty, literal(&c.expr)?));
                }
                Item::ForeignMod(foreign) => {
                    for foreign_item in &foreign.items {
                        if let ForeignItem::Fn(f) = foreign_item {
                            api.functions.insert(f.sig.ident.to_string(), prototype(f)?);
                        }
                    }
                }
                _ => {}
            }
        }
        // bindgen names an enumerator `<enum>_<NAME>` and types it by the
        // enum's typedef; C knows it as NAME.
        for (bindgen_name, ty, value) in raw_constants {
            let enumerator = ty
                .filter(|t| matches!(api.types.get(t), Some(TypeDef::Alias(_))))
                .and_then(|t| bindgen_name.strip_prefix(&format!("{t}_")).map(|name| (t.clone(), name.to_string())));
            let (c_name, enumeration) = match enumerator {
                Some((enumeration, name)) => (name, Some(enumeration)),
                None => (bindgen_name.clone(), None),
            };
            api.constants.insert(c_name, Constant { bindgen_name, enumeration, value });
        }
        Ok(api)
    }

    /// The enum typedefs: aliases that some constant belongs to.
    pub fn enumerations(&self) -> std::collections::BTreeSet<&str> {
        self.constants.values().filter_map(|c| c.enumeration.as_deref()).collect()
    }
}

fn ident(ident: Option<&syn::Ident>) -> Result<String, String> {
    ident.map(ToString::to_string).ok_or_else(|| "a field without a name".to_string())
}

fn prototype(f: &syn::ForeignItemFn) -> Result<Prototype, String> {
    let mut params = Vec::new();
    for (i, input) in f.sig.inputs.iter().enumerate() {
        let FnArg::Typed(typed) = input else {
            return Err(format!("{}: a receiver in a C prototype", f.sig.ident));
        };
        let name = match &*typed.pat {
            Pat::Ident(p) => p.ident.to_string(),
            _ => format!("#{}", i + 1),
        };
        params.push((name, render(&typed.ty)?));
    }
    let ret = match &f.sig.output {
        ReturnType::Default => "()".to_string(),
        ReturnType::Type(_, ty) => render(ty)?,
    };
    let docs: String = f
        .attrs
        .iter()
        .filter(|a| a.path().is_ident("doc"))
        .filter_map(|a| match &a.meta {
            syn::Meta::NameValue(nv) => match &nv.value {
                syn::Expr::Lit(syn::ExprLit { lit: syn::Lit::Str(s), .. }) => Some(s.value()),
                _ => None,
            },
            _ => None,
        })
        .collect::<Vec<_>>()
        .join("\n");
    Ok(Prototype { params, ret, since: since(&docs) })
}

/// "... Since 1.1. ..." → (1, 1).
fn since(docs: &str) -> Option<(u32, u32)> {
    let text = docs.split_whitespace().collect::<Vec<_>>().join(" ");
    let rest = &text[text.find("Since ")? + "Since ".len()..];
    let version: String = rest.chars().take_while(|c| c.is_ascii_digit() || *c == '.').collect();
    let (major, minor) = version.trim_end_matches('.').split_once('.')?;
    Some((major.parse().ok()?, minor.parse().ok()?))
}

/// An integer literal or its negation, as decimal text.
fn literal(expr: &syn::Expr) -> Result<String, String> {
    match expr {
        syn::Expr::Lit(syn::ExprLit { lit: syn::Lit::Int(i), .. }) => {
            i.base10_parse::<i128>().map(|v| v.to_string()).map_err(|e| e.to_string())
        }
        syn::Expr::Lit(syn::ExprLit { lit: syn::Lit::Bool(b), .. }) => Ok(b.value.to_string()),
        syn::Expr::Unary(syn::ExprUnary { op: syn::UnOp::Neg(_), expr, .. }) => Ok(format!("-{}", literal(expr)?)),
        _ => Err("a constant that is not an integer literal".to_string()),
    }
}

/// A type as C sees it, in Rust spelling without module paths:
/// `*const sandlock_child_t`, `Option<fn(*mut c_void) -> ()>`, `[u64; 6]`.
/// `int` and `int32_t` are one type on every Linux target (and the header
/// uses both), so the `c_*` integer names become their fixed-width ones.
pub fn render(ty: &Type) -> Result<String, String> {
    Ok(match ty {
        Type::Ptr(p) => {
            let mutability = match p.mutability {
                syn::PointerMutability::Mut(_) => "mut",
                syn::PointerMutability::Const(_) => "const",
            };
            format!("*{mutability} {}", render(&p.elem)?)
        }
        Type::Path(path) => {
            let last = path.path.segments.last().ok_or_else(|| "an empty type path".to_string())?;
            let name = match last.ident.to_string().as_str() {
                "c_int" => "i32".to_string(),
                "c_uint" => "u32".to_string(),
                "c_long" | "c_longlong" => "i64".to_string(),
                "c_ulong" | "c_ulonglong" => "u64".to_string(),
                "c_short" => "i16".to_string(),
                "c_ushort" => "u16".to_string(),
                other => other.to_string(),
            };
            match &last.arguments {
                syn::PathArguments::None => name,
                syn::PathArguments::AngleBracketed(args) => {
                    let inner = args
                        .args
                        .iter()
                        .map(|arg| match arg {
                            syn::GenericArgument::Type(t) => render(t),
                            _ => Err("a generic argument that is not a type".to_string()),
                        })
                        .collect::<Result<Vec<_>, _>>()?;
                    format!("{name}<{}>", inner.join(", "))
                }
                syn::PathArguments::Parenthesized(_) => return Err("a parenthesized type path".to_string()),
            }
        }
        Type::FnPtr(f) => {
            let params = f.inputs.iter().map(|arg| render(&arg.ty)).collect::<Result<Vec<_>, _>>()?;
            let ret = match &f.output {
                ReturnType::Default => "()".to_string(),
                ReturnType::Type(_, ty) => render(ty)?,
            };
            format!("fn({}) -> {ret}", params.join(", "))
        }
        Type::Array(a) => format!("[{}; {}]", render(&a.elem)?, literal(&a.len)?),
        Type::Tuple(t) if t.elems.is_empty() => "()".to_string(),
        Type::Paren(p) => render(&p.elem)?,
        _ => return Err("a type bindgen does not render for C".to_string()),
    })
}

/// C spelling of a rendered parameter's position, for messages.
fn nth(i: usize) -> String {
    format!("parameter {}", i + 1)
}

/// The version macros change by design: the major one never within major
/// version 1, minor and patch only forward.
const VERSION_MACROS: [&str; 3] = ["SANDLOCK_VERSION_MAJOR", "SANDLOCK_VERSION_MINOR", "SANDLOCK_VERSION_PATCH"];

/// Every promise of `baseline` (named `baseline_name` in messages) that
/// `current` breaks, one sorted line each; empty when it keeps them all.
///
/// - every constant keeps its value (the version macros may only move
///   forward, the major one not at all);
/// - every function keeps exactly its prototype: each parameter's type and
///   the return type, down to `const` and to which opaque handle a pointer
///   points;
/// - every opaque handle stays opaque, every typedef keeps its type, and
///   every struct and union keeps its fields (name and type) in order —
///   fields may be added after them (abidiff and the layout checks judge
///   whether that is allowed for the type).
///
/// Additions are no concern of this check: the symbols test puts new
/// functions in a new version node.
pub fn broken_promises(baseline_name: &str, baseline: &Api, current: &Api) -> Vec<String> {
    let mut problems = Vec::new();
    for (name, old) in &baseline.constants {
        let Some(new) = current.constants.get(name) else {
            problems.push(format!("constant {name}: {} in {baseline_name}, missing now", old.value));
            continue;
        };
        if VERSION_MACROS[1..].contains(&name.as_str()) {
            continue;
        }
        if new.value != old.value {
            problems.push(format!("constant {name}: {} in {baseline_name}, {} now", old.value, new.value));
        }
    }
    let version = |api: &Api| -> Option<(i128, i128)> {
        let value = |name: &str| api.constants.get(name)?.value.parse::<i128>().ok();
        Some((value(VERSION_MACROS[1])?, value(VERSION_MACROS[2])?))
    };
    if let (Some(old), Some(new)) = (version(baseline), version(current)) {
        if new < old {
            problems.push(format!(
                "constants SANDLOCK_VERSION_MINOR.PATCH: {}.{} in {baseline_name}, {}.{} now (versions only move forward)",
                old.0, old.1, new.0, new.1
            ));
        }
    }

    for (name, old) in &baseline.functions {
        let Some(new) = current.functions.get(name) else {
            problems.push(format!("function {name}: declared in {baseline_name}, missing now"));
            continue;
        };
        if new.ret != old.ret {
            problems.push(format!("function {name}: returns {}, returned {} in {baseline_name}", new.ret, old.ret));
        }
        if new.params.len() != old.params.len() {
            problems.push(format!(
                "function {name}: takes {} parameters, took {} in {baseline_name} ({})",
                new.params.len(),
                old.params.len(),
                signature(old)
            ));
            continue;
        }
        for (i, ((old_name, old_ty), (_, new_ty))) in old.params.iter().zip(&new.params).enumerate() {
            if old_ty != new_ty {
                problems.push(format!(
                    "function {name}: {} ({old_name}) is {new_ty}, was {old_ty} in {baseline_name}",
                    nth(i)
                ));
            }
        }
    }

    for (name, old) in &baseline.types {
        let Some(new) = current.types.get(name) else {
            problems.push(format!("type {name}: defined in {baseline_name}, missing now"));
            continue;
        };
        match (old, new) {
            (TypeDef::Opaque, TypeDef::Opaque) => {}
            (TypeDef::Alias(old_ty), TypeDef::Alias(new_ty)) => {
                if old_ty != new_ty {
                    problems.push(format!("type {name}: is {new_ty}, was {old_ty} in {baseline_name}"));
                }
            }
            (TypeDef::Record { union: old_union, fields: old_fields }, TypeDef::Record { union, fields }) => {
                if old_union != union {
                    let kind = |u: &bool| if *u { "a union" } else { "a struct" };
                    problems.push(format!(
                        "type {name}: is {}, was {} in {baseline_name}",
                        kind(union),
                        kind(old_union)
                    ));
                }
                for (i, (old_field, old_ty)) in old_fields.iter().enumerate() {
                    match fields.get(i) {
                        None => problems.push(format!(
                            "type {name}: field {old_field} ({old_ty}, field {} in {baseline_name}) is missing now",
                            i + 1
                        )),
                        Some((field, ty)) if (field, ty) != (old_field, old_ty) => problems.push(format!(
                            "type {name}: field {} is {field} ({ty}), was {old_field} ({old_ty}) in {baseline_name}",
                            i + 1
                        )),
                        Some(_) => {}
                    }
                }
            }
            _ => problems.push(format!("type {name}: is {}, was {} in {baseline_name}", describe(new), describe(old))),
        }
    }
    problems.sort();
    problems
}

fn describe(def: &TypeDef) -> &'static str {
    match def {
        TypeDef::Opaque => "an opaque handle",
        TypeDef::Record { union: false, .. } => "a struct",
        TypeDef::Record { union: true, .. } => "a union",
        TypeDef::Alias(_) => "a typedef",
    }
}

fn signature(p: &Prototype) -> String {
    let params: Vec<&str> = p.params.iter().map(|(_, ty)| ty.as_str()).collect();
    format!("fn({}) -> {}", params.join(", "), p.ret)
}
