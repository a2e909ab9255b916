/* Probes for deny_path: racers that try to read a file while (or after) the
 * supervisor denies it, and a table of opens whose outcomes must be the
 * kernel's whether the supervisor or the kernel makes them.
 *
 *   race <dir> <rounds> <threads> <fork>
 *       For each round i: create <dir>/ready.i, then readers open and read
 *       <dir>/f.i in a loop until <dir>/denied.i exists and they made 50
 *       more tries. A reader that saw denied.i before an open that then
 *       read the file prints "LEAK". With <fork> = 1 half the readers run
 *       in a second process.
 *   swap <allowed> <denied> <tries>
 *       One thread opens a path buffer that another keeps rewriting
 *       between the two names; reading the denied file's content prints
 *       "LEAK".
 *   dirfd <dir> <name> <marker>
 *       Open <dir>, create <marker>.ready, wait for <marker>, then try
 *       <name> relative to it.
 *   exec-race <dir> <tries>
 *       One process keeps pointing <dir>/link at <dir>/good (exits 0) or
 *       <dir>/bad (exits 1) while this one runs <dir>/link <tries> times,
 *       once <dir>/go exists;
 *       prints how the runs ended: "good N bad N refused N killed N".
 *   opens <dir>
 *       A table of opens and name calls in <dir>, one result a line.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *dir;
static volatile int round_no;
static volatile int leaks;

static int exists(const char *path) {
    struct stat st;
    return stat(path, &st) == 0;
}

static void *reader(void *arg) {
    (void)arg;
    char file[4096], marker[4096], buf[64];
    snprintf(file, sizeof file, "%s/f.%d", dir, round_no);
    snprintf(marker, sizeof marker, "%s/denied.%d", dir, round_no);
    int after = 0;
    while (after < 50) {
        int denied_before = exists(marker);
        int fd = open(file, O_RDONLY);
        if (fd >= 0) {
            ssize_t n = read(fd, buf, sizeof buf);
            if (n > 0 && denied_before) {
                __atomic_add_fetch(&leaks, 1, __ATOMIC_SEQ_CST);
            }
            close(fd);
        }
        if (denied_before) after++;
    }
    return NULL;
}

static int race(int rounds, int threads, int use_fork) {
    for (int i = 0; i < rounds; i++) {
        round_no = i;
        char ready[4096];
        snprintf(ready, sizeof ready, "%s/ready.%d", dir, i);
        pid_t child = -1;
        if (use_fork) {
            child = fork();
            if (child == 0) {
                reader(NULL);
                _exit(leaks ? 3 : 0);
            }
        }
        pthread_t t[16];
        for (int k = 0; k < threads; k++) pthread_create(&t[k], NULL, reader, NULL);
        int fd = open(ready, O_WRONLY | O_CREAT, 0644);
        if (fd < 0) {
            printf("ready %d: errno %d\n", i, errno);
            return 1;
        }
        close(fd);
        for (int k = 0; k < threads; k++) pthread_join(t[k], NULL);
        if (use_fork) {
            int status = 0;
            waitpid(child, &status, 0);
            if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) leaks++;
        }
    }
    printf(leaks ? "LEAK %d\n" : "clean\n", leaks);
    return 0;
}

static char swap_buf[4096];
static const char *swap_names[2];
static volatile int swapping = 1;

static void *swapper(void *arg) {
    (void)arg;
    size_t a = strlen(swap_names[0]), b = strlen(swap_names[1]);
    while (swapping) {
        memcpy(swap_buf, swap_names[1], b + 1);
        memcpy(swap_buf, swap_names[0], a + 1);
    }
    return NULL;
}

static int swap(const char *allowed, const char *denied, int tries) {
    swap_names[0] = allowed;
    swap_names[1] = denied;
    memcpy(swap_buf, allowed, strlen(allowed) + 1);
    pthread_t t;
    pthread_create(&t, NULL, swapper, NULL);
    int opened = 0;
    for (int i = 0; i < tries; i++) {
        int fd = open(swap_buf, O_RDONLY);
        if (fd < 0) continue;
        char buf[64] = {0};
        ssize_t n = read(fd, buf, sizeof buf - 1);
        if (n > 0 && strncmp(buf, "secret", 6) == 0) leaks++;
        opened++;
        close(fd);
    }
    swapping = 0;
    pthread_join(t, NULL);
    printf(leaks ? "LEAK %d\n" : "clean %d\n", leaks ? leaks : (opened > 0));
    return 0;
}

static int dirfd_probe(const char *path, const char *name, const char *marker) {
    int dfd = open(path, O_RDONLY | O_DIRECTORY);
    if (dfd < 0) {
        printf("open dir: errno %d\n", errno);
        return 1;
    }
    int before = openat(dfd, name, O_RDONLY);
    printf("before: %s\n", before >= 0 ? "opened" : strerror(errno));
    char ready[4096];
    snprintf(ready, sizeof ready, "%s.ready", marker);
    close(open(ready, O_WRONLY | O_CREAT, 0644));
    while (!exists(marker)) usleep(1000);
    int fd = openat(dfd, name, O_RDONLY);
    printf("after: %s\n", fd >= 0 ? "opened" : strerror(errno));
    int cwd = fchdir(dfd) == 0 ? open(name, O_RDONLY) : -1;
    printf("from cwd: %s\n", cwd >= 0 ? "opened" : strerror(errno));
    /* Opening the old fd's file again is a new open. */
    char again[64];
    snprintf(again, sizeof again, "/proc/self/fd/%d", before);
    int reopened = open(again, O_RDONLY);
    printf("reopen: %s\n", reopened >= 0 ? "opened" : strerror(errno));
    /* The fd opened before stays usable (Linux cannot revoke it). */
    char buf[16];
    printf("old fd reads: %s\n", before >= 0 && pread(before, buf, sizeof buf, 0) > 0 ? "yes" : "no");
    return 0;
}

