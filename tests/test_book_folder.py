"""Loading a whole book from CSV files: all-or-nothing, every problem listed with its line.

Also the format's optional parts: institution kinds and empty coordinates, egg fields and
notes on events, the census date and the ID sequence in species.json, litters.
"""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

from conftest import ROOT, assert_refused, jout, ok, run_cli, table_counts

INSTITUTIONS = """code,name,city,country,region,latitude,longitude,capacity_males,capacity_females
LEIPZIG,Zoo Leipzig,Leipzig,DE,EAZA,51.3485,12.3709,2,2
TALLINN,Tallinn Zoo,Tallinn,EE,EAZA,59.4250,24.6530,1,2
"""
HEADER = "studbook_id,house_name,sex,birth_date,birth_type,sire,dam,rearing,exclude_from_analysis,do_not_breed,contracepted,hybrid_suspect,artificial_insemination,notes\n"
EVENTS_HEADER = "studbook_id,event,date,institution,from_institution,loan,local_id,cause,site\n"
SPECIES = {"common_name": "Amur leopard", "scientific_name": "Panthera pardus orientalis", "gestation_min_days": 90,
           "gestation_max_days": 105, "min_breeding_age_male": 2.0, "min_breeding_age_female": 2.0,
           "max_breeding_age_male": 17.0, "max_breeding_age_female": 16.0, "longevity_years": 24.0}


def write_book(folder: Path, animals: str, events: str, mult: str = "", *, species: dict | None = None,
               institutions: str = INSTITUTIONS, events_header: str = EVENTS_HEADER) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "species.json").write_text(json.dumps(SPECIES if species is None else species))
    (folder / "institutions.csv").write_text(institutions)
    (folder / "animals.csv").write_text(HEADER + animals)
    (folder / "events.csv").write_text(events_header + events)
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
    assert rows["3"]["location"] == "TALLINN" and rows["4"]["status"] == "dead"
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


# --- institutions: kinds, optional country and coordinates ----------------------------------

KIND_INSTITUTIONS = """code,name,city,country,region,latitude,longitude,capacity_males,capacity_females,kind
LEIPZIG,Zoo Leipzig,Leipzig,DE,EAZA,51.3485,12.3709,2,2,
TALLINN,Tallinn Zoo,Tallinn,EE,EAZA,59.4250,24.6530,1,2,zoo
KEDROVAYA,Kedrovaya Pad,,,,,,,,release-site
"""


def test_empty_coordinates_and_kinds_load(empty_url, tmp_path):
    events = GOOD_EVENTS + "3,release,2013-05-01,KEDROVAYA,TALLINN,0,,,Kedrovaya Pad\n"
    folder = write_book(tmp_path / "kinds", GOOD_ANIMALS, events, GOOD_MULT, institutions=KIND_INSTITUTIONS)
    r = ok(empty_url, "init", "--from-folder", str(folder))
    assert "3 institutions" in r.stderr
    places = {i["code"]: i for i in jout(empty_url, "institution", "list")}
    assert places["KEDROVAYA"]["kind"] == "release-site"
    assert places["KEDROVAYA"]["latitude"] is None and places["KEDROVAYA"]["longitude"] is None
    assert places["KEDROVAYA"]["country"] is None and places["KEDROVAYA"]["capacity_males"] is None
    assert places["LEIPZIG"]["kind"] == "zoo"  # an empty kind is a zoo
    released = {a["studbook_id"]: a for a in jout(empty_url, "animal", "list", "--status", "wild")}
    assert released["3"]["location"] == "KEDROVAYA"


def test_latitude_out_of_range_is_reported_with_its_line(empty_url, tmp_path):
    institutions = INSTITUTIONS.replace("59.4250", "95.3")  # TALLINN, line 3
    folder = write_book(tmp_path / "lat", GOOD_ANIMALS, GOOD_EVENTS, GOOD_MULT, institutions=institutions)
    assert run_cli(empty_url, "db", "upgrade").exit_code == 0
    before = table_counts(empty_url)
    r = run_cli(empty_url, "init", "--from-folder", str(folder))
    assert r.exit_code == 1 and "Traceback" not in r.stderr and "unexpected" not in r.stderr
    assert "institutions.csv line 3: institution TALLINN: latitude '95.3' is outside -90..90 (hint: " in r.stderr
    assert table_counts(empty_url) == before


