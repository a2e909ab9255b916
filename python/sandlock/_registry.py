"""The handlers of live runs, by integer id.

No Python object's address crosses into C: a handler's ``ud`` is an id in
this registry, so a ``ud`` the library hands back can only ever find a live
entry or nothing, never a freed object. An entry is removed by the
handler's ``ud_drop`` (the library's "this handler is gone") and, as a
backstop, by the sweep every run and spawn performs when it ends however
it ends, so no path can leave an entry behind.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterable
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from .handler import Handler


class Entry(NamedTuple):
    """A registered handler and the syscall it was registered on."""

    handler: Handler
    syscall: str


class Registry:
    """Thread-safe id -> Entry map; ids are never reused."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: dict[int, Entry] = {}
        self._next = 1

    def add(self, entry: Entry) -> int:
        """Register ``entry``; its id (never 0, so never NULL as a ``ud``)."""
        with self._lock:
            key = self._next
            self._next += 1
            self._entries[key] = entry
            return key

    def get(self, key: int | None) -> Entry | None:
        """The entry of ``key``, or None once it is gone."""
        with self._lock:
            return self._entries.get(key) if key is not None else None

    def release(self, key: int | None) -> None:
        """``ud_drop``: forget ``key`` (idempotent)."""
        with self._lock:
            if key is not None:
                self._entries.pop(key, None)

    def sweep(self, keys: Iterable[int]) -> None:
        """Forget every one of ``keys`` still present (idempotent)."""
        with self._lock:
            for key in keys:
                self._entries.pop(key, None)

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    def _after_fork_in_child(self) -> None:
        """A fresh lock in a process ``os.fork`` made: one a thread of the
        parent held at the fork (a handler's lookup) stayed held for good,
        and the child's first run with a handler waited on it forever. The
        entries are the parent's runs', consistent under the GIL."""
        self._lock = threading.Lock()


#: The one registry every handler of this process is in.
REGISTRY = Registry()
os.register_at_fork(after_in_child=REGISTRY._after_fork_in_child)
