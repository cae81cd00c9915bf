"""Demography of a studbook: life tables, growth and reproductive value (census and pyramid:
:mod:`studbook.census`).

Pure: plain records, dates and numpy in, frozen dataclasses out (no database, no UI).
Every formula, with its published source, is in ``docs/demography.md``; the docstrings
below name the source of each number.

Conventions (PMx / SPARKS, see ``docs/demography.md``):

* Age classes are ``width`` whole years (default 1; no species parameter sets it yet):
  class x covers the ages [x*width, (x+1)*width), from one birthday to another, so an
  animal alive from birthday to birthday contributes exactly one animal-year.
* A partial date (month, year, estimate) counts at its midpoint
  (``FuzzyDate.midpoint``); an animal with an undetermined birth date, or an
  undetermined date on any of its events, is left out of the life table and counted.
* Animals at risk are counted in animal-years, partial years as fractions (SPARKS /
  PMx "at risk"). For Qx an animal that dies counts as at risk to the end of its age
  class (or of the window) — it would have been at risk had it not died — so Qx is a
  probability (actuarial estimator; Qx risk). For Mx only the time lived counts (Mx risk).
* Population ``captive``: the animal is at risk while it is at a zoo or breeding centre;
  a release, a move to a wild place and a loss to follow-up (LTF) remove it; a capture
  puts it back. Population ``all``: life in the wild after a release or a birth in the
  wild counts too; only LTF (censoring) and death end it. A wild-born animal is never at
  risk before its capture (it was not followed: counting it would favour survivors).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

from .dates import FuzzyDate
from .records import WILD_KINDS, EventFacts, order_events

POPULATIONS = ("captive", "all")
SEXES = ("M", "F", "all")
Z95 = 1.959963984540054  # standard normal quantile for a two-sided 95% interval
SMALL_RISK = 20.0  # animal-years: below this a Qx is shown as uncertain (its 95% interval matters)


# --------------------------------------------------------------------------- inputs
@dataclass(frozen=True)
class Span:
    """A stretch of an animal's life in the analysed population: [start, end) (end None: still in it).

    ``death``: the stretch ends with the animal's death (on ``end``)."""

    start: date
    end: date | None
    death: bool = False


@dataclass(frozen=True)
class LifeHistory:
    """One animal as the life table sees it: sex, birth day (midpoint) and its spans at risk."""

    studbook_id: str
    sex: str
    birth: date
    spans: tuple[Span, ...]

    def at_risk_on(self, day: date) -> bool:
        """Was the animal in the population on *day* (its death day included: a dam dying at birth)?"""
        return any(s.start <= day and (s.end is None or day < s.end or (s.death and day == s.end))
                   for s in self.spans)


@dataclass(frozen=True)
class BirthRecord:
    """A birth for the fecundity: the young's sex, the day (midpoint) and its possible parents
    with their probabilities (a known parent has probability 1; MULT candidates share 1)."""

    day: date
    sex: str
    sires: tuple[tuple[str, float], ...]
    dams: tuple[tuple[str, float], ...]


def life_history(studbook_id: str, sex: str, birth: FuzzyDate, events: Iterable[EventFacts],
                 kinds: Mapping[str, str], population: str = "captive") -> LifeHistory | None:
    """The spans an animal was at risk in *population*, from its events; None when a date is undetermined.

    Location events (birth, capture, transfer, release) place the animal at an
    institution: in the wild when that place is a release site or wild area (or after a
    release to a place of unknown kind), else in captivity — as ``records.status_of``.
    Dates count at their midpoint. Returns None when the birth or any event date is
    undetermined (such animals are left out and counted by the caller).
    """
    if population not in POPULATIONS:
        raise ValueError(f"population must be one of {POPULATIONS}")
    born = birth.midpoint()
    evs = order_events(events)
    if born is None or any(e.date.is_unknown for e in evs):
        return None
    spans: list[Span] = []
    start: date | None = None

    def close(day: date, death: bool) -> None:
        nonlocal start
        if start is not None:
            spans.append(Span(start, max(day, start), death))
            start = None

    dead = False
    for e in evs:
        day = max(e.date.midpoint() or born, born)
        if dead:
            break
        if e.kind in ("birth", "capture", "transfer", "release"):
            wild = kinds.get(e.institution or "") in WILD_KINDS or (
                e.kind == "release" and (e.institution or "") not in kinds)
            inside = population == "all" or not wild
            if inside and start is None:
                start = day
            elif not inside:
                close(day, False)
        elif e.kind == "death":
            close(day, True)
            dead = True
        elif e.kind == "ltf":
            close(day, False)
    if start is not None:
        spans.append(Span(start, None, False))
    return LifeHistory(studbook_id, sex, born, tuple(spans))


