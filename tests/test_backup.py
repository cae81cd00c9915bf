"""``studbook backup`` / ``restore`` (issue 13, item 8): nothing lost, on both databases.

The proof of a round trip is the canonical export: ``export book`` of the restored book is
byte-for-byte the export of the original.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from conftest import assert_refused, fresh_database, ok, run_cli

from studbook.config import SCHEMA_HEAD


def kind_of(url: str) -> str:
    return "sqlite" if url.startswith("sqlite") else "postgres"


def refused_on_empty(target: str, args: list[str], *fragments: str) -> None:
    """Refused with one clear line, and the empty target is still empty (a SQLite file is not even created)."""
    from studbook.config import sqlite_path
    from studbook.db import current_revision

    r = run_cli(target, *args)
    assert r.exit_code == 1 and r.stderr.startswith("Error: ") and "\nHint: " in r.stderr, r.stderr
    assert "Traceback" not in r.stderr
    for frag in fragments:
        assert frag in r.stderr.splitlines()[0], (frag, r.stderr)
    path = sqlite_path(target)
    assert (not Path(path).exists()) if path else current_revision(target) is None


def export_files(url: str, folder: Path) -> dict[str, bytes]:
    ok(url, "export", "book", str(folder))
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_round_trip_keeps_every_record(sample_copy_url, tmp_path):
    original = export_files(sample_copy_url, tmp_path / "before")
    bak = tmp_path / "book.bak"
    r = ok(sample_copy_url, "backup", str(bak))
    assert "Backed up the book" in r.stderr and bak.stat().st_size > 100_000
    with fresh_database(kind_of(sample_copy_url), tmp_path) as target:
        r = ok(target, "restore", str(bak))
        assert "1478 animals" in r.stderr
        assert export_files(target, tmp_path / "after") == original
        ok(target, "genetics", "summary")  # the next command works


def test_a_backup_of_the_previous_schema_restores_and_migrates(sample_copy_url, tmp_path):
    from alembic.script import ScriptDirectory

    from studbook.db import alembic_config, downgrade, upgrade

    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    previous = script.get_revision(SCHEMA_HEAD).down_revision
    assert isinstance(previous, str)
    downgrade(sample_copy_url, previous)
    bak = tmp_path / "old.bak"
    ok(sample_copy_url, "backup", str(bak))
    upgrade(sample_copy_url)  # the same book migrated in place: what the restore must equal
    migrated_in_place = export_files(sample_copy_url, tmp_path / "in-place")
    with fresh_database(kind_of(sample_copy_url), tmp_path) as target:
        r = ok(target, "restore", str(bak))
        assert f"migrated {previous} -> {SCHEMA_HEAD}" in r.stderr
        assert export_files(target, tmp_path / "after") == migrated_in_place


def test_sqlite_backup_holds_writes_still_in_the_wal(tmp_path):
    """A plain copy of the main file misses what sits in the -wal file; the online backup does not."""
    url = "sqlite:///" + str(tmp_path / "live.db")
    ok(url, "init", "--sample")
    con = sqlite3.connect(str(tmp_path / "live.db"))
    con.execute("PRAGMA journal_mode = WAL")
    con.execute("PRAGMA wal_autocheckpoint = 0")  # keep the write in the WAL
    con.execute("UPDATE animal SET house_name = 'Kept-in-WAL' WHERE studbook_id = '1143'")
    con.commit()
    assert (tmp_path / "live.db-wal").stat().st_size > 0
    plain = tmp_path / "plain-copy.db"
    plain.write_bytes((tmp_path / "live.db").read_bytes())
    lost = sqlite3.connect(str(plain)).execute(
        "SELECT house_name FROM animal WHERE studbook_id = '1143'").fetchone()[0]
    ok(url, "backup", str(tmp_path / "online.bak"))
    con.close()
    kept = sqlite3.connect(str(tmp_path / "online.bak")).execute(
        "SELECT house_name FROM animal WHERE studbook_id = '1143'").fetchone()[0]
    assert lost != "Kept-in-WAL" and kept == "Kept-in-WAL"


def test_refusals_write_nothing(sample_url, tmp_path):
    exists = tmp_path / "exists.bak"
    exists.write_text("keep me")
    r = assert_refused(sample_url, ["backup", str(exists)], "already exists")
    assert "never overwrites" in r.stderr
    assert exists.read_text() == "keep me"
    assert_refused(sample_url, ["backup", str(tmp_path / "missing" / "x.bak")], "does not exist")
    assert not (tmp_path / "missing").exists()
    text = tmp_path / "notes.txt"
    text.write_text("not a backup\n")
    with fresh_database(kind_of(sample_url), tmp_path) as target:
        refused_on_empty(target, ["restore", str(text)], "is not a studbook backup")
        refused_on_empty(target, ["restore", str(tmp_path / "nope.bak")], "cannot read the backup")
    # into a database that already holds a book
    bak = tmp_path / "s.bak"
    ok(sample_url, "backup", str(bak))
    r = run_cli(sample_url, "restore", str(bak))
    assert r.exit_code == 3 and "already holds a studbook" in r.stderr


def test_a_backup_restores_only_into_its_own_kind(sample_url, tmp_path):
    backend = kind_of(sample_url)
    if backend == "sqlite":
        pytest.importorskip("psycopg")
        from conftest import PG_URL

        if not PG_URL:
            pytest.skip("PostgreSQL not configured (see the PostgreSQL NOT TESTED line)")
    bak = tmp_path / "kind.bak"
    ok(sample_url, "backup", str(bak))
    other = "postgres" if backend == "sqlite" else "sqlite"
    with fresh_database(other, tmp_path) as target:
        refused_on_empty(target, ["restore", str(bak)], "backup and --db is a")


def test_moving_a_book_from_sqlite_to_postgresql_keeps_every_record(tmp_path):
    from conftest import PG_URL

    if not PG_URL:
        pytest.skip("PostgreSQL not configured (see the PostgreSQL NOT TESTED line)")
    src = "sqlite:///" + str(tmp_path / "zoo.db")
    ok(src, "init", "--sample")
    original = export_files(src, tmp_path / "zoo-folder")
    with fresh_database("postgres", tmp_path) as pg:
        ok(pg, "init", "--from-folder", str(tmp_path / "zoo-folder"))
        assert export_files(pg, tmp_path / "again") == original
