/* Kernel interfaces a sandbox must not reach: kernel mount|unshare_user|
 * clone_newuser|io_uring_setup|open_by_handle_at|sethostname|tiocsti|
 * tiocsti_high|tioclinux|tiocspgrp|tiocswinsz|tiocsetd|tcxonc|tiocexcl|tcgets|
 * ioctl REQUEST [ARG]: REQUEST on stdin, with ARG or a zeroed buffer. */
#include "probe.h"

#include <fcntl.h>
#include <linux/io_uring.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

/* A raw clone so that libc cannot rewrite the flags; a child that should
 * never exist leaves at once. */
static long clone_new_user(void) {
    long pid = syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, 0, 0, 0, 0);
    if (pid == 0) {
        _exit(0);
    }
    if (pid > 0) {
        waitpid((pid_t)pid, NULL, 0);
    }
    return pid;
}

static long setup_io_uring(void) {
    struct io_uring_params params;
    memset(&params, 0, sizeof params);
    return syscall(SYS_io_uring_setup, 8, &params);
}

static long open_by_handle(void) {
    struct {
        struct file_handle header;
        unsigned char bytes[MAX_HANDLE_SZ];
    } handle;
    memset(&handle, 0, sizeof handle);
    handle.header.handle_bytes = 8;
    handle.header.handle_type = 1;
    return syscall(SYS_open_by_handle_at, AT_FDCWD, &handle, O_RDONLY);
}

/* Writes back the current name, so nothing changes even if allowed. */
static long reset_hostname(void) {
    char name[256];
    if (gethostname(name, sizeof name) < 0) {
        return -1;
    }
    return sethostname(name, strlen(name));
}

int main(int argc, char **argv) {
    char byte = 'x';
    struct termios termios;
    if (is_probe(argc, argv, "mount", 0)) {
        return report(mount("none", "/tmp", "tmpfs", 0, NULL));
    }
    if (is_probe(argc, argv, "unshare_user", 0)) {
        return report(unshare(CLONE_NEWUSER));
    }
    if (is_probe(argc, argv, "clone_newuser", 0)) {
        return report(clone_new_user());
    }
    if (is_probe(argc, argv, "io_uring_setup", 0)) {
        return report(setup_io_uring());
    }
    if (is_probe(argc, argv, "open_by_handle_at", 0)) {
        return report(open_by_handle());
    }
    if (is_probe(argc, argv, "sethostname", 0)) {
        return report(reset_hostname());
    }
    if (is_probe(argc, argv, "tiocsti", 0)) {
        return report(syscall(SYS_ioctl, 0, (unsigned long)TIOCSTI, &byte));
    }
    if (is_probe(argc, argv, "tiocsti_high", 0)) {
        /* The kernel truncates the request to 32 bits. */
        return report(syscall(SYS_ioctl, 0, 0xffffffff00000000UL | TIOCSTI, &byte));
    }
    if (is_probe(argc, argv, "tioclinux", 0)) {
        return report(syscall(SYS_ioctl, 0, (unsigned long)TIOCLINUX, &byte));
    }
    if (is_probe(argc, argv, "tiocspgrp", 0)) {
        pid_t group = getpgrp();
        return report(syscall(SYS_ioctl, 0, (unsigned long)TIOCSPGRP, &group));
    }
    if (is_probe(argc, argv, "tiocswinsz", 0)) {
        struct winsize size = {.ws_row = 24, .ws_col = 80};
        return report(syscall(SYS_ioctl, 0, (unsigned long)TIOCSWINSZ, &size));
    }
    if (is_probe(argc, argv, "tiocsetd", 0)) {
        int discipline = 0; /* N_TTY */
        return report(syscall(SYS_ioctl, 0, (unsigned long)TIOCSETD, &discipline));
    }
    if (is_probe(argc, argv, "tcxonc", 0)) {
        return report(syscall(SYS_ioctl, 0, (unsigned long)TCXONC, TCOOFF));
    }
    if (is_probe(argc, argv, "tiocexcl", 0)) {
        return report(syscall(SYS_ioctl, 0, (unsigned long)TIOCEXCL, 0));
    }
    if (is_probe(argc, argv, "tcgets", 0)) {
        return report(syscall(SYS_ioctl, 0, (unsigned long)TCGETS, &termios));
    }
    if (is_probe(argc, argv, "ioctl", 1) || is_probe(argc, argv, "ioctl", 2)) {
        static unsigned char buffer[4096];
        unsigned long request = strtoul(argv[2], NULL, 0);
        unsigned long arg = argc == 4 ? strtoul(argv[3], NULL, 0) : (unsigned long)buffer;
        return report(syscall(SYS_ioctl, 0, request, arg));
    }
    return usage(argv[0]);
}
