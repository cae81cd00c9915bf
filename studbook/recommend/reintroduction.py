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

**Founder lineages kept in captivity** (``carriers``): ``carriers[i, f]`` says
that animal i is a carrier of lineage f that can still pass it on (the caller
decides: a captive animal with a non-zero share from founder f, of breeding age
or younger). An animal is never picked when picking it would leave fewer than
``keep_carriers`` carriers of one of its lineages (when a lineage already has
fewer, none of its carriers is picked). The greedy keeps a count per lineage,
so the final group satisfies the rule exactly.

**Logistics** (``site``, ``site_km``, ``max_sites``): the candidates whose score
is within ``tolerance`` of the best one count as genetically equal; among them
the pick goes to an animal at an institution the group already uses, then to the
nearest institution (great-circle km to the closest one in use; unknown =
farthest), then to the institution with the most candidates left, then to the
lower score. ``max_sites`` caps the number of institutions: a candidate is only
allowed when the sex quotas can still be filled from at most ``max_sites``
institutions (exact over combinations of institutions up to 5,000 of them,
otherwise the institutions with most candidates; lineage blocks are not looked
ahead, and a dead end is reported).

References: Ballou & Lacy (1995) for MK/GD; domain.md §4; IUCN/SSC (2013)
Guidelines for Reintroductions and Other Conservation Translocations.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from math import comb, gcd

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
        sites: Institutions (``site`` values) of the group, sorted (empty without ``site``).
        fewest_carriers_left: Fewest carriers left, after the release, of a lineage
            that had carriers before (-1 without ``carriers`` or when none has any).
    """

    chosen: I64
    captive_gd_before: float
    captive_gd_after: float
    group_gd: float
    group_fge: float
    random_loss_median: float
    founder_lineages: I64
    group_founder_lineages: int
    sites: tuple[int, ...] = field(default=())
    fewest_carriers_left: int = -1


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


def _feasible_sites(used: frozenset[int], k: int, need: tuple[int, int] | int,
                    avail: dict[int, tuple[int, int]]) -> bool:
    """Can the remaining quota be filled from *used* plus at most *k* other institutions?

    *need*: ``(males, females)`` still wanted, or a total when there is no sex ratio;
    *avail*: candidates left per institution, ``(males, females)``.
    """
    have_m = sum(avail.get(s, (0, 0))[0] for s in used)
    have_f = sum(avail.get(s, (0, 0))[1] for s in used)
    if isinstance(need, tuple):
        dm, df = max(0, need[0] - have_m), max(0, need[1] - have_f)
        if dm == 0 and df == 0:
            return True
        others = [(m, f) for s, (m, f) in avail.items() if s not in used and (m and dm or f and df)]
        if k <= 0 or not others:
            return False
        k = min(k, len(others))
        if comb(len(others), k) <= 5000:
            return any(sum(o[0] for o in c) >= dm and sum(o[1] for o in c) >= df
                       for c in itertools.combinations(others, k))
        best = sorted(others, key=lambda o: -(min(o[0], dm) + min(o[1], df)))[:k]
        return sum(o[0] for o in best) >= dm and sum(o[1] for o in best) >= df
    d = max(0, need - have_m - have_f)
    if d == 0:
        return True
    tot = sorted((m + f for s, (m, f) in avail.items() if s not in used), reverse=True)
    return k > 0 and sum(tot[:k]) >= d


def select_release_group(K: ArrayLike, eligible: ArrayLike, sex: ArrayLike, count: int, *,
                         sex_ratio: tuple[int, int] | None = None,
                         founder_shares: ArrayLike | None = None, group_weight: float = 0.25,
                         draws: int = 1000, seed: int = 0, carriers: ArrayLike | None = None,
                         keep_carriers: int = 1, site: ArrayLike | None = None,
                         site_km: ArrayLike | None = None, max_sites: int | None = None,
                         tolerance: float = 0.0) -> ReleaseSelection:
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
        carriers: n × G boolean, animal i carries lineage g and can still pass it on;
            with it, no lineage is left with fewer than ``keep_carriers`` carriers.
        keep_carriers: Carriers each lineage keeps (module docs).
        site: Institution index per member of L (-1 none); enables the logistics
            tie-break and ``max_sites``.
        site_km: Distances between institutions (km; NaN unknown), indexed by ``site``.
        max_sites: At most this many institutions in the group (None: no cap).
        tolerance: Score difference (kinship units, module docs) under which two
            candidates count as genetically equal for the logistics tie-break.

    Raises:
        InvalidInputError: fewer eligible animals than ``count``; impossible sex ratio;
            no group that keeps every lineage or fits in ``max_sites`` institutions.
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
    Cr = None if carriers is None else np.asarray(carriers, dtype=bool)
    if Cr is not None and (Cr.ndim != 2 or Cr.shape[0] != n):
        raise ValueError("carriers must be an n × G boolean matrix")
    st = None if site is None else np.asarray(site, dtype=np.int64).ravel()
    if st is not None and len(st) != n:
        raise ValueError("site needs one value per member of L")
    D = None if site_km is None else np.asarray(site_km, dtype=np.float64)
    if max_sites is not None and max_sites < 1:
        raise InvalidInputError(f"--max-institutions {max_sites} must be at least 1", "e.g. --max-institutions 2")
    if max_sites is not None and st is None:
        raise ValueError("max_sites needs site")

    r = Ka.sum(axis=1)
    S_all = float(r.sum())
    diag = np.diag(Ka)

    def greedy(banned: frozenset[int]) -> list[int] | tuple[int, list[int]]:
        """The greedy group, or (step, the animals taken so far) at a dead end."""
        rc = r.copy()                    # row sums over the captive set C
        S = S_all
        nc = n
        gsum = np.zeros(n)               # Σ_{j∈G} K_ij
        represented = np.zeros(0 if T is None else T.shape[1], dtype=bool)
        left_carriers = None if Cr is None else Cr.sum(axis=0).astype(np.int64)
        avail = elig.copy()
        avail[list(banned)] = False
        left = {1: quota[0], 2: quota[1]} if quota else None
        chosen: list[int] = []
        used: set[int] = set()
        feasible_cache: dict[frozenset[int], bool] = {}
        for step in range(count):
            mask = avail.copy()
            if left is not None:
                mask &= ((sx == 1) & (left[1] > 0)) | ((sx == 2) & (left[2] > 0))
            if Cr is not None and left_carriers is not None:
                last = left_carriers <= keep_carriers
                if last.any():
                    mask &= ~Cr[:, last].any(axis=1)
            if max_sites is not None and st is not None:
                feasible_cache.clear()
                cnt: dict[int, tuple[int, int]] = {}
                for j in np.flatnonzero(avail).tolist():
                    m_, f_ = cnt.get(int(st[j]), (0, 0))
                    cnt[int(st[j])] = (m_ + (sx[j] == 1 if left else 1), f_ + (sx[j] == 2 if left else 0))
                for j in np.flatnonzero(mask).tolist():
                    u = frozenset(used | {int(st[j])})
                    if u not in feasible_cache:
                        c2 = dict(cnt)
                        m_, f_ = c2[int(st[j])]
                        one_m = bool(sx[j] == 1) if left else True
                        c2[int(st[j])] = (m_ - one_m, f_ - (not one_m and bool(left)))
                        need: tuple[int, int] | int
                        if left is not None:
                            need = (left[1] - (sx[j] == 1), left[2] - (sx[j] == 2))
                        else:
                            need = count - step - 1
                        feasible_cache[u] = len(u) <= max_sites and _feasible_sites(u, max_sites - len(u), need, c2)
                    if not feasible_cache[u]:
                        mask[j] = False
            idx = np.flatnonzero(mask)
            if len(idx) == 0:
                return step, chosen
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
            best = int(np.argmin(score))
            if st is not None:
                tie = np.flatnonzero(score <= score[best] + tolerance)
                if len(tie) > 1:
                    left_at = np.bincount(st[avail & (st >= 0)], minlength=int(st.max()) + 1)
                    keys = []
                    for t in tie.tolist():
                        s_ = int(st[idx[t]])
                        if s_ < 0:
                            keys.append((1.0, np.inf, 0.0, float(score[t]), t))
                            continue
                        near = 0.0 if s_ in used else np.inf
                        if s_ not in used and used and D is not None:
                            d = [float(D[s_, u]) for u in used if not np.isnan(D[s_, u])]
                            near = min(d) if d else np.inf
                        keys.append((0.0 if s_ in used else 1.0, near, -float(left_at[s_]), float(score[t]), t))
                    best = min(keys)[4]
            i = int(idx[best])
            chosen.append(i)
            avail[i] = False
            if st is not None and st[i] >= 0:
                used.add(int(st[i]))
            if left is not None:
                left[int(sx[i])] -= 1
            if Cr is not None and left_carriers is not None:
                left_carriers -= Cr[i].astype(np.int64)
            S = S - 2.0 * rc[i] + diag[i]
            rc -= Ka[i]
            nc -= 1
            gsum += Ka[:, i]
            if T is not None:
                represented |= T[i] > SHARE_TOL
        return chosen

    # The greedy does not look ahead: at a dead end (every candidate left is a lineage's last
    # carrier, or outside the institutions' cap) try again without one of the animals it took,
    # the last taken first, a few times.
    result = greedy(frozenset())
    tries: list[frozenset[int]] = []
    if isinstance(result, tuple):
        tries = [frozenset({j}) for j in reversed(result[1])]
    while isinstance(result, tuple) and tries:
        result = greedy(tries.pop(0))
    if isinstance(result, tuple):
        step = result[0]
        why = []
        if Cr is not None:
            why.append("every remaining candidate is among the last carriers of a founder lineage")
        if max_sites is not None:
            why.append(f"or the group cannot be completed within {max_sites} institution(s)")
        raise InvalidInputError(
            f"no release group of {count} found: after {step} animal(s), " + " ".join(why or ["no candidate left"]),
            "lower --count, widen the age window, or raise --max-institutions")
    chosen = result

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
    fewest = -1
    if Cr is not None:
        before = Cr.sum(axis=0)
        after = before - Cr[ch].sum(axis=0)
        fewest = int(after[before > 0].min()) if (before > 0).any() else -1
    sites = tuple(sorted({int(st[c]) for c in chosen if st[c] >= 0})) if st is not None else ()
    return ReleaseSelection(chosen=ch, captive_gd_before=gd_before, captive_gd_after=gd_after,
                            group_gd=group_gd, group_fge=group_fge, random_loss_median=median,
                            founder_lineages=per, group_founder_lineages=grp_lin, sites=sites,
                            fewest_carriers_left=fewest)
