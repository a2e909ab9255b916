/*
 * An old client: a service written and compiled against the 1.0 header
 * (baseline/sandlock-1.0.h) that spawns sandboxed children, waits for them
 * with and without a timeout, kills them and frees them. In 1.1 these
 * functions became wrappers over the command object; a 1.0 program must
 * see exactly what it saw before.
 */
#define _XOPEN_SOURCE 700
#include <sandlock.h>

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
    return sandlock_action_set_return_value(out, 42);
}

static sandlock_child_t *spawn(const sandlock_policy_t *policy, const char *const *argv, uint32_t argc,
                               int with_handler)
{
    sandlock_handler_registration_t registration;
    if (!with_handler) {
        return sandlock_spawn_with_handlers(policy, "old-client", argv, argc, NULL, 0);
    }
    registration.syscall_nr = sandlock_syscall_nr("getppid");
    registration.handler = sandlock_handler_new(fake_ppid, NULL, count_drop, SANDLOCK_EXCEPTION_KILL);
    return sandlock_spawn_with_handlers(policy, "old-client", argv, argc, &registration, 1);
}

int main(void)
{
    const char *dirs[] = {"/usr", "/lib", "/lib64", "/bin", "/etc"};
    sandlock_policy_t *policy = sandlock_policy_new();
    sandlock_child_t *child;
    int32_t code;
    int32_t sig;
    size_t i;
    for (i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
        sandlock_policy_fs_read(policy, dirs[i]);
    }
    sandlock_policy_timeout_ms(policy, 10000);

    {
        /* The handler answers getppid: the shell exits with $PPID. */
        const char *argv[] = {"/bin/sh", "-c", "exit $PPID"};
        child = spawn(policy, argv, 3, 1);
        code = -2;
        sig = -2;
        report("spawn with a handler starts a child", child != NULL && sandlock_child_pid(child) > 0);
        report("wait collects the exit code the handler caused",
               sandlock_child_wait(child, -1, &code, &sig) == SANDLOCK_OK && code == 42 && sig == 0);
        report("the child owns its handlers until it is freed", drops == 0);
        sandlock_child_free(child);
        report("freeing the child ran ud_drop once", drops == 1);
    }
    {
        const char *argv[] = {"/bin/sleep", "30"};
        child = spawn(policy, argv, 2, 0);
        code = -2;
        sig = -2;
        report("a wait that times out says still running and writes nothing",
               child != NULL && sandlock_child_wait(child, 50, &code, &sig) == SANDLOCK_STILL_RUNNING && code == -2 &&
                   sig == -2);
        report("kill succeeds", sandlock_child_kill(child) == SANDLOCK_OK);
        report("the killed child ended by SIGKILL",
               sandlock_child_wait(child, 5000, &code, &sig) == SANDLOCK_OK && code == -1 && sig == SIGKILL);
        code = -2;
        sig = -2;
        report("waiting again answers the same at once",
               sandlock_child_wait(child, 0, &code, &sig) == SANDLOCK_OK && code == -1 && sig == SIGKILL);
        report("killing a child that ended does nothing", sandlock_child_kill(child) == SANDLOCK_OK);
        sandlock_child_free(child);
    }
    {
        /* Freeing a child that still runs kills and reaps it. */
        const char *argv[] = {"/bin/sleep", "30"};
        child = spawn(policy, argv, 2, 1);
        report("a running child can be freed", child != NULL);
        sandlock_child_free(child);
        report("and its handler is freed with it", drops == 2);
    }
    {
        const char *argv[] = {"/bin/true"};
        child = spawn(NULL, argv, 1, 1);
        report("a spawn without a policy fails with SANDLOCK_E_INVALID",
               child == NULL && sandlock_last_status() == SANDLOCK_E_INVALID &&
                   strcmp(sandlock_last_error(), "policy must not be NULL") == 0);
        report("a failed spawn consumed its handler", drops == 3);
    }
    report("NULL children are refused", sandlock_child_kill(NULL) == SANDLOCK_E_INVALID &&
                                             sandlock_child_wait(NULL, 0, NULL, NULL) == SANDLOCK_E_INVALID &&
                                             sandlock_child_pid(NULL) == -1);
    sandlock_child_free(NULL);

    sandlock_policy_free(policy);
    printf("%d failed\n", failures);
    return failures == 0 ? 0 : 1;
}
