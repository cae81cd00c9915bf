"""Engine, sessions, transactions and migrations.

* ``--db`` takes a plain path (SQLite) or a SQLAlchemy URL (``postgresql+psycopg://``).
* SQLite runs in WAL mode, ``synchronous=FULL``, with a busy timeout and foreign keys on.
  Write transactions start with ``BEGIN IMMEDIATE`` so that two writers queue up
  instead of failing half-way; the lock is retried with jitter, longest waiters first.
* PostgreSQL write transactions take one transaction-level advisory lock, so
  writers are serialised exactly as on SQLite: studbook IDs are never handed out
  twice and no check can be invalidated by a concurrent write. Readers never wait.
* A writer waits at most ``STUDBOOK_LOCK_TIMEOUT`` seconds (default 60) for the lock
  (PostgreSQL: ``lock_timeout``); a busy database is a ``ConflictError`` (exit 4)
  wherever it shows, nothing written (docs/reliability.md).
* Every value is checked against its column type before the database sees it, so both
  databases accept the same books (:func:`check_values`).
* The session is opened and committed in one place (``session_scope``): a command
  is one transaction; any error rolls everything back.
"""

from __future__ import annotations

import json
import math
import os
import random
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, inspect, select, text
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, OperationalError, ProgrammingError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError
from sqlalchemy.pool import QueuePool

from .access import Actor, ActorLike, as_actor, local_keeper
from .config import DEFAULT_DB, SCHEMA_HEAD, is_sqlite, resolve_url, sqlite_path  # noqa: F401  (re-exported)
from .errors import (
    ConflictError,
    DatabaseError,
    InvalidInputError,
    PermissionDeniedError,
    SchemaOutOfDateError,
    ValidationError,
)

PG_WRITE_LOCK_KEY = 0x5354_4442  # "STDB": one advisory lock for all writers
# How long a statement may wait inside SQLite for a lock that is not the write lock
# (schema changes, recovery); the write lock itself is taken by :func:`_begin_immediate`.
SQLITE_BUSY_TIMEOUT_MS = 10_000
DEFAULT_WRITE_WAIT_S = 60.0  # the longest a writer waits for the write lock (both databases)
# SQLSTATEs of PostgreSQL that mean "another transaction was in the way": lock_not_available
# (lock_timeout), serialization_failure, deadlock_detected.
PG_CONFLICT_STATES = frozenset({"55P03", "40001", "40P01"})


def write_wait_seconds() -> float:
    """The bounded wait for the write lock: ``STUDBOOK_LOCK_TIMEOUT`` seconds (default 60).

    SQLite: the writer retries ``BEGIN IMMEDIATE`` with jitter until then; PostgreSQL:
    ``SET LOCAL lock_timeout``. Past it the command fails with a :class:`ConflictError` (exit 4)."""
    raw = os.environ.get("STUDBOOK_LOCK_TIMEOUT")
    try:
        value = float(raw) if raw else DEFAULT_WRITE_WAIT_S
    except ValueError:
        value = DEFAULT_WRITE_WAIT_S
    return value if 0 < value < 86_400 else DEFAULT_WRITE_WAIT_S


def is_busy_error(err: object) -> bool:
    """Does a driver error mean "another writer holds the lock" (rather than a broken database)?"""
    state = getattr(err, "sqlstate", None)
    if state in PG_CONFLICT_STATES:
        return True
    text_ = str(err).lower()
    return ("database is locked" in text_ or "database is busy" in text_ or "database table is locked" in text_
            or "lock timeout" in text_)


def conflict_error(detail: str) -> ConflictError:
    return ConflictError(f"the database is busy: another writer held it too long ({detail})",
                         "nothing was written; run the command again")


def database_error(exc: DBAPIError, url: str, what: str) -> DatabaseError | ConflictError:
    """The StudbookError for a driver error: a busy database is a conflict (exit 4), else exit 3."""
    if is_busy_error(exc.orig):
        return conflict_error(_one_line(exc.orig))
    return DatabaseError(f"{what}: {_one_line(exc.orig)}", _connect_hint(url))


