"""The numeric boundary through SQLAlchemy: database rows -> frozen Pedigree.

``read_rows`` runs the read path's SQL (the text in ``pedigree_rows``, the same
the stdlib ``sqlite3`` fast path in ``fastread`` runs) and ``load_pedigree`` hands
the rows to ``pedigree_rows.build_loaded``, the one function that turns studbook
rows into arrays. PostgreSQL (and any session) goes through here.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from .pedigree_rows import (  # noqa: F401  (re-exported)
    ANIMALS_SQL,
    CENSUS_SQL,
    EVENTS_SQL,
    INSTITUTIONS_SQL,
    LITTERS_SQL,
    MULT_SQL,
    OPEN_PROBLEMS_SQL,
    AnimalInfo,
    BookRows,
    LoadedPedigree,
    age_years,
    build_loaded,
    read_ids_file,
    resolve_ids,
)


def read_rows(session: Session) -> BookRows:
    """Run the read path's SQL in *session* (void animals and events left out).

    The rows come straight from the driver's cursor (plain tuples, as the stdlib ``sqlite3``
    fast path gets them): no SQLAlchemy ``Row`` per record. The SQL has no parameters.
    """
    cur = session.connection().connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        def run(sql: str) -> list[tuple[Any, ...]]:
            cur.execute(sql)
            return [tuple(r) for r in cur.fetchall()] if cur.description else []

        census = run(CENSUS_SQL)
        return BookRows(
            animals=run(ANIMALS_SQL),
            events=run(EVENTS_SQL),
            mult=run(MULT_SQL),
            institutions=run(INSTITUTIONS_SQL),
            census=census[0][0] if census else None,
            open_problems=int(run(OPEN_PROBLEMS_SQL)[0][0]),
            litters=run(LITTERS_SQL),
        )
    finally:
        cur.close()


def read_rows_orm(session: Session) -> BookRows:
    """:func:`read_rows` through SQLAlchemy ``Row`` objects (the previous path; benchmarks and tests)."""
    run = session.execute
    census = run(text(CENSUS_SQL)).first()
    return BookRows(
        animals=[tuple(r) for r in run(text(ANIMALS_SQL))],
        events=[tuple(r) for r in run(text(EVENTS_SQL))],
        mult=[tuple(r) for r in run(text(MULT_SQL))],
        institutions=[tuple(r) for r in run(text(INSTITUTIONS_SQL))],
        census=census[0] if census else None,
        open_problems=int(run(text(OPEN_PROBLEMS_SQL)).scalar_one()),
        litters=[tuple(r) for r in run(text(LITTERS_SQL))],
    )


def load_pedigree(session: Session, as_of: date | None = None) -> LoadedPedigree:
    """The whole book on *as_of* (default: its census date, else today) as a frozen
    :class:`Pedigree` plus display info per animal; see ``pedigree_rows.build_loaded``.

    Alive = captive or in the wild on that day (``records.status_of``). The living
    analysis population is the living animals not flagged ``exclude_from_analysis``.
    """
    return build_loaded(read_rows(session), as_of)
