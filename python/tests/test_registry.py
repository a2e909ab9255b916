"""The registry of live handlers: empty after many runs and after failing
ones; a registration that fails half way is rolled back, with the library
freeing (ud_drop) what it already owned; an exception raised while the run
call returns cannot orphan an entry; a callback that outlives its run's
grace does not keep one alive.

The autouse fixture in conftest.py already asserts an empty registry after
every test; these tests also count ud_drop calls, because a sweep alone
would hide a handler the library never freed."""

from __future__ import annotations

import dataclasses
import importlib
import os
import signal
import threading
import time

import pytest
from helpers import lines

import sandlock
from sandlock import Action, Handler, Static
from sandlock._registry import REGISTRY, Entry

run_module = importlib.import_module("sandlock.run")
command_module = importlib.import_module("sandlock._command")


class Answer(Handler):
    def handle(self, ctx: sandlock.HandlerCtx) -> sandlock.Action:
        return Action.return_value(5)


class Pass(Handler):
    def handle(self, ctx: sandlock.HandlerCtx) -> sandlock.Action:
        return Action.continue_()


@pytest.fixture
def drops(monkeypatch) -> list[int]:
    """Every id the library's ud_drop released."""
    released: list[int] = []
    real = REGISTRY.release

    def release(key: int | None) -> None:
        released.append(key)
        real(key)

    monkeypatch.setattr(REGISTRY, "release", release)
    return released


def test_many_runs_leave_nothing(policy, probe, drops):
    for _ in range(40):
        result = sandlock.run(policy, [probe, "getppid"], handlers=[("getppid", Answer()), ("openat", Pass())])
        assert lines(result)[2] == "ret=5 errno=0"
    assert len(REGISTRY) == 0
    assert len(drops) == 80


@pytest.mark.parametrize(
    ("argv", "handlers", "error"),
    [
        (["/no/such/program"], [("getppid", Answer())], sandlock.NotFoundError),
        (None, [("getppid", Answer()), ("mount", Answer())], sandlock.DeniedError),
        (None, [("getppid", Answer()), ("mount", Static(Action.continue_()))], sandlock.DeniedError),
        ([], [("getppid", Answer())], sandlock.InvalidError),
    ],
)
def test_failing_runs_leave_nothing(policy, probe, drops, argv, handlers, error):
    python_handlers = sum(isinstance(h, Handler) for _, h in handlers)
    for _ in range(3):
        with pytest.raises(error):
            sandlock.run(policy, [probe, "getppid"] if argv is None else argv, handlers=handlers)
    assert len(REGISTRY) == 0
    if argv == []:
        # argv is refused before the command exists: no handler was created.
        assert drops == []
    else:
        assert len(drops) == 3 * python_handlers


def test_a_bad_registration_is_refused_before_anything_is_created(policy, probe, drops):
    with pytest.raises(sandlock.InvalidError, match="no_such_call"):
        sandlock.run(policy, [probe, "getppid"], handlers=[("getppid", Answer()), ("no_such_call", Answer())])
    with pytest.raises(sandlock.InvalidError, match="handlers\\[1\\]"):
        sandlock.run(policy, [probe, "getppid"], handlers=[("getppid", Answer()), ("getppid", object())])
    assert drops == []


class LibraryProxy:
    """The real library, with some functions replaced."""

    def __init__(self, real, **replaced) -> None:
        self._real = real
        self._replaced = replaced

    def __getattr__(self, name: str):
        return self._replaced.get(name) or getattr(self._real, name)


def test_a_registration_failing_half_way_is_rolled_back(policy, probe, drops, monkeypatch):
    real = command_module.lib
    created = []

    def handler_new(*args):
        if len(created) == 2:
            return None  # the library refused the third handler
        created.append(real.sandlock_handler_new(*args))
        return created[-1]

    monkeypatch.setattr(command_module, "lib", LibraryProxy(real, sandlock_handler_new=handler_new))
    with pytest.raises(sandlock.SandlockError):
        sandlock.run(policy, [probe, "getppid"], handlers=[("getppid", Answer())] * 3)
    assert len(REGISTRY) == 0
    # The two handlers the command owned were freed with it, by the library.
    assert len(drops) == 2


class Raised(Exception):
    pass


def test_an_exception_while_the_run_call_returns_orphans_nothing(policy, probe, drops, monkeypatch):
    def command_run(cmd, err):
        raise Raised

    monkeypatch.setattr(run_module, "lib", LibraryProxy(command_module.lib, sandlock_command_run=command_run))
    with pytest.raises(Raised):
        sandlock.run(policy, [probe, "getppid"], handlers=[("getppid", Answer()), ("openat", Answer())])
    assert len(REGISTRY) == 0
    assert len(drops) == 2  # the command was freed, and its handlers with it


def test_the_sweep_alone_empties_the_registry_when_ud_drop_never_comes(policy, probe, drops, monkeypatch):
    """A library that never calls ud_drop (here: the command is never freed)
    still cannot leave entries behind."""

    def command_run(cmd, err):
        raise Raised

    monkeypatch.setattr(run_module, "lib", LibraryProxy(command_module.lib, sandlock_command_run=command_run))
    monkeypatch.setattr(command_module, "lib", LibraryProxy(command_module.lib, sandlock_command_free=lambda cmd: None))
    with pytest.raises(Raised):
        sandlock.run(policy, [probe, "getppid"], handlers=[("getppid", Answer())])
    assert len(REGISTRY) == 0
    assert drops == []


class Sleeper(Handler):
    """Outlives the run: sleeps (without the GIL) past the policy's grace."""

    def __init__(self) -> None:
        self.started = threading.Event()
        self.done = threading.Event()

    def handle(self, ctx: sandlock.HandlerCtx) -> sandlock.Action:
        self.started.set()
        time.sleep(1.0)
        self.done.set()
        return Action.continue_()


def test_a_callback_past_the_grace_keeps_no_entry(policy, probe, drops):
    sleeper = Sleeper()
    short = dataclasses.replace(policy, timeout=0.2, handler_grace=0.05)
    began = time.monotonic()
    result = sandlock.run(short, [probe, "getppid"], handlers=[("getppid", sleeper)])
    assert time.monotonic() - began < 0.9, "the run waited for the callback past its grace"
    assert sleeper.started.is_set() and not sleeper.done.is_set()
    assert result.exit.reason == sandlock.ExitReason.TIMED_OUT
    assert len(REGISTRY) == 0
    assert sleeper.done.wait(5)
    deadline = time.monotonic() + 5
    while not drops and time.monotonic() < deadline:
        time.sleep(0.01)
    assert len(drops) == 1  # the library freed it when the callback returned


def test_a_process_forked_while_another_thread_looks_up_a_handler_can_register_one():
    """``os.fork`` while another thread held the registry's lock (every
    handled syscall looks its handler up) left the lock held in the new
    process: its first run with a handler waited for good."""
    stop = threading.Event()

    def look_up() -> None:
        while not stop.is_set():
            REGISTRY.get(1)

    looker = threading.Thread(target=look_up)
    looker.start()
    try:
        for round in range(100):
            pid = os.fork()
            if pid == 0:
                signal.alarm(5)
                REGISTRY.release(REGISTRY.add(Entry(Answer(), "getppid")))
                os._exit(0)
            _, status = os.waitpid(pid, 0)
            assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0, f"round {round}: status {status:#x}"
    finally:
        stop.set()
        looker.join()