# --- the same limits on both databases --------------------------------------------------
# SQLite stores any length, any integer and NaN; PostgreSQL refuses what does not fit its
# column types. Every value is checked here against the column's declared type before the
# database sees it, so a book that loads on SQLite loads on PostgreSQL.
INT32 = (-(2**31), 2**31 - 1)
INT64 = (-(2**63), 2**63 - 1)
USER_MAX = 120  # audit_log.user


def _column_kind(col: Any) -> tuple[str, int | None] | None:
    name = col.type.__class__.__name__
    if name in ("String", "VARCHAR", "Unicode"):
        return ("str", getattr(col.type, "length", None))
    if name in ("Text", "UnicodeText"):
        return ("str", None)
    if name in ("Integer", "SmallInteger"):
        return ("int32", None)
    if name == "BigInteger":
        return ("int64", None)
    if name in ("Float", "Double", "Numeric", "REAL"):
        return ("float", None)
    if name == "JSON":
        return ("json", None)
    return None


@lru_cache(maxsize=256)
def _table_checks(table: Any) -> tuple[tuple[str, str, int | None], ...]:
    return tuple((c.name, kind[0], kind[1]) for c in table.columns if (kind := _column_kind(c)) is not None)


def _json_problem(value: Any, depth: int = 0) -> str | None:
    if depth > 64:
        return "is nested too deeply"
    if isinstance(value, str):
        return "contains a NUL character" if "\x00" in value else None
    if isinstance(value, float):
        return None if math.isfinite(value) else f"contains {value} (not a finite number)"
    if isinstance(value, dict):
        for k, v in value.items():
            if (p := _json_problem(k, depth + 1) or _json_problem(v, depth + 1)) is not None:
                return p
    elif isinstance(value, (list, tuple)):
        for v in value:
            if (p := _json_problem(v, depth + 1)) is not None:
                return p
    return None


def value_problem(kind: str, limit: int | None, value: Any) -> str | None:
    """What is wrong with *value* for a column of *kind* (None when it fits on both databases)."""
    if value is None:
        return None
    if kind == "str":
        if not isinstance(value, str):
            return None
        if "\x00" in value:
            return "contains a NUL character"
        if limit is not None and len(value) > limit:
            return f"is {len(value)} characters long (at most {limit})"
        return None
    if kind in ("int32", "int64"):
        if isinstance(value, bool) or not isinstance(value, int):
            return None
        lo, hi = INT32 if kind == "int32" else INT64
        return None if lo <= value <= hi else f"{value} is out of range ({lo} to {hi})"
    if kind == "float":
        if isinstance(value, float) and not math.isfinite(value):
            return f"{value} is not a finite number"
        if isinstance(value, int) and not isinstance(value, bool) and abs(value) > 2**53:
            return f"{value} is too large"
        return None
    if kind == "json":
        return _json_problem(value)
    return None


def check_values(table: Any, values: dict[str, Any], label: str | None = None) -> None:
    """Refuse (:class:`ValidationError`) a row whose values do not fit its columns on both databases."""
    for name, kind, limit in _table_checks(table):
        if name in values and (problem := value_problem(kind, limit, values[name])) is not None:
            what = f"{table.name}.{name}" + (f" of {label}" if label else "")
            raise ValidationError(f"{what}: {problem}", "nothing was written; give a shorter or valid value")


def _check_flush(session: Session, _ctx: Any, _instances: Any) -> None:
    for obj in (*session.new, *session.dirty):
        table = getattr(obj, "__table__", None)
        if table is None:
            continue
        values = {c.name: getattr(obj, prop.key, None)
                  for prop in inspect(obj).mapper.column_attrs for c in prop.columns[:1]}
        label = getattr(obj, "studbook_id", None) or getattr(obj, "code", None)
        check_values(table, values, str(label) if label is not None else None)


def check_user_name(user: str) -> str:
    """``--user`` / STUDBOOK_USER: what the audit log can hold on both databases."""
    if len(user) > USER_MAX:
        raise InvalidInputError(f"the user name is {len(user)} characters long (at most {USER_MAX})",
                                "give a shorter --user (or STUDBOOK_USER)")
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in user):
        raise InvalidInputError("the user name contains a control character", "give a plain --user name")
    return user


