"""Syscall names to numbers, from the library only.

Numbers differ between architectures (``openat`` is 257 on x86_64 and 56
on aarch64); the library was built for the one it runs on and knows every
syscall of it, so the binding keeps no table of its own.
"""

from __future__ import annotations

import functools

from . import _calls
from ._capi import lib
from ._convert import cstring


@functools.cache
def syscall_nr(name: str) -> int:
    """The number of syscall ``name`` on this architecture (InvalidError
    for a name it does not have)."""
    return _calls.status(lib.sandlock_syscall_nr, cstring(name, "syscall name"))
