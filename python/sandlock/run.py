"""``run``: a program to completion under a policy, with handlers.

The library call blocks without the GIL (ctypes releases it), so other
Python threads keep running and handlers can take it on the supervisor's
threads. The command is freed and the registry swept in ``finally``
blocks, so neither a failed start nor an exception raised while the call
returns leaves a handler behind.
"""

from __future__ import annotations

import ctypes
import dataclasses
from collections.abc import Sequence

from . import _calls
from ._capi import lib
from ._command import Registration, command
from ._convert import StrOrPath
from ._registry import REGISTRY
from ._stdio import PIPE, Stream, fd_of
from .errors import InvalidError
from .outcome import Exit, Result
from .policy import Policy


def _stream(result: int, getter: str) -> bytes:
    length = ctypes.c_size_t()
    data = getattr(lib, getter)(result, ctypes.byref(length))
    return ctypes.string_at(data, length.value) if length.value else b""


def _read(result: int) -> Result:
    """A copy of everything a ``sandlock_result_t`` holds."""
    return Result(
        exit=Exit.from_c(lib.sandlock_result_exit(result).contents),
        stdout=_stream(result, "sandlock_result_stdout"),
        stderr=_stream(result, "sandlock_result_stderr"),
    )


def run(
    policy: Policy,
    argv: Sequence[StrOrPath],
    *,
    handlers: Sequence[Registration] = (),
    timeout: float | None = None,
    name: str | None = None,
    stdin: Stream = None,
    stdout: Stream = None,
    stderr: Stream = None,
) -> Result:
    """Run ``argv`` under ``policy`` to completion and return how it ended.

    ``handlers`` is a sequence of ``(syscall name, Handler or Static)``
    pairs, run in that order for each trapped syscall. ``timeout`` (seconds)
    overrides the policy's. ``name`` labels the run in error messages.
    Streams default to the policy's stdin and captured output; an fd or a
    file object sends a stream there instead (and out of the Result).
    A failure to start raises the SandlockError of the library's status.
    """
    if any(stream is PIPE for stream in (stdin, stdout, stderr)):
        raise InvalidError("run() captures output itself; PIPE is for spawn()")
    if timeout is not None:
        policy = dataclasses.replace(policy, timeout=timeout)
    stdio = [fd_of(stdin, "stdin"), fd_of(stdout, "stdout"), fd_of(stderr, "stderr")]
    keys: list[int] = []
    try:
        with command(policy, argv, handlers, keys, name, stdio) as cmd:
            result = _calls.handle_err(lib.sandlock_command_run, cmd)
        try:
            return _read(result)
        finally:
            lib.sandlock_result_free(result)
    finally:
        REGISTRY.sweep(keys)
