"""Who is alive when: living counts over time (census) and the age-sex pyramid.

Pure: plain events and dates in, frozen dataclasses out. An animal counts on day d when
``records.status_of`` of its events on d says alive (captive or in the wild) and it is
born by d, the rule of ``animal list --alive --as-of d`` (docs/demography.md).
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from .dates import FuzzyDate
from .demography import age_class
from .records import EventFacts, Status, order_events, status_of


@dataclass(frozen=True)
class StatusTimeline:
    """An animal's status (``records.status_of``) on every day, as change days: on day d the status is
    the one of the last change day ≤ d (``before`` before the first)."""

    days: tuple[date, ...]
    statuses: tuple[Status, ...]
    before: Status
    born: date | None  # the first possible birth day: ``animal list --as-of`` leaves out animals born after the day

    def on(self, day: date) -> Status | None:
        """The status on *day*, None when the animal is not yet born (as ``animal list --as-of``)."""
        if self.born is not None and self.born > day:
            return None
        i = bisect.bisect_right(self.days, day)
        return self.statuses[i - 1] if i else self.before


def status_timeline(events: Sequence[EventFacts], kinds: Mapping[str, str], birth: FuzzyDate) -> StatusTimeline:
    """``records.status_of(events, kinds, d)`` for every day d, computed once per change.

    status_of on day d depends only on which events have a midpoint ≤ d and on whether the
    last dated event is on or after d (an undetermined death counts after it); so it is
    constant between those change days, and is evaluated once on each."""
    evs = order_events(events)
    mids = sorted({m for e in evs if (m := e.date.midpoint()) is not None})
    change = set(mids)
    if mids and mids[-1] < date.max:
        change.add(mids[-1] + timedelta(days=1))
    days = tuple(sorted(change))
    statuses = tuple(status_of(evs, kinds, d, ordered=True) for d in days)
    first = days[0] - timedelta(days=1) if days and days[0] > date.min else date.min
    before = status_of(evs, kinds, first, ordered=True)
    return StatusTimeline(days, statuses, before, None if birth.is_unknown else birth.value)


@dataclass(frozen=True)
class CensusPoint:
    """Living animals (captive or in the wild) on one day: the total and the count of each group."""

    day: date
    total: int
    counts: tuple[tuple[str, int], ...]


def census(timelines: Mapping[str, StatusTimeline], days: Sequence[date], key: str, sexes: Mapping[str, str], regions: Mapping[str, str | None]) -> list[CensusPoint]:
    """Living counts on each of *days*, by *key* (``region``, ``institution``, ``sex`` or ``none``).

    An animal counts on day d when ``records.status_of`` of its events on d says alive (captive or
    in the wild) and it is born by d: the rule of ``animal list --alive --as-of d``. The group
    is the region of the institution it is at (``none`` when that has no region), the
    institution, or its sex."""
    out = []
    for d in days:
        counts: dict[str, int] = {}
        total = 0
        for sid, tl in timelines.items():
            st = tl.on(d)
            if st is None or not st.alive:
                continue
            total += 1
            if key == "region":
                g = regions.get(st.location or "") or "none"
            elif key == "institution":
                g = st.location or "none"
            elif key == "sex":
                g = sexes.get(sid, "U")
            else:
                g = "all"
            counts[g] = counts.get(g, 0) + 1
        out.append(CensusPoint(d, total, tuple(sorted(counts.items()))))
    return out


@dataclass(frozen=True)
class PyramidRow:
    """Living animals of one age class, by sex (U: unknown sex)."""

    age: int
    age_to: int
    males: int
    females: int
    unknown: int


@dataclass(frozen=True)
class Pyramid:
    day: date
    width: int
    rows: tuple[PyramidRow, ...]
    age_unknown: int  # living animals whose birth date is undetermined


def pyramid(living: Iterable[tuple[str, FuzzyDate]], day: date, width: int = 1) -> Pyramid:
    """Counts per sex and age class (age on *day* from the birth date's midpoint) of the *living*
    ``(sex, birth)``; undetermined births are counted apart."""
    counts: dict[int, list[int]] = {}
    unknown = 0
    for sex, birth in living:
        born = birth.midpoint()
        if born is None:
            unknown += 1
            continue
        c = age_class(born, max(day, born), width)
        row = counts.setdefault(c, [0, 0, 0])
        row["MFU".index(sex) if sex in ("M", "F") else 2] += 1
    top = max(counts, default=-1)
    rows = tuple(PyramidRow(c * width, (c + 1) * width, *counts.get(c, [0, 0, 0])) for c in range(top + 1))
    return Pyramid(day, width, rows, unknown)
