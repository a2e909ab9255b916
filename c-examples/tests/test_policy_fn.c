/* policy_fn from C: a callback with its ud and ud_drop, the event snapshot
 * and its argument accessor, decisions and the failure outcome, the time
 * limit, the control handle, and flagged events of runs and spawned
 * children. Every run is a real sandboxed child; callbacks record what they
 * saw and the test checks it after the run (a check failing on a library
 * thread would exit from under the supervisor). */
#define _GNU_SOURCE
#include "check.h"
#include "tests.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* ---- what a callback saw ------------------------------------------------ */

enum { MAX_SEEN = 256, MAX_ARGS = 8, MAX_ARG_LEN = 512 };

struct seen {
    sandlock_event_t event;
    /* What *deny_errno held when the callback was called. */
    int32_t deny_errno_on_entry;
    uint32_t argc;
    char args[MAX_ARGS][MAX_ARG_LEN];
    size_t lens[MAX_ARGS];
};

struct watch;
/* A test's decision; the common callback has recorded the event already. */
typedef uint32_t (*rule_fn)(struct watch *w, const sandlock_event_t *event, sandlock_control_t *control,
                            int32_t *deny_errno);

/* The ud of every callback in this file. */
struct watch {
    pthread_mutex_t lock;
    rule_fn rule;
    struct seen seen[MAX_SEEN];
    size_t count;
    /* Events past MAX_SEEN: counted, not kept. */
    size_t overflow;
    /* How many times the rule answered FLAG. */
    long flags;
    struct counter drops;
    /* Callbacks running now, and the most that ever ran at once. */
    int in_flight;
    int max_in_flight;
    /* The first thing a callback found wrong ("" when nothing). */
    char failure[512];
    /* Scratch for the rules. */
    int step;
    uintptr_t kept_control;
    int stale_statuses[4];
    int stale_count;
    int drops_when_woken;
    uint16_t port;
    const char *path;
};

static struct watch *watch_new(rule_fn rule)
{
    struct watch *w = calloc(1, sizeof *w);
    CHECK(w != NULL);
    CHECK_INT_EQ(pthread_mutex_init(&w->lock, NULL), 0);
    CHECK_INT_EQ(pthread_mutex_init(&w->drops.lock, NULL), 0);
    w->rule = rule;
    w->drops_when_woken = -1;
    return w;
}

static void note_failure(struct watch *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void note_failure(struct watch *w, const char *fmt, ...)
{
    pthread_mutex_lock(&w->lock);
    if (w->failure[0] == '\0') {
        va_list args;
        va_start(args, fmt);
        vsnprintf(w->failure, sizeof w->failure, fmt, args);
        va_end(args);
    }
    pthread_mutex_unlock(&w->lock);
}

/* A check on a library thread: noted, not fatal. */
#define EXPECT(w, cond)                                                                                                \
    do {                                                                                                               \
        if (!(cond)) {                                                                                                 \
            note_failure((w), "%s:%d: %s", __FILE__, __LINE__, #cond);                                                 \
        }                                                                                                              \
    } while (0)

/* A control call's outcome on a library thread: `status`, and an error
 * object and thread error with exactly `message` (freed here). */
#define EXPECT_STATUS(w, status, err, want_status, want_message)                                                       \
    do {                                                                                                               \
        int status_value = (status);                                                                                   \
        expect_status((w), __LINE__, status_value, (err), (want_status), (want_message));                              \
    } while (0)

static void expect_status(struct watch *w, int line, int status, sandlock_error_t *err, int want_status,
                          const char *want_message)
{
    if (status != want_status) {
        note_failure(w, "line %d: status %d, expected %d (%s)", line, status, want_status, sandlock_last_error());
    } else if (want_message == NULL && err != NULL) {
        note_failure(w, "line %d: an error object after success: %s", line, sandlock_error_message(err));
    } else if (want_message != NULL && (err == NULL || strcmp(sandlock_error_message(err), want_message) != 0 ||
                                        sandlock_error_status(err) != want_status)) {
        note_failure(w, "line %d: error \"%s\", expected \"%s\"", line,
                     err != NULL ? sandlock_error_message(err) : "(none)", want_message);
    } else if (want_message != NULL && strcmp(sandlock_last_error(), want_message) != 0) {
        note_failure(w, "line %d: last error \"%s\", expected \"%s\"", line, sandlock_last_error(), want_message);
    }
    sandlock_error_free(err);
}

/* The common callback: count, record, then let the test's rule decide. */
static uint32_t watch_callback(void *ud, const sandlock_event_t *event, sandlock_control_t *control,
                               int32_t *deny_errno)
{
    struct watch *w = ud;
    pthread_mutex_lock(&w->lock);
    w->in_flight++;
    if (w->in_flight > w->max_in_flight) {
        w->max_in_flight = w->in_flight;
    }
    struct seen *s = w->count < MAX_SEEN ? &w->seen[w->count++] : NULL;
    if (s == NULL) {
        w->overflow++;
    }
    pthread_mutex_unlock(&w->lock);
    if (s != NULL) {
        s->event = *event;
        s->deny_errno_on_entry = *deny_errno;
        s->argc = event->argc < MAX_ARGS ? event->argc : MAX_ARGS;
        for (uint32_t i = 0; i < s->argc; i++) {
            size_t len = 12345;
            const char *arg = sandlock_event_arg(event, i, &len);
            if (arg == NULL || len != strlen(arg) || len >= MAX_ARG_LEN) {
                note_failure(w, "argument %u of an exec: %s (len %zu)", i, arg == NULL ? "NULL" : arg, len);
                s->argc = i;
                break;
            }
            memcpy(s->args[i], arg, len + 1);
            s->lens[i] = len;
        }
    }
    uint32_t answer = w->rule != NULL ? w->rule(w, event, control, deny_errno) : SANDLOCK_DECISION_ALLOW;
    pthread_mutex_lock(&w->lock);
    w->in_flight--;
    if (answer == SANDLOCK_DECISION_FLAG) {
        w->flags++;
    }
    pthread_mutex_unlock(&w->lock);
    return answer;
}

/* The ud_drop of every watch: counts, never frees (the test reads it after). */
static void watch_drop(void *ud)
{
    counter_add(&((struct watch *)ud)->drops);
}

static int drops_of(struct watch *w)
{
    return counter_get(&w->drops);
}

/* ---- event helpers ---------------------------------------------------------- */

/* Argument `i` of an exec event, or "" past argc. */
static const char *arg_of(const sandlock_event_t *event, uint32_t i)
{
    const char *arg = i < event->argc ? sandlock_event_arg(event, i, NULL) : NULL;
    return arg != NULL ? arg : "";
}

static bool exec_of(const sandlock_event_t *event, const char *argv0, const char *argv1)
{
    return event->category == SANDLOCK_CATEGORY_EXEC && event->argc >= 1 && strcmp(arg_of(event, 0), argv0) == 0 &&
           (argv1 == NULL || strcmp(arg_of(event, 1), argv1) == 0);
}

static const char *name_of(const sandlock_event_t *event)
{
    const char *name = sandlock_syscall_name(event->syscall_nr);
    return name != NULL ? name : "(none)";
}

/* The seen events of `category`, in order, into `out` (at most `max`). */
static size_t seen_in(struct watch *w, uint32_t category, const struct seen **out, size_t max)
{
    size_t n = 0;
    for (size_t i = 0; i < w->count && n < max; i++) {
        if (w->seen[i].event.category == category) {
            out[n++] = &w->seen[i];
        }
    }
    return n;
}

/* The fields of the categories an event is not of hold their defaults. */
static void check_other_fields_are_defaults(const sandlock_event_t *e)
{
    CHECK_INT_EQ(e->size, sizeof(sandlock_event_t));
    if (e->category != SANDLOCK_CATEGORY_PROCESS) {
        CHECK_INT_EQ(e->clone_flags, 0);
        CHECK(!e->thread);
    }
    if (e->category != SANDLOCK_CATEGORY_EXEC) {
        CHECK_INT_EQ(e->argc, 0);
        CHECK(!e->argv_truncated);
    }
    if (e->category != SANDLOCK_CATEGORY_NETWORK) {
        CHECK_INT_EQ(e->net_op, 0);
        CHECK_INT_EQ(e->family, 0);
        CHECK_INT_EQ(e->addr_family, 0);
        for (size_t i = 0; i < sizeof e->addr; i++) {
            CHECK_INT_EQ(e->addr[i], 0);
        }
        CHECK_INT_EQ(e->port, -1);
    }
    if (e->category != SANDLOCK_CATEGORY_SIGNAL) {
        CHECK_INT_EQ(e->signal, 0);
        CHECK_INT_EQ(e->signal_target, 0);
    }
    if (e->category != SANDLOCK_CATEGORY_FILE) {
        CHECK_INT_EQ(e->open_flags, 0);
    }
}

static void check_no_failure(struct watch *w)
{
    pthread_mutex_lock(&w->lock);
    CHECK_STR_EQ(w->failure, "");
    pthread_mutex_unlock(&w->lock);
}

/* ---- commands --------------------------------------------------------------- */

/* The suite's policy, with /dev/null writable (shell redirections). */
static sandlock_policy_t *pf_policy(void)
{
    sandlock_policy_t *policy = base_policy();
    CHECK_INT_EQ(sandlock_policy_fs_write(policy, "/dev/null"), SANDLOCK_OK);
    return policy;
}

/* `/bin/sh -c SCRIPT`, where each "@" in the script is the probe's path. */
static sandlock_command_t *shell_command(const sandlock_policy_t *policy, const char *script)
{
    char expanded[4096];
    size_t used = 0;
    for (const char *p = script; *p != '\0'; p++) {
        const char *piece = *p == '@' ? probe_path() : (char[]){*p, '\0'};
        size_t len = strlen(piece);
        CHECK(used + len < sizeof expanded);
        memcpy(expanded + used, piece, len);
        used += len;
    }
    expanded[used] = '\0';
    const char *argv[] = {"/bin/sh", "-c", expanded};
    sandlock_error_t *err = NULL;
    sandlock_command_t *command = sandlock_command_new(policy, argv, 3, &err);
    if (command == NULL) {
        check_failed(__FILE__, __LINE__, "sandlock_command_new failed: %s", sandlock_error_message(err));
    }
    return command;
}

static void set_watch(sandlock_command_t *command, uint32_t categories, struct watch *w)
{
    sandlock_error_t *err = NULL;
    int status = sandlock_command_set_policy_fn(command, categories, watch_callback, w, watch_drop, &err);
    if (status != SANDLOCK_OK) {
        check_failed(__FILE__, __LINE__, "sandlock_command_set_policy_fn failed: %s", sandlock_error_message(err));
    }
    CHECK(err == NULL);
}

/* Run `script` under `policy` with `w` watching `categories`; the result. */
static sandlock_result_t *run_watched(const sandlock_policy_t *policy, const char *script, uint32_t categories,
                                      struct watch *w)
{
    sandlock_command_t *command = shell_command(policy, script);
    set_watch(command, categories, w);
    return run_and_free(command);
}

static double now_seconds(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)now.tv_sec + (double)now.tv_nsec / 1e9;
}

static void sleep_ms(long ms)
{
    struct timespec pause = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&pause, &pause) != 0 && errno == EINTR) {
    }
}

