/* Reaching other processes: process ptrace_parent|process_vm_writev_parent|
 * parent_mem|kill_own_group|prlimit_parent|pidfd_kill_parent|clone_parent|
 * pidfd_info_parent,
 * process kill_parent SIG,
 * process kill_group PGID SIG. */
#include "probe.h"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

static long write_parent_memory(void) {
    char byte = 0;
    struct iovec local = {.iov_base = &byte, .iov_len = 1};
    /* Any address: the call must be refused before it is looked at. */
    struct iovec remote = {.iov_base = &byte, .iov_len = 1};
    return process_vm_writev(getppid(), &local, 1, &remote, 1, 0);
}

static long open_parent_mem(void) {
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/mem", (int)getppid());
    int fd = open(path, O_RDWR | O_CLOEXEC);
    if (fd >= 0) {
        close(fd);
    }
    return fd;
}

/* A process that is the sibling of this one, a child of the sandbox's
 * parent; it exits at once. */
static long clone_parent(void) {
    long pid = syscall(SYS_clone, CLONE_PARENT | SIGCHLD, 0, 0, 0, 0);
    if (pid == 0) {
        syscall(SYS_exit_group, 0);
    }
    return pid;
}

/* kill(0, ...) reaches the caller's process group, which must be the
 * sandbox's own; SIGTERM is ignored so that the probe survives it. */
static long kill_own_group(void) {
    signal(SIGTERM, SIG_IGN);
    return kill(0, SIGTERM);
}

int main(int argc, char **argv) {
    if (is_probe(argc, argv, "ptrace_parent", 0)) {
        return report(ptrace(PTRACE_ATTACH, getppid(), NULL, NULL));
    }
    if (is_probe(argc, argv, "process_vm_writev_parent", 0)) {
        return report(write_parent_memory());
    }
    if (is_probe(argc, argv, "pidfd_kill_parent", 0)) {
        long fd = syscall(SYS_pidfd_open, getppid(), 0);
        if (fd < 0) {
            return report(fd);
        }
        return report(syscall(SYS_pidfd_send_signal, (int)fd, 0, NULL, 0));
    }
    if (is_probe(argc, argv, "prlimit_parent", 0)) {
        /* Only reads the limit: the permission check is the same as for
         * setting one (say RLIMIT_CPU, which would kill the parent). */
        struct rlimit old;
        return report(syscall(SYS_prlimit64, getppid(), RLIMIT_NOFILE, NULL, &old));
    }
    if (is_probe(argc, argv, "parent_mem", 0)) {
        return report(open_parent_mem());
    }
    if (is_probe(argc, argv, "pidfd_info_parent", 0)) {
        /* PIDFD_GET_INFO with its first struct size (64 bytes). */
        unsigned long long info[8] = {2 /* PIDFD_INFO_CREDS */};
        long fd = syscall(SYS_pidfd_open, getppid(), 0);
        if (fd < 0) {
            return report(fd);
        }
        return report(syscall(SYS_ioctl, (int)fd, 0xc040ff0bUL, info));
    }
    if (is_probe(argc, argv, "clone_parent", 0)) {
        return report(clone_parent());
    }
    if (is_probe(argc, argv, "kill_own_group", 0)) {
        return report(kill_own_group());
    }
    if (is_probe(argc, argv, "kill_parent", 1)) {
        return report(kill(getppid(), atoi(argv[2])));
    }
    if (is_probe(argc, argv, "kill_group", 2)) {
        return report(kill(-atoi(argv[2]), atoi(argv[3])));
    }
    return usage(argv[0]);
}
