/* Opens argv[1] read-only, prints its whole content, then tries to write to
 * the same fd and prints "write: OK" or "write: <errno name>". */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv) {
    if (argc != 2)
        return 2;
    int fd = open(argv[1], O_RDONLY);
    if (fd < 0) {
        printf("open: %s\n", strerrorname_np(errno));
        return 0;
    }
    char content[4096];
    ssize_t total = 0, n;
    while ((n = read(fd, content + total, sizeof content - total)) > 0)
        total += n;
    printf("content: %.*s\n", (int)total, content);
    if (write(fd, "x", 1) == 1)
        printf("write: OK\n");
    else
        printf("write: %s\n", strerrorname_np(errno));
    return 0;
}
