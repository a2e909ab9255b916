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

#define CHECK_STR_EQ(actual, expected) check_str_eq(__FILE__, __LINE__, #actual, (actual), (expected))
#define CHECK_BYTES_EQ(data, len, expected) check_bytes_eq(__FILE__, __LINE__, #data, (data), (len), (expected))
#define CHECK_STDOUT(result, expected) check_stream(__FILE__, __LINE__, (result), "stdout", (expected))
#define CHECK_STDERR(result, expected) check_stream(__FILE__, __LINE__, (result), "stderr", (expected))
/* The last error is a message, never empty after a failed call. */
#define CHECK_LAST_ERROR_SET() check_last_error_set(__FILE__, __LINE__)

void check_str_eq(const char *file, int line, const char *what, const char *actual, const char *expected);
void check_bytes_eq(const char *file, int line, const char *what, const uint8_t *data, size_t len,
                    const char *expected);
void check_stream(const char *file, int line, const sandlock_result_t *result, const char *stream,
                  const char *expected);
void check_last_error_set(const char *file, int line);

/* ---- fixtures ----------------------------------------------------------- */

/* The probe program (tests/probe.c), next to the runner. */
const char *probe_path(void);

/* A policy that lets the child read the system directories and the probe. */
sandlock_policy_t *base_policy(void);

/* Run the probe with `args` under `policy` and these handlers (consumed). */
sandlock_result_t *run_probe(const sandlock_policy_t *policy, const char *const *args, uint32_t nargs,
                             sandlock_handler_registration_t *registrations, size_t count);

/* A fresh directory under /tmp, removed with remove_temp_dir. */
void make_temp_dir(char *path, size_t size);
void remove_temp_dir(const char *path);
void write_file(const char *path, const char *content);

int64_t syscall_nr(const char *name);

/* A handler registration for `name`, checked. */
sandlock_handler_registration_t registration(const char *name, sandlock_handler_t *handler);

#endif
