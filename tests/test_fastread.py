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


def test_kinship_weights_fast_path_equals_the_session_path(sample_url):
    """The reproductive values behind the kinship value: the stdlib read of a SQLite book gives the
    same weights as the SQLAlchemy session (which PostgreSQL uses)."""
    from studbook.services.demography import kinship_weights, kinship_weights_for

    loaded = load_pedigree_sqlite(str(sqlite_path(sample_url))) if sample_url.startswith("sqlite") else None
    if loaded is None:
        pytest.skip("the fast path reads SQLite files only")
    ids = [loaded.pedigree.ids[int(i)] for i in loaded.pedigree.living]
    with session_scope(sample_url) as session:
        slow = kinship_weights(session, loaded.day, ids)
    fast = kinship_weights_for(sample_url, lambda: session_scope(sample_url), loaded.day, ids)
    assert slow.values is not None and fast.values == slow.values and fast.basis == slow.basis
    assert len(fast.values) == 300


def test_mean_kinship_on_sqlite_never_loads_sqlalchemy(sample_url):
    import subprocess
    import sys

    if not sample_url.startswith("sqlite"):
        pytest.skip("the fast path reads SQLite files only")
    code = ("import sys, contextlib, io\nfrom studbook.cli import main\n"
            "with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):\n"
            "    try:\n"
            f"        main(['--db', {str(sqlite_path(sample_url))!r}, 'genetics', 'mean-kinship'])\n"
            "    except SystemExit as e:\n        assert not e.code, e.code\n"
            "print('sqlalchemy' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False", out