static int exec_race(const char *d, int tries) {
    char link[4096], tmp[4096], good[4096], bad[4096];
    snprintf(link, sizeof link, "%s/link", d);
    snprintf(tmp, sizeof tmp, "%s/link.tmp", d);
    snprintf(good, sizeof good, "%s/good", d);
    snprintf(bad, sizeof bad, "%s/bad", d);
    char go[4096];
    snprintf(go, sizeof go, "%s/go", d);
    while (!exists(go)) usleep(1000);
    symlink(good, link);
    pid_t swapper = fork();
    if (swapper == 0) {
        for (int i = 0;; i++) {
            unlink(tmp);
            if (symlink(i % 2 ? bad : good, tmp) == 0) rename(tmp, link);
        }
    }
    int counts[4] = {0};
    for (int i = 0; i < tries; i++) {
        pid_t child = fork();
        if (child == 0) {
            execl(link, link, (char *)NULL);
            _exit(126);
        }
        int status = 0;
        waitpid(child, &status, 0);
        if (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) counts[3]++;
        else if (WIFEXITED(status) && WEXITSTATUS(status) == 0) counts[0]++;
        else if (WIFEXITED(status) && WEXITSTATUS(status) == 1) counts[1]++;
        else counts[2]++;
    }
    kill(swapper, SIGKILL);
    waitpid(swapper, NULL, 0);
    printf("good %d bad %d refused %d killed %d\n", counts[0], counts[1], counts[2], counts[3]);
    return 0;
}

static void row(const char *what, long rc) {
    int e = errno;
    printf("%s: %s\n", what, rc >= 0 ? "ok" : strerrorname_np(e));
}

static long how(const char *path, long flags, long mode, long resolve) {
    struct open_how h = {.flags = flags, .mode = mode, .resolve = resolve};
    return syscall(SYS_openat2, AT_FDCWD, path, &h, sizeof h);
}

