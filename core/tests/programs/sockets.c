/* Socket escapes past the TCP port rules (escape_net.rs). Hosts are on
 * 127.0.0.1; inet6 probes use ::ffff:127.0.0.1, so one IPv4 peer of the
 * test serves both families.
 *   sockets pair stream|seqpacket|dgram
 *   sockets pair_dgram_sendto|pair_dgram_connect|pair_dgram_scm PATH
 *   sockets pair_seqpacket_sendto PATH
 *   sockets abstract_bind stream|seqpacket NAME
 *   sockets proto_connect inet|inet6 stream|seqpacket PROTOCOL PORT
 *   sockets fastopen_sendto|fastopen_sendmsg|fastopen_sendmmsg|
 *           fastopen_connect PORT
 *   sockets listen_unbound
 *   sockets bind_listen PORT
 *   sockets reuseport_listen PORT (join a host listener's SO_REUSEPORT
 *           group on 127.0.0.1:PORT and steer every connection to itself)
 *   sockets connect_listen refused|undone PORT LOCAL (connect to PORT from
 *           LOCAL, the only port the socket's local range admits — a
 *           refused connect, or one undone by connect(AF_UNSPEC) — then
 *           listen without bind)
 *   sockets udp inet|inet6 PORT
 *   sockets ping
 *   sockets families (prints "FAMILY,TYPE" for each socket that opened,
 *                     then "done") */
#include "probe.h"

#include <arpa/inet.h>
#include <linux/filter.h>
#include <netinet/in.h>
#include <netinet/ip_icmp.h>
#include <netinet/tcp.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#ifndef TCP_FASTOPEN_CONNECT
#define TCP_FASTOPEN_CONNECT 30
#endif

static const char MESSAGE[] = "escape";

/* An address of either family for 127.0.0.1:PORT. */
struct inet_addr {
    struct sockaddr_storage storage;
    socklen_t len;
};

static struct inet_addr loopback(int family, const char *port) {
    struct inet_addr addr;
    memset(&addr, 0, sizeof addr);
    unsigned short n = htons((unsigned short)strtoul(port, NULL, 10));
    if (family == AF_INET6) {
        struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&addr.storage;
        in6->sin6_family = AF_INET6;
        in6->sin6_port = n;
        inet_pton(AF_INET6, "::ffff:127.0.0.1", &in6->sin6_addr);
        addr.len = sizeof *in6;
    } else {
        struct sockaddr_in *in = (struct sockaddr_in *)&addr.storage;
        in->sin_family = AF_INET;
        in->sin_port = n;
        in->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        addr.len = sizeof *in;
    }
    return addr;
}

static int family_of(const char *name) {
    return strcmp(name, "inet6") == 0 ? AF_INET6 : AF_INET;
}

static int type_of(const char *name) {
    if (strcmp(name, "seqpacket") == 0) {
        return SOCK_SEQPACKET;
    }
    return strcmp(name, "dgram") == 0 ? SOCK_DGRAM : SOCK_STREAM;
}

/* A pathname (name[0] != 0) or abstract (abstract != 0) UNIX address. */
static socklen_t unix_addr(struct sockaddr_un *addr, const char *name, int abstract) {
    memset(addr, 0, sizeof *addr);
    addr->sun_family = AF_UNIX;
    size_t len = strlen(name);
    if (len > sizeof addr->sun_path - 2) {
        len = sizeof addr->sun_path - 2;
    }
    memcpy(addr->sun_path + (abstract ? 1 : 0), name, len);
    return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len + 1);
}

/* Returns the syscall's result, keeping errno of the failing step. */
static long finish(int fd, long rc) {
    int saved = errno;
    if (fd >= 0) {
        close(fd);
    }
    errno = saved;
    return rc;
}

static long pair(int type, int fds[2]) {
    return socketpair(AF_UNIX, type | SOCK_CLOEXEC, 0, fds);
}

