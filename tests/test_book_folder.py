"""Loading a whole book from CSV files: all-or-nothing, every problem listed with its line."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import run_cli, table_counts

INSTITUTIONS = """code,name,city,country,region,latitude,longitude,capacity_males,capacity_females
LEIPZIG,Zoo Leipzig,Leipzig,DE,EAZA,51.3485,12.3709,2,2
TALLINN,Tallinn Zoo,Tallinn,EE,EAZA,59.4250,24.6530,1,2
"""
HEADER = "studbook_id,house_name,sex,birth_date,birth_type,sire,dam,rearing,exclude_from_analysis,do_not_breed,contracepted,hybrid_suspect,artificial_insemination,notes\n"
EVENTS_HEADER = "studbook_id,event,date,institution,from_institution,loan,local_id,cause,site\n"
SPECIES = {"common_name": "Amur leopard", "scientific_name": "Panthera pardus orientalis", "gestation_min_days": 90,
           "gestation_max_days": 105, "min_breeding_age_male": 2.0, "min_breeding_age_female": 2.0,
           "max_breeding_age_male": 17.0, "max_breeding_age_female": 16.0, "longevity_years": 24.0}


def write_book(folder: Path, animals: str, events: str, mult: str = "") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "species.json").write_text(json.dumps(SPECIES))
    (folder / "institutions.csv").write_text(INSTITUTIONS)
    (folder / "animals.csv").write_text(HEADER + animals)
    (folder / "events.csv").write_text(EVENTS_HEADER + events)
    if mult:
        (folder / "mult_parents.csv").write_text("studbook_id,role,candidate,probability\n" + mult)
    return folder


GOOD_ANIMALS = """1,Boris,M,~2005,wild,WILD,WILD,unknown,0,0,0,0,0,
2,Vera,F,~2005,wild,WILD,WILD,unknown,0,0,0,0,0,
3,Grom,M,2010-05-01,captive,1,2,parent,0,0,0,0,0,
4,,F,2010-05-01,captive,1,2,parent,0,0,0,0,0,
5,,M,2012-06-01,captive,MULT,2,parent,0,0,0,0,0,
"""
GOOD_EVENTS = """1,capture,2007,LEIPZIG,,0,M001,,
2,capture,2007,LEIPZIG,,0,M002,,
3,birth,2010-05-01,LEIPZIG,,0,,,
3,transfer,2012-09-01,TALLINN,LEIPZIG,1,T77,,
4,birth,2010-05-01,LEIPZIG,,0,,,
4,death,2010-05-09,LEIPZIG,,0,,neonatal,
5,birth,2012-06-01,LEIPZIG,,0,,,
"""
GOOD_MULT = "5,sire,1,0.5\n5,sire,3,0.5\n"


def test_good_book_loads(empty_url, tmp_path):
    folder = write_book(tmp_path / "book", GOOD_ANIMALS, GOOD_EVENTS, GOOD_MULT)
    r = run_cli(empty_url, "init", "--from-folder", str(folder))
    assert r.exit_code == 0, r.stderr
    rows = {a["studbook_id"]: a for a in json.loads(run_cli(empty_url, "animal", "list", "--format", "json").stdout)}
    assert rows["3"]["location"] == "TALLINN" and rows["4"]["fate"] == "dead"
    assert rows["5"]["sire"] == "MULT(1:0.5, 3:0.5)"


def test_cycle_is_refused_and_nothing_loaded(empty_url, tmp_path):
    # 3 and 4 are each other's parents (a loop): both are named.
    animals = """1,,M,~2005,wild,WILD,WILD,unknown,0,0,0,0,0,
2,,F,~2005,wild,WILD,WILD,unknown,0,0,0,0,0,
3,,M,2010-05-01,captive,4,2,parent,0,0,0,0,0,
4,,F,2010-05-01,captive,3,2,parent,0,0,0,0,0,
"""
    events = "1,capture,2007,LEIPZIG,,0,,,\n2,capture,2007,LEIPZIG,,0,,,\n3,birth,2010-05-01,LEIPZIG,,0,,,\n4,birth,2010-05-01,LEIPZIG,,0,,,\n"
    folder = write_book(tmp_path / "loop", animals, events)
    assert run_cli(empty_url, "db", "upgrade").exit_code == 0
    before = table_counts(empty_url)
    r = run_cli(empty_url, "init", "--from-folder", str(folder))
    assert r.exit_code == 1 and "Traceback" not in r.stderr
    assert "P05 animal 3" in r.stderr and "P05 animal 4" in r.stderr and "own ancestor" in r.stderr
    assert table_counts(empty_url) == before


def test_every_problem_is_listed_with_its_line(empty_url, tmp_path):
    animals = """1,,M,~2005,wild,WILD,WILD,unknown,0,0,0,0,0,
2,,F,~2005,wild,WILD,WILD,unknown,0,0,0,0,0,
3,,X,2010-05-01,captive,1,2,parent,0,0,0,0,0,
4,,F,2010-02-31,captive,1,2,parent,0,0,0,0,0,
5,,M,2010-05-01,captive,,2,parent,0,0,0,0,0,
"""
    events = "1,capture,2007,LEIPZIG,,0,,,\n2,capture,2007,NOWHERE,,0,,,\n"
    folder = write_book(tmp_path / "bad", animals, events)
    assert run_cli(empty_url, "db", "upgrade").exit_code == 0
    before = table_counts(empty_url)
    r = run_cli(empty_url, "init", "--from-folder", str(folder))
    assert r.exit_code == 1
    assert "animals.csv line 4" in r.stderr and "sex 'X'" in r.stderr
    assert "animals.csv line 5" in r.stderr and "not a real calendar date" in r.stderr
    assert "animals.csv line 6" in r.stderr and "sire is blank" in r.stderr
    assert "events.csv line 3" in r.stderr and "NOWHERE" in r.stderr
    assert table_counts(empty_url) == before


def test_rule_errors_in_a_book_are_all_listed(empty_url, tmp_path):
    animals = GOOD_ANIMALS + "6,,F,2011-01-01,captive,3,4,parent,0,0,0,0,0,\n"
    events = GOOD_EVENTS + "6,birth,2011-01-01,LEIPZIG,,0,,,\n"
    folder = write_book(tmp_path / "rules", animals, events, GOOD_MULT)
    r = run_cli(empty_url, "init", "--from-folder", str(folder))
    assert r.exit_code == 1
    # Parents 3 and 4 were 8 months old, and 4 was dead by then.
    assert "P07 animal 6" in r.stderr and "P08 animal 6" in r.stderr