def _begin_immediate(raw: Any) -> None:
    """Take SQLite's write lock (``BEGIN IMMEDIATE``), retrying with jitter up to a bounded wait.

    SQLite's own busy handler sleeps in growing steps, so a writer that has waited long
    polls no more often than a newcomer and can starve. Here every attempt fails at once
    when the lock is taken (busy_timeout 0) and the writer sleeps a random time whose mean
    *shrinks* as its wait grows (from ~20 ms, halving every second, to 2 ms): the longest waiters poll most often
    and win the lock first. Past :func:`write_wait_seconds` it is a :class:`ConflictError`.
    """
    wait = write_wait_seconds()
    start = time.monotonic()
    raw.execute("PRAGMA busy_timeout = 0")
    try:
        while True:
            try:
                raw.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as exc:
                if not is_busy_error(exc):
                    raise
                waited = time.monotonic() - start
                if waited >= wait:
                    raise conflict_error(f"waited {waited:.0f} s for the write lock") from None
                mean = max(0.002, 0.02 * 0.5 ** waited)
                time.sleep(min(random.uniform(0.5, 1.5) * mean, max(0.0, wait - waited)))
    finally:
        raw.execute("PRAGMA busy_timeout = " + str(int(SQLITE_BUSY_TIMEOUT_MS)))


@lru_cache(maxsize=8)
def make_engine(url: str) -> Engine:
    """One engine per URL per process (cached)."""
    if is_sqlite(url):
        path = sqlite_path(url)
        if path is not None and not Path(path).parent.exists():
            raise DatabaseError(
                f"cannot create the database {path}: folder {Path(path).parent} does not exist",
                "create the folder first or give another --db path",
            )
        if path is None:  # in memory
            engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000})
        else:
            # The file is opened by name, never through URL parsing: `--db 'zoo%41.db'` is zoo%41.db.
            def connect(file: str = path) -> sqlite3.Connection:
                return sqlite3.connect(file, timeout=SQLITE_BUSY_TIMEOUT_MS / 1000, check_same_thread=False)

            engine = create_engine("sqlite://", creator=connect, poolclass=QueuePool)
        _configure_sqlite(engine)
    else:
        engine = create_engine(url, pool_pre_ping=True)
    return engine


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control away from pysqlite so BEGIN IMMEDIATE works.
        dbapi_connection.isolation_level = None
        cur = dbapi_connection.cursor()
        # PRAGMA takes no bound parameters; the value is our own integer constant.
        cur.execute("PRAGMA busy_timeout = " + str(int(SQLITE_BUSY_TIMEOUT_MS)))
        cur.execute("PRAGMA journal_mode = WAL")
        cur.execute("PRAGMA synchronous = FULL")
        cur.execute("PRAGMA foreign_keys = ON")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        if conn.get_execution_options().get("studbook_write", False):
            _begin_immediate(conn.connection.dbapi_connection)
        else:
            conn.exec_driver_sql("BEGIN")


def migrations_dir() -> Path:
    """Alembic scripts: inside the installed package, or ``migrations/`` of a checkout."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "migrations", here.parent / "migrations"):
        if (candidate / "env.py").exists():
            return candidate
    raise DatabaseError("the migration scripts are missing from this installation",
                        "reinstall studbook (pip install .)")


def alembic_config(url: str) -> Any:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(migrations_dir()))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


@lru_cache(maxsize=1)
def head_revision() -> str:
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    head = script.get_current_head()
    assert head is not None
    return head


@lru_cache(maxsize=1)
def known_revisions() -> frozenset[str]:
    """Every schema revision this version of studbook has a migration for."""
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    return frozenset(rev.revision for rev in script.walk_revisions())


def refuse_newer_schema(current: str | None) -> None:
    """A database written by a newer studbook: the program is behind, not the database."""
    if current is not None and current not in known_revisions():
        raise DatabaseError(
            f"the database schema is at revision {current}, newer than this studbook knows "
            f"(it expects {head_revision()}): the book was written by a newer version of studbook",
            "upgrade studbook (pip install -U studbook) to work on this book; do not downgrade or "
            "re-initialise the database")


def current_revision(url: str) -> str | None:
    """Revision of the database, or None when it has no schema yet (a missing SQLite file is not created)."""
    path = sqlite_path(url)
    if path is not None and not Path(path).exists():
        return None
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            if not inspect(conn).has_table("alembic_version"):
                return None
            return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except DBAPIError as exc:
        raise database_error(exc, url, "cannot open the database") from None


def _one_line(err: object) -> str:
    """A driver message on one line (PostgreSQL's span several)."""
    return " ".join(str(err).split())


@contextmanager
def new_database_or_nothing(url: str) -> Iterator[None]:
    """Around a command that may create its SQLite database: if the block fails and the file
    did not exist before, the file is removed again, so a refused command leaves nothing."""
    path = sqlite_path(url)
    existed = path is None or Path(path).exists()
    try:
        yield
    except BaseException:
        if not existed and path is not None:
            make_engine(url).dispose()
            for suffix in ("", "-wal", "-shm", "-journal"):
                Path(path + suffix).unlink(missing_ok=True)
        raise


def upgrade(url: str, revision: str = "head") -> None:
    """Create or migrate the schema (alembic upgrade)."""
    from alembic import command

    refuse_newer_schema(current_revision(url))
    try:
        with _migration_connection(url) as conn:
            cfg = alembic_config(url)
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, revision)
    except DBAPIError as exc:
        raise database_error(exc, url, "cannot migrate the database") from None


