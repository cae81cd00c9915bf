"""A registrar's forms: litter birth (cubs, MULT sires), transfer out / arrival, death, release, correction.

Each form posts to the same service as the CLI command; on a StudbookError the form comes
back with the values typed, the reason and the hint (the CLI's ``Error:`` and ``Hint:``) and
nothing is written (the transaction rolls back). A write that the services turn into a
pending update shows "pending update #N awaits approval".
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from ..errors import StudbookError
from .auth import NotLoggedInError, institutions_of, pending_id
from .deps import check_csrf, login_required, transaction
from .errors import status_of
from .render import render

router = APIRouter(include_in_schema=False, dependencies=[Depends(login_required)])

MAX_CUBS = 6
FORMS = {
    "birth": "Litter birth",
    "transfer": "Transfer out or arrival",
    "death": "Death",
    "release": "Release",
    "correction": "Correction",
}


def parents(text: str, role: str) -> Any:
    """A parent field as the CLI reads ``--sire``: ``ID``, ``UNK``, ``WILD`` or ``ID:P ID:P`` (MULT)."""
    from ..services.animals import parse_parent

    values = text.replace(",", " ").split()
    return parse_parent(values or None, role)


def opt(form: dict[str, str], key: str) -> str | None:
    value = form.get(key, "").strip()
    return value or None


def do_birth(session: Any, f: dict[str, str]) -> Any:
    from ..services.events import register_birth

    rows = [i for i in range(1, MAX_CUBS + 1) if f.get(f"cub_sex_{i}", "").strip()]
    names = [f.get(f"cub_name_{i}", "").strip() or None for i in rows]
    locals_ = [f.get(f"cub_local_{i}", "").strip() or None for i in rows]
    return register_birth(
        session, dam=f.get("dam", "").strip(), sire=parents(f.get("sire", ""), "sire"), date=f.get("date", "").strip(),
        at=f.get("at", "").strip(), cubs=[f[f"cub_sex_{i}"].strip() for i in rows],
        rearing=f.get("rearing", "parent") or "parent", artificial_insemination=f.get("ai") == "on",
        names=names if any(names) else None, local_ids=locals_ if any(locals_) else None,  # type: ignore[arg-type]
    )


def do_transfer(session: Any, f: dict[str, str]) -> Any:
    from ..services.events import transfer

    return transfer(session, f.get("studbook_id", "").strip(), to=f.get("to", "").strip(),
                    date=f.get("date", "").strip(), loan=f.get("loan") == "on", from_code=opt(f, "from_code"),
                    local_id=opt(f, "local_id"))


def do_death(session: Any, f: dict[str, str]) -> Any:
    from ..services.events import death

    return death(session, f.get("studbook_id", "").strip(), date=f.get("date", "").strip(), cause=opt(f, "cause"),
                 at=opt(f, "at"))


def do_release(session: Any, f: dict[str, str]) -> Any:
    from ..services.events import release

    return release(session, f.get("studbook_id", "").strip(), date=f.get("date", "").strip(),
                   to=f.get("to", "").strip(), site=opt(f, "site"))


def do_correction(session: Any, f: dict[str, str]) -> Any:
    from ..services.corrections import update_animal

    sire, dam = opt(f, "sire"), opt(f, "dam")
    return update_animal(session, f.get("studbook_id", "").strip(), reason=opt(f, "reason"), flags={},
                         sex=opt(f, "sex"), birth_date=opt(f, "birth_date"),
                         sire=parents(sire, "sire") if sire else None, dam=parents(dam, "dam") if dam else None,
                         birth_institution=opt(f, "birth_institution"))


ACTIONS: dict[str, Callable[[Any, dict[str, str]], Any]] = {
    "birth": do_birth, "transfer": do_transfer, "death": do_death, "release": do_release, "correction": do_correction,
}


def done_message(kind: str, result: Any) -> tuple[str, list[str]]:
    """The CLI's success message for *result* and the studbook IDs to link."""
    if kind == "birth":
        return (f"Registered litter {result.litter_id} of {len(result.studbook_ids)} at {result.institution} on "
                f"{result.date} (dam {result.dam}, sire {result.sire}).", list(result.studbook_ids))
    if kind == "correction":
        return f"Updated {result.record}: {', '.join(result.changed)}.", [result.record.split()[-1]]
    where = (f" {result.from_institution} -> {result.institution}" if result.from_institution
             else (f" at {result.institution}" if result.institution else ""))
    return f"Recorded {result.event} of {result.studbook_id} on {result.date}{where}.", [result.studbook_id]


def warning_lines(result: Any) -> list[str]:
    return [f"Warning: animal {w.studbook_id}: {w.message}" + (f" (hint: {w.hint})" if w.hint else "")
            for w in getattr(result, "warnings", []) or []]


def _institutions(session: Any) -> list[Any]:
    from ..services.institutions import list_institutions

    return list_institutions(session)


def _form_page(request: Request, kind: str, values: dict[str, str], error: StudbookError | None = None,
               status: int = 200) -> Response:
    with transaction(request) as (session, actor):
        _known(kind)
        mine = institutions_of(actor)
        if not values:
            values = {}
            if kind == "birth" and mine:
                values["at"] = mine[0]
            if kind == "transfer" and request.query_params.get("arrival") and mine:
                values["to"] = mine[0]
            if request.query_params.get("id"):
                values["studbook_id"] = request.query_params["id"]
        return render(request, "form.html", {
            "kind": kind, "title": FORMS[kind], "v": values, "error": error, "max_cubs": MAX_CUBS,
            "institutions": _institutions(session)}, actor=actor, status=status)


def _known(kind: str) -> None:
    if kind not in FORMS:
        from ..errors import NotFoundError

        raise NotFoundError(f"no form {kind!r}", f"forms: {', '.join(FORMS)}")


@router.get("/record/{kind}")
def record_form(request: Request, kind: str) -> Response:
    return _form_page(request, kind, {})


@router.post("/record/{kind}")
async def record_submit(request: Request, kind: str) -> Response:
    form = await request.form()
    values = {k: v for k, v in form.items() if isinstance(v, str)}
    check_csrf(request, values.pop("csrf_token", None))
    return await run_in_threadpool(_submit, request, kind, values)


def _submit(request: Request, kind: str, values: dict[str, str]) -> Response:
    try:
        with transaction(request, write=True) as (session, actor):
            _known(kind)
            result = ACTIONS[kind](session, values)
            pid = pending_id(result)
            if pid is not None:
                return render(request, "done.html", {"title": FORMS[kind], "pending": pid,
                                                     "message": f"Pending update #{pid} awaits approval."},
                              actor=actor, status=202)
            message, ids = done_message(kind, result)
            return render(request, "done.html", {"title": FORMS[kind], "message": message, "ids": ids,
                                                 "warnings": warning_lines(result)}, actor=actor)
    except StudbookError as exc:
        if isinstance(exc, NotLoggedInError):
            raise
        return _form_page(request, kind, values, exc, status_of(exc))
