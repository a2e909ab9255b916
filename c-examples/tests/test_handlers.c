/* C handlers deciding real syscalls of a real child. */
#define _GNU_SOURCE
#include "check.h"
#include "tests.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>

/* ---- audit: every openat path, read through the mem handle -------------- */

enum { PATH_LOG_CAPACITY = 64 };

struct path_log {
    pthread_mutex_t lock;
    int64_t expected_nr;
    char paths[PATH_LOG_CAPACITY][PATH_MAX];
    size_t len;
    /* Notifications whose data or path read did not hold together. */
    unsigned anomalies;
};

static int32_t log_openat_path(void *ud, const sandlock_notif_data_t *notif, sandlock_mem_handle_t *mem,
                               sandlock_action_out_t *out)
{
    struct path_log *log = ud;
    char path[PATH_MAX];
    size_t len = SIZE_MAX;
    int32_t status = sandlock_mem_read_cstr(mem, notif->args[1], (uint8_t *)path, sizeof path, &len);
    pthread_mutex_lock(&log->lock);
    bool consistent = status == 0 && notif->syscall_nr == log->expected_nr && notif->pid != 0 && len < sizeof path &&
                      strlen(path) == len;
    if (!consistent || log->len == PATH_LOG_CAPACITY) {
        log->anomalies++;
    } else {
        memcpy(log->paths[log->len++], path, len + 1);
    }
    pthread_mutex_unlock(&log->lock);
    sandlock_action_set_continue(out);
    return 0;
}

static unsigned times_logged(const struct path_log *log, const char *path)
{
    unsigned times = 0;
    for (size_t i = 0; i < log->len; i++) {
        times += strcmp(log->paths[i], path) == 0;
    }
    return times;
}

void audit_handler_logs_openat_path(void)
{
    char dir[PATH_MAX];
    make_temp_dir(dir, sizeof dir);
    char target[PATH_MAX];
    join_path(target, sizeof target, dir, "target.txt");
    write_file(target, "audited\n");

    sandlock_policy_t *policy = base_policy();
    CHECK_INT_EQ(sandlock_policy_fs_read(policy, dir), 0);
    struct path_log log = {.lock = PTHREAD_MUTEX_INITIALIZER, .expected_nr = syscall_nr("openat")};
    sandlock_handler_registration_t registrations[] = {
        registration("openat", sandlock_handler_new(log_openat_path, &log, NULL, SANDLOCK_EXCEPTION_KILL)),
    };
    const char *args[] = {"cat", target};
    sandlock_result_t *result = run_probe(policy, args, 2, registrations, 1);

    CHECK_STDOUT(result, "audited\n");
    CHECK_INT_EQ(sandlock_result_exit_code(result), 0);
    CHECK_INT_EQ(log.anomalies, 0);
    CHECK_INT_EQ(times_logged(&log, target), 1);
    sandlock_result_free(result);
    sandlock_policy_free(policy);
    remove_temp_dir(dir);
}

/* ---- return values, errnos and kills -------------------------------------- */

static int32_t answer_4242(void *ud, const sandlock_notif_data_t *notif, sandlock_mem_handle_t *mem,
                           sandlock_action_out_t *out)
{
    (void)ud;
    (void)notif;
    (void)mem;
    sandlock_action_set_return_value(out, 4242);
    return 0;
}

void handler_fakes_getppid(void)
{
    sandlock_policy_t *policy = base_policy();
    sandlock_handler_registration_t registrations[] = {
        registration("getppid", sandlock_handler_new(answer_4242, NULL, NULL, SANDLOCK_EXCEPTION_KILL)),
    };
    const char *args[] = {"getppid"};
    sandlock_result_t *result = run_probe(policy, args, 1, registrations, 1);

    CHECK_STDOUT(result, "4242\n");
    CHECK_INT_EQ(sandlock_result_exit_code(result), 0);
    CHECK_INT_EQ(sandlock_result_signal(result), 0);
    sandlock_result_free(result);
    sandlock_policy_free(policy);
}

static int32_t deny_with_exdev(void *ud, const sandlock_notif_data_t *notif, sandlock_mem_handle_t *mem,
                               sandlock_action_out_t *out)
{
    (void)ud;
    (void)notif;
    (void)mem;
    sandlock_action_set_errno(out, EXDEV);
    return 0;
}

