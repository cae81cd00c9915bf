"""Life events: births and hatches (litters, clutches), transfers, releases, life in the wild, deaths.

An animal is *captive* at a zoo or breeding centre and *in the wild* at a release
site or wild area. A release moves it to a site; while it is in the wild a transfer
records its movement between wild sites, a death may happen there, and a young may
be born there to released parents. An arrival at a captive institution is a
recapture (``capture``; a transfer from a wild site to a captive place is read as
one, with a warning). Lost to follow-up (``ltf``) ends the record until a capture.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from ..dates import FuzzyDate
from ..errors import InvalidInputError, NotFoundError, ValidationError
from ..models import SEXES, WILD_KINDS, Event, Institution
from ..records import status_of
from ..rules import Finding
from .access import authorize, plain, request
from .animals import ParentSpec, add_event, claim_next_ids, create_animal
from .book import enforce_rules, event_facts, get_animal, get_institution, institution_kinds, species_params
from .plans import mark_birth, mark_death, mark_release, mark_transfer

if TYPE_CHECKING:
    from .pending import PendingUpdate

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
    litter_id: int | None = None


@dataclass(frozen=True)
class EventResult:
    studbook_id: str
    event: str
    date: str
    institution: str | None
    from_institution: str | None
    warnings: list[Finding]
    fulfilled: list[int] = field(default_factory=list)
    event_id: int | None = None


def _sexes(cubs: list[str]) -> list[str]:
    if not cubs:
        raise InvalidInputError("a litter needs at least one --cub", "give --cub M, --cub F or --cub U per cub")
    if len(cubs) > MAX_LITTER:
        raise InvalidInputError(f"{len(cubs)} cubs in one litter is more than {MAX_LITTER}", "check the --cub options")
    sexes = []
    for c in cubs:
        s = c.strip().upper()
        if s not in SEXES:
            raise InvalidInputError(f"--cub {c!r} is not a sex", "write --cub M, --cub F or --cub U")
        sexes.append(s)
    return sexes


def _per_cub(values: list[str] | None, n: int, option: str) -> list[str | None]:
    if not values:
        return [None] * n
    if len(values) != n:
        raise InvalidInputError(f"{len(values)} {option} for {n} cubs", f"give one {option} per --cub, or none")
    return list(values)


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
    local_ids: list[str] | None = None,
    laid_at: str | None = None,
    wild_egg: bool = False,
    add_to_litter: int | None = None,
) -> LitterResult | PendingUpdate:
    """Register a litter (or clutch): assign the next studbook IDs and record each young's birth at *at*.

    Egg species: *at* is where the egg hatched, *laid_at* where the dam laid it
    (default: *at*), *wild_egg* an egg taken from a wild nest (the dam may not be in
    captivity). *add_to_litter*: the birth event id of a litter already registered,
    to add a late-registered young to it (same dam, sire, date and place).
    """
    sexes = _sexes(cubs)
    names_ = _per_cub(names, len(sexes), "--name")
    locals_ = _per_cub(local_ids, len(sexes), "--local-id")
    pending = authorize(
        session, "birth", lambda: request("birth", f"a litter of dam {dam}", [at.upper(), (laid_at or "").upper()]),
        params=plain({"dam": dam, "sire": sire, "date": date, "at": at, "cubs": cubs, "rearing": rearing,
                      "artificial_insemination": artificial_insemination, "names": names, "local_ids": local_ids,
                      "laid_at": laid_at, "wild_egg": wild_egg, "add_to_litter": add_to_litter}),
        record=dam, summary=f"birth of {len(sexes)} young of dam {dam} at {at.upper()} on {date}")
    if pending is not None:
        return pending
    litter_id = None
    if add_to_litter is not None:
        first = _litter_birth(session, add_to_litter)
        if first.litter_id is None:  # a litter loaded without ids: it gets one now
            first.litter_id = first.id
        litter_id = first.litter_id
        parent = first.animal
        if parent.dam is None or parent.dam.studbook_id != dam:
            raise ValidationError(f"litter {add_to_litter} is of dam {parent.dam.studbook_id if parent.dam else parent.dam_kind}, "
                                  f"not {dam}", "give the dam of that litter, or leave out --add-to-litter")
    birth = FuzzyDate.parse(date, what="birth date")
    get_animal(session, dam)  # clear error for an unknown dam before anything else
    inst = get_institution(session, at)
    egg = species_params(session).lays_eggs
    if (laid_at or wild_egg) and not egg:
        raise InvalidInputError("--laid-at and --wild-egg are for egg-laying species",
                                "set the species with `studbook species set --reproduction egg` first")
    laid = get_institution(session, laid_at) if laid_at else None
    born_wild = inst.kind in WILD_KINDS
    ids = [str(n) for n in claim_next_ids(session, len(sexes))]
    events: list[Event] = []
    for sid, sex, name, local in zip(ids, sexes, names_, locals_):
        animal = create_animal(
            session, sid, sex=sex, birth=birth, birth_type="wild" if born_wild else "captive", sire=sire,
            dam=ParentSpec("ID", dam), rearing=rearing, artificial_insemination=artificial_insemination,
            house_name=name,
        )
        ev = add_event(session, animal, "birth", birth, at=inst.code, local_id=local)
        ev.laid_at, ev.wild_egg = laid, wild_egg
        events.append(ev)
    session.flush()
    litter_id = litter_id or events[0].id
    for ev in events:
        ev.litter_id = litter_id
    warnings = enforce_rules(session, ids)
    sires = [sire.studbook_id] if sire.studbook_id else [c for c, _ in sire.candidates]
    fulfilled = mark_birth(session, sires, dam, [e.id for e in events], birth.db_value, ids)
    return LitterResult(ids, dam, sire.label(), str(birth), inst.code, warnings, fulfilled, litter_id)


def _litter_birth(session: Session, event_id: int) -> Event:
    ev = session.get(Event, event_id)
    if ev is None or ev.kind != "birth" or ev.void:
        raise NotFoundError(f"no birth event with id {event_id}",
                            "`studbook event list ID` shows the event ids of an animal of that litter")
    return ev


def _current(session: Session, studbook_id: str) -> tuple[str | None, str]:
    st = status_of(event_facts(get_animal(session, studbook_id)), institution_kinds(session))
    return st.location, st.fate


_FATE_WORDS = {"dead": "is dead", "ltf": "is lost to follow-up", "unplaced": "has no birth or capture recorded"}


def _require_alive(session: Session, studbook_id: str, what: str) -> tuple[str | None, str]:
    location, fate = _current(session, studbook_id)
    if fate not in ("captive", "wild"):
        raise ValidationError(f"animal {studbook_id} {_FATE_WORDS[fate]}; cannot record a {what}",
                              "check the studbook ID (`studbook history ID` shows its events)"
                              + ("; a found animal is recorded with `studbook capture`" if fate == "ltf" else ""))
    return location, fate


def transfer(
    session: Session,
    studbook_id: str,
    *,
    to: str,
    date: str,
    loan: bool = False,
    from_code: str | None = None,
    local_id: str | None = None,
) -> EventResult | PendingUpdate:
    """Move an animal from its current place to *to* (between zoos, or between wild sites).

    The move names the origin it expects: *from_code*, else the current location read in
    this transaction (writers are serialised, so nobody moves the animal in between). A
    second transfer of the animal on the same date is refused (two registrars who both
    saw the animal at its old place) unless it is a *same-day chain*: *from_code*
    names the place the first transfer of that day took it to (docs/reliability.md).
    """
    animal = get_animal(session, studbook_id)
    when = FuzzyDate.parse(date, what=f"animal {studbook_id}: transfer date")
    location, _fate = _require_alive(session, animal.studbook_id, "transfer")
    dest = get_institution(session, to)
    pending = authorize(
        session, "transfer", lambda: request("transfer", f"animal {animal.studbook_id}", [location, dest.code]),
        # the origin read now travels with the request: approving it later re-checks that the animal is still there
        params={"studbook_id": animal.studbook_id, "to": to, "date": date, "loan": loan,
                "from_code": from_code or location, "local_id": local_id},
        record=animal.studbook_id, summary=f"transfer of {animal.studbook_id} from {location} to {dest.code} on {date}")
    if pending is not None:
        return pending
    if from_code is not None:
        src = get_institution(session, from_code)
        if src.code != location:
            raise ValidationError(
                f"animal {studbook_id} is at {location}, not at {src.code}; cannot transfer it from {src.code} [rule E07]",
                f"transfers start at the animal's current institution ({location})",
            )
    if dest.code == location:
        raise ValidationError(f"animal {studbook_id} is already at {dest.code} [rule E07]", "give another --to")
    if when.db_value is not None and from_code is None:
        same_day = [e for e in animal.events if e.kind == "transfer" and not e.void and e.date == when.db_value]
        if same_day:
            raise ValidationError(
                f"animal {studbook_id} was already transferred on {when} (to {location}); "
                "a second transfer on the same date is refused",
                f"if it really moved on from {location} that day, say so: --from {location}")
    ev = add_event(session, animal, "transfer", when, at=dest.code, from_code=location, loan=loan, local_id=local_id)
    warnings = enforce_rules(session, [animal.studbook_id])
    fulfilled = mark_transfer(session, animal.studbook_id, dest.code, ev.id, when.db_value)
    return EventResult(animal.studbook_id, "transfer", str(when), dest.code, location, warnings, fulfilled, ev.id)


def death(session: Session, studbook_id: str, *, date: str, cause: str | None = None,
          at: str | None = None) -> EventResult | PendingUpdate:
    """Record a death where the animal is (a zoo, or a site in the wild); *at* checks the place."""
    animal = get_animal(session, studbook_id)
    when = FuzzyDate.parse(date, what=f"animal {studbook_id}: death date")
    location, _fate = _require_alive(session, animal.studbook_id, "death")
    pending = authorize(
        session, "death", lambda: request("death", f"animal {animal.studbook_id}", [location]),
        params={"studbook_id": animal.studbook_id, "date": date, "cause": cause, "at": at},
        record=animal.studbook_id, summary=f"death of {animal.studbook_id} at {location} on {date}")
    if pending is not None:
        return pending
    if at is not None:
        place = get_institution(session, at)
        if place.code != location:
            raise ValidationError(f"animal {studbook_id} is at {location}, not at {place.code} [rule E07]",
                                  "record its move to the place of death first")
    ev = add_event(session, animal, "death", when, at=location, cause=cause)
    warnings = enforce_rules(session, [animal.studbook_id])
    mark_death(session, animal.studbook_id, when.db_value)
    return EventResult(animal.studbook_id, "death", str(when), location, None, warnings, [], ev.id)


def release(session: Session, studbook_id: str, *, date: str, to: str,
            site: str | None = None) -> EventResult | PendingUpdate:
    """Release an animal to a release site or wild area *to*; it is then alive in the wild."""
    animal = get_animal(session, studbook_id)
    when = FuzzyDate.parse(date, what=f"animal {studbook_id}: release date")
    location, fate = _require_alive(session, animal.studbook_id, "release")
    pending = authorize(
        session, "release", lambda: request("release", f"animal {animal.studbook_id}", [location]),
        params={"studbook_id": animal.studbook_id, "date": date, "to": to, "site": site},
        record=animal.studbook_id, summary=f"release of {animal.studbook_id} from {location} to {to.upper()} on {date}")
    if pending is not None:
        return pending
    if fate == "wild":
        raise ValidationError(f"animal {studbook_id} is already in the wild (at {location})",
                              "record its movement between wild sites with `studbook transfer`")
    dest = _wild_site(session, to)
    ev = add_event(session, animal, "release", when, at=dest.code, from_code=location, site=site)
    warnings = enforce_rules(session, [animal.studbook_id])
    fulfilled = mark_release(session, animal.studbook_id, ev.id, when.db_value)
    return EventResult(animal.studbook_id, "release", str(when), dest.code, location, warnings, fulfilled, ev.id)


def _wild_site(session: Session, code: str) -> Institution:
    try:
        dest = get_institution(session, code)
    except NotFoundError:
        raise NotFoundError(f"no release site with code {code!r}",
                            f"add it first: `studbook institution add {code.upper()[:9]} --name ... --kind release-site`"
                            ) from None
    if dest.kind not in WILD_KINDS:
        raise ValidationError(f"{dest.code} is a {dest.kind}, not a release site or wild area [rule E13]",
                              f"release to a site of kind release-site or wild-area; to move the animal between "
                              f"zoos use `studbook transfer` (`studbook institution update {dest.code} --kind ...` "
                              f"if its kind is wrong)")
    return dest


def lost_to_follow_up(session: Session, studbook_id: str, *, date: str) -> EventResult | PendingUpdate:
    """Record that the animal's fate is no longer known (go LTF)."""
    animal = get_animal(session, studbook_id)
    when = FuzzyDate.parse(date, what=f"animal {studbook_id}: ltf date")
    location, _fate = _require_alive(session, animal.studbook_id, "loss to follow-up")
    pending = authorize(
        session, "ltf", lambda: request("ltf", f"animal {animal.studbook_id}", [location]),
        params={"studbook_id": animal.studbook_id, "date": date},
        record=animal.studbook_id, summary=f"{animal.studbook_id} lost to follow-up at {location} on {date}")
    if pending is not None:
        return pending
    ev = add_event(session, animal, "ltf", when, at=location)
    warnings = enforce_rules(session, [animal.studbook_id])
    return EventResult(animal.studbook_id, "ltf", str(when), location, None, warnings, [], ev.id)


