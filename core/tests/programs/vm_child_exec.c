/* vm_child_exec ECHO: the first process makes a child sharing its memory
 * (clone(CLONE_VM), no CLONE_VFORK), which execs ECHO "shared"; the first
 * process waits for it. An exec from shared memory stops the first process
 * too, as a task that could write the argv. */
#define _GNU_SOURCE
#include "probe.h"

#include <sched.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

static char stack[64 * 1024] __attribute__((aligned(16)));
static const char *echo;

static int exec_echo(void *unused) {
    (void)unused;
    char *argv[] = {(char *)echo, "shared", NULL};
    execv(echo, argv);
    return 4;
}

int main(int argc, char **argv) {
    if (argc != 2) {
        return usage(argv[0]);
    }
    echo = argv[1];
    pid_t child = clone(exec_echo, stack + sizeof stack, CLONE_VM | SIGCHLD, NULL);
    if (child < 0) {
        return report(-1);
    }
    int status;
    waitpid(child, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 5;
}
