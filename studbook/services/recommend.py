"""Breeding and transfer decisions for the book: the recommend domain applied to the living population.

The population is the living analysis population L (as for mean kinship): the captive
animals and the monitored animals in the wild. Breeding eligibility narrows who may be
paired, moved or released, never who counts for gene diversity: every animal of L stays
in the kinship matrix. Only captive animals breed, move or are released (an animal in
the wild is never a breeder or a mover); a reintroduction weighs the captive population.
"""

from __future__ import annotations

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
from .genetics import noise_to_zero

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
    # husbandry facts of the whole book on the reference day (excluded animals included)
    present: list[Any] = field(default_factory=list)       # recommend.husbandry.Present: alive, captive, placed
    births: list[Any] = field(default_factory=list)        # recommend.husbandry.Birth: every offspring with known parents
    day: date | None = None                                # the reference day
    dependence_months: float | None = None

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
    sites = [Site(i.code, i.latitude, i.longitude, i.region, i.capacity_males, i.capacity_females, i.country)
             for i in insts]
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
    present, births = _husbandry_facts(loaded)
    return Population(loaded, L, ids, K, K.mean(axis=1), known, F, sex, ages, location, sites, breeder, why,
                      captive, no_coordinates, present, births, loaded.day or date.today(), sp.dependence_months)


def _husbandry_facts(loaded: LoadedPedigree) -> tuple[list[Any], list[Any]]:
    """Every animal alive in captivity at an institution on the day (any flag, any age), and every
    birth with its known sire and dam (an ID parent; UNK, WILD and MULT parents are None)."""
    from ..recommend.husbandry import Birth, Present

    present = [Present(sid, inf.sex if inf.sex in ("M", "F") else "U", inf.location)
               for sid, inf in loaded.info.items() if inf.alive and not inf.in_wild and inf.location]
    ped = loaded.pedigree
    births = []
    for k, sid in enumerate(ped.ids):
        inf = loaded.info.get(sid)
        if inf is None:
            continue
        s, d = int(ped.sire[k]), int(ped.dam[k])
        sire = ped.ids[s] if s >= 0 and ped.ids[s] in loaded.info else None
        dam = ped.ids[d] if d >= 0 and ped.ids[d] in loaded.info else None
        if sire or dam:
            births.append(Birth(sid, sire, dam, inf.birth_date))
    return present, births


def read_config_file(path: str, what: str, hint: str, *, default: str) -> Any:
    """A JSON or TOML configuration file, by its suffix (another suffix: *default*, ``json`` or ``toml``);
    one clear error when it cannot be read or parsed."""
    from ..io.files import parse_json, read_text_file

    p = Path(path)
    text = read_text_file(p, what=f"the {what}", hint=hint)  # a regular UTF-8 file of at most 4 MB
    kind = {".json": "json", ".toml": "toml"}.get(p.suffix.lower(), default)
    try:
        if kind == "toml":
            import tomllib

            return tomllib.loads(text)
        return parse_json(text, what=f"the {what} {path}", hint="check its syntax")
    except (ValueError, RecursionError) as exc:
        raise InvalidInputError(f"the {what} {path} is not valid: {exc}", "check its syntax") from None


def load_msi_config(path: str | None) -> Any:
    from ..recommend.msi import MSIConfig

    if not path:
        return MSIConfig()
    data = read_config_file(path, "MSI configuration", "give a JSON or TOML file with MSI thresholds", default="json")
    if Path(path).suffix.lower() == ".toml" and isinstance(data, dict):
        data = data.get("msi", data)
    if not isinstance(data, dict):
        raise InvalidInputError(f"the MSI configuration {path} must hold one table (a JSON object) of settings",
                                "e.g. {\"inbreeding_six\": 0.0625}; see docs/decisions.md")
    return MSIConfig.from_mapping(data)


