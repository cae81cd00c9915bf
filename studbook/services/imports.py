"""``studbook import pedigree``: a generic pedigree CSV into the book, all or nothing.

The file is parsed and checked by :mod:`studbook.io.pedigree_csv` (every problem
with its line; loops are found with one topological sort, see
:mod:`studbook.loops`). Rows become animals with an undetermined or year-precision
birth date, a birth event at the placeholder institution ``UNKNOWN`` (SPARKS'
convention for an animal of unknown origin), and, when the file says ``alive = 0``,
a death of undetermined date. Inserts use Core executemany and their audit rows are
written in the same transaction.

Then the book rules run on the imported animals, exactly as on any other write.
Every rule error refuses the import (nothing is written) and every error is listed;
no error is let in as a warning, so an imported book always passes
``studbook validate``. With ``repair=True`` a parent that the rules find impossible
(P06-P09: not born before its offspring, too young to breed, dead before the birth
or the conception; E09: a dam that cannot be at the birth place) is cleared - it
becomes unknown, as optiSel's ``prePed`` does - and each change is listed with the
line of the animal. Errors that clearing a parent cannot fix (a birth date in the
future, say) still refuse the import. Warnings are returned for the command to count.
Last, the book's ID sequence moves past the imported numbers (``birth`` continues
from there).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from ..audit import log_bulk_inserts
from ..dates import FuzzyDate
from ..db import bulk_execute
from ..errors import ImportFormatError, ValidationError
from ..io.pedigree_csv import PedigreeFile, PedigreeRow, read_pedigree_csv
from ..models import Animal, Event, Institution, Species
from ..records import AnimalFacts, Book, EventFacts
from ..rules import ERROR, Finding, check_book, errors_of
from .book import census_date, institution_kinds, species_params, today
from .setup import ensure_species

UNKNOWN_CODE = "UNKNOWN"
# Rules that can find a parent impossible (its dates, or the dam not at the birth place):
# --repair clears that parent.
PARENT_RULES = frozenset({"P06", "P07", "P08", "P09", "E09"})
_CHUNK = 5000  # rows per executemany
# The steps of an import, in order, for a progress display (``import_pedigree(progress=...)``).
IMPORT_STEPS = ("reading the file", "checking the rules", "writing animals", "writing events", "writing the audit log")


@dataclass
class PedigreeImportReport:
    file: str
    animals: int
    added_parents: int
    dead: int
    repairs: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    earliest_year: int | None = None  # set when the file's oldest birth lowered the book's (rule D02)
    notices: list[str] = field(default_factory=list)  # e.g. the sex codes look like another convention


def _unknown_institution(session: Session) -> Institution:
    inst = session.scalars(select(Institution).where(Institution.code == UNKNOWN_CODE)).first()
    if inst is None:
        inst = Institution(code=UNKNOWN_CODE, name="Unknown location (imported pedigree)", city=None,
                           country="XX", region="OTHER", latitude=0.0, longitude=0.0)
        session.add(inst)
        session.flush()
    return inst


def _birth(r: PedigreeRow, unknown: FuzzyDate) -> FuzzyDate:
    if r.birth_date:  # already checked by the reader
        return FuzzyDate.parse(r.birth_date, what=f"line {r.line}: animal {r.id}: birth date")
    if r.birth_year is not None:
        return FuzzyDate(date(r.birth_year, 1, 1), "Y")
    return unknown


def _insert(session: Session, model: Any, rows: list[dict[str, Any]]) -> None:
    bulk_execute(session.connection(), model, rows, chunk=_CHUNK)


def _parents_first(rows: Iterable[PedigreeRow]) -> list[PedigreeRow]:
    """The rows with every parent before its offspring (file order otherwise; the reader refused loops)."""
    rows = list(rows)
    by_id = {r.id: r for r in rows}
    placed: set[str] = set()
    out: list[PedigreeRow] = []
    for root in rows:
        stack = [(root, False)]
        while stack:
            r, expanded = stack.pop()
            if r.id in placed:
                continue
            if expanded:
                placed.add(r.id)
                out.append(r)
                continue
            stack.append((r, True))
            for p in (r.dam, r.sire):
                if p is not None and p in by_id and p not in placed:
                    stack.append((by_id[p], False))
    return out


def _sync_key_sequences(session: Session) -> None:
    """PostgreSQL: keys were given explicitly, so move the id sequences past them."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT setval(pg_get_serial_sequence('animal', 'id'), (SELECT max(id) FROM animal))"))
        session.execute(text("SELECT setval(pg_get_serial_sequence('event', 'id'), (SELECT max(id) FROM event))"))


def _lower_earliest_year(session: Session, births: Iterable[FuzzyDate]) -> int | None:
    """A historical pedigree file is not a registrar's typo: its oldest birth year becomes the
    book's earliest year (rule D02) when it is older. Returns the new year, or None."""
    years = [b.value.year for b in births if not b.is_unknown]
    row = session.scalars(select(Species).limit(1)).first()
    if not years or row is None or min(years) >= row.earliest_year:
        return None
    row.earliest_year = min(years)
    session.flush()
    return row.earliest_year


