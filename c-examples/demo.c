/*
 * demo: a C program confines a shell script with libsandlock.
 *
 * The policy lets the script read the system directories, write one scratch
 * directory and connect to one TCP port. Two handlers sit on top of it: an
 * audit handler that logs every path the script opens (and lets the call
 * through), and a handler that refuses uname(2) with EACCES. The script tries
 * a few things, allowed and not, and the demo prints what happened and why.
 *
 * Build: make -C c-examples demo      Run: c-examples/demo
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sandlock.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- the audit handler's log ------------------------------------------ */

#define AUDIT_MAX_PATHS 256

struct audit_entry {
    char path[PATH_MAX];
    bool read;
    bool written;
    unsigned calls;
};

/* Handlers may run on several supervisor threads at once: the log locks. */
struct audit_log {
    pthread_mutex_t lock;
    struct audit_entry entries[AUDIT_MAX_PATHS];
    size_t len;
    unsigned calls;
    unsigned unreadable;
};

static void audit_record(struct audit_log *log, const char *path, int access_mode)
{
    pthread_mutex_lock(&log->lock);
    log->calls++;
    struct audit_entry *entry = NULL;
    for (size_t i = 0; i < log->len; i++) {
        if (strcmp(log->entries[i].path, path) == 0) {
            entry = &log->entries[i];
            break;
        }
    }
    if (entry == NULL && log->len < AUDIT_MAX_PATHS) {
        entry = &log->entries[log->len++];
        snprintf(entry->path, sizeof entry->path, "%s", path);
    }
    if (entry != NULL) {
        entry->calls++;
        entry->read |= access_mode != O_WRONLY;
        entry->written |= access_mode != O_RDONLY;
    }
    pthread_mutex_unlock(&log->lock);
}

/* openat(dirfd, pathname, flags, mode): log the path, let the call through.
 * Landlock still decides whether the open succeeds. */
static int32_t audit_openat(void *ud, const sandlock_notif_data_t *notif, sandlock_mem_handle_t *mem,
                            sandlock_action_out_t *out)
{
    struct audit_log *log = ud;
    uint8_t path[PATH_MAX];
    size_t len = 0;
    if (sandlock_mem_read_cstr(mem, notif->args[1], path, sizeof path, &len) == 0) {
        audit_record(log, (const char *)path, (int)(notif->args[2] & O_ACCMODE));
    } else {
        pthread_mutex_lock(&log->lock);
        log->calls++;
        log->unreadable++;
        pthread_mutex_unlock(&log->lock);
    }
    sandlock_action_set_continue(out);
    return 0;
}

/* uname(2): nobody in this sandbox learns the host's name. */
static int32_t deny_uname(void *ud, const sandlock_notif_data_t *notif, sandlock_mem_handle_t *mem,
                          sandlock_action_out_t *out)
{
    (void)ud;
    (void)notif;
    (void)mem;
    sandlock_action_set_errno(out, EACCES);
    return 0;
}

/* ---- the script and what each attempt means ---------------------------- */

/* Each attempt prints one line: label, TAB, ok|refused, TAB, the first line
 * of what the command printed. Positional parameters: $1 scratch dir,
 * $2 secret file, $3 allowed port, $4 other port, $5 TCP helper (empty when
 * bash's /dev/tcp is used). */
static const char script[] =
    "attempt() {\n"
    "    label=$1; shift\n"
    "    if said=$(\"$@\" 2>&1); then verdict=ok; else verdict=refused; fi\n"
    "    printf '%s\\t%s\\t%s\\n' \"$label\" \"$verdict\" \"$(printf '%s\\n' \"$said\" | head -n 1)\"\n"
    "}\n"
    "connect() {\n"
    "    if [ -n \"$tcp_helper\" ]; then \"$tcp_helper\" 127.0.0.1 \"$1\"\n"
    "    else bash -c 'exec 3<>\"/dev/tcp/127.0.0.1/$1\"' bash \"$1\"; fi\n"
    "}\n"
    "scratch=$1 secret=$2 allowed_port=$3 other_port=$4 tcp_helper=$5\n"
    "attempt read-hostname cat /etc/hostname\n"
    "attempt read-secret cat \"$secret\"\n"
    "attempt write-scratch sh -c 'echo \"written from inside the sandbox\" > \"$0/note.txt\"' \"$scratch\"\n"
    "attempt write-etc sh -c 'echo nope > /etc/x'\n"
    "attempt uname uname -n\n"
    "attempt connect-allowed connect \"$allowed_port\"\n"
    "attempt connect-other connect \"$other_port\"\n";

