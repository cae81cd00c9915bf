"""Benchmark the genetics core on synthetic studbooks.

Usage::

    python benchmarks/bench_genetics.py [--sizes 1500,10000,100000,1000000] [--seed 1]

Prints one row per (operation, N records): wall seconds and peak memory in MB
(``tracemalloc``, which sees numpy buffers; Python-object overhead of the
records themselves is included for ``from_records``). The naive baseline is the
dense tabular method (full N×N φ matrix, row by row), run where it fits.

``inbreeding`` is also timed on each path separately from ``--paths-from``
records up (numpy path incl. building the node graph; numba path, when numba
is installed, with its kernels already compiled). The numba compile time is
measured once, in subprocesses with an empty and then a warm on-disk cache.
"""

from __future__ import annotations

import argparse
import dataclasses
import gc
import importlib
import os
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.synthetic import synthetic_records  # noqa: E402
from studbook.genetics import (  # noqa: E402
    gene_diversity,
    gene_drop,
    inbreeding,
    kinship_matrix,
    mean_kinship,
    population_summary,
)
from studbook.pedigree import Pedigree  # noqa: E402

DENSE_MAX = 10_000
MATRIX_MAX_LIVING = 25_000
GENEDROP_MAX = 1_500
PATHS_FROM = 100_000

_COMPILE_SNIPPET = """
import time
t0 = time.perf_counter()
from studbook.genetics import _numba_kernels
from studbook.pedigree import Pedigree, PedigreeRecord as R
ped = Pedigree.from_records([R("A", sex="M"), R("A2", sex="M"), R("B", sex="F"),
                             R("X", sire_mult=(("A", .5), ("A2", .5)), dam="B"),
                             R("C", "A", "B")])
_numba_kernels.diag(ped)
print(time.perf_counter() - t0)
"""


def numba_compile_seconds() -> tuple[float, float] | None:
    """(cold compile, load from warm cache) seconds in fresh processes, or None."""
    try:
        import numba  # noqa: F401
    except ImportError:
        return None
    root = str(Path(__file__).resolve().parents[1])
    with tempfile.TemporaryDirectory() as cache:
        env = dict(os.environ, NUMBA_CACHE_DIR=cache, PYTHONPATH=root)
        out = [float(subprocess.run([sys.executable, "-c", _COMPILE_SNIPPET], env=env,
                                    check=True, capture_output=True, text=True).stdout)
               for _ in range(2)]
    return out[0], out[1]


def fresh(ped: Pedigree) -> Pedigree:
    """The same pedigree with an empty cache (no graph, no F)."""
    return dataclasses.replace(ped, _cache={})


def dense_tabular(ped: Pedigree) -> np.ndarray:
    """Naive baseline: the whole N×N kinship matrix by the tabular method."""
    n = ped.n
    phi = np.zeros((n, n))
    sire, dam = ped.sire, ped.dam
    for j in range(n):
        s, d = int(sire[j]), int(dam[j])
        row = np.zeros(j)
        if s >= 0:
            row += 0.5 * phi[s, :j]
        elif ped.sire_mult.ptr[j + 1] > ped.sire_mult.ptr[j]:
            for c, w in ped.sire_mult.of(j):
                row += 0.5 * w * phi[c, :j]
        if d >= 0:
            row += 0.5 * phi[d, :j]
        elif ped.dam_mult.ptr[j + 1] > ped.dam_mult.ptr[j]:
            for c, w in ped.dam_mult.of(j):
                row += 0.5 * w * phi[c, :j]
        phi[j, :j] = row
        phi[:j, j] = row
        ss = [(s, 1.0)] if s >= 0 else ped.sire_mult.of(j)
        dd = [(d, 1.0)] if d >= 0 else ped.dam_mult.of(j)
        f = sum(a * b * phi[x, y] for x, a in ss for y, b in dd) if ss and dd else 0.0
        phi[j, j] = 0.5 * (1.0 + f)
    return phi


