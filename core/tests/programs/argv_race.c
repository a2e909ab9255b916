/* Exec racers for policy_fn:
 * argv_race thread|vfork|vmclone|shared|vforkwait|orphan|leftthread|leftprocess N ECHO,
 * argv_race cleartid N ECHO GO, argv_race mapped N ECHO FILE,
 * argv_race spliced|paged|fromthread N ECHO.
 *
 * N times, a fresh process execs ECHO (an echo program) with argv[1] in
 * memory that another task rewrites all the time, between "AAAAAAAA" and
 * "BBBBBBBB":
 *   thread  a second thread of the exec-ing process;
 *   vfork   a thread of a process whose vfork child execs (the child
 *           shares the parent's memory, so the parent's threads write it);
 *   vmclone a process (not a thread) made by clone(CLONE_VM) without
 *           CLONE_VFORK, while a vfork child of its creator execs: the
 *           exec-ing child's only thread group peers are blocked in vfork,
 *           yet another process writes its memory;
 *   shared  another process, through a MAP_SHARED mapping holding argv[1].
 * three where the exec-ing process looks alone in its memory, yet is not:
 *   orphan  a vfork chain P -> C1 -> C2: C2 kills C1, whose death wakes P,
 *           and is reparented to this program (a subreaper that shares no
 *           memory), then execs while P writes;
 *   leftthread  P vforks C; C starts a thread and its leader exits alone,
 *           which wakes P; P execs while the thread writes;
 *   leftprocess the same with a clone(CLONE_VM) process made by C, which
 *           then exits whole;
 * and two where the writer is woken, or killed, by what no freeze holds:
 *   vforkwait a second thread waits in clone(CLONE_VFORK) without CLONE_VM
 *           for a child that exits on its own (run i after i mod 40 * 50
 *           us); woken, it writes "BBBBBBBB";
 *   cleartid a process sharing the memory (clone(CLONE_VM)) whose
 *           clear_child_tid is argv[1] + 4 is killed, once the file GO
 *           exists (the test's callback makes it while it decides), by a
 *           process that does not share it: its exit makes the kernel write
 *           0 there;
 *   fromthread (no race) a second thread execs ECHO "AAAAAAAA" while the
 *           first waits;
 *   paged   (no race) ECHO with 512 arguments "a", each at the start of a
 *           page of its own;
 *   spliced a vfork child execs ECHO with {ECHO, "AAAAAAAA"} from an array
 *           in a page at SPLICE_AT (array at 0, ECHO at 1024, "AAAAAAAA"
 *           at 2048, "EVIL" at 3072), which the test's callback rewrites
 *           to {ECHO, "EVIL", "AAAAAAAA"} while it decides;
 *   mapped  argv[1] is the first 8 bytes of FILE, mapped privately (the
 *           test's callback rewrites the file while it decides).
 * Each exec prints what really ran; the test compares it with what its
 * policy_fn callback saw. An exec killed because it copied another argv
 * than the callback saw shows as "killed". */
#include "probe.h"

#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <stdint.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define WORD 8
/* Where the spliced racer's argv is; the test rewrites it there. */
#define SPLICE_AT 0x5b5b0000000UL

static char *target;
static atomic_int started;

static void flip_forever(char *word) {
    for (;;) {
        memcpy(word, "BBBBBBBB", WORD);
        atomic_signal_fence(memory_order_seq_cst);
        memcpy(word, "AAAAAAAA", WORD);
        atomic_signal_fence(memory_order_seq_cst);
    }
}

static void *writer(void *unused) {
    (void)unused;
    atomic_store(&started, 1);
    flip_forever(target);
    return NULL;
}

/* Write as flip_forever does for about 50 ms, then end the whole process. */
static void flip_then_exit(char *word) {
    struct timespec start, now;
    clock_gettime(CLOCK_MONOTONIC, &start);
    do {
        for (int i = 0; i < 1000; i++) {
            memcpy(word, "BBBBBBBB", WORD);
            atomic_signal_fence(memory_order_seq_cst);
            memcpy(word, "AAAAAAAA", WORD);
            atomic_signal_fence(memory_order_seq_cst);
        }
        clock_gettime(CLOCK_MONOTONIC, &now);
    } while ((now.tv_sec - start.tv_sec) * 1000000000L + (now.tv_nsec - start.tv_nsec) < 50000000L);
    syscall(SYS_exit_group, 0);
}

