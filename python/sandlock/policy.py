"""The sandbox policy: a dataclass with every option sandlock.h offers.

A Policy is plain, immutable data: it can be shared between threads and
runs, compared, and changed with ``dataclasses.replace``. Each run turns it
into a fresh ``sandlock_policy_t`` through the library's setters, so every
value is validated by the library itself and a mistake is reported with
the library's message naming it.
"""

from __future__ import annotations

import contextlib
import enum
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field

from . import _calls
from ._capi import lib
from ._convert import StrOrPath, cstring, items, milliseconds, unsigned


class Stdin(enum.IntEnum):
    """``sandlock_stdin_t``: what the child reads when no fd is given."""

    #: ``/dev/null`` (the default).
    NULL = 0
    #: The caller's standard input.
    INHERIT = 1
    #: The bytes given as ``Policy.stdin`` (set automatically for bytes).
    BYTES = 2


@dataclass(frozen=True)
class Policy:
    """What the sandboxed program may do. Defaults are the library's:
    nothing readable or writable, no ports, the default deny list, an empty
    environment. Durations are in seconds; sizes in bytes."""

    #: Paths the child may read and execute (directories recursively).
    fs_read: Sequence[StrOrPath] = ()
    #: Paths under which the child may read, write, create and remove.
    fs_write: Sequence[StrOrPath] = ()
    #: TCP ports the child may bind; every other is refused.
    net_bind_tcp: Sequence[int] = ()
    #: TCP ports the child may connect to; every other is refused.
    net_connect_tcp: Sequence[int] = ()
    #: Allow ``AF_UNIX`` sockets (pair it with an unprivileged uid).
    allow_unix_sockets: bool = False
    #: Allow ``AF_NETLINK`` sockets (they read the host's network state).
    allow_netlink: bool = False
    #: Syscalls that fail with EPERM on top of the default deny list.
    deny_syscalls: Sequence[str] = ()
    #: Allowlist mode: only these syscalls may run (empty: no allowlist).
    allow_only_syscalls: Sequence[str] = ()
    #: Environment variables set in the child (its environment starts empty).
    env: Mapping[str, str] = field(default_factory=dict)
    #: Variables copied from the caller's environment, when set.
    pass_env: Sequence[str] = ()
    #: The child's working directory.
    cwd: StrOrPath | None = None
    #: Run the child under this uid / gid (switching needs privilege).
    uid: int | None = None
    gid: int | None = None
    #: ``RLIMIT_AS`` of the child.
    max_memory: int | None = None
    #: ``RLIMIT_NOFILE`` of the child.
    max_open_files: int | None = None
    #: Most tasks (processes and threads) alive in the sandbox.
    max_processes: int | None = None
    #: Most bytes kept of each captured output stream (the rest is discarded).
    max_output: int | None = None
    #: Kill the sandbox this many seconds after it starts.
    timeout: float | None = None
    #: How long a finished run waits for handler callbacks still running.
    handler_grace: float | None = None
    #: ``CAP_*`` numbers the child keeps.
    keep_capabilities: Sequence[int] = ()
    #: Enforce what this kernel can instead of failing with UnsupportedError.
    best_effort: bool = False
    #: Keep signals and abstract UNIX sockets inside the sandbox (Landlock).
    scope_ipc: bool = True
    #: A private IPC namespace (needs CAP_SYS_ADMIN).
    private_ipc: bool = False
    #: A private network namespace with only loopback (needs CAP_SYS_ADMIN).
    private_network: bool = False
    #: ``/dev/null``, ``zero``, ``full``, ``random``, ``urandom`` readable and writable.
    std_devices: bool = True
    #: A fresh ``TMPDIR`` per run, removed with it.
    private_tmp: bool = False
    #: A ``/dev/shm`` of the run's own, for POSIX shared memory and semaphores.
    private_shm: bool = False
    #: What the child reads: a Stdin mode, or bytes then end of file
    #: (captured runs only; a spawn refuses it).
    stdin: Stdin | bytes = Stdin.NULL


