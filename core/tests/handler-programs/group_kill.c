/* The leader forks a grandchild that calls getppid() while the leader
 * itself only waits; if a kill of the group reaches the leader, it dies in
 * waitpid and prints nothing. */
#include <stdio.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void) {
    pid_t grandchild = fork();
    if (grandchild < 0)
        return 2;
    if (grandchild == 0) {
        syscall(SYS_getppid);
        _exit(0);
    }
    waitpid(grandchild, NULL, 0);
    printf("leader survived\n");
    return 1;
}
