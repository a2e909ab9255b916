//! Checks that hold the C ABI of libsandlock still.
//!
//! `build.rs` generates Rust bindings of `include/sandlock.h` ([`header`])
//! with bindgen, and pairs every struct, union, typedef and constant of the
//! header with the same item of the `sandlock-ffi` crate ([`layout_facts`],
//! [`constant_facts`]). The tests compare the pairs; compare the header's
//! constants, types and prototypes with every frozen baseline header
//! ([`api`]); compile the frozen layout as C `_Static_assert`s; and compare
//! the library's exported symbols with the committed baseline ([`symbols`]).

pub mod api;
pub mod symbols;
pub mod testing;

/// `include/sandlock.h` as bindgen renders it.
#[allow(non_camel_case_types, non_upper_case_globals, non_snake_case, dead_code, clippy::all, clippy::pedantic)]
pub mod header {
    include!(concat!(env!("OUT_DIR"), "/header.rs"));
}

/// One property of one item, as the header and as the `sandlock-ffi` crate have it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fact {
    pub what: &'static str,
    pub header: String,
    pub rust: String,
}

impl Fact {
    pub fn number(what: &'static str, header: i128, rust: i128) -> Fact {
        Fact { what, header: header.to_string(), rust: rust.to_string() }
    }

    /// Type names compare without their module paths: the header's types
    /// live in [`header`], the library's in its own modules.
    pub fn type_name(what: &'static str, header: &str, rust: &str) -> Fact {
        Fact { what, header: without_paths(header), rust: without_paths(rust) }
    }

    pub fn holds(&self) -> bool {
        self.header == self.rust
    }
}

/// `a::b::T` → `T`, inside any type name (`*mut a::T`, `[a::T; 6]`).
fn without_paths(type_name: &str) -> String {
    let mut out = String::with_capacity(type_name.len());
    let mut rest = type_name;
    while let Some(separator) = rest.find("::") {
        let segment_start = rest[..separator].trim_end_matches(|c: char| c.is_alphanumeric() || c == '_');
        out.push_str(segment_start);
        rest = &rest[separator + 2..];
    }
    out.push_str(rest);
    out
}

pub fn size_of_pointee<T>(_: *const T) -> usize {
    std::mem::size_of::<T>()
}

pub fn type_name_of_pointee<T>(_: *const T) -> &'static str {
    std::any::type_name::<T>()
}

/// Size of field `$field` of type `$ty`.
#[macro_export]
macro_rules! field_size {
    ($ty:ty, $field:ident) => {{
        let value = ::std::mem::MaybeUninit::<$ty>::uninit();
        let base = value.as_ptr();
        // SAFETY: addr_of! takes the field's address inside `value` without
        // reading the uninitialised memory.
        $crate::size_of_pointee(unsafe { ::std::ptr::addr_of!((*base).$field) })
    }};
}

/// Type name of field `$field` of type `$ty`.
#[macro_export]
macro_rules! field_type_name {
    ($ty:ty, $field:ident) => {{
        let value = ::std::mem::MaybeUninit::<$ty>::uninit();
        let base = value.as_ptr();
        // SAFETY: addr_of! takes the field's address inside `value` without
        // reading the uninitialised memory.
        $crate::type_name_of_pointee(unsafe { ::std::ptr::addr_of!((*base).$field) })
    }};
}

include!(concat!(env!("OUT_DIR"), "/facts.rs"));

#[cfg(test)]
mod tests {
    use super::without_paths;

    #[test]
    fn type_names_lose_their_module_paths() {
        assert_eq!(without_paths("u64"), "u64");
        assert_eq!(without_paths("[u64; 6]"), "[u64; 6]");
        assert_eq!(without_paths("sandlock::handler::abi::sandlock_action_kill_t"), "sandlock_action_kill_t");
        assert_eq!(without_paths("*mut sandlock_abi_tests::header::sandlock_handler_t"), "*mut sandlock_handler_t");
    }
}
