/*
 * probe: the program the C suite runs inside the sandbox. Each command makes
 * one syscall and prints its outcome in a form the tests compare exactly.
 *
 *   probe getppid          prints getppid()
 *   probe uname            prints "ok NODENAME" or "errno N"
 *   probe open PATH        prints "ok" or "errno N"
 *   probe open-rw PATH     the same, opening for reading and writing
 *   probe create-in-tmpdir creates $TMPDIR/f: prints "ok" or "errno N"
 *   probe shm-open         the same for shm_open of a new object (unlinked again)
 *   probe cat PATH         prints the file, or "errno N"
 *   probe exit N           exits with N
 *   probe exit-getppid     exits with getppid() & 0xff
 *   probe pause            waits for a signal
 *   probe write-bytes N    writes N bytes of the pattern 'a'..'z' to stdout
 *   probe write-bytes-stderr N   the same to stderr
 *   probe cat-stdin        copies stdin to stdout
 *   probe echo2 OUT ERR    prints OUT on stdout and ERR on stderr
 *   probe getenv NAME      prints the variable's value or "unset"
 *   probe rlimit-nofile    prints "SOFT HARD" of RLIMIT_NOFILE
 *   probe capeff           prints the effective capability mask in hex
 *   probe kill PID SIG     prints "ok" or "errno N" of kill(PID, SIG)
 *   probe netlink          the same for socket(AF_NETLINK, SOCK_DGRAM, NETLINK_ROUTE)
 *   probe shm              the same for shmget(IPC_PRIVATE) (removed again)
 *   probe connect PORT     the same for a TCP connect to 127.0.0.1:PORT
 *   probe fork             clone(SIGCHLD) (a fork with exactly these flags); the
 *                          child exits 7: prints "child 7" or "errno N"
 *   probe thread           starts a thread and joins it: "thread ok" or "errno N"
 *   probe open-append PATH the same as open, with O_WRONLY|O_APPEND|O_CLOEXEC
 *   probe open-many N PATH opens PATH read-only N times: "ok" or "errno N"
 *   probe rlimit-as        prints "SOFT HARD" of RLIMIT_AS ("unlimited" for no limit)
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/netlink.h>
#include <pthread.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/shm.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <signal.h>
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

static int print_outcome(int rc)
{
    if (rc < 0) {
        return print_errno();
    }
    printf("ok\n");
    return 0;
}

/* The pattern byte at offset i: the reader checks every byte it got. */
static int write_bytes(int fd, long total)
{
    char buf[8192];
    long written = 0;
    while (written < total) {
        size_t chunk = total - written < (long)sizeof buf ? (size_t)(total - written) : sizeof buf;
        for (size_t i = 0; i < chunk; i++) {
            buf[i] = (char)('a' + (written + (long)i) % 26);
        }
        ssize_t n = write(fd, buf, chunk);
        if (n <= 0) {
            return 1;
        }
        written += n;
    }
    return 0;
}

static int cat_stdin(void)
{
    char buf[8192];
    ssize_t len;
    while ((len = read(0, buf, sizeof buf)) > 0) {
        if (fwrite(buf, 1, (size_t)len, stdout) != (size_t)len) {
            return 1;
        }
    }
    return len == 0 ? 0 : 1;
}

struct cap_header {
    uint32_t version;
    int pid;
};

struct cap_data {
    uint32_t effective;
    uint32_t permitted;
    uint32_t inheritable;
};

static int capeff(void)
{
    struct cap_header header = {0x20080522, 0}; /* _LINUX_CAPABILITY_VERSION_3 */
    struct cap_data data[2];
    memset(data, 0, sizeof data);
    if (syscall(SYS_capget, &header, data) != 0) {
        return print_errno();
    }
    printf("%llx\n", (unsigned long long)data[1].effective << 32 | data[0].effective);
    return 0;
}

