"""Every Action, end to end: a real child performs the syscall and prints
what it saw, and the test asserts exactly that."""

from __future__ import annotations

import dataclasses
import errno
import os
import signal

import pytest
from helpers import fields, lines

import sandlock
from sandlock import Action, ExceptionPolicy, ExitReason, Handler


class Answer(Handler):
    """Answers every call with one action and counts the calls."""

    def __init__(self, action: sandlock.Action) -> None:
        self.action = action
        self.calls = 0

    def handle(self, ctx: sandlock.HandlerCtx) -> sandlock.Action:
        self.calls += 1
        return self.action


class OpenOf(Handler):
    """Answers opens of one path with ``action``; lets every other open run."""

    def __init__(self, path: str, action: sandlock.Action) -> None:
        self.path = path.encode()
        self.action = action
        self.seen = 0

    def handle(self, ctx: sandlock.HandlerCtx) -> sandlock.Action:
        if ctx.read_cstr(ctx.args[1]) != self.path:
            return Action.continue_()
        self.seen += 1
        return self.action


def test_errno_is_what_the_child_sees(policy, probe):
    handler = Answer(Action.errno(errno.EACCES))
    result = sandlock.run(policy, [probe, "getppid"], handlers=[("getppid", handler)])
    assert lines(result)[1:] == ["before", "ret=-1 errno=13", "after"]
    assert handler.calls == 1
    assert result.exit.reason == ExitReason.EXITED and result.exit.exit_code == 0


def test_return_value_is_what_the_child_sees(policy, probe):
    result = sandlock.run(policy, [probe, "getppid"], handlers=[("getppid", Answer(Action.return_value(4242)))])
    assert lines(result)[1:] == ["before", "ret=4242 errno=0", "after"]


def test_continue_lets_the_real_syscall_run(policy, probe):
    result = sandlock.run(policy, [probe, "getppid"], handlers=[("getppid", Answer(Action.continue_()))])
    ret = fields(lines(result)[2])
    assert ret["errno"] == "0" and int(ret["ret"]) > 1


class KillOnCall(Answer):
    """A kill returned as the action: its exception policy would let the
    call run, so a killed child proves the kill came from the action."""

    on_exception = ExceptionPolicy.CONTINUE


def test_kill_stops_the_child_at_the_intercepted_syscall(policy, probe):
    handler = KillOnCall(Action.kill())
    result = sandlock.run(policy, [probe, "getppid"], handlers=[("getppid", handler)])
    assert lines(result)[1:] == ["before"]
    assert handler.calls == 1
    assert result.exit.reason == ExitReason.HANDLER_KILLED
    assert result.exit.signal == signal.SIGKILL and result.exit.exit_code is None
    assert result.exit.syscall_nr == sandlock.syscall_nr("getppid")
    assert result.returncode == -signal.SIGKILL


def test_kill_with_another_signal(policy, probe):
    # The library reports HANDLER_KILLED only for SIGKILL (core's HandlerKill
    # is "its group got SIGKILL"); another signal shows as the signal.
    result = sandlock.run(policy, [probe, "getppid"], handlers=[("getppid", KillOnCall(Action.kill(signal.SIGTERM)))])
    assert lines(result)[1:] == ["before"]
    assert result.exit.signal == signal.SIGTERM


def test_hold_keeps_the_child_in_the_syscall_until_the_sandbox_ends(policy, probe):
    result = sandlock.run(policy, [probe, "getppid"], handlers=[("getppid", Answer(Action.hold()))], timeout=0.5)
    assert lines(result)[1:] == ["before"]
    assert result.exit.reason == ExitReason.TIMED_OUT


class Audit(Handler):
    """Counts the opens of one path; never changes what happens."""

    on_exception = ExceptionPolicy.CONTINUE

    def __init__(self, path: bytes) -> None:
        self.path = path
        self.opens = 0

    def handle(self, ctx: sandlock.HandlerCtx) -> sandlock.Action:
        if ctx.read_cstr(ctx.args[1]) == self.path:
            self.opens += 1
        return Action.continue_()


def test_audit_counts_the_opens_of_a_unique_file(policy, probe, tmp_path):
    # A name that no start-up open can share, and that is not UTF-8: paths
    # are bytes.
    unique = tmp_path / os.fsdecode(b"audited-\xff-%d" % os.getpid())
    unique.write_bytes(b"audited")
    audit = Audit(os.fsencode(unique))
    allowed = dataclasses.replace(policy, fs_read=[*policy.fs_read, tmp_path])
    result = sandlock.run(allowed, [probe, "open", unique, "5"], handlers=[("openat", audit)])
    assert lines(result) == ["open=ok data=audited"] * 5
    assert audit.opens == 5


def test_inject_bytes_is_read_back_by_the_child(policy, probe, tmp_path):
    virtual = str(tmp_path / "does-not-exist")
    handler = OpenOf(virtual, Action.inject_bytes(b"made-up-content"))
    result = sandlock.run(policy, [probe, "open", virtual, "2"], handlers=[("openat", handler)])
    assert lines(result) == ["open=ok data=made-up-content"] * 2
    assert handler.seen == 2


def test_inject_file_sends_a_copy_and_the_caller_keeps_its_fd(policy, probe, tmp_path):
    outside = tmp_path / "outside-the-policy"
    outside.write_bytes(b"only-through-the-handler")
    virtual = str(tmp_path / "virtual")
    with open(outside, "rb") as f:
        handler = OpenOf(virtual, Action.inject_file(f))
        result = sandlock.run(policy, [probe, "open", virtual, "1"], handlers=[("openat", handler)])
        assert os.fstat(f.fileno())  # still the caller's, still open
    assert lines(result) == ["open=ok data=only-through-the-handler"]
    direct = sandlock.run(policy, [probe, "open", str(outside), "1"])
    assert lines(direct) == [f"open=-1 errno={errno.EACCES}"]


class WriteCwd(Handler):
    """Answers getcwd by writing a path into the child's buffer."""

    def handle(self, ctx: sandlock.HandlerCtx) -> sandlock.Action:
        path = b"/virtual/cwd\0"
        ctx.write(ctx.args[0], path)
        assert ctx.read(ctx.args[0], len(path)) == path
        return Action.return_value(len(path))


def test_write_puts_bytes_into_the_child(policy, probe):
    result = sandlock.run(policy, [probe, "getcwd"], handlers=[("getcwd", WriteCwd())])
    assert lines(result) == ["ret=13 errno=0", "buf=/virtual/cwd"]


def test_handlers_chain_in_registration_order(policy, probe):
    first, second = Answer(Action.continue_()), Answer(Action.return_value(7))
    third = Answer(Action.return_value(8))
    result = sandlock.run(
        policy, [probe, "getppid"], handlers=[("getppid", first), ("getppid", second), ("getppid", third)]
    )
    assert lines(result)[2] == "ret=7 errno=0"
    assert (first.calls, second.calls, third.calls) == (1, 1, 0)


@pytest.mark.parametrize(
    "make",
    [
        lambda: Action.errno(0),
        lambda: Action.errno(4096),
        lambda: Action.return_value(1 << 63),
        lambda: Action.kill(0),
        lambda: Action.kill(signal.SIGKILL, -1),
        lambda: Action.inject_file(-1),
    ],
)
def test_factories_refuse_values_the_library_would(make):
    with pytest.raises(sandlock.InvalidError):
        make()
