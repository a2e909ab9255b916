/* Static handlers: a fixed answer the supervisor gives without calling
 * into the caller (errno, return value, continue), and every other kind
 * refused. */
#define _GNU_SOURCE
#include "check.h"
#include "tests.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static sandlock_handler_t *static_handler(const sandlock_action_out_t *action)
{
    sandlock_error_t *err = NULL;
    sandlock_handler_t *handler = sandlock_handler_new_static(action, &err);
    if (handler == NULL) {
        check_failed(__FILE__, __LINE__, "sandlock_handler_new_static failed: %s", sandlock_error_message(err));
    }
    CHECK(err == NULL);
    return handler;
}

/* The probe's output with `handler` on `syscall`. */
static sandlock_result_t *run_with(const char *syscall, sandlock_handler_t *handler, const char *const *args,
                                   uint32_t nargs)
{
    sandlock_policy_t *policy = base_policy();
    sandlock_command_t *command = probe_command(policy, args, nargs);
    sandlock_policy_free(policy);
    CHECK_INT_EQ(sandlock_command_add_handler(command, syscall_nr(syscall), handler, NULL), SANDLOCK_OK);
    return run_and_free(command);
}

void static_return_value_answers_in_a_real_run(void)
{
    sandlock_action_out_t action;
    memset(&action, 0, sizeof action);
    CHECK_INT_EQ(sandlock_action_set_return_value(&action, 4242), SANDLOCK_OK);
    sandlock_handler_t *handler = static_handler(&action);
    /* Copied: changing the action afterwards changes nothing. */
    CHECK_INT_EQ(sandlock_action_set_return_value(&action, 1), SANDLOCK_OK);
    const char *args[] = {"getppid"};
    sandlock_result_t *result = run_with("getppid", handler, args, 1);
    CHECK_STDOUT(result, "4242\n");
    CHECK_EXIT(sandlock_result_exit(result), SANDLOCK_EXIT_EXITED, 0, 0, -1);
    sandlock_result_free(result);
}

void static_errno_answers_in_a_real_run(void)
{
    sandlock_action_out_t action;
    memset(&action, 0, sizeof action);
    CHECK_INT_EQ(sandlock_action_set_errno(&action, EXDEV), SANDLOCK_OK);
    const char *args[] = {"uname"};
    sandlock_result_t *result = run_with("uname", static_handler(&action), args, 1);
    char expected[32];
    snprintf(expected, sizeof expected, "errno %d\n", EXDEV);
    CHECK_STDOUT(result, expected);
    sandlock_result_free(result);
}

void static_continue_lets_the_syscall_run(void)
{
    sandlock_action_out_t action;
    memset(&action, 0, sizeof action);
    CHECK_INT_EQ(sandlock_action_set_continue(&action), SANDLOCK_OK);
    const char *args[] = {"getppid"};
    sandlock_result_t *result = run_with("getppid", static_handler(&action), args, 1);
    /* The real answer: this process is the child's parent. */
    char expected[32];
    snprintf(expected, sizeof expected, "%d\n", (int)getpid());
    CHECK_STDOUT(result, expected);
    sandlock_result_free(result);
}

void static_handlers_work_in_a_1_0_registration_array(void)
{
    sandlock_action_out_t action;
    memset(&action, 0, sizeof action);
    CHECK_INT_EQ(sandlock_action_set_return_value(&action, 77), SANDLOCK_OK);
    sandlock_policy_t *policy = base_policy();
    sandlock_handler_registration_t registrations[] = {registration("getppid", static_handler(&action))};
    const char *args[] = {"getppid"};
    sandlock_result_t *result = run_probe(policy, args, 1, registrations, 1);
    CHECK_STDOUT(result, "77\n");
    sandlock_result_free(result);
    sandlock_policy_free(policy);
}

void a_static_handler_is_freed_like_any_other(void)
{
    /* It has no ud: freeing it, or a command holding it, drops nothing. */
    sandlock_action_out_t action;
    memset(&action, 0, sizeof action);
    CHECK_INT_EQ(sandlock_action_set_continue(&action), SANDLOCK_OK);
    sandlock_handler_free(static_handler(&action));
    CHECK_LAST_ERROR(SANDLOCK_OK, "");
    sandlock_policy_t *policy = base_policy();
    const char *args[] = {"getppid"};
    sandlock_command_t *command = probe_command(policy, args, 1);
    CHECK_INT_EQ(sandlock_command_add_handler(command, syscall_nr("getppid"), static_handler(&action), NULL),
                 SANDLOCK_OK);
    sandlock_command_free(command);
    sandlock_policy_free(policy);
}

static void check_refused(const sandlock_action_out_t *action, const char *message)
{
    sandlock_error_t *err = NULL;
    CHECK(sandlock_handler_new_static(action, &err) == NULL);
    CHECK_ERROR(err, SANDLOCK_E_INVALID, 0, message);
    CHECK(sandlock_handler_new_static(action, NULL) == NULL);
    CHECK_LAST_ERROR(SANDLOCK_E_INVALID, message);
}

void static_handlers_refuse_every_other_kind(void)
{
    sandlock_action_out_t action;
    memset(&action, 0, sizeof action);
    check_refused(NULL, "action must not be NULL");
    /* An action no setter filled. */
    check_refused(&action, "a static handler answers with continue, an errno or a return value, not action kind 0");

    CHECK_INT_EQ(sandlock_action_set_hold(&action), SANDLOCK_OK);
    check_refused(&action, "a static handler answers with continue, an errno or a return value, not action kind 6");
    CHECK_INT_EQ(sandlock_action_set_kill(&action, SIGKILL, 0), SANDLOCK_OK);
    check_refused(&action, "a static handler answers with continue, an errno or a return value, not action kind 7");

    /* An fd answer: refused without taking the fd, which stays the caller's. */
    int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    CHECK(fd >= 3);
    CHECK_INT_EQ(sandlock_action_set_inject_fd_send(&action, fd, 0), SANDLOCK_OK);
    check_refused(&action, "a static handler answers with continue, an errno or a return value, not action kind 4");
    CHECK(fcntl(fd, F_GETFD) >= 0);
    CHECK_INT_EQ(close(fd), 0);

    CHECK_INT_EQ(sandlock_action_set_inject_bytes(&action, (const uint8_t *)"x", 1, 0), SANDLOCK_OK);
    int memfd = action.payload.inject.srcfd;
    check_refused(&action, "a static handler answers with continue, an errno or a return value, not action kind 4");
    CHECK(fcntl(memfd, F_GETFD) >= 0);
    CHECK_INT_EQ(close(memfd), 0);

    /* Kinds no setter makes: the reserved tracked injection, and garbage. */
    action.kind = SANDLOCK_ACTION_INJECT_FD_SEND_TRACKED;
    action.payload.inject_tracked.srcfd = -1;
    check_refused(&action, "a static handler answers with continue, an errno or a return value, not action kind 5");
    action.kind = 99;
    check_refused(&action, "a static handler answers with continue, an errno or a return value, not action kind 99");
    action.kind = UINT32_MAX;
    check_refused(&action,
                  "a static handler answers with continue, an errno or a return value, not action kind 4294967295");

    /* An errno the setter would have refused, written by hand. */
    action.kind = SANDLOCK_ACTION_ERRNO;
    action.payload.errno_value = 0;
    check_refused(&action, "errno value 0 is not in 1..=4095");
    action.payload.errno_value = 4096;
    check_refused(&action, "errno value 4096 is not in 1..=4095");
    action.payload.errno_value = -1;
    check_refused(&action, "errno value -1 is not in 1..=4095");
}
