"""Transfer plans: distances, capacity, optimality vs brute force, distance trade-off."""

from __future__ import annotations

import math
from collections import Counter

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


# --------------------------------------------------------------------------- husbandry rules in the plan
# Hand-made pair tables: ΔGD and MSI are set by hand, so the expected plan is worked out by hand.

def hand_table(rows, n):
    from studbook.recommend.pairing import PairTable

    m, f, g, msi = (np.array(c) for c in zip(*rows))
    return PairTable(male=m.astype(np.int64), female=f.astype(np.int64), kinship=np.zeros(len(rows)),
                     delta_gd=g.astype(float), mk_difference=np.zeros(len(rows)), offspring_known=np.ones(len(rows)),
                     msi=msi.astype(np.int8))


def chosen(plan, table):
    return sorted((int(table.male[r]), int(table.female[r])) for r in plan.pairs)


K4 = 0.5 * np.eye(4)
SEX4 = np.array([1, 1, 2, 2], dtype=np.int8)     # males 0, 1; females 2, 3


def test_msi_filter_leaves_out_msi_5_6_and_dash_and_counts_them():
    # best pair 0x2 (gain 3) is MSI 6: without it the plan takes 0x3 + 1x2 (2) instead of 0x2 + 1x3 (3.5)
    t = hand_table([(0, 2, 3.0, 6), (0, 3, 1.0, 1), (1, 2, 1.0, 1), (1, 3, 0.5, 2)], 4)
    site = [Site("A", 0, 0)]
    loc = np.zeros(4, dtype=np.int64)
    free = plan_transfers(K4, t, loc, SEX4, site)
    assert chosen(free, t) == [(0, 2), (1, 3)] and free.gain == 3.5
    plan = plan_transfers(K4, t, loc, SEX4, site, allowed_msi={1, 2, 3, 4})
    assert chosen(plan, t) == [(0, 3), (1, 2)] and plan.gain == 2.0 and plan.skipped_for_msi == 1
    assert chosen(plan_transfers(K4, t, loc, SEX4, site, allowed_msi={1, 2, 3, 4, 6}), t) == [(0, 2), (1, 3)]
    dash = hand_table([(0, 2, 3.0, 0), (1, 3, 1.0, 5)], 4)
    plan = plan_transfers(K4, dash, loc, SEX4, site, allowed_msi={1, 2, 3, 4})
    assert len(plan.pairs) == 0 and plan.skipped_for_msi == 2


def test_capacity_counts_animals_outside_the_population():
    # male 0 at A, female 1 at B; A takes 1 female, B no male. An excluded female at A (not in L) fills A.
    K = 0.5 * np.eye(2)
    sex = np.array([1, 2], dtype=np.int8)
    t = hand_table([(0, 1, 1.0, 1)], 2)
    sites = [Site("A", 0, 0, None, None, 1), Site("B", 0, 1, None, 0, None)]
    loc = np.array([0, 1])
    plan = plan_transfers(K, t, loc, sex, sites)                  # counting L only: the female may go to A
    assert [(mv.animal, mv.from_site, mv.to_site) for mv in plan.moves] == [(1, 1, 0)]
    occ = np.array([[1, 1], [0, 1]])                              # every animal present: A holds 1 M, 1 F
    assert len(plan_transfers(K, t, loc, sex, sites, occupancy=occ).pairs) == 0


def test_partner_rules_keep_proven_pairs_together():
    # 0 x 3 bred recently (proven); the best plan would split them for 0x2 (gain 5)
    t = hand_table([(0, 2, 5.0, 1), (0, 3, 1.0, 1), (1, 2, 1.0, 1), (1, 3, 1.0, 1)], 4)
    site = [Site("A", 0, 0)]
    loc = np.zeros(4, dtype=np.int64)
    assert chosen(plan_transfers(K4, t, loc, SEX4, site), t) == [(0, 2), (1, 3)]
    kept = plan_transfers(K4, t, loc, SEX4, site, partners={0: frozenset({3}), 3: frozenset({0})})
    assert chosen(kept, t) == [(0, 3), (1, 2)]
    # a dam with a dependent cub whose sire is elsewhere: nobody
    alone = plan_transfers(K4, t, loc, SEX4, site, partners={2: frozenset()})
    assert chosen(alone, t) == [(0, 3)] or chosen(alone, t) == [(1, 3)]
    assert all(int(t.female[r]) != 2 for r in alone.pairs)


