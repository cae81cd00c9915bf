"""Seeded synthetic studbooks for benchmarks (and large-input tests).

Model: animals are born one after another over ``years`` years (constant birth
rate, so generations overlap). Each newborn is a new founder with probability
``founder_fraction``, has exactly one unknown parent with probability
``one_parent_fraction`` (together ≈ 10 % unknown parents), otherwise both
parents are drawn uniformly among the animals of the right sex aged
``min_age``–``max_age`` years at the birth. A small ``mult_fraction`` of sire
slots are MULT groups of two candidates with probabilities 0.6/0.4. Lifespans are
exponential with mean ``lifespan`` years, so about ``lifespan / years`` (≈ 20 %)
of the animals are alive at the end. Same seed, same pedigree.
"""

from __future__ import annotations

import numpy as np

from studbook.pedigree import PedigreeRecord


def synthetic_arrays(n: int, *, seed: int = 0, years: float = 50.0, lifespan: float = 10.0,
                     min_age: float = 2.0, max_age: float = 15.0,
                     founder_fraction: float = 0.07, one_parent_fraction: float = 0.03,
                     mult_fraction: float = 0.005) -> dict[str, np.ndarray]:
    """Columns of a synthetic pedigree (parents always before children)."""
    rng = np.random.default_rng(seed)
    birth = np.sort(rng.uniform(0.0, years, n))
    sex = rng.integers(1, 3, n).astype(np.int8)  # 1 M, 2 F
    sire = np.full(n, -1, np.int64)
    dam = np.full(n, -1, np.int64)
    lo = np.searchsorted(birth, birth - max_age)
    hi = np.searchsorted(birth, birth - min_age)

    def pick(code: int) -> np.ndarray:
        pool = np.flatnonzero(sex == code)
        a, b = np.searchsorted(pool, lo), np.searchsorted(pool, hi)
        ok = b > a
        out = np.full(n, -1, np.int64)
        out[ok] = pool[a[ok] + (rng.random(int(ok.sum())) * (b[ok] - a[ok])).astype(np.int64)]
        return out

    sire, dam = pick(1), pick(2)
    u = rng.random(n)
    founder = u < founder_fraction
    one = (u >= founder_fraction) & (u < founder_fraction + one_parent_fraction)
    sire[founder] = -1
    dam[founder] = -1
    drop_sire = one & (rng.random(n) < 0.5)
    sire[drop_sire] = -1
    dam[one & ~drop_sire] = -1
    sire2 = pick(1)
    mult = (rng.random(n) < mult_fraction) & (sire >= 0) & (sire2 >= 0) & (sire2 != sire)
    alive = birth + rng.exponential(lifespan, n) > years
    return {"birth": birth, "sex": sex, "sire": sire, "dam": dam, "alive": alive,
            "mult": mult, "sire2": sire2}


def synthetic_records(n: int, *, seed: int = 0, **kw: float) -> list[PedigreeRecord]:
    """``n`` synthetic records (see module docs); ids are ``"S0000001"``…"""
    a = synthetic_arrays(n, seed=seed, **kw)
    ids = [f"S{i:07d}" for i in range(n)]
    sexes = ("U", "M", "F")
    out = []
    for i, (s, d, x, al, m, s2, b) in enumerate(zip(
            a["sire"].tolist(), a["dam"].tolist(), a["sex"].tolist(), a["alive"].tolist(),
            a["mult"].tolist(), a["sire2"].tolist(), a["birth"].tolist())):
        if m:
            out.append(PedigreeRecord(ids[i], None, ids[d] if d >= 0 else None,
                                      sire_mult=((ids[s], 0.6), (ids[s2], 0.4)),
                                      sex=sexes[x], alive=al, birth_year=round(b, 3)))
        else:
            out.append(PedigreeRecord(ids[i], ids[s] if s >= 0 else None,
                                      ids[d] if d >= 0 else None, sex=sexes[x], alive=al,
                                      birth_year=round(b, 3)))
    return out
