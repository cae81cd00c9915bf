"""PostgreSQL enforces the roles too: row-level security and an append-only audit log for the application role.

A registrar's own database login (a member of ``studbook_app``, created by ``studbook db grant-app-role``)
connects to a fresh book and runs SQL directly, as a buggy application would: an UPDATE of another
institution's animal changes 0 rows, an event there is refused, the own institution's animal can be
updated, and UPDATE, DELETE and TRUNCATE of audit_log are refused. Then the CLI runs as that login.
"""

from __future__ import annotations

import uuid
import warnings
from collections.abc import Iterator

import pytest
from conftest import PG_URL, ok, run_cli
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

if not PG_URL:
    warnings.warn("tests/test_rls_postgres.py: POSTGRESQL ROW-LEVEL SECURITY NOT TESTED - set "
                  "STUDBOOK_TEST_POSTGRES_URL", stacklevel=1)
    pytest.skip("POSTGRESQL ROW-LEVEL SECURITY NOT TESTED: set STUDBOOK_TEST_POSTGRES_URL "
                "(e.g. postgresql+psycopg://postgres@127.0.0.1:5432/postgres)", allow_module_level=True)


pytestmark = pytest.mark.parametrize("backend", ["postgres"])  # the book fixtures on PostgreSQL only


@pytest.fixture
def pg_book(family_url: str) -> str:
    return family_url


@pytest.fixture
def login(pg_book: str) -> Iterator[tuple[str, str]]:
    """A registrar of TALLINN with a database login of the same name, member of studbook_app; (name, its URL)."""
    name = f"sbreg_{uuid.uuid4().hex[:8]}"
    admin = create_engine(pg_book, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE ROLE "{name}" LOGIN'))
    try:
        ok(pg_book, "transfer", "3", "--to", "TALLINN", "--date", "2020-01-01")  # 3 at TALLINN, 4 at LEIPZIG
        ok(pg_book, "user", "add", "kim", "--role", "keeper", "--no-password")
        ok(pg_book, "user", "add", name, "--role", "registrar", "--institution", "TALLINN", "--no-password")
        ok(pg_book, "db", "grant-app-role", name)
        yield name, make_url(pg_book).set(username=name).render_as_string(hide_password=False)
    finally:
        from conftest import _dispose

        _dispose(pg_book)
        with admin.connect() as conn:
            conn.execute(text(f'DROP OWNED BY "{name}"'))
            conn.execute(text(f'DROP ROLE "{name}"'))
        admin.dispose()


def _as(url: str, user: str | None, sql: str) -> int:
    """Run *sql* in one transaction as the login of *url*, with studbook.user = *user*; the rowcount."""
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            if user is not None:
                conn.execute(text("SELECT set_config('studbook.user', :u, true)"), {"u": user})
            return conn.execute(text(sql)).rowcount
    finally:
        engine.dispose()


def test_row_level_security_and_append_only_audit_for_the_app_role(login):
    name, url = login
    assert _as(url, None, "SELECT current_user") == 1
    # another institution's animal: invisible to UPDATE (0 rows); an event there is refused
    assert _as(url, name, "UPDATE animal SET notes = 'hacked' WHERE studbook_id = '4'") == 0
    with pytest.raises(DBAPIError, match="row-level security"):
        _as(url, name, "INSERT INTO event (animal_id, kind, date, date_precision, date_estimated, institution_id, "
                       "loan, wild_egg, void) SELECT a.id, 'death', DATE '2026-11-20', 'D', false, i.id, false, "
                       "false, false FROM animal a, institution i WHERE a.studbook_id = '4' AND i.code = 'LEIPZIG'")
    # institutions are the keeper's, even the registrar's own
    assert _as(url, name, "UPDATE institution SET name = 'x' WHERE code IN ('TALLINN', 'LEIPZIG')") == 0
    # the own institution's animal: allowed; without an application user: nothing
    assert _as(url, name, "UPDATE animal SET notes = 'fine' WHERE studbook_id = '3'") == 1
    assert _as(url, None, "UPDATE animal SET notes = 'anonymous' WHERE studbook_id = '3'") == 0
    # history cannot be rewritten, only appended to
    for sql in ("UPDATE audit_log SET \"user\" = 'nobody'", "DELETE FROM audit_log", "TRUNCATE audit_log"):
        with pytest.raises(DBAPIError, match="permission denied"):
            _as(url, name, sql)
    assert _as(url, name, "INSERT INTO audit_log (at, \"user\", action, table_name) "
                          "VALUES (now(), 'x', 'insert', 'note')") == 1


def test_the_cli_acts_as_the_database_login(login, pg_book):
    name, url = login
    r = ok(url, "death", "4", "--date", "2026-11-20")  # LEIPZIG's animal: pending
    assert "pending update #1" in r.stderr
    r = ok(url, "death", "3", "--date", "2026-11-20")  # TALLINN's: applied, under RLS
    assert "Recorded death of 3" in r.stderr
    r = run_cli(url, "--as", "kim", "animal", "list")
    assert r.exit_code == 5 and "only a keeper may act as another user" in r.stderr
    r = run_cli(url, "pending", "approve", "1")
    assert r.exit_code == 5
    engine = create_engine(pg_book)
    try:
        with engine.connect() as conn:
            users = conn.execute(text("SELECT \"user\", action FROM audit_log WHERE action IN ('deny') "
                                      "OR table_name = 'pending_update' ORDER BY id")).all()
    finally:
        engine.dispose()
    assert (name, "insert") in users and users.count((name, "deny")) == 2


def test_a_bug_that_thinks_the_registrar_is_the_keeper_is_stopped_by_the_database(login, pg_book):
    """The application wrongly believes the registrar is a keeper: PostgreSQL still refuses LEIPZIG's animal."""
    from studbook.access import Actor
    from studbook.db import session_scope
    from studbook.errors import PermissionDeniedError
    from studbook.services.animals import set_flags
    from studbook.services.events import death

    name, url = login
    wrong = Actor(name, "keeper")
    with pytest.raises(PermissionDeniedError, match="row-level security"), \
            session_scope(url, write=True, actor=wrong) as s:
        set_flags(s, "4", {"do_not_breed": True})
    with pytest.raises(PermissionDeniedError, match="row-level security"), \
            session_scope(url, write=True, actor=wrong) as s:
        death(s, "4", date="2026-11-20")
    with session_scope(url, write=True, actor=wrong) as s:
        set_flags(s, "3", {"do_not_breed": True})  # its own institution's animal: fine
    engine = create_engine(pg_book)
    try:
        with engine.connect() as conn:
            assert conn.execute(text("SELECT studbook_id, do_not_breed FROM animal WHERE studbook_id IN ('3', '4') "
                                     "ORDER BY studbook_id")).all() == [("3", True), ("4", False)]
            assert conn.execute(text("SELECT count(*) FROM audit_log WHERE action = 'deny' AND \"user\" = :u"),
                                {"u": name}).scalar() == 2
    finally:
        engine.dispose()
