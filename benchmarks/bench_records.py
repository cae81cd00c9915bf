"""Write latency of the CLI on small and large books, and `import pedigree` scaling.

    python benchmarks/bench_records.py [--quick] [--runs 5] [--sizes 10000,20000,50000,100000]
                                       [--deep-sizes 10000,20000,50000,100000] [--timeout 120] [--keep DIR]

Every number is the wall time of a fresh process of the installed `studbook` command
(`studbook --db PATH ...`, as a keeper runs it) on SQLite; each run works on its own
copy of a prepared database file, so every run does the same work. Printed: min and
median of the runs, next to two baselines of the same run (`python -c pass` and
`studbook --help`, the interpreter's and the CLI's start-up).

1. `studbook birth` (one cub) on a 200-animal book and on a 28,081-animal book
   (kinship2_minnbreast imported with `import pedigree`), and the ratio large/small
   (target: within 1.5x: a write should cost what it touches, not the book's size).
   Both books are imported pedigrees: every animal has a birth event at the
   placeholder institution UNKNOWN. The bench adds an institution BENCH, moves the
   chosen dam and sire there (`studbook transfer`), then times the birth at BENCH.
2. `studbook animal show ID` (the dam) on both books (target < 0.2 s).
3. `studbook import pedigree` of synthetic CSVs (`synthetic.py`: 50 years of births,
   so a larger file means a denser population), into a copy of an empty, migrated
   database: seconds and seconds per 10,000 records (linear = a flat column; target:
   100k under 20 s). "deep" files keep about 200 births a year, so a larger file is
   a longer history and each animal has more ancestors (no birth_year column there:
   500 years do not fit the date rules). An ancestor walk per animal is quadratic on
   those; a run that exceeds --timeout is stopped and the larger sizes are skipped.
"""

from __future__ import annotations

import argparse
import csv
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from synthetic import synthetic_records  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
MINNBREAST = ROOT.parent / "shared" / "reference" / "pedigrees" / "kinship2_minnbreast.csv"


class Failed(Exception):
    pass


def studbook_cmd() -> list[str]:
    installed = Path(sys.executable).with_name("studbook")
    return [str(installed)] if installed.exists() else [sys.executable, str(ROOT / "cli.py")]


SB = studbook_cmd()


def run(args: list[str], timeout: float | None = None) -> tuple[float, subprocess.CompletedProcess[str] | None]:
    """Wall time of one fresh process; the result is None when it ran past ``timeout`` (it is killed)."""
    t = time.perf_counter()
    try:
        r = subprocess.run(args, capture_output=True, text=True, timeout=timeout, cwd=ROOT)
    except subprocess.TimeoutExpired:
        return time.perf_counter() - t, None
    return time.perf_counter() - t, r


def must(args: list[str]) -> subprocess.CompletedProcess[str]:
    _, r = run(args)
    assert r is not None
    if r.returncode != 0:
        raise Failed(f"{' '.join(args[len(SB):])}: exit {r.returncode}: {(r.stderr or r.stdout).strip()[:600]}")
    return r


def copy_db(src: Path, dst: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        s = Path(str(src) + suffix)
        d = Path(str(dst) + suffix)
        if s.exists():
            shutil.copyfile(s, d)
        elif d.exists():
            d.unlink()


# --- inputs -----------------------------------------------------------------------


def write_synthetic(path: Path, n: int, *, seed: int = 1, years: float = 50.0, birth_years: bool = True) -> None:
    """A synthetic pedigree as a plain CSV: numeric IDs (studbook style), a MULT sire becomes its
    likelier candidate, birth years from 1970 (when ``birth_years``)."""
    recs = synthetic_records(n, seed=seed, years=years)

    def num(sid: str | None) -> str:
        return str(int(sid[1:]) + 1) if sid else ""

    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["id", "sire", "dam", "sex", *(["birth_year"] if birth_years else []), "alive"])
        for r in recs:
            sire = r.sire or (r.sire_mult[0][0] if r.sire_mult else None)
            year = [1970 + int(r.birth_year or 0)] if birth_years else []
            w.writerow([num(r.id), num(sire), num(r.dam), r.sex, *year, 1 if r.alive else 0])


def write_minnbreast(path: Path) -> int:
    """kinship2_minnbreast as published (its births from 1842 lower the book's earliest year). Rows."""
    import shutil

    shutil.copyfile(MINNBREAST, path)
    with path.open(encoding="utf-8", newline="") as fh:
        return sum(1 for _ in csv.DictReader(fh))


