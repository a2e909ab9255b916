"""Reading what the probe printed, and where the header is."""

from __future__ import annotations

from pathlib import Path

import sandlock

#: The repository's header: the contract the binding is held to.
HEADER = Path(__file__).resolve().parent.parent.parent / "include" / "sandlock.h"


def lines(result: sandlock.Result) -> list[str]:
    """The child's stdout, line by line."""
    return result.stdout.decode().splitlines()


def fields(line: str) -> dict[str, str]:
    """``key=value`` pairs of one probe line."""
    return dict(part.split("=", 1) for part in line.split())
