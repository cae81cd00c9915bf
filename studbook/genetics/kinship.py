"""Kinship coefficients φ by Colleau's indirect method (no N×N matrix).

Definition: φ_ij is the probability that an allele drawn at random from ``i``
and one drawn from ``j`` are identical by descent relative to the founders::

    φ_ii = ½(1 + F_i),   F_i = φ(sire_i, dam_i),
    φ_ij = ½(φ(i, sire_j) + φ(i, dam_j))      (j not an ancestor of i).

An unknown or WILD parent is a unique phantom founder (φ = 0 with everybody);
a MULT slot is the mixture of its candidates, φ(i, slot) = Σ_k π_k φ(i, c_k)
(Lacy 2012).

Method (Colleau 2002): with ``A = 2Φ = T D Tᵀ`` and ``T⁻¹ = I − P`` sparse
(parent weights), a product ``Φ x = ½ T (D (Tᵀ x))`` costs two triangular sweeps
over the parent arrays, O(N) per column. This module works with **Φ directly**
(``kinship_times`` returns ``Φ x``, not ``A x``).

References:
    Colleau, J.-J. (2002) An indirect approach to the extensive calculation of
    relationship coefficients. Genet. Sel. Evol. 34:409–421.
    Henderson, C.R. (1976) A simple method for computing the inverse of a
    numerator relationship matrix. Biometrics 32:69–83.
    Lacy, R.C. (2012) J. Hered. 103:197–205.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import DTypeLike, NDArray

from studbook.genetics._graph import ancestor_coefficients, build_graph, sub_pedigree
from studbook.genetics.inbreeding import diag_state
from studbook.pedigree import Pedigree

_SPMM_MIN_NODES = 20_000  # below this, numpy sweeps (avoid importing scipy)


def _as_index(ped: Pedigree, idx: NDArray[np.integer] | list[int] | None) -> NDArray[np.int64]:
    if idx is None:
        return ped.living
    out = np.asarray(idx, dtype=np.int64).reshape(-1)
    if len(out) and (out.min() < 0 or out.max() >= ped.n):
        raise IndexError("animal index out of range")
    return out


def kinship_times(ped: Pedigree, x: np.ndarray) -> NDArray[np.float64]:
    """``Φ x`` over the whole pedigree (Colleau 2002), O(N) per column.

    Args:
        ped: The pedigree.
        x: Array of shape ``(n,)`` or ``(n, k)`` indexed like ``ped``.

    Returns:
        ``Φ x`` with the shape of ``x`` (float64). Note: Φ (kinship), i.e. half
        the numerator relationship matrix A.

    Example:
        Full sibs C, D of unrelated A × B: φ_CD = ¼, φ_CC = ½.

        >>> from studbook.pedigree import Pedigree, PedigreeRecord as R
        >>> ped = Pedigree.from_records([R("A", sex="M"), R("B", sex="F"),
        ...     R("C", "A", "B"), R("D", "A", "B")])
        >>> kinship_times(ped, np.array([0.0, 0.0, 0.0, 1.0])).tolist()
        [0.25, 0.25, 0.25, 0.5]
    """
    x = np.asarray(x, dtype=np.float64)
    if x.shape[0] != ped.n:
        raise ValueError(f"x must have {ped.n} rows")
    D = diag_state(ped).D
    nodes = ped._cache.get("numba_nodes")
    if nodes is not None and "node_graph" not in ped._cache:
        # F came from the compiled kernel: sweep its node arrays (no node graph to build)
        from studbook.genetics import _numba_kernels

        return _numba_kernels.colleau(ped, nodes, D, x)
    g = build_graph(ped)
    xe = np.zeros((g.n_nodes,) + x.shape[1:])
    xe[: ped.n] = x
    y = g.backward(xe)
    y *= D if y.ndim == 1 else D[:, None]
    return 0.5 * g.forward(y)[: ped.n]


def kinship_matrix(ped: Pedigree, idx: NDArray[np.integer] | list[int] | None = None, *,
                   dtype: DTypeLike = np.float64, block: int = 512, out: np.ndarray | None = None) -> np.ndarray:
    """Square kinship matrix Φ among the animals ``idx`` (default: ``ped.living``).

    Colleau's indirect method on the ancestor-pruned pedigree: for each block
    of ``block`` columns, ``Φ[:, J] = ½ T (D Tᵀ E_J)``. ``Tᵀ E_J`` (the ancestor
    coefficients of J) is sparse and traced once for all columns; the product
    with ``T`` is one forward triangular sweep (a sparse × dense product per
    generation level, scipy.sparse imported lazily);
    rows ``idx`` are kept. Memory: the result plus ``block`` columns over the
    ancestors of ``idx`` — never an N×N matrix of the whole pedigree.

    Args:
        ped: The pedigree.
        idx: Animal indices (rows/columns, in this order). Default: living
            analysis population.
        dtype: ``np.float64`` (default) or ``np.float32`` to halve memory for
            very large matrices (sweeps then run in float32, ~1e-7 relative).
        block: Columns per sweep.
        out: Where to write the result (shape ``(len(idx), len(idx))``, C order, of
            ``dtype``), e.g. a ``numpy.lib.format.open_memmap`` of a ``.npy`` file, so the
            matrix goes to disk without a second copy in memory. Each sweep writes its
            column slab (contiguous row pieces, no transposed copy), then the matrix is
            symmetrised by tiles.

    Returns:
        ``(len(idx), len(idx))`` symmetric array (``out`` when given).

    Example:
        >>> from studbook.pedigree import Pedigree, PedigreeRecord as R
        >>> ped = Pedigree.from_records([R("A", sex="M"), R("B", sex="F"),
        ...     R("C", "A", "B", sex="M"), R("D", "A", "B", sex="F"), R("E", "C", "D")])
        >>> kinship_matrix(ped, [2, 3, 4]).tolist()
        [[0.5, 0.25, 0.375], [0.25, 0.5, 0.375], [0.375, 0.375, 0.625]]
    """
    dt: np.dtype[Any] = np.dtype(dtype)
    if dt not in (np.dtype(np.float64), np.dtype(np.float32)):
        raise ValueError("dtype must be float64 or float32")
    idx = _as_index(ped, idx)
    k = len(idx)
    if out is None:
        out = np.empty((k, k), dtype=dt)
    elif out.shape != (k, k) or out.dtype != dt or not out.flags.c_contiguous:
        raise ValueError(f"out must be a C-contiguous ({k}, {k}) array of {dt}")
    if k == 0:
        return out
    sub, old = sub_pedigree(ped, ped.ancestors_mask(idx))
    g = build_graph(sub)
    D = _sub_D(ped, sub, old, g.n_nodes)
    new = np.full(ped.n, -1, np.int64)
    new[old] = np.arange(len(old))
    # Tᵀ E_J is sparse (ancestors of J): trace it once for all columns
    col, anc, coef = ancestor_coefficients(g, new[idx])
    val = (coef * D[anc]).astype(dt)
    sweep: Callable[[np.ndarray], np.ndarray]
    if g.n_nodes >= _SPMM_MIN_NODES:
        sw = g.spmm(dt)
        rank, sweep = sw.rank, sw.forward
    else:  # small: numpy-only sweeps, no scipy import
        rank, sweep = np.arange(g.n_nodes), g.forward
    row = rank[anc]
    pos = rank[new[idx]]
    cut = np.searchsorted(col, np.arange(0, k + block, block))
    half = dt.type(0.5)
    X = np.empty((g.n_nodes, min(block, k)), dtype=dt)
    for a in range(0, k, block):
        b = min(a + block, k)
        W = X[:, : b - a]
        W[...] = 0.0
        e0, e1 = cut[a // block], cut[a // block + 1]
        W[row[e0:e1], col[e0:e1] - a] = val[e0:e1]
        W = sweep(W)
        # column slab: row i of out gets W[pos[i]], one contiguous piece (no transposed copy)
        np.multiply(W[pos], half, out=out[:, a:b])
    _symmetrize(out)
    return out


def _sub_D(ped: Pedigree, sub: Pedigree, old: NDArray[np.int64], n_nodes: int) -> NDArray[np.float64]:
    """``D`` of every node of the ancestor-pruned ``sub`` (virtual MULT nodes included).

    Reuses the whole pedigree's ``D`` when it is cached: an animal keeps its ``D``
    (all its ancestors are kept) and a litter's virtual node is the one its kept
    members point to in the whole pedigree.
    """
    if sub is ped:
        return diag_state(ped).D
    if "diag_state" not in ped._cache:
        return diag_state(sub).D
    Dp = diag_state(ped).D
    gp, gs = build_graph(ped), build_graph(sub)
    D = np.zeros(n_nodes)
    D[: sub.n] = Dp[old]
    for s_node, p_node in ((gs.sire_node, gp.sire_node), (gs.dam_node, gp.dam_node)):
        v = s_node >= sub.n
        D[s_node[v]] = Dp[p_node[old[v]]]
    return D


def _symmetrize(a: np.ndarray, tile: int = 256) -> None:
    """In place ``a ← (a + aᵀ)/2`` by cache-friendly tiles (exact symmetry)."""
    k = a.shape[0]
    half = a.dtype.type(0.5)
    for i in range(0, k, tile):
        ie = min(i + tile, k)
        for j in range(i, k, tile):
            je = min(j + tile, k)
            m = (a[i:ie, j:je] + a[j:je, i:ie].T) * half
            a[i:ie, j:je] = m
            a[j:je, i:ie] = m.T