static void start_writer_thread(void) {
    pthread_t thread;
    if (pthread_create(&thread, NULL, writer, NULL) != 0) {
        _exit(3);
    }
    while (!atomic_load(&started)) {
    }
}

static void exec_echo(const char *echo) {
    char *argv[] = {(char *)echo, target, NULL};
    char *envp[] = {NULL};
    execve(echo, argv, envp);
    _exit(4);
}

/* Wait for the exec-ing child, stop the writer process (if any), and end
 * as the child ended: with its status, or killed (shown as "killed"). */
static void finish(pid_t child, pid_t writer_process) {
    int status;
    waitpid(child, &status, 0);
    if (writer_process > 0) {
        kill(writer_process, SIGKILL);
        waitpid(writer_process, NULL, 0);
    }
    if (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) {
        kill(getpid(), SIGKILL);
    }
    _exit(WIFEXITED(status) ? WEXITSTATUS(status) : 5);
}

static void one_thread_race(const char *echo) {
    target = malloc(WORD + 1);
    memcpy(target, "AAAAAAAA", WORD + 1);
    start_writer_thread();
    exec_echo(echo);
}

static void one_vfork_race(const char *echo) {
    target = malloc(WORD + 1);
    memcpy(target, "AAAAAAAA", WORD + 1);
    start_writer_thread();
    pid_t child = vfork();
    if (child == 0) {
        exec_echo(echo);
    }
    finish(child, 0);
}

static int vm_writer(void *unused) {
    (void)unused;
    flip_forever(target);
    return 0;
}

static void one_vmclone_race(const char *echo) {
    static char stack[64 * 1024] __attribute__((aligned(16)));
    target = malloc(WORD + 1);
    memcpy(target, "AAAAAAAA", WORD + 1);
    pid_t writer_process = clone(vm_writer, stack + sizeof stack, CLONE_VM | SIGCHLD, NULL);
    if (writer_process < 0) {
        _exit(8);
    }
    pid_t child = vfork();
    if (child == 0) {
        exec_echo(echo);
    }
    finish(child, writer_process);
}

static int delay_us;
static const char *go;

static void pause_us(int us) {
    struct timespec pause = {.tv_sec = us / 1000000, .tv_nsec = (us % 1000000) * 1000L};
    nanosleep(&pause, NULL);
}

static void *vfork_waiter(void *unused) {
    (void)unused;
    atomic_store(&started, 1);
    /* The child has memory of its own: nothing ties its exit to the exec. */
    long pid = syscall(SYS_clone, CLONE_VFORK | SIGCHLD, 0, 0, 0, 0);
    if (pid == 0) {
        pause_us(delay_us);
        syscall(SYS_exit, 0);
    }
    flip_forever(target);
    return NULL;
}

static void one_vforkwait_race(const char *echo) {
    target = malloc(WORD + 1);
    memcpy(target, "AAAAAAAA", WORD + 1);
    pthread_t thread;
    if (pthread_create(&thread, NULL, vfork_waiter, NULL) != 0) {
        _exit(3);
    }
    while (!atomic_load(&started)) {
    }
    pause_us(200);
    exec_echo(echo);
}

static int sleeper(void *unused) {
    (void)unused;
    for (;;) {
        pause();
    }
    return 0;
}

static void one_cleartid_race(const char *echo) {
    static char stack[64 * 1024] __attribute__((aligned(16)));
    target = malloc(WORD + 1);
    memcpy(target, "AAAAAAAA", WORD + 1);
    pid_t sharer = clone(sleeper, stack + sizeof stack, CLONE_VM | CLONE_CHILD_CLEARTID | SIGCHLD, NULL, NULL, NULL,
                         (int *)(target + 4));
    if (sharer < 0) {
        _exit(8);
    }
    pid_t killer = fork();
    if (killer == 0) {
        while (access(go, F_OK) != 0) {
            pause_us(100);
        }
        kill(sharer, SIGKILL);
        _exit(0);
    }
    exec_echo(echo);
}

