"""Every problem of a book folder in one run, and known problems instead of silent blocks.

A load is all or nothing by default and lists every problem (unreadable rows and broken
rules together), without a cap; ``--problems FILE.csv`` writes them to a file, even when
the load is refused. ``--allow-problems`` loads the book anyway and keeps every error as
an open problem: validate lists them, corrections close them, and a write that would add
a NEW error is still refused.
"""

from __future__ import annotations

import csv
import json
import shutil
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import (
    BACKENDS,
    ROOT,
    assert_refused,
    copy_database,
    fresh_database,
    jout,
    ok,
    run_cli,
    table_counts,
)

PROBLEM_HEADER = ["file", "line", "animal", "code", "severity", "message", "hint"]
SAMPLE = ROOT / "data" / "sample"


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _csv(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.reader(fh))


def _listed(stderr: str) -> list[str]:
    """The problem lines of an error (``  - ...``)."""
    return [line[4:] for line in stderr.splitlines() if line.startswith("  - ")]


# --- a copy of the sample with one wrong dam ---------------------------------------------------

def _wrong_dam_target() -> tuple[str, str, int]:
    """A young of the sample alone in its litter and alive at the census date: (ID, its dam, line)."""
    animals = _rows(SAMPLE / "animals.csv")
    last_event: dict[str, str] = {}
    for e in _rows(SAMPLE / "events.csv"):
        last_event[e["studbook_id"]] = e["event"]
    litters = Counter((a["dam"], a["birth_date"]) for a in animals)
    for line, a in reversed(list(enumerate(animals, start=2))):
        if (a["birth_type"] == "captive" and a["dam"].isdigit() and a["sire"].isdigit()
                and litters[(a["dam"], a["birth_date"])] == 1 and len(a["birth_date"]) == 10
                and last_event[a["studbook_id"]] not in ("death", "ltf", "release")):
            return a["studbook_id"], a["dam"], line
    raise AssertionError("no single young in the sample")


WRONG_DAM = "2"  # a founder female who died in the 1970s


def _wrong_dam_folder(tmp: Path) -> tuple[Path, str, str, int]:
    sid, dam, line = _wrong_dam_target()
    folder = tmp / "book"
    shutil.copytree(SAMPLE, folder)
    text = (folder / "animals.csv").read_text(encoding="utf-8").split("\n")
    cells = text[line - 1].split(",")
    assert cells[0] == sid and cells[6] == dam
    cells[6] = WRONG_DAM
    text[line - 1] = ",".join(cells)
    (folder / "animals.csv").write_text("\n".join(text), encoding="utf-8")
    return folder, sid, dam, line


def test_one_wrong_dam_blocks_the_load_and_is_listed(empty_url, tmp_path):
    folder, sid, _dam, line = _wrong_dam_folder(tmp_path)
    assert run_cli(empty_url, "db", "upgrade").exit_code == 0
    before = table_counts(empty_url)
    out = tmp_path / "out.csv"
    r = run_cli(empty_url, "init", "--from-folder", str(folder), "--problems", str(out))
    assert r.exit_code == 1 and "Traceback" not in r.stderr
    assert "nothing was loaded" in r.stderr.splitlines()[0]
    listed = _listed(r.stderr)
    assert f"animals.csv line {line}: ERROR P08 animal {sid}: dam {WRONG_DAM} died" in r.stderr
    assert any(f"ERROR E09 animal {sid}: born at" in p and f"dam {WRONG_DAM} is not there" in p for p in listed)
    assert all(f"animal {sid}:" in p for p in listed), listed  # nothing else is wrong with the sample
    assert f"{out} lists them with the warnings ({len(_csv(out)) - 1} rows)" in r.stderr  # the file is written
    assert table_counts(empty_url) == before


# --- every problem, no cap -------------------------------------------------------------------

INSTITUTIONS = """code,name,city,country,region,latitude,longitude,capacity_males,capacity_females
LEIPZIG,Zoo Leipzig,Leipzig,DE,EAZA,51.3485,12.3709,2,2
TALLINN,Tallinn Zoo,Tallinn,EE,EAZA,59.4250,24.6530,1,2
"""
ANIMALS_HEADER = ("studbook_id,house_name,sex,birth_date,birth_type,sire,dam,rearing,exclude_from_analysis,"
                  "do_not_breed,contracepted,hybrid_suspect,artificial_insemination,notes\n")
