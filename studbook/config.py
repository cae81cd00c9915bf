"""Where the database is: ``--db`` > ``STUDBOOK_DB`` > ``./studbook.db``.

Kept free of SQLAlchemy so that the CLI starts fast.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import quote

DEFAULT_DB = "studbook.db"

# The newest migration. ``db.require_head`` compares the database with it without
# loading alembic (fast start); tests/test_migrations.py checks it against the scripts.
SCHEMA_HEAD = "0006"


def resolve_url(db: str | None) -> str:
    """Turn ``--db`` into a SQLAlchemy URL: a plain path means SQLite.

    A path is taken literally: ``zoo%41.db`` is the file ``zoo%41.db`` and ``zoo#1.db`` the file
    ``zoo#1.db``. The URL keeps the path as it is (``sqlite:///`` + absolute path); nothing parses
    it as a URL: ``db.make_engine`` opens :func:`sqlite_path` itself and read-only opens go
    through :func:`sqlite_uri`, which quotes it."""
    db = db or os.environ.get("STUDBOOK_DB") or DEFAULT_DB
    if "://" in db:
        if db.startswith("postgresql://") or db.startswith("postgres://"):
            db = "postgresql+psycopg://" + db.split("://", 1)[1]
        return db
    return "sqlite:///" + str(Path(db).expanduser().resolve())


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


def sqlite_path(url: str) -> str | None:
    """The file of a ``sqlite:///PATH`` URL (None for other URLs or in-memory databases)."""
    if not url.startswith("sqlite:///"):
        return None
    path = url.removeprefix("sqlite:///")
    return path if path and path != ":memory:" else None


def sqlite_uri(path: str, mode: str = "ro") -> str:
    """A ``file:`` URI for ``sqlite3.connect(..., uri=True)`` naming *path* literally (``%``, ``#``, ``?`` quoted)."""
    return f"file:{quote(Path(path).as_posix(), safe='/')}?mode={mode}"