def test_immobile_animals_stay_where_they_are():
    K = 0.5 * np.eye(2)
    sex = np.array([1, 2], dtype=np.int8)
    t = hand_table([(0, 1, 1.0, 1)], 2)
    sites = [Site("A", 0, 0, "X"), Site("B", 0, 1, "X")]
    loc = np.array([0, 1])
    male_stays = plan_transfers(K, t, loc, sex, sites, immobile=[True, False])
    assert [(mv.animal, mv.to_site) for mv in male_stays.moves] == [(1, 0)]
    dam_stays = plan_transfers(K, t, loc, sex, sites, immobile=[False, True])
    assert [(mv.animal, mv.to_site) for mv in dam_stays.moves] == [(0, 1)]
    assert len(plan_transfers(K, t, loc, sex, sites, immobile=[True, True]).pairs) == 0


def test_cross_region_moves_need_the_minimum_gain():
    K = 0.5 * np.eye(2)
    sex = np.array([1, 2], dtype=np.int8)
    t = hand_table([(0, 1, 1.0, 1)], 2)
    sites = [Site("A", 0, 0, "X"), Site("B", 0, 1, "Y")]
    loc = np.array([0, 1])
    assert len(plan_transfers(K, t, loc, sex, sites, cross_region_min_gain=1.5).pairs) == 0
    plan = plan_transfers(K, t, loc, sex, sites, cross_region_min_gain=1.0)   # gain 1.0 >= 1.0
    assert len(plan.pairs) == 1 and plan.cross_region_moves == 1
    assert plan.gain_without_distance == 1.0
    same_region = [Site("A", 0, 0, "X"), Site("B", 0, 1, "X")]
    assert len(plan_transfers(K, t, loc, sex, same_region, cross_region_min_gain=1.5).pairs) == 1


def test_no_opposite_flows_between_two_regions():
    # pair 0x1 needs male 0 X -> Y (female 1 stays), pair 2x3 needs male 2 Y -> X (female 3 stays)
    sex = np.array([1, 2, 1, 2], dtype=np.int8)
    t = hand_table([(0, 1, 2.0, 1), (2, 3, 1.0, 1)], 4)
    sites = [Site("A", 0, 0, "X"), Site("B", 0, 1, "Y")]
    loc = np.array([0, 1, 1, 0])
    stay = [False, True, False, True]
    both = plan_transfers(K4, t, loc, sex, sites, immobile=stay, cross_region_km=0.0)
    assert sorted((mv.animal, mv.from_site, mv.to_site) for mv in both.moves) == [(0, 0, 1), (2, 1, 0)]
    one = plan_transfers(K4, t, loc, sex, sites, immobile=stay, cross_region_km=0.0, one_way=True)
    assert [(mv.animal, mv.from_site, mv.to_site) for mv in one.moves] == [(0, 0, 1)] and one.gain == 2.0
    assert one.gain_without_distance == 3.0
    # both flows in the same direction are fine: let female 3 travel X -> Y instead
    same_way = plan_transfers(K4, t, loc, sex, sites, immobile=[False, True, True, False], one_way=True)
    assert sorted((mv.animal, mv.from_site, mv.to_site) for mv in same_way.moves) == [(0, 0, 1), (3, 0, 1)]


