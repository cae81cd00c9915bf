"""Taking a book out: the book folder that ``init --from-folder`` loads, and a generic pedigree CSV.

Read only: nothing here writes to the database. ``book_export`` reads the whole book into
:class:`BookExport` (rows of text, exactly as the loader parses them) and
``write_book_folder`` writes it; ``pedigree_export`` reads the pedigree on a reference day
into :class:`PedigreeExport` and ``write_pedigree_csv`` writes it. Every layout decision is
documented in ``docs/export.md``.

Besides the five core files, the folder holds files written only when they have rows
(:data:`EXTRA_FILES`): void animals and events, local IDs that events.csv cannot carry,
health notes and the book's problems; the loader reads them all
(``services.book_folder_extras``).
"""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..dates import FuzzyDate
from ..errors import InvalidInputError
from ..io.cells import escape_cell
from ..models import Animal, Event, Institution, LocalId, ParentCandidate, Problem, Species
from .animals import FLAGS
from .animals import next_studbook_id as _next_free_id
from .book import species_params
from .census import reference_day
from .pedigree_rows import parse_as_of

INSTITUTION_COLUMNS = ("code", "name", "city", "country", "region", "latitude", "longitude", "capacity_males",
                       "capacity_females", "kind")
ANIMAL_COLUMNS = ("studbook_id", "house_name", "sex", "birth_date", "birth_type", "sire", "dam", "rearing",
                  *FLAGS, "artificial_insemination", "notes")
MULT_COLUMNS = ("studbook_id", "role", "candidate", "probability")
EVENT_COLUMNS = ("studbook_id", "event", "date", "institution", "from_institution", "loan", "local_id", "cause",
                 "site", "laid_at", "wild_egg", "notes", "litter")
# An event named in an extra file: its animal, kind, date and place, and its id in the exported book.
EVENT_REF = ("studbook_id", "event", "date", "institution", "source_event_id")
VOID_ANIMAL_COLUMNS = (*ANIMAL_COLUMNS, "health_notes", "void_reason")
VOID_MULT_COLUMNS = MULT_COLUMNS
VOID_EVENT_COLUMNS = (*EVENT_COLUMNS, "source_event_id", "void_reason")
LOCAL_ID_COLUMNS = ("studbook_id", "institution", "local_id", "event", "event_date", "event_institution",
                    "source_event_id")
HEALTH_COLUMNS = ("studbook_id", "health_notes")
PROBLEM_COLUMNS = ("code", "severity", "animal", "message", "hint", "source", "opened_at", "opened_by",
                   "resolved_at", "resolved_by", "resolution")
PEDIGREE_COLUMNS = ("id", "sire", "dam", "sex", "birth_date", "alive")

LOADED_FILES = ("species.json", "institutions.csv", "animals.csv", "mult_parents.csv", "events.csv")
# Files written only when they have rows (the loader reads them: services/book_folder_extras.py).
EXTRA_FILES = ("void_animals.csv", "void_mult_parents.csv", "void_events.csv", "local_ids.csv",
               "health_notes.csv", "problems.csv")
# Files whose records `init --from-folder` does not load (`export book` names them in a note): none now.
NOT_LOADED_FILES: tuple[str, ...] = ()


@dataclass(frozen=True)
class ExportFile:
    """One CSV file of the folder: its name, header and rows (text cells)."""

    name: str
    columns: tuple[str, ...]
    rows: list[dict[str, str]]


@dataclass(frozen=True)
class BookExport:
    """The whole book as the files of a book folder."""

    species: dict[str, Any]
    files: list[ExportFile]

    def file(self, name: str) -> ExportFile:
        return next(f for f in self.files if f.name == name)

    @property
    def extra(self) -> list[str]:
        """The files that have rows ``init --from-folder`` would not load (:data:`NOT_LOADED_FILES`)."""
        return [f.name for f in self.files if f.name in NOT_LOADED_FILES and f.rows]


@dataclass(frozen=True)
class BookFolderReport:
    folder: str
    written: list[str]
    counts: dict[str, int]
    not_loaded: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class PedigreeRow:
    id: str
    sire: str
    dam: str
    sex: str
    birth_date: str
    alive: str


@dataclass(frozen=True)
class PedigreeExport:
    rows: list[PedigreeRow]
    day: date | None
    note: str | None
    mult_slots: int  # MULT slots written as their most probable candidate


# --- pure formatting ---------------------------------------------------------------------

def date_text(value: date | None, precision: str, estimated: bool) -> str:
    """A stored date as the loader parses it: ``2024-05-01``, ``2024-05``, ``2024``, ``~...``, ``unknown``."""
    return str(FuzzyDate.from_db(value, precision, estimated))


