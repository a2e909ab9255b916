/* Forks a grandchild that ignores SIGTERM, prints its pid, and both wait to
 * be killed. */
#include "probe.h"

#include <signal.h>
#include <unistd.h>

int main(void) {
    pid_t pid = fork();
    if (pid < 0) {
        return report(-1);
    }
    if (pid == 0) {
        signal(SIGTERM, SIG_IGN);
        for (;;) {
            pause();
        }
    }
    printf("%d\n", (int)pid);
    fflush(stdout);
    for (;;) {
        pause();
    }
}
