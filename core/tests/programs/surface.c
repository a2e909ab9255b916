/* Kernel interfaces a sandboxed program has no use for (escape_kernel.rs):
 * surface NAME makes one raw syscall with harmless arguments and prints
 * "ok" or the errno. NAME is one of mbind, set_mempolicy, get_mempolicy,
 * set_mempolicy_home_node, process_madvise, file_getattr, file_setattr,
 * uprobe, lsm_get_self_attr, lsm_list_modules, ustat, cachestat,
 * statmount, listmount, and the long-standing ones: add_key, keyctl,
 * request_key, bpf, perf_event_open, userfaultfd, kexec_load,
 * finit_module, acct, swapon, syslog, personality. */
#include "probe.h"

#include <fcntl.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

/* x86_64 numbers of syscalls newer than this machine's <sys/syscall.h>. */
#define NR_UPROBE 336
#define NR_CACHESTAT 451
#define NR_STATMOUNT 457
#define NR_LISTMOUNT 458
#define NR_LSM_GET_SELF_ATTR 459
#define NR_LSM_LIST_MODULES 461
#define NR_FILE_GETATTR 468
#define NR_FILE_SETATTR 469

#define MPOL_DEFAULT 0
#define LSM_ATTR_CURRENT 100
#define STATX_MNT_ID_UNIQUE 0x4000U
#define STATMOUNT_SB_BASIC 0x1U
#define LSMT_ROOT 0xffffffffffffffffULL

/* struct mnt_id_req of <linux/mount.h> (MNT_ID_REQ_SIZE_VER0). */
struct mnt_id_req {
    uint32_t size;
    uint32_t spare;
    uint64_t mnt_id;
    uint64_t param;
};

/* struct file_attr of <linux/fs.h> (FILE_ATTR_SIZE_VER0). */
struct file_attr {
    uint64_t fa_xflags;
    uint32_t fa_extsize;
    uint32_t fa_nextents;
    uint32_t fa_projid;
    uint32_t fa_cowextsize;
};

static uint64_t buffer[512];

