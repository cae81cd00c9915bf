"""Life in the wild, egg-laying species, census dates and the record bugs found with a real book."""

from __future__ import annotations

from pathlib import Path

from conftest import assert_refused, jout, ok, run_cli


def _status(url: str, sid: str) -> tuple[str, str | None]:
    row = {r["studbook_id"]: r for r in jout(url, "animal", "list")}[sid]
    return row["status"], row["location"]


# --- life in the wild ------------------------------------------------------------------

def test_released_animal_lives_moves_and_dies_in_the_wild(family_url):
    ok(family_url, "release", "3", "--date", "2019-05-01", "--to", "LAZOVSKY")
    assert _status(family_url, "3") == ("wild", "LAZOVSKY")
    ok(family_url, "transfer", "3", "--to", "KEDROVAYA", "--date", "2020-03-01")  # moves between wild sites
    assert _status(family_url, "3") == ("wild", "KEDROVAYA")
    assert_refused(family_url, ["death", "3", "--date", "2021-01-01", "--at", "LAZOVSKY"], "not at LAZOVSKY")
    ok(family_url, "death", "3", "--date", "2021-01-01", "--at", "KEDROVAYA", "--cause", "poaching")
    assert _status(family_url, "3") == ("dead", "KEDROVAYA")


def test_arrival_from_the_wild_is_an_implicit_recapture(family_url):
    ok(family_url, "release", "3", "--date", "2019-05-01", "--to", "LAZOVSKY")
    r = ok(family_url, "transfer", "3", "--to", "MOSCOW", "--date", "2020-02-01")  # SPARKS: an ordinary arrival
    assert "read as a recapture" in r.stderr
    assert _status(family_url, "3") == ("captive", "MOSCOW")
    codes = {(f["code"], f["studbook_id"]) for f in jout(family_url, "validate")}
    assert ("E12", "3") in codes


def test_young_born_in_the_wild_to_released_parents(family_url):
    ok(family_url, "release", "1", "--date", "2016-05-01", "--to", "LAZOVSKY")
    ok(family_url, "release", "2", "--date", "2016-05-01", "--to", "LAZOVSKY")
    r = ok(family_url, "birth", "--dam", "2", "--sire", "1", "--date", "2017-06-01", "--at", "LAZOVSKY", "--cub", "U")
    cub = r.stdout.split()[0]
    shown = jout(family_url, "animal", "show", cub)
    assert (shown["status"], shown["location"], shown["birth_type"]) == ("wild", "LAZOVSKY", "wild")
    assert cub in [a["studbook_id"] for a in jout(family_url, "animal", "list", "--alive")]
    # The dam is not at a wild site she never reached.
    assert_refused(family_url, ["birth", "--dam", "2", "--sire", "1", "--date", "2018-06-01", "--at", "KEDROVAYA",
                                "--cub", "U"], "E09")


def test_ltf_is_not_alive_and_capture_brings_it_back(family_url):
    ok(family_url, "ltf", "4", "--date", "2019-06-01")
    assert "4" not in [a["studbook_id"] for a in jout(family_url, "animal", "list", "--alive")]
    ok(family_url, "capture", "4", "--date", "2020-06-01", "--at", "TALLINN")
    assert _status(family_url, "4") == ("captive", "TALLINN")


def test_backdated_capture_of_a_captive_animal_is_refused(family_url):
    ok(family_url, "release", "3", "--date", "2019-05-01", "--to", "LAZOVSKY")
    # In the wild now, but in Leipzig on 2018-01-01: a capture then is impossible.
    assert_refused(family_url, ["capture", "3", "--date", "2018-01-01", "--at", "MOSCOW"], "E11")


# --- partial dates, impossible dates, longevity ----------------------------------------------

def test_death_dated_by_year_after_a_transfer_that_year(family_url):
    ok(family_url, "transfer", "3", "--to", "TALLINN", "--date", "2020-07-31")
    ok(family_url, "death", "3", "--date", "2020")
    assert _status(family_url, "3") == ("dead", "TALLINN")
    assert ok(family_url, "validate").exit_code == 0


def test_founder_born_in_year_0999_is_refused(book_url):
    assert_refused(book_url, ["animal", "add", "--id", "1", "--sex", "M", "--birth-date", "0999", "--at", "LEIPZIG",
                              "--wild-born", "--capture-date", "2001"], "D02", "before 1850")


def test_longevity_is_read(book_url):
    # The leopard lives 24 years at most: a founder born 1990 and still alive in 2026 is an error.
    assert_refused(book_url, ["animal", "add", "--id", "1", "--sex", "M", "--birth-date", "1990", "--at", "LEIPZIG",
                              "--wild-born", "--capture-date", "1992"], "D03", "longevity is 24 years")
    ok(book_url, "animal", "add", "--id", "1", "--sex", "M", "--birth-date", "2010", "--at", "LEIPZIG",
       "--wild-born", "--capture-date", "2012")


def test_a_dam_cannot_give_birth_again_within_gestation(family_url):
    assert_refused(family_url, ["birth", "--dam", "2", "--sire", "1", "--date", "2015-07-01", "--at", "LEIPZIG",
                                "--cub", "M"], "B01", "less than the minimum gestation (90 days)")
    ok(family_url, "birth", "--dam", "2", "--sire", "1", "--date", "2015-08-01", "--at", "LEIPZIG", "--cub", "M")


def test_read_only_commands_never_create_a_database(tmp_path):
    db = tmp_path / "nothing.db"
    for args in (["animal", "list"], ["genetics", "summary"], ["validate"], ["audit"], ["problems", "list"],
                 ["animal", "find", "x"], ["history", "1"]):
        r = run_cli(str(db), *args)
        assert r.exit_code == 3 and "does not exist" in r.stderr, (args, r.stderr)
        assert not db.exists(), args


