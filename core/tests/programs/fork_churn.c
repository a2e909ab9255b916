/* fork_churn SLEEPERS BUSY: starts SLEEPERS processes that wait to be
 * killed, then keeps BUSY short-lived children alive at any moment, each
 * with a new pid, until it is killed. */
#include "probe.h"

#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv) {
    if (argc != 3) {
        return usage(argv[0]);
    }
    int sleepers = atoi(argv[1]);
    int busy = atoi(argv[2]);
    for (int i = 0; i < sleepers; i++) {
        if (fork() == 0) {
            pause();
            _exit(0);
        }
    }
    unsigned made = 0;
    int alive = 0;
    for (;;) {
        while (alive < busy) {
            pid_t pid = fork();
            if (pid == 0) {
                usleep((made * 7919u) % 500);
                _exit(0);
            }
            if (pid < 0) {
                break;
            }
            alive++;
            made++;
        }
        if (waitpid(-1, NULL, 0) > 0) {
            alive--;
        }
    }
}
