"""The book as SPARKS tables (``exchange`` + ``moves``) and as PMx input files (read only).

``sparks_export`` reads the book into :class:`SparksTables` (typed cells: text, dates, logicals,
numbers) and ``write_sparks_folder`` writes them as dBase III files or CSV; ``pmx_export`` reads
the book on a reference day into :class:`PmxExport` (the exchange table with full dates, the MULT
candidates and the census of the living) and ``write_pmx_folder`` writes it. Every choice of
layout is documented in ``docs/export-sparks-pmx-xlsx.md``; the column layout is
``studbook.io.sparks_layout``.
"""

from __future__ import annotations

import csv
import io
import os
import re
import shutil
import tempfile
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
    PMX_CENSUS_COLUMNS,
    PMX_MULT_COLUMNS,
    RIGHT_ALIGNED,
    SEX_CODE,
    Column,
)
from ..models import Animal, Event, Institution, LocalId, ParentCandidate
from ..records import WILD_KINDS, EventFacts, order_events, status_of
from .animals import FLAGS
from .census import reference_day
from .export import check_target, id_order
from .pedigree_rows import LoadedPedigree, parse_as_of

FORMATS = ("dbf", "csv")
ENCODING = "cp1252"  # DBF text, as SPARKS (Windows ANSI)
ARRIVALS = ("birth", "capture")
AUTO_FRAGMENT = re.compile(r"^SPARKS (?:move (?P<code>\S+) at (?P<loc>.*) on (?P<date>\S+)"
                           r"|REM_DATE (?P<rem>\S+)|INSTCODE (?P<inst>.+))$")
NOTE_SEPARATOR = "; "

DateCells = tuple[date | None, str]


# --- dates ---------------------------------------------------------------------------------

def sparks_date(d: FuzzyDate) -> DateCells:
    """A book date as a SPARKS date and estimate code, the reading the SPARKS importer inverts.

    Exact day -> the day, blank; ``~day`` -> the day, ``D``; month ``2004-05`` -> 2004-05-01,
    ``M``; year ``2004`` -> 2004-01-01, ``Y``; undetermined -> no date, blank. An estimated
    month or year (``~2004-05``, ``~2004``) is written as the month or year: SPARKS has no code
    for it, so its ``~`` is lost (:func:`estimate_lost`).
    """
    if d.is_unknown:
        return None, ""
    if d.precision == "D":
        return d.value, "D" if d.estimated else ""
    return d.value, d.precision


def estimate_lost(d: FuzzyDate) -> bool:
    """True for an estimated month or year, whose ``~`` the SPARKS codes cannot carry."""
    return d.estimated and d.precision in ("M", "Y")


def pmx_date(d: FuzzyDate) -> DateCells:
    """A full date for PMx: an exact day as it is (blank code); anything else the middle of its
    possible range (``FuzzyDate.midpoint``) with code ``D`` ("estimated day"); undetermined -> none."""
    if d.is_unknown:
        return None, ""
    if d.is_exact:
        return d.value, ""
    return d.midpoint(), "D"


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
    institutions: int
    void_animals: int
    void_events: int


def _read_book(session: Session) -> _Book:
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
    for slot in candidates.values():
        slot.sort(key=lambda c: id_order(c[0]))
    locals_: dict[int, list[LocalId]] = {}
    for li in session.scalars(select(LocalId).order_by(LocalId.id)):
        if li.animal_id in sid:
            locals_.setdefault(li.animal_id, []).append(li)
    return _Book(animals, sid, code, kinds, events, candidates, locals_, len(insts),
                 sum(1 for a in everyone if a.void), void_events)


