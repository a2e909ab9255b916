/* The exit snapshot (sandlock_exit_t) for each way a child ends, from a
 * captured run (sandlock_result_exit) and from a spawned child
 * (sandlock_child_exit). */
#define _GNU_SOURCE
#include "check.h"
#include "tests.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

void exit_snapshot_of_a_child_that_exited(void)
{
    sandlock_policy_t *policy = base_policy();
    const char *args[] = {"exit", "7"};
    sandlock_result_t *result = run_probe_command(policy, args, 2);
    const sandlock_exit_t *exit = sandlock_result_exit(result);
    CHECK_EXIT(exit, SANDLOCK_EXIT_EXITED, 7, 0, -1);
    /* Owned by the result: the same snapshot every time. */
    CHECK(sandlock_result_exit(result) == exit);
    CHECK_INT_EQ(sandlock_result_exit_code(result), 7);
    sandlock_result_free(result);

    /* A spawned child's, once a wait saw it end (the 1.0 wait too). */
    sandlock_child_t *child = spawn_and_free(probe_command(policy, args, 2));
    int32_t code = -2;
    CHECK_INT_EQ(sandlock_child_wait(child, 10000, &code, NULL), SANDLOCK_OK);
    CHECK_INT_EQ(code, 7);
    CHECK_EXIT(sandlock_child_exit(child), SANDLOCK_EXIT_EXITED, 7, 0, -1);
    sandlock_child_free(child);
    sandlock_policy_free(policy);
}

void exit_snapshot_of_a_child_killed_by_an_outside_signal(void)
{
    sandlock_policy_t *policy = base_policy();
    const char *args[] = {"pause"};
    sandlock_child_t *child = spawn_and_free(probe_command(policy, args, 1));
    /* Not from the library: this process signals the child itself. */
    CHECK_INT_EQ(kill(sandlock_child_pid(child), SIGTERM), 0);
    CHECK_INT_EQ(sandlock_child_wait_for(child, 10000, NULL), SANDLOCK_OK);
    CHECK_EXIT(sandlock_child_exit(child), SANDLOCK_EXIT_SIGNALED, -1, SIGTERM, -1);
    sandlock_child_free(child);
    sandlock_policy_free(policy);
}

void exit_snapshot_of_a_timed_out_child(void)
{
    sandlock_policy_t *policy = base_policy();
    CHECK_INT_EQ(sandlock_policy_timeout_ms(policy, 200), SANDLOCK_OK);
    const char *args[] = {"pause"};
    sandlock_result_t *result = run_probe_command(policy, args, 1);
    CHECK_EXIT(sandlock_result_exit(result), SANDLOCK_EXIT_TIMED_OUT, -1, SIGKILL, -1);
    sandlock_result_free(result);

    sandlock_child_t *child = spawn_and_free(probe_command(policy, args, 1));
    CHECK_INT_EQ(sandlock_child_wait_for(child, 10000, NULL), SANDLOCK_OK);
    CHECK_EXIT(sandlock_child_exit(child), SANDLOCK_EXIT_TIMED_OUT, -1, SIGKILL, -1);
    sandlock_child_free(child);
    sandlock_policy_free(policy);
}

void exit_snapshot_names_the_syscall_of_a_failing_handler(void)
{
    struct counter drops = COUNTER_INIT;
    sandlock_policy_t *policy = base_policy();
    const char *args[] = {"uname"};
    sandlock_command_t *command = probe_command(policy, args, 1);
    /* Exception policy KILL (the default): the failure ends the sandbox. */
    CHECK_INT_EQ(sandlock_command_add_handler(command, syscall_nr("uname"),
                                              counted(callback_fail, &drops, SANDLOCK_EXCEPTION_KILL), NULL),
                 SANDLOCK_OK);
    sandlock_result_t *result = run_and_free(command);
    CHECK_EXIT(sandlock_result_exit(result), SANDLOCK_EXIT_HANDLER_FAILED, -1, SIGKILL, syscall_nr("uname"));
    CHECK_STDOUT(result, "");
    CHECK_INT_EQ(counter_get(&drops), 1);
    sandlock_result_free(result);

    command = probe_command(policy, args, 1);
    CHECK_INT_EQ(sandlock_command_add_handler(command, syscall_nr("uname"),
                                              counted(callback_fail, &drops, SANDLOCK_EXCEPTION_KILL), NULL),
                 SANDLOCK_OK);
    sandlock_child_t *child = spawn_and_free(command);
    CHECK_INT_EQ(sandlock_child_wait_for(child, 10000, NULL), SANDLOCK_OK);
    CHECK_EXIT(sandlock_child_exit(child), SANDLOCK_EXIT_HANDLER_FAILED, -1, SIGKILL, syscall_nr("uname"));
    sandlock_child_free(child);
    CHECK_INT_EQ(counter_get(&drops), 2);
    sandlock_policy_free(policy);
}

