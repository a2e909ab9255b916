"""``spawn``: a sandboxed program that runs while the caller goes on, and
the Process that controls it.

The child owns its handlers until it is freed; freeing it (``close()``,
leaving a ``with`` block, garbage collection, or interpreter exit, whichever
comes first) kills it if it still runs, reaps it, frees its handlers and
sweeps their registry ids. Freeing at exit keeps the library from calling
into an interpreter that is shutting down.
"""

from __future__ import annotations

import dataclasses
import threading
import weakref
from collections.abc import Sequence
from typing import IO

from . import _calls
from ._capi import lib
from ._command import Registration, command
from ._convert import StrOrPath, integer, milliseconds, signed
from ._registry import REGISTRY
from ._stdio import Pipes, Stream
from .errors import Status
from .outcome import Exit
from .policy import Policy


def _free(child: int, keys: list[int]) -> None:
    """Free a child and forget its handlers (runs once, via weakref.finalize)."""
    try:
        lib.sandlock_child_free(child)
    finally:
        REGISTRY.sweep(keys)


class Process:
    """A running sandboxed program (made by ``spawn``).

    Every method may be called from any thread, also while another thread
    waits; ``close()`` kills the child first, so a wait in progress returns.
    """

    def __init__(self, child: int, keys: list[int], files: Sequence[IO[bytes] | None]) -> None:
        #: Process id of the child, which is also its process group.
        self.pid: int = lib.sandlock_child_pid(child)
        #: The caller's ends of the streams spawned with PIPE (else None).
        self.stdin, self.stdout, self.stderr = files
        self._child: int | None = child
        self._busy = 0
        self._idle = threading.Condition()
        self._free = weakref.finalize(self, _free, child, keys)

    def _enter(self) -> int:
        with self._idle:
            if self._child is None:
                raise ValueError("the Process is closed")
            self._busy += 1
            return self._child

    def _leave(self) -> None:
        with self._idle:
            self._busy -= 1
            self._idle.notify_all()

    def _exit(self, child: int) -> Exit:
        return Exit.from_c(lib.sandlock_child_exit(child).contents)

    def poll(self) -> Exit | None:
        """How the child ended, or None while it runs."""
        child = self._enter()
        try:
            done = _calls.status_err(lib.sandlock_child_wait_for, child, 0)
            return self._exit(child) if done == Status.OK else None
        finally:
            self._leave()

    def wait(self, timeout: float | None = None) -> Exit:
        """Wait for the child to end (at most ``timeout`` seconds: then
        TimeoutError) and return how it ended."""
        ms = -1 if timeout is None else signed(milliseconds(timeout, "timeout"), 64, "timeout in milliseconds")
        child = self._enter()
        try:
            done = _calls.status_err(lib.sandlock_child_wait_for, child, ms)
            if done == Status.STILL_RUNNING:
                raise TimeoutError(f"sandboxed process {self.pid} still runs after {timeout} s")
            return self._exit(child)
        finally:
            self._leave()

    @property
    def exit(self) -> Exit | None:
        """How the child ended, once a wait or poll saw it end."""
        child = self._enter()
        try:
            data = lib.sandlock_child_exit(child)
            return Exit.from_c(data.contents) if data else None
        finally:
            self._leave()

    def signal(self, sig: int) -> None:
        """Send ``sig`` (1..=64) to every process of the sandbox (nothing
        once it ended)."""
        integer(sig, 1, 64, "signal")
        child = self._enter()
        try:
            _calls.status_err(lib.sandlock_child_signal, child, int(sig))
        finally:
            self._leave()

    def kill(self) -> None:
        """SIGKILL every process of the sandbox."""
        child = self._enter()
        try:
            _calls.status(lib.sandlock_child_kill, child)
        finally:
            self._leave()

    def pause(self) -> None:
        """SIGSTOP the sandbox (its timeout keeps running)."""
        child = self._enter()
        try:
            _calls.status_err(lib.sandlock_child_pause, child)
        finally:
            self._leave()

    def resume(self) -> None:
        """SIGCONT a paused sandbox."""
        child = self._enter()
        try:
            _calls.status_err(lib.sandlock_child_resume, child)
        finally:
            self._leave()

    def close(self) -> None:
        """Kill the child if it still runs, reap it, free its handlers and
        close the pipe ends. Idempotent."""
        with self._idle:
            child = self._child
            if child is None:
                return
            self._child = None
        lib.sandlock_child_kill(child)
        with self._idle:
            while self._busy:
                self._idle.wait()
        self._free()
        for f in (self.stdin, self.stdout, self.stderr):
            if f is not None:
                f.close()

    def __enter__(self) -> Process:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<sandlock.Process pid={self.pid}{' closed' if self._child is None else ''}>"


def spawn(
    policy: Policy,
    argv: Sequence[StrOrPath],
    *,
    handlers: Sequence[Registration] = (),
    timeout: float | None = None,
    name: str | None = None,
    stdin: Stream = None,
    stdout: Stream = None,
    stderr: Stream = None,
) -> Process:
    """Start ``argv`` under ``policy`` and return at once.

    Arguments as for ``run``; streams default to /dev/null, and PIPE gives
    the Process a file for the stream (``process.stdout.read()``...).
    """
    if timeout is not None:
        policy = dataclasses.replace(policy, timeout=timeout)
    keys: list[int] = []
    pipes = Pipes(stdin, stdout, stderr)
    try:
        try:
            with command(policy, argv, handlers, keys, name, pipes.fds) as cmd:
                pipes.close_child_ends()
                child = _calls.handle_err(lib.sandlock_command_spawn, cmd)
        finally:
            pipes.close_child_ends()
        try:
            return Process(child, keys, pipes.files)
        except BaseException:
            _free(child, keys)
            raise
    except BaseException:
        REGISTRY.sweep(keys)
        pipes.close_files()
        raise
