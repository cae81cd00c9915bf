"""Users and roles: accounts, argon2id passwords, lockout, login sessions, the bootstrap rule (SQLite and PostgreSQL)."""

from __future__ import annotations

import io
import sys
from datetime import UTC, datetime, timedelta

import pytest
from conftest import ok, run_cli
from sqlalchemy import create_engine, text

from studbook.access import Actor
from studbook.db import session_scope
from studbook.errors import AuthError, PermissionDeniedError
from studbook.services import users


def add(url: str, name: str, *args: str, password: str | None = "correct horse") -> object:
    old = sys.stdin
    sys.stdin = io.StringIO((password or "") + "\n")
    try:
        extra = ["--password-stdin"] if password is not None else ["--no-password"]
        return run_cli(url, "user", "add", name, *args, *extra)
    finally:
        sys.stdin = old


def scalar(url: str, sql: str, **params: object) -> object:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(text(sql), params).scalar()
    finally:
        engine.dispose()


@pytest.fixture
def users_url(book_url: str) -> str:
    assert add(book_url, "kim", "--role", "keeper").exit_code == 0
    assert add(book_url, "tom", "--role", "registrar", "--institution", "TALLINN").exit_code == 0
    return book_url


def test_first_user_must_be_a_keeper(book_url):
    r = add(book_url, "tom", "--role", "registrar", "--institution", "TALLINN")
    assert r.exit_code == 1 and "first user of a book must be a keeper" in r.stderr
    assert add(book_url, "kim", "--role", "keeper").exit_code == 0


def test_password_is_an_argon2id_hash_never_clear(users_url):
    stored = str(scalar(users_url, "SELECT password_hash FROM app_user WHERE name = 'tom'"))
    assert stored.startswith("$argon2id$") and "correct horse" not in stored
    log = str(scalar(users_url, "SELECT count(*) FROM audit_log WHERE CAST(after AS TEXT) LIKE '%argon2%'"))
    assert log == "0", "the hash reached the audit log"
    listed = ok(users_url, "user", "list", "--format", "json").stdout
    assert "argon2" not in listed and '"tom"' in listed


def test_password_is_never_taken_from_the_command_line(users_url):
    r = run_cli(users_url, "user", "add", "eve", "--role", "reader", "--password", "secret123")
    assert r.exit_code == 2


def test_registrar_needs_an_institution_and_a_known_one(users_url):
    assert add(users_url, "ann", "--role", "registrar").exit_code == 1
    assert add(users_url, "ann", "--role", "registrar", "--institution", "NOWHERE").exit_code == 1
    assert add(users_url, "ann", "--role", "registrar", "--institution", "leipzig").exit_code == 0


def test_authenticate_right_and_wrong_password(users_url):
    with session_scope(users_url, write=True) as s:
        actor = users.authenticate(s, "tom", "correct horse")
    assert actor == Actor("tom", "registrar", frozenset({"TALLINN"}), True)
    with pytest.raises(AuthError, match="unknown user or wrong password"), session_scope(users_url, write=True) as s:
        users.authenticate(s, "tom", "wrong horse")
    with pytest.raises(AuthError, match="unknown user or wrong password"), session_scope(users_url, write=True) as s:
        users.authenticate(s, "nobody", "correct horse")
    # the failure was counted although the transaction was rolled back, and audited with the name tried
    assert scalar(users_url, "SELECT failed_logins FROM app_user WHERE name = 'tom'") == 1
    assert scalar(users_url, "SELECT count(*) FROM audit_log WHERE action = 'deny' AND record = 'nobody'") == 1


def test_lockout_after_repeated_failures_and_unlock(users_url):
    for _ in range(users.MAX_FAILED_LOGINS):
        with pytest.raises(AuthError), session_scope(users_url, write=True) as s:
            users.authenticate(s, "tom", "wrong horse")
    with pytest.raises(AuthError, match="locked until"), session_scope(users_url, write=True) as s:
        users.authenticate(s, "tom", "correct horse")  # even the right password
    assert scalar(users_url, "SELECT locked_until FROM app_user WHERE name = 'tom'") is not None
    old = sys.stdin
    sys.stdin = io.StringIO("another horse\n")
    try:
        assert run_cli(users_url, "user", "set-password", "tom", "--password-stdin").exit_code == 0
    finally:
        sys.stdin = old
    with session_scope(users_url, write=True) as s:
        assert users.authenticate(s, "tom", "another horse").name == "tom"


