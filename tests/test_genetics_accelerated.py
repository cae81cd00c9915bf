"""The compiled (numba) inbreeding kernel agrees with the numpy path.

Both paths are called directly, whatever the size thresholds. Needs the
optional ``fast`` extra (numba); installed in CI.
"""

from __future__ import annotations

import importlib

import numpy as np
import pytest
from hypothesis import given, settings

numba = pytest.importorskip("numba")

from pedigree_gallery import load_pedigree, pedigree_names  # noqa: E402
from reference.naive_kinship import naive_inbreeding  # noqa: E402
from strategies import pedigree_records  # noqa: E402

from studbook.genetics._graph import build_graph  # noqa: E402
from studbook.pedigree import Pedigree  # noqa: E402
from studbook.pedigree import PedigreeRecord as R  # noqa: E402

# the module (``studbook.genetics.inbreeding`` the attribute is the function)
inb = importlib.import_module("studbook.genetics.inbreeding")

ATOL = 1e-12


def both(ped: Pedigree) -> tuple[inb.DiagState, inb.DiagState]:
    return inb._compute(ped, build_graph(ped)), inb._compute_numba(ped)


def assert_same(ped: Pedigree) -> None:
    a, b = both(ped)
    assert a.D.shape == b.D.shape == a.A_diag.shape == b.A_diag.shape
    np.testing.assert_allclose(b.D, a.D, rtol=0, atol=ATOL)
    np.testing.assert_allclose(b.A_diag, a.A_diag, rtol=0, atol=ATOL)


@pytest.mark.parametrize("name", pedigree_names())
def test_reference_pedigrees(name):
    ped = load_pedigree(name)
    assert_same(ped)
    if ped.n <= 3000:
        np.testing.assert_allclose(inb._compute_numba(ped).A_diag[: ped.n] - 1,
                                   naive_inbreeding(ped), rtol=0, atol=ATOL)


@settings(max_examples=150, deadline=None)
@given(pedigree_records())
def test_random_pedigrees(recs):
    ped = Pedigree.from_records(recs)
    assert_same(ped)
    np.testing.assert_allclose(inb._compute_numba(ped).A_diag[: ped.n] - 1,
                               naive_inbreeding(ped), rtol=0, atol=ATOL)


@settings(max_examples=30, deadline=None)
@given(pedigree_records(min_size=20, max_size=60))
def test_random_bigger_pedigrees(recs):
    assert_same(Pedigree.from_records(recs))


def test_mult_full_sibs_and_founder_inbreeding_exact():
    recs = [R("A", sex="M", founder_inbreeding=0.5), R("B", sex="M"), R("C", sex="F"),
            R("X", sire_mult=(("A", 0.25), ("B", 0.75)), dam="C", sex="F"),
            R("Y", "A", "X"), R("Y2", "A", "X"), R("Z", "A", None, sex="F"),
            R("Q", dam_mult=(("X", 0.5), ("Z", 0.5)), sire="A"),
            R("E1", "A", "C", sex="F"), R("E2", "A", "C", sex="M"), R("E3", "E2", "E1")]
    ped = Pedigree.from_records(recs)
    assert_same(ped)
    F = dict(zip(ped.ids, (inb._compute_numba(ped).A_diag[: ped.n] - 1).tolist()))
    assert F["A"] == 0.5 and F["Y"] == F["Y2"] == 3 / 32 and F["Z"] == 0.0
    assert F["E3"] == 0.3125  # φ(E1, E2) = ¼(φ_AA + φ_CC) = ¼(¾ + ½)


def test_empty_and_tiny():
    assert_same(Pedigree.from_records([R("A")]))
    assert_same(Pedigree.from_records([R("A", sex="M"), R("B", sex="F"), R("C", "A", "B")]))


def test_synthetic_medium():
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from benchmarks.synthetic import synthetic_records

    assert_same(Pedigree.from_records(synthetic_records(5000, seed=3)))


def test_dispatch(monkeypatch):
    ped = Pedigree.from_records([R("A", sex="M"), R("B", sex="F"), R("C", "A", "B")])
    monkeypatch.setattr(inb, "NUMBA_MIN_NODES", 0)
    assert inb._use_numba(ped)
    monkeypatch.setenv("STUDBOOK_NO_NUMBA", "1")
    assert not inb._use_numba(ped)
    monkeypatch.delenv("STUDBOOK_NO_NUMBA")
    monkeypatch.setattr(inb, "NUMBA_MIN_NODES", 10)
    assert not inb._use_numba(ped)
    # the cache contract is the same on both paths
    monkeypatch.setattr(inb, "NUMBA_MIN_NODES", 0)
    st = inb.diag_state(ped)
    assert ped._cache["diag_state"] is st
    assert not st.D.flags.writeable and not st.A_diag.flags.writeable
    assert inb.inbreeding(ped).tolist() == [0.0, 0.0, 0.0]


def test_renumbering_by_level_mult_both_sides_and_long_chain():
    """Index order differs from level order; virtual nodes sit between levels;
    one trace reaches every ancestor (long chain with repeated inbreeding)."""
    recs = [R("F0", sex="M"), R("F1", sex="F"), R("F2", sex="M")]
    # a deep line: each animal by the previous one and a founder or its dam
    prev_m, prev_f = "F0", "F1"
    for k in range(12):
        m, f = f"M{k}", f"W{k}"
        recs.append(R(m, prev_m, prev_f, sex="M"))
        recs.append(R(f, prev_m, prev_f, sex="F"))
        prev_m, prev_f = m, f
    # late arrivals with shallow parents come after deep animals in index order
    recs += [R("S1", "F2", "F1", sex="M"), R("S2", None, "F1", sex="F"),
             R("V1", sire_mult=(("M11", 0.3), ("S1", 0.7)),
               dam_mult=(("W11", 0.5), ("S2", 0.5)), sex="F"),
             R("V2", sire_mult=(("F2", 0.6), ("M3", 0.4)), dam="V1", sex="M"),
             R("V3", "V2", "V1"), R("V4", "V2", "V1"), R("V5", "M11", "W11")]
    ped = Pedigree.from_records(recs)
    assert_same(ped)
    np.testing.assert_allclose(inb._compute_numba(ped).A_diag[: ped.n] - 1,
                               naive_inbreeding(ped), rtol=0, atol=ATOL)


def test_synthetic_medium_mult_heavy():
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from benchmarks.synthetic import synthetic_records

    assert_same(Pedigree.from_records(synthetic_records(20000, seed=5, mult_fraction=0.05,
                                                        one_parent_fraction=0.1)))


def test_broken_kernel_falls_back_to_numpy(monkeypatch):
    from pedigree_gallery import load_records

    from studbook.pedigree import Pedigree

    records = load_records("textbook_sibmating_chain")
    want = inb.inbreeding(Pedigree.from_records(records))
    monkeypatch.setattr(inb, "NUMBA_MIN_NODES", 0)

    def broken(ped):
        raise RuntimeError("llvm intrinsic not found")

    monkeypatch.setattr(inb, "_compute_numba", broken)
    import pytest

    with pytest.warns(RuntimeWarning, match="numba kernel unavailable"):
        got = inb.inbreeding(Pedigree.from_records(records))
    assert (got == want).all()
