"""Loading a whole book from a folder of CSV files (``init --from-folder``, ``init --sample``).

A book folder (the format of ``data/sample``, described in ``data/README.md``) loads in
one transaction, through the same constructors and the same rules as every other write.
One run finds every problem: rows that cannot be read (format problems, code ``F01``,
each with its file and line) and, on everything that could be read, every rule error.

By default any error refuses the whole load (nothing is written) and every problem is
listed. With ``allow_problems`` the book loads anyway: a row that cannot be read is
skipped (a field that cannot be read is left empty, see ``data/README.md``), and every
error, format or rule, is stored as an open problem (``services.problems``) naming its
source. Warnings are never stored, and rule errors are never downgraded to warnings.
Problems of the folder itself (a missing file or column, an unusable ``species.json``)
refuse the load even with ``allow_problems``: without them nothing can be checked.

The files ``export book`` adds so that a round trip loses nothing (void records, health
notes, extra local IDs, the book's problems) are read by ``book_folder_extras``, through
this loader's ``read``, ``problem`` and ``attempt``.
"""

from __future__ import annotations

import csv
import json
import math
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from ..dates import FuzzyDate
from ..errors import ImportFormatError, InvalidInputError, StudbookError, ValidationError
from ..io.files import MAX_CONFIG_BYTES, check_input_file, parse_json, read_text_file
from ..models import EVENT_KINDS, Animal, Event, Institution
from ..records import SpeciesParams
from ..rules import ERROR, WARNING, Finding, check_book, errors_of
from ..text import check_studbook_id, clean_text, is_plain_number
from .animals import FLAGS, ParentSpec, add_event, apply_parent, create_animal
from .book import load_book, species_params
from .book_folder_extras import EXTRA_REQUIRED_COLUMNS, FolderExtras
from .institutions import add_institution
from .problems import FORMAT_CODE
from .setup import (
    BOOK_KEYS,
    SPECIES_FIELDS,
    SPECIES_HINT,
    T,
    ensure_species,
    field_kind,
    next_id_value,
    parse_census_date,
    set_species,
    species_problems,
    species_row,
)

PROBLEM_COLUMNS = ("file", "line", "animal", "code", "severity", "message", "hint")

REQUIRED_COLUMNS = {
    "institutions.csv": ("code", "name"),
    "animals.csv": ("studbook_id", "sex", "birth_date", "sire", "dam"),
    "events.csv": ("studbook_id", "event", "date"),
    "mult_parents.csv": ("studbook_id", "role", "candidate", "probability"),
    **EXTRA_REQUIRED_COLUMNS,
}
FOLDER_HINT = ("a book folder holds institutions.csv, animals.csv and events.csv, and optionally species.json, "
               "mult_parents.csv and the files `export book` adds (data/README.md describes them)")
MAX_COLUMNS = 1000  # a book folder file has about a dozen
MAX_FILE_BYTES = 100 * 1024 * 1024  # one file of a book folder; a 100,000-animal book's events.csv is ~10 MB
_TRUE = ("1", "true", "yes", "y")
_FALSE = ("", "0", "false", "no", "n")
Mult = dict[tuple[str, str], list[tuple[int, str, float]]]  # (child, role) -> [(line, candidate, probability)]
Pending = tuple[int, Animal, dict[str, ParentSpec]]  # (line, animal, parent slots to link)



@dataclass(frozen=True)
class LoadProblem:
    """One problem found while loading a book folder: unreadable (F01) or a rule finding."""

    file: str
    line: int | None
    animal: str | None
    code: str
    severity: str
    message: str
    hint: str | None = None
    unit: str = "line"  # "record" for a dBase table

    @property
    def source(self) -> str:
        return f"{self.file} {self.unit} {self.line}" if self.line else self.file

    def text(self) -> str:
        """One line: ``animals.csv line 12: ...`` (rule findings as ``ERROR P02 animal 1250: ...``)."""
        body = self.message if self.code == FORMAT_CODE else (
            f"{self.severity.upper()} {self.code} animal {self.animal}: {self.message}")
        return f"{self.source}: {body}" + (f" (hint: {self.hint})" if self.hint else "")

    def as_row(self) -> dict[str, Any]:
        """A row of the problems CSV (``PROBLEM_COLUMNS``)."""
        return {"file": self.file, "line": self.line if self.line else "", "animal": self.animal or "",
                "code": self.code, "severity": self.severity, "message": self.message, "hint": self.hint or ""}


class BookLoadRefused(ValidationError):
    """The book was not loaded. ``problems`` are the error lines; ``found`` every problem and warning."""

    def __init__(self, reason: str, hint: str | None, found: Iterable[LoadProblem]) -> None:
        self.found = list(found)
        super().__init__(reason, hint, problems=[p.text() for p in self.found if p.severity == ERROR])