def test_disabled_user_cannot_authenticate_nor_keep_a_login(users_url):
    with session_scope(users_url, write=True) as s:
        token = users.create_login_session(s, "tom")
    ok(users_url, "user", "disable", "tom")
    with pytest.raises(AuthError, match="disabled"), session_scope(users_url, write=True) as s:
        users.authenticate(s, "tom", "correct horse")
    with session_scope(users_url) as s:
        assert users.resolve_login_session(s, token) is None


def test_login_sessions_store_only_a_hash_and_expire(users_url):
    with session_scope(users_url, write=True) as s:
        token = users.create_login_session(s, "tom")
    assert scalar(users_url, "SELECT count(*) FROM login_session WHERE token_hash = :t", t=token) == 0
    with session_scope(users_url) as s:
        assert users.resolve_login_session(s, token) == users.get_actor(s, "tom")
        assert users.resolve_login_session(s, token + "x") is None
    engine = create_engine(users_url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE login_session SET expires_at = :t"), {"t": datetime.now(UTC) - timedelta(seconds=1)})
    engine.dispose()
    with session_scope(users_url) as s:
        assert users.resolve_login_session(s, token) is None
    with session_scope(users_url, write=True) as s:
        token2 = users.create_login_session(s, "tom")
    with session_scope(users_url, write=True) as s:
        users.end_login_session(s, token2)
    with session_scope(users_url) as s:
        assert users.resolve_login_session(s, token2) is None


def test_only_the_keeper_manages_users_and_the_denial_is_audited(users_url):
    r = add(users_url, "eve", "--role", "reader", password=None)
    assert r.exit_code == 0
    r = run_cli(users_url, "--as", "tom", "user", "add", "mal", "--role", "keeper", "--no-password")
    assert r.exit_code == 5 and r.stderr.startswith("Error: only the keeper may add users, not registrar tom")
    assert scalar(users_url, "SELECT count(*) FROM app_user WHERE name = 'mal'") == 0
    assert scalar(users_url, "SELECT \"user\" FROM audit_log WHERE action = 'deny' ORDER BY id DESC") == "tom"
    with pytest.raises(PermissionDeniedError), session_scope(users_url, write=True, actor=Actor("eve", "reader")) as s:
        users.disable_user(s, "kim")


def test_last_keeper_cannot_be_disabled(users_url):
    r = run_cli(users_url, "user", "disable", "kim")
    assert r.exit_code == 1 and "last active keeper" in r.stderr


def test_as_names_a_studbook_user(users_url):
    from studbook.db import resolve_actor

    r = run_cli(users_url, "--as", "nobody", "animal", "list")
    assert r.exit_code == 5 and "no such studbook user" in r.stderr
    with session_scope(users_url) as s:
        assert resolve_actor(s, users_url, "local", "tom").role == "registrar"  # the local keeper acts as tom
        assert resolve_actor(s, users_url, "local").role == "keeper"


def test_audit_log_stays_append_only_and_0005_goes_down_and_up(users_url):
    from studbook import db

    ok(users_url, "--as", "tom", "user", "list")
    run_cli(users_url, "--as", "tom", "user", "disable", "kim")  # a denial row
    assert scalar(users_url, "SELECT count(*) FROM audit_log WHERE action = 'deny'") == 1
    engine = create_engine(users_url)
    try:
        with pytest.raises(Exception, match="append-only"), engine.begin() as conn:
            conn.execute(text("UPDATE audit_log SET \"user\" = 'x'"))
    finally:
        engine.dispose()
    db.downgrade(users_url, "0004")
    assert scalar(users_url, "SELECT count(*) FROM audit_log WHERE action = 'deny'") == 0
    db.upgrade(users_url)
    engine = create_engine(users_url)
    try:
        with pytest.raises(Exception, match="append-only"), engine.begin() as conn:
            conn.execute(text("DELETE FROM audit_log"))
    finally:
        engine.dispose()
    assert ok(users_url, "user", "list", "--format", "json").stdout.strip() == "[]"
