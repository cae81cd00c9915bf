"""The same limits on both databases: every value is checked before the database sees it, and --db paths are literal.

SQLite stores any length, any integer and NaN; PostgreSQL refuses what does not fit. Each rule has a refused
case (one clear line, nothing written, the same on both databases) and an accepted case at the limit.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from conftest import ROOT, run_cli, table_counts


def _refused(url, *args, fragment, code=1, user="tester"):
    before = table_counts(url)
    r = run_cli(url, *args, user=user)
    assert r.exit_code == code, (r.exit_code, r.stderr)
    assert fragment in r.stderr and "unexpected" not in r.stderr and "Traceback" not in r.stderr, r.stderr
    assert table_counts(url) == before
    return r


def test_capacity_beyond_32_bits(book_url):
    _refused(book_url, "institution", "add", "BIG", "--name", "Big Zoo", "--country", "DE",
             "--capacity-males", str(2**31), fragment="institution.capacity_males of BIG: 2147483648 is out of range")
    r = run_cli(book_url, "institution", "add", "BIG", "--name", "Big Zoo", "--country", "DE",
                "--capacity-males", str(2**31 - 1))
    assert r.exit_code == 0, r.stderr


def test_user_name_over_120_characters(book_url):
    _refused(book_url, "institution", "add", "U1", "--name", "U", "--country", "DE", user="u" * 121,
             fragment="the user name is 121 characters long (at most 120)")
    r = run_cli(book_url, "institution", "add", "U1", "--name", "U", "--country", "DE", user="u" * 120)
    assert r.exit_code == 0, r.stderr
    audit = json.loads(run_cli(book_url, "audit", "--limit", "1", "--format", "json").stdout)
    assert audit[0]["user"] == "u" * 120


def test_nul_and_long_text(book_url):
    _refused(book_url, "institution", "add", "NUL", "--name", "Zoo\x00x", "--country", "DE", fragment="NUL")
    _refused(book_url, "institution", "add", "LONG", "--name", "Z" * 5000, "--country", "DE",
             fragment="characters long (at most")
    r = run_cli(book_url, "institution", "add", "OK1", "--name", "Zoo with a plain name", "--country", "DE")
    assert r.exit_code == 0, r.stderr


@pytest.mark.parametrize("value", ["inf", "nan", "-inf"])
def test_non_finite_ages(book_url, value):
    r = _refused(book_url, "species", "set", "--longevity", value, fragment="longevity")
    assert "nan" in r.stderr.lower() or "inf" in r.stderr.lower() or "finite" in r.stderr.lower()


def test_finite_age_is_accepted(book_url):
    r = run_cli(book_url, "species", "set", "--longevity", "25.5")
    assert r.exit_code == 0, r.stderr


def test_plan_title_over_200(family_url):
    _refused(family_url, "recommend", "pairs", "--save", "--title", "T" * 201,
             fragment="plan.title: is 201 characters long (at most 200)")
    r = run_cli(family_url, "recommend", "pairs", "--save", "--title", "T" * 200)
    assert r.exit_code == 0, r.stderr


def test_bulk_import_is_checked_too(book_url, tmp_path):
    csv = tmp_path / "p.csv"
    csv.write_text("id,sire,dam,sex\nA1,,,M\n" + "X" * 70 + ",,,F\n")
    before = table_counts(book_url)
    r = run_cli(book_url, "import", "pedigree", str(csv))
    assert r.exit_code != 0 and "Traceback" not in r.stderr and "unexpected" not in r.stderr, r.stderr
    assert table_counts(book_url) == before


def test_value_checks_unit():
    from studbook.db import value_problem

    assert value_problem("int32", None, 2**31 - 1) is None
    assert value_problem("int32", None, -(2**31)) is None
    assert "out of range" in value_problem("int32", None, 2**31)
    assert value_problem("str", 3, "abc") is None and "at most 3" in value_problem("str", 3, "abcd")
    assert "NUL" in value_problem("str", None, "a\x00")
    assert value_problem("float", None, 1.5) is None and "finite" in value_problem("float", None, float("nan"))
    assert value_problem("json", None, {"a": [1, "b"]}) is None
    assert "NUL" in value_problem("json", None, {"a": ["\x00"]})
    assert "finite" in value_problem("json", None, {"a": float("inf")})


# --- --db paths are taken literally -------------------------------------------------------------

@pytest.mark.parametrize("name", ["zoo%41.db", "zoo#1.db", "zoo?mode=ro.db", "zoo 1.db"])
def test_db_path_is_literal(tmp_path, name):
    env = dict(os.environ, PYTHONPATH=str(ROOT), STUDBOOK_DB="")

    def cli(*args):
        return subprocess.run([sys.executable, str(ROOT / "cli.py"), "--db", name, *args], cwd=tmp_path, env=env,
                              capture_output=True, text=True, timeout=120)

    r = cli("init", "--sample")
    assert r.returncode == 0, r.stderr
    r = cli("genetics", "summary", "--format", "json")  # the read path opens the file by itself
    assert r.returncode == 0, r.stderr
    r = cli("animal", "list", "--format", "json")
    assert r.returncode == 0 and json.loads(r.stdout), r.stderr
    files = sorted(p.name for p in tmp_path.iterdir() if not p.name.endswith(("-wal", "-shm")))
    assert files == [name], files


def test_resolve_url_keeps_the_path():
    from studbook.config import resolve_url, sqlite_path, sqlite_uri

    url = resolve_url("/tmp/x/zoo%41#1.db")
    assert sqlite_path(url) == "/tmp/x/zoo%41#1.db"
    assert sqlite_uri("/tmp/x/zoo%41#1?.db") == "file:/tmp/x/zoo%2541%231%3F.db?mode=ro"
