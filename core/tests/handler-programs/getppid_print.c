/* Prints what getppid() returns, or the errno name when it fails. The raw
 * syscall is used so that a handler's return value reaches us unchanged. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(void) {
    long ppid = syscall(SYS_getppid);
    if (ppid < 0)
        printf("%s\n", strerrorname_np(errno));
    else
        printf("%ld\n", ppid);
    return 0;
}
