"""Wright's paths (studbook.genetics.paths) against hand values and the fast kinship.

The fast kinship (Colleau's indirect method, studbook.genetics.kinship_matrix) never
enumerates paths, so it is an independent twin of the path sum. Textbook values are
worked out by hand in the comments.
"""

from __future__ import annotations

import itertools
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from pedigree_gallery import load_pedigree, pedigree_names
from strategies import pedigree_records

from studbook.errors import NotFoundError
from studbook.genetics import kinship_matrix
from studbook.genetics.paths import ancestor_graph, relate
from studbook.pedigree import Pedigree
from studbook.pedigree import PedigreeRecord as R

ATOL = 1e-12
PATH_CAP = 3000          # pairs related through more paths than this are skipped (and counted)
PAIRS_PER_PEDIGREE = 12  # random pairs per reference pedigree (plus one animal-ancestor pair and one self pair)


def fast_phi(ped: Pedigree, a: str, b: str) -> float:
    return float(kinship_matrix(ped, [ped.index_of(a), ped.index_of(b)])[0, 1])


def sibs() -> Pedigree:
    # A x B -> C (M), D (F); C x D -> E (F = 1/4); A x X -> H; C x H -> G
    return Pedigree.from_records([R("A", sex="M"), R("B", sex="F"), R("X", sex="F"),
                                  R("C", "A", "B", sex="M"), R("D", "A", "B", sex="F"), R("E", "C", "D"),
                                  R("H", "A", "X", sex="F"), R("G", "C", "H")])


def test_full_sibs_two_paths():
    r = relate(sibs(), "C", "D")
    assert sorted(p.text() for p in r.paths) == ["C-A-D", "C-B-D"]
    assert [p.contribution for p in r.paths] == [0.125, 0.125]  # (1/2)^3 each
    assert r.paths_sum == 0.25 and r.complete
    assert set(r.lowest_common_ancestors) == {"A", "B"}


def test_half_sibs_and_parent_offspring():
    ped = sibs()
    assert relate(ped, "C", "H").paths_sum == 0.125  # C-A-H
    r = relate(ped, "C", "A")  # A is an ancestor of C: one empty leg, (1/2)^(1+0+1)
    assert [p.text() for p in r.paths] == ["C-A"] and r.paths_sum == 0.25
    assert r.paths[0].leg_b == ("A",)


def test_self_is_half_one_plus_f():
    r = relate(sibs(), "E", "E")  # F_E = 1/4 -> 1/2 (1 + 1/4) = 5/8
    assert len(r.paths) == 1 and r.paths[0].ancestor == "E"
    assert r.paths_sum == 0.625


def test_child_of_full_sibs_and_its_sire():
    # phi(E, C) = 1/2 (phi_CC + phi_CD) = 1/2 (1/2 + 1/4) = 3/8:
    # E-C (1/2)^2 = 1/4, E-D-A-C and E-D-B-C (1/2)^4 = 1/16 each.
    r = relate(sibs(), "E", "C")
    got = {p.text(): Fraction(p.contribution) for p in r.paths}
    assert got == {"E-C": Fraction(1, 4), "E-D-A-C": Fraction(1, 16), "E-D-B-C": Fraction(1, 16)}
    assert r.lowest_common_ancestors == ("C",)


def test_inbred_common_ancestor():
    # E (F = 1/4) is the sire of P and Q (dams unrelated): phi_PQ = (1/2)^3 (1 + 1/4) = 5/32
    ped = Pedigree.from_records([*sibs().to_records(), R("Y", sex="F"), R("Z", sex="F"),
                                 R("E2", "C", "D", sex="M"), R("P", "E2", "Y"), R("Q", "E2", "Z")])
    r = relate(ped, "P", "Q")
    assert r.paths_sum == 5 / 32 and r.paths[0].ancestor_inbreeding == 0.25


def _mult(litter: bool) -> Pedigree:
    m = (("S1", 0.5), ("S2", 0.5))
    key = "L1" if litter else None
    return Pedigree.from_records([R("S1", sex="M"), R("S2", sex="M"), R("D", sex="F"),
                                  R("C1", dam="D", sire_mult=m, sire_mult_litter=key),
                                  R("C2", dam="D", sire_mult=m, sire_mult_litter=key)])


def test_mult_separate_matings():
    # Two matings, each sire S1 or S2 (1/2): phi = 1/8 (dam) + 1/4 * 1/8 (S1) + 1/4 * 1/8 (S2) = 3/16
    r = relate(_mult(False), "C1", "C2")
    got = {p.ancestor: (p.weight, p.contribution) for p in r.paths}
    assert got == {"D": (1.0, 0.125), "S1": (0.25, 1 / 32), "S2": (0.25, 1 / 32)}
    assert r.paths_sum == 3 / 16 == pytest.approx(fast_phi(_mult(False), "C1", "C2"), abs=ATOL)
    assert not any(s.shared for p in r.paths for s in p.steps)


