/* The 1.1 policy setters: each one's refusals, and its effect seen by a
 * real child. */
#define _GNU_SOURCE
#include "check.h"
#include "tests.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <limits.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

/* The probe's stdout under `policy`, in `out` (NUL-terminated). */
static void probe_output(const sandlock_policy_t *policy, const char *const *args, uint32_t nargs, char *out,
                         size_t size)
{
    sandlock_result_t *result = run_probe_command(policy, args, nargs);
    size_t len = 0;
    const uint8_t *data = sandlock_result_stdout(result, &len);
    CHECK(len < size);
    memcpy(out, data, len);
    out[len] = '\0';
    sandlock_result_free(result);
}

static void check_probe_prints(const sandlock_policy_t *policy, const char *const *args, uint32_t nargs,
                               const char *expected)
{
    char out[256];
    probe_output(policy, args, nargs, out, sizeof out);
    CHECK_STR_EQ(out, expected);
}

/* "errno N\n" */
static const char *errno_line(int value)
{
    static char line[32];
    snprintf(line, sizeof line, "errno %d\n", value);
    return line;
}

typedef int (*switch_setter)(sandlock_policy_t *, bool, sandlock_error_t **);

/* A switch setter refuses a NULL policy, through err and the last error. */
static void check_switch_refuses_null(switch_setter setter)
{
    sandlock_error_t *err = NULL;
    CHECK_INT_EQ(setter(NULL, true, &err), SANDLOCK_E_INVALID);
    CHECK_ERROR(err, SANDLOCK_E_INVALID, 0, "policy must not be NULL");
    CHECK_INT_EQ(setter(NULL, false, NULL), SANDLOCK_E_INVALID);
    CHECK_LAST_ERROR(SANDLOCK_E_INVALID, "policy must not be NULL");
}

/* ---- allowlist ------------------------------------------------------------ */

/* What a dynamically linked probe needs from execve to exit. */
static const char *const startup_syscalls[] = {
    "execve", "brk",        "arch_prctl", "set_tid_address", "set_robust_list", "rseq",     "prlimit64", "mprotect",
    "mmap",   "munmap",     "access",     "openat",          "newfstatat",      "fstat",    "read",      "pread64",
    "close",  "write",      "getrandom",  "readlink",        "exit_group",      "exit",
};

static sandlock_policy_t *allowlist_policy(const char *extra)
{
    sandlock_policy_t *policy = base_policy();
    for (size_t i = 0; i < sizeof startup_syscalls / sizeof startup_syscalls[0]; i++) {
        /* Not every architecture has every one of them. */
        if (sandlock_syscall_nr(startup_syscalls[i]) >= 0) {
            CHECK_INT_EQ(sandlock_policy_allow_only_syscall(policy, startup_syscalls[i], NULL), SANDLOCK_OK);
        }
    }
    if (extra != NULL) {
        CHECK_INT_EQ(sandlock_policy_allow_only_syscall(policy, extra, NULL), SANDLOCK_OK);
    }
    return policy;
}

void allowlist_runs_only_the_listed_syscalls(void)
{
    const char *args[] = {"uname"};
    sandlock_policy_t *without = allowlist_policy(NULL);
    check_probe_prints(without, args, 1, errno_line(EPERM));
    sandlock_policy_free(without);

    sandlock_policy_t *with = allowlist_policy("uname");
    char out[256];
    probe_output(with, args, 1, out, sizeof out);
    CHECK(strncmp(out, "ok ", 3) == 0);
    sandlock_policy_free(with);
}