/* Wait until the watch's drops reach `expected` (at most 5 s). */
static void wait_for_drops(struct watch *w, int expected)
{
    for (int i = 0; i < 500 && drops_of(w) < expected; i++) {
        sleep_ms(10);
    }
    CHECK_INT_EQ(drops_of(w), expected);
}

/* A TCP listener on 127.0.0.1 on a port the kernel picks, non-blocking. */
static int open_listener(uint16_t *port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    CHECK(fd >= 0);
    struct sockaddr_in addr;
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    CHECK_INT_EQ(bind(fd, (struct sockaddr *)&addr, sizeof addr), 0);
    CHECK_INT_EQ(listen(fd, 16), 0);
    socklen_t len = sizeof addr;
    CHECK_INT_EQ(getsockname(fd, (struct sockaddr *)&addr, &len), 0);
    *port = ntohs(addr.sin_port);
    return fd;
}

/* How many connections wait on the listener (accepted and closed here). */
static int accepted(int listener)
{
    int n = 0;
    for (;;) {
        int fd = accept4(listener, NULL, NULL, SOCK_CLOEXEC);
        if (fd < 0) {
            CHECK(errno == EAGAIN || errno == EWOULDBLOCK);
            return n;
        }
        close(fd);
        n++;
    }
}

/* ---- the exec filter: curl denied, ls allowed -------------------------------- */

static uint32_t deny_curl(struct watch *w, const sandlock_event_t *event, sandlock_control_t *control,
                          int32_t *deny_errno)
{
    (void)w;
    (void)control;
    if (exec_of(event, "curl", NULL)) {
        *deny_errno = EACCES;
        return SANDLOCK_DECISION_DENY;
    }
    return SANDLOCK_DECISION_ALLOW;
}

/* PATH names one directory, so the shell tries one execve per program. */
static const char curl_script[] = "PATH=/usr/bin; curl --version >/dev/null 2>&1; echo $?; ls -d /usr; echo $?";

void policy_fn_denies_curl_by_argv_and_lets_ls_run(void)
{
    struct watch *w = watch_new(deny_curl);
    sandlock_policy_t *policy = pf_policy();
    sandlock_command_t *command = shell_command(policy, curl_script);
    set_watch(command, SANDLOCK_CATEGORY_EXEC, w);
    sandlock_error_t *err = NULL;
    sandlock_result_t *result = sandlock_command_run(command, &err);
    CHECK(err == NULL);
    CHECK_STDOUT(result, "126\n/usr\n0\n");
    CHECK_INT_EQ(sandlock_result_exit_code(result), 0);
    /* The verb let go of the callback before it returned. */
    CHECK_INT_EQ(drops_of(w), 1);
    sandlock_command_free(command);
    CHECK_INT_EQ(drops_of(w), 1);
    check_no_failure(w);
    /* sh's own exec, then curl's (denied) and ls's, in that order. */
    const struct seen *execs[8];
    CHECK_INT_EQ(seen_in(w, SANDLOCK_CATEGORY_EXEC, execs, 8), 3);
    CHECK_INT_EQ(execs[0]->argc, 3);
    CHECK_STR_EQ(execs[0]->args[0], "/bin/sh");
    CHECK_STR_EQ(execs[0]->args[2], curl_script);
    CHECK_INT_EQ(execs[1]->argc, 2);
    CHECK_STR_EQ(execs[1]->args[0], "curl");
    CHECK_STR_EQ(execs[1]->args[1], "--version");
    CHECK_INT_EQ(execs[2]->argc, 3);
    CHECK_STR_EQ(execs[2]->args[0], "ls");
    CHECK_STR_EQ(execs[2]->args[1], "-d");
    CHECK_STR_EQ(execs[2]->args[2], "/usr");
    for (int i = 0; i < 3; i++) {
        CHECK_STR_EQ(name_of(&execs[i]->event), "execve");
        CHECK(execs[i]->event.race_free);
        CHECK(!execs[i]->event.denied_by_policy);
        CHECK_INT_EQ(execs[i]->deny_errno_on_entry, EPERM);
        check_other_fields_are_defaults(&execs[i]->event);
    }
    /* Nothing was flagged. */
    CHECK_INT_EQ(sandlock_result_flagged_count(result), 0);
    CHECK_INT_EQ(sandlock_result_flagged_dropped(result), 0);
    sandlock_result_free(result);
    sandlock_policy_free(policy);
    free(w);
}

/* ---- ud and ud_drop: exactly once, on every path ----------------------------- */

void policy_fn_ud_drop_runs_once_when_the_verb_fails(void)
{
    sandlock_policy_t *policy = pf_policy();
    const char *argv[] = {"/nonexistent/program"};
    /* A run that cannot start. */
    struct watch *w = watch_new(NULL);
    sandlock_command_t *command = sandlock_command_new(policy, argv, 1, NULL);
    CHECK(command != NULL);
    set_watch(command, SANDLOCK_CATEGORY_EXEC, w);
    sandlock_error_t *err = NULL;
    CHECK(sandlock_command_run(command, &err) == NULL);
    CHECK_ERROR(err, SANDLOCK_E_NOT_FOUND, 0, "program \"/nonexistent/program\" not found");
    CHECK_INT_EQ(drops_of(w), 1);
    /* A second verb is refused and drops nothing again. */
    CHECK(sandlock_command_run(command, &err) == NULL);
    CHECK_ERROR(err, SANDLOCK_E_INVALID, 0, "the command already ran; create a new one for each run");
    sandlock_command_free(command);
    CHECK_INT_EQ(drops_of(w), 1);
    CHECK_INT_EQ(w->count, 0);
    free(w);

    /* A spawn that cannot start. */
    w = watch_new(NULL);
    command = sandlock_command_new(policy, argv, 1, NULL);
    CHECK(command != NULL);
    set_watch(command, SANDLOCK_CATEGORY_EXEC, w);
    CHECK(sandlock_command_spawn(command, &err) == NULL);
    CHECK_ERROR(err, SANDLOCK_E_NOT_FOUND, 0, "program \"/nonexistent/program\" not found");
    CHECK_INT_EQ(drops_of(w), 1);
    sandlock_command_free(command);
    CHECK_INT_EQ(drops_of(w), 1);
    free(w);

    /* An interactive run that cannot start. */
    w = watch_new(NULL);
    command = sandlock_command_new(policy, argv, 1, NULL);
    CHECK(command != NULL);
    set_watch(command, SANDLOCK_CATEGORY_EXEC, w);
    CHECK_INT_EQ(sandlock_command_run_interactive(command, &err), SANDLOCK_E_NOT_FOUND);
    CHECK_ERROR(err, SANDLOCK_E_NOT_FOUND, 0, "program \"/nonexistent/program\" not found");
    CHECK_INT_EQ(drops_of(w), 1);
    sandlock_command_free(command);
    CHECK_INT_EQ(drops_of(w), 1);
    free(w);
    sandlock_policy_free(policy);
}

void policy_fn_ud_drop_runs_once_for_a_command_never_run(void)
{
    sandlock_policy_t *policy = pf_policy();
    struct watch *w = watch_new(NULL);
    sandlock_command_t *command = shell_command(policy, "exit 0");
    set_watch(command, SANDLOCK_CATEGORY_EXEC, w);
    CHECK_INT_EQ(sandlock_command_set_policy_fn_failure(command, 50, SANDLOCK_DECISION_ALLOW, 0, NULL), SANDLOCK_OK);
    CHECK_INT_EQ(drops_of(w), 0);
    sandlock_command_free(command);
    CHECK_INT_EQ(drops_of(w), 1);
    CHECK_INT_EQ(w->count, 0);
    sandlock_policy_free(policy);
    free(w);
}

