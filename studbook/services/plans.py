"""Saved plans and the fate of each recommendation (PMCTrack-style tracking).

A plan is a snapshot: its parameters and seed, the state of the book it was computed
from, its totals, and one row per recommendation. Each recommendation moves through
``proposed -> accepted -> fulfilled | failed`` (or ``declined``) with a reason and a
date. Registering a birth of a recommended pair or the recommended transfer of an
animal marks the recommendation fulfilled automatically.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .. import __version__
from ..dates import FuzzyDate
from ..errors import InvalidInputError, NotFoundError, ValidationError
from ..models import Animal, AuditLog, Event, Plan, Recommendation
from .book import get_animal, get_institution

OPEN = ("proposed", "accepted")
TRANSITIONS = {
    "proposed": {"accepted", "declined", "fulfilled", "failed"},
    "accepted": {"fulfilled", "failed", "declined"},
    "declined": set(),
    "fulfilled": set(),
    "failed": set(),
}


def book_state(session: Session) -> dict[str, Any]:
    """What the book looked like when a plan was computed (for traceability)."""
    from ..db import head_revision

    return {
        "animals": session.scalar(select(func.count()).select_from(Animal)),
        "events": session.scalar(select(func.count()).select_from(Event)),
        "last_audit_id": session.scalar(select(func.max(AuditLog.id))),
        "schema_revision": head_revision(),
        "studbook_version": __version__,
        "computed_on": date.today().isoformat(),
    }


def save_plan(session: Session, kind: str, *, title: str | None, parameters: dict[str, Any],
              summary: dict[str, Any], recommendations: list[dict[str, Any]]) -> Plan:
    """Store a plan; each recommendation dict has kind, male/female/animal IDs, from/to codes and details."""
    plan = Plan(created_at=datetime.now(UTC), created_by=session.info.get("user", "unknown"), kind=kind,
                title=title, parameters=parameters, book_state=book_state(session), summary=summary)
    for rec in recommendations:
        plan.recommendations.append(Recommendation(
            kind=rec["kind"],
            male=get_animal(session, rec["male"]) if rec.get("male") else None,
            female=get_animal(session, rec["female"]) if rec.get("female") else None,
            animal=get_animal(session, rec["animal"]) if rec.get("animal") else None,
            from_institution=get_institution(session, rec["from"]) if rec.get("from") else None,
            to_institution=get_institution(session, rec["to"]) if rec.get("to") else None,
            details=rec.get("details", {}), status="proposed",
        ))
    session.add(plan)
    session.flush()
    return plan


def _plan(session: Session, plan_id: int) -> Plan:
    plan = session.get(Plan, plan_id)
    if plan is None:
        raise NotFoundError(f"no plan with number {plan_id}", "see `studbook plan list`")
    return plan


def _rec_row(r: Recommendation) -> dict[str, Any]:
    return {
        "id": r.id, "kind": r.kind,
        "male": r.male.studbook_id if r.male else None, "female": r.female.studbook_id if r.female else None,
        "animal": r.animal.studbook_id if r.animal else None,
        "from": r.from_institution.code if r.from_institution else None,
        "to": r.to_institution.code if r.to_institution else None,
        "status": r.status, "status_date": r.status_date.isoformat() if r.status_date else None,
        "reason": r.status_reason, **{f"detail_{k}": v for k, v in (r.details or {}).items()},
    }


def fulfilment(recs: list[Recommendation]) -> dict[str, Any]:
    """Counts per status and the fulfilment rate of decided recommendations, per kind."""
    out: dict[str, Any] = {}
    for kind in sorted({r.kind for r in recs}):
        c = Counter(r.status for r in recs if r.kind == kind)
        decided = c["fulfilled"] + c["failed"] + c["declined"]
        total = sum(c.values())
        out[kind] = {**{s: c[s] for s in TRANSITIONS}, "total": total,
                     "fulfilled_percent": round(100 * c["fulfilled"] / total, 1) if total else None,
                     "fulfilled_of_decided_percent": round(100 * c["fulfilled"] / decided, 1) if decided else None}
    return out


def list_plans(session: Session) -> list[dict[str, Any]]:
    rows = []
    for p in session.scalars(select(Plan).order_by(Plan.id)):
        f = fulfilment(list(p.recommendations))
        rows.append({
            "plan": p.id, "kind": p.kind, "title": p.title, "created": p.created_at.isoformat(timespec="seconds"),
            "by": p.created_by, "recommendations": len(p.recommendations),
            "fulfilled": sum(v["fulfilled"] for v in f.values()),
            "open": sum(v["proposed"] + v["accepted"] for v in f.values()),
        })
    return rows


def show_plan(session: Session, plan_id: int) -> dict[str, Any]:
    p = _plan(session, plan_id)
    recs = list(p.recommendations)
    return {
        "plan": p.id, "kind": p.kind, "title": p.title, "created": p.created_at.isoformat(timespec="seconds"),
        "by": p.created_by, "parameters": p.parameters, "book_state": p.book_state, "summary": p.summary,
        "fulfilment": fulfilment(recs), "recommendations": [_rec_row(r) for r in recs],
    }


def set_status(session: Session, plan_id: int, rec_id: int, status: str, *, reason: str | None,
               on: str | None) -> dict[str, Any]:
    p = _plan(session, plan_id)
    rec = next((r for r in p.recommendations if r.id == rec_id), None)
    if rec is None:
        raise NotFoundError(f"plan {plan_id} has no recommendation {rec_id}", f"see `studbook plan show {plan_id}`")
    if status not in TRANSITIONS:
        raise InvalidInputError(f"status {status!r} is not one of {', '.join(TRANSITIONS)}", "e.g. accepted")
    if status not in TRANSITIONS[rec.status]:
        allowed = ", ".join(sorted(TRANSITIONS[rec.status])) or "nothing (it is final)"
        raise ValidationError(f"recommendation {rec_id} is {rec.status}; it cannot become {status}",
                              f"from {rec.status} it can become {allowed}")
    if status in ("declined", "failed") and not (reason and reason.strip()):
        raise InvalidInputError(f"a {status} recommendation needs a reason", "give --reason, e.g. 'pair incompatible'")
    when = FuzzyDate.parse(on, what="--date").value if on else date.today()
    rec.status, rec.status_reason, rec.status_date = status, (reason or None), when
    session.flush()
    return _rec_row(rec)


def mark_birth(session: Session, sire_ids: list[str], dam_id: str, event_ids: list[int], when: date | None,
               cubs: list[str]) -> list[int]:
    """Fulfil open breeding recommendations of this dam with (one of) these sires."""
    done = []
    q = select(Recommendation).where(Recommendation.kind == "breed", Recommendation.status.in_(OPEN))
    for rec in session.scalars(q):
        if rec.female and rec.female.studbook_id == dam_id and rec.male and rec.male.studbook_id in sire_ids:
            rec.status, rec.status_date = "fulfilled", when
            rec.status_reason = f"birth of {', '.join(cubs)}"
            rec.fulfilled_by_event_id = event_ids[0] if event_ids else None
            done.append(rec.id)
    return done


def mark_transfer(session: Session, animal_id: str, to_code: str, event_id: int, when: date | None) -> list[int]:
    """Fulfil open transfer recommendations of this animal to this institution."""
    done = []
    q = select(Recommendation).where(Recommendation.kind == "transfer", Recommendation.status.in_(OPEN))
    for rec in session.scalars(q):
        if rec.animal and rec.animal.studbook_id == animal_id and rec.to_institution and rec.to_institution.code == to_code:
            rec.status, rec.status_date, rec.status_reason = "fulfilled", when, "transfer registered"
            rec.fulfilled_by_event_id = event_id
            done.append(rec.id)
    return done


def mark_release(session: Session, animal_id: str, event_id: int, when: date | None) -> list[int]:
    done = []
    q = select(Recommendation).where(Recommendation.kind == "release", Recommendation.status.in_(OPEN))
    for rec in session.scalars(q):
        if rec.animal and rec.animal.studbook_id == animal_id:
            rec.status, rec.status_date, rec.status_reason = "fulfilled", when, "release registered"
            rec.fulfilled_by_event_id = event_id
            done.append(rec.id)
    return done


def mark_death(session: Session, animal_id: str, when: date | None) -> list[int]:
    """Open recommendations that need an animal that died can no longer be fulfilled: mark them failed."""
    done = []
    q = select(Recommendation).where(Recommendation.status.in_(OPEN))
    for rec in session.scalars(q):
        involved = [a.studbook_id for a in (rec.male, rec.female, rec.animal) if a is not None]
        if animal_id in involved:
            rec.status, rec.status_date, rec.status_reason = "failed", when, f"animal {animal_id} died"
            done.append(rec.id)
    return done


def fulfilment_report(session: Session) -> list[dict[str, Any]]:
    """One row per plan and kind, plus an 'all' row per kind."""
    rows: list[dict[str, Any]] = []
    everything: list[Recommendation] = []
    for p in session.scalars(select(Plan).order_by(Plan.id)):
        recs = list(p.recommendations)
        everything += recs
        for kind, v in fulfilment(recs).items():
            rows.append({"plan": p.id, "kind": kind, **v})
    for kind, v in fulfilment(everything).items():
        rows.append({"plan": "all", "kind": kind, **v})
    return rows
