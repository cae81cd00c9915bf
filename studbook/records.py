"""Plain, frozen records of a studbook: what the rules and reports work on.

The services layer turns database rows into these; the rules in
``studbook.rules`` and the derived status below never see SQLAlchemy.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from .dates import FuzzyDate

LOCATION_EVENTS = ("birth", "capture", "transfer")
END_EVENTS = ("death", "release", "ltf")


@dataclass(frozen=True)
class SpeciesParams:
    """Biological parameters of the book's species.

    The defaults assume nothing (a new book of an unspecified species): gestation
    of one day, no minimum breeding age, no maximum. A keeper sets the real values
    with ``studbook species set`` (the sample book loads the Amur leopard's).
    """

    common_name: str = "unspecified species"
    scientific_name: str = ""
    gestation_min_days: int = 1
    gestation_max_days: int = 1
    min_breeding_age_male: float = 0.0
    min_breeding_age_female: float = 0.0
    max_breeding_age_male: float = 999.0
    max_breeding_age_female: float = 999.0
    longevity_years: float = 999.0

    def min_breeding_age(self, sex: str) -> float:
        return self.min_breeding_age_male if sex == "M" else self.min_breeding_age_female

    def max_breeding_age(self, sex: str) -> float:
        return self.max_breeding_age_male if sex == "M" else self.max_breeding_age_female


@dataclass(frozen=True)
class AnimalFacts:
    studbook_id: str
    sex: str
    birth: FuzzyDate
    birth_type: str = "captive"
    sire_kind: str = "UNK"
    sire: str | None = None
    dam_kind: str = "UNK"
    dam: str | None = None
    sire_candidates: tuple[tuple[str, float], ...] = ()
    dam_candidates: tuple[tuple[str, float], ...] = ()
    rearing: str = "unknown"
    artificial_insemination: bool = False


@dataclass(frozen=True)
class EventFacts:
    studbook_id: str
    kind: str
    date: FuzzyDate
    institution: str | None = None
    from_institution: str | None = None
    event_id: int = 0
    loan: bool = False

    @property
    def sort_key(self) -> tuple[date, int, int]:
        # Same first possible day: the order they were entered, birth/capture first.
        # An undetermined date: a death/release/ltf sorts last, anything else first.
        rank = 0 if self.kind in ("birth", "capture") else (2 if self.kind in END_EVENTS else 1)
        if self.date.is_unknown:
            return (date.max if rank == 2 else date.min, rank, self.event_id)
        return (self.date.value, rank, self.event_id)


@dataclass(frozen=True)
class Status:
    """Derived from events: never stored."""

    fate: str  # alive | dead | released | ltf | unplaced
    location: str | None  # current (or last) institution code
    since: FuzzyDate | None  # date of the last location event / the end event
    end: FuzzyDate | None = None  # date of death / release / ltf

    @property
    def alive(self) -> bool:
        return self.fate == "alive"


@dataclass
class Book:
    """A whole studbook (or the part of it a rule needs), as plain records."""

    species: SpeciesParams
    animals: dict[str, AnimalFacts]
    events: dict[str, list[EventFacts]]
    institutions: set[str]
    today: date
    children: dict[str, list[str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for evs in self.events.values():
            evs.sort(key=lambda e: e.sort_key)
        if not self.children:
            kids: dict[str, list[str]] = {}
            for a in self.animals.values():
                for p in parents_of(a):
                    kids.setdefault(p, []).append(a.studbook_id)
            self.children = kids


def parents_of(a: AnimalFacts) -> list[str]:
    """Every animal that may be a parent of *a* (known parents and MULT candidates)."""
    out = [p for p in (a.sire, a.dam) if p]
    out += [c for c, _ in a.sire_candidates] + [c for c, _ in a.dam_candidates]
    return out


def status_of(events: list[EventFacts]) -> Status:
    """Fate and current location from an animal's events.

    A birth, capture or transfer places the animal (a capture after a release or a
    loss brings it back); a death, release or lost-to-follow-up ends its record.
    """
    fate, location = "unplaced", None
    since: FuzzyDate | None = None
    end: FuzzyDate | None = None
    for ev in sorted(events, key=lambda e: e.sort_key):
        if ev.kind in LOCATION_EVENTS:
            location, since = ev.institution, ev.date
            if fate != "dead":
                fate, end = "alive", None
        elif ev.kind == "death":
            fate, end = "dead", ev.date
            location = ev.institution or location
        elif fate != "dead":
            fate, end = ("released" if ev.kind == "release" else "ltf"), ev.date
    return Status(fate, location, since if location else None, end)


def location_intervals(events: list[EventFacts]) -> list[tuple[str | None, date, date | None]]:
    """Where the animal may have been: (institution, earliest start, latest end or None)."""
    evs = sorted(events, key=lambda e: e.sort_key)
    out: list[tuple[str | None, date, date | None]] = []
    for i, ev in enumerate(evs):
        if ev.kind not in LOCATION_EVENTS:
            continue
        end: date | None = None
        for nxt in evs[i + 1 :]:
            end = nxt.date.latest
            break
        out.append((ev.institution, ev.date.earliest, end))
    return out


def may_be_at(events: list[EventFacts], code: str, start: date, end: date) -> bool | None:
    """Could the animal have been at *code* at some day in [start, end]?

    None when the animal's location is not recorded at all in that window.
    """
    intervals = location_intervals(events)
    if not intervals:
        return None
    for inst, a, b in intervals:
        if inst == code and a <= end and (b is None or b >= start):
            return True
    return False
