"""Python values as C arguments, refused instead of silently mangled.

ctypes truncates a ``bytes`` at its first NUL when it becomes a
``const char *`` and wraps an out-of-range int into any C integer type;
both would hand the library a different value than the caller wrote (port
70000 would become 4464, signal 2**32 + 9 SIGKILL, fd 2**32 + 1 the
caller's stdout). These conversions raise InvalidError instead, in the
words the library uses for its own invalid arguments: every string passes
``cstring`` and every int ``integer`` (or ``signed``/``unsigned``) before it
becomes a C argument.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable
from typing import TypeVar, Union

from .errors import InvalidError

#: What the binding accepts where the C API takes a string or a path.
StrOrPath = Union[str, bytes, "os.PathLike[str]", "os.PathLike[bytes]"]

T = TypeVar("T")


def cstring(value: StrOrPath, what: str) -> bytes:
    """``value`` as the bytes of a C string (file-system encoding for str)."""
    if not isinstance(value, (str, bytes, os.PathLike)):
        raise InvalidError(f"{what} must be a str, bytes or path, not {type(value).__name__}")
    encoded = os.fsencode(value)
    if b"\0" in encoded:
        raise InvalidError(f"{what} {encoded!r} contains a NUL byte")
    return encoded


#: The largest ``int``/``int32_t``: the bound of an fd or a process group.
INT32_MAX = (1 << 31) - 1


def integer(value: int, low: int, high: int, what: str) -> int:
    """``value`` checked to be an int in ``low..=high`` (a range within the
    C type it becomes)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidError(f"{what} must be an int, not {type(value).__name__}")
    if not low <= value <= high:
        raise InvalidError(f"{what} {value} is not in {low}..={high}")
    return value


def unsigned(value: int, bits: int, what: str) -> int:
    """``value`` checked to fit a ``uint<bits>_t``."""
    return integer(value, 0, (1 << bits) - 1, what)


def signed(value: int, bits: int, what: str) -> int:
    """``value`` checked to fit an ``int<bits>_t``."""
    return integer(value, -(1 << (bits - 1)), (1 << (bits - 1)) - 1, what)


def milliseconds(seconds: float, what: str) -> int:
    """A duration in seconds as whole milliseconds, rounded up so that a
    positive duration never becomes the library's invalid 0."""
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)):
        raise InvalidError(f"{what} must be a number of seconds, not {type(seconds).__name__}")
    if not math.isfinite(seconds) or seconds < 0:
        raise InvalidError(f"{what} {seconds} is not a finite, non-negative number of seconds")
    return unsigned(math.ceil(seconds * 1000), 64, f"{what} in milliseconds")


def items(values: Iterable[T], what: str) -> Iterable[T]:
    """The entries of a sequence field; a lone string would be iterated
    character by character, so it is refused."""
    if isinstance(values, (str, bytes, os.PathLike)):
        raise InvalidError(f"{what} must be a sequence, not a single {type(values).__name__} ({values!r})")
    return values
