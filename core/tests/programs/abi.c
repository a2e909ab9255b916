/* Syscall entry points: abi int80|x32 (the filter kills the process, so
 * nothing is printed), abi clone3|fork|thread. */
#include "probe.h"

#include <linux/sched.h>
#include <pthread.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

/* The i386 ABI: getpid is number 20 there. */
static long getpid_int80(void) {
    long ret;
    __asm__ volatile("int $0x80" : "=a"(ret) : "a"(20L) : "memory");
    return ret;
}

static long raw_clone3(void) {
    struct clone_args args;
    memset(&args, 0, sizeof args);
    args.exit_signal = SIGCHLD;
    long pid = syscall(SYS_clone3, &args, sizeof args);
    if (pid == 0) {
        _exit(0);
    }
    if (pid > 0) {
        waitpid((pid_t)pid, NULL, 0);
    }
    return pid;
}

/* ok when a forked child ran and its exit code came back. */
static long fork_and_wait(void) {
    int status;
    pid_t pid = fork();
    if (pid == 0) {
        _exit(7);
    }
    if (pid < 0 || waitpid(pid, &status, 0) < 0) {
        return -1;
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 7) {
        errno = ECHILD;
        return -1;
    }
    return 0;
}

static int thread_ran;

static void *thread_main(void *arg) {
    thread_ran = 1;
    return arg;
}

static long start_thread(void) {
    pthread_t thread;
    int err = pthread_create(&thread, NULL, thread_main, NULL);
    if (err == 0) {
        err = pthread_join(thread, NULL);
    }
    if (err == 0 && !thread_ran) {
        err = EINVAL;
    }
    errno = err;
    return err == 0 ? 0 : -1;
}

int main(int argc, char **argv) {
    if (is_probe(argc, argv, "int80", 0)) {
        printf("survived %ld\n", getpid_int80());
        return 0;
    }
    if (is_probe(argc, argv, "x32", 0)) {
        printf("survived %ld\n", syscall(0x40000000L | SYS_getpid));
        return 0;
    }
    if (is_probe(argc, argv, "clone3", 0)) {
        return report(raw_clone3());
    }
    if (is_probe(argc, argv, "fork", 0)) {
        return report(fork_and_wait());
    }
    if (is_probe(argc, argv, "thread", 0)) {
        return report(start_thread());
    }
    return usage(argv[0]);
}
