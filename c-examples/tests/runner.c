/*
 * The C end-to-end suite's runner: each test runs in a forked process (so a
 * failed check, a crash or a hang fails that test alone) and the last line
 * is "N passed, M failed".
 *
 *   tests/run            every test
 *   tests/run NAME...    only these tests
 */
#define _GNU_SOURCE
#include "tests.h"

#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* A test that takes longer than this hangs. */
enum { TEST_TIMEOUT_SECONDS = 30 };

static const struct test_case tests[] = {
#define TEST_ENTRY(name) {#name, name},
    ALL_TESTS(TEST_ENTRY)
#undef TEST_ENTRY
};

static bool selected(const char *name, int argc, char **argv)
{
    if (argc < 2) {
        return true;
    }
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], name) == 0) {
            return true;
        }
    }
    return false;
}

static double seconds_since(const struct timespec *start)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - start->tv_sec) + (double)(now.tv_nsec - start->tv_nsec) / 1e9;
}

/* Run one test in a child process; true when it exited 0. */
static bool run_test(const struct test_case *test)
{
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid < 0) {
        perror("fork");
        return false;
    }
    if (pid == 0) {
        alarm(TEST_TIMEOUT_SECONDS);
        test->run();
        exit(0);
    }
    int status = 0;
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) {
            perror("waitpid");
            return false;
        }
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
        return true;
    }
    if (WIFSIGNALED(status) && WTERMSIG(status) == SIGALRM) {
        fprintf(stderr, "%s: timed out after %d s\n", test->name, TEST_TIMEOUT_SECONDS);
    } else if (WIFSIGNALED(status)) {
        fprintf(stderr, "%s: killed by signal %d\n", test->name, WTERMSIG(status));
    }
    return false;
}

int main(int argc, char **argv)
{
    size_t passed = 0;
    size_t failed = 0;
    for (size_t i = 0; i < sizeof tests / sizeof tests[0]; i++) {
        if (!selected(tests[i].name, argc, argv)) {
            continue;
        }
        struct timespec start;
        clock_gettime(CLOCK_MONOTONIC, &start);
        bool ok = run_test(&tests[i]);
        printf("%s %s (%.2f s)\n", ok ? "ok  " : "FAIL", tests[i].name, seconds_since(&start));
        if (ok) {
            passed++;
        } else {
            failed++;
        }
    }
    if (passed + failed == 0) {
        fprintf(stderr, "no test matched\n");
        return 2;
    }
    printf("%zu passed, %zu failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
