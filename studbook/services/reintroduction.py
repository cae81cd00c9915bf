"""Reintroduction candidates for the book: who may be released, and the group to release.

The release is taken from the captive population C (the captive members of the living
analysis population L; animals already in the wild are never candidates) and its genetic
cost is C's loss of gene diversity. What a release team requires (docs/decisions.md,
"Reintroduction candidates"):

* ages inside the species' release window (``release_age_min``/``release_age_max``, ages
  on the reference day, both ends included), unless the caller gives one;
* no young before the species' age of independence (``dependence_months``) and no dam
  whose youngest living offspring is still dependent on that day;
* never the last breeding-age (or younger) carriers of a founder lineage in captivity;
* among genetically equal candidates, few institutions near each other
  (``max_institutions`` caps them); the group is compared with the best group
  chosen without logistics.
"""

from __future__ import annotations

import math
from datetime import date, timedelta
from typing import Any

import numpy as np

from ..errors import InvalidInputError
from ..records import SpeciesParams
from .recommend import Population

# Days in a month for the fractional part of a dependence period in months.
DAYS_PER_MONTH = 365.25 / 12
# Score difference (kinship units) under which two candidates count as genetically equal.
DEFAULT_TOLERANCE = 0.002


def parse_sex_ratio(text: str | None) -> tuple[int, int] | None:
    """``"M:F"`` -> ``(M, F)``; None when not given."""
    if not text:
        return None
    try:
        m, f = (int(x) for x in text.split(":"))
    except ValueError:
        raise InvalidInputError(f"--sex-ratio {text!r} is not M:F", "write e.g. 1:1 or 1:2") from None
    if m < 0 or f < 0 or m + f == 0:
        raise InvalidInputError(f"--sex-ratio {text!r} needs non-negative numbers, not both 0", "e.g. 1:1")
    return m, f


def exact_age(birth: date | None, day: date) -> float | None:
    """Age in years on *day*, counted by birthdays: exactly 3.0 on the third birthday.

    Whole years are the birthdays passed; the part of the current year is its days
    elapsed over its length (a 29 February birthday falls on 28 February).

    >>> exact_age(date(2023, 11, 1), date(2026, 11, 1))
    3.0
    >>> exact_age(date(2023, 11, 2), date(2026, 11, 1)) < 3
    True
    """
    if birth is None:
        return None

    def birthday(y: int) -> date:
        try:
            return birth.replace(year=y)
        except ValueError:  # 29 February
            return date(y, 2, 28)

    years = day.year - birth.year
    if birthday(day.year) > day:
        years -= 1
    last, nxt = birthday(birth.year + years), birthday(birth.year + years + 1)
    return years + (day - last).days / (nxt - last).days


def independence_day(birth: date, months: float) -> date:
    """The day a young born on *birth* reaches *months* of age (calendar months, then days)."""
    whole = int(months)
    y, m = divmod(birth.month - 1 + whole, 12)
    year, month = birth.year + y, m + 1
    day = birth.day
    while True:
        try:
            d = date(year, month, day)
            break
        except ValueError:
            day -= 1
    return d + timedelta(days=round((months - whole) * DAYS_PER_MONTH))


def _dependent(pop: Population, months: float | None, day: date) -> tuple[set[str], set[str]]:
    """(young still dependent on *day*, their dams): living offspring only; a MULT dam candidate counts as a dam."""
    if months is None:
        return set(), set()
    ped = pop.loaded.pedigree
    info = pop.loaded.info
    young: set[str] = set()
    dams: set[str] = set()
    for i, sid in enumerate(ped.ids):
        inf = info.get(sid)
        if inf is None or not inf.alive or inf.birth_date is None or independence_day(inf.birth_date, months) <= day:
            continue
        young.add(sid)
        if int(ped.dam[i]) >= 0:
            dams.add(ped.ids[int(ped.dam[i])])
        for cand, _p in ped.dam_mult.of(i):
            dams.add(ped.ids[cand])
    return young, dams


def release_window(species: SpeciesParams, min_age: float | None, max_age: float | None
                   ) -> tuple[float | None, float | None]:
    """The age window: the options where given, else the species' release ages."""
    lo = species.release_age_min if min_age is None else min_age
    hi = species.release_age_max if max_age is None else max_age
    if lo is not None and hi is not None and lo > hi:
        raise InvalidInputError(f"the release age window {lo:g}-{hi:g} is empty",
                                "give --min-age no larger than --max-age")
    return lo, hi


