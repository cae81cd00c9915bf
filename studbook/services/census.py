"""Which day read commands show the book at: ``--as-of``, else the book's census date, else today.

Entry rules (nothing in the future) always use the real date; reading uses the
census date of a book that declares one (a snapshot such as an imported SPARKS
export or the sample book), and says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy.orm import Session

from ..dates import FuzzyDate
from ..errors import InvalidInputError
from .book import census_date


@dataclass(frozen=True)
class ReferenceDay:
    """The day to read the book at (None: today) and the note to show when it is not today by choice."""

    day: date | None
    note: str | None = None


def parse_day(text: str, what: str = "--as-of") -> date:
    """A full date (YYYY-MM-DD); a month or year means its last day."""
    d = FuzzyDate.parse(text, what=what)
    if d.is_unknown or d.estimated:
        raise InvalidInputError(f"{what} {text!r} must be a date such as 2010-01-01", "write YYYY-MM-DD")
    return d.latest


def reference_day(session: Session, as_of: str | None) -> ReferenceDay:
    if as_of:
        return ReferenceDay(parse_day(as_of))
    census = census_date(session)
    if census is None:
        return ReferenceDay(None)
    return ReferenceDay(census, f"As of the book's census date {census.isoformat()} "
                                "(--as-of DATE for another day; `studbook species set --census-date none` to use today).")
