"""HandlerCtx: the notification fields the trampoline unpacks from a real
run, and child memory that is reachable only while handle() runs."""

from __future__ import annotations

import threading

import pytest
from helpers import fields, lines

import sandlock
from sandlock import Action, ExceptionPolicy, Handler


class Keep(Handler):
    """Keeps every ctx it is given and answers with ``action``."""

    on_exception = ExceptionPolicy.DENY_EIO

    def __init__(self, action: sandlock.Action) -> None:
        self.action = action
        self.ctxs: list[sandlock.HandlerCtx] = []

    def handle(self, ctx: sandlock.HandlerCtx) -> sandlock.Action:
        self.ctxs.append(ctx)
        return self.action


def test_fields_are_the_kernels_notification(policy, probe):
    handler = Keep(Action.return_value(1))
    result = sandlock.run(policy, [probe, "getppid"], handlers=[("getppid", handler)])
    [ctx] = handler.ctxs
    assert ctx.pid == int(fields(lines(result)[0])["pid"])
    assert ctx.syscall_nr == sandlock.syscall_nr("getppid")
    assert ctx.args == (11, 22, 33, 44, 55, 66)
    assert ctx.arch != 0 and ctx.instruction_pointer != 0 and ctx.id != 0


class ReadPath(Handler):
    """Reads the path of each openat while it runs."""

    def __init__(self, path: bytes) -> None:
        self.path = path
        self.read: list[bytes] = []
        self.ctx: sandlock.HandlerCtx | None = None

    def handle(self, ctx: sandlock.HandlerCtx) -> sandlock.Action:
        path = ctx.read_cstr(ctx.args[1])
        if path == self.path:
            self.read.append(path)
            assert ctx.read(ctx.args[1], len(path)) == path
            self.ctx = ctx
        return Action.continue_()


def test_accessors_raise_once_handle_has_returned(policy, probe, tmp_path):
    target = tmp_path / "file"
    target.write_text("x")
    handler = ReadPath(str(target).encode())
    sandlock.run(policy, [probe, "open", str(target), "1"], handlers=[("openat", handler)])
    assert handler.read == [str(target).encode()]
    ctx = handler.ctx
    assert ctx is not None
    addr = ctx.args[1]
    for access in (lambda: ctx.read_cstr(addr), lambda: ctx.read(addr, 4), lambda: ctx.write(addr, b"x")):
        with pytest.raises(sandlock.InvalidError, match="only accessible while its handle"):
            access()
    errors: list[BaseException] = []

    def from_another_thread() -> None:
        try:
            ctx.read(addr, 1)
        except BaseException as e:
            errors.append(e)

    thread = threading.Thread(target=from_another_thread)
    thread.start()
    thread.join()
    assert [type(e) for e in errors] == [sandlock.InvalidError]


class BadAddress(Handler):
    """On the open of one path, reads unmapped memory and the path into a
    buffer too short for it, and records the errors."""

    def __init__(self, path: bytes) -> None:
        self.path = path
        self.errors: list[sandlock.SandlockError] = []

    def handle(self, ctx: sandlock.HandlerCtx) -> sandlock.Action:
        if ctx.read_cstr(ctx.args[1]) != self.path:
            return Action.continue_()
        for access in (lambda: ctx.read(0, 8), lambda: ctx.read_cstr(ctx.args[1], max_len=2)):
            try:
                access()
            except sandlock.SandlockError as e:
                self.errors.append(e)
        return Action.errno(2)


def test_memory_errors_are_memory_access_errors(policy, probe, tmp_path):
    path = str(tmp_path / "probe-opens-this")
    handler = BadAddress(path.encode())
    result = sandlock.run(policy, [probe, "open", path, "1"], handlers=[("openat", handler)])
    assert lines(result) == ["open=-1 errno=2"]
    assert [type(e) for e in handler.errors] == [sandlock.MemoryAccessError] * 2
    assert all(e.status == sandlock.Status.E_MEMORY and str(e) for e in handler.errors)
    assert "NUL" in str(handler.errors[1]) or "nul" in str(handler.errors[1]).lower()
