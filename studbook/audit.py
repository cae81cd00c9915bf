"""The audit trail: every ORM write becomes a row of ``audit_log``.

Installed on write sessions by ``db.session_scope``. After each flush it records,
for every inserted, updated or deleted row, who (``session.info['user']``), when,
which command, and the row's values before and after. The table itself is
append-only (database triggers refuse UPDATE and DELETE on it).

It also holds the two access hooks of the db layer: the *access guard* (a write that came
through no checked service is judged by table: only the keeper may make it, a
coordinator may write plans) and :func:`record_denial`, which writes a refused write to
the log, with the real user, after its transaction was rolled back.
"""

from __future__ import annotations

import getpass
import hashlib
import json
import os
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Connection, event, insert, inspect, text
from sqlalchemy.orm import Session

from .access import Actor, local_keeper, table_write_allowed
from .errors import PermissionDeniedError
from .models import AuditLog, Base


def current_user(explicit: str | None = None) -> str:
    """--user, then STUDBOOK_USER, then the OS login."""
    if explicit:
        return explicit
    env = os.environ.get("STUDBOOK_USER")
    if env:
        return env
    try:
        return getpass.getuser()
    except Exception:  # no login name (containers): still record something
        return "unknown"


# --- the hash chain ---------------------------------------------------------------------
# Each row's ``hash`` = sha256 of (the previous row's hash, the row's fields in a canonical
# form). Kept in step with migrations/versions/0006_audit_hash_chain.py (frozen copy).
HASHED_FIELDS = ("at", "user", "command", "action", "table_name", "row_id", "record", "before", "after", "reason")


