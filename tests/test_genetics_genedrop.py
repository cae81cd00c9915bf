"""Gene drop: reproducibility, exact small cases, naive twin, agreement with MK."""

from __future__ import annotations

import math

import numpy as np
import pytest
from pedigree_gallery import load_pedigree
from reference.naive_genedrop import naive_gene_drop

from studbook.genetics import gene_diversity, gene_drop
from studbook.pedigree import Pedigree
from studbook.pedigree import PedigreeRecord as R


def trio_plus() -> Pedigree:
    return Pedigree.from_records([
        R("A", sex="M", founder_inbreeding=0.25), R("B", sex="F"), R("Z", sex="M"),
        R("C", "A", "B", sex="M"), R("D", "A", "B", sex="F", alive=True),
        R("E", "C", None, sex="F", alive=True),
        R("G", sire_mult=(("C", 0.3), ("Z", 0.7)), dam="D", alive=True),
        R("H", "Z", "E", alive=True)])


def test_same_seed_same_result():
    ped = trio_plus()
    a = gene_drop(ped, 500, seed=3)
    b = gene_drop(ped, 500, rng=np.random.default_rng(3))
    assert np.array_equal(a.retention, b.retention)
    assert a.gene_diversity == b.gene_diversity
    assert np.array_equal(a.genome_uniqueness, b.genome_uniqueness)
    c = gene_drop(ped, 500, seed=4)
    assert not np.array_equal(a.genome_uniqueness, c.genome_uniqueness)


def test_exact_small_cases():
    ped = Pedigree.from_records([R("A", sex="M"), R("B", sex="F"),
                                 R("C", "A", "B", alive=True), R("X", alive=True)])
    res = gene_drop(ped, 200, seed=1, threshold=0)
    lab = {ped.ids[c]: r for c, r in zip(res.founders, res.retention)}
    assert lab == {"A": 0.5, "B": 0.5, "X": 1.0}
    # 4 distinct alleles in 2 animals: GD = 1 − 4·(1/4)² = 3/4 = 1 − mean MK
    assert res.gene_diversity == 0.75 == gene_diversity(ped)
    assert res.genome_uniqueness.tolist() == [1.0, 1.0]
    assert res.alleles_surviving == 4.0


def test_genome_uniqueness_threshold_of_full_sibs():
    ped = Pedigree.from_records([R("A", sex="M"), R("B", sex="F"),
                                 R("C", "A", "B", alive=True), R("D", "A", "B", alive=True)])
    res = gene_drop(ped, 4000, seed=2, threshold=0)
    # each allele of C is missing from its sib with probability ½
    assert np.all(np.abs(res.genome_uniqueness - 0.5) < 0.03)
    res1 = gene_drop(ped, 100, seed=2, threshold=1)
    assert res1.genome_uniqueness.tolist() == [1.0, 1.0]  # only one other animal


def test_fge_nan_exactly_when_a_contributing_founder_is_lost():
    ped = Pedigree.from_records([R("A", sex="M"), R("B", sex="F"), R("C", "A", "B", sex="M"),
                                 R("D", sex="F"), R("E", "C", "D", alive=True)])
    seen = set()
    for s in range(30):
        res = gene_drop(ped, 2, seed=s)
        lost = bool(np.any(res.retention[res.p > 0] == 0))
        assert math.isnan(res.fge) == lost
        seen.add(lost)
    assert seen == {True, False}


def test_progress_callback():
    calls = []
    gene_drop(trio_plus(), 10, seed=0, progress=lambda d, t: calls.append((d, t)))
    assert calls and calls[-1][0] == calls[-1][1]


def test_naive_and_vectorised_agree_statistically():
    ped = trio_plus()
    k_naive, k_fast = 3000, 20000
    r_naive, gd_naive = naive_gene_drop(ped, k_naive, seed=11)
    fast = gene_drop(ped, k_fast, seed=12)
    se = fast.retention_se * math.sqrt(k_fast / k_naive) * math.sqrt(1 + k_naive / k_fast)
    assert np.all(np.abs(r_naive - fast.retention) <= 4 * se + 1e-9)
    se_gd = math.hypot(gd_naive.std(ddof=1) / math.sqrt(k_naive), fast.gene_diversity_se)
    assert abs(gd_naive.mean() - fast.gene_diversity) <= 4 * se_gd


def test_gd_agrees_with_mean_kinship_small():
    ped = trio_plus()
    res = gene_drop(ped, 20000, seed=5)
    assert abs(res.gene_diversity - gene_diversity(ped)) <= 4 * res.gene_diversity_se


@pytest.mark.parametrize("name", ["purger_dama", "optisel_hinterwald", "purger_dorcas"])
def test_gd_agrees_with_mean_kinship(name):
    ped = load_pedigree(name)
    res = gene_drop(ped, 5000, seed=2024)
    gd = gene_diversity(ped)
    assert abs(res.gene_diversity - gd) <= 4 * res.gene_diversity_se
    assert res.p.sum() == pytest.approx(1.0)
    assert np.all((res.retention >= 0) & (res.retention <= 1))
    assert res.genome_uniqueness.shape == (len(ped.living),)
