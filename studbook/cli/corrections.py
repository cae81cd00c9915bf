"""Event corrections and voids, and the book's known problems."""

from __future__ import annotations

from dataclasses import asdict

import click

from .app import AppContext, pass_app
from .output import emit, format_option, message, warnings
from .pending import became_pending


@click.group()
def event() -> None:
    """Events of an animal: list them with their ids, correct them, void them."""


@event.command("list")
@click.argument("studbook_id")
@format_option
@pass_app
def event_list(app: AppContext, studbook_id: str, fmt: str) -> None:
    """Every event of an animal with its stable event id (void events last, marked void)."""
    from ..services.animals import history

    with app.session() as session:
        rows = [asdict(h) for h in history(session, studbook_id)]
    emit(rows, fmt, title=f"Events of {studbook_id}")


@event.command("update")
@click.argument("event_id", type=int)
@click.option("--date", "date", help="Correct the date.")
@click.option("--at", "at", help="Correct the place (where the animal is after the event).")
@click.option("--from", "from_code", help="Correct the origin of a transfer or release.")
@click.option("--cause", help="Correct the cause of death.")
@click.option("--site", help="Correct the free-text site.")
@click.option("--local-id", help="Add the holder's local ID for this holding.")
@click.option("--reason", required=True, help="Why (audit log).")
@pass_app
def event_update(app: AppContext, event_id: int, date: str | None, at: str | None, from_code: str | None,
                 cause: str | None, site: str | None, local_id: str | None, reason: str) -> None:
    """Correct an event; the rules are checked again on the animal and its offspring."""
    from ..services.corrections import correct_event

    with app.session(write=True) as session:
        result = correct_event(session, event_id, reason=reason, date=date, at=at, from_code=from_code,
                               cause=cause, site=site, local_id=local_id)
    if became_pending(result):
        return
    warnings(result.warnings)
    message(f"Corrected {result.record}: {', '.join(result.changed)}.")


@event.command("void")
@click.argument("event_id", type=int)
@click.option("--reason", required=True, help="Why the event is withdrawn (audit log).")
@pass_app
def event_void(app: AppContext, event_id: int, reason: str) -> None:
    """Withdraw a mistaken event: it stays, marked void, and counts nowhere."""
    from ..services.corrections import void_event

    with app.session(write=True) as session:
        result = void_event(session, event_id, reason=reason)
    if became_pending(result):
        return
    warnings(result.warnings)
    message(f"Event {event_id} is void.")


@click.group()
def problems() -> None:
    """Known problems of the book (errors loaded with --allow-problems), open until corrected."""


@problems.command("list")
@click.option("--open", "only_open", is_flag=True, help="Only the open ones.")
@click.option("--animal", help="Only this animal's.")
@format_option
@pass_app
def problems_list(app: AppContext, only_open: bool, animal: str | None, fmt: str) -> None:
    """List the book's problems: code, animal, message, when opened and closed, by whom."""
    from ..services.problems import list_problems

    with app.session() as session:
        rows = [asdict(p) for p in list_problems(session, only_open=only_open, animal=animal)]
    emit(rows, fmt, title=f"Problems ({len(rows)})",
         columns=["id", "code", "severity", "animal", "message", "source", "opened", "resolved", "resolved_by"]
         if fmt == "table" else None)


@problems.command("resolve")
@click.argument("problem_id", type=int)
@click.option("--reason", required=True, help="How it was resolved (audit log).")
@pass_app
def problems_resolve(app: AppContext, problem_id: int, reason: str) -> None:
    """Close a problem by hand (e.g. an unreadable row that was entered again)."""
    from ..services.problems import resolve_problem

    with app.session(write=True) as session:
        resolve_problem(session, problem_id, reason=reason)
    message(f"Problem {problem_id} closed.")
