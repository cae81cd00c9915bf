"""Known problems: rule errors and unreadable rows kept open instead of blocking a whole book.

A book loaded with ``--allow-problems`` stores each error as an open problem. While
a problem is open, writes about that animal are not refused for it (the registrar
must be able to correct the record), but a write may not add a new error. A
correction that removes an error closes its problem automatically; a problem that
no rule can see (an unreadable row) is closed by hand with a reason.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..errors import InvalidInputError, NotFoundError
from ..models import Problem
from ..rules import ERROR, Finding

# Problems that no rule check can see again: closed only by hand.
FORMAT_CODE = "F01"


@dataclass(frozen=True)
class ProblemRow:
    id: int
    code: str
    severity: str
    animal: str | None
    message: str
    hint: str | None
    source: str | None
    opened: str
    opened_by: str
    resolved: str | None
    resolved_by: str | None
    resolution: str | None


@dataclass(frozen=True)
class NewProblem:
    """A problem to store: what an import found."""

    code: str
    severity: str
    animal: str | None
    message: str
    hint: str | None = None
    source: str | None = None


def _now() -> datetime:
    return datetime.now(UTC)


def _stamp(value: datetime | None) -> str | None:
    return value.isoformat(timespec="seconds") if value is not None else None


def record_problems(session: Session, problems: Iterable[NewProblem]) -> int:
    """Store problems as open (one row each); returns how many."""
    user = str(session.info.get("user", "unknown"))
    now = _now()
    rows = [Problem(code=p.code, severity=p.severity, animal=p.animal, message=p.message, hint=p.hint,
                    source=p.source, opened_at=now, opened_by=user) for p in problems]
    session.add_all(rows)
    session.flush()
    return len(rows)


def known_errors(session: Session, animals: Collection[str]) -> set[tuple[str, str]]:
    """(animal, code) of the open error problems of these animals."""
    if not animals or not has_open_problems(session):
        return set()
    out: set[tuple[str, str]] = set()
    keys = sorted(animals)
    for i in range(0, len(keys), 900):
        for animal, code in session.execute(
            select(Problem.animal, Problem.code).where(
                Problem.resolved_at.is_(None), Problem.severity == ERROR, Problem.animal.in_(keys[i:i + 900]))
        ):
            out.add((str(animal), code))
    return out


def close_mended(session: Session, findings: Iterable[Finding], checked: Iterable[str]) -> int:
    """Close the open rule problems of the *checked* animals that the rules no longer report."""
    checked = set(checked)
    if not checked or not has_open_problems(session):
        return 0
    still = {(f.studbook_id, f.code) for f in findings if f.severity == ERROR}
    user = str(session.info.get("user", "unknown"))
    n = 0
    for p in session.scalars(select(Problem).where(Problem.resolved_at.is_(None), Problem.code != FORMAT_CODE,
                                                    Problem.animal.in_(sorted(checked)))):
        if (p.animal, p.code) not in still:
            p.resolved_at, p.resolved_by, p.resolution = _now(), user, "mended by a correction"
            n += 1
    return n


def has_open_problems(session: Session) -> bool:
    return session.scalars(select(Problem.id).where(Problem.resolved_at.is_(None)).limit(1)).first() is not None


def list_problems(session: Session, *, only_open: bool = False, animal: str | None = None) -> list[ProblemRow]:
    q = select(Problem).order_by(Problem.id)
    if only_open:
        q = q.where(Problem.resolved_at.is_(None))
    if animal is not None:
        q = q.where(Problem.animal == animal)
    return [_row(p) for p in session.scalars(q)]


def _row(p: Problem) -> ProblemRow:
    return ProblemRow(p.id, p.code, p.severity, p.animal, p.message, p.hint, p.source, _stamp(p.opened_at) or "",
                      p.opened_by, _stamp(p.resolved_at), p.resolved_by, p.resolution)


def resolve_problem(session: Session, problem_id: int, *, reason: str) -> ProblemRow:
    """Close one problem by hand (e.g. an unreadable row that was entered again correctly)."""
    if not reason or not reason.strip():
        raise InvalidInputError("closing a problem needs a reason", "give --reason TEXT")
    p = session.get(Problem, problem_id)
    if p is None:
        raise NotFoundError(f"no problem with id {problem_id}", "see `studbook problems list`")
    if p.resolved_at is not None:
        raise InvalidInputError(f"problem {problem_id} was already closed on {_stamp(p.resolved_at)}",
                                "see `studbook problems list`")
    p.resolved_at, p.resolved_by, p.resolution = _now(), str(session.info.get("user", "unknown")), reason.strip()
    session.flush()
    return _row(p)
