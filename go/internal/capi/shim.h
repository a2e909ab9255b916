/* The C half of package capi: wrappers that keep a 1.0 call and its error
 * together, the trampolines every Go handler and PolicyFunc is called
 * through, and the loop that times the cgo crossing alone. Only
 * declarations here: a Go file with //export may not define C in its
 * preamble. */
#ifndef SANDLOCK_GO_SHIM_H
#define SANDLOCK_GO_SHIM_H

#include <sandlock.h>
#include <stdint.h>

/* What a Go handler chose, written by Go into the trampoline's stack; the
 * trampoline then calls the matching sandlock_action_set_* setter, so the
 * common answers cost no second crossing. */
typedef struct capi_answer {
    uint32_t kind;   /* a sandlock_action_kind_t, or CAPI_ANSWER_SET */
    uint32_t flags;  /* newfd_flags of an fd injection */
    int64_t value;   /* errno, return value, signal or fd */
} capi_answer;

/* Go already filled the action itself (sandlock_action_set_inject_bytes,
 * whose bytes are Go memory C must not be handed back). */
#define CAPI_ANSWER_SET 0x100

sandlock_handler_t *capi_handler_new(uintptr_t handle, uint32_t exception_policy, sandlock_error_t **err);

/* A Go PolicyFunc gave no decision (it panicked, or returned the zero
 * Decision): the trampoline answers with the library's documented failure
 * path, so that the command's on-failure decision applies. Not a
 * sandlock_decision_t value. */
#define CAPI_DECISION_FAILED 0x100

/* Set the command's policy_fn to the Go callback behind handle; on
 * failure the library did not take the handle (ud_drop never runs). */
int capi_command_set_policy_fn(sandlock_command_t *command, uint32_t categories, uintptr_t handle,
                               sandlock_error_t **err);
sandlock_handler_t *capi_handler_new_static(uint32_t kind, int64_t value, sandlock_error_t **err);

int64_t capi_syscall_nr(const char *name, sandlock_error_t **err);

int capi_policy_fs_read(sandlock_policy_t *p, const char *path, sandlock_error_t **err);
int capi_policy_fs_write(sandlock_policy_t *p, const char *path, sandlock_error_t **err);
int capi_policy_cwd(sandlock_policy_t *p, const char *path, sandlock_error_t **err);
int capi_policy_deny_syscall(sandlock_policy_t *p, const char *name, sandlock_error_t **err);
int capi_policy_env(sandlock_policy_t *p, const char *key, const char *value, sandlock_error_t **err);
int capi_policy_net_bind_tcp(sandlock_policy_t *p, uint16_t port, sandlock_error_t **err);
int capi_policy_net_connect_tcp(sandlock_policy_t *p, uint16_t port, sandlock_error_t **err);
int capi_policy_timeout_ms(sandlock_policy_t *p, uint64_t ms, sandlock_error_t **err);
int capi_policy_max_memory(sandlock_policy_t *p, uint64_t bytes, sandlock_error_t **err);
int capi_policy_max_processes(sandlock_policy_t *p, uint32_t n, sandlock_error_t **err);
int capi_policy_uid(sandlock_policy_t *p, uint32_t uid, sandlock_error_t **err);
int capi_policy_gid(sandlock_policy_t *p, uint32_t gid, sandlock_error_t **err);
int capi_policy_allow_unix_sockets(sandlock_policy_t *p, bool allow, sandlock_error_t **err);

int32_t capi_mem_read(const sandlock_mem_handle_t *m, uint64_t addr, uint8_t *buf, size_t len, sandlock_error_t **err);
int32_t capi_mem_read_cstr(const sandlock_mem_handle_t *m, uint64_t addr, uint8_t *buf, size_t max, size_t *out_len,
                           sandlock_error_t **err);
int32_t capi_mem_write(const sandlock_mem_handle_t *m, uint64_t addr, const uint8_t *buf, size_t len,
                       sandlock_error_t **err);

/* Nanoseconds a new C thread takes for n calls of an empty Go function. */
int64_t capi_crossing_ns(int64_t n);

/* A bare fork + execve + waitpid of path (no arguments, no environment):
 * the spawn floor; returns the wait status, or -1. */
int capi_fork_exec_wait(const char *path);

#endif
