/* 1.1 errors: the owned error object, sandlock_error_take_last after 1.0
 * calls, and sandlock_landlock_abi. */
#define _GNU_SOURCE
#include "check.h"
#include "tests.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

void error_object_carries_status_errno_and_message(void)
{
    sandlock_policy_t *policy = sandlock_policy_new();
    sandlock_error_t *err = NULL;
    CHECK_INT_EQ(sandlock_policy_max_output(policy, 0, &err), SANDLOCK_E_INVALID);
    CHECK_ERROR(err, SANDLOCK_E_INVALID, 0, "limit max_output must be greater than zero");

    /* A failure with an errno keeps it (a program that exists but that
     * exec may not run: outside every read rule, named once the kernel
     * refused it). */
    char dir[PATH_MAX];
    make_temp_dir(dir, sizeof dir);
    char hidden[PATH_MAX];
    join_path(hidden, sizeof hidden, dir, "hidden");
    write_file(hidden, "#!/bin/sh\n");
    CHECK_INT_EQ(chmod(hidden, 0755), 0);
    const char *argv[] = {hidden};
    sandlock_policy_t *base = base_policy();
    sandlock_command_t *command = sandlock_command_new(base, argv, 1, &err);
    CHECK(command != NULL && err == NULL);
    CHECK(sandlock_command_run(command, &err) == NULL);
    char expected[PATH_MAX + 128];
    snprintf(expected, sizeof expected, "cannot execute \"%s\": it is not under any fs_read or fs_write path", hidden);
    CHECK_ERROR(err, SANDLOCK_E_SPAWN, EACCES, expected);
    sandlock_command_free(command);
    sandlock_policy_free(base);
    sandlock_policy_free(policy);
    remove_temp_dir(dir);
}

void error_accessors_accept_null(void)
{
    CHECK_INT_EQ(sandlock_error_status(NULL), SANDLOCK_E_INVALID);
    CHECK_INT_EQ(sandlock_error_errno(NULL), 0);
    CHECK(sandlock_error_message(NULL) != NULL);
    CHECK_STR_EQ(sandlock_error_message(NULL), "");
    sandlock_error_free(NULL);
}

void success_clears_the_err_slot(void)
{
    /* A caller may reuse one slot: a success leaves NULL in it, never a
     * stale pointer that a later sandlock_error_free would free twice. */
    sandlock_policy_t *policy = sandlock_policy_new();
    sandlock_error_t *err = (sandlock_error_t *)&policy;
    CHECK_INT_EQ(sandlock_policy_best_effort(policy, true, &err), SANDLOCK_OK);
    CHECK(err == NULL);
    CHECK_LAST_ERROR(SANDLOCK_OK, "");
    sandlock_policy_free(policy);
}

void take_last_keeps_a_failed_1_0_call(void)
{
    CHECK_INT_EQ(sandlock_policy_fs_read(NULL, "/usr"), SANDLOCK_E_INVALID);
    sandlock_error_t *err = sandlock_error_take_last();
    CHECK(err != NULL);
    /* Taken: the thread's last error is cleared, a second take finds none. */
    CHECK_LAST_ERROR(SANDLOCK_OK, "");
    CHECK(sandlock_error_take_last() == NULL);
    CHECK_INT_EQ(sandlock_error_status(err), SANDLOCK_E_INVALID);
    CHECK_INT_EQ(sandlock_error_errno(err), 0);
    CHECK_STR_EQ(sandlock_error_message(err), "policy must not be NULL");
    sandlock_error_free(err);

    /* With its errno: a path that does not exist. */
    sandlock_policy_t *policy = sandlock_policy_new();
    CHECK_INT_EQ(sandlock_policy_fs_read(policy, "/nonexistent/sandlock-c-test"), SANDLOCK_E_NOT_FOUND);
    err = sandlock_error_take_last();
    CHECK_INT_EQ(sandlock_error_status(err), SANDLOCK_E_NOT_FOUND);
    CHECK_INT_EQ(sandlock_error_errno(err), ENOENT);
    CHECK_STR_EQ(sandlock_error_message(err), "path \"/nonexistent/sandlock-c-test\" does not exist or cannot be "
                                              "opened: No such file or directory (os error 2)");
    sandlock_error_free(err);

    /* A 1.0 run that failed, named by its run. */
    const char *argv[] = {"/nonexistent/program"};
    CHECK(sandlock_run(policy, "job-7", argv, 1) == NULL);
    err = sandlock_error_take_last();
    CHECK_INT_EQ(sandlock_error_status(err), SANDLOCK_E_NOT_FOUND);
    CHECK_STR_EQ(sandlock_error_message(err), "run \"job-7\": program \"/nonexistent/program\" not found");
    sandlock_error_free(err);
    sandlock_policy_free(policy);
}

void take_last_after_a_success_is_null(void)
{
    CHECK_INT_EQ(sandlock_policy_fs_read(NULL, "/usr"), SANDLOCK_E_INVALID);
    sandlock_policy_t *policy = sandlock_policy_new();
    CHECK_INT_EQ(sandlock_policy_fs_read(policy, "/usr"), SANDLOCK_OK);
    CHECK(sandlock_error_take_last() == NULL);
    sandlock_policy_free(policy);
}

