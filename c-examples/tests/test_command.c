/* The 1.1 command object: construction, setters, one verb per command, and
 * the ownership of the handlers it is given. */
#define _GNU_SOURCE
#include "check.h"
#include "tests.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

void command_new_rejects_bad_input(void)
{
    sandlock_policy_t *policy = base_policy();
    const char *argv[] = {"/bin/true", NULL};
    sandlock_error_t *err = NULL;

    CHECK(sandlock_command_new(NULL, argv, 1, &err) == NULL);
    CHECK_ERROR(err, SANDLOCK_E_INVALID, 0, "policy must not be NULL");
    CHECK(sandlock_command_new(policy, NULL, 1, &err) == NULL);
    CHECK_ERROR(err, SANDLOCK_E_INVALID, 0, "argv must not be NULL");
    CHECK(sandlock_command_new(policy, argv, 0, &err) == NULL);
    CHECK_ERROR(err, SANDLOCK_E_INVALID, 0, "argc must be between 1 and 4096, got 0");
    /* Refused before the array is read: argv has 2 entries, not 4097. */
    CHECK(sandlock_command_new(policy, argv, SANDLOCK_MAX_ARGC + 1, &err) == NULL);
    CHECK_ERROR(err, SANDLOCK_E_INVALID, 0, "argc must be between 1 and 4096, got 4097");
    CHECK(sandlock_command_new(policy, argv, 2, &err) == NULL);
    CHECK_ERROR(err, SANDLOCK_E_INVALID, 0, "argv[1] must not be NULL");
    sandlock_policy_free(policy);
}

void command_new_accepts_the_most_arguments(void)
{
    static const char *argv[SANDLOCK_MAX_ARGC];
    argv[0] = "/bin/true";
    for (size_t i = 1; i < SANDLOCK_MAX_ARGC; i++) {
        argv[i] = "x";
    }
    sandlock_policy_t *policy = base_policy();
    sandlock_error_t *err = NULL;
    sandlock_command_t *command = sandlock_command_new(policy, argv, SANDLOCK_MAX_ARGC, &err);
    CHECK(command != NULL && err == NULL);
    sandlock_result_t *result = run_and_free(command);
    CHECK_INT_EQ(sandlock_result_exit_code(result), 0);
    sandlock_result_free(result);
    sandlock_policy_free(policy);
}

void command_copies_its_policy_and_argv(void)
{
    sandlock_policy_t *policy = base_policy();
    char word[] = "first";
    const char *args[] = {"echo2", word, "second"};
    sandlock_command_t *command = probe_command(policy, args, 3);
    /* Changing or freeing the originals afterwards changes nothing. */
    memcpy(word, "XXXXX", sizeof word);
    sandlock_policy_free(policy);
    sandlock_result_t *result = run_and_free(command);
    CHECK_STDOUT(result, "first\n");
    CHECK_STDERR(result, "second\n");
    sandlock_result_free(result);

    /* The policy's environment is the one copied at sandlock_command_new. */
    policy = base_policy();
    CHECK_INT_EQ(sandlock_policy_env(policy, "GREETING", "copied"), SANDLOCK_OK);
    const char *getenv_args[] = {"getenv", "GREETING"};
    command = probe_command(policy, getenv_args, 2);
    CHECK_INT_EQ(sandlock_policy_env(policy, "GREETING", "changed"), SANDLOCK_OK);
    result = run_and_free(command);
    CHECK_STDOUT(result, "copied\n");
    sandlock_result_free(result);
    sandlock_policy_free(policy);
}