@contextmanager
def _migration_connection(url: str) -> Iterator[Any]:
    """A connection in a transaction for Alembic.

    SQLite rebuilds a table to alter it (copy, drop, rename). With foreign keys on,
    dropping a parent table would run its children's ON DELETE actions, so migrations
    run with foreign keys off, as SQLite's documentation prescribes for schema changes,
    and ``PRAGMA foreign_key_check`` must come back empty before the commit.
    """
    engine = make_engine(url)
    with engine.connect() as conn:
        conn = conn.execution_options(studbook_write=True)  # migrations are writers: same lock, same wait
        if not is_sqlite(url):
            with conn.begin():
                _pg_write_lock(conn)
                yield conn
            return
        raw = conn.connection.dbapi_connection
        assert raw is not None
        raw.execute("PRAGMA foreign_keys = OFF")  # outside any transaction, where SQLite honours it
        try:
            with conn.begin():
                yield conn
                broken = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                if broken:
                    raise DatabaseError(f"the migration would break {len(broken)} foreign key(s), e.g. {broken[0]}",
                                        "nothing was changed; please report this")
        finally:
            raw.execute("PRAGMA foreign_keys = ON")


def downgrade(url: str, revision: str) -> None:
    from alembic import command

    with _migration_connection(url) as conn:
        cfg = alembic_config(url)
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, revision)


def require_head(url: str) -> None:
    """Refuse to work on a database whose schema is missing or behind the code."""
    current = current_revision(url)
    head = SCHEMA_HEAD
    if current is None:
        path = sqlite_path(url)
        if path is not None and not Path(path).exists():
            raise DatabaseError(f"the database {path} does not exist",
                                "run `studbook init` to create it, or check --db / STUDBOOK_DB")
        raise SchemaOutOfDateError(
            "the database has no studbook schema yet",
            "run `studbook init` (or `studbook db upgrade`) first",
        )
    refuse_newer_schema(current)
    if current != head:
        raise SchemaOutOfDateError(
            f"the database schema is at revision {current}, this studbook expects {head}",
            "run `studbook db upgrade`",
        )


def _connect_hint(url: str) -> str:
    if is_sqlite(url):
        return "check the --db path and that the file is a studbook database"
    return "check the --db URL and that the PostgreSQL server is running"


def _pg_write_lock(conn: Any) -> None:
    """PostgreSQL: the writers' advisory lock, waited for at most :func:`write_wait_seconds`."""
    ms = int(write_wait_seconds() * 1000)
    conn.execute(text("SELECT set_config('lock_timeout', :t, true)"), {"t": f"{ms}ms"})
    conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": PG_WRITE_LOCK_KEY})


def _rollback(trans: Any) -> None:
    if trans.is_active:
        trans.rollback()


