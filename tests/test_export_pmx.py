"""``studbook export pmx``: exchange.csv with full dates, mult.csv and the census pmxcens.csv.

Expected values come from the sample book's own files (data/sample/*.csv), from other commands
(`genetics inbreeding`, `animal list --alive --as-of`) and from dates worked out by hand.
"""

from __future__ import annotations

import csv
import json
from collections import defaultdict
from pathlib import Path

import pytest
from conftest import ROOT, ok, run_cli

from studbook.io.sparks_layout import EXCHANGE_COLUMNS

SAMPLE = ROOT / "data" / "sample"


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture(scope="module")
def pmx(sample_url: str, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    folder = tmp_path_factory.mktemp("pmx") / "out"
    r = ok(sample_url, "export", "pmx", str(folder))
    return folder, r.stderr


def test_pmx_files_and_report(pmx: tuple[Path, str]) -> None:
    folder, err = pmx
    assert sorted(p.name for p in folder.iterdir()) == ["exchange.csv", "mult.csv", "pmxcens.csv"]
    assert "census date 2026-11-01" in err
    assert "1478 animals, 26 MULT candidates, 308 alive on 2026-11-01" in err
    animals = read_csv(SAMPLE / "animals.csv")
    partial = sum(1 for a in animals if a["birth_date"].startswith("~") or len(a["birth_date"]) < 10)
    assert partial == 71
    assert f"{partial} birth date(s) are not exact days" in err


def test_pmx_exchange_has_full_dates(pmx: tuple[Path, str]) -> None:
    folder, _ = pmx
    text = (folder / "exchange.csv").read_text(encoding="utf-8")
    assert text.splitlines()[0] == ",".join(c.name for c in EXCHANGE_COLUMNS)
    rows = {r["STUD_ID"]: r for r in read_csv(folder / "exchange.csv")}
    animals = {a["studbook_id"]: a for a in read_csv(SAMPLE / "animals.csv")}
    assert rows.keys() == animals.keys()
    for sid, a in animals.items():
        r = rows[sid]
        assert len(r["BDATE"]) == 10, sid  # a full date for every animal
        exact = not a["birth_date"].startswith("~") and len(a["birth_date"]) == 10
        assert r["BIRTH_EST"] == ("" if exact else "D")
        if exact:
            assert r["BDATE"] == a["birth_date"]
        for col in ("DATEIN", "DATEOUT", "DEATHDATE"):
            assert r[col] == "" or len(r[col]) == 10
    # The middle of each possible range, by hand:
    # "~1958" -> 1957-01-01..1959-12-31 (1094 days) -> +547 days; "1959" -> 1959-01-01 + 182 days.
    assert animals["1"]["birth_date"] == "~1958" and rows["1"]["BDATE"] == "1958-07-02"
    assert animals["2"]["birth_date"] == "1959" and rows["2"]["BDATE"] == "1959-07-02"
    months = [sid for sid, a in animals.items() if len(a["birth_date"]) == 7]  # "YYYY-MM": mid-month
    assert months
    for sid in months:
        assert rows[sid]["BDATE"][:7] == animals[sid]["birth_date"] and rows[sid]["BDATE"][8:] in ("14", "15", "16")


def test_pmx_mult_file(pmx: tuple[Path, str]) -> None:
    folder, _ = pmx
    rows = read_csv(folder / "mult.csv")
    assert list(rows[0]) == ["offspring", "role", "candidate", "probability"]
    src = read_csv(SAMPLE / "mult_parents.csv")
    assert sorted((r["offspring"], r["role"], r["candidate"], float(r["probability"])) for r in rows) == sorted(
        (r["studbook_id"], r["role"][0].upper(), r["candidate"], float(r["probability"])) for r in src)
    total: dict[tuple[str, str], float] = defaultdict(float)
    for r in rows:
        total[(r["offspring"], r["role"])] += float(r["probability"])
    assert len(total) == 13 and all(abs(t - 1) <= 1e-12 for t in total.values())
    exchange = {r["STUD_ID"]: r for r in read_csv(folder / "exchange.csv")}
    assert all(exchange[o]["SIRE_ID" if role == "S" else "DAM_ID"] == "MULT" for o, role in total)


def test_pmx_census(sample_url: str, pmx: tuple[Path, str]) -> None:
    folder, _ = pmx
    rows = read_csv(folder / "pmxcens.csv")
    assert list(rows[0]) == ["STUD_ID", "SEX", "BDATE", "BIRTH_EST", "LOCATION", "LOCAL_ID", "STATUS", "CENSUS_DATE"]
    alive = json.loads(ok(sample_url, "animal", "list", "--alive", "--format", "json").stdout)
    assert sorted(r["STUD_ID"] for r in rows) == sorted(a["studbook_id"] for a in alive)
    assert len(rows) == 308 and {r["CENSUS_DATE"] for r in rows} == {"2026-11-01"}
    wild = [r for r in rows if r["STATUS"] == "wild"]
    assert len(wild) == 5 and {r["LOCATION"] for r in wild} == {"LAZOVSKY"}
    where = {a["studbook_id"]: a["location"] for a in alive}
    assert all(r["LOCATION"] == where[r["STUD_ID"]] for r in rows)
    assert {r["SEX"] for r in rows} <= {"0", "1"}


def test_pmx_as_of(sample_url: str, tmp_path: Path) -> None:
    folder = tmp_path / "pmx-2000"
    r = ok(sample_url, "export", "pmx", str(folder), "--as-of", "2000-01-01")
    assert "census date" not in r.stderr
    exchange = read_csv(folder / "exchange.csv")
    # Born by the day: the first possible day of the birth date, as `export pedigree --as-of` counts it.
    born = {a["studbook_id"] for a in read_csv(SAMPLE / "animals.csv")
            if (a["birth_date"].lstrip("~") + "-01-01"[len(a["birth_date"].lstrip("~")) - 4:]) <= "2000-01-01"}
    assert 0 < len(born) < 1478
    assert {r["STUD_ID"] for r in exchange} == born
    census = read_csv(folder / "pmxcens.csv")
    alive = json.loads(ok(sample_url, "animal", "list", "--alive", "--as-of", "2000-01-01", "--format", "json").stdout)
    assert sorted(r["STUD_ID"] for r in census) == sorted(a["studbook_id"] for a in alive)
    assert {r["CENSUS_DATE"] for r in census} == {"2000-01-01"}
    # F on that day, as `genetics inbreeding --as-of` gives it; nobody alive then is dead in the file.
    f = {x["id"]: x["F"] for x in json.loads(ok(sample_url, "genetics", "inbreeding", "--as-of", "2000-01-01",
                                                "--format", "json").stdout)}
    assert all(float(x["INBREED"]) == f[x["STUD_ID"]] for x in exchange)
    dead = {x["STUD_ID"] for x in exchange if x["DEAD"] == "T"}
    assert not dead & {c["STUD_ID"] for c in census}
    assert all(x["DEATHDATE"] <= "2000-01-01" for x in exchange if x["DEAD"] == "T")


def test_pmx_refuses_bad_as_of_and_taken_folder(sample_url: str, tmp_path: Path) -> None:
    for bad in ("2000-13-01", "~2000", "soon"):
        r = run_cli(sample_url, "export", "pmx", str(tmp_path / "out"), "--as-of", bad)
        assert r.exit_code == 1 and r.stderr.startswith("Error: ") and "--as-of" in r.stderr.splitlines()[0], r.stderr
        assert "Traceback" not in r.stderr
    assert list(tmp_path.iterdir()) == []  # nothing written, no temporary folder
    taken = tmp_path / "taken"
    taken.mkdir()
    (taken / "exchange.csv").write_text("mine", encoding="utf-8")
    r = run_cli(sample_url, "export", "pmx", str(taken))
    assert r.exit_code == 1 and "not empty" in r.stderr.splitlines()[0]
    assert (taken / "exchange.csv").read_text(encoding="utf-8") == "mine"
    assert [p.name for p in tmp_path.iterdir()] == ["taken"]


def test_pmx_does_not_create_a_database(tmp_path: Path) -> None:
    db = tmp_path / "missing.db"
    r = run_cli(str(db), "export", "pmx", str(tmp_path / "out"), "--as-of", "2020-01-01")
    assert r.exit_code != 0 and r.stderr.startswith("Error: ") and "Traceback" not in r.stderr
    assert not db.exists() and not (tmp_path / "out").exists()
