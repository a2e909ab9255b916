"""sandlock: run untrusted programs under Landlock and seccomp, and decide
their syscalls in Python.

A ctypes binding of libsandlock.so.1 that uses only the contract of
sandlock.h::

    import sandlock
    from sandlock import Action, Handler, Policy

    class DenySecrets(Handler):
        def handle(self, ctx):
            path = ctx.read_cstr(ctx.args[1])
            return Action.errno(13) if path.startswith(b"/secret") else Action.continue_()

    result = sandlock.run(Policy(fs_read=["/usr", "/lib", "/bin"]), ["/bin/ls", "/"],
                          handlers=[("openat", DenySecrets())])
    print(result.exit.reason, result.stdout)
"""

from __future__ import annotations

from ._capi import LOADED as _LOADED
from ._capi import lib as _cdll
from ._stdio import PIPE
from .actions import Action, Continue, Errno, Hold, InjectBytes, InjectFile, Kill, ReturnValue
from .errors import (
    DeniedError,
    HandlerError,
    InvalidError,
    IoError,
    LibraryError,
    MemoryAccessError,
    NotFoundError,
    PanicError,
    SandlockError,
    SpawnError,
    Status,
    UnsupportedError,
)
from .handler import ExceptionPolicy, Handler, HandlerCtx, Static
from .outcome import Exit, ExitReason, Result
from .policy import Policy, Stdin
from .process import Process, spawn
from .run import run
from .syscalls import syscall_nr


def library_path() -> str:
    """The libsandlock file (or soname, for the system loader) in use."""
    return _LOADED.path


def library_version() -> tuple[int, int, int]:
    """``sandlock_version()`` of the loaded library as (major, minor, patch)."""
    return _LOADED.version


def landlock_abi() -> int | None:
    """The running kernel's Landlock ABI version, or None without Landlock."""
    abi = _cdll.sandlock_landlock_abi()
    return abi if abi > 0 else None


__all__ = [
    "Action",
    "Continue",
    "DeniedError",
    "Errno",
    "ExceptionPolicy",
    "Exit",
    "ExitReason",
    "Handler",
    "HandlerCtx",
    "HandlerError",
    "Hold",
    "InjectBytes",
    "InjectFile",
    "InvalidError",
    "IoError",
    "Kill",
    "LibraryError",
    "MemoryAccessError",
    "NotFoundError",
    "PIPE",
    "PanicError",
    "Policy",
    "Process",
    "Result",
    "ReturnValue",
    "SandlockError",
    "SpawnError",
    "Static",
    "Status",
    "Stdin",
    "UnsupportedError",
    "landlock_abi",
    "library_path",
    "library_version",
    "run",
    "spawn",
    "syscall_nr",
]
