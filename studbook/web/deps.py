"""One request = one transaction, with the acting user set on it; the cookie and CSRF helpers."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from fastapi import Request
from fastapi.responses import Response

from . import auth
from .auth import COOKIE, CSRF_HEADER, Actor, CookieSession, NotLoggedInError


def settings(request: Request) -> Any:
    return request.app.state.settings


def cookie_session(request: Request) -> CookieSession | None:
    """The signed cookie's content, or None (absent, forged or expired)."""
    return request.app.state.cookies.loads(request.cookies.get(COOKIE))  # type: ignore[no-any-return]


def set_cookie(request: Request, response: Response, s: CookieSession | None) -> None:
    """Write (or, with None, delete) the session cookie: HttpOnly, SameSite=Lax, and Secure when configured
    (STUDBOOK_SECURE_COOKIES) or when the request came over https (directly, or through a trusted proxy)."""
    st = settings(request)
    secure = st.secure_cookies or request.url.scheme == "https"
    if s is None:
        response.delete_cookie(COOKIE, path="/", secure=secure, httponly=True, samesite="lax")
        return
    response.set_cookie(COOKIE, request.app.state.cookies.dumps(s), max_age=int(st.session_hours * 3600), path="/",
                        secure=secure, httponly=True, samesite="lax")


def csrf_token(request: Request, s: CookieSession | None) -> str:
    return request.app.state.cookies.csrf_token(s) if s else ""  # type: ignore[no-any-return]


def check_csrf(request: Request, given: str | None) -> None:
    request.app.state.cookies.check_csrf(cookie_session(request), given)


def bearer_token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    return value.strip() or None if scheme.lower() == "bearer" else None


def _nobody() -> Actor:
    """The actor of the short transactions that log in and find the login session: a reader,
    so that nothing but the users service's own checked writes can happen in them."""
    return Actor(name="web-login", role="reader")


def login_required(request: Request) -> None:
    """Router dependency: no route but the login runs without a valid login session.

    It runs before FastAPI validates the parameters, so a caller without a login learns
    nothing about them; the actor found is kept for the request's transaction.
    """
    api = request.url.path.startswith("/api/")
    token, s = _token(request, api)
    if api and s is not None and request.method not in ("GET", "HEAD", "OPTIONS"):
        request.app.state.cookies.check_csrf(s, request.headers.get(CSRF_HEADER))
    request.state.actor = _resolve(request, api=api)


def _token(request: Request, api: bool) -> tuple[str | None, CookieSession | None]:
    token = bearer_token(request) if api else None
    if token is not None:
        return token, None
    s = cookie_session(request)
    return (s.token if s else None), s


def _resolve(request: Request, *, api: bool) -> Actor:
    from ..db import session_scope

    token, _s = _token(request, api)
    if not token:
        raise NotLoggedInError("please log in", "log in at /login (the API: POST /api/session)")
    with session_scope(settings(request).db_url, user="web-login", actor=_nobody()) as s0:
        actor = auth.resolve_login_session(s0, token)
    if actor is None:
        raise NotLoggedInError("your login has ended", "log in again")
    return actor


@contextmanager
def transaction(request: Request, *, write: bool = False, api: bool = False) -> Iterator[tuple[Any, Actor]]:
    """The request's transaction and the logged-in actor (``session.info["actor"]``).

    Pages authenticate with the session cookie. The API takes ``Authorization: Bearer TOKEN``
    (a token from ``POST /api/session``) or the browser's cookie; with the cookie, a call that
    writes must carry the CSRF token in the ``X-CSRF-Token`` header. The login session is
    looked up in a short read transaction first, so that the request's own transaction starts
    with its actor (``db.session_scope(actor=...)``: audit user, PostgreSQL row-level security).

    Raises:
        NotLoggedInError: no valid login session.
    """
    from ..db import session_scope

    token, s = _token(request, api)
    if token is not None and s is not None and api and write:
        request.app.state.cookies.check_csrf(s, request.headers.get(CSRF_HEADER))
    actor = getattr(request.state, "actor", None) or _resolve(request, api=api)
    url = settings(request).db_url
    with session_scope(url, write=write, user=actor.name, command=f"web {request.method} {request.url.path}",
                       actor=actor) as session:
        yield session, actor


@contextmanager
def anonymous_transaction(request: Request, *, write: bool = True) -> Iterator[Any]:
    """The transaction of a login or logout (no actor yet: a reader named web-login)."""
    from ..db import session_scope

    with session_scope(settings(request).db_url, write=write, user="web-login", actor=_nobody(),
                       command=f"web {request.method} {request.url.path}") as session:
        yield session
