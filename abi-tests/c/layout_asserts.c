/*
 * The C ABI of libsandlock.so.1 as numbers: sizes, alignments, field
 * offsets and types, constants and prototypes. Compiled against the header by
 * tests/layout.rs and check-all.sh, so a header that drifts from them fails
 * with the compiler naming every assert that broke. These values are
 * binary-compatible with the reference implementation's and are frozen for
 * major version 1: snapshots may only grow at the end. tests/layout.rs also
 * fails when an item of the header is not pinned here.
 */
#include <sandlock.h>

#include <stddef.h>
#include <stdint.h>

#define SAME_TYPE(expr, type) _Generic((expr), type: 1, default: 0)
#define FIELD(type, field) (((type *)0)->field)
#define ASSERT_FIELD(type, field, offset, field_type)                                                                  \
    _Static_assert(offsetof(type, field) == (offset), #type "." #field " offset");                                      \
    _Static_assert(SAME_TYPE(FIELD(type, field), field_type), #type "." #field " type")
#define ASSERT_SIZE(type, size, align)                                                                                 \
    _Static_assert(sizeof(type) == (size), #type " size");                                                              \
    _Static_assert(_Alignof(type) == (align), #type " alignment")
#define ASSERT_PROTOTYPE(function, pointer_type)                                                                       \
    _Static_assert(SAME_TYPE(&function, pointer_type), #function " prototype")

/* ---- the notification snapshot (struct seccomp_notif, flattened) --------- */

ASSERT_SIZE(sandlock_notif_data_t, 80, 8);
ASSERT_FIELD(sandlock_notif_data_t, id, 0, uint64_t);
ASSERT_FIELD(sandlock_notif_data_t, pid, 8, uint32_t);
ASSERT_FIELD(sandlock_notif_data_t, flags, 12, uint32_t);
ASSERT_FIELD(sandlock_notif_data_t, syscall_nr, 16, int32_t);
ASSERT_FIELD(sandlock_notif_data_t, arch, 20, uint32_t);
ASSERT_FIELD(sandlock_notif_data_t, instruction_pointer, 24, uint64_t);
_Static_assert(offsetof(sandlock_notif_data_t, args) == 32, "sandlock_notif_data_t.args offset");
_Static_assert(sizeof(FIELD(sandlock_notif_data_t, args)) == 6 * sizeof(uint64_t), "sandlock_notif_data_t.args size");
_Static_assert(SAME_TYPE(FIELD(sandlock_notif_data_t, args)[0], uint64_t), "sandlock_notif_data_t.args type");

/* ---- the action a callback fills in --------------------------------------- */

ASSERT_SIZE(sandlock_action_inject_t, 8, 4);
ASSERT_FIELD(sandlock_action_inject_t, srcfd, 0, int32_t);
ASSERT_FIELD(sandlock_action_inject_t, newfd_flags, 4, uint32_t);

ASSERT_SIZE(sandlock_action_inject_tracked_t, 16, 8);
ASSERT_FIELD(sandlock_action_inject_tracked_t, srcfd, 0, int32_t);
ASSERT_FIELD(sandlock_action_inject_tracked_t, newfd_flags, 4, uint32_t);
ASSERT_FIELD(sandlock_action_inject_tracked_t, tracker, 8, uint64_t);

ASSERT_SIZE(sandlock_action_kill_t, 8, 4);
ASSERT_FIELD(sandlock_action_kill_t, sig, 0, int32_t);
ASSERT_FIELD(sandlock_action_kill_t, pgid, 4, int32_t);

ASSERT_SIZE(sandlock_action_payload_t, 16, 8);
ASSERT_FIELD(sandlock_action_payload_t, none, 0, uint64_t);
ASSERT_FIELD(sandlock_action_payload_t, errno_value, 0, int32_t);
ASSERT_FIELD(sandlock_action_payload_t, return_value, 0, int64_t);
ASSERT_FIELD(sandlock_action_payload_t, inject, 0, sandlock_action_inject_t);
ASSERT_FIELD(sandlock_action_payload_t, inject_tracked, 0, sandlock_action_inject_tracked_t);
ASSERT_FIELD(sandlock_action_payload_t, kill, 0, sandlock_action_kill_t);

ASSERT_SIZE(sandlock_action_out_t, 24, 8);
ASSERT_FIELD(sandlock_action_out_t, kind, 0, uint32_t);
ASSERT_FIELD(sandlock_action_out_t, payload, 8, sandlock_action_payload_t);

_Static_assert(SANDLOCK_ACTION_UNSET == 0, "SANDLOCK_ACTION_UNSET");
_Static_assert(SANDLOCK_ACTION_CONTINUE == 1, "SANDLOCK_ACTION_CONTINUE");
_Static_assert(SANDLOCK_ACTION_ERRNO == 2, "SANDLOCK_ACTION_ERRNO");
_Static_assert(SANDLOCK_ACTION_RETURN_VALUE == 3, "SANDLOCK_ACTION_RETURN_VALUE");
_Static_assert(SANDLOCK_ACTION_INJECT_FD_SEND == 4, "SANDLOCK_ACTION_INJECT_FD_SEND");
_Static_assert(SANDLOCK_ACTION_INJECT_FD_SEND_TRACKED == 5, "SANDLOCK_ACTION_INJECT_FD_SEND_TRACKED");
_Static_assert(SANDLOCK_ACTION_HOLD == 6, "SANDLOCK_ACTION_HOLD");
_Static_assert(SANDLOCK_ACTION_KILL == 7, "SANDLOCK_ACTION_KILL");

_Static_assert(SANDLOCK_EXCEPTION_KILL == 0, "SANDLOCK_EXCEPTION_KILL");
_Static_assert(SANDLOCK_EXCEPTION_DENY_EPERM == 1, "SANDLOCK_EXCEPTION_DENY_EPERM");
_Static_assert(SANDLOCK_EXCEPTION_CONTINUE == 2, "SANDLOCK_EXCEPTION_CONTINUE");
_Static_assert(SANDLOCK_EXCEPTION_DENY_EIO == 3, "SANDLOCK_EXCEPTION_DENY_EIO");

_Static_assert(SANDLOCK_INJECT_WRITABLE == 1, "SANDLOCK_INJECT_WRITABLE");
_Static_assert(SANDLOCK_INJECT_NO_CLOEXEC == 2, "SANDLOCK_INJECT_NO_CLOEXEC");

/* ---- handlers and their registration -------------------------------------- */

ASSERT_SIZE(sandlock_handler_registration_t, 16, 8);
ASSERT_FIELD(sandlock_handler_registration_t, syscall_nr, 0, int64_t);
ASSERT_FIELD(sandlock_handler_registration_t, handler, 8, sandlock_handler_t *);

_Static_assert(SAME_TYPE((sandlock_handler_fn_t)0, int32_t (*)(void *, const sandlock_notif_data_t *,
                                                                sandlock_mem_handle_t *, sandlock_action_out_t *)),
               "sandlock_handler_fn_t");
_Static_assert(SAME_TYPE((sandlock_handler_ud_drop_t)0, void (*)(void *)), "sandlock_handler_ud_drop_t");

/* ---- status codes ---------------------------------------------------------- */

_Static_assert(SANDLOCK_OK == 0, "SANDLOCK_OK");
_Static_assert(SANDLOCK_STILL_RUNNING == 1, "SANDLOCK_STILL_RUNNING");
_Static_assert(SANDLOCK_E_INVALID == -1, "SANDLOCK_E_INVALID");
_Static_assert(SANDLOCK_E_NOT_FOUND == -2, "SANDLOCK_E_NOT_FOUND");
_Static_assert(SANDLOCK_E_UNSUPPORTED == -3, "SANDLOCK_E_UNSUPPORTED");
_Static_assert(SANDLOCK_E_SPAWN == -4, "SANDLOCK_E_SPAWN");
_Static_assert(SANDLOCK_E_IO == -5, "SANDLOCK_E_IO");
_Static_assert(SANDLOCK_E_PANIC == -6, "SANDLOCK_E_PANIC");
_Static_assert(SANDLOCK_E_DENIED == -7, "SANDLOCK_E_DENIED");
_Static_assert(SANDLOCK_E_MEMORY == -8, "SANDLOCK_E_MEMORY");
_Static_assert(SANDLOCK_E_HANDLER == -9, "SANDLOCK_E_HANDLER");

_Static_assert(SANDLOCK_MAX_ARGC == 4096, "SANDLOCK_MAX_ARGC");
_Static_assert(SANDLOCK_MAX_REGISTRATIONS == 4096, "SANDLOCK_MAX_REGISTRATIONS");

/* ---- the types of the enums (each a fixed-width integer typedef in C) ------ */

ASSERT_SIZE(sandlock_status_t, 4, 4);
ASSERT_SIZE(sandlock_action_kind_t, 4, 4);
ASSERT_SIZE(sandlock_exception_policy_t, 4, 4);
_Static_assert(SAME_TYPE((sandlock_status_t)0, int32_t), "sandlock_status_t is int32_t");
_Static_assert(SAME_TYPE((sandlock_action_kind_t)0, uint32_t), "sandlock_action_kind_t is uint32_t");
_Static_assert(SAME_TYPE((sandlock_exception_policy_t)0, uint32_t), "sandlock_exception_policy_t is uint32_t");

/* ---- version ----------------------------------------------------------------- */

_Static_assert(SANDLOCK_VERSION_MAJOR == 1, "major version 1 is what this file freezes");

/* ---- prototypes of the 1.0 surface ------------------------------------------ */

ASSERT_PROTOTYPE(sandlock_policy_new, sandlock_policy_t *(*)(void));
ASSERT_PROTOTYPE(sandlock_policy_fs_read, int (*)(sandlock_policy_t *, const char *));
ASSERT_PROTOTYPE(sandlock_policy_fs_write, int (*)(sandlock_policy_t *, const char *));
ASSERT_PROTOTYPE(sandlock_policy_net_connect_tcp, int (*)(sandlock_policy_t *, uint16_t));
ASSERT_PROTOTYPE(sandlock_policy_net_bind_tcp, int (*)(sandlock_policy_t *, uint16_t));
ASSERT_PROTOTYPE(sandlock_policy_deny_syscall, int (*)(sandlock_policy_t *, const char *));
ASSERT_PROTOTYPE(sandlock_policy_timeout_ms, int (*)(sandlock_policy_t *, uint64_t));
ASSERT_PROTOTYPE(sandlock_policy_max_processes, int (*)(sandlock_policy_t *, uint32_t));
ASSERT_PROTOTYPE(sandlock_policy_max_memory, int (*)(sandlock_policy_t *, uint64_t));
ASSERT_PROTOTYPE(sandlock_policy_env, int (*)(sandlock_policy_t *, const char *, const char *));
ASSERT_PROTOTYPE(sandlock_policy_cwd, int (*)(sandlock_policy_t *, const char *));
ASSERT_PROTOTYPE(sandlock_policy_uid, int (*)(sandlock_policy_t *, uint32_t));
ASSERT_PROTOTYPE(sandlock_policy_gid, int (*)(sandlock_policy_t *, uint32_t));
ASSERT_PROTOTYPE(sandlock_policy_allow_unix_sockets, int (*)(sandlock_policy_t *, bool));
ASSERT_PROTOTYPE(sandlock_policy_free, void (*)(sandlock_policy_t *));

ASSERT_PROTOTYPE(sandlock_run,
                 sandlock_result_t *(*)(const sandlock_policy_t *, const char *, const char *const *, uint32_t));
ASSERT_PROTOTYPE(sandlock_run_interactive,
                 int (*)(const sandlock_policy_t *, const char *, const char *const *, uint32_t));
ASSERT_PROTOTYPE(sandlock_result_exit_code, int32_t (*)(const sandlock_result_t *));
ASSERT_PROTOTYPE(sandlock_result_signal, int32_t (*)(const sandlock_result_t *));
ASSERT_PROTOTYPE(sandlock_result_stdout, const uint8_t *(*)(const sandlock_result_t *, size_t *));
ASSERT_PROTOTYPE(sandlock_result_stderr, const uint8_t *(*)(const sandlock_result_t *, size_t *));
ASSERT_PROTOTYPE(sandlock_result_free, void (*)(sandlock_result_t *));

ASSERT_PROTOTYPE(sandlock_last_error, const char *(*)(void));
ASSERT_PROTOTYPE(sandlock_last_status, int32_t (*)(void));
ASSERT_PROTOTYPE(sandlock_version, uint32_t (*)(void));
ASSERT_PROTOTYPE(sandlock_syscall_nr, int64_t (*)(const char *));

ASSERT_PROTOTYPE(sandlock_mem_read_cstr,
                 int32_t (*)(const sandlock_mem_handle_t *, uint64_t, uint8_t *, size_t, size_t *));
ASSERT_PROTOTYPE(sandlock_mem_read, int32_t (*)(const sandlock_mem_handle_t *, uint64_t, uint8_t *, size_t, size_t *));
ASSERT_PROTOTYPE(sandlock_mem_write, int32_t (*)(const sandlock_mem_handle_t *, uint64_t, const uint8_t *, size_t));

ASSERT_PROTOTYPE(sandlock_action_set_continue, int (*)(sandlock_action_out_t *));
ASSERT_PROTOTYPE(sandlock_action_set_errno, int (*)(sandlock_action_out_t *, int32_t));
ASSERT_PROTOTYPE(sandlock_action_set_return_value, int (*)(sandlock_action_out_t *, int64_t));
ASSERT_PROTOTYPE(sandlock_action_set_inject_fd_send, int (*)(sandlock_action_out_t *, int, uint32_t));
ASSERT_PROTOTYPE(sandlock_action_set_inject_bytes, int (*)(sandlock_action_out_t *, const uint8_t *, size_t, uint32_t));
ASSERT_PROTOTYPE(sandlock_action_set_hold, int (*)(sandlock_action_out_t *));
ASSERT_PROTOTYPE(sandlock_action_set_kill, int (*)(sandlock_action_out_t *, int32_t, int32_t));

ASSERT_PROTOTYPE(sandlock_handler_new,
                 sandlock_handler_t *(*)(sandlock_handler_fn_t, void *, sandlock_handler_ud_drop_t, uint32_t));
ASSERT_PROTOTYPE(sandlock_handler_free, void (*)(sandlock_handler_t *));
ASSERT_PROTOTYPE(sandlock_run_with_handlers,
                 sandlock_result_t *(*)(const sandlock_policy_t *, const char *, const char *const *, uint32_t,
                                        const sandlock_handler_registration_t *, size_t));
ASSERT_PROTOTYPE(sandlock_spawn_with_handlers,
                 sandlock_child_t *(*)(const sandlock_policy_t *, const char *, const char *const *, uint32_t,
                                       const sandlock_handler_registration_t *, size_t));
ASSERT_PROTOTYPE(sandlock_child_pid, int32_t (*)(const sandlock_child_t *));
ASSERT_PROTOTYPE(sandlock_child_wait, int (*)(sandlock_child_t *, int64_t, int32_t *, int32_t *));
ASSERT_PROTOTYPE(sandlock_child_kill, int (*)(sandlock_child_t *));
ASSERT_PROTOTYPE(sandlock_child_free, void (*)(sandlock_child_t *));
ASSERT_PROTOTYPE(sandlock_run_interactive_with_handlers,
                 int (*)(const sandlock_policy_t *, const char *, const char *const *, uint32_t,
                         const sandlock_handler_registration_t *, size_t));

/* ---- types and constants added in 1.1 ---------------------------------------- */

/* How a child ended: a snapshot the library fills; it may only grow at the end. */
ASSERT_SIZE(sandlock_exit_t, 32, 8);
ASSERT_FIELD(sandlock_exit_t, reason, 0, uint32_t);
ASSERT_FIELD(sandlock_exit_t, exit_code, 4, int32_t);
ASSERT_FIELD(sandlock_exit_t, signal, 8, int32_t);
ASSERT_FIELD(sandlock_exit_t, syscall_nr, 16, int64_t);
ASSERT_FIELD(sandlock_exit_t, stdout_truncated, 24, bool);
ASSERT_FIELD(sandlock_exit_t, stderr_truncated, 25, bool);

ASSERT_SIZE(sandlock_exit_reason_t, 4, 4);
_Static_assert(SAME_TYPE((sandlock_exit_reason_t)0, uint32_t), "sandlock_exit_reason_t is uint32_t");
_Static_assert(SANDLOCK_EXIT_EXITED == 0, "SANDLOCK_EXIT_EXITED");
_Static_assert(SANDLOCK_EXIT_SIGNALED == 1, "SANDLOCK_EXIT_SIGNALED");
_Static_assert(SANDLOCK_EXIT_TIMED_OUT == 2, "SANDLOCK_EXIT_TIMED_OUT");
_Static_assert(SANDLOCK_EXIT_HANDLER_FAILED == 3, "SANDLOCK_EXIT_HANDLER_FAILED");
_Static_assert(SANDLOCK_EXIT_HANDLER_KILLED == 4, "SANDLOCK_EXIT_HANDLER_KILLED");

ASSERT_SIZE(sandlock_stdin_t, 4, 4);
_Static_assert(SAME_TYPE((sandlock_stdin_t)0, uint32_t), "sandlock_stdin_t is uint32_t");
_Static_assert(SANDLOCK_STDIN_NULL == 0, "SANDLOCK_STDIN_NULL");
_Static_assert(SANDLOCK_STDIN_INHERIT == 1, "SANDLOCK_STDIN_INHERIT");
_Static_assert(SANDLOCK_STDIN_BYTES == 2, "SANDLOCK_STDIN_BYTES");

/* policy_fn: the event snapshot (it may only grow at the end), destinations,
 * the callback, and the enums of categories, network operations and
 * decisions. */
ASSERT_SIZE(sandlock_event_t, 96, 8);
ASSERT_FIELD(sandlock_event_t, size, 0, uint32_t);
ASSERT_FIELD(sandlock_event_t, category, 4, uint32_t);
ASSERT_FIELD(sandlock_event_t, syscall_nr, 8, int64_t);
ASSERT_FIELD(sandlock_event_t, pid, 16, uint32_t);
ASSERT_FIELD(sandlock_event_t, ppid, 20, uint32_t);
ASSERT_FIELD(sandlock_event_t, denied_by_policy, 24, bool);
ASSERT_FIELD(sandlock_event_t, race_free, 25, bool);
ASSERT_FIELD(sandlock_event_t, thread, 26, bool);
ASSERT_FIELD(sandlock_event_t, argv_truncated, 27, bool);
ASSERT_FIELD(sandlock_event_t, clone_flags, 32, uint64_t);
ASSERT_FIELD(sandlock_event_t, argc, 40, uint32_t);
ASSERT_FIELD(sandlock_event_t, net_op, 44, uint32_t);
ASSERT_FIELD(sandlock_event_t, family, 48, int32_t);
ASSERT_FIELD(sandlock_event_t, addr_family, 52, int32_t);
_Static_assert(offsetof(sandlock_event_t, addr) == 56, "sandlock_event_t.addr offset");
_Static_assert(sizeof(FIELD(sandlock_event_t, addr)) == 16, "sandlock_event_t.addr size");
_Static_assert(SAME_TYPE(FIELD(sandlock_event_t, addr)[0], uint8_t), "sandlock_event_t.addr type");
ASSERT_FIELD(sandlock_event_t, port, 72, int32_t);
ASSERT_FIELD(sandlock_event_t, signal, 76, int32_t);
ASSERT_FIELD(sandlock_event_t, signal_target, 80, int64_t);
ASSERT_FIELD(sandlock_event_t, open_flags, 88, uint64_t);

ASSERT_SIZE(sandlock_destination_t, 28, 4);
ASSERT_FIELD(sandlock_destination_t, family, 0, int32_t);
_Static_assert(offsetof(sandlock_destination_t, addr) == 4, "sandlock_destination_t.addr offset");
_Static_assert(sizeof(FIELD(sandlock_destination_t, addr)) == 16, "sandlock_destination_t.addr size");
_Static_assert(SAME_TYPE(FIELD(sandlock_destination_t, addr)[0], uint8_t), "sandlock_destination_t.addr type");
ASSERT_FIELD(sandlock_destination_t, prefix, 20, uint8_t);
ASSERT_FIELD(sandlock_destination_t, port, 24, int32_t);

_Static_assert(SAME_TYPE((sandlock_policy_fn_t)0, uint32_t (*)(void *, const sandlock_event_t *,
                                                               sandlock_control_t *, int32_t *)),
               "sandlock_policy_fn_t");

ASSERT_SIZE(sandlock_category_t, 4, 4);
_Static_assert(SAME_TYPE((sandlock_category_t)0, uint32_t), "sandlock_category_t is uint32_t");
_Static_assert(SANDLOCK_CATEGORY_PROCESS == 1, "SANDLOCK_CATEGORY_PROCESS");
_Static_assert(SANDLOCK_CATEGORY_EXEC == 2, "SANDLOCK_CATEGORY_EXEC");
_Static_assert(SANDLOCK_CATEGORY_NETWORK == 4, "SANDLOCK_CATEGORY_NETWORK");
_Static_assert(SANDLOCK_CATEGORY_FILE == 8, "SANDLOCK_CATEGORY_FILE");
_Static_assert(SANDLOCK_CATEGORY_SIGNAL == 16, "SANDLOCK_CATEGORY_SIGNAL");
_Static_assert(SANDLOCK_CATEGORY_PATHS == 32, "SANDLOCK_CATEGORY_PATHS");

ASSERT_SIZE(sandlock_net_op_t, 4, 4);
_Static_assert(SAME_TYPE((sandlock_net_op_t)0, uint32_t), "sandlock_net_op_t is uint32_t");
_Static_assert(SANDLOCK_NET_CONNECT == 0, "SANDLOCK_NET_CONNECT");
_Static_assert(SANDLOCK_NET_BIND == 1, "SANDLOCK_NET_BIND");
_Static_assert(SANDLOCK_NET_LISTEN == 2, "SANDLOCK_NET_LISTEN");
_Static_assert(SANDLOCK_NET_SENDTO == 3, "SANDLOCK_NET_SENDTO");

ASSERT_SIZE(sandlock_decision_t, 4, 4);
_Static_assert(SAME_TYPE((sandlock_decision_t)0, uint32_t), "sandlock_decision_t is uint32_t");
_Static_assert(SANDLOCK_DECISION_ALLOW == 0, "SANDLOCK_DECISION_ALLOW");
_Static_assert(SANDLOCK_DECISION_DENY == 1, "SANDLOCK_DECISION_DENY");
_Static_assert(SANDLOCK_DECISION_FLAG == 2, "SANDLOCK_DECISION_FLAG");

/* ---- prototypes added in 1.1 ------------------------------------------------- */

ASSERT_PROTOTYPE(sandlock_policy_private_ipc, int (*)(sandlock_policy_t *, bool, sandlock_error_t **));
ASSERT_PROTOTYPE(sandlock_policy_private_network, int (*)(sandlock_policy_t *, bool, sandlock_error_t **));
ASSERT_PROTOTYPE(sandlock_policy_std_devices, int (*)(sandlock_policy_t *, bool, sandlock_error_t **));
ASSERT_PROTOTYPE(sandlock_policy_private_tmp, int (*)(sandlock_policy_t *, bool, sandlock_error_t **));
ASSERT_PROTOTYPE(sandlock_policy_private_shm, int (*)(sandlock_policy_t *, bool, sandlock_error_t **));
ASSERT_PROTOTYPE(sandlock_policy_handler_grace_ms, int (*)(sandlock_policy_t *, uint64_t, sandlock_error_t **));
ASSERT_PROTOTYPE(sandlock_error_status, int32_t (*)(const sandlock_error_t *));
ASSERT_PROTOTYPE(sandlock_error_errno, int32_t (*)(const sandlock_error_t *));
ASSERT_PROTOTYPE(sandlock_landlock_abi, int32_t (*)(void));
ASSERT_PROTOTYPE(sandlock_syscall_name, const char*(*)(int64_t));
ASSERT_PROTOTYPE(sandlock_child_exit, const sandlock_exit_t*(*)(const sandlock_child_t *));
ASSERT_PROTOTYPE(sandlock_child_pause, int (*)(const sandlock_child_t *, sandlock_error_t **));
ASSERT_PROTOTYPE(sandlock_child_resume, int (*)(const sandlock_child_t *, sandlock_error_t **));
ASSERT_PROTOTYPE(sandlock_child_signal, int (*)(const sandlock_child_t *, int, sandlock_error_t **));
ASSERT_PROTOTYPE(sandlock_child_wait_for, int (*)(const sandlock_child_t *, int64_t, sandlock_error_t **));
ASSERT_PROTOTYPE(sandlock_command_add_handler, int (*)(sandlock_command_t *, int64_t, sandlock_handler_t *, sandlock_error_t **));
ASSERT_PROTOTYPE(sandlock_command_free, void (*)(sandlock_command_t *));
ASSERT_PROTOTYPE(sandlock_command_new, sandlock_command_t*(*)(const sandlock_policy_t *, const char *const *, uint32_t, sandlock_error_t **));
ASSERT_PROTOTYPE(sandlock_command_run, sandlock_result_t*(*)(sandlock_command_t *, sandlock_error_t **));
ASSERT_PROTOTYPE(sandlock_command_run_interactive, int (*)(sandlock_command_t *, sandlock_error_t **));
ASSERT_PROTOTYPE(sandlock_command_set_name, int (*)(sandlock_command_t *, const char *, sandlock_error_t **));
ASSERT_PROTOTYPE(sandlock_command_set_stderr, int (*)(sandlock_command_t *, int, sandlock_error_t **));
ASSERT_PROTOTYPE(sandlock_command_set_stdin, int (*)(sandlock_command_t *, int, sandlock_error_t **));
ASSERT_PROTOTYPE(sandlock_command_set_stdout, int (*)(sandlock_command_t *, int, sandlock_error_t **));
ASSERT_PROTOTYPE(sandlock_command_spawn, sandlock_child_t*(*)(sandlock_command_t *, sandlock_error_t **));
ASSERT_PROTOTYPE(sandlock_error_free, void (*)(sandlock_error_t *));
ASSERT_PROTOTYPE(sandlock_error_message, const char*(*)(const sandlock_error_t *));
ASSERT_PROTOTYPE(sandlock_error_take_last, sandlock_error_t *(*)(void));
ASSERT_PROTOTYPE(sandlock_handler_new_static, sandlock_handler_t*(*)(const sandlock_action_out_t *, sandlock_error_t **));
ASSERT_PROTOTYPE(sandlock_policy_allow_netlink, int (*)(sandlock_policy_t *, bool, sandlock_error_t **));
ASSERT_PROTOTYPE(sandlock_policy_allow_only_syscall, int (*)(sandlock_policy_t *, const char *, sandlock_error_t **));
ASSERT_PROTOTYPE(sandlock_policy_best_effort, int (*)(sandlock_policy_t *, bool, sandlock_error_t **));
ASSERT_PROTOTYPE(sandlock_policy_keep_capability, int (*)(sandlock_policy_t *, uint32_t, sandlock_error_t **));
ASSERT_PROTOTYPE(sandlock_policy_max_open_files, int (*)(sandlock_policy_t *, uint64_t, sandlock_error_t **));
ASSERT_PROTOTYPE(sandlock_policy_max_output, int (*)(sandlock_policy_t *, size_t, sandlock_error_t **));
ASSERT_PROTOTYPE(sandlock_policy_pass_env, int (*)(sandlock_policy_t *, const char *, sandlock_error_t **));
ASSERT_PROTOTYPE(sandlock_policy_scope_ipc, int (*)(sandlock_policy_t *, bool, sandlock_error_t **));
ASSERT_PROTOTYPE(sandlock_policy_stdin, int (*)(sandlock_policy_t *, uint32_t, const uint8_t *, size_t, sandlock_error_t **));
ASSERT_PROTOTYPE(sandlock_result_exit, const sandlock_exit_t*(*)(const sandlock_result_t *));
ASSERT_PROTOTYPE(sandlock_command_set_policy_fn,
                 int (*)(sandlock_command_t *, uint32_t, sandlock_policy_fn_t, void *, sandlock_handler_ud_drop_t,
                         sandlock_error_t **));
ASSERT_PROTOTYPE(sandlock_command_set_policy_fn_failure,
                 int (*)(sandlock_command_t *, uint32_t, uint32_t, int32_t, sandlock_error_t **));
ASSERT_PROTOTYPE(sandlock_control_restrict_connect,
                 int (*)(const sandlock_control_t *, const sandlock_destination_t *, size_t, sandlock_error_t **));
ASSERT_PROTOTYPE(sandlock_control_lower_max_processes, int (*)(const sandlock_control_t *, uint32_t, sandlock_error_t **));
ASSERT_PROTOTYPE(sandlock_control_lower_max_memory, int (*)(const sandlock_control_t *, uint64_t, sandlock_error_t **));
ASSERT_PROTOTYPE(sandlock_event_arg, const char*(*)(const sandlock_event_t *, uint32_t, size_t *));
ASSERT_PROTOTYPE(sandlock_result_flagged_count, int64_t (*)(const sandlock_result_t *));
ASSERT_PROTOTYPE(sandlock_result_flagged_dropped, int64_t (*)(const sandlock_result_t *));
ASSERT_PROTOTYPE(sandlock_result_flagged_event, const sandlock_event_t*(*)(const sandlock_result_t *, size_t));
ASSERT_PROTOTYPE(sandlock_control_deny_path, int (*)(const sandlock_control_t *, const char *, sandlock_error_t **));
ASSERT_PROTOTYPE(sandlock_child_flagged_count, int64_t (*)(const sandlock_child_t *));
ASSERT_PROTOTYPE(sandlock_child_flagged_event, const sandlock_event_t*(*)(const sandlock_child_t *, size_t));
