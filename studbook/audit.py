"""The audit trail: every ORM write becomes a row of ``audit_log``.

Installed on write sessions by ``db.session_scope``. After each flush it records,
for every inserted, updated or deleted row, who (``session.info['user']``), when,
which command, and the row's values before and after. The table itself is
append-only (database triggers refuse UPDATE and DELETE on it).
"""

from __future__ import annotations

import getpass
import os
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import event, insert, inspect
from sqlalchemy.orm import Session

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
        add("insert", obj, None, _snapshot(obj))
    for obj in session.dirty:
        if session.is_modified(obj, include_collections=False):
            before, after = _before(obj), _snapshot(obj)
            changed = {k for k in after if before.get(k) != after[k]}
            if changed:
                add("update", obj, {k: before[k] for k in changed}, {k: after[k] for k in changed})
    for obj in session.deleted:
        add("delete", obj, _before(obj), None)
    if rows:
        session.connection().execute(insert(AuditLog), rows)


def set_reason(session: Session, reason: str | None) -> None:
    """Why the following writes are made: lands in their audit rows (required for corrections and voids)."""
    session.info["reason"] = reason


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
