"""Internal: the pedigree as a weighted parent graph, and its triangular sweeps.

All kinship algorithms here work on the factorisation of the additive
relationship matrix (Henderson 1976; Quaas 1976)::

    A = 2Φ = T D Tᵀ,   T = (I − P)⁻¹,

where ``P[c, p]`` is the weight of parent node ``p`` in child node ``c`` and ``D``
is diagonal (Mendelian-sampling variances). ``T[i, a]`` is the expected share of
``i``'s genome coming from ``a``.

Nodes are the animals ``0..n-1`` plus one *virtual node* per MULT litter
(``n..n+V-1``: sire litters in the index order of their first animal, then dam
litters); a MULT slot not shared with littermates is a litter of one. An animal
has weight ½ on its sire-slot node and ½ on its dam-slot node; a virtual node
``v`` has weight ``π_k`` on each candidate ``k``. It stands for *one* unknown
parent, candidate ``k`` with probability ``π_k`` (Lacy 2012), so
``A_vx = Σ_k π_k A_kx`` for every other node ``x`` and ``A_vv = Σ_k π_k A_kk``;
hence its Mendelian term is ``D_v = Σ_k π_k A_kk − Σ_k Σ_l π_k π_l A_kl ≥ 0``
(the variance of the draw). Littermates of one mating share ``v`` and are full
(or half) sibs whoever the parent is; for a litter of one, ``D_v`` cancels out
of every kinship (the child's own ``D`` absorbs it). An unknown or WILD
slot has no edge: it is a phantom founder whose contribution lives in ``D`` of
the child (``D = 1 − ¼ A_known-parent``).

Sweeps are vectorised per generation level (longest path from the founders):
``forward`` computes ``T w`` (solve ``(I − P) z = w``) and ``backward``
computes ``Tᵀ x``, both O(nodes + edges) per column.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from studbook.pedigree import Pedigree, _levels

I64 = NDArray[np.int64]


@dataclass(frozen=True, eq=False)
class NodeGraph:
    """Weighted parent graph of a pedigree (animals + MULT virtual nodes).

    Attributes:
        n_animals: Number of animals (nodes ``0..n-1``).
        n_nodes: Animals plus virtual MULT nodes.
        sire_node / dam_node: Node of each animal's slot (-1 = unknown/WILD).
        par_ptr, par_idx, par_w: CSR parent lists with weights for every node.
        level: Longest-path depth of every node (founders 0).
        virtual: ``True`` for virtual nodes.
    """

    n_animals: int
    n_nodes: int
    sire_node: I64
    dam_node: I64
    par_ptr: I64
    par_idx: I64
    par_w: NDArray[np.float64]
    level: NDArray[np.int32]
    virtual: NDArray[np.bool_]
    # per level: forward rounds [(c, p, w), ...] with unique c within a round
    fwd: tuple[tuple[tuple[I64, I64, NDArray[np.float64]], ...], ...]
    # per level: (c, w, parent-sorted order, unique parents, group starts)
    bwd: tuple[tuple[I64, NDArray[np.float64], I64, I64, I64], ...]
    _cache: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def max_level(self) -> int:
        return len(self.fwd) - 1

    def forward(self, w: np.ndarray) -> np.ndarray:
        """``T w``: solve ``(I − P) z = w`` parents first. ``w`` is (nodes,) or (nodes, k)."""
        z = np.array(w, copy=True)
        two_d = z.ndim == 2
        for rounds in self.fwd[1:]:
            for c, p, wt in rounds:
                z[c] += (wt[:, None] if two_d else wt).astype(z.dtype, copy=False) * z[p]
        return z

    def backward(self, x: np.ndarray) -> np.ndarray:
        """``Tᵀ x``: accumulate children into parents, youngest level first."""
        y = np.array(x, copy=True)
        two_d = y.ndim == 2
        for c, wt, order, up, starts in reversed(self.bwd[1:]):
            if len(c) == 0:
                continue
            contrib = (wt[:, None] if two_d else wt).astype(y.dtype, copy=False) * y[c]
            y[up] += np.add.reduceat(contrib[order], starts, axis=0)
        return y


    def spmm(self, dtype: np.dtype) -> SpmmSweeps:
        """Per-level sparse operators for many-column sweeps (imports scipy)."""
        key = f"spmm_{np.dtype(dtype).name}"
        op = self._cache.get(key)
        if op is None:
            op = SpmmSweeps.build(self, np.dtype(dtype))
            self._cache[key] = op
        return op


@dataclass(frozen=True, eq=False)
class SpmmSweeps:
    """Triangular sweeps for dense blocks of columns, nodes in level order.

    Nodes are renumbered by level (``rank``), so level ``L`` is the contiguous
    slice ``lo:hi`` and each sweep step is one sparse × dense product in C
    (scipy.sparse): forward ``Z[lo:hi] += P_L Z[:lo]``, backward
    ``Y[parents] += P_Lᵀ Y[lo:hi]``.
    """

    rank: I64                      # node -> row in level order
    steps: tuple[tuple[int, int, Any, I64, Any], ...]  # lo, hi, P_L, parents, P_Lᵀ

    @classmethod
    def build(cls, g: NodeGraph, dtype: np.dtype) -> SpmmSweeps:
        import scipy.sparse as sp

        N = g.n_nodes
        perm = np.argsort(g.level, kind="stable")
        rank = np.empty(N, np.int64)
        rank[perm] = np.arange(N)
        lv = g.level[perm]
        bounds = np.searchsorted(lv, np.arange(int(lv.max()) + 2 if N else 1))
        child = np.repeat(np.arange(N, dtype=np.int64), np.diff(g.par_ptr))
        rc, rp = rank[child], rank[g.par_idx]
        o = np.argsort(rc, kind="stable")
        rc, rp, w = rc[o], rp[o], g.par_w[o].astype(dtype)
        eb = np.searchsorted(rc, bounds)
        steps = []
        for L in range(1, len(bounds) - 1):
            lo, hi = int(bounds[L]), int(bounds[L + 1])
            a, b = eb[L], eb[L + 1]
            cc, pp, ww = rc[a:b] - lo, rp[a:b], w[a:b]
            fwd = sp.csr_matrix((ww, (cc, pp)), shape=(hi - lo, lo))
            parents, pinv = np.unique(pp, return_inverse=True)
            bwd = sp.csr_matrix((ww, (pinv, cc)), shape=(len(parents), hi - lo))
            steps.append((lo, hi, fwd, parents, bwd))
        return cls(rank, tuple(steps))

    def forward(self, Z: np.ndarray) -> np.ndarray:
        """In place ``Z ← T Z`` for ``Z`` in level order, shape (nodes, k)."""
        for lo, hi, fwd, _, _ in self.steps:
            Z[lo:hi] += fwd @ Z[:lo]
        return Z

    def backward(self, Y: np.ndarray) -> np.ndarray:
        """In place ``Y ← Tᵀ Y`` for ``Y`` in level order, shape (nodes, k)."""
        for lo, hi, _, parents, bwd in reversed(self.steps):
            Y[parents] += bwd @ Y[lo:hi]
        return Y


def build_graph(ped: Pedigree) -> NodeGraph:
    """Node graph of ``ped`` (cached on the pedigree)."""
    g = ped._cache.get("node_graph")
    if g is None:
        g = _build(ped)
        ped._cache["node_graph"] = g
    return g


def _build(ped: Pedigree) -> NodeGraph:
    n = ped.n
    sm, dm = ped.sire_mult, ped.dam_mult
    vs = sm.leaders()  # one virtual node per litter, named by its first animal
    vd = dm.leaders()
    n_virtual = len(vs) + len(vd)
    n_nodes = n + n_virtual
    sire_node = ped.sire.astype(np.int64)
    dam_node = ped.dam.astype(np.int64)
    for m, owners, node, base in ((sm, vs, sire_node, n), (dm, vd, dam_node, n + len(vs))):
        of_leader = np.full(n, -1, np.int64)
        of_leader[owners] = base + np.arange(len(owners))
        lit = m.litters().astype(np.int64)
        node[lit >= 0] = of_leader[lit[lit >= 0]]

    # edges (child, parent, weight, round)
    animals = np.arange(n, dtype=np.int64)
    ks, kd = sire_node >= 0, dam_node >= 0
    ch = [animals[ks], animals[kd]]
    pa = [sire_node[ks], dam_node[kd]]
    wt = [np.full(int(ks.sum()), 0.5), np.full(int(kd.sum()), 0.5)]
    rd = [np.zeros(int(ks.sum()), np.int64), np.ones(int(kd.sum()), np.int64)]
    for mult, owners, base in ((sm, vs, n), (dm, vd, n + len(vs))):
        if len(owners) == 0:
            continue
        counts = np.diff(mult.ptr)[owners]
        vnode = np.repeat(base + np.arange(len(owners)), counts)
        pos = np.concatenate([np.arange(mult.ptr[o], mult.ptr[o + 1]) for o in owners])
        ch.append(vnode)
        pa.append(mult.cand[pos].astype(np.int64))
        wt.append(mult.prob[pos].astype(np.float64))
        rd.append(pos - np.repeat(mult.ptr[owners], counts))
    c = np.concatenate(ch)
    p = np.concatenate(pa)
    w = np.concatenate(wt)
    r = np.concatenate(rd)

    level = _levels(n_nodes, c, p)
    o = np.argsort(c, kind="stable")
    par_ptr = np.concatenate([[0], np.cumsum(np.bincount(c, minlength=n_nodes))]).astype(np.int64)
    par_idx, par_w = p[o], w[o]

    max_level = int(level.max()) if n_nodes else 0
    lc = level[c] if len(c) else np.zeros(0, np.int32)
    o2 = np.lexsort((r, lc))
    c2, p2, w2, r2, l2 = c[o2], p[o2], w[o2], r[o2], lc[o2]
    lb = np.searchsorted(l2, np.arange(max_level + 2))
    fwd: list[tuple[tuple[I64, I64, NDArray[np.float64]], ...]] = [()]
    bwd: list[tuple[I64, NDArray[np.float64], I64, I64, I64]] = [
        (np.zeros(0, np.int64), np.zeros(0), np.zeros(0, np.int64),
         np.zeros(0, np.int64), np.zeros(0, np.int64))]
    for L in range(1, max_level + 1):
        a, b = lb[L], lb[L + 1]
        cl, pl, wl, rl = c2[a:b], p2[a:b], w2[a:b], r2[a:b]
        rb = np.searchsorted(rl, np.arange(int(rl.max()) + 2)) if len(rl) else [0]
        fwd.append(tuple((cl[rb[k]:rb[k + 1]], pl[rb[k]:rb[k + 1]], wl[rb[k]:rb[k + 1]])
                         for k in range(len(rb) - 1) if rb[k + 1] > rb[k]))
        order = np.argsort(pl, kind="stable")
        ps = pl[order]
        starts = np.flatnonzero(np.r_[True, ps[1:] != ps[:-1]]) if len(ps) else np.zeros(0, np.int64)
        bwd.append((cl, wl, order, ps[starts], starts))
    virtual = np.zeros(n_nodes, dtype=bool)
    virtual[n:] = True
    return NodeGraph(n, n_nodes, sire_node, dam_node, par_ptr, par_idx, par_w,
                     level, virtual, tuple(fwd), tuple(bwd))


def sub_pedigree(ped: Pedigree, mask: NDArray[np.bool_]) -> tuple[Pedigree, I64]:
    """The animals in ``mask`` (which must be closed under ancestry) as a pedigree.

    Returns the sub-pedigree and the original index of each of its animals.
    Kinship among the kept animals is unchanged because every ancestor is kept.
    """
    old = np.flatnonzero(mask)
    if len(old) == ped.n:
        return ped, old
    new = np.full(ped.n, -1, np.int64)
    new[old] = np.arange(len(old))

    def rp(a: np.ndarray) -> np.ndarray:
        a = a[old]
        return np.where(a >= 0, new[np.maximum(a, 0)], -1).astype(np.int32)

    def rm(m):  # type: ignore[no-untyped-def]
        from studbook.pedigree import MultParents
        counts = np.diff(m.ptr)[old]
        pos = np.concatenate([np.arange(m.ptr[o], m.ptr[o + 1]) for o in old[counts > 0]]) \
            if counts.any() else np.zeros(0, np.int64)
        lit = m.litters()[old].astype(np.int64)  # old first-littermate index
        has = lit >= 0
        new_lit = np.full(len(old), -1, np.int32)
        if has.any():  # the first kept member heads the litter (old and new orders agree)
            u, first, inv = np.unique(lit[has], return_index=True, return_inverse=True)
            new_lit[has] = np.flatnonzero(has)[first][inv]
        return MultParents(np.concatenate([[0], np.cumsum(counts)]).astype(np.int64),
                           new[m.cand[pos]].astype(np.int32), m.prob[pos], new_lit)

    sub = Pedigree(
        ids=tuple(ped.ids[i] for i in old), sire=rp(ped.sire), dam=rp(ped.dam),
        sex=ped.sex[old], alive=ped.alive[old], in_analysis=ped.in_analysis[old],
        sire_wild=ped.sire_wild[old], dam_wild=ped.dam_wild[old],
        birth_year=ped.birth_year[old], founder_inbreeding=ped.founder_inbreeding[old],
        sire_mult=rm(ped.sire_mult), dam_mult=rm(ped.dam_mult))
    return sub, old


def expand_parents(g: NodeGraph, r: I64, a: I64,
                    t: NDArray[np.float64]) -> tuple[I64, I64, NDArray[np.float64]]:
    """Replace entries (row, node, coef) by (row, parent, coef·weight)."""
    start = g.par_ptr[a]
    deg = g.par_ptr[a + 1] - start
    tot = int(deg.sum())
    if tot == 0:
        z = np.zeros(0, np.int64)
        return z, z, np.zeros(0)
    offs = np.arange(tot) - np.repeat(np.cumsum(deg) - deg, deg)
    pos = np.repeat(start, deg) + offs
    return np.repeat(r, deg), g.par_idx[pos], np.repeat(t, deg) * g.par_w[pos]


def walk_ancestors(g: NodeGraph, r: I64, a: I64, t: NDArray[np.float64], top: int, m: int,
                   visit: Callable[[int, I64, I64, NDArray[np.float64]], None]) -> None:
    """Meuwissen–Luo ancestor tracing, vectorised over many rows.

    Starts from entries ``(row, node, coefficient)`` (all nodes below level
    ``top``) and, level by level from the youngest, sums the coefficients per
    (row, node) — final once the level is reached, because every descendant of a
    node has a higher level — calls ``visit(level, rows, nodes, T)`` and passes
    ``T · weight`` on to the node's parents. ``m`` bounds the row ids.
    """
    N = g.n_nodes
    buckets: list[list[tuple[I64, I64, NDArray[np.float64]]]] = [[] for _ in range(top)]

    def push(r: I64, a: I64, t: NDArray[np.float64]) -> None:
        if len(a) == 0:
            return
        lv = g.level[a]
        lo, hi = int(lv.min()), int(lv.max())
        if lo == hi:
            buckets[lo].append((r, a, t))
            return
        o = np.argsort(lv.astype(np.int16), kind="stable")  # radix sort
        counts = np.bincount(lv, minlength=hi + 1)
        cuts = np.cumsum(counts)
        r, a, t = r[o], a[o], t[o]
        for L in range(lo, hi + 1):
            if counts[L]:
                b, e = cuts[L] - counts[L], cuts[L]
                buckets[L].append((r[b:e], a[b:e], t[b:e]))

    push(r, a, t)
    for L in range(top - 1, -1, -1):
        parts = buckets[L]
        if not parts:
            continue
        buckets[L] = []
        if len(parts) == 1:
            r, a, t = parts[0]
        else:
            r = np.concatenate([p[0] for p in parts])
            a = np.concatenate([p[1] for p in parts])
            t = np.concatenate([p[2] for p in parts])
        o, ks = _argsort_keys(r * N + a, m * N)
        st = np.flatnonzero(np.r_[True, ks[1:] != ks[:-1]])
        t = np.add.reduceat(t[o], st)
        ks = ks[st]
        r, a = ks // N, ks % N
        visit(L, r, a, t)
        if L > 0:
            push(*expand_parents(g, r, a, t))


def ancestor_coefficients(g: NodeGraph, rows: I64) -> tuple[I64, I64, NDArray[np.float64]]:
    """Sparse rows of ``T`` for ``rows``: entries ``(k, node, T[rows[k], node])``.

    Includes the node itself (``T_ii = 1``); sorted by ``k``. Memory is the
    total number of ancestors of ``rows``.
    """
    m = len(rows)
    out: list[tuple[I64, I64, NDArray[np.float64]]] = []

    def visit(L: int, r: I64, a: I64, t: NDArray[np.float64]) -> None:
        out.append((r, a, t))

    top = int(g.level[rows].max()) + 1 if m else 0
    walk_ancestors(g, np.arange(m, dtype=np.int64), np.asarray(rows, np.int64), np.ones(m),
                   top, m, visit)
    if not out:
        z = np.zeros(0, np.int64)
        return z, z, np.zeros(0)
    r = np.concatenate([o[0] for o in out])
    a = np.concatenate([o[1] for o in out])
    t = np.concatenate([o[2] for o in out])
    o = np.argsort(r, kind="stable")
    return r[o], a[o], t[o]


def _argsort_keys(key: I64, key_bound: int) -> tuple[I64, I64]:
    """``argsort`` of non-negative keys and the sorted keys.

    Packs ``(key, position)`` into one int64 when the bits allow and uses the
    (much faster, SIMD) value sort; falls back to ``argsort`` otherwise.
    """
    nb = max(int(len(key) - 1).bit_length(), 1)
    kb = max(int(key_bound).bit_length(), 1)
    if kb + nb <= 62:
        packed = np.sort((key << nb) | np.arange(len(key), dtype=np.int64))
        return packed & ((1 << nb) - 1), packed >> nb
    o = np.argsort(key)
    return o, key[o]
