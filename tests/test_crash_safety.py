"""A command killed in the middle of a large write leaves nothing behind (no partial import, no audit rows)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import numpy as np
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


def _wait_until_writing(url, proc, timeout=120.0):
    """Block until the import has uncommitted rows in the database (so the kill lands mid-write)."""
    deadline = time.monotonic() + timeout
    if url.startswith("sqlite"):
        wal = url.removeprefix("sqlite:///") + "-wal"
        while time.monotonic() < deadline and proc.poll() is None:
            if os.path.exists(wal) and os.path.getsize(wal) > 2_000_000:
                return True
            time.sleep(0.05)
        return False
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = make_url(url).database
    admin = create_engine(url.rsplit("/", 1)[0] + "/postgres", isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            while time.monotonic() < deadline and proc.poll() is None:
                q = conn.execute(text("SELECT count(*) FROM pg_stat_activity WHERE datname = :d AND "
                                      "(query ILIKE 'INSERT INTO event%' OR query ILIKE 'UPDATE animal%' "
                                      "OR query ILIKE 'INSERT INTO audit_log%')"), {"d": name}).scalar()
                if q:
                    return True
                time.sleep(0.05)
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