# --------------------------------------------------------------------------- ages
def anniversary(born: date, years: int) -> date:
    """The day an animal born on *born* turns *years* (29 February: 28 February in common years)."""
    try:
        return born.replace(year=born.year + years)
    except ValueError:
        return born.replace(year=born.year + years, day=28)


def age_class(born: date, day: date, width: int = 1) -> int:
    """Age class of an animal born on *born* on *day*: whole birthdays passed, divided by *width*."""
    years = day.year - born.year - ((day.month, day.day) < (born.month, born.day))
    if born.month == 2 and born.day == 29 and (day.month, day.day) == (2, 28):
        years = day.year - born.year  # a leap-day animal has its birthday on 28 February in common years
    return max(years, 0) // width


def _years_of_life(born: date, start: date, end: date) -> Iterable[tuple[int, float]]:
    """(year of life k, fraction of that year lived) for the days [start, end): days / length of that year."""
    k = age_class(born, start)
    while True:
        a, b = anniversary(born, k), anniversary(born, k + 1)
        lo, hi = max(a, start), min(b, end)
        if hi > lo:
            yield k, (hi - lo).days / (b - a).days
        if b >= end:
            return
        k += 1


# --------------------------------------------------------------------------- life table
@dataclass(frozen=True)
class LifeTableRow:
    """One age class x of a life table (sources: ``docs/demography.md``).

    ``qx_risk``: animal-years at risk of dying (deaths counted to the end of the class);
    ``mx_risk``: animal-years lived; ``qx = deaths / qx_risk``; ``px = 1 - qx``;
    ``lx`` = Π_{y<x} p_y (l_0 = 1); ``births``: young born to parents of age x (MULT
    candidates by their probability; rounded to 1e-9 so that probabilities add up to whole young); ``mx`` = same-sex young per animal-year (Mx risk);
    ``ex``: further life expectancy in years at age x (Ebert 1999); ``qx_low``/``qx_high``:
    Wilson 95% interval of qx; ``small_risk``: qx rests on fewer than 20 animal-years.
    """

    age: int
    age_to: int
    qx_risk: float
    mx_risk: float
    deaths: int
    qx: float | None
    px: float | None
    lx: float | None
    births: float
    mx: float | None
    ex: float | None
    qx_low: float | None
    qx_high: float | None
    small_risk: bool


@dataclass(frozen=True)
class LifeTable:
    """A life table and what went into it: the window [start, end], sex, population, class width,
    the animals used and the animals and births left out for an undetermined date."""

    sex: str
    population: str
    start: date
    end: date
    width: int
    rows: tuple[LifeTableRow, ...]
    n_animals: int
    n_deaths: int
    n_births: float
    left_out_animals: int = 0
    left_out_births: int = 0

    @property
    def window(self) -> str:
        return f"{self.start.isoformat()} to {self.end.isoformat()}"


def wilson_interval(q: float, n: float, z: float = Z95) -> tuple[float, float]:
    """Wilson (1927) score interval of a proportion *q* observed on *n* trials (n may be fractional).

    Preferred to the Wald interval for small n and q near 0 or 1 (Agresti & Coull 1998)."""
    q = min(max(q, 0.0), 1.0)
    z2 = z * z
    centre = (q + z2 / (2 * n)) / (1 + z2 / n)
    half = z / (1 + z2 / n) * math.sqrt(q * (1 - q) / n + z2 / (4 * n * n))
    return max(0.0, centre - half), min(1.0, centre + half)


def _young_weight(parent_sex: str, young_sex: str) -> float:
    """Same-sex young (PMx Mx): a young of the parent's sex counts 1, of the other sex 0, of unknown
    sex 1/2 (so unsexed litters count half the births); a parent of unknown sex: 1/2."""
    if parent_sex not in ("M", "F") or young_sex not in ("M", "F"):
        return 0.5
    return 1.0 if parent_sex == young_sex else 0.0


