"""Transfer plans: choose pairs *and* who travels, under holding capacities.

A pair (m, f) held at two institutions needs one animal moved: the male to the
female's site or the female to the male's site (none when both are at the same
site). The plan maximises

    Σ_chosen ΔGD(m, f)  −  distance_weight · Σ_moves cost / 1000,
    cost = great-circle km + cross_region_km if both sites have a region and they differ,

so ``distance_weight`` is in **ΔGD per 1000 km**: a weight of 1e-4 accepts losing
0.0001 GD-gain to save 1000 km. For a sense of scale, one offspring of a good pair
raises GD by roughly ``(2·m̄ − MK_m − MK_f)/N``: about 1e-4 to 1e-3 in a
population of 100–300 animals.

Constraints (a mixed-integer program solved with ``scipy.optimize.milp`` /
HiGHS, gap 0):

* each animal in at most one chosen pair; at most ``max_pairs`` pairs;
* per site and sex with a capacity: ``occupancy now − leaving + arriving ≤
  capacity``; a site already *over* capacity for a sex receives no animal of that
  sex (animals may still leave). Occupancy is ``occupancy`` (every animal present,
  from the caller) or else the members of L. ``None`` = unlimited;
* husbandry (:mod:`studbook.recommend.husbandry`): ``immobile`` animals never move;
  ``partners`` restricts who may pair with whom (proven pairs, dams with dependent
  young); ``allowed_msi`` the MSI classes; ``permits`` bans moves between two
  regions/countries (the pair is left out) or adds km to them;
* a pair whose move crosses regions needs ``ΔGD ≥ cross_region_min_gain``;
* ``one_way``: never moves both ways between two regions — one binary ``y_ab`` per
  ordered region pair with ``Σ x_ab ≤ |x_ab|·y_ab`` and ``y_ab + y_ba ≤ 1``.

``gain_without_distance`` is the plan solved with weight 0, no cross-region threshold
and no one-way rule, under the same husbandry constraints.

Candidate pairs (for speed): pairs eligible for pairing (ΔGD > 0 and MSI ≠ "-"
unless ``allow_dash``, exactly as :func:`~studbook.recommend.pairing.choose_pairs`)
— all of them when there are at most ``FULL_LIMIT``; otherwise every animal's
``TOP_K`` best mates by ΔGD, its ``TOP_K`` nearest eligible mates, all same-site
pairs and the pairs of the optimal (distance-free) pairing. The candidate set does
not depend on ``distance_weight``, and it contains the optimal pairing, so with
``distance_weight = 0`` and no binding capacity the plan's gain equals the optimal
pairing gain, and a larger weight never increases the total distance.

Pairs with an animal whose ``location`` is negative (unknown holding, or an animal
the caller leaves out, such as one in the wild) are left out of the plan. Institutions
without coordinates (SPARKS locations have none) are left out of everything that needs
a distance: a pair held at two different sites of which one has no coordinates needs a
move of unknown length and is left out of the plan (a pair at one site needs no move).
Missing coordinates are never read as 0/0; :func:`sites_without_coordinates` names them.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from studbook.errors import InvalidInputError
from studbook.recommend.husbandry import Permits, msi_allowed, partner_ok
from studbook.recommend.pairing import PairTable, _check_k, _eligible, optimal_matching, population_gd_after

EARTH_RADIUS_KM = 6371.0088
"""Mean Earth radius (IUGG), km."""

FULL_LIMIT = 2000
TOP_K = 8

FloatArray = NDArray[np.float64]
I64 = NDArray[np.int64]


def great_circle_km(lat1: ArrayLike, lon1: ArrayLike, lat2: ArrayLike, lon2: ArrayLike
                    ) -> FloatArray | float:
    """Great-circle distance in km (haversine on a sphere of radius 6371.0088 km).

    ``d = 2R·asin√(sin²(Δφ/2) + cos φ1 cos φ2 sin²(Δλ/2))``; inputs in degrees,
    arrays broadcast. Error vs the WGS-84 ellipsoid is below 0.5 %.

    Example:
        >>> round(great_circle_km(51.5074, -0.1278, 48.8566, 2.3522))  # London–Paris
        344
    """
    p1, p2 = np.radians(np.asarray(lat1, dtype=np.float64)), np.radians(np.asarray(lat2, dtype=np.float64))
    dl = np.radians(np.asarray(lon2, dtype=np.float64) - np.asarray(lon1, dtype=np.float64))
    h = np.sin((p2 - p1) / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    d = 2.0 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0)))
    return float(d) if np.ndim(d) == 0 else d


@dataclass(frozen=True)
class Site:
    """An institution: coordinates (degrees; None or NaN = unknown), region, capacity per sex (None = unlimited)."""

    code: str
    latitude: float | None
    longitude: float | None
    region: str | None = None
    capacity_males: int | None = None
    capacity_females: int | None = None
    country: str | None = None

    @property
    def has_coordinates(self) -> bool:
        return all(v is not None and np.isfinite(v) for v in (self.latitude, self.longitude))


def site_km(a: Site, b: Site) -> float | None:
    """Great-circle km between two sites; 0 for the same site; None when either has no coordinates."""
    if a.code == b.code:
        return 0.0
    if not (a.has_coordinates and b.has_coordinates):
        return None
    return float(great_circle_km(a.latitude, a.longitude, b.latitude, b.longitude))  # type: ignore[arg-type]


def sites_without_coordinates(sites: Sequence[Site], location: ArrayLike | None = None) -> list[str]:
    """Codes of the sites without coordinates (only those some animal is at, with *location*), sorted."""
    used = range(len(sites)) if location is None else {int(k) for k in np.asarray(location).ravel() if k >= 0}
    return sorted(sites[k].code for k in used if not sites[k].has_coordinates)


@dataclass(frozen=True)
class Move:
    """One transfer: ``animal`` (position in L) from site to site for PairTable row ``pair``."""

    animal: int
    from_site: int
    to_site: int
    km: float
    cross_region: bool
    pair: int


@dataclass(frozen=True)
class TransferPlan:
    """Chosen pairs, the moves they need and what the distance weight cost.

    Attributes:
        pairs: Chosen PairTable rows (decreasing ΔGD).
        moves: One move per chosen cross-site pair.
        gain: Σ ΔGD of the chosen pairs.
        gain_without_distance: Σ ΔGD of the plan solved with distance_weight = 0.
        total_km: Σ km of the moves (without the cross-region surcharge).
        cross_region_moves: Number of moves between regions.
        gd_now: GD(L).
        gd_after: :func:`~studbook.recommend.pairing.population_gd_after` of the pairs.
        traded: One sentence: what the distance weight traded.
        km_without_distance: Σ km of the moves of the plan solved with distance_weight = 0.
        moves_without_distance: Number of moves of that plan.
        skipped_for_msi: Pairs that raise GD and pass every other rule but were left out for their MSI class.
        cross_region_without_distance: Cross-region moves of the distance-free plan.
    """

    pairs: I64
    moves: tuple[Move, ...]
    gain: float
    gain_without_distance: float
    total_km: float
    cross_region_moves: int
    gd_now: float
    gd_after: float
    traded: str
    km_without_distance: float = 0.0
    moves_without_distance: int = 0
    skipped_for_msi: int = 0
    cross_region_without_distance: int = 0


def _site_arrays(sites: Sequence[Site]) -> tuple[FloatArray, FloatArray, list[str | None], FloatArray]:
    # unknown coordinates -> NaN: a distance from them is NaN and its pair is left out (never 0/0)
    lat = np.array([np.nan if s.latitude is None else s.latitude for s in sites], dtype=np.float64)
    lon = np.array([np.nan if s.longitude is None else s.longitude for s in sites], dtype=np.float64)
    reg = [s.region for s in sites]
    cap = np.array([[np.inf if s.capacity_males is None else s.capacity_males,
                     np.inf if s.capacity_females is None else s.capacity_females]
                    for s in sites], dtype=np.float64).reshape(len(sites), 2)
    return lat, lon, reg, cap


def _candidates(table: PairTable, ok: NDArray[np.bool_], same: NDArray[np.bool_],
                cost: FloatArray, max_pairs: int | None) -> I64:
    rows = np.flatnonzero(ok)
    if len(rows) <= FULL_LIMIT:
        return rows
    keep = set(rows[same[rows]].tolist())
    keep.update(optimal_matching(table.male, table.female, table.delta_gd, ok, max_pairs).tolist())
    for who in (table.male, table.female):
        w = who[rows]
        for key in (-table.delta_gd[rows], cost[rows]):
            order = np.lexsort((key, w))                 # by animal, then key
            ws = w[order]
            start = np.searchsorted(ws, ws, side="left")
            rank = np.arange(len(ws)) - start
            keep.update(rows[order[rank < TOP_K]].tolist())
    return np.asarray(sorted(keep), dtype=np.int64)


def _solve(table: PairTable, cand: I64, same: NDArray[np.bool_], cost: FloatArray,
           location: I64, sex: NDArray[np.int8], cap: FloatArray, n: int,
           weight: float, max_pairs: int | None, *, now: FloatArray,
           mobile: NDArray[np.bool_], cross_ok: NDArray[np.bool_], region: I64,
           one_way: bool) -> tuple[I64, NDArray[np.int8]]:
    """Returns (chosen rows, direction: 0 none, 1 male moves, 2 female moves).

    *now*: animals present per (site, sex); *mobile*: per member of L, may move;
    *cross_ok*: per table row, a move between its two sites' regions is allowed;
    *region*: region index per site (-1 none); *one_way*: no two opposite flows
    between two regions (a binary per ordered region pair, ``y_ab + y_ba ≤ 1``).
    """
    from scipy.optimize import Bounds, LinearConstraint, milp
    from scipy.sparse import coo_matrix

    if len(cand) == 0 or max_pairs == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int8)
    sm = same[cand]
    # variables: one per same-site pair (dir 0), two per cross-site pair (dir 1, 2)
    v_row = np.concatenate([cand[sm], cand[~sm], cand[~sm]])
    v_dir = np.concatenate([np.zeros(int(sm.sum())), np.ones(int((~sm).sum())),
                            np.full(int((~sm).sum()), 2)]).astype(np.int8)
    nv = len(v_row)
    scale = float(np.max(table.delta_gd[cand]))
    c = table.delta_gd[v_row] / scale
    c = c - np.where(v_dir > 0, weight * cost[v_row] / 1000.0 / scale, 0.0)
    m, f = table.male[v_row], table.female[v_row]
    cols = np.arange(nv)
    r_i: list[NDArray[np.int64]] = [m, n + f]
    c_i: list[NDArray[np.int64]] = [cols, cols]
    n_rows = 2 * n
    ub: list[float] = [1.0] * (2 * n)
    upper = np.ones(nv)
    if max_pairs is not None:
        r_i.append(np.full(nv, n_rows))
        c_i.append(cols)
        n_rows += 1
        ub.append(float(max_pairs))
    # capacity rows per (site, sex): arriving − leaving ≤ cap − now
    mover = np.where(v_dir == 1, m, f)
    dest = np.where(v_dir == 1, location[f], location[m])
    src = location[mover]
    msex = sex[mover].astype(np.int64)
    upper[(v_dir > 0) & ~mobile[mover]] = 0.0          # animals that stay where they are
    upper[(v_dir > 0) & ~cross_ok[v_row]] = 0.0         # cross-region move below the threshold
    S = cap.shape[0]
    coef_r: list[int] = []
    coef_c: list[int] = []
    coef_v: list[float] = []
    moving = (v_dir > 0) & ((msex == 1) | (msex == 2))
    for site in range(S):
        for x in (0, 1):
            if not np.isfinite(cap[site, x]):
                continue
            arr = np.flatnonzero(moving & (dest == site) & (msex == x + 1))
            if now[site, x] > cap[site, x]:
                upper[arr] = 0.0       # over capacity: receives nobody of this sex
                continue
            dep = np.flatnonzero(moving & (src == site) & (msex == x + 1))
            if len(arr) == 0:
                continue
            coef_r += [n_rows] * (len(arr) + len(dep))
            coef_c += arr.tolist() + dep.tolist()
            coef_v += [1.0] * len(arr) + [-1.0] * len(dep)
            ub.append(float(cap[site, x] - now[site, x]))
            n_rows += 1
    n_y = 0
    if one_way:
        ra, rb = region[src], region[dest]
        flow = (v_dir > 0) & (ra >= 0) & (rb >= 0) & (ra != rb) & (upper > 0)
        pairs = sorted({(int(a), int(b)) for a, b in zip(ra[flow], rb[flow])})
        y_of = {p: nv + k for k, p in enumerate(pairs)}
        n_y = len(pairs)
        for (a, b), y in y_of.items():
            xs = np.flatnonzero(flow & (ra == a) & (rb == b))
            coef_r += [n_rows] * (len(xs) + 1)          # Σ x_ab − |x_ab|·y_ab ≤ 0
            coef_c += xs.tolist() + [y]
            coef_v += [1.0] * len(xs) + [-float(len(xs))]
            ub.append(0.0)
            n_rows += 1
            if a < b and (b, a) in y_of:                  # y_ab + y_ba ≤ 1
                coef_r += [n_rows, n_rows]
                coef_c += [y, y_of[(b, a)]]
                coef_v += [1.0, 1.0]
                ub.append(1.0)
                n_rows += 1
    rr = np.concatenate(r_i + [np.asarray(coef_r, dtype=np.int64)])
    cc = np.concatenate(c_i + [np.asarray(coef_c, dtype=np.int64)])
    vv = np.concatenate([np.ones(sum(len(a) for a in c_i)), np.asarray(coef_v)])
    A = coo_matrix((vv, (rr, cc)), shape=(n_rows, nv + n_y)).tocsr()
    res = milp(-np.concatenate([c, np.zeros(n_y)]), constraints=LinearConstraint(A, -np.inf, np.asarray(ub)),
               integrality=np.ones(nv + n_y), bounds=Bounds(0, np.concatenate([upper, np.ones(n_y)])),
               options={"mip_rel_gap": 0.0})
    if res.x is None:  # pragma: no cover - x = 0 is always feasible
        raise RuntimeError(f"transfer MILP failed: {res.message}")
    chosen = np.asarray(res.x)[:nv] > 0.5
    return v_row[chosen], v_dir[chosen]


def plan_transfers(K: ArrayLike, table: PairTable, location: ArrayLike, sex: ArrayLike,
                   sites: Sequence[Site], *, distance_weight: float = 0.0,
                   cross_region_km: float = 3000.0, max_pairs: int | None = None,
                   allow_dash: bool = False, allowed_msi: Collection[int] | None = None,
                   occupancy: ArrayLike | None = None, immobile: ArrayLike | None = None,
                   partners: Mapping[int, Collection[int]] | None = None,
                   permits: Permits | None = None, cross_region_min_gain: float = 0.0,
                   one_way: bool = False) -> TransferPlan:
    """Choose pairs and move directions jointly (module docstring for the model).

    Args:
        K: Kinship matrix of L.
        table: From :func:`~studbook.recommend.pairing.evaluate_pairs`.
        location: Site index (into ``sites``) of every member of L; -1 = unknown.
        sex: 1 male, 2 female (0 unknown) for every member of L.
        sites: The institutions.
        distance_weight: ΔGD per 1000 km of move cost (≥ 0).
        cross_region_km: Surcharge (km) for a move between regions.
        max_pairs: At most this many pairs.
        allow_dash: Also consider MSI "-" pairs (when ``allowed_msi`` is None).
        allowed_msi: MSI classes a chosen pair may have (None: all but "-" unless ``allow_dash``).
        occupancy: Animals present per site and sex, shape (S, 2) (males, females), for the
            capacity rows; None = the members of L with a location.
        immobile: Per member of L, True = never moved (dependent dams and young, proven pairs).
        partners: Position -> the only positions it may be paired with (empty = none);
            see :func:`~studbook.recommend.husbandry.partner_rules`.
        permits: Bans (pair left out when it needs a move between them) and extra km.
        cross_region_min_gain: A pair needing a move between two regions is a candidate only
            when its ΔGD is at least this (absolute ΔGD).
        one_way: No two opposite flows between the same two regions.

    Raises:
        InvalidInputError: negative weight, surcharge or max_pairs.
    """
    Ka = _check_k(K)
    n = Ka.shape[0]
    loc = np.asarray(location, dtype=np.int64).ravel()
    sx = np.asarray(sex, dtype=np.int8).ravel()
    if len(loc) != n or len(sx) != n:
        raise ValueError("location and sex need one value per member of L")
    if distance_weight < 0 or not np.isfinite(distance_weight):
        raise InvalidInputError(f"distance_weight must be >= 0, got {distance_weight}", "0 means genetics only")
    if cross_region_km < 0:
        raise InvalidInputError(f"cross_region_km must be >= 0, got {cross_region_km}", "give the extra cost of a move between regions in km, e.g. 3000")
    if max_pairs is not None and max_pairs < 0:
        raise InvalidInputError(f"max_pairs must be >= 0, got {max_pairs}", "give a positive number of pairs, or none for no limit")
    if len(loc) and loc.max() >= len(sites):
        raise ValueError(f"location refers to site {loc.max()} but only {len(sites)} sites given")
    lat, lon, reg, cap = _site_arrays(sites)
    if occupancy is None:
        now = np.zeros((len(sites), 2))
        valid = (loc >= 0) & ((sx == 1) | (sx == 2))
        np.add.at(now, (loc[valid], sx[valid].astype(np.int64) - 1), 1.0)
    else:
        now = np.asarray(occupancy, dtype=np.float64).reshape(len(sites), 2)
    mobile = np.ones(n, dtype=bool) if immobile is None else ~np.asarray(immobile, dtype=bool).ravel()
    lm, lf = loc[table.male], loc[table.female]
    known = (lm >= 0) & (lf >= 0)
    lm0, lf0 = np.where(known, lm, 0), np.where(known, lf, 0)
    km = np.asarray(great_circle_km(lat[lm0], lon[lm0], lat[lf0], lon[lf0])) if len(sites) \
        else np.full(len(table), np.nan)
    regions = np.array([r if r is not None else "" for r in reg] + [""], dtype=object)
    rm, rf = regions[lm0], regions[lf0]
    cross = known & (rm != "") & (rf != "") & (rm != rf)
    same = known & (lm == lf)
    km = np.where(same, 0.0, km)
    extra = np.zeros(len(table))
    if permits:
        codes = [(s.region, s.country) for s in sites]
        E = np.zeros((len(sites), len(sites)))                # extra km per pair of sites
        held = sorted({int(k) for k in loc.tolist() if k >= 0})
        for a in held:
            for b in held:
                if a != b:
                    e = permits.between(codes[a], codes[b])
                    E[a, b] = np.nan if e is None else e      # NaN: banned, left out below
        extra = np.where(known, E[lm0, lf0], 0.0)
    cost = km + np.where(cross, cross_region_km, 0.0) + extra
    if allowed_msi is None:
        ok = _eligible(table, allow_dash)
        msi_ok = np.ones(len(table), dtype=bool)
    else:
        ok = _eligible(table, True)
        msi_ok = msi_allowed(table.msi, allowed_msi)
    ok &= known & np.isfinite(cost)
    if partners:
        ok &= partner_ok(table.male, table.female, partners)
    skipped = int(np.sum(ok & ~msi_ok))
    ok &= msi_ok
    cross_ok = ~cross | (table.delta_gd >= cross_region_min_gain)
    region_names = sorted({r for r in reg if r})
    region = np.array([region_names.index(r) if r else -1 for r in reg], dtype=np.int64)
    cand = _candidates(table, ok, same, cost, max_pairs)
    free = np.ones(len(table), dtype=bool)
    common = {"now": now, "mobile": mobile, "region": region}
    rows, dirs = _solve(table, cand, same, cost, loc, sx, cap, n, float(distance_weight), max_pairs,
                        cross_ok=cross_ok, one_way=one_way, **common)
    if distance_weight > 0 or cross_region_min_gain > 0 or one_way:
        rows0, dirs0 = _solve(table, cand, same, cost, loc, sx, cap, n, 0.0, max_pairs,
                              cross_ok=free, one_way=False, **common)
    else:
        rows0, dirs0 = rows, dirs
    order = np.argsort(-table.delta_gd[rows], kind="stable")
    rows, dirs = rows[order], dirs[order]
    moves = []
    for r, dr in zip(rows.tolist(), dirs.tolist()):
        if dr == 0:
            continue
        a = int(table.male[r] if dr == 1 else table.female[r])
        frm, to = (int(lm[r]), int(lf[r])) if dr == 1 else (int(lf[r]), int(lm[r]))
        moves.append(Move(animal=a, from_site=frm, to_site=to, km=float(km[r]),
                          cross_region=bool(cross[r]), pair=int(r)))
    gain = float(table.delta_gd[rows].sum())
    gain0 = float(table.delta_gd[rows0].sum())
    total_km = float(sum(mv.km for mv in moves))
    n_cross = sum(mv.cross_region for mv in moves)
    mv0 = dirs0 > 0
    km0 = float(km[rows0[mv0]].sum())
    cross0 = int(cross[rows0[mv0]].sum())
    gd_now = population_gd_after(Ka, [])
    pairs = [(int(table.male[r]), int(table.female[r])) for r in rows.tolist()]
    gd_after = population_gd_after(Ka, pairs)
    if distance_weight == 0:
        traded = (f"No distance weight: the plan maximises the GD gain only "
                  f"({len(moves)} moves, {total_km:,.0f} km).")
    else:
        lost = gain0 - gain
        pct = 100.0 * lost / gain0 if gain0 > 0 else 0.0
        traded = (f"A distance weight of {distance_weight:g} ΔGD per 1000 km gave up "
                  f"{lost:.6f} ΔGD ({pct:.1f} % of the best gain {gain0:.6f}) to save "
                  f"{km0 - total_km:,.0f} km and {int(mv0.sum()) - len(moves)} moves "
                  f"({int(mv0.sum())} moves / {km0:,.0f} km -> {len(moves)} moves / "
                  f"{total_km:,.0f} km).")
    return TransferPlan(pairs=rows.astype(np.int64), moves=tuple(moves), gain=gain,
                        gain_without_distance=gain0, total_km=total_km,
                        cross_region_moves=int(n_cross), gd_now=gd_now, gd_after=gd_after,
                        traded=traded, km_without_distance=km0, moves_without_distance=int(mv0.sum()),
                        skipped_for_msi=skipped, cross_region_without_distance=cross0)


def holdings_mean_kinship(K: ArrayLike, location: ArrayLike, n_sites: int) -> FloatArray:
    """S×S mean kinship between the animals held at two institutions.

    ``M_ab = mean_{i at a, j at b} K_ij`` for a ≠ b. The diagonal is the mean
    kinship *between different animals* of one institution (self pairs excluded,
    ``Σ_{i≠j} K_ij / (n_a(n_a − 1))``), i.e. how related the animals held
    together are; NaN where a site holds fewer than 2 animals (off-diagonal: NaN
    where either site holds nobody). Animals with a negative location are ignored.

    Example:
        >>> holdings_mean_kinship([[0.5, 0.25, 0], [0.25, 0.5, 0], [0, 0, 0.5]], [0, 0, 1], 2).tolist()
        [[0.25, 0.0], [0.0, nan]]
    """
    Ka = _check_k(K)
    loc = np.asarray(location, dtype=np.int64).ravel()
    ok = (loc >= 0) & (loc < n_sites)
    Z = np.zeros((Ka.shape[0], n_sites))
    Z[np.flatnonzero(ok), loc[ok]] = 1.0
    sums = Z.T @ Ka @ Z
    cnt = Z.sum(axis=0)
    pairs = np.outer(cnt, cnt)
    diag_self = Z.T @ np.diag(Ka)
    np.fill_diagonal(pairs, cnt * (cnt - 1))
    sums[np.diag_indices(n_sites)] -= diag_self
    with np.errstate(invalid="ignore", divide="ignore"):
        out = np.where(pairs > 0, sums / np.where(pairs > 0, pairs, 1.0), np.nan)
    return out
