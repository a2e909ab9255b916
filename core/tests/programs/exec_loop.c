/* Forks children that exec /bin/true, reaping none, until killed. The argv
 * strings are literals, in the program's read-only data (a file mapping),
 * so every exec is checked at its exec stop. */
#include "probe.h"

#include <unistd.h>

int main(void) {
    char *const argv[] = {"/bin/true", NULL};
    for (;;) {
        if (fork() == 0) {
            execv(argv[0], argv);
            _exit(127);
        }
    }
}
