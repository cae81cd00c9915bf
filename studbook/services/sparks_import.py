"""``studbook import sparks``: a SPARKS book (exchange + moves tables) into an empty database.

Two steps, so that nothing is created when the files cannot be read:

1. :func:`read_sparks` reads both tables (``.dbf`` or ``.csv``, :mod:`studbook.io.sparks`),
   an optional species file and an optional MULT file, and maps them to book-folder rows
   (:mod:`studbook.io.sparks_map`). Structural faults raise here.
2. :func:`load_sparks` loads those rows through the book-folder loader: the same
   constructors and rules as every other write, every problem found in one run, all or
   nothing unless ``allow_problems`` (then errors are stored as open problems). With
   ``dry_run`` the transaction is rolled back after the report is made.

The mapping is in ``docs/sparks.md``.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from ..errors import ImportFormatError
from ..io.files import MAX_CONFIG_BYTES, check_input_file, parse_json, read_text_file
from ..io.sparks import MAX_TABLE_BYTES, SparksFileError, read_table
from ..io.sparks_map import SparksMapping, map_sparks
from .book_folder import BookTables, LoadProblem, load_book_folder

MULT_COLUMNS = ("studbook_id", "role", "candidate", "probability")
ROLES = {"S": "sire", "D": "dam", "SIRE": "sire", "DAM": "dam"}


@dataclass(frozen=True)
class SparksBook:
    """Both tables read and mapped, not loaded yet."""

    exchange: Path
    moves: Path
    mapping: SparksMapping
    species: dict[str, Any]

    def tables(self) -> BookTables:
        m = self.mapping
        return BookTables(
            name=f"{self.exchange.name} + {self.moves.name}",
            rows={"animals.csv": m.animals, "events.csv": m.events, "institutions.csv": m.institutions,
                  "mult_parents.csv": m.mult},
            species=self.species,
            sources={"animals.csv": self.exchange.name, "events.csv": self.moves.name,
                     "institutions.csv": f"{self.moves.name} (LOCATION)", "mult_parents.csv": "the MULT file"},
        )


@dataclass(frozen=True)
class SparksImportReport:
    exchange: str
    moves: str
    exchange_records: int
    moves_records: int
    animals: int
    events: int
    events_by_kind: dict[str, int]
    institutions_by_kind: dict[str, int]
    mult_slots: int
    deaths_from_exchange: int
    codes_kept_as_notes: dict[str, int]
    fields_kept_as_notes: dict[str, int]
    disagreements: dict[str, int]
    problems_by_code: dict[str, int]
    problems_stored: int
    warnings: int
    skipped_rows: int
    dry_run: bool
    found: list[LoadProblem] = field(default_factory=list)


def read_species_file(path: Path | None) -> dict[str, Any]:
    """The species file (the keys of a book folder's ``species.json``), or {} without one."""
    if path is None:
        return {}
    hint = "give a JSON file like data/sample/species.json"
    raw = parse_json(read_text_file(path, what="the species file", hint=hint, max_bytes=MAX_CONFIG_BYTES),
                     what=f"the species file {path}", hint=hint)
    if not isinstance(raw, dict):
        raise ImportFormatError(f"the species file {path} must hold one JSON object", "see data/sample/species.json")
    return raw


def read_mult_file(path: Path | None) -> list[tuple[int, dict[str, str]]]:
    """MULT candidates: a CSV ``studbook_id,role,candidate,probability`` (what ``export pmx`` writes as mult.csv).

    The first column may also be called ``offspring``; the role is ``sire``/``dam`` or ``S``/``D``.
    """
    if path is None:
        return []
    hint = "one row per MULT candidate: studbook_id,role,candidate,probability"
    text = read_text_file(path, what="the MULT file", hint=hint, max_bytes=MAX_TABLE_BYTES)
    try:
        with io.StringIO(text, newline="") as fh:
            reader = csv.DictReader(fh)
            header = [h.strip().lower() for h in reader.fieldnames or []]
            header = ["studbook_id" if k == 0 and h == "offspring" else h for k, h in enumerate(header)]
            if header[:4] != list(MULT_COLUMNS):
                raise ImportFormatError(f"{Path(path).name}: the header must be {','.join(MULT_COLUMNS)} "
                                        f"(it is {','.join(header[:8]) or 'empty'}{',...' if len(header) > 8 else ''}); nothing was imported",
                                        "one row per MULT candidate, probabilities summing to 1 per animal and role")
            reader.fieldnames = header
            out = []
            for n, r in enumerate(reader, 1):
                row = {k: (v or "").strip() for k, v in r.items() if isinstance(k, str)}
                row["role"] = ROLES.get(row.get("role", "").upper(), row.get("role", ""))
                out.append((n, row))
            return out
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise ImportFormatError(f"{Path(path).name} cannot be read as UTF-8 CSV: {exc}; nothing was imported",
                                "save it as CSV UTF-8") from None


def read_sparks(exchange: Path, moves: Path, *, species_file: Path | None = None,
                mult_file: Path | None = None) -> SparksBook:
    """Read and map both tables; raises on a structural fault (nothing touched yet)."""
    for path, table in ((exchange, "exchange"), (moves, "moves")):  # both refused early, before either is read
        try:
            check_input_file(path, what=f"the {table} table", max_bytes=2**62,
                             hint="give the exchange and moves tables, e.g. exchange.dbf moves.dbf")
        except ImportFormatError as exc:
            raise SparksFileError(exc.reason.replace("nothing was read", "nothing was imported"), exc.hint) from None
    species = read_species_file(species_file)
    incubation = _incubation(species)
    census = _census(species)
    mult = read_mult_file(mult_file)
    mapping = map_sparks(list(read_table(Path(exchange), "exchange")), list(read_table(Path(moves), "moves")),
                         incubation=incubation, census=census, mult=mult)
    if mapping.census_date is not None:
        species = dict(species, census_date=mapping.census_date.isoformat())
    return SparksBook(Path(exchange), Path(moves), mapping, species)


def _incubation(species: dict[str, Any]) -> tuple[int, int] | None:
    lo, hi = species.get("incubation_min_days"), species.get("incubation_max_days")
    if species.get("reproduction") == "egg" and isinstance(lo, int) and isinstance(hi, int) and 0 < lo <= hi:
        return lo, hi
    return None


def _census(species: dict[str, Any]) -> date | None:
    value = species.get("census_date")
    try:
        return date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None  # the loader reports it


def load_sparks(session: Session, book: SparksBook, *, allow_problems: bool = False,
                dry_run: bool = False) -> SparksImportReport:
    """Load *book* into the (empty) database of *session*; see the module docstring.

    A refused load raises :class:`BookLoadRefused` listing every problem. *dry_run*: the
    session is a scratch database (:func:`dry_run_sparks`); errors do not refuse the load.
    """
    loaded = load_book_folder(session, book.tables(), allow_problems=allow_problems or dry_run)
    m = book.mapping
    events = Counter(r["event"] for _n, r in m.events)
    errors = [p for p in loaded.found if p.severity == "error"]
    report = SparksImportReport(
        exchange=str(book.exchange), moves=str(book.moves), exchange_records=len(m.animals), moves_records=m.moves,
        animals=loaded.animals, events=loaded.events, events_by_kind=dict(sorted(events.items())),
        institutions_by_kind=m.institution_kinds, mult_slots=loaded.mult_slots,
        deaths_from_exchange=m.deaths_from_exchange, codes_kept_as_notes=m.codes_kept_as_notes,
        fields_kept_as_notes=m.fields_kept_as_notes, disagreements=m.disagreements,
        problems_by_code=dict(sorted(Counter(p.code for p in errors).items())),
        problems_stored=0 if dry_run else loaded.problems_stored, warnings=loaded.warnings,
        skipped_rows=loaded.skipped_rows, dry_run=dry_run, found=loaded.found,
    )
    return report


def dry_run_sparks(book: SparksBook, *, user: str = "dry-run") -> SparksImportReport:
    """What ``import sparks`` would load, and every problem, without touching the target database.

    The book is loaded into a scratch SQLite database in a temporary folder, deleted after:
    the load itself is the same on every backend.
    """
    from tempfile import TemporaryDirectory

    from ..db import make_engine, session_scope, upgrade

    with TemporaryDirectory(prefix="studbook-dry-run-") as tmp:
        url = "sqlite:///" + str(Path(tmp) / "dry-run.db")
        try:
            upgrade(url)
            with session_scope(url, write=True, user=user, command="import sparks --dry-run") as session:
                return load_sparks(session, book, dry_run=True)
        finally:
            make_engine(url).dispose()