def number_text(value: float | int | None) -> str:
    """A number written so that it reads back to the same float (``repr``); empty for None."""
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(value)
    return str(value)


def flag_text(value: bool | None) -> str:
    return "1" if value else "0"


def parent_text(kind: str, parent: str | None) -> str:
    """``animals.csv`` parent cell: the studbook ID, or ``UNK``, ``WILD``, ``MULT``."""
    return parent if kind == "ID" and parent is not None else kind


def most_probable(candidates: Sequence[tuple[str, float]]) -> str:
    """The candidate with the highest probability; a tie goes to the one listed first (lowest studbook ID)."""
    best = max(range(len(candidates)), key=lambda k: (candidates[k][1], -k))
    return candidates[best][0]


def id_order(sid: str) -> tuple[bool, int, str]:
    """Plain numbers first, numerically; other IDs after, as text."""
    return (not sid.isdigit(), int(sid) if sid.isdigit() else 0, sid)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    return str(value)


# --- the book folder -----------------------------------------------------------------------

def check_target(folder: Path) -> None:
    """The target folder must not exist yet, or be an empty directory."""
    if folder.exists() and not folder.is_dir():
        raise InvalidInputError(f"{folder} exists and is not a folder; nothing was written",
                                "give the name of a new folder (it is created)")
    if folder.is_dir() and any(folder.iterdir()):
        raise InvalidInputError(f"folder {folder} is not empty; nothing was written",
                                "give a new or empty folder; an export never overwrites files")


def book_export(session: Session) -> BookExport:
    """Read the whole book (species, institutions, animals, MULT slots, events, void records, extra
    local IDs, health notes and problems) into the files of a book folder."""
    species = _species(session)
    insts = list(session.scalars(select(Institution).order_by(Institution.id)))
    code = {i.id: i.code for i in insts}
    animals = list(session.scalars(select(Animal).order_by(Animal.id)))
    sid = {a.id: a.studbook_id for a in animals}
    void_pk = {a.id for a in animals if a.void}
    mult: dict[int, list[ParentCandidate]] = {}
    for c in session.scalars(select(ParentCandidate).order_by(ParentCandidate.id)):
        mult.setdefault(c.animal_id, []).append(c)
    events = list(session.scalars(select(Event).order_by(Event.id)))
    ev_by_id = {e.id: e for e in events}
    # A litter is named by the studbook ID of its first-registered young (events are in id order).
    litter_label: dict[int, str] = {}
    for e in events:
        if e.kind == "birth" and e.litter_id is not None and not e.void:
            litter_label.setdefault(e.litter_id, sid[e.animal_id])
    locals_by_event: dict[int, list[LocalId]] = {}
    loose_locals: list[LocalId] = []
    for li in session.scalars(select(LocalId).order_by(LocalId.id)):
        ev = ev_by_id.get(li.event_id) if li.event_id is not None else None
        if ev is not None and ev.institution_id == li.institution_id and not locals_by_event.get(ev.id):
            locals_by_event[ev.id] = [li]  # the one local ID events.csv carries: the holding this event started
        else:
            loose_locals.append(li)

    def animal_row(a: Animal) -> dict[str, str]:
        row = {"studbook_id": a.studbook_id, "house_name": a.house_name or "", "sex": a.sex,
               "birth_date": date_text(a.birth_date, a.birth_precision, a.birth_estimated),
               "birth_type": a.birth_type,
               "sire": parent_text(a.sire_kind, sid.get(a.sire_id) if a.sire_id else None),
               "dam": parent_text(a.dam_kind, sid.get(a.dam_id) if a.dam_id else None),
               "rearing": a.rearing, "artificial_insemination": flag_text(a.artificial_insemination),
               "notes": a.notes or ""}
        row.update({f: flag_text(getattr(a, f)) for f in FLAGS})
        return row

    def event_row(e: Event) -> dict[str, str]:
        li = locals_by_event.get(e.id)
        return {"studbook_id": sid[e.animal_id], "event": e.kind,
                "date": date_text(e.date, e.date_precision, e.date_estimated),
                "institution": code.get(e.institution_id, "") if e.institution_id else "",
                "from_institution": code.get(e.from_institution_id, "") if e.from_institution_id else "",
                "loan": flag_text(e.loan), "local_id": li[0].local_id if li else "", "cause": e.cause or "",
                "site": e.site or "", "laid_at": code.get(e.laid_at_id, "") if e.laid_at_id else "",
                "wild_egg": flag_text(e.wild_egg), "notes": e.notes or "",
                "litter": litter_label.get(e.litter_id, "") if e.kind == "birth" and e.litter_id else ""}

    def mult_rows(pks: Iterable[int]) -> list[dict[str, str]]:
        return [{"studbook_id": sid[pk], "role": c.role, "candidate": sid[c.candidate_id],
                 "probability": number_text(c.probability)} for pk in pks for c in mult.get(pk, ())]

    live = [a for a in animals if not a.void]
    files = [
        ExportFile("institutions.csv", INSTITUTION_COLUMNS, [{
            "code": i.code, "name": i.name, "city": i.city or "", "country": i.country or "",
            "region": i.region or "", "latitude": number_text(i.latitude), "longitude": number_text(i.longitude),
            "capacity_males": number_text(i.capacity_males), "capacity_females": number_text(i.capacity_females),
            "kind": i.kind} for i in insts]),
        ExportFile("animals.csv", ANIMAL_COLUMNS, [animal_row(a) for a in live]),
        ExportFile("mult_parents.csv", MULT_COLUMNS, mult_rows(a.id for a in live)),
        ExportFile("events.csv", EVENT_COLUMNS,
                   [event_row(e) for e in events if not e.void and e.animal_id not in void_pk]),
        ExportFile("void_animals.csv", VOID_ANIMAL_COLUMNS, [
            {**animal_row(a), "health_notes": a.health_notes or "", "void_reason": a.void_reason or ""}
            for a in animals if a.void]),
        ExportFile("void_mult_parents.csv", VOID_MULT_COLUMNS, mult_rows(a.id for a in animals if a.void)),
        ExportFile("void_events.csv", VOID_EVENT_COLUMNS, [
            {**event_row(e), "source_event_id": str(e.id), "void_reason": e.void_reason or ""}
            for e in events if e.void or e.animal_id in void_pk]),
        ExportFile("local_ids.csv", LOCAL_ID_COLUMNS, [_local_row(li, sid, code, ev_by_id) for li in loose_locals]),
        ExportFile("health_notes.csv", HEALTH_COLUMNS, [
            {"studbook_id": a.studbook_id, "health_notes": a.health_notes}
            for a in live if a.health_notes and a.health_notes.strip()]),
        ExportFile("problems.csv", PROBLEM_COLUMNS, [
            {c: _text(getattr(p, c)) for c in PROBLEM_COLUMNS}
            for p in session.scalars(select(Problem).order_by(Problem.id))]),
    ]
    return BookExport(species, files)