static void mode_of(const char *path) {
    struct stat st;
    if (lstat(path, &st) == 0)
        printf("mode %s: %o\n", path, st.st_mode);
    else
        printf("mode %s: %s\n", path, strerrorname_np(errno));
}

/* Runs one call after the other and prints each outcome in order. */
#define ROW(what, call) (errno = 0, row(what, (long)(call)))

static int opens(const char *d) {
    if (chdir(d) != 0) return 1;
    umask(027);
    close(open("file", O_WRONLY | O_CREAT, 0644));
    int data = open("data", O_WRONLY | O_CREAT, 0600);
    if (data < 0 || write(data, "0123456789", 10) != 10) return 1;
    close(data);
    mkdir("sub", 0755);
    symlink("file", "link");
    symlink("missing", "dangling");
    symlink("sub", "dirlink");
    symlink("/", "abs");
    mkfifo("fifo", 0644);
    ROW("open missing", open("nothing", O_RDONLY));
    ROW("open file", open("file", O_RDONLY));
    ROW("excl existing", open("file", O_WRONLY | O_CREAT | O_EXCL, 0644));
    ROW("excl new", open("new-excl", O_WRONLY | O_CREAT | O_EXCL, 0666));
    ROW("excl on symlink", open("link", O_WRONLY | O_CREAT | O_EXCL, 0644));
    ROW("creat through dangling", open("dangling", O_WRONLY | O_CREAT, 0640));
    ROW("nofollow link", open("link", O_RDONLY | O_NOFOLLOW));
    ROW("nofollow creat link", open("link", O_WRONLY | O_CREAT | O_NOFOLLOW, 0644));
    ROW("path nofollow link", open("link", O_PATH | O_NOFOLLOW));
    ROW("directory on file", open("file", O_RDONLY | O_DIRECTORY));
    ROW("directory on dir", open("sub", O_RDONLY | O_DIRECTORY));
    ROW("directory through link", open("dirlink", O_RDONLY | O_DIRECTORY));
    ROW("write a dir", open("sub", O_WRONLY));
    ROW("creat a dir", open("sub", O_RDONLY | O_CREAT, 0644));
    ROW("creat trailing slash", open("newdir/", O_RDONLY | O_CREAT, 0644));
    ROW("file trailing slash", open("file/", O_RDONLY));
    ROW("creat directory flag", open("x", O_RDONLY | O_CREAT | O_DIRECTORY, 0644));
    ROW("tmpfile", open("sub", O_TMPFILE | O_RDWR, 0600));
    ROW("tmpfile read only", open("sub", O_TMPFILE | O_RDONLY, 0600));
    ROW("tmpfile on file", open("file", O_TMPFILE | O_RDWR, 0600));
    ROW("fifo nonblock read", open("fifo", O_RDONLY | O_NONBLOCK));
    ROW("fifo nonblock write", open("fifo", O_RDWR | O_NONBLOCK));
    ROW("fifo rdwr", open("fifo", O_RDWR));
    ROW("dotdot to root", open("../../../../../../../../", O_RDONLY | O_DIRECTORY));
    ROW("abs link dir", open("abs", O_PATH | O_DIRECTORY));
    ROW("empty path", open("", O_RDONLY));
    ROW("openat2 beneath ok", how("sub/../file", O_RDONLY, 0, RESOLVE_BENEATH));
    ROW("openat2 beneath escape", how("../x", O_RDONLY, 0, RESOLVE_BENEATH));
    ROW("openat2 beneath abs link", how("abs", O_RDONLY, 0, RESOLVE_BENEATH));
    ROW("openat2 in root abs link", how("abs/file", O_RDONLY, 0, RESOLVE_IN_ROOT));
    ROW("openat2 in root dotdot", how("../../file", O_RDONLY, 0, RESOLVE_IN_ROOT));
    ROW("openat2 no symlinks", how("link", O_RDONLY, 0, RESOLVE_NO_SYMLINKS));
    ROW("openat2 mode without creat", how("file", O_RDONLY, 0644, 0));
    ROW("openat2 unknown flag", how("file", 1L << 40, 0, 0));
    int tmp = open("sub", O_TMPFILE | O_WRONLY, 0640);
    char tmp_path[64];
    snprintf(tmp_path, sizeof tmp_path, "/proc/self/fd/%d", tmp);
    ROW("link a tmpfile by fd", linkat(tmp, "", AT_FDCWD, "sub/linked-empty", AT_EMPTY_PATH));
    ROW("link a tmpfile by proc", linkat(AT_FDCWD, tmp_path, AT_FDCWD, "sub/linked-proc", AT_SYMLINK_FOLLOW));
    close(tmp);
    ROW("append", open("data", O_WRONLY | O_APPEND));
    int append = open("data", O_WRONLY | O_APPEND);
    ROW("append write", write(append, "ab", 2));
    close(append);
    ROW("trunc", open("file", O_WRONLY | O_TRUNC));
    ROW("proc self fd", open("/proc/self/fd/1", O_WRONLY));
    ROW("dev stdout", open("/dev/stdout", O_WRONLY));
    ROW("mkdir", mkdir("made", 0777));
    ROW("mkdir existing", mkdir("sub", 0777));
    ROW("mkdir trailing slash", mkdir("made2/", 0777));
    ROW("rmdir", rmdir("made2"));
    ROW("rmdir file", rmdir("file"));
    ROW("rmdir dot", rmdir("sub/."));
    ROW("unlink dir", unlink("sub"));
    ROW("unlink trailing slash", unlink("file/"));
    ROW("link", link("file", "file-link"));
    ROW("link existing", link("file", "data"));
    ROW("linkat follow", linkat(AT_FDCWD, "link", AT_FDCWD, "followed", AT_SYMLINK_FOLLOW));
    ROW("linkat symlink itself", linkat(AT_FDCWD, "link", AT_FDCWD, "link-copy", 0));
    ROW("symlink", symlink("target", "new-link"));
    ROW("symlink existing", symlink("target", "file"));
    ROW("mknod fifo", mknod("fifo2", S_IFIFO | 0666, 0));
    ROW("rename", rename("file-link", "renamed"));
    ROW("rename onto dir", rename("renamed", "sub"));
    ROW("rename exchange", syscall(SYS_renameat2, AT_FDCWD, "renamed", AT_FDCWD, "data", 2));
    ROW("rename noreplace", syscall(SYS_renameat2, AT_FDCWD, "renamed", AT_FDCWD, "data", 1));
    ROW("truncate", truncate("renamed", 3));
    ROW("truncate dir", truncate("sub", 0));
    ROW("truncate fifo", truncate("fifo", 0));
    ROW("unlink", unlink("renamed"));
    const char *modes[] = {"new-excl", "missing", "made", "fifo2", "new-link", "data", "renamed", "file", "sub/linked-proc"};
    for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++) mode_of(modes[i]);
    struct stat st;
    if (stat("data", &st) == 0) printf("size data: %lld\n", (long long)st.st_size);
    return 0;
}

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc == 6 && strcmp(argv[1], "race") == 0) {
        dir = argv[2];
        return race(atoi(argv[3]), atoi(argv[4]), atoi(argv[5]));
    }
    if (argc == 5 && strcmp(argv[1], "swap") == 0) return swap(argv[2], argv[3], atoi(argv[4]));
    if (argc == 5 && strcmp(argv[1], "dirfd") == 0) return dirfd_probe(argv[2], argv[3], argv[4]);
    if (argc == 3 && strcmp(argv[1], "opens") == 0) return opens(argv[2]);
    if (argc == 4 && strcmp(argv[1], "exec-race") == 0) return exec_race(argv[2], atoi(argv[3]));
    fprintf(stderr, "usage: see the comment at the top\n");
    return 2;
}
