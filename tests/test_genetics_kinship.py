"""Inbreeding and kinship: fast (Meuwissen–Luo, Colleau) vs naive definitions."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from pedigree_gallery import has_subset, load_pedigree, pedigree_names, subset_ids
from reference.naive_kinship import NaiveKinship, dense_kinship, naive_inbreeding
from strategies import pedigree_records

from studbook.genetics import inbreeding, kinship_matrix, kinship_times
from studbook.pedigree import Pedigree
from studbook.pedigree import PedigreeRecord as R

ATOL = 1e-12
DENSE_MAX = 3000


def F_of(name: str) -> dict[str, float]:
    ped = load_pedigree(name)
    return dict(zip(ped.ids, inbreeding(ped).tolist()))


@pytest.mark.parametrize("name", pedigree_names())
def test_inbreeding_matches_naive(name):
    ped = load_pedigree(name)
    F = inbreeding(ped)
    ref = naive_inbreeding(ped)
    np.testing.assert_allclose(F, ref, rtol=0, atol=ATOL)


@pytest.mark.parametrize("name", pedigree_names())
def test_kinship_matrix_matches_naive_on_subset(name):
    ped = load_pedigree(name)
    if has_subset(name):
        idx = ped.indices(subset_ids(name))
    else:  # no reference population: every k-th animal, by a fixed rule
        idx = np.arange(0, ped.n, max(1, ped.n // 400))
    K = kinship_matrix(ped, idx, block=64)
    if ped.n <= DENSE_MAX:
        ref = dense_kinship(ped)[np.ix_(idx, idx)]
    else:  # big pedigree: recursive definition on a sample of the subset
        idx = idx[:: max(1, len(idx) // 150)]
        K = kinship_matrix(ped, idx)
        ref = NaiveKinship(ped).matrix(idx)
    np.testing.assert_allclose(K, ref, rtol=0, atol=ATOL)
    assert np.array_equal(K, K.T)


@pytest.mark.parametrize("name", [n for n in pedigree_names() if "minnbreast" not in n])
def test_kinship_times_matches_dense(name):
    ped = load_pedigree(name)
    x = np.random.default_rng(7).normal(size=(ped.n, 3))
    np.testing.assert_allclose(kinship_times(ped, x), dense_kinship(ped) @ x, atol=1e-10)


def test_float32_matrix_close():
    ped = load_pedigree("purger_dama")
    K64 = kinship_matrix(ped)
    K32 = kinship_matrix(ped, dtype=np.float32)
    assert K32.dtype == np.float32
    np.testing.assert_allclose(K32, K64, atol=1e-5)


# --- exact textbook values (definitions, not outputs of the code) --------------
@pytest.mark.parametrize("name, animal, value", [
    ("textbook_fullsib", "E", Fraction(1, 4)),
    ("textbook_halfsib", "G", Fraction(1, 8)),
    ("textbook_first_cousins", "K", Fraction(1, 16)),
    ("textbook_double_first_cousins", "L", Fraction(1, 8)),
])
def test_textbook_inbreeding(name, animal, value):
    assert F_of(name)[animal] == float(value)


def test_sib_mating_chain():
    # F_t = ¼(1 + 2F_{t-1} + F_{t-2}): 0, 1/4, 3/8, 1/2, 5/8 for full-sib mating
    F = F_of("textbook_sibmating_chain")
    expected = [Fraction(0), Fraction(0)]
    for _ in range(5):
        expected.append(Fraction(1, 4) * (1 + 2 * expected[-1] + expected[-2]))
    assert [float(x) for x in expected[2:]] == [0.25, 0.375, 0.5, 0.59375, 0.671875]
    gens = sorted({k[1:-1] for k in F if k.startswith("G")}, key=int)
    got = [F[f"G{g}M"] for g in gens]
    assert got == [float(x) for x in expected[1:len(got) + 1]]


def test_parent_offspring():
    F = F_of("textbook_parent_offspring")
    assert F["D"] == 0.25          # father × daughter
    assert F["E"] == 0.375         # father × that daughter's daughter


def test_half_known_parent():
    ped = load_pedigree("textbook_half_known_parent")
    F = dict(zip(ped.ids, inbreeding(ped).tolist()))
    assert F["E"] == 0.0           # unknown dam: a unique phantom founder
    assert F["G"] == 0.25          # father C × daughter E
    assert F["H"] == 0.125         # uncle C2 × niece E (C, C2 full sibs)
    K = kinship_matrix(ped, ped.indices(["C", "E"]))
    assert K[0, 1] == 0.25


def test_mult_mixture_and_founder_inbreeding():
    recs = [R("A", sex="M", founder_inbreeding=0.5), R("B", sex="M"), R("C", sex="F"),
            R("X", sire_mult=(("A", 0.25), ("B", 0.75)), dam="C", sex="F"),
            R("Y", "A", "X")]
    ped = Pedigree.from_records(recs)
    F = dict(zip(ped.ids, inbreeding(ped).tolist()))
    # φ(A, X) = ½(¼ φ_AA + ¾ φ_AB + φ_AC) = ½ · ¼ · ¾ = 3/32 ; φ_AA = ¾
    assert F["A"] == 0.5 and F["Y"] == 3 / 32
    K = kinship_matrix(ped, ped.indices(["A", "X"]))
    assert K[0, 0] == 0.75 and K[0, 1] == 3 / 32


# --- properties ---------------------------------------------------------------
@settings(max_examples=60, deadline=None)
@given(pedigree_records())
def test_properties(recs):
    ped = Pedigree.from_records(recs)
    K = kinship_matrix(ped, np.arange(ped.n))
    ref = dense_kinship(ped)
    np.testing.assert_allclose(K, ref, atol=ATOL)
    np.testing.assert_allclose(inbreeding(ped), naive_inbreeding(ped), atol=ATOL)
    assert np.array_equal(K, K.T)
    assert K.min() >= -ATOL and K.max() <= 1 + ATOL
    d = np.diag(K)
    assert np.all(d >= 0.5 - ATOL) and np.all(d <= 1 + ATOL)
    F = inbreeding(ped)
    np.testing.assert_allclose(2 * d - 1, F, atol=ATOL)
    nk = NaiveKinship(ped)
    for i in range(ped.n):  # 2φ_ii − 1 = φ(sire slot, dam slot) for non-founders
        if ped.has_sire[i] or ped.has_dam[i]:
            assert abs(2 * d[i] - 1 - nk.F(i)) < ATOL


@settings(max_examples=40, deadline=None)
@given(pedigree_records(min_size=2))
def test_invariant_under_reordering_and_unrelated_founder(recs):
    ped = Pedigree.from_records(recs)
    K = kinship_matrix(ped, np.arange(ped.n))
    rev = Pedigree.from_records(recs[::-1] + [R("zz_new", alive=True)])
    pos = rev.indices(ped.ids)
    K2 = kinship_matrix(rev, np.arange(rev.n))
    np.testing.assert_allclose(K2[np.ix_(pos, pos)], K, atol=ATOL)
    np.testing.assert_allclose(inbreeding(rev)[pos], inbreeding(ped), atol=ATOL)
    z = rev.index_of("zz_new")
    assert K2[z, z] == 0.5 and np.all(np.delete(K2[z], z) == 0)


@pytest.mark.parametrize("name", ["purger_dorcas", "textbook_half_known_parent"])
def test_sparse_and_numpy_sweeps_agree(name, monkeypatch):
    import studbook.genetics.kinship as kin

    ped = load_pedigree(name)
    idx = np.arange(ped.n)
    monkeypatch.setattr(kin, "_SPMM_MIN_NODES", 0)
    K_sparse = kinship_matrix(ped, idx, block=100)
    monkeypatch.setattr(kin, "_SPMM_MIN_NODES", 10**9)
    K_numpy = kinship_matrix(ped, idx, block=100)
    np.testing.assert_allclose(K_sparse, K_numpy, atol=ATOL)
    np.testing.assert_allclose(K_numpy, dense_kinship(ped), atol=ATOL)


def test_gene_drop_many_phantoms():
    from studbook.genetics import gene_drop

    recs = [R("A", sex="M")] + [R(f"c{i}", "A", None, alive=True) for i in range(200)]
    res = gene_drop(Pedigree.from_records(recs), 50, seed=0)
    assert res.genome_uniqueness.shape == (200,)