EVENTS_HEADER = "studbook_id,event,date,institution,from_institution,loan,local_id,cause,site\n"
SPECIES = {"common_name": "Amur leopard", "scientific_name": "Panthera pardus orientalis", "gestation_min_days": 90,
           "gestation_max_days": 105, "min_breeding_age_male": 2.0, "min_breeding_age_female": 2.0,
           "max_breeding_age_male": 17.0, "max_breeding_age_female": 16.0, "longevity_years": 24.0}
FOUNDERS = "1,,M,~2005,wild,WILD,WILD,unknown,0,0,0,0,0,\n2,,F,~2005,wild,WILD,WILD,unknown,0,0,0,0,0,\n"
FOUNDER_EVENTS = "1,capture,2007,LEIPZIG,,0,,,\n2,capture,2007,LEIPZIG,,0,,,\n"


def _folder(path: Path, animals: str, events: str) -> Path:
    path.mkdir(parents=True)
    (path / "species.json").write_text(json.dumps(SPECIES))
    (path / "institutions.csv").write_text(INSTITUTIONS)
    (path / "animals.csv").write_text(ANIMALS_HEADER + FOUNDERS + animals)
    (path / "events.csv").write_text(EVENTS_HEADER + FOUNDER_EVENTS + events)
    return path


def _many_problems(path: Path, n: int = 250) -> Path:
    """Animals 3..n+2: the odd ones have a blank sire (unreadable, F01), the even ones a birth event
    dated a day after their birth date (rule E03): one problem each."""
    animals, events = [], []
    for sid in range(3, n + 3):
        sire = "" if sid % 2 else "UNK"
        animals.append(f"{sid},,F,2010-05-01,captive,{sire},UNK,parent,0,0,0,0,0,")
        events.append(f"{sid},birth,{'2010-05-01' if sid % 2 else '2010-05-02'},LEIPZIG,,0,,,")
    return _folder(path, "\n".join(animals) + "\n", "\n".join(events) + "\n")


def test_all_problems_are_listed_without_a_cap(empty_url, tmp_path):
    folder = _many_problems(tmp_path / "many")
    out = tmp_path / "out.csv"
    r = run_cli(empty_url, "init", "--from-folder", str(folder), "--problems", str(out))
    assert r.exit_code == 1
    assert "250 problem(s) (125 unreadable, 125 rule error(s)); nothing was loaded" in r.stderr.splitlines()[0]
    listed = _listed(r.stderr)
    assert len(listed) == 250
    for sid in range(3, 253):
        if sid % 2:
            assert any(p.startswith(f"animals.csv line {sid + 1}: animal {sid}: sire is blank (hint: ")
                       for p in listed), sid
        else:
            assert any(p.startswith(f"events.csv line {sid + 1}: ERROR E03 animal {sid}: ") for p in listed), sid
    table = _csv(out)
    assert table[0] == PROBLEM_HEADER and len(table) == 251
    rows = [dict(zip(PROBLEM_HEADER, row)) for row in table[1:]]
    assert Counter(r["code"] for r in rows) == {"F01": 125, "E03": 125}
    assert {r["severity"] for r in rows} == {"error"}
    first = next(r for r in rows if r["animal"] == "3")
    assert (first["file"], first["line"], first["code"]) == ("animals.csv", "4", "F01")
    assert first["message"] == "animal 3: sire is blank" and "UNK" in first["hint"]
    e03 = next(r for r in rows if r["animal"] == "4")
    assert (e03["file"], e03["line"], e03["code"]) == ("events.csv", "5", "E03")
    assert "differs from the birth date" in e03["message"] and e03["hint"]


