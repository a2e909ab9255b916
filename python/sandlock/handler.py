"""Handlers written in Python, and static answers that need no Python.

A ``Handler`` decides one trapped syscall at a time: the library calls it
on a supervisor thread while the child waits in the syscall, and sends the
``Action`` it returns. It runs with the GIL held, so it should be quick; it
may run on several threads at once, so shared state needs a lock.

``Static`` is for syscalls hot enough that taking the GIL per call would
cost too much: the library answers them itself, the same way each time,
without entering Python at all.
"""

from __future__ import annotations

import ctypes
import enum
import threading
from collections.abc import Callable
from typing import ClassVar, TypeVar

from . import _calls
from ._capi import ActionOut, NotifData, lib
from ._convert import unsigned
from .actions import Action
from .errors import InvalidError

T = TypeVar("T")


class ExceptionPolicy(enum.IntEnum):
    """``sandlock_exception_policy_t``: the answer when ``handle()`` fails
    (raises, returns something that is not an Action, or returns an action
    the library cannot carry out)."""

    #: Kill the sandbox (fail closed; the default).
    KILL = 0
    #: Fail the syscall with EPERM.
    DENY_EPERM = 1
    #: Let the syscall run (fail open: for handlers that only observe).
    CONTINUE = 2
    #: Fail the syscall with EIO (surfaces as an OSError in most programs).
    DENY_EIO = 3


class _Memory:
    """The mem handle of one callback, usable only while the callback runs.

    The library's handle lives on the supervisor's stack and dies when the
    callback returns; a HandlerCtx kept past that must never hand it to the
    library again. The lock makes the check and the access one step, so an
    access from another thread cannot overlap the callback's return.
    """

    __slots__ = ("handle", "lock")

    def __init__(self, handle: int) -> None:
        self.handle: int | None = handle
        self.lock = threading.Lock()

    def close(self) -> None:
        with self.lock:
            self.handle = None

    def use(self, access: Callable[[int], T]) -> T:
        with self.lock:
            if self.handle is None:
                raise InvalidError("HandlerCtx memory is only accessible while its handle() runs")
            return access(self.handle)


class HandlerCtx:
    """One trapped syscall: the kernel's notification, and the child's memory
    while ``handle()`` runs.

    Child memory is read between two validity checks of the notification: a
    child that already left the syscall gives MemoryAccessError, never stale
    data. Memory a handler reads can still change before the kernel reads
    it, so never base a grant on it (Continue observes, it does not grant).
    """

    __slots__ = ("id", "pid", "flags", "syscall_nr", "arch", "instruction_pointer", "args", "_memory")

    def __init__(self, notif: NotifData, memory: _Memory) -> None:
        #: Notification id (unique while the child waits).
        self.id: int = notif.id
        #: Thread id of the trapped task (in the caller's pid namespace).
        self.pid: int = notif.pid
        self.flags: int = notif.flags
        #: The syscall's number (compare with ``sandlock.syscall_nr(name)``).
        self.syscall_nr: int = notif.syscall_nr
        #: ``AUDIT_ARCH_*`` of the syscall.
        self.arch: int = notif.arch
        self.instruction_pointer: int = notif.instruction_pointer
        #: The six syscall arguments, as unsigned 64-bit values.
        self.args: tuple[int, ...] = tuple(notif.args)
        self._memory = memory

    def read_cstr(self, addr: int, max_len: int = 4096) -> bytes:
        """The NUL-terminated string at ``addr`` (at most ``max_len`` bytes
        before the NUL), without the NUL; raw bytes, as paths are."""

        unsigned(addr, 64, "addr")
        unsigned(max_len, 32, "max_len")

        def access(handle: int) -> bytes:
            buf = ctypes.create_string_buffer(max_len + 1)
            length = ctypes.c_size_t()
            _calls.status(lib.sandlock_mem_read_cstr, handle, addr, buf, max_len + 1, ctypes.byref(length))
            return buf.raw[: length.value]

        return self._memory.use(access)

    def read(self, addr: int, length: int) -> bytes:
        """Exactly ``length`` bytes at ``addr`` in the child."""

        unsigned(addr, 64, "addr")
        unsigned(length, 32, "length")

        def access(handle: int) -> bytes:
            buf = ctypes.create_string_buffer(length)
            _calls.status(lib.sandlock_mem_read, handle, addr, buf, length, None)
            return buf.raw

        return self._memory.use(access)

    def write(self, addr: int, data: bytes) -> None:
        """Write ``data`` into the child at ``addr``."""
        unsigned(addr, 64, "addr")
        payload = bytes(data)

        def access(handle: int) -> None:
            _calls.status(lib.sandlock_mem_write, handle, addr, payload, len(payload))

        self._memory.use(access)

    def __repr__(self) -> str:
        return f"HandlerCtx(id={self.id}, pid={self.pid}, syscall_nr={self.syscall_nr}, args={self.args})"


class Handler:
    """Subclass and override ``handle``; register instances with
    ``run(..., handlers=[("openat", MyHandler())])``.

    ``on_exception`` (a class attribute) is what the
    syscall gets when ``handle()`` raises or returns something that is not
    an Action. The traceback goes to the ``sandlock`` logger.
    """

    on_exception: ClassVar[ExceptionPolicy] = ExceptionPolicy.KILL

    def handle(self, ctx: HandlerCtx) -> Action:
        """Decide the syscall ``ctx`` describes."""
        raise NotImplementedError(f"{type(self).__name__} does not override handle()")


class Static:
    """The same answer to every call, given by the library without entering
    Python (no GIL, no thread state): ``Static(Action.return_value(0))``.
    Only Continue, Errno and ReturnValue can answer every call."""

    __slots__ = ("action",)

    def __init__(self, action: Action) -> None:
        if not isinstance(action, Action) or not action.static:
            raise InvalidError(f"Static answers with continue_(), errno() or return_value(), not {action!r}")
        self.action = action

    def c_handler(self) -> int:
        """A new ``sandlock_handler_t`` giving this answer (owned by the caller)."""
        out = ActionOut()
        self.action.apply(ctypes.byref(out))
        return _calls.handle_err(lib.sandlock_handler_new_static, ctypes.byref(out))

    def __repr__(self) -> str:
        return f"Static({self.action!r})"
