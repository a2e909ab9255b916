"""Building a ``sandlock_command_t``: policy, argv, name, stdio and handlers,
with nothing left behind when any step fails.

Ownership follows sandlock.h: ``sandlock_command_add_handler`` consumes
its handler on every path, and ``sandlock_command_free`` frees the
handlers a command still owns (their ``ud_drop`` runs). So a failure half
way through registration is rolled back by freeing the command. Every
check that can fail (types, syscall names) runs before the first handler
is created, and nothing runs between creating a handler and handing it to
the command, so no handler is ever left owned by no one. Registry ids are
collected in the caller's list, which the caller sweeps when the run or
spawn ends, whatever happened.
"""

from __future__ import annotations

import contextlib
import ctypes
from collections.abc import Iterator, Sequence

from . import _calls
from ._capi import lib
from ._convert import StrOrPath, cstring, items, unsigned
from ._registry import REGISTRY, Entry
from ._trampoline import TRAMPOLINE, UD_DROP
from .errors import InvalidError
from .handler import Handler, Static
from .policy import Policy, c_policy
from .syscalls import syscall_nr

#: One registration: a syscall name and what answers it.
Registration = tuple[str, Handler | Static]

_STDIO_SETTERS = ("sandlock_command_set_stdin", "sandlock_command_set_stdout", "sandlock_command_set_stderr")


def _resolve(handlers: Sequence[Registration]) -> list[tuple[int, str, Handler | Static]]:
    """Check every registration and look its syscall up, before anything is
    allocated (a bad entry then leaves nothing to roll back)."""
    resolved = []
    for i, registration in enumerate(items(handlers, "handlers")):
        if not isinstance(registration, tuple) or len(registration) != 2:
            raise InvalidError(f"handlers[{i}] must be a (syscall name, handler) pair, not {registration!r}")
        name, handler = registration
        if not isinstance(handler, (Handler, Static)):
            raise InvalidError(f"handlers[{i}] must be a sandlock.Handler or sandlock.Static, not {handler!r}")
        if isinstance(handler, Handler):
            unsigned(handler.on_exception, 32, f"handlers[{i}] on_exception")
        if not isinstance(name, str):
            raise InvalidError(f"handlers[{i}] names its syscall with a str, not {name!r}")
        resolved.append((syscall_nr(name), name, handler))
    return resolved


def _c_handler(name: str, handler: Handler | Static, keys: list[int]) -> int:
    """A new ``sandlock_handler_t`` for ``handler``; a Python handler's
    registry id is appended to ``keys`` before the library can call it."""
    if isinstance(handler, Static):
        return handler.c_handler()
    policy = int(handler.on_exception)
    key = REGISTRY.add(Entry(handler, name))
    keys.append(key)
    # On failure the library does not call ud_drop; the caller's sweep
    # removes the id.
    return _calls.handle(lib.sandlock_handler_new, TRAMPOLINE, key, UD_DROP, policy)


def _argv(argv: Sequence[StrOrPath]) -> ctypes.Array[ctypes.c_char_p]:
    """``argv`` as a C array of C strings."""
    encoded = [cstring(arg, f"argv[{i}]") for i, arg in enumerate(items(argv, "argv"))]
    return (ctypes.c_char_p * len(encoded))(*encoded)


@contextlib.contextmanager
def command(
    policy: Policy,
    argv: Sequence[StrOrPath],
    handlers: Sequence[Registration],
    keys: list[int],
    name: str | None,
    stdio: Sequence[int | None],
) -> Iterator[int]:
    """A configured command (freed on leaving). ``stdio`` holds an fd or
    None (the library's default) for stdin, stdout and stderr."""
    resolved = _resolve(handlers)
    c_argv = _argv(argv)
    with c_policy(policy) as p:
        cmd = _calls.handle_err(lib.sandlock_command_new, p, c_argv, len(c_argv))
    try:
        if name is not None:
            _calls.status_err(lib.sandlock_command_set_name, cmd, cstring(name, "name"))
        for setter, fd in zip(_STDIO_SETTERS, stdio, strict=True):
            if fd is not None:
                _calls.status_err(getattr(lib, setter), cmd, fd)
        for nr, syscall, handler in resolved:
            c_handler = _c_handler(syscall, handler, keys)
            _calls.status_err(lib.sandlock_command_add_handler, cmd, nr, c_handler)
        yield cmd
    finally:
        lib.sandlock_command_free(cmd)