def test_unreadable_numbers_are_problems_not_crashes(empty_url, tmp_path):
    institutions = (INSTITUTIONS.replace("12.3709", "east").replace(",1,2\n", ",one,2\n")
                    + "MOSCOW,Moscow Zoo,Moscow,RU,EARAZA,55.7610,,1,1\n")
    mult = "5,sire,1,half\n5,sire,3,0.5\n"
    folder = write_book(tmp_path / "numbers", GOOD_ANIMALS, GOOD_EVENTS, mult, institutions=institutions)
    r = run_cli(empty_url, "init", "--from-folder", str(folder))
    assert r.exit_code == 1 and "unexpected" not in r.stderr
    assert "institutions.csv line 2: institution LEIPZIG: longitude 'east' is not a number" in r.stderr
    assert "institutions.csv line 3: institution TALLINN: capacity males 'one' is not a whole number" in r.stderr
    assert "institutions.csv line 4: institution MOSCOW: the latitude has no longitude" in r.stderr
    assert "mult_parents.csv line 2: animal 5: MULT sire candidate 1: probability 'half'" in r.stderr


# --- events.csv: laid_at, wild_egg, notes ------------------------------------------------------

EGG_SPECIES = {"common_name": "California condor", "scientific_name": "Gymnogyps californianus",
               "gestation_min_days": 50, "gestation_max_days": 60, "min_breeding_age_male": 4.0,
               "min_breeding_age_female": 4.0, "max_breeding_age_male": 50.0, "max_breeding_age_female": 50.0,
               "longevity_years": 80.0, "reproduction": "egg", "incubation_min_days": 50, "incubation_max_days": 60}
EGG_INSTITUTIONS = """code,name,city,country,region,latitude,longitude,capacity_males,capacity_females,kind
LA,Los Angeles Zoo,,US,,,,,,breeding-centre
SDWAP,San Diego Wild Animal Park,,US,,,,,,breeding-centre
CALIFORNI,California,,,,,,,,wild-area
"""
EGG_EVENTS_HEADER = "studbook_id,event,date,institution,from_institution,loan,local_id,cause,site,laid_at,wild_egg,notes\n"
EGG_ANIMALS = """1,,M,~1975,wild,WILD,WILD,unknown,0,0,0,0,0,
2,,F,~1975,wild,WILD,WILD,unknown,0,0,0,0,0,
3,,U,1990-04-10,captive,1,2,unknown,0,0,0,0,0,
4,,U,1984-05-01,captive,1,2,unknown,0,0,0,0,0,
"""
EGG_EVENTS = """1,capture,1983-04,LA,,0,,,,,0,
2,capture,1985-04,LA,,0,,,,,0,
3,birth,1990-04-10,SDWAP,,0,,,,LA,0,"Egg moved from LA, hatched in the incubator"
4,birth,1984-05-01,LA,,0,,,,,1,Egg taken from the wild nest of 2
"""


def test_egg_fields_and_notes_load(empty_url, tmp_path):
    folder = write_book(tmp_path / "eggs", EGG_ANIMALS, EGG_EVENTS, species=EGG_SPECIES,
                        institutions=EGG_INSTITUTIONS, events_header=EGG_EVENTS_HEADER)
    ok(empty_url, "init", "--from-folder", str(folder))
    birth = jout(empty_url, "event", "list", "3")[0]
    assert "laid at LA" in birth["detail"] and "Egg moved from LA, hatched in the incubator" in birth["detail"]
    assert "egg from a wild nest" in jout(empty_url, "event", "list", "4")[0]["detail"]
    shown = jout(empty_url, "species", "show")
    assert (shown["reproduction"], shown["incubation_min_days"], shown["incubation_max_days"]) == ("egg", 50, 60)


