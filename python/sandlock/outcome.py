"""How a run or a spawned child ended: the library's exit snapshot
(``sandlock_exit_t``) as Python values, and a run's captured output."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from ._capi import ExitData


class ExitReason(enum.IntEnum):
    """``sandlock_exit_reason_t``: why the child ended."""

    #: It exited by itself (``exit_code``).
    EXITED = 0
    #: A signal from outside the library, or from the program itself.
    SIGNALED = 1
    #: The policy's timeout killed the sandbox.
    TIMED_OUT = 2
    #: A handler failed on ``syscall_nr`` and its exception policy killed it.
    HANDLER_FAILED = 3
    #: A handler answered ``syscall_nr`` with a kill.
    HANDLER_KILLED = 4


@dataclass(frozen=True)
class Exit:
    """The exit snapshot. ``exit_code`` is None when a signal ended the child
    and ``signal`` None when it exited; ``syscall_nr`` names the handled
    syscall for the two handler reasons and is None otherwise."""

    #: An ExitReason (an int for a reason newer than this binding).
    reason: ExitReason | int
    exit_code: int | None
    signal: int | None
    syscall_nr: int | None
    #: Captured output past the policy's ``max_output`` was discarded.
    stdout_truncated: bool = False
    stderr_truncated: bool = False

    @property
    def returncode(self) -> int:
        """subprocess's convention: the exit code, or minus the signal."""
        return self.exit_code if self.exit_code is not None else -(self.signal or 0)

    @classmethod
    def from_c(cls, data: ExitData) -> Exit:
        """A copy of the library's snapshot (which the library owns)."""
        reason: ExitReason | int
        try:
            reason = ExitReason(data.reason)
        except ValueError:
            reason = data.reason
        signaled = data.signal != 0
        return cls(
            reason=reason,
            exit_code=None if signaled else data.exit_code,
            signal=data.signal if signaled else None,
            syscall_nr=data.syscall_nr if data.syscall_nr >= 0 else None,
            stdout_truncated=bool(data.stdout_truncated),
            stderr_truncated=bool(data.stderr_truncated),
        )


@dataclass(frozen=True)
class Result:
    """A finished run: how it ended and what it wrote (the streams that were
    not sent to an fd)."""

    exit: Exit
    stdout: bytes
    stderr: bytes

    @property
    def returncode(self) -> int:
        """The exit code, or minus the signal that ended the child."""
        return self.exit.returncode