def _local_row(li: LocalId, sid: dict[int, str], code: dict[int, str], events: dict[int, Event]) -> dict[str, str]:
    ev = events.get(li.event_id) if li.event_id is not None else None
    return {"studbook_id": sid[li.animal_id], "institution": code[li.institution_id], "local_id": li.local_id,
            "event": ev.kind if ev else "", "event_date": date_text(ev.date, ev.date_precision, ev.date_estimated)
            if ev else "", "event_institution": code.get(ev.institution_id, "") if ev and ev.institution_id else "",
            "source_event_id": str(ev.id) if ev else ""}


def _species(session: Session) -> dict[str, Any]:
    """species.json: every species parameter, the census date and the ID sequence."""
    out: dict[str, Any] = asdict(species_params(session))
    row = session.scalars(select(Species).limit(1)).first()
    out["census_date"] = row.census_date.isoformat() if row is not None and row.census_date else None
    # The stored sequence; unset (NULL) it is written as the number `birth` would give next.
    stored = row.next_studbook_id if row is not None else None
    out["next_studbook_id"] = stored if stored is not None else (_next_free_id(session) if row is not None else 1)
    return out


def write_book_folder(export: BookExport, folder: Path) -> BookFolderReport:
    """Write the folder atomically (``write_folder``). Refused when *folder* exists and is not empty."""
    files = {"species.json": (json.dumps(export.species, ensure_ascii=False, indent=2) + "\n").encode("utf-8")}
    for f in export.files:
        if f.name in EXTRA_FILES and not f.rows:
            continue
        buf = io.StringIO()
        w = csv.DictWriter(buf, fieldnames=list(f.columns), lineterminator="\n")
        w.writeheader()
        w.writerows(f.rows)
        files[f.name] = buf.getvalue().encode("utf-8")
    write_folder(files, folder)
    counts = {f.name: len(f.rows) for f in export.files if f.name in files}
    return BookFolderReport(str(folder), list(files), counts, export.extra)


def check_folder_target(folder: Path) -> None:
    """The target folder must be new or empty (``export.check_target``), in a folder that exists."""
    folder = Path(folder)
    check_target(folder)
    parent = folder.resolve().parent
    if not parent.is_dir():
        raise InvalidInputError(f"folder {parent} does not exist; nothing was written",
                                "create the parent folder first, or give another path")


