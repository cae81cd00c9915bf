"""The ASGI application: ``create_app(settings)`` builds it; ``studbook serve`` runs it with uvicorn.

Layers: these routes parse the request, open ONE transaction (``deps.transaction``) with the
acting user set on it, call the same services as the CLI and render the result. Rules,
permissions and pending updates are decided by the services; a ``StudbookError`` becomes an
HTTP status here and nowhere else (``errors.py``).
"""

from __future__ import annotations

from importlib.resources import files
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import Response

from .settings import WebSettings

SECURITY_HEADERS = {
    "Content-Security-Policy": ("default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
                                "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


def create_app(settings: WebSettings | None = None) -> FastAPI:
    """The web application over the database of *settings* (default: from the environment)."""
    from . import api, coordinator, errors, pages, records
    from .auth import CookieCodec, LoginThrottle
    from .render import make_templates

    settings = settings or WebSettings.from_env()
    app = FastAPI(title="studbook API", version=_version(), openapi_url=None, docs_url=None, redoc_url=None,
                  description=api.API_DESCRIPTION)
    app.state.settings = settings
    app.state.cookies = CookieCodec(settings.secret_key, settings.session_hours * 3600)
    app.state.throttle = LoginThrottle(settings.login_attempts, settings.login_window)
    app.state.templates = make_templates()

    @app.middleware("http")
    async def security_headers(request: Request, call_next: Any) -> Response:
        response: Response = await call_next(request)
        for k, v in SECURITY_HEADERS.items():
            response.headers.setdefault(k, v)
        return response

    errors.install(app)
    app.include_router(pages.public)
    app.include_router(pages.router)
    app.include_router(records.router)
    app.include_router(coordinator.router)
    app.include_router(api.public)
    app.include_router(api.router)
    api.install_openapi(app)

    @app.get("/static/style.css", include_in_schema=False)
    def stylesheet() -> Response:
        css = files("studbook.web").joinpath("static/style.css").read_text(encoding="utf-8")
        return Response(css, media_type="text/css", headers={"Cache-Control": "public, max-age=3600"})

    return app


def _version() -> str:
    from .. import __version__

    return __version__


# Routes reachable without a login (the test suite enumerates every other route and checks it is refused).
PUBLIC_ROUTES = frozenset({("GET", "/login"), ("POST", "/login"), ("POST", "/api/session"),
                           ("GET", "/static/style.css")})
