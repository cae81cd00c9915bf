"""The book as SPARKS tables (``exchange`` + ``moves``), read only.

``sparks_export`` reads the book into :class:`SparksTables` (typed cells: text, dates, logicals,
numbers) and ``write_sparks_folder`` writes them as dBase III files or CSV. The PMx input files
(``services.export_pmx``) reuse the exchange rows built here. Every choice of
layout is documented in ``docs/export-sparks-pmx-xlsx.md``; the column layout is
``studbook.io.sparks_layout``.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..dates import FuzzyDate
from ..errors import InvalidInputError
from ..io.dbf_write import DbfColumn, dbf_bytes, fit_columns
from ..io.sparks_layout import (
    CODE_OF_EVENT,
    EXCHANGE_COLUMNS,
    EXCHANGE_FILE,
    MOVES_COLUMNS,
    MOVES_FILE,
    NOT_COMPUTED,
    PARENT_WORDS,
    PMX_MULT_COLUMNS,
    RIGHT_ALIGNED,
    SEX_CODE,
    Column,
)
from ..models import Animal, Event, Institution, LocalId, ParentCandidate
from ..records import LOCATION_EVENTS, WILD_KINDS, EventFacts, order_events, status_of
from .animals import FLAGS
from .census import reference_day
from .export import id_order, write_folder
from .pedigree_rows import LoadedPedigree

FORMATS = ("dbf", "csv")
MULT_FILE = "mult.csv"
SPECIES_FILE = "species.json"
MULT_CSV_COLUMNS = tuple(Column(n, "N" if n == "probability" else "C", 0) for n in PMX_MULT_COLUMNS)
ENCODING = "cp1252"  # DBF text, as SPARKS (Windows ANSI)
ARRIVALS = ("birth", "capture")
ENDINGS = (CODE_OF_EVENT["death"], CODE_OF_EVENT["ltf"])  # a year-only date is written as 31 December
NOTE_MOVE = re.compile(r"^SPARKS move (?P<code>\S+) at (?P<loc>.*) on (?P<date>\S+)$")
NOTE_CELL = re.compile(r"^SPARKS (?:REM_DATE (?P<rem>\S+)|INSTCODE (?P<inst>.+)"
                       r"|(?P<physical>PHYSICAL F \(an ownership-only move\)))$")
NOTE_SEPARATOR = "; "

DateCells = tuple[date | None, str]


# --- dates ---------------------------------------------------------------------------------

def sparks_date(d: FuzzyDate, ending: bool = False) -> DateCells:
    """A book date as a SPARKS date and estimate code, the reading ``import sparks`` inverts.

    Exact day -> the day, blank; ``~day`` -> the day, ``D``; month ``2004-05`` -> 2004-05-01,
    ``M``; year ``2004`` -> 2004-01-01, ``Y``, but 2004-12-31 for an *ending* (a death or loss
    to follow-up), as SPARKS itself stores a death known by its year; undetermined -> no date,
    blank. An estimated month or year (``~2004-05``, ``~2004``) is written as the month or year:
    SPARKS has no code for it, so its ``~`` is lost (:func:`estimate_lost`).
    """
    if d.is_unknown:
        return None, ""
    if d.precision == "D":
        return d.value, "D" if d.estimated else ""
    if d.precision == "Y" and ending:
        return d.value.replace(month=12, day=31), "Y"
    return d.value, d.precision


def estimate_lost(d: FuzzyDate) -> bool:
    """True for an estimated month or year, whose ``~`` the SPARKS codes cannot carry."""
    return d.estimated and d.precision in ("M", "Y")


# --- reading the book ------------------------------------------------------------------------

@dataclass
class _Book:
    """The non-void records, in the shapes the exporters need (no lazy loading)."""

    animals: list[Animal]
    sid: dict[int, str]
    code: dict[int, str]
    kinds: dict[str, str]
    events: dict[int, list[tuple[EventFacts, Event]]]  # animal pk -> its events in order
    candidates: dict[tuple[int, str], list[tuple[str, float]]]
    locals_: dict[int, list[LocalId]]  # animal pk -> local IDs, by id
    institutions: int  # institutions with more than a code (name, place, capacities)
    void_animals: int
    void_events: int


def read_book(session: Session) -> _Book:
    insts = list(session.scalars(select(Institution).order_by(Institution.id)))
    code = {i.id: i.code for i in insts}
    kinds = {i.code: i.kind for i in insts}
    everyone = list(session.scalars(select(Animal).order_by(Animal.id)))
    animals = sorted((a for a in everyone if not a.void), key=lambda a: id_order(a.studbook_id))
    sid = {a.id: a.studbook_id for a in animals}
    events: dict[int, list[tuple[EventFacts, Event]]] = {}
    void_events = 0
    for e in session.scalars(select(Event).order_by(Event.id)):
        if e.void or e.animal_id not in sid:
            void_events += 1
            continue
        facts = EventFacts(sid[e.animal_id], e.kind, FuzzyDate.from_db(e.date, e.date_precision, e.date_estimated),
                           code.get(e.institution_id) if e.institution_id else None,
                           code.get(e.from_institution_id) if e.from_institution_id else None,
                           event_id=e.id, loan=bool(e.loan))
        events.setdefault(e.animal_id, []).append((facts, e))
    for pk, evs in events.items():
        by_id = {f.event_id: (f, e) for f, e in evs}
        events[pk] = [by_id[f.event_id] for f in order_events(f for f, _e in evs)]
    candidates: dict[tuple[int, str], list[tuple[str, float]]] = {}
    for c in session.scalars(select(ParentCandidate).order_by(ParentCandidate.id)):
        if c.animal_id in sid and c.candidate_id in sid:
            candidates.setdefault((c.animal_id, c.role), []).append((sid[c.candidate_id], float(c.probability)))
    locals_: dict[int, list[LocalId]] = {}
    for li in session.scalars(select(LocalId).order_by(LocalId.id)):
        if li.animal_id in sid:
            locals_.setdefault(li.animal_id, []).append(li)
    details = sum(1 for i in insts if i.name != i.code or any(
        v is not None and v != "" for v in (i.city, i.country, i.region, i.latitude, i.capacity_males,
                                             i.capacity_females)))
    return _Book(animals, sid, code, kinds, events, candidates, locals_, details,
                 sum(1 for a in everyone if a.void), void_events)


def analysis_cells(loaded: LoadedPedigree) -> dict[str, tuple[float, float, float]]:
    """studbook ID -> (F, proportion known, MK) on the loaded day; MK is NOT_COMPUTED outside the
    living analysis population (the numbers of ``genetics inbreeding`` and ``genetics mean-kinship``)."""
    import numpy as np

    from ..genetics import inbreeding, mean_kinship, percent_known

    ped = loaded.pedigree
    if ped.n == 0:
        return {}
    f = inbreeding(ped)
    known = percent_known(ped)
    living = np.asarray(ped.living, dtype=np.int64)
    mk = {int(i): float(v) for i, v in zip(living.tolist(), mean_kinship(ped, living).tolist())} if len(living) \
        else {}
    return {s: (float(f[i]), float(known[i]), mk.get(i, NOT_COMPUTED)) for i, s in enumerate(ped.ids)}


# --- the exchange and moves rows --------------------------------------------------------------

@dataclass
class _Extras:
    """Move cells the SPARKS importer keeps as note fragments (``SPARKS REM_DATE d`` ...)."""

    rem: FuzzyDate | None = None
    inst: str = ""
    physical: bool = True
    seen: bool = False


@dataclass
class _NoteMove:
    """A move the importer kept as ``SPARKS move XX at LOC on DATE`` (a code the book has no event for)."""

    code: str
    location: str
    date: FuzzyDate
    extras: _Extras = field(default_factory=_Extras)


def parse_event_notes(notes: str | None) -> tuple[_Extras, list[_NoteMove], bool]:
    """What the SPARKS importer wrote into an event's notes, and whether other text is left.

    The importer joins fragments with ``"; "``: the event's own cells (``SPARKS REM_DATE d``,
    ``SPARKS INSTCODE x``, ``SPARKS PHYSICAL F (an ownership-only move)``) and the moves it has
    no event for (``SPARKS move XX at LOC on DATE``, each followed by its own cells). A cell
    fragment belongs to the move fragment before it, else to the event. Returns (the event's
    cells, the moves, other text found).
    """
    own = _Extras()
    moves: list[_NoteMove] = []
    current = own
    other = False
    for part in (notes or "").split(NOTE_SEPARATOR):
        if not part.strip():
            continue
        m = NOTE_MOVE.match(part)
        if m is not None:
            when = _parse_date(m["date"])
            if when is not None:
                moves.append(_NoteMove("" if m["code"] == "(blank)" else m["code"],
                                       "" if m["loc"] == "(none)" else m["loc"], when))
                current = moves[-1].extras
                continue
        m = NOTE_CELL.match(part)
        if m is not None:
            if m["rem"] and current.rem is None and (rem := _parse_date(m["rem"])) is not None:
                current.rem, current.seen = rem, True
                continue
            if m["inst"] and not current.inst:
                current.inst, current.seen = m["inst"], True
                continue
            if m["physical"] and current.physical:
                current.physical, current.seen = False, True
                continue
        other = True
    return own, moves, other


def move_order(evs: Sequence[tuple[EventFacts, Event]]) -> list[tuple[EventFacts, Event]]:
    """An animal's moves in the order they were entered (event id), as SPARKS lists them and as
    ``import sparks`` reads them, unless that order is impossible (a later-entered event surely
    before an earlier one): then in ``records.order_events`` order, as *evs* come."""
    entered = sorted(evs, key=lambda fe: fe[0].event_id)
    for i, (fi, _ei) in enumerate(entered):
        if any(fj.date.surely_before(fi.date) for fj, _ej in entered[i + 1:]):
            return list(evs)
    return entered


def _parse_date(text: str) -> FuzzyDate | None:
    try:
        return FuzzyDate.parse(text)
    except InvalidInputError:
        return None


@dataclass
class ExchangeBuilder:
    """Builds exchange (and moves) rows; counts what the layout cannot carry."""

    book: _Book
    date_of: Callable[[FuzzyDate, bool], DateCells]
    analysis: dict[str, tuple[float, float, float]]
    day: date | None = None  # PMx: only the events that had happened by this day count
    not_carried: Counter[str] = field(default_factory=Counter)

    def events_of(self, a: Animal) -> list[tuple[EventFacts, Event]]:
        evs = self.book.events.get(a.id, [])
        if self.day is not None:
            evs = [(f, e) for f, e in evs if f.happened_by(self.day)]
        return evs

    def id_at(self, a: Animal, inst_id: int | None, evs: Sequence[tuple[EventFacts, Event]]) -> str:
        """The animal's local ID at *inst_id* after *evs*: the one given on the latest of them there.

        The book keeps one row per (animal, institution, ID): an arrival that repeats an ID the
        animal already had there stores nothing new, so the ID of an earlier stay still holds.
        """
        if inst_id is None:
            return ""
        mine = [li for li in self.book.locals_.get(a.id, ()) if li.institution_id == inst_id]
        for _f, e in reversed(evs):
            if e.institution_id == inst_id:
                linked = [li for li in mine if li.event_id == e.id]
                if linked:
                    return linked[0].local_id
        return ""

    def exchange_row(self, a: Animal, index: dict[str, int], location: str) -> dict[str, Any]:
        """The exchange row of *a*; *location*: the LOCATION of its last move."""
        evs = self.events_of(a)
        st = status_of([f for f, _e in evs], self.book.kinds, ordered=True)
        birth = FuzzyDate.from_db(a.birth_date, a.birth_precision, a.birth_estimated)
        arrival = next((f for f, _e in evs if f.kind in ARRIVALS), None)
        end = st.end if st.fate in ("dead", "ltf") else None
        death = st.end if st.fate == "dead" else None
        here = next((e.institution_id for f, e in reversed(evs) if f.kind in LOCATION_EVENTS), None)
        sire = self.parent(a, "sire")
        dam = self.parent(a, "dam")
        f_value, known, mk = self.analysis.get(a.studbook_id, (NOT_COMPUTED, NOT_COMPUTED, NOT_COMPUTED))
        row: dict[str, Any] = {
            "STUD_ID": a.studbook_id, "DAM_ID": dam, "SIRE_ID": sire,
            "SEX": SEX_CODE.get(a.sex, SEX_CODE["U"]), "ID": index[a.studbook_id],
            "DID": index.get(dam, 0) if dam not in PARENT_WORDS else 0,
            "SID": index.get(sire, 0) if sire not in PARENT_WORDS else 0,
            "LOCATION": location, "LOCAL_ID": self.id_at(a, here, evs) if st.alive else "", "INSTCODE": "",
            "SOCIALGRP": "", "SELECTED": True, "DEAD": st.fate == "dead", "DAM_ID_TMP": "", "SIRE_IDTMP": "",
            "INBREED": f_value, "AGE": NOT_COMPUTED, "KNOWN": known, "INBREED_KN": NOT_COMPUTED, "MK": mk,
            "MK_KN": NOT_COMPUTED, "KV": NOT_COMPUTED, "KV_KN": NOT_COMPUTED, "VX": NOT_COMPUTED,
            "GU_ALL": NOT_COMPUTED, "GU_DESC": NOT_COMPUTED, "PR_LOST": NOT_COMPUTED, "COMMENT": a.notes or "",
        }
        for date_col, est_col, value, ending in (("BDATE", "BIRTH_EST", birth, False),
                                                 ("DATEIN", "IN_EST", arrival.date if arrival else None, False),
                                                 ("DATEOUT", "OUT_EST", end, True),
                                                 ("DEATHDATE", "DEATH_EST", death, True)):
            row[date_col], row[est_col] = self.date_of(value, ending) if value is not None else (None, "")
        return row

    def last_location(self, a: Animal) -> str:
        """PMx: the institution of the last event (by the day)."""
        evs = self.events_of(a)
        return evs[-1][0].institution or "" if evs else ""

    def parent(self, a: Animal, role: str) -> str:
        kind = a.sire_kind if role == "sire" else a.dam_kind
        pk = a.sire_id if role == "sire" else a.dam_id
        if kind == "ID" and pk in self.book.sid:
            return self.book.sid[pk]
        return kind if kind in PARENT_WORDS else "UNK"

    def moves_rows(self, a: Animal) -> list[dict[str, Any]]:
        """One move per event, in :func:`move_order`; what the SPARKS importer kept in an event's
        notes goes back to the moves and cells it came from (``parse_event_notes``)."""
        evs = move_order(self.events_of(a))
        rows: list[dict[str, Any]] = []
        written: set[tuple[int, str]] = set()
        count = self.not_carried
        for n, (f, e) in enumerate(evs):
            own, note_moves, other = parse_event_notes(e.notes)
            if other:
                count["event notes"] += 1
            if e.cause:
                count["death causes"] += 1
            if e.site:
                count["release sites (site text)"] += 1
            if e.laid_at_id is not None or e.wild_egg:
                count["egg records (laid_at, wild_egg)"] += 1
            if estimate_lost(f.date):
                count["estimate flags of a month or year"] += 1
            before = 0
            if n == 0 and not own.seen:  # moves the importer met before the animal's first event
                while before < len(note_moves) and note_moves[before].date.surely_before(f.date):
                    before += 1
            rows += [self.note_move(a, m) for m in note_moves[:before]]
            local = self.id_at(a, e.institution_id, evs[: n + 1])
            if local and e.institution_id is not None:
                written.add((e.institution_id, local))
            previous = rows[-1]["LOCATION"] if rows else ""
            if f.kind in ("transfer", "release") and (f.from_institution or "") != previous:
                count["transfer or release origins other than the previous location"] += 1
            rows.append(self.move(a, CODE_OF_EVENT[f.kind], f.institution or "", f.date, own, local=local,
                                  owner=not e.loan))
            rows += [self.note_move(a, m) for m in note_moves[before:]]
        lost = [li for li in self.book.locals_.get(a.id, ()) if (li.institution_id, li.local_id) not in written]
        if lost:
            count["local IDs on no move"] += len(lost)
        return rows

    def move(self, a: Animal, code: str, location: str, when: FuzzyDate, extras: _Extras, *, local: str = "",
             owner: bool = True) -> dict[str, Any]:
        tran_date, tdate_est = self.date_of(when, code in ENDINGS)
        rem_date, rdate_est = self.date_of(extras.rem, False) if extras.rem is not None else (None, "")
        return {"STUD_ID": a.studbook_id, "TRAN_CODE": code, "PHYSICAL": extras.physical, "OWNER": owner,
                "LOCATION": location, "LOCAL_ID": local, "TRAN_DATE": tran_date, "TDATE_EST": tdate_est,
                "REM_DATE": rem_date, "RDATE_EST": rdate_est, "INSTCODE": extras.inst}

    def note_move(self, a: Animal, m: _NoteMove) -> dict[str, Any]:
        return self.move(a, m.code, m.location, m.date, m.extras)

    def count_animal(self, a: Animal) -> None:
        """What the exchange row cannot carry for *a*."""
        count = self.not_carried
        if a.house_name and a.house_name.strip():
            count["house names"] += 1
        if a.rearing != "unknown":
            count["rearing codes"] += 1
        if any(getattr(a, flag) for flag in (*FLAGS, "artificial_insemination")):
            count["animals with flags"] += 1
        if a.health_notes and a.health_notes.strip():
            count["health notes"] += 1
        birth = FuzzyDate.from_db(a.birth_date, a.birth_precision, a.birth_estimated)
        if estimate_lost(birth):
            count["estimate flags of a month or year"] += 1
        evs = move_order(self.book.events.get(a.id, []))
        first = evs[0][0] if evs else None
        implied = "wild" if first is not None and (
            first.kind == "capture" or (first.kind == "birth" and self.book.kinds.get(first.institution or "")
                                        in WILD_KINDS)) else "captive"
        if a.birth_type != implied:
            count["birth types the first move does not imply"] += 1


@dataclass(frozen=True)
class SparksTables:
    """The exchange and moves tables (typed cells keyed by column name), the MULT candidates and
    species parameters that go beside them, and what the tables cannot carry.

    ``day``/``note``: the reference day of the analysis columns (INBREED, KNOWN, MK).
    """

    exchange: list[dict[str, Any]]
    moves: list[dict[str, Any]]
    mult: list[dict[str, Any]]
    species: dict[str, Any]
    day: date | None
    note: str | None
    not_carried: dict[str, int]


def mult_rows(book: _Book, animals: Sequence[Animal]) -> list[dict[str, Any]]:
    """``offspring, role (S/D), candidate, probability``: every candidate of every MULT slot."""
    return [{"offspring": a.studbook_id, "role": "S" if role == "sire" else "D", "candidate": cand,
             "probability": prob}
            for a in animals for role in ("sire", "dam")
            if (a.sire_kind if role == "sire" else a.dam_kind) == "MULT"
            for cand, prob in book.candidates.get((a.id, role), ())]


def sparks_export(session: Session) -> SparksTables:
    """Read the whole book as SPARKS exchange and moves rows (void records left out)."""
    from .analysis import load_pedigree
    from .export import species_export

    ref = reference_day(session, None)
    loaded = load_pedigree(session, ref.day)
    book = read_book(session)
    b = ExchangeBuilder(book, sparks_date, analysis_cells(loaded))
    index = {a.studbook_id: n for n, a in enumerate(book.animals, start=1)}
    exchange, moves = [], []
    for a in book.animals:
        mine = b.moves_rows(a)
        exchange.append(b.exchange_row(a, index, mine[-1]["LOCATION"] if mine else ""))
        b.count_animal(a)
        moves += mine
    count = b.not_carried
    if book.institutions:
        count["institutions with names, places or capacities"] = book.institutions
    if book.void_animals:
        count["void animals"] = book.void_animals
    if book.void_events:
        count["void events"] = book.void_events
    return SparksTables(exchange, moves, mult_rows(book, book.animals), species_export(session), ref.day,
                        ref.note, dict(sorted(count.items())))


# --- writing -----------------------------------------------------------------------------------

def csv_cell(col: Column, value: Any) -> str:
    """A cell of the CSV form: ISO dates, logicals T/F, numbers in full (-1: not computed)."""
    if value is None:
        return ""
    if col.type == "D":
        return str(value.isoformat())
    if col.type == "L":
        return "T" if value else "F"
    if col.type == "N":
        if isinstance(value, int) and not isinstance(value, bool):
            return str(value)
        return "-1" if float(value) == NOT_COMPUTED else repr(float(value))
    return str(value)


def csv_bytes(cols: Sequence[Column], rows: Sequence[dict[str, Any]]) -> bytes:
    """UTF-8 CSV (no BOM), header = the column names, CRLF line ends, RFC 4180 quoting, no formula escaping."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow([c.name for c in cols])
    for r in rows:
        w.writerow([csv_cell(c, r.get(c.name)) for c in cols])
    return buf.getvalue().encode("utf-8")


