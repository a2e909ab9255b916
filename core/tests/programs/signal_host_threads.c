/* signal_host_threads FILE SECONDS: reads a process id and its thread
 * ids (one per line) from FILE, then for SECONDS forks short-lived children while it asks, with
 * signal 0, whether it may signal each of those threads; prints how many
 * asks the kernel allowed. */
#include "probe.h"

#include <pthread.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct ask {
    int host;
    int *tids;
    int count;
    time_t end;
    long allowed;
};

static void *ask_all(void *arg) {
    struct ask *ask = arg;
    while (time(NULL) < ask->end) {
        for (int i = 0; i < ask->count; i++) {
            if (syscall(SYS_tgkill, ask->host, ask->tids[i], 0) == 0) {
                ask->allowed++;
            }
        }
    }
    return NULL;
}

int main(int argc, char **argv) {
    if (argc != 3) {
        return usage(argv[0]);
    }
    FILE *file = fopen(argv[1], "r");
    if (file == NULL) {
        return report(-1);
    }
    int host = 0;
    int tids[256];
    int count = 0;
    if (fscanf(file, "%d", &host) != 1) {
        return usage(argv[0]);
    }
    while (count < 256 && fscanf(file, "%d", &tids[count]) == 1) {
        count++;
    }
    fclose(file);
    time_t end = time(NULL) + atoi(argv[2]);
    /* A thread asks while the main one is held in its forks. */
    pthread_t asker;
    struct ask ask = {host, tids, count, end, 0};
    if (pthread_create(&asker, NULL, ask_all, &ask) != 0) {
        return report(-1);
    }
    while (time(NULL) < end) {
        pid_t pid = fork();
        if (pid == 0) {
            _exit(0);
        }
        if (pid > 0) {
            waitpid(pid, NULL, 0);
        }
    }
    pthread_join(asker, NULL);
    printf("%ld\n", ask.allowed);
    return 0;
}
