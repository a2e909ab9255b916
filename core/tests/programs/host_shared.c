/* Kernel state the whole host shares, reached through calls on the child's
 * own objects (escape_kernel.rs, escape_net.rs): host_shared NAME prints
 * "ok" or the errno of one attempt, NAME being
 *   ip_join | ip_source_join | ip6_join | ip6_flowlabel — a multicast
 *     membership or IPv6 flow label taken on a TCP socket (the host then
 *     sends IGMP/MLD reports of groups the child names; flow labels fill
 *     one table for the whole machine);
 *   futex_requeue_shared | futex_requeue_private — FUTEX_CMP_REQUEUE from
 *     a word in a file mapping (whose waiters may be any process's) or in
 *     the child's own memory; futex2_requeue — the futex2 call;
 *   io_setup — an AIO context (their events come from one pool for the
 *     whole machine);
 *   sigpending — prints the child's RLIMIT_SIGPENDING, soft and hard. */
#include "probe.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/aio_abi.h>
#include <linux/futex.h>
#include <linux/in6.h>
#include <netinet/in.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#define NR_FUTEX_REQUEUE 456

/* One option set on a new TCP socket of `family`. */
static long set_on_tcp_socket(int family, int level, int name, const void *value, socklen_t size) {
    int fd = socket(family, SOCK_STREAM, 0);
    if (fd < 0) {
        return fd;
    }
    long rc = setsockopt(fd, level, name, value, size);
    int saved = errno;
    close(fd);
    errno = saved;
    return rc;
}

static long join(int family, int level, int name) {
    struct group_req group;
    memset(&group, 0, sizeof group);
    if (family == AF_INET) {
        struct sockaddr_in *in = (struct sockaddr_in *)&group.gr_group;
        in->sin_family = AF_INET;
        inet_pton(AF_INET, "239.255.42.99", &in->sin_addr);
    } else {
        struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&group.gr_group;
        in6->sin6_family = AF_INET6;
        inet_pton(AF_INET6, "ff15::4299", &in6->sin6_addr);
    }
    return set_on_tcp_socket(family, level, name, &group, sizeof group);
}

static long source_join(void) {
    struct ip_mreq_source request;
    memset(&request, 0, sizeof request);
    inet_pton(AF_INET, "239.255.42.98", &request.imr_multiaddr);
    inet_pton(AF_INET, "10.42.42.42", &request.imr_sourceaddr);
    return set_on_tcp_socket(AF_INET, IPPROTO_IP, IP_ADD_SOURCE_MEMBERSHIP, &request, sizeof request);
}

static long flow_label(void) {
    struct in6_flowlabel_req request;
    memset(&request, 0, sizeof request);
    inet_pton(AF_INET6, "::1", &request.flr_dst);
    request.flr_label = htonl((uint32_t)getpid() & 0x7ffff);
    request.flr_linger = 1;
    request.flr_expires = 1;
    request.flr_action = IPV6_FL_A_GET;
    request.flr_flags = IPV6_FL_F_CREATE;
    request.flr_share = IPV6_FL_S_EXCL;
    return set_on_tcp_socket(AF_INET6, IPPROTO_IPV6, IPV6_FLOWLABEL_MGR, &request, sizeof request);
}

/* Wakes no one and moves at most one waiter to a word of our own; with no
 * waiter the kernel answers 0. */
static long requeue(int shared) {
    static uint32_t own = 0;
    uint32_t *word = &own;
    int op = FUTEX_CMP_REQUEUE | FUTEX_PRIVATE_FLAG;
    if (shared) {
        int fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            return fd;
        }
        word = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0);
        close(fd);
        if (word == MAP_FAILED) {
            return -1;
        }
        op = FUTEX_CMP_REQUEUE;
    }
    static uint32_t target = 0;
    return syscall(SYS_futex, word, op, 0, (void *)1, &target, *word);
}

static long futex2_requeue(void) {
    static uint32_t words[2] = {0, 0};
    struct {
        uint64_t val, uaddr;
        uint32_t flags, reserved;
    } waiters[2] = {
        {0, (uintptr_t)&words[0], 2 /* FUTEX2_SIZE_U32 */, 0},
        {0, (uintptr_t)&words[1], 2, 0},
    };
    return syscall(NR_FUTEX_REQUEUE, waiters, 0, 0, 1);
}

static long aio_context(void) {
    aio_context_t context = 0;
    long rc = syscall(SYS_io_setup, 1, &context);
    if (rc == 0) {
        syscall(SYS_io_destroy, context);
    }
    return rc;
}

int main(int argc, char **argv) {
    if (is_probe(argc, argv, "ip_join", 0)) {
        return report(join(AF_INET, IPPROTO_IP, MCAST_JOIN_GROUP));
    }
    if (is_probe(argc, argv, "ip_source_join", 0)) {
        return report(source_join());
    }
    if (is_probe(argc, argv, "ip6_join", 0)) {
        return report(join(AF_INET6, IPPROTO_IPV6, MCAST_JOIN_GROUP));
    }
    if (is_probe(argc, argv, "ip6_flowlabel", 0)) {
        return report(flow_label());
    }
    if (is_probe(argc, argv, "futex_requeue_shared", 0)) {
        return report(requeue(1));
    }
    if (is_probe(argc, argv, "futex_requeue_private", 0)) {
        return report(requeue(0));
    }
    if (is_probe(argc, argv, "futex2_requeue", 0)) {
        return report(futex2_requeue());
    }
    if (is_probe(argc, argv, "io_setup", 0)) {
        return report(aio_context());
    }
    if (is_probe(argc, argv, "sigpending", 0)) {
        struct rlimit limit;
        if (getrlimit(RLIMIT_SIGPENDING, &limit) != 0) {
            return report(-1);
        }
        printf("%llu %llu\n", (unsigned long long)limit.rlim_cur, (unsigned long long)limit.rlim_max);
        return 0;
    }
    return usage(argv[0]);
}
