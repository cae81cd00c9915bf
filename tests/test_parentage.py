"""`parentage suggest`: the potential parents of UNK sires and dams, worked out by hand on a small book.

Amur leopard parameters (conftest.LEOPARD): gestation 90-105 days, breeding ages 2-17 (males), 2-16 (females).
"""

from __future__ import annotations

from datetime import date

import pytest
from conftest import assert_refused, jout, ok, run_cli

from studbook.dates import FuzzyDate
from studbook.records import AnimalFacts, Book, EventFacts, SpeciesParams
from studbook.services.parentage import potential_parents, suggestions_for


@pytest.fixture
def unk_url(book_url: str) -> str:
    """A book whose young 13 and 14 (born 2020-06-01 at LEIPZIG, dam 10) have an UNK sire.

    Their conception window is 2020-06-01 minus 105 .. minus 90 days = 2020-02-17 .. 2020-03-03.
    Males: 1 at LEIPZIG throughout (a candidate); 6 at LEIPZIG until he left on 2020-02-20, inside the
    window (a candidate); 2 arrived from MOSCOW on 2020-04-01, after the window; 4 at MOSCOW (another
    zoo); 5 died at LEIPZIG on 2020-01-15, before the window; 7 born 2003-01-01, 17.4 years old at the
    birth (over 17); 12 born at LEIPZIG 2018-09-01, 1.75 years old at the birth (under 2).
    15 (born 2019-05-01 at TALLINN, dam 11, UNK sire): window 2019-01-16 .. 2019-01-31, when TALLINN
    held only female 11. 20 (born 2016-04-10 at LEIPZIG, sire 1, UNK dam): females at LEIPZIG that day
    of breeding age: only 10 (7.3 to 8.3 years old; 11 was at TALLINN).
    """
    for sid, sex, born, at, cap in (("1", "M", "~2008", "LEIPZIG", "2010-03"), ("2", "M", "~2008", "MOSCOW", "2010-03"),
                                    ("4", "M", "~2008", "MOSCOW", "2010-03"), ("5", "M", "~2008", "LEIPZIG", "2010-03"),
                                    ("6", "M", "~2008", "LEIPZIG", "2010-03"), ("7", "M", "2003-01-01", "LEIPZIG", "2004"),
                                    ("10", "F", "~2008", "LEIPZIG", "2010-03"), ("11", "F", "~2008", "TALLINN", "2010-03")):
        ok(book_url, "animal", "add", "--id", sid, "--sex", sex, "--birth-date", born, "--at", at, "--wild-born",
           "--capture-date", cap)
    ok(book_url, "transfer", "2", "--to", "LEIPZIG", "--date", "2020-04-01")
    ok(book_url, "transfer", "6", "--to", "TALLINN", "--date", "2020-02-20")
    ok(book_url, "death", "5", "--date", "2020-01-15")
    ok(book_url, "animal", "add", "--id", "12", "--sex", "M", "--birth-date", "2018-09-01", "--at", "LEIPZIG",
       "--sire", "1", "--dam", "10")
    ok(book_url, "animal", "add", "--id", "13", "--sex", "M", "--birth-date", "2020-06-01", "--at", "LEIPZIG",
       "--dam", "10")
    ok(book_url, "animal", "add", "--id", "14", "--sex", "F", "--birth-date", "2020-06-01", "--at", "LEIPZIG",
       "--dam", "10")
    ok(book_url, "animal", "add", "--id", "15", "--sex", "F", "--birth-date", "2019-05-01", "--at", "TALLINN",
       "--dam", "11")
    ok(book_url, "animal", "add", "--id", "20", "--sex", "F", "--birth-date", "2016-04-10", "--at", "LEIPZIG",
       "--sire", "1")
    return book_url