@dataclass(frozen=True)
class LoadReport:
    institutions: int
    animals: int
    events: int
    mult_slots: int
    warnings: int
    problems_stored: int = 0
    skipped_rows: int = 0
    found: list[LoadProblem] = field(default_factory=list)  # every problem and warning, for --problems


@dataclass(frozen=True)
class BookTables:
    """A book already read into memory, in the book-folder layout (an import from another format).

    ``rows``: file name (``animals.csv``...) -> (record number, row of text cells);
    ``species``: the ``species.json`` object, or None for none; ``sources``: file name ->
    the name problems give instead (``events.csv`` -> ``moves.dbf``); ``name``: what was read.
    """

    name: str
    rows: Mapping[str, list[tuple[int, dict[str, str]]]]
    species: Mapping[str, Any] | None = None
    sources: Mapping[str, str] = field(default_factory=dict)
    unit: str = "record"


def load_book_folder(session: Session, folder: Path | BookTables, *, allow_problems: bool = False) -> LoadReport:
    """Load a whole book (the format of ``data/sample``) in one transaction.

    Every problem is found in one run (see the module docstring). Any error refuses
    the load (:class:`BookLoadRefused`, listing them all) unless *allow_problems*:
    then the readable rows are loaded and every error is stored as an open problem.
    *folder* may also be a :class:`BookTables` (a book read from another format).
    """
    if session.scalars(select(Animal.id).limit(1)).first() is not None:
        raise ValidationError("this database already holds animals; a book can only be loaded into an empty one",
                              "use a new --db file")
    loader = _FolderLoader(session, folder if isinstance(folder, BookTables) else Path(folder), allow_problems)
    with session.no_autoflush:
        return loader.run()


def _record_line(line_num: int, row: Mapping[Any, Any]) -> int:
    """The first line of a CSV record (``line_num`` is its last; quoted cells may hold line breaks)."""
    breaks = 0
    for value in row.values():
        for cell in value if isinstance(value, list) else [value]:
            breaks += (cell or "").count("\n")
    return line_num - breaks


