/* For each path: prints "<path>: <first line>" if it opens, otherwise
 * "<path>: <errno name>". */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv) {
    for (int i = 1; i < argc; i++) {
        FILE *file = fopen(argv[i], "r");
        if (file == NULL) {
            printf("%s: %s\n", argv[i], strerrorname_np(errno));
            continue;
        }
        char line[256] = "";
        if (fgets(line, sizeof line, file) == NULL)
            line[0] = '\0';
        line[strcspn(line, "\n")] = '\0';
        printf("%s: %s\n", argv[i], line);
        fclose(file);
    }
    return 0;
}
