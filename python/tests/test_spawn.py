"""spawn() and Process: the pid, streaming stdio through the command's
fds, wait/poll/timeouts, signals, pause/resume, and freeing (close, with,
garbage collection) that kills and reaps the child and frees its handlers."""

from __future__ import annotations

import gc
import os
import signal
import subprocess
import sys
import threading
import time

import pytest
from helpers import fields

import sandlock
from sandlock import PIPE, Action, ExitReason, Handler
from sandlock._registry import REGISTRY


def test_pid_is_the_childs(policy, probe):
    with sandlock.spawn(policy, [probe, "getppid"], stdout=PIPE) as child:
        assert fields(child.stdout.readline().decode())["pid"] == str(child.pid)
        assert child.wait().exit_code == 0


def test_stdio_streams_while_the_child_runs(policy, probe):
    with sandlock.spawn(policy, [probe, "echo"], stdin=PIPE, stdout=PIPE) as child:
        for i in range(5):
            child.stdin.write(b"line %d\n" % i)
            child.stdin.flush()
            assert child.stdout.readline() == b"line %d\n" % i
            assert child.poll() is None
        child.stdin.close()
        assert child.stdout.read() == b""
        exit = child.wait()
    assert (exit.reason, exit.exit_code, exit.signal) == (ExitReason.EXITED, 0, None)


def test_stderr_through_a_pipe_and_stdout_to_a_file(policy, probe, tmp_path):
    out = tmp_path / "out"
    with open(out, "wb") as f, sandlock.spawn(policy, [probe, "exit", "3"], stdout=f, stderr=PIPE) as child:
        assert child.stderr.read() == b"err\n"
        assert child.wait().exit_code == 3
        assert child.stdout is None
    assert out.read_bytes() == b"out\n"


def test_wait_times_out_and_poll_says_running(policy, probe):
    with sandlock.spawn(policy, [probe, "tick"]) as child:
        with pytest.raises(TimeoutError):
            child.wait(timeout=0.05)
        assert child.poll() is None and child.exit is None
        child.kill()
        exit = child.wait()
        assert (exit.reason, exit.signal, exit.exit_code) == (ExitReason.SIGNALED, signal.SIGKILL, None)
        assert child.exit == exit and child.poll() == exit


def test_signal_reaches_the_sandbox(policy, probe):
    with sandlock.spawn(policy, [probe, "tick"]) as child:
        child.signal(signal.SIGTERM)
        assert child.wait(timeout=10).signal == signal.SIGTERM
        with pytest.raises(sandlock.InvalidError):
            child.signal(0)


def test_the_policy_timeout_ends_a_spawned_child(policy, probe):
    with sandlock.spawn(policy, [probe, "tick"], timeout=0.2) as child:
        assert child.wait(timeout=10).reason == ExitReason.TIMED_OUT


def ticks(child: sandlock.Process) -> list[bytes]:
    """The lines the child wrote so far, without waiting for more."""
    os.set_blocking(child.stdout.fileno(), False)
    try:
        return (child.stdout.read() or b"").splitlines()
    finally:
        os.set_blocking(child.stdout.fileno(), True)


def test_pause_stops_the_output_and_resume_restarts_it(policy, probe):
    with sandlock.spawn(policy, [probe, "tick"], stdout=PIPE) as child:
        assert child.stdout.readline().startswith(b"tick")
        child.pause()
        time.sleep(0.05)
        ticks(child)  # what was written before the stop landed
        time.sleep(0.3)
        assert ticks(child) == []
        child.resume()
        assert child.stdout.readline().startswith(b"tick")


class Answer(Handler):
    def handle(self, ctx: sandlock.HandlerCtx) -> sandlock.Action:
        return Action.return_value(777)


def test_a_spawned_childs_handlers_live_until_it_is_freed(policy, probe):
    child = sandlock.spawn(policy, [probe, "getppid"], handlers=[("getppid", Answer())], stdout=PIPE)
    with child:
        assert child.wait().exit_code == 0
        assert child.stdout.read().splitlines()[2] == b"ret=777 errno=0"
        assert len(REGISTRY) == 1
    assert len(REGISTRY) == 0
    with pytest.raises(ValueError, match="closed"):
        child.poll()
    child.close()  # idempotent


def test_leaving_the_with_block_kills_and_reaps(policy, probe):
    with sandlock.spawn(policy, [probe, "tick"], handlers=[("getppid", Answer())]) as child:
        pid = child.pid
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    assert len(REGISTRY) == 0


