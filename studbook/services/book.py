"""Reading the book as plain records, and enforcing the rules on a write."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator
from datetime import date

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, aliased

from ..dates import FuzzyDate
from ..errors import NotFoundError, ValidationError
from ..models import Animal, Event, Institution, ParentCandidate, Species
from ..records import AnimalFacts, Book, EventFacts, SpeciesParams, order_events
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
        reproduction=row.reproduction or "live",
        incubation_min_days=row.incubation_min_days,
        incubation_max_days=row.incubation_max_days,
        clutch_interval_days=row.clutch_interval_days,
        earliest_year=row.earliest_year if row.earliest_year is not None else 1850,
        dependence_months=row.dependence_months,
        release_age_min=row.release_age_min,
        release_age_max=row.release_age_max,
    )


def census_date(session: Session) -> date | None:
    """The census date the book declares (``species set --census-date``), or None."""
    return session.scalars(select(Species.census_date).limit(1)).first()


def institution_kinds(session: Session) -> dict[str, str]:
    """Institution code -> kind (zoo, breeding-centre, release-site, wild-area)."""
    return {code: kind for code, kind in session.execute(select(Institution.code, Institution.kind))}


def mult_candidates(session: Session, pks: Collection[int] | None = None) -> dict[tuple[str, str], list[tuple[str, float]]]:
    """MULT parents: (studbook ID, 'sire'|'dam') -> [(candidate ID, probability), ...] (of *pks* only, if given)."""
    cand = aliased(Animal)
    child = aliased(Animal)
    mult: dict[tuple[str, str], list[tuple[str, float]]] = {}
    q = (select(child.studbook_id, ParentCandidate.role, cand.studbook_id, ParentCandidate.probability)
         .join(child, ParentCandidate.animal_id == child.id)
         .join(cand, ParentCandidate.candidate_id == cand.id)
         .where(child.void.is_(False))
         .order_by(ParentCandidate.id))
    for chunk in _chunks(pks):
        for sid, role, cid, prob in session.execute(q if chunk is None else q.where(child.id.in_(chunk))):
            mult.setdefault((sid, role), []).append((cid, float(prob)))
    return mult


def _chunks(pks: Collection[int] | None, size: int = 900) -> Iterator[list[int] | None]:
    """None (no filter) or the keys in chunks small enough for any database's parameter limit."""
    if pks is None:
        yield None
        return
    keys = sorted(pks)
    for i in range(0, len(keys), size):
        yield keys[i:i + size]


def load_book(session: Session, only: Iterable[str] | None = None) -> Book:
    """The book as plain records (Core selects, no ORM objects); void records left out.

    With *only* (studbook IDs a write touched), just the part of the book their rules
    read: those animals and their offspring, the ancestors of all of them (loops,
    parents' dates and places), and the other young of their dams (litters). A write
    then costs what it touches, not the size of the book.
    """
    pks = None if only is None else _neighbourhood(session, only)
    sire = aliased(Animal)
    dam = aliased(Animal)
    q = (select(Animal.id, Animal.studbook_id, Animal.sex, Animal.birth_date, Animal.birth_precision,
                Animal.birth_estimated, Animal.birth_type, Animal.sire_kind, sire.studbook_id,
                Animal.dam_kind, dam.studbook_id, Animal.rearing, Animal.artificial_insemination)
         .outerjoin(sire, Animal.sire_id == sire.id)
         .outerjoin(dam, Animal.dam_id == dam.id)
         .where(Animal.void.is_(False)))
    rows = [r for chunk in _chunks(pks) for r in session.execute(q if chunk is None else q.where(Animal.id.in_(chunk)))]
    mult = mult_candidates(session, pks)
    animals: dict[str, AnimalFacts] = {}
    for (_pk, sid, sex, bdate, bprec, best, btype, skind, s_sid, dkind, d_sid, rearing, ai) in rows:
        animals[sid] = AnimalFacts(
            studbook_id=sid, sex=sex, birth=FuzzyDate.from_db(bdate, bprec, best), birth_type=btype,
            sire_kind=skind, sire=s_sid, dam_kind=dkind, dam=d_sid,
            sire_candidates=tuple(mult.get((sid, "sire"), ())),
            dam_candidates=tuple(mult.get((sid, "dam"), ())),
            rearing=rearing, artificial_insemination=bool(ai),
        )
    events: dict[str, list[EventFacts]] = {sid: [] for sid in animals}
    for facts in _event_rows(session, pks):
        if facts.studbook_id in events:
            events[facts.studbook_id].append(facts)
    return Book(species_params(session), animals, events, institution_kinds(session), today(),
                census=census_date(session))


