"""Mean kinship, gene diversity, founder genome equivalents and the summary.

Definitions (Ballou & Lacy 1995; Lacy 1995), L = living analysis population
(alive and in analysis), N = |L|::

    MK_i = (1/N) Σ_{j∈L} φ_ij          (j = i included: φ_ii = (1+F_i)/2)
    mean MK = (1/N²) Σ_{i∈L} Σ_{j∈L} φ_ij
    GD  = 1 − mean MK
    FGE = 1 / (2 · mean MK)

MK comes from one Colleau product ``Φ 1_L / N`` (no dense matrix).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
from numpy.typing import NDArray

from studbook.genetics.founders import founder_contributions, founder_equivalents, percent_known
from studbook.genetics.inbreeding import inbreeding
from studbook.genetics.kinship import _as_index, kinship_times
from studbook.pedigree import Pedigree

FloatArray = NDArray[np.float64]


def mean_kinship(ped: Pedigree, idx: NDArray[np.integer] | list[int] | None = None) -> FloatArray:
    """Mean kinship MK_i = (1/N) Σ_{j∈L} φ_ij of the animals ``idx`` with L.

    L is ``ped.living`` (self included in the sum); ``idx`` defaults to L, but any
    animal (e.g. a dead one or a candidate import) can be scored against L.

    Returns:
        float64 array aligned with ``idx``; NaN when L is empty.

    Example:
        Living full sibs C and D: MK = (½ + ¼)/2 = 3/8.

        >>> from studbook.pedigree import Pedigree, PedigreeRecord as R
        >>> ped = Pedigree.from_records([R("A", sex="M"), R("B", sex="F"),
        ...     R("C", "A", "B", alive=True), R("D", "A", "B", alive=True)])
        >>> mean_kinship(ped).tolist()
        [0.375, 0.375]
    """
    idx = _as_index(ped, idx)
    L = ped.living
    if len(L) == 0:
        return np.full(len(idx), np.nan)
    x = np.zeros(ped.n)
    x[L] = 1.0 / len(L)
    return kinship_times(ped, x)[idx]


def _mean_mk(ped_or_mk: Pedigree | NDArray[np.floating] | float) -> float:
    if isinstance(ped_or_mk, Pedigree):
        mk = mean_kinship(ped_or_mk)
        return float(mk.mean()) if len(mk) else float("nan")
    return float(np.mean(ped_or_mk))


def gene_diversity(ped_or_mk: Pedigree | NDArray[np.floating] | float) -> float:
    """GD = 1 − mean MK of the living population (Ballou & Lacy 1995).

    Args:
        ped_or_mk: A pedigree (MK is computed over ``ped.living``) or already
            computed MK values of the population (their mean is used).

    Example:
        N unrelated non-inbred founders: GD = 1 − 1/(2N).

        >>> from studbook.pedigree import Pedigree, PedigreeRecord as R
        >>> gene_diversity(Pedigree.from_records(
        ...     [R(x, alive=True) for x in "ABCD"]))
        0.875
    """
    return 1.0 - _mean_mk(ped_or_mk)


def founder_genome_equivalents_from_mk(ped_or_mk: Pedigree | NDArray[np.floating] | float) -> float:
    """FGE = 1 / (2 · mean MK) (Lacy 1995; Ballou & Lacy 1995).

    Args:
        ped_or_mk: A pedigree or MK values (see :func:`gene_diversity`).

    Example:
        >>> founder_genome_equivalents_from_mk(np.array([0.125, 0.125]))
        4.0
    """
    m = _mean_mk(ped_or_mk)
    return 1.0 / (2.0 * m) if m > 0 else float("nan")


@dataclass(frozen=True)
class PopulationSummary:
    """Genetic summary of the living analysis population L.

    Attributes:
        n_living: N = |L|.
        n_founders: Real founder animals with p > 0 (descendants in L, or
            living themselves).
        n_phantom_founders: Phantom founders (unknown/WILD half of a one-parent
            animal) with p > 0; counted in ``founder_equivalents`` but not in
            ``n_founders``.
        mean_kinship: Mean MK over L.
        gene_diversity: GD = 1 − mean MK.
        founder_genome_equivalents: FGE = 1/(2 mean MK).
        founder_equivalents: fe = 1/Σp² over real and phantom founders.
        mean_inbreeding: Mean F over L.
        mean_percent_known: Mean :func:`percent_known` over L (a proportion).
    """

    n_living: int
    n_founders: int
    n_phantom_founders: int
    mean_kinship: float
    gene_diversity: float
    founder_genome_equivalents: float
    founder_equivalents: float
    mean_inbreeding: float
    mean_percent_known: float

    def to_dict(self) -> dict[str, float | int]:
        """Plain dict (JSON-ready; NaN stays NaN)."""
        return asdict(self)


def population_summary(ped: Pedigree) -> PopulationSummary:
    """Compute :class:`PopulationSummary` for ``ped.living``."""
    L = ped.living
    nan = float("nan")
    if len(L) == 0:
        return PopulationSummary(0, 0, 0, nan, nan, nan, nan, nan, nan)
    mk = mean_kinship(ped, L)
    mmk = float(mk.mean())
    codes, p = founder_contributions(ped, L)
    pos = p > 0
    return PopulationSummary(
        n_living=len(L),
        n_founders=int(np.sum(pos & (codes >= 0))),
        n_phantom_founders=int(np.sum(pos & (codes < 0))),
        mean_kinship=mmk,
        gene_diversity=1.0 - mmk,
        founder_genome_equivalents=1.0 / (2.0 * mmk),
        founder_equivalents=founder_equivalents(p),
        mean_inbreeding=float(inbreeding(ped)[L].mean()),
        mean_percent_known=float(percent_known(ped)[L].mean()),
    )