def test_egg_fields_without_them_break_the_rules(empty_url, tmp_path):
    # Without laid_at the egg of 3 was laid at SDWAP, where dam 2 never was; without wild_egg
    # dam 2 (caught 1985) laid the egg of 4 at LA in 1984.
    events = EGG_EVENTS.replace(",LA,0,\"Egg", ",,0,\"Egg").replace(",,1,Egg", ",,0,Egg")
    folder = write_book(tmp_path / "eggs", EGG_ANIMALS, events, species=EGG_SPECIES,
                        institutions=EGG_INSTITUTIONS, events_header=EGG_EVENTS_HEADER)
    r = run_cli(empty_url, "init", "--from-folder", str(folder))
    assert r.exit_code == 1
    assert "events.csv line 4: ERROR E09 animal 3: laid at SDWAP" in r.stderr
    assert "events.csv line 5: ERROR E09 animal 4" in r.stderr


def test_egg_fields_need_an_egg_species(empty_url, tmp_path):
    animals = GOOD_ANIMALS
    events = GOOD_EVENTS.replace("3,birth,2010-05-01,LEIPZIG,,0,,,\n", "3,birth,2010-05-01,LEIPZIG,,0,,,,TALLINN,0,\n")
    folder = write_book(tmp_path / "live", animals, events, GOOD_MULT, events_header=EGG_EVENTS_HEADER)
    r = run_cli(empty_url, "init", "--from-folder", str(folder))
    assert r.exit_code == 1
    assert "events.csv line 4: animal 3: laid_at and wild_egg are for the hatch (birth) of an egg-laying species" \
        in r.stderr


# --- species.json: census date, ID sequence, unknown keys -------------------------------------

def test_reference_date_is_the_census_date(empty_url, tmp_path):
    events = GOOD_EVENTS + "3,death,2021-03-01,TALLINN,,0,,old age,\n"
    folder = write_book(tmp_path / "census", GOOD_ANIMALS, events, GOOD_MULT,
                        species={**SPECIES, "reference_date": "2020-01-01"})
    ok(empty_url, "init", "--from-folder", str(folder))
    assert jout(empty_url, "species", "show")["census_date"] == "2020-01-01"
    r = ok(empty_url, "animal", "list", "--alive", "--format", "json")
    assert "census date 2020-01-01" in r.stderr
    assert [a["studbook_id"] for a in json.loads(r.stdout)] == ["1", "2", "3", "5"]  # 3 died in 2021
    today = ok(empty_url, "animal", "list", "--alive", "--as-of", "2022-01-01", "--format", "json")
    assert [a["studbook_id"] for a in json.loads(today.stdout)] == ["1", "2", "5"]


def test_census_date_key_and_disagreeing_dates(empty_url, tmp_path):
    folder = write_book(tmp_path / "census", GOOD_ANIMALS, GOOD_EVENTS, GOOD_MULT,
                        species={**SPECIES, "census_date": "2020-01-01", "reference_date": "2021-01-01"})
    r = run_cli(empty_url, "init", "--from-folder", str(folder))
    assert r.exit_code == 1 and "census_date 2020-01-01 and reference_date 2021-01-01 differ" in r.stderr
    (folder / "species.json").write_text(json.dumps({**SPECIES, "census_date": "2020-01-01"}))
    ok(empty_url, "init", "--from-folder", str(folder))
    assert jout(empty_url, "species", "show")["census_date"] == "2020-01-01"


def test_unknown_species_keys_and_values_are_refused_even_with_allow_problems(empty_url, tmp_path):
    folder = write_book(tmp_path / "species", GOOD_ANIMALS, GOOD_EVENTS, GOOD_MULT,
                        species={**SPECIES, "gestaton_min_days": 80, "reproduction": "spores",
                                 "longevity_years": "24"})
    assert run_cli(empty_url, "db", "upgrade").exit_code == 0
    before = table_counts(empty_url)
    r = run_cli(empty_url, "init", "--from-folder", str(folder), "--allow-problems")
    assert r.exit_code == 1 and "unexpected" not in r.stderr
    assert "species.json must be fixed first" in r.stderr.splitlines()[0]
    assert "species.json: unknown key 'gestaton_min_days'" in r.stderr
    assert "species.json: longevity_years \"24\" is not a number" in r.stderr
    assert "reproduction 'spores' is not one of live, egg" in r.stderr
    assert table_counts(empty_url) == before


