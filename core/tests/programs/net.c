/* Network probes on 127.0.0.1: net connect|bind PORT,
 * net socket raw|packet|netlink|netlink_diag|netlink_usersock|pair,
 * net unix_connect PATH. */
#include "probe.h"

#include <arpa/inet.h>
#include <linux/netlink.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static struct sockaddr_in loopback(const char *port) {
    struct sockaddr_in addr;
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_port = htons((unsigned short)strtoul(port, NULL, 10));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return addr;
}

static long tcp(const char *port, int do_connect) {
    struct sockaddr_in addr = loopback(port);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        return -1;
    }
    long rc = do_connect ? connect(fd, (struct sockaddr *)&addr, sizeof addr)
                         : bind(fd, (struct sockaddr *)&addr, sizeof addr);
    int saved = errno;
    close(fd);
    errno = saved;
    return rc;
}

static long open_socket(const char *kind) {
    int fd;
    if (strcmp(kind, "raw") == 0) {
        fd = socket(AF_INET, SOCK_RAW, IPPROTO_ICMP);
    } else if (strcmp(kind, "packet") == 0) {
        fd = socket(AF_PACKET, SOCK_DGRAM, 0);
    } else if (strcmp(kind, "netlink") == 0) {
        fd = socket(AF_NETLINK, SOCK_DGRAM, NETLINK_ROUTE);
    } else if (strcmp(kind, "netlink_diag") == 0) {
        fd = socket(AF_NETLINK, SOCK_DGRAM, NETLINK_SOCK_DIAG);
    } else if (strcmp(kind, "netlink_usersock") == 0) {
        /* Any sender may unicast to a host socket of this protocol. */
        fd = socket(AF_NETLINK, SOCK_DGRAM, NETLINK_USERSOCK);
    } else if (strcmp(kind, "pair") == 0) {
        int pair[2];
        fd = socketpair(AF_UNIX, SOCK_STREAM, 0, pair);
        if (fd == 0) {
            close(pair[1]);
            fd = pair[0];
        }
    } else {
        errno = EINVAL;
        return -1;
    }
    if (fd >= 0) {
        close(fd);
    }
    return fd;
}

static long unix_connect(const char *path) {
    struct sockaddr_un addr;
    memset(&addr, 0, sizeof addr);
    addr.sun_family = AF_UNIX;
    strncpy(addr.sun_path, path, sizeof addr.sun_path - 1);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        return -1;
    }
    long rc = connect(fd, (struct sockaddr *)&addr, sizeof addr);
    int saved = errno;
    close(fd);
    errno = saved;
    return rc;
}

int main(int argc, char **argv) {
    if (is_probe(argc, argv, "connect", 1)) {
        return report(tcp(argv[2], 1));
    }
    if (is_probe(argc, argv, "bind", 1)) {
        return report(tcp(argv[2], 0));
    }
    if (is_probe(argc, argv, "unix_connect", 1)) {
        return report(unix_connect(argv[2]));
    }
    if (is_probe(argc, argv, "socket", 1)) {
        return report(open_socket(argv[2]));
    }
    return usage(argv[0]);
}
