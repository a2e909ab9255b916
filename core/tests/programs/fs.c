/* File-system probes: fs write|read PATH, fs link SRC DST, fs chown PATH UID,
 * fs chmod PATH OCTAL-MODE,
 * fs mknod PATH, fs entropy PATH (the RNDGETENTCNT ioctl on a device). */
#include "probe.h"

#include <fcntl.h>
#include <linux/random.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

static long write_file(const char *path) {
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        return -1;
    }
    long rc = write(fd, "x", 1);
    close(fd);
    return rc;
}

static long read_file(const char *path) {
    char byte;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return -1;
    }
    long rc = read(fd, &byte, 1);
    close(fd);
    return rc;
}

static long entropy_count(const char *path) {
    int count;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return -1;
    }
    long rc = ioctl(fd, RNDGETENTCNT, &count);
    close(fd);
    return rc;
}

int main(int argc, char **argv) {
    if (is_probe(argc, argv, "write", 1)) {
        return report(write_file(argv[2]));
    }
    if (is_probe(argc, argv, "read", 1)) {
        return report(read_file(argv[2]));
    }
    if (is_probe(argc, argv, "entropy", 1)) {
        return report(entropy_count(argv[2]));
    }
    if (is_probe(argc, argv, "link", 2)) {
        return report(link(argv[2], argv[3]));
    }
    if (is_probe(argc, argv, "chown", 2)) {
        uid_t uid = (uid_t)strtoul(argv[3], NULL, 10);
        return report(chown(argv[2], uid, uid));
    }
    if (is_probe(argc, argv, "chmod", 2)) {
        return report(chmod(argv[2], (mode_t)strtoul(argv[3], NULL, 8)));
    }
    if (is_probe(argc, argv, "mknod", 1)) {
        /* The same device as /dev/null. */
        return report(mknod(argv[2], S_IFCHR | 0600, makedev(1, 3)));
    }
    return usage(argv[0]);
}