void set_name_labels_the_runs_errors(void)
{
    sandlock_policy_t *policy = base_policy();
    const char *argv[] = {"/nonexistent/program"};
    sandlock_error_t *err = NULL;
    sandlock_command_t *command = sandlock_command_new(policy, argv, 1, &err);
    CHECK(command != NULL);

    CHECK_INT_EQ(sandlock_command_set_name(command, NULL, &err), SANDLOCK_E_INVALID);
    CHECK_ERROR(err, SANDLOCK_E_INVALID, 0, "name must not be NULL");
    CHECK_INT_EQ(sandlock_command_set_name(command, "bad\xff", &err), SANDLOCK_E_INVALID);
    CHECK_ERROR(err, SANDLOCK_E_INVALID, 0, "name \"bad\\xff\" is not valid UTF-8");
    CHECK_INT_EQ(sandlock_command_set_name(NULL, "job-42", &err), SANDLOCK_E_INVALID);
    CHECK_ERROR(err, SANDLOCK_E_INVALID, 0, "command must not be NULL");
    /* The last name set wins. */
    CHECK_INT_EQ(sandlock_command_set_name(command, "job-41", &err), SANDLOCK_OK);
    CHECK_INT_EQ(sandlock_command_set_name(command, "job-42", &err), SANDLOCK_OK);
    CHECK(err == NULL);

    CHECK(sandlock_command_run(command, &err) == NULL);
    CHECK_ERROR(err, SANDLOCK_E_NOT_FOUND, 0, "run \"job-42\": program \"/nonexistent/program\" not found");
    sandlock_command_free(command);
    sandlock_policy_free(policy);
}

void a_command_runs_once(void)
{
    struct counter drops = COUNTER_INIT;
    sandlock_policy_t *policy = base_policy();
    const char *args[] = {"exit", "0"};
    sandlock_command_t *command = probe_command(policy, args, 2);
    sandlock_error_t *err = NULL;
    sandlock_result_t *result = sandlock_command_run(command, &err);
    CHECK(result != NULL && err == NULL);
    sandlock_result_free(result);

    const char *ran = "the command already ran; create a new one for each run";
    CHECK(sandlock_command_run(command, &err) == NULL);
    CHECK_ERROR(err, SANDLOCK_E_INVALID, 0, ran);
    CHECK_INT_EQ(sandlock_command_run_interactive(command, &err), SANDLOCK_E_INVALID);
    CHECK_ERROR(err, SANDLOCK_E_INVALID, 0, ran);
    CHECK(sandlock_command_spawn(command, &err) == NULL);
    CHECK_ERROR(err, SANDLOCK_E_INVALID, 0, ran);

    const char *settled = "the command already ran; its settings can no longer change";
    CHECK_INT_EQ(sandlock_command_set_name(command, "late", &err), SANDLOCK_E_INVALID);
    CHECK_ERROR(err, SANDLOCK_E_INVALID, 0, settled);
    CHECK_INT_EQ(sandlock_command_set_stdin(command, 0, &err), SANDLOCK_E_INVALID);
    CHECK_ERROR(err, SANDLOCK_E_INVALID, 0, settled);
    CHECK_INT_EQ(sandlock_command_set_stdout(command, 1, &err), SANDLOCK_E_INVALID);
    CHECK_ERROR(err, SANDLOCK_E_INVALID, 0, settled);
    CHECK_INT_EQ(sandlock_command_set_stderr(command, 2, &err), SANDLOCK_E_INVALID);
    CHECK_ERROR(err, SANDLOCK_E_INVALID, 0, settled);
    /* A handler given to a spent command is still consumed. */
    CHECK_INT_EQ(sandlock_command_add_handler(command, syscall_nr("getppid"),
                                              counted(callback_continue, &drops, SANDLOCK_EXCEPTION_KILL), &err),
                 SANDLOCK_E_INVALID);
    CHECK_ERROR(err, SANDLOCK_E_INVALID, 0, settled);
    CHECK_INT_EQ(counter_get(&drops), 1);
    sandlock_command_free(command);
    CHECK_INT_EQ(counter_get(&drops), 1);
    sandlock_policy_free(policy);
}

