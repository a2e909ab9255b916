/* undumpable: makes itself not dumpable (as a process holding secrets
 * does), says so, and waits to be killed. */
#include "probe.h"

#include <sys/prctl.h>
#include <unistd.h>

int main(void) {
    if (prctl(PR_SET_DUMPABLE, 0) != 0) {
        return report(-1);
    }
    printf("undumpable\n");
    fflush(stdout);
    for (;;) {
        pause();
    }
}