def breeders(path: Path, year: int) -> tuple[str, str]:
    """The youngest living female and male of the CSV born at least 2 years before ``year``."""
    best: dict[str, tuple[int, str]] = {}
    with path.open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            by = row.get("birth_year") or ""
            if row.get("alive", "1") == "0" or not by or row["sex"] not in ("M", "F") or year - int(by) < 2:
                continue
            if row["sex"] not in best or int(by) >= best[row["sex"]][0]:
                best[row["sex"]] = (int(by), row["id"])
    if set(best) != {"M", "F"}:
        raise Failed(f"{path.name}: no living female and male born by {year - 2}")
    return best["F"][1], best["M"][1]


# --- books ------------------------------------------------------------------------


def prepare_book(db: Path, csv_path: Path, *, repair: bool, moved: date) -> tuple[str, str, int]:
    """Import ``csv_path``, add institution BENCH, move a dam and a sire there. (dam, sire, repairs)."""
    r = must([*SB, "--db", str(db), "import", "pedigree", str(csv_path), *(["--repair"] if repair else [])])
    repairs = sum(1 for ln in r.stderr.splitlines() if ln.startswith("Repaired: "))
    dam, sire = breeders(csv_path, moved.year)
    must([*SB, "--db", str(db), "institution", "add", "BENCH", "--name", "Benchmark Zoo", "--country", "DE",
          "--lat", "51.35", "--lon", "12.37"])
    for animal in (dam, sire):
        must([*SB, "--db", str(db), "transfer", animal, "--to", "BENCH", "--date", moved.isoformat()])
    return dam, sire, repairs


# --- timing -----------------------------------------------------------------------

ROWS: list[tuple[str, str, str, str, str, str]] = []


def row(label: str, size: str, times: list[float], per10k: float | None = None, target: str = "",
        note: str = "") -> None:
    lo, med = (f"{min(times):.3f}", f"{statistics.median(times):.3f}") if times else ("-", "-")
    per = "" if per10k is None else f"{per10k:.2f}"
    ROWS.append((label, size, lo, med, per, "; ".join(x for x in (target, note) if x)))
    print(f"  {label:<44} {size:>8} {lo:>8} {med:>8} {per:>9}  {ROWS[-1][5]}", file=sys.stderr, flush=True)


def timed_copies(template: Path, work: Path, args: list[str], runs: int) -> list[float]:
    """Times of ``args`` (``{db}`` replaced), each run on a fresh copy of ``template``."""
    times = []
    for _ in range(runs):
        copy_db(template, work)
        dt, r = run([a.replace("{db}", str(work)) for a in args])
        if r is None or r.returncode != 0:
            raise Failed(f"{' '.join(args[len(SB):])}: {(r.stderr if r else 'timeout').strip()[:400]}")
        times.append(dt)
    return times


