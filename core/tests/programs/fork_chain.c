/* fork_chain SECONDS DELAY_US: a line of processes, each forking the next
 * and exiting, DELAY_US apart; after SECONDS the newest prints its
 * RLIMIT_AS soft limit ("unlimited" or the number) and the line ends. The
 * first process waits a second longer, so the run lasts that long. */
#include "probe.h"

#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
    if (argc != 3) {
        return usage(argv[0]);
    }
    double end = now() + atof(argv[1]);
    int delay = atoi(argv[2]);
    if (fork() > 0) {
        while (now() < end + 1) {
            usleep(100000);
        }
        return 0;
    }
    for (;;) {
        if (now() > end) {
            struct rlimit limit;
            getrlimit(RLIMIT_AS, &limit);
            if (limit.rlim_cur == RLIM_INFINITY) {
                printf("unlimited\n");
            } else {
                printf("%llu\n", (unsigned long long)limit.rlim_cur);
            }
            return 0;
        }
        pid_t pid = fork();
        if (pid < 0) {
            usleep(1000);
            continue;
        }
        if (pid > 0) {
            _exit(0);
        }
        usleep(delay);
    }
}
