"""Calling the library so that every failure becomes an exception.

1.1 functions hand their error to the caller through a
``sandlock_error_t **`` out-parameter, which is what this binding uses
wherever it exists. 1.0 functions leave it in the calling thread's last
error; ctypes releases the GIL around a call but stays on the same OS
thread, so ``sandlock_error_take_last`` right after the failed call takes
exactly that call's error. Either way the status, errno and message reach
the exception, and the owned error is freed.
"""

from __future__ import annotations

import ctypes
from collections.abc import Callable
from typing import Any

from ._capi import lib
from .errors import SandlockError, error_for


def _consume(error: int | None) -> SandlockError:
    """The exception for an owned ``sandlock_error_t``, which is freed."""
    if not error:
        return SandlockError("libsandlock reported a failure without an error")
    try:
        status = lib.sandlock_error_status(error)
        errno = lib.sandlock_error_errno(error)
        message = lib.sandlock_error_message(error).decode("utf-8", "replace")
    finally:
        lib.sandlock_error_free(error)
    return error_for(status, message, errno)


def last_error() -> SandlockError:
    """The exception for the failure of the 1.0 call this thread just made."""
    return _consume(lib.sandlock_error_take_last())


def status(fn: Callable[..., int], *args: Any) -> int:
    """Call a 1.0 function that returns a status; raise on a negative one."""
    rc = fn(*args)
    if rc < 0:
        raise last_error()
    return rc


def status_err(fn: Callable[..., int], *args: Any) -> int:
    """Call a 1.1 function that returns a status, its error out-parameter last."""
    err = ctypes.c_void_p()
    rc = fn(*args, ctypes.byref(err))
    if rc < 0:
        raise _consume(err.value)
    return rc


def handle_err(fn: Callable[..., int | None], *args: Any) -> int:
    """Call a 1.1 constructor (NULL on failure), its error out-parameter last."""
    err = ctypes.c_void_p()
    handle = fn(*args, ctypes.byref(err))
    if not handle:
        raise _consume(err.value)
    return handle


def handle(fn: Callable[..., int | None], *args: Any) -> int:
    """Call a 1.0 constructor that returns NULL on failure."""
    result = fn(*args)
    if not result:
        raise last_error()
    return result
