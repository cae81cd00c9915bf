"""Load test: many writer processes at once, through the CLI and the Python API, on SQLite and PostgreSQL.

    python benchmarks/load.py [--workers 32] [--events 100] [--backend sqlite,postgres]
                              [--mode cli,api] [--pg-url postgresql+psycopg://postgres@127.0.0.1:5432/postgres]

Each run builds a fresh book (Amur leopard parameters, three zoos, for every worker one sire
and a few dams at LEIPZIG, and one contested animal per pair of workers), then starts
``--workers`` processes at once. Each registers ``--events`` births of one cub (spread over
its own dams, 100 days apart, so every birth passes the rules) through ``studbook.cli.main``
(``--mode cli``: exactly what ``studbook birth`` runs) or ``studbook.api.register_birth``
(``--mode api``), or half and half (``--mode mixed``). Then every pair of workers transfers its contested animal *from the same
zoo at the same moment* (a barrier): exactly one of the two may succeed.

Printed per run, and asserted by tests/test_load.py on a smaller load:

* events expected (births that reported success) vs present (birth events in the book);
* duplicate studbook IDs (reported to two writers, or twice in the book);
* lost updates (contested animals without exactly one successful transfer, or whose history
  does not show that one transfer);
* audit rows vs writes (animal and event inserts of the workers' users);
* p50 / p99 / max latency of one write, per-worker wall time (fairness: min / max);
* errors by kind (exit code or exception class, and the first words of the message).

A busy database must surface as exit 4 / ConflictError (and then nothing is written); any
other error kind is a bug.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import multiprocessing as mp
import os
import re
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

LEOPARD = ["--common-name", "Amur leopard", "--scientific-name", "Panthera pardus orientalis",
           "--gestation-min", "90", "--gestation-max", "105", "--min-age-male", "2", "--min-age-female", "2",
           "--max-age-male", "17", "--max-age-female", "16", "--longevity", "24"]
BIRTHS_PER_DAM = 20  # 100 days apart: 5.5 years, within the dams' breeding ages
FIRST_BIRTH = date(2012, 1, 1)
CONTEST_DATE = "2020-06-01"


def _cli(url: str, *args: str, user: str = "loadtest") -> tuple[int, str, str]:
    from studbook.cli import main

    out, err = io.StringIO(), io.StringIO()
    code = 0
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            main(["--db", url, "--user", user, *args])
        except SystemExit as exc:
            code = int(exc.code or 0)
    return code, out.getvalue(), err.getvalue()


def _ok(url: str, *args: str) -> str:
    code, out, err = _cli(url, *args)
    if code:
        raise RuntimeError(f"setup failed: studbook {' '.join(args)}: {err.strip()}")
    return out


def dams_per_worker(events: int) -> int:
    return max(1, -(-events // BIRTHS_PER_DAM))


def founders(worker: int, events: int) -> tuple[str, list[str]]:
    """Studbook IDs of worker *worker*'s sire and dams."""
    n = dams_per_worker(events) + 1
    base = 1 + worker * n
    return str(base), [str(base + i) for i in range(1, n)]


def contest_animal(pair: int) -> str:
    return f"C{pair}"