/* Each stdio setter: -5, a closed fd and 1 << 20 are refused. */
static void check_bad_fds(int (*setter)(sandlock_command_t *, int, sandlock_error_t **))
{
    sandlock_policy_t *policy = base_policy();
    const char *args[] = {"exit", "0"};
    sandlock_command_t *command = probe_command(policy, args, 2);
    sandlock_error_t *err = NULL;

    CHECK_INT_EQ(setter(command, -5, &err), SANDLOCK_E_INVALID);
    CHECK_ERROR(err, SANDLOCK_E_INVALID, 0, "fd -5 is not a file descriptor (use -1 for the default)");
    int closed = open("/dev/null", O_RDONLY | O_CLOEXEC);
    CHECK(closed >= 0);
    CHECK_INT_EQ(close(closed), 0);
    char message[128];
    snprintf(message, sizeof message, "fd %d is not open: Bad file descriptor (os error 9)", closed);
    CHECK_INT_EQ(setter(command, closed, &err), SANDLOCK_E_INVALID);
    CHECK_ERROR(err, SANDLOCK_E_INVALID, 0, message);
    CHECK_INT_EQ(setter(command, 1 << 20, &err), SANDLOCK_E_INVALID);
    CHECK_ERROR(err, SANDLOCK_E_INVALID, 0, "fd 1048576 is not open: Bad file descriptor (os error 9)");
    CHECK_INT_EQ(setter(command, INT_MIN, NULL), SANDLOCK_E_INVALID);
    CHECK_LAST_ERROR(SANDLOCK_E_INVALID, "fd -2147483648 is not a file descriptor (use -1 for the default)");
    CHECK_INT_EQ(setter(NULL, 0, &err), SANDLOCK_E_INVALID);
    CHECK_ERROR(err, SANDLOCK_E_INVALID, 0, "command must not be NULL");
    /* -1 is the default, and a refused fd left the command usable. */
    CHECK_INT_EQ(setter(command, -1, &err), SANDLOCK_OK);
    CHECK(err == NULL);
    sandlock_result_t *result = run_and_free(command);
    CHECK_INT_EQ(sandlock_result_exit_code(result), 0);
    sandlock_result_free(result);
    sandlock_policy_free(policy);
}

void stdio_setters_refuse_bad_fds(void)
{
    check_bad_fds(sandlock_command_set_stdin);
    check_bad_fds(sandlock_command_set_stdout);
    check_bad_fds(sandlock_command_set_stderr);
}

/* A full fd table is this process's state, not a bad fd of the caller's:
 * an I/O error with EMFILE, and the command is still usable. */
void stdio_setters_say_when_the_fd_table_is_full(void)
{
    sandlock_policy_t *policy = base_policy();
    const char *args[] = {"exit", "0"};
    sandlock_command_t *command = probe_command(policy, args, 2);
    struct rlimit normal;
    CHECK_INT_EQ(getrlimit(RLIMIT_NOFILE, &normal), 0);
    struct rlimit low = {64, normal.rlim_max};
    CHECK_INT_EQ(setrlimit(RLIMIT_NOFILE, &low), 0);
    int copies[64];
    int count = 0;
    while (count < 64 && (copies[count] = dup(1)) >= 0) {
        count++;
    }
    sandlock_error_t *err = NULL;
    int status = sandlock_command_set_stdout(command, 1, &err);
    while (count > 0) {
        close(copies[--count]);
    }
    CHECK_INT_EQ(setrlimit(RLIMIT_NOFILE, &normal), 0);
    CHECK_INT_EQ(status, SANDLOCK_E_IO);
    CHECK_ERROR(err, SANDLOCK_E_IO, EMFILE, "copying a stream's fd for the child: Too many open files (os error 24)");
    sandlock_result_t *result = run_and_free(command);
    CHECK_INT_EQ(sandlock_result_exit_code(result), 0);
    sandlock_result_free(result);
    sandlock_policy_free(policy);
}

