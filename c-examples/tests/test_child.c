/* 1.1 child controls: pause, resume and signal a spawned child's group
 * from one thread while another waits on it. */
#define _GNU_SOURCE
#include "check.h"
#include "tests.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* The state letter of /proc/PID/stat: 'T' stopped, 'S' sleeping, ... */
static char process_state(int pid)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/stat", pid);
    FILE *file = fopen(path, "r");
    CHECK(file != NULL);
    char line[512];
    CHECK(fgets(line, sizeof line, file) != NULL);
    CHECK_INT_EQ(fclose(file), 0);
    /* "pid (comm) S ...": the comm may hold spaces and parentheses. */
    char *close_paren = strrchr(line, ')');
    CHECK(close_paren != NULL && close_paren[1] == ' ');
    return close_paren[2];
}

static void sleep_ms(long ms)
{
    struct timespec duration = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&duration, &duration) != 0 && errno == EINTR) {
    }
}

/* Wait up to 5 s for the child's state to become (or stop being) `state`. */
static void await_state(int pid, char state, int want)
{
    for (int i = 0; i < 500; i++) {
        if ((process_state(pid) == state) == want) {
            return;
        }
        sleep_ms(10);
    }
    check_failed(__FILE__, __LINE__, "process %d: state %c, expected %s%c", pid, process_state(pid),
                 want ? "" : "not ", state);
}

struct waiter {
    const sandlock_child_t *child;
    pthread_mutex_t lock;
    int done;
    int status;
};

static void *wait_for_the_child(void *arg)
{
    struct waiter *waiter = arg;
    sandlock_error_t *err = NULL;
    int status = sandlock_child_wait_for(waiter->child, -1, &err);
    sandlock_error_free(err);
    pthread_mutex_lock(&waiter->lock);
    waiter->status = status;
    waiter->done = 1;
    pthread_mutex_unlock(&waiter->lock);
    return NULL;
}

static int waiter_done(struct waiter *waiter)
{
    pthread_mutex_lock(&waiter->lock);
    int done = waiter->done;
    pthread_mutex_unlock(&waiter->lock);
    return done;
}

void pause_resume_and_signal_from_another_thread_while_one_waits(void)
{
    sandlock_policy_t *policy = base_policy();
    const char *args[] = {"pause"};
    sandlock_child_t *child = spawn_and_free(probe_command(policy, args, 1));
    int pid = sandlock_child_pid(child);
    CHECK(pid > 0);
    struct waiter waiter = {child, PTHREAD_MUTEX_INITIALIZER, 0, -100};
    pthread_t thread;
    CHECK_INT_EQ(pthread_create(&thread, NULL, wait_for_the_child, &waiter), 0);

    sandlock_error_t *err = NULL;
    CHECK_INT_EQ(sandlock_child_pause(child, &err), SANDLOCK_OK);
    CHECK(err == NULL);
    await_state(pid, 'T', 1);
    /* A stopped child has not ended: the wait goes on. */
    sleep_ms(50);
    CHECK(!waiter_done(&waiter));
    CHECK_INT_EQ(sandlock_child_resume(child, &err), SANDLOCK_OK);
    CHECK(err == NULL);
    await_state(pid, 'T', 0);
    CHECK(!waiter_done(&waiter));

    CHECK_INT_EQ(sandlock_child_signal(child, SIGTERM, &err), SANDLOCK_OK);
    CHECK(err == NULL);
    CHECK_INT_EQ(pthread_join(thread, NULL), 0);
    CHECK_INT_EQ(waiter.status, SANDLOCK_OK);
    CHECK_EXIT(sandlock_child_exit(child), SANDLOCK_EXIT_SIGNALED, -1, SIGTERM, -1);
    sandlock_child_free(child);
    sandlock_policy_free(policy);
}

void the_time_limit_runs_on_while_a_child_is_paused(void)
{
    sandlock_policy_t *policy = base_policy();
    CHECK_INT_EQ(sandlock_policy_timeout_ms(policy, 300), SANDLOCK_OK);
    const char *args[] = {"pause"};
    sandlock_child_t *child = spawn_and_free(probe_command(policy, args, 1));
    CHECK_INT_EQ(sandlock_child_pause(child, NULL), SANDLOCK_OK);
    CHECK_INT_EQ(sandlock_child_wait_for(child, 10000, NULL), SANDLOCK_OK);
    CHECK_EXIT(sandlock_child_exit(child), SANDLOCK_EXIT_TIMED_OUT, -1, SIGKILL, -1);
    sandlock_child_free(child);
    sandlock_policy_free(policy);
}

