"""XLSX export: read back with openpyxl (test dependency)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import openpyxl
import pytest

from studbook.errors import InvalidInputError
from studbook.io.xlsx import escape_cell, write_xlsx


def test_round_trip(tmp_path):
    path = tmp_path / "out.xlsx"
    rows = [
        ["001", "=1+1", dt.date(2020, 1, 31), 0.25, 3, "2021-06-01", "2021-06"],
        ["A/12", "-x", dt.datetime(2021, 2, 3, 4, 5, 6), float("nan"), np.float64(-0.5),
         None, "+cmd"],
        ["@SUM(A1)", "\tTAB", dt.datetime(2021, 2, 3, tzinfo=dt.UTC), -0.25, True,
         "bad-date", "-0.25"],
    ]
    cols = ["studbook_id", "note", "birth_date", "mk", "count", "event_date", "text"]
    write_xlsx(path, [("Animals", cols, rows),
                      ("Pairs [x]: a very long sheet name that goes on", ["male", "female"],
                       [[7, "008"]]),
                      ("Empty", ["id"], [])])
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames[0] == "Animals" and len(wb.sheetnames[1]) <= 31
    ws = wb["Animals"]
    assert ws.freeze_panes == "A2"
    assert ws.auto_filter.ref == "A1:G4"
    assert [c.value for c in ws[1]] == cols
    a2 = ws["A2"]
    assert a2.value == "001" and a2.data_type == "s"
    b2 = ws["B2"]
    assert b2.value == "'=1+1" and b2.data_type == "s"     # text, not a formula
    assert ws["B3"].value == "'-x" and ws["G3"].value == "'+cmd"
    assert ws["A4"].value == "'@SUM(A1)" and ws["B4"].value == "'\tTAB"
    assert ws["G4"].value == "-0.25" and ws["G4"].data_type == "s"
    c2 = ws["C2"]
    assert c2.is_date and c2.value == dt.datetime(2020, 1, 31) and c2.number_format == "yyyy-mm-dd"
    assert ws["C3"].is_date and ws["C3"].value == dt.datetime(2021, 2, 3, 4, 5, 6)
    assert ws["C4"].is_date and ws["C4"].value == dt.datetime(2021, 2, 3)
    assert ws["F2"].is_date and ws["F2"].value == dt.datetime(2021, 6, 1)
    assert ws["G2"].value == "2021-06" and not ws["G2"].is_date     # partial date stays text
    assert ws["F4"].value == "bad-date"
    assert ws["D2"].value == 0.25 and ws["D2"].data_type == "n"
    assert ws["D3"].value is None                                     # NaN -> empty
    assert ws["E2"].value == 3 and ws["E3"].value == -0.5 and ws["E4"].value is True
    assert ws["D4"].value == -0.25
    for row in ws.iter_rows():
        for cell in row:
            assert cell.data_type != "f"
    assert ws.column_dimensions["A"].width >= 10
    ws2 = wb.worksheets[1]
    assert ws2["A2"].value == "7" and ws2["A2"].data_type == "s"      # ids always text
    assert ws2["B2"].value == "008"
    assert wb["Empty"].freeze_panes == "A2"


def test_escape_rule_and_csv_writer():
    import csv
    import io

    from studbook.cli.output import emit

    cases = {"=1": "'=1", "+1": "+1", "-1": "-1", "-x": "'-x", "@a": "'@a", "\tb": "'\tb", "\rc": "'\rc",
             "\0d": "'\0d", "ok": "ok", "": "", "1e5": "1e5", "-inf": "-inf", "=HYPERLINK(1)": "'=HYPERLINK(1)"}
    for raw, safe in cases.items():
        assert escape_cell(raw) == safe, raw
    assert escape_cell(3) == 3 and escape_cell(None) is None
    buf = io.StringIO()
    emit([{"v": raw} for raw in cases], "csv", out=buf)
    assert [r["v"] for r in csv.DictReader(io.StringIO(buf.getvalue(), newline=""))] == list(cases.values())


def test_too_many_rows(tmp_path, monkeypatch):
    import studbook.io.xlsx as mod

    monkeypatch.setattr(mod, "MAX_ROWS", 2)
    with pytest.raises(InvalidInputError, match="Excel allows"):
        write_xlsx(tmp_path / "x.xlsx", [("S", ["a"], [[1], [2], [3]])])
    assert not (tmp_path / "x.xlsx").exists()