static long pair_only(const char *type) {
    int fds[2];
    if (pair(type_of(type), fds) < 0) {
        return -1;
    }
    close(fds[1]);
    return finish(fds[0], 0);
}

/* A datagram pair end re-addressed at a host socket: sendto with an
 * address, connect then send, or an fd passed with SCM_RIGHTS. */
static long pair_dgram(const char *how, const char *path) {
    int fds[2];
    struct sockaddr_un addr;
    socklen_t len = unix_addr(&addr, path, 0);
    if (pair(SOCK_DGRAM, fds) < 0) {
        return -1;
    }
    long rc;
    if (strcmp(how, "sendto") == 0) {
        rc = sendto(fds[0], MESSAGE, sizeof MESSAGE, 0, (struct sockaddr *)&addr, len);
    } else if (strcmp(how, "connect") == 0) {
        rc = connect(fds[0], (struct sockaddr *)&addr, len);
        if (rc == 0) {
            rc = send(fds[0], MESSAGE, sizeof MESSAGE, 0);
        }
    } else {
        char payload = 'x';
        struct iovec iov = {.iov_base = &payload, .iov_len = 1};
        union {
            struct cmsghdr header;
            char bytes[CMSG_SPACE(sizeof(int))];
        } control;
        memset(&control, 0, sizeof control);
        struct msghdr msg = {
            .msg_name = &addr,
            .msg_namelen = len,
            .msg_iov = &iov,
            .msg_iovlen = 1,
            .msg_control = control.bytes,
            .msg_controllen = sizeof control.bytes,
        };
        struct cmsghdr *cmsg = CMSG_FIRSTHDR(&msg);
        cmsg->cmsg_level = SOL_SOCKET;
        cmsg->cmsg_type = SCM_RIGHTS;
        cmsg->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(cmsg), &fds[1], sizeof(int));
        rc = sendmsg(fds[0], &msg, 0);
    }
    close(fds[1]);
    return finish(fds[0], rc);
}

/* Pass stdout with SCM_RIGHTS up the stdin socket, to the supervisor. */
static long stdin_scm(void) {
    char payload = 'x';
    struct iovec iov = {.iov_base = &payload, .iov_len = 1};
    union {
        struct cmsghdr header;
        char bytes[CMSG_SPACE(sizeof(int))];
    } control;
    memset(&control, 0, sizeof control);
    struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.bytes,
                         .msg_controllen = sizeof control.bytes};
    struct cmsghdr *cmsg = CMSG_FIRSTHDR(&msg);
    cmsg->cmsg_level = SOL_SOCKET;
    cmsg->cmsg_type = SCM_RIGHTS;
    cmsg->cmsg_len = CMSG_LEN(sizeof(int));
    int out = 1;
    memcpy(CMSG_DATA(cmsg), &out, sizeof(int));
    return sendmsg(0, &msg, MSG_NOSIGNAL);
}

/* ok when the datagram went to the pair's other end (the kernel ignores
 * the address of a connected seqpacket socket); "lost" is printed when it
 * went nowhere that end can see. */
static int pair_seqpacket_sendto(const char *path) {
    int fds[2];
    char got[sizeof MESSAGE];
    struct sockaddr_un addr;
    socklen_t len = unix_addr(&addr, path, 0);
    if (pair(SOCK_SEQPACKET, fds) < 0) {
        return report(-1);
    }
    long rc = sendto(fds[0], MESSAGE, sizeof MESSAGE, 0, (struct sockaddr *)&addr, len);
    if (rc < 0) {
        return report(finish(fds[0], rc));
    }
    rc = recv(fds[1], got, sizeof got, MSG_DONTWAIT);
    close(fds[0]);
    close(fds[1]);
    if (rc != (long)sizeof MESSAGE || memcmp(got, MESSAGE, sizeof MESSAGE) != 0) {
        printf("lost\n");
        return 0;
    }
    return report(0);
}