@contextmanager
def session_scope(
    url: str,
    *,
    write: bool = False,
    user: str = "unknown",
    command: str | None = None,
    check_schema: bool = True,
    actor: ActorLike | None = None,
    act_as: str | None = None,
) -> Iterator[Session]:
    """One command = one transaction.

    Commits when the block ends normally; rolls back on any exception.
    Write sessions are serialised (BEGIN IMMEDIATE / advisory lock).

    Who is acting (``session.info["actor"]``) is decided here, in one place: *actor* when
    given (the web app passes the actor of its login session), else :func:`resolve_actor`
    (the CLI and the Python API). A :class:`PermissionDeniedError` rolls the transaction
    back and is then recorded in ``audit_log`` in a short transaction of its own.
    """
    from .audit import install_access_guard, install_audit, record_denial

    if write:
        check_user_name(user)
    if check_schema:
        require_head(url)
    engine = make_engine(url)
    try:
        conn = engine.connect()
    except DBAPIError as exc:
        raise database_error(exc, url, "cannot open the database") from None
    try:
        if write:
            conn = conn.execution_options(studbook_write=True)
        try:
            trans = conn.begin()  # SQLite: BEGIN IMMEDIATE with bounded, jittered retries
        except DBAPIError as exc:
            raise database_error(exc, url, "cannot start a transaction") from None
        session = Session(bind=conn, autoflush=True)
        session.info["user"] = user
        session.info["command"] = command[:200] if command else command  # audit_log.command holds 200
        if write:
            event.listen(session, "before_flush", _check_flush)
            install_audit(session)
            install_access_guard(session)
        try:
            try:
                if write and not is_sqlite(url):
                    _pg_write_lock(session.connection())
                set_actor(session, as_actor(actor) if actor is not None else
                          resolve_actor(session, url, user, act_as) if check_schema else local_keeper(user))
                yield session
                session.flush()
                trans.commit()
            except ProgrammingError as exc:
                if "row-level security" not in str(exc.orig):
                    raise
                raise PermissionDeniedError(f"the database refused the change: {_one_line(exc.orig)}",
                                            "nothing was written; the row-level security of PostgreSQL "
                                            "refused a write this user may not make") from None
            except StaleDataError:
                if is_sqlite(url):
                    raise ConflictError("the record was changed by another writer while this one was written",
                                        "nothing was written; read the record again and repeat the change") from None
                raise PermissionDeniedError("the database refused to change a record this user may not change "
                                            "(row-level security)", "nothing was written") from None
        except PermissionDeniedError as exc:
            _rollback(trans)
            record_denial(conn, url, session.info.get("actor") or (as_actor(actor) if actor else None), command, exc)
            raise
        except (IntegrityError, DataError) as exc:
            _rollback(trans)
            raise ValidationError(
                f"the database refused the change: {_one_line(exc.orig)}",
                "nothing was written; check the values (a rule the checks above missed: please report it)",
            ) from None
        except OperationalError as exc:
            _rollback(trans)
            raise database_error(exc, url, "database error") from None
        except BaseException:
            _rollback(trans)
            raise
        finally:
            session.close()
    finally:
        conn.close()


def load_actor(session: Session, name: str) -> Actor | None:
    """The user *name* of the ``app_user`` table as an :class:`Actor` (None when there is no such user)."""
    from .models import AppUser

    user = session.scalar(select(AppUser).where(AppUser.name == name))
    if user is None:
        return None
    return Actor(name=user.name, role=user.role, active=user.active,
                 institutions=frozenset(ui.institution.code for ui in user.institutions))