def release_eligibility(pop: Population, species: SpeciesParams, *, min_age: float | None,
                        max_age: float | None, parent_reared_only: bool, allow_health_notes: bool
                        ) -> tuple[np.ndarray, dict[str, list[str]]]:
    """Who may be released: captive members of L that pass every filter, and why the others do not.

    *min_age*/*max_age* are the window already resolved (:func:`release_window`); ages are
    exact (:func:`exact_age`) on the reference day, both ends included; an animal of
    unknown birth date is outside any window.
    """
    day = pop.loaded.day or date.today()
    young, dams = _dependent(pop, species.dependence_months, day)
    ok = np.ones(len(pop.ids), dtype=bool)
    why: dict[str, list[str]] = {}
    for k, sid in enumerate(pop.ids):
        inf = pop.loaded.info[sid]
        flags = inf.flags
        age = exact_age(inf.birth_date, day)
        reasons = []
        if inf.in_wild:
            reasons.append("in the wild")
        if pop.sex[k] == 0:
            reasons.append("sex unknown")
        if flags["hybrid_suspect"]:
            reasons.append("hybrid-suspect")
        if flags["exclude_from_release"]:
            reasons.append("flagged exclude-from-release")
        if parent_reared_only and not flags["parent_reared"]:
            reasons.append("not parent-reared")
        if not allow_health_notes and flags.get("health_notes", False):
            reasons.append("health notes")
        if (min_age is not None and (age is None or age < min_age)) or (
                max_age is not None and (age is None or age > max_age)):
            reasons.append("outside the release ages")
        if sid in young:
            reasons.append("dependent young")
        if sid in dams:
            reasons.append("dam with dependent young")
        if reasons:
            ok[k] = False
            why[sid] = reasons
    return ok, why


def lineage_carriers(pop: Population, species: SpeciesParams, C: np.ndarray, shares: np.ndarray,
                     tol: float = 1e-12) -> np.ndarray:
    """``carriers[c, f]``: captive animal C[c] has a share of founder f and is not past breeding age.

    "Of breeding age or younger" = not older than the species' maximum breeding age for
    its sex (the larger of the two for an animal of unknown sex); an unknown birth date
    counts as young enough (as for breeding eligibility).
    """
    day = pop.loaded.day or date.today()
    young_enough = np.ones(len(C), dtype=bool)
    for c, k in enumerate(C.tolist()):
        inf = pop.loaded.info[pop.ids[k]]
        age = exact_age(inf.birth_date, day)
        if age is None:
            continue
        hi = (species.max_breeding_age(inf.sex) if inf.sex in ("M", "F")
              else max(species.max_breeding_age_male, species.max_breeding_age_female))
        young_enough[c] = age <= hi
    return (shares > tol) & young_enough[:, None]


def _site_km_matrix(pop: Population) -> np.ndarray:
    from ..recommend.transfers import site_km

    n = len(pop.sites)
    D = np.full((n, n), np.nan)
    for a in range(n):
        for b in range(a, n):
            km = site_km(pop.sites[a], pop.sites[b])
            if km is not None:
                D[a, b] = D[b, a] = km
    return D


def _spread_km(D: np.ndarray, sites: tuple[int, ...]) -> float | None:
    """Largest distance between two of the group's institutions (None if one is unknown)."""
    worst = 0.0
    for a in sites:
        for b in sites:
            if np.isnan(D[a, b]):
                return None
            worst = max(worst, float(D[a, b]))
    return worst


def _num(x: float) -> float | None:
    return None if x is None or (isinstance(x, float) and math.isnan(x)) else float(x)


