"""Husbandry constraints on breeding plans: what a coordinator checks before signing a plan.

Pure functions on plain records (studbook IDs, site codes, days); the service layer gathers
the facts from the book and maps the results to positions in the living population L.

* :func:`occupancy`: every animal present per site and sex (excluded from analysis,
  non-breeding and young animals take room too).
* :func:`proven_pairs`: a male and a female with an offspring born in the last *years*
  years, both alive and held at the same site now. They stay together and get no other
  partner (:func:`partner_rules`).
* :func:`dependence`: young under the species' dependence age (``dependence_months``) on
  the reference day, and their dams: neither the young nor the dam moves, and the dam is
  not re-paired (she may stay with the sire of her young when he is held with her).
* :class:`Permits`: pairs of regions or countries that cannot exchange animals (a ban) or
  whose exchange costs extra (km added to the move), as configuration.
* :func:`msi_allowed`: the MSI classes a recommended pair may have (default 1-4).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np
from numpy.typing import ArrayLike, NDArray

from studbook.errors import InvalidInputError
from studbook.recommend.msi import DASH

DAYS_PER_MONTH = 365.25 / 12
"""A month of age, in days (mean Gregorian month)."""

DEFAULT_ALLOWED_MSI = frozenset({1, 2, 3, 4})
"""MSI classes a plan recommends by default: 1-3 beneficial, 4 slightly detrimental; never 5, 6 or "-"."""


@dataclass(frozen=True)
class Birth:
    """One offspring with its known sire and dam (None = not one known animal) and birth day."""

    offspring: str
    sire: str | None
    dam: str | None
    day: date | None


@dataclass(frozen=True)
class Present:
    """An animal alive and held at *site* on the reference day (captive; any flag, any age)."""

    id: str
    sex: str           # "M", "F" or "U"
    site: str


def occupancy(present: Iterable[Present]) -> dict[tuple[str, str], int]:
    """Number of animals present per (site, sex); unknown sex counts under "U".

    Example:
        >>> occupancy([Present("1", "M", "A"), Present("2", "M", "A"), Present("3", "F", "B")])
        {('A', 'M'): 2, ('B', 'F'): 1}
    """
    out: dict[tuple[str, str], int] = {}
    for p in present:
        key = (p.site, p.sex if p.sex in ("M", "F") else "U")
        out[key] = out.get(key, 0) + 1
    return out


def years_before(day: date, years: float) -> date:
    """The day *years* (may be fractional) before *day*; 29 February falls back to the 28th."""
    whole = int(years)
    try:
        d = day.replace(year=day.year - whole)
    except ValueError:  # 29 February
        d = day.replace(year=day.year - whole, day=28)
    return d - timedelta(days=round((years - whole) * 365.25))


def proven_pairs(births: Iterable[Birth], present: Iterable[Present], day: date,
                 years: float) -> list[tuple[str, str]]:
    """(sire, dam) with an offspring born after *day* minus *years* (and not after *day*),
    both present now at the same site. Sorted, each pair once.

    Example:
        >>> b = [Birth("9", "1", "2", date(2025, 5, 1)), Birth("8", "3", "4", date(2020, 1, 1))]
        >>> here = [Present(i, s, "A") for i, s in (("1", "M"), ("2", "F"), ("3", "M"), ("4", "F"))]
        >>> proven_pairs(b, here, date(2026, 1, 1), 3)
        [('1', '2')]
    """
    if years < 0:
        raise InvalidInputError(f"proven-pair years must be >= 0, got {years}", "e.g. 3")
    site = {p.id: p.site for p in present}
    since = years_before(day, years)
    out = set()
    for b in births:
        if b.sire is None or b.dam is None or b.day is None or not (since < b.day <= day):
            continue
        s, d = site.get(b.sire), site.get(b.dam)
        if s is not None and s == d:
            out.add((b.sire, b.dam))
    return sorted(out)


@dataclass(frozen=True)
class Dependence:
    """Young under the dependence age on the reference day, and the sires of each dam's such young."""

    young: frozenset[str]
    dams: Mapping[str, frozenset[str]] = field(default_factory=dict)   # dam -> sires of her dependent young


def dependence(births: Iterable[Birth], present: Iterable[Present], day: date,
               months: float | None) -> Dependence:
    """Young present on *day* and younger than *months* (age = days / 30.44), and their dams present.

    ``months`` None or 0: no constraint.

    Example:
        >>> b = [Birth("9", "1", "2", date(2025, 11, 1)), Birth("8", "1", "3", date(2023, 1, 1))]
        >>> here = [Present(i, "U", "A") for i in ("1", "2", "3", "8", "9")]
        >>> dep = dependence(b, here, date(2026, 1, 1), 18)
        >>> sorted(dep.young), dict(dep.dams)
        (['9'], {'2': frozenset({'1'})})
    """
    if not months:
        return Dependence(frozenset())
    ids = {p.id for p in present}
    young = set()
    dams: dict[str, set[str]] = {}
    for b in births:
        if b.day is None or b.offspring not in ids or b.day > day:
            continue
        if (day - b.day).days < months * DAYS_PER_MONTH:
            young.add(b.offspring)
            if b.dam is not None and b.dam in ids:
                dams.setdefault(b.dam, set())
                if b.sire is not None:
                    dams[b.dam].add(b.sire)
    return Dependence(frozenset(young), {d: frozenset(s) for d, s in dams.items()})


