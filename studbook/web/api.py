"""The JSON API under /api/ for zoo systems that push events, with its OpenAPI document.

Same services, rules and roles as the pages. Authentication: ``POST /api/session`` with a
user name and password returns a token; send it as ``Authorization: Bearer TOKEN``
(``DELETE /api/session`` ends it). A browser that is logged in may call the API with its
session cookie instead; then every call that writes needs the page's CSRF token in the
``X-CSRF-Token`` header. Errors are ``{"error": reason, "hint": hint, "kind": ...}`` with the
CLI's reason and hint; a write that becomes a pending update answers 202 with its id.
"""

from __future__ import annotations

from dataclasses import asdict, is_dataclass
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, FastAPI, Path, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from . import auth
from .deps import anonymous_transaction, login_required, transaction
from .pages import client_address

API_DESCRIPTION = __doc__ or ""

ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "not logged in"}, 403: {"description": "not allowed for this user (reason given)"},
    404: {"description": "no such record"}, 422: {"description": "a rule or a value refused (reason and hint)"},
    409: {"description": "a concurrent writer won: send again"},
}

public = APIRouter(prefix="/api", tags=["studbook"], responses=ERRORS)
router = APIRouter(prefix="/api", tags=["studbook"], responses=ERRORS, dependencies=[Depends(login_required)])

RecordId = Annotated[int, Path(ge=1, le=2**31 - 1, description="a record id")]
Text = Field(max_length=500)
Short = Field(max_length=100)
OptText = Field(default=None, max_length=500)
OptShort = Field(default=None, max_length=100)


class Login(BaseModel):
    name: str = Short
    password: str = Text


class Cub(BaseModel):
    sex: Literal["M", "F", "U"]
    name: str | None = OptShort
    local_id: str | None = OptShort


class Birth(BaseModel):
    dam: str = Short
    sire: list[str] = Field(description="['ID'], ['UNK'], ['WILD'] or MULT candidates ['ID:P', 'ID:P']",
                            min_length=1, max_length=10)
    date: str = Short
    at: str = Short
    cubs: list[Cub] = Field(min_length=1, max_length=20)
    rearing: Literal["parent", "hand", "mixed", "unknown"] = "parent"
    artificial_insemination: bool = False


class Transfer(BaseModel):
    studbook_id: str = Short
    to: str = Short
    date: str = Short
    loan: bool = False
    from_institution: str | None = OptShort
    local_id: str | None = OptShort


class Death(BaseModel):
    studbook_id: str = Short
    date: str = Short
    cause: str | None = OptText
    at: str | None = OptShort


class Release(BaseModel):
    studbook_id: str = Short
    date: str = Short
    to: str = Short
    site: str | None = OptText


class Correction(BaseModel):
    reason: str = Text
    sex: Literal["M", "F", "U"] | None = None
    birth_date: str | None = OptShort
    sire: list[str] | None = Field(default=None, max_length=10)
    dam: list[str] | None = Field(default=None, max_length=10)
    birth_institution: str | None = OptShort


class Decision(BaseModel):
    reason: str | None = OptText


