/* The C-callback path: a C handler, registered through libsandlock, answers
 * every getppid of getppid_loop with a return value. Prints the loop time
 * measured inside the child, like notif_floor.
 * Usage: c_handler_bench N /path/to/getppid_loop */
#include <sandlock.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int32_t answer(void *ud, const sandlock_notif_data_t *notif, sandlock_mem_handle_t *mem,
                      sandlock_action_out_t *out) {
    (void)ud;
    (void)notif;
    (void)mem;
    return sandlock_action_set_return_value(out, 4242);
}

static void fail(const char *what) {
    fprintf(stderr, "%s: %s\n", what, sandlock_last_error());
    exit(1);
}

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: %s N getppid_loop\n", argv[0]);
        return 2;
    }
    sandlock_policy_t *policy = sandlock_policy_new();
    const char *dirs[] = {"/usr", "/lib", "/lib64", "/bin"};
    for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++)
        if (access(dirs[i], F_OK) == 0 && sandlock_policy_fs_read(policy, dirs[i]) != 0)
            fail("fs_read");
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", argv[2]);
    *strrchr(dir, '/') = '\0';
    if (sandlock_policy_fs_read(policy, dir) != 0)
        fail("fs_read of the loop's directory");
    sandlock_handler_t *handler = sandlock_handler_new(answer, NULL, NULL, SANDLOCK_EXCEPTION_KILL);
    if (!handler)
        fail("handler_new");
    sandlock_handler_registration_t reg = {sandlock_syscall_nr("getppid"), handler};
    const char *child_argv[] = {argv[2], argv[1]};
    sandlock_result_t *result = sandlock_run_with_handlers(policy, "bench", child_argv, 2, &reg, 1);
    if (!result)
        fail("run");
    size_t len = 0;
    const uint8_t *text = sandlock_result_stdout(result, &len);
    if (sandlock_result_exit_code(result) != 0 || len == 0)
        fail("getppid_loop");
    fwrite(text, 1, len, stdout);
    sandlock_result_free(result);
    sandlock_policy_free(policy);
    return 0;
}
