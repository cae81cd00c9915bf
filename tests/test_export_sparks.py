"""``studbook export sparks``: the SPARKS exchange and moves tables, as dBase III or CSV.

The expected values come from outside the code under test: the dBase files are read back with
dbfread and compared with the real SPARKS condor files (shared/reference/studbooks/california_condor)
and with the sample book's own files (data/sample/*.csv); F and MK with what `genetics inbreeding`
and `genetics mean-kinship` print, and with values worked out by hand on a small book; the round
trip goes through the real `import sparks`.
"""

from __future__ import annotations

import csv
import json
from collections import defaultdict
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from conftest import ROOT, _dispose, fresh_database, ok, run_cli
from dbfread import DBF
from pedigree_gallery import shared_dir

from studbook.io.dbf_write import DbfColumn, dbf_bytes, fit_columns
from studbook.io.sparks_layout import EXCHANGE_COLUMNS, MOVES_COLUMNS

CONDOR = shared_dir() / "reference" / "studbooks" / "california_condor"
SAMPLE = ROOT / "data" / "sample"
HALF_UNIT = 0.00005 + 1e-12  # N8.4: 4 decimals, rounded (0.03125 is written 0.0312)
CODE = {"birth": "AA", "capture": "AB", "transfer": "AS", "release": "BI", "death": "BA", "ltf": "LTF"}


def layout(path: Path) -> list[tuple[str, str, int, int]]:
    return [(f.name, f.type, f.length, f.decimal_count) for f in DBF(str(path)).fields]


def raw_records(path: Path) -> list[dict[str, bytes]]:
    return list(DBF(str(path), raw=True, load=True).records)


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def expected_date(text: str, ending: bool = False) -> tuple[str, str]:
    """The SPARKS (date, code) of a book date, per docs/export-sparks-pmx-xlsx.md."""
    if text in ("", "unknown"):
        return "", ""
    body = text.lstrip("~")
    if len(body) == 10:
        return body, "D" if text.startswith("~") else ""
    if len(body) == 7:
        return body + "-01", "M"
    return body + ("-12-31" if ending else "-01-01"), "Y"


# --- the dBase writer ------------------------------------------------------------------------

def test_dbf_writer_round_trips_every_type(tmp_path: Path) -> None:
    cols = [DbfColumn("ID", "C", 6), DbfColumn("NAME", "C", 10), DbfColumn("BORN", "D", 8),
            DbfColumn("DEAD", "L", 1), DbfColumn("F", "N", 8, 4), DbfColumn("N", "N", 5)]
    rows = [{"ID": "123", "NAME": "Zoë", "BORN": date(2004, 5, 17), "DEAD": True, "F": 0.0625, "N": -1},
            {"ID": "", "NAME": "", "BORN": None, "DEAD": False, "F": None, "N": None},
            {"ID": "T9", "NAME": "abc", "BORN": date(1999, 12, 31), "DEAD": None, "F": -1.0, "N": 99999}]
    data, result = dbf_bytes(cols, rows, updated=date(2026, 11, 1), right_aligned=["ID"])
    assert result.lost == 0
    path = tmp_path / "t.dbf"
    path.write_bytes(data)
    table = DBF(str(path), load=True)
    assert table.encoding == "cp1252"  # from the language driver byte
    assert layout(path) == [("ID", "C", 6, 0), ("NAME", "C", 10, 0), ("BORN", "D", 8, 0), ("DEAD", "L", 1, 0),
                            ("F", "N", 8, 4), ("N", "N", 5, 0)]
    got = [dict(r) for r in table.records]
    assert [r["ID"].strip() for r in got] == ["123", "", "T9"]
    assert [r["NAME"] for r in got] == ["Zoë", "", "abc"]
    assert [r["BORN"] for r in got] == [date(2004, 5, 17), None, date(1999, 12, 31)]
    assert [r["DEAD"] for r in got] == [True, False, None]
    assert [r["F"] for r in got] == [0.0625, None, -1.0]
    assert [r["N"] for r in got] == [-1, None, 99999]
    raw = raw_records(path)
    assert raw[0]["ID"] == b"   123" and raw[0]["NAME"] == b"Zo\xeb       "  # right- and left-aligned, cp1252
    assert raw[1]["BORN"] == b" " * 8 and raw[0]["F"] == b"  0.0625" and raw[2]["F"] == b" -1.0000"
    # The container: header, descriptors with offsets, 0x0D, records with a ' ' flag, 0x1A.
    header_len, record_len = 32 + 32 * 6 + 1, 1 + 6 + 10 + 8 + 1 + 8 + 5
    assert data[0] == 0x03 and data[1:4] == bytes([26, 11, 1])
    assert int.from_bytes(data[4:8], "little") == 3
    assert int.from_bytes(data[8:10], "little") == header_len and int.from_bytes(data[10:12], "little") == record_len
    assert [int.from_bytes(data[32 + 32 * k + 12:32 + 32 * k + 16], "little") for k in range(6)] == [1, 7, 17, 25, 26, 34]
    assert data[header_len - 1] == 0x0D and data[header_len] == 0x20 and data[-1] == 0x1A
    assert len(data) == header_len + 3 * record_len + 1