def test_garbage_collection_frees_a_forgotten_child(policy, probe):
    child = sandlock.spawn(policy, [probe, "tick"], handlers=[("getppid", Answer())])
    pid = child.pid
    assert len(REGISTRY) == 1
    del child
    gc.collect()
    assert len(REGISTRY) == 0
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


def test_interpreter_exit_frees_a_child_still_running(policy, probe):
    """A child left running at exit is killed and freed before the
    interpreter finalizes, so the library never calls into a dead one."""
    script = f"""
import sandlock
from sandlock import Action, Handler

class Answer(Handler):
    def handle(self, ctx):
        return Action.return_value(1)

policy = sandlock.Policy(fs_read={list(policy.fs_read)!r})
child = sandlock.spawn(policy, [{probe!r}, "ppid-loop", "100000000"], handlers=[("getppid", Answer())])
print(child.pid)
"""
    env = {**os.environ, "PYTHONPATH": os.path.dirname(os.path.dirname(sandlock.__file__))}
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=30)
    assert done.returncode == 0, done.stderr
    assert "FATAL" not in done.stderr and "Traceback" not in done.stderr
    with pytest.raises(ProcessLookupError):
        os.kill(int(done.stdout), 0)


def test_close_returns_a_wait_in_another_thread(policy, probe):
    child = sandlock.spawn(policy, [probe, "tick"])
    seen: list[sandlock.Exit] = []
    waiter = threading.Thread(target=lambda: seen.append(child.wait()))
    waiter.start()
    time.sleep(0.1)
    child.close()
    waiter.join(10)
    assert not waiter.is_alive()
    assert [e.signal for e in seen] == [signal.SIGKILL]


def test_a_failed_spawn_closes_its_pipes(policy, probe):
    before = set(os.listdir("/proc/self/fd"))
    with pytest.raises(sandlock.InvalidError, match="stdin"):
        sandlock.spawn(
            sandlock.Policy(fs_read=policy.fs_read, stdin=b"bytes"),
            [probe, "echo"],
            handlers=[("getppid", Answer())],
            stdin=None,
            stdout=PIPE,
            stderr=PIPE,
        )
    assert set(os.listdir("/proc/self/fd")) == before


HOST = """
import os, sys, time
import sandlock
uid = int(sys.argv[1])
policy = sandlock.Policy(
    fs_read=[d for d in ("/usr", "/lib", "/lib64", "/bin") if os.path.exists(d)],
    uid=uid if uid else None,
    gid=uid if uid else None,
)
child = sandlock.spawn(policy, ["/bin/sh", "-c", "sleep 1000 & echo $$ $!; wait"], stdout=1)
time.sleep(1000)
"""


def _running(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(") ", 1)[1][0] not in "ZX"
    except (FileNotFoundError, ProcessLookupError):
        return False


@pytest.mark.parametrize("uid", [0, 65534])
def test_the_sandbox_dies_with_its_killed_host(uid):
    """A Python host killed with SIGKILL (no finaliser runs) took none of its
    sandboxes along; the guardian kills their groups."""
    package_root = os.path.dirname(os.path.dirname(sandlock.__file__))
    env = {**os.environ, "PYTHONPATH": package_root}
    host = subprocess.Popen([sys.executable, "-c", HOST, str(uid)], stdout=subprocess.PIPE, env=env)
    pids = []
    try:
        pids = [int(p) for p in host.stdout.readline().split()]
        assert len(pids) == 2, pids
        host.kill()
        host.wait()
        deadline = time.monotonic() + 10
        while any(map(_running, pids)) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert not any(map(_running, pids)), f"sandbox processes {pids} outlived their host"
    finally:
        host.kill()
        host.wait()
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


def test_a_forked_process_that_exits_leaves_the_parents_sandbox_alone(policy):
    """A process the host forks without exec finalises its copies of every
    handle when it exits: the copy of a running child killed the parent's
    sandbox (SIGKILL to its group). A handle acts only in its spawner."""
    child = sandlock.spawn(policy, ["/bin/sh", "-c", "sleep 1; exit 7"])
    try:
        pid = os.fork()
        if pid == 0:
            # What the interpreter's exit does to every live handle, without
            # running the rest of this test session in the fork.
            child._free()
            os._exit(0)
        os.waitpid(pid, 0)
        exit = child.wait()
        assert (exit.reason, exit.exit_code) == (ExitReason.EXITED, 7), exit
    finally:
        child.kill()
        child.wait()