static struct counter null_ud_drops = COUNTER_INIT;

static void count_null_ud(void *ud)
{
    if (ud == NULL) {
        counter_add(&null_ud_drops);
    }
}

static uint32_t allow_all(void *ud, const sandlock_event_t *event, sandlock_control_t *control, int32_t *deny_errno)
{
    (void)ud;
    (void)event;
    (void)control;
    (void)deny_errno;
    return SANDLOCK_DECISION_ALLOW;
}

void a_second_set_policy_fn_replaces_the_first_and_drops_its_ud_at_once(void)
{
    sandlock_policy_t *policy = pf_policy();
    struct watch *first = watch_new(NULL);
    struct watch *second = watch_new(NULL);
    sandlock_command_t *command = shell_command(policy, "echo ran");
    set_watch(command, SANDLOCK_CATEGORY_EXEC, first);
    CHECK_INT_EQ(drops_of(first), 0);
    set_watch(command, SANDLOCK_CATEGORY_EXEC, second);
    /* Replaced: the first ud is the caller's again, right away. */
    CHECK_INT_EQ(drops_of(first), 1);
    CHECK_INT_EQ(drops_of(second), 0);
    sandlock_result_t *result = run_and_free(command);
    CHECK_STDOUT(result, "ran\n");
    sandlock_result_free(result);
    CHECK_INT_EQ(drops_of(first), 1);
    CHECK_INT_EQ(drops_of(second), 1);
    /* Only the second callback saw the run. */
    CHECK_INT_EQ(first->count, 0);
    CHECK_INT_EQ(second->count, 1);
    CHECK_STR_EQ(second->seen[0].args[0], "/bin/sh");

    /* A NULL ud still gets its ud_drop, once; a NULL ud_drop is allowed. */
    command = shell_command(policy, "echo null-ud");
    CHECK_INT_EQ(sandlock_command_set_policy_fn(command, SANDLOCK_CATEGORY_EXEC, allow_all, NULL, count_null_ud, NULL),
                 SANDLOCK_OK);
    CHECK_INT_EQ(sandlock_command_set_policy_fn(command, SANDLOCK_CATEGORY_EXEC, allow_all, NULL, NULL, NULL),
                 SANDLOCK_OK);
    CHECK_INT_EQ(counter_get(&null_ud_drops), 1);
    result = run_and_free(command);
    CHECK_STDOUT(result, "null-ud\n");
    sandlock_result_free(result);
    CHECK_INT_EQ(counter_get(&null_ud_drops), 1);
    sandlock_policy_free(policy);
    free(first);
    free(second);
}

void set_policy_fn_refuses_bad_arguments_and_the_ud_stays_the_callers(void)
{
    sandlock_policy_t *policy = pf_policy();
    struct watch *w = watch_new(NULL);
    sandlock_error_t *err = NULL;
    CHECK_INT_EQ(sandlock_command_set_policy_fn(NULL, SANDLOCK_CATEGORY_EXEC, watch_callback, w, watch_drop, &err),
                 SANDLOCK_E_INVALID);
    CHECK_ERROR(err, SANDLOCK_E_INVALID, 0, "command must not be NULL");
    sandlock_command_t *command = shell_command(policy, "exit 0");
    CHECK_INT_EQ(sandlock_command_set_policy_fn(command, SANDLOCK_CATEGORY_EXEC, NULL, w, watch_drop, &err),
                 SANDLOCK_E_INVALID);
    CHECK_ERROR(err, SANDLOCK_E_INVALID, 0, "callback must not be NULL");
    CHECK_INT_EQ(sandlock_command_set_policy_fn(command, 1u << 6, watch_callback, w, watch_drop, &err),
                 SANDLOCK_E_INVALID);
    CHECK_ERROR(err, SANDLOCK_E_INVALID, 0,
                "categories 0x40 holds bits that name no sandlock_category_t "
                "(PROCESS|EXEC|NETWORK|FILE|SIGNAL|PATHS)");
    /* No category at all is a valid (quiet) policy_fn. */
    CHECK_INT_EQ(sandlock_command_set_policy_fn(command, 0, watch_callback, w, watch_drop, &err), SANDLOCK_OK);
    CHECK(err == NULL);
    sandlock_result_t *result = sandlock_command_run(command, &err);
    CHECK(result != NULL);
    sandlock_result_free(result);
    CHECK_INT_EQ(drops_of(w), 1);
    CHECK_INT_EQ(w->count, 0);
    /* A command that ran takes no new policy_fn, and leaves the ud alone. */
    struct watch *late = watch_new(NULL);
    CHECK_INT_EQ(sandlock_command_set_policy_fn(command, SANDLOCK_CATEGORY_EXEC, watch_callback, late, watch_drop, &err),
                 SANDLOCK_E_INVALID);
    CHECK_ERROR(err, SANDLOCK_E_INVALID, 0, "the command already ran; its settings can no longer change");
    sandlock_command_free(command);
    CHECK_INT_EQ(drops_of(late), 0);
    CHECK_INT_EQ(drops_of(w), 1);
    sandlock_policy_free(policy);
    free(w);
    free(late);
}

/* ---- the event snapshot and its arguments ------------------------------------- */

static char long_arg[MAX_ARG_LEN - 1];

static uint32_t check_first_exec_args(struct watch *w, const sandlock_event_t *event, sandlock_control_t *control,
                                      int32_t *deny_errno)
{
    (void)control;
    (void)deny_errno;
    if (w->step++ != 0) {
        return SANDLOCK_DECISION_ALLOW;
    }
    /* Past the last argument: NULL, SANDLOCK_E_INVALID, *len reset. */
    size_t len = 99;
    EXPECT(w, sandlock_event_arg(event, event->argc, &len) == NULL);
    EXPECT(w, len == 0);
    EXPECT(w, sandlock_last_status() == SANDLOCK_E_INVALID);
    EXPECT(w, strcmp(sandlock_last_error(), "index 6 is past the event's 6 arguments (argc)") == 0);
    len = 99;
    EXPECT(w, sandlock_event_arg(event, UINT32_MAX, &len) == NULL);
    EXPECT(w, len == 0);
    EXPECT(w, strcmp(sandlock_last_error(), "index 4294967295 is past the event's 6 arguments (argc)") == 0);
    /* NULL len is allowed; the pointer is the event's and stays put. */
    const char *first = sandlock_event_arg(event, 1, NULL);
    EXPECT(w, first != NULL && strcmp(first, "") == 0);
    EXPECT(w, sandlock_event_arg(event, 1, &len) == first && len == 0);
    /* A NULL event. */
    len = 99;
    EXPECT(w, sandlock_event_arg(NULL, 0, &len) == NULL);
    EXPECT(w, len == 0);
    EXPECT(w, sandlock_last_status() == SANDLOCK_E_INVALID);
    EXPECT(w, strcmp(sandlock_last_error(), "event must not be NULL") == 0);
    return SANDLOCK_DECISION_ALLOW;
}

void event_arg_gives_every_argument_with_its_length(void)
{
    memset(long_arg, 'x', sizeof long_arg - 1);
    long_arg[sizeof long_arg - 1] = '\0';
    struct watch *w = watch_new(check_first_exec_args);
    sandlock_policy_t *policy = pf_policy();
    const char *argv[] = {"/bin/true", "", "two words", "\xc3\xa9t\xc3\xa9", long_arg, "-"};
    sandlock_command_t *command = sandlock_command_new(policy, argv, 6, NULL);
    CHECK(command != NULL);
    set_watch(command, SANDLOCK_CATEGORY_EXEC, w);
    sandlock_child_t *child = spawn_and_free(command);
    int32_t pid = sandlock_child_pid(child);
    CHECK_INT_EQ(sandlock_child_wait_for(child, -1, NULL), SANDLOCK_OK);
    CHECK_EXIT(sandlock_child_exit(child), SANDLOCK_EXIT_EXITED, 0, 0, -1);
    /* The child still holds the callback: it is dropped with the child. */
    CHECK_INT_EQ(drops_of(w), 0);
    sandlock_child_free(child);
    CHECK_INT_EQ(drops_of(w), 1);
    check_no_failure(w);
    CHECK_INT_EQ(w->count, 1);
    const struct seen *s = &w->seen[0];
    CHECK_INT_EQ(s->event.argc, 6);
    CHECK(!s->event.argv_truncated);
    for (uint32_t i = 0; i < 6; i++) {
        CHECK_STR_EQ(s->args[i], argv[i]);
        CHECK_INT_EQ(s->lens[i], strlen(argv[i]));
    }
    CHECK_INT_EQ(s->lens[3], 5);
    CHECK_INT_EQ(s->lens[4], MAX_ARG_LEN - 2);
    /* The program's own exec: the child's pid, whose parent is this process. */
    CHECK_INT_EQ(s->event.size, sizeof(sandlock_event_t));
    CHECK_INT_EQ(s->event.category, SANDLOCK_CATEGORY_EXEC);
    CHECK_INT_EQ(s->event.syscall_nr, syscall_nr("execve"));
    CHECK_INT_EQ(s->event.pid, pid);
    CHECK_INT_EQ(s->event.ppid, getpid());
    CHECK(s->event.race_free);
    CHECK(!s->event.denied_by_policy);
    check_other_fields_are_defaults(&s->event);
    sandlock_policy_free(policy);
    free(w);
}

