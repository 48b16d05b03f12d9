"""The errors unionstate raises on purpose, each with its exit code.

The CLI turns these, in one place, into a message on stderr and the exit code below.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import IntEnum


class ExitCode(IntEnum):
    """Exit codes: the one table the CLI and the README both follow."""

    OK = 0
    REFUSED = 1  # unknown roadmap or condition, transition not allowed
    USAGE = 2  # bad arguments (Typer/Click's own code for usage errors)
    DATA = 3  # data file missing or invalid
    BUSY = 4  # data file locked by another process, or changed on disk during the update
    WRITE = 5  # could not write (I/O error, read-only file or directory)
    INTERNAL = 70  # a bug: anything not anticipated (EX_SOFTWARE)


class UnionStateError(Exception):
    """Base class: an error with a message meant for the user and an exit code."""

    exit_code = ExitCode.INTERNAL

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def lines(self) -> list[str]:
        """The message, one problem per line."""
        return [self.message]


class Refused(UnionStateError):
    """The request is understood but not allowed: unknown name, forbidden transition."""

    exit_code = ExitCode.REFUSED


class UsageError(UnionStateError):
    """An argument is malformed (e.g. a date that is not YYYY-MM-DD)."""

    exit_code = ExitCode.USAGE


class DataError(UnionStateError):
    """The data file is missing, unreadable or invalid; carries every problem found."""

    exit_code = ExitCode.DATA

    def __init__(self, problems: Iterable[str]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))

    def lines(self) -> list[str]:
        """One line per problem."""
        return self.problems


class Busy(UnionStateError):
    """Another process holds the lock, or the file changed under us."""

    exit_code = ExitCode.BUSY


class WriteFailed(UnionStateError):
    """The new state could not be written; the old file is untouched."""

    exit_code = ExitCode.WRITE