def test_dbf_writer_widens_then_counts_what_is_lost(tmp_path: Path) -> None:
    cols = [DbfColumn("NOTE", "C", 6), DbfColumn("ID", "N", 5)]
    rows = [{"NOTE": "abcdefghij", "ID": 1}, {"NOTE": "x" * 300, "ID": 123456}, {"NOTE": "Барс", "ID": 2}]
    fitted, widened = fit_columns(cols, rows)
    assert widened == {"NOTE": (6, 254), "ID": (5, 6)}
    data, result = dbf_bytes(fitted, rows, updated=date(2020, 1, 1))
    assert result.cut == {"NOTE": 1} and result.unencodable == {"NOTE": 1} and result.lost == 2
    path = tmp_path / "w.dbf"
    path.write_bytes(data)
    got = [dict(r) for r in DBF(str(path), load=True).records]
    assert [r["NOTE"] for r in got] == ["abcdefghij", "x" * 254, "????"]
    assert [r["ID"] for r in got] == [1, 123456, 2]


def test_dbf_writer_refuses_what_dbase_cannot_hold() -> None:
    with pytest.raises(ValueError, match="1 to 10 ASCII"):
        dbf_bytes([DbfColumn("ELEVENCHARS", "C", 5)], [], updated=date(2020, 1, 1))
    with pytest.raises(ValueError, match="single-byte"):
        dbf_bytes([DbfColumn("A", "C", 5)], [], updated=date(2020, 1, 1), encoding="utf-8")
    with pytest.raises(ValueError, match="fit_columns"):
        dbf_bytes([DbfColumn("A", "N", 2)], [{"A": 12345}], updated=date(2020, 1, 1))


@pytest.mark.parametrize("table,columns", [("exchange", EXCHANGE_COLUMNS), ("moves", MOVES_COLUMNS)])
def test_field_descriptors_are_those_of_the_real_sparks_files(table: str, columns: Any) -> None:
    real = (CONDOR / f"{table}.dbf").read_bytes()
    header_len = int.from_bytes(real[8:10], "little")
    ours, _ = dbf_bytes([DbfColumn(*c) for c in columns], [], updated=date(2000 + real[1], real[2], real[3]))
    assert ours[32:header_len] == real[32:header_len]
    assert ours[:12] == real[:4] + bytes(4) + real[8:12]  # same version, date, lengths (no records here)


# --- the sample book -------------------------------------------------------------------------