def plain(obj: Any) -> Any:
    if is_dataclass(obj) and not isinstance(obj, type):
        return {k: plain(v) for k, v in asdict(obj).items()}
    if isinstance(obj, dict):
        return {str(k): plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [plain(v) for v in obj]
    if isinstance(obj, (str, int, float, bool)) or obj is None:
        return obj
    return str(obj)


def written(result: Any) -> Any:
    pid = auth.pending_id(result)
    if pid is not None:
        return JSONResponse({"pending_update": pid, "message": f"pending update #{pid} awaits approval"},
                            status_code=202)
    return plain(result)


@public.post("/session", summary="Log in: returns a bearer token")
def api_login(request: Request, body: Login) -> dict[str, Any]:
    request.app.state.throttle.hit("ip:" + client_address(request), "user:" + body.name.strip().lower())
    with anonymous_transaction(request) as session:
        actor = auth.authenticate(session, body.name.strip(), body.password)
        token = auth.create_login_session(session, actor.name)
    return {"token": token, "user": actor.name, "role": actor.role}


@router.delete("/session", summary="Log out: ends the bearer token")
def api_logout(request: Request) -> dict[str, Any]:
    with transaction(request, api=True, write=True) as (session, actor):
        from .deps import bearer_token

        token = bearer_token(request)
        if token:
            auth.end_login_session(session, token)
    return {"ended": True, "user": actor.name}


@router.get("/me", summary="The logged-in user")
def me(request: Request) -> dict[str, Any]:
    with transaction(request, api=True) as (_s, actor):
        return {"user": actor.name, "role": actor.role, "institutions": auth.institutions_of(actor)}


@router.get("/animals", summary="Find animals by studbook ID, house name or local ID")
def find(request: Request, q: str) -> Any:
    from ..services.animals import find_animals

    with transaction(request, api=True) as (session, _a):
        return plain(find_animals(session, q))


@router.get("/animals/{studbook_id}", summary="One animal: record, status, local IDs, offspring, history")
def animal(request: Request, studbook_id: str) -> Any:
    from ..services.animals import show_animal

    with transaction(request, api=True) as (session, _a):
        d = show_animal(session, studbook_id)
        out = plain(d)
        out["status"] = plain(d.status)
        return out


@router.post("/births", summary="Register a litter (MULT sires as ID:P)")
def births(request: Request, body: Birth) -> Any:
    from ..services.animals import parse_parent
    from ..services.events import register_birth

    with transaction(request, api=True, write=True) as (session, _a):
        names = [c.name for c in body.cubs]
        locals_ = [c.local_id for c in body.cubs]
        return written(register_birth(
            session, dam=body.dam, sire=parse_parent(body.sire, "sire"), date=body.date, at=body.at,
            cubs=[c.sex for c in body.cubs], rearing=body.rearing,
            artificial_insemination=body.artificial_insemination,
            names=names if any(names) else None, local_ids=locals_ if any(locals_) else None))  # type: ignore[arg-type]


@router.post("/transfers", summary="Transfer an animal (out of an institution, or its arrival)")
def transfers(request: Request, body: Transfer) -> Any:
    from ..services.events import transfer

    with transaction(request, api=True, write=True) as (session, _a):
        return written(transfer(session, body.studbook_id, to=body.to, date=body.date, loan=body.loan,
                                from_code=body.from_institution, local_id=body.local_id))


@router.post("/deaths", summary="Record a death")
def deaths(request: Request, body: Death) -> Any:
    from ..services.events import death

    with transaction(request, api=True, write=True) as (session, _a):
        return written(death(session, body.studbook_id, date=body.date, cause=body.cause, at=body.at))


@router.post("/releases", summary="Record a release to the wild")
def releases(request: Request, body: Release) -> Any:
    from ..services.events import release

    with transaction(request, api=True, write=True) as (session, _a):
        return written(release(session, body.studbook_id, date=body.date, to=body.to, site=body.site))


@router.post("/animals/{studbook_id}/corrections", summary="Correct sex, birth date, parents or place of birth")
def corrections(request: Request, studbook_id: str, body: Correction) -> Any:
    from ..services.animals import parse_parent
    from ..services.corrections import update_animal

    with transaction(request, api=True, write=True) as (session, _a):
        return written(update_animal(
            session, studbook_id, reason=body.reason, flags={}, sex=body.sex, birth_date=body.birth_date,
            sire=parse_parent(body.sire, "sire") if body.sire else None,
            dam=parse_parent(body.dam, "dam") if body.dam else None, birth_institution=body.birth_institution))


@router.get("/population", summary="Gene diversity, founder genome equivalents and the mean-kinship table")
def population(request: Request) -> Any:
    from .coordinator import population as pop

    with transaction(request, api=True) as (session, _a):
        summ, mk = pop(session)
        return plain({"summary": summ, "mean_kinship": mk})


@router.get("/pending", summary="Pending updates")
def pending(request: Request) -> Any:
    from .coordinator import pending_rows

    with transaction(request, api=True) as (session, _a):
        return plain(pending_rows(session))


@router.post("/pending/{update_id}/{decision}", summary="Approve or reject a pending update")
def pending_decision(request: Request, update_id: RecordId, decision: Literal["approve", "reject"],
                     body: Decision) -> Any:
    from .coordinator import decide

    with transaction(request, api=True, write=True) as (session, _a):
        return plain(decide(session, update_id, decision, body.reason))


@router.get("/plans", summary="Breeding and transfer plans with their fulfilment")
def plans(request: Request) -> Any:
    from ..services.plans import list_plans

    with transaction(request, api=True) as (session, _a):
        return plain(list_plans(session))


@router.get("/plans/{plan_id}", summary="One plan and the status of each recommendation")
def plan(request: Request, plan_id: RecordId) -> Any:
    from ..services.plans import show_plan

    with transaction(request, api=True) as (session, _a):
        return plain(show_plan(session, plan_id))


def install_openapi(app: FastAPI) -> None:
    """``GET /api/openapi.json``: FastAPI's document of the API (behind the login, like every route)."""

    @app.get("/api/openapi.json", include_in_schema=False)
    def openapi(request: Request) -> JSONResponse:
        with transaction(request, api=True):
            pass
        return JSONResponse(api_schema(app))


def api_schema(app: FastAPI) -> dict[str, Any]:
    if app.openapi_schema is None:
        schema = app.openapi()
        schema.setdefault("components", {})["securitySchemes"] = {
            "bearer": {"type": "http", "scheme": "bearer", "description": "token from POST /api/session"}}
        schema["security"] = [{"bearer": []}]
        app.openapi_schema = schema
    return app.openapi_schema
