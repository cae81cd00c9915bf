"""Inbreeding coefficients F and the Mendelian-sampling variances D.

Definition: F_i is the probability that the two alleles of ``i`` at a locus are
identical by descent, ``F_i = φ(sire_i, dam_i)``.

Method: the ancestor-list algorithm of Meuwissen & Luo (1992), vectorised. With
``A = 2Φ = T D Tᵀ`` (see :mod:`studbook.genetics._graph`)::

    1 + F_i = A_ii = Σ_a T_ia² D_a,
    D_i = 1 − ¼(A_SS + A_DD)          (animal with parent slots S, D;
                                       an unknown/WILD slot contributes 0)
    D_f = 1 + F_f                      (founder; F_f = founder_inbreeding)
    A_vv = Σ_k π_k A_kk,  D_v = A_vv − Σ_k Σ_l π_k π_l A_kl
                                      (MULT virtual node v, candidates k)

An unknown/WILD slot is a phantom founder (unrelated to everybody); it has
no node, its Mendelian share is absorbed in ``D`` of the child. A MULT slot is one
unknown parent, candidate ``k`` with probability ``π_k``, shared by the littermates
of one mating (:mod:`studbook.genetics._graph`): so
``F_o = φ(S, D) = Σ_k Σ_l π_k π'_l φ(s_k, d_l)`` (Lacy 2012), and two littermates of
sire MULT(S1 ½, S2 ½) and dam D (all unrelated, not inbred) are full sibs, φ = ¼,
whoever the sire is (young not of one litter: φ = 3/16).

Instead of tracing each animal's ancestors one by one in Python, all animals of
one generation level (deduplicated by parent pair, so full sibs are traced once)
are traced together: ancestor contributions ``T_ia`` are bucketed by the level of
``a``, summed per (animal, ancestor) when the level is reached (all descendants of
``a`` have higher levels, so the sum is then final), squared, weighted by
``D_a`` and pushed on to the parents of ``a``. Memory is O(N) plus one chunk of
ancestor lists; time is O(Σ_i |ancestors(i)| · log).

Big pedigrees (``NUMBA_MIN_NODES`` nodes or more) use the compiled kernel of
:mod:`studbook.genetics._numba_kernels` when numba is installed (optional extra
``fast``; imported lazily, disabled by ``STUDBOOK_NO_NUMBA=1``). It gives the same
``D`` and ``diag(A)`` on the same node numbering and fills the same cache.

References:
    Meuwissen, T.H.E. & Luo, Z. (1992) Computing inbreeding coefficients in large
    populations. Genet. Sel. Evol. 24:305–313.
    Sargolzaei, M. & Iwaisaki, H. (2005) Comparison of four direct algorithms for
    computing inbreeding coefficients. Anim. Sci. J. 76:401–406.
    Lacy, R.C. (2012) Extending pedigree analysis for uncertain parentage and
    diverse breeding strategies. J. Hered. 103:197–205.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from studbook.genetics._graph import NodeGraph, build_graph, expand_parents, walk_ancestors
from studbook.pedigree import Pedigree

FloatArray = NDArray[np.float64]
_CHUNK_ROWS = 32768
NUMBA_MIN_NODES = 50_000
"""Pedigrees with at least this many nodes use the compiled kernel when numba
is installed (the optional ``fast`` extra) and ``STUDBOOK_NO_NUMBA`` is unset."""


@dataclass(frozen=True, eq=False)
class DiagState:
    """Per-node diagonal quantities: ``D`` and ``A_nn`` (= 2φ_nn)."""

    D: FloatArray
    A_diag: FloatArray


def inbreeding(ped: Pedigree) -> FloatArray:
    """Inbreeding coefficient F of every animal (index order of ``ped``).

    ``F_i = φ(sire_i, dam_i)``; founders get ``founder_inbreeding``; an animal
    with exactly one known parent has F = 0 (its unknown parent is a unique
    phantom founder); MULT slots are probability-weighted mixtures (Lacy 2012).
    Method of Meuwissen & Luo (1992), vectorised by generation (module docs).

    Args:
        ped: The pedigree.

    Returns:
        float64 array of length ``ped.n`` (read-only; cached on ``ped``).

    Example:
        Offspring of full sibs has F = 1/4, of half sibs 1/8:

        >>> from studbook.pedigree import Pedigree, PedigreeRecord as R
        >>> ped = Pedigree.from_records([R("A", sex="M"), R("B", sex="F"),
        ...     R("X", sex="F"), R("C", "A", "B", sex="M"), R("D", "A", "B", sex="F"),
        ...     R("E", "C", "D"), R("H", "A", "X", sex="F"), R("G", "C", "H")])
        >>> F = dict(zip(ped.ids, inbreeding(ped).tolist()))
        >>> F["E"], F["G"]
        (0.25, 0.125)
    """
    return diag_state(ped).A_diag[: ped.n] - 1.0


def diag_state(ped: Pedigree) -> DiagState:
    """``D`` and ``diag(A)`` for every node (cached on ``ped``)."""
    st = ped._cache.get("diag_state")
    if st is None:
        st = None
        if _use_numba(ped):
            try:
                st = _compute_numba(ped)
            except Exception as exc:  # a numba/llvmlite the kernel was not built for: same numbers, slower
                import warnings

                warnings.warn(f"numba kernel unavailable ({type(exc).__name__}: {exc}); using numpy",
                              RuntimeWarning, stacklevel=2)
        if st is None:
            st = _compute(ped, build_graph(ped))
        st.D.flags.writeable = False
        st.A_diag.flags.writeable = False
        ped._cache["diag_state"] = st
    return st


def _n_nodes(ped: Pedigree) -> int:
    return ped.n + len(ped.sire_mult.leaders()) + len(ped.dam_mult.leaders())


def _use_numba(ped: Pedigree) -> bool:
    """Big pedigree, numba importable and not disabled by ``STUDBOOK_NO_NUMBA``."""
    if os.environ.get("STUDBOOK_NO_NUMBA", "") not in ("", "0"):
        return False
    if _n_nodes(ped) < NUMBA_MIN_NODES:
        return False
    try:
        import numba  # noqa: F401
    except ImportError:
        return False
    return True


def _compute_numba(ped: Pedigree) -> DiagState:
    """Same as :func:`_compute` with the compiled kernel (needs numba)."""
    from studbook.genetics import _numba_kernels

    D, A = _numba_kernels.diag(ped, keep=ped._cache)  # its node arrays serve kinship_times too
    return DiagState(D, A)


def _compute(ped: Pedigree, g: NodeGraph) -> DiagState:
    N = g.n_nodes
    D = np.zeros(N)
    A = np.zeros(N)
    level = g.level
    if N == 0:
        return DiagState(D, A)
    by_level = np.argsort(level, kind="stable")
    bounds = np.searchsorted(level[by_level], np.arange(int(level.max()) + 2))
    f0 = by_level[bounds[0]:bounds[1]]  # founders (all animals)
    D[f0] = 1.0 + ped.founder_inbreeding[f0]
    A[f0] = D[f0]
    for L in range(1, int(level.max()) + 1):
        nodes = by_level[bounds[L]:bounds[L + 1]]
        virt = nodes[g.virtual[nodes]]
        an = nodes[~g.virtual[nodes]]
        # deduplicate animals by parent-slot pair (full sibs share everything)
        key = (g.sire_node[an] + 1) * (N + 1) + (g.dam_node[an] + 1)
        uk, first, inv = np.unique(key, return_index=True, return_inverse=True)
        rows = np.concatenate([an[first], virt])
        q = np.empty(len(rows))
        for a in range(0, len(rows), _CHUNK_ROWS):
            q[a:a + _CHUNK_ROWS] = _ancestor_sum(g, D, rows[a:a + _CHUNK_ROWS], L)
        qa = q[: len(first)][inv]
        s, d = g.sire_node[an], g.dam_node[an]
        # a phantom (unknown/WILD) slot is absorbed in D: A = D + ¼ A_known
        As = np.where(s >= 0, A[np.maximum(s, 0)], 0.0)
        Ad = np.where(d >= 0, A[np.maximum(d, 0)], 0.0)
        D[an] = 1.0 - 0.25 * (As + Ad)
        A[an] = D[an] + qa
        # a virtual node is one candidate drawn at random: A_vv = Σ π_k A_kk; D_v is the
        # part of it its ancestors do not explain (q = Σ_kl π_k π_l A_kl)
        A[virt] = _mixed_diag(g, A, virt)
        D[virt] = np.maximum(A[virt] - q[len(first):], 0.0)
    return DiagState(D, A)


def _mixed_diag(g: NodeGraph, A: FloatArray, virt: NDArray[np.int64]) -> FloatArray:
    """``Σ_k π_k A_kk`` of every virtual node (its candidates are on lower levels)."""
    start, stop = g.par_ptr[virt], g.par_ptr[virt + 1]
    deg = stop - start
    pos = np.repeat(start, deg) + (np.arange(int(deg.sum())) - np.repeat(np.cumsum(deg) - deg, deg))
    out: FloatArray = np.bincount(np.repeat(np.arange(len(virt)), deg), weights=g.par_w[pos] * A[g.par_idx[pos]],
                                  minlength=len(virt)).astype(np.float64)
    return out


def _ancestor_sum(g: NodeGraph, D: FloatArray, rows: NDArray[np.int64], top: int) -> FloatArray:
    """``Σ_a T_ra² D_a`` over the strict ancestors ``a`` of every row node."""
    m = len(rows)
    q = np.zeros(m)

    def visit(L: int, r: NDArray[np.int64], a: NDArray[np.int64], t: FloatArray) -> None:
        q[:] += np.bincount(r, weights=t * t * D[a], minlength=m)

    walk_ancestors(g, *expand_parents(g, np.arange(m, dtype=np.int64), rows, np.ones(m)),
                   top, m, visit)
    return q
