"""Runs from several Python threads at once: each child gets the answer of
its own run's handler, and the registry ends empty."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from helpers import lines

import sandlock
from sandlock import Action, Handler, Static
from sandlock._registry import REGISTRY


class Answer(Handler):
    def __init__(self, value: int) -> None:
        self.value = value

    def handle(self, ctx: sandlock.HandlerCtx) -> sandlock.Action:
        return Action.return_value(self.value)


def test_concurrent_runs_each_see_their_own_handler(policy, probe):
    def one(i: int) -> tuple[int, str, str]:
        handler = Answer(1000 + i)
        result = sandlock.run(
            policy,
            [probe, "getppid"],
            handlers=[("getppid", handler), ("getcwd", Static(Action.errno(i % 100 + 1)))],
        )
        return i, lines(result)[2], lines(result)[3]

    with ThreadPoolExecutor(max_workers=6) as pool:
        outcomes = list(pool.map(one, range(36)))
    for i, ret, after in outcomes:
        assert (ret, after) == (f"ret={1000 + i} errno=0", "after")
    assert len(REGISTRY) == 0


def test_spawns_from_threads_each_see_their_own_handler(policy, probe):
    def spawned(i: int) -> bytes:
        with sandlock.spawn(
            policy, [probe, "getppid"], handlers=[("getppid", Answer(i))], stdout=sandlock.PIPE
        ) as child:
            child.wait()
            return child.stdout.read().splitlines()[2]

    with ThreadPoolExecutor(max_workers=4) as pool:
        assert list(pool.map(spawned, range(12))) == [b"ret=%d errno=0" % i for i in range(12)]