def _event_rows(session: Session, pks: Collection[int] | None) -> Iterator[EventFacts]:
    inst = aliased(Institution)
    frm = aliased(Institution)
    laid = aliased(Institution)
    q = (select(Event.id, Animal.studbook_id, Event.kind, Event.date, Event.date_precision,
                Event.date_estimated, inst.code, frm.code, Event.loan, laid.code, Event.wild_egg, Event.litter_id)
         .join(Animal, Event.animal_id == Animal.id)
         .outerjoin(inst, Event.institution_id == inst.id)
         .outerjoin(frm, Event.from_institution_id == frm.id)
         .outerjoin(laid, Event.laid_at_id == laid.id)
         .where(Event.void.is_(False)))
    for chunk in _chunks(pks):
        for eid, sid, kind, d, prec, est, code, from_code, loan, laid_code, wild_egg, litter in session.execute(
                q if chunk is None else q.where(Event.animal_id.in_(chunk))):
            yield EventFacts(sid, kind, FuzzyDate.from_db(d, prec, est), code, from_code, eid, bool(loan),
                             laid_code, bool(wild_egg), litter)


def _neighbourhood(session: Session, touched: Iterable[str]) -> set[int]:
    """Primary keys of what the rules of *touched* read (see ``load_book``)."""
    sids = sorted(set(touched))
    base = {pk for chunk in _chunks_of(sids) for pk in session.scalars(
        select(Animal.id).where(Animal.studbook_id.in_(chunk)))}
    # Offspring (their rules read their parents) ...
    young = set(base)
    for chunk in _chunks(base):
        assert chunk is not None
        young.update(session.scalars(select(Animal.id).where(or_(Animal.sire_id.in_(chunk), Animal.dam_id.in_(chunk)))))
        young.update(session.scalars(select(ParentCandidate.animal_id).where(ParentCandidate.candidate_id.in_(chunk))))
    # ... every ancestor of all of them (loops, parents' dates and places) ...
    known = set(young)
    frontier = set(young)
    while frontier:
        nxt: set[int] = set()
        for chunk in _chunks(frontier):
            assert chunk is not None
            for s_pk, d_pk in session.execute(select(Animal.sire_id, Animal.dam_id).where(Animal.id.in_(chunk))):
                nxt.update(p for p in (s_pk, d_pk) if p is not None)
            nxt.update(session.scalars(select(ParentCandidate.candidate_id).where(ParentCandidate.animal_id.in_(chunk))))
        frontier = nxt - known
        known |= frontier
    # ... and the other young of the dams (one litter at a time).
    dams = _first_dams(session, young)
    for chunk in _chunks(dams):
        assert chunk is not None
        known.update(session.scalars(select(Animal.id).where(Animal.dam_id.in_(chunk))))
    return known


def _first_dams(session: Session, young: set[int]) -> set[int]:
    out: set[int] = set()
    for chunk in _chunks(young):
        assert chunk is not None
        out.update(d for d in session.scalars(select(Animal.dam_id).where(Animal.id.in_(chunk))) if d is not None)
    return out


def _chunks_of(items: list[str], size: int = 900) -> Iterator[list[str]]:
    for i in range(0, len(items), size):
        yield items[i:i + size]


def event_facts(animal: Animal) -> list[EventFacts]:
    """One animal's events (void ones left out) as plain records, in event order (no whole-book load)."""
    return order_events(
        EventFacts(animal.studbook_id, e.kind, FuzzyDate.from_db(e.date, e.date_precision, e.date_estimated),
                   e.institution.code if e.institution else None,
                   e.from_institution.code if e.from_institution else None, e.id, bool(e.loan),
                   e.laid_at.code if e.laid_at else None, bool(e.wild_egg), e.litter_id)
        for e in animal.events if not e.void
    )


def enforce_rules(session: Session, touched: Iterable[str]) -> list[Finding]:
    """Check the animals a write touched (and their offspring); refuse on any new error.

    Errors already recorded as open problems of those animals (a book loaded with
    ``--allow-problems``) do not block the write, but a write may not add a new one;
    open problems that the write mends are closed. Returns the warnings so the caller
    can show them.
    """
    from .problems import close_mended, known_errors

    session.flush()
    touched = list(touched)
    findings = check_book(load_book(session, touched), touched)
    known = known_errors(session, {f.studbook_id for f in findings} | set(touched))
    errors = [e for e in errors_of(findings) if (e.studbook_id, e.code) not in known]
    if errors:
        first = errors[0]
        more = f" (and {len(errors) - 1} more problem(s))" if len(errors) > 1 else ""
        raise ValidationError(
            f"animal {first.studbook_id}: {first.message} [rule {first.code}]{more}",
            first.hint or None,
            problems=[f.line() for f in errors],
        )
    close_mended(session, findings, touched)
    return [f for f in findings if f.severity != "error"]


def get_animal(session: Session, studbook_id: str, *, include_void: bool = False) -> Animal:
    """The animal with this studbook ID; a void animal counts as missing unless *include_void*."""
    animal = session.scalars(select(Animal).where(Animal.studbook_id == studbook_id.strip())).first()
    if animal is None:
        raise NotFoundError(
            f"no animal with studbook ID {studbook_id!r}",
            "check the ID with `studbook animal find TEXT` (IDs are text: '001' and '1' differ)",
        )
    if animal.void and not include_void:
        raise NotFoundError(f"animal {animal.studbook_id} is void ({animal.void_reason})",
                            "a void record counts nowhere; `studbook animal show ID` shows it")
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