def life_table(histories: Sequence[LifeHistory], births: Sequence[BirthRecord], start: date, end: date, *,
               sex: str = "all", population: str = "captive", width: int = 1, left_out_animals: int = 0,
               left_out_births: int = 0) -> LifeTable:
    """The age-specific life table of the animals of *sex* over the window [start, end] (days inclusive).

    Animals at risk (SPARKS/PMx): each day an animal spends in the population, inside the
    window, adds 1/(length of that year of its life) to its age class; a death adds the
    rest of the class (up to the window's end) to the Qx risk only. Deaths count in the
    class of the age at death when the death is in the window and ends a span at risk.
    Births count for each possible parent of the table's sex at risk on the birth day,
    weighted by its probability, in the parent's age class; Mx counts same-sex young
    (:func:`_young_weight`) per animal-year lived. lx, px (Ebert 1999), ex (Ebert 1999;
    Carey & Roach 2020: L_x = width (l_x + l_{x+1})/2, e_x = Σ_{y≥x} L_y / l_x) and the
    Wilson 95% interval of qx follow.
    """
    if width < 1:
        raise ValueError("width must be a whole number of years, at least 1")
    stop = end + timedelta(days=1)
    qrisk: dict[int, float] = {}
    mrisk: dict[int, float] = {}
    deaths: dict[int, int] = {}
    born_to: dict[int, float] = {}
    same_sex: dict[int, float] = {}
    chosen = {h.studbook_id: h for h in histories if sex == "all" or h.sex == sex}
    used: set[str] = set()
    for h in chosen.values():
        for s in h.spans:
            a = max(s.start, start, h.birth)
            b = min(s.end or stop, stop)
            if b > a:
                used.add(h.studbook_id)
                for k, frac in _years_of_life(h.birth, a, b):
                    c = k // width
                    mrisk[c] = mrisk.get(c, 0.0) + frac / width
                    qrisk[c] = qrisk.get(c, 0.0) + frac / width
            if s.death and s.end is not None and start <= s.end < stop and s.end >= h.birth:
                used.add(h.studbook_id)
                c = age_class(h.birth, s.end, width)
                deaths[c] = deaths.get(c, 0) + 1
                # The rest of the class, to the window's end: at risk had it not died.
                class_end = min(anniversary(h.birth, (c + 1) * width), stop)
                for _k, frac in _years_of_life(h.birth, s.end, class_end) if class_end > s.end else ():
                    qrisk[c] = qrisk.get(c, 0.0) + frac / width
    for young in births:
        if not start <= young.day < stop:
            continue
        for parents in (young.sires, young.dams):
            for pid, prob in parents:
                parent = chosen.get(pid)
                if parent is None or young.day < parent.birth or not parent.at_risk_on(young.day):
                    continue
                c = age_class(parent.birth, young.day, width)
                born_to[c] = born_to.get(c, 0.0) + prob
                same_sex[c] = same_sex.get(c, 0.0) + prob * _young_weight(parent.sex, young.sex)
    last = max([c for c, r in qrisk.items() if r > 0] + [c for c in deaths], default=-1)
    rows: list[LifeTableRow] = []
    lx: float | None = 1.0
    for c in range(last + 1):
        qr, mr, d = qrisk.get(c, 0.0), mrisk.get(c, 0.0), deaths.get(c, 0)
        q = min(d / qr, 1.0) if qr > 0 else None
        lo, hi = wilson_interval(q, qr) if q is not None else (None, None)
        m = same_sex.get(c, 0.0) / mr if mr > 0 else (0.0 if qr > 0 else None)
        rows.append(LifeTableRow(c * width, (c + 1) * width, qr, mr, d, q, None if q is None else 1 - q, lx,
                                 round(born_to.get(c, 0.0), 9), m, None, lo, hi, qr < SMALL_RISK))
        lx = None if lx is None or q is None else lx * (1 - q)
    rows = _with_ex(rows, width)
    return LifeTable(sex, population, start, end, width, tuple(rows), len(used), sum(deaths.values()),
                     round(sum(born_to.values()), 9), left_out_animals, left_out_births)


def _with_ex(rows: list[LifeTableRow], width: int) -> list[LifeTableRow]:
    """Further life expectancy e_x = Σ_{y≥x} L_y / l_x with L_y = width (l_y + l_{y+1}) / 2 (Ebert 1999).

    Beyond the last class the table has no data: l after it is l_last * p_last and the
    years after that are not counted (a truncated expectation when animals survive the
    oldest class observed)."""
    from dataclasses import replace

    out = []
    for i, r in enumerate(rows):
        ex = None
        pairs = [(q.lx, q.lx * q.px) for q in rows[i:] if q.lx is not None and q.px is not None]
        if r.lx is not None and r.lx > 0 and len(pairs) == len(rows) - i:
            ex = sum(width * (a + b) / 2 for a, b in pairs) / r.lx
        out.append(replace(r, ex=ex))
    return out