def setup_book(url: str, workers: int, events: int) -> None:
    """A fresh book with every worker's founders at LEIPZIG (one import) and the contested animals."""
    _ok(url, "init")
    _ok(url, "species", "set", *LEOPARD)
    for code, name in (("LEIPZIG", "Zoo Leipzig"), ("TALLINN", "Tallinn Zoo"), ("MOSCOW", "Moscow Zoo")):
        _ok(url, "institution", "add", code, "--name", name, "--country", "DE")
    rows = []
    for w in range(workers):
        sire, dams = founders(w, events)
        rows.append((sire, "M"))
        rows.extend((d, "F") for d in dams)
    rows.extend((contest_animal(p), "M") for p in range((workers + 1) // 2))
    _bulk_founders(url, rows)


def _bulk_founders(url: str, rows: list[tuple[str, str]]) -> None:
    """The founders in one transaction through the Python services (`animal add` per animal is slow)."""
    from studbook.db import session_scope
    from studbook.services.animals import add_animal

    with session_scope(url, write=True, user="loadtest", command="load setup") as session:
        for sid, sex in rows:
            add_animal(session, studbook_id=sid, sex=sex, birth_date="~2005", at="LEIPZIG", wild_born=True,
                       capture_date="2008-01")


@dataclass
class WorkerResult:
    worker: int
    latencies: list[float] = field(default_factory=list)
    ok: int = 0
    ids: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    codes: list[int] = field(default_factory=list)
    wall: float = 0.0
    contest: int | None = None  # exit code of the contested transfer (0 = won)
    contest_error: str = ""


def _birth(url: str, mode: str, user: str, dam: str, sire: str, day: str) -> tuple[int, list[str], str]:
    if mode == "cli":
        code, out, err = _cli(url, "birth", "--dam", dam, "--sire", sire, "--date", day, "--at", "LEIPZIG",
                              "--cub", "M", "--format", "json", user=user)
        ids = [r["studbook_id"] for r in json.loads(out)] if code == 0 else []
        return code, ids, err.strip().splitlines()[0] if err.strip() else ""
    from studbook import api
    from studbook.errors import StudbookError

    try:
        res = api.register_birth(url, dam=dam, sire=sire, date=day, at="LEIPZIG", cubs=["M"], user=user)
        return 0, list(res.studbook_ids), ""
    except StudbookError as exc:
        return int(exc.exit_code), [], f"{type(exc).__name__}: {exc.reason}"
    except Exception as exc:  # a bug: reported as such
        return 99, [], f"{type(exc).__name__}: {exc}"


def _transfer(url: str, mode: str, user: str, sid: str, to: str) -> tuple[int, str]:
    if mode == "cli":
        code, _out, err = _cli(url, "transfer", sid, "--from", "LEIPZIG", "--to", to, "--date", CONTEST_DATE,
                               user=user)
        return code, err.strip().splitlines()[0] if err.strip() else ""
    from studbook import api
    from studbook.errors import StudbookError

    try:
        api.transfer(url, sid, to=to, date=CONTEST_DATE, from_code="LEIPZIG", user=user)
        return 0, ""
    except StudbookError as exc:
        return int(exc.exit_code), f"{type(exc).__name__}: {exc.reason}"
    except Exception as exc:
        return 99, f"{type(exc).__name__}: {exc}"


def worker_main(url: str, mode: str, worker: int, events: int, workers: int, start: Any, contest: Any,
                queue: Any) -> None:
    if mode == "mixed":  # half the workers through the CLI, half through the Python API
        mode = "cli" if worker % 2 == 0 else "api"
    res = WorkerResult(worker)
    sire, dams = founders(worker, events)
    user = f"w{worker}"
    # Warm up (imports, first connection) so that the latencies measure writes, not start-up.
    if mode == "cli":
        _cli(url, "animal", "show", sire, user=user)
    else:
        import studbook.api  # noqa: F401
        from studbook.db import session_scope

        with session_scope(url):
            pass
        import studbook.services.events  # noqa: F401
    start.wait()
    t0 = time.perf_counter()
    for k in range(events):
        dam = dams[k % len(dams)]
        day = (FIRST_BIRTH + timedelta(days=100 * (k // len(dams)))).isoformat()
        t = time.perf_counter()
        code, ids, err = _birth(url, mode, user, dam, sire, day)
        res.latencies.append(time.perf_counter() - t)
        res.codes.append(code)
        if code == 0:
            res.ok += 1
            res.ids.extend(ids)
        else:
            res.errors.append(f"exit {code}: {' '.join(err.split()[:8])}")
    res.wall = time.perf_counter() - t0
    pair = worker // 2
    if worker + 1 < workers or worker % 2 == 1:
        contest.wait()  # both workers of the pair (and everyone else) start the transfers together
        res.contest, res.contest_error = _transfer(url, mode, user, contest_animal(pair),
                                                   "TALLINN" if worker % 2 == 0 else "MOSCOW")
    queue.put(res)


@dataclass
class Report:
    backend: str
    mode: str
    workers: int
    events: int
    expected: int = 0
    present: int = 0
    duplicate_ids: int = 0
    lost_updates: int = 0
    contests: int = 0
    audit_rows: int = 0
    writes: int = 0
    p50: float = 0.0
    p99: float = 0.0
    max_latency: float = 0.0
    worker_wall_min: float = 0.0
    worker_wall_max: float = 0.0
    total_seconds: float = 0.0
    errors: dict[str, int] = field(default_factory=dict)
    contest_outcomes: dict[str, int] = field(default_factory=dict)

    def lines(self) -> list[str]:
        return [
            f"{self.backend} / {self.mode}: {self.workers} processes x {self.events} births "
            f"in {self.total_seconds:.1f} s",
            f"  events expected {self.expected}, present {self.present}",
            f"  duplicate studbook IDs {self.duplicate_ids}",
            f"  lost updates {self.lost_updates} (of {self.contests} contested transfers: exactly one of two wins)",
            f"  audit rows {self.audit_rows}, writes {self.writes}",
            f"  latency p50 {self.p50 * 1000:.0f} ms, p99 {self.p99 * 1000:.0f} ms, max {self.max_latency:.2f} s; "
            f"worker wall time {self.worker_wall_min:.1f} to {self.worker_wall_max:.1f} s",
            f"  errors by kind: {dict(self.errors) or 'none'}; contest outcomes {self.contest_outcomes}",
        ]


def _kind(error: str) -> str:
    """An error message without its record IDs and numbers, so that equal errors count together."""
    head, sep, tail = error.partition(": ")  # "exit 4" / "contest exit 1" stay as they are
    return head + sep + re.sub(r"\b[A-Z]*\d+(\.\d+)?\b", "#", tail)


def _quantile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    s = sorted(values)
    return s[min(len(s) - 1, int(q * len(s)))]


def measure(url: str, backend: str, mode: str, workers: int, events: int, results: list[WorkerResult],
            total: float) -> Report:
    from sqlalchemy import text

    from studbook.db import make_engine

    rep = Report(backend, mode, workers, events, total_seconds=total)
    users = [f"w{r.worker}" for r in results]
    rep.expected = sum(r.ok for r in results)
    ids = [i for r in results for i in r.ids]
    with make_engine(url).connect() as conn:
        rep.present = conn.execute(text(
            "SELECT count(*) FROM event e JOIN animal a ON a.id = e.animal_id "
            "WHERE e.kind = 'birth' AND a.dam_id IS NOT NULL AND NOT e.void")).scalar() or 0
        in_book = conn.execute(text("SELECT count(*), count(DISTINCT studbook_id) FROM animal")).one()
        rep.duplicate_ids = (len(ids) - len(set(ids))) + (in_book[0] - in_book[1])
        rows = conn.execute(text('SELECT "user", table_name, count(*) FROM audit_log WHERE action = \'insert\' '
                                 "AND table_name IN ('animal', 'event') GROUP BY \"user\", table_name")).all()
        rep.audit_rows = sum(n for u, _t, n in rows if u in users)
        wins_by_pair: Counter[int] = Counter()
        for r in results:
            if r.contest is not None:
                rep.contest_outcomes[f"exit {r.contest}"] = rep.contest_outcomes.get(f"exit {r.contest}", 0) + 1
                if r.contest == 0:
                    wins_by_pair[r.worker // 2] += 1
        pairs = sorted({r.worker // 2 for r in results if r.contest is not None})
        rep.contests = len(pairs)
        for p in pairs:
            moves = conn.execute(text(
                "SELECT count(*) FROM event e JOIN animal a ON a.id = e.animal_id "
                "WHERE a.studbook_id = :s AND e.kind = 'transfer' AND NOT e.void"), {"s": contest_animal(p)}).scalar()
            # Two winners, or a move missing from (or extra in) the history, is a lost update. A pair where
            # both gave up on a busy database (exit 4) has no winner and nothing written: not lost.
            if wins_by_pair[p] > 1 or moves != wins_by_pair[p]:
                rep.lost_updates += 1
    transfers = sum(1 for r in results if r.contest == 0)
    rep.writes = 2 * len(ids) + transfers  # an animal and its birth event per cub; one event per transfer
    lat = [x for r in results for x in r.latencies]
    rep.p50, rep.p99, rep.max_latency = _quantile(lat, 0.5), _quantile(lat, 0.99), max(lat, default=0.0)
    walls = [r.wall for r in results]
    rep.worker_wall_min, rep.worker_wall_max = min(walls, default=0.0), max(walls, default=0.0)
    errs: Counter[str] = Counter(_kind(e) for r in results for e in r.errors)
    errs.update(_kind(f"contest exit {r.contest}: {' '.join(r.contest_error.split()[:8])}")
                for r in results if r.contest not in (None, 0))
    rep.errors = dict(errs)
    return rep


def run_load(url: str, backend: str, mode: str, workers: int, events: int,
             started: Any = None) -> Report:
    """Set up a fresh book at *url*, run the load, and measure it (*started*() is called when the workers start)."""
    setup_book(url, workers, events)
    from studbook.db import make_engine

    make_engine(url).dispose()  # no pooled connection is inherited by the workers
    ctx = mp.get_context("spawn")
    start, contest, queue = ctx.Barrier(workers + 1), ctx.Barrier(workers), ctx.Queue()
    procs = [ctx.Process(target=worker_main, args=(url, mode, w, events, workers, start, contest, queue))
             for w in range(workers)]
    for p in procs:
        p.start()
    if started is not None:  # before the workers are let go (a test holds the write lock here)
        started()
    start.wait(timeout=300)
    t0 = time.perf_counter()
    results = [queue.get(timeout=3600) for _ in procs]
    total = time.perf_counter() - t0
    for p in procs:
        p.join(timeout=60)
    return measure(url, backend, mode, workers, events, results, total)


@contextlib.contextmanager
def fresh_url(backend: str, pg_admin: str | None, folder: Path) -> Iterator[str]:
    if backend == "sqlite":
        yield "sqlite:///" + str(folder / f"load-{uuid.uuid4().hex[:8]}.db")
        return
    if not pg_admin:
        raise SystemExit("--pg-url (or STUDBOOK_TEST_POSTGRES_URL) is needed for PostgreSQL")
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    admin = create_engine(pg_admin, isolation_level="AUTOCOMMIT")
    name = f"sbload_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(pg_admin).set(database=name).render_as_string(hide_password=False)
    try:
        yield url
    finally:
        from studbook.db import make_engine

        make_engine(url).dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--workers", type=int, default=32)
    ap.add_argument("--events", type=int, default=100)
    ap.add_argument("--backend", default="sqlite,postgres")
    ap.add_argument("--mode", default="cli,api")
    ap.add_argument("--pg-url", default=os.environ.get("STUDBOOK_TEST_POSTGRES_URL"))
    ap.add_argument("--json", help="Also write the reports to this JSON file.")
    args = ap.parse_args(argv)
    reports = []
    bad = False
    with tempfile.TemporaryDirectory() as tmp:
        for backend in args.backend.split(","):
            for mode in args.mode.split(","):
                with fresh_url(backend, args.pg_url, Path(tmp)) as url:
                    rep = run_load(url, backend, mode, args.workers, args.events)
                print("\n".join(rep.lines()), flush=True)
                reports.append(rep)
                bad |= (rep.expected != rep.present or rep.duplicate_ids or rep.lost_updates
                        or rep.audit_rows != rep.writes
                        or any(not k.startswith(("exit 4", "contest exit 1")) for k in rep.errors))
    if args.json:
        Path(args.json).write_text(json.dumps([r.__dict__ for r in reports], indent=1))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
