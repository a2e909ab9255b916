/* Calls getppid and prints whether the filter let it through; run under an
 * allowlist that names what a dynamic C program needs to start and write. */
#include <errno.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(void) {
    long ppid = syscall(SYS_getppid);
    printf("getppid: %s\n", ppid < 0 && errno == EPERM ? "EPERM" : "allowed");
    return 0;
}
