"""Life events: births (litters), transfers, deaths, releases, lost to follow-up."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from ..dates import FuzzyDate
from ..errors import InvalidInputError, ValidationError
from ..models import SEXES
from ..records import status_of
from ..rules import Finding
from .animals import ParentSpec, add_event, create_animal, next_studbook_id
from .book import enforce_rules, event_facts, get_animal, get_institution
from .plans import mark_birth, mark_death, mark_release, mark_transfer

MAX_LITTER = 8


@dataclass(frozen=True)
class LitterResult:
    studbook_ids: list[str]
    dam: str
    sire: str
    date: str
    institution: str
    warnings: list[Finding]
    fulfilled: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class EventResult:
    studbook_id: str
    event: str
    date: str
    institution: str | None
    from_institution: str | None
    warnings: list[Finding]
    fulfilled: list[int] = field(default_factory=list)


def register_birth(
    session: Session,
    *,
    dam: str,
    sire: ParentSpec,
    date: str,
    at: str,
    cubs: list[str],
    rearing: str = "parent",
    artificial_insemination: bool = False,
    names: list[str] | None = None,
) -> LitterResult:
    """Register a litter: assign the next studbook IDs and record each cub's birth at *at*."""
    if not cubs:
        raise InvalidInputError("a litter needs at least one --cub", "give --cub M, --cub F or --cub U per cub")
    if len(cubs) > MAX_LITTER:
        raise InvalidInputError(f"{len(cubs)} cubs in one litter is more than {MAX_LITTER}",
                                "check the --cub options")
    sexes = []
    for c in cubs:
        s = c.strip().upper()
        if s not in SEXES:
            raise InvalidInputError(f"--cub {c!r} is not a sex", "write --cub M, --cub F or --cub U")
        sexes.append(s)
    if names and len(names) != len(sexes):
        raise InvalidInputError(f"{len(names)} --name for {len(sexes)} cubs", "give one --name per --cub, or none")
    birth = FuzzyDate.parse(date, what="birth date")
    get_animal(session, dam)  # clear error for an unknown dam before anything else
    inst = get_institution(session, at)
    first = next_studbook_id(session)
    ids = []
    events = []
    for k, sex in enumerate(sexes):
        sid = str(first + k)
        animal = create_animal(
            session, sid, sex=sex, birth=birth, birth_type="captive", sire=sire, dam=ParentSpec("ID", dam),
            rearing=rearing, artificial_insemination=artificial_insemination,
            house_name=names[k] if names else None,
        )
        events.append(add_event(session, animal, "birth", birth, at=inst.code))
        ids.append(sid)
    warnings = enforce_rules(session, ids)
    sires = [sire.studbook_id] if sire.studbook_id else [c for c, _ in sire.candidates]
    fulfilled = mark_birth(session, sires, dam, [e.id for e in events], birth.db_value, ids)
    return LitterResult(ids, dam, sire.label(), str(birth), inst.code, warnings, fulfilled)


def _current(session: Session, studbook_id: str) -> tuple[str | None, str]:
    st = status_of(event_facts(get_animal(session, studbook_id)))
    return st.location, st.fate


def _require_alive(session: Session, studbook_id: str, what: str) -> str | None:
    location, fate = _current(session, studbook_id)
    if fate != "alive":
        word = {"dead": "is dead", "released": "was released to the wild", "ltf": "is lost to follow-up",
                "unplaced": "has no birth or capture recorded"}[fate]
        raise ValidationError(f"animal {studbook_id} {word}; cannot record a {what}",
                              "check the studbook ID (`studbook history ID` shows its events)")
    return location


def transfer(
    session: Session,
    studbook_id: str,
    *,
    to: str,
    date: str,
    loan: bool = False,
    from_code: str | None = None,
    local_id: str | None = None,
) -> EventResult:
    """Move an animal from its current institution to *to*."""
    animal = get_animal(session, studbook_id)
    when = FuzzyDate.parse(date, what=f"animal {studbook_id}: transfer date")
    location = _require_alive(session, animal.studbook_id, "transfer")
    dest = get_institution(session, to)
    if from_code is not None:
        src = get_institution(session, from_code)
        if src.code != location:
            raise ValidationError(
                f"animal {studbook_id} is at {location}, not at {src.code}; cannot transfer it from {src.code} [rule E07]",
                f"transfers start at the animal's current institution ({location})",
            )
    if dest.code == location:
        raise ValidationError(f"animal {studbook_id} is already at {dest.code} [rule E07]", "give another --to")
    ev = add_event(session, animal, "transfer", when, at=dest.code, from_code=location, loan=loan, local_id=local_id)
    warnings = enforce_rules(session, [animal.studbook_id])
    fulfilled = mark_transfer(session, animal.studbook_id, dest.code, ev.id, when.db_value)
    return EventResult(animal.studbook_id, "transfer", str(when), dest.code, location, warnings, fulfilled)


def _end_event(session: Session, studbook_id: str, kind: str, date: str, **kw: str | None) -> EventResult:
    animal = get_animal(session, studbook_id)
    when = FuzzyDate.parse(date, what=f"animal {studbook_id}: {kind} date")
    location = _require_alive(session, animal.studbook_id, kind)
    ev = add_event(session, animal, kind, when, at=location if kind == "death" else None, **kw)  # type: ignore[arg-type]
    warnings = enforce_rules(session, [animal.studbook_id])
    fulfilled: list[int] = []
    if kind == "release":
        fulfilled = mark_release(session, animal.studbook_id, ev.id, when.db_value)
    elif kind == "death":
        mark_death(session, animal.studbook_id, when.db_value)
    return EventResult(animal.studbook_id, kind, str(when), location, None, warnings, fulfilled)


def death(session: Session, studbook_id: str, *, date: str, cause: str | None = None) -> EventResult:
    """Record a death at the animal's current institution."""
    return _end_event(session, studbook_id, "death", date, cause=cause)


def release(session: Session, studbook_id: str, *, date: str, site: str) -> EventResult:
    """Record a release to the wild at *site*."""
    if not site.strip():
        raise InvalidInputError(f"animal {studbook_id}: the release site is empty", "give --site, e.g. 'Lazovsky Zapovednik'")
    return _end_event(session, studbook_id, "release", date, site=site.strip())


def lost_to_follow_up(session: Session, studbook_id: str, *, date: str) -> EventResult:
    """Record that the animal's fate is no longer known (go LTF)."""
    return _end_event(session, studbook_id, "ltf", date)


def capture(session: Session, studbook_id: str, *, date: str, at: str, local_id: str | None = None) -> EventResult:
    """Record a capture from the wild of a released or lost animal (it is placed at *at* again)."""
    animal = get_animal(session, studbook_id)
    when = FuzzyDate.parse(date, what=f"animal {studbook_id}: capture date")
    location, fate = _current(session, animal.studbook_id)
    if fate not in ("released", "ltf"):
        word = {"alive": f"is alive at {location}", "dead": "is dead", "unplaced": "has no birth or capture"}[fate]
        raise ValidationError(f"animal {studbook_id} {word}; only a released or lost animal can be captured",
                              "a wild-born founder is registered with `studbook animal add --wild-born`")
    inst = get_institution(session, at)
    add_event(session, animal, "capture", when, at=inst.code, local_id=local_id)
    warnings = enforce_rules(session, [animal.studbook_id])
    return EventResult(animal.studbook_id, "capture", str(when), inst.code, None, warnings)