void allowlist_refuses_bad_names_and_a_deny_list(void)
{
    sandlock_policy_t *policy = base_policy();
    sandlock_error_t *err = NULL;
    CHECK_INT_EQ(sandlock_policy_allow_only_syscall(policy, NULL, &err), SANDLOCK_E_INVALID);
    CHECK_ERROR(err, SANDLOCK_E_INVALID, 0, "syscall name must not be NULL");
    CHECK_INT_EQ(sandlock_policy_allow_only_syscall(policy, "no_such_syscall", &err), SANDLOCK_E_INVALID);
    CHECK_ERROR(err, SANDLOCK_E_INVALID, 0, "unknown syscall \"no_such_syscall\" on this architecture");
    CHECK_INT_EQ(sandlock_policy_allow_only_syscall(policy, "", &err), SANDLOCK_E_INVALID);
    CHECK_ERROR(err, SANDLOCK_E_INVALID, 0, "unknown syscall \"\" on this architecture");
    CHECK_INT_EQ(sandlock_policy_allow_only_syscall(NULL, "read", &err), SANDLOCK_E_INVALID);
    CHECK_ERROR(err, SANDLOCK_E_INVALID, 0, "policy must not be NULL");

    /* An allowlist and a deny list do not combine: the run says so. */
    CHECK_INT_EQ(sandlock_policy_allow_only_syscall(policy, "read", &err), SANDLOCK_OK);
    CHECK_INT_EQ(sandlock_policy_deny_syscall(policy, "ptrace"), SANDLOCK_OK);
    const char *args[] = {"exit", "0"};
    sandlock_command_t *command = probe_command(policy, args, 2);
    CHECK(sandlock_command_run(command, &err) == NULL);
    CHECK_ERROR(err, SANDLOCK_E_INVALID, 0,
                "invalid value for syscall rules: a deny list and an allowlist cannot be combined");
    sandlock_command_free(command);
    sandlock_policy_free(policy);
}

/* ---- limits ----------------------------------------------------------------- */

void max_open_files_is_the_childs_rlimit(void)
{
    sandlock_policy_t *policy = base_policy();
    sandlock_error_t *err = NULL;
    CHECK_INT_EQ(sandlock_policy_max_open_files(policy, 0, &err), SANDLOCK_E_INVALID);
    CHECK_ERROR(err, SANDLOCK_E_INVALID, 0, "limit max_open_files must be greater than zero");
    CHECK_INT_EQ(sandlock_policy_max_open_files(NULL, 17, &err), SANDLOCK_E_INVALID);
    CHECK_ERROR(err, SANDLOCK_E_INVALID, 0, "policy must not be NULL");
    CHECK_INT_EQ(sandlock_policy_max_open_files(policy, 17, &err), SANDLOCK_OK);
    CHECK(err == NULL);
    const char *args[] = {"rlimit-nofile"};
    check_probe_prints(policy, args, 1, "17 17\n");
    sandlock_policy_free(policy);
}

void max_output_refuses_zero_and_null(void)
{
    sandlock_error_t *err = NULL;
    sandlock_policy_t *policy = sandlock_policy_new();
    CHECK_INT_EQ(sandlock_policy_max_output(policy, 0, &err), SANDLOCK_E_INVALID);
    CHECK_ERROR(err, SANDLOCK_E_INVALID, 0, "limit max_output must be greater than zero");
    CHECK_INT_EQ(sandlock_policy_max_output(NULL, 1, &err), SANDLOCK_E_INVALID);
    CHECK_ERROR(err, SANDLOCK_E_INVALID, 0, "policy must not be NULL");
    sandlock_policy_free(policy);
    /* Its effect: exit_snapshot_says_which_stream_was_truncated. */
}

/* ---- best effort, private IPC ------------------------------------------------ */

struct cap_header {
    uint32_t version;
    int pid;
};

struct cap_data {
    uint32_t effective;
    uint32_t permitted;
    uint32_t inheritable;
};

/* Drop CAP_SYS_ADMIN (21) from this thread's effective set: a caller that
 * cannot create namespaces. The runner forks each test, so nothing else
 * sees it. */
static void drop_cap_sys_admin(void)
{
    struct cap_header header = {0x20080522, 0};
    struct cap_data data[2];
    memset(data, 0, sizeof data);
    CHECK_INT_EQ(syscall(SYS_capget, &header, data), 0);
    data[0].effective &= ~(1U << 21);
    CHECK_INT_EQ(syscall(SYS_capset, &header, data), 0);
}