struct attempt {
    const char *label;
    bool expect_allowed;
    char what[PATH_MAX + 32];
    char why[256];
};

enum { ATTEMPT_COUNT = 7 };

/* ---- helpers ------------------------------------------------------------ */

static void die(const char *what)
{
    const char *detail = sandlock_last_error();
    fprintf(stderr, "demo: %s: %s\n", what, detail != NULL && detail[0] != '\0' ? detail : strerror(errno));
    exit(1);
}

static void check(int status, const char *what)
{
    if (status < 0) {
        die(what);
    }
}

/* A listener on 127.0.0.1 with a port the kernel picks. */
static int listen_loopback(uint16_t *port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t addr_len = sizeof addr;
    if (fd < 0 || bind(fd, (struct sockaddr *)&addr, sizeof addr) < 0 || listen(fd, 8) < 0 ||
        getsockname(fd, (struct sockaddr *)&addr, &addr_len) < 0) {
        die("listen on 127.0.0.1");
    }
    *port = ntohs(addr.sin_port);
    return fd;
}

/* Connections that completed on a listener (the kernel queued them). */
static unsigned accept_all(int listener)
{
    unsigned accepted = 0;
    int fd;
    while ((fd = accept4(listener, NULL, NULL, SOCK_CLOEXEC)) >= 0) {
        close(fd);
        accepted++;
    }
    return accepted;
}

/* The TCP helper next to this executable, for systems without bash. */
static bool find_tcp_helper(char *helper, size_t size)
{
    char self[PATH_MAX];
    ssize_t len = readlink("/proc/self/exe", self, sizeof self - 1);
    if (len < 0) {
        return false;
    }
    self[len] = '\0';
    char *slash = strrchr(self, '/');
    if (slash == NULL) {
        return false;
    }
    *slash = '\0';
    int written = snprintf(helper, size, "%s/tcp-connect", self);
    return written > 0 && (size_t)written < size && access(helper, X_OK) == 0;
}

static void write_file(const char *path, const char *content)
{
    FILE *file = fopen(path, "w");
    if (file == NULL || fputs(content, file) == EOF || fclose(file) != 0) {
        die(path);
    }
}

static void read_file(const char *path, char *buf, size_t size)
{
    buf[0] = '\0';
    FILE *file = fopen(path, "r");
    if (file == NULL) {
        return;
    }
    size_t len = fread(buf, 1, size - 1, file);
    buf[len] = '\0';
    buf[strcspn(buf, "\n")] = '\0';
    fclose(file);
}

static void remove_tree(const char *dir, const char *file)
{
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    unlink(path);
    rmdir(dir);
}

/* The script's line for `label`, split into verdict and what it printed. */
static bool find_report(const char *stdout_text, const char *label, bool *ok, char *said, size_t said_size)
{
    size_t label_len = strlen(label);
    for (const char *line = stdout_text; *line != '\0';) {
        const char *end = strchr(line, '\n');
        size_t line_len = end != NULL ? (size_t)(end - line) : strlen(line);
        if (line_len > label_len && strncmp(line, label, label_len) == 0 && line[label_len] == '\t') {
            const char *verdict = line + label_len + 1;
            *ok = strncmp(verdict, "ok\t", 3) == 0;
            const char *text = strchr(verdict, '\t');
            size_t text_len = text != NULL ? line_len - (size_t)(text + 1 - line) : 0;
            if (text_len >= said_size) {
                text_len = said_size - 1;
            }
            memcpy(said, text != NULL ? text + 1 : "", text_len);
            said[text_len] = '\0';
            return true;
        }
        line += line_len + (end != NULL ? 1 : 0);
    }
    return false;
}

static void print_stream(const char *title, const uint8_t *data, size_t len)
{
    if (len == 0) {
        return;
    }
    printf("\n%s:\n", title);
    printf("%.*s", (int)len, (const char *)data);
    if (data[len - 1] != '\n') {
        putchar('\n');
    }
}

/* ---- main --------------------------------------------------------------- */