def resolve_actor(session: Session, url: str, user: str, act_as: str | None = None) -> Actor:
    """Who the CLI or the Python API acts as.

    * No users in the book (the bootstrap rule): the local user *user* is the keeper.
    * SQLite: the local user is the keeper (named *user*, as ``--user`` says).
    * PostgreSQL: the user named like the database login (``SELECT current_user``); a
      superuser login that is no studbook user is the keeper, named *user*; any other login
      that is no studbook user may only read (a reader named like the login).
    * *act_as* (``--as NAME``): a keeper acts as the user NAME (e.g. to enter a registrar's
      record on their behalf, or to check what a registrar may do).
    """
    from .models import AppUser

    if session.scalar(select(AppUser.id).limit(1)) is None:
        base = local_keeper(user)
    elif is_sqlite(url):
        base = local_keeper(user)
    else:
        login = str(session.scalar(text("SELECT current_user")))
        found = load_actor(session, login)
        if found is not None:
            base = found
        elif session.scalar(text("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")):
            base = local_keeper(user)
        else:  # reads only (the web app's own login, before anyone has logged in)
            base = Actor(name=login, role="reader")
    if act_as is None or act_as == base.name:
        return base
    session.info["actor"] = base  # a refusal below is audited with the real user
    if not (base.is_keeper and base.active):
        raise PermissionDeniedError(f"only a keeper may act as another user (--as {act_as}); "
                                    f"{base.role} {base.name} may not",
                                    "leave out --as")
    other = load_actor(session, act_as)
    if other is None:
        raise PermissionDeniedError(f"--as {act_as}: no such studbook user", "`studbook user list` shows the users")
    return other


def set_actor(session: Session, actor: Actor) -> None:
    """Make *actor* the acting user of the session's transaction: ``session.info["actor"]``, the
    audit user, and on PostgreSQL ``studbook.user`` (read by the row-level security policies)."""
    session.info["actor"] = actor
    session.info["user"] = actor.name
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT set_config('studbook.user', :name, true)"), {"name": actor.name})


def bulk_execute(connection: Any, sql_table: Any, rows: list[dict[str, Any]], *, where_key: str | None = None,
                 chunk: int = 5000) -> None:
    """INSERT (or, with *where_key*, UPDATE ... WHERE where_key = ...) many rows straight through the driver.

    SQLAlchemy's executemany builds and processes every row's parameters in Python,
    which dominates a 100,000-animal import; here the statement is compiled once and
    the rows go to the driver's ``executemany`` as plain tuples (dates as ISO text on
    SQLite, JSON values serialised once). Column names come from the table, never
    from data; values are always bound parameters.
    """
    if not rows:
        return
    dialect = connection.dialect
    quote = dialect.identifier_preparer.quote
    cols = [c for c in rows[0] if c != where_key]
    table = sql_table.__table__ if hasattr(sql_table, "__table__") else sql_table
    json_cols = {c.name for c in table.columns if c.type.__class__.__name__ == "JSON"}
    mark = "?" if dialect.paramstyle == "qmark" else "%s"
    if where_key is None:
        sql = (f"INSERT INTO {quote(table.name)} ({', '.join(quote(c) for c in cols)}) "
               f"VALUES ({', '.join(mark for _ in cols)})")
        order = cols
    else:
        sql = (f"UPDATE {quote(table.name)} SET {', '.join(f'{quote(c)} = {mark}' for c in cols)} "
               f"WHERE {quote(where_key)} = {mark}")
        order = [*cols, where_key]
    sqlite = dialect.name == "sqlite"
    types = {c.name: c.type.__class__.__name__ for c in table.columns}

    def converter(col: str) -> Any:
        if col in json_cols:
            return lambda v: None if v is None else json.dumps(v, default=str)
        if sqlite and types.get(col) == "DateTime":  # SQLAlchemy's SQLite storage format (no offset)
            return lambda v: None if v is None else v.strftime("%Y-%m-%d %H:%M:%S.%f")
        if sqlite and types.get(col) == "Date":
            return lambda v: None if v is None else v.isoformat()
        return None

    convert = [(i, fn) for i, c in enumerate(order) if (fn := converter(c)) is not None]
    checks = [(c, kind, limit) for c, kind, limit in _table_checks(table) if c in order]
    params: list[Any] = []
    for r in rows:
        for c, kind, limit in checks:
            v = r[c]
            if v is not None and (problem := value_problem(kind, limit, v)) is not None:
                label = r.get("studbook_id") or r.get("code") or r.get("record")
                raise ValidationError(f"{table.name}.{c}" + (f" of {label}" if label else "") + f": {problem}",
                                      "nothing was written; give a shorter or valid value")
        t = [r[c] for c in order]
        for i, fn in convert:
            t[i] = fn(t[i])
        params.append(t)
    raw = connection.connection.dbapi_connection
    cursor = raw.cursor()
    try:
        for start in range(0, len(params), chunk):
            cursor.executemany(sql, params[start:start + chunk])
    finally:
        cursor.close()
