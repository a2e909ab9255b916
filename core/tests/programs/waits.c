/* waits connect N PORT: N threads each make a blocking connect to
 * 127.0.0.1:PORT (a listener whose queue is full: every connect waits,
 * until its 2 s send timeout); waits fifo N PATH: N threads each open the
 * FIFO PATH for reading, waiting for a writer, which this process becomes
 * once every open has been answered or is waiting. Prints how many calls
 * failed with EAGAIN. waits fifoexec N PATH ECHO: N threads each wait to
 * open the FIFO PATH, and the first thread execs ECHO "done" meanwhile. */
#include "probe.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static int port;
static const char *fifo;
static atomic_int refused, answered;

static void *one_connect(void *unused) {
    (void)unused;
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct timeval timeout = {.tv_sec = 2};
    setsockopt(s, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
    struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(s, (struct sockaddr *)&to, sizeof to) != 0 && errno == EAGAIN) {
        atomic_fetch_add(&refused, 1);
    }
    close(s);
    return NULL;
}

static void *one_fifo_open(void *unused) {
    (void)unused;
    int fd = open(fifo, O_RDONLY);
    if (fd < 0 && errno == EAGAIN) {
        atomic_fetch_add(&refused, 1);
    }
    atomic_fetch_add(&answered, 1);
    if (fd >= 0) {
        close(fd);
    }
    return NULL;
}

int main(int argc, char **argv) {
    int exec_while_waiting = strcmp(argv[1], "fifoexec") == 0 && argc == 5;
    if (argc != 4 && !exec_while_waiting) {
        return usage(argv[0]);
    }
    int n = atoi(argv[2]);
    int is_fifo = strcmp(argv[1], "fifo") == 0 || exec_while_waiting;
    if (is_fifo) {
        fifo = argv[3];
        if (mkfifo(fifo, 0600) != 0) {
            return report(-1);
        }
    } else {
        port = atoi(argv[3]);
    }
    pthread_t *threads = calloc((size_t)n, sizeof *threads);
    for (int i = 0; i < n; i++) {
        pthread_create(&threads[i], NULL, is_fifo ? one_fifo_open : one_connect, NULL);
    }
    if (exec_while_waiting) {
        nanosleep(&(struct timespec){.tv_nsec = 300 * 1000 * 1000}, NULL);
        char *args[] = {argv[4], "done", NULL};
        execv(argv[4], args);
        return report(-1);
    }
    if (is_fifo) {
        /* The refused ones answer at once; give the rest time to wait. */
        struct timespec settle = {.tv_nsec = 500 * 1000 * 1000};
        nanosleep(&settle, NULL);
        int writer = open(fifo, O_WRONLY | O_NONBLOCK);
        while (atomic_load(&answered) < n) {
            nanosleep(&(struct timespec){.tv_nsec = 10 * 1000 * 1000}, NULL);
        }
        if (writer >= 0) {
            close(writer);
        }
    }
    for (int i = 0; i < n; i++) {
        pthread_join(threads[i], NULL);
    }
    printf("refused %d\n", atomic_load(&refused));
    return 0;
}
