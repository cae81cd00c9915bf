"""Reintroduction: which animals to release so the captive population loses least.

Practice (domain.md §4): prefer animals whose removal costs the captive population
the least gene diversity (high MK, over-represented lineages), keep the released
group itself diverse (low mutual kinship, many founder lineages), avoid
over-representing one family.

**Removal ΔGD.** With ``S = Σ K``, ``r_i = Σ_j K_ij`` and n animals,
removing i leaves ``S − 2r_i + K_ii`` over ``n − 1`` animals:

    ΔGD_remove(i) = GD(L \\ {i}) − GD(L) = S/n² − (S − 2 r_i + K_ii)/(n − 1)²,

vectorised O(n²) for all i (just the row sums). Positive = the captive
population *gains* GD when i leaves (i is over-represented).

**Group selection** (:func:`select_release_group`): greedy, exact. With C the
captive population still left and G the animals chosen so far, pick the eligible
animal (within its sex quota) minimising

    score_i = |C|·(GD(C) − GD(C \\ {i}))                      captive loss, per capita
              + group_weight · ( mean_{j∈G} K_ij − ½·novelty_i )   group diversity

then update ``Σ K`` over C, the row sums over C and the kinship to G in O(n).
``|C|·loss ≈ 2(m̄_C − MK_i)`` and ``mean_{j∈G} K_ij`` are both in kinship units,
so ``group_weight = 1`` weighs "is this animal related to the group" as much as
"how over-represented is it in captivity". ``novelty_i`` (only with
``founder_shares``) is the fraction of i's genome from founders not yet
represented in the group; ½ puts a completely new lineage on the scale of the
kinship of an animal with itself. Ties go to the lower position.

References: Ballou & Lacy (1995) for MK/GD; domain.md §4.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import gcd

import numpy as np
from numpy.typing import ArrayLike, NDArray

from studbook.errors import InvalidInputError

FloatArray = NDArray[np.float64]
I64 = NDArray[np.int64]
SHARE_TOL = 1e-12


def _check_k(K: ArrayLike) -> FloatArray:
    a = np.asarray(K, dtype=np.float64)
    if a.ndim != 2 or a.shape[0] != a.shape[1]:
        raise ValueError(f"K must be a square matrix, got shape {a.shape}")
    return a


def delta_gd_if_removed(K: ArrayLike) -> FloatArray:
    """``GD(L \\ {i}) − GD(L)`` for every i (module docs); NaN when n ≤ 1.

    Example:
        Full sibs C, D and an unrelated E: removing E costs more than a sib
        (GD 7/9; without C: 3/4; without E: 5/8).

        >>> K = [[0.5, 0.25, 0], [0.25, 0.5, 0], [0, 0, 0.5]]
        >>> [round(float(x), 6) for x in delta_gd_if_removed(K)]
        [-0.027778, -0.027778, -0.152778]
    """
    Ka = _check_k(K)
    n = Ka.shape[0]
    if n <= 1:
        return np.full(n, np.nan)
    r = Ka.sum(axis=1)
    S = float(r.sum())
    return S / n**2 - (S - 2.0 * r + np.diag(Ka)) / (n - 1) ** 2


def captive_gd_loss(K: FloatArray, group: ArrayLike, S: float | None = None,
                    r: FloatArray | None = None) -> float:
    """``GD(L) − GD(L \\ group)`` (NaN if the group is everybody)."""
    g = np.asarray(group, dtype=np.int64)
    n = K.shape[0]
    if S is None or r is None:
        r = K.sum(axis=1)
        S = float(r.sum())
    m = n - len(g)
    if m <= 0:
        return float("nan")
    S2 = S - 2.0 * float(r[g].sum()) + float(K[np.ix_(g, g)].sum())
    return (1.0 - S / n**2) - (1.0 - S2 / m**2)


@dataclass(frozen=True)
class ReleaseSelection:
    """The release group and what it costs the captive population.

    Attributes:
        chosen: Positions in L, in the order chosen.
        captive_gd_before, captive_gd_after: GD of L and of L without the group.
        group_gd: ``1 − mean(K_group)`` (self pairs included).
        group_fge: ``1 / (2·mean(K_group))``.
        random_loss_median: Median captive GD loss of ``draws`` random eligible
            groups with the same number of animals of each sex (seeded).
        founder_lineages: Per chosen animal, founders contributing to it (-1
            each when no ``founder_shares`` were given).
        group_founder_lineages: Founders represented in the group (-1 likewise).
    """

    chosen: I64
    captive_gd_before: float
    captive_gd_after: float
    group_gd: float
    group_fge: float
    random_loss_median: float
    founder_lineages: I64
    group_founder_lineages: int


def _quotas(count: int, sex_ratio: tuple[int, int] | None, eligible: NDArray[np.bool_],
            sex: NDArray[np.int8]) -> tuple[int, int] | None:
    if sex_ratio is None:
        return None
    a, b = (int(x) for x in sex_ratio)
    if a < 0 or b < 0 or a + b == 0:
        raise InvalidInputError(f"invalid sex ratio {a}:{b}", "write males:females with whole numbers, e.g. 1:1")
    if (count * a) % (a + b):
        lo = (a + b) // gcd(a, b)
        raise InvalidInputError(
            f"a {a}:{b} sex ratio cannot be met exactly with {count} animals",
            hint=f"choose a count that is a multiple of {lo}")
    males = count * a // (a + b)
    females = count - males
    have_m = int((eligible & (sex == 1)).sum())
    have_f = int((eligible & (sex == 2)).sum())
    if have_m < males or have_f < females:
        raise InvalidInputError(
            f"a {a}:{b} sex ratio with {count} animals needs {males} males and {females} "
            f"females, but only {have_m} eligible males and {have_f} eligible females exist")
    return males, females


def select_release_group(K: ArrayLike, eligible: ArrayLike, sex: ArrayLike, count: int, *,
                         sex_ratio: tuple[int, int] | None = None,
                         founder_shares: ArrayLike | None = None, group_weight: float = 0.25,
                         draws: int = 1000, seed: int = 0) -> ReleaseSelection:
    """Choose ``count`` eligible animals to release (greedy, module docstring).

    Args:
        K: Kinship matrix of L.
        eligible: Boolean mask over L (age, health, rearing... decided by the caller).
        sex: 1 male, 2 female, 0 unknown, per member of L.
        count: Group size.
        sex_ratio: ``(males, females)`` ratio to meet exactly, scaled to ``count``.
        founder_shares: n × F expected genome fraction of each animal from each
            founder; enables the founder-lineage preference and counts.
        group_weight: Weight of the group-diversity term (0 = captive loss only).
        draws: Random groups for the comparison median.
        seed: Seed of the comparison draws.

    Raises:
        InvalidInputError: fewer eligible animals than ``count``; impossible sex ratio.
    """
    Ka = _check_k(K)
    n = Ka.shape[0]
    elig = np.asarray(eligible, dtype=bool).ravel()
    sx = np.asarray(sex, dtype=np.int8).ravel()
    if len(elig) != n or len(sx) != n:
        raise ValueError("eligible and sex need one value per member of L")
    if count < 0:
        raise InvalidInputError(f"count must be >= 0, got {count}", "give the size of the release group")
    n_elig = int(elig.sum())
    if n_elig < count:
        raise InvalidInputError(f"only {n_elig} eligible animals for a group of {count}",
                                "lower --count or widen the filters (age window, --include-hand-reared)")
    quota = _quotas(count, sex_ratio, elig, sx)
    T = None if founder_shares is None else np.asarray(founder_shares, dtype=np.float64)
    if T is not None and (T.ndim != 2 or T.shape[0] != n):
        raise ValueError("founder_shares must be an n × F matrix")

    r = Ka.sum(axis=1)
    S_all = float(r.sum())
    rc = r.copy()                    # row sums over the captive set C
    S = S_all
    nc = n
    gsum = np.zeros(n)               # Σ_{j∈G} K_ij
    represented = np.zeros(0 if T is None else T.shape[1], dtype=bool)
    avail = elig.copy()
    left = {1: quota[0], 2: quota[1]} if quota else None
    diag = np.diag(Ka)
    chosen: list[int] = []
    for step in range(count):
        mask = avail.copy()
        if left is not None:
            mask &= ((sx == 1) & (left[1] > 0)) | ((sx == 2) & (left[2] > 0))
        idx = np.flatnonzero(mask)
        if nc - 1 > 0:
            S2 = S - 2.0 * rc[idx] + diag[idx]
            loss = (1.0 - S / nc**2) - (1.0 - S2 / (nc - 1) ** 2)
        else:
            loss = np.zeros(len(idx))
        score = nc * loss
        if group_weight and step > 0:
            grp = gsum[idx] / step
            if T is not None:
                grp = grp - 0.5 * T[idx][:, ~represented].sum(axis=1)
            score = score + group_weight * grp
        i = int(idx[int(np.argmin(score))])
        chosen.append(i)
        avail[i] = False
        if left is not None:
            left[int(sx[i])] -= 1
        S = S - 2.0 * rc[i] + diag[i]
        rc -= Ka[i]
        nc -= 1
        gsum += Ka[:, i]
        if T is not None:
            represented |= T[i] > SHARE_TOL

    ch = np.asarray(chosen, dtype=np.int64)
    gd_before = 1.0 - S_all / n**2 if n else float("nan")
    loss_chosen = captive_gd_loss(Ka, ch, S_all, r)
    gd_after = gd_before - loss_chosen if n > count else float("nan")
    if count:
        mg = float(Ka[np.ix_(ch, ch)].mean())
        group_gd, group_fge = 1.0 - mg, (1.0 / (2.0 * mg) if mg > 0 else float("inf"))
    else:
        group_gd = group_fge = float("nan")
    # random comparison groups with the same sex mix
    rng = np.random.default_rng(seed)
    pools = []
    for code in np.unique(sx[ch]) if count else []:
        pools.append((np.flatnonzero(elig & (sx == code)), int((sx[ch] == code).sum())))
    losses = np.empty(draws)
    for t in range(draws):
        g = np.concatenate([rng.choice(p, size=k, replace=False) for p, k in pools]) \
            if pools else np.zeros(0, dtype=np.int64)
        losses[t] = captive_gd_loss(Ka, g, S_all, r)
    median = float(np.median(losses)) if draws else float("nan")
    if T is not None:
        per = (T[ch] > SHARE_TOL).sum(axis=1).astype(np.int64)
        grp_lin = int((T[ch] > SHARE_TOL).any(axis=0).sum()) if count else 0
    else:
        per = np.full(len(ch), -1, dtype=np.int64)
        grp_lin = -1
    return ReleaseSelection(chosen=ch, captive_gd_before=gd_before, captive_gd_after=gd_after,
                            group_gd=group_gd, group_fge=group_fge, random_loss_median=median,
                            founder_lineages=per, group_founder_lineages=grp_lin)
