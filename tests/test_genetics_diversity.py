"""Mean kinship, GD, FGE, founder contributions and % known vs definitions."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from pedigree_gallery import has_subset, load_pedigree, pedigree_names
from reference.naive_kinship import dense_kinship, naive_inbreeding, slots
from strategies import pedigree_records

from studbook.genetics import (
    founder_contributions,
    founder_equivalents,
    founder_genome_equivalents_from_mk,
    founder_labels,
    gene_diversity,
    mean_kinship,
    percent_known,
    population_summary,
)
from studbook.genetics.founders import decode_phantom
from studbook.pedigree import Pedigree
from studbook.pedigree import PedigreeRecord as R

SUBSET_NAMES = [n for n in pedigree_names() if has_subset(n)]


def naive_shares(ped: Pedigree) -> list[dict[tuple, float]]:
    """Genome share of every founder in every animal, straight from the definition."""
    out: list[dict[tuple, float]] = []
    for i in range(ped.n):
        s, d = slots(ped, i)
        if not s and not d:
            out.append({("real", i): 1.0})
            continue
        share: dict[tuple, float] = {}
        for slot, cands in enumerate((s, d)):
            if not cands:
                share[("phantom", i, slot)] = 0.5
            for p, w in cands:
                for k, v in out[p].items():
                    share[k] = share.get(k, 0.0) + 0.5 * w * v
        out.append(share)
    return out


def key_of(code: int) -> tuple:
    if code >= 0:
        return ("real", code)
    child, slot = decode_phantom(code)
    return ("phantom", child, slot)


@pytest.mark.parametrize("name", SUBSET_NAMES)
def test_mk_gd_fge_match_dense_on_reference_subset(name):
    ped = load_pedigree(name)
    L = ped.living
    assert ped.n <= 3000, "the dense reference is for pedigrees of up to 3,000 animals"
    phi = dense_kinship(ped)[np.ix_(L, L)]
    mk_ref = phi.mean(axis=1)
    np.testing.assert_allclose(mean_kinship(ped), mk_ref, atol=1e-12)
    gd_ref = 1.0 - phi.mean()
    assert gene_diversity(ped) == pytest.approx(gd_ref, abs=1e-12)
    assert founder_genome_equivalents_from_mk(ped) == pytest.approx(1 / (2 * phi.mean()), rel=1e-12)
    s = population_summary(ped)
    assert s.n_living == len(L)
    assert s.gene_diversity == pytest.approx(gd_ref, abs=1e-12)
    assert s.mean_inbreeding == pytest.approx(naive_inbreeding(ped)[L].mean(), abs=1e-12)
    assert set(s.to_dict()) >= {"n_living", "n_founders", "mean_kinship", "gene_diversity",
                                "founder_genome_equivalents", "founder_equivalents",
                                "mean_inbreeding", "mean_percent_known"}


@pytest.mark.parametrize("name", ["purger_dorcas", "textbook_half_known_parent", "nadiv_fg90",
                                  "purger_darwin"])
def test_founder_contributions_match_definition(name):
    ped = load_pedigree(name)
    codes, p = founder_contributions(ped)
    shares = naive_shares(ped)
    L = ped.living
    ref = {}
    for i in L:
        for k, v in shares[i].items():
            ref[k] = ref.get(k, 0.0) + v / len(L)
    got = {key_of(c): v for c, v in zip(codes.tolist(), p.tolist())}
    assert set(ref) <= set(got)
    for k, v in got.items():
        assert v == pytest.approx(ref.get(k, 0.0), abs=1e-12)
    assert p.sum() == pytest.approx(1.0, abs=1e-12)


def test_phantom_labels_and_exact_values():
    ped = Pedigree.from_records([R("A", sex="M"), R("B", sex="F"),
                                 R("C", "A", "B", sex="M", alive=True),
                                 R("E", "C", None, dam_wild=True, alive=True),
                                 R("G", None, "B", alive=True)])
    codes, p = founder_contributions(ped)
    got = dict(zip(founder_labels(ped, codes), p.tolist()))
    # C: ½A ½B; E: ¼A ¼B ½(WILD dam); G: ½(UNK sire) ½B ; N = 3
    expect = {"A": (0.5 + 0.25) / 3, "B": (0.5 + 0.25 + 0.5) / 3,
              "WILD dam of E": 0.5 / 3, "UNK sire of G": 0.5 / 3}
    assert got.keys() == expect.keys()
    for k in expect:
        assert got[k] == pytest.approx(expect[k], abs=1e-15)
    assert founder_equivalents(np.array([0.5, 0.25, 0.25])) == pytest.approx(8 / 3)


def test_percent_known_conventions():
    ped = Pedigree.from_records([
        R("W", sex="M", sire_wild=True, dam_wild=True),   # wild-caught founder: 1
        R("U", sex="F"),                                  # unknown origin founder: 0
        R("H", sex="F", sire_wild=True),                  # half: ½
        R("C", "W", "U", sex="M"),                        # ½(1 + 0)
        R("D", "W", "H", sex="F"),                        # ½(1 + ½)
        R("M", sire_mult=(("W", 0.5), ("C", 0.5)), dam="D"),  # ½(½·1 + ½·½ + ¾)
        R("O", "C", None),                                # ½(½ + 0)
    ])
    pk = dict(zip(ped.ids, percent_known(ped).tolist()))
    assert pk == {"W": 1.0, "U": 0.0, "H": 0.5, "C": 0.5, "D": 0.75, "M": 0.75, "O": 0.25}


def test_unrelated_founders_gd():
    ped = Pedigree.from_records([R(f"F{i}", alive=True) for i in range(5)])
    assert gene_diversity(ped) == 1 - 1 / 10
    assert founder_genome_equivalents_from_mk(ped) == pytest.approx(5.0)
    s = population_summary(ped)
    assert s.n_founders == 5 and s.founder_equivalents == pytest.approx(5.0)


def test_empty_population():
    ped = Pedigree.from_records([R("A")])
    s = population_summary(ped)
    assert s.n_living == 0 and math.isnan(s.gene_diversity)
    assert mean_kinship(ped).shape == (0,)


def naive_percent_known(ped: Pedigree) -> list[float]:
    out: list[float] = []
    for i in range(ped.n):
        s, d = slots(ped, i)
        v = 0.0
        for cands, wild in ((s, ped.sire_wild[i]), (d, ped.dam_wild[i])):
            v += 0.5 * (1.0 if wild else sum(w * out[p] for p, w in cands))
        out.append(v)
    return out


@settings(max_examples=60, deadline=None)
@given(pedigree_records())
def test_population_properties(recs):
    ped = Pedigree.from_records(recs)
    np.testing.assert_allclose(percent_known(ped), naive_percent_known(ped), atol=1e-12)
    L = ped.living
    if len(L) == 0:
        return
    phi = dense_kinship(ped)[np.ix_(L, L)]
    np.testing.assert_allclose(mean_kinship(ped), phi.mean(1), atol=1e-12)
    gd = gene_diversity(ped)
    assert 0.0 <= gd <= 1.0
    assert founder_genome_equivalents_from_mk(ped) >= 0.5 - 1e-12
    codes, p = founder_contributions(ped)
    assert p.sum() == pytest.approx(1.0, abs=1e-12) and np.all(p >= 0)
    assert len(set(codes.tolist())) == len(codes)


def test_founder_shares_rows_sum_to_one_and_average_to_contributions():
    from hypothesis import given, settings
    from strategies import pedigree_records

    from studbook.genetics.founders import founder_contributions, founder_shares
    from studbook.pedigree import Pedigree

    @settings(max_examples=60, deadline=None)
    @given(pedigree_records())
    def check(records):
        ped = Pedigree.from_records(records)
        idx = np.arange(ped.n)
        codes, S = founder_shares(ped, idx)
        assert np.allclose(S.sum(axis=1), 1.0)
        assert (S >= -1e-15).all()
        c2, p = founder_contributions(ped, idx)
        assert (codes == c2).all()
        assert np.allclose(S.mean(axis=0), p)

    check()