static int connect_port(const char *port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        return print_errno();
    }
    struct sockaddr_in addr;
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_port = htons((uint16_t)atoi(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int rc = connect(fd, (struct sockaddr *)&addr, sizeof addr);
    int saved = errno;
    close(fd);
    errno = saved;
    return print_outcome(rc);
}

/* A fork through the raw syscall, so that the flags are exactly SIGCHLD. */
static int fork_child(void)
{
    long pid = syscall(SYS_clone, (unsigned long)SIGCHLD, 0L, 0L, 0L, 0L);
    if (pid < 0) {
        return print_errno();
    }
    if (pid == 0) {
        _exit(7);
    }
    int status = 0;
    if (waitpid((pid_t)pid, &status, 0) != (pid_t)pid || !WIFEXITED(status)) {
        return 1;
    }
    printf("child %d\n", WEXITSTATUS(status));
    return 0;
}

static void *thread_body(void *arg)
{
    return arg;
}

static int run_thread(void)
{
    pthread_t thread;
    int rc = pthread_create(&thread, NULL, thread_body, NULL);
    if (rc != 0) {
        printf("errno %d\n", rc);
        return 0;
    }
    if (pthread_join(thread, NULL) != 0) {
        return 1;
    }
    printf("thread ok\n");
    return 0;
}

static void print_limit(rlim_t value)
{
    if (value == RLIM_INFINITY) {
        printf("unlimited");
    } else {
        printf("%llu", (unsigned long long)value);
    }
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
    if (strcmp(command, "open-rw") == 0 && argc == 3) {
        int fd = open(argv[2], O_RDWR | O_CLOEXEC);
        if (fd >= 0) {
            close(fd);
        }
        return print_outcome(fd);
    }
    if (strcmp(command, "create-in-tmpdir") == 0 && argc == 2) {
        const char *dir = getenv("TMPDIR");
        char path[4096];
        if (dir == NULL || (size_t)snprintf(path, sizeof path, "%s/f", dir) >= sizeof path) {
            printf("no TMPDIR\n");
            return 0;
        }
        int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (fd >= 0) {
            close(fd);
        }
        return print_outcome(fd);
    }
    if (strcmp(command, "shm-open") == 0 && argc == 2) {
        int fd = shm_open("/sandlock-ctest-shm", O_RDWR | O_CREAT | O_EXCL, 0600);
        if (fd >= 0) {
            close(fd);
            shm_unlink("/sandlock-ctest-shm");
        }
        return print_outcome(fd);
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
    if (strcmp(command, "write-bytes") == 0 && argc == 3) {
        return write_bytes(1, atol(argv[2]));
    }
    if (strcmp(command, "write-bytes-stderr") == 0 && argc == 3) {
        return write_bytes(2, atol(argv[2]));
    }
    if (strcmp(command, "cat-stdin") == 0 && argc == 2) {
        return cat_stdin();
    }
    if (strcmp(command, "echo2") == 0 && argc == 4) {
        printf("%s\n", argv[2]);
        fflush(stdout);
        fprintf(stderr, "%s\n", argv[3]);
        return 0;
    }
    if (strcmp(command, "getenv") == 0 && argc == 3) {
        const char *value = getenv(argv[2]);
        printf("%s\n", value != NULL ? value : "unset");
        return 0;
    }
    if (strcmp(command, "rlimit-nofile") == 0 && argc == 2) {
        struct rlimit limit;
        if (getrlimit(RLIMIT_NOFILE, &limit) != 0) {
            return print_errno();
        }
        printf("%llu %llu\n", (unsigned long long)limit.rlim_cur, (unsigned long long)limit.rlim_max);
        return 0;
    }
    if (strcmp(command, "capeff") == 0 && argc == 2) {
        return capeff();
    }
    if (strcmp(command, "kill") == 0 && argc == 4) {
        return print_outcome(kill((pid_t)atoi(argv[2]), atoi(argv[3])));
    }
    if (strcmp(command, "netlink") == 0 && argc == 2) {
        int fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_ROUTE);
        if (fd >= 0) {
            close(fd);
        }
        return print_outcome(fd);
    }
    if (strcmp(command, "shm") == 0 && argc == 2) {
        int id = shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0600);
        if (id >= 0) {
            shmctl(id, IPC_RMID, NULL);
        }
        return print_outcome(id);
    }
    if (strcmp(command, "connect") == 0 && argc == 3) {
        return connect_port(argv[2]);
    }
    if (strcmp(command, "fork") == 0 && argc == 2) {
        return fork_child();
    }
    if (strcmp(command, "thread") == 0 && argc == 2) {
        return run_thread();
    }
    if (strcmp(command, "open-append") == 0 && argc == 3) {
        int fd = open(argv[2], O_WRONLY | O_APPEND | O_CLOEXEC);
        if (fd >= 0) {
            close(fd);
        }
        return print_outcome(fd);
    }
    if (strcmp(command, "open-many") == 0 && argc == 4) {
        for (long i = atol(argv[2]); i > 0; i--) {
            int fd = open(argv[3], O_RDONLY | O_CLOEXEC);
            if (fd < 0) {
                return print_errno();
            }
            close(fd);
        }
        printf("ok\n");
        return 0;
    }
    if (strcmp(command, "rlimit-as") == 0 && argc == 2) {
        struct rlimit limit;
        if (getrlimit(RLIMIT_AS, &limit) != 0) {
            return print_errno();
        }
        print_limit(limit.rlim_cur);
        putchar(' ');
        print_limit(limit.rlim_max);
        putchar('\n');
        return 0;
    }
    fprintf(stderr, "usage: probe getppid|uname|open PATH|cat PATH|exit N|exit-getppid|pause|write-bytes N|"
                    "write-bytes-stderr N|cat-stdin|echo2 OUT ERR|getenv NAME|rlimit-nofile|capeff|kill PID SIG|"
                    "netlink|shm|connect PORT|fork|thread|open-append PATH|open-many N PATH|rlimit-as|"
                    "open-rw PATH|create-in-tmpdir|shm-open\n");
    return 2;
}
