"""Founder representation, founder equivalents and pedigree completeness.

Founders are the animals with no known parent in either slot (MULT counts as
known), plus **phantom founders**: when exactly one parent slot of an animal is
unknown (or WILD), that missing parent is a unique founder of its own, named
``"UNK sire of X"`` / ``"WILD dam of X"``. Founder *codes* identify both kinds in
one integer array:

* ``code >= 0``: the founder animal with that index;
* ``code < 0``: a phantom, ``code = -1 - (2·child + slot)`` with slot 0 = sire,
  1 = dam (decode with :func:`decode_phantom`, name with :func:`founder_labels`).

References:
    Lacy, R.C. (1989) Analysis of founder representation in pedigrees: founder
    equivalents and founder genome equivalents. Zoo Biol. 8:111–123.
    Ballou, J.D. & Lacy, R.C. (1995) Identifying genetically important
    individuals for management of genetic variation in pedigreed populations.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
from numpy.typing import NDArray

from studbook.genetics._graph import build_graph
from studbook.pedigree import Pedigree

FloatArray = NDArray[np.float64]
I64 = NDArray[np.int64]


def founder_codes(ped: Pedigree) -> I64:
    """All founder codes: real founders (by index) then phantoms (by child, slot)."""
    hs, hd = ped.has_sire, ped.has_dam
    phantom_sire = np.flatnonzero(~hs & hd)
    phantom_dam = np.flatnonzero(hs & ~hd)
    ph = np.sort(np.concatenate([2 * phantom_sire, 2 * phantom_dam + 1]))
    return np.concatenate([ped.founders, -1 - ph]).astype(np.int64)


def decode_phantom(code: int) -> tuple[int, int]:
    """``(child index, slot)`` of a phantom founder code (slot 0 sire, 1 dam)."""
    if code >= 0:
        raise ValueError("not a phantom founder code")
    v = -1 - int(code)
    return v // 2, v % 2


def founder_labels(ped: Pedigree, codes: Iterable[int]) -> list[str]:
    """Display names: the studbook id, or ``"UNK sire of X"``/``"WILD dam of X"``."""
    out = []
    for c in codes:
        if c >= 0:
            out.append(ped.ids[int(c)])
        else:
            child, slot = decode_phantom(int(c))
            wild = (ped.sire_wild if slot == 0 else ped.dam_wild)[child]
            out.append(f"{'WILD' if wild else 'UNK'} {('sire', 'dam')[slot]} of {ped.ids[child]}")
    return out


def genome_shares(ped: Pedigree, idx: NDArray[np.integer] | None = None) -> FloatArray:
    """``y = Tᵀ x`` with ``x`` = 1/N on ``idx``: mean genome share of every animal.

    ``y_a`` is the expected fraction of the genome of a random member of ``idx``
    that descends from ``a`` (ancestors and members themselves).
    """
    idx = ped.living if idx is None else np.asarray(idx, dtype=np.int64)
    g = build_graph(ped)
    x = np.zeros(g.n_nodes)
    if len(idx):
        np.add.at(x, idx, 1.0 / len(idx))
    return g.backward(x)[: ped.n]


def founder_contributions(ped: Pedigree, idx: NDArray[np.integer] | None = None
                          ) -> tuple[I64, FloatArray]:
    """Expected genome share p_f of every founder in the population ``idx``.

    ``p_f = (1/N) Σ_{i∈L} T_if``, T_if the expected fraction of i's genome from
    founder f (each parent passes on half; a MULT slot passes ``π_k`` of that
    half to candidate k). Σ p_f = 1 over real and phantom founders.

    Args:
        ped: The pedigree.
        idx: Population (default ``ped.living``).

    Returns:
        ``(codes, p)``: founder codes (see module docs: real founders ≥ 0,
        phantom founders < 0; all founders, including p = 0) and shares.

    Example:
        >>> from studbook.pedigree import Pedigree, PedigreeRecord as R
        >>> ped = Pedigree.from_records([R("A", sex="M"), R("B", sex="F"),
        ...     R("C", "A", "B", sex="M", alive=True), R("E", "C", None, alive=True)])
        >>> codes, p = founder_contributions(ped)
        >>> founder_labels(ped, codes), p.tolist()
        (['A', 'B', 'UNK dam of E'], [0.375, 0.375, 0.25])
    """
    codes = founder_codes(ped)
    y = genome_shares(ped, idx)
    real = codes >= 0
    p = np.empty(len(codes))
    p[real] = y[codes[real]]
    child = (-1 - codes[~real]) // 2
    p[~real] = 0.5 * y[child]
    return codes, p


def founder_equivalents(p: NDArray[np.floating]) -> float:
    """Founder equivalents fe = 1 / Σ p_f² (Lacy 1989); NaN if Σp = 0.

    Example:
        >>> founder_equivalents(np.array([0.5, 0.25, 0.25]))
        2.6666666666666665
    """
    s = float(np.sum(np.asarray(p, dtype=np.float64) ** 2))
    return 1.0 / s if s > 0 else float("nan")


def percent_known(ped: Pedigree) -> FloatArray:
    """Proportion of each animal's pedigree that is known, in [0, 1].

    ``Known_i = ½(Known_S + Known_D)`` where a slot is worth ``Known`` of the
    known parent, 1 for a WILD parent, 0 for an unknown parent and
    ``Σ_k π_k Known_k`` for a MULT slot. Hence a founder with both parents WILD
    (a wild-caught founder) has 1, a founder with both parents unknown (not
    WILD) has 0. It is a proportion: multiply by 100 for "% known".

    Example:
        >>> from studbook.pedigree import Pedigree, PedigreeRecord as R
        >>> ped = Pedigree.from_records([
        ...     R("A", sex="M", sire_wild=True, dam_wild=True), R("B", sex="F"),
        ...     R("C", "A", "B", sex="M"), R("E", "C", None, dam_wild=True)])
        >>> percent_known(ped).tolist()
        [1.0, 0.0, 0.5, 0.75]
    """
    g = build_graph(ped)
    w = np.zeros(g.n_nodes)
    w[: ped.n] = 0.5 * (ped.sire_wild.astype(np.float64) + ped.dam_wild)
    return g.forward(w)[: ped.n]


def founder_shares(ped: Pedigree, idx: NDArray[np.integer] | None = None) -> tuple[I64, FloatArray]:
    """Expected genome fraction of each animal in ``idx`` from each founder.

    ``S[j, f] = T[idx_j, f]`` for a real founder f and ``½ T[idx_j, child]`` for the
    phantom parent of ``child`` (it passes half of the child's genome). Each row sums
    to 1. ``founder_contributions`` is the column mean of ``S`` over the population.

    Returns:
        ``(codes, S)``: founder codes as in :func:`founder_codes` and the
        ``len(idx) × len(codes)`` matrix.

    Example:
        >>> from studbook.pedigree import Pedigree, PedigreeRecord as R
        >>> ped = Pedigree.from_records([R("A", sex="M"), R("B", sex="F"),
        ...     R("C", "A", "B", sex="M", alive=True), R("E", "C", None, alive=True)])
        >>> codes, S = founder_shares(ped)
        >>> founder_labels(ped, codes), S.tolist()
        (['A', 'B', 'UNK dam of E'], [[0.5, 0.5, 0.0], [0.25, 0.25, 0.5]])
    """
    idx = ped.living if idx is None else np.asarray(idx, dtype=np.int64)
    codes = founder_codes(ped)
    g = build_graph(ped)
    w = np.zeros((g.n_nodes, len(codes)))
    real = codes >= 0
    cols = np.arange(len(codes))
    w[codes[real], cols[real]] = 1.0
    w[(-1 - codes[~real]) // 2, cols[~real]] = 0.5
    return codes, g.forward(w)[np.asarray(idx, dtype=np.int64)]