def test_mult_littermates_share_one_sire():
    # One mating: the sire is drawn once for the litter, so they are full sibs whoever he is:
    # 1/8 (dam) + 1/2 * 1/8 (S1) + 1/2 * 1/8 (S2) = 1/4
    ped = _mult(True)
    r = relate(ped, "C1", "C2")
    got = {p.ancestor: (p.weight, p.contribution) for p in r.paths}
    assert got == {"D": (1.0, 0.125), "S1": (0.5, 1 / 16), "S2": (0.5, 1 / 16)}
    assert all(s.shared for p in r.paths for s in p.steps)
    assert r.paths_sum == 0.25 == pytest.approx(fast_phi(ped, "C1", "C2"), abs=ATOL)


def test_unknown_animal():
    with pytest.raises(NotFoundError):
        relate(sibs(), "C", "nope")


def test_unrelated_and_cap():
    ped = sibs()
    r = relate(ped, "A", "B")
    assert r.paths == () and r.paths_sum == 0 and r.complete and r.common_ancestors == ()
    capped = relate(ped, "E", "C", max_paths=1)
    assert not capped.complete and [p.text() for p in capped.paths] == ["E-C"]  # the largest first


# --- reference pedigrees: path sums equal the fast kinship ------------------------------------------------

def _pairs(ped: Pedigree, rng: np.random.Generator) -> list[tuple[int, int]]:
    n = ped.n
    pairs = [tuple(int(x) for x in rng.integers(0, n, 2)) for _ in range(PAIRS_PER_PEDIGREE)]
    pairs.append((int(rng.integers(0, n)),) * 2)
    kids = np.flatnonzero(ped.sire >= 0)
    if len(kids):
        c = int(rng.choice(kids))
        anc = np.flatnonzero(ped.ancestors_mask(c))
        pairs.append((c, int(rng.choice(anc))))
    return pairs


@pytest.mark.parametrize("name", pedigree_names())
def test_reference_pedigrees_path_sums(name):
    ped = load_pedigree(name)
    rng = np.random.default_rng(sum(map(ord, name)))  # fixed per pedigree
    checked = skipped = 0
    for i, j in _pairs(ped, rng):
        a, b = ped.ids[i], ped.ids[j]
        r = relate(ped, a, b, max_paths=PATH_CAP)
        if not r.complete:
            skipped += 1
            continue
        err = abs(r.paths_sum - fast_phi(ped, a, b))
        assert err <= ATOL, (name, a, b, r.paths_sum, fast_phi(ped, a, b))
        checked += 1
    # the cap may skip a few deep pairs, never most of them
    assert checked >= skipped, f"{name}: {skipped} pairs over the {PATH_CAP}-path cap, {checked} checked"


@settings(max_examples=80, deadline=None)
@given(pedigree_records(min_size=2, max_size=18), st.data())
def test_random_pedigrees_path_sums(recs, data):
    ped = Pedigree.from_records(recs)
    i = data.draw(st.integers(0, ped.n - 1))
    j = data.draw(st.integers(0, ped.n - 1))
    r = relate(ped, ped.ids[i], ped.ids[j], max_paths=5000)
    assume(r.complete)
    assert abs(r.paths_sum - fast_phi(ped, ped.ids[i], ped.ids[j])) <= ATOL
    assert all(p.contribution > 0 for p in r.paths)
    assert [p.contribution for p in r.paths] == sorted((p.contribution for p in r.paths), reverse=True)


@settings(max_examples=60, deadline=None)
@given(pedigree_records(min_size=2, max_size=14), st.data())
def test_legs_are_the_disjoint_simple_path_pairs(recs, data):
    """Without MULT, the listed legs are exactly Wright's: pairs of simple paths (networkx) meeting only at C."""
    import networkx as nx

    assume(not any(r.sire_mult or r.dam_mult for r in recs))
    ped = Pedigree.from_records(recs)
    i = data.draw(st.integers(0, ped.n - 1))
    j = data.draw(st.integers(0, ped.n - 1))
    g = ancestor_graph(ped, [i, j])
    lab = {v: d for v, d in g.nodes(data="label")}
    want = set()
    common = (nx.descendants(g, 3 * i) | {3 * i}) & (nx.descendants(g, 3 * j) | {3 * j})
    for c in common:
        legs_a = [p for p in nx.all_simple_paths(g, 3 * i, c)] if c != 3 * i else [[c]]
        legs_b = [p for p in nx.all_simple_paths(g, 3 * j, c)] if c != 3 * j else [[c]]
        for la, lb in itertools.product(legs_a, legs_b):
            if set(la) & set(lb) == {c}:
                want.add((tuple(lab[v] for v in la), tuple(lab[v] for v in lb)))
    r = relate(ped, ped.ids[i], ped.ids[j], max_paths=None)
    got = {(p.leg_a, p.leg_b) for p in r.paths}
    assert got == want
