"""Mate suitability index (MSI), after MateRx/PMx (Ballou, Earnhardt & Thompson).

The MSI scale (domain.md §3 "MSI scale"): 1, 2, 3 = beneficial, 4, 5, 6 =
detrimental, "-" (:data:`DASH`, stored as 0) = do not pair without consulting an
advisor. The score is built from four components, in this order:

1. **Base score from the genetic gain.** ``g = N·ΔGD`` where ΔGD = GD(L ∪ {o}) −
   GD(L) is the change of gene diversity when one offspring ``o`` of the pair is
   added to the living population L of size N (see
   :func:`studbook.recommend.pairing.delta_gd_offspring`). Scaling by N makes the
   cut points independent of the population size: to first order in 1/N,
   ``N·ΔGD ≈ 2·m̄ − MK_m − MK_f`` (m̄ = mean MK), i.e. how far below the average
   the parents' mean kinships lie, in kinship units. The base score is the first
   ``k`` (1-based) with ``g ≥ gain_cuts[k-1]``, else 6.
2. **Worsening for a large MK difference.** Pairing a rare lineage with a common
   one wastes the rare lineage: ``|MK_m − MK_f| ≥ mk_difference_plus1`` adds 1,
   ``≥ mk_difference_plus2`` adds 2 (capped at 6).
3. **High offspring inbreeding.** ``F_o = φ(m, f) ≥ inbreeding_six`` forces 6,
   ``≥ inbreeding_dash`` forces "-".
4. **Unknown ancestry, per parent (as PMx applies it).** A pair in which either
   parent's proportion known is under ``parent_known_dash`` gets "-" (Ballou &
   Lacy's MSI as the PMx manual states it: "if either animal has less than X %
   known ancestry the MSI is '-'"); :func:`parent_known_dash` applies it. The older
   offspring rule ``½(known_m + known_f) < known_dash`` is kept as a configurable
   extra (with both at 0.5 it never fires on its own); a NaN input forces "-".

**The exact PMx/MateRx thresholds are NOT verified** (domain.md says to get the
PMx manual table before claiming parity). The defaults below are this project's
own choices, all configurable (:meth:`MSIConfig.from_mapping` reads them from a
TOML/JSON table):

* ``gain_cuts = (0.02, 0.005, 0.0, -0.01, -0.03)``: a pair whose parents lie on
  average 0.01 below the mean MK (g ≈ 0.02) is "very beneficial" (1); any pair
  that raises GD is at worst 3; slightly negative gains are 4, clearly negative
  5, and pairs of two over-represented animals 6.
* ``mk_difference_plus1 = 0.04``, ``mk_difference_plus2 = 0.08``: typical MK
  spreads in managed populations are a few hundredths; 0.04 is a "rare × common"
  pairing, 0.08 an extreme one.
* ``inbreeding_six = 0.125`` (offspring of half sibs or closer), ``inbreeding_dash
  = 0.25`` (offspring of full sibs / parent–offspring or closer).
* ``parent_known_dash = 0.5``: a parent with less than half of its pedigree known
  (PMx's default threshold for the unknown-ancestry rule). ``known_dash = 0.5``:
  less than half the offspring's pedigree known. Note that founders not flagged
  WILD count as 0 % known (see :func:`studbook.genetics.percent_known`), so their
  pairs are "-" by default.

References: Ballou JD, Lacy RC (1995) Identifying genetically important
individuals for management of genetic variation in pedigreed populations;
MateRx: Ballou, Earnhardt & Thompson (2001); PMx: Lacy, Ballou & Pollak (2012).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from studbook.errors import InvalidInputError

DASH = 0
"""MSI code for "-": do not pair without consulting an advisor."""


@dataclass(frozen=True)
class MSIConfig:
    """Thresholds of the MSI scale (see the module docstring for their meaning).

    Attributes:
        gain_cuts: Five strictly decreasing lower bounds on ``N·ΔGD`` for base
            scores 1..5; below the last one the base score is 6.
        mk_difference_plus1: ``|MK_m − MK_f|`` at or above which the score gets 1 worse.
        mk_difference_plus2: ``|MK_m − MK_f|`` at or above which it gets 2 worse.
        inbreeding_six: Offspring F at or above which the score is 6.
        inbreeding_dash: Offspring F at or above which the score is "-".
        known_dash: Offspring proportion known (0..1) below which the score is "-".
        parent_known_dash: Proportion known (0..1) of either parent below which the
            score is "-" (PMx's unknown-ancestry rule).
    """

    gain_cuts: tuple[float, ...] = (0.02, 0.005, 0.0, -0.01, -0.03)
    mk_difference_plus1: float = 0.04
    mk_difference_plus2: float = 0.08
    inbreeding_six: float = 0.125
    inbreeding_dash: float = 0.25
    known_dash: float = 0.5
    parent_known_dash: float = 0.5

    def __post_init__(self) -> None:
        cuts = tuple(float(c) for c in self.gain_cuts)
        object.__setattr__(self, "gain_cuts", cuts)
        problems = []
        if len(cuts) != 5:
            problems.append(f"gain_cuts needs 5 values (scores 1..5), got {len(cuts)}")
        elif any(not math.isfinite(c) for c in cuts) or any(a <= b for a, b in zip(cuts, cuts[1:])):
            problems.append(f"gain_cuts must be finite and strictly decreasing, got {list(cuts)}")
        for name in ("mk_difference_plus1", "mk_difference_plus2", "inbreeding_six",
                     "inbreeding_dash", "known_dash", "parent_known_dash"):
            v = getattr(self, name)
            if not isinstance(v, (int, float)) or not math.isfinite(v) or v < 0:
                problems.append(f"{name} must be a number >= 0, got {v!r}")
        if not problems:
            if self.mk_difference_plus2 < self.mk_difference_plus1:
                problems.append("mk_difference_plus2 must be >= mk_difference_plus1")
            if self.inbreeding_dash < self.inbreeding_six:
                problems.append("inbreeding_dash must be >= inbreeding_six")
            for name in ("known_dash", "parent_known_dash"):
                if getattr(self, name) > 1:
                    problems.append(f"{name} is a proportion (0..1)")
        if problems:
            raise InvalidInputError("invalid MSI configuration: " + "; ".join(problems),
                                    "fix the MSI configuration file (docs/msi.example.toml shows every setting)")

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> MSIConfig:
        """Build from a TOML/JSON table; missing keys keep their defaults.

        Raises:
            InvalidInputError: unknown key or invalid value.

        Example:
            >>> MSIConfig.from_mapping({"inbreeding_six": 0.0625}).inbreeding_six
            0.0625
        """
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise InvalidInputError(
                f"unknown MSI setting(s): {', '.join(unknown)}",
                hint=f"valid settings: {', '.join(sorted(known))}")
        kw: dict[str, Any] = {}
        for k, v in data.items():
            try:
                kw[k] = tuple(float(x) for x in v) if k == "gain_cuts" else float(v)
            except (TypeError, ValueError) as exc:
                raise InvalidInputError(f"MSI setting {k} is not a number: {v!r}",
                                        "write a number such as 0.125") from exc
            values = kw[k] if isinstance(kw[k], tuple) else (kw[k],)
            if not all(math.isfinite(x) for x in values):
                raise InvalidInputError(f"MSI setting {k} is not a finite number: {v!r}",
                                        "write a number such as 0.125")
        return cls(**kw)


def msi_scores(delta_gd: ArrayLike, mk_difference: ArrayLike, offspring_f: ArrayLike,
               offspring_known: ArrayLike, config: MSIConfig = MSIConfig(), *,
               population_size: int | None = None) -> NDArray[np.int8]:
    """MSI score of every pair: 1..6, or :data:`DASH` (0) for "-".

    Args:
        delta_gd: ΔGD of one offspring of each pair. Compared with
            ``config.gain_cuts`` after multiplication by ``population_size``;
            when ``population_size`` is None the values must already be ``N·ΔGD``.
        mk_difference: ``|MK_m − MK_f|``.
        offspring_f: φ(m, f), the offspring's inbreeding coefficient.
        offspring_known: ``½(known_m + known_f)`` as a proportion.
        config: Thresholds.
        population_size: N, the size of the living population L.

    Returns:
        ``int8`` array broadcast from the inputs.

    Example:
        >>> msi_scores([0.03, 0.001, -0.05], [0.0, 0.05, 0.0], [0.0, 0.0, 0.3], [1, 1, 1]).tolist()
        [1, 4, 0]
    """
    g, mkd, f, kn = np.broadcast_arrays(*(np.asarray(a, dtype=np.float64) for a in (
        delta_gd, mk_difference, offspring_f, offspring_known)))
    if population_size is not None:
        g = g * float(population_size)
    cuts = np.asarray(config.gain_cuts)
    # number of cut points strictly above g -> base score 1..6
    base = 1 + (g[..., None] < cuts).sum(axis=-1)
    worse = (mkd >= config.mk_difference_plus1).astype(np.int64) + (mkd >= config.mk_difference_plus2)
    score = np.minimum(base + worse, 6)
    score = np.where(f >= config.inbreeding_six, 6, score)
    dash = (f >= config.inbreeding_dash) | ~(kn >= config.known_dash) | ~np.isfinite(g) | ~np.isfinite(f)
    score = np.where(dash, DASH, score)
    return score.astype(np.int8)


def msi_label(score: int) -> str:
    """``"1"``..``"6"``, or ``"-"`` for :data:`DASH`.

    Example:
        >>> msi_label(3), msi_label(DASH)
        ('3', '-')
    """
    s = int(score)
    if s == DASH:
        return "-"
    if not 1 <= s <= 6:
        raise ValueError(f"not an MSI score: {score!r}")
    return str(s)


def parent_known_dash(scores: ArrayLike, male_known: ArrayLike, female_known: ArrayLike,
                      config: MSIConfig = MSIConfig()) -> NDArray[np.int8]:
    """*scores* with "-" wherever either parent's proportion known is under ``config.parent_known_dash``.

    PMx's unknown-ancestry rule looks at each parent, not at the offspring: a pair
    with a 44 %-known male is "-" whatever the female (a NaN proportion counts as
    unknown).

    Example:
        >>> parent_known_dash([2, 2, 2], [0.44, 0.5, 1.0], [1.0, 0.5, 0.49]).tolist()
        [0, 2, 0]
    """
    s, km, kf = np.broadcast_arrays(np.asarray(scores), np.asarray(male_known, dtype=np.float64),
                                    np.asarray(female_known, dtype=np.float64))
    low = ~(km >= config.parent_known_dash) | ~(kf >= config.parent_known_dash)
    return np.where(low, DASH, s).astype(np.int8)


def _pct(x: float) -> str:
    return f"{100 * x:.4g}%"


def msi_rule(delta_gd: float, mk_difference: float, offspring_f: float, male_known: float,
             female_known: float, config: MSIConfig = MSIConfig(), *, population_size: int | None = None,
             male: str = "male", female: str = "female") -> str:
    """Which rule set the MSI of one pair, in words (the first rule that decides, in the order of the scale).

    Order: a parent under ``parent_known_dash`` ("male 1383 44% known < 50%"), offspring F
    at ``inbreeding_dash`` or over, offspring % known under ``known_dash``, a NaN, offspring F
    at ``inbreeding_six`` or over, else the ΔGD class with any MK-difference worsening.
    *male* and *female* label the parents (e.g. "male 1383").

    Example:
        >>> msi_rule(0.03, 0.0, 0.0, 0.44, 1.0, male="male 1383")
        'male 1383 44% known < 50%'
        >>> msi_rule(0.03, 0.05, 0.0, 1.0, 1.0)
        'delta-GD class 1 (N*dGD 0.03 >= 0.02), +1 for MK difference 0.05 >= 0.04'
    """
    c = config
    low = [f"{who} {_pct(k)} known < {_pct(c.parent_known_dash)}"
           for who, k in ((male, male_known), (female, female_known)) if not k >= c.parent_known_dash]
    if low:
        return "; ".join(low)
    if offspring_f >= c.inbreeding_dash:
        return f"offspring F {offspring_f:.4g} >= {c.inbreeding_dash:g}"
    okn = 0.5 * (male_known + female_known)
    if not okn >= c.known_dash:
        return f"offspring {_pct(okn)} known < {_pct(c.known_dash)}"
    g = delta_gd * population_size if population_size is not None else delta_gd
    if not (math.isfinite(g) and math.isfinite(offspring_f)):
        return "not computable (NaN)"
    if offspring_f >= c.inbreeding_six:
        return f"offspring F {offspring_f:.4g} >= {c.inbreeding_six:g}"
    base = 1 + sum(g < cut for cut in c.gain_cuts)
    text = (f"delta-GD class {base} (N*dGD {g:.3g} >= {c.gain_cuts[base - 1]:g})" if base <= 5
            else f"delta-GD class 6 (N*dGD {g:.3g} < {c.gain_cuts[-1]:g})")
    if mk_difference >= c.mk_difference_plus2:
        text += f", +2 for MK difference {mk_difference:.4g} >= {c.mk_difference_plus2:g}"
    elif mk_difference >= c.mk_difference_plus1:
        text += f", +1 for MK difference {mk_difference:.4g} >= {c.mk_difference_plus1:g}"
    return text