void private_ipc_gives_the_child_sysv_ipc(void)
{
    check_switch_refuses_null(sandlock_policy_private_ipc);
    const char *args[] = {"shm"};
    sandlock_policy_t *policy = base_policy();
    /* Denied by default: SysV IPC would reach the host's objects. */
    check_probe_prints(policy, args, 1, errno_line(EPERM));
    CHECK_INT_EQ(sandlock_policy_private_ipc(policy, true, NULL), SANDLOCK_OK);
    check_probe_prints(policy, args, 1, "ok\n");
    CHECK_INT_EQ(sandlock_policy_private_ipc(policy, false, NULL), SANDLOCK_OK);
    check_probe_prints(policy, args, 1, errno_line(EPERM));
    sandlock_policy_free(policy);
}

void best_effort_runs_what_the_caller_cannot_enforce(void)
{
    check_switch_refuses_null(sandlock_policy_best_effort);
    drop_cap_sys_admin();
    sandlock_policy_t *policy = base_policy();
    CHECK_INT_EQ(sandlock_policy_private_ipc(policy, true, NULL), SANDLOCK_OK);
    const char *args[] = {"shm"};
    sandlock_command_t *command = probe_command(policy, args, 1);
    sandlock_error_t *err = NULL;
    CHECK(sandlock_command_run(command, &err) == NULL);
    CHECK_ERROR(err, SANDLOCK_E_UNSUPPORTED, 0,
                "this kernel cannot enforce private IPC namespace: creating a namespace needs CAP_SYS_ADMIN in the "
                "caller");
    sandlock_command_free(command);

    /* Best effort runs without the namespace: IPC then stays denied. */
    CHECK_INT_EQ(sandlock_policy_best_effort(policy, true, &err), SANDLOCK_OK);
    CHECK(err == NULL);
    check_probe_prints(policy, args, 1, errno_line(EPERM));
    /* And off again is strict again. */
    CHECK_INT_EQ(sandlock_policy_best_effort(policy, false, NULL), SANDLOCK_OK);
    command = probe_command(policy, args, 1);
    CHECK(sandlock_command_run(command, NULL) == NULL);
    CHECK_INT_EQ(sandlock_last_status(), SANDLOCK_E_UNSUPPORTED);
    sandlock_command_free(command);
    sandlock_policy_free(policy);
}

/* ---- scoping, netlink ---------------------------------------------------------- */

void scope_ipc_keeps_signals_inside_the_sandbox(void)
{
    check_switch_refuses_null(sandlock_policy_scope_ipc);
    /* The child (uid 0 like this test) signals this process, outside its
     * sandbox: signal 0 only checks the permission. */
    char pid[32];
    snprintf(pid, sizeof pid, "%d", (int)getpid());
    const char *args[] = {"kill", pid, "0"};
    sandlock_policy_t *policy = base_policy();
    check_probe_prints(policy, args, 3, errno_line(EPERM));
    CHECK_INT_EQ(sandlock_policy_scope_ipc(policy, false, NULL), SANDLOCK_OK);
    check_probe_prints(policy, args, 3, "ok\n");
    CHECK_INT_EQ(sandlock_policy_scope_ipc(policy, true, NULL), SANDLOCK_OK);
    check_probe_prints(policy, args, 3, errno_line(EPERM));
    sandlock_policy_free(policy);
}

void allow_netlink_lets_the_child_open_netlink_sockets(void)
{
    check_switch_refuses_null(sandlock_policy_allow_netlink);
    const char *args[] = {"netlink"};
    sandlock_policy_t *policy = base_policy();
    check_probe_prints(policy, args, 1, errno_line(EPERM));
    CHECK_INT_EQ(sandlock_policy_allow_netlink(policy, true, NULL), SANDLOCK_OK);
    check_probe_prints(policy, args, 1, "ok\n");
    CHECK_INT_EQ(sandlock_policy_allow_netlink(policy, false, NULL), SANDLOCK_OK);
    check_probe_prints(policy, args, 1, errno_line(EPERM));
    sandlock_policy_free(policy);
}