class _FolderLoader:
    def __init__(self, session: Session, folder: Path | BookTables, allow: bool) -> None:
        self.session, self.allow = session, allow
        self.tables = folder if isinstance(folder, BookTables) else None
        self.folder = Path("." if self.tables else folder)  # type: ignore[arg-type]
        self.where = self.tables.name if self.tables else str(self.folder)
        self.format: list[LoadProblem] = []
        self.fatal: list[str] = []  # files whose problems no --allow-problems can pass over
        self.skipped = 0
        self.species_ok = True
        self.animals: dict[str, Animal] = {}
        self.animal_line: dict[str, int] = {}
        # studbook ID -> (file, line) of its unreadable row in animals.csv or void_animals.csv
        self.unread: dict[str, tuple[str, int]] = {}
        self.event_lines: dict[str, list[tuple[int, str, str]]] = {}  # sid -> (line, kind, date)
        self.births: list[Event] = []
        self.litter_labels: dict[int, str] = {}  # id(birth event) -> the litter column (export book writes it)
        self.next_id_given = False
        self.extras = FolderExtras(self)  # void records, local IDs, health notes, problems (export book)

    # -- problems ---------------------------------------------------------------------
    def problem(self, file: str, line: int | None, animal: str | None, message: str, hint: str | None = None,
                *, fatal: bool = False) -> None:
        self.format.append(LoadProblem(self.source_of(file), line, _valid_id(animal), FORMAT_CODE, ERROR,
                                       _visible_text(message), _visible_text(hint) if hint else None, self.unit))
        if fatal and self.source_of(file) not in self.fatal:
            self.fatal.append(self.source_of(file))

    def attempt(self, file: str, line: int | None, animal: str | None, fn: Callable[..., T], *args: Any,
                **kw: Any) -> T | None:
        """``fn(...)``, or None with a problem line when it refuses."""
        try:
            return fn(*args, **kw)
        except StudbookError as exc:
            self.problem(file, line, animal, exc.reason, exc.hint)
            return None

    def source_of(self, name: str) -> str:
        """The file a problem names: *name*, or the table of another format it was read from."""
        return self.tables.sources.get(name, name) if self.tables else name

    @property
    def unit(self) -> str:
        return self.tables.unit if self.tables else "line"

    # -- reading ----------------------------------------------------------------------
    def read(self, name: str, *, optional: bool = False) -> list[tuple[int, dict[str, str]]]:
        if self.tables is not None:
            return list(self.tables.rows.get(name, []))
        path = self.folder / name
        if not path.exists() and not path.is_symlink():
            if not optional:
                self.problem(name, None, None, f"{name} is missing from {self.folder}", FOLDER_HINT, fatal=True)
            return []
        try:  # a FIFO or a device would block or never end; a huge file is not a book
            check_input_file(path, what=name, max_bytes=MAX_FILE_BYTES, hint=FOLDER_HINT)
        except ImportFormatError as exc:
            self.problem(name, None, None, exc.reason.replace(f"{name} {path}", name, 1), exc.hint, fatal=True)
            return []
        rows: list[tuple[int, dict[str, str]]] = []
        line = 1
        try:
            with path.open(newline="", encoding="utf-8-sig") as fh:
                reader = csv.DictReader(fh)
                header = [h.strip() if h else "" for h in (reader.fieldnames or [])]
                reader.fieldnames = header
                if len(header) > MAX_COLUMNS:
                    self.problem(name, 1, None, f"{name} has {len(header)} columns, more than the limit of "
                                 f"{MAX_COLUMNS} (not a book folder file)", FOLDER_HINT, fatal=True)
                    return []
                missing = [c for c in REQUIRED_COLUMNS[name] if c not in header]
                if missing:
                    self.problem(name, 1, None, f"{name} has no column {', '.join(repr(c) for c in missing)} "
                                 f"(its header: {','.join(header) or 'empty'})",
                                 f"the first line names the columns: {','.join(REQUIRED_COLUMNS[name])}, ...",
                                 fatal=True)
                    return []
                for raw in reader:
                    line = _record_line(reader.line_num, raw)
                    extra = raw.pop(None, None)  # type: ignore[call-overload]
                    row = {k: (v or "") for k, v in raw.items()}
                    if not any(v.strip() for v in row.values()) and not extra:
                        continue  # a blank record (",,,,"): nothing to load
                    if extra:
                        key = REQUIRED_COLUMNS[name][0]
                        if name in ("animals.csv", "void_animals.csv") and row.get(key, "").strip():
                            self.unread.setdefault(row[key].strip(), (name, line))
                        self.problem(name, line, row.get(key) if key == "studbook_id" else None,
                                     f"the row has {len(header) + len(extra)} cells but the header names "
                                     f"{len(header)} columns; it was not read",
                                     "quote cells that contain a comma (\"Wild-caught, Primorsky Krai\")")
                        self.skipped += 1
                        continue
                    rows.append((line, row))
        except UnicodeDecodeError as exc:
            utf16 = exc.object[:2] in (b"\xff\xfe", b"\xfe\xff")
            self.problem(name, line + 1 if line > 1 else None, None, f"{name} is UTF-16 text, not UTF-8" if utf16 else
                         f"{name} is not UTF-8 text (byte 0x{exc.object[exc.start]:02x}; Windows cp1252 or "
                         "Latin-1?)", "save the file as UTF-8 (\"CSV UTF-8\" in Excel or LibreOffice)", fatal=True)
            return []
        except OSError as exc:
            self.problem(name, None, None, f"{name} cannot be read: {exc.strerror or exc}", FOLDER_HINT, fatal=True)
            return []
        except csv.Error as exc:
            self.problem(name, line + 1, None, f"{name} cannot be read as CSV: {exc}",
                         "check the quotes on that line", fatal=True)
            return []
        return rows

    # -- species.json ------------------------------------------------------------------
    def species(self) -> None:
        path = self.folder / "species.json"
        if self.tables is not None and self.tables.species is None or self.tables is None and not path.exists():
            ensure_species(self.session)
            return
        name = "species.json"

        def bad(message: str, hint: str | None = None, line: int | None = None) -> None:
            self.species_ok = False
            self.problem(name, line, None, message, hint, fatal=True)

        hint = "write one JSON object of parameters, as in data/sample/species.json"
        try:
            raw = dict(self.tables.species) if self.tables and self.tables.species is not None else parse_json(
                read_text_file(path, what=name, hint=hint, max_bytes=MAX_CONFIG_BYTES), what=name, hint=hint)
        except ImportFormatError as exc:
            return bad(exc.reason.replace(f"{name} {path}", name, 1), exc.hint)
        if not isinstance(raw, dict):
            return bad("species.json must hold one JSON object of parameters", "see data/sample/species.json")
        values: dict[str, Any] = {}
        census: date | None = None
        census_key: str | None = None
        next_id: int | None = None
        for key, value in raw.items():
            try:
                if key in SPECIES_FIELDS:
                    values[key] = _species_value(key, value)
                elif key in ("census_date", "reference_date"):
                    day = None if value is None else _census_value(key, value)
                    if census_key is not None and day != census:
                        bad(f"{census_key} {census} and {key} {day} differ",
                            "reference_date is the older name of census_date: give one date")
                    census, census_key = day, key
                elif key == "next_studbook_id":
                    next_id = next_id_value(value)
                else:
                    bad(f"unknown key {key!r}",
                        f"the keys are {', '.join(SPECIES_FIELDS + BOOK_KEYS)} (a misspelt key would be ignored)")
            except InvalidInputError as exc:
                bad(exc.reason, exc.hint)
        params = replace(SpeciesParams(), **values)
        for text in species_problems(params):
            bad(text, SPECIES_HINT)
        if not self.species_ok:
            return
        set_species(self.session, params)
        row = species_row(self.session)
        row.census_date = census
        if next_id is not None:
            row.next_studbook_id, self.next_id_given = next_id, True

    # -- institutions.csv -------------------------------------------------------------
    def institutions(self) -> int:
        n = 0
        name = "institutions.csv"
        for line, r in self.read(name):
            code = r["code"].strip().upper()
            lat = self.coordinate(line, code, r, "latitude", 90)
            lon = self.coordinate(line, code, r, "longitude", 180)
            if bool(r.get("latitude", "").strip()) != bool(r.get("longitude", "").strip()):
                given, other = ("latitude", "longitude") if lat is not None else ("longitude", "latitude")
                self.problem(name, line, None, f"institution {code}: the {given} has no {other}; "
                             "coordinates go in pairs", "give both latitude and longitude, or leave both empty; "
                             "the institution is loaded without coordinates")
            if lat is None or lon is None:
                lat = lon = None  # both empty, or one unreadable (reported)
            caps = [self.capacity(line, code, r, k) for k in ("capacity_males", "capacity_females")]
            row = self.attempt(name, line, None, add_institution, self.session, code, name=r["name"],
                               kind=r.get("kind", "").strip() or "zoo", country=r.get("country", "").strip() or None,
                               latitude=lat, longitude=lon, city=r.get("city", "").strip() or None,
                               region=r.get("region", "").strip() or None, capacity_males=caps[0],
                               capacity_females=caps[1])
            if row is None:
                self.skipped += 1
            else:
                n += 1
        return n

    def coordinate(self, line: int, code: str, r: dict[str, str], key: str, limit: int) -> float | None:
        text = r.get(key, "").strip()
        if not text:
            return None
        example = "51.35 for Leipzig" if key == "latitude" else "12.37 for Leipzig, east positive"
        hint = (f"{key} in decimal degrees, -{limit}..{limit} (e.g. {example}); the institution is loaded "
                "without coordinates")
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        if math.isnan(value):
            self.problem("institutions.csv", line, None, f"institution {code}: {key} {text!r} is not a number", hint)
            return None
        if not -limit <= value <= limit:
            self.problem("institutions.csv", line, None,
                         f"institution {code}: {key} {text!r} is outside -{limit}..{limit}", hint)
            return None
        return value

    def capacity(self, line: int, code: str, r: dict[str, str], key: str) -> int | None:
        text = r.get(key, "").strip()
        if not text:
            return None
        if text.isascii() and text.isdigit():
            return int(text)
        self.problem("institutions.csv", line, None,
                     f"institution {code}: {key.replace('_', ' ')} {text!r} is not a whole number of 0 or more",
                     "give the number of spaces, or leave it empty; the institution is loaded without it")
        return None

    # -- mult_parents.csv -------------------------------------------------------------
    def mult(self, name: str = "mult_parents.csv") -> Mult:
        """mult_parents.csv (or void_mult_parents.csv): the candidates of each MULT slot."""
        out: Mult = {}
        for line, r in self.read(name, optional=True):
            sid, role, cand = r["studbook_id"].strip(), r["role"].strip().lower(), r["candidate"].strip()
            prob_text = r["probability"].strip()
            if role not in ("sire", "dam"):
                self.problem(name, line, sid, f"animal {sid}: role {r['role']!r} is not sire or dam",
                             "write sire or dam")
                self.skipped += 1
                continue
            try:
                prob = float(prob_text)
            except ValueError:
                prob = math.nan
            if not 0 < prob <= 1:
                self.problem(name, line, sid, f"animal {sid}: MULT {role} candidate {cand}: probability "
                             f"{prob_text!r} is not a number above 0 and at most 1 [rule P10]",
                             "give each candidate a probability such as 0.5; together they sum to 1")
                self.skipped += 1
                continue
            slot = out.setdefault((sid, role), [])
            if any(c == cand for _, c, _ in slot):
                self.problem(name, line, sid, f"animal {sid}: MULT {role} candidate {cand} is listed twice [rule P10]",
                             "list each candidate once")
                self.skipped += 1
                continue
            slot.append((line, cand, prob))
        return out

    # -- animals.csv ------------------------------------------------------------------
    def flag(self, file: str, line: int, sid: str, r: dict[str, str], key: str) -> bool:
        text = r.get(key, "").strip().lower()
        if text in _TRUE:
            return True
        if text not in _FALSE:
            self.problem(file, line, sid, f"animal {sid}: {key} {r[key]!r} is not 0 or 1",
                         f"write 1 (yes) or 0 (no); {key} was loaded as 0")
        return False

    def animal_rows(self, mult: Mult) -> list[Pending]:
        name = "animals.csv"
        taken: set[str] = set()
        pending: list[Pending] = []
        for line, r in self.read(name):
            got = self.animal_row(name, line, r, mult, taken)
            if got is not None:
                self.animals[got[0].studbook_id] = got[0]
                self.animal_line[got[0].studbook_id] = line
                pending.append((line, *got))
        return pending

    def animal_row(self, name: str, line: int, r: dict[str, str], mult: Mult,
                   taken: set[str]) -> tuple[Animal, dict[str, ParentSpec]] | None:
        """One row of animals.csv (or void_animals.csv): the new animal and its parents, to link later."""
        sid = r["studbook_id"].strip()
        specs = {role: self.parent_spec(name, line, sid, r[role].strip(), role, mult) for role in ("sire", "dam")}
        birth = self.attempt(name, line, sid, FuzzyDate.parse, r["birth_date"], what=f"animal {sid}: birth date")
        notes = {key: self.attempt(name, line, sid, clean_text, r.get(key), what=key.replace("_", " "),
                                   record=f"animal {sid}", multiline=True) if r.get(key, "").strip() else None
                 for key in ("notes", "health_notes")}
        flags = {f: self.flag(name, line, sid, r, f) for f in FLAGS if f in r}
        ai = self.flag(name, line, sid, r, "artificial_insemination")
        a = None if birth is None else self.attempt(
            name, line, sid, create_animal, self.session, sid, sex=r["sex"], birth=birth,
            birth_type=r.get("birth_type", "").strip() or "captive", sire=ParentSpec("UNK"),
            dam=ParentSpec("UNK"), rearing=r.get("rearing", "").strip() or "unknown",
            house_name=r.get("house_name") or None, artificial_insemination=ai, flags=flags, taken=taken)
        if a is None:
            self.skipped += 1
            if sid and sid not in taken:
                self.unread.setdefault(sid, (name, line))
            return None
        a.notes, a.health_notes = notes["notes"], notes["health_notes"]
        taken.add(a.studbook_id)
        return a, specs

    def parent_spec(self, name: str, line: int, sid: str, v: str, role: str, mult: Mult) -> ParentSpec:
        if v.upper() == "MULT":
            return ParentSpec("MULT", None, tuple((c, p) for _, c, p in mult.get((sid, role), ())))
        if v.upper() in ("UNK", "WILD"):
            return ParentSpec(v.upper())
        if not v:
            self.problem(name, line, sid, f"animal {sid}: {role} is blank",
                         f"write UNK for an unknown {role}; it was loaded as UNK")
            return ParentSpec("UNK")
        return ParentSpec("ID", v)

    def parents(self, pending: list[Pending], mult: Mult, *, file: str = "animals.csv",
                lookup: dict[str, Animal] | None = None) -> int:
        """Link parents (a parent may come after its young in the file); returns the MULT slots linked.

        *lookup*: the animals a parent may be (the loaded non-void animals by default; a void
        animal of void_animals.csv may have a void parent too).
        """
        lookup = self.animals if lookup is None else lookup
        mult_file = "mult_parents.csv" if file == "animals.csv" else "void_mult_parents.csv"
        n_mult = 0
        for line, a, specs in pending:
            for role in ("sire", "dam"):
                spec = self.checked_parent(file, mult_file, line, a.studbook_id, role, specs[role], mult, lookup)
                if spec.kind == "MULT":
                    n_mult += 1
                apply_parent(self.session, a, role, spec, lookup)
        self.stray_candidates(mult, file, {a.studbook_id: a for _, a, _ in pending})
        return n_mult

    def checked_parent(self, file: str, mult_file: str, line: int, sid: str, role: str, spec: ParentSpec,
                       mult: Mult, lookup: Mapping[str, Animal]) -> ParentSpec:
        """*spec* with what is not in *lookup* reported and left out (an unknown parent becomes UNK)."""
        rule = " [rule P03]" if file == "animals.csv" else ""
        if spec.kind == "ID" and spec.studbook_id not in lookup:
            self.problem(file, line, sid, f"animal {sid}: {role} {self.missing(spec.studbook_id, rule, file)}",
                         f"register the {role} in {file}, or write UNK; the {role} was loaded as UNK")
            return ParentSpec("UNK")
        if spec.kind != "MULT":
            return spec
        kept = []
        for c_line, cand, prob in mult.get((sid, role), ()):
            if cand in lookup:
                kept.append((cand, prob))
            else:
                self.problem(mult_file, c_line, sid,
                             f"animal {sid}: MULT {role} candidate {self.missing(cand, rule, file)}",
                             f"register the candidate in {file}; this candidate was left out")
        return ParentSpec("MULT", None, tuple(kept))

    def stray_candidates(self, mult: Mult, file: str, children: Mapping[str, Animal]) -> None:
        """MULT rows of an animal whose slot is not MULT, or of an animal not in *file*."""
        mult_file = "mult_parents.csv" if file == "animals.csv" else "void_mult_parents.csv"
        for (sid, role), rows in mult.items():
            child = children.get(sid)
            if child is not None and getattr(child, f"{role}_kind") != "MULT":
                for c_line, _cand, _p in rows:
                    self.problem(mult_file, c_line, sid,
                                 f"animal {sid}: a MULT {role} candidate, but the {role} in {file} is not MULT",
                                 f"write MULT as the {role} in {file}, or remove this row; it was left out")
            elif child is None and sid not in self.unread:
                for c_line, _cand, _p in rows:
                    self.problem(mult_file, c_line, sid, f"animal {sid} is not in {file}",
                                 "remove this row or register the animal")

    def missing(self, sid: str | None, rule: str = " [rule P03]", file: str = "animals.csv") -> str:
        """Why *sid* is not a loaded animal of *file*: an unreadable row, a void record, or no row at all."""
        if sid in self.unread:
            where, line = self.unread[sid]
            return f"{sid} was not loaded: its row ({self.source_of(where)} {self.unit} {line}) could not be read"
        if sid in self.extras.void and file == "animals.csv":
            return f"{sid} is void (void_animals.csv){rule}"
        files = "animals.csv" if file == "animals.csv" else "animals.csv or void_animals.csv"
        return f"{sid} is not in {files}{rule}"

    # -- events.csv -------------------------------------------------------------------
    def events(self, institutions: dict[str, Institution]) -> int:
        """events.csv, with the void events of void_events.csv in their place (the source book's event order)."""
        egg = species_params(self.session).lays_eggs
        n = 0
        for name, line, r in self.extras.merged_events(self.read("events.csv")):
            if name != "events.csv":
                self.extras.void_event(line, r, institutions, egg)
                continue
            sid = r["studbook_id"].strip()
            animal = self.animals.get(sid)
            if animal is None:
                self.problem(name, line, sid, f"animal {self.missing(sid, '')}; this event was not loaded",
                             "load the animal's row first, or remove this event")
                self.skipped += 1
                continue
            ev = self.event_row(name, line, r, animal, institutions, egg)
            if ev is None:
                continue
            self.event_lines.setdefault(sid, []).append((line, ev.kind, str(_event_date(ev))))
            if ev.kind == "birth":
                self.births.append(ev)
            n += 1
        return n

    def event_row(self, name: str, line: int, r: dict[str, str], animal: Animal, institutions: dict[str, Institution],
                  egg: bool) -> Event | None:
        """One row of events.csv (or void_events.csv) as an event of *animal*; None (a problem) when unreadable."""
        sid = animal.studbook_id
        kind = r["event"].strip().lower()
        if kind not in EVENT_KINDS:
            self.problem(name, line, sid, f"animal {sid}: event {r['event']!r} is not one of "
                         f"{', '.join(EVENT_KINDS)}", "write one of them (a recapture is a capture)")
            self.skipped += 1
            return None
        when = self.attempt(name, line, sid, FuzzyDate.parse, r["date"], what=f"animal {sid}: {kind} date")
        if when is None:
            self.skipped += 1
            return None
        laid, wild_egg = self.egg_fields(name, line, sid, kind, r, institutions, egg)
        notes = self.attempt(name, line, sid, clean_text, r.get("notes"), what="notes", record=f"animal {sid}",
                             multiline=True) if r.get("notes", "").strip() else None
        ev = self.attempt(name, line, sid, add_event, self.session, animal, kind, when,
                          at=r.get("institution", "").strip() or None,
                          from_code=r.get("from_institution", "").strip() or None,
                          loan=self.flag(name, line, sid, r, "loan") if "loan" in r else False,
                          cause=r.get("cause") or None, site=r.get("site") or None,
                          local_id=r.get("local_id") or None, institutions=institutions)
        if ev is None:
            self.skipped += 1
            return None
        ev.laid_at, ev.wild_egg, ev.notes = laid, wild_egg, notes
        label = (r.get("litter") or "").strip()
        if kind == "birth" and label:
            self.litter_labels[id(ev)] = label
        self.extras.loaded_event(ev)
        return ev

    def egg_fields(self, name: str, line: int, sid: str, kind: str, r: dict[str, str],
                   institutions: dict[str, Institution], egg: bool) -> tuple[Institution | None, bool]:
        """``laid_at`` and ``wild_egg`` of an event row (left out, with a problem, where they do not apply)."""
        laid_code = r.get("laid_at", "").strip() or None
        wild_egg = self.flag(name, line, sid, r, "wild_egg") if "wild_egg" in r else False
        if (laid_code or wild_egg) and (kind != "birth" or not egg):
            self.problem(name, line, sid, f"animal {sid}: laid_at and wild_egg are for the hatch (birth) of an "
                         f"egg-laying species, not a {kind}" + ("" if egg else " of a live-bearing species"),
                         "set reproduction to egg in species.json, or leave them empty; they were left out")
            return None, False
        laid: Institution | None = None
        if laid_code:
            laid = institutions.get(laid_code) or institutions.get(laid_code.upper())
            if laid is None:
                self.problem(name, line, sid, f"animal {sid}: laid_at {laid_code!r} is not in institutions.csv",
                             "add the institution, or leave laid_at empty; it was left out")
        return laid, wild_egg

    # -- after loading ----------------------------------------------------------------
    def litters(self) -> None:
        """Set the litter id of every birth: from the ``litter`` column of events.csv where it is
        given (births of one dam with the same label are one litter), else by grouping each dam's
        births whose possible dates overlap.

        A group whose births do not all overlap one another (a chain of partial dates) is
        left without an id: the rules then compare its births by their dates, as before.
        Void births (void_events.csv) join the litter their label names; unlabelled, they are
        grouped among themselves (a void young never joins a litter of non-void ones by its date).
        """
        labelled: dict[tuple[int | None, str], list[Event]] = {}
        for ev in self.births + self.extras.void_births:
            if id(ev) in self.litter_labels:
                labelled.setdefault((ev.animal.dam_id, self.litter_labels[id(ev)]), []).append(ev)
        for group_events in labelled.values():  # the litter column says which births are one litter
            litter = min(e.id for e in group_events)
            for e in group_events:
                e.litter_id = litter
        for births in (self.births, self.extras.void_births):
            _litters_by_dates([ev for ev in births if id(ev) not in self.litter_labels])

    def sequence(self) -> None:
        if self.next_id_given or not self.species_ok:
            return
        numbers = [int(s) for s in (*self.animals, *self.extras.void) if is_plain_number(s)]  # void IDs stay taken
        if numbers:
            species_row(self.session).next_studbook_id = max(numbers) + 1

    def rule_problem(self, f: Finding) -> LoadProblem:
        """A rule finding with the line of the animal's row (an event rule: of the event it names)."""
        file, line = "animals.csv", self.animal_line.get(f.studbook_id)
        if f.code.startswith("E") and f.code != "E01":
            evs = self.event_lines.get(f.studbook_id, [])
            # The event the message names first ("released on 2024-09-02", "transfer date 2012-09"...).
            named = sorted((m.start(), ln) for ln, kind, when in evs for m in [re.search(
                rf"\b{re.escape(kind.rstrip('e'))}\w* (?:on|date) {re.escape(when)}\b", f.message)] if m)
            if named or evs:
                file, line = "events.csv", named[0][1] if named else evs[0][0]
        return LoadProblem(self.source_of(file), line, f.studbook_id, f.code, f.severity, f.message, f.hint or None,
                           self.unit)

    # -- the whole load ---------------------------------------------------------------
    def load_records(self) -> tuple[int, int, int]:
        """Read every file and add what could be read; returns (institutions, MULT slots, events)."""
        self.species()
        n_inst = self.institutions()
        institutions = {i.code: i for i in self.session.scalars(select(Institution))}
        mult = self.mult()
        pending = self.animal_rows(mult)
        void_pending = self.extras.void_animals()
        self.session.flush()
        for a in (*self.animals.values(), *self.extras.void.values()):
            set_committed_value(a, "local_ids", [])  # new animals have no local IDs yet: no need to ask the database
        n_mult = self.parents(pending, mult)
        self.extras.void_parents(void_pending)
        n_events = self.events(institutions)
        self.extras.health_notes()
        self.extras.local_ids(institutions)
        self.extras.read_problems()
        self.session.flush()
        self.litters()
        self.sequence()
        self.session.flush()
        return n_inst, n_mult, n_events

    def run(self) -> LoadReport:
        n_inst, n_mult, n_events = self.load_records()
        findings: list[Finding] = []
        if not self.fatal:
            findings = check_book(load_book(self.session))  # void records are not in it: no rule sees them
        rule = [self.rule_problem(f) for f in errors_of(findings)]
        warnings = [self.rule_problem(f) for f in findings if f.severity == WARNING]
        errors = self.format + rule
        found = self.format + sorted(rule + warnings, key=lambda p: (p.file != self.source_of("animals.csv"), p.line or 0))
        self.refuse(errors, len(rule), found)
        stored = self.extras.store_problems(errors)
        return LoadReport(n_inst, len(self.animals), n_events, n_mult, len(warnings), stored, self.skipped, found)

    def refuse(self, errors: list[LoadProblem], n_rule: int, found: list[LoadProblem]) -> None:
        """Raise :class:`BookLoadRefused` when the folder itself is unusable, or on any error without --allow-problems."""
        if self.fatal:
            raise BookLoadRefused(
                f"the book in {self.where} cannot be loaded: {', '.join(self.fatal)} must be fixed first "
                f"({len(errors)} problem(s); the rules were not run); nothing was loaded",
                "fix the listed problems and load again (--allow-problems cannot pass over these)", found)
        if errors and not self.allow:
            raise BookLoadRefused(
                f"the book in {self.where} has {len(errors)} problem(s) ({len(self.format)} unreadable, "
                f"{n_rule} rule error(s)); nothing was loaded",
                "fix the listed lines and load again; --allow-problems loads the book anyway and keeps every error "
                "as an open problem (--problems FILE.csv writes the list to a file)", found)