void process_events_describe_a_fork_and_a_thread(void)
{
    struct watch *w = watch_new(NULL);
    sandlock_policy_t *policy = pf_policy();
    const char *fork_args[] = {"fork"};
    sandlock_command_t *command = probe_command(policy, fork_args, 1);
    set_watch(command, SANDLOCK_CATEGORY_PROCESS | SANDLOCK_CATEGORY_EXEC, w);
    int out[2];
    make_pipe(out);
    CHECK_INT_EQ(sandlock_command_set_stdout(command, out[1], NULL), SANDLOCK_OK);
    CHECK_INT_EQ(close(out[1]), 0);
    sandlock_child_t *child = spawn_and_free(command);
    int32_t pid = sandlock_child_pid(child);
    char *printed = read_to_end(out[0], NULL);
    CHECK_INT_EQ(close(out[0]), 0);
    CHECK_STR_EQ(printed, "child 7\n");
    free(printed);
    CHECK_INT_EQ(sandlock_child_wait_for(child, -1, NULL), SANDLOCK_OK);
    sandlock_child_free(child);
    check_no_failure(w);
    /* The probe's exec, then its clone(SIGCHLD), both by the probe. */
    CHECK_INT_EQ(w->count, 2);
    const sandlock_event_t *exec = &w->seen[0].event;
    const sandlock_event_t *fork = &w->seen[1].event;
    CHECK_INT_EQ(exec->category, SANDLOCK_CATEGORY_EXEC);
    CHECK_INT_EQ(fork->category, SANDLOCK_CATEGORY_PROCESS);
    CHECK_STR_EQ(name_of(fork), "clone");
    CHECK_INT_EQ(fork->clone_flags, SIGCHLD);
    CHECK(!fork->thread);
    CHECK_INT_EQ(fork->pid, pid);
    CHECK_INT_EQ(fork->ppid, getpid());
    CHECK(fork->race_free);
    CHECK(!fork->denied_by_policy);
    check_other_fields_are_defaults(fork);
    free(w);

    /* A thread: glibc's clone3 is refused (ENOSYS), its clone is the event. */
    w = watch_new(NULL);
    const char *thread_args[] = {"thread"};
    command = probe_command(policy, thread_args, 1);
    set_watch(command, SANDLOCK_CATEGORY_PROCESS, w);
    sandlock_result_t *result = run_and_free(command);
    CHECK_STDOUT(result, "thread ok\n");
    sandlock_result_free(result);
    check_no_failure(w);
    CHECK_INT_EQ(w->count, 1);
    const sandlock_event_t *thread = &w->seen[0].event;
    CHECK_STR_EQ(name_of(thread), "clone");
    CHECK(thread->thread);
    uint64_t needed = CLONE_VM | CLONE_SIGHAND | CLONE_THREAD;
    CHECK_INT_EQ(thread->clone_flags & needed, needed);
    CHECK(thread->race_free);
    check_other_fields_are_defaults(thread);
    sandlock_policy_free(policy);
    free(w);
}

/* ---- network: host, port, denied_by_policy ---------------------------------- */

static uint32_t deny_third_connect(struct watch *w, const sandlock_event_t *event, sandlock_control_t *control,
                                   int32_t *deny_errno)
{
    (void)control;
    if (event->category == SANDLOCK_CATEGORY_NETWORK && ++w->step == 3) {
        *deny_errno = ENETUNREACH;
        return SANDLOCK_DECISION_DENY;
    }
    return SANDLOCK_DECISION_ALLOW;
}

void network_events_carry_the_host_and_port_of_a_connect(void)
{
    uint16_t granted = 0;
    uint16_t other = 0;
    int granted_fd = open_listener(&granted);
    int other_fd = open_listener(&other);
    sandlock_policy_t *policy = pf_policy();
    CHECK_INT_EQ(sandlock_policy_net_connect_tcp(policy, granted), SANDLOCK_OK);
    char script[256];
    snprintf(script, sizeof script, "@ connect %u; @ connect %u; @ connect %u", granted, other, granted);
    struct watch *w = watch_new(deny_third_connect);
    sandlock_result_t *result = run_watched(policy, script, SANDLOCK_CATEGORY_NETWORK, w);
    /* The grant reached the listener; the other port is Landlock's EACCES
     * although the callback allowed it; the third the callback denied. */
    CHECK_STDOUT(result, "ok\nerrno 13\nerrno 101\n");
    CHECK_INT_EQ(accepted(granted_fd), 1);
    CHECK_INT_EQ(accepted(other_fd), 0);
    sandlock_result_free(result);
    check_no_failure(w);
    CHECK_INT_EQ(w->count, 3);
    const uint16_t ports[] = {granted, other, granted};
    for (int i = 0; i < 3; i++) {
        const sandlock_event_t *e = &w->seen[i].event;
        CHECK_INT_EQ(e->category, SANDLOCK_CATEGORY_NETWORK);
        CHECK_STR_EQ(name_of(e), "connect");
        CHECK_INT_EQ(e->net_op, SANDLOCK_NET_CONNECT);
        CHECK_INT_EQ(e->family, AF_INET);
        CHECK_INT_EQ(e->addr_family, AF_INET);
        const uint8_t loopback[16] = {127, 0, 0, 1};
        CHECK(memcmp(e->addr, loopback, sizeof loopback) == 0);
        CHECK_INT_EQ(e->port, ports[i]);
        CHECK(e->race_free);
        CHECK_INT_EQ(e->denied_by_policy, i == 1);
        check_other_fields_are_defaults(e);
    }
    sandlock_policy_free(policy);
    CHECK_INT_EQ(close(granted_fd), 0);
    CHECK_INT_EQ(close(other_fd), 0);
    free(w);
}

/* ---- file and signal events ------------------------------------------------- */

static const uint64_t append_flags = O_WRONLY | O_APPEND | O_CLOEXEC;

static uint32_t deny_append_and_sigcont(struct watch *w, const sandlock_event_t *event, sandlock_control_t *control,
                                        int32_t *deny_errno)
{
    (void)w;
    (void)control;
    if (event->category == SANDLOCK_CATEGORY_FILE && event->open_flags == append_flags) {
        *deny_errno = EROFS;
        return SANDLOCK_DECISION_DENY;
    }
    if (event->category == SANDLOCK_CATEGORY_SIGNAL && event->signal == SIGCONT) {
        *deny_errno = ESRCH;
        return SANDLOCK_DECISION_DENY;
    }
    return SANDLOCK_DECISION_ALLOW;
}

void file_and_signal_events_carry_flags_target_and_signal(void)
{
    struct watch *w = watch_new(deny_append_and_sigcont);
    sandlock_policy_t *policy = pf_policy();
    sandlock_result_t *result =
        run_watched(policy, "@ open-append /dev/null; @ open /dev/null; @ kill 0 18; @ kill 0 0",
                    SANDLOCK_CATEGORY_FILE | SANDLOCK_CATEGORY_SIGNAL, w);
    CHECK_STDOUT(result, "errno 30\nok\nerrno 3\nok\n");
    sandlock_result_free(result);
    check_no_failure(w);
    const struct seen *opens[MAX_SEEN];
    size_t n = seen_in(w, SANDLOCK_CATEGORY_FILE, opens, MAX_SEEN);
    int appends = 0;
    for (size_t i = 0; i < n; i++) {
        const sandlock_event_t *e = &opens[i]->event;
        CHECK_STR_EQ(name_of(e), "openat");
        CHECK(e->race_free);
        check_other_fields_are_defaults(e);
        if (e->open_flags == append_flags) {
            appends++;
        }
    }
    CHECK_INT_EQ(appends, 1);
    const struct seen *signals[4];
    CHECK_INT_EQ(seen_in(w, SANDLOCK_CATEGORY_SIGNAL, signals, 4), 2);
    for (int i = 0; i < 2; i++) {
        const sandlock_event_t *e = &signals[i]->event;
        CHECK_STR_EQ(name_of(e), "kill");
        CHECK_INT_EQ(e->signal_target, 0);
        CHECK_INT_EQ(e->signal, i == 0 ? SIGCONT : 0);
        CHECK(e->race_free);
        CHECK(!e->denied_by_policy);
        check_other_fields_are_defaults(e);
    }
    sandlock_policy_free(policy);
    free(w);
}

/* ---- decisions and the failure outcome ------------------------------------- */

/* The answer the next appending open gets from `answer_append`. */
static uint32_t append_answer;
static int32_t append_errno;

static uint32_t answer_append(struct watch *w, const sandlock_event_t *event, sandlock_control_t *control,
                              int32_t *deny_errno)
{
    (void)w;
    (void)control;
    if (event->category == SANDLOCK_CATEGORY_FILE && event->open_flags == append_flags) {
        *deny_errno = append_errno;
        return append_answer;
    }
    return SANDLOCK_DECISION_ALLOW;
}

/* What `probe open-append /dev/null` prints when its open gets `answer`
 * (with `errnum` in *deny_errno), with the failure outcome set to
 * `on_failure`/`on_failure_errno` unless `on_failure` is UINT32_MAX; the
 * number of events flagged in *flagged. */
