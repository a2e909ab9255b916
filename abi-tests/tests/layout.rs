//! `include/sandlock.h` (through bindgen) against the Rust types and
//! constants of the ffi crate: every size, alignment, field offset, field
//! size and field type, and every constant's value; and the frozen layout
//! as C `_Static_assert`s (`c/layout_asserts.c`) compiled against it.
//!
//! Lists compare as sets: no check depends on the order in which the
//! header declares its items (`a_reordered_header_is_the_same_api...` in
//! tests/baseline.rs reorders it).

use std::collections::BTreeSet;

use sandlock_abi_tests::api::{Api, TypeDef};
use sandlock_abi_tests::testing::{compile_static_asserts, edited, header_path, header_text, TempHeader};
use sandlock_abi_tests::{constant_facts, layout_facts, Fact, HEADER_FUNCTIONS};

/// The items a list of facts covers: each fact's text before the first `:` or `.`.
fn items(facts: &[Fact]) -> BTreeSet<&str> {
    facts.iter().map(|f| f.what.split([':', '.']).next().unwrap_or(f.what)).collect()
}

fn mismatches(facts: &[Fact]) -> Vec<&Fact> {
    facts.iter().filter(|f| !f.holds()).collect()
}

#[test]
fn header_structs_unions_and_typedefs_match_the_ffi_types() {
    let facts = layout_facts();
    assert_eq!(mismatches(&facts), Vec::<&Fact>::new());
}

#[test]
fn layout_facts_cover_every_record_and_typedef_of_the_abi() {
    // A new struct, union or typedef in the header shows up here: add it
    // to this list after checking that it belongs in the ABI.
    assert_eq!(
        items(&layout_facts()),
        BTreeSet::from([
            "sandlock_action_inject_t",
            "sandlock_action_inject_tracked_t",
            "sandlock_action_kill_t",
            "sandlock_action_kind_t",
            "sandlock_action_out_t",
            "sandlock_action_payload_t",
            "sandlock_category_t",
            "sandlock_decision_t",
            "sandlock_destination_t",
            "sandlock_event_t",
            "sandlock_exception_policy_t",
            "sandlock_exit_reason_t",
            "sandlock_exit_t",
            "sandlock_handler_fn_t",
            "sandlock_handler_registration_t",
            "sandlock_handler_ud_drop_t",
            "sandlock_net_op_t",
            "sandlock_notif_data_t",
            "sandlock_policy_fn_t",
            "sandlock_status_t",
            "sandlock_stdin_t",
        ])
    );
}

#[test]
fn notif_data_fields_are_compared_one_by_one() {
    let facts = layout_facts();
    let fields: BTreeSet<&str> =
        facts.iter().filter_map(|f| f.what.strip_prefix("sandlock_notif_data_t.")?.strip_suffix(": offset")).collect();
    assert_eq!(fields, BTreeSet::from(["id", "pid", "flags", "syscall_nr", "arch", "instruction_pointer", "args"]));
}

#[test]
fn header_constants_match_the_ffi_constants() {
    let facts = constant_facts();
    assert_eq!(mismatches(&facts), Vec::<&Fact>::new());
}

