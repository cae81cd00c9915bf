"""Shared fixtures: a fresh database on SQLite and (when configured) on PostgreSQL.

Set STUDBOOK_TEST_POSTGRES_URL (e.g. postgresql+psycopg://postgres@127.0.0.1:5432/postgres)
to run every database test on PostgreSQL too; .ci/run sets it.
"""

from __future__ import annotations

import contextlib
import io
import os
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))

PG_URL = os.environ.get("STUDBOOK_TEST_POSTGRES_URL")
BACKENDS = ["sqlite"] + (["postgres"] if PG_URL else [])


@dataclass
class Result:
    exit_code: int
    stdout: str
    stderr: str


def run_cli(url: str, *args: str, user: str = "tester") -> Result:
    """Run the CLI in-process exactly as `studbook --db URL ARGS` would."""
    from studbook.cli import main

    out, err = io.StringIO(), io.StringIO()
    code = 0
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            main(["--db", url, "--user", user, *args])
        except SystemExit as exc:
            code = int(exc.code or 0)
    return Result(code, out.getvalue(), err.getvalue())


def _pg_admin_url() -> str:
    assert PG_URL
    return PG_URL


@contextlib.contextmanager
def fresh_database(backend: str, tmp_path: Path) -> Iterator[str]:
    """A new, empty database URL (no schema)."""
    if backend == "sqlite":
        yield "sqlite:///" + str(tmp_path / f"sb-{uuid.uuid4().hex[:8]}.db")
        return
    with _pg_database() as url:
        yield url


@contextlib.contextmanager
def _pg_database(template: str | None = None) -> Iterator[str]:
    """Create a PostgreSQL database (optionally from a template database), drop it afterwards."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    admin = create_engine(_pg_admin_url(), isolation_level="AUTOCOMMIT")
    name = f"sbtest_{uuid.uuid4().hex[:12]}"
    suffix = f' TEMPLATE "{make_url(template).database}"' if template else ""
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"{suffix}'))
    url = make_url(_pg_admin_url()).set(database=name).render_as_string(hide_password=False)
    try:
        yield url
    finally:
        with contextlib.suppress(Exception):
            _dispose(url)
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


LEOPARD = ["--common-name", "Amur leopard", "--scientific-name", "Panthera pardus orientalis",
           "--gestation-min", "90", "--gestation-max", "105", "--min-age-male", "2", "--min-age-female", "2",
           "--max-age-male", "17", "--max-age-female", "16", "--longevity", "24"]


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def empty_url(backend: str, tmp_path: Path) -> Iterator[str]:
    """A database with no schema."""
    with fresh_database(backend, tmp_path) as url:
        yield url


def _setup_book(url: str) -> None:
    r = run_cli(url, "init")
    assert r.exit_code == 0, r.stderr
    r = run_cli(url, "species", "set", *LEOPARD)
    assert r.exit_code == 0, r.stderr
    for args in (
        ["LEIPZIG", "--name", "Zoo Leipzig", "--country", "DE", "--lat", "51.3485", "--lon", "12.3709", "--region", "EAZA"],
        ["TALLINN", "--name", "Tallinn Zoo", "--country", "EE", "--lat", "59.4250", "--lon", "24.6530", "--region", "EAZA"],
        ["MOSCOW", "--name", "Moscow Zoo", "--country", "RU", "--lat", "55.7610", "--lon", "37.5780", "--region", "EARAZA"],
        ["LAZOVSKY", "--name", "Lazovsky Zapovednik", "--country", "RU", "--lat", "43.2", "--lon", "133.9",
         "--kind", "release-site"],
        ["KEDROVAYA", "--name", "Kedrovaya Pad", "--country", "RU", "--kind", "wild-area"],
    ):
        r = run_cli(url, "institution", "add", *args)
        assert r.exit_code == 0, r.stderr


def _dispose(url: str) -> None:
    from studbook.db import make_engine

    make_engine(url).dispose()
    make_engine.cache_clear()


@pytest.fixture(scope="session")
def _book_templates(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """One prepared book per backend, copied for every test that asks for ``book_url``."""
    templates: dict[str, str] = {}
    stack = contextlib.ExitStack()
    with stack:
        for backend in BACKENDS:
            url = stack.enter_context(fresh_database(backend, tmp_path_factory.mktemp("tpl")))
            _setup_book(url)
            _dispose(url)
            templates[backend] = url
        yield templates


@contextlib.contextmanager
def copy_database(template: str, tmp_path: Path) -> Iterator[str]:
    """A throw-away copy of a prepared database (file copy on SQLite, CREATE DATABASE ... TEMPLATE on PostgreSQL)."""
    _dispose(template)
    if template.startswith("sqlite"):
        import shutil

        dst = tmp_path / f"copy-{uuid.uuid4().hex[:8]}.db"
        shutil.copyfile(template.removeprefix("sqlite:///"), dst)
        yield "sqlite:///" + str(dst)
        return
    with _pg_database(template) as url:
        yield url


@pytest.fixture
def book_url(backend: str, tmp_path: Path, _book_templates: dict[str, str]) -> Iterator[str]:
    """A migrated database with Amur leopard species parameters, three zoos (LEIPZIG, TALLINN, MOSCOW), a release
    site (LAZOVSKY) and a wild area without coordinates (KEDROVAYA) (a copy of a template)."""
    with copy_database(_book_templates[backend], tmp_path) as url:
        yield url


@pytest.fixture
def family_url(book_url: str) -> str:
    """Two wild founders at Leipzig (1: M, 2: F, captured 2010) and their litter 3 (M), 4 (F) born 2015-05-01."""
    for args in (
        ["--id", "1", "--sex", "M", "--birth-date", "~2008", "--at", "LEIPZIG", "--wild-born", "--capture-date", "2010-03"],
        ["--id", "2", "--sex", "F", "--birth-date", "~2008", "--at", "LEIPZIG", "--wild-born", "--capture-date", "2010-03"],
    ):
        r = run_cli(book_url, "animal", "add", *args)
        assert r.exit_code == 0, r.stderr
    r = run_cli(book_url, "birth", "--dam", "2", "--sire", "1", "--date", "2015-05-01", "--at", "LEIPZIG",
                "--cub", "M", "--cub", "F")
    assert r.exit_code == 0, r.stderr
    return book_url


def table_counts(url: str) -> dict[str, int]:
    """Row count of every table: used to prove that a refused command wrote nothing."""
    from sqlalchemy import create_engine, func, select

    from studbook.models import Base

    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return {t.name: conn.execute(select(func.count()).select_from(t)).scalar_one()
                    for t in Base.metadata.sorted_tables}
    finally:
        engine.dispose()


def assert_refused(url: str, args: list[str], *fragments: str, code: int = 1) -> Result:
    """The command fails cleanly: exit code, one Error line naming the problem, a Hint, no traceback, nothing written."""
    before = table_counts(url)
    r = run_cli(url, *args)
    assert r.exit_code == code, (r.exit_code, r.stdout, r.stderr)
    assert r.stderr.startswith("Error: "), r.stderr
    assert "Traceback" not in r.stderr + r.stdout
    first = r.stderr.splitlines()[0]
    for frag in fragments:
        assert frag in first, (frag, first)
    assert "\nHint: " in r.stderr, r.stderr
    assert table_counts(url) == before, "a refused command wrote to the database"
    return r


@pytest.fixture(scope="session", params=BACKENDS)
def sample_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The bundled sample studbook, loaded once per backend. READ-ONLY: tests must not write to it."""
    with fresh_database(str(request.param), tmp_path_factory.mktemp("sample")) as url:
        r = run_cli(url, "init", "--sample")
        assert r.exit_code == 0, r.stderr
        yield url


