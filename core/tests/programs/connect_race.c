/* Connect probes for policy_fn on 127.0.0.1:
 *   connect_race once PORT        one connect, prints "ok" or the errno;
 *   connect_race race N GOOD BAD  N connects (more, up to 20 N, until one
 *                                 succeeded) while another thread swaps
 *                                 the address's port between GOOD and BAD
 *                                 all the time; prints how many succeeded. */
#include "probe.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/socket.h>
#include <unistd.h>

static struct sockaddr_in address;
static unsigned short good_port, bad_port;
static atomic_int started;

static struct sockaddr_in loopback(unsigned short port) {
    struct sockaddr_in addr;
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return addr;
}

static void *swapper(void *unused) {
    (void)unused;
    atomic_store(&started, 1);
    volatile unsigned short *port = &address.sin_port;
    for (;;) {
        *port = htons(bad_port);
        *port = htons(good_port);
    }
    return NULL;
}

static long connect_once(struct sockaddr_in *addr) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        return -1;
    }
    long rc = connect(fd, (struct sockaddr *)addr, sizeof *addr);
    int saved = errno;
    close(fd);
    errno = saved;
    return rc;
}

int main(int argc, char **argv) {
    if (is_probe(argc, argv, "once", 1)) {
        struct sockaddr_in addr = loopback((unsigned short)atoi(argv[2]));
        return report(connect_once(&addr));
    }
    if (is_probe(argc, argv, "race", 3)) {
        int runs = atoi(argv[2]);
        good_port = (unsigned short)atoi(argv[3]);
        bad_port = (unsigned short)atoi(argv[4]);
        address = loopback(good_port);
        pthread_t thread;
        if (pthread_create(&thread, NULL, swapper, NULL) != 0) {
            return 3;
        }
        while (!atomic_load(&started)) {
        }
        int connected = 0;
        /* Past N, go on until one connect went through (bounded): on a
         * loaded machine the swapper can sit descheduled on the bad port
         * for a whole batch, and a run that proves nothing must not pass. */
        for (int i = 0; i < runs || (connected == 0 && i < 20 * runs); i++) {
            if (connect_once(&address) == 0) {
                connected++;
            }
        }
        printf("%d\n", connected);
        return 0;
    }
    return usage(argv[0]);
}
