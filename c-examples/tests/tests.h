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
    X(syscall_nr_resolves_names)                                                                                       \
    X(error_object_carries_status_errno_and_message)                                                                \
    X(error_accessors_accept_null)                                                                                  \
    X(success_clears_the_err_slot)                                                                                  \
    X(take_last_keeps_a_failed_1_0_call)                                                                            \
    X(take_last_after_a_success_is_null)                                                                            \
    X(an_error_object_survives_a_change_of_thread)                                                                  \
    X(every_1_1_call_fails_with_a_null_err_too)                                                                     \
    X(landlock_abi_is_the_kernels)                                                                                  \
    X(command_new_rejects_bad_input)                                                                                \
    X(command_new_accepts_the_most_arguments)                                                                       \
    X(command_copies_its_policy_and_argv)                                                                           \
    X(set_name_labels_the_runs_errors)                                                                              \
    X(a_command_runs_once)                                                                                          \
    X(stdio_setters_refuse_bad_fds)                                                                                 \
    X(stdio_setters_say_when_the_fd_table_is_full)                                                                  \
    X(minus_one_restores_the_captured_default)                                                                      \
    X(add_handler_consumes_the_handler_on_every_path)                                                               \
    X(adding_one_handler_twice_is_refused)                                                                          \
    X(handlers_in_one_command_are_never_confused)                                                                   \
    X(a_handler_on_a_denied_syscall_fails_the_verb)                                                                 \
    X(run_interactive_returns_the_exit_code_or_128_plus_the_signal)                                                 \
    X(run_interactive_uses_the_callers_stdout_by_default)                                                           \
    X(spawned_child_streams_a_mebibyte_into_a_pipe_read_concurrently)                                               \
    X(captured_run_reads_a_mebibyte_from_a_stdin_pipe)                                                              \
    X(stderr_goes_to_its_pipe_while_stdout_is_captured)                                                             \
    X(the_caller_keeps_its_fds)                                                                                     \
    X(a_freed_command_closes_its_copies)                                                                            \
    X(static_return_value_answers_in_a_real_run)                                                                    \
    X(static_errno_answers_in_a_real_run)                                                                           \
    X(static_continue_lets_the_syscall_run)                                                                         \
    X(static_handlers_work_in_a_1_0_registration_array)                                                             \
    X(a_static_handler_is_freed_like_any_other)                                                                     \
    X(static_handlers_refuse_every_other_kind)                                                                      \
    X(exit_snapshot_of_a_child_that_exited)                                                                         \
    X(exit_snapshot_of_a_child_killed_by_an_outside_signal)                                                         \
    X(exit_snapshot_of_a_timed_out_child)                                                                           \
    X(exit_snapshot_names_the_syscall_of_a_failing_handler)                                                         \
    X(exit_snapshot_names_the_syscall_of_a_handlers_kill)                                                           \
    X(exit_snapshot_says_which_stream_was_truncated)                                                                \
    X(exit_snapshot_is_null_until_a_wait_sees_the_end)                                                              \
    X(pause_resume_and_signal_from_another_thread_while_one_waits)                                                  \
    X(the_time_limit_runs_on_while_a_child_is_paused)                                                               \
    X(child_controls_refuse_bad_signals_and_null)                                                                   \
    X(a_timed_wait_behind_an_unbounded_one_keeps_its_deadline)                                                      \
    X(spawned_command_is_waited_with_a_timeout)                                                                     \
    X(spawn_refuses_stdin_bytes)                                                                                    \
    X(allowlist_runs_only_the_listed_syscalls)                                                                      \
    X(allowlist_refuses_bad_names_and_a_deny_list)                                                                  \
    X(max_open_files_is_the_childs_rlimit)                                                                          \
    X(max_output_refuses_zero_and_null)                                                                             \
    X(private_ipc_gives_the_child_sysv_ipc)                                                                         \
    X(best_effort_runs_what_the_caller_cannot_enforce)                                                              \
    X(scope_ipc_keeps_signals_inside_the_sandbox)                                                                   \
    X(allow_netlink_lets_the_child_open_netlink_sockets)                                                            \
    X(private_network_hides_the_hosts_loopback)                                                                     \
    X(std_devices_are_usable_by_default_and_can_be_turned_off)                                                      \
    X(private_tmp_is_fresh_writable_and_removed_with_the_run)                                                       \
    X(private_shm_gives_the_child_posix_shared_memory)                                                              \
    X(an_exec_the_sandbox_refuses_says_which_file_and_why)                                                          \
    X(pass_env_copies_named_variables_from_the_caller)                                                              \
    X(keep_capability_keeps_one_capability)                                                                         \
    X(stdin_modes_are_what_the_child_reads)                                                                         \
    X(stdin_refuses_bad_modes_and_data)                                                                             \
    X(handler_grace_bounds_the_wait_for_stuck_callbacks)                                                            \
    X(policy_fn_denies_curl_by_argv_and_lets_ls_run)                                                                \
    X(policy_fn_ud_drop_runs_once_when_the_verb_fails)                                                              \
    X(policy_fn_ud_drop_runs_once_for_a_command_never_run)                                                          \
    X(a_second_set_policy_fn_replaces_the_first_and_drops_its_ud_at_once)                                           \
    X(set_policy_fn_refuses_bad_arguments_and_the_ud_stays_the_callers)                                             \
    X(event_arg_gives_every_argument_with_its_length)                                                               \
    X(process_events_describe_a_fork_and_a_thread)                                                                  \
    X(network_events_carry_the_host_and_port_of_a_connect)                                                          \
    X(file_and_signal_events_carry_flags_target_and_signal)                                                         \
    X(decisions_allow_deny_with_errno_and_flag)                                                                     \
    X(an_answer_that_is_no_decision_gets_the_failure_outcome)                                                       \
    X(a_callback_past_its_time_limit_gets_the_failure_decision_and_holds_nothing_up)                                \
    X(set_policy_fn_failure_refuses_bad_values)                                                                     \
    X(control_restrict_connect_narrows_later_connects)                                                              \
    X(control_lower_max_processes_makes_later_forks_fail)                                                           \
    X(control_lower_max_memory_lowers_the_address_space_limit)                                                      \
    X(control_deny_path_needs_the_paths_category)                                                                   \
    X(control_deny_path_makes_a_file_unreadable_mid_run)                                                            \
    X(a_control_handle_is_refused_after_its_callback_returned)                                                      \
    X(a_result_lists_the_flagged_events)                                                                            \
    X(a_result_keeps_ten_thousand_flagged_events_and_counts_the_rest)                                               \
    X(a_spawned_child_lists_its_flagged_events_while_it_runs)                                                       \
    X(every_policy_fn_function_refuses_null)                                                                        \
    X(the_policy_fn_audit_example_logs_execs_and_denies_one_program)

#define DECLARE_TEST(name) void name(void);
ALL_TESTS(DECLARE_TEST)
#undef DECLARE_TEST

#endif