def test_format_and_rule_problems_are_listed_together(empty_url, tmp_path):
    # Line 4: a sex that does not exist (unreadable); animal 4 (line 5) is a young of an 8-month-old sire.
    animals = "3,,X,2010-05-01,captive,1,2,parent,0,0,0,0,0,\n4,,F,2011-01-01,captive,5,2,parent,0,0,0,0,0,\n" \
              "5,,M,2010-05-01,captive,1,2,parent,0,0,0,0,0,\n"
    events = "3,birth,2010-05-01,LEIPZIG,,0,,,\n4,birth,2011-01-01,LEIPZIG,,0,,,\n5,birth,2010-05-01,LEIPZIG,,0,,,\n"
    r = run_cli(empty_url, "init", "--from-folder", str(_folder(tmp_path / "mixed", animals, events)))
    assert r.exit_code == 1
    listed = _listed(r.stderr)
    assert any(p.startswith("animals.csv line 4: animal 3: sex 'X'") for p in listed)
    assert any(p.startswith("events.csv line 4: animal 3 was not loaded: its row (animals.csv line 4)") for p in listed)
    assert any(p.startswith("animals.csv line 5: ERROR P07 animal 4: sire 5") for p in listed)


def test_problems_file_with_allow_problems(empty_url, tmp_path):
    folder = _many_problems(tmp_path / "many", 10)
    out = tmp_path / "out.csv"
    r = ok(empty_url, "init", "--from-folder", str(folder), "--allow-problems", "--problems", str(out))
    assert "Loaded 12 animals, 12 events, 2 institutions (0 warnings; 10 open problems stored — see " \
           "`studbook problems list`)." in r.stderr
    table = _csv(out)
    assert table[0] == PROBLEM_HEADER and len(table) == 11


def test_problems_option_needs_a_book(empty_url, tmp_path):
    r = run_cli(empty_url, "init", "--problems", str(tmp_path / "out.csv"))
    assert r.exit_code == 2 and "--from-folder" in r.stderr


# --- a book loaded with --allow-problems -------------------------------------------------------

@pytest.fixture(scope="module", params=BACKENDS)
def _problem_book(request: pytest.FixtureRequest,
                  tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str, str, str]]:
    """The sample with one wrong dam and one unreadable event row, loaded with --allow-problems once per backend."""
    tmp = tmp_path_factory.mktemp("problem-book")
    folder, sid, dam, _line = _wrong_dam_folder(tmp)
    with (folder / "events.csv").open("a", encoding="utf-8") as fh:
        fh.write(f"{sid},transfer,2026-13-01,MOSCOW,,0,,,\n")  # month 13: unreadable
    with fresh_database(str(request.param), tmp) as url:
        r = run_cli(url, "init", "--from-folder", str(folder), "--allow-problems")
        assert r.exit_code == 0, r.stderr
        assert "open problems stored" in r.stderr
        yield url, sid, dam, r.stderr


@pytest.fixture
def problem_url(_problem_book: tuple[str, str, str, str], tmp_path: Path) -> Iterator[str]:
    with copy_database(_problem_book[0], tmp_path) as url:
        yield url


def test_allow_problems_stores_every_error(_problem_book):
    url, sid, _dam, stderr = _problem_book
    problems = jout(url, "problems", "list", "--open")
    assert f"; {len(problems)} open problems stored" in stderr
    assert {p["code"] for p in problems} == {"P08", "E09", "F01"}
    assert {p["animal"] for p in problems} == {sid}
    assert all(p["severity"] == "error" and p["opened_by"] == "tester" and p["resolved"] is None for p in problems)
    f01 = next(p for p in problems if p["code"] == "F01")
    assert f01["source"].startswith("events.csv line ") and "2026-13-01" in f01["message"]
    assert next(p for p in problems if p["code"] == "P08")["source"].startswith("animals.csv line ")
    # Warnings are never stored (the sample has P09 warnings for its AI litters; the old dam gives a P07).
    assert "(6 warnings; " in stderr and not [p for p in problems if p["severity"] == "warning"]


def test_validate_lists_the_open_problems_and_fails(_problem_book):
    url, sid, _dam, _ = _problem_book
    r = run_cli(url, "validate", "--errors-only", "--format", "json")
    assert r.exit_code == 1 and "open problems" in r.stderr
    findings = json.loads(r.stdout)
    assert {(f["code"], f["studbook_id"]) for f in findings} == {("P08", sid), ("E09", sid), ("F01", sid)}
    f01 = next(f for f in findings if f["code"] == "F01")
    assert "open problem" in f01["message"] and "events.csv line" in f01["message"]


