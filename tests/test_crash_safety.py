"""A command killed in the middle of a large write leaves nothing behind (no partial import, no audit rows)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from conftest import ROOT, run_cli, table_counts


def _big_pedigree_csv(path, n=80_000):
    rng = np.random.default_rng(3)
    lines = ["id,sire,dam,sex"]
    for i in range(n):
        if i < 200:
            lines.append(f"A{i},,,{'M' if i % 2 else 'F'}")
            continue
        s = 2 * rng.integers(0, i // 2) + 1
        d = 2 * rng.integers(0, i // 2)
        lines.append(f"A{i},A{s},A{d},{'M' if i % 2 else 'F'}")
    path.write_text("\n".join(lines) + "\n")


def _wait_until_writing(url, proc, timeout=120.0, wal_bytes=2_000_000, queries=None):
    """Block until the command has uncommitted rows in the database (so the kill lands mid-write)."""
    deadline = time.monotonic() + timeout
    if url.startswith("sqlite"):
        wal = url.removeprefix("sqlite:///") + "-wal"
        while time.monotonic() < deadline and proc.poll() is None:
            if os.path.exists(wal) and os.path.getsize(wal) > wal_bytes:
                return True
            time.sleep(0.02)
        return False
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = make_url(url).database
    admin = create_engine(url.rsplit("/", 1)[0] + "/postgres", isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            while time.monotonic() < deadline and proc.poll() is None:
                patterns = queries or ("INSERT INTO event%", "UPDATE animal%", "INSERT INTO audit_log%")
                cond = " OR ".join(f"query ILIKE '{p}'" for p in patterns)
                q = conn.execute(text("SELECT count(*) FROM pg_stat_activity WHERE datname = :d AND state = 'active' "
                                      f"AND ({cond})"), {"d": name}).scalar()
                if q:
                    return True
                time.sleep(0.02)
    finally:
        admin.dispose()
    return False


def test_killed_import_writes_nothing(book_url, tmp_path):
    csv_path = tmp_path / "big.csv"
    _big_pedigree_csv(csv_path)
    before = table_counts(book_url)
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    p = subprocess.Popen([sys.executable, str(ROOT / "cli.py"), "--db", book_url, "import", "pedigree", str(csv_path)],
                         env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert _wait_until_writing(book_url, p), "the import never started writing"
    p.send_signal(signal.SIGKILL)
    p.wait(timeout=60)
    assert p.returncode == -signal.SIGKILL, "the import finished before it could be killed: make the file bigger"
    assert table_counts(book_url) == before
    if book_url.startswith("sqlite"):
        import sqlite3

        con = sqlite3.connect(book_url.removeprefix("sqlite:///"))
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        con.close()
    # The book still works and accepts writes.
    r = run_cli(book_url, "animal", "add", "--id", "1", "--sex", "M", "--birth-date", "2010", "--at", "LEIPZIG",
                "--wild-born")
    assert r.exit_code == 0, r.stderr


# --- more commands killed mid-write (issue 13, item 3) --------------------------------------

SPARKS = Path("/work/shared/reference/studbooks/california_condor")
CONDOR_SPECIES = ROOT / "data" / "species" / "california_condor.json"


def _spawn_cli(url, *args):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.Popen([sys.executable, str(ROOT / "cli.py"), "--db", url, *args], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _kill(p):
    p.send_signal(signal.SIGKILL)
    p.wait(timeout=60)
    return p.returncode == -signal.SIGKILL


def _consistent(url):
    """SQLite: PRAGMA integrity_check and foreign_key_check; PostgreSQL: no half-written transaction is visible
    (the counts are read in one snapshot) and the audit chain verifies."""
    if url.startswith("sqlite"):
        import sqlite3

        con = sqlite3.connect(url.removeprefix("sqlite:///"))
        try:
            assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            assert con.execute("PRAGMA foreign_key_check").fetchall() == []
        finally:
            con.close()
    r = run_cli(url, "audit", "verify")
    assert r.exit_code == 0, r.stderr


def _book_counts(url):
    counts = table_counts(url)
    return {k: counts[k] for k in ("animal", "event", "institution")}


@pytest.mark.skipif(not SPARKS.exists(), reason="the condor reference book is not available")
def test_killed_sparks_import_writes_nothing(book_url):
    before = table_counts(book_url)
    p = _spawn_cli(book_url, "import", "sparks", str(SPARKS / "exchange.dbf"), str(SPARKS / "moves.dbf"),
                   "--species-file", str(CONDOR_SPECIES), "--allow-problems")
    writing = _wait_until_writing(book_url, p, wal_bytes=100_000)
    killed = _kill(p)
    if not (writing and killed):  # finished first (a fast machine): then it must be all
        assert p.returncode == 0 and table_counts(book_url)["animal"] == 807
        pytest.skip("the import finished before it could be killed")
    assert table_counts(book_url) == before
    _consistent(book_url)
    r = run_cli(book_url, "import", "sparks", str(SPARKS / "exchange.dbf"), str(SPARKS / "moves.dbf"),
                "--species-file", str(CONDOR_SPECIES), "--allow-problems")
    assert r.exit_code == 0, r.stderr
    assert table_counts(book_url)["animal"] == 807


@pytest.mark.skipif(not SPARKS.exists(), reason="the condor reference book is not available")
def test_killed_init_from_folder_loads_nothing(empty_url, tmp_path):
    from condor import convert_condor

    folder = tmp_path / "book"
    convert_condor(SPARKS, folder)
    p = _spawn_cli(empty_url, "init", "--from-folder", str(folder), "--allow-problems")
    writing = _wait_until_writing(empty_url, p, wal_bytes=600_000)
    killed = _kill(p)
    if not (writing and killed):
        assert p.returncode == 0
        pytest.skip("the load finished before it could be killed")
    # All or nothing: the schema may be there (migrations commit first), the book is not.
    from studbook import db

    if db.current_revision(empty_url) is not None:
        assert _book_counts(empty_url)["animal"] == 0
        _consistent(empty_url)
    r = run_cli(empty_url, "init", "--from-folder", str(folder), "--allow-problems")
    assert r.exit_code == 0, r.stderr
    assert table_counts(empty_url)["animal"] == 807
    _consistent(empty_url)


def test_killed_migration_is_all_or_nothing(book_url, tmp_path):
    from studbook import db

    csv_path = tmp_path / "p.csv"
    _big_pedigree_csv(csv_path, n=30_000)  # 30,000 audit rows for 0006 to chain
    r = run_cli(book_url, "import", "pedigree", str(csv_path))
    assert r.exit_code == 0, r.stderr
    db.downgrade(book_url, "0005")
    db.make_engine(book_url).dispose()
    p = _spawn_cli(book_url, "db", "upgrade")
    writing = _wait_until_writing(book_url, p, wal_bytes=200_000, queries=("UPDATE audit_log%", "ALTER TABLE%"))
    killed = _kill(p)
    if not (writing and killed):
        assert p.returncode == 0
        pytest.skip("the migration finished before it could be killed")
    rev = db.current_revision(book_url)
    assert rev in ("0005", "0006")
    from sqlalchemy import create_engine, inspect

    eng = create_engine(book_url)
    try:
        with eng.connect() as conn:
            cols = {c["name"] for c in inspect(conn).get_columns("audit_log")}
    finally:
        eng.dispose()
    assert ("hash" in cols) == (rev == "0006")  # the schema and its revision moved together, or not at all
    r = run_cli(book_url, "db", "upgrade")
    assert r.exit_code == 0, r.stderr
    assert table_counts(book_url)["animal"] == 30_000
    _consistent(book_url)
