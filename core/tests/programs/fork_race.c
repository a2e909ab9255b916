/* fork_race BOMBERS THREADS: BOMBERS processes of THREADS threads each
 * fork at the same moment, over and over, until every fork fails; each
 * child counts itself in a shared page and waits, and a refused thread
 * ends. Prints the most tasks the group held at once (this process, the
 * bombers and their threads, the children), then ends the whole group. */
#include "probe.h"

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

struct shared {
    atomic_int tasks;
    atomic_int peak;
    atomic_int ready;
    atomic_int go;
    atomic_int done;
};

static struct shared *page;

static void count_in(int n) {
    int now = atomic_fetch_add(&page->tasks, n) + n;
    int peak = atomic_load(&page->peak);
    while (now > peak && !atomic_compare_exchange_weak(&page->peak, &peak, now)) {
    }
}

/* `thread`: a thread of its own, which ends (and leaves the count) once
 * refused; the bomber's first thread stays. */
static void *fork_until_refused(void *thread) {
    atomic_fetch_add(&page->ready, 1);
    while (!atomic_load(&page->go)) {
    }
    for (;;) {
        pid_t pid = fork();
        if (pid == 0) {
            count_in(1);
            for (;;) {
                pause();
            }
        }
        if (pid < 0) {
            break;
        }
    }
    if (thread) {
        count_in(-1);
    }
    atomic_fetch_add(&page->done, 1);
    return NULL;
}

int main(int argc, char **argv) {
    if (argc != 3) {
        return usage(argv[0]);
    }
    int bombers = atoi(argv[1]), threads = atoi(argv[2]);
    page = mmap(NULL, sizeof *page, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (page == MAP_FAILED) {
        return report(-1);
    }
    count_in(1);
    for (int b = 0; b < bombers; b++) {
        if (fork() == 0) {
            count_in(1);
            pthread_t thread;
            for (int t = 1; t < threads; t++) {
                /* Counted before it runs, so that its end never comes first. */
                count_in(1);
                if (pthread_create(&thread, NULL, fork_until_refused, (void *)1) != 0) {
                    count_in(-1);
                }
            }
            fork_until_refused(NULL);
            for (;;) {
                pause();
            }
        }
    }
    /* Every bomber thread waits for the others before the first fork. */
    while (atomic_load(&page->ready) < bombers * threads) {
        usleep(1000);
    }
    atomic_store(&page->go, 1);
    while (atomic_load(&page->done) < bombers * threads) {
        usleep(1000);
    }
    printf("peak %d\n", atomic_load(&page->peak));
    fflush(stdout);
    kill(0, SIGKILL);
    return 0;
}
