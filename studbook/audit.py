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
                "record": _label(obj),
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
        session.connection().execute(insert(AuditLog), rows)


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
                conn.execute(text("SELECT set_config('studbook.user', :name, true)"), {"name": name})
            for step in getattr(exc, "after_rollback", ()):
                step(conn)
            conn.execute(insert(AuditLog), [{
                "at": datetime.now(UTC), "user": name, "command": command, "action": "deny",
                "table_name": (exc.action or "write")[:40], "row_id": None,
                "record": (exc.record or None) and str(exc.record)[:64], "before": None,
                "after": {"role": actor.role if actor else None, "refused": exc.reason}, "reason": exc.reason,
            }])
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
    now = datetime.now(UTC)
    user = session.info.get("user", "unknown")
    command = session.info.get("command")
    payload = [
        {"at": now, "user": user, "command": command, "action": "insert", "table_name": table_name,
         "row_id": rid, "record": label, "before": None, "after": values,  # dates become ISO text in bulk_execute
         "reason": session.info.get("reason")}
        for rid, label, values in rows
    ]
    from .db import bulk_execute

    bulk_execute(session.connection(), AuditLog, payload)