def _canon_at(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return str(value.strftime("%Y-%m-%d %H:%M:%S.%f"))


def _plain_json(value: Any) -> bool:
    """True when *value* survives a JSON round trip unchanged (str keys, JSON scalars)."""
    if value is None or isinstance(value, (str, int, float, bool)):
        return True
    if isinstance(value, dict):
        return all(isinstance(k, str) and _plain_json(v) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return all(_plain_json(v) for v in value)
    return False


def _canon_json(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):  # the stored text (SQLite, or a raw read)
        value = json.loads(value)
        if value is None:  # SQL NULL and JSON null are the same "nothing"
            return None
    elif not _plain_json(value):  # as it will read back from the database
        value = json.loads(json.dumps(value, default=str))
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def row_hash(prev: str | None, row: dict[str, Any]) -> str:
    """The chained hash of one audit row (*row* maps :data:`HASHED_FIELDS` to values)."""
    fields = [prev, _canon_at(row.get("at")), row.get("user"), row.get("command"), row.get("action"),
              row.get("table_name"), row.get("row_id"), row.get("record"), _canon_json(row.get("before")),
              _canon_json(row.get("after")), row.get("reason")]
    data = json.dumps(fields, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(data.encode("utf-8", "surrogatepass")).hexdigest()


def last_hash(conn: Connection) -> str | None:
    """The hash of the newest audit row (the writer holds the write lock, so it stays the newest)."""
    return conn.execute(text("SELECT hash FROM audit_log ORDER BY id DESC LIMIT 1")).scalar()


def audit_time(conn: Connection) -> datetime:
    """When: the server's transaction time on PostgreSQL (a trigger enforces it), the clock here on SQLite."""
    if conn.dialect.name == "postgresql":
        value = conn.execute(text("SELECT now()")).scalar()
        assert isinstance(value, datetime)
        return value.astimezone(UTC)
    return datetime.now(UTC)


def chain(conn: Connection, rows: list[dict[str, Any]]) -> None:
    """Give *rows* (about to be inserted in this order) their time and chained hashes."""
    if not rows:
        return
    now = audit_time(conn)
    prev = last_hash(conn)
    for r in rows:
        r["at"] = now
        r["hash"] = prev = row_hash(prev, r)


def _plain(value: Any) -> Any:
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return value


def _columns(obj: Base) -> list[str]:
    return [c.key for c in inspect(obj).mapper.column_attrs]


SECRETS = ("password_hash", "token_hash")  # never copied into the log, not even hashed


def _redact(values: dict[str, Any]) -> dict[str, Any]:
    return {k: "(secret)" if k in SECRETS and v is not None else v for k, v in values.items()}


def _snapshot(obj: Base) -> dict[str, Any]:
    return {k: _plain(getattr(obj, k)) for k in _columns(obj)}


def _before(obj: Base) -> dict[str, Any]:
    state = inspect(obj)
    out: dict[str, Any] = {}
    for key in _columns(obj):
        hist = state.attrs[key].history
        if hist.deleted:
            out[key] = _plain(hist.deleted[0])
        elif hist.unchanged:
            out[key] = _plain(hist.unchanged[0])
        else:
            out[key] = None
    return out


def _label(obj: Base) -> str | None:
    for attr in ("studbook_id", "code"):
        if hasattr(obj, attr):
            return str(getattr(obj, attr))
    if obj.__tablename__ == "pending_update":
        return getattr(obj, "record", None)
    animal = getattr(obj, "animal", None)
    if isinstance(animal, str):
        return animal
    if animal is not None and hasattr(animal, "studbook_id"):
        return str(animal.studbook_id)
    return None


def _after_flush(session: Session, _ctx: Any) -> None:
    rows: list[dict[str, Any]] = []
    now = datetime.now(UTC)
    user = session.info.get("user", "unknown")
    command = session.info.get("command")
    reason = session.info.get("reason")

    def add(action: str, obj: Base, before: dict[str, Any] | None, after: dict[str, Any] | None) -> None:
        if isinstance(obj, AuditLog):
            return
        rows.append(
            {
                "at": now,
                "user": user,
                "command": command,
                "action": action,
                "table_name": obj.__tablename__,
                "row_id": getattr(obj, "id", None),
                "record": (_label(obj) or "")[:64] or None,  # audit_log.record holds 64
                "before": before,
                "after": after,
                "reason": reason,
            }
        )

    for obj in session.new:
        add("insert", obj, None, _redact(_snapshot(obj)))
    for obj in session.dirty:
        if session.is_modified(obj, include_collections=False):
            before, after = _before(obj), _snapshot(obj)
            changed = {k for k in after if before.get(k) != after[k]}
            if changed:
                add("update", obj, _redact({k: before[k] for k in changed}), _redact({k: after[k] for k in changed}))
    for obj in session.deleted:
        add("delete", obj, _redact(_before(obj)), None)
    if rows:
        conn = session.connection()
        chain(conn, rows)
        conn.execute(insert(AuditLog), rows)


def set_reason(session: Session, reason: str | None) -> None:
    """Why the following writes are made: lands in their audit rows (required for corrections and voids).

    While an approved pending update is applied, its note (who asked, who approved) is added.
    """
    note = session.info.get("pending_note")
    if note:
        reason = f"{reason} ({note})" if reason else note
    session.info["reason"] = reason


def acting(session: Session) -> Actor:
    """The actor of the session (set by ``db.session_scope``); a keeper named by the audit user otherwise."""
    actor = session.info.get("actor")
    return actor if isinstance(actor, Actor) else local_keeper(str(session.info.get("user", "unknown")))


def check_unguarded_write(session: Session, tables: set[str]) -> None:
    """The safety net: a write no checked service has authorised is judged by its tables."""
    tables = tables - {AuditLog.__tablename__}
    if not tables or session.info.get("access_checked"):
        return
    decision = table_write_allowed(acting(session), frozenset(tables))
    if not decision.applies:
        raise PermissionDeniedError(f"{decision.reason}; nothing was written",
                                    "ask the studbook keeper", action="write", record=", ".join(sorted(tables)))


def _before_flush(session: Session, _ctx: Any, _instances: Any) -> None:
    tables = {o.__tablename__ for o in (*session.new, *session.deleted)}
    tables |= {o.__tablename__ for o in session.dirty if session.is_modified(o, include_collections=False)}
    check_unguarded_write(session, tables)


def install_access_guard(session: Session) -> None:
    if not session.info.get("_guard_installed"):
        event.listen(session, "before_flush", _before_flush)
        session.info["_guard_installed"] = True


def record_denial(conn: Connection, url: str, actor: Actor | None, command: str | None,
                  exc: PermissionDeniedError) -> None:
    """After the rollback of a refused write: one ``deny`` row in ``audit_log`` with the real user,
    in a short transaction of its own (and the error's own after-rollback bookkeeping, such as
    the failed-login counter). Never hides the original error."""
    name = actor.name if actor is not None else "unknown"
    try:
        with conn.begin():
            if not url.startswith("sqlite"):
                from .db import _pg_write_lock

                _pg_write_lock(conn)  # the audit chain has one writer at a time
                conn.execute(text("SELECT set_config('studbook.user', :name, true)"), {"name": name})
            for step in getattr(exc, "after_rollback", ()):
                step(conn)
            rows: list[dict[str, Any]] = [{
                "user": name, "command": command, "action": "deny",
                "table_name": (exc.action or "write")[:40], "row_id": None,
                "record": (exc.record or None) and str(exc.record)[:64], "before": None,
                "after": {"role": actor.role if actor else None, "refused": exc.reason}, "reason": exc.reason,
            }]
            chain(conn, rows)
            conn.execute(insert(AuditLog), rows)
    except Exception:  # the denial stands even when it cannot be logged (e.g. no schema yet)
        pass


def install_audit(session: Session) -> None:
    if not session.info.get("_audit_installed"):
        event.listen(session, "after_flush", _after_flush)
        session.info["_audit_installed"] = True


def log_bulk_inserts(session: Session, table_name: str, rows: list[tuple[int | None, str | None, dict[str, Any]]]) -> None:
    """Audit rows for a bulk (Core) insert: ``(row_id, record label, values)`` per inserted row.

    Bulk importers insert with Core for speed, so the ORM flush hook does not see
    them; they call this in the same transaction instead.
    """
    if not rows:
        return
    check_unguarded_write(session, {table_name})
    now = audit_time(session.connection())
    user = session.info.get("user", "unknown")
    command = session.info.get("command")
    payload = [
        {"at": now, "user": user, "command": command, "action": "insert", "table_name": table_name,
         "row_id": rid, "record": label, "before": None, "after": values,  # dates become ISO text in bulk_execute
         "reason": session.info.get("reason")}
        for rid, label, values in rows
    ]
    prev = last_hash(session.connection())
    for r in payload:
        r["hash"] = prev = row_hash(prev, r)
    from .db import bulk_execute

    bulk_execute(session.connection(), AuditLog, payload)


# --- verification -----------------------------------------------------------------------

SQLITE_TRIGGERS = ("audit_log_no_update", "audit_log_no_delete")
PG_TRIGGERS = ("audit_log_append_only", "audit_log_no_truncate", "audit_log_server_time")


def verify_chain(conn: Connection, *, batch: int = 5000) -> dict[str, Any]:
    """Recompute the hash chain of ``audit_log`` and check its guards.

    Returns ``rows`` (checked), ``first_broken`` (id of the first row whose hash does not
    match, or None), ``why`` (what is wrong with it), ``head`` (the hash of the last row:
    keep a copy elsewhere to detect a chain recomputed by someone with the owner's rights),
    and ``problems`` (missing or disabled triggers, an application role that owns the table).
    """
    from sqlalchemy import select

    problems: list[str] = []
    if conn.dialect.name == "sqlite":
        have = {r[0] for r in conn.execute(text("SELECT name FROM sqlite_master WHERE type = 'trigger' "
                                                "AND tbl_name = 'audit_log'"))}
        problems += [f"trigger {t} is missing" for t in SQLITE_TRIGGERS if t not in have]
    else:
        have_pg = {r[0]: r[1] for r in conn.execute(text(
            "SELECT tgname, tgenabled FROM pg_trigger WHERE tgrelid = 'audit_log'::regclass AND NOT tgisinternal"))}
        for t in PG_TRIGGERS:
            if t not in have_pg:
                problems.append(f"trigger {t} is missing")
            elif have_pg[t] == "D":
                problems.append(f"trigger {t} is disabled")
        owner = conn.execute(text("SELECT pg_get_userbyid(relowner) FROM pg_class "
                                  "WHERE oid = 'audit_log'::regclass")).scalar()
        if owner == "studbook_app" or conn.execute(text(
                "SELECT pg_has_role('studbook_app', :o, 'MEMBER') FROM pg_roles WHERE rolname = 'studbook_app'"),
                {"o": owner}).scalar():
            problems.append(f"the application role studbook_app owns audit_log (owner {owner}): "
                            "it could drop the triggers")
    prev: str | None = None
    checked = 0
    first_broken: int | None = None
    why: str | None = None
    last_id = 0
    cols = [getattr(AuditLog, f) for f in HASHED_FIELDS]
    while first_broken is None:
        chunk = conn.execute(select(AuditLog.id, AuditLog.hash, *cols).where(AuditLog.id > last_id)
                             .order_by(AuditLog.id).limit(batch)).all()
        if not chunk:
            break
        for r in chunk:
            m = r._mapping
            expected = row_hash(prev, {f: m[f] for f in HASHED_FIELDS})
            checked += 1
            if m["hash"] != expected:
                first_broken = r.id
                why = ("it has no hash (written behind the application's back)" if m["hash"] is None else
                       "its hash does not match its contents or the row before it "
                       "(changed, inserted or a row before it removed)")
                break
            prev = m["hash"]
            last_id = r.id
    return {"rows": checked, "first_broken": first_broken, "why": why, "head": prev if first_broken is None else None,
            "problems": problems, "ok": first_broken is None and not problems}
