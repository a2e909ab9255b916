"""The two C callbacks every Python handler shares: the trampoline the
library calls for each trapped syscall, and the ``ud_drop`` it calls once
per handler.

Both are created once, at import, and live as long as the process, so the
library never holds a pointer to a freed ctypes thunk. ctypes takes the GIL
around each call. Nothing may escape into C: every failure — a raising
handler, a return value that is not an Action, a setter the library
refused, an interpreter that is shutting down — returns non-zero, and the
library answers with the handler's exception policy. (ctypes takes the GIL
before the trampoline runs, so the check can only catch a finalization
that began after that; freeing spawned children at exit is what keeps
callbacks away from a finalized interpreter.)
"""

from __future__ import annotations

import ctypes
import logging
import sys
from typing import Any

from ._capi import HANDLER_FN, UD_DROP_FN
from ._registry import REGISTRY
from .actions import Action
from .handler import HandlerCtx, _Memory

log = logging.getLogger("sandlock")

_FAILED = 1

_py_is_initialized = ctypes.pythonapi.Py_IsInitialized
_py_is_initialized.argtypes = []
_py_is_initialized.restype = ctypes.c_int


def _dispatch(ud: int | None, notif: Any, mem: int | None, out: int | None) -> int:
    """Run the registered handler for one notification and set its action."""
    if not _py_is_initialized() or sys.is_finalizing():
        return _FAILED
    entry = None
    try:
        entry = REGISTRY.get(ud)
        if entry is None:
            log.error("sandlock: a notification for handler id %s, which is no longer registered", ud)
            return _FAILED
        memory = _Memory(mem or 0)
        ctx = HandlerCtx(notif.contents, memory)
        try:
            action = entry.handler.handle(ctx)
        finally:
            memory.close()
        if not isinstance(action, Action):
            raise TypeError(f"handle() returned {action!r}, not a sandlock.Action")
        action.apply(out)
        return 0
    except BaseException:
        handler = entry.handler if entry is not None else None
        policy = getattr(handler, "on_exception", None)
        log.exception(
            "sandlock: handler %r on %s failed; the syscall gets its on_exception (%s)",
            handler,
            entry.syscall if entry is not None else "?",
            getattr(policy, "name", policy),
        )
        return _FAILED


def _drop(ud: int | None) -> None:
    """``ud_drop``: the library freed the handler with this id."""
    try:
        REGISTRY.release(ud)
    except BaseException:
        log.exception("sandlock: releasing handler id %s", ud)


#: The ``sandlock_handler_fn_t`` of every Python handler.
TRAMPOLINE = HANDLER_FN(_dispatch)
#: The ``sandlock_handler_ud_drop_t`` of every Python handler.
UD_DROP = UD_DROP_FN(_drop)
