"""Naive kinship straight from the definition (tests only; slow on purpose).

Definitions (domain.md §3), with animals indexed parents-first:

* φ_ii = ½(1 + F_i), F_i = φ(sire_i, dam_i) (founders: ``founder_inbreeding``);
* φ_ij = ½(φ(i, sire_j) + φ(i, dam_j)) for j younger than i (larger index);
* an unknown/WILD parent slot is a unique phantom founder: φ(x, phantom) = 0;
* a MULT slot is the mixture of its candidates: φ(x, slot) = Σ_k π_k φ(x, c_k)
  (Lacy 2012), so F = Σ_k Σ_l π_k π'_l φ(s_k, d_l).
"""

from __future__ import annotations

import sys

import numpy as np

from studbook.pedigree import Pedigree


def slots(ped: Pedigree, i: int) -> tuple[list[tuple[int, float]], list[tuple[int, float]]]:
    """Sire and dam slot of ``i`` as lists of (parent, weight); [] = phantom."""
    s = [(int(ped.sire[i]), 1.0)] if ped.sire[i] >= 0 else ped.sire_mult.of(i)
    d = [(int(ped.dam[i]), 1.0)] if ped.dam[i] >= 0 else ped.dam_mult.of(i)
    return s, d


class NaiveKinship:
    """Memoised recursive φ on a pedigree."""

    def __init__(self, ped: Pedigree) -> None:
        self.ped = ped
        self.memo: dict[tuple[int, int], float] = {}
        self.slot = [slots(ped, i) for i in range(ped.n)]
        sys.setrecursionlimit(max(sys.getrecursionlimit(), 100000))

    def F(self, i: int) -> float:
        s, d = self.slot[i]
        if not s and not d:
            return float(self.ped.founder_inbreeding[i])
        return sum(ps * pd * self.phi(a, b) for a, ps in s for b, pd in d)

    def phi(self, i: int, j: int) -> float:
        if i > j:
            i, j = j, i
        key = (i, j)
        v = self.memo.get(key)
        if v is not None:
            return v
        if i == j:
            v = 0.5 * (1.0 + self.F(i))
        else:
            s, d = self.slot[j]
            v = 0.5 * (sum(w * self.phi(i, p) for p, w in s)
                       + sum(w * self.phi(i, p) for p, w in d))
        self.memo[key] = v
        return v

    def matrix(self, idx) -> np.ndarray:  # type: ignore[no-untyped-def]
        idx = [int(i) for i in idx]
        out = np.empty((len(idx), len(idx)))
        for a, i in enumerate(idx):
            for b in range(a, len(idx)):
                out[a, b] = out[b, a] = self.phi(i, idx[b])
        return out


def naive_inbreeding(ped: Pedigree) -> np.ndarray:
    nk = NaiveKinship(ped)
    return np.array([nk.F(i) for i in range(ped.n)])


def dense_kinship(ped: Pedigree) -> np.ndarray:
    """The full N×N φ matrix by the tabular method (row by row, parents first)."""
    n = ped.n
    phi = np.zeros((n, n))
    for j in range(n):
        s, d = slots(ped, j)
        row = np.zeros(j)
        for p, w in s:
            row += 0.5 * w * phi[p, :j]
        for p, w in d:
            row += 0.5 * w * phi[p, :j]
        phi[j, :j] = row
        phi[:j, j] = row
        if not s and not d:
            f = float(ped.founder_inbreeding[j])
        else:
            f = sum(ws * wd * phi[a, b] for a, ws in s for b, wd in d)
        phi[j, j] = 0.5 * (1.0 + f)
    return phi
