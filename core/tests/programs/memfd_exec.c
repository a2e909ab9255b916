/* Running code that no Landlock rule lets the child execute:
 * memfd_exec at|proc PROGRAM [ARGS...] copies PROGRAM into a memfd and
 * executes the copy with execveat(AT_EMPTY_PATH) or through
 * /proc/self/fd/N. Landlock never checks a memfd (its file system is
 * internal), so the exec succeeds; the test asserts the program still runs
 * inside the sandbox. Prints "exec failed: " and the errno's name if the
 * copy or the exec fails, which no probe it runs prints. */
#include "probe.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

extern char **environ;

static int copy_into_memfd(const char *path) {
    int src = open(path, O_RDONLY | O_CLOEXEC);
    int memfd = memfd_create("brought", 0);
    if (src < 0 || memfd < 0) {
        return -1;
    }
    char buf[65536];
    ssize_t n;
    while ((n = read(src, buf, sizeof buf)) > 0) {
        if (write(memfd, buf, (size_t)n) != n) {
            return -1;
        }
    }
    close(src);
    return n < 0 ? -1 : memfd;
}

static int exec_failed(void) {
    printf("exec failed: %s\n", strerrorname_np(errno));
    return 0;
}

int main(int argc, char **argv) {
    if (argc < 3 || (strcmp(argv[1], "at") != 0 && strcmp(argv[1], "proc") != 0)) {
        return usage(argv[0]);
    }
    int memfd = copy_into_memfd(argv[2]);
    if (memfd < 0) {
        return exec_failed();
    }
    if (strcmp(argv[1], "at") == 0) {
        syscall(SYS_execveat, memfd, "", &argv[2], environ, AT_EMPTY_PATH);
    } else {
        char path[64];
        snprintf(path, sizeof path, "/proc/self/fd/%d", memfd);
        execve(path, &argv[2], environ);
    }
    return exec_failed();
}
