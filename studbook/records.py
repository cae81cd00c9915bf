"""Plain, frozen records of a studbook: what the rules and reports work on.

The services layer turns database rows into these; the rules in
``studbook.rules`` and the derived status below never see SQLAlchemy.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date

from .dates import FuzzyDate

Day = date  # for annotations inside classes that have a field named ``date``
LOCATION_EVENTS = ("birth", "capture", "transfer", "release")
WILD_KINDS = ("release-site", "wild-area")
EARLIEST_YEAR = 1850  # default: no studbook record is older (the oldest studbooks start in the 1900s)

# Which kind of event comes first when two dates overlap: an arrival before a move,
# a move before an ending.
_RANK = {"birth": 0, "capture": 0, "transfer": 1, "release": 1, "ltf": 2, "death": 3}


@dataclass(frozen=True)
class SpeciesParams:
    """Biological parameters of the book's species.

    The defaults assume nothing (a new book of an unspecified species): gestation
    of one day, no minimum breeding age, no maximum. A keeper sets the real values
    with ``studbook species set`` (the sample book loads the Amur leopard's).
    For an egg-laying species (``reproduction='egg'``) the incubation period takes the
    place of gestation in every rule, and a birth is a hatch.
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
    reproduction: str = "live"
    incubation_min_days: int | None = None
    incubation_max_days: int | None = None
    clutch_interval_days: int | None = None
    earliest_year: int = EARLIEST_YEAR
    dependence_months: float | None = None  # young depend on their dam until this age (None: no constraint)
    release_age_min: float | None = None  # years: default age window of release candidates (None: open)
    release_age_max: float | None = None

    def min_breeding_age(self, sex: str) -> float:
        return self.min_breeding_age_male if sex == "M" else self.min_breeding_age_female

    def max_breeding_age(self, sex: str) -> float:
        return self.max_breeding_age_male if sex == "M" else self.max_breeding_age_female

    @property
    def lays_eggs(self) -> bool:
        return self.reproduction == "egg"

    @property
    def min_birth_interval(self) -> int:
        """Fewest days between two litters (or clutches) of one dam.

        Live bearers: the minimum gestation. Egg layers: the clutch interval when the
        species sets one (birds that lay a replacement clutch after the first is taken,
        as condors do, hatch young from one dam 3-4 weeks apart), else the minimum
        incubation.
        """
        if self.lays_eggs and self.clutch_interval_days:
            return self.clutch_interval_days
        return self.term_days[0]

    @property
    def term_days(self) -> tuple[int, int]:
        """(min, max) days from conception (live) or laying (egg) to birth or hatch."""
        if self.lays_eggs and self.incubation_min_days and self.incubation_max_days:
            return self.incubation_min_days, self.incubation_max_days
        return self.gestation_min_days, self.gestation_max_days


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
    laid_at: str | None = None  # egg species: where the egg was laid (default: the hatch place)
    wild_egg: bool = False  # an egg taken from a wild nest
    litter_id: int | None = None  # births of one litter or clutch share it

    def happened_by(self, day: Day) -> bool:
        """Had this event happened on *day*? A partial date counts from its midpoint;
        an undetermined date counts as past (the record says it happened)."""
        mid = self.date.midpoint()
        return mid is None or mid <= day


def order_events(events: Iterable[EventFacts]) -> list[EventFacts]:
    """An animal's events in the order they happened.

    An event goes before another when it is surely earlier (every possible day of it
    is before every possible day of the other). When the possible days overlap, the
    order is the one that can be true: an arrival (birth, capture) first, then moves
    (transfer, release), then lost to follow-up, death last; then the middle of the
    possible days; then the order of entry. So a death dated "2004" comes after a
    transfer on 2004-07-31 — the order is impossible only if every day is.
    """
    events = list(events)
    if len(events) < 2:
        return events
    # A wild-born animal's first capture is its arrival; a later capture (a recapture) is a move.
    captures = [e for e in events if e.kind == "capture"]
    first_capture = None if any(e.kind == "birth" for e in events) or not captures else min(
        captures, key=lambda e: (e.date.midpoint() or date.min, e.event_id))

    def key(e: EventFacts) -> tuple[int, date, int]:
        rank = _RANK.get(e.kind, 1) if e.kind != "capture" or e is first_capture else 1
        return rank, e.date.midpoint() or date.min, e.event_id

    pending = sorted(events, key=key)
    # Usually that order is already possible: no event is surely before an earlier-sorted one.
    bound = date.max
    for e in reversed(pending):
        if e.date.earliest > bound:
            break
        bound = min(bound, e.date.latest)
    else:
        return pending
    out: list[EventFacts] = []
    while pending:
        # The first (by rank, middle, entry) that no other pending event surely precedes.
        bound = min(e.date.latest for e in pending)
        k = next(i for i, e in enumerate(pending) if e.date.earliest <= bound)
        out.append(pending.pop(k))
    return out


@dataclass(frozen=True)
class Status:
    """Derived from events: never stored.

    ``fate``: ``captive`` (alive at a zoo or breeding centre), ``wild`` (alive in the
    wild: released, or born or moved to a release site or wild area), ``dead``, ``ltf``
    (lost to follow-up) or ``unplaced`` (no birth or capture yet).
    """

    fate: str
    location: str | None  # current (or last known) institution code
    since: FuzzyDate | None  # date of the last location event / the end event
    end: FuzzyDate | None = None  # date of death / lost to follow-up

    @property
    def alive(self) -> bool:
        return self.fate in ("captive", "wild")


@dataclass
class Book:
    """A whole studbook (or the part of it a rule needs), as plain records.

    ``institutions`` maps each institution code to its kind; ``today`` is the real
    date (entry rules: nothing in the future); ``census`` the book's census date when
    it declares one (rules about the living, such as longevity, use it).
    Void animals and events are not in a Book.
    """

    species: SpeciesParams
    animals: dict[str, AnimalFacts]
    events: dict[str, list[EventFacts]]
    institutions: dict[str, str]
    today: date
    children: dict[str, list[str]] = field(default_factory=dict)
    census: date | None = None

    def __post_init__(self) -> None:
        for sid, evs in self.events.items():
            self.events[sid] = order_events(evs)
        if not self.children:
            kids: dict[str, list[str]] = {}
            for a in self.animals.values():
                for p in parents_of(a):
                    kids.setdefault(p, []).append(a.studbook_id)
            self.children = kids

    @property
    def reference_day(self) -> date:
        """The day the living are counted at: the census date, else today."""
        return self.census or self.today

    def is_wild_place(self, code: str | None) -> bool:
        return code is not None and self.institutions.get(code) in WILD_KINDS


def parents_of(a: AnimalFacts) -> list[str]:
    """Every animal that may be a parent of *a* (known parents and MULT candidates)."""
    out = [p for p in (a.sire, a.dam) if p]
    out += [c for c, _ in a.sire_candidates] + [c for c, _ in a.dam_candidates]
    return out


def status_of(events: Iterable[EventFacts], kinds: Mapping[str, str] | None = None,
              as_of: date | None = None, *, ordered: bool = False) -> Status:
    """Fate and current location from an animal's events (void events left out by the caller).

    A birth, capture, transfer or release places the animal; it is in the wild when
    the place is a release site or wild area (*kinds*: code -> institution kind), or
    after a release to a place of unknown kind. A capture or an arrival after a loss
    to follow-up places it again; nothing brings it back after death. With *as_of*,
    only the events that had happened by that day count (``EventFacts.happened_by``);
    a death or loss to follow-up of undetermined date (SPARKS' DEAD=T with no death move)
    counts only after the animal's last dated event: it happened some time after it.
    *ordered*: the events are already in ``order_events`` order (a ``Book``'s are).
    """
    kinds = kinds or {}
    fate, location = "unplaced", None
    since: FuzzyDate | None = None
    end: FuzzyDate | None = None
    evs = list(events) if ordered else order_events(events)
    last_dated = max((d for e in evs if (d := e.date.midpoint()) is not None), default=None) if as_of else None
    for ev in evs:
        if as_of is not None and not ev.happened_by(as_of):
            continue
        if (as_of is not None and ev.kind in ("death", "ltf") and ev.date.midpoint() is None
                and last_dated is not None and last_dated >= as_of):
            continue
        if ev.kind in LOCATION_EVENTS:
            if fate == "dead":
                continue
            location, since, end = ev.institution, ev.date, None
            wild = kinds.get(ev.institution or "") in WILD_KINDS or (
                ev.kind == "release" and (ev.institution or "") not in kinds)
            fate = "wild" if wild else "captive"
        elif ev.kind == "death":
            fate, end = "dead", ev.date
            location = ev.institution or location
        elif fate != "dead":
            fate, end = "ltf", ev.date
    return Status(fate, location, since if location else None, end)


def location_intervals(events: list[EventFacts], *,
                       ordered: bool = False) -> list[tuple[str | None, date, date | None]]:
    """Where the animal may have been: (institution, earliest start, latest end or None)."""
    evs = events if ordered else order_events(events)
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


def may_be_at(events: list[EventFacts], code: str, start: date, end: date, *, wild_place: bool = False,
              ordered: bool = False) -> bool | None:
    """Could the animal have been at *code* at some day in [start, end]?

    None when the animal's location is not recorded in that window: no location event
    at all, or (*code* being a place in the wild) the window begins before the record
    of a wild-born animal does: before her capture a wild dam may have been anywhere in
    the wild, but in no zoo.
    """
    intervals = location_intervals(events, ordered=ordered)
    if not intervals:
        return None
    for inst, a, b in intervals:
        if inst == code and a <= end and (b is None or b >= start):
            return True
    first = min(a for _inst, a, _b in intervals)
    if wild_place and start < first and any(e.kind == "capture" for e in events) and not any(
            e.kind == "birth" for e in events):
        return None
    return False
