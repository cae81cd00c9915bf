"""``studbook validate``: every problem of the whole book at once.

The rules run on the whole book; the open problems that no rule can see (rows of a
loaded book that could not be read, code F01) are listed with them, so ``validate``
fails while any of them is open.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from ..rules import ERROR, Finding, check_book
from .book import load_book
from .problems import FORMAT_CODE, known_errors, list_problems


@dataclass(frozen=True)
class ValidationReport:
    findings: list[Finding]  # rule findings, then the open problems the rules cannot see
    known: int  # how many of the errors are open (known) problems

    @property
    def errors(self) -> int:
        return sum(f.severity == ERROR for f in self.findings)


def open_format_problems(session: Session) -> list[Finding]:
    """The open problems no rule can see (unreadable rows), as findings."""
    return [
        Finding(p.code, p.severity, p.animal or "",
                f"{p.message} (open problem {p.id}" + (f", {p.source}" if p.source else "") + ")", p.hint or "")
        for p in list_problems(session, only_open=True) if p.code == FORMAT_CODE
    ]


def validation_report(session: Session) -> ValidationReport:
    """All errors and warnings of the book, animal by animal, then the open unreadable-row problems."""
    rule = check_book(load_book(session))
    fmt = open_format_problems(session)
    errors = [f for f in rule if f.severity == ERROR]
    known = known_errors(session, {f.studbook_id for f in errors})
    n_known = sum((f.studbook_id, f.code) in known for f in errors) + sum(f.severity == ERROR for f in fmt)
    return ValidationReport(rule + fmt, n_known)


def validate_book(session: Session) -> list[Finding]:
    """All errors and warnings of the book (rules, and the open problems they cannot see)."""
    return validation_report(session).findings
