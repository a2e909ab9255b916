/* Runs without handlers, and long-lived children. */
#define _GNU_SOURCE
#include "check.h"
#include "tests.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>

void policy_only_run_prints_exact_stdout(void)
{
    sandlock_policy_t *policy = base_policy();
    const char *argv[] = {"/bin/echo", "hello", "from", "C"};
    sandlock_result_t *result = sandlock_run(policy, "c-test", argv, 4);

    CHECK_STDOUT(result, "hello from C\n");
    CHECK_STDERR(result, "");
    CHECK_INT_EQ(sandlock_result_exit_code(result), 0);
    CHECK_INT_EQ(sandlock_result_signal(result), 0);
    sandlock_result_free(result);
    sandlock_policy_free(policy);
}

void policy_only_run_reports_exit_code(void)
{
    sandlock_policy_t *policy = base_policy();
    const char *argv[] = {probe_path(), "exit", "7"};
    sandlock_result_t *result = sandlock_run(policy, "c-test", argv, 3);

    CHECK_STDOUT(result, "");
    CHECK_INT_EQ(sandlock_result_exit_code(result), 7);
    CHECK_INT_EQ(sandlock_result_signal(result), 0);
    sandlock_result_free(result);
    sandlock_policy_free(policy);
}

void policy_denies_read_outside_read_set(void)
{
    char dir[PATH_MAX];
    make_temp_dir(dir, sizeof dir);
    char secret[PATH_MAX];
    snprintf(secret, sizeof secret, "%s/secret.txt", dir);
    write_file(secret, "not for the child\n");

    sandlock_policy_t *policy = base_policy();
    const char *argv[] = {probe_path(), "cat", secret};
    sandlock_result_t *result = sandlock_run(policy, "c-test", argv, 3);

    char expected[32];
    snprintf(expected, sizeof expected, "errno %d\n", EACCES);
    CHECK_STDOUT(result, expected);
    CHECK_INT_EQ(sandlock_result_exit_code(result), 0);
    sandlock_result_free(result);
    sandlock_policy_free(policy);
    remove_temp_dir(dir);
}
