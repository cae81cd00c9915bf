"""Genetic history: GD, FGE, mean F, mean MK and founders at each year (or month) end.

Each point is the book *as it stood then*: the rows are read once and
``pedigree_rows.build_loaded(rows, day)`` builds the pedigree of every day, exactly as
``genetics summary --as-of DAY`` does (animals born later left out, each animal's status
from the events that had happened by that day). It is not today's population recomputed.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from datetime import date, timedelta
from typing import Any

from ..errors import InvalidInputError
from .pedigree_rows import BookRows, LoadedPedigree, _as_date, build_loaded, reference_day

EVERY = ("year", "month")


@dataclass(frozen=True)
class HistoryPoint:
    """The living analysis population on one day (``genetics summary --as-of day``).

    ``n_alive`` counts every living animal (``animal list --alive``); ``n_living`` the
    living analysis population L the genetics are computed on; ``n_founders`` the real
    founders represented in L (p > 0). Floats are None when L is empty.
    """

    day: date
    n_alive: int
    n_living: int
    gene_diversity: float | None
    founder_genome_equivalents: float | None
    mean_kinship: float | None
    mean_inbreeding: float | None
    n_founders: int
    founder_equivalents: float | None

    def to_row(self) -> dict[str, Any]:
        row = asdict(self)
        row["day"] = self.day.isoformat()
        return row


@dataclass(frozen=True)
class GeneticHistory:
    """The points, oldest first, and what they were computed over.

    ``last_day``: the book's reference day (``--as-of``, else its census date, else today);
    no point is after it. ``note``: why it is not today when the user did not ask.
    """

    every: str
    points: tuple[HistoryPoint, ...]
    last_day: date
    note: str | None = None
    open_problems: int = 0

    def rows(self) -> list[dict[str, Any]]:
        return [p.to_row() for p in self.points]


def _num(x: float) -> float | None:
    return None if x is None or math.isnan(x) else float(x)


def period_ends(first: date, last: date, every: str = "year") -> list[date]:
    """The year ends (31 December) or month ends from *first*'s period to *last*, both included
    when they fall on or before *last*.

    Example:
        >>> [d.isoformat() for d in period_ends(date(2019, 6, 1), date(2021, 12, 31))]
        ['2019-12-31', '2020-12-31', '2021-12-31']
        >>> [d.isoformat() for d in period_ends(date(2020, 1, 5), date(2020, 3, 30), "month")]
        ['2020-01-31', '2020-02-29']
    """
    if every not in EVERY:
        raise InvalidInputError(f"--every {every!r} is not one of {', '.join(EVERY)}", "use --every year")
    out: list[date] = []
    if every == "year":
        out = [date(y, 12, 31) for y in range(first.year, last.year + 1)]
    else:
        y, m = first.year, first.month
        while (y, m) <= (last.year, last.month):
            nxt = date(y + (m == 12), m % 12 + 1, 1)
            out.append(nxt - timedelta(days=1))
            y, m = nxt.year, nxt.month
    return [d for d in out if d <= last]


def point_of(loaded: LoadedPedigree) -> HistoryPoint:
    """One :class:`HistoryPoint` from a book built on its day (``population_summary``; no day: today)."""
    from ..genetics import population_summary

    ped = loaded.pedigree
    s = population_summary(ped)
    return HistoryPoint(
        day=loaded.day or date.today(), n_alive=int(ped.alive.sum()), n_living=s.n_living,
        gene_diversity=_num(s.gene_diversity), founder_genome_equivalents=_num(s.founder_genome_equivalents),
        mean_kinship=_num(s.mean_kinship), mean_inbreeding=_num(s.mean_inbreeding),
        n_founders=s.n_founders, founder_equivalents=_num(s.founder_equivalents),
    )


def _first_day(rows: BookRows) -> date | None:
    """The earliest birth or event date of the book (None: no dated record)."""
    days = [d for r in rows.animals if (d := _as_date(r[2])) is not None]
    days += [d for r in rows.events if (d := _as_date(r[2])) is not None]
    return min(days) if days else None


def genetic_history(rows: BookRows, *, every: str = "year", from_year: int | None = None,
                    to_year: int | None = None, as_of: date | None = None,
                    progress: Callable[[int, int], None] | None = None) -> GeneticHistory:
    """GD, FGE, mean MK, mean F and founders represented at each period end, from the rows read once.

    Args:
        rows: The read path's rows (``analysis.read_rows`` or ``fastread.read_rows_sqlite``).
        every: ``year`` (31 December) or ``month`` (month ends).
        from_year: First year (default: the first period end with a living animal).
        to_year: Last year (default: the reference day's); its period ends after the
            reference day are left out.
        as_of: The reference day (default: the book's census date, else today).
        progress: Called with (done, total) after each point.

    Raises:
        InvalidInputError: --from after --to, or a range that ends after the reference day.
    """
    day, note = reference_day(as_of, rows.census)
    last = day or date.today()
    for year, option in ((from_year, "--from"), (to_year, "--to")):
        if year is not None and not 1 <= year <= 9998:
            raise InvalidInputError(f"{option} {year} is not a year", "give a year such as 1990")
    if from_year is not None and to_year is not None and from_year > to_year:
        raise InvalidInputError(f"--from {from_year} is after --to {to_year}", "give --from YEAR --to YEAR in order")
    if every not in EVERY:
        raise InvalidInputError(f"--every {every!r} is not one of {', '.join(EVERY)}", "use --every year")
    if to_year is not None and date(to_year, 1 if every == "month" else 12, 31) > last:
        raise InvalidInputError(f"--to {to_year}: the book's reference day is {last.isoformat()}, so no "
                                f"{every} of {to_year} has ended by then",
                                f"give --to {last.year - (every == 'year')} or earlier, or a later --as-of")
    end = min(last, date(to_year, 12, 31)) if to_year is not None else last
    start = date(from_year, 1, 1) if from_year is not None else _first_day(rows)
    if start is None or start > end:
        return GeneticHistory(every, (), last, note, int(rows.open_problems or 0))
    days = period_ends(start, end, every)
    points: list[HistoryPoint] = []
    for n, loaded in enumerate(_books(rows, days), start=1):
        p = point_of(loaded)
        if from_year is not None or points or p.n_alive:  # default start: the first day with living animals
            points.append(p)
        if progress is not None:
            progress(n, len(days))
    return GeneticHistory(every, tuple(points), last, note, int(rows.open_problems or 0))


def _books(rows: BookRows, days: list[date]) -> Iterator[LoadedPedigree]:
    for d in days:
        yield build_loaded(rows, d)


def read_book_rows(url: str, session_factory: Callable[[], Any]) -> BookRows:
    """The read path's rows, once: SQLite files through the read-only fast path, other databases
    through one session (as ``genetics.load_for_analysis``)."""
    from ..config import sqlite_path

    path = sqlite_path(url)
    if path is not None:
        from .fastread import read_rows_sqlite

        return read_rows_sqlite(path)
    from .analysis import read_rows

    with session_factory() as session:
        return read_rows(session)
