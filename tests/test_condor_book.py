"""The real California condor book (SPARKS exchange + moves) loads, and its open problems are real data errors.

The book is mapped by studbook's SPARKS import (``tests/condor.py`` writes it as a book
folder; no fixing of the data) and loaded with ``--allow-problems``. Every open problem below was checked by hand against
the DBF files (and independently by the converter's own analysis): each is an error
in the records themselves, not something the model cannot express. Released birds
living, moving, breeding and dying in the wild, recaptures recorded as ordinary
arrivals, eggs laid in one place and hatched in another, eggs from wild nests and
double-clutched dams all load without a problem.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from condor import convert_condor
from conftest import jout, ok, run_cli, table_counts
from pedigree_gallery import shared_dir

# (code, animal) -> why it is a real data error.
REAL_ERRORS: dict[tuple[str, str], str] = {
    # The exchange birth date (BDATE) and the hatch move (AA) disagree: two different dates for one hatch.
    **{("E03", sid): "BDATE differs from the AA move date" for sid in (
        "254", "499", "530", "598", "690", "704", "720", "722", "729", "754", "765", "781", "787", "792", "800")},
    # A death recorded at a place the bird never moved to (no move to the death place before it).
    **{("E07", sid): "death at a place with no move there" for sid in (
        "125", "191", "202", "252", "253", "381", "402", "414", "426", "454", "645", "658", "765")},
    # Duplicate consecutive arrivals at the same place.
    ("E07", "317"): "two arrivals at PAICINES in a row",
    ("E07", "378"): "two arrivals at VERMILION in a row",
    ("E07", "448"): "moved from CALIFORNI to CALIFORNI",
    # Releases that do not start where the bird is.
    ("E07", "66"): "released from CALIFORNI the day it was caught there",
    ("E07", "99"): "released twice with no return to captivity between",
    ("E07", "143"): "moves from HOPPER while it is in CALIFORNI, then dies in CALIFORNI while at HOPPER",
    ("E13", "63"): "released into HOPPER, a captive pen",
    ("E11", "320"): "an AB capture of a bird that is at SD-WAP (in captivity)",
    ("E09", "765"): "hatched in UTAH while its dam is recorded in ARIZONA",
    ("E09", "808"): "dam 16 died in 1982; the egg hatched in 2015",
    ("P08", "808"): "dam 16 died in 1982; the egg hatched in 2015",
    ("P07", "19"): "sire 4 (born 1976) at most 3.99 years old at the 1979 hatch; condors breed from about 6",
}


@pytest.fixture(scope="module")
def condor_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    src = shared_dir() / "reference" / "studbooks" / "california_condor"
    dest = tmp_path_factory.mktemp("condor") / "book"
    convert_condor(src, dest)
    return dest


def test_condor_book_is_refused_without_allow_problems(condor_folder, empty_url, tmp_path):
    out = tmp_path / "problems.csv"
    r = run_cli(empty_url, "init", "--from-folder", str(condor_folder), "--problems", str(out))
    assert r.exit_code == 1 and "nothing was loaded" in r.stderr
    rows = [row for row in csv.DictReader(out.open(encoding="utf-8")) if row["severity"] == "error"]
    assert {(row["code"], row["animal"]) for row in rows} == set(REAL_ERRORS)
    from studbook.config import sqlite_path

    path = sqlite_path(empty_url)
    if path is not None:  # a refused load onto a new SQLite file leaves no file behind
        assert not Path(path).exists()
    else:
        assert table_counts(empty_url)["animal"] == 0 and table_counts(empty_url)["problem"] == 0


def test_condor_book_loads_with_its_real_errors_open(condor_folder, empty_url):
    r = ok(empty_url, "init", "--from-folder", str(condor_folder), "--allow-problems")
    assert "Loaded 807 animals, 4307 events, 29 institutions" in r.stderr
    problems = jout(empty_url, "problems", "list", "--open")
    assert {(p["code"], p["animal"]) for p in problems} == set(REAL_ERRORS)
    assert len(problems) == 41
    # Life in the wild: on the census date (the export's last move) 30 birds are alive in the wild (261 by the
    # moves alone; 231 of them are DEAD=T in the exchange: a death at an undetermined date after their release).
    wild = jout(empty_url, "animal", "list", "--status", "wild")
    captive = jout(empty_url, "animal", "list", "--status", "captive")
    assert (len(wild), len(captive)) == (30, 172)
    assert {a["location"] for a in wild} <= {"CALIFORNI", "ARIZONA", "BAJA", "UTAH"}
    # Genetics run, and say that problems are open.
    r = ok(empty_url, "genetics", "summary", "--format", "json")
    assert "41 open problem(s)" in r.stderr
    # A correction closes its problem: bird 317's duplicate arrival is withdrawn.
    dup = [e for e in jout(empty_url, "event", "list", "317") if e["event"] == "transfer"
           and e["institution"] == e["from_institution"] == "PAICINES"]
    assert [e["date"] for e in dup] == ["2010-05-19"]
    ok(empty_url, "event", "void", str(dup[0]["event_id"]), "--reason", "duplicate arrival in the SPARKS export")
    still = {(p["code"], p["animal"]) for p in jout(empty_url, "problems", "list", "--open")}
    assert still == set(REAL_ERRORS) - {("E07", "317")}
