"""The root ``studbook`` group: global options and the context object."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import click

from .. import __version__

CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


@dataclass
class AppContext:
    db: str | None
    user: str | None
    debug: bool
    act_as: str | None = None

    @property
    def url(self) -> str:
        from ..config import resolve_url

        return resolve_url(self.db)

    def username(self) -> str:
        from ..audit import current_user
        from ..text import clean_text

        name = current_user(self.user)
        # what the audit log records must be readable: no control or invisible characters (--user,
        # STUDBOOK_USER or the OS login); the length limit is the audit log's own
        return clean_text(name, what="user name", record="--user / STUDBOOK_USER") or name

    @contextmanager
    def session(self, *, write: bool = False, check_schema: bool = True) -> Iterator[Any]:
        """One transaction for the whole command."""
        from ..db import session_scope

        ctx = click.get_current_context()
        command = " ".join(ctx.command_path.split()[1:]) or None
        with session_scope(self.url, write=write, user=self.username(), command=command,
                           check_schema=check_schema, act_as=self.act_as) as session:
            yield session


pass_app = click.make_pass_decorator(AppContext)


# Each command lives in a module that is imported only when that command runs (or
# when help lists them), so `studbook genetics ...` does not load the records CLI.
LAZY_COMMANDS = {
    "init": "records:init", "db": "records:db", "species": "records:species",
    "institution": "records:institution", "validate": "records:validate", "audit": "records:audit",
    "import": "imports:import_group",
    "animal": "animals:animal", "birth": "animals:birth", "transfer": "animals:transfer",
    "death": "animals:death", "release": "animals:release", "ltf": "animals:ltf", "capture": "animals:capture",
    "history": "animals:history", "pedigree": "pedigree_draw:pedigree", "relate": "relate:relate",
    "event": "corrections:event", "problems": "corrections:problems",
    "genetics": "genetics:genetics",
    "parentage": "parentage:parentage",
    "recommend": "recommend:recommend", "plan": "recommend:plan",
    "export": "export:export",
    "backup": "backup:backup", "restore": "backup:restore",
    "demography": "demography:demography",
    "report": "report:report",
    "user": "users:user",
    "pending": "pending:pending",
    "serve": "serve:serve",
}


class LazyGroup(click.Group):
    """A click group whose subcommands are imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted([*super().list_commands(ctx), *LAZY_COMMANDS])

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in LAZY_COMMANDS:
            import importlib

            module, attr = LAZY_COMMANDS[cmd_name].split(":")
            return getattr(importlib.import_module(f"studbook.cli.{module}"), attr)  # type: ignore[no-any-return]
        return super().get_command(ctx, cmd_name)


@click.group(cls=LazyGroup, context_settings=CONTEXT_SETTINGS)
@click.option("--db", envvar="STUDBOOK_DB", metavar="URL_OR_PATH",
              help="Database: a file path (SQLite) or a SQLAlchemy URL such as "
                   "postgresql+psycopg://user@host/db. Env STUDBOOK_DB; default ./studbook.db.")
@click.option("--user", envvar="STUDBOOK_USER", help="Who is writing (audit log). Env STUDBOOK_USER; default the OS login.")
@click.option("--as", "act_as", metavar="NAME",
              help="Act as the studbook user NAME (a keeper only; see docs/users-and-roles.md).")
@click.option("--debug", is_flag=True, help="Show the traceback of unexpected errors.")
@click.version_option(__version__, prog_name="studbook")
@click.pass_context
def cli(ctx: click.Context, db: str | None, user: str | None, act_as: str | None, debug: bool) -> None:
    """studbook: records, genetics and breeding decisions for a captive-breeding studbook."""
    ctx.obj = AppContext(db=db, user=user, debug=debug, act_as=act_as)

