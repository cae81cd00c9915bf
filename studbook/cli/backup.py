"""``studbook backup FILE`` and ``studbook restore FILE``: a whole book, safely, on either database."""

from __future__ import annotations

import click

from .app import AppContext, pass_app
from .output import message


@click.command()
@click.argument("file", type=click.Path(dir_okay=False))
@pass_app
def backup(app: AppContext, file: str) -> None:
    """Write a consistent snapshot of the book to FILE (a new file), while others keep working.

    SQLite: SQLite's online backup (a plain copy of a live book can miss committed writes
    still in its -wal file). PostgreSQL: pg_dump's custom format. `studbook restore FILE`
    brings it back into an empty database (docs/backup.md).
    """
    from ..services.backup import backup as run

    res = run(app.url, file)
    message(f"Backed up the book (schema {res.schema}) to {res.path}: {res.kind}, {res.bytes:,} bytes.")


@click.command()
@click.argument("file", type=click.Path(dir_okay=False))
@pass_app
def restore(app: AppContext, file: str) -> None:
    """Restore the backup FILE into an empty database (--db), then migrate it to this studbook's schema.

    The backup must be of the same kind as --db (SQLite file or PostgreSQL database); to move a
    book between the two, use `export book DIR` then `init --from-folder DIR`.
    """
    from ..services.backup import restore as run

    res = run(app.url, file)
    migrated = "" if res.schema_before == res.schema_after else f", migrated {res.schema_before} -> {res.schema_after}"
    message(f"Restored {res.path} ({res.kind}): {res.animals} animals{migrated}.")
