"""Reference twin: ``studbook/genetics/genedrop.py`` before batched iterations (issue 13).

Kept verbatim (only this docstring differs): one pass over all iterations, a stacked
copy of the candidates' alleles per MULT slot and of the living's alleles. Compared
with the library in ``tests/test_fast_genedrop.py`` and timed in ``benchmarks/bench_fast.py``.
Not used by studbook.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from studbook.genetics.founders import founder_codes, founder_contributions
from studbook.pedigree import Pedigree

FloatArray = NDArray[np.float64]
# One parent slot of a gene-drop step: (kind, value, cum). ``value`` is a parent index for
# "one", a first allele id for "phantom" and a list of candidate indices for "mult"; ``cum``
# (cumulative candidate probabilities, and the (slot, litter) key of the draw) is set for "mult" only. Any: the item types follow
# ``kind``, which a tuple type cannot express.
_Slot = tuple[str, Any, Any]
_STAT_CHUNK = 512
_BATCHES = 10


@dataclass(frozen=True)
class GeneDropResult:
    """Results of :func:`gene_drop` (arrays aligned as documented).

    Attributes:
        iterations: Number of replicates.
        founders: Founder codes (as :func:`founder_contributions`).
        p: Founder contributions p_f (analytic).
        retention: r_f, mean proportion of each founder's 2 alleles in L.
        retention_se: Standard error of r_f.
        alleles_retained: Mean number of each founder's 2 alleles in L (2 r_f).
        allele_copies: Mean number of copies of each founder's alleles in L.
        alleles_surviving: Mean number of distinct founder alleles in L.
        alleles_surviving_se: Its standard error.
        gene_diversity: Mean GD = 1 − Σ q_a² over iterations.
        gene_diversity_se: Its standard error.
        fge: 1/Σ(p_f²/r_f), NaN if some r_f = 0 with p_f > 0.
        fge_se: Batch-means standard error of ``fge`` (NaN if undefined).
        living: Indices of L (rows of ``genome_uniqueness``).
        genome_uniqueness: GU_i for each animal of ``living``.
        threshold: GU threshold (max. number of other carriers).
    """

    iterations: int
    founders: NDArray[np.int64]
    p: FloatArray
    retention: FloatArray
    retention_se: FloatArray
    alleles_retained: FloatArray
    allele_copies: FloatArray
    alleles_surviving: float
    alleles_surviving_se: float
    gene_diversity: float
    gene_diversity_se: float
    fge: float
    fge_se: float
    living: NDArray[np.int64]
    genome_uniqueness: FloatArray
    threshold: int


def _fge(p: FloatArray, r: FloatArray) -> float:
    pos = p > 0
    if np.any(r[pos] <= 0):
        return float("nan")
    return float(1.0 / np.sum(p[pos] ** 2 / r[pos]))


def gene_drop(ped: Pedigree, iterations: int = 5000, *,
              seed: int | np.random.Generator | None = None,
              rng: np.random.Generator | None = None,
              progress: Callable[[int, int], None] | None = None,
              threshold: int = 1) -> GeneDropResult:
    """Simulate Mendelian segregation of unique founder alleles (see module docs).

    Args:
        ped: The pedigree; statistics are over ``ped.living``.
        iterations: Number of replicates.
        seed: Seed or Generator (same seed, same result). Ignored if ``rng``.
        rng: Random generator to draw from.
        progress: Optional ``callable(done, total)`` called as animals are done.
        threshold: GU threshold: max. number of *other* living carriers.

    Returns:
        :class:`GeneDropResult`.

    Example:
        >>> from studbook.pedigree import Pedigree, PedigreeRecord as R
        >>> ped = Pedigree.from_records([R("A", sex="M"), R("B", sex="F"),
        ...     R("C", "A", "B", alive=True)])
        >>> res = gene_drop(ped, 100, seed=1)
        >>> res.retention.tolist(), res.gene_diversity
        ([0.5, 0.5], 0.5)
    """
    if iterations < 1:
        raise ValueError("iterations must be >= 1")
    gen = rng if rng is not None else np.random.default_rng(seed)
    K = int(iterations)
    L = ped.living
    codes = founder_codes(ped)
    _, p = founder_contributions(ped, L)
    n_f = len(codes)
    allele_base = np.full(ped.n, -1, np.int64)  # real founder -> first allele id
    phantom_base = {}                           # (child, slot) -> first allele id
    for j, c in enumerate(codes.tolist()):
        if c >= 0:
            allele_base[c] = 2 * j
        else:
            v = -1 - c
            phantom_base[(v // 2, v % 2)] = 2 * j
    A = 2 * n_f

    need = ped.ancestors_mask(L) if len(L) else np.zeros(ped.n, bool)
    order = np.flatnonzero(need)
    # last use of every animal as a parent/candidate, to free memory early
    last = np.where(ped.alive & ped.in_analysis, ped.n, -1)
    slot_lists = []
    for i in order.tolist():
        sl: list[_Slot] = []
        for slot, par, mult in ((0, ped.sire, ped.sire_mult), (1, ped.dam, ped.dam_mult)):
            if par[i] >= 0:
                sl.append(("one", int(par[i]), None))
            elif mult.ptr[i + 1] > mult.ptr[i]:
                cand = mult.of(i)
                sl.append(("mult", [c for c, _ in cand],
                           (np.cumsum([q for _, q in cand]), (slot, int(mult.litters()[i])))))
            else:
                sl.append(("phantom", phantom_base.get((i, slot), -1), None))
        slot_lists.append(sl)
        for kind, val, _ in sl:
            if kind == "one":
                last[val] = max(last[val], i)
            elif kind == "mult":
                for c in val:
                    last[c] = max(last[c], i)

    alleles: dict[int, NDArray[np.int32]] = {}
    picks: dict[tuple[int, int], NDArray[np.int64]] = {}  # (slot, litter) -> candidate per iteration
    litter_size = [np.bincount(m.litters()[m.litters() >= 0], minlength=ped.n)
                   for m in (ped.sire_mult, ped.dam_mult)]
    total = len(order)
    step = max(1, total // 100)
    ar = np.arange(K)
    for done, (i, sl) in enumerate(zip(order.tolist(), slot_lists), start=1):
        if allele_base[i] >= 0:  # real founder
            a0 = np.full(K, allele_base[i], np.int32)
            a1 = a0 + 1
            f = float(ped.founder_inbreeding[i])
            if f > 0:
                a1 = np.where(gen.random(K) < f, a0, a1).astype(np.int32)
            alleles[i] = np.stack([a0, a1])
        else:
            out = np.empty((2, K), np.int32)
            for s, (kind, val, cum) in enumerate(sl):
                bit = gen.integers(0, 2, K, dtype=np.int8)
                if kind == "one":
                    par = alleles[val]
                    out[s] = np.where(bit == 1, par[1], par[0])
                elif kind == "mult":  # one draw per litter (one mating) and iteration
                    cum_p, litter = cum
                    pick = picks.get(litter)
                    if pick is None:
                        pick = np.minimum(np.searchsorted(cum_p, gen.random(K), side="right"),
                                          len(val) - 1)
                        if litter_size[litter[0]][litter[1]] > 1:
                            picks[litter] = pick
                    stack = np.stack([alleles[c] for c in val])  # (k, 2, K)
                    out[s] = stack[pick, bit, ar]
                else:
                    out[s] = bit.astype(np.int32) + val
            alleles[i] = out
            for kind, val, _ in sl:
                for c in ([val] if kind == "one" else val if kind == "mult" else []):
                    if last[c] <= i and c in alleles:
                        del alleles[c]
        if progress is not None and (done % step == 0 or done == total):
            progress(done, total)

    n_l = len(L)
    if n_l == 0:
        nan = float("nan")
        z = np.full(n_f, nan)
        return GeneDropResult(K, codes, p, z, z, z, z, nan, nan, nan, nan, nan, nan,
                              L, np.zeros(0), threshold)
    G = np.stack([alleles[int(i)] for i in L])  # (n_l, 2, K)
    del alleles

    present_sum = np.zeros(A)
    copies_sum = np.zeros(A)
    founder_present_sq = np.zeros(n_f)
    gd = np.empty(K)
    n_alleles = np.empty(K)
    gu_hits = np.zeros(n_l)
    batch_of = (ar * _BATCHES) // K
    batch_ret = np.zeros((_BATCHES, n_f))
    for a in range(0, K, _STAT_CHUNK):
        b = min(a + _STAT_CHUNK, K)
        k = b - a
        g0 = G[:, 0, a:b].astype(np.int64)  # (n_l, k)
        g1 = G[:, 1, a:b].astype(np.int64)
        off = np.arange(k, dtype=np.int64) * A
        cnt = (np.bincount((g0 + off).ravel(), minlength=k * A)
               + np.bincount((g1 + off).ravel(), minlength=k * A)).reshape(k, A)
        het = g1 != g0
        carriers = (np.bincount((g0 + off).ravel(), minlength=k * A)
                    + np.bincount((g1 + off)[het], minlength=k * A)).reshape(k, A)
        pres = cnt > 0
        present_sum += pres.sum(0)
        copies_sum += cnt.sum(0)
        fp = pres.reshape(k, n_f, 2).sum(2) / 2.0  # per founder, per iteration
        founder_present_sq += (fp ** 2).sum(0)
        np.add.at(batch_ret, batch_of[a:b], fp)
        q = cnt / (2.0 * n_l)
        gd[a:b] = 1.0 - (q ** 2).sum(1)
        n_alleles[a:b] = pres.sum(1)
        cflat = carriers.ravel()
        it = np.arange(k)[None, :]
        others0 = cflat[g0 + it * A] - 1
        others1 = cflat[g1 + it * A] - 1
        gu_hits += (others0 <= threshold).sum(1) + (others1 <= threshold).sum(1)

    r = (present_sum.reshape(n_f, 2).sum(1) / 2.0) / K
    var_r = np.maximum(founder_present_sq / K - r ** 2, 0.0)
    r_se = np.sqrt(var_r / max(K - 1, 1))
    batch_n = np.bincount(batch_of, minlength=_BATCHES)
    fges = np.array([_fge(p, batch_ret[j] / batch_n[j]) for j in range(_BATCHES)
                     if batch_n[j] > 0])
    fge_se = float(np.std(fges, ddof=1) / np.sqrt(len(fges))) if len(fges) > 1 else float("nan")
    return GeneDropResult(
        iterations=K, founders=codes, p=p, retention=r, retention_se=r_se,
        alleles_retained=2.0 * r,
        allele_copies=copies_sum.reshape(n_f, 2).sum(1) / K,
        alleles_surviving=float(n_alleles.mean()),
        alleles_surviving_se=float(n_alleles.std(ddof=1) / np.sqrt(K)) if K > 1 else float("nan"),
        gene_diversity=float(gd.mean()),
        gene_diversity_se=float(gd.std(ddof=1) / np.sqrt(K)) if K > 1 else float("nan"),
        fge=_fge(p, r), fge_se=fge_se,
        living=L, genome_uniqueness=gu_hits / (2.0 * K), threshold=int(threshold),
    )
