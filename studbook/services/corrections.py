"""Corrections and voids: every record can be fixed, nothing is lost.

A correction changes a field of an animal (sex, birth date, parentage, place of
birth) or of an event (date, place, origin, cause, site); a void withdraws a
mistaken record (a litter registered twice). Each needs a reason, which lands in
the audit rows of the change with who and when. The voided record stays in the
database and in the audit log, is shown as void, and counts nowhere. Every change
re-checks the rules on the animals it touches and their offspring in the same
transaction: a broken rule refuses the whole change.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from ..audit import set_reason
from ..dates import FuzzyDate
from ..errors import ConflictError, InvalidInputError, NotFoundError, ValidationError
from ..models import SEXES, Animal, Event, ParentCandidate
from ..rules import Finding
from ..text import clean_text
from .access import authorize, authorized, plain, record_author, request
from .animals import ParentSpec, add_local_id, apply_parent, check_choice, check_length
from .book import enforce_rules, get_animal, get_institution

if TYPE_CHECKING:
    from .pending import PendingUpdate


@dataclass(frozen=True)
class CorrectionResult:
    record: str  # "animal 1250" or "event 8812"
    changed: list[str]
    warnings: list[Finding]


def _reason(reason: str | None, what: str) -> str:
    text = clean_text(reason, what="reason", record=what, limit=2000, multiline=True)
    if not text:
        raise InvalidInputError(f"{what}: a correction needs a reason", "give --reason TEXT (it goes into the audit log)")
    return text


def correct_animal(
    session: Session,
    studbook_id: str,
    *,
    reason: str | None,
    sex: str | None = None,
    birth_date: str | None = None,
    sire: ParentSpec | None = None,
    dam: ParentSpec | None = None,
    birth_institution: str | None = None,
) -> CorrectionResult | PendingUpdate:
    """Correct the master record: sex, birth date (and the birth event's), parents, place of birth."""
    animal = get_animal(session, studbook_id)
    sid = animal.studbook_id
    pending = _authorize_animal(session, "correct_animal", animal, reason, {
        "sex": sex, "birth_date": birth_date, "sire": sire, "dam": dam, "birth_institution": birth_institution})
    if pending is not None:
        return pending
    set_reason(session, _reason(reason, f"animal {sid}"))
    changed: list[str] = []
    if sex is not None:
        animal.sex = check_choice(sex.upper(), SEXES, "sex", sid)
        changed.append("sex")
    if birth_date is not None:
        birth = FuzzyDate.parse(birth_date, what=f"animal {sid}: birth date")
        animal.birth_date, animal.birth_precision, animal.birth_estimated = (
            birth.db_value, birth.precision, birth.estimated)
        for ev in _live_events(animal, "birth"):
            ev.date, ev.date_precision, ev.date_estimated = birth.db_value, birth.precision, birth.estimated
        changed.append("birth date")
    for role, spec in (("sire", sire), ("dam", dam)):
        if spec is None:
            continue
        with session.no_autoflush:  # kind and id change together (a CHECK ties them)
            for cand in [c for c in animal.candidates if c.role == role]:
                animal.candidates.remove(cand)
            setattr(animal, f"{role}_id", None)
            apply_parent(session, animal, role, spec)
        changed.append(role)
    if birth_institution is not None:
        inst = get_institution(session, birth_institution)
        first = _first_place_event(animal)
        first.institution = inst
        changed.append("birth institution")
    if not changed:
        raise InvalidInputError(f"animal {sid}: nothing to correct",
                                "give --sex, --birth-date, --sire, --dam or --birth-institution")
    if dam is not None:
        _join_litter(session, animal)
    warnings = enforce_rules(session, [sid])
    return CorrectionResult(f"animal {sid}", changed, warnings)


def _authorize_animal(session: Session, action: str, animal: Animal, reason: str | None,
                      options: dict[str, object]) -> PendingUpdate | None:
    """A correction or void of an animal record: a registrar's own records apply, others are pending."""
    sid = animal.studbook_id
    given = {k: v for k, v in options.items() if v is not None}
    words = f" ({', '.join(k.replace('_', ' ') for k in given)})" if given else ""
    return authorize(
        session, action, lambda: request(action, f"animal {sid}", [], record_author(session, "animal", animal.id)),
        params=plain({"studbook_id": sid, "reason": reason, **given}), record=sid,
        summary=f"{action.replace('_', ' ')} of animal {sid}{words}: {reason or 'no reason given'}")


def _join_litter(session: Session, animal: Animal) -> None:
    """After its dam changed, the young belongs to the litter of its new dam born then.

    (A corrected birth date keeps the litter: its mates are corrected one by one.)

    The litter is that of a non-void sibling whose possible birth days overlap its own;
    with none, the young is a litter of its own (rule B01 then judges the interval).
    """
    births = _live_events(animal, "birth")
    if not births:
        return
    session.flush()
    mine = FuzzyDate.from_db(animal.birth_date, animal.birth_precision, animal.birth_estimated)
    litter = None
    if animal.dam_id is not None:
        q = (select(Event.litter_id, Event.id, Animal.birth_date, Animal.birth_precision, Animal.birth_estimated)
             .join(Animal, Event.animal_id == Animal.id)
             .where(Animal.dam_id == animal.dam_id, Animal.id != animal.id, Animal.void.is_(False),
                    Event.kind == "birth", Event.void.is_(False)))
        for litter_id, event_id, bdate, prec, est in session.execute(q):
            theirs = FuzzyDate.from_db(bdate, prec, est)
            if mine.earliest <= theirs.latest and theirs.earliest <= mine.latest:
                litter = min(litter or (litter_id or event_id), litter_id or event_id)
    for ev in births:
        ev.litter_id = litter if litter is not None else ev.id


def update_animal(
    session: Session,
    studbook_id: str,
    *,
    reason: str | None = None,
    flags: dict[str, object] | None = None,
    sex: str | None = None,
    birth_date: str | None = None,
    sire: ParentSpec | None = None,
    dam: ParentSpec | None = None,
    birth_institution: str | None = None,
    expected_version: int | None = None,
) -> CorrectionResult | PendingUpdate:
    """`animal update`: flags, house name, rearing and notes (a reason optional) and corrections (a reason required).

    Judged once: as a correction (own records of a registrar) when it corrects the master
    record, else as a flag change (animals an own institution holds).

    *expected_version* is the ``version`` of the record as the caller read it (``animal show``
    prints it; a form carries it): when the record has changed since, nobody's change is
    lost silently: a :class:`ConflictError` and nothing is written."""
    from .animals import holder

    corrections = {"sex": sex, "birth_date": birth_date, "sire": sire, "dam": dam,
                   "birth_institution": birth_institution}
    if not flags and all(v is None for v in corrections.values()):
        raise InvalidInputError(f"animal {studbook_id}: nothing to change", "give at least one option, e.g. --do-not-breed")
    animal = get_animal(session, studbook_id)
    check_version(animal, expected_version)
    if any(v is not None for v in corrections.values()):
        pending = _authorize_animal(session, "update_animal", animal, reason, {**corrections, "flags": flags or None})
    else:
        sid = animal.studbook_id
        pending = authorize(
            session, "update_animal", lambda: request("set_flags", f"animal {sid}", [holder(session, animal)]),
            params=plain({"studbook_id": sid, "reason": reason, "flags": flags}), record=sid,
            summary=f"change of {', '.join(k.replace('_', ' ') for k in flags or {})} of animal {sid}")
    if pending is not None:
        return pending
    with authorized(session):
        return _update_animal(session, studbook_id, reason=reason, flags=flags, sex=sex, birth_date=birth_date,
                              sire=sire, dam=dam, birth_institution=birth_institution)


def check_version(animal: Animal, expected_version: int | None) -> None:
    """Refuse a change made against an older read of the record (a lost update)."""
    if expected_version is None:
        return
    if isinstance(expected_version, bool) or not isinstance(expected_version, int) or expected_version < 1:
        raise InvalidInputError(f"animal {animal.studbook_id}: the expected version must be a positive whole number",
                                "give the version `studbook animal show ID` printed")
    if animal.version != expected_version:
        raise ConflictError(
            f"animal {animal.studbook_id} was changed by someone else since you read it "
            f"(version {expected_version}, now {animal.version})",
            "nothing was written; read the record again (`studbook animal show`) and repeat the change")


def _update_animal(session: Session, studbook_id: str, *, reason: str | None, flags: dict[str, object] | None,
                   sex: str | None, birth_date: str | None, sire: ParentSpec | None, dam: ParentSpec | None,
                   birth_institution: str | None) -> CorrectionResult:
    from .animals import set_flags

    corrections = {"sex": sex, "birth_date": birth_date, "sire": sire, "dam": dam,
                   "birth_institution": birth_institution}
    changed: list[str] = []
    warnings: list[Finding] = []
    if any(v is not None for v in corrections.values()):
        result = correct_animal(session, studbook_id, reason=reason, sex=sex, birth_date=birth_date,
                                sire=sire, dam=dam, birth_institution=birth_institution)
        assert isinstance(result, CorrectionResult)
        changed, warnings = result.changed, result.warnings
    elif reason:
        set_reason(session, _reason(reason, f"animal {studbook_id}"))
    if flags:
        set_flags(session, studbook_id, flags)
        changed += sorted(k.replace("_", " ") for k in flags)
    return CorrectionResult(f"animal {studbook_id}", changed, warnings)


def _live_events(animal: Animal, kind: str) -> list[Event]:
    return [e for e in animal.events if e.kind == kind and not e.void]


def _first_place_event(animal: Animal) -> Event:
    births = _live_events(animal, "birth")
    if births:
        return births[0]
    captures = sorted(_live_events(animal, "capture"), key=lambda e: (e.date is None, e.date, e.id))
    if captures:
        return captures[0]
    raise ValidationError(f"animal {animal.studbook_id} has no birth or capture to correct",
                          "record its birth or capture first")


def get_event(session: Session, event_id: int) -> Event:
    ev = session.get(Event, event_id)
    if ev is None:
        raise NotFoundError(f"no event with id {event_id}", "`studbook event list ID` shows an animal's event ids")
    return ev


def correct_event(
    session: Session,
    event_id: int,
    *,
    reason: str | None,
    date: str | None = None,
    at: str | None = None,
    from_code: str | None = None,
    cause: str | None = None,
    site: str | None = None,
    local_id: str | None = None,
) -> CorrectionResult | PendingUpdate:
    """Correct an event's date, place (--at), origin (--from), cause, site or local ID."""
    ev = get_event(session, event_id)
    if ev.void:
        raise ValidationError(f"event {event_id} is void ({ev.void_reason})", "record the event again instead")
    animal = ev.animal
    sid = animal.studbook_id
    pending = _authorize_event(session, "correct_event", ev, reason, {
        "date": date, "at": at, "from_code": from_code, "cause": cause, "site": site, "local_id": local_id})
    if pending is not None:
        return pending
    if animal.void:
        raise ValidationError(f"event {event_id} belongs to void animal {sid}", "nothing to correct")
    set_reason(session, _reason(reason, f"event {event_id}"))
    changed: list[str] = []
    if date is not None:
        when = FuzzyDate.parse(date, what=f"animal {sid}: {ev.kind} date")
        ev.date, ev.date_precision, ev.date_estimated = when.db_value, when.precision, when.estimated
        if ev.kind == "birth":  # the master record holds the same birth date (rule E03)
            animal.birth_date, animal.birth_precision, animal.birth_estimated = (
                when.db_value, when.precision, when.estimated)
        changed.append("date")
    if at is not None:
        ev.institution = get_institution(session, at)
        changed.append("institution")
    if from_code is not None:
        if ev.kind not in ("transfer", "release"):
            raise InvalidInputError(f"event {event_id} is a {ev.kind}; only transfers and releases have an origin",
                                    "leave out --from")
        ev.from_institution = get_institution(session, from_code)
        changed.append("from institution")
    if cause is not None:
        ev.cause = clean_text(cause, what="cause", record=f"animal {sid}", multiline=True)
        changed.append("cause")
    if site is not None:
        ev.site = check_length(site, "site", sid)
        changed.append("site")
    if local_id is not None:
        if ev.institution is None:
            raise InvalidInputError(f"event {event_id} has no institution to hold a local ID", "leave out --local-id")
        value = check_length(local_id, "local ID", sid)
        if value:
            add_local_id(animal, ev.institution, value, ev)
        changed.append("local ID")
    if not changed:
        raise InvalidInputError(f"event {event_id}: nothing to correct",
                                "give --date, --at, --from, --cause, --site or --local-id")
    warnings = enforce_rules(session, [sid])
    return CorrectionResult(f"event {event_id}", changed, warnings)


def _authorize_event(session: Session, action: str, ev: Event, reason: str | None,
                     options: dict[str, object]) -> PendingUpdate | None:
    """A correction or void of an event: a registrar's own records apply, others are pending."""
    given = {k: v for k, v in options.items() if v is not None}
    words = "".join("; " + k.replace("_", " ") for k in given)
    sid = ev.animal.studbook_id
    return authorize(
        session, action, lambda: request(action, f"event {ev.id} ({ev.kind} of {sid})", [],
                                         record_author(session, "event", ev.id)),
        params={"event_id": ev.id, "reason": reason, **given}, record=sid,
        summary=f"{action.replace('_', ' ')} {ev.id} ({ev.kind} of {sid}{words}): {reason or 'no reason given'}")


def void_event(session: Session, event_id: int, *, reason: str | None) -> CorrectionResult | PendingUpdate:
    """Withdraw a mistaken event: it stays, marked void, and counts nowhere."""
    ev = get_event(session, event_id)
    if ev.void:
        raise ValidationError(f"event {event_id} is already void ({ev.void_reason})", "nothing to do")
    pending = _authorize_event(session, "void_event", ev, reason, {})
    if pending is not None:
        return pending
    why = _reason(reason, f"event {event_id}")
    set_reason(session, why)
    ev.void, ev.void_reason = True, why
    sid = ev.animal.studbook_id
    if ev.kind == "birth" and not ev.animal.void:
        raise ValidationError(
            f"event {event_id} is the birth of animal {sid}; an animal without its birth breaks rule E03",
            f"to withdraw a wrongly registered animal void the animal: `studbook animal void {sid} --reason ...`")
    warnings = enforce_rules(session, [sid])
    return CorrectionResult(f"event {event_id}", ["void"], warnings)


def void_animal(session: Session, studbook_id: str, *, reason: str | None) -> CorrectionResult | PendingUpdate:
    """Withdraw a mistaken animal record (and its events); its ID is never given again.

    Refused while a non-void animal names it as a parent or MULT candidate.
    """
    animal = get_animal(session, studbook_id)
    sid = animal.studbook_id
    pending = _authorize_animal(session, "void_animal", animal, reason, {})
    if pending is not None:
        return pending
    why = _reason(reason, f"animal {sid}")
    children = sorted(set(session.scalars(
        select(Animal.studbook_id).where(or_(Animal.sire_id == animal.id, Animal.dam_id == animal.id),
                                         Animal.void.is_(False)))) | set(session.scalars(
        select(Animal.studbook_id).join(ParentCandidate, ParentCandidate.animal_id == Animal.id)
        .where(ParentCandidate.candidate_id == animal.id, Animal.void.is_(False)))))
    if children:
        shown = ", ".join(children[:10]) + (" ..." if len(children) > 10 else "")
        raise ValidationError(f"animal {sid} is a parent of {len(children)} animal(s) ({shown}); it cannot be void",
                              "correct their parents first (`studbook animal update ID --sire/--dam ... --reason`), "
                              "or void them first")
    set_reason(session, why)
    animal.void, animal.void_reason = True, why
    for ev in animal.events:
        if not ev.void:
            ev.void, ev.void_reason = True, f"animal {sid} void: {why}"
    session.flush()
    from .problems import close_mended

    close_mended(session, [], [sid])
    return CorrectionResult(f"animal {sid}", ["void"], [])
