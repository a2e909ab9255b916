/* Under an allowlist that names what a dynamic C program needs to start and
 * write: `allowlisted` calls getppid; `allowlisted builtins PORT FILE` makes
 * the calls the sandbox's built-in handlers serve (clone for a process
 * limit, open for /proc, bind and listen for a TCP grant) and prints, for
 * each, whether the filter let it through. */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

static void show(const char *name, long rc) {
    printf("%s: %s\n", name, rc < 0 && errno == EPERM ? "EPERM" : "allowed");
}

static void builtins(int port, const char *file) {
    long child = syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0);
    if (child == 0) {
        syscall(SYS_exit_group, 0);
    }
    show("clone", child);
#ifdef SYS_open
    show("open", syscall(SYS_open, file, O_RDONLY | O_CLOEXEC));
#endif
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((unsigned short)port)};
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    show("bind", syscall(SYS_bind, fd, &addr, sizeof addr));
    show("listen", syscall(SYS_listen, fd, 1));
}

int main(int argc, char **argv) {
    if (argc == 4 && strcmp(argv[1], "builtins") == 0) {
        builtins(atoi(argv[2]), argv[3]);
        return 0;
    }
    long ppid = syscall(SYS_getppid);
    show("getppid", ppid);
    return 0;
}