static void check_append_answer(uint32_t answer, int32_t errnum, uint32_t on_failure, int32_t on_failure_errno,
                                const char *expected, int64_t flagged)
{
    append_answer = answer;
    append_errno = errnum;
    struct watch *w = watch_new(answer_append);
    sandlock_policy_t *policy = pf_policy();
    sandlock_command_t *command = shell_command(policy, "@ open-append /dev/null");
    set_watch(command, SANDLOCK_CATEGORY_FILE, w);
    if (on_failure != UINT32_MAX) {
        CHECK_INT_EQ(sandlock_command_set_policy_fn_failure(command, 1000, on_failure, on_failure_errno, NULL),
                     SANDLOCK_OK);
    }
    sandlock_result_t *result = run_and_free(command);
    CHECK_STDOUT(result, expected);
    CHECK_INT_EQ(sandlock_result_flagged_count(result), flagged);
    if (flagged > 0) {
        const sandlock_event_t *e = sandlock_result_flagged_event(result, 0);
        CHECK(e != NULL);
        CHECK_INT_EQ(e->category, SANDLOCK_CATEGORY_FILE);
        CHECK_INT_EQ(e->open_flags, append_flags);
    }
    sandlock_result_free(result);
    CHECK_INT_EQ(drops_of(w), 1);
    check_no_failure(w);
    sandlock_policy_free(policy);
    free(w);
}

void decisions_allow_deny_with_errno_and_flag(void)
{
    check_append_answer(SANDLOCK_DECISION_ALLOW, 0, UINT32_MAX, 0, "ok\n", 0);
    check_append_answer(SANDLOCK_DECISION_DENY, EROFS, UINT32_MAX, 0, "errno 30\n", 0);
    /* *deny_errno is preset to EPERM, and the highest errno goes through. */
    check_append_answer(SANDLOCK_DECISION_DENY, EPERM, UINT32_MAX, 0, "errno 1\n", 0);
    check_append_answer(SANDLOCK_DECISION_DENY, 4095, UINT32_MAX, 0, "errno 4095\n", 0);
    check_append_answer(SANDLOCK_DECISION_FLAG, 0, UINT32_MAX, 0, "ok\n", 1);
}

void an_answer_that_is_no_decision_gets_the_failure_outcome(void)
{
    /* The default failure outcome: DENY with EPERM. */
    check_append_answer(7, 0, UINT32_MAX, 0, "errno 1\n", 0);
    check_append_answer(UINT32_MAX, 0, UINT32_MAX, 0, "errno 1\n", 0);
    /* DENY with an errno outside 1..=4095 is no decision either. */
    check_append_answer(SANDLOCK_DECISION_DENY, 0, UINT32_MAX, 0, "errno 1\n", 0);
    check_append_answer(SANDLOCK_DECISION_DENY, 4096, UINT32_MAX, 0, "errno 1\n", 0);
    check_append_answer(SANDLOCK_DECISION_DENY, -5, SANDLOCK_DECISION_DENY, EIO, "errno 5\n", 0);
    /* Each failure outcome a command can set. */
    check_append_answer(7, 0, SANDLOCK_DECISION_DENY, EIO, "errno 5\n", 0);
    check_append_answer(7, 0, SANDLOCK_DECISION_ALLOW, 0, "ok\n", 0);
    check_append_answer(7, 0, SANDLOCK_DECISION_FLAG, 0, "ok\n", 1);
}

/* ---- the time limit ---------------------------------------------------------- */

static uint32_t sleep_on_append(struct watch *w, const sandlock_event_t *event, sandlock_control_t *control,
                                int32_t *deny_errno)
{
    (void)control;
    if (event->category == SANDLOCK_CATEGORY_FILE && event->open_flags == append_flags) {
        sleep_ms(1500);
        /* The ud is still alive: its ud_drop waits for this callback. */
        pthread_mutex_lock(&w->lock);
        w->drops_when_woken = w->drops.value;
        pthread_mutex_unlock(&w->lock);
        /* An answer nobody reads any more. */
        return SANDLOCK_DECISION_FLAG;
    }
    if (event->category == SANDLOCK_CATEGORY_SIGNAL) {
        *deny_errno = ESRCH;
        return SANDLOCK_DECISION_DENY;
    }
    return SANDLOCK_DECISION_ALLOW;
}

void a_callback_past_its_time_limit_gets_the_failure_decision_and_holds_nothing_up(void)
{
    struct watch *w = watch_new(sleep_on_append);
    sandlock_policy_t *policy = pf_policy();
    sandlock_command_t *command = shell_command(policy, "@ open-append /dev/null; @ kill 0 18");
    set_watch(command, SANDLOCK_CATEGORY_FILE | SANDLOCK_CATEGORY_SIGNAL, w);
    CHECK_INT_EQ(sandlock_command_set_policy_fn_failure(command, 200, SANDLOCK_DECISION_DENY, EIO, NULL), SANDLOCK_OK);
    double start = now_seconds();
    sandlock_result_t *result = run_and_free(command);
    double elapsed = now_seconds() - start;
    /* The open got the failure decision after 200 ms; the kill was given
     * to a new worker while the first still slept. */
    CHECK_STDOUT(result, "errno 5\nerrno 3\n");
    CHECK(elapsed < 1.2);
    CHECK_INT_EQ(sandlock_result_flagged_count(result), 0);
    sandlock_result_free(result);
    pthread_mutex_lock(&w->lock);
    CHECK_INT_EQ(w->max_in_flight, 2);
    pthread_mutex_unlock(&w->lock);
    /* The sleeper still holds the ud; ud_drop runs once it returned. */
    CHECK_INT_EQ(drops_of(w), 0);
    wait_for_drops(w, 1);
    pthread_mutex_lock(&w->lock);
    CHECK_INT_EQ(w->drops_when_woken, 0);
    pthread_mutex_unlock(&w->lock);
    sleep_ms(50);
    CHECK_INT_EQ(drops_of(w), 1);
    check_no_failure(w);
    sandlock_policy_free(policy);
    free(w);
}

void set_policy_fn_failure_refuses_bad_values(void)
{
    sandlock_policy_t *policy = pf_policy();
    sandlock_command_t *command = shell_command(policy, "exit 0");
    sandlock_error_t *err = NULL;
    CHECK_INT_EQ(sandlock_command_set_policy_fn_failure(command, 100, SANDLOCK_DECISION_ALLOW, 0, &err),
                 SANDLOCK_E_INVALID);
    CHECK_ERROR(err, SANDLOCK_E_INVALID, 0,
                "the command has no policy_fn: call sandlock_command_set_policy_fn first");
    CHECK_INT_EQ(sandlock_command_set_policy_fn_failure(NULL, 100, SANDLOCK_DECISION_ALLOW, 0, &err),
                 SANDLOCK_E_INVALID);
    CHECK_ERROR(err, SANDLOCK_E_INVALID, 0, "command must not be NULL");
    struct watch *w = watch_new(NULL);
    set_watch(command, SANDLOCK_CATEGORY_EXEC, w);
    CHECK_INT_EQ(sandlock_command_set_policy_fn_failure(command, 0, SANDLOCK_DECISION_ALLOW, 0, &err),
                 SANDLOCK_E_INVALID);
    CHECK_ERROR(err, SANDLOCK_E_INVALID, 0, "time_limit_ms must be at least 1");
    CHECK_INT_EQ(sandlock_command_set_policy_fn_failure(command, 100, 3, 0, &err), SANDLOCK_E_INVALID);
    CHECK_ERROR(err, SANDLOCK_E_INVALID, 0, "on_failure 3 is no sandlock_decision_t value");
    CHECK_INT_EQ(sandlock_command_set_policy_fn_failure(command, 100, SANDLOCK_DECISION_DENY, 0, &err),
                 SANDLOCK_E_INVALID);
    CHECK_ERROR(err, SANDLOCK_E_INVALID, 0, "on_failure_errno 0 is not an errno (1..=4095)");
    CHECK_INT_EQ(sandlock_command_set_policy_fn_failure(command, 100, SANDLOCK_DECISION_DENY, 4096, &err),
                 SANDLOCK_E_INVALID);
    CHECK_ERROR(err, SANDLOCK_E_INVALID, 0, "on_failure_errno 4096 is not an errno (1..=4095)");
    /* The errno of a decision other than DENY is ignored. */
    CHECK_INT_EQ(sandlock_command_set_policy_fn_failure(command, 1, SANDLOCK_DECISION_FLAG, -1, &err), SANDLOCK_OK);
    CHECK(err == NULL);
    CHECK_INT_EQ(sandlock_command_set_policy_fn_failure(command, UINT32_MAX, SANDLOCK_DECISION_DENY, 4095, &err),
                 SANDLOCK_OK);
    sandlock_result_t *result = sandlock_command_run(command, &err);
    CHECK(result != NULL);
    sandlock_result_free(result);
    CHECK_INT_EQ(sandlock_command_set_policy_fn_failure(command, 100, SANDLOCK_DECISION_ALLOW, 0, &err),
                 SANDLOCK_E_INVALID);
    CHECK_ERROR(err, SANDLOCK_E_INVALID, 0, "the command already ran; its settings can no longer change");
    sandlock_command_free(command);
    CHECK_INT_EQ(drops_of(w), 1);
    sandlock_policy_free(policy);
    free(w);
}

/* ---- the control handle --------------------------------------------------------- */