# --- census date and --as-of ---------------------------------------------------------------

def test_as_of_shows_the_book_as_it_stood(family_url):
    ok(family_url, "transfer", "3", "--to", "TALLINN", "--date", "2017-09-01")
    ok(family_url, "death", "1", "--date", "2020-01-05")
    then = {r["studbook_id"]: (r["status"], r["location"])
            for r in jout(family_url, "animal", "list", "--alive", "--as-of", "2016-01-01")}
    assert then == {"1": ("captive", "LEIPZIG"), "2": ("captive", "LEIPZIG"), "3": ("captive", "LEIPZIG"),
                    "4": ("captive", "LEIPZIG")}
    assert [r["studbook_id"] for r in jout(family_url, "animal", "list", "--as-of", "2012-01-01")] == ["1", "2"]
    assert [r["studbook_id"] for r in jout(family_url, "animal", "list", "--alive")] == ["2", "3", "4"]


def test_census_date_is_the_default_for_reading_only(family_url):
    ok(family_url, "species", "set", "--census-date", "2016-01-01")
    r = ok(family_url, "animal", "list", "--alive", "--format", "json")
    assert "census date 2016-01-01" in r.stderr
    ok(family_url, "death", "1", "--date", "2020-01-05")  # entry rules use the real date, not the census date
    assert "1" in [a["studbook_id"] for a in jout(family_url, "animal", "list", "--alive")]
    ok(family_url, "species", "set", "--census-date", "none")
    assert "1" not in [a["studbook_id"] for a in jout(family_url, "animal", "list", "--alive")]


# --- egg-laying species ----------------------------------------------------------------------

def _condor_book(url: str) -> None:
    ok(url, "species", "set", "--common-name", "California condor", "--reproduction", "egg",
       "--incubation-min", "50", "--incubation-max", "60", "--gestation-min", "50", "--gestation-max", "60",
       "--min-age-male", "4", "--min-age-female", "4", "--max-age-male", "50", "--max-age-female", "50",
       "--longevity", "80")
    ok(url, "institution", "add", "LA", "--name", "Los Angeles Zoo", "--kind", "breeding-centre")
    ok(url, "institution", "add", "SDWAP", "--name", "San Diego Wild Animal Park", "--kind", "breeding-centre")
    ok(url, "institution", "add", "CALIFORNI", "--name", "California", "--kind", "wild-area")
    ok(url, "animal", "add", "--id", "1", "--sex", "M", "--birth-date", "~1975", "--at", "LA", "--wild-born",
       "--capture-date", "1985-04")
    ok(url, "animal", "add", "--id", "2", "--sex", "F", "--birth-date", "~1975", "--at", "LA", "--wild-born",
       "--capture-date", "1985-04")


def test_egg_laid_in_one_place_hatched_in_another(book_url):
    _condor_book(book_url)
    # Laid at LA by dam 2, incubated and hatched at the Wild Animal Park: E09 checks the laying place.
    assert_refused(book_url, ["birth", "--dam", "2", "--sire", "1", "--date", "1990-04-10", "--at", "SDWAP",
                              "--cub", "U"], "E09", "laid at SDWAP")
    ok(book_url, "birth", "--dam", "2", "--sire", "1", "--date", "1990-04-10", "--at", "SDWAP", "--laid-at", "LA",
       "--cub", "U")
    # A replacement clutch hatches 24 days later: within incubation, refused unless the species allows it.
    assert_refused(book_url, ["birth", "--dam", "2", "--sire", "1", "--date", "1990-05-04", "--at", "LA",
                              "--cub", "U"], "B01", "interval between clutches")
    ok(book_url, "species", "set", "--clutch-interval", "20")
    ok(book_url, "birth", "--dam", "2", "--sire", "1", "--date", "1990-05-04", "--at", "LA", "--cub", "U")


def test_egg_from_a_wild_nest_before_the_dam_is_caught(book_url):
    _condor_book(book_url)
    ok(book_url, "animal", "add", "--id", "7", "--sex", "F", "--birth-date", "~1978", "--at", "LA", "--wild-born",
       "--capture-date", "1987-04")
    # 1984: dam 7 is still wild (caught 1987); the egg was collected from her nest and hatched at LA.
    assert_refused(book_url, ["birth", "--dam", "7", "--sire", "1", "--date", "1984-05-01", "--at", "LA",
                              "--cub", "U"], "E09")
    ok(book_url, "birth", "--dam", "7", "--sire", "1", "--date", "1984-05-01", "--at", "LA", "--wild-egg",
       "--cub", "U")


def test_egg_options_need_an_egg_species(family_url):
    assert_refused(family_url, ["birth", "--dam", "2", "--sire", "1", "--date", "2016-05-01", "--at", "LEIPZIG",
                                "--laid-at", "TALLINN", "--cub", "U"], "egg-laying species")


def test_species_file_declares_an_egg_species(tmp_path: Path, empty_url):
    import json
    import shutil

    from studbook.services.setup import sample_dir

    folder = tmp_path / "book"
    shutil.copytree(sample_dir(), folder)
    spec = json.loads((folder / "species.json").read_text())
    spec.update(reproduction="egg", incubation_min_days=90, incubation_max_days=105)
    (folder / "species.json").write_text(json.dumps(spec))
    ok(empty_url, "init", "--from-folder", str(folder))
    shown = jout(empty_url, "species", "show")
    assert (shown["reproduction"], shown["incubation_min_days"], shown["incubation_max_days"]) == ("egg", 90, 105)
