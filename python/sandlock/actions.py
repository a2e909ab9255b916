"""What a handler answers: one small immutable class per action of
sandlock.h, built with the ``Action`` factories.

Each action knows how to write itself into the library's
``sandlock_action_out_t`` through the matching ``sandlock_action_set_*``
setter, so the layout of the payload union stays the library's business.
Values are checked when the action is made, where a mistake is the
caller's, rather than inside a handler, where it could only become the
exception policy.
"""

from __future__ import annotations

import fcntl
import os
import signal as _signal
from dataclasses import dataclass
from typing import ClassVar, Protocol, runtime_checkable

from . import _calls
from ._capi import INJECT_NO_CLOEXEC, INJECT_WRITABLE, lib
from ._convert import INT32_MAX, integer, signed


@runtime_checkable
class HasFileno(Protocol):
    """A file object, socket or anything else that has an fd."""

    def fileno(self) -> int: ...


class Action:
    """A handler's answer to one syscall. Make one with the factories:
    ``Action.continue_()``, ``errno(e)``, ``return_value(v)``, ``hold()``,
    ``kill(signal, pgid)``, ``inject_file(fd)``, ``inject_bytes(data)``."""

    #: Whether ``Static`` may give this answer to every call.
    static: ClassVar[bool] = False

    def apply(self, out: object) -> None:
        """Write this action into the ``sandlock_action_out_t`` at ``out``
        (an address, or a ctypes reference to one)."""
        raise NotImplementedError

    @staticmethod
    def continue_() -> Continue:
        """Let the syscall run (Landlock and the filter still apply: an
        observation, never a grant)."""
        return Continue()

    @staticmethod
    def errno(value: int) -> Errno:
        """Fail the syscall with ``value`` (1..=4095, e.g. ``errno.EACCES``)."""
        return Errno(integer(value, 1, 4095, "errno value"))

    @staticmethod
    def return_value(value: int) -> ReturnValue:
        """Skip the syscall; it returns ``value``."""
        return ReturnValue(signed(value, 64, "return value"))

    @staticmethod
    def hold() -> Hold:
        """Leave the child blocked in the syscall until the sandbox ends."""
        return Hold()

    @staticmethod
    def kill(signal: int = _signal.SIGKILL, pgid: int = 0) -> Kill:
        """Signal the sandbox's process group (``pgid`` 0: the child's own)
        and fail the syscall with EPERM. Any other group is refused."""
        return Kill(int(integer(signal, 1, 64, "signal")), integer(pgid, 0, INT32_MAX, "process group"))

    @staticmethod
    def inject_file(file: int | HasFileno, cloexec: bool = True) -> InjectFile:
        """The syscall returns a new fd in the child for the same file as
        ``file`` (an fd or an object with ``fileno()``). The caller keeps
        its fd: the library is handed a copy, which it closes."""
        fd = file.fileno() if isinstance(file, HasFileno) else file
        return InjectFile(integer(fd, 0, INT32_MAX, "fd"), cloexec)

    @staticmethod
    def inject_bytes(data: bytes, writable: bool = False, cloexec: bool = True) -> InjectBytes:
        """The syscall returns an fd of a sealed memfd holding ``data``: a
        virtual file (read-only and close-on-exec unless asked otherwise)."""
        return InjectBytes(bytes(data), writable, cloexec)


@dataclass(frozen=True)
class Continue(Action):
    """Let the syscall run."""

    static: ClassVar[bool] = True

    def apply(self, out: object) -> None:
        _calls.status(lib.sandlock_action_set_continue, out)


@dataclass(frozen=True)
class Errno(Action):
    """Fail the syscall with ``value``."""

    value: int
    static: ClassVar[bool] = True

    def apply(self, out: object) -> None:
        _calls.status(lib.sandlock_action_set_errno, out, self.value)


@dataclass(frozen=True)
class ReturnValue(Action):
    """Skip the syscall; it returns ``value``."""

    value: int
    static: ClassVar[bool] = True

    def apply(self, out: object) -> None:
        _calls.status(lib.sandlock_action_set_return_value, out, self.value)


@dataclass(frozen=True)
class Hold(Action):
    """Leave the child waiting in the syscall until the sandbox ends."""

    def apply(self, out: object) -> None:
        _calls.status(lib.sandlock_action_set_hold, out)


@dataclass(frozen=True)
class Kill(Action):
    """Signal the sandbox's group and fail the syscall with EPERM."""

    signal: int
    pgid: int

    def apply(self, out: object) -> None:
        _calls.status(lib.sandlock_action_set_kill, out, self.signal, self.pgid)


@dataclass(frozen=True)
class InjectFile(Action):
    """Install a copy of ``fd`` in the child as the syscall's result."""

    fd: int
    cloexec: bool

    def apply(self, out: object) -> None:
        # The library takes over and closes the fd it is given, so it gets
        # a copy (numbered 3 or above, as it requires) and the caller's fd
        # stays the caller's.
        copy = fcntl.fcntl(self.fd, fcntl.F_DUPFD_CLOEXEC, 3)
        try:
            _calls.status(lib.sandlock_action_set_inject_fd_send, out, copy, os.O_CLOEXEC if self.cloexec else 0)
        except BaseException:
            os.close(copy)
            raise


@dataclass(frozen=True)
class InjectBytes(Action):
    """Install a sealed memfd holding ``data`` in the child."""

    data: bytes
    writable: bool
    cloexec: bool

    def apply(self, out: object) -> None:
        flags = (INJECT_WRITABLE if self.writable else 0) | (0 if self.cloexec else INJECT_NO_CLOEXEC)
        _calls.status(lib.sandlock_action_set_inject_bytes, out, self.data, len(self.data), flags)