void handler_denies_with_exact_errno(void)
{
    sandlock_policy_t *policy = base_policy();
    sandlock_handler_registration_t registrations[] = {
        registration("uname", sandlock_handler_new(deny_with_exdev, NULL, NULL, SANDLOCK_EXCEPTION_KILL)),
    };
    const char *args[] = {"uname"};
    sandlock_result_t *result = run_probe(policy, args, 1, registrations, 1);

    char expected[32];
    snprintf(expected, sizeof expected, "errno %d\n", EXDEV);
    CHECK_STDOUT(result, expected);
    CHECK_INT_EQ(sandlock_result_exit_code(result), 0);
    sandlock_result_free(result);
    sandlock_policy_free(policy);
}

void handler_kills_with_exact_signal(void)
{
    sandlock_policy_t *policy = base_policy();
    sandlock_handler_registration_t registrations[] = {
        registration("getppid", sandlock_handler_new(callback_kill_sigusr2, NULL, NULL, SANDLOCK_EXCEPTION_KILL)),
    };
    const char *args[] = {"getppid"};
    sandlock_result_t *result = run_probe(policy, args, 1, registrations, 1);

    /* SIGUSR2 would also have ended this test process had the kill reached
     * the supervisor's process group: getting here is part of the check. */
    CHECK_INT_EQ(sandlock_result_signal(result), SIGUSR2);
    CHECK_INT_EQ(sandlock_result_exit_code(result), -1);
    CHECK_STDOUT(result, "");
    sandlock_result_free(result);
    sandlock_policy_free(policy);
}

/* ---- child memory: write, and read with the smallest buffer --------------- */

static int32_t fake_uname(void *ud, const sandlock_notif_data_t *notif, sandlock_mem_handle_t *mem,
                          sandlock_action_out_t *out)
{
    (void)ud;
    struct utsname names;
    memset(&names, 0, sizeof names);
    strcpy(names.sysname, "Linux");
    strcpy(names.nodename, "sandboxed-host");
    if (sandlock_mem_write(mem, notif->args[0], (const uint8_t *)&names, sizeof names) != 0) {
        return -1;
    }
    sandlock_action_set_return_value(out, 0);
    return 0;
}

void handler_writes_child_memory(void)
{
    sandlock_policy_t *policy = base_policy();
    sandlock_handler_registration_t registrations[] = {
        registration("uname", sandlock_handler_new(fake_uname, NULL, NULL, SANDLOCK_EXCEPTION_DENY_EIO)),
    };
    const char *args[] = {"uname"};
    sandlock_result_t *result = run_probe(policy, args, 1, registrations, 1);

    CHECK_STDOUT(result, "ok sandboxed-host\n");
    CHECK_INT_EQ(sandlock_result_exit_code(result), 0);
    sandlock_result_free(result);
    sandlock_policy_free(policy);
}

/* A one-byte buffer holds only the NUL: an empty string reads, a longer one
 * is refused as unterminated (never silently cut). */
struct one_byte_reads {
    pthread_mutex_t lock;
    unsigned empty_strings;
    unsigned unterminated;
    unsigned other_outcomes;
};

static int32_t read_one_byte(void *ud, const sandlock_notif_data_t *notif, sandlock_mem_handle_t *mem,
                             sandlock_action_out_t *out)
{
    struct one_byte_reads *reads = ud;
    uint8_t buf[1] = {'x'};
    size_t len = SIZE_MAX;
    int32_t status = sandlock_mem_read_cstr(mem, notif->args[1], buf, 1, &len);
    pthread_mutex_lock(&reads->lock);
    if (status == SANDLOCK_OK && len == 0 && buf[0] == '\0') {
        reads->empty_strings++;
    } else if (status == SANDLOCK_E_MEMORY && len == SIZE_MAX) {
        reads->unterminated++;
    } else {
        reads->other_outcomes++;
    }
    pthread_mutex_unlock(&reads->lock);
    sandlock_action_set_continue(out);
    return 0;
}

