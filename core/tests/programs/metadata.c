/* Changing a file's metadata, which Landlock does not mediate and the
 * kernel grants to the owner (escape_metadata.rs):
 *   metadata acl PATH          set a POSIX access ACL granting other rw
 *   metadata utimes PATH       utimensat with explicit times
 *   metadata utimes_now PATH   utimensat with NULL times (as touch does)
 *   metadata setxattr|lsetxattr PATH   set user.x
 *   metadata removexattr PATH  remove user.sandlock
 *   metadata fsetxattr PATH    set user.x through an O_RDONLY fd
 *   metadata setflags PATH     FS_IOC_SETFLAGS |= FS_NODUMP_FL on an O_RDONLY fd
 *   metadata fssetxattr PATH   FS_IOC_FSSETXATTR |= FS_XFLAG_NODUMP on an O_RDONLY fd
 *   metadata setversion PATH   ext4's own EXT4_IOC_SETVERSION (generation + 1) on an
 *                              O_RDONLY fd
 *   metadata chown|lchown|fchownat PATH   chown to 0:0
 *   metadata fchown PATH       fchown to 0:0 through an O_RDONLY fd
 *   metadata file_setattr PATH file_setattr(2) setting FS_XFLAG_NODUMP
 *   metadata lease PATH        take a read lease (F_SETLEASE) on an O_RDONLY fd */
#include "probe.h"

#include <fcntl.h>
#include <linux/fs.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/xattr.h>
#include <unistd.h>

/* Linux 6.17; newer than this machine's headers. */
#define NR_FILE_SETATTR 469

/* struct file_attr of <linux/fs.h> (FILE_ATTR_SIZE_VER0). */
struct file_attr {
    uint64_t fa_xflags;
    uint32_t fa_extsize;
    uint32_t fa_nextents;
    uint32_t fa_projid;
    uint32_t fa_cowextsize;
};

/* The kernel's posix_acl_xattr layout (little-endian, as on x86_64). */
struct acl_entry {
    uint16_t tag;
    uint16_t perm;
    uint32_t id;
};

struct acl {
    uint32_t version;
    struct acl_entry entries[3];
};

static long set_acl(const char *path) {
    const uint32_t undefined = (uint32_t)-1;
    struct acl acl = {
        .version = 2,
        .entries =
            {
                {.tag = 0x01 /* USER_OBJ */, .perm = 6, .id = undefined},
                {.tag = 0x04 /* GROUP_OBJ */, .perm = 0, .id = undefined},
                {.tag = 0x20 /* OTHER */, .perm = 6, .id = undefined},
            },
    };
    return setxattr(path, "system.posix_acl_access", &acl, sizeof acl, 0);
}

static long set_times(const char *path) {
    struct timespec times[2] = {{.tv_sec = 42, .tv_nsec = 0}, {.tv_sec = 42, .tv_nsec = 0}};
    return utimensat(AT_FDCWD, path, times, 0);
}

/* The probes that act through a read-only descriptor. */
static long through_fd(const char *what, const char *path) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return -1;
    }
    long rc;
    if (strcmp(what, "fsetxattr") == 0) {
        rc = fsetxattr(fd, "user.x", "x", 1, 0);
    } else if (strcmp(what, "fchown") == 0) {
        rc = fchown(fd, 0, 0);
    } else if (strcmp(what, "lease") == 0) {
        rc = fcntl(fd, F_SETLEASE, F_RDLCK);
    } else if (strcmp(what, "setversion") == 0) {
        /* ext4's number for FS_IOC_SETVERSION; the kernel reads an int. */
        int generation = 0;
        rc = ioctl(fd, FS_IOC_GETVERSION, &generation);
        if (rc == 0) {
            generation += 1;
            rc = ioctl(fd, _IOW('f', 4, long), &generation);
        }
    } else if (strcmp(what, "setflags") == 0) {
        /* The kernel reads an int, whatever the ioctl number says. */
        int flags = 0;
        rc = ioctl(fd, FS_IOC_GETFLAGS, &flags);
        if (rc == 0) {
            flags |= FS_NODUMP_FL;
            rc = ioctl(fd, FS_IOC_SETFLAGS, &flags);
        }
    } else {
        struct fsxattr attr;
        memset(&attr, 0, sizeof attr);
        rc = ioctl(fd, FS_IOC_FSGETXATTR, &attr);
        if (rc == 0) {
            attr.fsx_xflags |= FS_XFLAG_NODUMP;
            rc = ioctl(fd, FS_IOC_FSSETXATTR, &attr);
        }
    }
    int saved = errno;
    close(fd);
    errno = saved;
    return rc;
}

static long file_setattr(const char *path) {
    struct file_attr attr;
    memset(&attr, 0, sizeof attr);
    attr.fa_xflags = FS_XFLAG_NODUMP;
    return syscall(NR_FILE_SETATTR, AT_FDCWD, path, &attr, sizeof attr, 0);
}

int main(int argc, char **argv) {
    if (argc != 3) {
        return usage(argv[0]);
    }
    const char *what = argv[1];
    const char *path = argv[2];
    if (strcmp(what, "acl") == 0) {
        return report(set_acl(path));
    }
    if (strcmp(what, "utimes") == 0) {
        return report(set_times(path));
    }
    if (strcmp(what, "utimes_now") == 0) {
        return report(utimensat(AT_FDCWD, path, NULL, 0));
    }
    if (strcmp(what, "setxattr") == 0) {
        return report(setxattr(path, "user.x", "x", 1, 0));
    }
    if (strcmp(what, "lsetxattr") == 0) {
        return report(lsetxattr(path, "user.x", "x", 1, 0));
    }
    if (strcmp(what, "removexattr") == 0) {
        return report(removexattr(path, "user.sandlock"));
    }
    if (strcmp(what, "chown") == 0) {
        return report(chown(path, 0, 0));
    }
    if (strcmp(what, "lchown") == 0) {
        return report(lchown(path, 0, 0));
    }
    if (strcmp(what, "fchownat") == 0) {
        return report(fchownat(AT_FDCWD, path, 0, 0, 0));
    }
    if (strcmp(what, "file_setattr") == 0) {
        return report(file_setattr(path));
    }
    if (strcmp(what, "fsetxattr") == 0 || strcmp(what, "fchown") == 0 || strcmp(what, "setflags") == 0 ||
        strcmp(what, "fssetxattr") == 0 || strcmp(what, "lease") == 0 || strcmp(what, "setversion") == 0) {
        return report(through_fd(what, path));
    }
    return usage(argv[0]);
}