#[test]
fn constant_facts_cover_every_enum_and_define() {
    // A set: enumerators or #defines that trade places keep their values.
    let names: BTreeSet<&str> = constant_facts().iter().map(|f| f.what).collect();
    assert_eq!(
        names,
        BTreeSet::from([
            "SANDLOCK_VERSION_MAJOR",
            "SANDLOCK_VERSION_MINOR",
            "SANDLOCK_VERSION_PATCH",
            "SANDLOCK_INJECT_WRITABLE",
            "SANDLOCK_INJECT_NO_CLOEXEC",
            "SANDLOCK_MAX_ARGC",
            "SANDLOCK_MAX_REGISTRATIONS",
            "sandlock_status_t::SANDLOCK_OK",
            "sandlock_status_t::SANDLOCK_STILL_RUNNING",
            "sandlock_status_t::SANDLOCK_E_INVALID",
            "sandlock_status_t::SANDLOCK_E_NOT_FOUND",
            "sandlock_status_t::SANDLOCK_E_UNSUPPORTED",
            "sandlock_status_t::SANDLOCK_E_SPAWN",
            "sandlock_status_t::SANDLOCK_E_IO",
            "sandlock_status_t::SANDLOCK_E_PANIC",
            "sandlock_status_t::SANDLOCK_E_DENIED",
            "sandlock_status_t::SANDLOCK_E_MEMORY",
            "sandlock_status_t::SANDLOCK_E_HANDLER",
            "sandlock_action_kind_t::SANDLOCK_ACTION_UNSET",
            "sandlock_action_kind_t::SANDLOCK_ACTION_CONTINUE",
            "sandlock_action_kind_t::SANDLOCK_ACTION_ERRNO",
            "sandlock_action_kind_t::SANDLOCK_ACTION_RETURN_VALUE",
            "sandlock_action_kind_t::SANDLOCK_ACTION_INJECT_FD_SEND",
            "sandlock_action_kind_t::SANDLOCK_ACTION_INJECT_FD_SEND_TRACKED",
            "sandlock_action_kind_t::SANDLOCK_ACTION_HOLD",
            "sandlock_action_kind_t::SANDLOCK_ACTION_KILL",
            "sandlock_exception_policy_t::SANDLOCK_EXCEPTION_KILL",
            "sandlock_exception_policy_t::SANDLOCK_EXCEPTION_DENY_EPERM",
            "sandlock_exception_policy_t::SANDLOCK_EXCEPTION_CONTINUE",
            "sandlock_exception_policy_t::SANDLOCK_EXCEPTION_DENY_EIO",
            "sandlock_exit_reason_t::SANDLOCK_EXIT_EXITED",
            "sandlock_exit_reason_t::SANDLOCK_EXIT_SIGNALED",
            "sandlock_exit_reason_t::SANDLOCK_EXIT_TIMED_OUT",
            "sandlock_exit_reason_t::SANDLOCK_EXIT_HANDLER_FAILED",
            "sandlock_exit_reason_t::SANDLOCK_EXIT_HANDLER_KILLED",
            "sandlock_stdin_t::SANDLOCK_STDIN_NULL",
            "sandlock_stdin_t::SANDLOCK_STDIN_INHERIT",
            "sandlock_stdin_t::SANDLOCK_STDIN_BYTES",
            "sandlock_category_t::SANDLOCK_CATEGORY_PROCESS",
            "sandlock_category_t::SANDLOCK_CATEGORY_EXEC",
            "sandlock_category_t::SANDLOCK_CATEGORY_NETWORK",
            "sandlock_category_t::SANDLOCK_CATEGORY_FILE",
            "sandlock_category_t::SANDLOCK_CATEGORY_SIGNAL",
            "sandlock_category_t::SANDLOCK_CATEGORY_PATHS",
            "sandlock_net_op_t::SANDLOCK_NET_CONNECT",
            "sandlock_net_op_t::SANDLOCK_NET_BIND",
            "sandlock_net_op_t::SANDLOCK_NET_LISTEN",
            "sandlock_net_op_t::SANDLOCK_NET_SENDTO",
            "sandlock_decision_t::SANDLOCK_DECISION_ALLOW",
            "sandlock_decision_t::SANDLOCK_DECISION_DENY",
            "sandlock_decision_t::SANDLOCK_DECISION_FLAG",
        ])
    );
}

#[test]
fn the_library_version_is_the_headers() {
    let header_version = sandlock_abi_tests::header::SANDLOCK_VERSION_MAJOR << 16
        | sandlock_abi_tests::header::SANDLOCK_VERSION_MINOR << 8
        | sandlock_abi_tests::header::SANDLOCK_VERSION_PATCH;
    assert_eq!(sandlock::sandlock_version(), header_version);
}

#[test]
fn every_header_function_has_its_prototype_pinned_in_c() {
    let asserts = include_str!("../c/layout_asserts.c");
    let unpinned: Vec<&str> =
        HEADER_FUNCTIONS.iter().copied().filter(|f| !asserts.contains(&format!("ASSERT_PROTOTYPE({f},"))).collect();
    assert_eq!(unpinned, Vec::<&str>::new());
}