static sandlock_destination_t destination(int family, const char *addr, uint8_t prefix, int32_t port)
{
    sandlock_destination_t d;
    memset(&d, 0, sizeof d);
    d.family = family;
    if (family == AF_INET || family == AF_INET6) {
        CHECK_INT_EQ(inet_pton(family, addr, d.addr), 1);
    }
    d.prefix = prefix;
    d.port = port;
    return d;
}

/* On `/bin/true restrict`: connects may reach only 127.0.0.1:w->port (and
 * ::1); then refusals of bad destinations, and a wider set that widens
 * nothing. */
static uint32_t restrict_on_true(struct watch *w, const sandlock_event_t *event, sandlock_control_t *control,
                                 int32_t *deny_errno)
{
    (void)deny_errno;
    if (!exec_of(event, "/bin/true", "restrict")) {
        return SANDLOCK_DECISION_ALLOW;
    }
    sandlock_error_t *err = NULL;
    sandlock_destination_t only[] = {destination(AF_INET, "127.0.0.1", 32, w->port),
                                     destination(AF_INET6, "::1", 128, -1)};
    EXPECT_STATUS(w, sandlock_control_restrict_connect(control, only, 2, &err), err, SANDLOCK_OK, NULL);
    err = NULL;
    sandlock_destination_t wide[] = {destination(AF_INET, "127.0.0.0", 8, -1)};
    EXPECT_STATUS(w, sandlock_control_restrict_connect(control, wide, 1, &err), err, SANDLOCK_OK, NULL);
    err = NULL;
    sandlock_destination_t unix_family[] = {wide[0], destination(AF_UNIX, NULL, 0, -1)};
    EXPECT_STATUS(w, sandlock_control_restrict_connect(control, unix_family, 2, &err), err, SANDLOCK_E_INVALID,
                  "destinations[1].family 1 is neither AF_INET nor AF_INET6");
    err = NULL;
    sandlock_destination_t big_port[] = {destination(AF_INET, "127.0.0.1", 32, 70000)};
    EXPECT_STATUS(w, sandlock_control_restrict_connect(control, big_port, 1, &err), err, SANDLOCK_E_INVALID,
                  "destinations[0].port 70000 is not a port (1..=65535, or -1 for any)");
    err = NULL;
    sandlock_destination_t zero_port[] = {destination(AF_INET, "127.0.0.1", 32, 0)};
    EXPECT_STATUS(w, sandlock_control_restrict_connect(control, zero_port, 1, &err), err, SANDLOCK_E_INVALID,
                  "port 0 is not a valid TCP port for restrict_connect");
    err = NULL;
    sandlock_destination_t long_prefix[] = {destination(AF_INET, "127.0.0.1", 33, -1)};
    EXPECT_STATUS(w, sandlock_control_restrict_connect(control, long_prefix, 1, &err), err, SANDLOCK_E_INVALID,
                  "invalid value for restrict_connect: prefix /33 is longer than an address of 127.0.0.1 (32 bits)");
    err = NULL;
    EXPECT_STATUS(w, sandlock_control_restrict_connect(control, NULL, 1, &err), err, SANDLOCK_E_INVALID,
                  "destinations must not be NULL when count is 1");
    err = NULL;
    EXPECT_STATUS(w, sandlock_control_restrict_connect(NULL, only, 1, &err), err, SANDLOCK_E_INVALID,
                  "control must not be NULL");
    return SANDLOCK_DECISION_ALLOW;
}

void control_restrict_connect_narrows_later_connects(void)
{
    uint16_t kept = 0;
    uint16_t cut = 0;
    int kept_fd = open_listener(&kept);
    int cut_fd = open_listener(&cut);
    sandlock_policy_t *policy = pf_policy();
    CHECK_INT_EQ(sandlock_policy_net_connect_tcp(policy, kept), SANDLOCK_OK);
    CHECK_INT_EQ(sandlock_policy_net_connect_tcp(policy, cut), SANDLOCK_OK);
    char script[256];
    snprintf(script, sizeof script, "@ connect %u; @ connect %u; /bin/true restrict; @ connect %u; @ connect %u", kept,
             cut, kept, cut);
    struct watch *w = watch_new(restrict_on_true);
    w->port = kept;
    /* EXEC only: connects are still mediated once restricted. */
    sandlock_result_t *result = run_watched(policy, script, SANDLOCK_CATEGORY_EXEC, w);
    CHECK_STDOUT(result, "ok\nok\nok\nerrno 13\n");
    sandlock_result_free(result);
    check_no_failure(w);
    CHECK_INT_EQ(accepted(kept_fd), 2);
    CHECK_INT_EQ(accepted(cut_fd), 1);
    sandlock_policy_free(policy);
    CHECK_INT_EQ(close(kept_fd), 0);
    CHECK_INT_EQ(close(cut_fd), 0);
    free(w);
}

/* On `/bin/true lower`: at most 2 tasks; a higher limit later raises nothing. */
static uint32_t lower_processes_on_true(struct watch *w, const sandlock_event_t *event, sandlock_control_t *control,
                                        int32_t *deny_errno)
{
    (void)deny_errno;
    if (!exec_of(event, "/bin/true", "lower")) {
        return SANDLOCK_DECISION_ALLOW;
    }
    sandlock_error_t *err = NULL;
    EXPECT_STATUS(w, sandlock_control_lower_max_processes(control, 2, &err), err, SANDLOCK_OK, NULL);
    err = NULL;
    EXPECT_STATUS(w, sandlock_control_lower_max_processes(control, 100, &err), err, SANDLOCK_OK, NULL);
    err = NULL;
    EXPECT_STATUS(w, sandlock_control_lower_max_processes(control, 0, &err), err, SANDLOCK_E_INVALID,
                  "limit max_processes must be greater than zero");
    err = NULL;
    EXPECT_STATUS(w, sandlock_control_lower_max_processes(NULL, 2, &err), err, SANDLOCK_E_INVALID,
                  "control must not be NULL");
    return SANDLOCK_DECISION_ALLOW;
}

void control_lower_max_processes_makes_later_forks_fail(void)
{
    struct watch *w = watch_new(lower_processes_on_true);
    sandlock_policy_t *policy = pf_policy();
    /* sh alone may still start the probe (2 tasks); the probe's own fork
     * would make 3. */
    sandlock_result_t *result = run_watched(policy, "@ fork; /bin/true lower; @ fork", SANDLOCK_CATEGORY_EXEC, w);
    CHECK_STDOUT(result, "child 7\nerrno 11\n");
    sandlock_result_free(result);
    check_no_failure(w);
    sandlock_policy_free(policy);
    free(w);
}

/* On `/bin/true lower`: RLIMIT_AS at most 1 GiB; 2 GiB later raises nothing. */
static uint32_t lower_memory_on_true(struct watch *w, const sandlock_event_t *event, sandlock_control_t *control,
                                     int32_t *deny_errno)
{
    (void)deny_errno;
    if (!exec_of(event, "/bin/true", "lower")) {
        return SANDLOCK_DECISION_ALLOW;
    }
    sandlock_error_t *err = NULL;
    EXPECT_STATUS(w, sandlock_control_lower_max_memory(control, 1ULL << 30, &err), err, SANDLOCK_OK, NULL);
    err = NULL;
    EXPECT_STATUS(w, sandlock_control_lower_max_memory(control, 2ULL << 30, &err), err, SANDLOCK_OK, NULL);
    err = NULL;
    EXPECT_STATUS(w, sandlock_control_lower_max_memory(control, 0, &err), err, SANDLOCK_E_INVALID,
                  "limit max_memory must be greater than zero");
    err = NULL;
    EXPECT_STATUS(w, sandlock_control_lower_max_memory(NULL, 1ULL << 30, &err), err, SANDLOCK_E_INVALID,
                  "control must not be NULL");
    return SANDLOCK_DECISION_ALLOW;
}

void control_lower_max_memory_lowers_the_address_space_limit(void)
{
    struct watch *w = watch_new(lower_memory_on_true);
    sandlock_policy_t *policy = pf_policy();
    sandlock_result_t *result =
        run_watched(policy, "@ rlimit-as; /bin/true lower; @ rlimit-as", SANDLOCK_CATEGORY_EXEC, w);
    CHECK_STDOUT(result, "unlimited unlimited\n1073741824 1073741824\n");
    sandlock_result_free(result);
    check_no_failure(w);
    sandlock_policy_free(policy);
    free(w);
}

/* On `/bin/true deny`: deny w->path, after the refusals of bad paths. */
static uint32_t deny_path_on_true(struct watch *w, const sandlock_event_t *event, sandlock_control_t *control,
                                  int32_t *deny_errno)
{
    (void)deny_errno;
    if (!exec_of(event, "/bin/true", "deny")) {
        return SANDLOCK_DECISION_ALLOW;
    }
    sandlock_error_t *err = NULL;
    int status = sandlock_control_deny_path(control, w->path, &err);
    pthread_mutex_lock(&w->lock);
    w->stale_statuses[w->stale_count++] = status;
    pthread_mutex_unlock(&w->lock);
    if (status == SANDLOCK_OK) {
        EXPECT(w, err == NULL);
        err = NULL;
        EXPECT_STATUS(w, sandlock_control_deny_path(control, NULL, &err), err, SANDLOCK_E_INVALID,
                      "path must not be NULL");
        err = NULL;
        EXPECT_STATUS(w, sandlock_control_deny_path(control, "relative/secret", &err), err, SANDLOCK_E_INVALID,
                      "path \"relative/secret\" must be absolute (policy paths are never resolved "
                      "against the caller's directory)");
        err = NULL;
        EXPECT_STATUS(w, sandlock_control_deny_path(control, "/nonexistent/sandlock-c-test", &err), err,
                      SANDLOCK_E_NOT_FOUND,
                      "path \"/nonexistent/sandlock-c-test\" does not exist or cannot be opened: No such file or "
                      "directory (os error 2)");
        err = NULL;
        EXPECT_STATUS(w, sandlock_control_deny_path(NULL, "/etc", &err), err, SANDLOCK_E_INVALID,
                      "control must not be NULL");
    } else {
        EXPECT_STATUS(w, status, err, SANDLOCK_E_INVALID,
                      "invalid value for deny_path: this policy_fn does not control paths: give it Category::PATHS");
    }
    return SANDLOCK_DECISION_ALLOW;
}