def _analysis(loaded: LoadedPedigree) -> dict[str, tuple[float, float, float]]:
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
class _Builder:
    """Builds exchange (and moves) rows; counts what the layout cannot carry."""

    book: _Book
    date_of: Callable[[FuzzyDate], DateCells]
    analysis: dict[str, tuple[float, float, float]]
    day: date | None = None  # PMx: only the events that had happened by this day count
    not_carried: Counter[str] = field(default_factory=Counter)

    def events_of(self, a: Animal) -> list[tuple[EventFacts, Event]]:
        evs = self.book.events.get(a.id, [])
        if self.day is not None:
            evs = [(f, e) for f, e in evs if f.happened_by(self.day)]
        return evs

    def local_at(self, a: Animal, inst_id: int | None, evs: Sequence[tuple[EventFacts, Event]]) -> str:
        """The animal's local ID at *inst_id*: the one given on its latest arrival there (of *evs*),
        else its latest one there; empty when it has none."""
        if inst_id is None:
            return ""
        mine = [li for li in self.book.locals_.get(a.id, ()) if li.institution_id == inst_id]
        if not mine:
            return ""
        for _f, e in reversed(evs):
            linked = [li for li in mine if li.event_id == e.id]
            if linked:
                return linked[0].local_id
        return mine[-1].local_id

    def exchange_row(self, a: Animal, index: dict[str, int]) -> dict[str, Any]:
        evs = self.events_of(a)
        st = status_of([f for f, _e in evs], self.book.kinds, ordered=True)
        birth = FuzzyDate.from_db(a.birth_date, a.birth_precision, a.birth_estimated)
        arrival = next((f for f, _e in evs if f.kind in ARRIVALS), None)
        end = st.end if st.fate in ("dead", "ltf") else None
        death = st.end if st.fate == "dead" else None
        loc_id = next((e.institution_id for f, e in reversed(evs) if f.institution == st.location), None) \
            if st.location else None
        sire = self.parent(a, "sire")
        dam = self.parent(a, "dam")
        f_value, known, mk = self.analysis.get(a.studbook_id, (NOT_COMPUTED, NOT_COMPUTED, NOT_COMPUTED))
        row: dict[str, Any] = {
            "STUD_ID": a.studbook_id, "DAM_ID": dam, "SIRE_ID": sire,
            "SEX": SEX_CODE.get(a.sex, SEX_CODE["U"]), "ID": index[a.studbook_id],
            "DID": index.get(dam, 0), "SID": index.get(sire, 0),
            "LOCATION": st.location or "", "LOCAL_ID": self.local_at(a, loc_id, evs), "INSTCODE": "",
            "SOCIALGRP": "", "SELECTED": True, "DEAD": st.fate == "dead", "DAM_ID_TMP": "", "SIRE_IDTMP": "",
            "INBREED": f_value, "AGE": NOT_COMPUTED, "KNOWN": known, "INBREED_KN": NOT_COMPUTED, "MK": mk,
            "MK_KN": NOT_COMPUTED, "KV": NOT_COMPUTED, "KV_KN": NOT_COMPUTED, "VX": NOT_COMPUTED,
            "GU_ALL": NOT_COMPUTED, "GU_DESC": NOT_COMPUTED, "PR_LOST": NOT_COMPUTED, "COMMENT": a.notes or "",
        }
        for date_col, est_col, value in (("BDATE", "BIRTH_EST", birth),
                                         ("DATEIN", "IN_EST", arrival.date if arrival else None),
                                         ("DATEOUT", "OUT_EST", end), ("DEATHDATE", "DEATH_EST", death)):
            row[date_col], row[est_col] = self.date_of(value) if value is not None else (None, "")
        return row

    def parent(self, a: Animal, role: str) -> str:
        kind = a.sire_kind if role == "sire" else a.dam_kind
        pk = a.sire_id if role == "sire" else a.dam_id
        if kind == "ID" and pk in self.book.sid:
            return self.book.sid[pk]
        return kind if kind in ("WILD", "UNK", "MULT") else "UNK"

    def moves_rows(self, a: Animal) -> list[dict[str, Any]]:
        """One move per event, in the animal's event order; ``SPARKS move`` note fragments become
        the moves they came from, ``SPARKS REM_DATE``/``INSTCODE`` go back to their columns."""
        evs = self.events_of(a)
        rows: list[dict[str, Any]] = []
        written: set[tuple[int, str]] = set()
        count = self.not_carried
        for n, (f, e) in enumerate(evs):
            before, after, rem, instcode, other = _fragments(e.notes)
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
            if n > 0:  # only an animal's first event can carry moves that came before it
                after, before = before + after, []
            rows += [self.note_move(a, m) for m in before]
            linked = [li for li in self.book.locals_.get(a.id, ())
                      if li.event_id == e.id and li.institution_id == e.institution_id]
            local = linked[0].local_id if linked else ""
            if not local and f.kind in ("death", "ltf"):  # SPARKS writes the holder's ID on a death
                local = self.local_at(a, e.institution_id, evs[:n])
            if local and e.institution_id is not None:
                written.add((e.institution_id, local))
            previous = rows[-1]["LOCATION"] if rows else ""
            if f.kind in ("transfer", "release") and (f.from_institution or "") != previous:
                count["transfer or release origins other than the previous location"] += 1
            tran_date, tdate_est = self.date_of(f.date)
            rem_date, rdate_est = self.date_of(rem) if rem is not None else (None, "")
            rows.append({
                "STUD_ID": a.studbook_id, "TRAN_CODE": CODE_OF_EVENT[f.kind], "PHYSICAL": True, "OWNER": not e.loan,
                "LOCATION": f.institution or "", "LOCAL_ID": local, "TRAN_DATE": tran_date, "TDATE_EST": tdate_est,
                "REM_DATE": rem_date, "RDATE_EST": rdate_est, "INSTCODE": instcode})
            rows += [self.note_move(a, m) for m in after]
        lost = [li for li in self.book.locals_.get(a.id, ()) if (li.institution_id, li.local_id) not in written]
        if lost:
            count["local IDs on no move"] += len(lost)
        return rows

    def note_move(self, a: Animal, m: tuple[str, str, FuzzyDate]) -> dict[str, Any]:
        code, loc, when = m
        tran_date, tdate_est = self.date_of(when)
        return {"STUD_ID": a.studbook_id, "TRAN_CODE": code, "PHYSICAL": True, "OWNER": True, "LOCATION": loc,
                "LOCAL_ID": "", "TRAN_DATE": tran_date, "TDATE_EST": tdate_est, "REM_DATE": None, "RDATE_EST": "",
                "INSTCODE": ""}

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
        if "MULT" in (a.sire_kind, a.dam_kind):
            count["MULT slots (candidates)"] += (a.sire_kind == "MULT") + (a.dam_kind == "MULT")
        birth = FuzzyDate.from_db(a.birth_date, a.birth_precision, a.birth_estimated)
        if estimate_lost(birth):
            count["estimate flags of a month or year"] += 1
        evs = self.book.events.get(a.id, [])
        first = evs[0][0] if evs else None
        implied = "wild" if first is not None and (
            first.kind == "capture" or (first.kind == "birth" and self.book.kinds.get(first.institution or "")
                                        in WILD_KINDS)) else "captive"
        if a.birth_type != implied:
            count["birth types the first move does not imply"] += 1


