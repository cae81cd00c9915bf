"""Read-only fast path for SQLite: the analysis query through the stdlib ``sqlite3``.

Importing SQLAlchemy costs a few hundred milliseconds; an analysis command on a
local book should answer faster than that. This module runs exactly the query of
``analysis.load_pedigree`` (tests compare the two on the sample book) on a
read-only connection and hands the rows to ``pedigree_rows.build_loaded``.
PostgreSQL and every write go through SQLAlchemy.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from ..config import SCHEMA_HEAD
from ..errors import DatabaseError, SchemaOutOfDateError
from .pedigree_rows import LoadedPedigree, build_loaded, fates

ANIMALS_SQL = """
SELECT a.studbook_id, a.sex, a.birth_date, a.sire_kind, s.studbook_id, a.dam_kind, d.studbook_id,
       a.exclude_from_analysis, a.do_not_breed, a.contracepted, a.hybrid_suspect, a.exclude_from_release,
       a.rearing, a.id, a.house_name, a.health_notes
FROM animal a LEFT JOIN animal s ON a.sire_id = s.id LEFT JOIN animal d ON a.dam_id = d.id
ORDER BY a.id
"""
# Events unsorted: fate and last location are worked out in Python (``pedigree_rows.fates``),
# cheaper than an ORDER BY.
EVENTS_SQL = ("SELECT e.animal_id, e.kind, e.date, e.id, i.code FROM event e "
              "LEFT JOIN institution i ON e.institution_id = i.id")
MULT_SQL = """
SELECT c.studbook_id, p.role, k.studbook_id, p.probability FROM parent_candidate p
JOIN animal c ON p.animal_id = c.id JOIN animal k ON p.candidate_id = k.id ORDER BY p.id
"""


def load_pedigree_sqlite(path: str) -> LoadedPedigree:
    if not Path(path).exists():
        raise DatabaseError(f"the database {path} does not exist", "run `studbook init` first, or check --db")
    try:
        con = sqlite3.connect(f"file:{Path(path).as_posix()}?mode=ro", uri=True, timeout=60)
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
        animals = con.execute(ANIMALS_SQL).fetchall()
        ended, location = fates(con.execute(EVENTS_SQL).fetchall())
        mult: dict[tuple[str, str], list[tuple[str, float]]] = {}
        for sid, role, cid, prob in con.execute(MULT_SQL):
            mult.setdefault((sid, role), []).append((cid, float(prob)))
    except sqlite3.Error as exc:
        raise DatabaseError(f"cannot read the database {path}: {exc}", "check that it is a studbook database") from None
    finally:
        con.close()
    return build_loaded(animals, ended, location, mult)
