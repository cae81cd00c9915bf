"""The book as PMx input files (read only): ``export pmx``.

``pmx_export`` reads the book on a reference day into :class:`PmxExport` (the SPARKS exchange
table with full dates, the MULT candidates and the census of the living) and
``write_pmx_folder`` writes it. Every choice of layout is documented in
``docs/export-sparks-pmx-xlsx.md``; the exchange rows are those of ``services.export_sparks``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from ..dates import FuzzyDate
from ..io.sparks_layout import EXCHANGE_COLUMNS, PMX_CENSUS_COLUMNS, Column
from .census import reference_day
from .export import write_folder
from .export_sparks import (
    MULT_CSV_COLUMNS,
    MULT_FILE,
    DateCells,
    ExchangeBuilder,
    analysis_cells,
    csv_bytes,
    mult_rows,
    read_book,
)
from .pedigree_rows import parse_as_of


def pmx_date(d: FuzzyDate, ending: bool = False) -> DateCells:
    """A full date for PMx: an exact day as it is (blank code); anything else the middle of its
    possible range (``FuzzyDate.midpoint``) with code ``D`` ("estimated day"); undetermined -> none.
    (*ending* makes no difference here.)"""
    if d.is_unknown:
        return None, ""
    if d.is_exact:
        return d.value, ""
    return d.midpoint(), "D"


@dataclass(frozen=True)
class PmxExport:
    """The PMx input files' rows on the reference day ``day`` (None: today)."""

    exchange: list[dict[str, Any]]
    mult: list[dict[str, Any]]
    census: list[dict[str, Any]]
    day: date
    note: str | None
    midpoint_births: int  # birth dates written as the middle of their range (code D)
    no_birth_date: list[str]  # animals with an undetermined birth date (PMx needs one)


def pmx_export(session: Session, as_of: str | None = None) -> PmxExport:
    """The book on the reference day (*as_of*, else the census date, else today) as PMx input.

    The animals born by that day (as ``export pedigree`` and the genetics commands), their
    status from the events that had happened by then; every date full (``pmx_date``).
    """
    from .analysis import load_pedigree

    parse_as_of(as_of)  # a bad --as-of is refused before anything is read
    ref = reference_day(session, as_of)
    day = ref.day or date.today()
    loaded = load_pedigree(session, ref.day)
    book = read_book(session)
    present = set(loaded.pedigree.ids)
    animals = [a for a in book.animals if a.studbook_id in present]
    b = ExchangeBuilder(book, pmx_date, analysis_cells(loaded), day=ref.day)
    index = {a.studbook_id: n for n, a in enumerate(animals, start=1)}
    exchange = [b.exchange_row(a, index, b.last_location(a)) for a in animals]
    mult = mult_rows(book, animals)
    census = []
    for a, row in zip(animals, exchange):
        info = loaded.info[a.studbook_id]
        if info.alive:
            census.append({"STUD_ID": row["STUD_ID"], "SEX": row["SEX"], "BDATE": row["BDATE"],
                           "BIRTH_EST": row["BIRTH_EST"], "LOCATION": row["LOCATION"], "LOCAL_ID": row["LOCAL_ID"],
                           "STATUS": "wild" if info.in_wild else "captive", "CENSUS_DATE": day})
    midpoints = sum(1 for r in exchange if r["BIRTH_EST"] == "D")
    missing = [r["STUD_ID"] for r in exchange if r["BDATE"] is None]
    return PmxExport(exchange, mult, census, day, ref.note, midpoints, missing)


PMX_FILES = ("exchange.csv", "mult.csv", "pmxcens.csv")


def write_pmx_folder(pmx: PmxExport, folder: Path) -> list[str]:
    """Write ``exchange.csv``, ``mult.csv`` and ``pmxcens.csv`` into the new folder *folder*, atomically."""
    census_cols = [next((c for c in EXCHANGE_COLUMNS if c.name == n), Column(n, "C", 0)) for n in PMX_CENSUS_COLUMNS]
    census_cols = [Column("CENSUS_DATE", "D", 8) if c.name == "CENSUS_DATE" else c for c in census_cols]
    files = {"exchange.csv": csv_bytes(EXCHANGE_COLUMNS, pmx.exchange),
             MULT_FILE: csv_bytes(MULT_CSV_COLUMNS, pmx.mult),
             "pmxcens.csv": csv_bytes(census_cols, pmx.census)}
    write_folder(files, folder)
    return list(files)