def recommend_reintroduction(pop: Population, species: SpeciesParams, *, count: int,
                             sex_ratio: tuple[int, int] | None, min_age: float | None, max_age: float | None,
                             parent_reared_only: bool, allow_health_notes: bool, seed: int, draws: int = 1000,
                             group_weight: float = 0.25, max_institutions: int | None = None,
                             keep_carriers: int = 1, tolerance: float = DEFAULT_TOLERANCE
                             ) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The release group (rows, best first) and what it costs (summary), module docs.

    Raises:
        InvalidInputError: bad options; not enough eligible animals; no group that keeps
            every founder lineage in captivity or fits in *max_institutions*.
    """
    from ..genetics.founders import founder_shares
    from ..recommend.reintroduction import delta_gd_if_removed, select_release_group

    if count < 1:
        raise InvalidInputError(f"--count {count} must be at least 1", "e.g. --count 6")
    if group_weight < 0:
        raise InvalidInputError(f"--group-weight {group_weight} is negative", "0 = captive loss only; default 0.25")
    if keep_carriers < 1:
        raise InvalidInputError(f"--keep-carriers {keep_carriers} must be at least 1",
                                "1 = never remove the last carrier of a founder lineage")
    if tolerance < 0:
        raise InvalidInputError(f"--tolerance {tolerance} is negative", f"default {DEFAULT_TOLERANCE}")
    lo, hi = release_window(species, min_age, max_age)
    eligible, why = release_eligibility(pop, species, min_age=lo, max_age=hi, parent_reared_only=parent_reared_only,
                                        allow_health_notes=allow_health_notes)
    # The release is taken from the captive population, and its loss is the captive population's.
    C = np.flatnonzero(pop.captive)
    K = pop.K[np.ix_(C, C)]
    # Founder lineages are real founders only: an unknown parent is a phantom founder for kinship,
    # but it is not a lineage a release group can carry on purpose.
    codes, shares = founder_shares(pop.loaded.pedigree, pop.idx[C])
    shares = shares[:, codes >= 0]
    carriers = lineage_carriers(pop, species, C, shares)
    D = _site_km_matrix(pop)
    site = pop.location[C]
    common = dict(sex_ratio=sex_ratio, founder_shares=shares, draws=draws, seed=seed, group_weight=group_weight,
                  carriers=carriers, keep_carriers=keep_carriers)
    sel = select_release_group(K, eligible[C], pop.sex[C], count, site=site, site_km=D,
                               max_sites=max_institutions, tolerance=tolerance, **common)  # type: ignore[arg-type]
    best = select_release_group(K, eligible[C], pop.sex[C], count, **common)  # type: ignore[arg-type]
    best_sites = tuple(sorted({int(s) for s in site[best.chosen].tolist() if s >= 0}))
    removal = delta_gd_if_removed(K)
    mk = K.mean(axis=1)
    day = pop.loaded.day or date.today()
    rows = []
    for rank, (c, lineages) in enumerate(zip(sel.chosen.tolist(), sel.founder_lineages.tolist()), start=1):
        k = int(C[c])
        sid = pop.ids[k]
        inf = pop.loaded.info[sid]
        age = exact_age(inf.birth_date, day)
        rows.append({
            "rank": rank, "id": sid, "name": inf.house_name,
            "sex": {1: "M", 2: "F"}.get(int(pop.sex[k]), "U"), "birth_date": inf.birth_date,
            "age": None if age is None else round(age, 2),
            "institution": pop.site_code(k), "mean_kinship": float(mk[c]), "F": float(pop.F[k]),
            "percent_known": round(100 * float(pop.known[k]), 2), "delta_gd_if_removed": float(removal[c]),
            "founder_lineages": int(lineages),
        })
    reasons: dict[str, int] = {}
    for k in C.tolist():
        for r in why.get(pop.ids[k], ()):
            reasons[r] = reasons.get(r, 0) + 1
    carried = carriers.any(axis=0)
    spread = _spread_km(D, sel.sites)
    best_spread = _spread_km(D, best_sites)
    summary = {
        "count": count, "eligible": int(eligible[C].sum()),
        "sex_ratio": f"{sex_ratio[0]}:{sex_ratio[1]}" if sex_ratio else None,
        "release_ages": f"{'' if lo is None else f'{lo:g}'}-{'' if hi is None else f'{hi:g}'}",
        "release_ages_from": "options" if (min_age is not None or max_age is not None) else "species",
        "dependence_months": species.dependence_months,
        "not_eligible": "; ".join(f"{r}: {n}" for r, n in sorted(reasons.items(), key=lambda x: (-x[1], x[0]))),
        "captive_gd_before": float(sel.captive_gd_before), "captive_gd_after": float(sel.captive_gd_after),
        "captive_gd_loss": float(sel.captive_gd_before - sel.captive_gd_after),
        "random_group_loss_median": float(sel.random_loss_median), "random_draws": draws, "seed": seed,
        "group_gd": _num(sel.group_gd), "group_fge": _num(sel.group_fge),
        "group_founder_lineages": int(sel.group_founder_lineages),
        "captive_founder_lineages": int((shares > 1e-12).any(axis=0).sum()),
        "lineages_with_young_carriers": int(carried.sum()),
        "fewest_young_carriers_left": int(sel.fewest_carriers_left), "keep_carriers": keep_carriers,
        "institutions": len(sel.sites), "institution_codes": " ".join(pop.sites[s].code for s in sel.sites),
        "institutions_spread_km": None if spread is None else round(spread, 1),
        "max_institutions": max_institutions, "tolerance": tolerance, "group_weight": group_weight,
        "genetic_best_ids": " ".join(pop.ids[int(C[c])] for c in best.chosen.tolist()),
        "genetic_best_captive_gd_after": float(best.captive_gd_after),
        "genetic_best_group_gd": _num(best.group_gd),
        "genetic_best_group_founder_lineages": int(best.group_founder_lineages),
        "genetic_best_institutions": len(best_sites),
        "genetic_best_institutions_spread_km": None if best_spread is None else round(best_spread, 1),
        "logistics_cost_captive_gd": float(best.captive_gd_after - sel.captive_gd_after),
    }
    return rows, summary
