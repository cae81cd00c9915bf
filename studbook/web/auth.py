"""Who is asking: the thin adapter over the users service, the session cookie, CSRF tokens, login throttling.

Users, roles, passwords, lockout and login sessions belong to ``studbook.services.users``
(argon2 hashes, the failure counter and the lock live there); this module only calls it:

* ``authenticate(session, name, password) -> Actor`` (raises a StudbookError when unknown,
  wrong, disabled or locked), ``create_login_session(session, name) -> token``,
  ``resolve_login_session(session, token) -> Actor | None``, ``end_login_session(session, token)``.

Pending updates are ``studbook.services.pending``'s (``list_pending``, ``approve``, ``reject``);
a write service returns its ``PendingUpdate`` instead of a result when the write became one.

The browser keeps one signed, HttpOnly cookie (``studbook_session``) holding a random
anonymous id and, once logged in, the login-session token. Logging in always issues a new
token and a new anonymous id (no session fixation); logging out ends the token on the server.
The CSRF token of a form is an HMAC of the cookie's session (token or anonymous id) under the
secret key: a POST without it, or with one of another session, is refused.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from itsdangerous import BadSignature, URLSafeTimedSerializer

from ..access import Actor
from ..errors import StudbookError

COOKIE = "studbook_session"
CSRF_HEADER = "X-CSRF-Token"


class NotLoggedInError(StudbookError):
    """No valid login session (web layer only: pages redirect to /login, the API answers 401)."""


class CsrfError(StudbookError):
    """A form or API call that changes something came without the right CSRF token."""


class TooManyAttemptsError(StudbookError):
    """Too many login attempts from one address or for one user name in the window."""

    def __init__(self, reason: str, hint: str | None, retry_after: int) -> None:
        super().__init__(reason, hint)
        self.retry_after = retry_after


def authenticate(session: Any, name: str, password: str) -> Actor:
    from ..services import users

    return users.authenticate(session, name, password)


def create_login_session(session: Any, name: str) -> str:
    from ..services import users

    return users.create_login_session(session, name)


def resolve_login_session(session: Any, token: str) -> Actor | None:
    from ..services import users

    return users.resolve_login_session(session, token)


def end_login_session(session: Any, token: str) -> None:
    from ..services import users

    users.end_login_session(session, token)


def institutions_of(actor: Actor) -> list[str]:
    """The institution codes an actor is bound to (a registrar's), as plain strings."""
    return sorted(actor.institutions)


def pending_id(result: Any) -> int | None:
    """The id of a pending update when a write service returned one instead of applying the change."""
    from ..services.pending import PendingUpdate

    return result.id if isinstance(result, PendingUpdate) else None


# --- the cookie ---------------------------------------------------------------------------------

@dataclass
class CookieSession:
    """What the signed cookie holds: an anonymous id (always) and the login token (once logged in)."""

    anon: str = field(default_factory=lambda: secrets.token_urlsafe(18))
    token: str | None = None

    @property
    def key(self) -> str:
        """The session's identity for CSRF: the login token, else the anonymous id."""
        return self.token or ("anon:" + self.anon)


class CookieCodec:
    def __init__(self, secret_key: str, max_age_seconds: float) -> None:
        self._signer = URLSafeTimedSerializer(secret_key, salt="studbook.session")
        self._secret = secret_key.encode("utf-8")
        self.max_age = int(max_age_seconds)

    def dumps(self, s: CookieSession) -> str:
        return self._signer.dumps({"a": s.anon, "t": s.token})

    def loads(self, raw: str | None) -> CookieSession | None:
        if not raw:
            return None
        try:
            data = self._signer.loads(raw, max_age=self.max_age)
        except BadSignature:
            return None
        if not isinstance(data, dict) or not isinstance(data.get("a"), str):
            return None
        token = data.get("t")
        return CookieSession(data["a"], token if isinstance(token, str) else None)

    def csrf_token(self, s: CookieSession) -> str:
        return hmac.new(self._secret, b"csrf:" + s.key.encode("utf-8"), hashlib.sha256).hexdigest()

    def check_csrf(self, s: CookieSession | None, given: str | None) -> None:
        if s is None or not given or not hmac.compare_digest(self.csrf_token(s), given):
            raise CsrfError("the form's security token is missing or out of date (CSRF check)",
                            "reload the page and send the form again; nothing was written")


# --- login throttling ---------------------------------------------------------------------------

class LoginThrottle:
    """At most *attempts* login attempts per client address and per user name in *window* seconds.

    Kept in the server process (one uvicorn worker: see docs/web.md); the lockout of an
    account after repeated failures is the users service's and survives restarts.
    """

    def __init__(self, attempts: int, window: float) -> None:
        self.attempts, self.window = attempts, window
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def hit(self, *keys: str) -> None:
        now = time.monotonic()
        with self._lock:
            for key in keys:
                q = self._hits.setdefault(key, deque())
                while q and now - q[0] > self.window:
                    q.popleft()
                if len(q) >= self.attempts:
                    wait = int(self.window - (now - q[0])) + 1
                    raise TooManyAttemptsError("too many login attempts", f"wait {wait} s and try again", wait)
            for key in keys:
                self._hits[key].append(now)
