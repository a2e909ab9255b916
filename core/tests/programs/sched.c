/* Reaching other processes' scheduling and signals without kill(2)
 * (escape_process.rs):
 *   sched setpriority_pid PID NICE    setpriority(PRIO_PROCESS, PID)
 *   sched setpriority_pgrp PGID NICE  setpriority(PRIO_PGRP, PGID)
 *   sched setpriority_user NICE       setpriority(PRIO_USER, 0): every
 *                                     process of the caller's uid
 *   sched setpriority_self NICE       setpriority(PRIO_PROCESS, 0)
 *   sched setaffinity PID             pin PID to the lowest CPU the probe has
 *   sched setscheduler_idle PID       sched_setscheduler(PID, SCHED_IDLE)
 *   sched setattr_idle PID            sched_setattr(PID, SCHED_IDLE)
 *   sched ioprio_user                 ioprio_set(IOPRIO_WHO_USER, own uid,
 *                                     NONE/0): every process of the uid
 *   sched ioprio_pid PID              ioprio_set(IOPRIO_WHO_PROCESS, PID, IDLE)
 *   sched sigio PID SIG               F_SETOWN PID (F_SETSIG SIG unless 0)
 *                                     and O_ASYNC on a socketpair end, then
 *                                     make it readable
 *   sched inherited                   print what the probe started with:
 *                                     scheduling policy, nice, I/O priority
 *                                     class, personality flags by effect */
#include "probe.h"

#include <fcntl.h>
#include <sched.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#define IOPRIO_WHO_PROCESS 1
#define IOPRIO_WHO_USER 3
#define IOPRIO_CLASS_SHIFT 13
#define IOPRIO_CLASS_IDLE 3

/* struct sched_attr of <linux/sched/types.h> (SCHED_ATTR_SIZE_VER0). */
struct sched_attr {
    uint32_t size;
    uint32_t sched_policy;
    uint64_t sched_flags;
    int32_t sched_nice;
    uint32_t sched_priority;
    uint64_t sched_runtime;
    uint64_t sched_deadline;
    uint64_t sched_period;
};

static long set_affinity(pid_t pid) {
    cpu_set_t own, one;
    if (sched_getaffinity(0, sizeof own, &own) < 0) {
        return -1;
    }
    CPU_ZERO(&one);
    for (int cpu = 0; cpu < CPU_SETSIZE; cpu++) {
        if (CPU_ISSET(cpu, &own)) {
            CPU_SET(cpu, &one);
            break;
        }
    }
    return sched_setaffinity(pid, sizeof one, &one);
}

static long set_scheduler_idle(pid_t pid) {
    struct sched_param param = {.sched_priority = 0};
    return sched_setscheduler(pid, SCHED_IDLE, &param);
}

static long set_attr_idle(pid_t pid) {
    struct sched_attr attr;
    memset(&attr, 0, sizeof attr);
    attr.size = sizeof attr;
    attr.sched_policy = SCHED_IDLE;
    return syscall(SYS_sched_setattr, pid, &attr, 0U);
}

static long sigio(pid_t pid, int sig) {
    int fds[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) < 0) {
        return -1;
    }
    long rc = fcntl(fds[0], F_SETOWN, pid);
    if (rc == 0 && sig != 0) {
        rc = fcntl(fds[0], F_SETSIG, sig);
    }
    if (rc == 0) {
        rc = fcntl(fds[0], F_SETFL, O_ASYNC | O_NONBLOCK);
    }
    if (rc == 0) {
        /* fds[0] becomes readable: the kernel signals its owner now. */
        rc = write(fds[1], "x", 1) == 1 ? 0 : -1;
    }
    int saved = errno;
    close(fds[0]);
    close(fds[1]);
    errno = saved;
    return rc;
}

int main(int argc, char **argv) {
    if (is_probe(argc, argv, "setpriority_pid", 2)) {
        return report(setpriority(PRIO_PROCESS, (id_t)atoi(argv[2]), atoi(argv[3])));
    }
    if (is_probe(argc, argv, "setpriority_pgrp", 2)) {
        return report(setpriority(PRIO_PGRP, (id_t)atoi(argv[2]), atoi(argv[3])));
    }
    if (is_probe(argc, argv, "setpriority_user", 1)) {
        return report(setpriority(PRIO_USER, 0, atoi(argv[2])));
    }
    if (is_probe(argc, argv, "setpriority_self", 1)) {
        return report(setpriority(PRIO_PROCESS, 0, atoi(argv[2])));
    }
    if (is_probe(argc, argv, "setaffinity", 1)) {
        return report(set_affinity(atoi(argv[2])));
    }
    if (is_probe(argc, argv, "setscheduler_idle", 1)) {
        return report(set_scheduler_idle(atoi(argv[2])));
    }
    if (is_probe(argc, argv, "setattr_idle", 1)) {
        return report(set_attr_idle(atoi(argv[2])));
    }
    if (is_probe(argc, argv, "ioprio_user", 0)) {
        /* Not who = 0: the kernel reads that as uid 0, not as the caller's. */
        return report(syscall(SYS_ioprio_set, IOPRIO_WHO_USER, (int)getuid(), 0));
    }
    if (is_probe(argc, argv, "ioprio_pid", 1)) {
        return report(syscall(SYS_ioprio_set, IOPRIO_WHO_PROCESS, atoi(argv[2]), IOPRIO_CLASS_IDLE << IOPRIO_CLASS_SHIFT));
    }
    if (is_probe(argc, argv, "inherited", 0)) {
        errno = 0;
        int nice = getpriority(PRIO_PROCESS, 0);
        int nice_errno = errno;
        long ioprio = syscall(SYS_ioprio_get, IOPRIO_WHO_PROCESS, 0);
        /* personality(2) is the filter's to refuse, a query included, and
         * /proc/self/personality is not served: the flags are seen by their
         * effects. A readable mapping made executable (READ_IMPLIES_EXEC),
         * page zero mapped (MMAP_PAGE_ZERO), and a mapping's address, the
         * same in every run without address randomisation. */
        void *mapping = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        char wanted[32], line[256], perms[8] = "none";
        snprintf(wanted, sizeof wanted, "%lx-", (unsigned long)mapping);
        FILE *maps = fopen("/proc/self/maps", "r");
        while (maps != NULL && fgets(line, sizeof line, maps) != NULL) {
            if (strncmp(line, wanted, strlen(wanted)) == 0) {
                sscanf(line, "%*s %7s", perms);
            }
        }
        if (maps != NULL) {
            fclose(maps);
        }
        int page_zero = msync(NULL, 4096, MS_ASYNC) == 0;
        printf("policy=%d nice=%d ioclass=%ld perms=%s page_zero=%d\n", sched_getscheduler(0),
               nice_errno ? 99 : nice, ioprio < 0 ? -1 : ioprio >> IOPRIO_CLASS_SHIFT, perms, page_zero);
        printf("mapping=%p\n", mapping);
        return 0;
    }
    if (is_probe(argc, argv, "sigio", 2)) {
        return report(sigio(atoi(argv[2]), atoi(argv[3])));
    }
    return usage(argv[0]);
}
