/* Who frees what: ud_drop exactly once, and every run entry point consumes
 * its registrations on every return path. */
#define _GNU_SOURCE
#include "check.h"
#include "tests.h"

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

static int32_t let_through(void *ud, const sandlock_notif_data_t *notif, sandlock_mem_handle_t *mem,
                           sandlock_action_out_t *out)
{
    (void)ud;
    (void)notif;
    (void)mem;
    sandlock_action_set_continue(out);
    return 0;
}

/* ud points at the counter of its own drops. */
static void count_drop(void *ud)
{
    atomic_fetch_add((atomic_int *)ud, 1);
}

static atomic_int null_ud_drops;
static atomic_int non_null_ud_seen_by_null_drop;

static void count_null_ud_drop(void *ud)
{
    atomic_fetch_add(ud == NULL ? &null_ud_drops : &non_null_ud_seen_by_null_drop, 1);
}

static sandlock_handler_t *counted_handler(atomic_int *drops)
{
    sandlock_handler_t *handler = sandlock_handler_new(let_through, drops, count_drop, SANDLOCK_EXCEPTION_KILL);
    CHECK(handler != NULL);
    return handler;
}

void ud_drop_runs_once_after_a_run(void)
{
    atomic_int drops = 0;
    sandlock_policy_t *policy = base_policy();
    sandlock_handler_registration_t registrations[] = {registration("getppid", counted_handler(&drops))};
    const char *args[] = {"getppid"};
    sandlock_result_t *result = run_probe(policy, args, 1, registrations, 1);

    CHECK_INT_EQ(sandlock_result_exit_code(result), 0);
    CHECK_INT_EQ(atomic_load(&drops), 1);
    sandlock_result_free(result);
    sandlock_policy_free(policy);
    CHECK_INT_EQ(atomic_load(&drops), 1);
}

void ud_drop_runs_once_for_null_ud(void)
{
    sandlock_handler_t *handler =
        sandlock_handler_new(let_through, NULL, count_null_ud_drop, SANDLOCK_EXCEPTION_KILL);
    CHECK(handler != NULL);
    CHECK_INT_EQ(atomic_load(&null_ud_drops), 0);
    sandlock_handler_free(handler);
    CHECK_INT_EQ(atomic_load(&null_ud_drops), 1);
    CHECK_INT_EQ(atomic_load(&non_null_ud_seen_by_null_drop), 0);
}

void handler_free_accepts_null(void)
{
    sandlock_handler_free(NULL);
    sandlock_policy_free(NULL);
    sandlock_result_free(NULL);
    atomic_int drops = 0;
    sandlock_handler_free(counted_handler(&drops));
    CHECK_INT_EQ(atomic_load(&drops), 1);
}

void null_policy_consumes_every_handler(void)
{
    atomic_int first_drops = 0;
    atomic_int second_drops = 0;
    sandlock_handler_registration_t registrations[] = {
        registration("getppid", counted_handler(&first_drops)),
        registration("uname", counted_handler(&second_drops)),
    };
    const char *argv[] = {"/bin/true"};
    sandlock_result_t *result = sandlock_run_with_handlers(NULL, "c-test", argv, 1, registrations, 2);

    CHECK(result == NULL);
    CHECK_LAST_ERROR(SANDLOCK_E_INVALID, "policy must not be NULL");
    CHECK_INT_EQ(atomic_load(&first_drops), 1);
    CHECK_INT_EQ(atomic_load(&second_drops), 1);
}

void zero_argc_consumes_every_handler(void)
{
    atomic_int drops = 0;
    sandlock_policy_t *policy = base_policy();
    sandlock_handler_registration_t registrations[] = {registration("getppid", counted_handler(&drops))};
    const char *argv[] = {"/bin/true"};
    sandlock_result_t *result = sandlock_run_with_handlers(policy, "c-test", argv, 0, registrations, 1);

    CHECK(result == NULL);
    CHECK_LAST_ERROR(SANDLOCK_E_INVALID, "argc must be between 1 and 4096, got 0");
    CHECK_INT_EQ(atomic_load(&drops), 1);
    sandlock_policy_free(policy);
}

void null_handler_in_array_consumes_the_others(void)
{
    atomic_int first_drops = 0;
    atomic_int last_drops = 0;
    sandlock_policy_t *policy = base_policy();
    sandlock_handler_registration_t registrations[] = {
        registration("getppid", counted_handler(&first_drops)),
        {.syscall_nr = syscall_nr("uname"), .handler = NULL},
        registration("getpid", counted_handler(&last_drops)),
    };
    const char *argv[] = {"/bin/true"};
    sandlock_result_t *result = sandlock_run_with_handlers(policy, "c-test", argv, 1, registrations, 3);

    CHECK(result == NULL);
    CHECK_LAST_ERROR(SANDLOCK_E_INVALID, "registrations[1].handler is NULL");
    CHECK_INT_EQ(atomic_load(&first_drops), 1);
    CHECK_INT_EQ(atomic_load(&last_drops), 1);
    sandlock_policy_free(policy);
}

void handler_new_rejects_invalid_exception_policy(void)
{
    atomic_int drops = 0;
    const uint32_t invalid[] = {SANDLOCK_EXCEPTION_DENY_EIO + 1, 0x80000000u, UINT32_MAX};
    for (size_t i = 0; i < sizeof invalid / sizeof invalid[0]; i++) {
        sandlock_handler_t *handler = sandlock_handler_new(let_through, &drops, count_drop, invalid[i]);
        CHECK(handler == NULL);
        char message[128];
        snprintf(message, sizeof message,
                 "exception policy %u is not one of 0 (KILL), 1 (DENY_EPERM), 2 (CONTINUE), 3 (DENY_EIO)", invalid[i]);
        CHECK_LAST_ERROR(SANDLOCK_E_INVALID, message);
    }
    /* A rejected handler never took `ud`: its drop is not called. */
    CHECK_INT_EQ(atomic_load(&drops), 0);
}

void failed_spawn_consumes_every_handler(void)
{
    atomic_int drops = 0;
    sandlock_handler_registration_t registrations[] = {registration("getppid", counted_handler(&drops))};
    const char *argv[] = {"/bin/true"};
    sandlock_child_t *child = sandlock_spawn_with_handlers(NULL, "c-test", argv, 1, registrations, 1);

    CHECK(child == NULL);
    CHECK_LAST_ERROR(SANDLOCK_E_INVALID, "policy must not be NULL");
    CHECK_INT_EQ(atomic_load(&drops), 1);
}

void child_free_runs_ud_drop_once(void)
{
    atomic_int drops = 0;
    sandlock_policy_t *policy = base_policy();
    sandlock_handler_registration_t registrations[] = {registration("getppid", counted_handler(&drops))};
    const char *argv[] = {probe_path(), "exit", "0"};
    sandlock_child_t *child = sandlock_spawn_with_handlers(policy, "c-test", argv, 3, registrations, 1);
    CHECK(child != NULL);
    int32_t exit_code = -2;
    CHECK_INT_EQ(sandlock_child_wait(child, -1, &exit_code, NULL), SANDLOCK_OK);
    CHECK_INT_EQ(exit_code, 0);
    /* The child owns its handlers until it is freed. */
    CHECK_INT_EQ(atomic_load(&drops), 0);
    sandlock_child_free(child);
    CHECK_INT_EQ(atomic_load(&drops), 1);
    sandlock_policy_free(policy);
}
