/* Every process forks forever. The first process prints the errno of its
 * first failed fork and exits; the others wait to be killed. */
#include "probe.h"

#include <unistd.h>

int main(void) {
    pid_t leader = getpid();
    for (;;) {
        pid_t pid = fork();
        if (pid > 0 || pid == 0) {
            continue;
        }
        if (getpid() == leader) {
            return report(-1);
        }
        pause();
    }
}