/* A socketpair end takes a name in the host's abstract namespace. */
static long abstract_bind(const char *type, const char *name) {
    int fds[2];
    struct sockaddr_un addr;
    socklen_t len = unix_addr(&addr, name, 1);
    if (pair(type_of(type), fds) < 0) {
        return -1;
    }
    long rc = bind(fds[0], (struct sockaddr *)&addr, len);
    close(fds[1]);
    return finish(fds[0], rc);
}

static long proto_connect(const char *family, const char *type, const char *protocol, const char *port) {
    struct inet_addr addr = loopback(family_of(family), port);
    int fd = socket(family_of(family), type_of(type) | SOCK_CLOEXEC, atoi(protocol));
    if (fd < 0) {
        return -1;
    }
    return finish(fd, connect(fd, (struct sockaddr *)&addr.storage, addr.len));
}

/* TCP Fast Open connects from inside sendto/sendmsg/sendmmsg, or defers
 * connect's SYN to the first write (TCP_FASTOPEN_CONNECT). */
static long fastopen(const char *how, const char *port) {
    struct inet_addr addr = loopback(AF_INET, port);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        return -1;
    }
    char payload[] = "x";
    struct iovec iov = {.iov_base = payload, .iov_len = 1};
    struct msghdr msg = {.msg_name = &addr.storage, .msg_namelen = addr.len, .msg_iov = &iov, .msg_iovlen = 1};
    long rc;
    if (strcmp(how, "sendto") == 0) {
        rc = sendto(fd, payload, 1, MSG_FASTOPEN, (struct sockaddr *)&addr.storage, addr.len);
    } else if (strcmp(how, "sendmsg") == 0) {
        rc = sendmsg(fd, &msg, MSG_FASTOPEN);
    } else if (strcmp(how, "sendmmsg") == 0) {
        struct mmsghdr mmsg;
        memset(&mmsg, 0, sizeof mmsg);
        mmsg.msg_hdr = msg;
        rc = sendmmsg(fd, &mmsg, 1, MSG_FASTOPEN);
    } else {
        int one = 1;
        rc = setsockopt(fd, IPPROTO_TCP, TCP_FASTOPEN_CONNECT, &one, sizeof one);
        if (rc == 0) {
            rc = connect(fd, (struct sockaddr *)&addr.storage, addr.len);
        }
    }
    return finish(fd, rc);
}

/* listen() on an unbound socket binds an ephemeral port itself. */
static long listen_on(const char *port) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        return -1;
    }
    if (port != NULL) {
        struct inet_addr addr = loopback(AF_INET, port);
        if (bind(fd, (struct sockaddr *)&addr.storage, addr.len) < 0) {
            return finish(fd, -1);
        }
    }
    return finish(fd, listen(fd, 1));
}

static long reuseport_listen(const char *port) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        return -1;
    }
    int on = 1;
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, sizeof on) < 0) {
        return finish(fd, -1);
    }
    struct inet_addr addr = loopback(AF_INET, port);
    if (bind(fd, (struct sockaddr *)&addr.storage, addr.len) < 0 || listen(fd, 8) < 0) {
        return finish(fd, -1);
    }
    /* A one-instruction program: every new connection to this socket. */
    struct sock_filter steer[] = {{BPF_RET | BPF_K, 0, 0, 0}};
    struct sock_fprog program = {1, steer};
    return finish(fd, setsockopt(fd, SOL_SOCKET, SO_ATTACH_REUSEPORT_CBPF, &program, sizeof program));
}

#ifndef IP_LOCAL_PORT_RANGE
#define IP_LOCAL_PORT_RANGE 51
#endif

