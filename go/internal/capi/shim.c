#include <pthread.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "shim.h"
#include "_cgo_export.h"

/* A goroutine may move to another OS thread between two cgo calls, and
 * sandlock_last_error() is per thread: a 1.0 call and the collection of
 * its error must happen in one C call, on one thread. Each wrapper below
 * is that one call. */
static int taken(int rc, sandlock_error_t **err) {
    *err = rc < 0 ? sandlock_error_take_last() : NULL;
    return rc;
}

static void *taken_ptr(void *p, sandlock_error_t **err) {
    *err = p == NULL ? sandlock_error_take_last() : NULL;
    return p;
}

int capi_policy_fs_read(sandlock_policy_t *p, const char *path, sandlock_error_t **err) {
    return taken(sandlock_policy_fs_read(p, path), err);
}
int capi_policy_fs_write(sandlock_policy_t *p, const char *path, sandlock_error_t **err) {
    return taken(sandlock_policy_fs_write(p, path), err);
}
int capi_policy_cwd(sandlock_policy_t *p, const char *path, sandlock_error_t **err) {
    return taken(sandlock_policy_cwd(p, path), err);
}
int capi_policy_deny_syscall(sandlock_policy_t *p, const char *name, sandlock_error_t **err) {
    return taken(sandlock_policy_deny_syscall(p, name), err);
}
int capi_policy_env(sandlock_policy_t *p, const char *key, const char *value, sandlock_error_t **err) {
    return taken(sandlock_policy_env(p, key, value), err);
}
int capi_policy_net_bind_tcp(sandlock_policy_t *p, uint16_t port, sandlock_error_t **err) {
    return taken(sandlock_policy_net_bind_tcp(p, port), err);
}
int capi_policy_net_connect_tcp(sandlock_policy_t *p, uint16_t port, sandlock_error_t **err) {
    return taken(sandlock_policy_net_connect_tcp(p, port), err);
}
int capi_policy_timeout_ms(sandlock_policy_t *p, uint64_t ms, sandlock_error_t **err) {
    return taken(sandlock_policy_timeout_ms(p, ms), err);
}
int capi_policy_max_memory(sandlock_policy_t *p, uint64_t bytes, sandlock_error_t **err) {
    return taken(sandlock_policy_max_memory(p, bytes), err);
}
int capi_policy_max_processes(sandlock_policy_t *p, uint32_t n, sandlock_error_t **err) {
    return taken(sandlock_policy_max_processes(p, n), err);
}
int capi_policy_uid(sandlock_policy_t *p, uint32_t uid, sandlock_error_t **err) {
    return taken(sandlock_policy_uid(p, uid), err);
}
int capi_policy_gid(sandlock_policy_t *p, uint32_t gid, sandlock_error_t **err) {
    return taken(sandlock_policy_gid(p, gid), err);
}
int capi_policy_allow_unix_sockets(sandlock_policy_t *p, bool allow, sandlock_error_t **err) {
    return taken(sandlock_policy_allow_unix_sockets(p, allow), err);
}

int64_t capi_syscall_nr(const char *name, sandlock_error_t **err) {
    int64_t nr = sandlock_syscall_nr(name);
    *err = nr < 0 ? sandlock_error_take_last() : NULL;
    return nr;
}

int32_t capi_mem_read(const sandlock_mem_handle_t *m, uint64_t addr, uint8_t *buf, size_t len, sandlock_error_t **err) {
    return taken(sandlock_mem_read(m, addr, buf, len, NULL), err);
}
int32_t capi_mem_read_cstr(const sandlock_mem_handle_t *m, uint64_t addr, uint8_t *buf, size_t max, size_t *out_len,
                           sandlock_error_t **err) {
    return taken(sandlock_mem_read_cstr(m, addr, buf, max, out_len), err);
}
int32_t capi_mem_write(const sandlock_mem_handle_t *m, uint64_t addr, const uint8_t *buf, size_t len,
                       sandlock_error_t **err) {
    return taken(sandlock_mem_write(m, addr, buf, len), err);
}

