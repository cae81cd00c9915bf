"""Naive twins of studbook.recommend (tests only; slow and obvious on purpose).

* GD from scratch: ``1 − mean(K)`` of an explicitly built matrix;
* an offspring is appended as a new row/column ``f_oj = ½(K_sj + K_dj)`` (over
  everything already in the matrix, earlier offspring included),
  ``f_oo = ½(1 + K_sd)``;
* removal deletes the row and column;
* pair selection and transfer plans by enumerating every feasible plan.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence

import numpy as np


def naive_gd(K: np.ndarray) -> float:
    return 1.0 - float(np.mean(K)) if K.size else float("nan")


def append_offspring(K: np.ndarray, s: int, d: int) -> np.ndarray:
    n = K.shape[0]
    out = np.zeros((n + 1, n + 1))
    out[:n, :n] = K
    row = 0.5 * (K[s] + K[d])
    out[n, :n] = row
    out[:n, n] = row
    out[n, n] = 0.5 * (1.0 + K[s, d])
    return out


def naive_delta_gd_offspring(K: np.ndarray, s: int, d: int) -> float:
    return naive_gd(append_offspring(K, s, d)) - naive_gd(K)


def naive_gd_after(K: np.ndarray, pairs: Sequence[tuple[int, int]]) -> float:
    A = np.array(K, dtype=float)
    for s, d in pairs:
        A = append_offspring(A, s, d)
    return naive_gd(A)


def naive_delta_gd_if_removed(K: np.ndarray) -> np.ndarray:
    n = K.shape[0]
    out = np.empty(n)
    for i in range(n):
        rest = np.delete(np.delete(K, i, axis=0), i, axis=1)
        out[i] = naive_gd(rest) - naive_gd(K) if n > 1 else np.nan
    return out


def matchings(edges: Sequence[tuple[int, int, int]], max_pairs: int | None = None
              ) -> Iterator[tuple[int, ...]]:
    """Every set of rows (edge = (row, male, female)) using each animal at most once."""
    edges = list(edges)

    def rec(start: int, used_m: frozenset[int], used_f: frozenset[int], chosen: tuple[int, ...]
            ) -> Iterator[tuple[int, ...]]:
        yield chosen
        if max_pairs is not None and len(chosen) >= max_pairs:
            return
        for k in range(start, len(edges)):
            row, m, f = edges[k]
            if m in used_m or f in used_f:
                continue
            yield from rec(k + 1, used_m | {m}, used_f | {f}, chosen + (row,))

    yield from rec(0, frozenset(), frozenset(), ())


def brute_force_best_matching(weight: np.ndarray, male: np.ndarray, female: np.ndarray,
                              eligible: np.ndarray, max_pairs: int | None = None) -> float:
    """Best Σ weight over all matchings of eligible rows (empty matching = 0)."""
    edges = [(int(r), int(male[r]), int(female[r])) for r in np.flatnonzero(eligible)]
    return max(sum(float(weight[r]) for r in m) for m in matchings(edges, max_pairs))


def brute_force_transfers(delta_gd: np.ndarray, male: np.ndarray, female: np.ndarray,
                          eligible: np.ndarray, location: np.ndarray, sex: np.ndarray,
                          cost: np.ndarray, capacity: np.ndarray, weight: float,
                          max_pairs: int | None = None) -> float:
    """Best Σ ΔGD − weight·Σ cost/1000 over pair sets × move directions under capacity.

    ``capacity[site, sex-1]`` (inf = unlimited); ``cost[row]`` per move.
    A site over capacity for a sex receives none of that sex; otherwise
    occupancy − leaving + arriving ≤ capacity.
    """
    edges = [(int(r), int(male[r]), int(female[r])) for r in np.flatnonzero(eligible)]
    S = capacity.shape[0]
    now = np.zeros((S, 2))
    for loc, sx in zip(location, sex):
        if loc >= 0 and sx in (1, 2):
            now[loc, sx - 1] += 1
    best = 0.0
    for m in matchings(edges, max_pairs):
        options = []
        for r in m:
            options.append([0] if location[male[r]] == location[female[r]] else [1, 2])
        for dirs in itertools.product(*options):
            arrive = np.zeros((S, 2))
            leave = np.zeros((S, 2))
            value = 0.0
            for r, dr in zip(m, dirs):
                value += float(delta_gd[r])
                if dr == 0:
                    continue
                mover = male[r] if dr == 1 else female[r]
                dest = location[female[r]] if dr == 1 else location[male[r]]
                x = int(sex[mover]) - 1
                arrive[dest, x] += 1
                leave[location[mover], x] += 1
                value -= weight * float(cost[r]) / 1000.0
            ok = True
            for s in range(S):
                for x in (0, 1):
                    if not np.isfinite(capacity[s, x]):
                        continue
                    if now[s, x] > capacity[s, x]:
                        ok &= arrive[s, x] == 0
                    else:
                        ok &= now[s, x] - leave[s, x] + arrive[s, x] <= capacity[s, x]
            if ok:
                best = max(best, value)
    return best


def random_kinship(rng: np.random.Generator, n: int) -> np.ndarray:
    """A valid kinship matrix: founders + random matings (tabular method)."""
    K = np.zeros((n, n))
    for j in range(n):
        if j < max(2, n // 3) or rng.random() < 0.2:
            K[j, j] = 0.5
            continue
        s, d = rng.choice(j, size=2, replace=False)
        row = 0.5 * (K[s, :j] + K[d, :j])
        K[j, :j] = row
        K[:j, j] = row
        K[j, j] = 0.5 * (1.0 + K[s, d])
    return K


def naive_founder_shares(ped) -> np.ndarray:  # type: ignore[no-untyped-def]
    """n × F expected genome fraction from each founder (known sire/dam only;
    an unknown parent slot is its own phantom founder column)."""
    cols: dict[tuple[int, int], int] = {}
    rows: list[dict[int, float]] = []
    for i in range(ped.n):
        share: dict[int, float] = {}
        s, d = int(ped.sire[i]), int(ped.dam[i])
        if s < 0 and d < 0:
            share[cols.setdefault((i, -1), len(cols))] = 1.0
        else:
            for slot, p in enumerate((s, d)):
                if p < 0:
                    share[cols.setdefault((i, slot), len(cols))] = 0.5
                else:
                    for k, v in rows[p].items():
                        share[k] = share.get(k, 0.0) + 0.5 * v
        rows.append(share)
    out = np.zeros((ped.n, len(cols)))
    for i, share in enumerate(rows):
        for k, v in share.items():
            out[i, k] = v
    return out


def naive_dynamic_mk(K: np.ndarray, male: np.ndarray, female: np.ndarray,
                     eligible: np.ndarray, max_pairs: int | None = None) -> list[int]:
    """Dynamic MK (Ivy & Lacy 2012) by rebuilding the matrix after every pick."""
    A = np.array(K, dtype=float)
    used: set[int] = set()
    out: list[int] = []
    while max_pairs is None or len(out) < max_pairs:
        best = None
        for r in np.flatnonzero(eligible):
            m, f = int(male[r]), int(female[r])
            if m in used or f in used:
                continue
            if naive_gd(append_offspring(A, m, f)) - naive_gd(A) <= 0:
                continue
            key = (A[m].mean() + A[f].mean(), A[m, f], int(r))
            if best is None or key < best[0]:
                best = (key, int(r), m, f)
        if best is None:
            break
        _, r, m, f = best
        out.append(r)
        used |= {m, f}
        A = append_offspring(A, m, f)
    return out