int main(void)
{
    uint32_t version = sandlock_version();
    printf("sandlock %u.%u.%u: a C program runs a shell script in a sandbox\n\n", version >> 16,
           (version >> 8) & 0xff, version & 0xff);

    char scratch[] = "/tmp/sandlock-demo-XXXXXX";
    char secret_dir[] = "/tmp/sandlock-demo-secret-XXXXXX";
    if (mkdtemp(scratch) == NULL || mkdtemp(secret_dir) == NULL) {
        die("mkdtemp");
    }
    char secret[PATH_MAX];
    snprintf(secret, sizeof secret, "%s/secret.txt", secret_dir);
    write_file(secret, "the host's secret\n");

    uint16_t allowed_port;
    uint16_t other_port;
    int allowed_listener = listen_loopback(&allowed_port);
    int other_listener = listen_loopback(&other_port);

    char tcp_helper[PATH_MAX] = "";
    bool use_bash = access("/bin/bash", X_OK) == 0;
    if (!use_bash && !find_tcp_helper(tcp_helper, sizeof tcp_helper)) {
        fprintf(stderr, "demo: needs /bin/bash or the tcp-connect helper next to the demo binary\n");
        return 1;
    }

    /* The policy: what the script may touch at all. */
    const char *read_paths[] = {"/usr", "/lib", "/lib64", "/bin", "/etc"};
    sandlock_policy_t *policy = sandlock_policy_new();
    if (policy == NULL) {
        die("sandlock_policy_new");
    }
    printf("policy\n  read     ");
    for (size_t i = 0; i < sizeof read_paths / sizeof read_paths[0]; i++) {
        struct stat info;
        if (stat(read_paths[i], &info) != 0) {
            continue;
        }
        check(sandlock_policy_fs_read(policy, read_paths[i]), read_paths[i]);
        printf(" %s", read_paths[i]);
    }
    if (!use_bash) {
        check(sandlock_policy_fs_read(policy, tcp_helper), tcp_helper);
        printf(" %s", tcp_helper);
    }
    check(sandlock_policy_fs_write(policy, scratch), scratch);
    check(sandlock_policy_net_connect_tcp(policy, allowed_port), "net_connect_tcp");
    check(sandlock_policy_env(policy, "PATH", "/usr/bin:/bin"), "env");
    check(sandlock_policy_timeout_ms(policy, 20000), "timeout");
    printf("\n  write     %s\n", scratch);
    printf("  connect   TCP port %u (a second listener waits on port %u)\n", allowed_port, other_port);
    printf("handlers\n");
    printf("  openat    audit: log the path, let the call through\n");
    printf("  uname     deny: answer EACCES\n\n");

    /* The handlers: C callbacks the supervisor calls for each trapped syscall. */
    struct audit_log audit = {.lock = PTHREAD_MUTEX_INITIALIZER};
    sandlock_handler_t *audit_handler = sandlock_handler_new(audit_openat, &audit, NULL, SANDLOCK_EXCEPTION_CONTINUE);
    sandlock_handler_t *uname_handler = sandlock_handler_new(deny_uname, NULL, NULL, SANDLOCK_EXCEPTION_DENY_EPERM);
    if (audit_handler == NULL || uname_handler == NULL) {
        die("sandlock_handler_new");
    }
    int64_t openat_nr = sandlock_syscall_nr("openat");
    int64_t uname_nr = sandlock_syscall_nr("uname");
    if (openat_nr < 0 || uname_nr < 0) {
        die("sandlock_syscall_nr");
    }
    sandlock_handler_registration_t registrations[] = {
        {.syscall_nr = openat_nr, .handler = audit_handler},
        {.syscall_nr = uname_nr, .handler = uname_handler},
    };

    char allowed_arg[8];
    char other_arg[8];
    snprintf(allowed_arg, sizeof allowed_arg, "%u", allowed_port);
    snprintf(other_arg, sizeof other_arg, "%u", other_port);
    const char *argv[] = {"/bin/sh", "-c", script, "demo-script", scratch, secret, allowed_arg, other_arg, tcp_helper};
    const uint32_t argc = sizeof argv / sizeof argv[0];

    printf("running /bin/sh -c <script>\n\n");
    /* The run takes ownership of both handlers, whatever it returns. */
    sandlock_result_t *result = sandlock_run_with_handlers(policy, "demo", argv, argc, registrations,
                                                           sizeof registrations / sizeof registrations[0]);
    sandlock_policy_free(policy);
    if (result == NULL) {
        die("sandlock_run_with_handlers");
    }

    struct attempt attempts[ATTEMPT_COUNT] = {
        {.label = "read-hostname", .expect_allowed = true, .why = "/etc is in the read set"},
        {.label = "read-secret", .expect_allowed = false, .why = "outside every read and write path: Landlock refuses"},
        {.label = "write-scratch", .expect_allowed = true, .why = "the scratch directory is the write path"},
        {.label = "write-etc", .expect_allowed = false, .why = "/etc is read-only in this policy: Landlock refuses"},
        {.label = "uname", .expect_allowed = false, .why = "the uname handler answered EACCES"},
        {.label = "connect-allowed", .expect_allowed = true, .why = "the port is in net_connect_tcp"},
        {.label = "connect-other", .expect_allowed = false, .why = "the port is not in net_connect_tcp: Landlock refuses"},
    };
    snprintf(attempts[0].what, sizeof attempts[0].what, "read /etc/hostname");
    snprintf(attempts[1].what, sizeof attempts[1].what, "read %s", secret);
    snprintf(attempts[2].what, sizeof attempts[2].what, "write %s/note.txt", scratch);
    snprintf(attempts[3].what, sizeof attempts[3].what, "write /etc/x");
    snprintf(attempts[4].what, sizeof attempts[4].what, "uname -n (the host name)");
    snprintf(attempts[5].what, sizeof attempts[5].what, "connect to 127.0.0.1:%u", allowed_port);
    snprintf(attempts[6].what, sizeof attempts[6].what, "connect to 127.0.0.1:%u", other_port);

    size_t stdout_len = 0;
    const uint8_t *stdout_data = sandlock_result_stdout(result, &stdout_len);
    char *report = strndup((const char *)stdout_data, stdout_len);
    if (report == NULL) {
        die("strndup");
    }

    bool all_as_expected = true;
    printf("what the script tried\n");
    for (size_t i = 0; i < ATTEMPT_COUNT; i++) {
        bool ok = false;
        char said[160];
        if (!find_report(report, attempts[i].label, &ok, said, sizeof said)) {
            printf("  [MISSING] %s: the script printed no result\n", attempts[i].what);
            all_as_expected = false;
            continue;
        }
        bool as_expected = ok == attempts[i].expect_allowed;
        all_as_expected &= as_expected;
        printf("  %s  %s%s\n", ok ? "ALLOWED" : "DENIED ", attempts[i].what, as_expected ? "" : "   <-- UNEXPECTED");
        printf("           why: %s\n", attempts[i].why);
        if (said[0] != '\0') {
            printf("           it said: %s\n", said);
        }
    }
    free(report);

    char note[128];
    char note_path[PATH_MAX];
    snprintf(note_path, sizeof note_path, "%s/note.txt", scratch);
    read_file(note_path, note, sizeof note);
    unsigned allowed_accepted = accept_all(allowed_listener);
    unsigned other_accepted = accept_all(other_listener);
    printf("\nseen from outside\n");
    printf("  %s holds: \"%s\"\n", note_path, note);
    printf("  listener on port %u accepted %u connection(s)\n", allowed_port, allowed_accepted);
    printf("  listener on port %u accepted %u connection(s)\n", other_port, other_accepted);
    all_as_expected &= strcmp(note, "written from inside the sandbox") == 0;
    all_as_expected &= allowed_accepted == 1 && other_accepted == 0;

    printf("\nopenat audit log: %u calls, %zu distinct paths", audit.calls, audit.len);
    if (audit.unreadable > 0) {
        printf(", %u with an unreadable path", audit.unreadable);
    }
    printf("\n");
    bool secret_seen = false;
    for (size_t i = 0; i < audit.len; i++) {
        const struct audit_entry *entry = &audit.entries[i];
        const char *mode = entry->read && entry->written ? "read+write" : entry->written ? "write" : "read";
        printf("  %3ux  %-10s  %s\n", entry->calls, mode, entry->path);
        secret_seen |= strcmp(entry->path, secret) == 0;
    }
    printf("  (the handler saw the secret file's open before Landlock refused it: %s)\n", secret_seen ? "yes" : "no");
    all_as_expected &= secret_seen;

    size_t stderr_len = 0;
    const uint8_t *stderr_data = sandlock_result_stderr(result, &stderr_len);
    print_stream("the script's stderr", stderr_data, stderr_len);

    int32_t exit_code = sandlock_result_exit_code(result);
    int32_t signal_number = sandlock_result_signal(result);
    if (signal_number != 0) {
        printf("\nscript exit status: killed by signal %d\n", signal_number);
    } else {
        printf("\nscript exit status: exited with %d\n", exit_code);
    }
    all_as_expected &= signal_number == 0 && exit_code == 0;
    sandlock_result_free(result);

    close(allowed_listener);
    close(other_listener);
    remove_tree(scratch, "note.txt");
    remove_tree(secret_dir, "secret.txt");

    printf("%s\n", all_as_expected ? "every decision was the expected one" : "SOME DECISIONS WERE NOT THE EXPECTED ONES");
    return all_as_expected ? 0 : 1;
}
