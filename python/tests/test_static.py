"""Static: answers the library gives by itself. What the child sees, and
proof that no Python runs for them: the child gets its answer while this
thread holds the GIL inside a C call, which a Python handler cannot."""

from __future__ import annotations

import ctypes
import errno
import select
import sys

import pytest
from helpers import fields, lines

import sandlock
from sandlock import Action, Handler, Static
from sandlock._registry import REGISTRY


@pytest.mark.parametrize(
    ("action", "seen"),
    [
        (Action.return_value(4242), "ret=4242 errno=0"),
        (Action.errno(errno.EPERM), f"ret=-1 errno={errno.EPERM}"),
    ],
)
def test_the_child_sees_the_static_answer(policy, probe, action, seen):
    result = sandlock.run(policy, [probe, "getppid"], handlers=[("getppid", Static(action))])
    assert lines(result)[1:] == ["before", seen, "after"]


def test_static_continue_runs_the_syscall(policy, probe):
    result = sandlock.run(policy, [probe, "getppid"], handlers=[("getppid", Static(Action.continue_()))])
    assert int(fields(lines(result)[2])["ret"]) > 1


@pytest.mark.parametrize("action", [Action.hold(), Action.kill(), Action.inject_bytes(b"x"), "not an action"])
def test_static_refuses_answers_that_cannot_be_fixed(action):
    with pytest.raises(sandlock.InvalidError):
        Static(action)


class Python(Handler):
    def handle(self, ctx: sandlock.HandlerCtx) -> sandlock.Action:
        return Action.return_value(4242)


class _PollFd(ctypes.Structure):
    _fields_ = [("fd", ctypes.c_int), ("events", ctypes.c_short), ("revents", ctypes.c_short)]


#: libc through PyDLL: its calls keep the GIL.
_with_gil = ctypes.PyDLL(None)
_with_gil.write.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_size_t]
_with_gil.poll.argtypes = [ctypes.POINTER(_PollFd), ctypes.c_ulong, ctypes.c_int]


def answered_while_holding_the_gil(policy, probe, handler, wait_ms: int) -> bool:
    """Let the gated probe make its getppid, then wait for its answer inside
    one C call that keeps the GIL; True when the answer came meanwhile."""
    before = sys.getswitchinterval()
    # A thread waiting for the GIL can only force a switch after this
    # interval, so between the two C calls below the GIL stays here.
    sys.setswitchinterval(60)
    try:
        with sandlock.spawn(
            policy, [probe, "gated-getppid"], handlers=[("getppid", handler)], stdin=sandlock.PIPE, stdout=sandlock.PIPE
        ) as child:
            pollfd = _PollFd(child.stdout.fileno(), select.POLLIN, 0)
            _with_gil.write(child.stdin.fileno(), b"g", 1)
            ready = _with_gil.poll(ctypes.byref(pollfd), 1, wait_ms)
            sys.setswitchinterval(before)
            # Without the GIL held, a Python handler now answers too.
            assert child.stdout.readline() == b"ret=4242 errno=0\n"
            assert child.wait().exit_code == 0
            return ready == 1
    finally:
        sys.setswitchinterval(before)


def test_static_is_answered_without_the_gil(policy, probe):
    assert answered_while_holding_the_gil(policy, probe, Static(Action.return_value(4242)), 10_000)
    assert len(REGISTRY) == 0


def test_a_python_handler_needs_the_gil(policy, probe):
    """The control: the same wait sees no answer from a Python handler."""
    assert not answered_while_holding_the_gil(policy, probe, Python(), 300)


def test_static_registers_nothing(policy, probe):
    with sandlock.spawn(policy, [probe, "tick"], handlers=[("getppid", Static(Action.continue_()))]) as child:
        assert len(REGISTRY) == 0
        assert child.poll() is None
