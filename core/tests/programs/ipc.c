/* Host IPC objects, which live in the host's IPC namespace and are out of
 * Landlock's reach (escape_ipc.rs). Each probe that gets access also does
 * the damage, so the test can see it from the host:
 *   ipc shmget|msgget|semget KEY   look the object up by key
 *   ipc shmat ID        attach read-write and overwrite the first bytes
 *   ipc shm_stat_any ID find the segment with SHM_STAT_ANY (no permission
 *                       check) and read its owner and size
 *   ipc msgrcv ID       take the queued message
 *   ipc semop ID        take the semaphore (decrement it)
 *   ipc mq_open NAME    open the POSIX queue and take its message
 *   ipc mq_create NAME  create a POSIX queue (mode 0666) that did not exist
 *   ipc mq_unlink NAME  remove the POSIX queue
 *   ipc shm_open NAME   open the POSIX shared memory object and overwrite it
 *   ipc sem_new NAME    create a POSIX semaphore, post and take it, unlink it */
#include "probe.h"

#include <fcntl.h>
#include <mqueue.h>
#include <semaphore.h>
#include <sys/mman.h>
#include <unistd.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>

static long shm_overwrite(int id) {
    char *mem = shmat(id, NULL, 0);
    if (mem == (void *)-1) {
        return -1;
    }
    memcpy(mem, "pwned", 5);
    return shmdt(mem);
}

/* SHM_STAT_ANY takes an index into the kernel's table, not an id. */
static long shm_stat_any(int id) {
    struct shm_info info;
    struct shmid_ds ds;
    int max_index = shmctl(0, SHM_INFO, (struct shmid_ds *)&info);
    if (max_index < 0) {
        return -1;
    }
    for (int index = 0; index <= max_index; index++) {
        if (shmctl(index, SHM_STAT_ANY, &ds) == id) {
            return 0;
        }
    }
    errno = ENOENT;
    return -1;
}

static long msg_take(int id) {
    struct {
        long mtype;
        char mtext[64];
    } msg;
    return msgrcv(id, &msg, sizeof msg.mtext, 0, IPC_NOWAIT);
}

static long sem_take(int id) {
    struct sembuf op = {.sem_num = 0, .sem_op = -1, .sem_flg = IPC_NOWAIT};
    return semop(id, &op, 1);
}

static long mq_take(const char *name) {
    mqd_t mq = mq_open(name, O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (mq == (mqd_t)-1) {
        return -1;
    }
    struct mq_attr attr;
    char buf[8192];
    long rc = mq_getattr(mq, &attr);
    if (rc == 0 && attr.mq_msgsize > (long)sizeof buf) {
        errno = EMSGSIZE;
        rc = -1;
    }
    if (rc == 0) {
        rc = mq_receive(mq, buf, (size_t)attr.mq_msgsize, NULL);
    }
    int saved = errno;
    mq_close(mq);
    errno = saved;
    return rc;
}

static long shm_open_overwrite(const char *name) {
    int fd = shm_open(name, O_RDWR, 0);
    if (fd < 0) {
        return -1;
    }
    long rc = pwrite(fd, "pwned", 5, 0);
    int saved = errno;
    close(fd);
    errno = saved;
    return rc;
}

static long sem_new(const char *name) {
    sem_t *sem = sem_open(name, O_CREAT | O_EXCL, 0600, 0);
    if (sem == SEM_FAILED) {
        return -1;
    }
    long rc = sem_post(sem);
    if (rc == 0) {
        rc = sem_wait(sem);
    }
    int saved = errno;
    sem_close(sem);
    sem_unlink(name);
    errno = saved;
    return rc;
}

int main(int argc, char **argv) {
    if (argc != 3) {
        return usage(argv[0]);
    }
    const char *what = argv[1];
    int n = atoi(argv[2]);
    if (strcmp(what, "shmget") == 0) {
        return report(shmget((key_t)n, 0, 0));
    }
    if (strcmp(what, "msgget") == 0) {
        return report(msgget((key_t)n, 0));
    }
    if (strcmp(what, "semget") == 0) {
        return report(semget((key_t)n, 0, 0));
    }
    if (strcmp(what, "shmat") == 0) {
        return report(shm_overwrite(n));
    }
    if (strcmp(what, "shm_stat_any") == 0) {
        return report(shm_stat_any(n));
    }
    if (strcmp(what, "msgrcv") == 0) {
        return report(msg_take(n));
    }
    if (strcmp(what, "semop") == 0) {
        return report(sem_take(n));
    }
    if (strcmp(what, "mq_open") == 0) {
        return report(mq_take(argv[2]));
    }
    if (strcmp(what, "mq_create") == 0) {
        mqd_t mq = mq_open(argv[2], O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, 0666, NULL);
        return report(mq == (mqd_t)-1 ? -1 : mq_close(mq));
    }
    if (strcmp(what, "mq_unlink") == 0) {
        return report(mq_unlink(argv[2]));
    }
    if (strcmp(what, "shm_open") == 0) {
        return report(shm_open_overwrite(argv[2]));
    }
    if (strcmp(what, "sem_new") == 0) {
        return report(sem_new(argv[2]));
    }
    return usage(argv[0]);
}
