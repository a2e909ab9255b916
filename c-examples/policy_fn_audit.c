/*
 * policy_fn_audit: run a command in a sandbox, log the arguments of every
 * exec it makes, and deny one program.
 *
 *   policy_fn_audit PROGRAM COMMAND [ARG...]
 *
 * Each exec is logged on stderr as "exec: ARG0 ARG1 ..." (arguments with
 * spaces or shell characters in single quotes). An exec whose argv[0] ends
 * in "/PROGRAM" or is PROGRAM fails with EACCES and is logged as
 * "denied: ARG0 (EACCES)". When the run ends, the ud's destructor logs
 * "audit: N execs, M denied". Exits with the command's exit code, or
 * 128 + the signal that killed it.
 *
 * argv[0] is whatever the caller of execve chose, so this is an audit log
 * with a courtesy deny, not a wall: what a program may run at all belongs
 * in the policy's fs rules, and a file that must become unreachable while
 * the sandbox runs in sandlock_control_deny_path (docs/policy-fn.md).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sandlock.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The callback's state: its ud, owned by the library from
 * sandlock_command_set_policy_fn until audit_drop. */
struct audit {
    char *denied;
    /* Events come one at a time, but one past its time limit may still run
     * while the next is given: the counters take a lock. */
    pthread_mutex_t lock;
    unsigned long execs;
    unsigned long denials;
};

/* `len` bytes of `text` at line[*used], as many as fit (NUL-terminated). */
static void append(char *line, size_t size, size_t *used, const char *text, size_t len)
{
    for (size_t i = 0; i < len && *used + 1 < size; i++) {
        line[(*used)++] = text[i];
    }
    line[*used] = '\0';
}

/* An argument as a shell would read it back: in single quotes unless it is
 * made of plain characters only. */
static void append_arg(char *line, size_t size, size_t *used, const char *arg, size_t len)
{
    bool plain = len > 0;
    for (size_t i = 0; i < len; i++) {
        if (strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-./=:,+@%", arg[i]) == NULL) {
            plain = false;
        }
    }
    if (plain) {
        append(line, size, used, arg, len);
        return;
    }
    append(line, size, used, "'", 1);
    for (size_t i = 0; i < len; i++) {
        /* ' ends the quote, \' is the quote, ' opens it again. */
        append(line, size, used, arg[i] == '\'' ? "'\\''" : &arg[i], arg[i] == '\'' ? 4 : 1);
    }
    append(line, size, used, "'", 1);
}

static bool is_denied(const struct audit *audit, const char *argv0)
{
    const char *slash = strrchr(argv0, '/');
    return strcmp(slash != NULL ? slash + 1 : argv0, audit->denied) == 0;
}

static uint32_t audit_exec(void *ud, const sandlock_event_t *event, sandlock_control_t *control,
                           int32_t *deny_errno)
{
    (void)control;
    struct audit *audit = ud;
    /* Only EXEC was asked for, so every event is an exec. */
    if (event->category != SANDLOCK_CATEGORY_EXEC) {
        return SANDLOCK_DECISION_ALLOW;
    }
    /* One line, written with one call, so that lines never interleave. */
    char line[4096] = "exec:";
    size_t used = strlen(line);
    for (uint32_t i = 0; i < event->argc; i++) {
        size_t len = 0;
        const char *arg = sandlock_event_arg(event, i, &len);
        if (arg == NULL) {
            break;
        }
        append(line, sizeof line, &used, " ", 1);
        append_arg(line, sizeof line, &used, arg, len);
    }
    fprintf(stderr, "%s%s\n", line, event->argv_truncated ? " ..." : "");

    bool deny = event->argc > 0 && is_denied(audit, sandlock_event_arg(event, 0, NULL));
    pthread_mutex_lock(&audit->lock);
    audit->execs++;
    audit->denials += deny;
    pthread_mutex_unlock(&audit->lock);
    if (!deny) {
        return SANDLOCK_DECISION_ALLOW;
    }
    fprintf(stderr, "denied: %s (EACCES)\n", sandlock_event_arg(event, 0, NULL));
    *deny_errno = EACCES;
    return SANDLOCK_DECISION_DENY;
}

/* The ud's destructor: the library calls it exactly once, when nothing can
 * call audit_exec any more (at the end of the run, or later if a callback
 * past its time limit was still running). */
static void audit_drop(void *ud)
{
    struct audit *audit = ud;
    fprintf(stderr, "audit: %lu execs, %lu denied\n", audit->execs, audit->denials);
    pthread_mutex_destroy(&audit->lock);
    free(audit->denied);
    free(audit);
}

static int fail(const char *what, sandlock_error_t *err)
{
    fprintf(stderr, "policy_fn_audit: %s: %s\n", what, err != NULL ? sandlock_error_message(err) : "?");
    sandlock_error_free(err);
    return 125;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: policy_fn_audit PROGRAM COMMAND [ARG...]\n");
        return 2;
    }
    sandlock_policy_t *policy = sandlock_policy_new();
    if (policy == NULL) {
        return fail("sandlock_policy_new", sandlock_error_take_last());
    }
    /* The system's programs and libraries, and /dev/null for redirections. */
    const char *readable[] = {"/usr", "/lib", "/lib64", "/bin", "/etc"};
    for (size_t i = 0; i < sizeof readable / sizeof readable[0]; i++) {
        /* Not every system has /lib64. */
        (void)sandlock_policy_fs_read(policy, readable[i]);
    }
    if (sandlock_policy_fs_write(policy, "/dev/null") != SANDLOCK_OK) {
        return fail("sandlock_policy_fs_write", sandlock_error_take_last());
    }

    sandlock_error_t *err = NULL;
    sandlock_command_t *command =
        sandlock_command_new(policy, (const char *const *)&argv[2], (uint32_t)(argc - 2), &err);
    sandlock_policy_free(policy);
    if (command == NULL) {
        return fail("sandlock_command_new", err);
    }

    struct audit *audit = calloc(1, sizeof *audit);
    if (audit == NULL || (audit->denied = strdup(argv[1])) == NULL) {
        free(audit);
        sandlock_command_free(command);
        fprintf(stderr, "policy_fn_audit: out of memory\n");
        return 125;
    }
    pthread_mutex_init(&audit->lock, NULL);
    if (sandlock_command_set_policy_fn(command, SANDLOCK_CATEGORY_EXEC, audit_exec, audit, audit_drop, &err) !=
        SANDLOCK_OK) {
        /* Refused: the ud is still ours. */
        audit_drop(audit);
        sandlock_command_free(command);
        return fail("sandlock_command_set_policy_fn", err);
    }
    /* From here on the library owns `audit` and frees it with audit_drop. */

    int code = sandlock_command_run_interactive(command, &err);
    sandlock_command_free(command);
    if (code < 0) {
        return fail("sandlock_command_run_interactive", err);
    }
    return code;
}
