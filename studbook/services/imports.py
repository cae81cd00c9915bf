"""``studbook import pedigree``: a generic pedigree CSV into the book, all or nothing.

The file is parsed and checked by :mod:`studbook.io.pedigree_csv` (every problem
with its line). Rows become animals with an undetermined or year-precision birth
date, a birth event at the placeholder institution ``UNKNOWN`` (SPARKS' convention
for an animal of unknown origin), and, when the file says ``alive = 0``, a death of
undetermined date. Inserts use Core executemany (a 28,000-animal file loads in
seconds) and write their audit rows in the same transaction.

Then the book rules run on the whole book. Structural rule errors refuse the
import. Date rules (a parent born after its offspring, breeding age) are reported
as warnings: published pedigrees contain such birth-year slips, and the genetics do
not depend on them. ``studbook validate`` lists them afterwards.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.orm import Session

from ..audit import log_bulk_inserts
from ..dates import FuzzyDate
from ..errors import ImportFormatError, ValidationError
from ..io.pedigree_csv import PedigreeFile, read_pedigree_csv
from ..models import Animal, Event, Institution
from ..rules import check_book, errors_of
from .book import load_book
from .setup import ensure_species

UNKNOWN_CODE = "UNKNOWN"
DATE_RULES = frozenset({"P06", "P07", "P08", "P09", "D01", "E09"})


@dataclass
class PedigreeImportReport:
    file: str
    animals: int
    added_parents: int
    dead: int
    repairs: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def _unknown_institution(session: Session) -> Institution:
    inst = session.scalars(select(Institution).where(Institution.code == UNKNOWN_CODE)).first()
    if inst is None:
        inst = Institution(code=UNKNOWN_CODE, name="Unknown location (imported pedigree)", city=None,
                           country="XX", region="OTHER", latitude=0.0, longitude=0.0)
        session.add(inst)
        session.flush()
    return inst


def import_pedigree(session: Session, path: str | Path, *, repair: bool = False) -> PedigreeImportReport:
    parsed: PedigreeFile = read_pedigree_csv(path, repair=repair)
    name = Path(path).name
    existing = {sid: pk for sid, pk in session.execute(select(Animal.studbook_id, Animal.id))}
    from .animals import MAX_ID_LENGTH

    too_long = [f"line {r.line}: animal {r.id[:20]}...: the ID is {len(r.id)} characters long; at most "
                f"{MAX_ID_LENGTH} fit" for r in parsed.rows if len(r.id) > MAX_ID_LENGTH]
    if too_long:
        raise ImportFormatError(f"{name}: {len(too_long)} ID(s) are too long; nothing was imported",
                                "shorten the IDs (e.g. use numbers and keep names in another column)",
                                problems=too_long)
    clashes = [f"line {r.line}: animal {r.id}: studbook ID {r.id} is already in the book"
               for r in parsed.rows if r.id in existing]
    if clashes:
        raise ImportFormatError(f"{name}: {len(clashes)} ID(s) are already in the book; nothing was imported",
                                "import into a new --db, or rename the animals in the file", problems=clashes)
    ensure_species(session)
    inst = _unknown_institution(session)
    problems: list[str] = []
    births: dict[str, FuzzyDate] = {}
    for r in parsed.rows:
        if r.birth_date:
            births[r.id] = FuzzyDate.parse(r.birth_date, what=f"line {r.line}: animal {r.id}: birth date")
        elif r.birth_year is not None:
            births[r.id] = FuzzyDate(date(r.birth_year, 1, 1), "Y")
        else:
            births[r.id] = FuzzyDate.unknown()
    if problems:
        raise ImportFormatError(f"{name} has {len(problems)} problem(s); nothing was imported", "fix them", problems)

    animal_values = []
    for r in parsed.rows:
        b = births[r.id]
        founder_of_file = r.sire is None and r.dam is None and r.sire_wild and r.dam_wild
        animal_values.append({
            "studbook_id": r.id, "sex": r.sex, "birth_date": b.db_value, "birth_precision": b.precision,
            "birth_estimated": b.estimated, "birth_type": "unknown", "sire_kind": "UNK", "dam_kind": "UNK",
            "rearing": "unknown", "exclude_from_analysis": False, "do_not_breed": False, "contracepted": False,
            "hybrid_suspect": False, "exclude_from_release": False, "artificial_insemination": False,
            "version": 1, "notes": "founder of the imported pedigree" if founder_of_file else None,
        })
    for start in range(0, len(animal_values), 5000):
        session.connection().execute(insert(Animal.__table__), animal_values[start:start + 5000])
    ids = {sid: pk for sid, pk in session.execute(select(Animal.studbook_id, Animal.id))}

    def kind(parent: str | None, wild: bool) -> str:
        return "ID" if parent is not None else ("WILD" if wild else "UNK")

    links = [
        {"pk": ids[r.id], "sk": kind(r.sire, r.sire_wild), "si": ids[r.sire] if r.sire else None,
         "dk": kind(r.dam, r.dam_wild), "di": ids[r.dam] if r.dam else None}
        for r in parsed.rows
    ]
    stmt = (update(Animal.__table__).where(Animal.__table__.c.id == bindparam("pk"))
            .values(sire_kind=bindparam("sk"), sire_id=bindparam("si"), dam_kind=bindparam("dk"), dam_id=bindparam("di")))
    session.connection().execute(stmt, links)
    event_values = []
    for r in parsed.rows:
        b = births[r.id]
        event_values.append({"animal_id": ids[r.id], "kind": "birth", "date": b.db_value, "date_precision": b.precision,
                             "date_estimated": b.estimated, "institution_id": inst.id, "loan": False})
        if r.alive is False:
            event_values.append({"animal_id": ids[r.id], "kind": "death", "date": None, "date_precision": "U",
                                 "date_estimated": False, "institution_id": inst.id, "loan": False})
    for start in range(0, len(event_values), 5000):
        session.connection().execute(insert(Event.__table__), event_values[start:start + 5000])

    by_pk = {pk: sid for sid, pk in ids.items()}
    link_of = {ln["pk"]: ln for ln in links}
    audit_animals = []
    for v in animal_values:
        pk = ids[v["studbook_id"]]
        ln = link_of[pk]
        after = dict(v, id=pk, sire_kind=ln["sk"], sire_id=ln["si"], dam_kind=ln["dk"], dam_id=ln["di"])
        audit_animals.append((pk, v["studbook_id"], after))
    log_bulk_inserts(session, "animal", audit_animals)
    new_events = session.execute(
        select(Event.id, Event.animal_id, Event.kind, Event.date, Event.date_precision)
        .where(Event.animal_id.in_(select(Animal.id).where(Animal.studbook_id.in_(list(births)))))
    ).all() if len(births) < 30000 else session.execute(
        select(Event.id, Event.animal_id, Event.kind, Event.date, Event.date_precision)).all()
    log_bulk_inserts(session, "event", [
        (eid, by_pk.get(aid), {"animal_id": aid, "kind": k, "date": d, "date_precision": p, "institution_id": inst.id})
        for eid, aid, k, d, p in new_events if aid in by_pk and by_pk[aid] in births
    ])

    findings = check_book(load_book(session), [r.id for r in parsed.rows])
    errors = [f for f in errors_of(findings) if f.code not in DATE_RULES]
    if errors:
        raise ValidationError(f"{name} breaks {len(errors)} studbook rule(s); nothing was imported",
                              "fix the listed animals (or use --repair for pedigree loops and parent sexes)",
                              problems=[e.line() for e in errors])
    warnings = [f.line() for f in findings if f.severity != "error" or f.code in DATE_RULES]
    return PedigreeImportReport(
        file=name, animals=len(parsed.rows), added_parents=len(parsed.added_parents),
        dead=sum(1 for r in parsed.rows if r.alive is False),
        repairs=[f"line {a.line}: animal {a.id}: {a.action}" for a in parsed.repairs], warnings=warnings,
    )