def bench_import_series(label: str, sizes: list[int], tmp: Path, empty: Path, runs_for, timeout: float,
                        *, deep: bool) -> None:
    for i, n in enumerate(sizes):
        path = tmp / f"{'deep' if deep else 'syn'}{n}.csv"
        if deep:
            write_synthetic(path, n, years=n / 200, birth_years=False)
        else:
            write_synthetic(path, n)
        times: list[float] = []
        for _ in range(runs_for(n)):
            db = tmp / "import.db"
            copy_db(empty, db)
            dt, r = run([*SB, "--db", str(db), "import", "pedigree", str(path)], timeout=timeout)
            if r is None:
                row(label, f"{n:,}", [], None, "< 20 s" if n == 100_000 else "",
                    f"over the {timeout:.0f} s timeout: stopped")
                for m in sizes[i + 1:]:
                    row(label, f"{m:,}", [], None, "", "skipped (a smaller file timed out)")
                return
            if r.returncode != 0:
                row(label, f"{n:,}", [], None, "", f"failed: {r.stderr.strip().splitlines()[0][:100]}")
                break
            times.append(dt)
        else:
            row(label, f"{n:,}", times, statistics.median(times) / n * 10_000, "< 20 s" if n == 100_000 else "")
        path.unlink()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="3 runs, imports of 10k and 20k only, short timeout")
    ap.add_argument("--runs", type=int, default=None, help="runs of each birth / show (default 5, --quick 3)")
    ap.add_argument("--sizes", default=None, help="synthetic import sizes (default 10000,20000,50000,100000)")
    ap.add_argument("--deep-sizes", default=None, help="deep-pedigree import sizes (default as --sizes)")
    ap.add_argument("--timeout", type=float, default=None, help="seconds per import run (default 120, --quick 40)")
    ap.add_argument("--keep", type=Path, default=None, help="keep the prepared books in this folder")
    args = ap.parse_args()
    runs = args.runs or (3 if args.quick else 5)
    default_sizes = "10000,20000" if args.quick else "10000,20000,50000,100000"
    sizes = [int(s) for s in (args.sizes or default_sizes).split(",") if s]
    deep_sizes = [int(s) for s in (args.deep_sizes or args.sizes or default_sizes).split(",") if s]
    timeout = args.timeout or (40.0 if args.quick else 120.0)

    def import_runs(n: int) -> int:
        return 1 if args.quick or n > 20_000 else 3

    today = date.today()
    moved, born = today - timedelta(days=400), today - timedelta(days=30)
    print(f"timing: {' '.join(SB)}; {runs} runs per write/read", file=sys.stderr)
    print(f"  {'command':<44} {'records':>8} {'min s':>8} {'median s':>8} {'s per 10k':>9}  target",
          file=sys.stderr)
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="bench_records_") as tmpname:
        tmp = Path(tmpname)
        books = args.keep or tmp
        books.mkdir(parents=True, exist_ok=True)
        row("python -c pass (baseline)", "", [run([sys.executable, "-c", "pass"])[0] for _ in range(runs)])
        row("studbook --help (baseline)", "", [run([*SB, "--help"])[0] for _ in range(runs)])

        empty = books / "empty.db"
        must([*SB, "--db", str(empty), "db", "upgrade"])

        # 1. + 2. birth and animal show, small book vs large book
        small_csv, large_csv = tmp / "small.csv", tmp / "minnbreast.csv"
        write_synthetic(small_csv, 200)
        n_large = write_minnbreast(large_csv)
        prepared: dict[str, tuple[Path, str, str, str]] = {}
        for key, path, n, repair in (("small", small_csv, 200, False), ("large", large_csv, n_large, True)):
            db = books / f"{key}.db"
            copy_db(empty, db)
            t = time.perf_counter()
            try:
                dam, sire, repairs = prepare_book(db, path, repair=repair, moved=moved)
            except Failed as exc:
                print(f"  could not prepare the {n:,}-animal book: {exc}", file=sys.stderr)
                continue
            note = f"{repairs} parents cleared by --repair" if repairs else ""
            print(f"  prepared the {n:,}-animal book in {time.perf_counter() - t:.1f} s "
                  f"(dam {dam}, sire {sire}) {note}", file=sys.stderr)
            prepared[key] = (db, f"{n:,}", dam, sire)
        births: dict[str, float] = {}
        for key, (db, size, dam, sire) in prepared.items():
            cmd = [*SB, "--db", "{db}", "birth", "--dam", dam, "--sire", sire, "--date", born.isoformat(),
                   "--at", "BENCH", "--cub", "M"]
            try:
                times = timed_copies(db, tmp / "work.db", cmd, runs)
            except Failed as exc:
                row(f"studbook birth ({key} book)", size, [], None, "", f"failed: {exc}"[:140])
                continue
            births[key] = statistics.median(times)
            row(f"studbook birth ({key} book)", size, times)
        if len(births) == 2:
            ratio = births["large"] / births["small"]
            ROWS.append(("birth: large / small", "", "", f"{ratio:.2f}x", "", "within 1.5x"))
            print(f"  {'birth: median large / median small':<44} {'':>8} {'':>8} {ratio:>7.2f}x {'':>9}  "
                  "within 1.5x", file=sys.stderr)
        for key, (db, size, dam, _) in prepared.items():
            times = [run([*SB, "--db", str(db), "animal", "show", dam])[0] for _ in range(runs)]
            row(f"studbook animal show ({key} book)", size, times, None, "< 0.2 s")

        # 3. import pedigree scaling
        bench_import_series("studbook import pedigree (synthetic)", sizes, tmp, empty, import_runs, timeout,
                            deep=False)
        bench_import_series("studbook import pedigree (deep)", deep_sizes, tmp, empty, lambda n: 1, timeout,
                            deep=True)
    print(f"total {time.perf_counter() - start:.0f} s", file=sys.stderr)
    print()
    print("| command | records | min s | median s | s per 10k | target / note |")
    print("|---|---:|---:|---:|---:|---|")
    for r in ROWS:
        print("| " + " | ".join(r) + " |")


if __name__ == "__main__":
    main()