def _book_of(session: Session, rows: Iterable[PedigreeRow], births: dict[str, FuzzyDate], place: str,
             cleared: set[tuple[str, str]] | None = None) -> Book:
    """The imported animals as plain records, exactly as they were written (no read back)."""
    cleared = cleared or set()

    def kind(parent: str | None, wild: bool) -> str:
        return "ID" if parent is not None else ("WILD" if wild else "UNK")

    animals: dict[str, AnimalFacts] = {}
    events: dict[str, list[EventFacts]] = {}
    for r in rows:
        sire = None if (r.id, "sire") in cleared else r.sire
        dam = None if (r.id, "dam") in cleared else r.dam
        animals[r.id] = AnimalFacts(r.id, r.sex, births[r.id], "unknown", kind(sire, r.sire_wild), sire,
                                    kind(dam, r.dam_wild), dam)
        evs = [EventFacts(r.id, "birth", births[r.id], place, event_id=1)]
        if r.alive is False:
            evs.append(EventFacts(r.id, "death", FuzzyDate.unknown(), place, event_id=2))
        events[r.id] = evs
    return Book(species_params(session), animals, events, institution_kinds(session), today(),
                census=census_date(session))


def _cleared(a: AnimalFacts, role: str) -> AnimalFacts:
    if role == "sire":
        return replace(a, sire=None, sire_kind="UNK")
    return replace(a, dam=None, dam_kind="UNK")


def impossible_parents(book: Book, findings: Iterable[Finding]) -> dict[tuple[str, str], list[Finding]]:
    """Which parent each impossible-parent error (``PARENT_RULES``) is about: ``(animal, role) -> errors``.

    Found with the rules themselves, not by reading messages: an error belongs to the
    sire (dam) when it goes away once the sire (dam) is cleared. All sires are tried in
    one rules run and all dams in another (these rules read only the animal and that
    parent), so the cost does not grow with the number of errors. ``book`` is restored.
    """
    bad: dict[str, list[Finding]] = {}
    for f in findings:
        if f.severity == ERROR and f.code in PARENT_RULES:
            bad.setdefault(f.studbook_id, []).append(f)
    out: dict[tuple[str, str], list[Finding]] = {}
    for role in ("sire", "dam"):
        saved = {sid: book.animals[sid] for sid in bad
                 if (book.animals[sid].sire if role == "sire" else book.animals[sid].dam) is not None}
        if not saved:
            continue
        book.animals.update({sid: _cleared(a, role) for sid, a in saved.items()})
        try:
            left = set(check_book(book, list(saved)))
        finally:
            book.animals.update(saved)
        for sid in saved:
            gone = [f for f in bad[sid] if f not in left]
            if gone:
                out[(sid, role)] = gone
    return out


def _advance_id_sequence(session: Session, used: set[str]) -> None:
    """Move the book's ID sequence past the numbers in use from where it stands.

    ``birth`` takes the sequence's number and skips used IDs one query at a time, so
    after importing IDs 1..28,081 the first birth would probe 28,081 numbers. This
    does the same skip once, in memory. Numbers elsewhere (an outlier) do not move it.
    """
    row = session.scalars(select(Species).limit(1)).first()
    if row is None:
        return
    n = start = row.next_studbook_id or 1
    while str(n) in used:
        n += 1
    if n != start:
        row.next_studbook_id = n


