"""Pages for everyone: login and logout, home ("my institution"), search, the animal page."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from ..errors import StudbookError
from . import auth
from .deps import anonymous_transaction, check_csrf, cookie_session, login_required, set_cookie, transaction
from .render import render

public = APIRouter(include_in_schema=False)
router = APIRouter(include_in_schema=False, dependencies=[Depends(login_required)])

RECENT_EVENTS = 25


def safe_next(target: str | None) -> str:
    """Only a local path is a redirect target after login (no open redirect)."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


@public.get("/login")
def login_page(request: Request, next: str | None = None) -> Response:
    return render(request, "login.html", {"next": safe_next(next)})


@public.post("/login")
def login(request: Request, name: Annotated[str, Form()] = "", password: Annotated[str, Form()] = "",
          csrf_token: Annotated[str, Form()] = "", next: Annotated[str, Form()] = "/") -> Response:
    check_csrf(request, csrf_token)
    try:
        request.app.state.throttle.hit("ip:" + client_address(request), "user:" + name.strip().lower())
        with anonymous_transaction(request) as session:
            actor = auth.authenticate(session, name.strip(), password)
            token = auth.create_login_session(session, actor.name)
    except StudbookError as exc:
        from .errors import status_of

        wait = {"Retry-After": str(exc.retry_after)} if isinstance(exc, auth.TooManyAttemptsError) else None
        return render(request, "login.html", {"next": safe_next(next), "error": exc, "name": name},
                      status=status_of(exc), headers=wait)
    response = RedirectResponse(safe_next(next), status_code=303)
    set_cookie(request, response, auth.CookieSession(token=token))  # a new session id: no fixation
    return response


@router.post("/logout")
def logout(request: Request, csrf_token: Annotated[str, Form()] = "") -> Response:
    check_csrf(request, csrf_token)
    s = cookie_session(request)
    if s is not None and s.token:
        with anonymous_transaction(request) as session:
            auth.end_login_session(session, s.token)
    response = RedirectResponse("/login", status_code=303)
    set_cookie(request, response, auth.CookieSession())
    return response


@router.get("/")
def home(request: Request) -> Response:
    """A registrar's institution(s): animals held and recent events; for others, the same for any code asked."""
    from ..services.animals import animal_rows, history

    codes = None
    with transaction(request) as (session, actor):
        codes = auth.institutions_of(actor)
        held: dict[str, list[Any]] = {}
        events: list[tuple[str, Any]] = []
        for code in codes:
            rows = animal_rows(session, status="alive", at=code)
            held[code] = rows
            for r in rows:
                events.extend((r.studbook_id, h) for h in history(session, r.studbook_id) if not h.void)
        events.sort(key=lambda e: (e[1].date, e[1].event_id), reverse=True)
        return render(request, "home.html", {"held": held, "events": events[:RECENT_EVENTS]}, actor=actor)


@router.get("/search")
def search(request: Request, q: str = "") -> Response:
    from ..services.animals import find_animals

    with transaction(request) as (session, actor):
        found, error = [], None
        if q.strip():
            try:
                found = find_animals(session, q)
            except StudbookError as exc:
                error = exc
        if len(found) == 1 or (found and found[0].matched == "studbook id" and found[0].value == q.strip()):
            return RedirectResponse(f"/animals/{found[0].studbook_id}", status_code=303)
        return render(request, "search.html", {"q": q, "found": found, "error": error}, actor=actor)


@router.get("/animals/{studbook_id}")
def animal_page(request: Request, studbook_id: str) -> Response:
    from ..services.animals import pedigree_tree, show_animal

    with transaction(request) as (session, actor):
        d = show_animal(session, studbook_id)
        tree = None if d.void else pedigree_tree(session, d.row.studbook_id, 2)
        return render(request, "animal.html", {"d": d, "tree": tree, "drawing": _drawing_available()}, actor=actor)


@router.get("/animals/{studbook_id}/pedigree.svg")
def pedigree_svg(request: Request, studbook_id: str, generations: int = 3) -> Response:
    """The pedigree drawing (Graphviz SVG) of services.drawing; 404 when it is not available."""
    from ..services.analysis import load_pedigree
    from ..services.drawing import pedigree_drawing
    from ..services.drawing import render as render_dot

    generations = max(1, min(generations, 6))
    with transaction(request) as (session, _actor):
        loaded = load_pedigree(session)
        drawing = pedigree_drawing(loaded, [studbook_id], ancestors=generations, descendants=1)
    svg = render_dot(drawing.dot, "svg")
    return Response(svg, media_type="image/svg+xml",
                    headers={"Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'"})


def _drawing_available() -> bool:
    import shutil

    try:
        from ..services import drawing  # noqa: F401
    except ImportError:
        return False
    return shutil.which("dot") is not None