/* ---- private network ------------------------------------------------------------ */

void private_network_hides_the_hosts_loopback(void)
{
    check_switch_refuses_null(sandlock_policy_private_network);
    /* A listener on this host's loopback, on a port the kernel picks. */
    int listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    CHECK(listener >= 0);
    struct sockaddr_in addr;
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    CHECK_INT_EQ(bind(listener, (struct sockaddr *)&addr, sizeof addr), 0);
    CHECK_INT_EQ(listen(listener, 8), 0);
    socklen_t len = sizeof addr;
    CHECK_INT_EQ(getsockname(listener, (struct sockaddr *)&addr, &len), 0);
    char port[16];
    snprintf(port, sizeof port, "%u", (unsigned)ntohs(addr.sin_port));

    sandlock_policy_t *policy = base_policy();
    CHECK_INT_EQ(sandlock_policy_net_connect_tcp(policy, ntohs(addr.sin_port)), SANDLOCK_OK);
    const char *args[] = {"connect", port};
    check_probe_prints(policy, args, 2, "ok\n");
    /* The grant now applies to a loopback of the sandbox's own. */
    CHECK_INT_EQ(sandlock_policy_private_network(policy, true, NULL), SANDLOCK_OK);
    check_probe_prints(policy, args, 2, errno_line(ECONNREFUSED));
    sandlock_policy_free(policy);
    CHECK_INT_EQ(close(listener), 0);
}

/* ---- what everyday programs need ------------------------------------------------ */

void std_devices_are_usable_by_default_and_can_be_turned_off(void)
{
    check_switch_refuses_null(sandlock_policy_std_devices);
    sandlock_policy_t *policy = base_policy();
    const char *devices[] = {"/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom"};
    for (size_t i = 0; i < sizeof devices / sizeof devices[0]; i++) {
        const char *args[] = {"open-rw", devices[i]};
        check_probe_prints(policy, args, 2, "ok\n");
    }
    CHECK_INT_EQ(sandlock_policy_std_devices(policy, false, NULL), SANDLOCK_OK);
    const char *null_rw[] = {"open-rw", "/dev/null"};
    check_probe_prints(policy, null_rw, 2, errno_line(EACCES));
    sandlock_policy_free(policy);
}

void private_tmp_is_fresh_writable_and_removed_with_the_run(void)
{
    check_switch_refuses_null(sandlock_policy_private_tmp);
    sandlock_policy_t *policy = base_policy();
    const char *create[] = {"create-in-tmpdir"};
    check_probe_prints(policy, create, 1, "no TMPDIR\n");
    CHECK_INT_EQ(sandlock_policy_private_tmp(policy, true, NULL), SANDLOCK_OK);
    /* Each run creates $TMPDIR/f with O_EXCL: each run's directory is new. */
    check_probe_prints(policy, create, 1, "ok\n");
    check_probe_prints(policy, create, 1, "ok\n");
    const char *getenv_args[] = {"getenv", "TMPDIR"};
    char dir[256];
    probe_output(policy, getenv_args, 2, dir, sizeof dir);
    const char *tmp = getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp";
    char prefix[256];
    snprintf(prefix, sizeof prefix, "%s/sandlock-tmp-", tmp);
    CHECK(strncmp(dir, prefix, strlen(prefix)) == 0);
    dir[strcspn(dir, "\n")] = '\0';
    CHECK(access(dir, F_OK) != 0 && errno == ENOENT);
    sandlock_policy_free(policy);
}

void private_shm_gives_the_child_posix_shared_memory(void)
{
    check_switch_refuses_null(sandlock_policy_private_shm);
    sandlock_policy_t *policy = base_policy();
    const char *args[] = {"shm-open"};
    check_probe_prints(policy, args, 1, errno_line(EACCES));
    CHECK_INT_EQ(sandlock_policy_private_shm(policy, true, NULL), SANDLOCK_OK);
    check_probe_prints(policy, args, 1, "ok\n");
    sandlock_policy_free(policy);
}