def test_candidates_worked_out_by_hand(unk_url):
    rows = {(r["id"], r["role"]): r for r in jout(unk_url, "parentage", "suggest", "--all-unk")}
    assert sorted(rows) == [("13", "sire"), ("14", "sire"), ("15", "sire"), ("20", "dam")]
    r13 = rows[("13", "sire")]
    assert (r13["candidates"], r13["probability"], r13["at"]) == (["1", "6"], 0.5, "LEIPZIG")
    assert (r13["window_start"], r13["window_end"]) == ("2020-02-17", "2020-03-03")
    assert rows[("14", "sire")]["candidates"] == ["1", "6"]
    r15 = rows[("15", "sire")]
    assert r15["candidates"] == [] and r15["n_candidates"] == 0
    assert r15["reason"] == "no male of breeding age is recorded at TALLINN from 2019-01-16 to 2019-01-31"
    r20 = rows[("20", "dam")]
    assert (r20["candidates"], r20["probability"], r20["window_start"], r20["window_end"]) == (
        ["10"], 1.0, "2016-04-10", "2016-04-10")
    # One ID, one role; csv as well.
    assert [r["id"] for r in jout(unk_url, "parentage", "suggest", "13", "14", "--role", "sire")] == ["13", "14"]
    csv = ok(unk_url, "parentage", "suggest", "13", "--format", "csv").stdout.splitlines()
    assert csv[0].startswith("id,role,born,at,") and csv[1].startswith("13,sire,2020-06-01,LEIPZIG,")
    assert ",1 6,0.5," in csv[1]


def test_refusals(unk_url):
    assert_refused(unk_url, ["parentage", "suggest", "999"], "no animal with studbook ID '999'")
    assert_refused(unk_url, ["parentage", "suggest", "12"], "animal 12: its sire and dam are not UNK")
    assert_refused(unk_url, ["parentage", "suggest", "13", "--role", "dam"], "animal 13: its dam is not UNK")
    assert_refused(unk_url, ["parentage", "suggest", "13", "20", "--role", "sire"], "animal 20: its sire is not UNK")
    assert_refused(unk_url, ["parentage", "suggest", "13", "--apply"], "needs a reason")
    assert_refused(unk_url, ["parentage", "suggest", "13", "--apply", "--reason", "  "], "needs a reason")
    assert_refused(unk_url, ["parentage", "suggest"], "give studbook IDs or --all-unk")
    assert_refused(unk_url, ["parentage", "suggest", "13", "--all-unk"], "give studbook IDs or --all-unk")
    assert_refused(unk_url, ["parentage", "suggest", "15", "--apply", "--reason", "x"], "nothing to apply")


def test_apply_records_mult_audited_and_reversible(unk_url):
    r = ok(unk_url, "parentage", "suggest", "--all-unk", "--apply", "--reason", "males housed with dam 10")
    assert "Recorded 3 MULT parent(s); skipped 1 without candidates." in r.stderr
    assert jout(unk_url, "animal", "show", "13")["sire"] == "MULT(1:0.5, 6:0.5)"
    assert jout(unk_url, "animal", "show", "14")["sire"] == "MULT(1:0.5, 6:0.5)"
    assert jout(unk_url, "animal", "show", "20")["dam"] == "MULT(10:1)"
    assert jout(unk_url, "animal", "show", "15")["sire"] == "UNK"
    assert any(a["reason"] == "males housed with dam 10" and a["user"] == "tester"
               for a in jout(unk_url, "audit", "--animal", "13"))
    # Nothing UNK is left to suggest for 13; undo with the ordinary correction.
    assert_refused(unk_url, ["parentage", "suggest", "13"], "not UNK")
    ok(unk_url, "animal", "update", "13", "--sire", "UNK", "--reason", "back to unknown")
    assert jout(unk_url, "animal", "show", "13")["sire"] == "UNK"
    assert [x["candidates"] for x in jout(unk_url, "parentage", "suggest", "13")] == [["1", "6"]]


def _facts(sid: str, sex: str, born: str, **kw: object) -> AnimalFacts:
    return AnimalFacts(sid, sex, FuzzyDate.parse(born), **kw)  # type: ignore[arg-type]


