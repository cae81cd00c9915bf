"""Pair evaluation and pair selection for the living population L.

Everything works on ``K``, the n×n kinship matrix of L (``K_ii = ½(1 + F_i)``),
with animals identified by their position 0..n-1 in L. Notation: ``S = Σ_ij K_ij``,
``r_i = Σ_j K_ij = n·MK_i`` (self included, Ballou & Lacy 1995), ``GD(L) = 1 − S/n²``.

**One hypothetical offspring** ``o`` of sire ``s`` and dam ``d`` (domain.md §3
"Pair evaluation"): ``f_oj = ½(K_sj + K_dj)``, ``f_oo = ½(1 + K_sd)``, ``F_o = K_sd``.
Adding it gives ``S' = S + 2·½(r_s + r_d) + ½(1 + K_sd)`` over ``n + 1`` animals, so

    ΔGD(s, d) = S/n² − (S + r_s + r_d + ½(1 + K_sd)) / (n + 1)²,

exact and O(1) per pair once ``r`` is known — no matrix is rebuilt per pair.

**Several offspring** (one per chosen pair, :func:`population_gd_after`): offspring
of pairs 1 and 2 have ``f_{o1 o2} = ¼(K_s1s2 + K_s1d2 + K_d1s2 + K_d1d2)``.

**Strategies** (:func:`choose_pairs`; Ivy & Lacy 2012 compared MK-based schemes):

* ``"optimal"``: a maximum-weight bipartite matching with weight ΔGD: maximise
  ``Σ ΔGD`` over the chosen pairs, each animal in at most one pair, at most
  ``max_pairs`` pairs. Only pairs with **ΔGD > 0** (their offspring raises GD) and
  MSI ≠ "-" (unless ``allow_dash``) are candidates: a pair with ΔGD ≤ 0 can only
  lower the objective, so the solver would never choose it anyway, and a
  breeding pair that lowers GD is a demographic, not a genetic, decision (the
  coordinator adds it by hand). Because ``ΔGD ≈ (2m̄ − MK_s − MK_d)/n`` is nearly
  separable, the optimum pairs as many below-average-MK animals as possible and
  uses φ(s, d) to decide who goes with whom. Solvers:

  - tables up to ``DENSE_LIMIT`` (40 M cells, ≈ 6k × 6k):
    ``scipy.optimize.linear_sum_assignment``
    on the dense matrix (ineligible pairs weigh 0 and are dropped; with
    ``max_pairs = k`` the matrix is padded with ``n_f − k`` dummy males and
    ``n_m − k`` dummy females so that exactly k real cells are used, some of
    them possibly weight-0 "no pair" cells);
  - larger tables: column generation on the LP of the bipartite matching polytope
    (``x_e ∈ [0, 1]``, one pair per animal, ``Σ x ≤ max_pairs``). That polytope is
    integral (a network-flow constraint matrix is totally unimodular), so the LP
    optimum is a matching. Start from every animal's best ``k`` mates, solve with
    HiGHS dual simplex, price *all* eligible pairs with the duals
    (``ΔGD_e − u_m − v_f − λ > 0``?), add the violators, repeat: the final LP
    duals certify optimality over the full table.

* ``"dynamic-mk"`` (Ivy & Lacy 2012, "Dynamic MK"): repeat — among eligible
  pairs of still unpaired animals whose offspring would raise the GD of the
  *current* population, take the one with the lowest ``MK_m + MK_f`` (ties: lower
  φ(m, f), then table order); add one offspring of that pair to the population
  and update every MK in O(n) (``r_j += ½(K_sj + K_dj)`` plus the kinship to the
  earlier offspring), until ``max_pairs`` pairs or no pair qualifies.

References: Ballou & Lacy (1995); Ivy JA, Lacy RC (2012) A comparison of
strategies for selecting breeding pairs to maximize genetic diversity retention
in managed populations, J. Hered. 103:186–196.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from studbook.errors import InvalidInputError
from studbook.recommend.msi import DASH, MSIConfig, msi_scores

FloatArray = NDArray[np.float64]
I64 = NDArray[np.int64]

DENSE_LIMIT = 40_000_000
"""Tables with at most this many male×female cells use the dense assignment solver
(measured: 1k×1k 0.3 s, 5k×5k 38 s; LP column generation is slower up to there)."""

STRATEGIES = ("optimal", "dynamic-mk")


def _check_k(K: ArrayLike) -> FloatArray:
    a = np.asarray(K, dtype=np.float64)
    if a.ndim != 2 or a.shape[0] != a.shape[1]:
        raise ValueError(f"K must be a square matrix, got shape {a.shape}")
    return a


def _gd(S: float, n: int) -> float:
    return 1.0 - S / (n * n) if n else float("nan")


def delta_gd_offspring(K: ArrayLike, s: int, d: int) -> float:
    """ΔGD = GD(L ∪ {o}) − GD(L) for one offspring ``o`` of ``s × d`` (exact).

    ``ΔGD = S/n² − (S + r_s + r_d + ½(1 + K_sd))/(n + 1)²`` (module docs).

    Example:
        Two unrelated non-inbred founders: GD 0.75; with their offspring
        (f = ¼ to each parent) GD = 1 − (1 + 4·¼ + ½)/9 = 13/18.

        >>> round(delta_gd_offspring([[0.5, 0], [0, 0.5]], 0, 1), 12) == round(13/18 - 0.75, 12)
        True
    """
    Ka = _check_k(K)
    n = Ka.shape[0]
    S = float(Ka.sum())
    r_s, r_d = float(Ka[s].sum()), float(Ka[d].sum())
    return S / n**2 - (S + r_s + r_d + 0.5 * (1.0 + float(Ka[s, d]))) / (n + 1) ** 2


def population_gd_after(K: ArrayLike, pairs: list[tuple[int, int]] | ArrayLike) -> float:
    """GD of L plus one offspring of every pair (offspring–offspring kinship included).

    With P the p×n matrix holding ½ at each pair's sire and dam:
    ``Φ(o, L) = P K``, ``Φ(o, o') = P K Pᵀ`` off the diagonal and
    ``f_oo = ½(1 + K_sd)``; then GD = 1 − (ΣK + 2ΣPK + Σ Φ(o, o))/(n + p)².

    Example:
        >>> round(population_gd_after([[0.5, 0], [0, 0.5]], [(0, 1)]), 12) == round(13/18, 12)
        True
    """
    Ka = _check_k(K)
    n = Ka.shape[0]
    pr = np.asarray(pairs, dtype=np.int64).reshape(-1, 2)
    p = len(pr)
    S = float(Ka.sum())
    if p == 0:
        return _gd(S, n)
    s, d = pr[:, 0], pr[:, 1]
    PK = 0.5 * (Ka[s] + Ka[d])                  # p × n: kinship offspring–living
    OO = 0.5 * (PK[:, s] + PK[:, d])            # p × p: ¼(K_s1s2 + K_s1d2 + K_d1s2 + K_d1d2)
    np.fill_diagonal(OO, 0.5 * (1.0 + Ka[s, d]))
    return _gd(S + 2.0 * float(PK.sum()) + float(OO.sum()), n + p)


@dataclass(frozen=True)
class PairTable:
    """One row per male×female pair (positions in L), male-major order.

    Attributes:
        male, female: Positions in L.
        kinship: φ(m, f) = the offspring's inbreeding coefficient F_o.
        delta_gd: ΔGD of one offspring (:func:`delta_gd_offspring`).
        mk_difference: ``|MK_m − MK_f|``.
        offspring_known: ``½(known_m + known_f)`` (proportion).
        msi: MSI score (1..6, :data:`~studbook.recommend.msi.DASH` = "-").
    """

    male: I64
    female: I64
    kinship: FloatArray
    delta_gd: FloatArray
    mk_difference: FloatArray
    offspring_known: FloatArray
    msi: NDArray[np.int8]

    def __len__(self) -> int:
        return int(len(self.male))


def evaluate_pairs(K: ArrayLike, males: ArrayLike, females: ArrayLike, known: ArrayLike,
                   config: MSIConfig = MSIConfig()) -> PairTable:  # noqa: B008 - frozen dataclass, safe as a default
    """Evaluate every male × female pair: kinship, ΔGD, MK difference, % known, MSI.

    Vectorised from the row sums of K and the block ``K[males][:, females]``:
    O(n² + n_m·n_f) time, no matrix rebuilt per pair.

    Args:
        K: Kinship matrix of L.
        males, females: Positions in L (order kept; rows are male-major).
        known: Proportion known of every member of L (length n).
        config: MSI thresholds.

    Returns:
        The :class:`PairTable` (``len = n_m·n_f``).
    """
    Ka = _check_k(K)
    n = Ka.shape[0]
    m = np.asarray(males, dtype=np.int64).ravel()
    f = np.asarray(females, dtype=np.int64).ravel()
    kn = np.asarray(known, dtype=np.float64).ravel()
    if len(kn) != n:
        raise ValueError(f"known has {len(kn)} values for a population of {n}")
    for name, a in (("males", m), ("females", f)):
        if len(a) and (a.min() < 0 or a.max() >= n):
            raise ValueError(f"{name} must be positions in 0..{n - 1}")
    r = Ka.sum(axis=1)
    S = float(r.sum())
    mk = r / n if n else r
    phi = Ka[np.ix_(m, f)]
    dgd = S / n**2 - (S + r[m][:, None] + r[f][None, :] + 0.5 * (1.0 + phi)) / (n + 1) ** 2 \
        if n else np.zeros((len(m), len(f)))
    mkd = np.abs(mk[m][:, None] - mk[f][None, :])
    okn = 0.5 * (kn[m][:, None] + kn[f][None, :])
    msi = msi_scores(dgd, mkd, phi, okn, config, population_size=n)
    return PairTable(
        male=np.repeat(m, len(f)), female=np.tile(f, len(m)),
        kinship=phi.ravel(), delta_gd=dgd.ravel(), mk_difference=mkd.ravel(),
        offspring_known=okn.ravel(), msi=msi.ravel())


def _eligible(table: PairTable, allow_dash: bool, fill: bool = False) -> NDArray[np.bool_]:
    ok = np.isfinite(table.delta_gd)
    if not fill:
        ok &= table.delta_gd > 0
    if not allow_dash:
        ok &= table.msi != DASH
    return ok


def choose_pairs(K: ArrayLike, table: PairTable, *, strategy: str = "optimal",
                 max_pairs: int | None = None, allow_dash: bool = False,
                 fill: bool = False, eligible: ArrayLike | None = None) -> I64:
    """Choose breeding pairs: row indices into ``table``, each animal in at most one pair.

    See the module docstring for both strategies and for why only pairs with
    ΔGD > 0 are candidates by default.

    ``fill=True`` is the *demographic* mode, for when births are needed even
    though no (or too few) pairs raise GD — e.g. a young population of unrelated
    wild-caught founders, where every offspring lowers GD relative to the
    founders: pairs with ΔGD ≤ 0 become candidates too, ``"optimal"`` first
    maximises the number of pairs (up to ``max_pairs``) and then Σ ΔGD among
    plans of that size (weights shifted by a constant larger than any possible
    difference in Σ ΔGD), and ``"dynamic-mk"`` no longer stops when the best
    pair's offspring would lower GD.

    Args:
        K: Kinship matrix of L (used by ``"dynamic-mk"``; checked for both).
        table: From :func:`evaluate_pairs`.
        strategy: ``"optimal"`` or ``"dynamic-mk"``.
        max_pairs: At most this many pairs (None = no limit).
        allow_dash: Also consider pairs whose MSI is "-".
        eligible: Per row, False leaves the pair out (husbandry constraints: MSI classes,
            proven pairs, dependent dams, permits; see :mod:`studbook.recommend.husbandry`).

    Returns:
        ``int64`` row indices, sorted by decreasing ΔGD (``"optimal"``) or in
        the order chosen (``"dynamic-mk"``).

    Raises:
        InvalidInputError: unknown strategy or negative ``max_pairs``.
    """
    Ka = _check_k(K)
    if strategy not in STRATEGIES:
        raise InvalidInputError(f"unknown pairing strategy {strategy!r}",
                                hint=f"use one of: {', '.join(STRATEGIES)}")
    if max_pairs is not None and max_pairs < 0:
        raise InvalidInputError(f"max_pairs must be >= 0, got {max_pairs}", "give a positive number of pairs, or none for no limit")
    ok = _eligible(table, allow_dash, fill)
    if eligible is not None:
        ok &= np.asarray(eligible, dtype=bool).ravel()
    if max_pairs == 0 or not ok.any():
        return np.zeros(0, dtype=np.int64)
    if strategy == "dynamic-mk":
        return _dynamic_mk(Ka, table, ok, max_pairs, fill)
    w = table.delta_gd
    if fill:
        lo, hi = float(w[ok].min()), float(w[ok].max())
        spread = max(hi - lo, abs(hi), abs(lo), 1e-300)
        w = np.where(ok, (w - lo) + spread * (min(len(np.unique(table.male[ok])),
                                                   len(np.unique(table.female[ok]))) + 1), 0.0)
    rows = optimal_matching(table.male, table.female, w, ok, max_pairs)
    return rows[np.argsort(-table.delta_gd[rows], kind="stable")]


# --------------------------------------------------------------------------- optimal


def optimal_matching(male: ArrayLike, female: ArrayLike, weight: ArrayLike,
                     eligible: ArrayLike, max_pairs: int | None = None, *,
                     dense_limit: int = DENSE_LIMIT) -> I64:
    """Rows of a maximum-weight matching among the ``eligible`` rows (weights > 0).

    Each ``male``/``female`` value at most once, at most ``max_pairs`` rows.
    Dense assignment for small instances, LP column generation for large ones
    (module docstring). Duplicate (male, female) rows: the heaviest is used.
    """
    male = np.asarray(male, dtype=np.int64)
    female = np.asarray(female, dtype=np.int64)
    w = np.asarray(weight, dtype=np.float64)
    ok = np.asarray(eligible, dtype=bool) & np.isfinite(w) & (w > 0)
    idx = np.flatnonzero(ok)
    if len(idx) == 0 or max_pairs == 0:
        return np.zeros(0, dtype=np.int64)
    um, mi = np.unique(male[idx], return_inverse=True)
    uf, fi = np.unique(female[idx], return_inverse=True)
    nm, nf = len(um), len(uf)
    k = min(nm, nf) if max_pairs is None else min(int(max_pairs), nm, nf)
    scale = float(w[idx].max())
    order = np.argsort(w[idx], kind="stable")            # heaviest duplicate written last
    W = np.zeros((nm, nf))
    R = np.full((nm, nf), -1, dtype=np.int64)
    W[mi[order], fi[order]] = w[idx][order] / scale
    R[mi[order], fi[order]] = idx[order]
    if nm * nf <= dense_limit:
        a, b = _dense_assignment(W, k)
    else:
        a, b = _column_generation(W, k)
    keep = R[a, b] >= 0
    return np.sort(R[a[keep], b[keep]])


def _dense_assignment(W: FloatArray, k: int) -> tuple[I64, I64]:
    from scipy.optimize import linear_sum_assignment

    nm, nf = W.shape
    if k >= min(nm, nf):
        a, b = linear_sum_assignment(W, maximize=True)
    else:
        # exactly k real cells: n_f - k dummy rows absorb females, n_m - k dummy
        # columns absorb males; dummy x dummy is forbidden.
        size = nm + nf - k
        big = np.zeros((size, size))
        big[:nm, :nf] = W
        big[nm:, nf:] = -1e6
        a, b = linear_sum_assignment(big, maximize=True)
        real = (a < nm) & (b < nf)
        a, b = a[real], b[real]
    use = W[a, b] > 0
    return a[use].astype(np.int64), b[use].astype(np.int64)


def _column_generation(W: FloatArray, k: int, *, start: int = 8, per_row: int = 3,
                       tol: float = 1e-9, max_rounds: int = 500) -> tuple[I64, I64]:
    """Max-weight matching (≤ k edges) on dense weights W (0 = not allowed) by LP pricing."""
    from scipy.optimize import linprog
    from scipy.sparse import coo_matrix, vstack

    nm, nf = W.shape
    pos = W > 0
    # ΔGD is nearly separable (a_m + b_f − c·φ_mf): rank mates by the weight minus
    # a separable fit (row and column means over allowed cells), so that every
    # animal starts with its least related good mates rather than everybody
    # starting with the same few lowest-MK animals.
    cnt_r = np.maximum(pos.sum(axis=1), 1)
    cnt_c = np.maximum(pos.sum(axis=0), 1)
    row_mean = W.sum(axis=1) / cnt_r
    col_mean = W.sum(axis=0) / cnt_c
    cand = np.zeros_like(pos)
    for i0 in range(0, nm, max(1, 4_000_000 // max(nf, 1))):
        blk = slice(i0, i0 + max(1, 4_000_000 // max(nf, 1)))
        red = np.where(pos[blk], W[blk] - row_mean[blk, None] - col_mean[None, :], -np.inf)
        t = min(start, nf)
        top = np.argpartition(-red, t - 1, axis=1)[:, :t]
        cand[np.arange(i0, i0 + red.shape[0])[:, None], top] = True
    for j0 in range(0, nf, max(1, 4_000_000 // max(nm, 1))):
        blk = slice(j0, j0 + max(1, 4_000_000 // max(nm, 1)))
        red = np.where(pos[:, blk], W[:, blk] - row_mean[:, None] - col_mean[None, blk], -np.inf)
        t = min(start, nm)
        top = np.argpartition(-red, t - 1, axis=0)[:t, :]
        cand[top, np.arange(j0, j0 + red.shape[1])[None, :]] = True
    cand &= pos
    cardinality = k < min(nm, nf)
    for _ in range(max_rounds):
        em, ef = np.nonzero(cand)
        ne = len(em)
        cols = np.arange(ne)
        A = coo_matrix((np.ones(ne), (em, cols)), shape=(nm, ne))
        B = coo_matrix((np.ones(ne), (ef, cols)), shape=(nf, ne))
        blocks = [A, B]
        b_ub = [np.ones(nm), np.ones(nf)]
        if cardinality:
            blocks.append(coo_matrix(np.ones((1, ne))))
            b_ub.append(np.array([float(k)]))
        res = linprog(-W[em, ef], A_ub=vstack(blocks).tocsr(), b_ub=np.concatenate(b_ub),
                      bounds=(0, 1), method="highs-ds")
        if res.status != 0:  # pragma: no cover - LP of a matching is always feasible
            raise RuntimeError(f"matching LP failed: {res.message}")
        y = -np.asarray(res.ineqlin.marginals)
        u, v = y[:nm], y[nm:nm + nf]
        lam = float(y[nm + nf]) if cardinality else 0.0
        add_m_l, add_f_l = [], []
        block = max(1, 4_000_000 // max(nf, 1))
        found = 0
        for i0 in range(0, nm, block):
            rc = W[i0:i0 + block] - u[i0:i0 + block, None] - v[None, :] - lam
            rc[~pos[i0:i0 + block] | cand[i0:i0 + block]] = -np.inf
            t = min(per_row, nf)
            top = np.argpartition(-rc, t - 1, axis=1)[:, :t]
            val = np.take_along_axis(rc, top, axis=1)
            a, b = np.nonzero(val > tol)
            found += len(a)
            add_m_l.append(a + i0)
            add_f_l.append(top[a, b])
        if found == 0:
            break
        add_m, add_f = np.concatenate(add_m_l), np.concatenate(add_f_l)
        cand[add_m, add_f] = True
    x = np.asarray(res.x)
    if np.all(np.abs(x - np.round(x)) < 1e-6):
        chosen = x > 0.5
        return em[chosen].astype(np.int64), ef[chosen].astype(np.int64)
    return _milp_matching(W, em, ef, k)  # pragma: no cover - degenerate LP, not a vertex


def _milp_matching(W: FloatArray, em: I64, ef: I64, k: int) -> tuple[I64, I64]:
    from scipy.optimize import Bounds, LinearConstraint, milp
    from scipy.sparse import coo_matrix, vstack

    nm, nf = W.shape
    ne = len(em)
    cols = np.arange(ne)
    A = vstack([coo_matrix((np.ones(ne), (em, cols)), shape=(nm, ne)),
                coo_matrix((np.ones(ne), (ef, cols)), shape=(nf, ne)),
                coo_matrix(np.ones((1, ne)))]).tocsr()
    ub = np.concatenate([np.ones(nm + nf), [float(k)]])
    res = milp(-W[em, ef], constraints=LinearConstraint(A, -np.inf, ub),
               integrality=np.ones(ne), bounds=Bounds(0, 1), options={"mip_rel_gap": 0.0})
    chosen = np.asarray(res.x) > 0.5
    return em[chosen], ef[chosen]


# --------------------------------------------------------------------------- dynamic MK


def _dynamic_mk(K: FloatArray, table: PairTable, ok: NDArray[np.bool_],
                max_pairs: int | None, fill: bool = False) -> I64:
    n = K.shape[0]
    R = K.sum(axis=1)          # row sums over L ∪ offspring so far (living animals only)
    S = float(R.sum())
    size = n
    Q = np.zeros(n)            # Σ_o f_{j,o} over offspring so far (part of R)
    rows = np.flatnonzero(ok)
    m, f = table.male[rows], table.female[rows]
    phi = K[m, f]
    used = np.zeros(n, dtype=bool)
    out: list[int] = []
    limit = len(rows) if max_pairs is None else max_pairs
    while len(out) < limit:
        avail = ~used[m] & ~used[f]
        if not avail.any():
            break
        dgd = S / size**2 - (S + R[m] + R[f] + 0.5 * (1.0 + phi)) / (size + 1) ** 2
        cand = np.flatnonzero(avail if fill else avail & (dgd > 0))
        if len(cand) == 0:
            break
        key = np.lexsort((cand, phi[cand], R[m[cand]] + R[f[cand]]))
        c = int(cand[key[0]])
        s, d = int(m[c]), int(f[c])
        out.append(int(rows[c]))
        used[s] = used[d] = True
        # add the offspring o: f_oj = ½(K_sj + K_dj) (+ kinship to earlier offspring)
        f_oL = 0.5 * (K[s] + K[d])
        f_o_prev = 0.5 * (Q[s] + Q[d])   # Σ over earlier offspring o' of f_{o o'}
        S += 2.0 * (float(f_oL.sum()) + f_o_prev) + 0.5 * (1.0 + float(K[s, d]))
        R += f_oL
        Q += f_oL
        size += 1
    return np.asarray(out, dtype=np.int64)


def pair_rows_of(table: PairTable, pairs: Any) -> I64:
    """Row indices of (male, female) position pairs in ``table`` (helper for callers)."""
    lookup = {(int(a), int(b)): i for i, (a, b) in enumerate(zip(table.male, table.female))}
    try:
        return np.asarray([lookup[(int(a), int(b))] for a, b in pairs], dtype=np.int64)
    except KeyError as exc:
        raise InvalidInputError(f"pair {exc.args[0]} is not in the pair table") from exc