void an_exec_the_sandbox_refuses_says_which_file_and_why(void)
{
    /* A script whose interpreter is under no read rule. */
    char dir[PATH_MAX];
    make_temp_dir(dir, sizeof dir);
    char script[PATH_MAX];
    join_path(script, sizeof script, dir, "job");
    write_file(script, "#!/bin/sh\necho hi\n");
    CHECK_INT_EQ(chmod(script, 0755), 0);
    sandlock_policy_t *policy = sandlock_policy_new();
    CHECK_INT_EQ(sandlock_policy_fs_read(policy, dir), SANDLOCK_OK);
    const char *argv[] = {script};
    sandlock_error_t *err = NULL;
    sandlock_command_t *command = sandlock_command_new(policy, argv, 1, &err);
    CHECK(command != NULL);
    CHECK(sandlock_command_run(command, &err) == NULL);
    char expected[PATH_MAX + 128];
    snprintf(expected, sizeof expected,
             "cannot execute \"%s\": its #! interpreter \"/bin/sh\" is not under any fs_read or fs_write path", script);
    CHECK_ERROR(err, SANDLOCK_E_SPAWN, EACCES, expected);
    sandlock_command_free(command);
    sandlock_policy_free(policy);
    remove_temp_dir(dir);
}

/* ---- environment, capabilities ---------------------------------------------- */

void pass_env_copies_named_variables_from_the_caller(void)
{
    CHECK_INT_EQ(setenv("SANDLOCK_CTEST_PASSED", "from the caller", 1), 0);
    CHECK_INT_EQ(setenv("SANDLOCK_CTEST_KEPT", "not for the child", 1), 0);
    CHECK_INT_EQ(unsetenv("SANDLOCK_CTEST_UNSET"), 0);
    sandlock_policy_t *policy = base_policy();
    sandlock_error_t *err = NULL;
    CHECK_INT_EQ(sandlock_policy_pass_env(policy, "SANDLOCK_CTEST_PASSED", &err), SANDLOCK_OK);
    CHECK_INT_EQ(sandlock_policy_pass_env(policy, "SANDLOCK_CTEST_UNSET", &err), SANDLOCK_OK);
    CHECK(err == NULL);
    const char *passed[] = {"getenv", "SANDLOCK_CTEST_PASSED"};
    check_probe_prints(policy, passed, 2, "from the caller\n");
    const char *kept[] = {"getenv", "SANDLOCK_CTEST_KEPT"};
    check_probe_prints(policy, kept, 2, "unset\n");
    const char *unset[] = {"getenv", "SANDLOCK_CTEST_UNSET"};
    check_probe_prints(policy, unset, 2, "unset\n");

    CHECK_INT_EQ(sandlock_policy_pass_env(policy, NULL, &err), SANDLOCK_E_INVALID);
    CHECK_ERROR(err, SANDLOCK_E_INVALID, 0, "name must not be NULL");
    CHECK_INT_EQ(sandlock_policy_pass_env(policy, "", &err), SANDLOCK_E_INVALID);
    CHECK_ERROR(err, SANDLOCK_E_INVALID, 0, "environment name \"\" must be non-empty and contain no '='");
    CHECK_INT_EQ(sandlock_policy_pass_env(policy, "A=B", &err), SANDLOCK_E_INVALID);
    CHECK_ERROR(err, SANDLOCK_E_INVALID, 0, "environment name \"A=B\" must be non-empty and contain no '='");
    CHECK_INT_EQ(sandlock_policy_pass_env(NULL, "HOME", &err), SANDLOCK_E_INVALID);
    CHECK_ERROR(err, SANDLOCK_E_INVALID, 0, "policy must not be NULL");
    sandlock_policy_free(policy);
}

