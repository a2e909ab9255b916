/* status_flags: sets O_NONBLOCK and O_APPEND on its stdin, stdout and
 * stderr, as a program may on the streams it was given, then writes
 * "done" to stdout. */
#include "probe.h"

#include <fcntl.h>

int main(void) {
    for (int fd = 0; fd <= 2; fd++) {
        int flags = fcntl(fd, F_GETFL);
        if (flags >= 0) {
            fcntl(fd, F_SETFL, flags | O_NONBLOCK | O_APPEND);
        }
    }
    printf("done\n");
    return 0;
}
