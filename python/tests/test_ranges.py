"""Ints outside the C type they become are refused, not wrapped: ctypes
keeps only the low bits, so signal 2**32 + 9 would be SIGKILL and fd
2**32 + 1 the caller's stdout."""

from __future__ import annotations

import signal

import pytest

import sandlock
from sandlock import Action, ExceptionPolicy, Handler

WIDE = 1 << 32


def test_a_signal_outside_1_to_64_is_refused_and_sends_nothing(policy, probe):
    with sandlock.spawn(policy, [probe, "tick"]) as child:
        for sig in (WIDE + signal.SIGKILL, 65, -1, 0):
            with pytest.raises(sandlock.InvalidError, match=r"signal .* is not in 1\.\.=64"):
                child.signal(sig)
        assert child.poll() is None
        child.signal(signal.SIGTERM)
        assert child.wait(timeout=10).signal == signal.SIGTERM


@pytest.mark.parametrize("stream", ["stdin", "stdout", "stderr"])
def test_a_stream_fd_outside_int_is_refused(policy, probe, capfd, stream):
    with pytest.raises(sandlock.InvalidError, match=f"{stream} fd {WIDE + 1} is not in"):
        sandlock.run(policy, [probe, "exit", "0"], **{stream: WIDE + 1})
    with pytest.raises(sandlock.InvalidError, match=f"{stream} fd"):
        sandlock.spawn(policy, [probe, "exit", "0"], **{stream: WIDE + 1})
    assert capfd.readouterr() == ("", "")


def test_a_wait_timeout_past_int64_milliseconds_is_refused(policy, probe):
    with sandlock.spawn(policy, [probe, "tick"]) as child:
        with pytest.raises(sandlock.InvalidError, match="timeout in milliseconds"):
            child.wait(timeout=(1 << 63) / 1000)
        assert child.poll() is None


@pytest.mark.parametrize(
    "make",
    [
        lambda: Action.errno(WIDE + 13),
        lambda: Action.kill(WIDE + signal.SIGKILL),
        lambda: Action.kill(signal.SIGKILL, WIDE),
        lambda: Action.inject_file(WIDE + 3),
    ],
)
def test_action_values_outside_their_c_type_are_refused(make):
    with pytest.raises(sandlock.InvalidError, match="is not in"):
        make()


def test_an_on_exception_outside_uint32_is_refused(policy, probe):
    class Wide(Handler):
        # CONTINUE in its low 32 bits: wrapped, a fail-closed handler
        # would fail open.
        on_exception = WIDE + ExceptionPolicy.CONTINUE

        def handle(self, ctx: sandlock.HandlerCtx) -> sandlock.Action:
            raise AssertionError("never called")

    with pytest.raises(sandlock.InvalidError, match=r"handlers\[0\] on_exception"):
        sandlock.run(policy, [probe, "getppid"], handlers=[("getppid", Wide())])
