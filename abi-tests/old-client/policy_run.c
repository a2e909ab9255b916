/*
 * An old client: a program written and compiled against the 1.0 header
 * (baseline/sandlock-1.0.h) that runs programs under a policy. It must keep
 * working, with the same output, against every 1.x library.
 */
#define _XOPEN_SOURCE 700
#include <sandlock.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures;

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

static sandlock_policy_t *system_policy(void)
{
    const char *dirs[] = {"/usr", "/lib", "/lib64", "/bin", "/etc"};
    sandlock_policy_t *policy = sandlock_policy_new();
    size_t i;
    for (i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
        /* /lib64 is missing on some systems: SANDLOCK_E_NOT_FOUND, harmless. */
        sandlock_policy_fs_read(policy, dirs[i]);
    }
    sandlock_policy_timeout_ms(policy, 10000);
    return policy;
}

int main(void)
{
    sandlock_policy_t *policy = system_policy();
    sandlock_result_t *result;
    char secret_dir[] = "/tmp/sandlock-old-client-XXXXXX";
    char secret[64];
    char denied_message[128];
    FILE *file;

    report("library major version is 1", sandlock_version() >> 16 == 1);
    report("header major version is 1", SANDLOCK_VERSION_MAJOR == 1);

    {
        const char *argv[] = {"/bin/echo", "hello", "old", "client"};
        result = sandlock_run(policy, "old-client", argv, 4);
        report("echo prints exactly its arguments",
               result != NULL && stream_is(result, 1, "hello old client\n") && stream_is(result, 0, "") &&
                   sandlock_result_exit_code(result) == 0 && sandlock_result_signal(result) == 0);
        sandlock_result_free(result);
    }

    {
        const char *argv[] = {"/bin/sh", "-c", "exit 3"};
        result = sandlock_run(policy, "old-client", argv, 3);
        report("exit code 3 comes back", result != NULL && sandlock_result_exit_code(result) == 3 &&
                                              sandlock_result_signal(result) == 0);
        sandlock_result_free(result);
    }

    if (mkdtemp(secret_dir) == NULL) {
        perror("mkdtemp");
        return 1;
    }
    snprintf(secret, sizeof secret, "%s/secret", secret_dir);
    file = fopen(secret, "w");
    if (file == NULL || fputs("secret\n", file) == EOF || fclose(file) != 0) {
        perror(secret);
        return 1;
    }
    {
        const char *argv[] = {"/bin/cat", secret};
        snprintf(denied_message, sizeof denied_message, "/bin/cat: %s: Permission denied\n", secret);
        result = sandlock_run(policy, "old-client", argv, 2);
        report("a file outside the read set is refused",
               result != NULL && stream_is(result, 1, "") && stream_is(result, 0, denied_message) &&
                   sandlock_result_exit_code(result) == 1);
        sandlock_result_free(result);
    }
    remove(secret);
    remove(secret_dir);

    report("a missing path is SANDLOCK_E_NOT_FOUND with a message",
           sandlock_policy_fs_read(policy, "/nonexistent/old-client") == SANDLOCK_E_NOT_FOUND &&
               strlen(sandlock_last_error()) > 0);

    sandlock_policy_free(policy);
    printf("%d failed\n", failures);
    return failures == 0 ? 0 : 1;
}
