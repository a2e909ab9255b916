/* Shared by the escape probes: each probe makes one attempt and prints what
 * it observed on one line, "ok" or the errno's name (e.g. "EACCES"), so that
 * the tests can compare stdout exactly. */
#ifndef SANDLOCK_PROBE_H
#define SANDLOCK_PROBE_H

#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static inline int report(long rc) {
    if (rc < 0) {
        printf("%s\n", strerrorname_np(errno));
    } else {
        printf("ok\n");
    }
    return 0;
}

static inline int usage(const char *program) {
    fprintf(stderr, "%s: unknown or incomplete probe\n", program);
    return 2;
}

static inline int is_probe(int argc, char **argv, const char *name, int args) {
    return argc == 2 + args && strcmp(argv[1], name) == 0;
}

#endif