def _valid_id(sid: str | None) -> str | None:
    """*sid* when it is a valid studbook ID (a problem names its animal only then), else None."""
    if not sid:
        return None
    try:
        return check_studbook_id(sid)
    except InvalidInputError:
        return None


def _visible_text(text: str) -> str:
    """One line of text safe to store and print: control and invisible characters written as escapes."""
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() else (f"\\x{ord(ch):02x}" if ord(ch) <= 0xFF else f"\\u{ord(ch):04x}")
                   for ch in text)


def _event_date(ev: Event) -> FuzzyDate:
    return FuzzyDate.from_db(ev.date, ev.date_precision, ev.date_estimated)


def _litters_by_dates(births: list[Event]) -> None:
    """One litter per group of a dam's births whose possible dates overlap (see ``_FolderLoader.litters``)."""
    by_dam: dict[int, dict[int, tuple[FuzzyDate, list[Event]]]] = {}
    for ev in births:
        a = ev.animal
        if a.dam_kind != "ID" or a.dam_id is None:
            continue
        birth = FuzzyDate.from_db(a.birth_date, a.birth_precision, a.birth_estimated)
        if birth.is_unknown:
            continue
        by_dam.setdefault(a.dam_id, {}).setdefault(a.id, (birth, []))[1].append(ev)
    for young in by_dam.values():
        group: list[tuple[FuzzyDate, list[Event]]] = []
        reach = date.min
        for birth, evs in sorted(young.values(), key=lambda x: (x[0].earliest, x[1][0].id)):
            if group and birth.earliest > reach:
                _set_litter(group)
                group = []
            group.append((birth, evs))
            reach = max(reach, birth.latest) if len(group) > 1 else birth.latest
        _set_litter(group)