def write_folder(files: dict[str, bytes], folder: Path) -> None:
    """Write *files* into a new sibling folder, then rename it to *folder* (new or empty): a failure
    leaves nothing behind."""
    folder = Path(folder)
    check_folder_target(folder)
    parent = folder.resolve().parent
    tmp = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", dir=parent))
    try:
        tmp.chmod(0o777 & ~current_umask())  # mkdtemp makes it private; the folder gets the usual mode
        for name, data in files.items():
            (tmp / name).write_bytes(data)
        check_target(folder)  # still new or empty
        if folder.is_dir():
            folder.rmdir()
        os.replace(tmp, folder)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def current_umask() -> int:
    """The process's umask (``os.umask`` can only be read by setting it)."""
    mask = os.umask(0)
    os.umask(mask)
    return mask


# --- the generic pedigree CSV --------------------------------------------------------------

def pedigree_export(session: Session, as_of: str | None = None) -> PedigreeExport:
    """``id,sire,dam,sex,birth_date,alive`` of every animal of the book on the reference day.

    The day is *as_of*, else the book's census date, else today (``services.census``);
    animals born after it are left out, as in every read command, and so are void records.
    Unknown and WILD parents are empty; a MULT slot is its most probable candidate (a tie:
    the one with the lowest studbook ID). ``alive`` is 1 for an animal alive (in captivity
    or in the wild) on that day, else 0.
    """
    from .analysis import load_pedigree

    parse_as_of(as_of)  # a bad --as-of is refused before anything is read
    ref = reference_day(session, as_of)
    loaded = load_pedigree(session, ref.day)
    present = set(loaded.pedigree.ids)
    animals = session.execute(
        select(Animal.id, Animal.studbook_id, Animal.sex, Animal.birth_date, Animal.birth_precision,
               Animal.birth_estimated, Animal.sire_kind, Animal.sire_id, Animal.dam_kind, Animal.dam_id)
        .where(Animal.void.is_(False)).order_by(Animal.id)).all()
    sid = {r[0]: r[1] for r in animals}
    cands: dict[tuple[int, str], list[tuple[str, float]]] = {}
    for animal_id, role, cand, prob in session.execute(
            select(ParentCandidate.animal_id, ParentCandidate.role, ParentCandidate.candidate_id,
                   ParentCandidate.probability)):
        if cand in sid:
            cands.setdefault((animal_id, role), []).append((sid[cand], float(prob)))
    for slot in cands.values():
        slot.sort(key=lambda c: id_order(c[0]))
    rows: list[PedigreeRow] = []
    n_mult = 0
    for pk, s, sex, bdate, prec, est, skind, sire_pk, dkind, dam_pk in animals:
        if s not in present:
            continue
        parents = []
        for role, kind, ppk in (("sire", skind, sire_pk), ("dam", dkind, dam_pk)):
            if kind == "ID" and ppk in sid:
                parents.append(sid[ppk])
            elif kind == "MULT" and cands.get((pk, role)):
                parents.append(most_probable(cands[(pk, role)]))
                n_mult += 1
            else:
                parents.append("")
        birth = FuzzyDate.from_db(bdate, prec, est)
        rows.append(PedigreeRow(s, parents[0], parents[1], sex, "" if birth.is_unknown else str(birth),
                                "1" if loaded.info[s].alive else "0"))
    return PedigreeExport(rows, ref.day, ref.note, n_mult)


def check_new_file(path: Path) -> None:
    """The pedigree file must not exist yet (an export never overwrites a file)."""
    if Path(path).exists():
        raise InvalidInputError(f"{path} already exists; nothing was written",
                                "give the name of a new file; an export never overwrites files")


def write_pedigree_csv(export: PedigreeExport, path: Path) -> None:
    """Write the pedigree CSV (``\\n`` line ends, RFC 4180 quoting); refuses to overwrite a file."""
    path = Path(path)
    check_new_file(path)
    try:
        with path.open("x", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh, lineterminator="\n")
            w.writerow(PEDIGREE_COLUMNS)
            # an ID imported from a pedigree file may be any text ('=1+1'): never a formula in a spreadsheet
            w.writerows([escape_cell(r.id), escape_cell(r.sire), escape_cell(r.dam), r.sex, r.birth_date, r.alive]
                        for r in export.rows)
    except FileNotFoundError:
        raise InvalidInputError(f"folder {path.parent} does not exist; nothing was written",
                                "create the folder first, or give another path") from None


def species_export(session: Session) -> dict[str, Any]:
    """species.json of the book folder (species parameters, census date, ID sequence), alone."""
    return _species(session)
