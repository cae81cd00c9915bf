"""PostgreSQL deployment: the application role ``studbook_app``.

Row-level security (migration 0005) binds every role except table owners and superusers.
A deployment therefore runs the CLI and the web app as database logins that are members of
the NOLOGIN group role ``studbook_app``, never as the owner (who runs ``studbook db upgrade``):

* SELECT, INSERT, UPDATE, DELETE on the tables of the book, under the policies of
  ``animal``, ``event`` and ``institution``;
* only INSERT and SELECT on ``audit_log`` (no UPDATE, DELETE or TRUNCATE: history cannot be
  rewritten, even by a bug), SELECT only on ``alembic_version``; the owner of the tables is
  refused as a member (it could drop the audit triggers; ``studbook audit verify`` checks);
* USAGE of the sequences.

Run it again after each ``studbook db upgrade`` that adds tables.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from ..errors import InvalidInputError
from .access import require_keeper
from .users import NAME_RE

APP_ROLE = "studbook_app"


def grant_app_role(session: Session, logins: list[str]) -> str:
    """Create (if missing) and grant ``studbook_app``; make each of *logins* a member. The keeper only."""
    require_keeper(session, action="grant_app_role")
    if session.get_bind().dialect.name != "postgresql":
        raise InvalidInputError("grant-app-role is for PostgreSQL databases",
                                "SQLite has no database roles: the local user is the keeper")
    for login in logins:
        if not NAME_RE.match(login):
            raise InvalidInputError(f"{login!r} is not a database login name", "give the name of a PostgreSQL role")
    # Role and schema names are identifiers, which SQL cannot bind as parameters: they are checked
    # against NAME_RE above and quoted by the dialect before they go into the statement text.
    quote = session.get_bind().dialect.identifier_preparer.quote
    schema = quote(str(session.scalar(text("SELECT current_schema()"))))
    role = quote(APP_ROLE)
    exists = session.scalar(text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": APP_ROLE})
    if not exists:  # roles are cluster-wide: another database may create it at the same moment
        try:
            with session.begin_nested():
                session.execute(text(f"CREATE ROLE {role} NOLOGIN"))
        except DBAPIError as exc:
            if getattr(exc.orig, "sqlstate", None) not in ("42710", "23505"):  # duplicate_object, unique_violation
                raise
    for sql in (
        f"GRANT USAGE ON SCHEMA {schema} TO {role}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {schema} TO {role}",
        f"REVOKE UPDATE, DELETE, TRUNCATE ON {schema}.audit_log FROM {role}",
        f"REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON {schema}.alembic_version FROM {role}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {schema} TO {role}",
    ):
        session.execute(text(sql))
    owner = session.scalar(text("SELECT pg_get_userbyid(relowner) FROM pg_class WHERE oid = 'audit_log'::regclass"))
    for login in logins:
        if login == owner:  # the owner bypasses row-level security and may drop the audit triggers
            raise InvalidInputError(f"{login} owns the tables of the book; the application must not run as the owner",
                                    "create another login for the application and grant it the role")
        if not session.scalar(text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": login}):
            raise InvalidInputError(f"there is no database login {login}",
                                    f"create it first: CREATE ROLE {login} LOGIN PASSWORD '...'")
        session.execute(text(f"GRANT {role} TO {quote(login)}"))
    members = f"; members: {', '.join(logins)}" if logins else ""
    return f"Granted {APP_ROLE} (INSERT/SELECT only on audit_log){members}."