static void one_mapped_race(const char *echo) {
    int fd = open(go, O_RDONLY | O_CLOEXEC);
    target = fd < 0 ? MAP_FAILED : mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, fd, 0);
    if (target == MAP_FAILED) {
        _exit(6);
    }
    exec_echo(echo);
}

static void one_spliced_race(const char *echo) {
    char *page = mmap((void *)SPLICE_AT, 4096, PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    if (page != (char *)SPLICE_AT || strlen(echo) >= 1024) {
        _exit(6);
    }
    char **array = (char **)page;
    strcpy(page + 1024, echo);
    memcpy(page + 2048, "AAAAAAAA", WORD + 1);
    memcpy(page + 3072, "EVIL", 5);
    array[0] = page + 1024;
    array[1] = page + 2048;
    array[2] = NULL;
    array[3] = NULL;
    char *envp[] = {NULL};
    pid_t child = vfork();
    if (child == 0) {
        execve(array[0], array, envp);
        _exit(4);
    }
    finish(child, 0);
}

static const char *thread_echo;

static void *exec_from_thread(void *unused) {
    (void)unused;
    exec_echo(thread_echo);
    return NULL;
}

static void one_fromthread_exec(const char *echo) {
    target = malloc(WORD + 1);
    memcpy(target, "AAAAAAAA", WORD + 1);
    thread_echo = echo;
    pthread_t thread;
    if (pthread_create(&thread, NULL, exec_from_thread, NULL) != 0) {
        _exit(3);
    }
    for (;;) {
        pause();
    }
}

static void one_paged_exec(const char *echo) {
    enum { ARGS = 512 };
    char *pages = mmap(NULL, ARGS * 4096UL, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    static char *args[ARGS + 2];
    if (pages == MAP_FAILED) {
        _exit(6);
    }
    args[0] = (char *)echo;
    for (int i = 0; i < ARGS; i++) {
        args[i + 1] = pages + i * 4096UL;
        args[i + 1][0] = 'a';
    }
    char *envp[] = {NULL};
    execve(echo, args, envp);
    _exit(4);
}

static const char *echo_program;
static char first_stack[64 * 1024] __attribute__((aligned(16)));
static char second_stack[64 * 1024] __attribute__((aligned(16)));
/* The orphan's pid, for this program to wait for it. */
static int orphan_pipe[2];

static int orphan(void *unused) {
    (void)unused;
    pid_t middle = getppid();
    kill(middle, SIGKILL);
    while (getppid() == middle) {
    }
    pid_t me = getpid();
    if (write(orphan_pipe[1], &me, sizeof me) != sizeof me) {
        _exit(9);
    }
    exec_echo(echo_program);
    return 0;
}

static int middle_of_chain(void *unused) {
    (void)unused;
    clone(orphan, second_stack + sizeof second_stack, CLONE_VM | CLONE_VFORK | SIGCHLD, NULL);
    _exit(0);
}

static void one_orphan_race(const char *echo) {
    echo_program = echo;
    target = malloc(WORD + 1);
    memcpy(target, "AAAAAAAA", WORD + 1);
    if (clone(middle_of_chain, first_stack + sizeof first_stack, CLONE_VM | CLONE_VFORK | SIGCHLD, NULL) < 0) {
        _exit(8);
    }
    /* The middle is dead: its orphan execs from this memory. */
    flip_then_exit(target);
}

static int left_writer(void *unused) {
    (void)unused;
    atomic_store(&started, 1);
    flip_then_exit(target);
    return 0;
}

static int leave_a_writer(void *thread) {
    int flags = thread ? CLONE_VM | CLONE_THREAD | CLONE_SIGHAND | CLONE_FS | CLONE_FILES | CLONE_SYSVSEM
                       : CLONE_VM | SIGCHLD;
    if (clone(left_writer, second_stack + sizeof second_stack, flags, NULL) < 0) {
        syscall(SYS_exit_group, 8);
    }
    while (!atomic_load(&started)) {
    }
    /* The leader alone for a thread, the whole process otherwise: either
     * way the vfork parent wakes while the writer lives on in its memory. */
    syscall(thread ? SYS_exit : SYS_exit_group, 0);
    return 0;
}

static void left_writer_race(const char *echo, int thread) {
    target = malloc(WORD + 1);
    memcpy(target, "AAAAAAAA", WORD + 1);
    if (clone(leave_a_writer, first_stack + sizeof first_stack, CLONE_VM | CLONE_VFORK | SIGCHLD,
              thread ? (void *)1 : NULL) < 0) {
        _exit(8);
    }
    exec_echo(echo);
}

static void one_leftthread_race(const char *echo) {
    left_writer_race(echo, 1);
}

static void one_leftprocess_race(const char *echo) {
    left_writer_race(echo, 0);
}

static void one_shared_race(const char *echo) {
    target = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (target == MAP_FAILED) {
        _exit(6);
    }
    memcpy(target, "AAAAAAAA", WORD + 1);
    pid_t writer_process = fork();
    if (writer_process == 0) {
        flip_forever(target);
    }
    pid_t child = fork();
    if (child == 0) {
        exec_echo(echo);
    }
    finish(child, writer_process);
}

int main(int argc, char **argv) {
    int with_file = strcmp(argv[1], "cleartid") == 0 || strcmp(argv[1], "mapped") == 0;
    if (argc != (with_file ? 5 : 4)) {
        return usage(argv[0]);
    }
    go = argc == 5 ? argv[4] : NULL;
    void (*race)(const char *);
    if (strcmp(argv[1], "thread") == 0) {
        race = one_thread_race;
    } else if (strcmp(argv[1], "vfork") == 0) {
        race = one_vfork_race;
    } else if (strcmp(argv[1], "vmclone") == 0) {
        race = one_vmclone_race;
    } else if (strcmp(argv[1], "shared") == 0) {
        race = one_shared_race;
    } else if (strcmp(argv[1], "vforkwait") == 0) {
        race = one_vforkwait_race;
    } else if (strcmp(argv[1], "cleartid") == 0) {
        race = one_cleartid_race;
    } else if (strcmp(argv[1], "mapped") == 0) {
        race = one_mapped_race;
    } else if (strcmp(argv[1], "fromthread") == 0) {
        race = one_fromthread_exec;
    } else if (strcmp(argv[1], "paged") == 0) {
        race = one_paged_exec;
    } else if (strcmp(argv[1], "spliced") == 0) {
        race = one_spliced_race;
    } else if (strcmp(argv[1], "orphan") == 0) {
        race = one_orphan_race;
        /* Orphans come here, to a process that shares no memory with them. */
        if (prctl(PR_SET_CHILD_SUBREAPER, 1) != 0 || pipe2(orphan_pipe, O_CLOEXEC) != 0) {
            return 7;
        }
    } else if (strcmp(argv[1], "leftthread") == 0) {
        race = one_leftthread_race;
    } else if (strcmp(argv[1], "leftprocess") == 0) {
        race = one_leftprocess_race;
    } else {
        return usage(argv[0]);
    }
    int runs = atoi(argv[2]);
    for (int i = 0; i < runs; i++) {
        fflush(stdout);
        pid_t pid = fork();
        if (pid < 0) {
            return 7;
        }
        if (pid == 0) {
            delay_us = (i % 40) * 50;
            race(argv[3]);
        }
        int status;
        if (waitpid(pid, &status, 0) < 0) {
            return 7;
        }
        if (race == one_orphan_race) {
            /* The exec ran in the orphan; the rest of its chain is reaped. */
            pid_t execed;
            if (read(orphan_pipe[0], &execed, sizeof execed) != sizeof execed || waitpid(execed, &status, 0) < 0) {
                return 7;
            }
            while (waitpid(-1, NULL, WNOHANG) > 0) {
            }
        }
        if (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) {
            printf("killed\n");
            continue;
        }
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
            fprintf(stderr, "run %d failed: status %d\n", i, status);
            return 1;
        }
    }
    return 0;
}
