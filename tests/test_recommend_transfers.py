"""Transfer plans: distances, capacity, optimality vs brute force, distance trade-off."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from reference.naive_recommend import brute_force_transfers, naive_gd_after, random_kinship

from studbook.errors import InvalidInputError
from studbook.recommend import (
    EARTH_RADIUS_KM,
    Site,
    choose_pairs,
    evaluate_pairs,
    great_circle_km,
    holdings_mean_kinship,
    plan_transfers,
)
from studbook.recommend.pairing import _eligible

CITIES = [("LON", 51.5074, -0.1278, "EU"), ("PAR", 48.8566, 2.3522, "EU"),
          ("NYC", 40.7128, -74.0060, "NA"), ("MOS", 55.7558, 37.6173, "EU"),
          ("SYD", -33.8688, 151.2093, "AU")]


def test_great_circle_known_distances():
    assert great_circle_km(51.5074, -0.1278, 48.8566, 2.3522) == pytest.approx(344, abs=1.5)
    assert great_circle_km(0, 0, 0, 180) == pytest.approx(math.pi * EARTH_RADIUS_KM, rel=1e-12)
    assert great_circle_km(10, 20, 10, 20) == 0.0
    d = great_circle_km(np.array([0.0, 51.5]), 0.0, 0.0, np.array([90.0, 0.0]))
    assert d.shape == (2,) and d[0] == pytest.approx(math.pi / 2 * EARTH_RADIUS_KM)


def instance(seed: int, nm: int, nf: int, n_sites: int, cap_max: int | None):
    rng = np.random.default_rng(seed)
    n = nm + nf
    K = random_kinship(rng, n)
    perm = rng.permutation(n)
    K = K[np.ix_(perm, perm)]
    sex = np.array([1] * nm + [2] * nf, dtype=np.int8)
    location = rng.integers(0, n_sites, n)
    sites = []
    for code, lat, lon, reg in CITIES[:n_sites]:
        cm = None if cap_max is None or rng.random() < 0.3 else int(rng.integers(0, cap_max + 1))
        cf = None if cap_max is None or rng.random() < 0.3 else int(rng.integers(0, cap_max + 1))
        sites.append(Site(code, lat, lon, reg, cm, cf))
    table = evaluate_pairs(K, np.arange(nm), np.arange(nm, n), np.ones(n))
    return K, table, location, sex, sites


def site_costs(table, location, sites, cross_region_km=3000.0):
    lat = np.array([s.latitude for s in sites])
    lon = np.array([s.longitude for s in sites])
    reg = [s.region for s in sites]
    lm, lf = location[table.male], location[table.female]
    km = np.where(lm == lf, 0.0, great_circle_km(lat[lm], lon[lm], lat[lf], lon[lf]))
    cross = np.array([reg[a] != reg[b] for a, b in zip(lm, lf)])
    return km + np.where(cross, cross_region_km, 0.0)


def capacity_array(sites):
    return np.array([[np.inf if s.capacity_males is None else s.capacity_males,
                      np.inf if s.capacity_females is None else s.capacity_females]
                     for s in sites], dtype=float)


def occupancy_after(plan, location, sex, n_sites):
    loc = location.copy()
    for mv in plan.moves:
        assert loc[mv.animal] == mv.from_site
        loc[mv.animal] = mv.to_site
    occ = np.zeros((n_sites, 2))
    np.add.at(occ, (loc, sex.astype(int) - 1), 1)
    return occ


def check_plan(plan, K, table, location, sex, sites):
    cap = capacity_array(sites)
    occ_now = np.zeros((len(sites), 2))
    np.add.at(occ_now, (location, sex.astype(int) - 1), 1)
    occ = occupancy_after(plan, location, sex, len(sites))
    for s in range(len(sites)):
        for x in (0, 1):
            if occ_now[s, x] > cap[s, x]:
                assert occ[s, x] <= occ_now[s, x]
            else:
                assert occ[s, x] <= cap[s, x]
    rows = plan.pairs
    assert len(set(table.male[rows].tolist())) == len(rows)
    assert len(set(table.female[rows].tolist())) == len(rows)
    for mv in plan.moves:
        r = mv.pair
        assert location[table.male[r]] != location[table.female[r]]
        assert mv.animal in (table.male[r], table.female[r])
    moved_pairs = {mv.pair for mv in plan.moves}
    for r in rows:
        same = location[table.male[r]] == location[table.female[r]]
        assert (r in moved_pairs) != same          # same-site pairs need no move
    assert plan.gain == pytest.approx(float(table.delta_gd[rows].sum()), abs=1e-15)
    pairs = list(zip(table.male[rows].tolist(), table.female[rows].tolist()))
    assert plan.gd_after == pytest.approx(naive_gd_after(K, pairs), abs=1e-12)
    assert plan.total_km == pytest.approx(sum(m.km for m in plan.moves))


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 10**6), st.integers(1, 4), st.integers(1, 4), st.integers(1, 3),
       st.sampled_from([0.0, 0.02, 0.2]), st.one_of(st.none(), st.integers(1, 3)))
def test_plan_equals_brute_force(seed, nm, nf, n_sites, weight_scale, max_pairs):
    K, table, location, sex, sites = instance(seed, nm, nf, n_sites, cap_max=2)
    weight = weight_scale * max(float(np.abs(table.delta_gd).max()), 1e-9)
    plan = plan_transfers(K, table, location, sex, sites, distance_weight=weight,
                          max_pairs=max_pairs)
    check_plan(plan, K, table, location, sex, sites)
    cost = site_costs(table, location, sites)
    best = brute_force_transfers(table.delta_gd, table.male, table.female,
                                 _eligible(table, False), location, sex, cost,
                                 capacity_array(sites), weight, max_pairs)
    got = plan.gain - weight * sum(
        cost[m.pair] for m in plan.moves) / 1000.0
    assert got == pytest.approx(best, abs=1e-12)


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 10**6), st.integers(3, 25), st.integers(3, 25), st.integers(1, 5))
def test_capacity_never_exceeded_and_weight_zero_is_optimal(seed, nm, nf, n_sites):
    K, table, location, sex, sites = instance(seed, nm, nf, n_sites, cap_max=None)
    plan = plan_transfers(K, table, location, sex, sites)
    best = choose_pairs(K, table)
    assert plan.gain == pytest.approx(float(table.delta_gd[best].sum()), rel=1e-9, abs=1e-15)
    assert plan.gain_without_distance == plan.gain
    check_plan(plan, K, table, location, sex, sites)
    K, table, location, sex, sites = instance(seed, nm, nf, n_sites, cap_max=4)
    kms = []
    for w in (0.0, 1e-5, 1e-4, 1e-3):
        p = plan_transfers(K, table, location, sex, sites, distance_weight=w)
        check_plan(p, K, table, location, sex, sites)
        assert p.gain <= p.gain_without_distance + 1e-15
        kms.append(p.total_km + 3000.0 * p.cross_region_moves)
    assert all(b <= a + 1e-6 for a, b in zip(kms, kms[1:]))   # larger weight, never more cost


def test_large_instance_is_pruned_and_exact_without_distance():
    rng = np.random.default_rng(5)
    n = 300
    K = random_kinship(rng, n)
    sex = np.where(np.arange(n) % 2 == 0, 1, 2).astype(np.int8)
    males, females = np.flatnonzero(sex == 1), np.flatnonzero(sex == 2)
    table = evaluate_pairs(K, males, females, np.ones(n))
    location = rng.integers(0, 5, n)
    sites = [Site(c, la, lo, r) for c, la, lo, r in CITIES]
    plan = plan_transfers(K, table, location, sex, sites)
    best = choose_pairs(K, table)
    assert plan.gain == pytest.approx(float(table.delta_gd[best].sum()), rel=1e-9)
    far = plan_transfers(K, table, location, sex, sites, distance_weight=1e-3)
    assert far.total_km <= plan.total_km and far.gain <= plan.gain
    assert "gave up" in far.traded and "No distance weight" in plan.traded


def test_same_site_pairs_need_no_move_and_errors():
    # four unrelated founders (their pairs raise GD) and six full sibs (high MK)
    K = np.zeros((10, 10))
    K[4:, 4:] = 0.25
    np.fill_diagonal(K, 0.5)
    table = evaluate_pairs(K, [0, 1], [2, 3], np.ones(10))
    assert (table.delta_gd > 0).all()
    sites = [Site("A", 0, 0, "X"), Site("B", 0, 1, "X")]
    sex = np.array([1, 1, 2, 2, 1, 2, 1, 2, 1, 2], dtype=np.int8)
    loc = np.array([0, 1, 0, 1, 0, 0, 1, 1, 1, 1])
    plan = plan_transfers(K, table, loc, sex, sites, distance_weight=1.0)
    assert len(plan.pairs) == 2 and plan.moves == () and plan.total_km == 0.0
    with pytest.raises(InvalidInputError):
        plan_transfers(K, table, loc, sex, sites, distance_weight=-1)
    # A is over capacity for females (3 > 1) and B takes no males: only moves
    # that send a male to B or a female to A would help, and both are forbidden
    sites = [Site("A", 0, 0, None, None, 1), Site("B", 0, 1, None, 0, None)]
    loc = np.array([0, 0, 0, 1, 0, 0, 0, 0, 1, 1])
    plan = plan_transfers(K, table, loc, sex, sites)
    assert len(plan.pairs) == 1 and plan.moves == ()
    for mv in plan.moves:
        assert not (mv.to_site == 0 and sex[mv.animal] == 2)
        assert not (mv.to_site == 1 and sex[mv.animal] == 1)


def test_holdings_mean_kinship():
    rng = np.random.default_rng(2)
    K = random_kinship(rng, 12)
    loc = rng.integers(-1, 4, 12)
    M = holdings_mean_kinship(K, loc, 5)
    for a in range(5):
        for b in range(5):
            ia, ib = np.flatnonzero(loc == a), np.flatnonzero(loc == b)
            if a == b:
                vals = [K[i, j] for i in ia for j in ia if i != j]
            else:
                vals = [K[i, j] for i in ia for j in ib]
            if vals:
                assert M[a, b] == pytest.approx(np.mean(vals), abs=1e-12)
            else:
                assert np.isnan(M[a, b])
    assert np.isnan(M[4, 4])  # site 4 holds nobody (loc < 4)


def test_sites_without_coordinates_are_left_out_never_zero():
    """A site without coordinates (None, as SPARKS books have) is never read as 0/0: a pair across it needs a
    move of unknown length and is left out of the plan; a pair held at it needs no move and stays."""
    from studbook.recommend.transfers import site_km, sites_without_coordinates

    # six unrelated founders (their pairs raise GD) and six full sibs (high MK, not paired)
    K = np.zeros((12, 12))
    K[6:, 6:] = 0.25
    np.fill_diagonal(K, 0.5)
    # males 0 (A), 1 (NONE), 4 (NONE); females 2 (B), 3 (NONE), 5 (C)
    sex = np.array([1, 1, 2, 2, 1, 2] * 2, dtype=np.int8)
    table = evaluate_pairs(K, [0, 1, 4], [2, 3, 5], np.ones(12))
    assert (table.delta_gd > 0).all()
    # NONE would sit at 0/0, right next to A (0.1, 0.1) if the missing values were read as zeros.
    sites = [Site("A", 0.1, 0.1), Site("B", 40.0, 60.0), Site("NONE", None, None), Site("C", 40.0, 60.1)]
    loc = np.array([0, 2, 1, 2, 2, 3] + [-1] * 6)
    assert site_km(sites[0], sites[2]) is None and site_km(sites[2], sites[2]) == 0.0
    assert site_km(sites[1], sites[3]) == pytest.approx(great_circle_km(40.0, 60.0, 40.0, 60.1))
    assert sites_without_coordinates(sites) == ["NONE"]
    assert sites_without_coordinates(sites, [0, 1, -1]) == [] and sites_without_coordinates(sites, loc) == ["NONE"]
    for weight in (0.0, 1.0):
        plan = plan_transfers(K, table, loc, sex, sites, distance_weight=weight)
        pairs = {(int(table.male[r]), int(table.female[r])) for r in plan.pairs}
        for m, f in pairs:
            assert loc[m] == loc[f] or 2 not in (loc[m], loc[f]), (m, f)
        assert (1, 3) in pairs or (4, 3) in pairs  # a pair held together at NONE
        assert all(np.isfinite(mv.km) and 2 not in (mv.from_site, mv.to_site) for mv in plan.moves)
        assert np.isfinite(plan.total_km)
    # The same with NaN for the missing values.
    nan_sites = [s if s.code != "NONE" else Site("NONE", math.nan, math.nan) for s in sites]
    assert sites_without_coordinates(nan_sites) == ["NONE"]
    plan_nan = plan_transfers(K, table, loc, sex, nan_sites)
    assert plan_nan.pairs.tolist() == plan_transfers(K, table, loc, sex, sites).pairs.tolist()