/// The C file read at run time, so that a test of it needs no rebuild.
fn layout_asserts() -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/c/layout_asserts.c")).expect("c/layout_asserts.c")
}

#[test]
fn every_header_type_and_constant_is_pinned_in_c() {
    // The C asserts freeze numbers the Rust side could drift with (the
    // bindgen facts only say header and crate agree): every struct, union
    // and enum typedef has its size pinned, every field its offset, every
    // constant its value, 1.1 items included.
    let asserts = layout_asserts();
    let api = Api::of_header(&header_path()).unwrap_or_else(|e| panic!("{e}"));
    let mut unpinned = Vec::new();
    for (name, def) in &api.types {
        match def {
            TypeDef::Record { fields, .. } => {
                if !asserts.contains(&format!("ASSERT_SIZE({name},")) {
                    unpinned.push(format!("size of {name}"));
                }
                for (field, _) in fields {
                    let pinned = asserts.contains(&format!("ASSERT_FIELD({name}, {field},"))
                        || asserts.contains(&format!("offsetof({name}, {field}) =="));
                    if !pinned {
                        unpinned.push(format!("offset of {name}.{field}"));
                    }
                }
            }
            TypeDef::Alias(_) if api.enumerations().contains(name.as_str()) => {
                if !asserts.contains(&format!("ASSERT_SIZE({name},")) {
                    unpinned.push(format!("size of {name}"));
                }
            }
            TypeDef::Alias(_) => {
                if !asserts.contains(&format!("SAME_TYPE(({name})0,")) {
                    unpinned.push(format!("type of {name}"));
                }
            }
            TypeDef::Opaque => {}
        }
    }
    // Minor and patch version move with each release: nothing to freeze.
    let moving = ["SANDLOCK_VERSION_MINOR", "SANDLOCK_VERSION_PATCH"];
    for name in api.constants.keys().filter(|name| !moving.contains(&name.as_str())) {
        if !asserts.contains(&format!("_Static_assert({name} ==")) {
            unpinned.push(format!("value of {name}"));
        }
    }
    assert_eq!(unpinned, Vec::<String>::new());
}

#[test]
fn the_static_asserts_hold_for_the_header() {
    let include_dir = header_path().parent().expect("include/").to_path_buf();
    if let Err(diagnostics) = compile_static_asserts(&include_dir) {
        panic!("c/layout_asserts.c fails against include/sandlock.h:\n{diagnostics}");
    }
}

/// The compiler's complaint about the header with `from` replaced by `to`.
fn static_assert_errors_after(from: &str, to: &str) -> String {
    let altered = TempHeader::new(&edited(&header_text(), from, to));
    compile_static_asserts(altered.include_dir()).expect_err("the altered header must fail the asserts")
}

#[test]
fn the_static_asserts_catch_a_changed_value_layout_and_prototype() {
    let errors = static_assert_errors_after("SANDLOCK_EXIT_TIMED_OUT = 2,", "SANDLOCK_EXIT_TIMED_OUT = 7,");
    assert!(errors.contains("static assertion failed: \"SANDLOCK_EXIT_TIMED_OUT\""), "{errors}");

    let errors = static_assert_errors_after(
        "    int64_t syscall_nr;\n    /**\n     * Captured",
        "    int32_t syscall_nr;\n    /**\n     * Captured",
    );
    assert!(errors.contains("static assertion failed: \"sandlock_exit_t.syscall_nr type\""), "{errors}");
    assert!(errors.contains("static assertion failed: \"sandlock_exit_t.stdout_truncated offset\""), "{errors}");

    let errors = static_assert_errors_after(
        "int sandlock_child_wait_for(const struct sandlock_child_t *child,",
        "int sandlock_child_wait_for(const struct sandlock_result_t *child,",
    );
    assert!(errors.contains("static assertion failed: \"sandlock_child_wait_for prototype\""), "{errors}");
}
