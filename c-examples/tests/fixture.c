#define _GNU_SOURCE
#include "check.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void check_failed(const char *file, int line, const char *fmt, ...)
{
    va_list args;
    va_start(args, fmt);
    fprintf(stderr, "%s:%d: ", file, line);
    vfprintf(stderr, fmt, args);
    fputc('\n', stderr);
    va_end(args);
    exit(1);
}

/* Print bytes with C escapes so that a stray newline or NUL shows. */
static void print_escaped(const uint8_t *data, size_t len)
{
    fputc('"', stderr);
    for (size_t i = 0; i < len; i++) {
        if (data[i] == '\n') {
            fputs("\\n", stderr);
        } else if (data[i] == '"' || data[i] == '\\') {
            fprintf(stderr, "\\%c", data[i]);
        } else if (data[i] < 0x20 || data[i] >= 0x7f) {
            fprintf(stderr, "\\x%02x", data[i]);
        } else {
            fputc(data[i], stderr);
        }
    }
    fputc('"', stderr);
}

static void check_bytes_eq(const char *file, int line, const char *what, const uint8_t *data, size_t len,
                           const char *expected)
{
    size_t expected_len = strlen(expected);
    if (data != NULL && len == expected_len && memcmp(data, expected, len) == 0) {
        return;
    }
    fprintf(stderr, "%s:%d: %s is ", file, line, what);
    if (data == NULL) {
        fputs("NULL", stderr);
    } else {
        print_escaped(data, len);
    }
    fputs(", expected ", stderr);
    print_escaped((const uint8_t *)expected, expected_len);
    fputc('\n', stderr);
    exit(1);
}

void check_str_eq(const char *file, int line, const char *what, const char *actual, const char *expected)
{
    check_bytes_eq(file, line, what, (const uint8_t *)actual, actual != NULL ? strlen(actual) : 0, expected);
}

void check_stream(const char *file, int line, const sandlock_result_t *result, const char *stream,
                  const char *expected)
{
    if (result == NULL) {
        check_failed(file, line, "no result (last error: %s)", sandlock_last_error());
    }
    size_t len = 0;
    const uint8_t *data = strcmp(stream, "stdout") == 0 ? sandlock_result_stdout(result, &len)
                                                         : sandlock_result_stderr(result, &len);
    check_bytes_eq(file, line, stream, data, len, expected);
}

void check_last_error(const char *file, int line, int32_t status, const char *message)
{
    int32_t last_status = sandlock_last_status();
    if (last_status != status) {
        check_failed(file, line, "sandlock_last_status() is %d, expected %d (last error: %s)", last_status, status,
                     sandlock_last_error());
    }
    check_str_eq(file, line, "sandlock_last_error()", sandlock_last_error(), message);
}

const char *probe_path(void)
{
    static char path[PATH_MAX];
    if (path[0] == '\0') {
        char self[PATH_MAX];
        ssize_t len = readlink("/proc/self/exe", self, sizeof self - 1);
        CHECK(len > 0);
        self[len] = '\0';
        char *slash = strrchr(self, '/');
        CHECK(slash != NULL);
        *slash = '\0';
        join_path(path, sizeof path, self, "probe");
    }
    return path;
}

sandlock_policy_t *base_policy(void)
{
    sandlock_policy_t *policy = sandlock_policy_new();
    CHECK(policy != NULL);
    const char *system_dirs[] = {"/usr", "/lib", "/lib64", "/bin", "/etc"};
    for (size_t i = 0; i < sizeof system_dirs / sizeof system_dirs[0]; i++) {
        struct stat info;
        if (stat(system_dirs[i], &info) == 0) {
            CHECK_INT_EQ(sandlock_policy_fs_read(policy, system_dirs[i]), 0);
        }
    }
    CHECK_INT_EQ(sandlock_policy_fs_read(policy, probe_path()), 0);
    CHECK_INT_EQ(sandlock_policy_timeout_ms(policy, 10000), 0);
    return policy;
}