def test_permits_ban_and_cost():
    from studbook.recommend.husbandry import permits_from

    K = 0.5 * np.eye(2)
    sex = np.array([1, 2], dtype=np.int8)
    t = hand_table([(0, 1, 1.0, 1)], 2)
    sites = [Site("A", 0, 0, "EAZA", country="GB"), Site("B", 0, 1, "EARAZA", country="RU")]
    loc = np.array([0, 1])
    km = great_circle_km(0, 0, 0, 1)                        # 111.2 km
    assert len(plan_transfers(K, t, loc, sex, sites, cross_region_km=0.0).pairs) == 1
    for block in (["EAZA:EARAZA"], ["RU:GB"], ["EAZA:RU"]):
        assert len(plan_transfers(K, t, loc, sex, sites, permits=permits_from(block)).pairs) == 0, block
    assert len(plan_transfers(K, t, loc, sex, sites, permits=permits_from(["AZA:EAZA"])).pairs) == 1
    # weight 1 ΔGD per 1000 km: 111 km cost 0.111 < gain 1; with 1000 km extra 1.111 > 1
    costly = permits_from((), {"permit": [{"between": ["EAZA", "EARAZA"], "cost_km": 1000}]})
    assert len(plan_transfers(K, t, loc, sex, sites, distance_weight=1.0, cross_region_km=0.0).pairs) == 1
    plan = plan_transfers(K, t, loc, sex, sites, distance_weight=1.0, cross_region_km=0.0, permits=costly)
    assert len(plan.pairs) == 0 and km < 1000


# --------------------------------------------------------------------------- the sample book, with defaults
# The facts are read back through `animal list` and worked out here from the records (not from the plan code).

def _day(text):
    from datetime import date

    return date.fromisoformat(text) if text and len(text) == 10 and text[0].isdigit() else None


def _book_facts(url):
    from datetime import date

    from conftest import jout

    animals = jout(url, "animal", "list", "--status", "all")
    census = date(2026, 11, 1)                      # the sample book's census date
    here = {a["studbook_id"]: a for a in animals if a["status"] == "captive" and a["location"]}
    births = [(a["studbook_id"], a["sire"], a["dam"], _day(a["birth"])) for a in animals]
    since = date(2023, 11, 1)                       # --proven-years 3
    proven = {(s, d) for _, s, d, b in births if b and since < b <= census and s in here and d in here
              and here[s]["location"] == here[d]["location"]}
    young = {o: (s, d) for o, s, d, b in births if b and o in here and (census - b).days < 18 * 365.25 / 12}
    dams: dict[str, set[str]] = {}
    for s, d in young.values():
        if d in here:
            dams.setdefault(d, set()).add(s)
    caps = {i["code"]: i for i in jout(url, "institution", "list")}
    return here, proven, young, dams, caps


def _opposite(moves):
    flows = {(m["from_region"], m["to_region"]) for m in moves if m["cross_region"]}
    return {(a, b) for a, b in flows if (b, a) in flows}