def test_genetics_still_runs_on_a_book_with_problems(_problem_book):
    url = _problem_book[0]
    summary = jout(url, "genetics", "summary")
    assert summary  # the numbers themselves are tested elsewhere


def test_a_correction_closes_its_problem(problem_url, _problem_book):
    _, sid, dam, _ = _problem_book
    ok(problem_url, "animal", "update", sid, "--dam", dam, "--reason", "typo")
    rows = {p["code"]: p for p in jout(problem_url, "problems", "list", "--animal", sid)}
    for code in ("P08", "E09"):
        assert rows[code]["resolved"] and rows[code]["resolved_by"] == "tester", rows[code]
        assert rows[code]["resolution"] == "mended by a correction"
    assert rows["F01"]["resolved"] is None  # an unreadable row is closed by hand
    r = run_cli(problem_url, "validate", "--errors-only", "--format", "json")
    assert r.exit_code == 1 and [f["code"] for f in json.loads(r.stdout)] == ["F01"]
    ok(problem_url, "problems", "resolve", str(rows["F01"]["id"]), "--reason", "transfer entered again by hand")
    assert ok(problem_url, "validate", "--errors-only", "--format", "json").stdout.strip() == "[]"


def test_a_write_that_adds_a_new_error_is_still_refused(problem_url, _problem_book):
    _, sid, _dam, _ = _problem_book
    birth = jout(problem_url, "animal", "show", sid)["birth"]
    year = int(birth[:4]) - 1
    r = assert_refused(problem_url, ["death", sid, "--date", f"{year}-01-01"], "E04")
    assert f"animal {sid}" in r.stderr.splitlines()[0]
    assert len(jout(problem_url, "problems", "list", "--open")) == 3  # nothing closed, nothing added


def test_a_write_that_leaves_the_known_errors_is_accepted(problem_url, _problem_book):
    _, sid, _dam, _ = _problem_book
    ok(problem_url, "animal", "update", sid, "--notes", "dam to be checked against the paper records")
    assert len(jout(problem_url, "problems", "list", "--open")) == 3


# --- species set and known problems ---------------------------------------------------------------

def test_species_set_is_not_blocked_by_open_problems(problem_url):
    ok(problem_url, "species", "set", "--common-name", "Amur leopard (Far Eastern leopard)")
    assert jout(problem_url, "species", "show")["common_name"] == "Amur leopard (Far Eastern leopard)"


def test_species_set_refuses_a_new_error(problem_url):
    before = table_counts(problem_url)
    r = run_cli(problem_url, "species", "set", "--longevity", "10")
    assert r.exit_code == 1 and "would break the rules" in r.stderr.splitlines()[0]
    assert "D03" in r.stderr and table_counts(problem_url) == before


def test_species_set_new_options(sample_copy_url):
    ok(sample_copy_url, "species", "set", "--next-id", "2000", "--census-date", "none")
    shown = jout(sample_copy_url, "species", "show")
    assert shown["next_studbook_id"] == 2000 and shown["census_date"] is None
    ok(sample_copy_url, "species", "set", "--census-date", "2026-11-01")
    assert jout(sample_copy_url, "species", "show")["census_date"] == "2026-11-01"
    assert_refused(sample_copy_url, ["species", "set", "--reproduction", "egg", "--incubation-min", "60"],
                   "incubation needs both a minimum and a maximum")
    assert_refused(sample_copy_url, ["species", "set", "--census-date", "2026-11"], "one exact day")
    assert_refused(sample_copy_url, ["species", "set", "--next-id", "0"], "1 or more")
    assert_refused(sample_copy_url, ["species", "set"], "nothing to change")
    ok(sample_copy_url, "species", "set", "--reproduction", "egg", "--incubation-min", "90", "--incubation-max", "105")
    shown = jout(sample_copy_url, "species", "show")
    assert (shown["reproduction"], shown["incubation_min_days"], shown["incubation_max_days"]) == ("egg", 90, 105)