sandlock_result_t *run_probe(const sandlock_policy_t *policy, const char *const *args, uint32_t nargs,
                             const sandlock_handler_registration_t *registrations, size_t count)
{
    const char *argv[8];
    CHECK(nargs < sizeof argv / sizeof argv[0]);
    argv[0] = probe_path();
    memcpy(&argv[1], args, nargs * sizeof args[0]);
    sandlock_result_t *result = sandlock_run_with_handlers(policy, "c-test", argv, nargs + 1, registrations, count);
    if (result == NULL) {
        check_failed(__FILE__, __LINE__, "sandlock_run_with_handlers failed: %s", sandlock_last_error());
    }
    return result;
}

void make_temp_dir(char *path, size_t size)
{
    CHECK(size > strlen("/tmp/sandlock-ctest-XXXXXX"));
    strcpy(path, "/tmp/sandlock-ctest-XXXXXX");
    CHECK(mkdtemp(path) != NULL);
}

static int remove_entry(const char *path, const struct stat *info, int type, struct FTW *walk)
{
    (void)info;
    (void)type;
    (void)walk;
    return remove(path);
}

void remove_temp_dir(const char *path)
{
    CHECK_INT_EQ(nftw(path, remove_entry, 8, FTW_DEPTH | FTW_PHYS), 0);
}

void join_path(char *out, size_t size, const char *dir, const char *name)
{
    size_t dir_len = strlen(dir);
    size_t name_len = strlen(name);
    CHECK(dir_len + 1 + name_len < size);
    memcpy(out, dir, dir_len);
    out[dir_len] = '/';
    memcpy(out + dir_len + 1, name, name_len + 1);
}

void write_file(const char *path, const char *content)
{
    FILE *file = fopen(path, "w");
    CHECK(file != NULL);
    CHECK(fputs(content, file) != EOF);
    CHECK_INT_EQ(fclose(file), 0);
}

int64_t syscall_nr(const char *name)
{
    int64_t nr = sandlock_syscall_nr(name);
    if (nr < 0) {
        check_failed(__FILE__, __LINE__, "sandlock_syscall_nr(\"%s\") failed: %s", name, sandlock_last_error());
    }
    return nr;
}

sandlock_handler_registration_t registration(const char *name, sandlock_handler_t *handler)
{
    if (handler == NULL) {
        check_failed(__FILE__, __LINE__, "sandlock_handler_new failed: %s", sandlock_last_error());
    }
    sandlock_handler_registration_t entry = {.syscall_nr = syscall_nr(name), .handler = handler};
    return entry;
}

/* ---- 1.1 fixtures --------------------------------------------------------- */

void check_error(const char *file, int line, sandlock_error_t *err, int32_t status, int32_t errnum,
                 const char *message)
{
    if (err == NULL) {
        check_failed(file, line, "no error object (last error: %s)", sandlock_last_error());
    }
    if (sandlock_error_status(err) != status || sandlock_error_errno(err) != errnum) {
        check_failed(file, line, "error status %d errno %d (%s), expected status %d errno %d",
                     sandlock_error_status(err), sandlock_error_errno(err), sandlock_error_message(err), status,
                     errnum);
    }
    check_str_eq(file, line, "sandlock_error_message(err)", sandlock_error_message(err), message);
    /* The 1.0 way to read the same failure, on the same thread. */
    check_last_error(file, line, status, message);
    sandlock_error_free(err);
}

void check_exit(const char *file, int line, const sandlock_exit_t *exit, uint32_t reason, int32_t exit_code,
                int32_t signal, int64_t syscall_nr)
{
    if (exit == NULL) {
        check_failed(file, line, "no exit snapshot (last error: %s)", sandlock_last_error());
    }
    if (exit->reason != reason || exit->exit_code != exit_code || exit->signal != signal ||
        exit->syscall_nr != syscall_nr || exit->stdout_truncated || exit->stderr_truncated) {
        check_failed(file, line,
                     "exit {reason %u, exit_code %d, signal %d, syscall_nr %lld, truncated %d/%d}, expected "
                     "{reason %u, exit_code %d, signal %d, syscall_nr %lld, truncated 0/0}",
                     exit->reason, exit->exit_code, exit->signal, (long long)exit->syscall_nr,
                     exit->stdout_truncated, exit->stderr_truncated, reason, exit_code, signal,
                     (long long)syscall_nr);
    }
}