@pytest.fixture
def sample_copy_url(sample_url: str, tmp_path: Path) -> Iterator[str]:
    """A writable copy of the sample studbook."""
    with copy_database(sample_url, tmp_path) as url:
        yield url


def ok(url: str, *args: str) -> Result:
    """Run the CLI and require success."""
    r = run_cli(url, *args)
    assert r.exit_code == 0, r.stderr
    return r


def jout(url: str, *args: str) -> object:
    """Run a data command with --format json and parse its stdout."""
    import json

    return json.loads(ok(url, *args, "--format", "json").stdout)


def pytest_sessionstart(session: pytest.Session) -> None:
    """The reference pedigrees are required: a missing shared/ folder is an error, never a silent skip."""
    from pedigree_gallery import pedigree_dir

    if not pedigree_dir().is_dir():
        raise pytest.UsageError(
            f"the reference pedigrees are missing ({pedigree_dir()}): put shared/ next to the repository "
            "or set STUDBOOK_SHARED_DIR"
        )


def pytest_report_header(config: pytest.Config) -> str:
    if PG_URL:
        return f"database backends: sqlite, postgres ({PG_URL})"
    return ("database backends: SQLITE ONLY - STUDBOOK_TEST_POSTGRES_URL is not set, so every PostgreSQL test "
            "is left out (CI sets it)")


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:  # type: ignore[no-untyped-def]
    if not PG_URL:
        terminalreporter.write_sep("!", "PostgreSQL NOT TESTED: set STUDBOOK_TEST_POSTGRES_URL to run the "
                                        "database tests on PostgreSQL too", red=True, bold=True)
