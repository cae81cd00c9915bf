"""Naive kinship straight from the definition (tests only; slow on purpose).

Definitions (domain.md §3), with animals indexed parents-first:

* φ_ii = ½(1 + F_i), F_i = φ(sire_i, dam_i) (founders: ``founder_inbreeding``);
* φ_ij = ½(φ(i, sire_j) + φ(i, dam_j)) for j younger than i (larger index);
* an unknown/WILD parent slot is a unique phantom founder: φ(x, phantom) = 0;
* a MULT slot is one unknown parent V, candidate k with probability π_k (Lacy 2012):
  φ(x, V) = Σ_k π_k φ(x, c_k) for x older than V, φ(V, V) = Σ_k π_k φ(c_k, c_k), so
  F = Σ_k Σ_l π_k π'_l φ(s_k, d_l);
* littermates of one mating share V (``MultParents.litter``); V is placed just before
  the first animal of its litter (after every candidate, before every member).
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


def node_slots(ped: Pedigree, i: int) -> tuple[list[tuple[int, float]], list[tuple[int, float]]]:
    """Like :func:`slots` but in node keys: animal ``i`` is ``2i + 1``; a MULT slot is the
    single node ``-(2l + 2)`` (sire) or ``-(2l + 3)`` (dam) of the litter led by ``l``."""
    out = []
    for par, mult, tag in ((ped.sire, ped.sire_mult, 2), (ped.dam, ped.dam_mult, 3)):
        if par[i] >= 0:
            out.append([(2 * int(par[i]) + 1, 1.0)])
        elif mult.ptr[i + 1] > mult.ptr[i]:
            out.append([(-(2 * int(mult.litters()[i]) + tag), 1.0)])
        else:
            out.append([])
    return out[0], out[1]


class NaiveKinship:
    """Memoised recursive φ on a pedigree (animals and MULT litter parents as nodes)."""

    def __init__(self, ped: Pedigree) -> None:
        self.ped = ped
        self.memo: dict[tuple[int, int], float] = {}
        self.slot = [node_slots(ped, i) for i in range(ped.n)]
        sys.setrecursionlimit(max(sys.getrecursionlimit(), 100000))

    @staticmethod
    def _order(node: int) -> int:
        """Age order: animal i at 2i + 1, a litter's parent at 2l (just before its leader l)."""
        return node if node > 0 else 2 * ((-node - 2) // 2)

    def _candidates(self, node: int) -> list[tuple[int, float]]:
        lead, tag = (-node - 2) // 2, (-node - 2) % 2
        mult = self.ped.sire_mult if tag == 0 else self.ped.dam_mult
        return [(2 * c + 1, p) for c, p in mult.of(lead)]

    def F(self, i: int) -> float:
        s, d = self.slot[i]
        if not s and not d:
            return float(self.ped.founder_inbreeding[i])
        return sum(ps * pd * self._phi(a, b) for a, ps in s for b, pd in d)

    def phi(self, i: int, j: int) -> float:
        return self._phi(2 * i + 1, 2 * j + 1)

    def _phi(self, x: int, y: int) -> float:
        if self._order(x) > self._order(y):
            x, y = y, x
        key = (x, y)
        v = self.memo.get(key)
        if v is not None:
            return v
        if x == y and x > 0:
            v = 0.5 * (1.0 + self.F((x - 1) // 2))
        elif x == y:  # the litter's parent is one candidate: Σ π_k φ(c_k, c_k)
            v = sum(p * self._phi(c, c) for c, p in self._candidates(x))
        elif y < 0:  # y a litter's parent, x older: the mixture
            v = sum(p * self._phi(x, c) for c, p in self._candidates(y))
        else:
            s, d = self.slot[(y - 1) // 2]
            v = 0.5 * (sum(w * self._phi(x, p) for p, w in s)
                       + sum(w * self._phi(x, p) for p, w in d))
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
    """The full N×N φ matrix by the tabular method (row by row, parents first).

    Each MULT litter's parent is one extra row, placed just before the litter's first
    animal: its row is Σ_k π_k (row of c_k) and its diagonal Σ_k π_k φ(c_k, c_k).
    """
    n = ped.n
    rows: list[tuple[str, int, int]] = []  # ("v", leader, tag) or ("a", i, 0)
    for i in range(n):
        for tag, mult in enumerate((ped.sire_mult, ped.dam_mult)):
            if mult.litters()[i] == i:
                rows.append(("v", i, tag))
        rows.append(("a", i, 0))
    at = {(kind, i, tag): r for r, (kind, i, tag) in enumerate(rows)}
    m = len(rows)
    phi = np.zeros((m, m))
    for r, (kind, i, tag) in enumerate(rows):
        if kind == "v":
            cand = [(at[("a", c, 0)], p) for c, p in (ped.sire_mult, ped.dam_mult)[tag].of(i)]
            row = sum((p * phi[c, :r] for c, p in cand), np.zeros(r))
            phi[r, :r] = phi[:r, r] = row
            phi[r, r] = sum(p * phi[c, c] for c, p in cand)
            continue
        sd = []
        for t, (par, mult) in enumerate(((ped.sire, ped.sire_mult), (ped.dam, ped.dam_mult))):
            if par[i] >= 0:
                sd.append([(at[("a", int(par[i]), 0)], 1.0)])
            elif mult.ptr[i + 1] > mult.ptr[i]:
                sd.append([(at[("v", int(mult.litters()[i]), t)], 1.0)])
            else:
                sd.append([])
        s, d = sd
        row = np.zeros(r)
        for p, w in s + d:
            row += 0.5 * w * phi[p, :r]
        phi[r, :r] = row
        phi[:r, r] = row
        if not s and not d:
            f = float(ped.founder_inbreeding[i])
        else:
            f = sum(ws * wd * phi[a, b] for a, ws in s for b, wd in d)
        phi[r, r] = 0.5 * (1.0 + f)
    keep = [at[("a", i, 0)] for i in range(n)]
    return phi[np.ix_(keep, keep)]