/* One private page of the probe's own. */
static void *own_page(size_t *len) {
    *len = (size_t)sysconf(_SC_PAGESIZE);
    void *page = mmap(NULL, *len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (page != MAP_FAILED) {
        memset(page, 1, *len);
    }
    return page;
}

static long call(const char *name) {
    size_t len;
    if (strcmp(name, "add_key") == 0) {
        return syscall(SYS_add_key, "user", "sandlock-probe", "x", (size_t)1, -2 /* KEY_SPEC_PROCESS_KEYRING */);
    }
    if (strcmp(name, "keyctl") == 0) {
        return syscall(SYS_keyctl, 0 /* KEYCTL_GET_KEYRING_ID */, -4 /* KEY_SPEC_USER_KEYRING */, 0);
    }
    if (strcmp(name, "request_key") == 0) {
        return syscall(SYS_request_key, "user", "sandlock-probe", NULL, 0);
    }
    if (strcmp(name, "bpf") == 0) {
        return syscall(SYS_bpf, 0 /* BPF_MAP_CREATE */, buffer, (unsigned)sizeof buffer);
    }
    if (strcmp(name, "perf_event_open") == 0) {
        memset(buffer, 0, sizeof buffer);
        ((uint32_t *)buffer)[1] = 128; /* attr.size; type 0 = hardware, config 0 = cycles */
        return syscall(SYS_perf_event_open, buffer, 0, -1, -1, 0UL);
    }
    if (strcmp(name, "userfaultfd") == 0) {
        return syscall(SYS_userfaultfd, O_CLOEXEC);
    }
    if (strcmp(name, "kexec_load") == 0) {
        return syscall(SYS_kexec_load, 0UL, 0UL, NULL, 0UL);
    }
    if (strcmp(name, "finit_module") == 0) {
        return syscall(SYS_finit_module, -1, "", 0);
    }
    if (strcmp(name, "acct") == 0) {
        return syscall(SYS_acct, NULL);
    }
    if (strcmp(name, "swapon") == 0) {
        return syscall(SYS_swapon, "/nonexistent", 0);
    }
    if (strcmp(name, "syslog") == 0) {
        return syscall(SYS_syslog, 10 /* SYSLOG_ACTION_SIZE_BUFFER */, NULL, 0);
    }
    if (strcmp(name, "personality") == 0) {
        return syscall(SYS_personality, 0x0040000UL /* ADDR_NO_RANDOMIZE */);
    }
    if (strcmp(name, "mbind") == 0) {
        void *page = own_page(&len);
        return syscall(SYS_mbind, page, len, MPOL_DEFAULT, NULL, 0UL, 0U);
    }
    if (strcmp(name, "set_mempolicy") == 0) {
        return syscall(SYS_set_mempolicy, MPOL_DEFAULT, NULL, 0UL);
    }
    if (strcmp(name, "get_mempolicy") == 0) {
        int mode;
        return syscall(SYS_get_mempolicy, &mode, NULL, 0UL, NULL, 0UL);
    }
    if (strcmp(name, "set_mempolicy_home_node") == 0) {
        void *page = own_page(&len);
        return syscall(SYS_set_mempolicy_home_node, page, len, 0UL, 0UL);
    }
    if (strcmp(name, "process_madvise") == 0) {
        void *page = own_page(&len);
        struct iovec iov = {.iov_base = page, .iov_len = len};
        long pidfd = syscall(SYS_pidfd_open, getpid(), 0U);
        if (pidfd < 0) {
            return -1;
        }
        return syscall(SYS_process_madvise, (int)pidfd, &iov, 1UL, MADV_COLD, 0U);
    }
    if (strcmp(name, "file_getattr") == 0) {
        struct file_attr attr;
        return syscall(NR_FILE_GETATTR, AT_FDCWD, "/", &attr, sizeof attr, 0U);
    }
    if (strcmp(name, "file_setattr") == 0) {
        /* A size below the smallest version: the kernel refuses it with
         * EINVAL before looking at the file (escape_metadata.rs makes the
         * real attempt). */
        struct file_attr attr;
        memset(&attr, 0, sizeof attr);
        return syscall(NR_FILE_SETATTR, AT_FDCWD, "/", &attr, (size_t)0, 0U);
    }
    if (strcmp(name, "uprobe") == 0) {
        /* Outside a uprobe trampoline the kernel only refuses it. */
        return syscall(NR_UPROBE);
    }
    if (strcmp(name, "lsm_get_self_attr") == 0) {
        uint32_t size = sizeof buffer;
        return syscall(NR_LSM_GET_SELF_ATTR, LSM_ATTR_CURRENT, buffer, &size, 0U);
    }
    if (strcmp(name, "lsm_list_modules") == 0) {
        uint32_t size = sizeof buffer;
        return syscall(NR_LSM_LIST_MODULES, buffer, &size, 0U);
    }
    if (strcmp(name, "ustat") == 0) {
        struct stat st;
        if (stat("/", &st) < 0) {
            return -1;
        }
        return syscall(SYS_ustat, (unsigned)st.st_dev, buffer);
    }
    if (strcmp(name, "cachestat") == 0) {
        /* Page-cache residency of a file the child may read: its own binary. */
        uint64_t range[2] = {0, 0};
        int fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            fd = open("/bin/sh", O_RDONLY | O_CLOEXEC);
        }
        if (fd < 0) {
            return -1;
        }
        return syscall(NR_CACHESTAT, fd, range, buffer, 0U);
    }
    if (strcmp(name, "statmount") == 0) {
        struct statx stx;
        if (statx(AT_FDCWD, "/", 0, STATX_MNT_ID_UNIQUE, &stx) < 0) {
            return -1;
        }
        struct mnt_id_req req = {.size = sizeof req, .mnt_id = stx.stx_mnt_id, .param = STATMOUNT_SB_BASIC};
        return syscall(NR_STATMOUNT, &req, buffer, sizeof buffer, 0U);
    }
    if (strcmp(name, "listmount") == 0) {
        struct mnt_id_req req = {.size = sizeof req, .mnt_id = LSMT_ROOT};
        return syscall(NR_LISTMOUNT, &req, buffer, sizeof buffer / sizeof buffer[0], 0U);
    }
    fprintf(stderr, "surface: unknown syscall %s\n", name);
    exit(2);
}

int main(int argc, char **argv) {
    if (argc != 2) {
        return usage(argv[0]);
    }
    return report(call(argv[1]));
}
