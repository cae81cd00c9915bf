"""Pending updates: list, approve, reject (the keeper or a coordinator); and how a write that
became pending is shown by every write command."""

from __future__ import annotations

from dataclasses import asdict
from typing import TYPE_CHECKING

import click

from .app import AppContext, pass_app
from .output import emit, format_option, message, warnings

if TYPE_CHECKING:
    from typing_extensions import TypeIs

    from ..services.pending import PendingUpdate


def became_pending(result: object) -> TypeIs[PendingUpdate]:
    """If a write service returned a pending update, say so (one line, exit 0) and return True."""
    from ..services.pending import PendingUpdate

    if isinstance(result, PendingUpdate):
        message(result.message())
        return True
    return False


@click.group()
def pending() -> None:
    """Pending updates: registrars' writes about animals held elsewhere, awaiting the keeper or a coordinator."""


@pending.command("list")
@click.option("--all", "show_all", is_flag=True, help="Also the approved and rejected ones.")
@format_option
@pass_app
def pending_list(app: AppContext, show_all: bool, fmt: str) -> None:
    """List the pending updates (oldest first)."""
    from ..services.pending import list_pending

    with app.session() as session:
        rows = [asdict(r) for r in list_pending(session, status=None if show_all else "pending")]
    if fmt != "json":
        for r in rows:
            r.pop("parameters")
    emit(rows, fmt, title=f"Pending updates ({len(rows)})")


@pending.command("approve")
@click.argument("pending_id", type=int)
@pass_app
def pending_approve(app: AppContext, pending_id: int) -> None:
    """Apply a pending update through the normal rules, as you (the author is recorded)."""
    from ..services.pending import approve

    with app.session(write=True) as session:
        done = approve(session, pending_id)
    warnings(getattr(done.result, "warnings", None) or [])
    ids = getattr(done.result, "studbook_ids", None)
    made = f" New studbook IDs: {', '.join(ids)}." if ids else ""
    message(f"Approved pending update #{done.id} of {done.requested_by}: applied by {done.decided_by}.{made}")


@pending.command("reject")
@click.argument("pending_id", type=int)
@click.option("--reason", required=True, help="Why (shown to the registrar; audit log).")
@pass_app
def pending_reject(app: AppContext, pending_id: int, reason: str) -> None:
    """Reject a pending update with a reason; nothing else changes."""
    from ..services.pending import reject

    with app.session(write=True) as session:
        done = reject(session, pending_id, reason=reason)
    message(f"Rejected pending update #{done.id} of {done.requested_by}.")