def test_sample_default_plan_is_one_a_coordinator_would_sign(sample_url):
    from conftest import jout

    here, proven, young, dams, caps = _book_facts(sample_url)
    assert len(proven) >= 20 and len(young) >= 5 and dams          # the book has all three situations
    plan = jout(sample_url, "recommend", "transfers")
    moves, pairs, totals = plan["transfers"], plan["pairs"], plan["totals"]
    movers = {m["animal"] for m in moves}
    partner = {p["male"]: p["female"] for p in pairs} | {p["female"]: p["male"] for p in pairs}
    # no pair with MSI 5, 6 or -; the plan says how many it skipped
    assert pairs and all(p["msi"] in ("1", "2", "3", "4") for p in pairs)
    assert totals["skipped_for_msi"] > 0 and totals["allowed_msi"] == "1,2,3,4"
    # cross-region moves only for pairs gaining at least the mean pair gain (the optimal pairs under the same rules)
    best = jout(sample_url, "recommend", "pairs")
    mean_gain = sum(p["delta_gd"] for p in best) / len(best)
    assert totals["mean_pair_gain"] == pytest.approx(mean_gain, rel=1e-9)
    for m in moves:
        if m["cross_region"]:
            assert m["delta_gd"] >= mean_gain, m
    assert not _opposite(moves)
    # proven pairs: nobody moves, nobody gets another partner
    for s, d in proven:
        assert s not in movers and d not in movers, (s, d)
        assert partner.get(s, d) == d and partner.get(d, s) == s, (s, d)
    assert totals["proven_pairs_kept"] == len(proven)
    # dams with dependent young: not moved, paired only with the sire of their young held with them; young stay
    for d, sires in dams.items():
        assert d not in movers
        if d in partner:
            assert partner[d] in sires and here[partner[d]]["location"] == here[d]["location"], d
    assert not movers & set(young)
    assert totals["dependent_dams"] == len(dams) and totals["dependent_young"] == len(young)
    # capacity, counting every animal present (excluded, non-breeding, young)
    count = Counter((a["location"], a["sex"]) for a in here.values())
    before = dict(count)
    for m in moves:
        count[(m["from"], m["sex"])] -= 1
        count[(m["to"], m["sex"])] += 1
    for (code, sex), n in count.items():
        cap = caps[code]["capacity_males" if sex == "M" else "capacity_females"] if sex in "MF" else None
        if cap is not None and n > before.get((code, sex), 0):
            assert n <= cap, (code, sex, n, cap)
    # at least 90% of the gain of the plan without distance rules, for far fewer km
    free = jout(sample_url, "recommend", "transfers", "--distance-weight", "0", "--cross-region-min-gain", "0",
                "--allow-opposite-flows")["totals"]
    assert totals["gain_sum_delta_gd"] >= 0.9 * free["gain_sum_delta_gd"]
    assert totals["gain_without_distance"] == pytest.approx(free["gain_sum_delta_gd"], rel=1e-9)
    assert totals["total_km"] < 0.2 * free["total_km"]


def test_sample_rules_bite_when_lifted(sample_url):
    """Each default changes the plan on the sample: lifting it brings back what it forbids."""
    from conftest import jout

    _, proven, _, _, _ = _book_facts(sample_url)
    free = jout(sample_url, "recommend", "transfers", "--distance-weight", "0", "--cross-region-min-gain", "0",
                "--allow-opposite-flows")
    assert _opposite(free["transfers"])                            # e.g. EAZA -> AZA and AZA -> EAZA
    assert free["totals"]["cross_region_moves"] > 10
    broken = jout(sample_url, "recommend", "transfers", "--break-proven-pairs")
    partner = {p["male"]: p["female"] for p in broken["pairs"]} | {p["female"]: p["male"] for p in broken["pairs"]}
    assert any(partner.get(s, d) != d or partner.get(d, s) != s for s, d in proven)
    off = jout(sample_url, "recommend", "transfers", "--dependence-months", "0")["totals"]
    assert off["dependent_dams"] == 0 and off["dependent_young"] == 0
    msi = jout(sample_url, "recommend", "transfers", "--allow-msi", "5,6", "--allow-msi", "-")
    assert {p["msi"] for p in msi["pairs"]} & {"5", "6", "-"} and msi["totals"]["skipped_for_msi"] == 0


def test_sample_blocked_regions_exchange_nothing(sample_url, tmp_path):
    from conftest import jout

    plan = jout(sample_url, "recommend", "transfers", "--block", "EAZA:EARAZA")
    assert not [m for m in plan["transfers"] if {m["from_region"], m["to_region"]} == {"EAZA", "EARAZA"}]
    assert plan["totals"]["permit_rules"] == 1
    permits = tmp_path / "permits.toml"
    permits.write_text('[[permit]]\nbetween = ["EAZA", "EARAZA"]\nban = true\n', encoding="utf-8")
    same = jout(sample_url, "recommend", "transfers", "--permits", str(permits))
    assert same["transfers"] == plan["transfers"]
    pairs = jout(sample_url, "recommend", "pairs", "--block", "EAZA:EARAZA", "--block", "EAZA:AZA")
    regions = {i["code"]: i["region"] for i in jout(sample_url, "institution", "list")}
    for p in pairs:
        assert {regions[p["male_institution"]], regions[p["female_institution"]]} not in (
            {"EAZA", "EARAZA"}, {"EAZA", "AZA"}), p