void mem_read_cstr_with_max_len_one(void)
{
    sandlock_policy_t *policy = base_policy();
    struct one_byte_reads reads = {.lock = PTHREAD_MUTEX_INITIALIZER};
    sandlock_handler_registration_t registrations[] = {
        registration("openat", sandlock_handler_new(read_one_byte, &reads, NULL, SANDLOCK_EXCEPTION_KILL)),
    };
    /* The loader opens its cache and libc (non-empty paths) before the
     * probe's own open of "". */
    const char *args[] = {"open", ""};
    sandlock_result_t *result = run_probe(policy, args, 2, registrations, 1);

    char expected[32];
    snprintf(expected, sizeof expected, "errno %d\n", ENOENT);
    CHECK_STDOUT(result, expected);
    CHECK_INT_EQ(reads.empty_strings, 1);
    CHECK(reads.unterminated >= 1);
    CHECK_INT_EQ(reads.other_outcomes, 0);
    sandlock_result_free(result);
    sandlock_policy_free(policy);
}

/* ---- fd injection: a file that exists only in the handler ----------------- */

static const char virtual_path[] = "/virtual/greeting";
static const char virtual_content[] = "hello from a sealed memfd\n";

static int32_t serve_virtual_file(void *ud, const sandlock_notif_data_t *notif, sandlock_mem_handle_t *mem,
                                  sandlock_action_out_t *out)
{
    (void)ud;
    char path[PATH_MAX];
    size_t len = 0;
    if (sandlock_mem_read_cstr(mem, notif->args[1], (uint8_t *)path, sizeof path, &len) != 0) {
        return -1;
    }
    if (strcmp(path, virtual_path) != 0) {
        sandlock_action_set_continue(out);
        return 0;
    }
    return sandlock_action_set_inject_bytes(out, (const uint8_t *)virtual_content, strlen(virtual_content), 0);
}

void inject_bytes_serves_a_virtual_file(void)
{
    sandlock_policy_t *policy = base_policy();
    sandlock_handler_registration_t registrations[] = {
        registration("openat", sandlock_handler_new(serve_virtual_file, NULL, NULL, SANDLOCK_EXCEPTION_KILL)),
    };
    const char *args[] = {"cat", virtual_path};
    sandlock_result_t *result = run_probe(policy, args, 2, registrations, 1);

    CHECK_STDOUT(result, virtual_content);
    CHECK_INT_EQ(sandlock_result_exit_code(result), 0);
    sandlock_result_free(result);
    sandlock_policy_free(policy);
}

/* ---- exception policies --------------------------------------------------- */

static int32_t fail_without_action(void *ud, const sandlock_notif_data_t *notif, sandlock_mem_handle_t *mem,
                                   sandlock_action_out_t *out)
{
    (void)ud;
    (void)notif;
    (void)mem;
    (void)out;
    return 1;
}

void failing_handler_gets_its_exception_policy(void)
{
    sandlock_policy_t *policy = base_policy();
    sandlock_handler_registration_t registrations[] = {
        registration("uname", sandlock_handler_new(fail_without_action, NULL, NULL, SANDLOCK_EXCEPTION_DENY_EIO)),
    };
    const char *args[] = {"uname"};
    sandlock_result_t *result = run_probe(policy, args, 1, registrations, 1);

    char expected[32];
    snprintf(expected, sizeof expected, "errno %d\n", EIO);
    CHECK_STDOUT(result, expected);
    sandlock_result_free(result);
    sandlock_policy_free(policy);
}

static int32_t succeed_without_action(void *ud, const sandlock_notif_data_t *notif, sandlock_mem_handle_t *mem,
                                      sandlock_action_out_t *out)
{
    (void)ud;
    (void)notif;
    (void)mem;
    (void)out;
    return 0;
}

void handler_without_action_gets_its_exception_policy(void)
{
    sandlock_policy_t *policy = base_policy();
    sandlock_handler_registration_t registrations[] = {
        registration("uname",
                     sandlock_handler_new(succeed_without_action, NULL, NULL, SANDLOCK_EXCEPTION_DENY_EPERM)),
    };
    const char *args[] = {"uname"};
    sandlock_result_t *result = run_probe(policy, args, 1, registrations, 1);

    char expected[32];
    snprintf(expected, sizeof expected, "errno %d\n", EPERM);
    CHECK_STDOUT(result, expected);
    sandlock_result_free(result);
    sandlock_policy_free(policy);
}