def pair_table(pop: Population, config: Any) -> Any:
    """Every eligible male x female pair, MSI with PMx's per-parent unknown-ancestry rule.

    Returns a :class:`~studbook.recommend.pairing.PairTable` that also carries the
    ``config`` it was scored with (``pair_rows`` explains each MSI with it).
    """
    from dataclasses import dataclass, fields

    from ..recommend.msi import MSIConfig, parent_known_dash
    from ..recommend.pairing import PairTable, evaluate_pairs

    males = np.flatnonzero(pop.breeder & (pop.sex == 1))
    females = np.flatnonzero(pop.breeder & (pop.sex == 2))
    if len(males) == 0 or len(females) == 0:
        raise InvalidInputError(
            f"no eligible pairs: {len(males)} eligible male(s) and {len(females)} eligible female(s)",
            "check ages and flags, or relax exclusions with --relax age|do-not-breed|contracepted",
        )
    t = evaluate_pairs(pop.K, males, females, pop.known, config)

    @dataclass(frozen=True)
    class ScoredPairTable(PairTable):
        config: MSIConfig = MSIConfig()  # noqa: RUF009 - frozen dataclass, safe as a default

    kw = {f.name: getattr(t, f.name) for f in fields(t)}
    kw["msi"] = parent_known_dash(t.msi, pop.known[t.male], pop.known[t.female], config)
    return ScoredPairTable(**kw, config=config)


def _num(x: float) -> float | None:
    return None if x is None or (isinstance(x, float) and math.isnan(x)) else float(x)


def pair_rows(pop: Population, table: Any, rows: Any = None, *, rank: bool = False) -> list[dict[str, Any]]:
    """One dict per pair of *table* (all, or the row indices *rows*), with the rule that set its MSI.

    ``rank=True`` sorts them best first (MSI 1..6, then "-"; within an MSI the larger ΔGD first;
    then by IDs) and numbers them from 1 in a ``rank`` key.
    """
    from ..recommend.msi import DASH, MSIConfig, msi_label, msi_rule

    config = getattr(table, "config", None) or MSIConfig()
    n = len(pop.ids)
    sel = list(range(len(table))) if rows is None else [int(r) for r in rows]
    if rank:
        sev = np.where(table.msi == DASH, 7, table.msi).astype(np.int64)
        dgd = np.nan_to_num(np.asarray(table.delta_gd, dtype=np.float64), nan=-np.inf)
        sel.sort(key=lambda r: (int(sev[r]), -float(dgd[r]), pop.ids[int(table.male[r])],
                                pop.ids[int(table.female[r])]))
    out = []
    for k, r in enumerate(sel, start=1):
        m, f = int(table.male[r]), int(table.female[r])
        phi = noise_to_zero(float(table.kinship[r]))
        row: dict[str, Any] = {"rank": k} if rank else {}
        row.update({
            "male": pop.ids[m], "female": pop.ids[f], "kinship": phi,
            "offspring_F": phi, "delta_gd": float(table.delta_gd[r]),
            "mk_difference": float(table.mk_difference[r]), "offspring_percent_known":
                round(100 * float(table.offspring_known[r]), 2), "msi": msi_label(int(table.msi[r])),
            "msi_rule": msi_rule(float(table.delta_gd[r]), float(table.mk_difference[r]), phi,
                                 float(pop.known[m]), float(pop.known[f]), config, population_size=n,
                                 male=f"male {pop.ids[m]}", female=f"female {pop.ids[f]}"),
            "male_percent_known": round(100 * float(pop.known[m]), 2),
            "female_percent_known": round(100 * float(pop.known[f]), 2),
            "male_institution": pop.site_code(m), "female_institution": pop.site_code(f),
        })
        out.append(row)
    return out