void counter_add(struct counter *counter)
{
    pthread_mutex_lock(&counter->lock);
    counter->value++;
    pthread_mutex_unlock(&counter->lock);
}

int counter_get(struct counter *counter)
{
    pthread_mutex_lock(&counter->lock);
    int value = counter->value;
    pthread_mutex_unlock(&counter->lock);
    return value;
}

void counter_drop(void *ud)
{
    counter_add(ud);
}

sandlock_handler_t *counted(sandlock_handler_fn_t callback, struct counter *drops,
                            sandlock_exception_policy_t exception_policy)
{
    sandlock_handler_t *handler = sandlock_handler_new(callback, drops, counter_drop, exception_policy);
    if (handler == NULL) {
        check_failed(__FILE__, __LINE__, "sandlock_handler_new failed: %s", sandlock_last_error());
    }
    return handler;
}

int32_t callback_continue(void *ud, const sandlock_notif_data_t *notif, sandlock_mem_handle_t *mem,
                          sandlock_action_out_t *out)
{
    (void)ud;
    (void)notif;
    (void)mem;
    return sandlock_action_set_continue(out);
}

int32_t callback_kill_sigusr2(void *ud, const sandlock_notif_data_t *notif, sandlock_mem_handle_t *mem,
                               sandlock_action_out_t *out)
{
    (void)ud;
    (void)notif;
    (void)mem;
    return sandlock_action_set_kill(out, SIGUSR2, 0);
}

int32_t callback_fail(void *ud, const sandlock_notif_data_t *notif, sandlock_mem_handle_t *mem,
                      sandlock_action_out_t *out)
{
    (void)ud;
    (void)notif;
    (void)mem;
    (void)out;
    return -1;
}

sandlock_command_t *probe_command(const sandlock_policy_t *policy, const char *const *args, uint32_t nargs)
{
    const char *argv[8];
    CHECK(nargs < sizeof argv / sizeof argv[0]);
    argv[0] = probe_path();
    memcpy(&argv[1], args, nargs * sizeof args[0]);
    sandlock_error_t *err = NULL;
    sandlock_command_t *command = sandlock_command_new(policy, argv, nargs + 1, &err);
    if (command == NULL) {
        check_failed(__FILE__, __LINE__, "sandlock_command_new failed: %s", sandlock_error_message(err));
    }
    CHECK(err == NULL);
    return command;
}

sandlock_result_t *run_and_free(sandlock_command_t *command)
{
    sandlock_error_t *err = NULL;
    sandlock_result_t *result = sandlock_command_run(command, &err);
    sandlock_command_free(command);
    if (result == NULL) {
        check_failed(__FILE__, __LINE__, "sandlock_command_run failed: %s", sandlock_error_message(err));
    }
    CHECK(err == NULL);
    return result;
}

sandlock_result_t *run_probe_command(const sandlock_policy_t *policy, const char *const *args, uint32_t nargs)
{
    return run_and_free(probe_command(policy, args, nargs));
}

sandlock_child_t *spawn_and_free(sandlock_command_t *command)
{
    sandlock_error_t *err = NULL;
    sandlock_child_t *child = sandlock_command_spawn(command, &err);
    sandlock_command_free(command);
    if (child == NULL) {
        check_failed(__FILE__, __LINE__, "sandlock_command_spawn failed: %s", sandlock_error_message(err));
    }
    CHECK(err == NULL);
    return child;
}

void make_pipe(int fds[2])
{
    CHECK_INT_EQ(pipe2(fds, O_CLOEXEC), 0);
}

char *read_to_end(int fd, size_t *len)
{
    size_t capacity = 4096;
    size_t used = 0;
    char *data = malloc(capacity);
    CHECK(data != NULL);
    for (;;) {
        if (capacity - used < 4096) {
            capacity *= 2;
            char *grown = realloc(data, capacity);
            CHECK(grown != NULL);
            data = grown;
        }
        ssize_t n = read(fd, data + used, capacity - used - 1);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        CHECK(n >= 0);
        if (n == 0) {
            break;
        }
        used += (size_t)n;
    }
    data[used] = '\0';
    if (len != NULL) {
        *len = used;
    }
    return data;
}
