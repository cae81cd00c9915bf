"""The stdlib-sqlite3 fast path reads exactly what the SQLAlchemy Core path reads."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import run_cli

from studbook.config import sqlite_path
from studbook.db import session_scope
from studbook.services.analysis import load_pedigree
from studbook.services.fastread import load_pedigree_sqlite

# The fast path reads SQLite files only (PostgreSQL always goes through Core): these
# tests run on SQLite whatever backends the suite is configured for.
sqlite_only = pytest.mark.parametrize("backend", ["sqlite"])


@pytest.fixture(scope="module")
def sqlite_sample(tmp_path_factory):
    url = "sqlite:///" + str(tmp_path_factory.mktemp("fast") / "sample.db")
    assert run_cli(url, "init", "--sample").exit_code == 0
    return url


def _same(a, b):
    pa, pb = a.pedigree, b.pedigree
    assert pa.ids == pb.ids
    for name in ("sire", "dam", "sex", "alive", "in_analysis", "sire_wild", "dam_wild"):
        assert np.array_equal(getattr(pa, name), getattr(pb, name)), name
    assert np.allclose(pa.birth_year, pb.birth_year, equal_nan=True)
    for name in ("sire_mult", "dam_mult"):
        for f in ("ptr", "cand", "prob"):
            assert np.array_equal(getattr(getattr(pa, name), f), getattr(getattr(pb, name), f))
    assert a.info == b.info


def test_fast_path_equals_core_path_on_the_sample(sqlite_sample):
    with session_scope(sqlite_sample) as session:
        core = load_pedigree(session)
    _same(core, load_pedigree_sqlite(sqlite_path(sqlite_sample)))
    assert len(core.pedigree.living) > 250


@sqlite_only
def test_fast_path_sees_events_and_flags(family_url):
    assert run_cli(family_url, "death", "1", "--date", "2020-01-01").exit_code == 0
    assert run_cli(family_url, "animal", "update", "4", "--exclude").exit_code == 0
    assert run_cli(family_url, "release", "3", "--date", "2019-05-01", "--site", "Lazovsky").exit_code == 0
    assert run_cli(family_url, "capture", "3", "--date", "2020-01-01", "--at", "MOSCOW").exit_code == 0
    with session_scope(family_url) as session:
        core = load_pedigree(session)
    fast = load_pedigree_sqlite(sqlite_path(family_url))
    _same(core, fast)
    assert not fast.info["1"].alive and fast.info["4"].flags["exclude_from_analysis"]
    assert fast.info["3"].alive and fast.info["3"].location == "MOSCOW"  # recaptured after its release


@sqlite_only
def test_fast_path_refuses_old_schema(empty_url):
    from studbook import db

    db.upgrade(empty_url, "0001")
    r = run_cli(empty_url, "genetics", "inbreeding")
    assert r.exit_code == 3 and "studbook db upgrade" in r.stderr
