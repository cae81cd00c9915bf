"""The stdlib-sqlite3 fast path reads exactly what the SQLAlchemy path reads (more in test_read_path.py)."""

from __future__ import annotations

import pytest
from conftest import ok, run_cli
from test_read_path import add_release_site, same_loaded

from studbook.config import sqlite_path
from studbook.db import session_scope
from studbook.services.analysis import load_pedigree
from studbook.services.fastread import load_pedigree_sqlite

# The fast path reads SQLite files only (PostgreSQL always goes through SQLAlchemy): these
# tests run on SQLite whatever backends the suite is configured for.
sqlite_only = pytest.mark.parametrize("backend", ["sqlite"])


@sqlite_only
def test_fast_path_sees_events_and_flags(family_url):
    add_release_site(family_url)
    ok(family_url, "death", "1", "--date", "2020-01-01")
    ok(family_url, "animal", "update", "4", "--exclude")
    ok(family_url, "release", "3", "--date", "2019-05-01", "--to", "LAZOVSKY")
    with session_scope(family_url) as session:
        core = load_pedigree(session)
    fast = load_pedigree_sqlite(str(sqlite_path(family_url)))
    same_loaded(core, fast)
    assert not fast.info["1"].alive and fast.info["4"].flags["exclude_from_analysis"]
    assert fast.info["3"].alive and fast.info["3"].in_wild and fast.info["3"].location == "LAZOVSKY"
    ok(family_url, "capture", "3", "--date", "2020-01-01", "--at", "MOSCOW")
    fast = load_pedigree_sqlite(str(sqlite_path(family_url)))
    with session_scope(family_url) as session:
        same_loaded(load_pedigree(session), fast)
    assert fast.info["3"].alive and not fast.info["3"].in_wild and fast.info["3"].location == "MOSCOW"  # recaptured


@sqlite_only
def test_fast_path_refuses_old_schema(empty_url):
    from studbook import db

    db.upgrade(empty_url, "0001")
    r = run_cli(empty_url, "genetics", "inbreeding")
    assert r.exit_code == 3 and "studbook db upgrade" in r.stderr
