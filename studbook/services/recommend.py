"""Breeding and transfer decisions for the book: the recommend domain applied to the living population.

The population is the living analysis population L (as for mean kinship): the captive
animals and the monitored animals in the wild. Breeding eligibility narrows who may be
paired, moved or released, never who counts for gene diversity: every animal of L stays
in the kinship matrix. Only captive animals breed, move or are released (an animal in
the wild is never a breeder or a mover); a reintroduction weighs the captive population.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..errors import InvalidInputError, NotFoundError
from ..models import Institution
from .analysis import LoadedPedigree, age_years, load_pedigree
from .book import species_params

RELAXABLE = ("age", "do-not-breed", "contracepted")


@dataclass
class Population:
    loaded: LoadedPedigree
    idx: np.ndarray                 # pedigree indices of L
    ids: list[str]                  # studbook IDs of L
    K: np.ndarray                   # kinship among L
    mk: np.ndarray
    known: np.ndarray               # proportion of pedigree known
    F: np.ndarray
    sex: np.ndarray                 # 1 male, 2 female, 0 unknown
    age: list[float | None]
    location: np.ndarray            # site index per member (-1 = none)
    sites: list[Any]                # recommend.transfers.Site
    breeder: np.ndarray             # eligible to breed
    why_not: dict[str, list[str]] = field(default_factory=dict)
    captive: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))  # held in captivity (not wild)
    no_coordinates: list[str] = field(default_factory=list)  # institutions holding members of L, without coordinates

    @property
    def captive_location(self) -> np.ndarray:
        """Site index of the captive members (-1 for the animals in the wild): what transfer planning sees."""
        return np.where(self.captive, self.location, -1)

    def coordinates_warning(self) -> str | None:
        """One line naming the institutions left out of distance-based planning (None when there are none)."""
        if not self.no_coordinates:
            return None
        return (f"Warning: {len(self.no_coordinates)} institution(s) have no coordinates and are left out of "
                f"distance-based planning: {', '.join(self.no_coordinates)}")

    def pos(self, studbook_id: str) -> int:
        try:
            return self.ids.index(studbook_id)
        except ValueError:
            raise NotFoundError(
                f"animal {studbook_id} is not in the living analysis population",
                "only living animals not flagged --exclude can be evaluated (see `studbook animal show ID`)",
            ) from None

    def site_code(self, i: int) -> str | None:
        s = int(self.location[i])
        return self.sites[s].code if s >= 0 else None


def build_population(session: Session, *, relax: tuple[str, ...] = (), as_of: str | None = None,
                     today: date | None = None) -> Population:
    """The living analysis population on ``--as-of`` *as_of* (default: the census date, else today).

    *today* (a day) is an older way to give the day; *as_of* (text, as typed) wins.
    Ages and breeding ages are taken on that day. Animals in the wild are members of L
    but never breeders (reason "in the wild").
    """
    from ..genetics import inbreeding, kinship_matrix, percent_known
    from ..recommend.transfers import Site
    from .pedigree_rows import parse_as_of

    for r in relax:
        if r not in RELAXABLE:
            raise InvalidInputError(f"--relax {r!r} is not a relaxable exclusion", f"use one of {', '.join(RELAXABLE)}")
    loaded = load_pedigree(session, parse_as_of(as_of) or today)
    ped = loaded.pedigree
    L = np.asarray(ped.living, dtype=np.int64)
    if len(L) == 0:
        raise InvalidInputError("there are no living animals in the analysis population",
                                "record living animals, or include excluded ones (`studbook animal update ID --include`)")
    ids = [ped.ids[i] for i in L]
    K = kinship_matrix(ped, L)
    sp = species_params(session)
    insts = list(session.scalars(select(Institution).order_by(Institution.code)))
    sites = [Site(i.code, i.latitude, i.longitude, i.region, i.capacity_males, i.capacity_females) for i in insts]
    site_of = {s.code: k for k, s in enumerate(sites)}
    sex = np.array([{"M": 1, "F": 2}.get(loaded.info[s].sex, 0) for s in ids], dtype=np.int8)
    ages = [age_years(loaded.info[s].birth_date, loaded.day) for s in ids]
    location = np.array([site_of.get(loaded.info[s].location or "", -1) for s in ids], dtype=np.int64)
    captive = np.array([not loaded.info[s].in_wild for s in ids], dtype=bool)
    held = {int(k) for k in location.tolist() if k >= 0}
    no_coordinates = sorted(sites[k].code for k in held if not sites[k].has_coordinates)
    breeder = np.ones(len(ids), dtype=bool)
    why: dict[str, list[str]] = {}
    for k, sid in enumerate(ids):
        inf = loaded.info[sid]
        age = ages[k]
        reasons = []
        if inf.in_wild:
            reasons.append("in the wild")
        if sex[k] == 0:
            reasons.append("sex unknown")
        if inf.flags["hybrid_suspect"]:
            reasons.append("hybrid-suspect")
        if inf.flags["do_not_breed"] and "do-not-breed" not in relax:
            reasons.append("do-not-breed")
        if inf.flags["contracepted"] and "contracepted" not in relax:
            reasons.append("contracepted")
        if "age" not in relax and age is not None and sex[k]:
            lo = sp.min_breeding_age(inf.sex)
            hi = sp.max_breeding_age(inf.sex)
            if age < lo:
                reasons.append(f"younger than {lo:g} years")
            elif age > hi:
                reasons.append(f"older than {hi:g} years")
        if reasons:
            breeder[k] = False
            why[sid] = reasons
    F = inbreeding(ped)[L]
    known = percent_known(ped)[L]
    return Population(loaded, L, ids, K, K.mean(axis=1), known, F, sex, ages, location, sites, breeder, why,
                      captive, no_coordinates)


def load_msi_config(path: str | None) -> Any:
    from ..recommend.msi import MSIConfig

    if not path:
        return MSIConfig()
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise InvalidInputError(f"cannot read the MSI configuration {path}: {exc.strerror}",
                                "give a JSON or TOML file with MSI thresholds") from None
    try:
        if p.suffix.lower() == ".toml":
            import tomllib

            data = tomllib.loads(text)
            data = data.get("msi", data)
        else:
            data = json.loads(text)
    except ValueError as exc:
        raise InvalidInputError(f"the MSI configuration {path} is not valid: {exc}", "check its syntax") from None
    return MSIConfig.from_mapping(data)


def pair_table(pop: Population, config: Any) -> Any:
    from ..recommend.pairing import evaluate_pairs

    males = np.flatnonzero(pop.breeder & (pop.sex == 1))
    females = np.flatnonzero(pop.breeder & (pop.sex == 2))
    if len(males) == 0 or len(females) == 0:
        raise InvalidInputError(
            f"no eligible pairs: {len(males)} eligible male(s) and {len(females)} eligible female(s)",
            "check ages and flags, or relax exclusions with --relax age|do-not-breed|contracepted",
        )
    return evaluate_pairs(pop.K, males, females, pop.known, config)


def _num(x: float) -> float | None:
    return None if x is None or (isinstance(x, float) and math.isnan(x)) else float(x)


def pair_rows(pop: Population, table: Any, rows: Any = None) -> list[dict[str, Any]]:
    from ..recommend.msi import msi_label

    sel = range(len(table)) if rows is None else rows
    out = []
    for r in sel:
        m, f = int(table.male[r]), int(table.female[r])
        out.append({
            "male": pop.ids[m], "female": pop.ids[f], "kinship": float(table.kinship[r]),
            "offspring_F": float(table.kinship[r]), "delta_gd": float(table.delta_gd[r]),
            "mk_difference": float(table.mk_difference[r]), "offspring_percent_known":
                round(100 * float(table.offspring_known[r]), 2), "msi": msi_label(int(table.msi[r])),
            "male_institution": pop.site_code(m), "female_institution": pop.site_code(f),
        })
    return out


def evaluate_one(pop: Population, male: str, female: str, config: Any) -> dict[str, Any]:
    """Everything about one prospective pair, with the reasons behind its MSI."""
    from ..recommend.msi import msi_label
    from ..recommend.pairing import evaluate_pairs
    from ..recommend.transfers import site_km

    m, f = pop.pos(male), pop.pos(female)
    if pop.sex[m] != 1:
        raise InvalidInputError(f"animal {male} is not a male", "give the male first, then the female")
    if pop.sex[f] != 2:
        raise InvalidInputError(f"animal {female} is not a female", "give the male first, then the female")
    t = evaluate_pairs(pop.K, np.array([m]), np.array([f]), pop.known, config)
    n = len(pop.ids)
    gd = 1 - float(pop.mk.mean())
    out: dict[str, Any] = {
        "male": male, "female": female,
        "male_mean_kinship": float(pop.mk[m]), "female_mean_kinship": float(pop.mk[f]),
        "kinship": float(t.kinship[0]), "offspring_F": float(t.kinship[0]),
        "delta_gd": float(t.delta_gd[0]), "gene_diversity_now": gd, "population_size": n,
        "mk_difference": float(t.mk_difference[0]),
        "offspring_percent_known": round(100 * float(t.offspring_known[0]), 2),
        "msi": msi_label(int(t.msi[0])),
        "male_institution": pop.site_code(m), "female_institution": pop.site_code(f),
        "male_eligible": bool(pop.breeder[m]), "female_eligible": bool(pop.breeder[f]),
        "male_not_eligible_because": pop.why_not.get(male, []),
        "female_not_eligible_because": pop.why_not.get(female, []),
    }
    sm, sf = int(pop.location[m]), int(pop.location[f])
    if sm >= 0 and sf >= 0 and sm != sf:
        a, b = pop.sites[sm], pop.sites[sf]
        km = site_km(a, b)  # None: a site without coordinates (never 0/0)
        out["distance_km"] = None if km is None else round(km, 1)
        out["cross_region"] = (a.region or "") != (b.region or "")
    else:
        out["distance_km"] = 0.0
        out["cross_region"] = False
    return out


def _move_for(pop: Population, m: int, f: int) -> tuple[str, float | None, bool]:
    """Which animal of a pair moves (plain pair list): the male goes to the female, unless only the
    other direction has room. Returns (description, km or None without coordinates, cross_region)."""
    from ..recommend.transfers import site_km

    loc = pop.captive_location
    sm, sf = int(loc[m]), int(loc[f])
    if sm < 0 or sf < 0 or sm == sf:
        return "", 0.0, False
    a, b = pop.sites[sm], pop.sites[sf]
    dist = site_km(a, b)
    km = None if dist is None else round(dist, 1)
    cross = (a.region or "") != (b.region or "")
    males_at_f = int(np.sum((loc == sf) & (pop.sex == 1)))
    if b.capacity_males is not None and males_at_f >= b.capacity_males:
        return f"female {pop.ids[f]} {b.code} -> {a.code}", km, cross
    return f"male {pop.ids[m]} {a.code} -> {b.code}", km, cross


def recommend_pairs(pop: Population, table: Any, *, strategy: str, max_pairs: int | None,
                    allow_dash: bool) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    from ..recommend.pairing import choose_pairs, population_gd_after

    if strategy not in ("optimal", "dynamic-mk"):
        raise InvalidInputError(f"--strategy {strategy!r} is unknown", "use optimal or dynamic-mk")
    if max_pairs is not None and max_pairs < 1:
        raise InvalidInputError(f"--max-pairs {max_pairs} must be at least 1", "or leave it out for no limit")
    chosen = choose_pairs(pop.K, table, strategy=strategy, max_pairs=max_pairs, allow_dash=allow_dash)
    rows = pair_rows(pop, table, chosen)
    for row, r in zip(rows, chosen):
        move, km, cross = _move_for(pop, int(table.male[r]), int(table.female[r]))
        row.update(distance_km=km, cross_region=cross, move=move)
    pairs = [(int(table.male[r]), int(table.female[r])) for r in chosen]
    gd_now = 1 - float(pop.mk.mean())
    summary = {
        "strategy": strategy, "pairs": len(rows), "eligible_males": int(np.sum(pop.breeder & (pop.sex == 1))),
        "eligible_females": int(np.sum(pop.breeder & (pop.sex == 2))), "gene_diversity_now": gd_now,
        "gene_diversity_after_births": float(population_gd_after(pop.K, pairs)) if pairs else gd_now,
        "sum_delta_gd": float(sum(r["delta_gd"] for r in rows)),
    }
    return rows, summary


def recommend_transfers(pop: Population, table: Any, *, distance_weight: float, cross_region_km: float,
                        max_pairs: int | None, allow_dash: bool) -> tuple[list[dict[str, Any]], list[dict[str, Any]], dict[str, Any]]:
    """The breeding-and-transfer plan: (moves, pairs, totals)."""
    from ..recommend.pairing import choose_pairs
    from ..recommend.transfers import plan_transfers

    if distance_weight < 0:
        raise InvalidInputError(f"--distance-weight {distance_weight} is negative", "0 means genetics only")
    # The user's weight is relative: a 1000 km move costs `distance_weight` times the mean
    # gain (ΔGD) of a pair of the genetically optimal plan, whatever the population size.
    best = choose_pairs(pop.K, table, strategy="optimal", max_pairs=max_pairs, allow_dash=allow_dash)
    unit = float(np.mean(table.delta_gd[best])) if len(best) else 0.0
    # Only captive animals move: the animals in the wild are left out of the holdings (location -1).
    plan = plan_transfers(pop.K, table, pop.captive_location, pop.sex, pop.sites, distance_weight=distance_weight * unit,
                          cross_region_km=cross_region_km, max_pairs=max_pairs, allow_dash=allow_dash)
    pair_info = pair_rows(pop, table, plan.pairs)
    info_of = dict(zip(plan.pairs.tolist(), pair_info))
    moves = []
    for mv in plan.moves:
        pr = info_of.get(mv.pair)
        moves.append({
            "animal": pop.ids[mv.animal], "sex": {1: "M", 2: "F"}.get(int(pop.sex[mv.animal]), "U"),
            "from": pop.sites[mv.from_site].code, "to": pop.sites[mv.to_site].code,
            "distance_km": round(float(mv.km), 1), "cross_region": bool(mv.cross_region),
            "from_region": pop.sites[mv.from_site].region, "to_region": pop.sites[mv.to_site].region,
            "pair_male": pr["male"] if pr else None, "pair_female": pr["female"] if pr else None,
            "delta_gd": pr["delta_gd"] if pr else None,
            "why": f"pair {pr['male']} x {pr['female']} (dGD {pr['delta_gd']:+.6f}, MSI {pr['msi']})" if pr else "",
        })
    move_of = {m["animal"]: m for m in moves}
    for row in pair_info:
        move = move_of.get(row["male"]) or move_of.get(row["female"])
        row["move"] = f"{move['animal']} {move['from']} -> {move['to']}" if move else ""
        row["distance_km"] = move["distance_km"] if move else 0.0
    totals = {
        "pairs": len(pair_info), "transfers": len(moves), "total_km": round(float(plan.total_km), 1),
        "cross_region_moves": int(plan.cross_region_moves), "gain_sum_delta_gd": float(plan.gain),
        "gain_without_distance": float(plan.gain_without_distance),
        "gene_diversity_now": float(plan.gd_now), "gene_diversity_after_births": float(plan.gd_after),
        "distance_weight": distance_weight, "mean_pair_gain": unit, "cross_region_km": cross_region_km,
        "traded": _traded(plan, distance_weight, unit),
    }
    return moves, pair_info, totals


def _traded(plan: Any, weight: float, unit: float) -> str:
    """What the distance weight traded, in words."""
    if weight == 0:
        return (f"No distance weight: the plan maximises the gain in gene diversity only "
                f"({len(plan.moves)} moves, {plan.total_km:,.0f} km).")
    lost = plan.gain_without_distance - plan.gain
    pct = 100.0 * lost / plan.gain_without_distance if plan.gain_without_distance > 0 else 0.0
    return (f"With --distance-weight {weight:g} (1000 km cost {weight:g} x the mean pair gain of {unit:.3g} dGD), "
            f"the plan gives up {lost:.3g} dGD ({pct:.1f}% of the best gain) to save "
            f"{plan.km_without_distance - plan.total_km:,.0f} km and "
            f"{plan.moves_without_distance - len(plan.moves)} moves "
            f"({plan.moves_without_distance} moves / {plan.km_without_distance:,.0f} km -> "
            f"{len(plan.moves)} moves / {plan.total_km:,.0f} km).")


def holdings_kinship_rows(pop: Population) -> list[dict[str, Any]]:
    """Mean kinship between the captive holdings of every two institutions (least related first).

    ``distance_km`` is None when either institution has no coordinates.
    """
    from ..recommend.transfers import holdings_mean_kinship, site_km

    loc = pop.captive_location
    M = holdings_mean_kinship(pop.K, loc, len(pop.sites))
    held = sorted({int(s) for s in loc.tolist() if s >= 0})
    rows = []
    for a_i, a in enumerate(held):
        for b in held[a_i:]:
            v = M[a, b]
            if np.isnan(v):
                continue
            sa, sb = pop.sites[a], pop.sites[b]
            km = site_km(sa, sb)
            rows.append({"institution_1": sa.code, "institution_2": sb.code, "mean_kinship": float(v),
                         "animals_1": int(np.sum(loc == a)), "animals_2": int(np.sum(loc == b)),
                         "distance_km": None if km is None else round(km, 1)})
    rows.sort(key=lambda r: (r["mean_kinship"], r["institution_1"], r["institution_2"]))
    return rows


def parse_sex_ratio(text: str | None) -> tuple[int, int] | None:
    if not text:
        return None
    try:
        m, f = (int(x) for x in text.split(":"))
    except ValueError:
        raise InvalidInputError(f"--sex-ratio {text!r} is not M:F", "write e.g. 1:1 or 1:2") from None
    if m < 0 or f < 0 or m + f == 0:
        raise InvalidInputError(f"--sex-ratio {text!r} needs non-negative numbers, not both 0", "e.g. 1:1")
    return m, f


def release_eligibility(pop: Population, *, min_age: float | None, max_age: float | None,
                        parent_reared_only: bool, allow_health_notes: bool) -> np.ndarray:
    """Who may be released: captive members of L (never an animal already in the wild) that pass the filters."""
    ok = np.ones(len(pop.ids), dtype=bool)
    for k, sid in enumerate(pop.ids):
        flags = pop.loaded.info[sid].flags
        age = pop.age[k]
        if (pop.loaded.info[sid].in_wild or flags["hybrid_suspect"] or flags["exclude_from_release"] or pop.sex[k] == 0
                or (parent_reared_only and not flags["parent_reared"])
                or (not allow_health_notes and flags.get("health_notes", False))
                or (min_age is not None and (age is None or age < min_age))
                or (max_age is not None and (age is None or age > max_age))):
            ok[k] = False
    return ok


def recommend_reintroduction(pop: Population, *, count: int, sex_ratio: tuple[int, int] | None,
                             min_age: float | None, max_age: float | None, parent_reared_only: bool,
                             allow_health_notes: bool, seed: int, draws: int = 1000,
                             group_weight: float = 0.25) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    from ..genetics.founders import founder_shares
    from ..recommend.reintroduction import delta_gd_if_removed, select_release_group

    if count < 1:
        raise InvalidInputError(f"--count {count} must be at least 1", "e.g. --count 6")
    eligible = release_eligibility(pop, min_age=min_age, max_age=max_age, parent_reared_only=parent_reared_only,
                                   allow_health_notes=allow_health_notes)
    if group_weight < 0:
        raise InvalidInputError(f"--group-weight {group_weight} is negative", "0 = captive loss only; default 0.25")
    # The release is taken from the captive population, and its loss is the captive population's:
    # the animals already in the wild are left out of C (none of them is a candidate).
    C = np.flatnonzero(pop.captive)
    K = pop.K[np.ix_(C, C)]
    # Founder lineages are real founders only: an unknown parent is a phantom founder for kinship,
    # but it is not a lineage a release group can carry on purpose.
    codes, shares = founder_shares(pop.loaded.pedigree, pop.idx[C])
    shares = shares[:, codes >= 0]
    sel = select_release_group(K, eligible[C], pop.sex[C], count, sex_ratio=sex_ratio, founder_shares=shares,
                               draws=draws, seed=seed, group_weight=group_weight)
    removal = delta_gd_if_removed(K)
    mk = K.mean(axis=1)
    rows = []
    for rank, (c, lineages) in enumerate(zip(sel.chosen.tolist(), sel.founder_lineages.tolist()), start=1):
        k = int(C[c])
        sid = pop.ids[k]
        rows.append({
            "rank": rank, "id": sid, "name": pop.loaded.info[sid].house_name,
            "sex": {1: "M", 2: "F"}.get(int(pop.sex[k]), "U"), "birth_date": pop.loaded.info[sid].birth_date,
            "age": pop.age[k],
            "institution": pop.site_code(k), "mean_kinship": float(mk[c]), "F": float(pop.F[k]),
            "percent_known": round(100 * float(pop.known[k]), 2), "delta_gd_if_removed": float(removal[c]),
            "founder_lineages": int(lineages),
        })
    summary = {
        "count": count, "eligible": int(eligible.sum()), "sex_ratio": f"{sex_ratio[0]}:{sex_ratio[1]}" if sex_ratio else None,
        "captive_gd_before": float(sel.captive_gd_before), "captive_gd_after": float(sel.captive_gd_after),
        "captive_gd_loss": float(sel.captive_gd_before - sel.captive_gd_after),
        "random_group_loss_median": float(sel.random_loss_median), "random_draws": draws, "seed": seed,
        "group_gd": _num(sel.group_gd), "group_fge": _num(sel.group_fge),
        "group_founder_lineages": int(sel.group_founder_lineages), "group_weight": group_weight,
    }
    return rows, summary
