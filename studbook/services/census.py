"""Which day read commands show the book at: ``--as-of``, else the book's census date, else today.

Entry rules (nothing in the future) always use the real date; reading uses the
census date of a book that declares one (a snapshot such as an imported SPARKS
export or the sample book), and says so. The reading of ``--as-of`` and the choice
of the day are the pure ``pedigree_rows.parse_as_of`` / ``reference_day``, shared with
the analysis read path (which must not load SQLAlchemy on SQLite).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy.orm import Session

from .book import census_date
from .pedigree_rows import parse_as_of
from .pedigree_rows import reference_day as choose_day


@dataclass(frozen=True)
class ReferenceDay:
    """The day to read the book at (None: today) and the note to show when it is not today by choice."""

    day: date | None
    note: str | None = None


def reference_day(session: Session, as_of: str | None) -> ReferenceDay:
    day = parse_as_of(as_of)
    return ReferenceDay(*choose_day(day, None if day is not None else census_date(session)))
