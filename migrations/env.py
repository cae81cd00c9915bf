"""Alembic environment for studbook.

Uses the connection handed over by ``studbook.db`` (``config.attributes['connection']``)
when there is one, else the URL in the config (``alembic -x db=...`` or alembic.ini).
``render_as_batch`` keeps ALTERs working on SQLite.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from studbook.models import Base

config = context.config
target_metadata = Base.metadata


def _run(connection) -> None:  # type: ignore[no-untyped-def]
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=True,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_offline() -> None:
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    url = context.get_x_argument(as_dictionary=True).get("db") or config.get_main_option("sqlalchemy.url")
    from studbook.db import resolve_url

    engine = create_engine(resolve_url(url))
    with engine.begin() as conn:
        _run(conn)


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
