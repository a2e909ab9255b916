/* Prints "<getpid()> <getppid()>" (raw syscalls, so a handler's return
 * value reaches us unchanged). */
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(void) {
    long pid = syscall(SYS_getpid);
    long ppid = syscall(SYS_getppid);
    printf("%ld %ld\n", pid, ppid);
    return 0;
}