@pytest.fixture(scope="module")
def sample_exports(sample_url: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """export sparks of the sample, as DBF and as CSV (once per backend)."""
    base = tmp_path_factory.mktemp("sparks")
    dbf = ok(sample_url, "export", "sparks", str(base / "dbf"))
    csv_ = ok(sample_url, "export", "sparks", str(base / "csv"), "--format", "csv")
    return {"dbf": base / "dbf", "csv": base / "csv", "dbf_stderr": dbf.stderr, "csv_stderr": csv_.stderr}


def test_sample_files_and_report(sample_exports: dict[str, Any]) -> None:
    assert sorted(p.name for p in sample_exports["dbf"].iterdir()) == [
        "exchange.dbf", "moves.dbf", "mult.csv", "species.json"]
    assert sorted(p.name for p in sample_exports["csv"].iterdir()) == [
        "exchange.csv", "moves.csv", "mult.csv", "species.json"]
    err = sample_exports["dbf_stderr"]
    assert "Wrote" in err and "1478 animals, 4368 moves, 26 MULT candidates" in err
    assert "COMMENT C60 -> C89 (exchange.dbf)" in err and "TRAN_CODE C2 -> C3 (moves.dbf)" in err
    assert "Lost in the DBF" not in err
    not_carried = next(line for line in err.splitlines() if line.startswith("Not carried"))
    for item in ("1165 death causes", "5 release sites", "95 animals with flags", "house names"):
        assert item in not_carried
    assert "Widened" not in sample_exports["csv_stderr"]
    species = json.loads((sample_exports["csv"] / "species.json").read_text(encoding="utf-8"))
    assert species["census_date"] == "2026-11-01" and species["gestation_min_days"] == 90
    # mult.csv: the sample's own MULT file, roles as S/D
    mult = read_csv(sample_exports["csv"] / "mult.csv")
    src = read_csv(SAMPLE / "mult_parents.csv")
    assert [(r["offspring"], r["role"], r["candidate"], float(r["probability"])) for r in mult] == [
        (r["studbook_id"], {"sire": "S", "dam": "D"}[r["role"]], r["candidate"], float(r["probability"])) for r in src]


def test_sample_exchange_dbf(sample_exports: dict[str, Any]) -> None:
    path = sample_exports["dbf"] / "exchange.dbf"
    animals = read_csv(SAMPLE / "animals.csv")
    longest = max(len(a["notes"]) for a in animals)
    assert longest == 89
    real = layout(CONDOR / "exchange.dbf")
    assert layout(path) == [c if c[0] != "COMMENT" else ("COMMENT", "C", longest, 0) for c in real]
    raw = raw_records(path)
    rows = [dict(r) for r in DBF(str(path), load=True).records]
    assert len(rows) == 1478
    assert [r["STUD_ID"].strip() for r in rows] == sorted((a["studbook_id"] for a in animals), key=int)
    assert raw[0]["STUD_ID"] == b"     1" and raw[0]["DAM_ID"] == b"  WILD"
    sex = {"M": 1, "F": 0, "U": 5}
    by_id = {r["STUD_ID"].strip(): r for r in rows}
    index = {r["STUD_ID"].strip(): r["ID"] for r in rows}
    assert [r["ID"] for r in rows] == list(range(1, 1479))
    for a in animals:
        r = by_id[a["studbook_id"]]
        assert (r["SIRE_ID"].strip(), r["DAM_ID"].strip()) == (a["sire"], a["dam"]), a["studbook_id"]
        assert r["SID"] == index.get(a["sire"], 0) and r["DID"] == index.get(a["dam"], 0)
        assert r["SEX"] == sex[a["sex"]]
        day, code = expected_date(a["birth_date"])
        assert (r["BDATE"].isoformat() if r["BDATE"] else "", r["BIRTH_EST"]) == (day, code), a["studbook_id"]
        assert r["COMMENT"] == a["notes"]
        assert r["SELECTED"] is True and r["DAM_ID_TMP"] == "" and r["AGE"] == -1 and r["VX"] == -1.0
    assert by_id["1"]["BDATE"] == date(1958, 1, 1) and by_id["1"]["BIRTH_EST"] == "Y"  # "~1958": its ~ is lost
    assert (by_id["124"]["SIRE_ID"].strip(), by_id["124"]["SID"]) == ("MULT", 0)


def test_sample_exchange_status_columns(sample_exports: dict[str, Any]) -> None:
    rows = {r["STUD_ID"]: r for r in read_csv(sample_exports["csv"] / "exchange.csv")}
    events: dict[str, list[dict[str, str]]] = defaultdict(list)
    for e in read_csv(SAMPLE / "events.csv"):
        events[e["studbook_id"]].append(e)
    dead = {s for s, evs in events.items() if any(e["event"] == "death" for e in evs)}
    ltf = {s for s, evs in events.items() if evs[-1]["event"] == "ltf"}
    assert len(dead) == 1165 and len(ltf) == 5
    assert {s for s, r in rows.items() if r["DEAD"] == "T"} == dead
    assert {s for s, r in rows.items() if r["DATEOUT"]} == dead | ltf
    for s in dead:
        death = next(e for e in events[s] if e["event"] == "death")
        assert (rows[s]["DEATHDATE"], rows[s]["DEATH_EST"]) == expected_date(death["date"], ending=True)
        assert rows[s]["LOCATION"] == death["institution"] and rows[s]["LOCAL_ID"] == ""
    for s, evs in events.items():
        assert (rows[s]["DATEIN"], rows[s]["IN_EST"]) == expected_date(evs[0]["date"])
    released = {s for s, evs in events.items() if evs[-1]["event"] == "release"}
    assert len(released) == 5
    assert all(rows[s]["DEAD"] == "F" and rows[s]["LOCATION"] == "LAZOVSKY" and not rows[s]["DATEOUT"]
               for s in released)
    living = set(rows) - dead - ltf
    assert len(living) == 308
    for s in living - released:  # in a zoo: the local ID given on arrival there
        arrival = [e for e in events[s] if e["institution"] == rows[s]["LOCATION"] and e["local_id"]]
        assert rows[s]["LOCAL_ID"] == (arrival[-1]["local_id"] if arrival else "")


def test_sample_moves_are_the_events(sample_exports: dict[str, Any]) -> None:
    moves = read_csv(sample_exports["csv"] / "moves.csv")
    got: dict[str, list[tuple[str, ...]]] = defaultdict(list)
    for m in moves:
        got[m["STUD_ID"]].append((m["TRAN_CODE"], m["LOCATION"], m["TRAN_DATE"], m["TDATE_EST"], m["OWNER"],
                                  m["PHYSICAL"], m["LOCAL_ID"]))
    want: dict[str, list[tuple[str, ...]]] = defaultdict(list)
    for e in read_csv(SAMPLE / "events.csv"):
        code = CODE[e["event"]]
        day, est = expected_date(e["date"], ending=code in ("BA", "LTF"))
        local = e["local_id"]
        if not local:  # e.g. a death: the ID of the animal's stay at that place
            local = next((w[6] for w in reversed(want[e["studbook_id"]]) if w[1] == e["institution"] and w[6]), "")
        want[e["studbook_id"]].append((code, e["institution"], day, est, "F" if e["loan"] == "1" else "T", "T",
                                       local))
    assert len(moves) == 4368
    assert got == want
    assert sum(m["OWNER"] == "F" for m in moves) == 542 and sum(m["TRAN_CODE"] == "LTF" for m in moves) == 5
    dbf = [dict(r) for r in DBF(str(sample_exports["dbf"] / "moves.dbf"), load=True).records]
    assert [(r["STUD_ID"].strip(), r["TRAN_CODE"].strip(), r["LOCATION"], r["TRAN_DATE"], r["OWNER"])
            for r in dbf] == [(m["STUD_ID"], m["TRAN_CODE"], m["LOCATION"], date.fromisoformat(m["TRAN_DATE"]),
                               m["OWNER"] == "T") for m in moves]
    assert layout(sample_exports["dbf"] / "moves.dbf") == [
        c if c[0] != "TRAN_CODE" else ("TRAN_CODE", "C", 3, 0) for c in layout(CONDOR / "moves.dbf")]


def test_sample_analysis_columns_are_the_genetics_numbers(sample_url: str, sample_exports: dict[str, Any]) -> None:
    f = {r["id"]: r["F"] for r in json.loads(ok(sample_url, "genetics", "inbreeding", "--format", "json").stdout)}
    mk = {r["id"]: r for r in json.loads(ok(sample_url, "genetics", "mean-kinship", "--format", "json").stdout)}
    rows = read_csv(sample_exports["csv"] / "exchange.csv")
    assert len(mk) == 300
    for r in rows:
        assert float(r["INBREED"]) == f[r["STUD_ID"]]
        if r["STUD_ID"] in mk:
            assert float(r["MK"]) == mk[r["STUD_ID"]]["mean_kinship"]
            assert abs(100 * float(r["KNOWN"]) - mk[r["STUD_ID"]]["percent_known"]) <= 0.005
        else:
            assert r["MK"] == "-1"
    assert sum(r["MK"] != "-1" for r in rows) == 300
    # The DBF holds them with 4 decimals (N8.4): the most inbred animal and one with a MULT sire.
    dbf = {r["STUD_ID"].strip(): r for r in DBF(str(sample_exports["dbf"] / "exchange.dbf"), load=True).records}
    top = max(f, key=lambda s: f[s])
    assert f[top] > 0.1
    for sid in (top, "124"):
        assert abs(dbf[sid]["INBREED"] - f[sid]) <= HALF_UNIT
    assert abs(dbf[next(iter(mk))]["MK"] - mk[next(iter(mk))]["mean_kinship"]) <= HALF_UNIT


def test_sample_csv_and_dbf_say_the_same(sample_exports: dict[str, Any]) -> None:
    for table, columns in (("exchange", EXCHANGE_COLUMNS), ("moves", MOVES_COLUMNS)):
        text = (sample_exports["csv"] / f"{table}.csv").read_bytes()
        assert text.startswith(",".join(c.name for c in columns).encode() + b"\r\n")
        rows = read_csv(sample_exports["csv"] / f"{table}.csv")
        recs = list(DBF(str(sample_exports["dbf"] / f"{table}.dbf"), load=True).records)
        assert len(rows) == len(recs)
        for row, rec in zip(rows, recs):
            for c in columns:
                value, cell = rec[c.name], row[c.name]
                if c.type == "D":
                    assert cell == (value.isoformat() if value else "")
                elif c.type == "L":
                    assert cell == ("T" if value else "F")
                elif c.type == "N":
                    assert abs(float(cell) - value) <= HALF_UNIT, (c.name, cell, value)
                else:
                    assert cell == value.strip(), (c.name, cell, value)


def test_export_sparks_refuses_a_non_empty_folder(sample_url: str, tmp_path: Path) -> None:
    folder = tmp_path / "taken"
    folder.mkdir()
    (folder / "keep.txt").write_text("mine", encoding="utf-8")
    r = run_cli(sample_url, "export", "sparks", str(folder))
    assert r.exit_code == 1 and r.stderr.startswith("Error: ") and "not empty" in r.stderr.splitlines()[0]
    assert "Traceback" not in r.stderr
    assert [p.name for p in folder.iterdir()] == ["keep.txt"]
    assert [p.name for p in tmp_path.iterdir()] == ["taken"]  # no temporary folder left behind
    (tmp_path / "file").write_text("x", encoding="utf-8")
    r = run_cli(sample_url, "export", "sparks", str(tmp_path / "file"), "--format", "csv")
    assert r.exit_code == 2 and "Error: Invalid value for 'FOLDER'" in r.stderr and "Traceback" not in r.stderr
    assert (tmp_path / "file").read_text(encoding="utf-8") == "x"


def test_export_sparks_into_an_empty_folder_and_bad_format(sample_url: str, tmp_path: Path) -> None:
    folder = tmp_path / "empty"
    folder.mkdir()
    r = run_cli(sample_url, "export", "sparks", str(folder), "--format", "xls")
    assert r.exit_code == 2 and not any(folder.iterdir())
    ok(sample_url, "export", "sparks", str(folder), "--format", "csv")
    assert (folder / "exchange.csv").exists() and sorted(p.name for p in tmp_path.iterdir()) == ["empty"]


def test_export_sparks_does_not_create_a_database(tmp_path: Path) -> None:
    db = tmp_path / "missing.db"
    r = run_cli(str(db), "export", "sparks", str(tmp_path / "out"))
    assert r.exit_code != 0 and r.stderr.startswith("Error: ") and "Traceback" not in r.stderr
    assert not db.exists() and not (tmp_path / "out").exists()
    # The target is checked first: a missing parent folder is named even before the missing database.
    r = run_cli(str(db), "export", "sparks", str(tmp_path / "no" / "out"))
    assert r.exit_code == 1 and "does not exist" in r.stderr.splitlines()[0] and "no" in r.stderr.splitlines()[0]
    assert not db.exists() and sorted(p.name for p in tmp_path.iterdir()) == []


# --- a small book, values by hand ------------------------------------------------------------

TINY = {
    "species.json": '{"common_name": "Test cat", "scientific_name": "Felis testus", "census_date": "2020-01-01"}\n',
    "institutions.csv": """code,name,city,country,region,latitude,longitude,capacity_males,capacity_females,kind
MOSCOW,MOSCOW,,,,,,,,zoo
LEIPZIG,LEIPZIG,,,,,,,,zoo
LAZOVSKY,LAZOVSKY,,,,,,,,release-site
""",
    # 40 has a MULT sire (0012 0.6, 30 0.4); 41 is a son x mother mating. 32's notes do not fit a DBF field.
    "animals.csv": """studbook_id,house_name,sex,birth_date,birth_type,sire,dam,rearing,exclude_from_analysis,do_not_breed,contracepted,hybrid_suspect,artificial_insemination,notes
0012,,M,~2005,wild,WILD,WILD,unknown,0,0,0,0,0,=1+1
20,,F,2006-05,wild,WILD,WILD,unknown,0,0,0,0,0,
30,Амур,M,2012-05-01,captive,0012,20,parent,0,0,0,0,0,
31,,F,2012-05-01,captive,0012,20,unknown,0,0,0,0,0,
32,,M,2013-05-01,captive,0012,20,unknown,0,0,0,0,0,"Барс ADDLONG"
40,,F,2015-06-10,captive,MULT,20,unknown,0,0,0,0,0,
41,,F,2016-01-20,captive,30,20,unknown,0,0,0,0,0,
""".replace("ADDLONG", "x" * 300),
    "mult_parents.csv": "studbook_id,role,candidate,probability\n40,sire,0012,0.6\n40,sire,30,0.4\n",
    "events.csv": """studbook_id,event,date,institution,from_institution,loan,local_id,cause,site,notes
0012,capture,2008-03,MOSCOW,,0,M-1,,,SPARKS REM_DATE 2008-04; SPARKS INSTCODE ISIS1; SPARKS move XY at MOSCOW on 2009-01-15; SPARKS INSTCODE Q7; keeper note
0012,transfer,2016-06-01,LEIPZIG,MOSCOW,1,LPZ-0012-LONGID,,,
20,capture,2008-03,MOSCOW,,0,M-2,,,
20,death,~2016,MOSCOW,,0,,old age,,
30,birth,2012-05-01,MOSCOW,,0,A30,,,
31,birth,2012-05-01,MOSCOW,,0,,,,
31,ltf,2013-01-01,MOSCOW,,0,,,,
32,birth,2013-05-01,MOSCOW,,0,,,,
32,release,2015-09-01,LAZOVSKY,MOSCOW,0,,,valley,
40,birth,2015-06-10,MOSCOW,,0,,,,
41,birth,2016-01-20,MOSCOW,,0,,,,
""",
}


@pytest.fixture
def tiny_url(empty_url: str, tmp_path: Path) -> str:
    folder = tmp_path / "tiny"
    folder.mkdir()
    for name, text in TINY.items():
        (folder / name).write_text(text, encoding="utf-8")
    ok(empty_url, "init", "--from-folder", str(folder))
    return empty_url


def test_tiny_book(tiny_url: str, tmp_path: Path) -> None:
    r = ok(tiny_url, "export", "sparks", str(tmp_path / "c"), "--format", "csv")
    assert "census date 2020-01-01" in r.stderr
    not_carried = r.stderr.splitlines()[-1]
    for item in ("1 event notes", "1 death causes", "1 release sites", "1 house names", "1 rearing codes",
                 "2 estimate flags of a month or year"):
        assert item in not_carried, not_carried
    ex = {row["STUD_ID"]: row for row in read_csv(tmp_path / "c" / "exchange.csv")}
    assert list(ex) == ["0012", "20", "30", "31", "32", "40", "41"]
    # F by hand: 41 = phi(30, 20) = 1/4 (son x mother); 40 = 0.6 phi(0012, 20) + 0.4 phi(30, 20) = 0.1.
    assert float(ex["41"]["INBREED"]) == 0.25 and abs(float(ex["40"]["INBREED"]) - 0.1) <= 1e-15
    # MK of 0012 among the living {0012, 30, 32, 40, 41} (20 dead, 31 LTF):
    # (1/2 + 1/4 + 1/4 + 1/2 (0.6/2 + 0.4/4) + 1/2 (1/4)) / 5 = 1.325 / 5.
    assert abs(float(ex["0012"]["MK"]) - 1.325 / 5) <= 1e-15
    assert ex["20"]["MK"] == "-1" and ex["31"]["MK"] == "-1"
    assert (ex["40"]["SIRE_ID"], ex["40"]["SID"], ex["41"]["SID"]) == ("MULT", "0", "3")
    assert ex["0012"]["COMMENT"] == "=1+1" and ex["32"]["COMMENT"] == "Барс " + "x" * 300
    assert (ex["0012"]["BDATE"], ex["0012"]["BIRTH_EST"]) == ("2005-01-01", "Y")
    assert (ex["20"]["BDATE"], ex["20"]["BIRTH_EST"]) == ("2006-05-01", "M")
    assert (ex["20"]["DEATHDATE"], ex["20"]["DEATH_EST"], ex["20"]["DEAD"]) == ("2016-12-31", "Y", "T")
    assert (ex["31"]["DATEOUT"], ex["31"]["DEAD"], ex["31"]["LOCAL_ID"]) == ("2013-01-01", "F", "")
    assert (ex["0012"]["LOCATION"], ex["0012"]["LOCAL_ID"]) == ("LEIPZIG", "LPZ-0012-LONGID")
    assert (ex["32"]["LOCATION"], ex["32"]["DEAD"], ex["32"]["DATEOUT"]) == ("LAZOVSKY", "F", "")
    moves = [(m["STUD_ID"], m["TRAN_CODE"], m["OWNER"], m["LOCATION"], m["LOCAL_ID"], m["TRAN_DATE"], m["TDATE_EST"],
              m["REM_DATE"], m["RDATE_EST"], m["INSTCODE"]) for m in read_csv(tmp_path / "c" / "moves.csv")]
    assert moves[:5] == [
        ("0012", "AB", "T", "MOSCOW", "M-1", "2008-03-01", "M", "2008-04-01", "M", "ISIS1"),
        ("0012", "XY", "T", "MOSCOW", "", "2009-01-15", "", "", "", "Q7"),  # a move kept in the notes
        ("0012", "AS", "F", "LEIPZIG", "LPZ-0012-LONGID", "2016-06-01", "", "", "", ""),  # on loan
        ("20", "AB", "T", "MOSCOW", "M-2", "2008-03-01", "M", "", "", ""),
        ("20", "BA", "T", "MOSCOW", "M-2", "2016-12-31", "Y", "", "", "")]
    assert ("31", "LTF", "T", "MOSCOW", "", "2013-01-01", "", "", "", "") in moves
    mult = read_csv(tmp_path / "c" / "mult.csv")
    assert [(m["offspring"], m["role"], m["candidate"], m["probability"]) for m in mult] == [
        ("40", "S", "0012", "0.6"), ("40", "S", "30", "0.4")]

    r = ok(tiny_url, "export", "sparks", str(tmp_path / "d"))
    assert "LOCAL_ID C6 -> C15 (exchange.dbf)" in r.stderr and "COMMENT C60 -> C254 (exchange.dbf)" in r.stderr
    lost = next(line for line in r.stderr.splitlines() if line.startswith("Lost in the DBF"))
    assert "1 COMMENT value(s) cut at 254 bytes" in lost and "1 COMMENT value(s) with characters cp1252" in lost
    recs = {rec["STUD_ID"].strip(): rec for rec in DBF(str(tmp_path / "d" / "exchange.dbf"), load=True).records}
    assert recs["32"]["COMMENT"] == ("???? " + "x" * 300)[:254]
    raw = raw_records(tmp_path / "d" / "exchange.dbf")
    assert raw[0]["STUD_ID"] == b"  0012" and raw[0]["LOCAL_ID"] == b"LPZ-0012-LONGID"
    assert raw[0]["COMMENT"].rstrip() == b"=1+1"
    real = dict((c[0], c) for c in layout(CONDOR / "moves.dbf"))
    assert layout(tmp_path / "d" / "moves.dbf") == [
        ("LOCAL_ID", "C", 15, 0) if n == "LOCAL_ID" else ("TRAN_CODE", "C", 3, 0) if n == "TRAN_CODE" else c
        for n, c in real.items()]


def test_tiny_book_export_is_deterministic(tiny_url: str, tmp_path: Path) -> None:
    for fmt in ("dbf", "csv"):
        ok(tiny_url, "export", "sparks", str(tmp_path / f"{fmt}1"), "--format", fmt)
        ok(tiny_url, "export", "sparks", str(tmp_path / f"{fmt}2"), "--format", fmt)
        for f in (tmp_path / f"{fmt}1").iterdir():
            assert f.read_bytes() == (tmp_path / f"{fmt}2" / f.name).read_bytes(), f.name


# --- the real condor book through import sparks and back (SQLite) -------------------------------

@pytest.fixture(scope="module")
def condor_book(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """The condor SPARKS files imported, then exported as DBF and CSV."""
    base = tmp_path_factory.mktemp("condor-sparks")
    with fresh_database("sqlite", base) as url:
        ok(url, "import", "sparks", str(CONDOR / "exchange.dbf"), str(CONDOR / "moves.dbf"), "--species-file",
           str(ROOT / "data" / "species" / "california_condor.json"), "--allow-problems")
        ok(url, "export", "sparks", str(base / "dbf"))
        ok(url, "export", "sparks", str(base / "csv"), "--format", "csv")
        yield {"url": url, "dbf": base / "dbf", "csv": base / "csv", "tmp": base}
        _dispose(url)


def test_condor_export_gives_back_the_real_moves(condor_book: dict[str, Any]) -> None:
    """Our moves.dbf against the real SPARKS moves.dbf, bird by bird."""
    real: dict[str, list[Any]] = defaultdict(list)
    for m in DBF(str(CONDOR / "moves.dbf"), load=True).records:
        real[m["STUD_ID"].strip()].append(m)
    ours: dict[str, list[Any]] = defaultdict(list)
    for m in DBF(str(condor_book["dbf"] / "moves.dbf"), load=True).records:
        ours[m["STUD_ID"].strip()].append(m)
    exchange = {r["STUD_ID"].strip(): r for r in DBF(str(CONDOR / "exchange.dbf"), load=True).records}
    local_same = local_all = 0
    for sid, moves in real.items():
        mine = ours[sid]
        if len(mine) == len(moves) + 1:  # import sparks: DEAD=T without a death move is a death on DEATHDATE
            assert exchange[sid]["DEAD"] and mine[-1]["TRAN_CODE"].strip() == "BA"
            assert (mine[-1]["TRAN_DATE"], mine[-1]["TDATE_EST"]) == (exchange[sid]["DEATHDATE"],
                                                                      exchange[sid]["DEATH_EST"]), sid
            mine = mine[:-1]
        assert len(mine) == len(moves), sid
        for a, b in zip(moves, mine):
            assert (a["TRAN_CODE"], a["LOCATION"].upper(), a["TDATE_EST"], a["PHYSICAL"], a["OWNER"]) == (
                b["TRAN_CODE"].strip(), b["LOCATION"], b["TDATE_EST"], b["PHYSICAL"], b["OWNER"]), sid
            keep = {"": 10, "D": 10, "M": 7, "Y": 4}[a["TDATE_EST"]]  # the part of the date the code vouches for
            assert a["TRAN_DATE"].isoformat()[:keep] == b["TRAN_DATE"].isoformat()[:keep], sid
            if a["TRAN_CODE"] != "BA":
                local_all += 1
                real_local = "" if a["LOCAL_ID"].strip().upper() in ("", "NONE", "BLANK") else a["LOCAL_ID"].strip()
                local_same += real_local == b["LOCAL_ID"].strip()
    # Arrivals that repeat an ID the bird had at that place before are stored once by the book;
    # the rest differ where a bird had two IDs at one place (the book cannot say which came back).
    assert local_same / local_all >= 0.97, (local_same, local_all)
    assert layout(condor_book["dbf"] / "moves.dbf") == layout(CONDOR / "moves.dbf")


def _same_book(a: str, b: str) -> None:
    from test_export import canonical_dump

    da, db = canonical_dump(a), canonical_dump(b)
    for name in da:
        if name == "problem":  # each problem names the file it came from, and when it was found
            def strip(rows: list[Any]) -> list[Any]:
                return sorted((tuple(c for c in r if c[0] not in ("source", "opened_at")) for r in rows), key=repr)

            assert strip(da[name]) == strip(db[name])
        else:
            assert da[name] == db[name], name


@pytest.mark.parametrize("fmt", ["csv", "dbf"])
def test_condor_round_trip_through_sparks_gives_the_same_book(condor_book: dict[str, Any], fmt: str) -> None:
    out = condor_book[fmt]
    with fresh_database("sqlite", condor_book["tmp"]) as url:
        ok(url, "import", "sparks", str(out / f"exchange.{fmt}"), str(out / f"moves.{fmt}"), "--species-file",
           str(out / "species.json"), "--mult", str(out / "mult.csv"), "--allow-problems")
        _same_book(condor_book["url"], url)
        _dispose(url)
