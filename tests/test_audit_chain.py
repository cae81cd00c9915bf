"""The audit log is tamper-evident: a hash chain, `studbook audit verify`, no TRUNCATE, server time."""

from __future__ import annotations

import json

import pytest
from conftest import run_cli
from sqlalchemy import create_engine, text


def _verify(url):
    r = run_cli(url, "audit", "verify", "--format", "json")
    return r, json.loads(r.stdout)


def _superuser(url):
    """A raw connection that bypasses the application (as the database owner or superuser could)."""
    return create_engine(url, isolation_level="AUTOCOMMIT")


def _add_animal(url, sid="9"):
    r = run_cli(url, "animal", "add", "--id", sid, "--sex", "M", "--birth-date", "2010", "--at", "LEIPZIG",
                "--wild-born")
    assert r.exit_code == 0, r.stderr


def test_intact_chain_verifies(book_url):
    _add_animal(book_url)
    r, res = _verify(book_url)
    assert r.exit_code == 0, r.stderr
    assert res["ok"] and res["first_broken"] is None and res["problems"] == []
    assert res["rows"] >= 8 and len(res["head"]) == 64
    r = run_cli(book_url, "audit", "verify")
    assert r.exit_code == 0 and "intact" in r.stdout + r.stderr


def test_altered_row_is_named(book_url):
    _add_animal(book_url)
    eng = _superuser(book_url)
    try:
        with eng.connect() as conn:
            target = conn.execute(text("SELECT id FROM audit_log WHERE record = '9' ORDER BY id LIMIT 1")).scalar()
            if book_url.startswith("sqlite"):
                conn.execute(text("DROP TRIGGER audit_log_no_update"))
                conn.execute(text("UPDATE audit_log SET \"user\" = 'mallory' WHERE id = :i"), {"i": target})
            else:
                conn.execute(text("ALTER TABLE audit_log DISABLE TRIGGER USER"))
                conn.execute(text("UPDATE audit_log SET \"user\" = 'mallory' WHERE id = :i"), {"i": target})
                conn.execute(text("ALTER TABLE audit_log ENABLE TRIGGER USER"))
    finally:
        eng.dispose()
    r, res = _verify(book_url)
    assert r.exit_code == 1
    assert res["first_broken"] == target and not res["ok"]
    assert f"audit row {target} is broken" in r.stderr and "Traceback" not in r.stderr
    if book_url.startswith("sqlite"):
        assert "trigger audit_log_no_update is missing" in res["problems"]


def test_forged_and_deleted_rows_are_named(book_url):
    _add_animal(book_url)
    eng = _superuser(book_url)
    try:
        with eng.connect() as conn:
            last = conn.execute(text("SELECT max(id) FROM audit_log")).scalar()
            conn.execute(text("INSERT INTO audit_log (at, \"user\", action, table_name, record) "
                              "VALUES ('2020-01-01', 'keeper', 'insert', 'animal', 'X')"))
    finally:
        eng.dispose()
    _r, res = _verify(book_url)
    assert res["first_broken"] == last + 1 and "no hash" in res["why"]
    # A forger who copies a valid-looking hash still breaks the chain: remove a row in the middle.
    eng = _superuser(book_url)
    try:
        with eng.connect() as conn:
            mid = conn.execute(text("SELECT min(id) + 2 FROM audit_log")).scalar()
            if book_url.startswith("sqlite"):
                conn.execute(text("DROP TRIGGER audit_log_no_delete"))
            else:
                conn.execute(text("ALTER TABLE audit_log DISABLE TRIGGER USER"))
            conn.execute(text("DELETE FROM audit_log WHERE id = :i"), {"i": mid})
            if not book_url.startswith("sqlite"):
                conn.execute(text("ALTER TABLE audit_log ENABLE TRIGGER USER"))
            after = conn.execute(text("SELECT min(id) FROM audit_log WHERE id > :i"), {"i": mid}).scalar()
    finally:
        eng.dispose()
    _r, res = _verify(book_url)
    assert res["first_broken"] == after


def test_truncate_is_refused_and_server_time_is_used(book_url):
    if book_url.startswith("sqlite"):
        pytest.skip("SQLite has no TRUNCATE; DELETE is refused by the row trigger (test_migrations)")
    eng = _superuser(book_url)
    try:
        with eng.connect() as conn:
            n = conn.execute(text("SELECT count(*) FROM audit_log")).scalar()
            with pytest.raises(Exception, match="append-only"):
                conn.execute(text("TRUNCATE audit_log"))
            assert conn.execute(text("SELECT count(*) FROM audit_log")).scalar() == n
            # A client clock is not believed: `at` becomes the server's transaction time.
            conn.execute(text("INSERT INTO audit_log (at, \"user\", action, table_name) "
                              "VALUES ('1999-01-01', 'x', 'insert', 'x')"))
            at_year = conn.execute(text("SELECT extract(year FROM at) FROM audit_log ORDER BY id DESC LIMIT 1"))
            assert int(at_year.scalar()) >= 2024
    finally:
        eng.dispose()


def test_disabled_trigger_is_a_problem(book_url):
    if book_url.startswith("sqlite"):
        pytest.skip("SQLite triggers cannot be disabled, only dropped (see test_altered_row_is_named)")
    eng = _superuser(book_url)
    try:
        with eng.connect() as conn:
            conn.execute(text("ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_truncate"))
    finally:
        eng.dispose()
    r, res = _verify(book_url)
    assert r.exit_code == 1 and res["problems"] == ["trigger audit_log_no_truncate is disabled"]
    assert res["first_broken"] is None


def test_denied_writes_and_bulk_imports_are_chained(book_url, tmp_path):
    csv = tmp_path / "p.csv"
    csv.write_text("id,sire,dam,sex\nB1,,,M\nB2,,,F\nB3,B1,B2,M\n")
    r = run_cli(book_url, "import", "pedigree", str(csv))
    assert r.exit_code == 0, r.stderr
    r = run_cli(book_url, "user", "add", "keeper1", "--role", "keeper", "--no-password")
    assert r.exit_code == 0, r.stderr
    r = run_cli(book_url, "--as", "ghost", "animal", "update", "B1", "--notes", "x")
    assert r.exit_code == 5, r.stderr
    audit = json.loads(run_cli(book_url, "audit", "--limit", "5", "--format", "json").stdout)
    assert audit[0]["action"] == "deny"
    r, res = _verify(book_url)
    assert r.exit_code == 0 and res["ok"], res


def test_migration_chains_the_existing_rows(book_url):
    from studbook import db

    _add_animal(book_url)
    db.downgrade(book_url, "0005")
    db.upgrade(book_url)
    r, res = _verify(book_url)
    assert r.exit_code == 0 and res["ok"] and res["rows"] >= 9, res


def test_the_owner_is_refused_as_an_application_login(book_url):
    if book_url.startswith("sqlite"):
        pytest.skip("PostgreSQL roles")
    r = run_cli(book_url, "db", "grant-app-role", "postgres")
    assert r.exit_code == 1 and "owns the tables" in r.stderr, r.stderr
