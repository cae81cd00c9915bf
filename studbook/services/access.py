"""Who may write what, applied: every write service calls :func:`authorize` first.

The facts (where the animal is, who entered a record) come from the database; the
decision comes from the pure rules of :mod:`studbook.access`. ``authorize`` returns
``None`` (go on and apply), or a :class:`~studbook.services.pending.PendingUpdate` (the
write was stored as a pending update instead: the service returns it unchanged), or
raises :class:`PermissionDeniedError` (the transaction is rolled back; ``db.session_scope``
records the denial in the audit log).

The keeper (every local user of a book without users) is never slowed down: the facts
are only looked up for other roles.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, is_dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..access import Actor, WriteRequest, decide, may_decide
from ..audit import acting
from ..errors import PermissionDeniedError
from ..models import AuditLog

if TYPE_CHECKING:
    from .pending import PendingUpdate

# Keys of session.info
CHECKED = "access_checked"   # a checked service authorised the writes of this session
INSIDE = "_access_inside"    # inside an authorised service: inner service calls are not judged again
APPROVING = "approving"      # id of the pending update being applied by its approver


def current_actor(session: Session) -> Actor:
    """The acting user of the session (``session.info["actor"]``, set by ``db.session_scope``)."""
    return acting(session)


def authorize(
    session: Session,
    action: str,
    facts: Callable[[], WriteRequest],
    *,
    params: dict[str, Any],
    record: str | None = None,
    summary: str | None = None,
) -> PendingUpdate | None:
    """Judge the write *action* of the session's actor.

    *facts* builds the :class:`WriteRequest` (only called for an actor who is not the
    keeper); *params* are the service's keyword arguments, stored in a pending update;
    *record* names the animal ("1250"), *summary* says what the write does, in words.
    """
    if session.info.get(INSIDE):
        return None
    actor = current_actor(session)
    if actor.is_keeper and actor.active:
        session.info[CHECKED] = True
        return None
    request = facts()
    decision = decide(actor, request, approving=session.info.get(APPROVING) is not None)
    if decision.outcome == "deny":
        raise PermissionDeniedError(f"{decision.reason}; nothing was written",
                                    _hint(actor), action=action, record=record)
    session.info[CHECKED] = True
    if decision.outcome == "pending":
        from .pending import create_pending

        return create_pending(session, actor, action, params=params, record=record,
                              summary=summary or action.replace("_", " "), why=decision.reason)
    return None


def _hint(actor: Actor) -> str:
    if actor.role == "reader":
        return "a reader may only read; ask the studbook keeper to change your role"
    if not actor.active:
        return "ask the studbook keeper to enable the account again"
    return "ask the studbook keeper (or a coordinator) to make this change"


@contextmanager
def authorized(session: Session) -> Iterator[None]:
    """Inside an authorised service: the services it calls are not judged (or made pending) again."""
    before = session.info.get(INSIDE)
    session.info[INSIDE] = True
    try:
        yield
    finally:
        session.info[INSIDE] = before


def require_decider(session: Session, *, action: str = "decide_pending", record: str | None = None) -> Actor:
    """The actor, who must be the keeper or a coordinator (pending updates); denied otherwise."""
    actor = current_actor(session)
    decision = may_decide(actor)
    if not decision.applies:
        raise PermissionDeniedError(decision.reason, "ask the studbook keeper or a coordinator",
                                    action=action, record=record)
    session.info[CHECKED] = True
    return actor


_KEEPER_WORDS = {"user_add": "add users", "user_disable": "disable users",
                 "user_set_password": "set another user's password", "grant_app_role": "grant the application role",
                 "apply_parentage": "apply parentage proposals"}


def require_keeper(session: Session, *, action: str, record: str | None = None) -> Actor:
    """The actor, who must be the keeper (users, institutions...); denied otherwise."""
    actor = current_actor(session)
    decision = decide(actor, WriteRequest("user" if action.startswith("user") else "institution"))
    if not decision.applies:
        words = _KEEPER_WORDS.get(action, action.replace("_", " "))
        raise PermissionDeniedError(f"only the keeper may {words}, not {actor.role} {actor.name}",
                                    "ask the studbook keeper", action=action, record=record)
    session.info[CHECKED] = True
    return actor


def record_author(session: Session, table: str, row_id: int) -> str | None:
    """Who entered a record: the user of its first ``insert`` row in the audit log."""
    return session.scalar(select(AuditLog.user).where(AuditLog.table_name == table, AuditLog.row_id == row_id,
                                                      AuditLog.action == "insert").order_by(AuditLog.id).limit(1))


def request(action: str, subject: str, places: Iterable[str | None], author: str | None = None) -> WriteRequest:
    return WriteRequest(action, subject, frozenset(p for p in places if p), author)


def plain(value: Any) -> Any:
    """A service argument as JSON (dataclasses such as ParentSpec become dicts)."""
    if is_dataclass(value) and not isinstance(value, type):
        return asdict(value)
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    return value
