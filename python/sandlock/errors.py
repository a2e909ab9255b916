"""One exception class per failure status of sandlock.h.

Every failing call of the library reports a status, a message that names
the offending value and, when there is one, the ``errno`` behind it. The
binding turns that triple into the exception of the status's class, so a
caller can catch exactly the failures it handles (``except NotFoundError``)
or all of them (``except SandlockError``) and still read the library's own
message and errno.
"""

from __future__ import annotations

import enum


class Status(enum.IntEnum):
    """``sandlock_status_t``: 0 and 1 succeed, every negative value fails."""

    OK = 0
    STILL_RUNNING = 1
    E_INVALID = -1
    E_NOT_FOUND = -2
    E_UNSUPPORTED = -3
    E_SPAWN = -4
    E_IO = -5
    E_PANIC = -6
    E_DENIED = -7
    E_MEMORY = -8
    E_HANDLER = -9


class SandlockError(Exception):
    """A failure reported by libsandlock (or, for LibraryError, by loading it).

    ``status`` is the library's status (an int when a newer library reports
    one this binding does not name), ``errno`` the OS error behind the
    failure or None, and ``str(error)`` the library's message.
    """

    def __init__(self, message: str, *, status: int | None = None, errno: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.errno = errno


class InvalidError(SandlockError, ValueError):
    """``SANDLOCK_E_INVALID``: an argument is NULL, out of range, not UTF-8 or unknown."""


class NotFoundError(SandlockError):
    """``SANDLOCK_E_NOT_FOUND``: a path or program does not exist."""


class UnsupportedError(SandlockError):
    """``SANDLOCK_E_UNSUPPORTED``: this kernel cannot enforce the policy."""


class SpawnError(SandlockError):
    """``SANDLOCK_E_SPAWN``: the child failed before exec (see ``errno``)."""


class IoError(SandlockError):
    """``SANDLOCK_E_IO``: an I/O error in the supervisor."""


class PanicError(SandlockError):
    """``SANDLOCK_E_PANIC``: the library caught a panic (a library bug)."""


class DeniedError(SandlockError):
    """``SANDLOCK_E_DENIED``: a handler is registered on a syscall the policy denies."""


class MemoryAccessError(SandlockError):
    """``SANDLOCK_E_MEMORY``: child memory could not be read or written."""


class HandlerError(SandlockError):
    """``SANDLOCK_E_HANDLER``: a handler-related failure."""


class LibraryError(SandlockError, ImportError):
    """libsandlock.so.1 could not be found, or is not a usable major-1 library."""


_BY_STATUS: dict[int, type[SandlockError]] = {
    Status.E_INVALID: InvalidError,
    Status.E_NOT_FOUND: NotFoundError,
    Status.E_UNSUPPORTED: UnsupportedError,
    Status.E_SPAWN: SpawnError,
    Status.E_IO: IoError,
    Status.E_PANIC: PanicError,
    Status.E_DENIED: DeniedError,
    Status.E_MEMORY: MemoryAccessError,
    Status.E_HANDLER: HandlerError,
}


def error_for(status: int, message: str, errno: int | None = None) -> SandlockError:
    """The exception for a failure the library reported."""
    try:
        named: int = Status(status)
    except ValueError:
        named = status
    return _BY_STATUS.get(status, SandlockError)(message, status=named, errno=errno or None)
