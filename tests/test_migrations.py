"""Migrations are frozen history: one head, upgrade from empty, down and up again, models == DDL."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from conftest import run_cli
from sqlalchemy import create_engine, inspect

from studbook import db
from studbook.models import Base

TABLES = {"species", "institution", "animal", "parent_candidate", "local_id", "event", "audit_log", "plan",
          "recommendation", "problem", "app_user", "user_institution", "login_session", "pending_update"}


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


_ROWS_0002 = [
    "INSERT INTO institution (id, code, name, country, latitude, longitude) VALUES (1, 'LEIPZIG', 'Zoo Leipzig', 'DE', 51.35, 12.37)",
    "INSERT INTO institution (id, code, name, country, latitude, longitude) VALUES (2, 'TALLINN', 'Tallinn Zoo', 'EE', 59.4, 24.6)",
    "INSERT INTO animal (id, studbook_id, sex, birth_date, birth_precision, birth_estimated, birth_type, sire_kind, "
    "dam_kind, rearing, exclude_from_analysis, do_not_breed, contracepted, hybrid_suspect, exclude_from_release, "
    "artificial_insemination, version) VALUES (1, '1', 'M', '2010-01-01', 'D', false, 'wild', 'WILD', 'WILD', "
    "'unknown', false, false, false, false, false, false, 1)",
    "INSERT INTO event (id, animal_id, kind, date, date_precision, date_estimated, institution_id, loan) "
    "VALUES (1, 1, 'capture', '2011-01-01', 'D', false, 1, false)",
    "INSERT INTO event (id, animal_id, kind, date, date_precision, date_estimated, institution_id, from_institution_id, "
    "loan) VALUES (2, 1, 'transfer', '2012-01-01', 'D', false, 2, 1, false)",
    "INSERT INTO local_id (id, animal_id, institution_id, local_id) VALUES (1, 1, 2, 'M77')",
    "INSERT INTO plan (id, created_at, created_by, kind, parameters, book_state, summary) "
    "VALUES (1, '2026-01-01 00:00:00', 'me', 'transfers', '{}', '{}', '{}')",
    "INSERT INTO recommendation (id, plan_id, kind, animal_id, details, status, fulfilled_by_event_id) "
    "VALUES (1, 1, 'transfer', 1, '{}', 'fulfilled', 2)",
]


def test_data_survives_the_records_migration(empty_url):
    """0002 -> 0003 rebuilds institution, local_id and species on SQLite: no row, link or trigger may be lost."""
    from sqlalchemy import text as sql

    db.upgrade(empty_url, "0002")
    engine = create_engine(empty_url)
    try:
        with engine.begin() as conn:
            for stmt in _ROWS_0002:
                conn.execute(sql(stmt))
        db.upgrade(empty_url, "0003")
        with engine.connect() as conn:
            assert conn.execute(sql("SELECT code, kind, latitude FROM institution ORDER BY id")).all() == [
                ("LEIPZIG", "zoo", 51.35), ("TALLINN", "zoo", 59.4)]
            assert conn.execute(sql("SELECT count(*) FROM event WHERE void")).scalar() == 0
            assert conn.execute(sql("SELECT institution_id FROM event ORDER BY id")).scalars().all() == [1, 2]
            assert conn.execute(sql("SELECT fulfilled_by_event_id FROM recommendation")).scalar() == 2
            assert conn.execute(sql("SELECT local_id FROM local_id")).scalar() == "M77"
        with pytest.raises(Exception, match="append-only"), engine.begin() as conn:
            conn.execute(sql("INSERT INTO audit_log (at, \"user\", action, table_name) "
                             "VALUES ('2026-01-01', 'me', 'insert', 'x')"))
            conn.execute(sql("DELETE FROM audit_log"))
        db.downgrade(empty_url, "0002")
        with engine.connect() as conn:
            assert conn.execute(sql("SELECT fulfilled_by_event_id FROM recommendation")).scalar() == 2
            assert conn.execute(sql("SELECT count(*) FROM event")).scalar() == 2
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
