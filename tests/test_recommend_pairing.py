"""Pair evaluation and selection vs naive twins (matrix rebuilds, brute force)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pedigree_gallery import has_subset, load_pedigree, pedigree_names
from reference.naive_kinship import dense_kinship
from reference.naive_recommend import (
    brute_force_best_matching,
    naive_delta_gd_offspring,
    naive_dynamic_mk,
    naive_gd,
    naive_gd_after,
    random_kinship,
)
from strategies import pedigree_records

from studbook.errors import InvalidInputError
from studbook.genetics import kinship_matrix
from studbook.pedigree import Pedigree
from studbook.recommend import (
    DASH,
    MSIConfig,
    choose_pairs,
    delta_gd_offspring,
    evaluate_pairs,
    msi_scores,
    optimal_matching,
    population_gd_after,
)
from studbook.recommend.pairing import _eligible

SUBSET_NAMES = [n for n in pedigree_names() if has_subset(n)]
ATOL = 1e-12


def living_setup(ped: Pedigree):
    L = ped.living
    K = kinship_matrix(ped, L)
    sex = np.asarray(ped.sex)[L]
    return K, np.flatnonzero(sex == 1), np.flatnonzero(sex == 2)


def check_table(K, males, females, known, table):
    n = K.shape[0]
    mk = K.mean(axis=1)
    assert len(table) == len(males) * len(females)
    assert table.male.tolist() == np.repeat(males, len(females)).tolist()
    np.testing.assert_allclose(table.kinship, K[table.male, table.female], atol=0)
    np.testing.assert_allclose(table.mk_difference, np.abs(mk[table.male] - mk[table.female]),
                               atol=ATOL)
    np.testing.assert_allclose(table.offspring_known,
                               0.5 * (known[table.male] + known[table.female]), atol=ATOL)
    want = msi_scores(table.delta_gd, table.mk_difference, table.kinship, table.offspring_known,
                      population_size=n)
    assert (table.msi == want).all()


@pytest.mark.parametrize("name", SUBSET_NAMES)
def test_delta_gd_matches_rebuild_on_reference_subset(name):
    ped = load_pedigree(name)
    K, males, females = living_setup(ped)
    assert len(males) and len(females), "every reference subset has both sexes"
    known = np.ones(K.shape[0])
    table = evaluate_pairs(K, males, females, known)
    check_table(K, males, females, known, table)
    rng = np.random.default_rng(1)
    rows = rng.choice(len(table), size=min(len(table), 40), replace=False)
    for r in rows:
        s, d = int(table.male[r]), int(table.female[r])
        want = naive_delta_gd_offspring(K, s, d)
        assert table.delta_gd[r] == pytest.approx(want, abs=ATOL)
        assert delta_gd_offspring(K, s, d) == pytest.approx(want, abs=ATOL)
    chosen = choose_pairs(K, table)
    pairs = list(zip(table.male[chosen].tolist(), table.female[chosen].tolist()))
    assert population_gd_after(K, pairs) == pytest.approx(naive_gd_after(K, pairs), abs=ATOL)
    assert population_gd_after(K, []) == pytest.approx(naive_gd(K), abs=ATOL)


@settings(max_examples=60, deadline=None)
@given(pedigree_records(max_size=20), st.integers(0, 2**32 - 1))
def test_random_pedigrees_match_rebuild(recs, seed):
    ped = Pedigree.from_records(recs)
    L = ped.living
    if len(L) < 2:
        return
    K = dense_kinship(ped)[np.ix_(L, L)]
    rng = np.random.default_rng(seed)
    n = len(L)
    known = rng.random(n)
    males = np.arange(0, n, 2)
    females = np.arange(1, n, 2)       # roles only; sex does not enter the formulas
    table = evaluate_pairs(K, males, females, known)
    check_table(K, males, females, known, table)
    for r in range(len(table)):
        want = naive_delta_gd_offspring(K, int(table.male[r]), int(table.female[r]))
        assert table.delta_gd[r] == pytest.approx(want, abs=ATOL)
    pairs = [tuple(rng.integers(0, n, 2).tolist()) for _ in range(rng.integers(0, 5))]
    assert population_gd_after(K, pairs) == pytest.approx(naive_gd_after(K, pairs), abs=ATOL)


def small_instance(seed: int, nm: int, nf: int):
    rng = np.random.default_rng(seed)
    n = nm + nf + int(rng.integers(0, 4))
    K = random_kinship(rng, n)
    perm = rng.permutation(n)
    K = K[np.ix_(perm, perm)]
    males, females = np.arange(nm), np.arange(nm, nm + nf)
    known = np.where(rng.random(n) < 0.1, 0.0, 1.0)
    return K, males, females, evaluate_pairs(K, males, females, known)


def objective(table, rows):
    return float(table.delta_gd[rows].sum())


def assert_matching(table, rows):
    assert len(set(table.male[rows].tolist())) == len(rows)
    assert len(set(table.female[rows].tolist())) == len(rows)


@settings(max_examples=80, deadline=None)
@given(st.integers(0, 10**6), st.integers(1, 5), st.integers(1, 5),
       st.one_of(st.none(), st.integers(0, 4)), st.booleans())
def test_optimal_equals_brute_force(seed, nm, nf, max_pairs, allow_dash):
    K, _, _, table = small_instance(seed, nm, nf)
    ok = _eligible(table, allow_dash)
    best = brute_force_best_matching(table.delta_gd, table.male, table.female, ok, max_pairs)
    rows = choose_pairs(K, table, max_pairs=max_pairs, allow_dash=allow_dash)
    assert_matching(table, rows)
    assert ok[rows].all()
    assert max_pairs is None or len(rows) <= max_pairs
    assert objective(table, rows) == pytest.approx(best, abs=1e-13)
    # the LP column-generation path gives the same optimum
    rows_lp = optimal_matching(table.male, table.female, table.delta_gd, ok, max_pairs,
                               dense_limit=0)
    assert_matching(table, rows_lp)
    assert objective(table, rows_lp) == pytest.approx(best, abs=1e-13)


@pytest.mark.parametrize("max_pairs", [None, 5, 20])
def test_column_generation_matches_dense_on_medium_instance(max_pairs):
    K, _, _, table = small_instance(7, 60, 70)
    ok = _eligible(table, True)
    dense = optimal_matching(table.male, table.female, table.delta_gd, ok, max_pairs)
    lp = optimal_matching(table.male, table.female, table.delta_gd, ok, max_pairs, dense_limit=0)
    assert objective(table, lp) == pytest.approx(objective(table, dense), rel=1e-10)
    assert_matching(table, lp)


def test_only_positive_gain_non_dash_pairs_are_chosen():
    K, _, _, table = small_instance(3, 12, 12)
    for strategy in ("optimal", "dynamic-mk"):
        rows = choose_pairs(K, table, strategy=strategy)
        assert (table.delta_gd[rows] > 0).all()
        assert (table.msi[rows] != DASH).all()
        assert_matching(table, rows)


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 10**6), st.integers(1, 6), st.integers(1, 6),
       st.one_of(st.none(), st.integers(0, 4)))
def test_dynamic_mk_matches_naive_rebuild(seed, nm, nf, max_pairs):
    K, _, _, table = small_instance(seed, nm, nf)
    ok = _eligible(table, False)
    got = choose_pairs(K, table, strategy="dynamic-mk", max_pairs=max_pairs)
    assert got.tolist() == naive_dynamic_mk(K, table.male, table.female, ok, max_pairs)


def test_textbook_values():
    # two unrelated founders and their two offspring (full sibs)
    K = np.array([[0.5, 0, 0.25, 0.25], [0, 0.5, 0.25, 0.25],
                  [0.25, 0.25, 0.5, 0.25], [0.25, 0.25, 0.25, 0.5]])
    table = evaluate_pairs(K, [0, 2], [1, 3], np.ones(4))
    sib = int(np.flatnonzero((table.male == 2) & (table.female == 3))[0])
    assert table.kinship[sib] == 0.25 and table.msi[sib] == DASH
    par = int(np.flatnonzero((table.male == 0) & (table.female == 3))[0])
    assert table.msi[par] == DASH
    founders = int(np.flatnonzero((table.male == 0) & (table.female == 1))[0])
    assert table.kinship[founders] == 0.0 and table.msi[founders] != DASH
    cfg = MSIConfig(inbreeding_dash=0.3)
    assert evaluate_pairs(K, [2], [3], np.ones(4), cfg).msi[0] == 6


def test_errors_and_empty():
    K, _, _, table = small_instance(1, 3, 3)
    with pytest.raises(InvalidInputError, match="unknown pairing strategy"):
        choose_pairs(K, table, strategy="random")
    with pytest.raises(InvalidInputError):
        choose_pairs(K, table, max_pairs=-1)
    assert choose_pairs(K, table, max_pairs=0).tolist() == []
    empty = evaluate_pairs(K, [], [0, 1], np.ones(K.shape[0]))
    assert len(empty) == 0 and choose_pairs(K, empty).tolist() == []


def test_fill_mode_pairs_unrelated_founders():
    K = np.diag([0.5] * 6)                     # every offspring lowers GD vs founders
    table = evaluate_pairs(K, [0, 1, 2], [3, 4, 5], np.ones(6))
    assert (table.delta_gd < 0).all()
    assert choose_pairs(K, table).tolist() == []
    for strategy in ("optimal", "dynamic-mk"):
        assert len(choose_pairs(K, table, strategy=strategy, fill=True)) == 3
        assert len(choose_pairs(K, table, strategy=strategy, fill=True, max_pairs=2)) == 2


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 10**6), st.integers(1, 5), st.integers(1, 5),
       st.one_of(st.none(), st.integers(1, 4)))
def test_fill_maximises_count_then_gain(seed, nm, nf, max_pairs):
    K, _, _, table = small_instance(seed, nm, nf)
    ok = _eligible(table, False, fill=True)
    from reference.naive_recommend import matchings
    edges = [(int(r), int(table.male[r]), int(table.female[r])) for r in np.flatnonzero(ok)]
    best = max((len(m), sum(float(table.delta_gd[r]) for r in m))
               for m in matchings(edges, max_pairs))
    rows = choose_pairs(K, table, fill=True, max_pairs=max_pairs)
    assert_matching(table, rows)
    assert len(rows) == best[0]
    assert objective(table, rows) == pytest.approx(best[1], abs=1e-13)


def test_choose_pairs_eligible_mask_leaves_rows_out():
    # four unrelated founders (0, 1 males; 2, 3 females) next to six full sibs (high MK): every pair of
    # the founders raises GD by the same amount (ΔGD depends only on r and K_sd, all equal), so leaving
    # rows out decides the matching.
    K = np.zeros((10, 10))
    K[4:, 4:] = 0.25
    np.fill_diagonal(K, 0.5)
    table = evaluate_pairs(K, [0, 1], [2, 3], np.ones(10))   # rows: 0x2, 0x3, 1x2, 1x3
    assert np.allclose(table.delta_gd, table.delta_gd[0]) and (table.delta_gd > 0).all()
    for strategy in ("optimal", "dynamic-mk"):
        rows = choose_pairs(K, table, strategy=strategy, eligible=[False, True, True, False])
        assert sorted(rows.tolist()) == [1, 2], strategy
        rows = choose_pairs(K, table, strategy=strategy, eligible=[True, False, False, False])
        assert rows.tolist() == [0], strategy
        assert len(choose_pairs(K, table, strategy=strategy, eligible=[False] * 4)) == 0


def test_sample_recommended_pairs_follow_the_husbandry_rules(sample_url):
    from datetime import date

    from conftest import jout

    animals = jout(sample_url, "animal", "list", "--status", "all")
    here = {a["studbook_id"]: a for a in animals if a["status"] == "captive" and a["location"]}
    census, since = date(2026, 11, 1), date(2023, 11, 1)

    def day(text):
        return date.fromisoformat(text) if text and len(text) == 10 and text[0].isdigit() else None

    proven = {(a["sire"], a["dam"]) for a in animals if (b := day(a["birth"])) and since < b <= census
              and a["sire"] in here and a["dam"] in here and here[a["sire"]]["location"] == here[a["dam"]]["location"]}
    dams: dict[str, set[str]] = {}
    for a in animals:
        b = day(a["birth"])
        if b and a["studbook_id"] in here and (census - b).days < 18 * 365.25 / 12 and a["dam"] in here:
            dams.setdefault(a["dam"], set()).add(a["sire"])
    assert proven and dams
    for args in ((), ("--strategy", "dynamic-mk")):
        pairs = jout(sample_url, "recommend", "pairs", *args)
        assert pairs and all(p["msi"] in ("1", "2", "3", "4") for p in pairs)
        partner = {p["male"]: p["female"] for p in pairs} | {p["female"]: p["male"] for p in pairs}
        for s, d in proven:
            assert partner.get(s, d) == d and partner.get(d, s) == s, (s, d)
        for d, sires in dams.items():
            if d in partner:
                assert partner[d] in sires, d
        for p in pairs:
            mover = p["move"].split(" ")[1] if p["move"] else None
            assert mover not in dams and mover not in {x for pr in proven for x in pr}, p
    lifted = jout(sample_url, "recommend", "pairs", "--allow-msi", "5,6,-", "--break-proven-pairs")
    assert {p["msi"] for p in lifted} & {"5", "6", "-"}
