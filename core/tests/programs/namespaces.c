/* Private namespaces: namespaces sysv_shm KEY (create a segment, write and
 * read it back), namespaces mq NAME (create a POSIX queue, send, receive),
 * namespaces tcp_connect PORT, namespaces loopback_echo PORT (listen on
 * 127.0.0.1 and connect to it from the same process), namespaces
 * abstract_bind NAME. */
#include "probe.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <mqueue.h>
#include <netinet/in.h>
#include <sys/ipc.h>
#include <sys/shm.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static long sysv_shm(const char *key) {
    int id = shmget((key_t)strtol(key, NULL, 10), 4096, IPC_CREAT | IPC_EXCL | 0600);
    if (id < 0) {
        return -1;
    }
    char *mem = shmat(id, NULL, 0);
    if (mem == (void *)-1) {
        return -1;
    }
    strcpy(mem, "private");
    long rc = strcmp(mem, "private") == 0 ? 0 : -1;
    shmdt(mem);
    shmctl(id, IPC_RMID, NULL);
    return rc;
}

static long message_queue(const char *name) {
    struct mq_attr attr = {.mq_maxmsg = 1, .mq_msgsize = 16};
    mqd_t q = mq_open(name, O_CREAT | O_EXCL | O_RDWR, 0600, &attr);
    if (q == (mqd_t)-1) {
        return -1;
    }
    char buf[16];
    long rc = mq_send(q, "hello", 6, 0) == 0 && mq_receive(q, buf, sizeof buf, NULL) == 6 ? 0 : -1;
    mq_close(q);
    mq_unlink(name);
    return rc;
}

static struct sockaddr_in loopback(const char *port) {
    struct sockaddr_in addr = {.sin_family = AF_INET};
    addr.sin_port = htons((unsigned short)strtoul(port, NULL, 10));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return addr;
}

static long tcp_connect(const char *port) {
    struct sockaddr_in addr = loopback(port);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    return fd < 0 ? -1 : connect(fd, (struct sockaddr *)&addr, sizeof addr);
}

static long loopback_echo(const char *port) {
    struct sockaddr_in addr = loopback(port);
    int server = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (server < 0 || bind(server, (struct sockaddr *)&addr, sizeof addr) < 0 || listen(server, 1) < 0) {
        return -1;
    }
    int client = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (client < 0 || connect(client, (struct sockaddr *)&addr, sizeof addr) < 0) {
        return -1;
    }
    int conn = accept(server, NULL, NULL);
    char byte = 0;
    if (conn < 0 || write(client, "x", 1) != 1 || read(conn, &byte, 1) != 1) {
        return -1;
    }
    return byte == 'x' ? 0 : -1;
}

static long abstract_bind(const char *name) {
    int pair[2];
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, pair) < 0) {
        return -1;
    }
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    size_t len = strlen(name);
    memcpy(addr.sun_path + 1, name, len);
    return bind(pair[0], (struct sockaddr *)&addr, (socklen_t)(sizeof(sa_family_t) + 1 + len));
}

int main(int argc, char **argv) {
    if (is_probe(argc, argv, "sysv_shm", 1)) {
        return report(sysv_shm(argv[2]));
    }
    if (is_probe(argc, argv, "mq", 1)) {
        return report(message_queue(argv[2]));
    }
    if (is_probe(argc, argv, "tcp_connect", 1)) {
        return report(tcp_connect(argv[2]));
    }
    if (is_probe(argc, argv, "loopback_echo", 1)) {
        return report(loopback_echo(argv[2]));
    }
    if (is_probe(argc, argv, "abstract_bind", 1)) {
        return report(abstract_bind(argv[2]));
    }
    return usage(argv[0]);
}
