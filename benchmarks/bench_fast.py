"""Issue 13 speed rows (the read path and the kinship matrix), each next to its baseline in the same run.

``python benchmarks/bench_fast.py [--n 100000] [--db BOOK.db] [--pg URL] [--skip-matrix] [--runs 3]``

* **read path**: the book's rows -> frozen ``Pedigree`` + display info (what every
  ``genetics`` command does first), now (``pedigree_rows.build_loaded``: columns, one
  ``status_of`` per distinct event sequence, ``Pedigree.from_columns``) against the
  previous record-by-record path (``tests/reference/read_path_before.py``: one
  ``PedigreeRecord`` and one ``status_of`` per animal, the previous ``from_records``).
  Rows read through the stdlib ``sqlite3`` (``fastread``) and, with ``--pg``, through the
  driver cursor (``analysis.read_rows``) against SQLAlchemy rows (``read_rows_orm``).
  ``--db`` is a book made by ``studbook import pedigree`` (default: one is built from
  ``synthetic.py`` in a temporary folder, which takes a while at 100k).
* **MK + GD right after F** (``--mk-n``, default 1M): with the numba kernel, the first
  ``mean_kinship`` now sweeps the kernel's node arrays; the baseline builds the node graph
  first (what the first call did before). Also ``Pedigree.from_columns`` against
  ``from_records`` on the same animals.
* **gene drop** (``--gd-n``, ``--gd-iterations``): iterations in batches whose held
  alleles stay under ``max_bytes`` (512 MB), no stacked copies, against the previous
  one-pass code (``tests/reference/genedrop_before.py``).
* **kinship matrix** of the living (float32): column-slab writes (now) against the
  previous transposed row-slab copy (the same sweeps, a prototype of the old loop kept
  here), and into a ``.npy`` file through ``open_memmap`` (what
  ``genetics kinship --matrix --output FILE.npy`` does). Peak memory: ``ru_maxrss`` of a
  fresh child process per variant.

Times are medians of ``--runs``; the machine is shared, so read each figure against the
baseline printed next to it.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "tests"))


def median_time(fn, runs: int) -> float:
    ts = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t)
    return statistics.median(ts)


def make_book(n: int, folder: Path) -> Path:
    from bench_records import write_synthetic

    csv_path, db = folder / f"s{n}.csv", folder / f"s{n}.db"
    write_synthetic(csv_path, n)
    cmd = [sys.executable, "-c", "import sys; from studbook.cli import main; sys.exit(main())"]
    subprocess.run(cmd + ["--db", str(db), "init"], check=True, capture_output=True)
    subprocess.run(cmd + ["--db", str(db), "import", "pedigree", str(csv_path)], check=True, capture_output=True)
    return db


def bench_read(db: Path, pg: str | None, runs: int) -> None:
    from reference.read_path_before import build_loaded_before

    from studbook.services.fastread import read_rows_sqlite
    from studbook.services.pedigree_rows import build_loaded

    rows = read_rows_sqlite(str(db))
    print(f"\nread path: {len(rows.animals):,} animals, {len(rows.events):,} events ({db.name})")
    t_rows = median_time(lambda: read_rows_sqlite(str(db)), runs)
    t_new = median_time(lambda: build_loaded(rows), runs)
    t_old = median_time(lambda: build_loaded_before(rows), runs)
    print(f"  sqlite3 rows                          {t_rows:7.3f} s")
    print(f"  build_loaded (columns)                {t_new:7.3f} s   baseline record path {t_old:7.3f} s "
          f"({t_old / t_new:.1f}x faster)")
    print(f"  rows + build, SQLite                  {t_rows + t_new:7.3f} s   baseline {t_rows + t_old:7.3f} s")
    if pg:
        from sqlalchemy import create_engine
        from sqlalchemy.orm import Session

        from studbook.services.analysis import read_rows, read_rows_orm

        engine = create_engine(pg)
        with Session(engine) as s:
            t_drv = median_time(lambda: read_rows(s), runs)
            t_orm = median_time(lambda: read_rows_orm(s), runs)
        engine.dispose()
        print(f"  PostgreSQL rows (driver cursor)       {t_drv:7.3f} s   baseline SQLAlchemy rows {t_orm:7.3f} s")


CHILD = r"""
import json, resource, sys, time
import numpy as np
sys.path.insert(0, sys.argv[1])
from synthetic import synthetic_records
from studbook.pedigree import Pedigree
from studbook.genetics import inbreeding
from studbook.genetics import kinship as K
n, variant, path = int(sys.argv[2]), sys.argv[3], sys.argv[4]
ped = Pedigree.from_records(synthetic_records(n, seed=1))
inbreeding(ped)
idx = ped.living

