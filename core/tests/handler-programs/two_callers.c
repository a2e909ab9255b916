/* Two processes call getppid() at the same time; each prints what it got,
 * the child first (the parent waits for it). */
#include <stdio.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void) {
    pid_t child = fork();
    if (child < 0)
        return 2;
    long ppid = syscall(SYS_getppid);
    if (child == 0) {
        printf("child %ld\n", ppid);
        return 0;
    }
    waitpid(child, NULL, 0);
    printf("parent %ld\n", ppid);
    return 0;
}
