"""The child's standard streams as the command's fds.

A stream is None (the library's default: captured by ``run``, /dev/null
for ``spawn``), an fd, an object with ``fileno()``, or PIPE (``spawn``
only): a new pipe whose other end the Process keeps. The library
duplicates every fd it is given at once, so the child's ends of the pipes
are closed right after the command has them.
"""

from __future__ import annotations

import os
from typing import IO

from ._convert import INT32_MAX, integer
from .actions import HasFileno
from .errors import InvalidError


class _Pipe:
    """The PIPE marker."""

    def __repr__(self) -> str:
        return "sandlock.PIPE"


#: Connect the stream to a new pipe; the Process gets the other end.
PIPE = _Pipe()

#: What a stream argument may be.
Stream = int | HasFileno | _Pipe | None


def fd_of(stream: Stream, what: str) -> int | None:
    """The fd a stream argument names (None: the library's default)."""
    if stream is None:
        return None
    if isinstance(stream, HasFileno):
        stream = stream.fileno()
    if isinstance(stream, bool) or not isinstance(stream, int):
        raise InvalidError(f"{what} must be None, an fd, a file object or PIPE, not {stream!r}")
    return integer(stream, 0, INT32_MAX, f"{what} fd")


class Pipes:
    """The streams of one spawn: the fds the command gets, the child's ends
    of new pipes (closed once the command has its copies) and the caller's
    ends, as files for the Process."""

    def __init__(self, stdin: Stream, stdout: Stream, stderr: Stream) -> None:
        self.fds: list[int | None] = [None, None, None]
        self.files: list[IO[bytes] | None] = [None, None, None]
        self._child_ends: list[int] = []
        try:
            for i, (stream, what) in enumerate(((stdin, "stdin"), (stdout, "stdout"), (stderr, "stderr"))):
                if stream is PIPE:
                    read_end, write_end = os.pipe2(os.O_CLOEXEC)
                    child_end, own_end, mode = (read_end, write_end, "wb") if i == 0 else (write_end, read_end, "rb")
                    self._child_ends.append(child_end)
                    self.fds[i] = child_end
                    try:
                        self.files[i] = open(own_end, mode)
                    except BaseException:
                        os.close(own_end)
                        raise
                else:
                    self.fds[i] = fd_of(stream, what)
        except BaseException:
            self.close_child_ends()
            self.close_files()
            raise

    def close_child_ends(self) -> None:
        """Close the child's ends of the pipes (the command holds copies)."""
        while self._child_ends:
            os.close(self._child_ends.pop())

    def close_files(self) -> None:
        """Close the caller's ends."""
        for f in self.files:
            if f is not None:
                f.close()
