"""One error hierarchy for the whole package.

Every error carries a *reason* (what went wrong, naming the record), an optional
*hint* (what to do about it) and an *exit code*. Library code raises these; only
``studbook.cli`` turns them into text and an exit status.

Exit codes: 0 ok, 1 domain/user error, 2 usage error (click), 3 database schema or
connection, 4 conflict (concurrent writers, retries exhausted), 5 permission (the acting user
may not do this, or cannot log in), 130 interrupted.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    USER_ERROR = 1
    USAGE = 2
    DATABASE = 3
    CONFLICT = 4
    PERMISSION = 5
    INTERRUPTED = 130


class StudbookError(Exception):
    """Base class: a reason, an optional hint and an exit code."""

    exit_code: ExitCode = ExitCode.USER_ERROR

    def __init__(self, reason: str, hint: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.hint = hint

    def __str__(self) -> str:
        return self.reason if not self.hint else f"{self.reason} (hint: {self.hint})"


class NotFoundError(StudbookError):
    """A named record (animal, institution, plan...) does not exist."""


class InvalidInputError(StudbookError):
    """A value given by the user cannot be parsed or is out of range."""


class ProblemListError(StudbookError):
    """An error that comes with a list of every problem found (one line each)."""

    def __init__(
        self, reason: str, hint: str | None = None, problems: Sequence[str] = ()
    ) -> None:
        super().__init__(reason, hint)
        self.problems = list(problems)


class ValidationError(ProblemListError):
    """A write would break a studbook rule. ``problems`` lists every finding."""


class PedigreeError(ProblemListError):
    """A pedigree cannot be built (cycle, missing parent, wrong sex...)."""


class ImportFormatError(ProblemListError):
    """An input file is malformed. ``problems`` lists every problem with its line."""


class ConflictError(StudbookError):
    """A concurrent writer won; the command can be run again."""

    exit_code = ExitCode.CONFLICT


class DatabaseError(StudbookError):
    """The database cannot be reached or its schema is not the expected one."""

    exit_code = ExitCode.DATABASE


class SchemaOutOfDateError(DatabaseError):
    """The database schema is behind the code."""


class PermissionDeniedError(StudbookError):
    """The acting user may not make this write (a reader writing, a registrar approving...).

    Nothing is written; the denial itself is recorded in the audit log (``action`` and
    ``record`` say what was refused).
    """

    exit_code = ExitCode.PERMISSION

    def __init__(self, reason: str, hint: str | None = None, *, action: str | None = None,
                 record: str | None = None) -> None:
        super().__init__(reason, hint)
        self.action = action
        self.record = record


class AuthError(PermissionDeniedError):
    """A login failed: unknown user, wrong password, disabled or locked account."""