void minus_one_restores_the_captured_default(void)
{
    int fds[2];
    make_pipe(fds);
    sandlock_policy_t *policy = base_policy();
    const char *args[] = {"echo2", "to the result", "also"};
    sandlock_command_t *command = probe_command(policy, args, 3);
    CHECK_INT_EQ(sandlock_command_set_stdout(command, fds[1], NULL), SANDLOCK_OK);
    CHECK_INT_EQ(sandlock_command_set_stdout(command, -1, NULL), SANDLOCK_OK);
    sandlock_result_t *result = run_and_free(command);
    CHECK_STDOUT(result, "to the result\n");
    CHECK_STDERR(result, "also\n");
    /* Nothing went to the pipe: the command dropped its copy of it. */
    CHECK_INT_EQ(close(fds[1]), 0);
    size_t len = 1;
    char *piped = read_to_end(fds[0], &len);
    CHECK_INT_EQ(len, 0);
    free(piped);
    CHECK_INT_EQ(close(fds[0]), 0);
    sandlock_result_free(result);
    sandlock_policy_free(policy);
}

void add_handler_consumes_the_handler_on_every_path(void)
{
    struct counter drops = COUNTER_INIT;
    sandlock_policy_t *policy = base_policy();
    const char *args[] = {"getppid"};
    sandlock_command_t *command = probe_command(policy, args, 1);
    sandlock_error_t *err = NULL;

    CHECK_INT_EQ(sandlock_command_add_handler(NULL, syscall_nr("getppid"),
                                              counted(callback_continue, &drops, SANDLOCK_EXCEPTION_KILL), &err),
                 SANDLOCK_E_INVALID);
    CHECK_ERROR(err, SANDLOCK_E_INVALID, 0, "command must not be NULL");
    CHECK_INT_EQ(counter_get(&drops), 1);

    CHECK_INT_EQ(sandlock_command_add_handler(command, syscall_nr("getppid"), NULL, &err), SANDLOCK_E_INVALID);
    CHECK_ERROR(err, SANDLOCK_E_INVALID, 0, "handler must not be NULL");

    const int64_t unknown[] = {-5, -1, 100000, INT64_MAX};
    for (size_t i = 0; i < sizeof unknown / sizeof unknown[0]; i++) {
        CHECK_INT_EQ(sandlock_command_add_handler(command, unknown[i],
                                                  counted(callback_continue, &drops, SANDLOCK_EXCEPTION_KILL), &err),
                     SANDLOCK_E_INVALID);
        char message[128];
        snprintf(message, sizeof message, "syscall_nr: syscall number %lld is not a syscall of this architecture",
                 (long long)unknown[i]);
        CHECK_ERROR(err, SANDLOCK_E_INVALID, 0, message);
        CHECK_INT_EQ(counter_get(&drops), 2 + (int)i);
    }
    /* The same with a NULL err. */
    CHECK_INT_EQ(sandlock_command_add_handler(command, -5, counted(callback_continue, &drops, SANDLOCK_EXCEPTION_KILL),
                                              NULL),
                 SANDLOCK_E_INVALID);
    CHECK_INT_EQ(counter_get(&drops), 6);

    /* Added: owned by the command until its verb, which frees it before
     * returning. */
    CHECK_INT_EQ(sandlock_command_add_handler(command, syscall_nr("getppid"),
                                              counted(callback_continue, &drops, SANDLOCK_EXCEPTION_KILL), &err),
                 SANDLOCK_OK);
    CHECK(err == NULL);
    CHECK_INT_EQ(counter_get(&drops), 6);
    sandlock_result_t *result = sandlock_command_run(command, &err);
    CHECK(result != NULL);
    CHECK_INT_EQ(counter_get(&drops), 7);
    sandlock_result_free(result);
    sandlock_command_free(command);
    CHECK_INT_EQ(counter_get(&drops), 7);

    /* Added to a command never run: freeing the command frees it. */
    command = probe_command(policy, args, 1);
    CHECK_INT_EQ(sandlock_command_add_handler(command, syscall_nr("getppid"),
                                              counted(callback_continue, &drops, SANDLOCK_EXCEPTION_KILL), NULL),
                 SANDLOCK_OK);
    CHECK_INT_EQ(counter_get(&drops), 7);
    sandlock_command_free(command);
    CHECK_INT_EQ(counter_get(&drops), 8);
    sandlock_policy_free(policy);
}