void exit_snapshot_names_the_syscall_of_a_handlers_kill(void)
{
    sandlock_policy_t *policy = base_policy();
    const char *args[] = {"getppid"};
    sandlock_command_t *command = probe_command(policy, args, 1);
    CHECK_INT_EQ(sandlock_command_add_handler(command, syscall_nr("getppid"),
                                              sandlock_handler_new(callback_kill_sigusr2, NULL, NULL, 0), NULL),
                 SANDLOCK_OK);
    sandlock_result_t *result = run_and_free(command);
    CHECK_EXIT(sandlock_result_exit(result), SANDLOCK_EXIT_HANDLER_KILLED, -1, SIGUSR2, syscall_nr("getppid"));
    sandlock_result_free(result);

    command = probe_command(policy, args, 1);
    CHECK_INT_EQ(sandlock_command_add_handler(command, syscall_nr("getppid"),
                                              sandlock_handler_new(callback_kill_sigusr2, NULL, NULL, 0), NULL),
                 SANDLOCK_OK);
    sandlock_child_t *child = spawn_and_free(command);
    CHECK_INT_EQ(sandlock_child_wait_for(child, 10000, NULL), SANDLOCK_OK);
    CHECK_EXIT(sandlock_child_exit(child), SANDLOCK_EXIT_HANDLER_KILLED, -1, SIGUSR2, syscall_nr("getppid"));
    sandlock_child_free(child);
    sandlock_policy_free(policy);
}

void exit_snapshot_says_which_stream_was_truncated(void)
{
    sandlock_policy_t *policy = base_policy();
    sandlock_error_t *err = NULL;
    CHECK_INT_EQ(sandlock_policy_max_output(policy, 1000, &err), SANDLOCK_OK);
    CHECK(err == NULL);

    const char *out_args[] = {"write-bytes", "5000"};
    sandlock_result_t *result = run_probe_command(policy, out_args, 2);
    const sandlock_exit_t *exit = sandlock_result_exit(result);
    CHECK(exit != NULL);
    CHECK_INT_EQ(exit->reason, SANDLOCK_EXIT_EXITED);
    CHECK_INT_EQ(exit->exit_code, 0);
    CHECK(exit->stdout_truncated);
    CHECK(!exit->stderr_truncated);
    /* The first max_output bytes are kept; the rest was read and dropped,
     * so the child was not blocked and exited normally. */
    size_t len = 0;
    const uint8_t *data = sandlock_result_stdout(result, &len);
    CHECK_INT_EQ(len, 1000);
    CHECK(memcmp(data, "abcdefghijklmnopqrstuvwxyz", 26) == 0);
    CHECK_INT_EQ(data[999], 'a' + 999 % 26);
    sandlock_result_free(result);

    const char *err_args[] = {"write-bytes-stderr", "1001"};
    result = run_probe_command(policy, err_args, 2);
    exit = sandlock_result_exit(result);
    CHECK(!exit->stdout_truncated);
    CHECK(exit->stderr_truncated);
    sandlock_result_stderr(result, &len);
    CHECK_INT_EQ(len, 1000);
    sandlock_result_free(result);

    /* Exactly max_output bytes are no truncation. */
    const char *exact_args[] = {"write-bytes", "1000"};
    result = run_probe_command(policy, exact_args, 2);
    CHECK_EXIT(sandlock_result_exit(result), SANDLOCK_EXIT_EXITED, 0, 0, -1);
    sandlock_result_free(result);
    sandlock_policy_free(policy);
}

void exit_snapshot_is_null_until_a_wait_sees_the_end(void)
{
    CHECK(sandlock_result_exit(NULL) == NULL);
    CHECK_LAST_ERROR(SANDLOCK_E_INVALID, "result must not be NULL");
    CHECK(sandlock_child_exit(NULL) == NULL);

    sandlock_policy_t *policy = base_policy();
    const char *args[] = {"pause"};
    sandlock_child_t *child = spawn_and_free(probe_command(policy, args, 1));
    CHECK(sandlock_child_exit(child) == NULL);
    CHECK_INT_EQ(sandlock_child_wait_for(child, 0, NULL), SANDLOCK_STILL_RUNNING);
    CHECK(sandlock_child_exit(child) == NULL);
    CHECK_INT_EQ(sandlock_child_kill(child), SANDLOCK_OK);
    CHECK_INT_EQ(sandlock_child_wait_for(child, 10000, NULL), SANDLOCK_OK);
    const sandlock_exit_t *exit = sandlock_child_exit(child);
    CHECK_EXIT(exit, SANDLOCK_EXIT_SIGNALED, -1, SIGKILL, -1);
    /* Waiting again answers at once and keeps the snapshot. */
    CHECK_INT_EQ(sandlock_child_wait_for(child, 0, NULL), SANDLOCK_OK);
    CHECK(sandlock_child_exit(child) == exit);
    sandlock_child_free(child);
    sandlock_policy_free(policy);
}
