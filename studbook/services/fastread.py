"""Read-only fast path for SQLite: the read path's SQL through the stdlib ``sqlite3``.

Importing SQLAlchemy costs a few hundred milliseconds; an analysis command on a
local book should answer faster than that. This module runs the SQL text of
``pedigree_rows`` (the same text ``analysis.read_rows`` runs through SQLAlchemy;
tests compare the two on the sample book) on a read-only connection and hands the
rows to ``pedigree_rows.build_loaded``. PostgreSQL and every write go through SQLAlchemy.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

from ..config import SCHEMA_HEAD, sqlite_uri
from ..errors import DatabaseError, SchemaOutOfDateError
from .pedigree_rows import (
    ANIMALS_SQL,
    CENSUS_SQL,
    EVENTS_SQL,
    INSTITUTIONS_SQL,
    LITTERS_SQL,
    MULT_SQL,
    OPEN_PROBLEMS_SQL,
    BookRows,
    LoadedPedigree,
    build_loaded,
)


def load_pedigree_sqlite(path: str, as_of: date | None = None) -> LoadedPedigree:
    """The book on *as_of* (default: its census date, else today); see ``pedigree_rows.build_loaded``."""
    return build_loaded(read_rows_sqlite(path), as_of)


def read_rows_sqlite(path: str) -> BookRows:
    """Run the read path's SQL on a read-only connection to the SQLite file *path*."""

    def read(run: Callable[[str], list[Any]]) -> BookRows:
        census = run(CENSUS_SQL)
        return BookRows(
            animals=run(ANIMALS_SQL), events=run(EVENTS_SQL), mult=run(MULT_SQL), institutions=run(INSTITUTIONS_SQL),
            census=census[0][0] if census else None, open_problems=int(run(OPEN_PROBLEMS_SQL)[0][0]),
            litters=run(LITTERS_SQL),
        )

    return run_sqlite(path, read)


T = TypeVar("T")


def run_sqlite(path: str, read: Callable[[Callable[[str], list[Any]]], T]) -> T:
    """``read(run)`` on a read-only connection to the SQLite file *path*, ``run(sql)`` returning the
    rows of one SQL text; the schema must be at this studbook's revision."""
    if not Path(path).exists():
        raise DatabaseError(f"the database {path} does not exist", "run `studbook init` first, or check --db")
    try:
        con = sqlite3.connect(sqlite_uri(path), uri=True, timeout=60)
    except sqlite3.Error as exc:
        raise DatabaseError(f"cannot open the database {path}: {exc}", "check the --db path") from None
    try:
        try:
            rev = con.execute("SELECT version_num FROM alembic_version").fetchone()
        except sqlite3.OperationalError:  # no such table: not initialised
            rev = None
        if rev is None:
            raise SchemaOutOfDateError("the database has no studbook schema yet",
                                       "run `studbook init` (or `studbook db upgrade`) first")
        if rev[0] != SCHEMA_HEAD:
            raise SchemaOutOfDateError(f"the database schema is at revision {rev[0]}, this studbook expects "
                                       f"{SCHEMA_HEAD}", "run `studbook db upgrade`")
        return read(lambda sql: con.execute(sql).fetchall())
    except sqlite3.Error as exc:
        raise DatabaseError(f"cannot read the database {path}: {exc}", "check that it is a studbook database") from None
    finally:
        con.close()
