/* Prints every open descriptor above stdio (one per line), then "done". */
#include <fcntl.h>
#include <stdio.h>

int main(void) {
    for (int fd = 3; fd <= 1024; fd++) {
        if (fcntl(fd, F_GETFD) >= 0) {
            printf("%d\n", fd);
        }
    }
    printf("done\n");
    return 0;
}