# --------------------------------------------------------------------------- growth
@dataclass(frozen=True)
class Growth:
    """Growth of the population a life table describes (per year; sources in ``docs/demography.md``).

    ``lam``: λ, dominant eigenvalue of the Leslie matrix built from Px and Mx (Leslie 1945;
    Caswell 2001), the root of Σ_x λ^{-x} l_x M_x = 1 (Euler–Lotka); ``r`` = ln λ;
    ``generation_time`` T = Σ x λ^{-x} l_x M_x (mean age of parents of newborns in the
    stable population, Caswell 2001; Ebert 1999); ``r0`` = Σ l_x M_x; ``classes``: age classes used.
    ``reason``: why λ is not given (None when it is).
    """

    lam: float | None
    r: float | None
    generation_time: float | None
    r0: float | None
    classes: int
    reason: str | None = None


def _schedule(table: LifeTable) -> tuple[list[float], list[float], list[float]]:
    """(l_x, M_x, P_x) over the classes with a defined lx, up to the first class without data."""
    ls: list[float] = []
    ms: list[float] = []
    ps: list[float] = []
    for r in table.rows:
        if r.lx is None or r.px is None:
            break
        ls.append(r.lx)
        ms.append(r.mx or 0.0)
        ps.append(r.px)
    return ls, ms, ps


def leslie_matrix(px: Sequence[float], mx: Sequence[float]) -> np.ndarray:
    """The Leslie matrix of a post-breeding census (Caswell 2001): class x = exact age x.

    A[x+1, x] = P_x; A[0, x] = P_x M_{x+1} / (1 - M_0), so that its dominant eigenvalue λ
    solves Σ_{x≥0} λ^{-x} l_x M_x = 1 with l_x = Π_{y<x} P_y (M_0: young that breed in their
    first class, whose own young join class 0 at the same census; M_0 < 1).
    """
    k = len(px)
    a = np.zeros((k, k))
    m0 = mx[0] if mx else 0.0
    if m0 >= 1:
        raise ValueError("M_0 >= 1: the first age class replaces itself within the class")
    for x in range(k):
        if x + 1 < k:
            a[x + 1, x] = px[x]
            a[0, x] = px[x] * mx[x + 1] / (1 - m0)
    return a


def growth(table: LifeTable) -> Growth:
    """λ, r, T and R0 of a life table (:class:`Growth`); per year when the class width is not 1."""
    ls, ms, ps = _schedule(table)
    w = table.width
    if not ls:
        return Growth(None, None, None, None, 0, "the life table has no animals at risk in this window")
    r0 = float(sum(lv * mv for lv, mv in zip(ls, ms)))
    if r0 <= 0:
        return Growth(None, None, None, 0.0, len(ls), "no young were born to animals at risk in this window")
    if ms[0] >= 1:
        return Growth(None, None, None, r0, len(ls), "Mx of the first class is 1 or more: no Leslie matrix")
    if len(ls) == 1:  # one class: λ^0 l_0 M_0 = 1 has no root unless M_0 = 1
        return Growth(None, None, None, r0, 1, "one age class only: no Leslie matrix")
    a = leslie_matrix(ps, ms)
    eig = np.linalg.eigvals(a)
    lam_class = float(max(e.real for e in eig if abs(e.imag) < 1e-9 and e.real > 0)) if any(
        abs(e.imag) < 1e-9 and e.real > 0 for e in eig) else 0.0
    if lam_class <= 0:
        return Growth(None, None, None, r0, len(ls), "the Leslie matrix has no positive eigenvalue")
    t_class = float(sum(x * lam_class ** (-x) * lv * mv for x, (lv, mv) in enumerate(zip(ls, ms))))
    lam = lam_class ** (1 / w)
    return Growth(lam, math.log(lam), t_class * w, r0, len(ls))


def reproductive_values(table: LifeTable, lam: float) -> list[float]:
    """Fisher's (1930) reproductive value of each age class, v_0 = 1:
    v_x = (λ^x / l_x) Σ_{y≥x} λ^{-y} l_y M_y (λ per class; Caswell 2001). Classes with
    l_x = 0, and classes after the schedule ends, have v = 0."""
    ls, ms, _ps = _schedule(table)
    lam_c = lam ** table.width
    out = []
    for x in range(len(table.rows)):
        if x >= len(ls) or ls[x] <= 0:
            out.append(0.0)
            continue
        tail = sum(lam_c ** (-y) * ls[y] * ms[y] for y in range(x, len(ls)))
        out.append(float(lam_c ** x / ls[x] * tail))
    return out
