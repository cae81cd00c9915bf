"""Reading the book as plain records, and enforcing the rules on a write."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from ..dates import FuzzyDate
from ..errors import NotFoundError, ValidationError
from ..models import Animal, Event, Institution, ParentCandidate, Species
from ..records import AnimalFacts, Book, EventFacts, SpeciesParams
from ..rules import Finding, check_book, errors_of


def today() -> date:
    return date.today()


def species_params(session: Session) -> SpeciesParams:
    row = session.scalars(select(Species).limit(1)).first()
    if row is None:
        return SpeciesParams()
    return SpeciesParams(
        common_name=row.common_name,
        scientific_name=row.scientific_name,
        gestation_min_days=row.gestation_min_days,
        gestation_max_days=row.gestation_max_days,
        min_breeding_age_male=row.min_breeding_age_male,
        min_breeding_age_female=row.min_breeding_age_female,
        max_breeding_age_male=row.max_breeding_age_male,
        max_breeding_age_female=row.max_breeding_age_female,
        longevity_years=row.longevity_years,
    )


def mult_candidates(session: Session) -> dict[tuple[str, str], list[tuple[str, float]]]:
    """MULT parents: (studbook ID, 'sire'|'dam') -> [(candidate ID, probability), ...]."""
    cand = aliased(Animal)
    child = aliased(Animal)
    mult: dict[tuple[str, str], list[tuple[str, float]]] = {}
    for sid, role, cid, prob in session.execute(
        select(child.studbook_id, ParentCandidate.role, cand.studbook_id, ParentCandidate.probability)
        .join(child, ParentCandidate.animal_id == child.id)
        .join(cand, ParentCandidate.candidate_id == cand.id)
        .order_by(ParentCandidate.id)
    ):
        mult.setdefault((sid, role), []).append((cid, float(prob)))
    return mult


def load_book(session: Session) -> Book:
    """The whole book as plain records (Core selects, no ORM objects)."""
    sire = aliased(Animal)
    dam = aliased(Animal)
    rows = session.execute(
        select(
            Animal.id, Animal.studbook_id, Animal.sex, Animal.birth_date, Animal.birth_precision,
            Animal.birth_estimated, Animal.birth_type, Animal.sire_kind, sire.studbook_id,
            Animal.dam_kind, dam.studbook_id, Animal.rearing, Animal.artificial_insemination,
        )
        .outerjoin(sire, Animal.sire_id == sire.id)
        .outerjoin(dam, Animal.dam_id == dam.id)
    ).all()
    mult = mult_candidates(session)
    animals: dict[str, AnimalFacts] = {}
    for (_pk, sid, sex, bdate, bprec, best, btype, skind, s_sid, dkind, d_sid, rearing, ai) in rows:
        animals[sid] = AnimalFacts(
            studbook_id=sid, sex=sex, birth=FuzzyDate.from_db(bdate, bprec, best), birth_type=btype,
            sire_kind=skind, sire=s_sid, dam_kind=dkind, dam=d_sid,
            sire_candidates=tuple(mult.get((sid, "sire"), ())),
            dam_candidates=tuple(mult.get((sid, "dam"), ())),
            rearing=rearing, artificial_insemination=bool(ai),
        )
    inst = aliased(Institution)
    frm = aliased(Institution)
    events: dict[str, list[EventFacts]] = {sid: [] for sid in animals}
    for eid, sid, kind, d, prec, est, code, from_code, loan in session.execute(
        select(Event.id, Animal.studbook_id, Event.kind, Event.date, Event.date_precision,
               Event.date_estimated, inst.code, frm.code, Event.loan)
        .join(Animal, Event.animal_id == Animal.id)
        .outerjoin(inst, Event.institution_id == inst.id)
        .outerjoin(frm, Event.from_institution_id == frm.id)
    ):
        events[sid].append(EventFacts(sid, kind, FuzzyDate.from_db(d, prec, est), code, from_code, eid, bool(loan)))
    institutions = set(session.scalars(select(Institution.code)))
    return Book(species_params(session), animals, events, institutions, today())


def event_facts(animal: Animal) -> list[EventFacts]:
    """One animal's events as plain records, in event order (no whole-book load)."""
    facts = [
        EventFacts(animal.studbook_id, e.kind, FuzzyDate.from_db(e.date, e.date_precision, e.date_estimated),
                   e.institution.code if e.institution else None,
                   e.from_institution.code if e.from_institution else None, e.id, bool(e.loan))
        for e in animal.events
    ]
    return sorted(facts, key=lambda f: f.sort_key)


def enforce_rules(session: Session, touched: Iterable[str]) -> list[Finding]:
    """Check the animals a write touched (and their offspring); refuse on any error.

    Returns the warnings so the caller can show them.
    """
    session.flush()
    touched = list(touched)
    findings = check_book(load_book(session), touched)
    errors = errors_of(findings)
    if errors:
        first = errors[0]
        more = f" (and {len(errors) - 1} more problem(s))" if len(errors) > 1 else ""
        raise ValidationError(
            f"animal {first.studbook_id}: {first.message} [rule {first.code}]{more}",
            first.hint or None,
            problems=[f.line() for f in errors],
        )
    return [f for f in findings if f.severity != "error"]


def get_animal(session: Session, studbook_id: str) -> Animal:
    animal = session.scalars(select(Animal).where(Animal.studbook_id == studbook_id)).first()
    if animal is None:
        raise NotFoundError(
            f"no animal with studbook ID {studbook_id!r}",
            "check the ID with `studbook animal list` (IDs are text: '001' and '1' differ)",
        )
    return animal


def get_institution(session: Session, code: str) -> Institution:
    inst = session.scalars(select(Institution).where(Institution.code == code)).first()
    if inst is None:
        inst = session.scalars(select(Institution).where(Institution.code == code.upper())).first()
    if inst is None:
        raise NotFoundError(
            f"no institution with code {code!r}",
            "see `studbook institution list`, or add it with `studbook institution add`",
        )
    return inst
