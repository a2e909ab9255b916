/* The list of tests; the runner builds its table from ALL_TESTS. */
#ifndef SANDLOCK_CTEST_TESTS_H
#define SANDLOCK_CTEST_TESTS_H

struct test_case {
    const char *name;
    void (*run)(void);
};

#define ALL_TESTS(X)                                                                                                   \
    X(audit_handler_logs_openat_path)                                                                                  \
    X(handler_fakes_getppid)                                                                                           \
    X(handler_denies_with_exact_errno)                                                                                 \
    X(handler_kills_with_exact_signal)                                                                                 \
    X(handler_writes_child_memory)                                                                                     \
    X(mem_read_cstr_with_max_len_one)                                                                                  \
    X(inject_bytes_serves_a_virtual_file)                                                                              \
    X(failing_handler_gets_its_exception_policy)                                                                       \
    X(handler_without_action_gets_its_exception_policy)                                                                \
    X(policy_only_run_prints_exact_stdout)                                                                             \
    X(policy_only_run_reports_exit_code)                                                                               \
    X(policy_denies_read_outside_read_set)                                                                             \
    X(spawn_with_handlers_then_wait)                                                                                   \
    X(spawn_then_kill_then_wait)                                                                                       \
    X(spawn_wait_times_out_on_a_running_child)                                                                         \
    X(ud_drop_runs_once_after_a_run)                                                                                   \
    X(ud_drop_runs_once_for_null_ud)                                                                                   \
    X(handler_free_accepts_null)                                                                                       \
    X(null_policy_consumes_every_handler)                                                                              \
    X(zero_argc_consumes_every_handler)                                                                                \
    X(null_handler_in_array_consumes_the_others)                                                                       \
    X(handler_new_rejects_invalid_exception_policy)                                                                    \
    X(failed_spawn_consumes_every_handler)                                                                             \
    X(child_free_runs_ud_drop_once)                                                                                    \
    X(version_matches_header_macros)                                                                                   \
    X(last_error_describes_a_failed_call)                                                                              \
    X(syscall_nr_resolves_names)

#define DECLARE_TEST(name) void name(void);
ALL_TESTS(DECLARE_TEST)
#undef DECLARE_TEST

#endif
