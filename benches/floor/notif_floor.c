/* The floor: the cheapest possible supervisor. A child traps getppid with a
 * seccomp user-notification filter and runs getppid_loop; this process
 * answers each notification with a bare NOTIF_RECV/NOTIF_SEND loop.
 * Usage: notif_floor N sync|nosync /path/to/getppid_loop
 * Prints the child's measured loop time in nanoseconds. */
#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP
#define SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP 1
#endif
#ifndef SECCOMP_IOCTL_NOTIF_SET_FLAGS
#define SECCOMP_IOCTL_NOTIF_SET_FLAGS SECCOMP_IOW(4, __u64)
#endif

static void die(const char *what) {
    perror(what);
    exit(1);
}

int main(int argc, char **argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: %s N sync|nosync getppid_loop\n", argv[0]);
        return 2;
    }
    long n = atol(argv[1]);
    int sync_wakeup = strcmp(argv[2], "sync") == 0;
    int fdpipe[2], outpipe[2], gopipe[2];
    if (pipe(fdpipe) || pipe(outpipe) || pipe(gopipe))
        die("pipe");
    pid_t pid = fork();
    if (pid < 0)
        die("fork");
    if (pid == 0) {
        struct sock_filter filter[] = {
            BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
            BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_getppid, 0, 1),
            BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF),
            BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
        };
        struct sock_fprog prog = {sizeof filter / sizeof filter[0], filter};
        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
            die("prctl");
        int fd = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, &prog);
        if (fd < 0)
            die("seccomp");
        /* Keep the listener open across exec until the parent has its copy. */
        char go;
        if (write(fdpipe[1], &fd, sizeof fd) != sizeof fd || read(gopipe[0], &go, 1) != 1)
            die("handshake");
        dup2(outpipe[1], 1);
        execl(argv[3], argv[3], argv[1], (char *)NULL);
        die("exec");
    }
    int childfd;
    if (read(fdpipe[0], &childfd, sizeof childfd) != sizeof childfd)
        die("read fd");
    int pidfd = syscall(SYS_pidfd_open, pid, 0);
    int listener = syscall(SYS_pidfd_getfd, pidfd, childfd, 0);
    if (pidfd < 0 || listener < 0)
        die("pidfd_getfd");
    if (write(gopipe[1], "g", 1) != 1)
        die("go");
    if (sync_wakeup && ioctl(listener, SECCOMP_IOCTL_NOTIF_SET_FLAGS, SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP))
        die("SET_FLAGS");
    struct seccomp_notif req;
    struct seccomp_notif_resp resp;
    for (long i = 0; i < n; i++) {
        memset(&req, 0, sizeof req);
        if (ioctl(listener, SECCOMP_IOCTL_NOTIF_RECV, &req)) {
            if (errno == EINTR)
                continue;
            die("RECV");
        }
        resp.id = req.id;
        resp.val = 4242;
        resp.error = 0;
        resp.flags = 0;
        if (ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, &resp) && errno != ENOENT)
            die("SEND");
    }
    char buf[64] = {0};
    if (read(outpipe[0], buf, sizeof buf - 1) <= 0)
        die("read result");
    waitpid(pid, NULL, 0);
    fputs(buf, stdout);
    return 0;
}