def _set_litter(group: list[tuple[FuzzyDate, list[Event]]]) -> None:
    """One litter id (its smallest birth event id) when every two births of the group may be the same day."""
    if not group or max(b.earliest for b, _ in group) > min(b.latest for b, _ in group):
        return
    events = [ev for _, evs in group for ev in evs]
    litter = min(ev.id for ev in events)
    for ev in events:
        ev.litter_id = litter


def _species_value(key: str, value: Any) -> Any:
    kind = field_kind(key)
    label = f"{key} {json.dumps(value, ensure_ascii=False)}"
    if kind == "str":
        if not isinstance(value, str):
            raise InvalidInputError(f"{label} is not text", f"write {key} in quotes")
        return clean_text(value, what=key, record="species.json", limit=120) or ""
    if value is None and kind in ("int?", "float?"):
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InvalidInputError(f"{label} is not a number", f"write {key} as a number, without quotes")
    if kind in ("int", "int?"):
        if isinstance(value, float) and not value.is_integer():
            raise InvalidInputError(f"{label} is not a whole number", f"write {key} in whole days or years")
        return int(value)
    return float(value)


def _census_value(key: str, value: Any) -> date | None:
    if not isinstance(value, str):
        raise InvalidInputError(f"{key} {json.dumps(value)} is not a date", "write \"YYYY-MM-DD\" (or null)")
    return parse_census_date(value)
