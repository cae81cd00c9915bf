"""The files `export book` adds to a book folder: void records, health notes, extra local IDs, problems.

Each loads as documented in data/README.md (passing books), and every row that cannot be
loaded is a problem naming its file and line (failing books), refused by default and
stored as an open problem with --allow-problems. The round trips are in test_export.py.
"""

from __future__ import annotations

from pathlib import Path

from conftest import assert_refused, jout, ok, run_cli, table_counts
from test_book_folder import GOOD_ANIMALS, GOOD_EVENTS, GOOD_MULT, HEADER, write_book

VOID_ANIMALS_HEADER = HEADER.rstrip("\n") + ",health_notes,void_reason\n"
VOID_EVENTS_HEADER = "studbook_id,event,date,institution,from_institution,loan,local_id,cause,site,litter," \
                     "source_event_id,void_reason\n"
PROBLEMS_HEADER = "code,severity,animal,message,hint,source,opened_at,opened_by,resolved_at,resolved_by,resolution\n"


def extras_book(folder: Path, animals: str = GOOD_ANIMALS, **files: str) -> Path:
    """The good book of test_book_folder plus extra files (``void_animals="..."`` -> void_animals.csv)."""
    write_book(folder, animals, GOOD_EVENTS, GOOD_MULT)
    for name, text in files.items():
        (folder / f"{name}.csv").write_text(text, encoding="utf-8")
    return folder


def _db_rows(url: str, sql: str) -> list[tuple[object, ...]]:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return [tuple(r) for r in conn.execute(text(sql))]
    finally:
        engine.dispose()


# --- passing books ---------------------------------------------------------------------------

# 8: void, born at TALLINN where its dam never was (E09 if judged), MULT sire; 9: void young of void 8.
VOID_ANIMALS = VOID_ANIMALS_HEADER + """8,,F,2013-06-01,captive,MULT,2,parent,0,0,0,0,0,,weak,registered twice
9,,M,2016-06-01,captive,3,8,parent,0,0,0,0,0,,,"typo, see 8"
"""
VOID_MULT = "studbook_id,role,candidate,probability\n8,sire,1,0.5\n8,sire,3,0.5\n"
# 3 moved to LEIPZIG while at TALLINN since 2012 and back: both void (E07 if judged), between its live events.
VOID_EVENTS = VOID_EVENTS_HEADER + """8,birth,2013-06-01,TALLINN,,0,V8,,,,5,animal 8 void: registered twice
3,transfer,2011-01-01,TALLINN,LEIPZIG,0,,,,,4,entered twice
9,birth,2016-06-01,TALLINN,,0,,,,,9,
"""


def test_void_records_load_void_without_the_rules(empty_url, tmp_path):
    folder = extras_book(tmp_path / "void", void_animals=VOID_ANIMALS, void_mult_parents=VOID_MULT,
                         void_events=VOID_EVENTS)
    r = ok(empty_url, "init", "--from-folder", str(folder))  # no rule judged the void records
    assert "Loaded 5 animals, 7 events" in r.stderr
    shown = jout(empty_url, "animal", "show", "8")
    assert (shown["void"], shown["void_reason"], shown["health_notes"]) == (True, "registered twice", "weak")
    assert [h["void"] for h in shown["history"]] == [True] and shown["local_ids"] == ["TALLINN:V8"]
    assert jout(empty_url, "animal", "show", "9")["void_reason"] == "typo, see 8"
    assert {a["studbook_id"] for a in jout(empty_url, "animal", "list")} == {"1", "2", "3", "4", "5"}
    history = jout(empty_url, "event", "list", "3")
    assert [(e["event"], e["void"]) for e in history] == [("birth", False), ("transfer", False), ("transfer", True)]
    assert _db_rows(empty_url, "SELECT e.void, e.void_reason FROM event e JOIN animal a ON a.id = e.animal_id "
                               "WHERE a.studbook_id = '9'") == [(False, None)]  # an event of a void animal, as it was
    cands = _db_rows(empty_url, "SELECT c.studbook_id, p.probability FROM parent_candidate p JOIN animal a "
                                "ON a.id = p.animal_id JOIN animal c ON c.id = p.candidate_id WHERE a.studbook_id = '8'")
    assert sorted(cands) == [("1", 0.5), ("3", 0.5)]
    # Their IDs stay taken: the sequence passes them, and nobody gets them again.
    assert jout(empty_url, "species", "show")["next_studbook_id"] == 10
    assert_refused(empty_url, ["animal", "add", "--id", "8", "--sex", "F", "--birth-date", "2014", "--at", "LEIPZIG"],
                   "already used")
    ok(empty_url, "validate")


