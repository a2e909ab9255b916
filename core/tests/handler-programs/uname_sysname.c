/* Calls uname() N times (argv[1], default 1); prints the sysname, or the
 * errno name when the call fails, one line per call. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

int main(int argc, char **argv) {
    int calls = argc > 1 ? atoi(argv[1]) : 1;
    for (int i = 0; i < calls; i++) {
        struct utsname buf;
        memset(&buf, 0, sizeof buf);
        if (uname(&buf) == 0)
            printf("%s\n", buf.sysname);
        else
            printf("%s\n", strerrorname_np(errno));
    }
    return 0;
}