void adding_one_handler_twice_is_refused(void)
{
    /* The header promises SANDLOCK_E_INVALID for "a handler already added",
     * as the 1.0 arrays refuse one handler twice: taking it again would
     * free it twice. */
    struct counter drops = COUNTER_INIT;
    sandlock_policy_t *policy = base_policy();
    const char *args[] = {"getppid"};
    sandlock_command_t *command = probe_command(policy, args, 1);
    sandlock_handler_t *handler = counted(callback_continue, &drops, SANDLOCK_EXCEPTION_KILL);
    sandlock_error_t *err = NULL;
    CHECK_INT_EQ(sandlock_command_add_handler(command, syscall_nr("getppid"), handler, &err), SANDLOCK_OK);
    CHECK_INT_EQ(sandlock_command_add_handler(command, syscall_nr("uname"), handler, &err), SANDLOCK_E_INVALID);
    CHECK_ERROR(err, SANDLOCK_E_INVALID, 0,
                "handler was already added to this command; add a handler once (create one handler per syscall)");
    CHECK_INT_EQ(counter_get(&drops), 0);
    /* A new handler after the refusal is accepted, whatever its address. */
    CHECK_INT_EQ(sandlock_command_add_handler(command, syscall_nr("uname"),
                                              counted(callback_continue, &drops, SANDLOCK_EXCEPTION_KILL), &err),
                 SANDLOCK_OK);
    sandlock_result_t *result = run_and_free(command);
    CHECK_INT_EQ(sandlock_result_exit_code(result), 0);
    CHECK_INT_EQ(counter_get(&drops), 2);
    sandlock_result_free(result);
    sandlock_policy_free(policy);
}

void handlers_in_one_command_are_never_confused(void)
{
    /* Handlers freed by one command leave their addresses to new handlers:
     * a later command must accept those. */
    struct counter drops = COUNTER_INIT;
    sandlock_policy_t *policy = base_policy();
    const char *args[] = {"getppid"};
    for (int i = 0; i < 4; i++) {
        sandlock_command_t *command = probe_command(policy, args, 1);
        CHECK_INT_EQ(sandlock_command_add_handler(command, syscall_nr("getppid"),
                                                  counted(callback_continue, &drops, SANDLOCK_EXCEPTION_KILL), NULL),
                     SANDLOCK_OK);
        CHECK_INT_EQ(sandlock_command_add_handler(command, syscall_nr("uname"),
                                                  counted(callback_continue, &drops, SANDLOCK_EXCEPTION_KILL), NULL),
                     SANDLOCK_OK);
        sandlock_command_free(command);
    }
    CHECK_INT_EQ(counter_get(&drops), 8);
    sandlock_policy_free(policy);
}

void a_handler_on_a_denied_syscall_fails_the_verb(void)
{
    struct counter drops = COUNTER_INIT;
    sandlock_policy_t *policy = base_policy();
    const char *args[] = {"exit", "0"};
    sandlock_command_t *command = probe_command(policy, args, 2);
    CHECK_INT_EQ(sandlock_command_set_name(command, "denied", NULL), SANDLOCK_OK);
    CHECK_INT_EQ(sandlock_command_add_handler(command, syscall_nr("mount"),
                                              counted(callback_continue, &drops, SANDLOCK_EXCEPTION_KILL), NULL),
                 SANDLOCK_OK);
    /* Built first: sandlock_syscall_nr succeeds, which clears the last error. */
    char message[192];
    snprintf(message, sizeof message,
             "run \"denied\": a handler on syscall mount (nr %lld) would re-open a syscall the policy denies "
             "(default deny list)",
             (long long)syscall_nr("mount"));
    sandlock_error_t *err = NULL;
    CHECK(sandlock_command_spawn(command, &err) == NULL);
    CHECK_ERROR(err, SANDLOCK_E_DENIED, 0, message);
    CHECK_INT_EQ(counter_get(&drops), 1);
    sandlock_command_free(command);
    CHECK_INT_EQ(counter_get(&drops), 1);
    sandlock_policy_free(policy);
}