def test_void_events_keep_the_source_order(empty_url, tmp_path):
    # The void transfer of 3 (source id 4) was entered before its live transfer (source id 5 in events.csv).
    folder = extras_book(tmp_path / "order", void_events=VOID_EVENTS_HEADER
                         + "3,transfer,2011-01-01,TALLINN,LEIPZIG,0,,,,,4,entered twice\n")
    ok(empty_url, "init", "--from-folder", str(folder))
    rows = _db_rows(empty_url, "SELECT e.kind, e.void FROM event e JOIN animal a ON a.id = e.animal_id "
                               "WHERE a.studbook_id = '3' ORDER BY e.id")
    assert rows == [("birth", False), ("transfer", True), ("transfer", False)]


def test_health_notes_and_local_ids_load(empty_url, tmp_path):
    animals = GOOD_ANIMALS.replace("\n", ",\n")  # an empty health_notes column in animals.csv
    folder = extras_book(
        tmp_path / "notes", animals=animals,
        health_notes='studbook_id,health_notes\n3,"lame left hind\nsecond line"\n4,\n',
        local_ids="studbook_id,institution,local_id,event,event_date,event_institution,source_event_id\n"
                  "3,TALLINN,T78,transfer,2012-09-01,TALLINN,4\n3,LEIPZIG,L3,,,,\n")
    (folder / "animals.csv").write_text(HEADER.rstrip("\n") + ",health_notes\n" + animals, encoding="utf-8")
    ok(empty_url, "init", "--from-folder", str(folder))
    assert jout(empty_url, "animal", "show", "3")["health_notes"] == "lame left hind\nsecond line"
    rows = _db_rows(empty_url, "SELECT l.local_id, e.kind, e.date FROM local_id l JOIN animal a ON a.id = l.animal_id "
                               "LEFT JOIN event e ON e.id = l.event_id WHERE a.studbook_id = '3' ORDER BY l.local_id")
    assert [(lid, kind, str(day) if day else None) for lid, kind, day in rows] == [
        ("L3", None, None), ("T77", "transfer", "2012-09-01"), ("T78", "transfer", "2012-09-01")]


def test_problems_csv_loads_with_its_history(empty_url, tmp_path):
    problems = PROBLEMS_HEADER + (
        "F01,error,7,animals.csv line 8: animal 7: sex 'X' is not one of M F U,write M or F,animals.csv line 8,"
        "2026-01-02T10:00:00+00:00,keeper,,,\n"
        "P07,error,5,sire 3 too young,,animals.csv line 6,2026-01-02T10:00:00+00:00,keeper,"
        "2026-02-03T11:30:00+00:00,registrar,\"checked, the date is right\"\n")
    folder = extras_book(tmp_path / "problems", problems=problems)
    r = ok(empty_url, "init", "--from-folder", str(folder))
    rows = jout(empty_url, "problems", "list")
    assert [(p["code"], p["animal"], p["opened_by"], p["resolved_by"], p["resolution"]) for p in rows] == [
        ("F01", "7", "keeper", None, None), ("P07", "5", "keeper", "registrar", "checked, the date is right")]
    assert rows[1]["resolved"].startswith("2026-02-03T11:30:00")
    assert "Loaded 5 animals" in r.stderr
    assert run_cli(empty_url, "validate").exit_code == 1  # the open unreadable-row problem


# --- failing books: every row that cannot be loaded is a problem with its file and line --------