def _fragments(notes: str | None) -> tuple[list[tuple[str, str, FuzzyDate]], list[tuple[str, str, FuzzyDate]],
                                            FuzzyDate | None, str, bool]:
    """Split an event's notes into what the SPARKS importer wrote there and the rest.

    Returns (moves written before the event's own fragments, moves after them, REM_DATE,
    INSTCODE, whether other text is left). A move is ``SPARKS move XX at LOC on DATE``; the
    event's own fragments are ``SPARKS REM_DATE d`` and ``SPARKS INSTCODE x``.
    """
    before: list[tuple[str, str, FuzzyDate]] = []
    after: list[tuple[str, str, FuzzyDate]] = []
    rem: FuzzyDate | None = None
    inst = ""
    other = False
    own_seen = False
    for part in (notes or "").split(NOTE_SEPARATOR):
        if not part.strip():
            continue
        m = AUTO_FRAGMENT.match(part)
        parsed: FuzzyDate | None = None
        if m is not None and (m["date"] or m["rem"]):
            try:
                parsed = FuzzyDate.parse(m["date"] or m["rem"])
            except InvalidInputError:
                m = None
        if m is None:
            other = True
        elif m["code"]:
            assert parsed is not None
            (after if own_seen else before).append((m["code"], m["loc"], parsed))
        elif m["rem"] and rem is None:
            rem, own_seen = parsed, True
        elif m["inst"] and not inst:
            inst, own_seen = m["inst"], True
        else:
            other = True  # a second REM_DATE or INSTCODE: one column each
    if not own_seen:  # no own fragment to place them by: they follow the event
        after, before = before, []
    return before, after, rem, inst, other


@dataclass(frozen=True)
class SparksTables:
    """The exchange and moves tables (typed cells keyed by column name) and what they cannot carry.

    ``day``/``note``: the reference day of the analysis columns (INBREED, KNOWN, MK).
    """

    exchange: list[dict[str, Any]]
    moves: list[dict[str, Any]]
    day: date | None
    note: str | None
    not_carried: dict[str, int]


def sparks_export(session: Session) -> SparksTables:
    """Read the whole book as SPARKS exchange and moves rows (void records left out)."""
    from .analysis import load_pedigree

    ref = reference_day(session, None)
    loaded = load_pedigree(session, ref.day)
    book = _read_book(session)
    b = _Builder(book, sparks_date, _analysis(loaded))
    index = {a.studbook_id: n for n, a in enumerate(book.animals, start=1)}
    exchange, moves = [], []
    for a in book.animals:
        exchange.append(b.exchange_row(a, index))
        b.count_animal(a)
        moves += b.moves_rows(a)
    count = b.not_carried
    if book.institutions:
        count["institution details (names, places, kinds, capacities)"] = book.institutions
    if book.void_animals:
        count["void animals"] = book.void_animals
    if book.void_events:
        count["void events"] = book.void_events
    return SparksTables(exchange, moves, ref.day, ref.note, dict(sorted(count.items())))


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


