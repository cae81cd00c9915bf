"""Coordinator pages: the population dashboard (GD, FGE, MK table), pending updates, plans."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response

from ..errors import StudbookError
from . import auth
from .api import RecordId
from .deps import check_csrf, login_required, transaction
from .errors import status_of
from .render import render

router = APIRouter(include_in_schema=False, dependencies=[Depends(login_required)])


def population(session: Any) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The genetics summary and the mean-kinship table of the book, read in the request's transaction."""
    from ..services.analysis import load_pedigree
    from ..services.genetics import mean_kinship_rows, summary

    loaded = load_pedigree(session)
    return summary(loaded), mean_kinship_rows(loaded)


@router.get("/dashboard")
def dashboard(request: Request) -> Response:
    with transaction(request) as (session, actor):
        summ, mk = population(session)
        return render(request, "dashboard.html", {"s": summ, "mk": mk}, actor=actor)


def pending_rows(session: Any) -> list[dict[str, Any]]:
    """The open pending updates as plain dicts (keeper and coordinator; the service checks)."""
    from dataclasses import asdict

    from ..services.pending import list_pending

    return [asdict(r) for r in list_pending(session)]


def decide(session: Any, update_id: int, decision: str, reason: str | None) -> Any:
    from ..services import pending

    if decision == "approve":
        return pending.approve(session, update_id)
    return pending.reject(session, update_id, reason=reason)


@router.get("/pending")
def pending_page(request: Request) -> Response:
    with transaction(request) as (session, actor):
        return render(request, "pending.html", {"rows": pending_rows(session)}, actor=actor)


@router.post("/pending/{update_id}")
def pending_decide(request: Request, update_id: RecordId, decision: Annotated[str, Form()] = "",
                   reason: Annotated[str, Form()] = "", csrf_token: Annotated[str, Form()] = "") -> Response:
    check_csrf(request, csrf_token)
    message, error = None, None
    try:
        with transaction(request, write=True) as (session, _actor):
            decide(session, update_id, decision, reason.strip() or None)
        message = f"Pending update #{update_id} {'approved' if decision == 'approve' else 'rejected'}."
    except StudbookError as exc:
        if isinstance(exc, auth.NotLoggedInError):
            raise
        error = exc
    with transaction(request) as (session, actor):
        return render(request, "pending.html", {"rows": pending_rows(session), "message": message, "error": error},
                      actor=actor, status=status_of(error) if error else 200)


@router.get("/plans")
def plans_page(request: Request) -> Response:
    from ..services.plans import list_plans

    with transaction(request) as (session, actor):
        return render(request, "plans.html", {"plans": list_plans(session)}, actor=actor)


@router.get("/plans/{plan_id}")
def plan_page(request: Request, plan_id: RecordId) -> Response:
    from ..services.plans import show_plan

    with transaction(request) as (session, actor):
        return render(request, "plan.html", {"p": show_plan(session, plan_id)}, actor=actor)