void keep_capability_keeps_one_capability(void)
{
    const char *args[] = {"capeff"};
    sandlock_policy_t *policy = base_policy();
    /* A uid-0 child loses every capability by default. */
    check_probe_prints(policy, args, 1, "0\n");
    sandlock_error_t *err = NULL;
    CHECK_INT_EQ(sandlock_policy_keep_capability(policy, 10, &err), SANDLOCK_OK); /* CAP_NET_BIND_SERVICE */
    CHECK(err == NULL);
    check_probe_prints(policy, args, 1, "400\n");

    CHECK_INT_EQ(sandlock_policy_keep_capability(policy, 41, &err), SANDLOCK_E_INVALID);
    CHECK_ERROR(err, SANDLOCK_E_INVALID, 0, "invalid value for keep_capability: 41 is not a capability number (0..=40)");
    CHECK_INT_EQ(sandlock_policy_keep_capability(policy, UINT32_MAX, &err), SANDLOCK_E_INVALID);
    CHECK_ERROR(err, SANDLOCK_E_INVALID, 0,
                "invalid value for keep_capability: 4294967295 is not a capability number (0..=40)");
    CHECK_INT_EQ(sandlock_policy_keep_capability(NULL, 10, &err), SANDLOCK_E_INVALID);
    CHECK_ERROR(err, SANDLOCK_E_INVALID, 0, "policy must not be NULL");
    sandlock_policy_free(policy);
}

/* ---- stdin -------------------------------------------------------------------- */

void stdin_modes_are_what_the_child_reads(void)
{
    const char *args[] = {"cat-stdin"};
    sandlock_policy_t *policy = base_policy();
    /* Null, the default. */
    check_probe_prints(policy, args, 1, "");
    sandlock_error_t *err = NULL;
    const char fed[] = "fed by the run\n";
    CHECK_INT_EQ(sandlock_policy_stdin(policy, SANDLOCK_STDIN_BYTES, (const uint8_t *)fed, strlen(fed), &err),
                 SANDLOCK_OK);
    CHECK(err == NULL);
    check_probe_prints(policy, args, 1, fed);
    /* Empty bytes: NULL data is fine with len 0. */
    CHECK_INT_EQ(sandlock_policy_stdin(policy, SANDLOCK_STDIN_BYTES, NULL, 0, &err), SANDLOCK_OK);
    check_probe_prints(policy, args, 1, "");
    CHECK_INT_EQ(sandlock_policy_stdin(policy, SANDLOCK_STDIN_NULL, NULL, 0, &err), SANDLOCK_OK);
    check_probe_prints(policy, args, 1, "");

    /* Inherit: this process's stdin, made a pipe for the test. */
    int fds[2];
    make_pipe(fds);
    CHECK_INT_EQ(write(fds[1], "inherited\n", 10), 10);
    CHECK_INT_EQ(close(fds[1]), 0);
    CHECK_INT_EQ(dup2(fds[0], 0), 0);
    CHECK_INT_EQ(close(fds[0]), 0);
    CHECK_INT_EQ(sandlock_policy_stdin(policy, SANDLOCK_STDIN_INHERIT, NULL, 0, &err), SANDLOCK_OK);
    check_probe_prints(policy, args, 1, "inherited\n");
    sandlock_policy_free(policy);
}

void stdin_refuses_bad_modes_and_data(void)
{
    sandlock_policy_t *policy = sandlock_policy_new();
    sandlock_error_t *err = NULL;
    const uint32_t modes[] = {3, 0x80000000u, UINT32_MAX};
    for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++) {
        char message[96];
        snprintf(message, sizeof message, "stdin mode %u is not one of 0 (NULL), 1 (INHERIT), 2 (BYTES)", modes[i]);
        CHECK_INT_EQ(sandlock_policy_stdin(policy, modes[i], NULL, 0, &err), SANDLOCK_E_INVALID);
        CHECK_ERROR(err, SANDLOCK_E_INVALID, 0, message);
    }
    CHECK_INT_EQ(sandlock_policy_stdin(policy, SANDLOCK_STDIN_BYTES, NULL, 5, &err), SANDLOCK_E_INVALID);
    CHECK_ERROR(err, SANDLOCK_E_INVALID, 0, "data must not be NULL when len is 5");
    CHECK_INT_EQ(sandlock_policy_stdin(NULL, SANDLOCK_STDIN_NULL, NULL, 0, &err), SANDLOCK_E_INVALID);
    CHECK_ERROR(err, SANDLOCK_E_INVALID, 0, "policy must not be NULL");
    /* Data is read only for BYTES. */
    CHECK_INT_EQ(sandlock_policy_stdin(policy, SANDLOCK_STDIN_NULL, NULL, 5, &err), SANDLOCK_OK);
    sandlock_policy_free(policy);
}

