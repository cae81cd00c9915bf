"""Jinja2 templates (autoescaped: every value is text, never markup) and the page renderer."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, PackageLoader, select_autoescape

from .auth import institutions_of
from .deps import cookie_session, csrf_token, set_cookie


def make_templates() -> Jinja2Templates:
    env = Environment(loader=PackageLoader("studbook.web", "templates"), autoescape=select_autoescape(["html"]),
                      trim_blocks=True, lstrip_blocks=True)
    env.filters["pct"] = lambda x: "–" if x is None else f"{100 * float(x):.2f} %"
    env.filters["num"] = lambda x, d=4: "–" if x is None else f"{float(x):.{d}f}"
    return Jinja2Templates(env=env)


def render(request: Request, name: str, context: dict[str, Any] | None = None, *, status: int = 200,
           actor: Any = None, headers: dict[str, str] | None = None) -> HTMLResponse:
    """Render a page; the CSRF token of the caller's session is in every form (``csrf``)."""
    s = cookie_session(request)
    new_cookie = s is None
    if s is None:  # a first visit: an anonymous session, so that the login form has a CSRF token
        from .auth import CookieSession

        s = CookieSession()
    ctx = {"actor": actor, "csrf": csrf_token(request, s),
           "my_institutions": institutions_of(actor) if actor is not None else [], **(context or {})}
    response: HTMLResponse = request.app.state.templates.TemplateResponse(request, name, ctx, status_code=status,
                                                                          headers=headers)
    if new_cookie:
        set_cookie(request, response, s)
    return response
