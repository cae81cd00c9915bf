"""StudbookError -> HTTP status: the only place where the services' errors meet HTTP."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from ..errors import (
    AuthError,
    ConflictError,
    DatabaseError,
    InvalidInputError,
    NotFoundError,
    PermissionDeniedError,
    ProblemListError,
    StudbookError,
    ValidationError,
)
from .auth import CsrfError, NotLoggedInError, TooManyAttemptsError


def status_of(exc: StudbookError) -> int:
    """The HTTP status of a studbook error."""
    if isinstance(exc, (NotLoggedInError, AuthError)):
        return 401
    if isinstance(exc, (PermissionDeniedError, CsrfError)):
        return 403
    if isinstance(exc, NotFoundError):
        return 404
    if isinstance(exc, TooManyAttemptsError):
        return 429
    if isinstance(exc, ConflictError):
        return 409
    if isinstance(exc, DatabaseError):
        return 503
    if isinstance(exc, (InvalidInputError, ValidationError, ProblemListError)):
        return 422
    return 400


def error_body(exc: StudbookError) -> dict[str, Any]:
    """The JSON error: the same reason, hint and problem list as the CLI prints."""
    body: dict[str, Any] = {"error": exc.reason, "hint": exc.hint, "kind": type(exc).__name__}
    if isinstance(exc, ProblemListError) and exc.problems:
        body["problems"] = exc.problems
    return body


def is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def install(app: FastAPI) -> None:
    @app.exception_handler(StudbookError)
    async def studbook_error(request: Request, exc: StudbookError) -> Response:
        status = status_of(exc)
        headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, TooManyAttemptsError) else None
        if is_api(request):
            if isinstance(exc, NotLoggedInError):
                headers = {"WWW-Authenticate": "Bearer"}
            return JSONResponse(error_body(exc), status_code=status, headers=headers)
        if isinstance(exc, NotLoggedInError):
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            return RedirectResponse("/login?next=" + quote(target, safe=""), status_code=303)
        from .render import render

        return render(request, "error.html", {"error": exc}, status=status, headers=headers)
