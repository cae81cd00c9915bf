"""Reading the audit log."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import AuditLog


def audit_rows(session: Session, *, studbook_id: str | None = None, limit: int = 50) -> list[dict[str, Any]]:
    q = select(AuditLog).order_by(AuditLog.id.desc()).limit(limit)
    if studbook_id is not None:
        q = q.where(AuditLog.record == studbook_id)
    return [
        {"id": a.id, "at": a.at.isoformat(timespec="seconds") if a.at else None, "user": a.user,
         "command": a.command, "action": a.action, "table": a.table_name, "record": a.record,
         "before": a.before, "after": a.after, "reason": a.reason}
        for a in session.scalars(q)
    ]


def verify_audit(session: Session) -> dict[str, Any]:
    """`studbook audit verify`: the hash chain and the guards of the audit log (see audit.verify_chain)."""
    from ..audit import verify_chain

    return verify_chain(session.connection())