/* Each wait ends at its own deadline, also behind another thread's
 * unbounded wait: a 0 ms check and a 100 ms wait blocked until the child
 * ended (a handler polling its own child while main waited deadlocked). */
void a_timed_wait_behind_an_unbounded_one_keeps_its_deadline(void)
{
    sandlock_policy_t *policy = base_policy();
    const char *args[] = {"pause"};
    sandlock_child_t *child = spawn_and_free(probe_command(policy, args, 1));
    struct waiter waiter = {child, PTHREAD_MUTEX_INITIALIZER, 0, -100};
    pthread_t thread;
    CHECK_INT_EQ(pthread_create(&thread, NULL, wait_for_the_child, &waiter), 0);
    /* Let the waiter get into its wait first. */
    sleep_ms(100);
    for (int i = 0; i < 20; i++) {
        CHECK_INT_EQ(sandlock_child_wait_for(child, 0, NULL), SANDLOCK_STILL_RUNNING);
        CHECK_INT_EQ(sandlock_child_wait(child, 0, NULL, NULL), SANDLOCK_STILL_RUNNING);
    }
    CHECK_INT_EQ(sandlock_child_wait_for(child, 100, NULL), SANDLOCK_STILL_RUNNING);
    /* They returned while the child still ran: the unbounded wait goes on. */
    CHECK(!waiter_done(&waiter));
    CHECK_INT_EQ(sandlock_child_kill(child), SANDLOCK_OK);
    CHECK_INT_EQ(pthread_join(thread, NULL), 0);
    CHECK_INT_EQ(waiter.status, SANDLOCK_OK);
    /* Once it ended, every wait says so at once. */
    CHECK_INT_EQ(sandlock_child_wait_for(child, 0, NULL), SANDLOCK_OK);
    CHECK_EXIT(sandlock_child_exit(child), SANDLOCK_EXIT_SIGNALED, -1, SIGKILL, -1);
    sandlock_child_free(child);
    sandlock_policy_free(policy);
}

void child_controls_refuse_bad_signals_and_null(void)
{
    sandlock_policy_t *policy = base_policy();
    const char *args[] = {"pause"};
    sandlock_child_t *child = spawn_and_free(probe_command(policy, args, 1));
    sandlock_error_t *err = NULL;
    const int bad[] = {0, -1, 65, SIGRTMAX + 1, 1 << 20};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char message[64];
        snprintf(message, sizeof message, "signal %d is not in 1..=64", bad[i]);
        CHECK_INT_EQ(sandlock_child_signal(child, bad[i], &err), SANDLOCK_E_INVALID);
        CHECK_ERROR(err, SANDLOCK_E_INVALID, 0, message);
        CHECK_INT_EQ(sandlock_child_signal(child, bad[i], NULL), SANDLOCK_E_INVALID);
        CHECK_LAST_ERROR(SANDLOCK_E_INVALID, message);
    }
    CHECK_INT_EQ(sandlock_child_signal(NULL, SIGTERM, &err), SANDLOCK_E_INVALID);
    CHECK_ERROR(err, SANDLOCK_E_INVALID, 0, "child must not be NULL");
    CHECK_INT_EQ(sandlock_child_pause(NULL, &err), SANDLOCK_E_INVALID);
    CHECK_ERROR(err, SANDLOCK_E_INVALID, 0, "child must not be NULL");
    CHECK_INT_EQ(sandlock_child_resume(NULL, &err), SANDLOCK_E_INVALID);
    CHECK_ERROR(err, SANDLOCK_E_INVALID, 0, "child must not be NULL");
    CHECK_INT_EQ(sandlock_child_wait_for(NULL, -1, &err), SANDLOCK_E_INVALID);
    CHECK_ERROR(err, SANDLOCK_E_INVALID, 0, "child must not be NULL");

    /* None of the refusals reached the child: it still runs. */
    CHECK_INT_EQ(sandlock_child_wait_for(child, 0, &err), SANDLOCK_STILL_RUNNING);
    CHECK(err == NULL);
    /* Signal 64 (SIGRTMAX) is in range; pause() ends on it by default. */
    CHECK_INT_EQ(sandlock_child_signal(child, 64, &err), SANDLOCK_OK);
    CHECK_INT_EQ(sandlock_child_wait_for(child, 10000, &err), SANDLOCK_OK);
    CHECK_EXIT(sandlock_child_exit(child), SANDLOCK_EXIT_SIGNALED, -1, 64, -1);

    /* A child that ended gets nothing, and that is no error. */
    CHECK_INT_EQ(sandlock_child_signal(child, SIGTERM, &err), SANDLOCK_OK);
    CHECK_INT_EQ(sandlock_child_pause(child, &err), SANDLOCK_OK);
    CHECK_INT_EQ(sandlock_child_resume(child, &err), SANDLOCK_OK);
    CHECK(err == NULL);
    CHECK_EXIT(sandlock_child_exit(child), SANDLOCK_EXIT_SIGNALED, -1, 64, -1);
    sandlock_child_free(child);
    sandlock_policy_free(policy);
}

