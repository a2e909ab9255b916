//! `include/sandlock.h` against every frozen baseline header
//! (`baseline/sandlock-<v>.h`): each constant keeps its value, each
//! function exactly its prototype, each type its definition. Both headers
//! go through bindgen and are compared item by item, keyed by name, so the
//! check needs no list of what to compare and ignores declaration order.
//!
//! The negative tests run the same comparison on altered copies of the
//! header and expect the exact message naming the problem.

use sandlock_abi_tests::api::{broken_promises, Api};
use sandlock_abi_tests::testing::{baseline_headers, edited, header_path, header_text, reordered, TempHeader};

fn current() -> Api {
    Api::of_header(&header_path()).unwrap_or_else(|e| panic!("{e}"))
}

/// The 1.0 baseline, which every test below alters the header against.
fn baseline_1_0() -> Api {
    let (_, path) = baseline_headers().into_iter().find(|(name, _)| name == "sandlock-1.0.h").expect("sandlock-1.0.h");
    Api::of_header(&path).unwrap_or_else(|e| panic!("{e}"))
}

/// What the comparison with the 1.0 baseline reports for the header with
/// `from` replaced by `to`.
fn problems_after(from: &str, to: &str) -> Vec<String> {
    let altered = TempHeader::new(&edited(&header_text(), from, to));
    let api = Api::of_header(&altered.path()).unwrap_or_else(|e| panic!("{e}"));
    broken_promises("sandlock-1.0.h", &baseline_1_0(), &api)
}

#[test]
fn the_header_keeps_every_promise_of_every_baseline_header() {
    let current = current();
    let mut problems = Vec::new();
    for (name, path) in baseline_headers() {
        let baseline = Api::of_header(&path).unwrap_or_else(|e| panic!("{e}"));
        problems.extend(broken_promises(&name, &baseline, &current));
    }
    assert!(problems.is_empty(), "include/sandlock.h breaks promises of the baseline:\n  {}", problems.join("\n  "));
}

#[test]
fn the_comparison_sees_the_whole_1_0_surface() {
    // Not a list to keep up to date: a floor that fails if the parse ever
    // loses items (a comparison of nothing would pass).
    let baseline = baseline_1_0();
    assert_eq!(baseline.functions.len(), 45, "functions of sandlock-1.0.h");
    assert!(baseline.constants.len() >= 30, "constants of sandlock-1.0.h: {}", baseline.constants.len());
    assert!(baseline.types.contains_key("sandlock_handler_fn_t"));
    assert_eq!(
        baseline.functions["sandlock_run_with_handlers"].params.iter().map(|(_, ty)| ty.as_str()).collect::<Vec<_>>(),
        [
            "*const sandlock_policy_t",
            "*const c_char",
            "*const *const c_char",
            "u32",
            "*const sandlock_handler_registration_t",
            "usize"
        ]
    );
}

