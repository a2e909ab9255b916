"""``make bench`` for the Python binding: nanoseconds per intercepted
getppid answered by a Python Handler and by Static, each as a ratio to the
raw C NOTIF_RECV/NOTIF_SEND floor (benches/floor/notif_floor.c) measured in
the same run. The loop is timed inside the child (benches/floor/
getppid_loop.c), so spawn costs stay out of every figure; rounds interleave
the three paths so that a noisy moment hits them alike, and each figure is
the median of its rounds.

    python3 python/benches/getppid.py [--rounds R] [--calls N]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import sandlock
from sandlock import Action, Handler, Static

REPO = Path(__file__).resolve().parents[2]
FLOOR_SOURCES = REPO / "benches" / "floor"


class ReturnValue(Handler):
    """The cheapest Python handler: the same answer as the floor's."""

    def handle(self, ctx: sandlock.HandlerCtx) -> sandlock.Action:
        return Action.return_value(4242)


def build(out: Path) -> tuple[Path, Path]:
    """Compile the floor supervisor and the getppid loop."""
    built = []
    for name in ("notif_floor", "getppid_loop"):
        exe = out / name
        subprocess.run(["cc", "-O2", "-o", str(exe), str(FLOOR_SOURCES / f"{name}.c")], check=True)
        built.append(exe)
    return built[0], built[1]


def nanos(stdout: bytes, what: str) -> int:
    try:
        return int(stdout.strip())
    except ValueError:
        sys.exit(f"{what} printed {stdout!r} instead of nanoseconds")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--calls", type=int, default=20000, help="getppid calls per round and path")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="sandlock-pybench-") as tmp:
        floor, loop = build(Path(tmp))
        read = [d for d in ("/usr", "/lib", "/lib64", "/bin", "/etc") if os.path.exists(d)]
        policy = sandlock.Policy(fs_read=[*read, tmp], timeout=120)
        n = str(args.calls)

        def floor_run() -> int:
            done = subprocess.run([str(floor), n, "sync", str(loop)], capture_output=True, check=True)
            return nanos(done.stdout, "notif_floor")

        def handled(handler: Handler | Static) -> Callable[[], int]:
            def one() -> int:
                result = sandlock.run(policy, [str(loop), n], handlers=[("getppid", handler)])
                if result.exit.exit_code != 0:
                    sys.exit(f"getppid_loop failed: {result.exit} {result.stderr!r}")
                return nanos(result.stdout, "getppid_loop")

            return one

        paths: dict[str, Callable[[], int]] = {
            "floor_sync": floor_run,
            "python_static_return_value": handled(Static(Action.return_value(4242))),
            "python_handler_return_value": handled(ReturnValue()),
        }
        samples: dict[str, list[float]] = {name: [] for name in paths}
        for _ in range(args.rounds):
            for name, measure in paths.items():
                samples[name].append(measure() / args.calls)
    median = {name: statistics.median(values) for name, values in samples.items()}
    targets = {"python_static_return_value": 1.1, "python_handler_return_value": None}
    print(
        f"\nPython binding: median ns per intercepted getppid ({args.rounds} rounds of {args.calls} calls), "
        "against a raw C NOTIF_RECV/NOTIF_SEND loop"
    )
    print(f"{'path':<34} {'median':>14} {'floor':>14} {'ratio':>8} {'target':>8}")
    floor_ns = median["floor_sync"]
    for name, target in targets.items():
        ratio = median[name] / floor_ns
        verdict = "" if target is None else ("ok" if ratio <= target else "MISSED")
        shown = "-" if target is None else f"{target:.2f}x"
        print(f"{name:<34} {median[name]:>11.0f} ns {floor_ns:>11.0f} ns {ratio:>7.2f}x {shown:>8} {verdict}")


if __name__ == "__main__":
    main()