void spawned_command_is_waited_with_a_timeout(void)
{
    struct counter drops = COUNTER_INIT;
    sandlock_policy_t *policy = base_policy();
    const char *args[] = {"pause"};
    sandlock_command_t *command = probe_command(policy, args, 1);
    CHECK_INT_EQ(sandlock_command_add_handler(command, syscall_nr("getppid"),
                                              counted(callback_continue, &drops, SANDLOCK_EXCEPTION_KILL), NULL),
                 SANDLOCK_OK);
    sandlock_child_t *child = spawn_and_free(command);
    /* The child owns the handlers now; freeing the command kept them. */
    CHECK_INT_EQ(counter_get(&drops), 0);
    sandlock_error_t *err = NULL;
    CHECK_INT_EQ(sandlock_child_wait_for(child, 50, &err), SANDLOCK_STILL_RUNNING);
    CHECK(err == NULL);
    CHECK_INT_EQ(sandlock_child_kill(child), SANDLOCK_OK);
    CHECK_INT_EQ(sandlock_child_wait_for(child, -1, &err), SANDLOCK_OK);
    CHECK_INT_EQ(counter_get(&drops), 0);
    sandlock_child_free(child);
    CHECK_INT_EQ(counter_get(&drops), 1);
    sandlock_policy_free(policy);
}

void spawn_refuses_stdin_bytes(void)
{
    /* Bytes are fed by the captured run; a spawned child has no feeder. */
    struct counter drops = COUNTER_INIT;
    sandlock_policy_t *policy = base_policy();
    CHECK_INT_EQ(sandlock_policy_stdin(policy, SANDLOCK_STDIN_BYTES, (const uint8_t *)"x", 1, NULL), SANDLOCK_OK);
    const char *args[] = {"cat-stdin"};
    sandlock_command_t *command = probe_command(policy, args, 1);
    CHECK_INT_EQ(sandlock_command_add_handler(command, syscall_nr("getppid"),
                                              counted(callback_continue, &drops, SANDLOCK_EXCEPTION_KILL), NULL),
                 SANDLOCK_OK);
    sandlock_error_t *err = NULL;
    CHECK(sandlock_command_spawn(command, &err) == NULL);
    CHECK_ERROR(err, SANDLOCK_E_INVALID, 0,
                "invalid value for stdin: Stdin::Bytes is fed by run(); spawn() takes Null, Inherit or a caller's "
                "fd");
    /* A failed spawn freed the handlers before it returned. */
    CHECK_INT_EQ(counter_get(&drops), 1);
    sandlock_command_free(command);

    /* An fd of the command's wins over the policy's bytes. */
    int fds[2];
    make_pipe(fds);
    command = probe_command(policy, args, 1);
    CHECK_INT_EQ(sandlock_command_set_stdin(command, fds[0], NULL), SANDLOCK_OK);
    CHECK_INT_EQ(close(fds[0]), 0);
    CHECK_INT_EQ(close(fds[1]), 0);
    sandlock_child_t *child = spawn_and_free(command);
    CHECK_INT_EQ(sandlock_child_wait_for(child, 10000, NULL), SANDLOCK_OK);
    CHECK_EXIT(sandlock_child_exit(child), SANDLOCK_EXIT_EXITED, 0, 0, -1);
    sandlock_child_free(child);
    sandlock_policy_free(policy);
}