static long connect_listen(const char *how, const char *port, const char *local) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        return -1;
    }
    unsigned int only = (unsigned int)strtoul(local, NULL, 10);
    unsigned int range = only << 16 | only;
    if (setsockopt(fd, IPPROTO_IP, IP_LOCAL_PORT_RANGE, &range, sizeof range) < 0) {
        return finish(fd, -1);
    }
    struct inet_addr addr = loopback(AF_INET, port);
    long rc = connect(fd, (struct sockaddr *)&addr.storage, addr.len);
    if (strcmp(how, "refused") == 0 ? rc == 0 || errno != ECONNREFUSED : rc != 0) {
        printf("connect: %s\n", rc == 0 ? "ok" : strerrorname_np(errno));
        return finish(fd, 0);
    }
    if (strcmp(how, "undone") == 0) {
        struct sockaddr unspec = {.sa_family = AF_UNSPEC};
        if (connect(fd, &unspec, sizeof unspec) < 0) {
            return finish(fd, -1);
        }
    }
    return finish(fd, listen(fd, 1));
}

static long udp(const char *family, const char *port) {
    struct inet_addr addr = loopback(family_of(family), port);
    int fd = socket(family_of(family), SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        return -1;
    }
    return finish(fd, sendto(fd, MESSAGE, sizeof MESSAGE, 0, (struct sockaddr *)&addr.storage, addr.len));
}

/* An unprivileged ICMP echo socket, sending one echo request. */
static long ping(void) {
    struct inet_addr addr = loopback(AF_INET, "0");
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, IPPROTO_ICMP);
    if (fd < 0) {
        return -1;
    }
    struct icmphdr echo;
    memset(&echo, 0, sizeof echo);
    echo.type = ICMP_ECHO;
    return finish(fd, sendto(fd, &echo, sizeof echo, 0, (struct sockaddr *)&addr.storage, addr.len));
}

static int families(void) {
    static const int types[] = {SOCK_STREAM, SOCK_DGRAM, SOCK_SEQPACKET, SOCK_RAW};
    for (int family = 0; family <= 45; family++) {
        for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
            int fd = socket(family, types[i] | SOCK_CLOEXEC, 0);
            if (fd >= 0) {
                printf("%d,%d\n", family, types[i]);
                close(fd);
            }
        }
    }
    printf("done\n");
    return 0;
}

int main(int argc, char **argv) {
    if (is_probe(argc, argv, "stdin_scm", 0)) {
        return report(stdin_scm());
    }
    if (is_probe(argc, argv, "pair", 1)) {
        return report(pair_only(argv[2]));
    }
    if (is_probe(argc, argv, "pair_dgram_sendto", 1)) {
        return report(pair_dgram("sendto", argv[2]));
    }
    if (is_probe(argc, argv, "pair_dgram_connect", 1)) {
        return report(pair_dgram("connect", argv[2]));
    }
    if (is_probe(argc, argv, "pair_dgram_scm", 1)) {
        return report(pair_dgram("scm", argv[2]));
    }
    if (is_probe(argc, argv, "pair_seqpacket_sendto", 1)) {
        return pair_seqpacket_sendto(argv[2]);
    }
    if (is_probe(argc, argv, "abstract_bind", 2)) {
        return report(abstract_bind(argv[2], argv[3]));
    }
    if (is_probe(argc, argv, "proto_connect", 4)) {
        return report(proto_connect(argv[2], argv[3], argv[4], argv[5]));
    }
    if (argc == 3 && strncmp(argv[1], "fastopen_", 9) == 0) {
        return report(fastopen(argv[1] + 9, argv[2]));
    }
    if (is_probe(argc, argv, "listen_unbound", 0)) {
        return report(listen_on(NULL));
    }
    if (is_probe(argc, argv, "bind_listen", 1)) {
        return report(listen_on(argv[2]));
    }
    if (is_probe(argc, argv, "reuseport_listen", 1)) {
        return report(reuseport_listen(argv[2]));
    }
    if (is_probe(argc, argv, "connect_listen", 3)) {
        return report(connect_listen(argv[2], argv[3], argv[4]));
    }
    if (is_probe(argc, argv, "udp", 2)) {
        return report(udp(argv[2], argv[3]));
    }
    if (is_probe(argc, argv, "ping", 0)) {
        return report(ping());
    }
    if (is_probe(argc, argv, "families", 0)) {
        return families();
    }
    return usage(argv[0]);
}