def evaluate_one(pop: Population, male: str, female: str, config: Any) -> dict[str, Any]:
    """Everything about one prospective pair, with the reasons behind its MSI."""
    from ..recommend.msi import msi_label, msi_rule, parent_known_dash
    from ..recommend.pairing import evaluate_pairs
    from ..recommend.transfers import site_km

    m, f = pop.pos(male), pop.pos(female)
    if pop.sex[m] != 1:
        raise InvalidInputError(f"animal {male} is not a male", "give the male first, then the female")
    if pop.sex[f] != 2:
        raise InvalidInputError(f"animal {female} is not a female", "give the male first, then the female")
    t = evaluate_pairs(pop.K, np.array([m]), np.array([f]), pop.known, config)
    n = len(pop.ids)
    msi = parent_known_dash(t.msi, pop.known[m], pop.known[f], config)
    phi = noise_to_zero(float(t.kinship[0]))
    gd = 1 - float(pop.mk.mean())
    out: dict[str, Any] = {
        "male": male, "female": female,
        "male_mean_kinship": float(pop.mk[m]), "female_mean_kinship": float(pop.mk[f]),
        "male_percent_known": round(100 * float(pop.known[m]), 2),
        "female_percent_known": round(100 * float(pop.known[f]), 2),
        "kinship": phi, "offspring_F": phi,
        "delta_gd": float(t.delta_gd[0]), "gene_diversity_now": gd, "population_size": n,
        "mk_difference": float(t.mk_difference[0]),
        "offspring_percent_known": round(100 * float(t.offspring_known[0]), 2),
        "msi": msi_label(int(msi[0])),
        "msi_rule": msi_rule(float(t.delta_gd[0]), float(t.mk_difference[0]), phi, float(pop.known[m]),
                             float(pop.known[f]), config, population_size=n, male=f"male {male}",
                             female=f"female {female}"),
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


DEFAULT_DISTANCE_WEIGHT = 0.1
"""Default ``--distance-weight``: 1000 km of moves cost 0.1 x the mean pair gain (docs/decisions.md)."""
DEFAULT_CROSS_REGION_MIN_GAIN = 1.0
"""Default ``--cross-region-min-gain``: a pair needing a move between regions must gain at least the mean pair gain."""
DEFAULT_PROVEN_YEARS = 3.0
"""Default ``--proven-years``: a shared birth in the last 3 years makes a proven pair."""


@dataclass
class Husbandry:
    """The husbandry constraints of a plan, as positions in L, plus what the plan reports."""

    occupancy: np.ndarray                       # (S, 2) animals present per site: males, females
    immobile: np.ndarray                        # per member of L: never moved
    partners: dict[int, frozenset[int]]         # position -> the only positions it may pair with
    proven: list[tuple[str, str]]               # proven pairs kept together (sire, dam)
    dependent_dams: list[str]
    dependent_young: list[str]
    allowed_msi: frozenset[int]
    permits: Any                                # recommend.husbandry.Permits


def load_permits(block: tuple[str, ...] | list[str] = (), path: str | None = None) -> Any:
    """``--block A:B`` values and ``--permits FILE.toml|.json`` -> :class:`~studbook.recommend.husbandry.Permits`."""
    from ..recommend.husbandry import permits_from

    data = None
    if path:
        data = read_config_file(path, "permits file", "give a TOML or JSON file with [[permit]] entries",
                                default="toml")
        if not isinstance(data, dict):
            raise InvalidInputError(f"the permits file {path} is not a table", "give [[permit]] entries")
    return permits_from(tuple(block), data)


def husbandry(pop: Population, *, proven_years: float = DEFAULT_PROVEN_YEARS, break_proven_pairs: bool = False,
              allow_msi: tuple[str, ...] | list[str] = (), allow_dash: bool = False, permits: Any = None,
              dependence_months: float | None = None) -> Husbandry:
    """Gather the husbandry constraints of the book on the population's day (docs/decisions.md,
    "Transfer plans a coordinator would sign"). *dependence_months* None: the species' value."""
    from ..recommend.husbandry import (
        DASH,
        Permits,
        dependence,
        occupancy,
        parse_msi_classes,
        partner_rules,
        proven_pairs,
    )

    if proven_years < 0:
        raise InvalidInputError(f"--proven-years {proven_years} is negative", "e.g. 3; --break-proven-pairs to ignore them")
    day = pop.day or date.today()
    allowed = parse_msi_classes(allow_msi)
    if allow_dash:
        allowed = allowed | {DASH}
    site_idx = {st.code: k for k, st in enumerate(pop.sites)}
    occ = np.zeros((len(pop.sites), 2))
    for (code, sx), cnt in occupancy(pop.present).items():
        if code in site_idx and sx in ("M", "F"):
            occ[site_idx[code], 0 if sx == "M" else 1] += cnt
    proven = [] if break_proven_pairs else proven_pairs(pop.births, pop.present, day, proven_years)
    if dependence_months is not None and dependence_months < 0:
        raise InvalidInputError(f"--dependence-months {dependence_months} is negative", "0 turns the constraint off")
    months = pop.dependence_months if dependence_months is None else dependence_months
    dep = dependence(pop.births, pop.present, day, months)
    site_of = {p.id: p.site for p in pop.present}
    rules = partner_rules(proven, dep, site_of)
    pos = {sid: k for k, sid in enumerate(pop.ids)}
    partners = {pos[a]: frozenset(pos[b] for b in allowed_ids if b in pos)
                for a, allowed_ids in rules.items() if a in pos}
    stay = set(dep.young) | set(dep.dams) | {x for pr in proven for x in pr}
    immobile = np.array([sid in stay for sid in pop.ids], dtype=bool)
    return Husbandry(occ, immobile, partners, proven, sorted(dep.dams), sorted(dep.young), allowed,
                     permits if permits is not None else Permits())


def _msi_text(allowed: frozenset[int]) -> str:
    from ..recommend.msi import msi_label

    return ",".join(sorted(msi_label(int(x)) for x in allowed))


def _move_for(pop: Population, m: int, f: int, hb: Husbandry) -> tuple[str, float | None, bool]:
    """Which animal of a pair moves (plain pair list): the male goes to the female, unless he must stay
    (proven pair, dependent young) or only the other direction has room. Returns (description, km or
    None without coordinates, cross_region)."""
    from ..recommend.transfers import site_km

    loc = pop.captive_location
    sm, sf = int(loc[m]), int(loc[f])
    if sm < 0 or sf < 0 or sm == sf:
        return "", 0.0, False
    a, b = pop.sites[sm], pop.sites[sf]
    dist = site_km(a, b)
    km = None if dist is None else round(dist, 1)
    cross = (a.region or "") != (b.region or "")
    full = b.capacity_males is not None and hb.occupancy[sf, 0] >= b.capacity_males
    if hb.immobile[m] or (full and not hb.immobile[f]):
        return f"female {pop.ids[f]} {b.code} -> {a.code}", km, cross
    return f"male {pop.ids[m]} {a.code} -> {b.code}", km, cross


def _pairs_mask(pop: Population, table: Any, hb: Husbandry) -> tuple[np.ndarray, np.ndarray]:
    """(eligible rows, rows skipped only for their MSI class) for a plain pair list."""
    from ..recommend.husbandry import msi_allowed, partner_ok
    from ..recommend.pairing import _eligible

    loc = pop.captive_location
    lm, lf = loc[table.male], loc[table.female]
    ok = _eligible(table, True) & partner_ok(table.male, table.female, hb.partners)
    apart = (lm >= 0) & (lf >= 0) & (lm != lf)
    ok &= ~(apart & hb.immobile[table.male] & hb.immobile[table.female])   # nobody may move
    if hb.permits:
        codes = [(st.region, st.country) for st in pop.sites]
        rows = np.flatnonzero(ok & apart)
        for a, b in {(int(x), int(y)) for x, y in zip(lm[rows], lf[rows])}:   # once per pair of sites
            if hb.permits.between(codes[a], codes[b]) is None:
                ok[rows[(lm[rows] == a) & (lf[rows] == b)]] = False
    msi_ok = msi_allowed(table.msi, hb.allowed_msi)
    return ok & msi_ok, ok & ~msi_ok


def recommend_pairs(pop: Population, table: Any, *, strategy: str, max_pairs: int | None,
                    allow_dash: bool, allow_msi: tuple[str, ...] | list[str] = (),
                    proven_years: float = DEFAULT_PROVEN_YEARS, break_proven_pairs: bool = False,
                    permits: Any = None, dependence_months: float | None = None,
                    ) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    from ..recommend.pairing import choose_pairs, population_gd_after

    if strategy not in ("optimal", "dynamic-mk"):
        raise InvalidInputError(f"--strategy {strategy!r} is unknown", "use optimal or dynamic-mk")
    if max_pairs is not None and max_pairs < 1:
        raise InvalidInputError(f"--max-pairs {max_pairs} must be at least 1", "or leave it out for no limit")
    hb = husbandry(pop, proven_years=proven_years, break_proven_pairs=break_proven_pairs, allow_msi=allow_msi,
                   allow_dash=allow_dash, permits=permits, dependence_months=dependence_months)
    ok, skipped = _pairs_mask(pop, table, hb)
    chosen = choose_pairs(pop.K, table, strategy=strategy, max_pairs=max_pairs, allow_dash=True, eligible=ok)
    rows = pair_rows(pop, table, chosen)
    for row, r in zip(rows, chosen):
        move, km, cross = _move_for(pop, int(table.male[r]), int(table.female[r]), hb)
        row.update(distance_km=km, cross_region=cross, move=move)
    pairs = [(int(table.male[r]), int(table.female[r])) for r in chosen]
    gd_now = 1 - float(pop.mk.mean())
    summary = {
        "strategy": strategy, "pairs": len(rows), "eligible_males": int(np.sum(pop.breeder & (pop.sex == 1))),
        "eligible_females": int(np.sum(pop.breeder & (pop.sex == 2))), "gene_diversity_now": gd_now,
        "gene_diversity_after_births": float(population_gd_after(pop.K, pairs)) if pairs else gd_now,
        "sum_delta_gd": float(sum(r["delta_gd"] for r in rows)),
        "allowed_msi": _msi_text(hb.allowed_msi),
        "skipped_for_msi": int(np.sum(skipped & (table.delta_gd > 0))),
        "proven_pairs_kept": len(hb.proven), "dependent_dams": len(hb.dependent_dams),
    }
    return rows, summary


def recommend_transfers(pop: Population, table: Any, *, distance_weight: float = DEFAULT_DISTANCE_WEIGHT,
                        cross_region_km: float = 0.0, max_pairs: int | None = None, allow_dash: bool = False,
                        allow_msi: tuple[str, ...] | list[str] = (), proven_years: float = DEFAULT_PROVEN_YEARS,
                        break_proven_pairs: bool = False,
                        cross_region_min_gain: float = DEFAULT_CROSS_REGION_MIN_GAIN,
                        allow_opposite_flows: bool = False, permits: Any = None,
                        dependence_months: float | None = None,
                        ) -> tuple[list[dict[str, Any]], list[dict[str, Any]], dict[str, Any]]:
    """The breeding-and-transfer plan: (moves, pairs, totals).

    Defaults follow practice (docs/decisions.md, "Transfer plans a coordinator would sign"):
    a distance weight of 0.1, cross-region moves only for pairs gaining at least the mean
    pair gain, no opposite flows between two regions, proven pairs kept, dams with
    dependent young neither moved nor re-paired, capacity counting every animal present,
    and no pair with MSI 5, 6 or "-".
    """
    from ..recommend.pairing import choose_pairs
    from ..recommend.transfers import plan_transfers

    if distance_weight < 0:
        raise InvalidInputError(f"--distance-weight {distance_weight} is negative", "0 means genetics only")
    if cross_region_min_gain < 0:
        raise InvalidInputError(f"--cross-region-min-gain {cross_region_min_gain} is negative",
                                "0 allows every cross-region move; the default 1 asks for a pair's mean gain")
    hb = husbandry(pop, proven_years=proven_years, break_proven_pairs=break_proven_pairs, allow_msi=allow_msi,
                   allow_dash=allow_dash, permits=permits, dependence_months=dependence_months)
    # The user's weight is relative: a 1000 km move costs `distance_weight` times the mean
    # gain (ΔGD) of a pair of the genetically optimal plan (under the same husbandry rules).
    ok, _ = _pairs_mask(pop, table, hb)
    best = choose_pairs(pop.K, table, strategy="optimal", max_pairs=max_pairs, allow_dash=True, eligible=ok)
    unit = float(np.mean(table.delta_gd[best])) if len(best) else 0.0
    # Only captive animals move: the animals in the wild are left out of the holdings (location -1).
    plan = plan_transfers(pop.K, table, pop.captive_location, pop.sex, pop.sites, distance_weight=distance_weight * unit,
                          cross_region_km=cross_region_km, max_pairs=max_pairs, allowed_msi=hb.allowed_msi,
                          occupancy=hb.occupancy, immobile=hb.immobile, partners=hb.partners, permits=hb.permits,
                          cross_region_min_gain=cross_region_min_gain * unit, one_way=not allow_opposite_flows)
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
    g0 = float(plan.gain_without_distance)
    totals = {
        "pairs": len(pair_info), "transfers": len(moves), "total_km": round(float(plan.total_km), 1),
        "cross_region_moves": int(plan.cross_region_moves), "gain_sum_delta_gd": float(plan.gain),
        "gain_without_distance": g0,
        "gain_kept_percent": round(100.0 * float(plan.gain) / g0, 1) if g0 > 0 else 100.0,
        "gene_diversity_now": float(plan.gd_now), "gene_diversity_after_births": float(plan.gd_after),
        "distance_weight": distance_weight, "mean_pair_gain": unit, "cross_region_km": cross_region_km,
        "cross_region_min_gain": cross_region_min_gain, "opposite_flows_allowed": allow_opposite_flows,
        "allowed_msi": _msi_text(hb.allowed_msi), "skipped_for_msi": int(plan.skipped_for_msi),
        "proven_pairs_kept": len(hb.proven), "proven_years": None if break_proven_pairs else proven_years,
        "dependent_dams": len(hb.dependent_dams), "dependent_young": len(hb.dependent_young),
        "permit_rules": len(hb.permits.rules),
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