struct reading {
    sandlock_error_t *err;
    char message[128];
    int32_t status;
    char last_error_here[128];
};

static void *read_on_another_thread(void *arg)
{
    struct reading *reading = arg;
    reading->status = sandlock_error_status(reading->err);
    snprintf(reading->message, sizeof reading->message, "%s", sandlock_error_message(reading->err));
    /* Another thread's failures never show in this thread's last error. */
    snprintf(reading->last_error_here, sizeof reading->last_error_here, "%s", sandlock_last_error());
    sandlock_error_free(reading->err);
    return NULL;
}

void an_error_object_survives_a_change_of_thread(void)
{
    /* What a goroutine does: fail on one OS thread, read it on another. */
    struct reading reading;
    memset(&reading, 0, sizeof reading);
    CHECK_INT_EQ(sandlock_child_signal(NULL, SIGTERM, &reading.err), SANDLOCK_E_INVALID);
    pthread_t thread;
    CHECK_INT_EQ(pthread_create(&thread, NULL, read_on_another_thread, &reading), 0);
    CHECK_INT_EQ(pthread_join(thread, NULL), 0);
    CHECK_INT_EQ(reading.status, SANDLOCK_E_INVALID);
    CHECK_STR_EQ(reading.message, "child must not be NULL");
    CHECK_STR_EQ(reading.last_error_here, "");
}

void every_1_1_call_fails_with_a_null_err_too(void)
{
    /* err may be NULL: the failure is still reported, through the return
     * value and the thread's last error. */
    const char *argv[] = {"/bin/true"};
    CHECK(sandlock_command_new(NULL, argv, 1, NULL) == NULL);
    CHECK_LAST_ERROR(SANDLOCK_E_INVALID, "policy must not be NULL");
    CHECK_INT_EQ(sandlock_command_set_name(NULL, "x", NULL), SANDLOCK_E_INVALID);
    CHECK_LAST_ERROR(SANDLOCK_E_INVALID, "command must not be NULL");
    CHECK_INT_EQ(sandlock_command_set_stdin(NULL, 0, NULL), SANDLOCK_E_INVALID);
    CHECK_LAST_ERROR(SANDLOCK_E_INVALID, "command must not be NULL");
    CHECK_INT_EQ(sandlock_command_set_stdout(NULL, 1, NULL), SANDLOCK_E_INVALID);
    CHECK_LAST_ERROR(SANDLOCK_E_INVALID, "command must not be NULL");
    CHECK_INT_EQ(sandlock_command_set_stderr(NULL, 2, NULL), SANDLOCK_E_INVALID);
    CHECK_LAST_ERROR(SANDLOCK_E_INVALID, "command must not be NULL");
    CHECK(sandlock_command_run(NULL, NULL) == NULL);
    CHECK_LAST_ERROR(SANDLOCK_E_INVALID, "command must not be NULL");
    CHECK_INT_EQ(sandlock_command_run_interactive(NULL, NULL), SANDLOCK_E_INVALID);
    CHECK_LAST_ERROR(SANDLOCK_E_INVALID, "command must not be NULL");
    CHECK(sandlock_command_spawn(NULL, NULL) == NULL);
    CHECK_LAST_ERROR(SANDLOCK_E_INVALID, "command must not be NULL");
    CHECK(sandlock_handler_new_static(NULL, NULL) == NULL);
    CHECK_LAST_ERROR(SANDLOCK_E_INVALID, "action must not be NULL");
    CHECK_INT_EQ(sandlock_child_wait_for(NULL, 0, NULL), SANDLOCK_E_INVALID);
    CHECK_LAST_ERROR(SANDLOCK_E_INVALID, "child must not be NULL");
    CHECK_INT_EQ(sandlock_child_signal(NULL, SIGTERM, NULL), SANDLOCK_E_INVALID);
    CHECK_LAST_ERROR(SANDLOCK_E_INVALID, "child must not be NULL");
    CHECK_INT_EQ(sandlock_child_pause(NULL, NULL), SANDLOCK_E_INVALID);
    CHECK_LAST_ERROR(SANDLOCK_E_INVALID, "child must not be NULL");
    CHECK_INT_EQ(sandlock_child_resume(NULL, NULL), SANDLOCK_E_INVALID);
    CHECK_LAST_ERROR(SANDLOCK_E_INVALID, "child must not be NULL");
    CHECK(sandlock_result_exit(NULL) == NULL);
    CHECK_LAST_ERROR(SANDLOCK_E_INVALID, "result must not be NULL");
    CHECK(sandlock_child_exit(NULL) == NULL);
}

void landlock_abi_is_the_kernels(void)
{
    /* LANDLOCK_CREATE_RULESET_VERSION: the kernel's own answer. */
    long kernel = syscall(SYS_landlock_create_ruleset, NULL, 0, 1U << 0);
    int32_t abi = sandlock_landlock_abi();
    if (kernel < 0) {
        CHECK_INT_EQ(abi, SANDLOCK_E_UNSUPPORTED);
    } else {
        CHECK_INT_EQ(abi, kernel);
        /* The default policy needs 6; this suite's kernel has it. */
        CHECK(abi >= 6);
    }
    CHECK_INT_EQ(sandlock_landlock_abi(), abi);
}