def _ev(sid: str, kind: str, when: str, at: str | None, eid: int, **kw: object) -> EventFacts:
    return EventFacts(sid, kind, FuzzyDate.parse(when), at, event_id=eid, **kw)  # type: ignore[arg-type]


def test_never_the_young_itself_nor_its_descendants():
    """Species without ages or gestation (defaults): only sex, place, birth order and descent count.

    Y (M, born "2020" at A, UNK sire); Z (M, born 2020-12, son of Y, at A) could otherwise be
    there in the window; X (M, born 2019, at A) is a candidate; Y itself is male and at A.
    """
    animals = {"Y": _facts("Y", "M", "2020"), "Z": _facts("Z", "M", "2020-12", sire_kind="ID", sire="Y"),
               "X": _facts("X", "M", "2019")}
    events = {"Y": [_ev("Y", "birth", "2020", "A", 1)], "Z": [_ev("Z", "birth", "2020-12", "A", 2)],
              "X": [_ev("X", "birth", "2019", "A", 3)]}
    book = Book(SpeciesParams(), animals, events, {"A": "zoo"}, date(2026, 1, 1))
    assert potential_parents(book, "Y", "sire").candidates == ("X",)
    assert [(s.studbook_id, s.role) for s in suggestions_for(book, None, "sire")] == [("X", "sire"), ("Y", "sire")]


def test_egg_species_use_the_laying_place_and_window():
    """Incubation 50-60 days, hatch 2000-06-30 at B, laid at A: the sire must be at A from
    2000-06-30 - 60 - 30 (fertilisation) = 2000-04-01 to 2000-06-30 - 50 = 2000-05-11; the dam at A
    in the laying window 2000-05-01 .. 2000-05-11."""
    sp = SpeciesParams(reproduction="egg", incubation_min_days=50, incubation_max_days=60)
    animals = {"H": _facts("H", "U", "2000-06-30"), "M1": _facts("M1", "M", "1990"), "M2": _facts("M2", "M", "1990"),
               "F1": _facts("F1", "F", "1990")}
    events = {"H": [_ev("H", "birth", "2000-06-30", "B", 1, laid_at="A")],
              "M1": [_ev("M1", "birth", "1990", "A", 2), _ev("M1", "transfer", "2000-04-05", "B", 3)],
              "M2": [_ev("M2", "birth", "1990", "B", 4)],
              "F1": [_ev("F1", "birth", "1990", "A", 5), _ev("F1", "transfer", "2000-04-20", "B", 6)]}
    book = Book(sp, animals, events, {"A": "zoo", "B": "zoo"}, date(2026, 1, 1))
    sire = potential_parents(book, "H", "sire")
    assert (sire.place, sire.window, sire.candidates) == ("A", (date(2000, 4, 1), date(2000, 5, 11)), ("M1",))
    dam = potential_parents(book, "H", "dam")
    assert (dam.window, dam.candidates) == ((date(2000, 5, 1), date(2000, 5, 11)), ())


def test_every_unk_sire_of_the_sample_has_a_potential_sire(sample_url):
    """Issue 10: in every UNK-sire birth of the sample a known male was at the dam's institution at conception."""
    rows = jout(sample_url, "parentage", "suggest", "--all-unk")
    assert len(rows) == 31 and {r["role"] for r in rows} == {"sire"}
    assert all(r["candidates"] for r in rows), [r for r in rows if not r["candidates"]]
    counts = sorted(len(r["candidates"]) for r in rows)
    assert (counts.count(1), counts.count(2)) == (17, 14)
    one = next(r for r in rows if r["id"] == "1383")
    assert (one["at"], one["candidates"]) == ("BUDAPEST", ["1197"])
    r = run_cli(sample_url, "parentage", "suggest", "1383", "--format", "table")
    assert r.exit_code == 0 and "1197" in r.stdout