def csv_bytes(columns: Sequence[Column] | Sequence[str], rows: Sequence[dict[str, Any]]) -> bytes:
    """UTF-8 CSV (no BOM), header = the column names, CRLF line ends, RFC 4180 quoting, no formula escaping."""
    cols = [c if isinstance(c, Column) else Column(c, "C", 0) for c in columns]
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow([c.name for c in cols])
    for r in rows:
        w.writerow([csv_cell(c, r.get(c.name)) for c in cols])
    return buf.getvalue().encode("utf-8")


@dataclass(frozen=True)
class SparksReport:
    """What ``write_sparks_folder`` wrote, and what it had to change or could not keep.

    ``widened``: (file, column, old width, new width); ``lost``: (file, column, values, why).
    """

    folder: str
    format: str
    written: list[str]
    animals: int
    moves: int
    widened: list[tuple[str, str, int, int]]
    lost: list[tuple[str, str, int, str]]
    not_carried: dict[str, int]


def write_sparks_folder(tables: SparksTables, folder: Path, fmt: str = "dbf") -> SparksReport:
    """Write ``exchange.dbf`` + ``moves.dbf`` (or ``.csv``) into the new folder *folder*, atomically."""
    if fmt not in FORMATS:
        raise InvalidInputError(f"format {fmt!r} is not one of {', '.join(FORMATS)}", "write dbf or csv")
    files: dict[str, bytes] = {}
    widened: list[tuple[str, str, int, int]] = []
    lost: list[tuple[str, str, int, str]] = []
    for stem, columns, rows in ((EXCHANGE_FILE, EXCHANGE_COLUMNS, tables.exchange),
                                (MOVES_FILE, MOVES_COLUMNS, tables.moves)):
        name = f"{stem}.{fmt}"
        if fmt == "csv":
            files[name] = csv_bytes(columns, rows)
            continue
        fitted, wide = fit_columns([DbfColumn(*c) for c in columns], rows, encoding=ENCODING)
        widened += [(name, col, old, new) for col, (old, new) in wide.items()]
        data, result = dbf_bytes(fitted, rows, updated=tables.day or date.today(), encoding=ENCODING,
                                 right_aligned=RIGHT_ALIGNED)
        lost += [(name, col, n, "cut at 254 bytes") for col, n in result.cut.items()]
        lost += [(name, col, n, f"characters {ENCODING} cannot hold, written as ?")
                 for col, n in result.unencodable.items()]
        files[name] = data
    write_folder(files, folder)
    return SparksReport(str(folder), fmt, list(files), len(tables.exchange), len(tables.moves), widened, lost,
                        tables.not_carried)


def write_folder(files: dict[str, bytes], folder: Path) -> None:
    """Write *files* into a new sibling folder, then rename it to *folder* (new or empty): a failure
    leaves nothing behind."""
    folder = Path(folder)
    check_target(folder)
    parent = folder.resolve().parent
    if not parent.is_dir():
        raise InvalidInputError(f"folder {parent} does not exist; nothing was written",
                                "create the parent folder first, or give another path")
    tmp = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", dir=parent))
    try:
        for name, data in files.items():
            (tmp / name).write_bytes(data)
        check_target(folder)  # still new or empty
        if folder.is_dir():
            folder.rmdir()
        os.replace(tmp, folder)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


# --- PMx ---------------------------------------------------------------------------------------

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
    book = _read_book(session)
    present = set(loaded.pedigree.ids)
    animals = [a for a in book.animals if a.studbook_id in present]
    b = _Builder(book, pmx_date, _analysis(loaded), day=day)
    index = {a.studbook_id: n for n, a in enumerate(animals, start=1)}
    exchange = [b.exchange_row(a, index) for a in animals]
    mult = [{"offspring": a.studbook_id, "role": "S" if role == "sire" else "D", "candidate": cand,
             "probability": prob}
            for a in animals for role in ("sire", "dam")
            if (a.sire_kind if role == "sire" else a.dam_kind) == "MULT"
            for cand, prob in book.candidates.get((a.id, role), ())]
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
    mult_cols = [Column(n, "N", 0) if n == "probability" else Column(n, "C", 0) for n in PMX_MULT_COLUMNS]
    files = {"exchange.csv": csv_bytes(EXCHANGE_COLUMNS, pmx.exchange),
             "mult.csv": csv_bytes(mult_cols, pmx.mult),
             "pmxcens.csv": csv_bytes(census_cols, pmx.census)}
    write_folder(files, folder)
    return list(files)
