/* The sandboxed program of the Python tests: each subcommand performs one
 * kind of syscall and prints, unbuffered, exactly what it saw, so a test can
 * assert what the child observed (an errno, a return value, bytes read) and
 * where it stopped (the before/after markers around an intercepted call).
 *
 *   probe getppid          markers around getppid(11, 22, ... 66)
 *   probe open PATH N      open PATH N times; print each result and content
 *   probe gated-getppid    read one byte of stdin, then getppid; one write
 *   probe getcwd           getcwd into a 256-byte buffer; print it
 *   probe env NAME         print the variable NAME (or "unset")
 *   probe create PATH      create PATH; print the result
 *   probe echo             copy stdin to stdout as it arrives
 *   probe tick             print a counter every 10 ms, for 30 s
 *   probe exit CODE        "out" to stdout, "err" to stderr, exit CODE
 *   probe spew N           N bytes of 'x' to stdout
 *   probe ppid-loop N      getppid N times; print the last result
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static void print_result(long r) {
    dprintf(1, "ret=%ld errno=%d\n", r < 0 ? -1L : r, r < 0 ? errno : 0);
}

static int do_getppid(void) {
    dprintf(1, "pid=%d\n", (int)getpid());
    dprintf(1, "before\n");
    long r = syscall(SYS_getppid, 11L, 22L, 33L, 44L, 55L, 66L);
    print_result(r);
    dprintf(1, "after\n");
    return 0;
}

/* The result in a single write, so that one read by the caller sees it all. */
static int do_gated_getppid(void) {
    char go;
    if (read(0, &go, 1) != 1)
        return 1;
    long r = syscall(SYS_getppid);
    print_result(r);
    return 0;
}

static int do_open(const char *path, int n) {
    for (int i = 0; i < n; i++) {
        int fd = open(path, O_RDONLY);
        if (fd < 0) {
            dprintf(1, "open=-1 errno=%d\n", errno);
            continue;
        }
        char buf[4096];
        ssize_t len = read(fd, buf, sizeof buf);
        dprintf(1, "open=ok data=%.*s\n", (int)(len < 0 ? 0 : len), buf);
        close(fd);
    }
    return 0;
}

static int do_getcwd(void) {
    char buf[256];
    memset(buf, 0, sizeof buf);
    long r = syscall(SYS_getcwd, buf, sizeof buf);
    print_result(r);
    dprintf(1, "buf=%s\n", buf);
    return 0;
}

static int do_echo(void) {
    char buf[4096];
    ssize_t n;
    while ((n = read(0, buf, sizeof buf)) > 0)
        if (write(1, buf, (size_t)n) != n)
            return 1;
    return 0;
}

static int do_tick(void) {
    struct timespec ten_ms = {0, 10 * 1000 * 1000};
    for (int i = 0; i < 3000; i++) {
        dprintf(1, "tick %d\n", i);
        nanosleep(&ten_ms, NULL);
    }
    return 0;
}

static int do_spew(long n) {
    char buf[4096];
    memset(buf, 'x', sizeof buf);
    while (n > 0) {
        ssize_t w = write(1, buf, n < (long)sizeof buf ? (size_t)n : sizeof buf);
        if (w <= 0)
            return 1;
        n -= w;
    }
    return 0;
}

static int do_ppid_loop(long n) {
    long r = 0;
    for (long i = 0; i < n; i++)
        r = syscall(SYS_getppid);
    print_result(r);
    return 0;
}

int main(int argc, char **argv) {
    const char *cmd = argc > 1 ? argv[1] : "";
    if (!strcmp(cmd, "getppid"))
        return do_getppid();
    if (!strcmp(cmd, "gated-getppid"))
        return do_gated_getppid();
    if (!strcmp(cmd, "open") && argc == 4)
        return do_open(argv[2], atoi(argv[3]));
    if (!strcmp(cmd, "getcwd"))
        return do_getcwd();
    if (!strcmp(cmd, "echo"))
        return do_echo();
    if (!strcmp(cmd, "tick"))
        return do_tick();
    if (!strcmp(cmd, "exit") && argc == 3) {
        dprintf(1, "out\n");
        dprintf(2, "err\n");
        return atoi(argv[2]);
    }
    if (!strcmp(cmd, "env") && argc == 3) {
        const char *value = getenv(argv[2]);
        dprintf(1, "%s\n", value ? value : "unset");
        return 0;
    }
    if (!strcmp(cmd, "create") && argc == 3) {
        int fd = open(argv[2], O_WRONLY | O_CREAT | O_EXCL, 0600);
        dprintf(1, "create=%d errno=%d\n", fd < 0 ? -1 : 0, fd < 0 ? errno : 0);
        return 0;
    }
    if (!strcmp(cmd, "spew") && argc == 3)
        return do_spew(atol(argv[2]));
    if (!strcmp(cmd, "ppid-loop") && argc == 3)
        return do_ppid_loop(atol(argv[2]));
    dprintf(2, "probe: unknown command %s\n", cmd);
    return 2;
}
