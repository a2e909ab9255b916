#define _GNU_SOURCE
#include "check.h"

#include <ftw.h>
#include <limits.h>
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

static void check_str_eq(const char *file, int line, const char *what, const char *actual, const char *expected)
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
