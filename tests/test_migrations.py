"""Migrations are frozen history: one head, upgrade from empty, down and up again, models == DDL."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from conftest import run_cli
from sqlalchemy import create_engine, inspect

from studbook import db
from studbook.models import Base

TABLES = {"species", "institution", "animal", "parent_candidate", "local_id", "event", "audit_log", "plan",
          "recommendation"}


def _tables(url):
    engine = create_engine(url)
    try:
        return set(inspect(engine).get_table_names()) - {"alembic_version"}
    finally:
        engine.dispose()


def test_single_head():
    script = ScriptDirectory.from_config(db.alembic_config("sqlite://"))
    assert len(script.get_heads()) == 1
    assert script.get_current_head() == db.head_revision()


def test_migrations_never_import_live_models():
    for path in (Path(db.migrations_dir()) / "versions").glob("*.py"):
        imports = [ln for ln in path.read_text().splitlines() if ln.startswith(("import ", "from "))]
        assert not [ln for ln in imports if "studbook" in ln], path.name


def test_upgrade_downgrade_upgrade(empty_url):
    db.upgrade(empty_url)
    assert _tables(empty_url) == TABLES
    assert db.current_revision(empty_url) == db.head_revision()
    db.downgrade(empty_url, "base")
    assert _tables(empty_url) == set()
    assert db.current_revision(empty_url) is None
    db.upgrade(empty_url)
    assert _tables(empty_url) == TABLES


def test_every_revision_steps_down_and_up(empty_url):
    script = ScriptDirectory.from_config(db.alembic_config("sqlite://"))
    revisions = [r.revision for r in reversed(list(script.walk_revisions()))]
    for rev in revisions:
        db.upgrade(empty_url, rev)
        assert db.current_revision(empty_url) == rev
    for _rev in reversed(revisions):
        db.downgrade(empty_url, "-1")
    assert db.current_revision(empty_url) is None


def test_models_match_migrations(empty_url):
    db.upgrade(empty_url)
    engine = create_engine(empty_url)
    try:
        with engine.connect() as conn:
            ctx = MigrationContext.configure(conn, opts={"compare_type": True})
            diff = compare_metadata(ctx, Base.metadata)
    finally:
        engine.dispose()
    assert diff == []


def test_downgrade_keeps_nothing_and_upgrade_serves_cli(empty_url):
    assert run_cli(empty_url, "init").exit_code == 0
    db.downgrade(empty_url, "base")
    r = run_cli(empty_url, "animal", "list")
    assert r.exit_code == 3
    assert run_cli(empty_url, "db", "upgrade").exit_code == 0
    assert run_cli(empty_url, "animal", "list", "--format", "json").stdout.strip() == "[]"


def test_data_survives_the_plans_migration(empty_url):
    """Records written at revision 0001 are intact after upgrading to head (and 0002 goes down cleanly)."""
    db.upgrade(empty_url, "0001")
    engine = create_engine(empty_url)
    try:
        from sqlalchemy import text as sql

        with engine.begin() as conn:
            conn.execute(sql("INSERT INTO institution (code, name, country, latitude, longitude) "
                             "VALUES ('LEIPZIG', 'Zoo Leipzig', 'DE', 51.35, 12.37)"))
        db.upgrade(empty_url)
        with engine.connect() as conn:
            assert conn.execute(sql("SELECT code FROM institution")).scalars().all() == ["LEIPZIG"]
        db.downgrade(empty_url, "0001")
        assert "plan" not in _tables(empty_url)
        with engine.connect() as conn:
            assert conn.execute(sql("SELECT code FROM institution")).scalars().all() == ["LEIPZIG"]
    finally:
        engine.dispose()


def test_pinned_schema_head_is_the_alembic_head():
    assert db.SCHEMA_HEAD == db.head_revision()


def test_sqlite_connection_settings(tmp_path):
    from sqlalchemy import text as sql

    url = "sqlite:///" + str(tmp_path / "p.db")
    db.upgrade(url)
    with db.make_engine(url).connect() as conn:
        assert conn.execute(sql("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(sql("PRAGMA foreign_keys")).scalar() == 1
        assert conn.execute(sql("PRAGMA busy_timeout")).scalar() == db.SQLITE_BUSY_TIMEOUT_MS
        assert conn.execute(sql("PRAGMA synchronous")).scalar() == 2  # FULL
