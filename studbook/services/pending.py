"""Pending updates (ZIMS practice): a registrar's write about an animal held elsewhere.

It is stored, not applied, in the same transaction as the request (table
``pending_update``: the action, its parameters as JSON, who, when, status). The keeper or a
coordinator approves it, which runs the same service with the same parameters as the
approver (same rules, same messages; the audit rows name the approver and, in their reason,
the registrar who asked), or rejects it with a reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..access import Actor
from ..audit import set_reason
from ..errors import InvalidInputError, NotFoundError, ValidationError
from ..models import PendingUpdateRow
from ..text import clean_text
from .access import APPROVING, require_decider


@dataclass(frozen=True)
class PendingUpdate:
    """What a write service returns when the write became a pending update instead of a change."""

    id: int
    action: str
    record: str | None
    summary: str
    requested_by: str
    why: str
    status: str = "pending"
    pending: bool = True

    def message(self) -> str:
        return f"pending update #{self.id}: {self.summary} awaits the keeper's approval ({self.why})"


@dataclass(frozen=True)
class PendingRow:
    id: int
    action: str
    record: str | None
    summary: str
    requested_by: str
    requested_at: str
    status: str
    decided_by: str | None
    decided_at: str | None
    reason: str | None
    parameters: dict[str, Any]


@dataclass(frozen=True)
class Decided:
    id: int
    status: str
    decided_by: str
    requested_by: str
    result: Any = None


def create_pending(session: Session, actor: Actor, action: str, *, params: dict[str, Any], record: str | None,
                   summary: str, why: str) -> PendingUpdate:
    row = PendingUpdateRow(action=action, parameters=params, record=record, summary=summary,
                           requested_by=actor.name, requested_at=datetime.now(UTC), status="pending")
    session.add(row)
    session.flush()
    return PendingUpdate(row.id, action, record, summary, actor.name, why)


def _row(r: PendingUpdateRow) -> PendingRow:
    return PendingRow(r.id, r.action, r.record, r.summary, r.requested_by, r.requested_at.isoformat(timespec="seconds"),
                      r.status, r.decided_by, r.decided_at.isoformat(timespec="seconds") if r.decided_at else None,
                      r.reason, dict(r.parameters))


def list_pending(session: Session, *, status: str | None = "pending") -> list[PendingRow]:
    """Pending updates (all of them with *status* None), oldest first. Keeper or coordinator."""
    require_decider(session, action="pending_list")
    q = select(PendingUpdateRow).order_by(PendingUpdateRow.id)
    if status is not None:
        q = q.where(PendingUpdateRow.status == status)
    return [_row(r) for r in session.scalars(q)]


def _open(session: Session, pending_id: int) -> PendingUpdateRow:
    row = session.get(PendingUpdateRow, pending_id)
    if row is None:
        raise NotFoundError(f"no pending update #{pending_id}", "`studbook pending list` shows the open ones")
    if row.status != "pending":
        raise ValidationError(f"pending update #{pending_id} is already {row.status} by {row.decided_by}",
                              "nothing to do")
    return row


def approve(session: Session, pending_id: int) -> Decided:
    """Apply a pending update through its normal service, as the approver (keeper or coordinator).

    A rule that refuses it refuses the approval: nothing is written and it stays pending.
    """
    actor = require_decider(session, action="pending_approve", record=str(pending_id))
    row = _open(session, pending_id)
    session.info[APPROVING] = row.id
    session.info["pending_note"] = f"pending update #{row.id} by {row.requested_by}, approved by {actor.name}"
    set_reason(session, None)
    try:
        result = run_action(session, row.action, dict(row.parameters))
    finally:
        session.info.pop(APPROVING, None)
        session.info.pop("pending_note", None)
    set_reason(session, f"approved pending update #{row.id} by {row.requested_by}")
    row.status, row.decided_by, row.decided_at = "approved", actor.name, datetime.now(UTC)
    session.flush()
    return Decided(row.id, "approved", actor.name, row.requested_by, result)


def reject(session: Session, pending_id: int, *, reason: str | None) -> Decided:
    """Reject a pending update with a reason (keeper or coordinator); nothing else changes."""
    actor = require_decider(session, action="pending_reject", record=str(pending_id))
    why = clean_text(reason, what="reason", record=f"pending update #{pending_id}", limit=2000, multiline=True)
    if not why:
        raise InvalidInputError(f"pending update #{pending_id}: a rejection needs a reason",
                                "give --reason TEXT (it goes to the registrar and the audit log)")
    row = _open(session, pending_id)
    set_reason(session, why)
    row.status, row.decided_by, row.decided_at, row.reason = "rejected", actor.name, datetime.now(UTC), why
    session.flush()
    return Decided(row.id, "rejected", actor.name, row.requested_by)


def _spec(value: Any) -> Any:
    from .animals import ParentSpec

    if value is None:
        return None
    return ParentSpec(value["kind"], value.get("studbook_id"),
                      tuple((str(c), float(p)) for c, p in value.get("candidates") or ()))


def run_action(session: Session, action: str, params: dict[str, Any]) -> Any:
    """Call the service of *action* with the stored parameters."""
    from . import animals, corrections, events

    p = dict(params)
    for key in ("sire", "dam"):
        if key in p and isinstance(p[key], dict):
            p[key] = _spec(p[key])
    services: dict[str, Any] = {
        "birth": events.register_birth, "transfer": events.transfer, "death": events.death,
        "release": events.release, "ltf": events.lost_to_follow_up, "capture": events.capture,
        "add_animal": animals.add_animal, "set_flags": animals.set_flags,
        "update_animal": corrections.update_animal, "correct_animal": corrections.correct_animal,
        "correct_event": corrections.correct_event, "void_event": corrections.void_event,
        "void_animal": corrections.void_animal,
    }
    if action not in services:
        raise ValidationError(f"pending update of unknown action {action!r}", "reject it with a reason")
    return services[action](session, **p)