def capture(session: Session, studbook_id: str, *, date: str, at: str,
            local_id: str | None = None) -> EventResult | PendingUpdate:
    """Record the capture of an animal in the wild or lost to follow-up (it is placed at *at* again).

    The animal must be in the wild or lost at the capture date, not only today: a
    backdated capture of an animal that was in a zoo then is refused (rule E11).
    """
    animal = get_animal(session, studbook_id)
    when = FuzzyDate.parse(date, what=f"animal {studbook_id}: capture date")
    location, fate = _current(session, animal.studbook_id)
    if fate not in ("wild", "ltf"):
        word = {"captive": f"is in captivity at {location}", "dead": "is dead",
                "unplaced": "has no birth or capture"}[fate]
        raise ValidationError(f"animal {studbook_id} {word}; only an animal in the wild or lost to follow-up can be "
                              "captured", "a wild-born founder is registered with `studbook animal add --wild-born`")
    inst = get_institution(session, at)
    pending = authorize(
        session, "capture", lambda: request("capture", f"animal {animal.studbook_id}", [inst.code]),
        params={"studbook_id": animal.studbook_id, "date": date, "at": at, "local_id": local_id},
        record=animal.studbook_id, summary=f"capture of {animal.studbook_id} at {inst.code} on {date}")
    if pending is not None:
        return pending
    ev = add_event(session, animal, "capture", when, at=inst.code, local_id=local_id)
    warnings = enforce_rules(session, [animal.studbook_id])
    return EventResult(animal.studbook_id, "capture", str(when), inst.code, None, warnings, [], ev.id)
