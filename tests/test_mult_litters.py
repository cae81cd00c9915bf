"""Littermates of one MULT mating share one unknown parent (Lacy 2012; docs/decisions.md).

The twin here is the plainest one there is: enumerate every assignment of the unknown
parents (one draw per litter, one per lone MULT slot), compute the kinship of each
ordinary pedigree by the tabular method, and average with the assignment's probability.
"""

from __future__ import annotations

import importlib
import itertools

import numpy as np
import pytest
from reference.naive_kinship import dense_kinship

from studbook.errors import PedigreeError
from studbook.genetics import kinship_matrix, kinship_times
from studbook.pedigree import Pedigree
from studbook.pedigree import PedigreeRecord as R
from studbook.services.pedigree_rows import _mating

inb = importlib.import_module("studbook.genetics.inbreeding")  # the package exports a function of that name
HALF = (("S1", 0.5), ("S2", 0.5))


def litter_book(share: bool = True) -> list[R]:
    key = "L1" if share else None
    return [R("S1", sex="M"), R("S2", sex="M"), R("D", sex="F"),
            R("X", dam="D", sire_mult=HALF, sire_mult_litter=key, sex="M"),
            R("Y", dam="D", sire_mult=(("S2", 0.5), ("S1", 0.5)), sire_mult_litter=key, sex="F"),
            R("Z", dam="D", sire_mult=HALF, sex="F"),
            R("O", "X", "Y"), R("P", "X", "Z")]


def test_littermates_are_full_sibs_whoever_the_sire():
    ped = Pedigree.from_records(litter_book())
    x, y, z, o, p = ped.indices(["X", "Y", "Z", "O", "P"])
    K = kinship_matrix(ped, [x, y, z])
    # by hand: littermates share the sire, so full sibs: ¼(φ_SS + φ_DD) = ¼(½ + ½) = ¼;
    # Z has its own draw: ¼(Σ_kl π_k π_l φ(S_k, S_l) + φ_DD) = ¼(¼·½ + ¼·½ + ½) = 3/16
    assert K[0, 1] == 0.25 and K[0, 2] == 0.1875 and K[1, 2] == 0.1875
    assert np.all(np.diag(K) == 0.5)
    F = inb.inbreeding(ped)
    assert F[o] == 0.25 and F[p] == 0.1875
    np.testing.assert_allclose(kinship_times(ped, np.eye(ped.n)), dense_kinship(ped), atol=1e-15)


def test_without_a_litter_key_each_young_is_its_own_mating():
    ped = Pedigree.from_records(litter_book(share=False))
    x, y = ped.indices(["X", "Y"])
    assert kinship_matrix(ped, [x, y])[0, 1] == 0.1875


def test_compiled_kernel_agrees_on_shared_litters():
    pytest.importorskip("numba")
    ped = Pedigree.from_records(litter_book())
    st = inb._compute_numba(ped)
    ref = inb._compute(ped, inb.build_graph(ped))
    np.testing.assert_allclose(st.A_diag, ref.A_diag, atol=1e-15)
    np.testing.assert_allclose(st.D, ref.D, atol=1e-15)


def _assignments(recs: list[R]):
    """Every way to resolve the MULT slots: one draw per litter key (or per lone slot)."""
    draws: dict[tuple[str, str], tuple[tuple[str, float], ...]] = {}
    for r in recs:
        for slot in ("sire", "dam"):
            cands = getattr(r, f"{slot}_mult")
            if cands:
                draws.setdefault((slot, getattr(r, f"{slot}_mult_litter") or f"own:{r.id}"), cands)
    keys = list(draws)
    for choice in itertools.product(*(draws[k] for k in keys)):
        prob = float(np.prod([p for _, p in choice]))
        pick = {k: c for k, (c, _) in zip(keys, choice)}
        out = []
        for r in recs:
            kw = {}
            for slot in ("sire", "dam"):
                if getattr(r, f"{slot}_mult"):
                    kw[slot] = pick[(slot, getattr(r, f"{slot}_mult_litter") or f"own:{r.id}")]
                    kw[f"{slot}_mult"] = ()
                    kw[f"{slot}_mult_litter"] = None
            out.append(R(**{**r.__dict__, **kw}))
        yield prob, out


