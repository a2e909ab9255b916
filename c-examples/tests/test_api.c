/* Version, errors and syscall names: the calls a binding makes first. */
#define _GNU_SOURCE
#include "check.h"
#include "tests.h"

#include <string.h>
#include <sys/syscall.h>

void version_matches_header_macros(void)
{
    uint32_t expected = ((uint32_t)SANDLOCK_VERSION_MAJOR << 16) | ((uint32_t)SANDLOCK_VERSION_MINOR << 8) |
                        (uint32_t)SANDLOCK_VERSION_PATCH;
    CHECK_INT_EQ(sandlock_version(), expected);
    CHECK_INT_EQ(SANDLOCK_VERSION_MAJOR, 1);
}

void last_error_describes_a_failed_call(void)
{
    sandlock_policy_t *policy = sandlock_policy_new();
    CHECK(policy != NULL);
    CHECK_INT_EQ(sandlock_policy_fs_read(policy, NULL), SANDLOCK_E_INVALID);
    CHECK_LAST_ERROR(SANDLOCK_E_INVALID, "path must not be NULL");
    CHECK_INT_EQ(sandlock_policy_fs_read(policy, "/nonexistent/sandlock-c-test"), SANDLOCK_E_NOT_FOUND);
    CHECK_LAST_ERROR(SANDLOCK_E_NOT_FOUND, "path \"/nonexistent/sandlock-c-test\" does not exist or cannot be opened: "
                                           "No such file or directory (os error 2)");
    CHECK_INT_EQ(sandlock_policy_net_connect_tcp(NULL, 80), SANDLOCK_E_INVALID);
    CHECK_LAST_ERROR(SANDLOCK_E_INVALID, "policy must not be NULL");
    const char *argv[] = {"/bin/true"};
    CHECK(sandlock_run(policy, "c-test", argv, 0) == NULL);
    CHECK_LAST_ERROR(SANDLOCK_E_INVALID, "argc must be between 1 and 4096, got 0");
    /* A call that succeeds clears it. */
    CHECK_INT_EQ(sandlock_policy_fs_read(policy, "/usr"), SANDLOCK_OK);
    CHECK_LAST_ERROR(SANDLOCK_OK, "");
    sandlock_policy_free(policy);
}

void syscall_nr_resolves_names(void)
{
    CHECK_INT_EQ(sandlock_syscall_nr("getppid"), SYS_getppid);
    CHECK_INT_EQ(sandlock_syscall_nr("openat"), SYS_openat);
    CHECK_INT_EQ(sandlock_syscall_nr("no_such_syscall"), -1);
    CHECK_LAST_ERROR(SANDLOCK_E_INVALID, "unknown syscall \"no_such_syscall\" on this architecture");
    /* A typo gets the nearest known name. */
    CHECK_INT_EQ(sandlock_syscall_nr("opnat"), -1);
    CHECK_LAST_ERROR(SANDLOCK_E_INVALID, "unknown syscall \"opnat\" on this architecture (did you mean openat?)");
    CHECK_INT_EQ(sandlock_syscall_nr(NULL), -1);
    CHECK_LAST_ERROR(SANDLOCK_E_INVALID, "name must not be NULL");
}
