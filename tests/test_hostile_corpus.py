"""The hostile-input corpus (issue 13 item 4): every file-reading command and text option against
damaged, hostile and absurd input.

Each case asserts: the exit code, one ``Error:`` line, the specific message fragment (what, which
record, why), a ``Hint:``, no traceback, no ``unexpected``, and a canonical dump of every table
identical before and after, on SQLite and (with STUDBOOK_TEST_POSTGRES_URL) PostgreSQL.

The small files are committed in ``tests/data/hostile/`` (see its README); the big ones (a 1M-column
row, a ~200 MB file, a field over 128 KiB, JSON nested 100,000 deep) are generated here in tmp
folders, and run on SQLite only: the reader refuses them before the database is touched. Non-regular
files (a FIFO, ``/dev/zero``, a folder) must be refused before they are opened; the big ones are
read (if at all) under ``tracemalloc``, which must stay below 200 MB.

The databases are module-scoped: a refused command writes nothing, so the same empty database and
the same small book serve every refusal case (and the dump check proves it stayed so).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import BACKENDS, Result, _dispose, fresh_database, run_cli

HOSTILE = Path(__file__).resolve().parent / "data" / "hostile"
BOOK = HOSTILE / "book"
SPARKS = HOSTILE / "sparks"
CONFIG = HOSTILE / "config"
PEDIGREE = HOSTILE / "pedigree"


# --- the canonical dump --------------------------------------------------------------------------------------


_REFLECTED: dict[str, tuple[object, list[object]]] = {}  # url -> (engine, tables): reflected once per database


def canonical_dump(url: str) -> dict[str, list[tuple[str, ...]]]:
    """Every table of the database (reflected, alembic_version included), its rows as text, sorted."""
    from sqlalchemy import MetaData, create_engine, select
    from sqlalchemy.pool import NullPool

    if url not in _REFLECTED:
        engine = create_engine(url, poolclass=NullPool)
        meta = MetaData()
        with engine.connect() as conn:
            meta.reflect(conn)
        _REFLECTED[url] = (engine, sorted(meta.tables.values(), key=lambda t: t.name))
    engine, tables = _REFLECTED[url]
    with engine.connect() as conn:  # type: ignore[attr-defined]
        return {t.name: sorted(tuple(repr(v) for v in row) for row in conn.execute(select(t)))  # type: ignore[attr-defined]
                for t in tables}


def refused(url: str, args: list[str], fragment: str, *, code: int = 1, user: str = "tester") -> Result:
    """The command is refused cleanly and the database is unchanged (canonical dump)."""
    _dispose(url)
    before = canonical_dump(url)
    r = run_cli(url, *args, user=user)
    out = r.stdout + r.stderr
    assert r.exit_code == code, (r.exit_code, out)
    assert "Traceback" not in out and "unexpected" not in out, out
    errors = [ln for ln in r.stderr.splitlines() if ln.startswith("Error: ")]
    assert len(errors) == 1, r.stderr
    assert fragment in r.stderr, (fragment, r.stderr)
    # our errors end with a Hint; click's usage errors (exit 2) with "Try 'studbook ... --help'"
    assert "\nHint: " in r.stderr or (code == 2 and "Try 'studbook " in r.stderr), r.stderr
    _dispose(url)
    assert canonical_dump(url) == before, "a refused command changed the database"
    return r


# --- databases -----------------------------------------------------------------------------------------------


@pytest.fixture(scope="module", params=BACKENDS)
def db_backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="module")
def empty_db(db_backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A migrated database without animals (what init --from-folder, import pedigree/sparks load into)."""
    with fresh_database(db_backend, tmp_path_factory.mktemp("empty")) as url:
        assert run_cli(url, "init").exit_code == 0
        _dispose(url)
        yield url
        _dispose(url)


@pytest.fixture(scope="module")
def sqlite_empty_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """An empty migrated SQLite database, for the big generated inputs: they are refused by the reader before
    the database is touched, so one backend is enough (and keeps the module fast)."""
    with fresh_database("sqlite", tmp_path_factory.mktemp("empty-sqlite")) as url:
        assert run_cli(url, "init").exit_code == 0
        _dispose(url)
        yield url
        _dispose(url)


