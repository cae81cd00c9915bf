"""Users, passwords, logins: the accounts of a shared book.

* Passwords are stored as argon2id hashes (argon2-cffi, its default parameters), never in
  clear; a hash made with older parameters is renewed at the next successful login.
* Lockout: every failed login counts (``app_user.failed_logins``); after
  :data:`MAX_FAILED_LOGINS` failures in a row the account is locked for
  :data:`LOCK_MINUTES` minutes (``app_user.locked_until``), even for the right password. A
  successful login resets the count; ``set-password`` unlocks.
* Login sessions (the web): a random token (``secrets.token_urlsafe``) goes to the
  browser; only its SHA-256 is stored, with an expiry of :data:`LOGIN_SESSION_HOURS`.
* The bootstrap rule: while the book has no users the local user is the keeper (every
  book works as before); ``studbook user add NAME --role keeper`` makes the first keeper,
  and the first user must be a keeper.

Failed logins raise :class:`AuthError`; the failure is counted and audited even though
the caller's transaction is rolled back (``db.session_scope`` runs the error's
``after_rollback`` steps in the short transaction that records the denial).
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Connection, delete, func, select, update
from sqlalchemy.orm import Session

from ..access import ROLES, Actor
from ..errors import AuthError, InvalidInputError, NotFoundError, PermissionDeniedError, ValidationError
from ..models import AppUser, LoginSession, UserInstitution
from .access import CHECKED, current_actor, require_keeper
from .book import get_institution

MAX_FAILED_LOGINS = 5
LOCK_MINUTES = 15
LOGIN_SESSION_HOURS = 12
MIN_PASSWORD_LENGTH = 8
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@-]{0,119}$")
_HASHER = PasswordHasher()  # argon2id
_DUMMY_HASH = _HASHER.hash("not a password of anyone")  # equal work for unknown names


@dataclass(frozen=True)
class UserRow:
    name: str
    role: str
    institutions: list[str]
    active: bool
    locked_until: str | None
    failed_logins: int
    has_password: bool
    created_by: str


def _now() -> datetime:
    return datetime.now(UTC)


def _aware(value: datetime | None) -> datetime | None:
    """SQLite gives back naive datetimes (stored in UTC)."""
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInputError(f"the password is shorter than {MIN_PASSWORD_LENGTH} characters",
                                "choose a longer one (a passphrase of a few words is good)")
    return _HASHER.hash(password)


def _user(session: Session, name: str) -> AppUser:
    found = session.scalar(select(AppUser).where(AppUser.name == name))
    if found is None:
        raise NotFoundError(f"no user {name!r}", "`studbook user list` shows the users")
    return found


def _actor(user: AppUser) -> Actor:
    return Actor(name=user.name, role=user.role, active=user.active,
                 institutions=frozenset(ui.institution.code for ui in user.institutions))


def get_actor(session: Session, name: str) -> Actor:
    """The user *name* as an Actor (NotFoundError when there is none)."""
    return _actor(_user(session, name))


def add_user(session: Session, name: str, *, role: str, institutions: list[str] | None = None,
             password: str | None = None) -> UserRow:
    """Add a user (the keeper; while the book has no users, the local user is the keeper)."""
    keeper = require_keeper(session, action="user_add", record=name)
    if not NAME_RE.match(name or ""):
        raise InvalidInputError(f"user name {name!r} is not allowed",
                                "use letters, digits and . _ @ - (like a database login), at most 120")
    if role not in ROLES:
        raise InvalidInputError(f"role {role!r} is not one of {', '.join(ROLES)}", "give --role keeper|coordinator|"
                                "registrar|reader")
    if session.scalar(select(AppUser.id).where(AppUser.name == name)) is not None:
        raise ValidationError(f"user {name} exists already", "`studbook user list` shows the users")
    if session.scalar(select(AppUser.id).limit(1)) is None and role != "keeper":
        raise ValidationError("the first user of a book must be a keeper (otherwise nobody could add the others)",
                              f"add the keeper first: `studbook user add NAME --role keeper`; then {name}")
    codes = institutions or []
    if role == "registrar" and not codes:
        raise InvalidInputError(f"registrar {name} needs at least one --institution CODE",
                                "a registrar records the animals of their institution(s)")
    if role != "registrar" and codes:
        raise InvalidInputError(f"--institution is for registrars, not a {role}", "leave out --institution")
    user = AppUser(name=name, role=role, active=True, failed_logins=0, created_at=_now(), created_by=keeper.name,
                   password_hash=hash_password(password) if password is not None else None)
    for code in dict.fromkeys(c.upper() for c in codes):
        user.institutions.append(UserInstitution(institution=get_institution(session, code)))
    session.add(user)
    session.flush()
    return _row(user)


def _row(u: AppUser) -> UserRow:
    locked = _aware(u.locked_until)
    return UserRow(u.name, u.role, [ui.institution.code for ui in u.institutions], u.active,
                   locked.isoformat(timespec="seconds") if locked and locked > _now() else None,
                   u.failed_logins, u.password_hash is not None, u.created_by)


def list_users(session: Session) -> list[UserRow]:
    return [_row(u) for u in session.scalars(select(AppUser).order_by(AppUser.name))]


def disable_user(session: Session, name: str) -> None:
    """Disable a user (the keeper): no login, no writes; their login sessions end."""
    require_keeper(session, action="user_disable", record=name)
    user = _user(session, name)
    if user.role == "keeper" and session.scalar(
            select(func.count()).select_from(AppUser).where(AppUser.role == "keeper", AppUser.active,
                                                            AppUser.id != user.id)) == 0:
        raise ValidationError(f"{name} is the last active keeper", "add another keeper first")
    user.active = False
    session.execute(delete(LoginSession).where(LoginSession.user_id == user.id))


def set_password(session: Session, name: str, password: str) -> None:
    """Set a password (the keeper, or the user themselves); unlocks the account."""
    actor = current_actor(session)
    if actor.name == name and actor.active:
        session.info[CHECKED] = True
    else:
        require_keeper(session, action="user_set_password", record=name)
    user = _user(session, name)
    user.password_hash = hash_password(password)
    user.failed_logins, user.locked_until = 0, None


# --- logging in ------------------------------------------------------------------------------

def _count_failure(user_id: int) -> Any:
    def step(conn: Connection) -> None:
        until = _now() + timedelta(minutes=LOCK_MINUTES)
        conn.execute(update(AppUser).where(AppUser.id == user_id).values(failed_logins=AppUser.failed_logins + 1))
        conn.execute(update(AppUser).where(AppUser.id == user_id, AppUser.failed_logins >= MAX_FAILED_LOGINS)
                     .values(locked_until=until, failed_logins=0))
    return step


def _refuse(reason: str, name: str, user_id: int | None = None) -> AuthError:
    exc = AuthError(reason, "check the name and password; after "
                            f"{MAX_FAILED_LOGINS} failures the account is locked for {LOCK_MINUTES} minutes",
                    action="login", record=name[:64])
    exc.after_rollback = [_count_failure(user_id)] if user_id is not None else []  # type: ignore[attr-defined]
    return exc


def authenticate(session: Session, name: str, password: str) -> Actor:
    """Check a name and password; the Actor on success.

    Raises AuthError (exit code 5) for an unknown name or a wrong password (one message for
    both), a disabled or a locked account. Each failure with a known name counts; the
    :data:`MAX_FAILED_LOGINS`-th locks the account for :data:`LOCK_MINUTES` minutes.
    """
    session.info[CHECKED] = True
    user = session.scalar(select(AppUser).where(AppUser.name == name))
    if user is None or user.password_hash is None:
        try:
            _HASHER.verify(_DUMMY_HASH, password or "-")
        except VerificationError:
            pass
        raise _refuse("unknown user or wrong password", name)
    locked = _aware(user.locked_until)
    if locked is not None and locked > _now():
        raise _refuse(f"the account {name} is locked until {locked.isoformat(timespec='minutes')} "
                      "after repeated failed logins", name)
    if not user.active:
        raise _refuse(f"the account {name} is disabled", name)
    try:
        _HASHER.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        raise _refuse("unknown user or wrong password", name, user.id) from None
    if _HASHER.check_needs_rehash(user.password_hash):
        user.password_hash = _HASHER.hash(password)
    if user.failed_logins or user.locked_until is not None:
        user.failed_logins, user.locked_until = 0, None
    session.flush()
    return _actor(user)


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_login_session(session: Session, name: str) -> str:
    """A new login session for an (authenticated, active) user: the token (only its hash is stored)."""
    session.info[CHECKED] = True
    user = _user(session, name)
    if not user.active:
        raise PermissionDeniedError(f"the account {name} is disabled", "ask the studbook keeper",
                                    action="login", record=name[:64])
    token = secrets.token_urlsafe(32)
    now = _now()
    session.add(LoginSession(token_hash=_token_hash(token), user_id=user.id, created_at=now,
                             expires_at=now + timedelta(hours=LOGIN_SESSION_HOURS)))
    session.flush()
    return token


def resolve_login_session(session: Session, token: str) -> Actor | None:
    """The Actor of a live login session; None when the token is unknown, expired or its user disabled."""
    if not token:
        return None
    row = session.scalar(select(LoginSession).where(LoginSession.token_hash == _token_hash(token)))
    if row is None:
        return None
    expires = _aware(row.expires_at)
    if expires is None or expires <= _now():
        return None
    user = session.get(AppUser, row.user_id)
    if user is None or not user.active:
        return None
    return _actor(user)


def end_login_session(session: Session, token: str) -> None:
    """Log out: the login session is deleted (nothing happens for an unknown token)."""
    session.info[CHECKED] = True
    session.execute(delete(LoginSession).where(LoginSession.token_hash == _token_hash(token)))