def partner_rules(proven: Iterable[tuple[str, str]], dep: Dependence,
                  site: Mapping[str, str]) -> dict[str, frozenset[str]]:
    """The only partners an animal may get (an empty set: none); animals not listed are free.

    A member of a proven pair may be paired only with its proven partner(s). A dam with
    dependent young may be paired only with a sire of those young held at her site (and,
    when she is in a proven pair too, only with a partner allowed by both rules). The
    partner of a restricted dam is restricted to her as well only through a proven pair.
    """
    out: dict[str, set[str]] = {}
    for s, d in proven:
        out.setdefault(s, set()).add(d)
        out.setdefault(d, set()).add(s)
    for dam, sires in dep.dams.items():
        here = {s for s in sires if site.get(s) is not None and site.get(s) == site.get(dam)}
        out[dam] = out[dam] & here if dam in out else here
    return {k: frozenset(v) for k, v in out.items()}


def partner_ok(male: ArrayLike, female: ArrayLike, partners: Mapping[int, Collection[int]]) -> NDArray[np.bool_]:
    """Per pair row: both animals may take this partner (positions; ``partners`` as :func:`partner_rules`)."""
    m = np.asarray(male, dtype=np.int64).ravel()
    f = np.asarray(female, dtype=np.int64).ravel()
    ok = np.ones(len(m), dtype=bool)
    for a, allowed in partners.items():
        for me, other in ((m, f), (f, m)):
            rows = np.flatnonzero(me == a)
            if len(rows):
                ok[rows] &= np.isin(other[rows], np.asarray(sorted(allowed), dtype=np.int64))
    return ok


def parse_msi_classes(values: Iterable[str]) -> frozenset[int]:
    """``--allow-msi`` values (``5``, ``6``, ``-``, or comma lists ``5,6``) -> MSI codes added to 1-4."""
    out = set(DEFAULT_ALLOWED_MSI)
    for v in values:
        for part in str(v).split(","):
            p = part.strip()
            if p in ("-", "dash"):
                out.add(DASH)
            elif p in ("1", "2", "3", "4", "5", "6"):
                out.add(int(p))
            elif p:
                raise InvalidInputError(f"--allow-msi {p!r} is not an MSI class", "use 5, 6 or - (e.g. --allow-msi 5,6)")
    return frozenset(out)


def msi_allowed(msi: ArrayLike, allowed: Collection[int] = DEFAULT_ALLOWED_MSI) -> NDArray[np.bool_]:
    """Per pair: its MSI class is one of *allowed* (codes; "-" is :data:`~studbook.recommend.msi.DASH`)."""
    return np.isin(np.asarray(msi), np.asarray(sorted(allowed), dtype=np.int64))


# --------------------------------------------------------------------------- permits


def _key(code: str) -> str:
    return code.strip().upper()


@dataclass(frozen=True)
class Permits:
    """Exchange rules between two regions or countries (symmetric): None = banned, a number = extra km.

    A move between two sites is banned when any rule bans one of the pairs (region or
    country of one site, region or country of the other); otherwise it costs the largest
    extra km of the rules that apply. Codes are compared in upper case.
    """

    rules: Mapping[frozenset[str], float | None] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.rules)

    def between(self, a: Collection[str | None], b: Collection[str | None]) -> float | None:
        """Extra km (0 when no rule applies) or None (banned) between sites with codes *a* and *b*."""
        ka = {_key(x) for x in a if x}
        kb = {_key(x) for x in b if x}
        extra = 0.0
        for x in ka:
            for y in kb:
                if x == y:
                    continue
                rule = self.rules.get(frozenset((x, y)), 0.0)
                if rule is None:
                    return None
                extra = max(extra, rule)
        return extra


def _pair(text: str) -> frozenset[str]:
    parts = [p.strip() for p in str(text).split(":")]
    if len(parts) != 2 or not all(parts) or _key(parts[0]) == _key(parts[1]):
        raise InvalidInputError(f"{text!r} is not a pair of two regions or countries",
                                "write A:B, e.g. EAZA:EARAZA or GB:RU")
    return frozenset(_key(p) for p in parts)


def permits_from(block: Iterable[str] = (), data: Mapping[str, object] | None = None) -> Permits:
    """Permits from ``--block A:B`` values and a permits mapping (a TOML/JSON file read by the service).

    The mapping: ``{"permit": [{"between": ["EAZA", "EARAZA"], "ban": true},
    {"between": ["AZA", "EAZA"], "cost_km": 2000}]}``. A ban wins over a cost.
    """
    rules: dict[frozenset[str], float | None] = {}
    for entry in (data or {}).get("permit", []) or []:  # type: ignore[attr-defined]
        if not isinstance(entry, Mapping) or "between" not in entry:
            raise InvalidInputError(f"permit entry {entry!r} has no 'between'",
                                    'write [[permit]] between = ["EAZA", "EARAZA"] with ban = true or cost_km = N')
        between = entry["between"]
        if not isinstance(between, list | tuple) or len(between) != 2:
            raise InvalidInputError(f"permit 'between' {between!r} must name two regions or countries", "e.g. [\"AZA\", \"EAZA\"]")
        key = _pair(f"{between[0]}:{between[1]}")
        if entry.get("ban"):
            rules[key] = None
        elif "cost_km" in entry:
            cost = entry["cost_km"]
            if not isinstance(cost, int | float) or cost < 0:
                raise InvalidInputError(f"permit cost_km {cost!r} must be a number >= 0", "e.g. cost_km = 2000")
            if rules.get(key, 0.0) is not None:
                rules[key] = max(float(cost), rules.get(key) or 0.0)
        else:
            raise InvalidInputError(f"permit entry {entry!r} has neither ban nor cost_km", "add ban = true or cost_km = N")
    for b in block:
        rules[_pair(b)] = None
    return Permits(rules)