def measure(fn: Callable[[], Any]) -> tuple[Any, float, float]:
    gc.collect()
    tracemalloc.start()
    t0 = time.perf_counter()
    out = fn()
    dt = time.perf_counter() - t0
    peak = tracemalloc.get_traced_memory()[1] / 1e6
    tracemalloc.stop()
    return out, dt, peak


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="1500,10000,100000,1000000")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--iterations", type=int, default=10_000, help="gene-drop iterations")
    ap.add_argument("--paths-from", type=int, default=PATHS_FROM,
                    help="time the numpy and numba inbreeding paths from this N on")
    args = ap.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",") if s]

    rows: list[tuple[str, int, str, float, float]] = []

    def report(op: str, n: int, note: str, dt: float, mb: float) -> None:
        rows.append((op, n, note, dt, mb))
        print(f"{op:<34} {n:>9,} {note:<26} {dt:>9.3f} {mb:>10.1f}", flush=True)

    print(f"{'operation':<34} {'N records':>9} {'detail':<26} {'seconds':>9} {'peak MB':>10}")
    print("-" * 92)
    inb = importlib.import_module("studbook.genetics.inbreeding")
    from studbook.genetics._graph import build_graph
    comp = numba_compile_seconds()
    if comp is None:
        report("numba kernel compile", 0, "numba not installed", float("nan"), float("nan"))
    else:
        report("numba kernel compile (cold)", 0, "fresh process, empty cache", comp[0], float("nan"))
        report("numba kernel load (cached)", 0, "fresh process, warm cache", comp[1], float("nan"))
        inb._compute_numba(Pedigree.from_records(synthetic_records(50, seed=0)))  # load kernels
    for n in sizes:
        t0 = time.perf_counter()
        recs = synthetic_records(n, seed=args.seed)
        gen_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        ped = Pedigree.from_records(recs)
        fr_s = time.perf_counter() - t0
        if n <= 100_000:  # tracemalloc slows Python-object code; measure memory separately
            _, _, fr_mb = measure(lambda: Pedigree.from_records(recs))
        else:
            fr_mb = float("nan")
        del recs
        n_l = len(ped.living)
        report("synthetic_records (setup)", n, "", gen_s, float("nan"))
        report("Pedigree.from_records", n, f"{int(ped.generation.max())} generations", fr_s, fr_mb)
        F, dt, mb = measure(lambda: inbreeding(ped))
        path = "numba" if inb._use_numba(ped) else "numpy"
        report("inbreeding (cold)", n, f"mean F {F.mean():.6f}, {path}", dt, mb)
        if n >= args.paths_from:
            p2 = fresh(ped)
            st, dt, mb = measure(lambda: inb._compute(p2, build_graph(p2)))
            report("  inbreeding, numpy path", n, "incl. node graph", dt, mb)
            del p2, st
            if comp is not None:
                p2 = fresh(ped)
                st, dt, mb = measure(lambda: inb._compute_numba(p2))
                err = float(np.abs(st.A_diag[: ped.n] - 1.0 - F).max())
                report("  inbreeding, numba path", n, f"max|ΔF| vs cached {err:.1e}", dt, mb)
                del p2, st
        gd, dt, mb = measure(lambda: gene_diversity(ped))
        report("mean_kinship + GD (warm)", n, f"{n_l:,} living, GD {gd:.4f}", dt, mb)
        _, dt, mb = measure(lambda: mean_kinship(ped))
        report("mean_kinship (warm, again)", n, "", dt, mb)
        _, dt, mb = measure(lambda: population_summary(ped))
        report("population_summary (warm)", n, "", dt, mb)
        if n_l <= MATRIX_MAX_LIVING:
            dtype = np.float64 if n_l <= 10_000 else np.float32
            K, dt, mb = measure(lambda: kinship_matrix(ped, dtype=dtype))
            report("kinship_matrix(living)", n, f"{n_l:,}² {np.dtype(dtype).name}", dt, mb)
            kin = K
        else:
            report("kinship_matrix(living)", n, f"skipped: {n_l:,} living", float("nan"), float("nan"))
            kin = None
        if n <= GENEDROP_MAX:
            res, dt, mb = measure(lambda: gene_drop(ped, args.iterations, seed=args.seed))
            report("gene_drop", n, f"{args.iterations} it, GD {res.gene_diversity:.4f}", dt, mb)
        if n <= DENSE_MAX:
            phi, dt, mb = measure(lambda: dense_tabular(ped))
            L = ped.living
            err = float(np.abs(phi[np.ix_(L, L)] - kin).max()) if kin is not None else float("nan")
            report("naive dense tabular (baseline)", n, f"N×N, max|Δ| {err:.1e}", dt, mb)
            del phi
        del kin, ped
        gc.collect()


if __name__ == "__main__":
    main()
