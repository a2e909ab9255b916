/* linger_race PORT TRIES: connects to PORT (a peer that never reads),
 * fills the socket, sets a long SO_LINGER, and closes it while a second
 * thread keeps calling listen() on it (made by the supervisor on its own
 * copy): when the close returns at once, the copy was the last reference.
 * Stops at the first such close, or after TRIES sockets, then makes one
 * more listen() for the supervisor to answer; prints "raced N" (how many
 * closes returned at once). */
#include "probe.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static atomic_int target = -1;
static atomic_int stop;

static void *keep_listening(void *unused) {
    (void)unused;
    while (!atomic_load(&stop)) {
        int fd = atomic_load(&target);
        if (fd >= 0) {
            listen(fd, 1);
        }
    }
    return NULL;
}

static void *close_it(void *fd) {
    close((int)(long)fd);
    return NULL;
}

int main(int argc, char **argv) {
    if (argc != 3) {
        return usage(argv[0]);
    }
    int port = atoi(argv[1]), tries = atoi(argv[2]), raced = 0;
    pthread_t listener;
    pthread_create(&listener, NULL, keep_listening, NULL);
    static char chunk[1 << 16];
    for (int i = 0; i < tries && raced == 0; i++) {
        int s = socket(AF_INET, SOCK_STREAM, 0);
        struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
        to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (connect(s, (struct sockaddr *)&to, sizeof to) != 0) {
            return report(-1);
        }
        int small = 4096;
        setsockopt(s, SOL_SOCKET, SO_SNDBUF, &small, sizeof small);
        fcntl(s, F_SETFL, O_NONBLOCK);
        /* Until the peer's window is shut too, not only our buffer full. */
        for (int round = 0; round < 3; round++) {
            while (write(s, chunk, sizeof chunk) > 0) {
            }
            usleep(20000);
        }
        struct linger linger = {.l_onoff = 1, .l_linger = 1000000};
        setsockopt(s, SOL_SOCKET, SO_LINGER, &linger, sizeof linger);
        atomic_store(&target, s);
        usleep((useconds_t)(rand() % 200));
        atomic_store(&target, -1);
        pthread_t closer;
        pthread_create(&closer, NULL, close_it, (void *)(long)s);
        struct timespec deadline;
        clock_gettime(CLOCK_REALTIME, &deadline);
        deadline.tv_nsec += 50 * 1000 * 1000;
        if (deadline.tv_nsec >= 1000000000L) {
            deadline.tv_sec++;
            deadline.tv_nsec -= 1000000000L;
        }
        if (pthread_timedjoin_np(closer, NULL, &deadline) == 0) {
            raced++;
        } else {
            pthread_detach(closer);
        }
    }
    atomic_store(&stop, 1);
    pthread_join(listener, NULL);
    /* One more call for the supervisor to answer. */
    listen(socket(AF_INET, SOCK_STREAM, 0), 1);
    printf("raced %d\n", raced);
    fflush(stdout);
    _exit(0);
}
