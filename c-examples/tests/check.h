/*
 * Assertions and fixtures of the C end-to-end suite. Each test runs in its
 * own forked process: a failed check prints file:line and exits non-zero,
 * and the runner counts it.
 */
#ifndef SANDLOCK_CTEST_CHECK_H
#define SANDLOCK_CTEST_CHECK_H

#include <sandlock.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

void check_failed(const char *file, int line, const char *fmt, ...) __attribute__((noreturn, format(printf, 3, 4)));

#define CHECK(cond)                                                                                                    \
    do {                                                                                                               \
        if (!(cond)) {                                                                                                 \
            check_failed(__FILE__, __LINE__, "check failed: %s", #cond);                                               \
        }                                                                                                              \
    } while (0)

#define CHECK_INT_EQ(actual, expected)                                                                                 \
    do {                                                                                                               \
        long long actual_value = (long long)(actual);                                                                  \
        long long expected_value = (long long)(expected);                                                              \
        if (actual_value != expected_value) {                                                                          \
            check_failed(__FILE__, __LINE__, "%s is %lld, expected %lld", #actual, actual_value, expected_value);      \
        }                                                                                                              \
    } while (0)

#define CHECK_STDOUT(result, expected) check_stream(__FILE__, __LINE__, (result), "stdout", (expected))
#define CHECK_STDERR(result, expected) check_stream(__FILE__, __LINE__, (result), "stderr", (expected))
/* The status and message the last failed call left on this thread. */
#define CHECK_LAST_ERROR(status, message) check_last_error(__FILE__, __LINE__, (status), (message))

#define CHECK_STR_EQ(actual, expected) check_str_eq(__FILE__, __LINE__, #actual, (actual), (expected))
/* `err` (an owned error, freed here) has this status, errno and message, and
 * the thread's last error says the same. */
#define CHECK_ERROR(err, status, errnum, message) check_error(__FILE__, __LINE__, (err), (status), (errnum), (message))
/* The exit snapshot's reason, exit code, signal and syscall number; truncation flags false. */
#define CHECK_EXIT(exit, reason, exit_code, signal, syscall_nr)                                                        \
    check_exit(__FILE__, __LINE__, (exit), (reason), (exit_code), (signal), (syscall_nr))

void check_stream(const char *file, int line, const sandlock_result_t *result, const char *stream,
                  const char *expected);
void check_last_error(const char *file, int line, int32_t status, const char *message);
void check_str_eq(const char *file, int line, const char *what, const char *actual, const char *expected);
void check_error(const char *file, int line, sandlock_error_t *err, int32_t status, int32_t errnum,
                 const char *message);
void check_exit(const char *file, int line, const sandlock_exit_t *exit, uint32_t reason, int32_t exit_code,
                int32_t signal, int64_t syscall_nr);

/* ---- fixtures ----------------------------------------------------------- */

/* The probe program (tests/probe.c), next to the runner. */
const char *probe_path(void);

/* A policy that lets the child read the system directories and the probe. */
sandlock_policy_t *base_policy(void);

/* Run the probe with `args` under `policy` and these handlers (consumed). */
sandlock_result_t *run_probe(const sandlock_policy_t *policy, const char *const *args, uint32_t nargs,
                             const sandlock_handler_registration_t *registrations, size_t count);

/* A fresh directory under /tmp, removed with remove_temp_dir. */
void make_temp_dir(char *path, size_t size);
void remove_temp_dir(const char *path);
void write_file(const char *path, const char *content);
/* dir/name into out (checked: never truncated). */
void join_path(char *out, size_t size, const char *dir, const char *name);

int64_t syscall_nr(const char *name);

/* A handler registration for `name`, checked. */
sandlock_handler_registration_t registration(const char *name, sandlock_handler_t *handler);

/* ---- 1.1 fixtures --------------------------------------------------------- */

/* A counter that handlers' callbacks and ud_drops may bump from any thread. */
struct counter {
    pthread_mutex_t lock;
    int value;
};
#define COUNTER_INIT {PTHREAD_MUTEX_INITIALIZER, 0}
void counter_add(struct counter *counter);
int counter_get(struct counter *counter);
/* A ud_drop whose ud is a struct counter: counts the drops. */
void counter_drop(void *ud);
/* A callback handler whose ud is `drops`, counted by counter_drop. */
sandlock_handler_t *counted(sandlock_handler_fn_t callback, struct counter *drops,
                            sandlock_exception_policy_t exception_policy);
/* Callbacks: continue, kill the sandbox's group with SIGUSR2, and fail
 * (return -1 without an action). */
int32_t callback_continue(void *ud, const sandlock_notif_data_t *notif, sandlock_mem_handle_t *mem,
                          sandlock_action_out_t *out);
int32_t callback_kill_sigusr2(void *ud, const sandlock_notif_data_t *notif, sandlock_mem_handle_t *mem,
                              sandlock_action_out_t *out);
int32_t callback_fail(void *ud, const sandlock_notif_data_t *notif, sandlock_mem_handle_t *mem,
                      sandlock_action_out_t *out);

/* A command running the probe with `args` under `policy` (checked). */
sandlock_command_t *probe_command(const sandlock_policy_t *policy, const char *const *args, uint32_t nargs);
/* Run the command, which must not fail; the command is freed. */
sandlock_result_t *run_and_free(sandlock_command_t *command);
/* A command's run of the probe with `args` (checked). */
sandlock_result_t *run_probe_command(const sandlock_policy_t *policy, const char *const *args, uint32_t nargs);
/* Spawn the command, which must not fail; the command is freed. */
sandlock_child_t *spawn_and_free(sandlock_command_t *command);
/* A pipe whose ends are close-on-exec in this process: fds[0] read, fds[1] write. */
void make_pipe(int fds[2]);
/* Read the fd to its end into a malloc'd NUL-terminated buffer (freed by the caller). */
char *read_to_end(int fd, size_t *len);

#endif