/* The probe's output for `cat F; /bin/true deny; cat F` with the policy_fn
 * watching `categories`. */
static void check_deny_path(uint32_t categories, const char *expected, int expected_status)
{
    char dir[64];
    make_temp_dir(dir, sizeof dir);
    char secret[128];
    join_path(secret, sizeof secret, dir, "secret");
    write_file(secret, "hidden\n");
    sandlock_policy_t *policy = pf_policy();
    CHECK_INT_EQ(sandlock_policy_fs_read(policy, dir), SANDLOCK_OK);
    char script[512];
    snprintf(script, sizeof script, "@ cat %s; /bin/true deny; @ cat %s", secret, secret);
    struct watch *w = watch_new(deny_path_on_true);
    w->path = secret;
    sandlock_result_t *result = run_watched(policy, script, categories, w);
    CHECK_STDOUT(result, expected);
    sandlock_result_free(result);
    check_no_failure(w);
    CHECK_INT_EQ(w->stale_count, 1);
    CHECK_INT_EQ(w->stale_statuses[0], expected_status);
    /* The host still reads it: the deny is the sandbox's. */
    FILE *file = fopen(secret, "r");
    CHECK(file != NULL);
    CHECK_INT_EQ(fclose(file), 0);
    remove_temp_dir(dir);
    sandlock_policy_free(policy);
    free(w);
}

void control_deny_path_needs_the_paths_category(void)
{
    check_deny_path(SANDLOCK_CATEGORY_EXEC, "hidden\nhidden\n", SANDLOCK_E_INVALID);
}

void control_deny_path_makes_a_file_unreadable_mid_run(void)
{
    check_deny_path(SANDLOCK_CATEGORY_EXEC | SANDLOCK_CATEGORY_PATHS, "hidden\nerrno 13\n", SANDLOCK_OK);
}

/* Keeps the first exec's control handle, and tries it from later callbacks. */
static uint32_t keep_first_control(struct watch *w, const sandlock_event_t *event, sandlock_control_t *control,
                                   int32_t *deny_errno)
{
    (void)deny_errno;
    if (event->category != SANDLOCK_CATEGORY_EXEC) {
        return SANDLOCK_DECISION_ALLOW;
    }
    if (w->kept_control == 0) {
        w->kept_control = (uintptr_t)control;
        return SANDLOCK_DECISION_ALLOW;
    }
    /* The same worker thread, maybe the same stack address: still expired. */
    sandlock_error_t *err = NULL;
    int status = sandlock_control_lower_max_processes((const sandlock_control_t *)w->kept_control, 1, &err);
    EXPECT_STATUS(w, status, err, SANDLOCK_E_INVALID,
                  "the control handle is only valid while its policy_fn callback runs");
    pthread_mutex_lock(&w->lock);
    w->stale_statuses[w->stale_count++ % 4] = status;
    pthread_mutex_unlock(&w->lock);
    /* This callback's own handle works. */
    EXPECT(w, sandlock_control_lower_max_processes(control, 1000, NULL) == SANDLOCK_OK);
    return SANDLOCK_DECISION_ALLOW;
}

void a_control_handle_is_refused_after_its_callback_returned(void)
{
    struct watch *w = watch_new(keep_first_control);
    sandlock_policy_t *policy = pf_policy();
    sandlock_result_t *result = run_watched(policy, "/bin/true; /bin/true", SANDLOCK_CATEGORY_EXEC, w);
    CHECK_STDOUT(result, "");
    sandlock_result_free(result);
    check_no_failure(w);
    CHECK_INT_EQ(w->stale_count, 2);
    CHECK(w->kept_control != 0);
    /* After the run, every control call refuses the kept handle. */
    const sandlock_control_t *old = (const sandlock_control_t *)w->kept_control;
    const char *expired = "the control handle is only valid while its policy_fn callback runs";
    sandlock_error_t *err = NULL;
    sandlock_destination_t any = destination(AF_INET, "127.0.0.1", 32, -1);
    CHECK_INT_EQ(sandlock_control_restrict_connect(old, &any, 1, &err), SANDLOCK_E_INVALID);
    CHECK_ERROR(err, SANDLOCK_E_INVALID, 0, expired);
    CHECK_INT_EQ(sandlock_control_lower_max_processes(old, 1, &err), SANDLOCK_E_INVALID);
    CHECK_ERROR(err, SANDLOCK_E_INVALID, 0, expired);
    CHECK_INT_EQ(sandlock_control_lower_max_memory(old, 1, &err), SANDLOCK_E_INVALID);
    CHECK_ERROR(err, SANDLOCK_E_INVALID, 0, expired);
    CHECK_INT_EQ(sandlock_control_deny_path(old, "/etc", &err), SANDLOCK_E_INVALID);
    CHECK_ERROR(err, SANDLOCK_E_INVALID, 0, expired);
    /* Without an err slot, through the thread's last error. */
    CHECK_INT_EQ(sandlock_control_deny_path(old, "/etc", NULL), SANDLOCK_E_INVALID);
    CHECK_LAST_ERROR(SANDLOCK_E_INVALID, expired);
    sandlock_policy_free(policy);
    free(w);
}

/* ---- flagged events ------------------------------------------------------------ */

static uint32_t flag_ls(struct watch *w, const sandlock_event_t *event, sandlock_control_t *control,
                        int32_t *deny_errno)
{
    (void)w;
    (void)control;
    (void)deny_errno;
    return exec_of(event, "ls", NULL) || exec_of(event, "/bin/true", "flag-me") ? SANDLOCK_DECISION_FLAG
                                                                                : SANDLOCK_DECISION_ALLOW;
}

void a_result_lists_the_flagged_events(void)
{
    struct watch *w = watch_new(flag_ls);
    sandlock_policy_t *policy = pf_policy();
    sandlock_result_t *result =
        run_watched(policy, "PATH=/usr/bin; ls -d /usr; /bin/true; ls -d /bin", SANDLOCK_CATEGORY_EXEC, w);
    CHECK_STDOUT(result, "/usr\n/bin\n");
    check_no_failure(w);
    CHECK_INT_EQ(sandlock_result_flagged_count(result), 2);
    CHECK_INT_EQ(sandlock_result_flagged_dropped(result), 0);
    const char *dirs[] = {"/usr", "/bin"};
    for (size_t i = 0; i < 2; i++) {
        const sandlock_event_t *e = sandlock_result_flagged_event(result, i);
        CHECK(e != NULL);
        /* The same pointer each time: the result owns it. */
        CHECK(sandlock_result_flagged_event(result, i) == e);
        CHECK_INT_EQ(e->size, sizeof(sandlock_event_t));
        CHECK_INT_EQ(e->category, SANDLOCK_CATEGORY_EXEC);
        CHECK_STR_EQ(name_of(e), "execve");
        CHECK_INT_EQ(e->argc, 3);
        size_t len = 0;
        CHECK_STR_EQ(sandlock_event_arg(e, 0, &len), "ls");
        CHECK_INT_EQ(len, 2);
        CHECK_STR_EQ(sandlock_event_arg(e, 2, &len), dirs[i]);
        CHECK_INT_EQ(len, 4);
        CHECK(sandlock_event_arg(e, 3, &len) == NULL);
        CHECK_LAST_ERROR(SANDLOCK_E_INVALID, "index 3 is past the event's 3 arguments (argc)");
        CHECK(e->race_free);
        check_other_fields_are_defaults(e);
    }
    CHECK(sandlock_result_flagged_event(result, 2) == NULL);
    CHECK_LAST_ERROR(SANDLOCK_E_INVALID, "index 2 is past the 2 flagged events");
    CHECK(sandlock_result_flagged_event(result, SIZE_MAX) == NULL);
    CHECK_LAST_ERROR(SANDLOCK_E_INVALID, "index 18446744073709551615 is past the 2 flagged events");
    sandlock_result_free(result);
    sandlock_policy_free(policy);
    free(w);
}

static uint32_t flag_every_open(struct watch *w, const sandlock_event_t *event, sandlock_control_t *control,
                                int32_t *deny_errno)
{
    (void)w;
    (void)control;
    (void)deny_errno;
    return event->category == SANDLOCK_CATEGORY_FILE ? SANDLOCK_DECISION_FLAG : SANDLOCK_DECISION_ALLOW;
}

