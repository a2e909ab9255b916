/* File-system probes: fs write|read PATH, fs link SRC DST, fs chown PATH UID,
 * fs chmod PATH OCTAL-MODE,
 * fs mknod PATH, fs entropy PATH (the RNDGETENTCNT ioctl on a device),
 * fs create_set_id open|openat|openat2|creat|mknod|mknodat|tmpfile PATH
 * (creates PATH with mode 06755 by that call, umask 0; open, creat and
 * mknod where the arch has them), fs deep DIR N (a chain of N nested
 * directories in DIR, deeper than any path can name). */
#include "probe.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <linux/random.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
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

static long deep(const char *top, long levels) {
    int dir = open(top, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    for (long level = 0; dir >= 0 && level < levels; level++) {
        if (mkdirat(dir, "d", 0700) < 0) {
            return -1;
        }
        int next = openat(dir, "d", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        close(dir);
        dir = next;
    }
    if (dir < 0) {
        return -1;
    }
    close(dir);
    return 0;
}

/* The directory part of `path` (which must have one), in `dir`. */
static void parent_of(const char *path, char *dir, size_t size) {
    snprintf(dir, size, "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash != NULL) {
        *slash = '\0';
    }
}

static long create_set_id(const char *how, const char *path) {
    const mode_t mode = S_ISUID | S_ISGID | 0755;
    umask(0);
    long fd = -1;
#ifdef SYS_open
    if (strcmp(how, "open") == 0) {
        fd = syscall(SYS_open, path, O_WRONLY | O_CREAT | O_CLOEXEC, mode);
    } else if (strcmp(how, "creat") == 0) {
        fd = syscall(SYS_creat, path, mode);
    } else if (strcmp(how, "mknod") == 0) {
        return syscall(SYS_mknod, path, S_IFREG | mode, 0);
    } else
#endif
    if (strcmp(how, "openat") == 0) {
        fd = openat(AT_FDCWD, path, O_WRONLY | O_CREAT | O_CLOEXEC, mode);
    } else if (strcmp(how, "openat2") == 0) {
        struct open_how open_how = {.flags = O_WRONLY | O_CREAT | O_CLOEXEC, .mode = mode};
        fd = syscall(SYS_openat2, AT_FDCWD, path, &open_how, sizeof open_how);
    } else if (strcmp(how, "mknodat") == 0) {
        return mknodat(AT_FDCWD, path, S_IFREG | mode, 0);
    } else if (strcmp(how, "tmpfile") == 0) {
        char dir[4096], self[64];
        parent_of(path, dir, sizeof dir);
        fd = open(dir, O_TMPFILE | O_WRONLY | O_CLOEXEC, mode);
        if (fd < 0) {
            return -1;
        }
        snprintf(self, sizeof self, "/proc/self/fd/%ld", fd);
        long rc = linkat(AT_FDCWD, self, AT_FDCWD, path, AT_SYMLINK_FOLLOW);
        close((int)fd);
        return rc;
    } else {
        errno = EINVAL;
        return -1;
    }
    if (fd >= 0) {
        close((int)fd);
    }
    return fd;
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
    if (is_probe(argc, argv, "deep", 2)) {
        return report(deep(argv[2], strtol(argv[3], NULL, 10)));
    }
    if (is_probe(argc, argv, "create_set_id", 2)) {
        return report(create_set_id(argv[2], argv[3]));
    }
    return usage(argv[0]);
}