#[test]
fn a_reordered_header_is_the_same_api_and_breaks_nothing() {
    let text = header_text();
    let moved = reordered(&text);
    assert_ne!(moved, text, "the reordering moved nothing");
    // Moved, not lost: the same lines, in another order.
    let mut before: Vec<&str> = text.lines().collect();
    let mut after: Vec<&str> = moved.lines().collect();
    before.sort_unstable();
    after.sort_unstable();
    assert_eq!(before, after);
    // The first prototype and the first status code are no longer first.
    let first_function = |t: &str| t.find("int sandlock_action_set_continue(").expect("declared");
    assert!(first_function(&moved) > moved.find("uint32_t sandlock_version(void);").expect("declared"));
    assert!(moved.find("SANDLOCK_OK = 0,").unwrap() > moved.find("SANDLOCK_E_HANDLER = -9,").unwrap());

    let altered = TempHeader::new(&moved);
    let api = Api::of_header(&altered.path()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(api, current());
    for (name, path) in baseline_headers() {
        let baseline = Api::of_header(&path).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(broken_promises(&name, &baseline, &api), Vec::<String>::new());
    }
}

#[test]
fn a_changed_enum_value_is_reported() {
    assert_eq!(
        problems_after("SANDLOCK_E_DENIED = -7,", "SANDLOCK_E_DENIED = -10,"),
        ["constant SANDLOCK_E_DENIED: -7 in sandlock-1.0.h, -10 now"]
    );
    assert_eq!(
        problems_after("SANDLOCK_EXCEPTION_DENY_EIO = 3,", "SANDLOCK_EXCEPTION_DENY_EIO = 4,"),
        ["constant SANDLOCK_EXCEPTION_DENY_EIO: 3 in sandlock-1.0.h, 4 now"]
    );
}

#[test]
fn a_changed_or_removed_define_is_reported() {
    assert_eq!(
        problems_after("#define SANDLOCK_MAX_ARGC 4096", "#define SANDLOCK_MAX_ARGC 8192"),
        ["constant SANDLOCK_MAX_ARGC: 4096 in sandlock-1.0.h, 8192 now"]
    );
    assert_eq!(
        problems_after("#define SANDLOCK_INJECT_NO_CLOEXEC (1 << 1)", ""),
        ["constant SANDLOCK_INJECT_NO_CLOEXEC: 2 in sandlock-1.0.h, missing now"]
    );
}

#[test]
fn version_macros_move_forward_only() {
    // The current minor, whatever release this is, moved on by one.
    let minor = sandlock_abi_tests::header::SANDLOCK_VERSION_MINOR;
    assert_eq!(
        problems_after(
            &format!("#define SANDLOCK_VERSION_MINOR {minor}"),
            &format!("#define SANDLOCK_VERSION_MINOR {}", minor + 1)
        ),
        Vec::<String>::new()
    );
    assert_eq!(
        problems_after("#define SANDLOCK_VERSION_MAJOR 1", "#define SANDLOCK_VERSION_MAJOR 2"),
        ["constant SANDLOCK_VERSION_MAJOR: 1 in sandlock-1.0.h, 2 now"]
    );
}

#[test]
fn a_prototype_swapping_one_opaque_handle_for_another_is_reported() {
    assert_eq!(
        problems_after(
            "int32_t sandlock_child_pid(const struct sandlock_child_t *child);",
            "int32_t sandlock_child_pid(const struct sandlock_result_t *child);"
        ),
        ["function sandlock_child_pid: parameter 1 (child) is *const sandlock_result_t, was *const sandlock_child_t in \
          sandlock-1.0.h"]
    );
    assert_eq!(
        problems_after(
            "struct sandlock_result_t *sandlock_run(const struct sandlock_policy_t *policy,",
            "struct sandlock_child_t *sandlock_run(const struct sandlock_policy_t *policy,"
        ),
        ["function sandlock_run: returns *mut sandlock_child_t, returned *mut sandlock_result_t in sandlock-1.0.h"]
    );
}

#[test]
fn a_lost_const_a_changed_width_or_parameter_count_is_reported() {
    assert_eq!(
        problems_after(
            "int sandlock_policy_deny_syscall(struct sandlock_policy_t *policy, const char *name);",
            "int sandlock_policy_deny_syscall(struct sandlock_policy_t *policy, char *name);"
        ),
        ["function sandlock_policy_deny_syscall: parameter 2 (name) is *mut c_char, was *const c_char in sandlock-1.0.h"]
    );
    assert_eq!(
        problems_after("uint32_t sandlock_version(void);", "uint64_t sandlock_version(void);"),
        ["function sandlock_version: returns u64, returned u32 in sandlock-1.0.h"]
    );
    assert_eq!(
        problems_after(
            "int sandlock_child_kill(struct sandlock_child_t *child);",
            "int sandlock_child_kill(struct sandlock_child_t *child, int sig);"
        ),
        ["function sandlock_child_kill: takes 2 parameters, took 1 in sandlock-1.0.h (fn(*mut sandlock_child_t) -> i32)"]
    );
}

#[test]
fn a_removed_function_is_reported() {
    assert_eq!(
        problems_after("void sandlock_result_free(struct sandlock_result_t *result);", ""),
        ["function sandlock_result_free: declared in sandlock-1.0.h, missing now"]
    );
}

#[test]
fn a_changed_struct_field_or_callback_type_is_reported() {
    assert_eq!(
        problems_after("    int32_t pgid;\n} sandlock_action_kill_t;", "    uint32_t pgid;\n} sandlock_action_kill_t;"),
        ["type sandlock_action_kill_t: field 2 is pgid (u32), was pgid (i32) in sandlock-1.0.h"]
    );
    assert_eq!(
        problems_after(
            "typedef void (*sandlock_handler_ud_drop_t)(void *ud);",
            "typedef void (*sandlock_handler_ud_drop_t)(const void *ud);"
        ),
        ["type sandlock_handler_ud_drop_t: is Option<fn(*const c_void) -> ()>, was Option<fn(*mut c_void) -> ()> in \
          sandlock-1.0.h"]
    );
}
