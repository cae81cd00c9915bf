"""``studbook export xlsx``: the whole book as one workbook, read back with openpyxl."""

from __future__ import annotations

import csv
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from conftest import ROOT, ok, run_cli

SAMPLE = ROOT / "data" / "sample"
SHEETS = ["species", "institutions", "animals", "mult parents", "events", "void animals", "void mult parents",
          "void events", "local ids", "health notes", "problems"]


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def sheet(wb: Any, name: str) -> tuple[list[str], list[list[Any]]]:
    rows = [[c for c in r] for r in wb[name].iter_rows()]
    return [c.value for c in rows[0]], rows[1:]


@pytest.fixture
def workbook(sample_copy_url: str, tmp_path: Path) -> tuple[Any, str]:
    """The sample with a leading-zero ID, a formula-looking note, health notes and a void animal, exported."""
    import openpyxl

    ok(sample_copy_url, "animal", "add", "--id", "0012", "--sex", "M", "--birth-date", "2020-01-02", "--at", "MOSCOW",
       "--wild-born", "--capture-date", "2021-03", "--local-id", "0007")
    ok(sample_copy_url, "animal", "update", "1041", "--notes", "=1+1", "--health-notes", "lame left hind")
    ok(sample_copy_url, "animal", "void", "1475", "--reason", "registered twice")
    path = tmp_path / "book.xlsx"
    r = ok(sample_copy_url, "export", "xlsx", str(path))
    return openpyxl.load_workbook(path), r.stderr


def test_xlsx_sheets_and_layout(workbook: tuple[Any, str]) -> None:
    wb, err = workbook
    assert wb.sheetnames == SHEETS
    assert "11 sheets" in err and "animals 1478" in err and "void animals 1" in err
    for name in SHEETS:
        ws = wb[name]
        assert ws.freeze_panes == "A2", name
        assert ws.auto_filter.ref and ws.auto_filter.ref.startswith("A1:"), name
        assert all(c.font.b for c in ws[1]), name
    header, rows = sheet(wb, "animals")
    assert header[:4] == ["studbook_id", "house_name", "sex", "birth_date"]
    assert wb["animals"].auto_filter.ref == f"A1:O{len(rows) + 1}"
    assert len(rows) == 1478  # 1478 + 0012 - the void 1475
    header, rows = sheet(wb, "events")
    assert len(rows) == len(read_csv(SAMPLE / "events.csv")) + 1 - 2  # + 0012's capture - 1475's two events


def test_xlsx_cell_types(workbook: tuple[Any, str]) -> None:
    wb, _ = workbook
    header, rows = sheet(wb, "animals")
    col = {h: k for k, h in enumerate(header)}
    by_id = {r[0].value: r for r in rows}
    new = by_id["0012"]  # a leading-zero ID stays text
    assert new[0].data_type == "s" and new[0].value == "0012"
    assert new[col["birth_date"]].is_date and new[col["birth_date"]].value == datetime(2020, 1, 2)
    assert new[col["birth_date"]].number_format == "yyyy-mm-dd"
    noted = by_id["1041"]
    assert noted[col["notes"]].data_type == "s" and noted[col["notes"]].value == "'=1+1"  # never a formula
    assert noted[col["sire"]].data_type == "s" and noted[col["sire"]].value == "666"
    founder = by_id["1"]  # "~1958": an estimate stays text
    assert founder[col["birth_date"]].data_type == "s" and founder[col["birth_date"]].value == "~1958"
    assert by_id["2"][col["birth_date"]].value == "1959"
    assert founder[col["do_not_breed"]].value == 0 and founder[col["do_not_breed"]].data_type == "n"
    assert not any(c.data_type == "f" for r in rows for c in r)
    header, rows = sheet(wb, "events")
    col = {h: k for k, h in enumerate(header)}
    capture = next(r for r in rows if r[0].value == "0012")
    assert capture[col["date"]].value == "2021-03" and capture[col["local_id"]].value == "0007"
    assert capture[col["local_id"]].data_type == "s"
    exact = next(r for r in rows if r[0].value == "1041" and r[col["event"]].value == "birth")
    assert exact[col["date"]].is_date
    header, rows = sheet(wb, "institutions")
    col = {h: k for k, h in enumerate(header)}
    moscow = next(r for r in rows if r[0].value == "MOSCOW")
    assert isinstance(moscow[col["latitude"]].value, float) and abs(moscow[col["latitude"]].value - 55.761) < 1e-9
    header, rows = sheet(wb, "mult parents")
    assert [c.value for c in rows[0]] == ["124", "sire", "74", 0.5]
    header, rows = sheet(wb, "species")
    values = {r[0].value: r[1] for r in rows}
    assert values["census_date"].is_date and values["census_date"].value == datetime(2026, 11, 1)
    assert values["gestation_min_days"].value == 90 and values["incubation_min_days"].value is None
    header, rows = sheet(wb, "health notes")
    assert [[c.value for c in r] for r in rows] == [["1041", "lame left hind"]]
    header, rows = sheet(wb, "void animals")
    assert [r[0].value for r in rows] == ["1475"] and rows[0][header.index("void_reason")].value == "registered twice"


def test_workbook_types_problem_timestamps() -> None:
    from studbook.services.export import BookExport, ExportFile
    from studbook.services.export_xlsx import workbook_of

    book = BookExport({"census_date": "2020-01-01", "earliest_year": 1850}, [ExportFile(
        "problems.csv", ("code", "opened_at", "resolved_at"),
        [{"code": "E03", "opened_at": "2026-11-30T12:00:00+00:00", "resolved_at": ""}])])
    wb = workbook_of(book)
    assert wb.sheets[0] == ("species", ("field", "value"), [["census_date", date(2020, 1, 1)],
                                                            ["earliest_year", 1850]])
    name, cols, rows = wb.sheets[1]
    assert name == "problems" and rows[0][0] == "E03" and rows[0][2] is None
    assert rows[0][1] == datetime.fromisoformat("2026-11-30T12:00:00+00:00")


def test_xlsx_refusals(sample_url: str, tmp_path: Path) -> None:
    taken = tmp_path / "taken.xlsx"
    taken.write_bytes(b"mine")
    r = run_cli(sample_url, "export", "xlsx", str(taken))
    assert r.exit_code == 1 and r.stderr.startswith("Error: ") and "already exists" in r.stderr.splitlines()[0]
    assert taken.read_bytes() == b"mine"
    r = run_cli(sample_url, "export", "xlsx", str(tmp_path / "book.csv"))
    assert r.exit_code == 1 and ".xlsx" in r.stderr.splitlines()[0] and "Traceback" not in r.stderr
    r = run_cli(sample_url, "export", "xlsx", str(tmp_path / "no" / "such" / "book.xlsx"))
    assert r.exit_code == 1 and "does not exist" in r.stderr.splitlines()[0] and "Traceback" not in r.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["taken.xlsx"]  # no temporary file left behind


def test_xlsx_does_not_create_a_database(tmp_path: Path) -> None:
    db = tmp_path / "missing.db"
    r = run_cli(str(db), "export", "xlsx", str(tmp_path / "book.xlsx"))
    assert r.exit_code != 0 and r.stderr.startswith("Error: ") and "Traceback" not in r.stderr
    assert not db.exists() and not (tmp_path / "book.xlsx").exists()
    (tmp_path / "taken.xlsx").write_bytes(b"mine")  # the target is checked before the database is opened
    r = run_cli(str(db), "export", "xlsx", str(tmp_path / "taken.xlsx"))
    assert r.exit_code == 1 and "already exists" in r.stderr.splitlines()[0] and not db.exists()