def import_pedigree(session: Session, path: str | Path, *, repair: bool = False,
                    sex_codes: str = "kinship2",
                    progress: Callable[[str], None] | None = None) -> PedigreeImportReport:
    """Import the pedigree CSV *path* (see the module docstring).

    ``progress``: called with the name of each step (``IMPORT_STEPS``) as it starts.
    """
    step = progress or (lambda _name: None)
    step(IMPORT_STEPS[0])
    parsed: PedigreeFile = read_pedigree_csv(path, repair=repair, sex_codes=sex_codes)
    name = Path(path).name
    from .animals import MAX_ID_LENGTH

    too_long = [f"line {r.line}: animal {r.id[:20]}...: the ID is {len(r.id)} characters long; at most "
                f"{MAX_ID_LENGTH} fit" for r in parsed.rows if len(r.id) > MAX_ID_LENGTH]
    if too_long:
        raise ImportFormatError(f"{name}: {len(too_long)} ID(s) are too long; nothing was imported",
                                "shorten the IDs (e.g. use numbers and keep names in another column)",
                                problems=too_long)
    existing = set(session.scalars(select(Animal.studbook_id)))
    clashes = [f"line {r.line}: animal {r.id}: studbook ID {r.id} is already in the book"
               for r in parsed.rows if r.id in existing]
    if clashes:
        raise ImportFormatError(f"{name}: {len(clashes)} ID(s) are already in the book; nothing was imported",
                                "import into a new --db, or rename the animals in the file", problems=clashes)
    ensure_species(session)
    inst = _unknown_institution(session)
    unknown = FuzzyDate.unknown()
    births = {r.id: _birth(r, unknown) for r in parsed.rows}
    earliest = _lower_earliest_year(session, births.values())
    line_of = {r.id: r.line for r in parsed.rows}

    # The rules first, on the animals as they will be written: any error refuses the import
    # (no error becomes a warning) before anything is written.
    step(IMPORT_STEPS[1])
    book = _book_of(session, parsed.rows, births, inst.code)
    findings = check_book(book, list(births))
    repairs = [(a.line, f"line {a.line}: animal {a.id}: {a.action}") for a in parsed.repairs]
    cleared: dict[tuple[str, str], list[Finding]] = {}
    if repair and any(f.code in PARENT_RULES for f in errors_of(findings)):
        cleared = impossible_parents(book, findings)
        for (sid, role), why in sorted(cleared.items(), key=lambda item: line_of[item[0][0]]):
            parent = book.animals[sid].sire if role == "sire" else book.animals[sid].dam
            reasons = "; ".join(f"rule {f.code}: {f.message}" for f in why)
            repairs.append((line_of[sid], f"line {line_of[sid]}: animal {sid}: cleared {role} {parent} ({reasons})"))
        if cleared:
            book = _book_of(session, parsed.rows, births, inst.code, cleared=set(cleared))
            findings = check_book(book, list(births))
    errors = errors_of(findings)
    if errors:
        parents = any(e.code in PARENT_RULES for e in errors)
        if repair:
            hint = ("fix the listed animals in the file; --repair clears parents that the rules find impossible "
                    "but cannot change a birth date")
        elif parents:
            hint = ("fix the listed animals, or run with --repair to clear the parents that the rules find "
                    "impossible (every change is listed)")
        else:
            hint = "fix the listed animals in the file"
        raise ValidationError(f"{name} breaks {len(errors)} studbook rule(s); nothing was imported", hint,
                              problems=[e.line() for e in errors])

    # Write: animals parents first with their keys given (one pass, parents linked at once), then events.
    step(IMPORT_STEPS[2])
    ordered = _parents_first(parsed.rows)
    first_pk = int(session.scalar(select(func.max(Animal.id))) or 0) + 1
    ids = {r.id: first_pk + k for k, r in enumerate(ordered)}
    animal_values: list[dict[str, Any]] = []
    for r in ordered:
        b, a = births[r.id], book.animals[r.id]
        founder_of_file = r.sire is None and r.dam is None and r.sire_wild and r.dam_wild
        animal_values.append({
            "id": ids[r.id], "studbook_id": r.id, "sex": r.sex, "birth_date": b.db_value,
            "birth_precision": b.precision, "birth_estimated": b.estimated, "birth_type": "unknown",
            "sire_kind": a.sire_kind, "sire_id": ids[a.sire] if a.sire else None,
            "dam_kind": a.dam_kind, "dam_id": ids[a.dam] if a.dam else None,
            "rearing": "unknown", "exclude_from_analysis": False, "do_not_breed": False, "contracepted": False,
            "hybrid_suspect": False, "exclude_from_release": False, "artificial_insemination": False,
            "version": 1, "notes": "founder of the imported pedigree" if founder_of_file else None,
        })
    _insert(session, Animal, animal_values)
    step(IMPORT_STEPS[3])
    next_event = int(session.scalar(select(func.max(Event.id))) or 0) + 1
    event_values: list[dict[str, Any]] = []
    events_of: dict[int, list[dict[str, Any]]] = {}
    for r in ordered:
        b = births[r.id]
        evs = [{"id": next_event + len(event_values), "animal_id": ids[r.id], "kind": "birth", "date": b.db_value,
                "date_precision": b.precision, "date_estimated": b.estimated, "institution_id": inst.id,
                "loan": False}]
        if r.alive is False:
            evs.append({"id": next_event + len(event_values) + 1, "animal_id": ids[r.id], "kind": "death",
                        "date": None, "date_precision": "U", "date_estimated": False, "institution_id": inst.id,
                        "loan": False})
        event_values.extend(evs)
        events_of[ids[r.id]] = evs
    _insert(session, Event, event_values)
    _sync_key_sequences(session)

    # One audit row per imported animal: its master record and the events written with it.
    step(IMPORT_STEPS[4])
    log_bulk_inserts(session, "animal", [(v["id"], v["studbook_id"], dict(v, events=events_of[v["id"]]))
                                         for v in animal_values])
    _advance_id_sequence(session, existing | births.keys())
    return PedigreeImportReport(
        file=name, animals=len(parsed.rows), added_parents=len(parsed.added_parents),
        dead=sum(1 for r in parsed.rows if r.alive is False),
        repairs=[text for _, text in sorted(repairs, key=lambda item: item[0])],
        warnings=[f.line() for f in findings if f.severity != ERROR],
        earliest_year=earliest,
        notices=list(parsed.notices),
    )
