"""Pairing and transfer-plan timings (``python benchmarks/bench_recommend.py [--full]``).

* ~300 living animals (synthetic studbook, 1,500 animals): evaluate_pairs,
  choose_pairs (optimal, dynamic-mk), plan_transfers (distance weight 0 and 1e-4; then
  weight 2e-6 with each husbandry rule of ``recommend transfers`` alone and all together,
  against the rule-free plan of the same run),
  with networkx ``max_weight_matching`` and dense ``linear_sum_assignment`` as
  baselines for the optimal matching;
* ~10,000 living animals (synthetic studbook, 50,000 animals; ~5k × 5k pairs):
  evaluate_pairs and choose_pairs(optimal) (dense assignment on the compacted
  table, ~40 s); ``--full`` adds a raw ``linear_sum_assignment`` on the
  uncompacted table as a baseline (another ~40 s).

Proportion known is set to 1 for every animal (synthetic founders are not WILD,
so the real % known would put most pairs at MSI "-").
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from synthetic import synthetic_records  # noqa: E402

from studbook.genetics import kinship_matrix  # noqa: E402
from studbook.pedigree import Pedigree  # noqa: E402
from studbook.recommend import (  # noqa: E402
    Site,
    choose_pairs,
    evaluate_pairs,
    plan_transfers,
)
from studbook.recommend.pairing import _eligible  # noqa: E402

ROWS: list[tuple[str, str, float, str]] = []


def timed(label: str, size: str, fn, note: str = ""):  # type: ignore[no-untyped-def]
    t = time.perf_counter()
    out = fn()
    dt = time.perf_counter() - t
    ROWS.append((label, size, dt, note))
    print(f"  {label:<44} {size:<14} {dt:9.3f} s  {note}", file=sys.stderr)
    return out


def population(n_records: int, seed: int):  # type: ignore[no-untyped-def]
    ped = Pedigree.from_records(synthetic_records(n_records, seed=seed))
    L = ped.living
    K = kinship_matrix(ped, L)
    sex = np.asarray(ped.sex)[L].astype(np.int8)
    return K, sex


def gain(table, rows) -> str:  # type: ignore[no-untyped-def]
    return f"{len(rows)} pairs, ΣΔGD={float(table.delta_gd[rows].sum()):.6f}"


def bench_300() -> None:
    K, sex = timed("kinship_matrix (synthetic, 1.5k records)", "", lambda: population(1500, 1))
    n = K.shape[0]
    males, females = np.flatnonzero(sex == 1), np.flatnonzero(sex == 2)
    size = f"{n} ({len(males)}x{len(females)})"
    known = np.ones(n)
    table = timed("evaluate_pairs", size, lambda: evaluate_pairs(K, males, females, known))
    rows = timed("choose_pairs optimal (dense LSA)", size, lambda: choose_pairs(K, table))
    ROWS[-1] = ROWS[-1][:3] + (gain(table, rows),)
    rows = timed("choose_pairs dynamic-mk", size,
                 lambda: choose_pairs(K, table, strategy="dynamic-mk"))
    ROWS[-1] = ROWS[-1][:3] + (gain(table, rows),)
    ok = _eligible(table, False)
    from studbook.recommend import optimal_matching

    rows = timed("baseline: optimal via LP column generation", size,
                 lambda: optimal_matching(table.male, table.female, table.delta_gd, ok,
                                          dense_limit=0))
    ROWS[-1] = ROWS[-1][:3] + (gain(table, rows),)

    def nx_matching():  # type: ignore[no-untyped-def]
        import networkx as nx

        g = nx.Graph()
        idx = np.flatnonzero(ok)
        for r in idx:
            g.add_edge(("m", int(table.male[r])), ("f", int(table.female[r])),
                       weight=float(table.delta_gd[r]), row=int(r))
        match = nx.max_weight_matching(g)
        return np.array([g.edges[a, b]["row"] for a, b in match], dtype=np.int64)

    rows = timed("baseline: networkx max_weight_matching", size, nx_matching)
    ROWS[-1] = ROWS[-1][:3] + (gain(table, rows),)
    rng = np.random.default_rng(0)
    sites = [Site(f"Z{i:02d}", float(rng.uniform(-40, 60)), float(rng.uniform(-120, 150)),
                  ("EU", "NA", "AS", "AU")[i % 4], int(rng.integers(3, 12)), int(rng.integers(3, 12)))
             for i in range(25)]
    location = rng.integers(0, len(sites), n)
    def describe(plan) -> str:  # type: ignore[no-untyped-def]
        return f"{len(plan.pairs)} pairs, {len(plan.moves)} moves, {plan.total_km:,.0f} km, ΣΔGD={plan.gain:.6f}"

    for w in (0.0, 1e-4):
        plan = timed(f"plan_transfers (weight {w:g}, 25 sites, capacity)", size,
                     lambda: plan_transfers(K, table, location, sex, sites, distance_weight=w))
        ROWS[-1] = ROWS[-1][:3] + (describe(plan),)
    # the husbandry rules of `recommend transfers` (issue 10), each alone then all together,
    # against the rule-free plan of the same run (the baseline of this block). The synthetic ΔGD are
    # small, so the weight is set where the plan still moves animals (the sample book uses 0.1).
    mean_gain = float(np.mean(table.delta_gd[_eligible(table, False)]))
    immobile = rng.random(n) < 0.1          # dependent dams/young and proven pairs: ~10 %
    partners = {int(m): [int(f)] for m, f in zip(rng.choice(males, 10, replace=False),
                                                 rng.choice(females, 10, replace=False))}
    rules = {
        "baseline: weight 2e-6, no husbandry rule": {},
        "+ no opposite flows": {"one_way": True},
        "+ cross-region min gain (1 mean pair gain)": {"cross_region_min_gain": mean_gain},
        "+ immobile 10 % and 10 proven pairs": {"immobile": immobile, "partners": partners},
        "all rules (the CLI defaults)": {"one_way": True, "cross_region_min_gain": mean_gain,
                                         "immobile": immobile, "partners": partners},
    }
    for label, kw in rules.items():
        plan = timed(f"plan_transfers {label}", size,
                     lambda kw=kw: plan_transfers(K, table, location, sex, sites, distance_weight=2e-6, **kw))
        ROWS[-1] = ROWS[-1][:3] + (describe(plan),)


def bench_10k(full: bool) -> None:
    K, sex = timed("kinship_matrix (synthetic, 50k records)", "", lambda: population(50_000, 2))
    n = K.shape[0]
    males, females = np.flatnonzero(sex == 1), np.flatnonzero(sex == 2)
    size = f"{n} ({len(males)}x{len(females)})"
    table = timed("evaluate_pairs", size, lambda: evaluate_pairs(K, males, females, np.ones(n)))
    rows = timed("choose_pairs optimal (dense LSA, compacted)", size, lambda: choose_pairs(K, table))
    ROWS[-1] = ROWS[-1][:3] + (gain(table, rows),)
    ok = _eligible(table, False)
    W = np.where(ok, table.delta_gd, 0.0).reshape(len(males), len(females))
    from scipy.optimize import linear_sum_assignment

    if not full:
        return
    sub = W
    label = "baseline: dense linear_sum_assignment"
    a, b = timed(label, f"{sub.shape[0]}x{sub.shape[1]}",
                 lambda: linear_sum_assignment(sub, maximize=True))
    if full:
        ROWS[-1] = ROWS[-1][:3] + (f"ΣΔGD={float(sub[a, b].sum()):.6f}",)
    else:
        from studbook.recommend import optimal_matching

        mm = np.repeat(np.arange(2000), 2000)
        ff = np.tile(np.arange(2000), 2000)
        rows = timed("choose_pairs optimal on the same 2000x2000", "2000x2000",
                     lambda: optimal_matching(mm, ff, sub.ravel(), sub.ravel() > 0))
        ROWS[-1] = ROWS[-1][:3] + (f"ΣΔGD={float(sub.ravel()[rows].sum()):.6f} "
                                   f"(LSA {float(sub[a, b].sum()):.6f})",)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--full", action="store_true", help="dense LSA baseline on the 5k x 5k table")
    ap.add_argument("--skip-10k", action="store_true")
    args = ap.parse_args()
    print("~300 living", file=sys.stderr)
    bench_300()
    if not args.skip_10k:
        print("~10k living", file=sys.stderr)
        bench_10k(args.full)
    print("\n| step | population | seconds | result |\n|---|---|---:|---|")
    for label, size, dt, note in ROWS:
        print(f"| {label} | {size} | {dt:.3f} | {note} |")


if __name__ == "__main__":
    main()
