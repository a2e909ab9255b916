/* The command's stdio through real pipes: the library duplicates the
 * caller's fds, so the caller keeps (and closes) its own. */
#define _GNU_SOURCE
#include "check.h"
#include "tests.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { MEBIBYTE = 1 << 20 };

/* The probe's write-bytes pattern. */
static char pattern_at(size_t offset)
{
    return (char)('a' + offset % 26);
}

static size_t pattern_mismatches(const char *data, size_t len)
{
    size_t wrong = 0;
    for (size_t i = 0; i < len; i++) {
        wrong += data[i] != pattern_at(i);
    }
    return wrong;
}

void spawned_child_streams_a_mebibyte_into_a_pipe_read_concurrently(void)
{
    /* 1 MiB is 16 pipe buffers: the child blocks until this thread reads,
     * so the data only arrives if the reading goes on while it runs. */
    int fds[2];
    make_pipe(fds);
    sandlock_policy_t *policy = base_policy();
    const char *args[] = {"write-bytes", "1048576"};
    sandlock_command_t *command = probe_command(policy, args, 2);
    CHECK_INT_EQ(sandlock_command_set_stdout(command, fds[1], NULL), SANDLOCK_OK);
    /* The command holds its own copy: closing ours leaves the child's. */
    CHECK_INT_EQ(close(fds[1]), 0);
    sandlock_child_t *child = spawn_and_free(command);

    size_t len = 0;
    char *data = read_to_end(fds[0], &len);
    CHECK_INT_EQ(close(fds[0]), 0);
    CHECK_INT_EQ(len, MEBIBYTE);
    CHECK_INT_EQ(pattern_mismatches(data, len), 0);
    free(data);

    sandlock_error_t *err = NULL;
    CHECK_INT_EQ(sandlock_child_wait_for(child, 10000, &err), SANDLOCK_OK);
    CHECK_EXIT(sandlock_child_exit(child), SANDLOCK_EXIT_EXITED, 0, 0, -1);
    sandlock_child_free(child);
    sandlock_policy_free(policy);
}

struct feeder {
    int fd;
    size_t len;
    int error;
};

static void *feed(void *arg)
{
    struct feeder *feeder = arg;
    size_t written = 0;
    char buf[4096];
    while (written < feeder->len) {
        size_t chunk = feeder->len - written < sizeof buf ? feeder->len - written : sizeof buf;
        for (size_t i = 0; i < chunk; i++) {
            buf[i] = pattern_at(written + i);
        }
        ssize_t n = write(feeder->fd, buf, chunk);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            feeder->error = errno;
            break;
        }
        written += (size_t)n;
    }
    close(feeder->fd);
    return NULL;
}

void captured_run_reads_a_mebibyte_from_a_stdin_pipe(void)
{
    int fds[2];
    make_pipe(fds);
    sandlock_policy_t *policy = base_policy();
    const char *args[] = {"cat-stdin"};
    sandlock_command_t *command = probe_command(policy, args, 1);
    CHECK_INT_EQ(sandlock_command_set_stdin(command, fds[0], NULL), SANDLOCK_OK);
    CHECK_INT_EQ(close(fds[0]), 0);
    struct feeder feeder = {fds[1], MEBIBYTE, 0};
    pthread_t thread;
    CHECK_INT_EQ(pthread_create(&thread, NULL, feed, &feeder), 0);
    sandlock_result_t *result = run_and_free(command);
    CHECK_INT_EQ(pthread_join(thread, NULL), 0);
    CHECK_INT_EQ(feeder.error, 0);

    size_t len = 0;
    const uint8_t *out = sandlock_result_stdout(result, &len);
    CHECK_INT_EQ(len, MEBIBYTE);
    CHECK_INT_EQ(pattern_mismatches((const char *)out, len), 0);
    CHECK_EXIT(sandlock_result_exit(result), SANDLOCK_EXIT_EXITED, 0, 0, -1);
    sandlock_result_free(result);
    sandlock_policy_free(policy);
}

void stderr_goes_to_its_pipe_while_stdout_is_captured(void)
{
    int fds[2];
    make_pipe(fds);
    sandlock_policy_t *policy = base_policy();
    const char *args[] = {"echo2", "captured", "piped"};
    sandlock_command_t *command = probe_command(policy, args, 3);
    CHECK_INT_EQ(sandlock_command_set_stderr(command, fds[1], NULL), SANDLOCK_OK);
    CHECK_INT_EQ(close(fds[1]), 0);
    sandlock_result_t *result = run_and_free(command);
    CHECK_STDOUT(result, "captured\n");
    /* Output sent to an fd is not in the result. */
    CHECK_STDERR(result, "");
    char *piped = read_to_end(fds[0], NULL);
    CHECK_STR_EQ(piped, "piped\n");
    free(piped);
    CHECK_INT_EQ(close(fds[0]), 0);
    sandlock_result_free(result);
    sandlock_policy_free(policy);
}

void the_caller_keeps_its_fds(void)
{
    /* The library works on copies: the caller's fds stay open and usable
     * after the setter, the run and sandlock_command_free. */
    int fds[2];
    make_pipe(fds);
    sandlock_policy_t *policy = base_policy();
    const char *args[] = {"echo2", "from the child", "-"};
    sandlock_command_t *command = probe_command(policy, args, 3);
    CHECK_INT_EQ(sandlock_command_set_stdout(command, fds[1], NULL), SANDLOCK_OK);
    sandlock_result_t *result = run_and_free(command);
    CHECK_INT_EQ(sandlock_result_exit_code(result), 0);
    sandlock_result_free(result);
    CHECK(fcntl(fds[1], F_GETFD) >= 0);
    CHECK_INT_EQ(write(fds[1], "from the caller\n", 16), 16);
    CHECK_INT_EQ(close(fds[1]), 0);
    char *piped = read_to_end(fds[0], NULL);
    CHECK_STR_EQ(piped, "from the child\nfrom the caller\n");
    free(piped);
    CHECK_INT_EQ(close(fds[0]), 0);
    sandlock_policy_free(policy);
}

void a_freed_command_closes_its_copies(void)
{
    /* A command never run still holds copies of the fds it was given;
     * freeing it must close them, or the reader never sees the end. */
    int fds[2];
    make_pipe(fds);
    sandlock_policy_t *policy = base_policy();
    const char *args[] = {"exit", "0"};
    sandlock_command_t *command = probe_command(policy, args, 2);
    CHECK_INT_EQ(sandlock_command_set_stdout(command, fds[1], NULL), SANDLOCK_OK);
    CHECK_INT_EQ(sandlock_command_set_stderr(command, fds[1], NULL), SANDLOCK_OK);
    CHECK_INT_EQ(close(fds[1]), 0);
    sandlock_command_free(command);
    size_t len = 1;
    char *data = read_to_end(fds[0], &len);
    CHECK_INT_EQ(len, 0);
    free(data);
    CHECK_INT_EQ(close(fds[0]), 0);
    sandlock_policy_free(policy);
}