void a_result_keeps_ten_thousand_flagged_events_and_counts_the_rest(void)
{
    struct watch *w = watch_new(flag_every_open);
    sandlock_policy_t *policy = pf_policy();
    const char *args[] = {"open-many", "10100", "/dev/null"};
    sandlock_command_t *command = probe_command(policy, args, 3);
    set_watch(command, SANDLOCK_CATEGORY_FILE, w);
    sandlock_result_t *result = run_and_free(command);
    CHECK_STDOUT(result, "ok\n");
    check_no_failure(w);
    /* The loader's opens come first; every open was flagged. */
    CHECK(w->flags >= 10100);
    CHECK_INT_EQ(sandlock_result_flagged_count(result), 10000);
    CHECK_INT_EQ(sandlock_result_flagged_dropped(result), w->flags - 10000);
    const sandlock_event_t *last = sandlock_result_flagged_event(result, 9999);
    CHECK(last != NULL);
    CHECK_INT_EQ(last->category, SANDLOCK_CATEGORY_FILE);
    CHECK_INT_EQ(last->open_flags, O_RDONLY | O_CLOEXEC);
    CHECK(sandlock_result_flagged_event(result, 10000) == NULL);
    CHECK_LAST_ERROR(SANDLOCK_E_INVALID, "index 10000 is past the 10000 flagged events");
    sandlock_result_free(result);
    sandlock_policy_free(policy);
    free(w);
}

void a_spawned_child_lists_its_flagged_events_while_it_runs(void)
{
    struct watch *w = watch_new(flag_ls);
    sandlock_policy_t *policy = pf_policy();
    sandlock_command_t *command = shell_command(policy, "/bin/true flag-me; exec @ pause");
    set_watch(command, SANDLOCK_CATEGORY_EXEC, w);
    sandlock_child_t *child = spawn_and_free(command);
    /* The flag shows while the child still runs. */
    for (int i = 0; i < 500 && sandlock_child_flagged_count(child) < 1; i++) {
        sleep_ms(10);
    }
    CHECK_INT_EQ(sandlock_child_flagged_count(child), 1);
    const sandlock_event_t *e = sandlock_child_flagged_event(child, 0);
    CHECK(e != NULL);
    CHECK_INT_EQ(e->category, SANDLOCK_CATEGORY_EXEC);
    CHECK_INT_EQ(e->argc, 2);
    CHECK_STR_EQ(sandlock_event_arg(e, 0, NULL), "/bin/true");
    CHECK_STR_EQ(sandlock_event_arg(e, 1, NULL), "flag-me");
    CHECK_INT_EQ(sandlock_child_wait_for(child, 0, NULL), SANDLOCK_STILL_RUNNING);
    CHECK(sandlock_child_flagged_event(child, 1) == NULL);
    CHECK_LAST_ERROR(SANDLOCK_E_INVALID, "index 1 is past the 1 flagged events");
    CHECK_INT_EQ(sandlock_child_kill(child), SANDLOCK_OK);
    CHECK_INT_EQ(sandlock_child_wait_for(child, -1, NULL), SANDLOCK_OK);
    CHECK_EXIT(sandlock_child_exit(child), SANDLOCK_EXIT_SIGNALED, -1, SIGKILL, -1);
    /* After the end: the same event, at the same address. */
    CHECK_INT_EQ(sandlock_child_flagged_count(child), 1);
    CHECK(sandlock_child_flagged_event(child, 0) == e);
    CHECK_STR_EQ(sandlock_event_arg(e, 1, NULL), "flag-me");
    CHECK_INT_EQ(drops_of(w), 0);
    sandlock_child_free(child);
    CHECK_INT_EQ(drops_of(w), 1);
    check_no_failure(w);
    sandlock_policy_free(policy);
    free(w);
}

/* ---- NULL arguments ---------------------------------------------------------------- */

void every_policy_fn_function_refuses_null(void)
{
    sandlock_error_t *err = NULL;
    CHECK_INT_EQ(sandlock_command_set_policy_fn(NULL, SANDLOCK_CATEGORY_EXEC, allow_all, NULL, NULL, NULL),
                 SANDLOCK_E_INVALID);
    CHECK_LAST_ERROR(SANDLOCK_E_INVALID, "command must not be NULL");
    CHECK_INT_EQ(sandlock_command_set_policy_fn_failure(NULL, 1, SANDLOCK_DECISION_ALLOW, 0, NULL), SANDLOCK_E_INVALID);
    CHECK_LAST_ERROR(SANDLOCK_E_INVALID, "command must not be NULL");
    sandlock_destination_t any = destination(AF_INET, "127.0.0.1", 32, -1);
    CHECK_INT_EQ(sandlock_control_restrict_connect(NULL, &any, 1, &err), SANDLOCK_E_INVALID);
    CHECK_ERROR(err, SANDLOCK_E_INVALID, 0, "control must not be NULL");
    CHECK_INT_EQ(sandlock_control_restrict_connect(NULL, NULL, 0, NULL), SANDLOCK_E_INVALID);
    CHECK_LAST_ERROR(SANDLOCK_E_INVALID, "control must not be NULL");
    CHECK_INT_EQ(sandlock_control_lower_max_processes(NULL, 1, &err), SANDLOCK_E_INVALID);
    CHECK_ERROR(err, SANDLOCK_E_INVALID, 0, "control must not be NULL");
    CHECK_INT_EQ(sandlock_control_lower_max_memory(NULL, 1, NULL), SANDLOCK_E_INVALID);
    CHECK_LAST_ERROR(SANDLOCK_E_INVALID, "control must not be NULL");
    CHECK_INT_EQ(sandlock_control_deny_path(NULL, NULL, &err), SANDLOCK_E_INVALID);
    CHECK_ERROR(err, SANDLOCK_E_INVALID, 0, "control must not be NULL");
    size_t len = 7;
    CHECK(sandlock_event_arg(NULL, 0, &len) == NULL);
    CHECK_INT_EQ(len, 0);
    CHECK_LAST_ERROR(SANDLOCK_E_INVALID, "event must not be NULL");
    CHECK(sandlock_event_arg(NULL, 0, NULL) == NULL);
    CHECK_LAST_ERROR(SANDLOCK_E_INVALID, "event must not be NULL");
    CHECK_INT_EQ(sandlock_result_flagged_count(NULL), -1);
    CHECK_LAST_ERROR(SANDLOCK_E_INVALID, "result must not be NULL");
    CHECK_INT_EQ(sandlock_result_flagged_dropped(NULL), -1);
    CHECK_LAST_ERROR(SANDLOCK_E_INVALID, "result must not be NULL");
    CHECK(sandlock_result_flagged_event(NULL, 0) == NULL);
    CHECK_LAST_ERROR(SANDLOCK_E_INVALID, "result must not be NULL");
    CHECK_INT_EQ(sandlock_child_flagged_count(NULL), -1);
    CHECK_LAST_ERROR(SANDLOCK_E_INVALID, "child must not be NULL");
    CHECK(sandlock_child_flagged_event(NULL, 0) == NULL);
    CHECK_LAST_ERROR(SANDLOCK_E_INVALID, "child must not be NULL");
}

/* ---- the example ------------------------------------------------------------------- */

/* c-examples/policy_fn_audit.c, built next to tests/. */
static const char *audit_example_path(void)
{
    static char path[PATH_MAX];
    char dir[PATH_MAX];
    ssize_t len = readlink("/proc/self/exe", dir, sizeof dir - 1);
    CHECK(len > 0);
    dir[len] = '\0';
    for (int i = 0; i < 2; i++) {
        char *slash = strrchr(dir, '/');
        CHECK(slash != NULL);
        *slash = '\0';
    }
    join_path(path, sizeof path, dir, "policy_fn_audit");
    return path;
}

void the_policy_fn_audit_example_logs_execs_and_denies_one_program(void)
{
    const char *script = "/usr/bin/curl --version >/dev/null 2>&1; echo curl=$?; /bin/ls -d /usr; echo ls=$?";
    int out[2];
    int err_pipe[2];
    make_pipe(out);
    make_pipe(err_pipe);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        dup2(out[1], 1);
        dup2(err_pipe[1], 2);
        execl(audit_example_path(), "policy_fn_audit", "curl", "/bin/sh", "-c", script, (char *)NULL);
        _exit(127);
    }
    CHECK_INT_EQ(close(out[1]), 0);
    CHECK_INT_EQ(close(err_pipe[1]), 0);
    /* Small outputs: reading one pipe to its end cannot block the other. */
    char *stdout_text = read_to_end(out[0], NULL);
    char *stderr_text = read_to_end(err_pipe[0], NULL);
    int status = 0;
    CHECK_INT_EQ(waitpid(pid, &status, 0), pid);
    CHECK(WIFEXITED(status));
    CHECK_INT_EQ(WEXITSTATUS(status), 0);
    CHECK_STR_EQ(stdout_text, "curl=126\n/usr\nls=0\n");
    CHECK_STR_EQ(stderr_text, "exec: /bin/sh -c '/usr/bin/curl --version >/dev/null 2>&1; echo curl=$?; /bin/ls -d "
                              "/usr; echo ls=$?'\n"
                              "exec: /usr/bin/curl --version\n"
                              "denied: /usr/bin/curl (EACCES)\n"
                              "exec: /bin/ls -d /usr\n"
                              "audit: 3 execs, 1 denied\n");
    free(stdout_text);
    free(stderr_text);
    CHECK_INT_EQ(close(out[0]), 0);
    CHECK_INT_EQ(close(err_pipe[0]), 0);
}
