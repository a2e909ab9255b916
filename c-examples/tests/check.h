/*
 * Assertions and fixtures of the C end-to-end suite. Each test runs in its
 * own forked process: a failed check prints file:line and exits non-zero,
 * and the runner counts it.
 */
#ifndef SANDLOCK_CTEST_CHECK_H
#define SANDLOCK_CTEST_CHECK_H

#include <sandlock.h>
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

void check_stream(const char *file, int line, const sandlock_result_t *result, const char *stream,
                  const char *expected);
void check_last_error(const char *file, int line, int32_t status, const char *message);

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

#endif