/* Every Go handler's callback: Go decides, C sets the action. */
static int32_t trampoline(void *ud, const sandlock_notif_data_t *notif, sandlock_mem_handle_t *mem,
                          sandlock_action_out_t *out) {
    capi_answer a = {0, 0, 0};
    int32_t rc = capiGoHandle((uintptr_t)ud, (sandlock_notif_data_t *)notif, mem, out, &a);
    if (rc != 0)
        return rc;
    switch (a.kind) {
    case SANDLOCK_ACTION_CONTINUE:
        return sandlock_action_set_continue(out);
    case SANDLOCK_ACTION_ERRNO:
        return sandlock_action_set_errno(out, (int32_t)a.value);
    case SANDLOCK_ACTION_RETURN_VALUE:
        return sandlock_action_set_return_value(out, a.value);
    case SANDLOCK_ACTION_HOLD:
        return sandlock_action_set_hold(out);
    case SANDLOCK_ACTION_KILL:
        return sandlock_action_set_kill(out, (int32_t)a.value, 0);
    case SANDLOCK_ACTION_INJECT_FD_SEND:
        return sandlock_action_set_inject_fd_send(out, (int)a.value, a.flags);
    case CAPI_ANSWER_SET:
        return 0;
    default:
        return -1;
    }
}

static void drop(void *ud) {
    capiGoDrop((uintptr_t)ud);
}

sandlock_handler_t *capi_handler_new(uintptr_t handle, uint32_t exception_policy, sandlock_error_t **err) {
    return taken_ptr(sandlock_handler_new(trampoline, (void *)handle, drop, exception_policy), err);
}

/* Every Go PolicyFunc's callback. Go returns its decision and errno; a
 * DENY with an errno outside 1..=4095 is the library's documented way to
 * fail a callback (a value that is no decision fails it too, but through
 * a panic inside the library). */
static uint32_t policy_trampoline(void *ud, const sandlock_event_t *event, sandlock_control_t *control,
                                  int32_t *deny_errno) {
    struct capiGoPolicy_return r = capiGoPolicy((uintptr_t)ud, (sandlock_event_t *)event, control);
    if (r.r0 == CAPI_DECISION_FAILED) {
        *deny_errno = 0;
        return SANDLOCK_DECISION_DENY;
    }
    if (r.r0 == SANDLOCK_DECISION_DENY)
        *deny_errno = r.r1;
    return r.r0;
}

int capi_command_set_policy_fn(sandlock_command_t *command, uint32_t categories, uintptr_t handle,
                               sandlock_error_t **err) {
    return sandlock_command_set_policy_fn(command, categories, policy_trampoline, (void *)handle, drop, err);
}

/* A static handler's action, built with the setters like any other; the
 * library refuses any other kind. */
sandlock_handler_t *capi_handler_new_static(uint32_t kind, int64_t value, sandlock_error_t **err) {
    sandlock_action_out_t action = {0};
    int rc = 0;
    switch (kind) {
    case SANDLOCK_ACTION_CONTINUE:
        rc = sandlock_action_set_continue(&action);
        break;
    case SANDLOCK_ACTION_ERRNO:
        rc = sandlock_action_set_errno(&action, (int32_t)value);
        break;
    case SANDLOCK_ACTION_RETURN_VALUE:
        rc = sandlock_action_set_return_value(&action, value);
        break;
    default:
        action.kind = kind;
    }
    if (rc != 0) {
        *err = sandlock_error_take_last();
        return NULL;
    }
    return sandlock_handler_new_static(&action, err);
}

struct crossing {
    int64_t n;
    int64_t ns;
};

static void *crossing_loop(void *arg) {
    struct crossing *c = arg;
    struct timespec a, b;
    capiGoNoop(0); /* binds this thread to a Go M, as a supervisor's first callback does */
    clock_gettime(CLOCK_MONOTONIC, &a);
    for (int64_t i = 0; i < c->n; i++)
        capiGoNoop((uintptr_t)i);
    clock_gettime(CLOCK_MONOTONIC, &b);
    c->ns = (int64_t)(b.tv_sec - a.tv_sec) * 1000000000 + (b.tv_nsec - a.tv_nsec);
    return NULL;
}

int64_t capi_crossing_ns(int64_t n) {
    struct crossing c = {n, -1};
    pthread_t t;
    if (pthread_create(&t, NULL, crossing_loop, &c) != 0)
        return -1;
    pthread_join(t, NULL);
    return c.ns;
}

int capi_fork_exec_wait(const char *path) {
    char *const argv[] = {(char *)path, NULL};
    char *const envp[] = {NULL};
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        /* Only async-signal-safe calls between fork and exec. */
        execve(path, argv, envp);
        _exit(127);
    }
    int status = -1;
    if (waitpid(pid, &status, 0) != pid)
        return -1;
    return status;
}
