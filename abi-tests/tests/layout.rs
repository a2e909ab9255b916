//! `include/sandlock.h` (through bindgen) against the Rust types and
//! constants of the ffi crate: every size, alignment, field offset, field
//! size and field type, and every constant's value.

use sandlock_abi_tests::{constant_facts, layout_facts, Fact, HEADER_FUNCTIONS};

/// The items a list of facts covers: each fact's text before the first `:` or `.`.
fn items(facts: &[Fact]) -> Vec<&str> {
    let mut names: Vec<&str> = facts.iter().map(|f| f.what.split([':', '.']).next().unwrap_or(f.what)).collect();
    names.sort_unstable();
    names.dedup();
    names
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
        [
            "sandlock_action_inject_t",
            "sandlock_action_inject_tracked_t",
            "sandlock_action_kill_t",
            "sandlock_action_kind_t",
            "sandlock_action_out_t",
            "sandlock_action_payload_t",
            "sandlock_exception_policy_t",
            "sandlock_exit_reason_t",
            "sandlock_exit_t",
            "sandlock_handler_fn_t",
            "sandlock_handler_registration_t",
            "sandlock_handler_ud_drop_t",
            "sandlock_notif_data_t",
            "sandlock_status_t",
            "sandlock_stdin_t",
        ]
    );
}

#[test]
fn notif_data_fields_are_compared_one_by_one() {
    let fields: Vec<&str> = layout_facts()
        .iter()
        .filter_map(|f| f.what.strip_prefix("sandlock_notif_data_t.")?.strip_suffix(": offset"))
        .collect();
    assert_eq!(fields, ["id", "pid", "flags", "syscall_nr", "arch", "instruction_pointer", "args"]);
}

#[test]
fn header_constants_match_the_ffi_constants() {
    let facts = constant_facts();
    assert_eq!(mismatches(&facts), Vec::<&Fact>::new());
}

#[test]
fn constant_facts_cover_every_enum_and_define() {
    let names: Vec<&str> = constant_facts().iter().map(|f| f.what).collect();
    assert_eq!(
        names,
        [
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
        ]
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
