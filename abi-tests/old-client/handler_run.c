/*
 * An old client: C handlers written and compiled against the 1.0 header
 * (baseline/sandlock-1.0.h). The action layout, the setters and the
 * ownership rules it relies on must hold for every 1.x library.
 */
#define _XOPEN_SOURCE 700
#include <sandlock.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

static int failures;
static int drops;

static void report(const char *what, int ok)
{
    printf("%s: %s\n", what, ok ? "ok" : "FAILED");
    failures += !ok;
}

static int stream_is(const sandlock_result_t *result, int want_stdout, const char *expected)
{
    size_t len = 0;
    const uint8_t *data = want_stdout ? sandlock_result_stdout(result, &len) : sandlock_result_stderr(result, &len);
    int same = data != NULL && len == strlen(expected) && memcmp(data, expected, len) == 0;
    if (!same) {
        fprintf(stderr, "  %s was \"%.*s\", expected \"%s\"\n", want_stdout ? "stdout" : "stderr", (int)len,
                data != NULL ? (const char *)data : "", expected);
    }
    return same;
}

static void count_drop(void *ud)
{
    (void)ud;
    drops++;
}

static int32_t fake_ppid(void *ud, const sandlock_notif_data_t *notif, sandlock_mem_handle_t *mem,
                         sandlock_action_out_t *out)
{
    (void)ud;
    (void)notif;
    (void)mem;
    return sandlock_action_set_return_value(out, 4242);
}

static int32_t deny_eacces(void *ud, const sandlock_notif_data_t *notif, sandlock_mem_handle_t *mem,
                           sandlock_action_out_t *out)
{
    (void)ud;
    (void)notif;
    (void)mem;
    return sandlock_action_set_errno(out, EACCES);
}

static int32_t kill_with_sigterm(void *ud, const sandlock_notif_data_t *notif, sandlock_mem_handle_t *mem,
                                 sandlock_action_out_t *out)
{
    (void)ud;
    (void)notif;
    (void)mem;
    return sandlock_action_set_kill(out, SIGTERM, 0);
}

/* Audit: remember whether the child opened `ud` (a path); let it through. */
static int32_t watch_open(void *ud, const sandlock_notif_data_t *notif, sandlock_mem_handle_t *mem,
                          sandlock_action_out_t *out)
{
    char path[256];
    size_t len = 0;
    if (notif->syscall_nr == (int32_t)sandlock_syscall_nr("openat") &&
        sandlock_mem_read_cstr(mem, notif->args[1], (uint8_t *)path, sizeof path, &len) == SANDLOCK_OK &&
        len == strlen("/etc/hostname") && strcmp(path, "/etc/hostname") == 0) {
        *(int *)ud = 1;
    }
    return sandlock_action_set_continue(out);
}

static sandlock_result_t *run(const sandlock_policy_t *policy, const char *const *argv, uint32_t argc,
                              const char *syscall, sandlock_handler_fn_t callback, void *ud)
{
    sandlock_handler_registration_t registration;
    registration.syscall_nr = sandlock_syscall_nr(syscall);
    registration.handler = sandlock_handler_new(callback, ud, count_drop, SANDLOCK_EXCEPTION_KILL);
    return sandlock_run_with_handlers(policy, "old-client", argv, argc, &registration, 1);
}

int main(void)
{
    const char *dirs[] = {"/usr", "/lib", "/lib64", "/bin", "/etc"};
    sandlock_policy_t *policy = sandlock_policy_new();
    sandlock_result_t *result;
    int opened_hostname = 0;
    size_t i;
    for (i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
        sandlock_policy_fs_read(policy, dirs[i]);
    }
    sandlock_policy_timeout_ms(policy, 10000);

    {
        const char *argv[] = {"/bin/sh", "-c", "echo $PPID"};
        result = run(policy, argv, 3, "getppid", fake_ppid, NULL);
        report("getppid answered by the handler", result != NULL && stream_is(result, 1, "4242\n"));
        sandlock_result_free(result);
    }
    {
        const char *argv[] = {"/bin/uname", "-n"};
        result = run(policy, argv, 2, "uname", deny_eacces, NULL);
        report("uname denied with EACCES",
               result != NULL && stream_is(result, 1, "") &&
                   stream_is(result, 0, "/bin/uname: cannot get system name: Permission denied\n") &&
                   sandlock_result_exit_code(result) == 1);
        sandlock_result_free(result);
    }
    {
        const char *argv[] = {"/bin/sh", "-c", "echo $PPID"};
        result = run(policy, argv, 3, "getppid", kill_with_sigterm, NULL);
        report("the kill action ends the child with SIGTERM",
               result != NULL && sandlock_result_signal(result) == SIGTERM && sandlock_result_exit_code(result) == -1);
        sandlock_result_free(result);
    }
    {
        const char *argv[] = {"/bin/cat", "/etc/hostname"};
        result = run(policy, argv, 2, "openat", watch_open, &opened_hostname);
        report("the audit handler read the opened path", result != NULL && opened_hostname == 1 &&
                                                             sandlock_result_exit_code(result) == 0);
        sandlock_result_free(result);
    }
    report("every ud_drop ran exactly once", drops == 4);

    sandlock_policy_free(policy);
    printf("%d failed\n", failures);
    return failures == 0 ? 0 : 1;
}