def test_id_sequence_follows_the_loaded_book(empty_url, tmp_path):
    animals = GOOD_ANIMALS + "T9,,F,2012-06-01,captive,1,2,parent,0,0,0,0,0,\n"  # not a plain number
    events = GOOD_EVENTS + "T9,birth,2012-06-01,LEIPZIG,,0,,,\n"
    folder = write_book(tmp_path / "seq", animals, events, GOOD_MULT)
    ok(empty_url, "init", "--from-folder", str(folder))
    assert jout(empty_url, "species", "show")["next_studbook_id"] == 6
    r = ok(empty_url, "birth", "--dam", "2", "--sire", "1", "--date", "2014-06-01", "--at", "LEIPZIG", "--cub", "M")
    assert r.stdout.split()[0] == "6"


def test_species_file_sets_the_id_sequence(empty_url, tmp_path):
    folder = write_book(tmp_path / "seq", GOOD_ANIMALS, GOOD_EVENTS, GOOD_MULT,
                        species={**SPECIES, "next_studbook_id": 100})
    ok(empty_url, "init", "--from-folder", str(folder))
    assert jout(empty_url, "species", "show")["next_studbook_id"] == 100


# --- litters -------------------------------------------------------------------------------

def test_births_of_one_dam_on_overlapping_dates_are_one_litter(empty_url, tmp_path):
    # 3 and 4: same day; 6 born "2010" (year only) overlaps them: one litter. 5 (2012) is another.
    animals = GOOD_ANIMALS + "6,,F,2010,captive,1,2,parent,0,0,0,0,0,\n"
    events = GOOD_EVENTS + "6,birth,2010,LEIPZIG,,0,,,\n"
    folder = write_book(tmp_path / "litters", animals, events, GOOD_MULT)
    ok(empty_url, "init", "--from-folder", str(folder))
    births = {sid: jout(empty_url, "event", "list", sid)[0] for sid in ("3", "4", "5", "6")}
    first = min(births[s]["event_id"] for s in ("3", "4", "6"))
    for sid in ("3", "4", "6"):
        assert f"litter {first}" in births[sid]["detail"], births[sid]
    assert f"litter {births['5']['event_id']}" in births["5"]["detail"]


def test_loaded_litter_is_told_apart_from_a_new_registration(sample_copy_url):
    rows = list(csv.DictReader((ROOT / "data" / "sample" / "animals.csv").open(encoding="utf-8")))
    last = rows[-1]  # the newest litter of the sample
    mates = [r["studbook_id"] for r in rows if (r["dam"], r["birth_date"]) == (last["dam"], last["birth_date"])]
    assert len(mates) >= 2
    place = jout(sample_copy_url, "event", "list", mates[0])[0]
    args = ["birth", "--dam", last["dam"], "--sire", last["sire"], "--date", last["birth_date"],
            "--at", place["institution"], "--cub", "F"]
    assert_refused(sample_copy_url, args, "B01", "same litter entered twice")
    r = ok(sample_copy_url, *args, "--add-to-litter", str(place["event_id"]))
    assert r.stdout.split()[0] == str(len(rows) + 1)  # the ID sequence continues after the loaded book
    new_birth = jout(sample_copy_url, "event", "list", r.stdout.split()[0])[0]
    assert place["detail"].split("; ")[-1] in new_birth["detail"]  # "litter N": the same litter


def test_sample_census_date_and_next_id(sample_url):
    r = ok(sample_url, "animal", "list", "--alive", "--format", "json")
    assert "census date 2026-11-01" in r.stderr
    shown = jout(sample_url, "species", "show")
    assert shown["census_date"] == "2026-11-01" and shown["next_studbook_id"] == 1479


def test_sample_folder_copy_loads_with_old_reference_date_only(empty_url, tmp_path):
    folder = tmp_path / "sample"
    shutil.copytree(ROOT / "data" / "sample", folder)
    spec = json.loads((folder / "species.json").read_text(encoding="utf-8"))
    del spec["census_date"]
    (folder / "species.json").write_text(json.dumps(spec), encoding="utf-8")
    ok(empty_url, "init", "--from-folder", str(folder))
    assert jout(empty_url, "species", "show")["census_date"] == "2026-11-01"
