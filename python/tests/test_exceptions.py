"""A failing handler gets its on_exception, and the failure is logged with
its traceback. Each test proves the failing handler really ran (it records
it) and asserts what the child saw, so a policy that was never taken, or a
kill that did not happen at the intercepted call, fails the test."""

from __future__ import annotations

import errno
import logging
import os
import signal
import subprocess

import pytest
from helpers import fields, lines

import sandlock
from sandlock import Action, ExceptionPolicy, ExitReason, Handler


class Boom(Exception):
    pass


def raising(policy: ExceptionPolicy) -> Handler:
    class Raising(Handler):
        on_exception = policy

        def __init__(self) -> None:
            self.ran = 0

        def handle(self, ctx: sandlock.HandlerCtx) -> sandlock.Action:
            self.ran += 1
            raise Boom(f"raised by the {policy.name} handler")

    return Raising()


def test_kill_is_the_default_and_kills_at_the_syscall(policy, probe, caplog):
    handler = raising(ExceptionPolicy.KILL)
    assert Handler.on_exception == ExceptionPolicy.KILL
    result = sandlock.run(policy, [probe, "getppid"], handlers=[("getppid", handler)])
    assert handler.ran == 1
    assert lines(result)[1:] == ["before"]
    assert result.exit.reason == ExitReason.HANDLER_FAILED
    assert result.exit.syscall_nr == sandlock.syscall_nr("getppid")
    assert result.exit.signal == signal.SIGKILL


@pytest.mark.parametrize(
    ("policy_", "seen"),
    [(ExceptionPolicy.DENY_EPERM, errno.EPERM), (ExceptionPolicy.DENY_EIO, errno.EIO)],
    ids=["DENY_EPERM", "DENY_EIO"],
)
def test_deny_policies_fail_the_syscall_with_their_errno(policy, probe, policy_, seen):
    handler = raising(policy_)
    result = sandlock.run(policy, [probe, "getppid"], handlers=[("getppid", handler)])
    assert handler.ran == 1
    assert lines(result)[1:] == ["before", f"ret=-1 errno={seen}", "after"]
    assert result.exit.reason == ExitReason.EXITED


def test_continue_policy_lets_the_real_syscall_run(policy, probe):
    handler = raising(ExceptionPolicy.CONTINUE)
    result = sandlock.run(policy, [probe, "getppid"], handlers=[("getppid", handler)])
    assert handler.ran == 1
    ret = fields(lines(result)[2])
    assert ret["errno"] == "0" and int(ret["ret"]) > 1
    assert lines(result)[3] == "after"


def test_the_traceback_is_logged(policy, probe, caplog):
    with caplog.at_level(logging.ERROR, logger="sandlock"):
        sandlock.run(policy, [probe, "getppid"], handlers=[("getppid", raising(ExceptionPolicy.DENY_EIO))])
    [record] = [r for r in caplog.records if r.name == "sandlock"]
    assert record.exc_info is not None and record.exc_info[0] is Boom
    assert "raised by the DENY_EIO handler" in caplog.text
    assert "Traceback" in caplog.text and "getppid" in record.getMessage()
    assert "DENY_EIO" in record.getMessage()


class ReturnsNone(Handler):
    on_exception = ExceptionPolicy.DENY_EIO

    def __init__(self) -> None:
        self.ran = 0

    def handle(self, ctx):  # type: ignore[override]
        self.ran += 1
        return None


def test_a_return_value_that_is_not_an_action_is_a_failure(policy, probe, caplog):
    handler = ReturnsNone()
    with caplog.at_level(logging.ERROR, logger="sandlock"):
        result = sandlock.run(policy, [probe, "getppid"], handlers=[("getppid", handler)])
    assert handler.ran == 1
    assert lines(result)[2] == f"ret=-1 errno={errno.EIO}"
    assert "not a sandlock.Action" in caplog.text


class KillsElsewhere(Handler):
    """Aims a kill at a process group outside the sandbox."""

    on_exception = ExceptionPolicy.DENY_EIO

    def __init__(self, pgid: int) -> None:
        self.pgid = pgid
        self.ran = 0

    def handle(self, ctx: sandlock.HandlerCtx) -> sandlock.Action:
        self.ran += 1
        return Action.kill(signal.SIGKILL, self.pgid)


def test_a_kill_aimed_outside_the_sandbox_is_refused_and_falls_back(policy, probe):
    bystander = subprocess.Popen(["sleep", "30"], start_new_session=True)
    try:
        handler = KillsElsewhere(os.getpgid(bystander.pid))
        result = sandlock.run(policy, [probe, "getppid"], handlers=[("getppid", handler)])
        assert handler.ran == 1
        assert lines(result)[1:] == ["before", f"ret=-1 errno={errno.EIO}", "after"]
        assert bystander.poll() is None, "the library killed a group outside the sandbox"
    finally:
        bystander.kill()
        bystander.wait()
