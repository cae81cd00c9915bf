"""Start-up and small-book latency of the CLI in fresh processes.

    python benchmarks/bench_cli.py [--runs 7]

Prints the median wall time of `studbook --help` and of
`studbook genetics inbreeding` (and `summary`) on the sample studbook, against
the issue's targets (150 ms and 300 ms), next to a baseline: a bare
`python -c pass` (the interpreter's own start-up on this machine) and
`python -c "import sqlalchemy"` (what the analysis path avoids on SQLite).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def timed(cmd: list[str], runs: int) -> tuple[float, float]:
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT)
        times.append(time.perf_counter() - t)
    return min(times), statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=7)
    args = ap.parse_args()
    py = sys.executable
    # Time the installed console script (byte-compiled by pip) when there is one; `python cli.py`
    # from a checkout recompiles every module when PYTHONDONTWRITEBYTECODE is set.
    installed = Path(py).with_name("studbook")
    sb = [str(installed)] if installed.exists() else [py, "cli.py"]
    print(f"timing: {' '.join(sb)}")
    with tempfile.TemporaryDirectory() as tmp:
        db = str(Path(tmp) / "sample.db")
        subprocess.run([py, "cli.py", "--db", db, "init", "--sample"], check=True, cwd=ROOT,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        rows = [
            ("python -c pass (baseline)", [py, "-c", "pass"], None),
            ("python -c 'import sqlalchemy' (baseline)", [py, "-c", "import sqlalchemy"], None),
            ("studbook --help", [*sb, "--help"], 0.150),
            ("studbook genetics inbreeding (sample)", [*sb, "--db", db, "genetics", "inbreeding",
                                                      "--format", "csv"], 0.300),
            ("studbook genetics summary (sample)", [*sb, "--db", db, "genetics", "summary",
                                                    "--format", "json"], None),
            ("studbook animal list --alive (sample)", [*sb, "--db", db, "animal", "list", "--alive",
                                                       "--format", "csv"], None),
        ]
        print(f"{'command':45s} {'min s':>7s} {'median s':>9s} {'target s':>9s}")
        for label, cmd, target in rows:
            lo, med = timed(cmd, args.runs)
            print(f"{label:45s} {lo:7.3f} {med:9.3f} {('' if target is None else f'{target:.3f}'):>9s}")


if __name__ == "__main__":
    main()
