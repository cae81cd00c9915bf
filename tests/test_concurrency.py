"""Concurrent writers in real parallel processes: no duplicate studbook IDs, no lost events."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import time
from datetime import date, timedelta

import pytest
from conftest import ROOT, run_cli, table_counts

WORKER = r"""
import sys, io, contextlib, json
from studbook.cli import main
url, first_day, count, step = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
from datetime import date, timedelta
d0 = date.fromisoformat(first_day)
out = []
for k in range(count):
    buf, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(buf), contextlib.redirect_stderr(err):
        try:
            main(["--db", url, "--user", "worker", "birth", "--dam", "2", "--sire", "1",
                  "--date", (d0 + timedelta(days=k * step)).isoformat(), "--at", "LEIPZIG",
                  "--cub", "M", "--cub", "F", "--format", "json"])
            code = 0
        except SystemExit as e:
            code = int(e.code or 0)
    out.append({"code": code, "ids": [r["studbook_id"] for r in json.loads(buf.getvalue())] if code == 0 else [],
                "err": err.getvalue()})
print(json.dumps(out))
"""


def _spawn(args: list[str]) -> subprocess.Popen[str]:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.Popen([sys.executable, "-c", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=env)


def test_parallel_births_never_share_an_id(family_url):
    # Every litter of dam 2 at least 100 days from any other (rule B01): worker w takes every 6th slot.
    workers, per_worker = 6, 4
    procs = [
        _spawn([WORKER, family_url, (date(2016, 1, 1) + timedelta(days=100 * w)).isoformat(), str(per_worker),
                str(100 * workers)])
        for w in range(workers)
    ]
    results = []
    for p in procs:
        out, err = p.communicate(timeout=300)
        assert p.returncode == 0, err
        results.extend(json.loads(out))
    assert all(r["code"] == 0 for r in results), [r["err"] for r in results if r["code"]]
    ids = [i for r in results for i in r["ids"]]
    assert len(ids) == len(set(ids)) == workers * per_worker * 2
    assert sorted(map(int, ids)) == list(range(5, 5 + len(ids)))  # no gaps, no duplicates
    animals = json.loads(run_cli(family_url, "animal", "list", "--format", "json").stdout)
    assert len(animals) == 4 + len(ids)
    births = [a for a in animals if a["dam"] == "2"]
    assert len(births) == 2 + len(ids)
    audit = json.loads(run_cli(family_url, "audit", "--limit", "100000", "--format", "json").stdout)
    assert sum(1 for a in audit if a["table"] == "animal" and a["action"] == "insert" and a["user"] == "worker") == len(ids)
    assert sum(1 for a in audit if a["table"] == "event" and a["action"] == "insert" and a["user"] == "worker") == len(ids)
    r = run_cli(family_url, "validate", "--errors-only", "--format", "json")
    assert r.exit_code == 0 and json.loads(r.stdout) == []


def test_parallel_transfers_of_one_animal_one_wins(family_url):
    code = (
        "import sys; from studbook.cli import main; "
        "main(['--db', sys.argv[1], 'transfer', '3', '--from', 'LEIPZIG', '--to', sys.argv[2], '--date', '2018-01-01'])"
    )
    procs = [_spawn([code, family_url, dest]) for dest in ("TALLINN", "MOSCOW") * 3]
    outcomes = []
    for p in procs:
        _out, err = p.communicate(timeout=300)
        outcomes.append((p.returncode, err))
    winners = [o for o in outcomes if o[0] == 0]
    assert len(winners) == 1, outcomes
    for rc, err in outcomes:
        if rc:
            assert rc == 1 and "not at LEIPZIG" in err and "Traceback" not in err
    hist = json.loads(run_cli(family_url, "history", "3", "--format", "json").stdout)
    assert [h["event"] for h in hist] == ["birth", "transfer"]


# --- a busy database: exit 4, one clear line, nothing written (issue 13, item 5) -----------

@contextlib.contextmanager
def hold_write_lock(url):
    """Another writer that holds the write lock (SQLite: BEGIN IMMEDIATE; PostgreSQL: the advisory lock)."""
    if url.startswith("sqlite"):
        import sqlite3

        con = sqlite3.connect(url.removeprefix("sqlite:///"), isolation_level=None)
        con.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            con.execute("ROLLBACK")
            con.close()
        return
    from sqlalchemy import create_engine, text

    from studbook.db import PG_WRITE_LOCK_KEY

    eng = create_engine(url)
    try:
        with eng.connect() as conn, conn.begin():
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": PG_WRITE_LOCK_KEY})
            yield
    finally:
        eng.dispose()


def test_busy_database_is_exit_4_at_begin(family_url, monkeypatch):
    monkeypatch.setenv("STUDBOOK_LOCK_TIMEOUT", "0.5")
    before = table_counts(family_url)
    with hold_write_lock(family_url):
        t0 = time.monotonic()
        r = run_cli(family_url, "transfer", "3", "--to", "TALLINN", "--date", "2018-01-01")
        waited = time.monotonic() - t0
    assert r.exit_code == 4, r.stderr
    assert "the database is busy" in r.stderr and "unexpected" not in r.stderr and "Traceback" not in r.stderr
    assert len(r.stderr.strip().splitlines()) == 2  # Error: ... / Hint: ...
    assert 0.4 < waited < 10
    assert table_counts(family_url) == before
    # Readers are never blocked by a writer.
    assert run_cli(family_url, "animal", "show", "3").exit_code == 0


def test_busy_database_is_a_conflict_error_in_the_api(family_url, monkeypatch):
    from studbook.db import session_scope
    from studbook.errors import ConflictError
    from studbook.services.events import transfer

    monkeypatch.setenv("STUDBOOK_LOCK_TIMEOUT", "0.3")
    with hold_write_lock(family_url), pytest.raises(ConflictError, match="busy"):
        with session_scope(family_url, write=True, user="api") as s:
            transfer(s, "3", to="TALLINN", date="2018-01-01")
    # Once the lock is free the same write goes through.
    with session_scope(family_url, write=True, user="api") as s:
        transfer(s, "3", to="TALLINN", date="2018-01-01")


def test_writer_waits_for_a_short_lock(family_url, monkeypatch):
    import threading

    monkeypatch.setenv("STUDBOOK_LOCK_TIMEOUT", "20")
    released = threading.Event()

    def hold():
        with hold_write_lock(family_url):
            time.sleep(0.7)
        released.set()

    t = threading.Thread(target=hold)
    t.start()
    time.sleep(0.2)
    r = run_cli(family_url, "transfer", "3", "--to", "TALLINN", "--date", "2018-01-01")
    t.join()
    assert r.exit_code == 0, r.stderr
    assert released.is_set()


TRANSFER = ("import sys; from studbook.cli import main; "
            "main(['--db', sys.argv[1], 'transfer', '3', '--to', sys.argv[2], '--date', '2018-01-01'])")


def test_parallel_transfers_without_from_one_wins(family_url):
    procs = [_spawn([TRANSFER, family_url, dest]) for dest in ("TALLINN", "MOSCOW") * 4]
    outcomes = [(p.wait(timeout=300), p.communicate()[1]) for p in procs]
    assert sum(1 for rc, _ in outcomes if rc == 0) == 1, outcomes
    for rc, err in outcomes:
        if rc:
            assert rc == 1 and ("already transferred on 2018-01-01" in err or "is already at" in err), err
            assert "Traceback" not in err
    hist = json.loads(run_cli(family_url, "history", "3", "--format", "json").stdout)
    assert [h["event"] for h in hist] == ["birth", "transfer"]


def test_same_day_chain_needs_from(family_url):
    assert run_cli(family_url, "transfer", "3", "--to", "TALLINN", "--date", "2018-01-01").exit_code == 0
    r = run_cli(family_url, "transfer", "3", "--to", "MOSCOW", "--date", "2018-01-01")
    assert r.exit_code == 1 and "already transferred on 2018-01-01" in r.stderr and "--from TALLINN" in r.stderr
    r = run_cli(family_url, "transfer", "3", "--to", "MOSCOW", "--date", "2018-01-01", "--from", "LEIPZIG")
    assert r.exit_code == 1 and "not at LEIPZIG" in r.stderr
    # The documented chain: it really went on from TALLINN that day.
    r = run_cli(family_url, "transfer", "3", "--to", "MOSCOW", "--date", "2018-01-01", "--from", "TALLINN")
    assert r.exit_code == 0, r.stderr
    # Another day needs no --from.
    assert run_cli(family_url, "transfer", "3", "--to", "LEIPZIG", "--date", "2018-01-02").exit_code == 0


def test_animal_update_compares_the_version_it_read(family_url):
    v = json.loads(run_cli(family_url, "animal", "show", "3", "--format", "json").stdout)["version"]
    r = run_cli(family_url, "animal", "update", "3", "--notes", "first", "--expect-version", str(v))
    assert r.exit_code == 0, r.stderr
    before = table_counts(family_url)
    r = run_cli(family_url, "animal", "update", "3", "--notes", "second", "--expect-version", str(v))
    assert r.exit_code == 4 and "changed by someone else" in r.stderr and f"version {v}, now {v + 1}" in r.stderr
    assert table_counts(family_url) == before
    assert json.loads(run_cli(family_url, "animal", "show", "3", "--format", "json").stdout)["notes"] == "first"


UPDATE = ("import sys; from studbook.cli import main; "
          "main(['--db', sys.argv[1], 'animal', 'update', '3', '--notes', sys.argv[2], '--expect-version', sys.argv[3]])")


def test_parallel_updates_of_one_version_one_wins(family_url):
    v = json.loads(run_cli(family_url, "animal", "show", "3", "--format", "json").stdout)["version"]
    procs = [_spawn([UPDATE, family_url, f"note {i}", str(v)]) for i in range(4)]
    outcomes = [(p.wait(timeout=300), p.communicate()[1]) for p in procs]
    assert sorted(rc for rc, _ in outcomes) == [0, 4, 4, 4], outcomes
    assert all("Traceback" not in err for _, err in outcomes)
