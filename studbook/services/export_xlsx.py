"""The whole book as one Excel workbook for zoo staff (read only).

The tables are those of ``export book`` (``services.export.book_export``): one sheet each, in the
order of the book folder, with the species parameters first. ``io.xlsx.write_xlsx`` applies the
workbook rules (IDs as text, real date cells for exact days, frozen header, autofilter, no
formula). Here the text cells of the folder get their types back: numbers (coordinates,
capacities, probabilities, 0/1 flags) as numbers, problem timestamps as date-times, the census
date as a date. Layout decisions: ``docs/export-sparks-pmx-xlsx.md``.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from ..errors import InvalidInputError
from .export import BookExport, book_export, check_new_file, current_umask

# Sheet name per file of the book folder, in the workbook's order.
SHEETS = {
    "institutions.csv": "institutions", "animals.csv": "animals", "mult_parents.csv": "mult parents",
    "events.csv": "events", "void_animals.csv": "void animals", "void_mult_parents.csv": "void mult parents",
    "void_events.csv": "void events", "local_ids.csv": "local ids", "health_notes.csv": "health notes",
    "problems.csv": "problems",
}
INT_COLUMNS = {"capacity_males", "capacity_females", "exclude_from_analysis", "do_not_breed", "contracepted",
               "hybrid_suspect", "exclude_from_release", "artificial_insemination", "loan", "wild_egg"}
FLOAT_COLUMNS = {"latitude", "longitude", "probability"}
DATETIME_COLUMNS = {"opened_at", "resolved_at"}
# IDs and codes: always text (``io.xlsx`` also treats every ``*_id`` column as text).
TEXT_COLUMNS = ("studbook_id", "local_id", "sire", "dam", "candidate", "animal", "code", "institution",
                "from_institution", "laid_at", "event_institution", "litter", "house_name", "site")
DATE_COLUMNS = ("date", "birth_date", "event_date")

Sheet = tuple[str, tuple[str, ...], list[list[Any]]]


@dataclass(frozen=True)
class Workbook:
    sheets: list[Sheet]

    def counts(self) -> dict[str, int]:
        return {name: len(rows) for name, _cols, rows in self.sheets}


def _typed(column: str, text: str) -> Any:
    """A folder cell back to its type (see the module docstring); empty -> None (an empty cell)."""
    if text == "":
        return None
    try:
        if column in INT_COLUMNS:
            return int(text)
        if column in FLOAT_COLUMNS:
            return float(text)
        if column in DATETIME_COLUMNS:
            return datetime.fromisoformat(text)
    except ValueError:
        return text
    return text


def _species_rows(species: dict[str, Any]) -> list[list[Any]]:
    rows: list[list[Any]] = []
    for key, value in species.items():
        if key == "census_date" and isinstance(value, str):
            value = date.fromisoformat(value)
        rows.append([key, value])
    return rows


def workbook_of(book: BookExport) -> Workbook:
    """The sheets of *book*: species (field, value), then one per table of the book folder."""
    sheets: list[Sheet] = [("species", ("field", "value"), _species_rows(book.species))]
    for f in book.files:
        rows = [[_typed(c, r.get(c, "")) for c in f.columns] for r in f.rows]
        sheets.append((SHEETS.get(f.name, f.name.removesuffix(".csv")), f.columns, rows))
    return Workbook(sheets)


def book_workbook(session: Session) -> Workbook:
    """Read the whole book (``book_export``) into the sheets of the workbook."""
    return workbook_of(book_export(session))


def check_xlsx_target(path: Path) -> None:
    """FILE must be new and end in ``.xlsx`` (Excel opens a workbook by its extension)."""
    if Path(path).suffix.lower() != ".xlsx":
        raise InvalidInputError(f"{path} does not end in .xlsx; nothing was written",
                                "give a file name ending in .xlsx (Excel opens a workbook by its extension)")
    check_new_file(Path(path))
    if not Path(path).resolve().parent.is_dir():
        raise InvalidInputError(f"folder {Path(path).resolve().parent} does not exist; nothing was written",
                                "create the folder first, or give another path")


def write_workbook(workbook: Workbook, path: Path) -> None:
    """Write the workbook to the new file *path*: into a temporary file of the same folder first,
    then linked into place (never over an existing file; a failure leaves nothing)."""
    from ..io.xlsx import write_xlsx

    path = Path(path)
    check_xlsx_target(path)
    parent = path.resolve().parent
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".xlsx", dir=parent)
    os.close(fd)
    tmp = Path(name)
    try:
        write_xlsx(tmp, workbook.sheets, text_columns=TEXT_COLUMNS, date_columns=DATE_COLUMNS)
        tmp.chmod(0o666 & ~current_umask())  # mkstemp makes it private; the workbook gets the usual mode
        try:
            os.link(tmp, path)  # fails if the file appeared meanwhile: never overwrite it
        except FileExistsError:
            raise InvalidInputError(f"{path} already exists; nothing was written",
                                    "give the name of a new file; an export never overwrites files") from None
        except OSError:  # a file system without hard links
            check_new_file(path)
            os.replace(tmp, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