def test_kinship_is_the_expectation_over_one_draw_per_litter():
    # two litters, a young of the first litter is a candidate sire of the second, a lone MULT
    recs = [R("S1", sex="M"), R("S2", sex="M"), R("D", sex="F"), R("E", sex="F"),
            R("X", dam="D", sire_mult=(("S1", 0.3), ("S2", 0.7)), sire_mult_litter="a", sex="M"),
            R("Y", dam="D", sire_mult=(("S1", 0.3), ("S2", 0.7)), sire_mult_litter="a", sex="M"),
            R("W", dam="D", sire_mult=(("S1", 0.3), ("S2", 0.7)), sex="F"),
            R("U", dam="E", sire_mult=(("X", 0.5), ("S1", 0.5)), sire_mult_litter="b", sex="F"),
            R("V", dam="E", sire_mult=(("X", 0.5), ("S1", 0.5)), sire_mult_litter="b", sex="M"),
            R("G", sire="V", dam="U"), R("H", sire="Y", dam="W"), R("J", sire="V", dam="W")]
    ped = Pedigree.from_records(recs)
    expected = np.zeros((ped.n, ped.n))
    total = 0.0
    for prob, plain in _assignments(recs):
        fixed = Pedigree.from_records(plain)
        pos = fixed.indices(ped.ids)
        expected += prob * dense_kinship(fixed)[np.ix_(pos, pos)]
        total += prob
    assert abs(total - 1.0) < 1e-12
    np.testing.assert_allclose(kinship_matrix(ped, np.arange(ped.n)), expected, rtol=0, atol=1e-14)
    np.testing.assert_allclose(inb.inbreeding(ped), 2 * np.diag(expected) - 1, rtol=0, atol=1e-14)


def test_littermates_with_different_candidates_are_refused_as_one_mating():
    recs = litter_book()
    recs[4] = R("Y", dam="D", sire_mult=(("S1", 0.9), ("S2", 0.1)), sire_mult_litter="L1", sex="F")
    with pytest.raises(PedigreeError) as err:
        Pedigree.from_records(recs)
    assert err.value.problems == ["'Y': MULT sire candidates differ from those of its littermate 'X' "
                                  "(litter 'L1'); one mating has one set"]


def test_read_path_key_shares_only_identical_candidate_sets():
    assert _mating(7, [("A", 0.5), ("B", 0.5)]) == _mating(7, [("B", 0.5), ("A", 0.5)])
    assert _mating(7, [("A", 0.5), ("B", 0.5)]) != _mating(7, [("A", 0.9), ("B", 0.1)])
    assert _mating(7, [("A", 0.5), ("B", 0.5)]) != _mating(8, [("A", 0.5), ("B", 0.5)])
    assert _mating(None, [("A", 0.5)]) is None


def test_sample_book_littermates_share_their_mult_sire(sample_url):
    from studbook import api

    loaded = api.load_pedigree(sample_url)
    ped = loaded.pedigree
    a, b, c = ped.indices(["124", "125", "126"])  # one litter, sire MULT (two males with the dam)
    lit = ped.sire_mult.litters()
    assert lit[a] == lit[b] == lit[c] >= 0
    cands = ped.sire_mult.of(int(a))
    assert len(cands) == 2
    dam = int(ped.dam[a])
    kidx = [k for k, _ in cands]
    K = kinship_matrix(ped, [*kidx, dam, int(a), int(b)])
    pi = np.array([p for _, p in cands])
    phi_vv = float(pi @ np.diag(K)[:2])           # one sire: Σ π_k φ(k, k)
    phi_vd = float(pi @ K[:2, 2])
    # φ(littermates) = ¼(φ_VV + 2 φ_VD + φ_DD): full sibs by the one (unknown) sire
    assert abs(K[3, 4] - 0.25 * (phi_vv + 2 * phi_vd + K[2, 2])) < 1e-14


def test_founders_count_living_descendants_through_mult_candidates():
    from studbook.genetics.founders import founder_codes
    from studbook.services.genetics import _living_descendants

    ped = Pedigree.from_records([R("S1", sex="M"), R("S2", sex="M"), R("D", sex="F"),
                                 R("X", dam="D", sire_mult=HALF, alive=True),
                                 R("Y", dam="D", sire_mult=HALF, alive=True)])
    codes = founder_codes(ped)
    count = dict(zip([ped.ids[c] for c in codes.tolist()], _living_descendants(ped, codes, ped.living)))
    assert count == {"S1": 2, "S2": 2, "D": 2}  # was 0, 0, 2: MULT candidates were not followed


def test_founders_of_an_empty_day_is_an_empty_table(sample_url):
    from conftest import jout

    assert jout(sample_url, "genetics", "founders", "--as-of", "1900-01-01", "--no-gene-drop") == []
