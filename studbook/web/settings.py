"""Configuration of ``studbook serve``, read from environment variables (docs/web.md).

==========================  ==================================================================
STUDBOOK_DB                 the database (file path = SQLite, or a SQLAlchemy URL); as the CLI
STUDBOOK_SECRET_KEY         signs the session cookie and the CSRF tokens; REQUIRED in production
                            (without it a random key is made at start: sessions end on restart)
STUDBOOK_SECURE_COOKIES     1: the cookie is sent over HTTPS only (set it behind a TLS proxy);
                            default 0 (plain http on 127.0.0.1)
STUDBOOK_SESSION_HOURS      lifetime of a login (default 12)
STUDBOOK_LOGIN_RATE         login attempts allowed per client address and per user name in a
                            window, as ``N/SECONDS`` (default ``10/60``)
==========================  ==================================================================
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass

from ..errors import InvalidInputError


@dataclass(frozen=True)
class WebSettings:
    db_url: str
    secret_key: str
    secure_cookies: bool = False
    session_hours: float = 12.0
    login_attempts: int = 10
    login_window: float = 60.0
    ephemeral_key: bool = False

    @classmethod
    def from_env(cls, db: str | None = None) -> WebSettings:
        """Settings from the environment; *db* (``--db``) wins over ``STUDBOOK_DB``."""
        from ..config import resolve_url

        key = os.environ.get("STUDBOOK_SECRET_KEY", "")
        ephemeral = not key
        if ephemeral:
            key = secrets.token_urlsafe(32)
        elif len(key) < 16:
            raise InvalidInputError("STUDBOOK_SECRET_KEY is shorter than 16 characters",
                                    "make one with: python -c 'import secrets; print(secrets.token_urlsafe(32))'")
        attempts, window = _rate(os.environ.get("STUDBOOK_LOGIN_RATE", "10/60"))
        return cls(
            db_url=resolve_url(db),
            secret_key=key,
            secure_cookies=os.environ.get("STUDBOOK_SECURE_COOKIES", "0").strip().lower() in ("1", "true", "yes"),
            session_hours=_number("STUDBOOK_SESSION_HOURS", "12"),
            login_attempts=attempts,
            login_window=window,
            ephemeral_key=ephemeral,
        )


def _number(name: str, default: str) -> float:
    raw = os.environ.get(name, default)
    try:
        value = float(raw)
    except ValueError:
        raise InvalidInputError(f"{name}={raw!r} is not a number", f"e.g. {name}={default}") from None
    if value <= 0:
        raise InvalidInputError(f"{name}={raw!r} must be above 0", f"e.g. {name}={default}")
    return value


def _rate(raw: str) -> tuple[int, float]:
    n, sep, secs = raw.partition("/")
    try:
        attempts, window = int(n), float(secs)
    except ValueError:
        attempts, window = 0, 0.0
    if not sep or attempts < 1 or window <= 0:
        raise InvalidInputError(f"STUDBOOK_LOGIN_RATE={raw!r} is not N/SECONDS", "e.g. STUDBOOK_LOGIN_RATE=10/60")
    return attempts, window