def _apply(policy: Policy, p: int) -> None:
    """Call the library's setter for every option of ``policy`` on ``p``."""
    for path in items(policy.fs_read, "fs_read"):
        _calls.status(lib.sandlock_policy_fs_read, p, cstring(path, "fs_read path"))
    for path in items(policy.fs_write, "fs_write"):
        _calls.status(lib.sandlock_policy_fs_write, p, cstring(path, "fs_write path"))
    for port in items(policy.net_bind_tcp, "net_bind_tcp"):
        _calls.status(lib.sandlock_policy_net_bind_tcp, p, unsigned(port, 16, "net_bind_tcp port"))
    for port in items(policy.net_connect_tcp, "net_connect_tcp"):
        _calls.status(lib.sandlock_policy_net_connect_tcp, p, unsigned(port, 16, "net_connect_tcp port"))
    _calls.status(lib.sandlock_policy_allow_unix_sockets, p, bool(policy.allow_unix_sockets))
    _calls.status_err(lib.sandlock_policy_allow_netlink, p, bool(policy.allow_netlink))
    for name in items(policy.deny_syscalls, "deny_syscalls"):
        _calls.status(lib.sandlock_policy_deny_syscall, p, cstring(name, "deny_syscalls name"))
    for name in items(policy.allow_only_syscalls, "allow_only_syscalls"):
        _calls.status_err(lib.sandlock_policy_allow_only_syscall, p, cstring(name, "allow_only_syscalls name"))
    for key, value in policy.env.items():
        _calls.status(lib.sandlock_policy_env, p, cstring(key, "env key"), cstring(value, f"env value of {key!r}"))
    for name in items(policy.pass_env, "pass_env"):
        _calls.status_err(lib.sandlock_policy_pass_env, p, cstring(name, "pass_env name"))
    if policy.cwd is not None:
        _calls.status(lib.sandlock_policy_cwd, p, cstring(policy.cwd, "cwd"))
    if policy.uid is not None:
        _calls.status(lib.sandlock_policy_uid, p, unsigned(policy.uid, 32, "uid"))
    if policy.gid is not None:
        _calls.status(lib.sandlock_policy_gid, p, unsigned(policy.gid, 32, "gid"))
    if policy.max_memory is not None:
        _calls.status(lib.sandlock_policy_max_memory, p, unsigned(policy.max_memory, 64, "max_memory"))
    if policy.max_open_files is not None:
        _calls.status_err(lib.sandlock_policy_max_open_files, p, unsigned(policy.max_open_files, 64, "max_open_files"))
    if policy.max_processes is not None:
        _calls.status(lib.sandlock_policy_max_processes, p, unsigned(policy.max_processes, 32, "max_processes"))
    if policy.max_output is not None:
        _calls.status_err(lib.sandlock_policy_max_output, p, unsigned(policy.max_output, 64, "max_output"))
    if policy.timeout is not None:
        _calls.status(lib.sandlock_policy_timeout_ms, p, milliseconds(policy.timeout, "timeout"))
    if policy.handler_grace is not None:
        _calls.status_err(lib.sandlock_policy_handler_grace_ms, p, milliseconds(policy.handler_grace, "handler_grace"))
    for cap in items(policy.keep_capabilities, "keep_capabilities"):
        _calls.status_err(lib.sandlock_policy_keep_capability, p, unsigned(cap, 32, "keep_capabilities entry"))
    _calls.status_err(lib.sandlock_policy_best_effort, p, bool(policy.best_effort))
    _calls.status_err(lib.sandlock_policy_scope_ipc, p, bool(policy.scope_ipc))
    _calls.status_err(lib.sandlock_policy_private_ipc, p, bool(policy.private_ipc))
    _calls.status_err(lib.sandlock_policy_private_network, p, bool(policy.private_network))
    _calls.status_err(lib.sandlock_policy_std_devices, p, bool(policy.std_devices))
    _calls.status_err(lib.sandlock_policy_private_tmp, p, bool(policy.private_tmp))
    _calls.status_err(lib.sandlock_policy_private_shm, p, bool(policy.private_shm))
    if isinstance(policy.stdin, (bytes, bytearray, memoryview)):
        data = bytes(policy.stdin)
        _calls.status_err(lib.sandlock_policy_stdin, p, Stdin.BYTES, data, len(data))
    else:
        _calls.status_err(lib.sandlock_policy_stdin, p, unsigned(int(policy.stdin), 32, "stdin mode"), None, 0)


@contextlib.contextmanager
def c_policy(policy: Policy) -> Iterator[int]:
    """A ``sandlock_policy_t`` holding ``policy``, freed on leaving."""
    if not isinstance(policy, Policy):
        raise TypeError(f"policy must be a sandlock.Policy, not {type(policy).__name__}")
    p = lib.sandlock_policy_new()
    try:
        _apply(policy, p)
        yield p
    finally:
        lib.sandlock_policy_free(p)