@dataclass(frozen=True)
class SparksReport:
    """What ``write_sparks_folder`` wrote, and what it had to change or could not keep.

    ``widened``: (file, column, dBase type, old width, new width); ``lost``: (file, column, values, why).
    """

    folder: str
    format: str
    written: list[str]
    animals: int
    moves: int
    mult: int
    widened: list[tuple[str, str, str, int, int]]
    lost: list[tuple[str, str, int, str]]
    not_carried: dict[str, int]


def write_sparks_folder(tables: SparksTables, folder: Path, fmt: str = "dbf") -> SparksReport:
    """Write ``exchange.dbf`` + ``moves.dbf`` (or ``.csv``), ``mult.csv`` and ``species.json`` into the
    new folder *folder*, atomically."""
    if fmt not in FORMATS:
        raise InvalidInputError(f"format {fmt!r} is not one of {', '.join(FORMATS)}", "write dbf or csv")
    files: dict[str, bytes] = {}
    widened: list[tuple[str, str, str, int, int]] = []
    lost: list[tuple[str, str, int, str]] = []
    for stem, columns, rows in ((EXCHANGE_FILE, EXCHANGE_COLUMNS, tables.exchange),
                                (MOVES_FILE, MOVES_COLUMNS, tables.moves)):
        name = f"{stem}.{fmt}"
        if fmt == "csv":
            files[name] = csv_bytes(columns, rows)
            continue
        fitted, wide = fit_columns([DbfColumn(*c) for c in columns], rows, encoding=ENCODING)
        kind = {c.name: c.type for c in columns}
        widened += [(name, col, kind[col], old, new) for col, (old, new) in wide.items()]
        data, result = dbf_bytes(fitted, rows, updated=tables.day or date.today(), encoding=ENCODING,
                                 right_aligned=RIGHT_ALIGNED)
        lost += [(name, col, n, "cut at 254 bytes") for col, n in result.cut.items()]
        lost += [(name, col, n, f"with characters {ENCODING} cannot hold, written as ?")
                 for col, n in result.unencodable.items()]
        files[name] = data
    files[MULT_FILE] = csv_bytes(MULT_CSV_COLUMNS, tables.mult)
    files[SPECIES_FILE] = (json.dumps(tables.species, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
    write_folder(files, folder)
    return SparksReport(str(folder), fmt, list(files), len(tables.exchange), len(tables.moves), len(tables.mult),
                        widened, lost, tables.not_carried)