BAD = {
    # line 2: unknown parent; 3: sex X; 4: empty reason; 5: the ID of a live animal.
    "void_animals": VOID_ANIMALS_HEADER + """8,,F,2013-06-01,captive,77,2,parent,0,0,0,0,0,,,twice
9,,X,2013-06-01,captive,1,2,parent,0,0,0,0,0,,,twice
10,,F,2013-06-01,captive,1,2,parent,0,0,0,0,0,,,
3,,F,2013-06-01,captive,1,2,parent,0,0,0,0,0,,,twice
""",
    "void_mult_parents": "studbook_id,role,candidate,probability\n55,sire,1,0.5\n",
    # line 2: unknown animal; 3: a bad date; 4: a bad source id; 5: no reason for a void event of a live animal.
    "void_events": VOID_EVENTS_HEADER + """66,birth,2013-06-01,TALLINN,,0,,,,,5,twice
8,birth,2013-13-01,TALLINN,,0,,,,,6,twice
3,transfer,2011-01-01,TALLINN,LEIPZIG,0,,,,,x,twice
3,transfer,2011-02-01,TALLINN,LEIPZIG,0,,,,,8,
""",
    # line 2: unknown animal; 3: a control character; 5: given twice.
    "health_notes": "studbook_id,health_notes\n66,fine\n3,\"bell\x07\"\n4,fine\n4,again\n",
    # line 2: unknown animal; 3: unknown institution; 4: empty; 5: an event 3 does not have.
    "local_ids": "studbook_id,institution,local_id,event,event_date,event_institution\n66,LEIPZIG,A1,,,\n"
                 "3,NOWHERE,A2,,,\n3,LEIPZIG,,,,\n3,LEIPZIG,A3,death,2012-01-01,LEIPZIG\n",
    # line 2: a bad severity; 3: a bad time; 4: resolved_by without resolved_at; 5: a bad animal ID; 6: good.
    "problems": PROBLEMS_HEADER + """P07,fatal,5,m,,,2026-01-02T10:00:00,k,,,
P07,error,5,m,,,yesterday,k,,,
P07,error,5,m,,,2026-01-02T10:00:00,k,,someone,
P07,error,５,m,,,2026-01-02T10:00:00,k,,,
P07,error,5,sire 3 too young,,,2026-01-02T10:00:00,k,,,
""",
}
EXPECTED = [
    "void_animals.csv line 2: animal 8: sire 77 is not in animals.csv or void_animals.csv",
    "void_animals.csv line 3: animal 9: sex 'X' is not one of",
    "void_animals.csv line 4: animal 10: void_reason is empty",
    "void_animals.csv line 5: studbook ID 3 is already used",
    "void_mult_parents.csv line 2: animal 55 is not in void_animals.csv",
    "void_events.csv line 2: animal 66 is not in animals.csv or void_animals.csv; this void event was not loaded",
    "void_events.csv line 3: animal 8: birth date",
    "void_events.csv line 4: animal 3: source_event_id 'x' is not a whole number",
    "void_events.csv line 5: animal 3: void_reason is empty",
    "health_notes.csv line 2: animal 66 is not in animals.csv or void_animals.csv; its health notes were not loaded",
    "health_notes.csv line 3: animal 3: health notes contains a control character",
    "health_notes.csv line 5: animal 4: health notes are given twice",
    "local_ids.csv line 2: animal 66 is not in animals.csv or void_animals.csv; this local ID was not loaded",
    "local_ids.csv line 3: animal 3: institution 'NOWHERE' of local ID 'A2' is not in institutions.csv",
    "local_ids.csv line 4: animal 3: local_id is empty",
    "local_ids.csv line 5: animal 3 has no death on 2012-01-01 at LEIPZIG for local ID 'A3'",
    "problems.csv line 2: problem P07: severity 'fatal' is not error or warning",
    "problems.csv line 3: problem P07: opened_at 'yesterday' is not a date and time",
    "problems.csv line 4: problem P07: resolved_at, resolved_by and resolution go together",
    "problems.csv line 5: studbook ID '５' is not valid",
    "animals.csv line 6: animal 5: dam 8 is void (void_animals.csv) [rule P03]",
]