@pytest.fixture(scope="module")
def book_db(db_backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The corpus' small valid book (tests/data/hostile/book), for the options that read files."""
    with fresh_database(db_backend, tmp_path_factory.mktemp("book")) as url:
        r = run_cli(url, "init", "--from-folder", str(BOOK))
        assert r.exit_code == 0, r.stderr
        _dispose(url)
        yield url
        _dispose(url)


@contextlib.contextmanager
def fresh_db(backend: str, tmp_path: Path) -> Iterator[str]:
    with fresh_database(backend, tmp_path) as url:
        yield url
        _dispose(url)


def folder_with(tmp_path: Path, name: str, source: Path | None = None) -> Path:
    """The valid book folder with *name* replaced by *source* (a corpus file) or left for the caller."""
    d = tmp_path / "book"
    if not d.exists():
        shutil.copytree(BOOK, d)
    if source is not None:
        (d / name).unlink()
        shutil.copyfile(source, d / name)
    return d


# --- init --from-folder ---------------------------------------------------------------------------------------

FOLDER_CASES = [
    # (case folder in folder/, file it replaces, fragment)
    ("utf16", "animals.csv", "animals.csv is UTF-16 text, not UTF-8"),
    ("cp1252", "animals.csv", "animals.csv is not UTF-8 text (byte 0xe4; Windows cp1252"),
    ("nul_byte", "animals.csv", "animal 1: house name contains a control character (U+0000 at position 3)"),
    ("missing_column", "animals.csv", "animals.csv has no column 'birth_date'"),
    ("ragged_row", "animals.csv", "animals.csv line 4: the row has 15 cells but the header names 14 columns"),
    ("header_only", "animals.csv", "events.csv line 2: animal 1 is not in animals.csv; this event was not loaded"),
    ("empty_file", "events.csv", "events.csv has no column 'studbook_id', 'event', 'date' (its header: empty)"),
    ("latitude_abc", "institutions.csv", "institution MOSCOW: latitude 'abc' is not a number"),
    ("latitude_nan", "institutions.csv", "institution MOSCOW: latitude 'nan' is not a number"),
    ("latitude_inf", "institutions.csv", "institution MOSCOW: latitude 'inf' is outside -90..90"),
    ("latitude_huge", "institutions.csv", "institution MOSCOW: latitude '1e308' is outside -90..90"),
    ("longitude_minus_inf", "institutions.csv", "institution MOSCOW: longitude '-inf' is outside -180..180"),
    ("capacity_text", "institutions.csv", "institution MOSCOW: capacity males 'six' is not a whole number"),
    ("mult_probability_abc", "mult_parents.csv", "probability 'abc' is not a number above 0 and at most 1"),
    ("mult_probability_zero", "mult_parents.csv", "probability '0' is not a number above 0 and at most 1"),
    ("mult_probability_nan", "mult_parents.csv", "probability 'NaN' is not a number above 0 and at most 1"),
    ("mult_probability_above_1", "mult_parents.csv", "probability '1.5' is not a number above 0 and at most 1"),
    ("mult_sum_not_1", "mult_parents.csv", "P10"),
    ("species_invalid_json", "species.json", "species.json is not valid JSON"),
    ("species_not_object", "species.json", "species.json must hold one JSON object"),
    ("species_utf16", "species.json", "species.json is UTF-16 text, not UTF-8"),
    ("species_nan", "species.json", "longevity_years"),
    ("species_huge_number", "species.json", "longevity_years"),
    ("species_text_number", "species.json", "longevity_years"),
    ("species_unknown_key", "species.json", "unknown key 'comon_name'"),
    ("date_31_february", "animals.csv", "animal 3: birth date '2015-02-31' is not a real calendar date"),
    ("date_year_0", "animals.csv", "animal 2: birth date '0000' is not a real calendar date (there is no year 0)"),
    ("date_year_99999", "animals.csv", "animal 2: birth date '99999' is not a date"),
    ("date_estimate_0001", "animals.csv", "animal 1: birth date '~0001' is an estimate too close to the ends"),
    ("date_estimate_9999_12_31", "animals.csv", "birth date '~9999-12-31' is an estimate too close to the ends"),
    ("event_date_estimate_9999", "events.csv", "'~9999' is an estimate too close to the ends of the calendar"),
    ("cycle", "animals.csv", "P05"),
    ("self_parent", "animals.csv", "P05"),
    ("control_character_name", "animals.csv", "animal 1: house name contains a control character (U+001B"),
    ("control_character_id", "animals.csv", "animals.csv line 2: studbook ID '1\\u0007' is not valid: U+0007"),
    ("sql_injection_id", "animals.csv", "is not valid: U+0027"),
    ("sql_injection_institution", "institutions.csv", "is not a mnemonic of 1-9 letters/digits"),
    ("unclosed_quote", "events.csv", "events.csv line 5: animal 4: event 'transfer,2017-01-10"),
]


@pytest.mark.parametrize(("case", "name", "fragment"), FOLDER_CASES, ids=[c[0] for c in FOLDER_CASES])
def test_book_folder_refuses(empty_db: str, tmp_path: Path, case: str, name: str, fragment: str) -> None:
    folder = folder_with(tmp_path, name, HOSTILE / "folder" / case / name)
    r = refused(empty_db, ["init", "--from-folder", str(folder)], fragment)
    assert "nothing was loaded" in r.stderr


def _big_field(tmp_path: Path) -> Path:
    folder = folder_with(tmp_path, "animals.csv")
    text = (folder / "animals.csv").read_text()
    (folder / "animals.csv").write_text(text.replace("caught", "x" * 200_000, 1))  # a field over 128 KiB
    return folder


def _wide_row(tmp_path: Path) -> Path:
    folder = folder_with(tmp_path, "animals.csv")
    with (folder / "animals.csv").open("a") as fh:
        fh.write("5" + "," * 1_000_000 + "\n")  # a row of 1,000,001 cells
    return folder


def _wide_header(tmp_path: Path) -> Path:
    folder = folder_with(tmp_path, "institutions.csv")
    (folder / "institutions.csv").write_text("code,name" + "".join(f",c{i}" for i in range(1_000_000)) + "\n")
    return folder


def _fifo(tmp_path: Path) -> Path:
    folder = folder_with(tmp_path, "events.csv")
    (folder / "events.csv").unlink()
    os.mkfifo(folder / "events.csv")
    return folder


def _dev_zero(tmp_path: Path) -> Path:
    folder = folder_with(tmp_path, "animals.csv")
    (folder / "animals.csv").unlink()
    (folder / "animals.csv").symlink_to("/dev/zero")
    return folder


def _nested_species(tmp_path: Path) -> Path:
    folder = folder_with(tmp_path, "species.json")
    (folder / "species.json").write_text('{"a":' * 100_000 + "1" + "}" * 100_000)
    return folder


def _species_folder(tmp_path: Path) -> Path:
    folder = folder_with(tmp_path, "species.json")
    (folder / "species.json").unlink()
    (folder / "species.json").mkdir()
    return folder


GENERATED_FOLDER_CASES = [
    (_big_field, "animals.csv cannot be read as CSV: field larger than field limit (131072)"),
    (_wide_row, "animals.csv line 6: the row has 1000001 cells but the header names 14 columns"),
    (_wide_header, "institutions.csv has 1000002 columns, more than the limit of 1000"),
    (_fifo, "events.csv is a FIFO (named pipe), not a regular file"),
    (_dev_zero, "animals.csv is a device, not a regular file"),
    (_nested_species, "species.json is nested too deeply to be read"),
    (_species_folder, "species.json is a folder, not a file"),
]


@pytest.mark.parametrize(("make", "fragment"), GENERATED_FOLDER_CASES, ids=[m.__name__[1:] for m, _ in
                                                                             GENERATED_FOLDER_CASES])
def test_book_folder_refuses_generated(sqlite_empty_db: str, tmp_path: Path, make, fragment: str) -> None:  # type: ignore[no-untyped-def]
    folder = make(tmp_path)
    tracemalloc.start()
    try:
        refused(sqlite_empty_db, ["init", "--from-folder", str(folder)], fragment)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 200 * 2**20, f"{peak / 2**20:.0f} MB allocated"


def test_book_folder_missing_folder(empty_db: str, tmp_path: Path) -> None:
    refused(empty_db, ["init", "--from-folder", str(tmp_path / "no-such-folder")], "no-such-folder' does not exist",
            code=2)


def test_book_folder_missing_file(empty_db: str, tmp_path: Path) -> None:
    folder = folder_with(tmp_path, "events.csv")
    (folder / "events.csv").unlink()
    refused(empty_db, ["init", "--from-folder", str(folder)], f"events.csv is missing from {folder}")


# --- accepted as text, escaped on export ----------------------------------------------------------------------


def test_bom_is_accepted(db_backend: str, tmp_path: Path) -> None:
    folder = folder_with(tmp_path, "animals.csv", HOSTILE / "folder" / "bom" / "animals.csv")
    with fresh_db(db_backend, tmp_path) as url:
        r = run_cli(url, "init", "--from-folder", str(folder))
        assert r.exit_code == 0, r.stderr
        assert "Loaded 4 animals" in r.stderr + r.stdout


def test_formula_and_sql_text_is_stored_as_text_and_escaped_on_export(db_backend: str, tmp_path: Path) -> None:
    """Formula-injection text loads as text; CSV and XLSX exports neutralise it; SQL-looking text is only text."""
    import openpyxl

    folder = folder_with(tmp_path, "animals.csv", HOSTILE / "folder" / "formula_text" / "animals.csv")
    with fresh_db(db_backend, tmp_path) as url:
        r = run_cli(url, "init", "--from-folder", str(folder))
        assert r.exit_code == 0, r.stderr
        evil = '=HYPERLINK("http://evil.example","x")'
        out = run_cli(url, "animal", "list", "--status", "all", "--format", "csv").stdout
        assert f"'{evil}" in out.replace('""', '"') and f",{evil}" not in out.replace('""', '"')
        assert run_cli(url, "export", "xlsx", str(tmp_path / "book.xlsx")).exit_code == 0
        wb = openpyxl.load_workbook(tmp_path / "book.xlsx")
        cells = [c.value for ws in wb.worksheets for row in ws.iter_rows() for c in row if isinstance(c.value, str)]
        assert f"'{evil}" in cells and evil not in cells
        assert not any(c.startswith(("=", "+", "@")) for c in cells)
        tables = set(canonical_dump(url))
    sql = folder_with(tmp_path / "sql", "animals.csv", HOSTILE / "folder" / "sql_injection_text" / "animals.csv")
    with fresh_db(db_backend, tmp_path / "sql") as url:
        assert run_cli(url, "init", "--from-folder", str(sql)).exit_code == 0
        shown = run_cli(url, "animal", "show", "1", "--format", "json").stdout
        assert "x'); DROP TABLE animal;--" in shown
        assert set(canonical_dump(url)) == tables  # every table still there


# --- import pedigree ------------------------------------------------------------------------------------------

PEDIGREE_CASES = [
    ("nul_byte.csv", "line 3: contains a NUL byte"),
    ("utf16.csv", "line 1: file is UTF-16 (or UTF-32), not UTF-8"),
    ("cp1252.csv", "line 3: is not valid UTF-8 (byte 0xe4"),
    ("ragged_row.csv", "line 3: has 5 fields, the header has 4"),
    ("missing_column.csv", "missing required column 'dam'"),
    ("header_only.csv", "line 2: the file has a header but no animals"),
    ("empty.csv", "line 1: file is empty"),
    ("cycle.csv", "is its own ancestor"),
    ("self_parent.csv", "animal A: is its own sire"),
    ("date_31_february.csv", "animal A: invalid birth_date '2015-02-31' is not a real calendar date"),
    ("date_year_0.csv", "there is no year 0"),
    ("date_year_99999.csv", "animal A: invalid birth_date '99999' is not a date"),
    ("date_estimate_0001.csv", "birth_date '~0001' is an estimate too close to the ends of the calendar"),
    ("date_estimate_9999_12_31.csv", "birth_date '~9999-12-31' is an estimate too close to the ends"),
    ("control_character_id.csv", "contains a control character"),
    ("unclosed_quote.csv", "line 2: has 1 fields, the header has 4 (row starts 'A,,,M\\nB,,,F')"),
]


@pytest.mark.parametrize(("name", "fragment"), PEDIGREE_CASES, ids=[c[0] for c in PEDIGREE_CASES])
def test_import_pedigree_refuses(empty_db: str, name: str, fragment: str) -> None:
    refused(empty_db, ["import", "pedigree", str(PEDIGREE / name)], fragment)


def _ped_wide_header(tmp_path: Path) -> Path:
    p = tmp_path / "wide.csv"
    p.write_text("id,sire,dam,sex" + "".join(f",c{i}" for i in range(1_000_000)) + "\n")
    return p


def _ped_many_columns(tmp_path: Path) -> Path:
    p = tmp_path / "many.csv"
    p.write_text("id,sire,dam,sex" + "".join(f",c{i}" for i in range(5000)) + "\n")
    return p


def _ped_wide_row(tmp_path: Path) -> Path:
    p = tmp_path / "wide-row.csv"
    p.write_text("id,sire,dam,sex\nA,,,M" + "," * 1_000_000 + "\n")
    return p


def _ped_long_line(tmp_path: Path) -> Path:
    p = tmp_path / "no-line-ends.csv"
    p.write_text("id,sire,dam,sex\n" + "A,,,M " * 400_000)  # 2.4 MB on one line
    return p


def _ped_big_field(tmp_path: Path) -> Path:
    p = tmp_path / "big-field.csv"
    p.write_text("id,sire,dam,sex\n" + "X" * 200_000 + ",,,M\n")
    return p


def _ped_fifo(tmp_path: Path) -> Path:
    os.mkfifo(tmp_path / "fifo.csv")
    return tmp_path / "fifo.csv"


GENERATED_PEDIGREE_CASES = [
    (_ped_wide_header, "line 1: is longer than 1024 KiB"),
    (_ped_many_columns, "the header has 5004 columns, more than the limit of 1000"),
    (_ped_wide_row, "line 2: has 1000004 fields, the header has 4"),
    (_ped_long_line, "line 2: is longer than 1024 KiB"),
    (_ped_big_field, "cannot be read as CSV (field larger than field limit"),
    (_ped_fifo, "is a FIFO (named pipe), not a regular file"),
    (lambda tmp_path: Path("/dev/zero"), "the pedigree file /dev/zero is a device, not a regular file"),
    (lambda tmp_path: tmp_path / "missing.csv", "missing.csv: no such file"),
]


@pytest.mark.parametrize(("make", "fragment"), GENERATED_PEDIGREE_CASES,
                         ids=["wide_header", "many_columns", "wide_row", "no_line_ends", "big_field", "fifo", "dev_zero", "missing"])
def test_import_pedigree_refuses_generated(sqlite_empty_db: str, tmp_path: Path, make, fragment: str) -> None:  # type: ignore[no-untyped-def]
    path = make(tmp_path)
    tracemalloc.start()
    try:
        refused(sqlite_empty_db, ["import", "pedigree", str(path)], fragment)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 200 * 2**20, f"{peak / 2**20:.0f} MB allocated"


def test_import_pedigree_bom_is_accepted(db_backend: str, tmp_path: Path) -> None:
    with fresh_db(db_backend, tmp_path) as url:
        r = run_cli(url, "import", "pedigree", str(PEDIGREE / "bom.csv"))
        assert r.exit_code == 0, r.stderr
        assert "Imported 3 animals" in r.stderr


def test_import_pedigree_formula_id_is_escaped_on_export(db_backend: str, tmp_path: Path) -> None:
    """A pedigree file may hold any ID ('=1+1' included: herdbook IDs are free text); every spreadsheet output
    neutralises it."""
    import openpyxl

    with fresh_db(db_backend, tmp_path) as url:
        r = run_cli(url, "import", "pedigree", str(PEDIGREE / "formula_text.csv"))
        assert r.exit_code == 0, r.stderr
        out = run_cli(url, "animal", "list", "--status", "all", "--format", "csv").stdout
        assert "\n'=1+1," in out and "\n=1+1" not in out
        assert run_cli(url, "genetics", "inbreeding", "--format", "csv").stdout.splitlines()[1].startswith("'=1+1,")
        assert run_cli(url, "export", "pedigree", str(tmp_path / "ped.csv")).exit_code == 0
        assert (tmp_path / "ped.csv").read_text().splitlines()[1].startswith("'=1+1,")
        assert run_cli(url, "export", "xlsx", str(tmp_path / "ped.xlsx")).exit_code == 0
        cells = [c.value for ws in openpyxl.load_workbook(tmp_path / "ped.xlsx").worksheets
                 for row in ws.iter_rows() for c in row if isinstance(c.value, str)]
        assert "'=1+1" in cells and "=1+1" not in cells


# --- a ~200 MB file: refused before a byte is read, on every reader (SQLite only: it is the same code) ----------


@pytest.fixture(scope="session")
def file_200mb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("big") / "big.csv"
    row = b"A0000000,,,M\n"
    chunk = b"id,sire,dam,sex\n" + row * (8 * 2**20 // len(row))
    with path.open("wb") as fh:
        while fh.tell() < 201_000_000:
            fh.write(chunk)
    return path


@pytest.mark.parametrize("reader", ["import pedigree", "init --from-folder", "import sparks", "species file",
                                    "ids file", "permits"])
def test_200mb_file_refused_early(tmp_path: Path, file_200mb: Path, reader: str) -> None:
    with fresh_db("sqlite", tmp_path) as url:
        assert run_cli(url, "init", *([] if reader == "init --from-folder" else ["--from-folder", str(BOOK)])
                       ).exit_code == 0
        if reader == "import pedigree":
            args, fragment = ["import", "pedigree", str(file_200mb)], "more than the limit of 190 MB"
        elif reader == "init --from-folder":
            folder = folder_with(tmp_path, "events.csv")
            (folder / "events.csv").unlink()
            (folder / "events.csv").symlink_to(file_200mb)
            args, fragment = ["init", "--from-folder", str(folder)], "more than the limit of 100 MB"
        elif reader == "import sparks":
            args, fragment = ["import", "sparks", str(file_200mb), str(file_200mb)], "(the limit is 64 MB)"
        elif reader == "species file":
            args = ["import", "sparks", str(SPARKS / "exchange_missing_column.csv"), str(file_200mb),
                    "--species-file", str(file_200mb)]
            fragment = "more than the limit of 4.0 MB"
        elif reader == "ids file":
            args, fragment = ["genetics", "kinship", "--ids-file", str(file_200mb)], "more than the limit of 4.0 MB"
        else:
            args, fragment = ["recommend", "pairs", "--permits", str(file_200mb)], "more than the limit of 4.0 MB"
        tracemalloc.start()
        try:
            refused(url, args, fragment)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        assert peak < 100 * 2**20, f"{peak / 2**20:.0f} MB allocated"


# --- import sparks --------------------------------------------------------------------------------------------

SPARKS_CASES = [
    (["exchange_utf16.csv", "exchange_utf16.csv"], [], "exchange_utf16.csv: the file is UTF-16 text, not UTF-8"),
    (["exchange_cp1252.csv", "exchange_cp1252.csv"], [], "the file is not UTF-8 (byte 0xdc"),
    (["exchange_missing_column.csv", "exchange_missing_column.csv"], [], "this is not a SPARKS exchange table"),
    (["exchange_nul.csv", "exchange_nul.csv"], [], "exchange_nul.csv: line 2 contains a NUL byte"),
    (["not_dbase.dbf", "not_dbase.dbf"], [], "not a dBase (.dbf) file"),
    (["exchange_missing_column.csv", "exchange_missing_column.csv"], ["--species-file", "species_invalid.json"],
     "is not valid JSON"),
    (["exchange_missing_column.csv", "exchange_missing_column.csv"], ["--species-file", "species_not_object.json"],
     "must hold one JSON object"),
    (["exchange_missing_column.csv", "exchange_missing_column.csv"], ["--mult", "mult_utf16.csv"],
     "the MULT file"),
    (["exchange_missing_column.csv", "exchange_missing_column.csv"], ["--mult", "mult_bad_header.csv"],
     "the header must be studbook_id,role,candidate,probability"),
]


@pytest.mark.parametrize(("tables", "options", "fragment"), SPARKS_CASES,
                         ids=[f"{c[0][0]}{'-' + c[1][1] if c[1] else ''}" for c in SPARKS_CASES])
def test_import_sparks_refuses(empty_db: str, tables: list[str], options: list[str], fragment: str) -> None:
    opts = [o if o.startswith("--") else str(SPARKS / o) for o in options]
    refused(empty_db, ["import", "sparks", *(str(SPARKS / t) for t in tables), *opts], fragment)


@pytest.mark.parametrize("where", ["exchange", "moves", "--species-file", "--mult"])
@pytest.mark.parametrize("special", ["fifo", "dev_zero", "folder"])
def test_import_sparks_refuses_non_regular_files(empty_db: str, tmp_path: Path, where: str, special: str) -> None:
    if special == "fifo":
        os.mkfifo(tmp_path / "pipe.csv")
        path, fragment = str(tmp_path / "pipe.csv"), "is a FIFO (named pipe), not a regular file"
    elif special == "dev_zero":
        path, fragment = "/dev/zero", "/dev/zero is a device, not a regular file"
    else:
        path, fragment = str(tmp_path), "is a folder, not a file"
    good = str(SPARKS / "exchange_missing_column.csv")
    tables = [path, good] if where == "exchange" else [good, path] if where == "moves" else [good, good]
    options = [where, path] if where.startswith("--") else []
    code = 2 if special == "folder" else 1  # click refuses a folder for a file argument (usage error)
    if code == 2:
        fragment = "is a directory"
    refused(empty_db, ["import", "sparks", *tables, *options], fragment, code=code)


def test_import_sparks_nested_species(empty_db: str, tmp_path: Path) -> None:
    (tmp_path / "species.json").write_text("[" * 100_000 + "]" * 100_000)
    good = str(SPARKS / "exchange_missing_column.csv")
    refused(empty_db, ["import", "sparks", good, good, "--species-file", str(tmp_path / "species.json")],
            "is nested too deeply to be read")


# --- options that read files: --msi-config, --permits, --ids-file ----------------------------------------------

OPTION_FILE_CASES = [
    (["recommend", "pair-table", "--msi-config"], "msi_invalid.json", "is not valid JSON"),
    (["recommend", "pair-table", "--msi-config"], "msi_not_object.json", "must hold one table (a JSON object)"),
    (["recommend", "pair-table", "--msi-config"], "msi_nan.json", "MSI setting inbreeding_six is not a finite number"),
    (["recommend", "pair-table", "--msi-config"], "msi_text_value.json", "MSI setting inbreeding_six is not a number"),
    (["recommend", "pair-table", "--msi-config"], "msi_invalid.toml", "is not valid"),
    (["recommend", "pairs", "--permits"], "permits_utf16.toml", "is UTF-16 text, not UTF-8"),
    (["recommend", "transfers", "--permits"], "permits_not_table.json", "is not a table"),
    (["recommend", "pairs", "--permits"], "permits_one_region.json", "must name two regions or countries"),
    (["genetics", "kinship", "--ids-file"], "ids_cp1252.txt", "line 2: is not valid UTF-8 (byte 0xe4"),
    (["genetics", "kinship", "--ids-file"], "ids_nul.txt", "line 2: contains a NUL byte"),
]


@pytest.mark.parametrize(("args", "name", "fragment"), OPTION_FILE_CASES, ids=[c[1] for c in OPTION_FILE_CASES])
def test_option_files_refused(book_db: str, args: list[str], name: str, fragment: str) -> None:
    refused(book_db, [*args, str(CONFIG / name)], fragment)


@pytest.mark.parametrize("option", [["recommend", "pair-table", "--msi-config"], ["recommend", "pairs", "--permits"],
                                    ["genetics", "kinship", "--ids-file"]], ids=["msi-config", "permits", "ids-file"])
@pytest.mark.parametrize("special", ["fifo", "dev_zero", "nested"])
def test_option_files_special(book_db: str, tmp_path: Path, option: list[str], special: str) -> None:
    if special == "fifo":
        os.mkfifo(tmp_path / "pipe.json")
        path, fragment = tmp_path / "pipe.json", "is a FIFO (named pipe), not a regular file"
    elif special == "dev_zero":
        path, fragment = Path("/dev/zero"), "/dev/zero is a device, not a regular file"
    else:
        path = tmp_path / "nested.json"
        path.write_text("[" * 100_000 + "]" * 100_000)
        fragment = "nested too deeply" if option[-1] != "--ids-file" else "line 1: '[[[[[[[[[[[[[[[[[[[['... is 200000"
    refused(book_db, [*option, str(path)], fragment)


# --- text options: SQL injection, control characters, invalid UTF-8 --------------------------------------------

TEXT_OPTION_CASES = [
    (["animal", "show", "1' OR '1'='1"], "no animal with studbook ID \"1' OR '1'='1\""),
    (["animal", "add", "--id", "9'; DROP TABLE animal;--", "--sex", "M", "--birth-date", "2010", "--at", "MOSCOW",
      "--wild-born", "--capture-date", "2011"], "is not valid: U+0027"),
    (["institution", "add", "X');DROP", "--name", "x"], "institution code \"X');DROP\" is not a mnemonic"),
    (["animal", "update", "3", "--notes", "a\x1b[2Jb"], "animal 3: notes contains a control character (U+001B"),
    (["animal", "update", "3", "--name", "a\x07b"], "animal 3: house name contains a control character (U+0007"),
    (["animal", "update", "3", "--name", "a\u202eb"], "invisible formatting character (U+202E"),
    (["institution", "add", "NEWZOO", "--name", "Zoo\x00"], "institution NEWZOO: name contains a control character"),
    (["death", "3", "--date", "2020-01-01", "--cause", "a\rb"], "animal 3: cause contains a control character"),
    (["animal", "update", "3", "--name", "x" * 200_000], "animal 3: house name is 200000 characters long"),
    (["animal", "find", "\udcff\udcfe"], "is not valid UTF-8 (byte 0xff)"),
    (["animal", "show", "\udcff"], "is not valid UTF-8 (byte 0xff)"),
    (["animal", "update", "3", "--name", "a\udcffb"], "is not valid UTF-8 (byte 0xff)"),
    (["institution", "add", "NEWZOO", "--name", "x", "--lat", "nan", "--lon", "1"], "latitude nan is outside"),
    (["institution", "add", "NEWZOO", "--name", "x", "--lat", "inf", "--lon", "1"], "latitude inf is outside"),
    (["institution", "add", "NEWZOO", "--name", "x", "--lat", "1e308", "--lon", "1"], "latitude 1e+308 is outside"),
    (["death", "3", "--date", "2020-02-31"], "death date '2020-02-31' is not a real calendar date"),
    (["death", "3", "--date", "0000"], "there is no year 0"),
    (["death", "3", "--date", "99999"], "death date '99999' is not a date"),
    (["death", "3", "--date", "~0001"], "death date '~0001' is an estimate too close to the ends of the calendar"),
    (["death", "3", "--date", "~9999-12-31"], "'~9999-12-31' is an estimate too close to the ends of the calendar"),
    (["animal", "list", "--as-of", "~0001"], "--as-of '~0001' is an estimate too close"),
    (["birth", "--dam", "2", "--sire", "1:abc", "--sire", "3:0.5", "--date", "2020-01-01", "--at", "MOSCOW",
      "--cub", "M"], "probability 'abc' is not a number"),
    (["birth", "--dam", "2", "--sire", "1:nan", "--sire", "3:nan", "--date", "2020-01-01", "--at", "MOSCOW",
      "--cub", "M"], "probability nan must be above 0 and at most 1 [rule P10]"),
    (["birth", "--dam", "2", "--sire", "1:inf", "--date", "2020-01-01", "--at", "MOSCOW", "--cub", "M"],
     "probability inf must be above 0 and at most 1"),
    (["genetics", "gene-drop", "--iterations", "1000000000"], "--iterations 1000000000 is more than the limit"),
    (["genetics", "founders", "--iterations", "99999999999999999999999"], "is more than the limit of 1,000,000"),
    (["genetics", "gene-drop", "--iterations", "0"], "--iterations 0 must be at least 1"),
]


@pytest.mark.parametrize(("args", "fragment"), TEXT_OPTION_CASES, ids=[f"{i}-{' '.join(c[0][:2])}" for i, c in
                                                                      enumerate(TEXT_OPTION_CASES)])
def test_text_options_refused(book_db: str, args: list[str], fragment: str) -> None:
    refused(book_db, args, fragment)


PARSED_OPTION_CASES = [
    (["animal", "update", "1", "--sire", "3", "--reason", "x"], "animal 1: the animal would be its own ancestor", 1),
    (["animal", "update", "3", "--sire", "3", "--reason", "x"], "animal 3: the animal is given as its own parent", 1),
    (["animal", "add", "--id", "5", "--sex", "M", "--birth-date", "2016", "--at", "MOSCOW", "--sire", "5", "--dam",
      "2"], "no animal with studbook ID '5'", 1),
    (["institution", "add", "NEWZOO", "--name", "x", "--lat", "abc", "--lon", "1"], "'abc' is not a valid float", 2),
    (["genetics", "gene-drop", "--iterations", "abc"], "'abc' is not a valid integer", 2),
]


@pytest.mark.parametrize(("args", "fragment", "code"), PARSED_OPTION_CASES,
                         ids=["cycle", "own-parent", "own-sire-new", "lat-abc", "iterations-abc"])
def test_cycles_and_option_types_refused(book_db: str, args: list[str], fragment: str, code: int) -> None:
    refused(book_db, args, fragment, code=code)


@pytest.mark.parametrize(("user", "fragment"), [
    ("a\x1b[2J", "user name contains a control character (U+001B at position 2)"),
    ("reg\u202estrar", "user name contains an invisible formatting character (U+202E"),
    ("me\udcff", "is not valid UTF-8"),
])
def test_user_option_refused(book_db: str, user: str, fragment: str) -> None:
    refused(book_db, ["animal", "update", "3", "--name", "Amur"], fragment, user=user)


def test_sql_injection_in_names_is_stored_as_text(db_backend: str, tmp_path: Path) -> None:
    with fresh_db(db_backend, tmp_path) as url:
        assert run_cli(url, "init", "--from-folder", str(BOOK)).exit_code == 0
        tables = set(canonical_dump(url))
        evil = "Robert'); DROP TABLE animal;--"
        for args in (["animal", "update", "3", "--name", evil, "--notes", evil],
                     ["institution", "add", "EVIL", "--name", evil, "--city", evil]):
            r = run_cli(url, *args, user="x'; DELETE FROM audit_log;--")
            assert r.exit_code == 0, r.stderr
        assert evil in run_cli(url, "animal", "show", "3", "--format", "json").stdout
        assert set(canonical_dump(url)) == tables


# --- --output paths -------------------------------------------------------------------------------------------


def _output_cases(tmp: Path) -> list[tuple[list[str], str, int]]:
    (tmp / "exists.csv").write_text("x")
    if not (tmp / "pipe").exists():
        os.mkfifo(tmp / "pipe")
    missing = tmp / "no-such-folder"
    return [
        (["export", "pedigree", str(missing / "ped.csv")], f"folder {missing} does not exist", 1),
        (["export", "pedigree", str(tmp / "a" / ".." / ".." / tmp.name / "t.csv")], "does not exist", 1),
        (["export", "pedigree", str(tmp / "exists.csv")], "exists.csv already exists; nothing was written", 1),
        (["export", "pedigree", str(tmp / "pipe")], "pipe already exists; nothing was written", 1),
        (["export", "xlsx", str(missing / "book.xlsx")], f"folder {missing} does not exist", 1),
        (["export", "book", str(missing / "deeper")], f"folder {missing} does not exist", 1),
        (["export", "book", str(tmp)], "is not empty; nothing was written", 1),
        (["export", "sparks", str(missing / "x")], f"folder {missing} does not exist", 1),
        (["export", "pmx", str(missing / "x")], f"folder {missing} does not exist", 1),
        (["report", "--output", str(missing / "r.html")], f"folder {missing} does not exist", 1),
        (["recommend", "pair-table", "--output", str(missing / "msi.csv")], f"folder {missing} does not exist", 1),
        (["recommend", "pair-table", "--output", str(tmp / "exists.csv")], "exists.csv already exists", 1),
        (["pedigree", "3", "--format", "csv", "--output", str(missing / "p.csv")], "No such file or directory", 1),
    ]


def test_output_paths_refused(book_db: str, tmp_path: Path) -> None:
    for args, fragment, code in _output_cases(tmp_path):
        refused(book_db, args, fragment, code=code)
    assert not (tmp_path / "no-such-folder").exists()
    assert (tmp_path / "exists.csv").read_text() == "x"


# --- the database itself --------------------------------------------------------------------------------------


def test_newer_schema_database_says_upgrade_studbook(db_backend: str, tmp_path: Path) -> None:
    from sqlalchemy import create_engine, text

    with fresh_db(db_backend, tmp_path) as url:
        assert run_cli(url, "init", "--from-folder", str(BOOK)).exit_code == 0
        _dispose(url)
        engine = create_engine(url)
        with engine.begin() as conn:
            conn.execute(text("UPDATE alembic_version SET version_num = '9999_from_the_future'"))
        engine.dispose()
        for args in (["animal", "list"], ["db", "upgrade"], ["init"], ["import", "pedigree", str(PEDIGREE / "bom.csv")]):
            r = refused(url, args, "newer than this studbook knows", code=3)
            assert "upgrade studbook" in r.stderr and "run `studbook db upgrade`" not in r.stderr


# --- the corpus itself ----------------------------------------------------------------------------------------


def test_every_committed_corpus_file_is_used() -> None:
    used = {f"folder/{c[0]}/{c[1]}" for c in FOLDER_CASES} | {"folder/bom/animals.csv",
                                                                "folder/formula_text/animals.csv",
                                                                "folder/sql_injection_text/animals.csv"}
    used |= {f"pedigree/{c[0]}" for c in PEDIGREE_CASES} | {"pedigree/bom.csv", "pedigree/formula_text.csv"}
    used |= {f"sparks/{t}" for c in SPARKS_CASES for t in c[0]}
    used |= {f"sparks/{o}" for c in SPARKS_CASES for o in c[1] if not o.startswith("--")}
    used |= {f"config/{c[1]}" for c in OPTION_FILE_CASES}
    files = {str(p.relative_to(HOSTILE)) for p in HOSTILE.rglob("*") if p.is_file()}
    files = {f for f in files if not f.startswith("book/") and f != "README.md"}
    assert files == used, files ^ used
    assert sum(p.stat().st_size for p in HOSTILE.rglob("*") if p.is_file()) < 64 * 1024  # small files only


@pytest.mark.parametrize("args", [
    ["import", "pedigree", str(PEDIGREE / "cycle.csv")],
    ["init", "--from-folder", str(HOSTILE / "folder" / "utf16")],
    ["import", "sparks", str(SPARKS / "exchange_utf16.csv"), str(SPARKS / "exchange_utf16.csv")],
], ids=["import-pedigree", "init-from-folder", "import-sparks"])
def test_refused_load_leaves_no_new_database_file(tmp_path: Path, args: list[str]) -> None:
    path = tmp_path / "new.db"
    r = run_cli(f"sqlite:///{path}", *args)
    assert r.exit_code == 1 and "nothing was" in r.stderr, r.stderr
    assert not list(tmp_path.glob("new.db*"))


@pytest.mark.parametrize("special", ["fifo", "dev_zero", "missing"])
def test_restore_refuses_non_regular_files(tmp_path: Path, special: str) -> None:
    if special == "fifo":
        os.mkfifo(tmp_path / "backup.db")
        path, fragment = tmp_path / "backup.db", "is a FIFO (named pipe), not a regular file"
    elif special == "dev_zero":
        path, fragment = Path("/dev/zero"), "/dev/zero is a device, not a regular file"
    else:
        path, fragment = tmp_path / "missing.db", "cannot read the backup"
    r = run_cli(f"sqlite:///{tmp_path / 'restored.db'}", "restore", str(path))
    assert r.exit_code == 1 and fragment in r.stderr.splitlines()[0], r.stderr
    assert "\nHint: " in r.stderr and not (tmp_path / "restored.db").exists()
