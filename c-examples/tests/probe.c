/*
 * probe: the program the C suite runs inside the sandbox. Each command makes
 * one syscall and prints its outcome in a form the tests compare exactly.
 *
 *   probe getppid          prints getppid()
 *   probe uname            prints "ok NODENAME" or "errno N"
 *   probe open PATH        prints "ok" or "errno N"
 *   probe cat PATH         prints the file, or "errno N"
 *   probe exit N           exits with N
 *   probe exit-getppid     exits with getppid() & 0xff
 *   probe pause            waits for a signal
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

static int print_errno(void)
{
    printf("errno %d\n", errno);
    return 0;
}

static int cat(const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return print_errno();
    }
    char buf[4096];
    ssize_t len;
    while ((len = read(fd, buf, sizeof buf)) > 0) {
        fwrite(buf, 1, (size_t)len, stdout);
    }
    close(fd);
    return len == 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
    const char *command = argc > 1 ? argv[1] : "";
    if (strcmp(command, "getppid") == 0 && argc == 2) {
        printf("%d\n", (int)getppid());
        return 0;
    }
    if (strcmp(command, "uname") == 0 && argc == 2) {
        struct utsname names;
        if (uname(&names) != 0) {
            return print_errno();
        }
        printf("ok %s\n", names.nodename);
        return 0;
    }
    if (strcmp(command, "open") == 0 && argc == 3) {
        int fd = open(argv[2], O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            return print_errno();
        }
        close(fd);
        printf("ok\n");
        return 0;
    }
    if (strcmp(command, "cat") == 0 && argc == 3) {
        return cat(argv[2]);
    }
    if (strcmp(command, "exit") == 0 && argc == 3) {
        return atoi(argv[2]);
    }
    if (strcmp(command, "exit-getppid") == 0 && argc == 2) {
        return getppid() & 0xff;
    }
    if (strcmp(command, "pause") == 0 && argc == 2) {
        pause();
        return 0;
    }
    fprintf(stderr, "usage: probe getppid|uname|open PATH|cat PATH|exit N|exit-getppid|pause\n");
    return 2;
}