static int32_t kill_with_sigterm(void *ud, const sandlock_notif_data_t *notif, sandlock_mem_handle_t *mem,
                                 sandlock_action_out_t *out)
{
    (void)ud;
    (void)notif;
    (void)mem;
    return sandlock_action_set_kill(out, SIGTERM, 0);
}

/* run_interactive with the child's stdout in a pipe; what it printed. */
static int run_interactive_into_pipe(sandlock_command_t *command, char **printed)
{
    int fds[2];
    make_pipe(fds);
    CHECK_INT_EQ(sandlock_command_set_stdout(command, fds[1], NULL), SANDLOCK_OK);
    CHECK_INT_EQ(close(fds[1]), 0);
    sandlock_error_t *err = NULL;
    int code = sandlock_command_run_interactive(command, &err);
    CHECK(err == NULL);
    sandlock_command_free(command);
    *printed = read_to_end(fds[0], NULL);
    CHECK_INT_EQ(close(fds[0]), 0);
    return code;
}

void run_interactive_returns_the_exit_code_or_128_plus_the_signal(void)
{
    sandlock_policy_t *policy = base_policy();
    const char *exit_args[] = {"echo2", "interactive", "err"};
    sandlock_command_t *command = probe_command(policy, exit_args, 3);
    /* stderr stays the caller's unless set: send it to /dev/null here. */
    int null = open("/dev/null", O_WRONLY | O_CLOEXEC);
    CHECK(null >= 0);
    CHECK_INT_EQ(sandlock_command_set_stderr(command, null, NULL), SANDLOCK_OK);
    char *printed = NULL;
    CHECK_INT_EQ(run_interactive_into_pipe(command, &printed), 0);
    CHECK_STR_EQ(printed, "interactive\n");
    free(printed);

    const char *code_args[] = {"exit", "3"};
    CHECK_INT_EQ(run_interactive_into_pipe(probe_command(policy, code_args, 2), &printed), 3);
    CHECK_STR_EQ(printed, "");
    free(printed);

    const char *ppid_args[] = {"getppid"};
    command = probe_command(policy, ppid_args, 1);
    CHECK_INT_EQ(sandlock_command_add_handler(command, syscall_nr("getppid"),
                                              sandlock_handler_new(kill_with_sigterm, NULL, NULL, 0), NULL),
                 SANDLOCK_OK);
    CHECK_INT_EQ(run_interactive_into_pipe(command, &printed), 128 + SIGTERM);
    free(printed);
    CHECK_INT_EQ(close(null), 0);
    sandlock_policy_free(policy);
}

void run_interactive_uses_the_callers_stdout_by_default(void)
{
    /* This test process's own stdout becomes a pipe for the run. */
    int fds[2];
    make_pipe(fds);
    int saved = dup(1);
    CHECK(saved >= 0);
    CHECK_INT_EQ(dup2(fds[1], 1), 1);
    sandlock_policy_t *policy = base_policy();
    const char *args[] = {"getppid"};
    sandlock_command_t *command = probe_command(policy, args, 1);
    sandlock_error_t *err = NULL;
    int code = sandlock_command_run_interactive(command, &err);
    sandlock_command_free(command);
    CHECK_INT_EQ(dup2(saved, 1), 1);
    CHECK_INT_EQ(close(saved), 0);
    CHECK_INT_EQ(close(fds[1]), 0);
    CHECK_INT_EQ(code, 0);
    CHECK(err == NULL);
    char *printed = read_to_end(fds[0], NULL);
    char expected[32];
    snprintf(expected, sizeof expected, "%d\n", (int)getpid());
    CHECK_STR_EQ(printed, expected);
    free(printed);
    CHECK_INT_EQ(close(fds[0]), 0);
    sandlock_policy_free(policy);
}