def test_unreadable_extra_rows_are_listed_with_their_lines(empty_url, tmp_path):
    animals = GOOD_ANIMALS.replace("5,,M,2012-06-01,captive,MULT,2,", "5,,M,2012-06-01,captive,MULT,8,")
    folder = extras_book(tmp_path / "bad", animals=animals, **BAD)
    assert run_cli(empty_url, "db", "upgrade").exit_code == 0
    before = table_counts(empty_url)
    r = run_cli(empty_url, "init", "--from-folder", str(folder))
    assert r.exit_code == 1 and "Traceback" not in r.stderr and "unexpected" not in r.stderr
    for text in EXPECTED:
        assert text in r.stderr, text
    assert table_counts(empty_url) == before


def test_unreadable_extra_rows_are_stored_as_open_problems(empty_url, tmp_path):
    animals = GOOD_ANIMALS.replace("5,,M,2012-06-01,captive,MULT,2,", "5,,M,2012-06-01,captive,MULT,8,")
    folder = extras_book(tmp_path / "bad", animals=animals, **BAD)
    ok(empty_url, "init", "--from-folder", str(folder), "--allow-problems")
    stored = jout(empty_url, "problems", "list", "--open")
    sources = {p["source"] for p in stored}
    for text in EXPECTED:
        assert text.split(": ")[0] in sources, text
    # problems.csv's one good row is kept, and the rows that could be read are loaded.
    assert any(p["message"] == "sire 3 too young" and p["opened_by"] == "k" for p in stored)
    assert jout(empty_url, "animal", "show", "4")["health_notes"] == "fine"
    assert "LEIPZIG:A3" in jout(empty_url, "animal", "show", "3")["local_ids"]  # loaded without its event
    assert jout(empty_url, "animal", "show", "8")["void"]


def test_an_extra_file_without_its_columns_is_refused_even_with_allow_problems(empty_url, tmp_path):
    folder = extras_book(tmp_path / "columns", local_ids="studbook_id,institution,event\n3,LEIPZIG,birth\n")
    r = run_cli(empty_url, "init", "--from-folder", str(folder), "--allow-problems")
    assert r.exit_code == 1 and "local_ids.csv must be fixed first" in r.stderr
    assert "local_ids.csv line 1: local_ids.csv has no column 'local_id'" in r.stderr


def test_book_tables_load_the_extra_files(empty_url, tmp_path):
    """A book read into memory (BookTables) loads the extra tables the same way, naming its own sources."""
    import csv
    import io
    import json

    import pytest

    from studbook.db import session_scope, upgrade
    from studbook.services.book_folder import BookLoadRefused, BookTables, load_book_folder

    folder = extras_book(tmp_path / "tables", void_animals=VOID_ANIMALS, void_mult_parents=VOID_MULT,
                         void_events=VOID_EVENTS, health_notes="studbook_id,health_notes\n3,lame\n66,fine\n")
    rows = {p.name: list(enumerate(csv.DictReader(io.StringIO(p.read_text("utf-8"))), 1)) for p in folder.glob("*.csv")}
    species = json.loads((folder / "species.json").read_text("utf-8"))
    tables = BookTables("memory", rows, species=species, sources={"health_notes.csv": "NOTES.DBF"})
    upgrade(empty_url)
    with pytest.raises(BookLoadRefused) as refused, session_scope(empty_url, write=True, user="tester") as session:
        load_book_folder(session, tables)
    assert [p.text() for p in refused.value.found if p.code == "F01"] == [
        "NOTES.DBF record 2: animal 66 is not in animals.csv or void_animals.csv; its health notes were not loaded"
        " (hint: remove this row or register the animal)"]
    with session_scope(empty_url, write=True, user="tester") as session:
        report = load_book_folder(session, tables, allow_problems=True)
    assert report.animals == 5 and report.problems_stored == 1
    assert jout(empty_url, "animal", "show", "8")["void"]
    assert jout(empty_url, "animal", "show", "3")["health_notes"] == "lame"
