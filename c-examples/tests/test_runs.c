/* Runs without handlers, and long-lived children. */
#define _GNU_SOURCE
#include "check.h"
#include "tests.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
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
    join_path(secret, sizeof secret, dir, "secret.txt");
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

/* ---- long-lived children ---------------------------------------------------- */

static int32_t answer_ppid_42(void *ud, const sandlock_notif_data_t *notif, sandlock_mem_handle_t *mem,
                              sandlock_action_out_t *out)
{
    (void)ud;
    (void)notif;
    (void)mem;
    sandlock_action_set_return_value(out, 42);
    return 0;
}

static sandlock_child_t *spawn_probe(const sandlock_policy_t *policy, const char *command,
                                     const sandlock_handler_registration_t *registrations, size_t count)
{
    const char *argv[] = {probe_path(), command};
    sandlock_child_t *child = sandlock_spawn_with_handlers(policy, "c-test", argv, 2, registrations, count);
    if (child == NULL) {
        check_failed(__FILE__, __LINE__, "sandlock_spawn_with_handlers failed: %s", sandlock_last_error());
    }
    return child;
}

void spawn_with_handlers_then_wait(void)
{
    sandlock_policy_t *policy = base_policy();
    sandlock_handler_registration_t registrations[] = {
        registration("getppid", sandlock_handler_new(answer_ppid_42, NULL, NULL, SANDLOCK_EXCEPTION_KILL)),
    };
    sandlock_child_t *child = spawn_probe(policy, "exit-getppid", registrations, 1);

    CHECK(sandlock_child_pid(child) > 0);
    int32_t exit_code = -2;
    int32_t signal_number = -2;
    CHECK_INT_EQ(sandlock_child_wait(child, -1, &exit_code, &signal_number), SANDLOCK_OK);
    CHECK_INT_EQ(exit_code, 42);
    CHECK_INT_EQ(signal_number, 0);
    sandlock_child_free(child);
    sandlock_policy_free(policy);
}

void spawn_then_kill_then_wait(void)
{
    sandlock_policy_t *policy = base_policy();
    sandlock_child_t *child = spawn_probe(policy, "pause", NULL, 0);

    CHECK_INT_EQ(sandlock_child_kill(child), SANDLOCK_OK);
    int32_t exit_code = -2;
    int32_t signal_number = -2;
    CHECK_INT_EQ(sandlock_child_wait(child, 5000, &exit_code, &signal_number), SANDLOCK_OK);
    CHECK_INT_EQ(exit_code, -1);
    CHECK_INT_EQ(signal_number, SIGKILL);
    /* Once ended, waiting again answers the same at once. */
    exit_code = -2;
    signal_number = -2;
    CHECK_INT_EQ(sandlock_child_wait(child, 0, &exit_code, &signal_number), SANDLOCK_OK);
    CHECK_INT_EQ(exit_code, -1);
    CHECK_INT_EQ(signal_number, SIGKILL);
    sandlock_child_free(child);
    sandlock_policy_free(policy);
}

void spawn_wait_times_out_on_a_running_child(void)
{
    sandlock_policy_t *policy = base_policy();
    sandlock_child_t *child = spawn_probe(policy, "pause", NULL, 0);

    int32_t exit_code = -2;
    int32_t signal_number = -2;
    CHECK_INT_EQ(sandlock_child_wait(child, 50, &exit_code, &signal_number), SANDLOCK_STILL_RUNNING);
    CHECK_INT_EQ(exit_code, -2);
    CHECK_INT_EQ(signal_number, -2);
    /* Freeing a running child kills and reaps it. */
    sandlock_child_free(child);
    sandlock_policy_free(policy);
}