def rows_transposed(ped, idx, dt=np.float32, block=512):
    # the previous loop (before issue 13): a transposed copy of each column block into a row slab
    from studbook.genetics._graph import ancestor_coefficients, build_graph, sub_pedigree
    k = len(idx)
    out = np.empty((k, k), dtype=dt)
    sub, old = sub_pedigree(ped, ped.ancestors_mask(idx))
    g = build_graph(sub)
    D = K._sub_D(ped, sub, old, g.n_nodes)
    new = np.full(ped.n, -1, np.int64)
    new[old] = np.arange(len(old))
    col, anc, coef = ancestor_coefficients(g, new[idx])
    val = (coef * D[anc]).astype(dt)
    sw = g.spmm(dt)
    rank, sweep = sw.rank, sw.forward
    row = rank[anc]
    pos = rank[new[idx]]
    cut = np.searchsorted(col, np.arange(0, k + block, block))
    half = dt(0.5)
    X = np.empty((g.n_nodes, min(block, k)), dtype=dt)
    for a in range(0, k, block):
        b = min(a + block, k)
        W = X[:, : b - a]
        W[...] = 0.0
        e0, e1 = cut[a // block], cut[a // block + 1]
        W[row[e0:e1], col[e0:e1] - a] = val[e0:e1]
        W = sweep(W)
        out[a:b, :] = (W[pos] * half).T
    K._symmetrize(out)
    return out

t = time.perf_counter()
if variant == "old":
    m = rows_transposed(ped, idx)
elif variant == "new":
    m = K.kinship_matrix(ped, idx, dtype=np.float32)
else:
    from numpy.lib.format import open_memmap
    m = open_memmap(path, mode="w+", dtype=np.float32, shape=(len(idx), len(idx)))
    K.kinship_matrix(ped, idx, dtype=np.float32, out=m)
    m.flush()
sec = time.perf_counter() - t
check = float(m[::97, ::89].astype(np.float64).sum())
print(json.dumps({"s": sec, "k": len(idx), "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "check": check}))
"""


def bench_matrix(n: int, runs: int) -> None:
    print(f"\nkinship matrix of the living, float32, {n:,} records (fresh process per run; peak = ru_maxrss)")
    with tempfile.TemporaryDirectory() as tmp:
        res: dict[str, list[dict]] = {}
        for _ in range(runs):
            for variant in ("old", "new", "npy"):
                out = subprocess.run([sys.executable, "-c", CHILD, str(HERE), str(n), variant,
                                      os.path.join(tmp, "k.npy")], check=True, capture_output=True, text=True)
                res.setdefault(variant, []).append(json.loads(out.stdout))
        checks = {v: r[0]["check"] for v, r in res.items()}
        k = res["new"][0]["k"]
        names = {"old": "baseline: transposed row slabs", "new": "column slabs (now)",
                 "npy": "column slabs into .npy (open_memmap)"}
        for v in ("old", "new", "npy"):
            s = statistics.median(r["s"] for r in res[v])
            mb = max(r["rss_mb"] for r in res[v])
            print(f"  {names[v]:40s} {s:7.2f} s  peak {mb:7.0f} MB   ({k:,} living)")
        print(f"  same values: {len(set(round(c, 3) for c in checks.values())) == 1} ({checks})")


MK_CHILD = r"""
import json, sys, time
import numpy as np
sys.path.insert(0, sys.argv[1])
from synthetic import synthetic_arrays
from studbook.pedigree import Pedigree, PedigreeRecord
n = int(sys.argv[2])
a = synthetic_arrays(n, seed=1)
ids = [f"S{i:07d}" for i in range(n)]
sexes = ("U", "M", "F")
sire = [ids[s] if s >= 0 else None for s in a["sire"].tolist()]
dam = [ids[d] if d >= 0 else None for d in a["dam"].tolist()]
sex = [sexes[x] for x in a["sex"].tolist()]
special = {}
for i in np.flatnonzero(a["mult"]).tolist():
    s, s2 = int(a["sire"][i]), int(a["sire2"][i])
    special[i] = PedigreeRecord(ids[i], None, dam[i], sire_mult=((ids[s], 0.6), (ids[s2], 0.4)), sex=sex[i])
    sire[i] = None
birth = np.round(a["birth"], 3)
import gc
gc.collect()  # before each timed step: a full collection of the millions of objects built above is not the step's
t = time.perf_counter()
ped = Pedigree.from_columns(ids, sire, dam, sex, alive=a["alive"], birth_year=birth, special=special)
t_cols = time.perf_counter() - t
recs = [special.get(i) or PedigreeRecord(ids[i], sire[i], dam[i], sex=sex[i], alive=bool(a["alive"][i]),
                                         birth_year=float(birth[i])) for i in range(n)]
for i, r in special.items():
    from dataclasses import replace
    recs[i] = replace(r, alive=bool(a["alive"][i]), birth_year=float(birth[i]))
gc.collect()
t = time.perf_counter()
ped2 = Pedigree.from_records(recs)
t_recs = time.perf_counter() - t
assert ped2.ids == ped.ids and (ped2.sire == ped.sire).all() and (ped2.alive == ped.alive).all()
del recs, ped2
gc.collect()
from studbook.genetics import inbreeding, mean_kinship, gene_diversity
from studbook.genetics._graph import build_graph
from studbook.genetics.inbreeding import _use_numba
t = time.perf_counter(); inbreeding(ped); t_f = time.perf_counter() - t
L = ped.living
gc.collect()
t = time.perf_counter(); mk = mean_kinship(ped, L); gd = gene_diversity(mk); t_first = time.perf_counter() - t
t = time.perf_counter(); mk = mean_kinship(ped, L); gd = gene_diversity(mk); t_warm = time.perf_counter() - t
t = time.perf_counter(); build_graph(ped); mk_old = mean_kinship(ped, L); gd_old = gene_diversity(mk_old)
t_old = time.perf_counter() - t
print(json.dumps({"numba": _use_numba(ped), "cols": t_cols, "recs": t_recs, "F": t_f, "first": t_first,
                  "warm": t_warm, "old": t_old, "living": len(L),
                  "diff": float(np.abs(mk - mk_old).max())}))
"""


def bench_mk(n: int) -> None:
    print(f"\nmean kinship + GD of the living right after F, {n:,} records (fresh process)")
    out = subprocess.run([sys.executable, "-c", MK_CHILD, str(HERE), str(n)], check=True, capture_output=True,
                         text=True)
    r = json.loads(out.stdout)
    print(f"  Pedigree.from_columns                   {r['cols']:7.3f} s   baseline from_records {r['recs']:7.3f} s")
    print(f"  inbreeding F ({'numba kernel' if r['numba'] else 'numpy'})            {r['F']:7.3f} s")
    print(f"  MK + GD, first call (kernel's nodes)    {r['first']:7.3f} s   baseline: node graph built + sweeps "
          f"{r['old']:7.3f} s   warm {r['warm']:.3f} s   ({r['living']:,} living, max |dMK| {r['diff']:.1e})")


GD_CHILD = r"""
import json, resource, sys, time
sys.path.insert(0, sys.argv[1])
sys.path.insert(0, sys.argv[1] + "/../tests")
from synthetic import synthetic_records
from studbook.pedigree import Pedigree
n, iters, variant = int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
ped = Pedigree.from_records(synthetic_records(n, seed=1))
if variant == "old":
    from reference.genedrop_before import gene_drop
else:
    from studbook.genetics.genedrop import gene_drop
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
t = time.perf_counter()
res = gene_drop(ped, iters, seed=1)
sec = time.perf_counter() - t
print(json.dumps({"s": sec, "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "base_mb": base,
                  "gd": res.gene_diversity, "gd_se": res.gene_diversity_se, "living": len(ped.living)}))
"""


def bench_genedrop(n: int, iterations: int) -> None:
    print(f"\ngene drop, {iterations:,} iterations, {n:,} records (fresh process each; peak = ru_maxrss)")
    for variant, name in (("old", "baseline: one pass, stacked copies"), ("new", "batched iterations (now)")):
        out = subprocess.run([sys.executable, "-c", GD_CHILD, str(HERE), str(n), str(iterations), variant],
                             capture_output=True, text=True)
        if out.returncode != 0:
            print(f"  {name:40s} failed: {out.stderr.strip().splitlines()[-1] if out.stderr.strip() else out.returncode}")
            continue
        r = json.loads(out.stdout)
        print(f"  {name:40s} {r['s']:7.2f} s  peak {r['rss_mb']:6.0f} MB (pedigree alone {r['base_mb']:.0f} MB)  "
              f"GD {r['gd']:.5f} ± {r['gd_se']:.5f}  ({r['living']:,} living)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--db", type=Path, default=None, help="a book imported from synthetic.py (default: build one)")
    ap.add_argument("--pg", default=None, help="a PostgreSQL URL of the same book, for the driver-cursor read")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--skip-read", action="store_true")
    ap.add_argument("--skip-matrix", action="store_true")
    ap.add_argument("--gd-n", type=int, default=100_000, help="size for the gene drop row (0 = skip)")
    ap.add_argument("--gd-iterations", type=int, default=10_000)
    ap.add_argument("--mk-n", type=int, default=1_000_000, help="size for the MK-after-F row (0 = skip)")
    args = ap.parse_args()
    print(f"bench_fast: python {sys.version.split()[0]}, {os.cpu_count()} CPUs")
    if not args.skip_read:
        if args.db is None:
            with tempfile.TemporaryDirectory() as tmp:
                bench_read(make_book(args.n, Path(tmp)), args.pg, args.runs)
        else:
            bench_read(args.db, args.pg, args.runs)
    if args.mk_n:
        bench_mk(args.mk_n)
    if args.gd_n:
        bench_genedrop(args.gd_n, args.gd_iterations)
    if not args.skip_matrix:
        bench_matrix(args.n, args.runs)


if __name__ == "__main__":
    main()
