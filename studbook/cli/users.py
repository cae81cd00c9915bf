"""Users and roles: add, list, disable, set a password (the keeper)."""

from __future__ import annotations

import sys
from dataclasses import asdict

import click

from .app import AppContext, pass_app
from .output import emit, format_option, message

ROLE = click.Choice(["keeper", "coordinator", "registrar", "reader"])


def _read_password(from_stdin: bool) -> str:
    """A password from stdin (first line) or a hidden prompt typed twice; never from the command line."""
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return str(click.prompt("Password", hide_input=True, confirmation_prompt=True))


@click.group()
def user() -> None:
    """Studbook users and roles (keeper, coordinator, registrar, reader); see docs/users-and-roles.md."""


@user.command("add")
@click.argument("name")
@click.option("--role", type=ROLE, required=True)
@click.option("--institution", "institutions", multiple=True, metavar="CODE",
              help="A registrar's institution (repeat for several).")
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of stdin.")
@click.option("--no-password", is_flag=True, help="No password (CLI/database login only; cannot log in to the web).")
@pass_app
def user_add(app: AppContext, name: str, role: str, institutions: tuple[str, ...], password_stdin: bool,
             no_password: bool) -> None:
    """Add a user. The first user of a book must be a keeper."""
    from ..services.users import add_user

    password = None if no_password else _read_password(password_stdin)
    with app.session(write=True) as session:
        added = add_user(session, name, role=role, institutions=list(institutions), password=password)
    where = f" of {', '.join(added.institutions)}" if added.institutions else ""
    message(f"Added {added.role} {added.name}{where}.")


@user.command("list")
@format_option
@pass_app
def user_list(app: AppContext, fmt: str) -> None:
    """List the users, their roles, institutions and state (never a password)."""
    from ..services.users import list_users

    with app.session() as session:
        rows = [asdict(u) for u in list_users(session)]
    emit(rows, fmt, title=f"Users ({len(rows)})")


@user.command("disable")
@click.argument("name")
@pass_app
def user_disable(app: AppContext, name: str) -> None:
    """Disable a user: no login, no writes; their records and audit rows stay."""
    from ..services.users import disable_user

    with app.session(write=True) as session:
        disable_user(session, name)
    message(f"User {name} is disabled.")


@user.command("set-password")
@click.argument("name")
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of stdin.")
@pass_app
def user_set_password(app: AppContext, name: str, password_stdin: bool) -> None:
    """Set a user's password (stored as an argon2id hash); also unlocks a locked account."""
    from ..services.users import set_password

    password = _read_password(password_stdin)
    with app.session(write=True) as session:
        set_password(session, name, password)
    message(f"Password of {name} set.")