/* ---- handler grace ---------------------------------------------------------------- */

static int32_t stuck_callback(void *ud, const sandlock_notif_data_t *notif, sandlock_mem_handle_t *mem,
                              sandlock_action_out_t *out)
{
    (void)ud;
    (void)notif;
    (void)mem;
    struct timespec duration = {0, 800 * 1000000L};
    while (nanosleep(&duration, &duration) != 0 && errno == EINTR) {
    }
    return sandlock_action_set_continue(out);
}

static double now_seconds(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)now.tv_sec + (double)now.tv_nsec / 1e9;
}

/* Run the probe's getppid with a callback stuck for 800 ms past a 100 ms
 * timeout; the seconds the run took and the drops when it returned. */
static double run_with_a_stuck_callback(sandlock_policy_t *policy, struct counter *drops, int *drops_at_return)
{
    CHECK_INT_EQ(sandlock_policy_timeout_ms(policy, 100), SANDLOCK_OK);
    const char *args[] = {"getppid"};
    sandlock_command_t *command = probe_command(policy, args, 1);
    CHECK_INT_EQ(sandlock_command_add_handler(
                     command, syscall_nr("getppid"),
                     sandlock_handler_new(stuck_callback, drops, counter_drop, SANDLOCK_EXCEPTION_KILL), NULL),
                 SANDLOCK_OK);
    double start = now_seconds();
    sandlock_result_t *result = run_and_free(command);
    double took = now_seconds() - start;
    *drops_at_return = counter_get(drops);
    CHECK_EXIT(sandlock_result_exit(result), SANDLOCK_EXIT_TIMED_OUT, -1, SIGKILL, -1);
    sandlock_result_free(result);
    return took;
}

void handler_grace_bounds_the_wait_for_stuck_callbacks(void)
{
    sandlock_error_t *err = NULL;
    CHECK_INT_EQ(sandlock_policy_handler_grace_ms(NULL, 0, &err), SANDLOCK_E_INVALID);
    CHECK_ERROR(err, SANDLOCK_E_INVALID, 0, "policy must not be NULL");

    /* Grace 0: the run returns at its timeout; the callback finishes on
     * its own thread and its handler is freed when it returns. */
    struct counter drops = COUNTER_INIT;
    sandlock_policy_t *policy = base_policy();
    CHECK_INT_EQ(sandlock_policy_handler_grace_ms(policy, 0, &err), SANDLOCK_OK);
    CHECK(err == NULL);
    int at_return = -1;
    double took = run_with_a_stuck_callback(policy, &drops, &at_return);
    CHECK(took < 0.6);
    CHECK_INT_EQ(at_return, 0);
    for (int i = 0; i < 300 && counter_get(&drops) == 0; i++) {
        struct timespec tick = {0, 10 * 1000000L};
        nanosleep(&tick, NULL);
    }
    CHECK_INT_EQ(counter_get(&drops), 1);
    sandlock_policy_free(policy);

    /* A grace longer than the callback: the run waits for it. */
    struct counter waited_drops = COUNTER_INIT;
    policy = base_policy();
    CHECK_INT_EQ(sandlock_policy_handler_grace_ms(policy, 5000, NULL), SANDLOCK_OK);
    took = run_with_a_stuck_callback(policy, &waited_drops, &at_return);
    CHECK(took >= 0.75);
    CHECK_INT_EQ(at_return, 1);
    sandlock_policy_free(policy);
}
