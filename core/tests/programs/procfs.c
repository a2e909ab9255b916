/* The child's own /proc entries (escape_procfs.rs):
 *   procfs open PATH   open O_RDONLY
 *   procfs open_path PATH  open O_PATH and fstat the fd
 *   procfs read PATH   open O_RDONLY and read
 *   procfs list PATH   open as a directory and read one entry
 *   procfs readlink PATH  read a link (another process's exe, cwd, fd/N)
 *   procfs task_stack  open /proc/self/task/<own tid>/stack
 *   procfs pagemap     read the pagemap entry of a page of the probe's
 *                      stack; prints "read 0x<entry>" instead of "ok" */
#include "probe.h"

#include <dirent.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdint.h>
#include <sys/stat.h>
#include <unistd.h>

static long open_only(const char *path) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        close(fd);
    }
    return fd;
}

static long open_path_only(const char *path) {
    int fd = open(path, O_PATH | O_CLOEXEC);
    if (fd < 0) {
        return -1;
    }
    struct stat st;
    long rc = fstat(fd, &st);
    close(fd);
    return rc;
}

static long read_some(const char *path) {
    char buf[256];
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return -1;
    }
    long rc = read(fd, buf, sizeof buf);
    int saved = errno;
    close(fd);
    errno = saved;
    return rc;
}

static long list(const char *path) {
    DIR *dir = opendir(path);
    if (dir == NULL) {
        return -1;
    }
    errno = 0;
    struct dirent *entry = readdir(dir);
    int saved = errno;
    closedir(dir);
    if (entry == NULL) {
        errno = saved != 0 ? saved : ENOENT;
        return -1;
    }
    return 0;
}

static int pagemap(void) {
    volatile char page[1] = {1};
    uintptr_t addr = (uintptr_t)page;
    long size = sysconf(_SC_PAGESIZE);
    int fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return report(-1);
    }
    uint64_t entry;
    ssize_t n = pread(fd, &entry, sizeof entry, (off_t)(addr / (uintptr_t)size * sizeof entry));
    int saved = errno;
    close(fd);
    if (n != (ssize_t)sizeof entry) {
        errno = n < 0 ? saved : EIO;
        return report(-1);
    }
    printf("read 0x%016" PRIx64 "\n", entry);
    return 0;
}

int main(int argc, char **argv) {
    if (is_probe(argc, argv, "open", 1)) {
        return report(open_only(argv[2]));
    }
    if (is_probe(argc, argv, "readlink", 1)) {
        char target[4096];
        return report(readlink(argv[2], target, sizeof target));
    }
    if (is_probe(argc, argv, "open_path", 1)) {
        return report(open_path_only(argv[2]));
    }
    if (is_probe(argc, argv, "read", 1)) {
        return report(read_some(argv[2]));
    }
    if (is_probe(argc, argv, "list", 1)) {
        return report(list(argv[2]));
    }
    if (is_probe(argc, argv, "task_stack", 0)) {
        char path[64];
        snprintf(path, sizeof path, "/proc/self/task/%d/stack", (int)gettid());
        return report(open_only(path));
    }
    if (is_probe(argc, argv, "pagemap", 0)) {
        return pagemap();
    }
    return usage(argv[0]);
}
