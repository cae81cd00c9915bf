"""Every studbook rule, through the CLI: a clear error, a hint, exit 1, and nothing written.

The family fixture: wild founders 1 (M) and 2 (F) at LEIPZIG, their cubs 3 (M) and 4 (F) born 2015-05-01.
"""

from __future__ import annotations

import json

from conftest import assert_refused, ok


def test_sire_must_be_male(family_url):
    assert_refused(family_url, ["birth", "--dam", "4", "--sire", "2", "--date", "2019-05-01", "--at", "LEIPZIG",
                                "--cub", "M"], "sire 2 is not male", "P01")


def test_dam_must_be_female(family_url):
    assert_refused(family_url, ["birth", "--dam", "3", "--sire", "1", "--date", "2019-05-01", "--at", "LEIPZIG",
                                "--cub", "M"], "dam 3 is not female", "P02")


def test_dam_alive_at_birth(family_url):
    ok(family_url, "death", "2", "--date", "2018-01-10", "--cause", "renal failure")
    assert_refused(family_url, ["birth", "--dam", "2", "--sire", "1", "--date", "2018-03-01", "--at", "LEIPZIG",
                                "--cub", "F"], "dam 2 died", "P08")


def test_sire_alive_at_conception(family_url):
    ok(family_url, "death", "1", "--date", "2017-01-01")
    args = ["birth", "--dam", "2", "--sire", "1", "--date", "2017-06-01", "--at", "LEIPZIG", "--cub", "F"]
    assert_refused(family_url, args, "sire 1 died", "before the conception", "P09")
    # Within the gestation window the sire may have died after conceiving: accepted.
    ok(family_url, "birth", "--dam", "2", "--sire", "1", "--date", "2017-03-15", "--at", "LEIPZIG", "--cub", "F")


def test_artificial_insemination_allows_dead_sire(family_url):
    ok(family_url, "death", "1", "--date", "2017-01-01")
    r = ok(family_url, "birth", "--dam", "2", "--sire", "1", "--date", "2018-06-01", "--at", "LEIPZIG",
           "--cub", "F", "--ai")
    assert "artificial insemination" in r.stderr


def test_parents_minimum_breeding_age(family_url):
    # Cub 4 (born 2015-05-01) is 1.1 years old on 2016-06-01; the species minimum is 2.
    assert_refused(family_url, ["birth", "--dam", "4", "--sire", "1", "--date", "2016-06-01", "--at", "LEIPZIG",
                                "--cub", "F"], "dam 4", "minimum breeding age", "P07")


def test_no_animal_is_its_own_parent_or_ancestor(family_url, tmp_path):
    assert_refused(family_url, ["animal", "add", "--id", "9", "--sex", "M", "--birth-date", "2012-01-01",
                                "--at", "LEIPZIG", "--sire", "9"], "no animal with studbook ID '9'")


def test_unique_ids(family_url):
    assert_refused(family_url, ["animal", "add", "--id", "3", "--sex", "M", "--birth-date", "2010", "--at",
                                "LEIPZIG", "--wild-born"], "studbook ID 3 is already used")


def test_ids_are_text(family_url):
    ok(family_url, "animal", "add", "--id", "003", "--sex", "M", "--birth-date", "~2009", "--at", "LEIPZIG",
       "--wild-born", "--capture-date", "2011")
    rows = json.loads(ok(family_url, "animal", "list", "--format", "json").stdout)
    assert {"3", "003"} <= {r["studbook_id"] for r in rows}


def test_transfer_only_from_current_institution(family_url):
    assert_refused(family_url, ["transfer", "3", "--to", "MOSCOW", "--from", "TALLINN", "--date", "2018-01-01"],
                   "is at LEIPZIG, not at TALLINN")


def test_transfer_to_same_place(family_url):
    assert_refused(family_url, ["transfer", "3", "--to", "LEIPZIG", "--date", "2018-01-01"], "already at LEIPZIG")


def test_one_location_at_a_time_no_backdated_overlap(family_url):
    ok(family_url, "transfer", "3", "--to", "TALLINN", "--date", "2018-01-01")
    # A second move dated before the first one would put the animal in two places at once.
    assert_refused(family_url, ["transfer", "3", "--to", "MOSCOW", "--date", "2017-06-01"],
                   "transfer on 2017-06-01", "E07")


def test_nothing_after_death(family_url):
    ok(family_url, "death", "3", "--date", "2020-02-02")
    assert_refused(family_url, ["transfer", "3", "--to", "TALLINN", "--date", "2021-01-01"], "animal 3 is dead")
    assert_refused(family_url, ["death", "3", "--date", "2021-01-01"], "animal 3 is dead")


def test_death_before_an_earlier_recorded_event_is_refused(family_url):
    ok(family_url, "transfer", "3", "--to", "TALLINN", "--date", "2018-01-01")
    assert_refused(family_url, ["death", "3", "--date", "2017-01-01"], "comes after the death", "E05")


def test_no_event_before_birth(family_url):
    assert_refused(family_url, ["transfer", "3", "--to", "TALLINN", "--date", "2014-01-01"], "before the birth", "E04")


def test_no_dates_in_the_future(family_url):
    assert_refused(family_url, ["transfer", "3", "--to", "TALLINN", "--date", "2999-01-01"], "in the future")
    assert_refused(family_url, ["animal", "add", "--id", "50", "--sex", "F", "--birth-date", "2999", "--at",
                                "LEIPZIG", "--wild-born"], "in the future")


def test_invalid_calendar_date(family_url):
    assert_refused(family_url, ["transfer", "3", "--to", "TALLINN", "--date", "2019-02-31"], "not a real calendar date")


def test_unknown_institution(family_url):
    assert_refused(family_url, ["transfer", "3", "--to", "NOWHERE", "--date", "2019-02-01"], "no institution with code")


def test_unknown_animal(family_url):
    assert_refused(family_url, ["death", "77", "--date", "2019-02-01"], "no animal with studbook ID '77'")


def test_mult_probabilities_must_sum_to_one(family_url):
    ok(family_url, "animal", "add", "--id", "10", "--sex", "M", "--birth-date", "~2009", "--at", "LEIPZIG",
       "--wild-born", "--capture-date", "2011")
    assert_refused(family_url, ["birth", "--dam", "2", "--sire", "1:0.5", "--sire", "10:0.4", "--date", "2019-05-01",
                                "--at", "LEIPZIG", "--cub", "M"], "sum to 0.9, not 1", "P10")
    assert_refused(family_url, ["birth", "--dam", "2", "--sire", "1:0.5", "--sire", "10:x", "--date", "2019-05-01",
                                "--at", "LEIPZIG", "--cub", "M"], "is not a number")
    assert_refused(family_url, ["birth", "--dam", "2", "--sire", "1:1.5", "--sire", "10:-0.5", "--date",
                                "2019-05-01", "--at", "LEIPZIG", "--cub", "M"], "P10")
    r = ok(family_url, "birth", "--dam", "2", "--sire", "1:0.7", "--sire", "10:0.3", "--date", "2019-05-01",
           "--at", "LEIPZIG", "--cub", "M", "--format", "json")
    cub = json.loads(r.stdout)[0]
    assert cub["sire"] == "MULT(1:0.7, 10:0.3)"


def test_birth_where_the_dam_is(family_url):
    ok(family_url, "transfer", "4", "--to", "TALLINN", "--date", "2017-09-01")
    ok(family_url, "transfer", "3", "--to", "TALLINN", "--date", "2017-09-01")
    assert_refused(family_url, ["birth", "--dam", "4", "--sire", "3", "--date", "2019-05-01", "--at", "LEIPZIG",
                                "--cub", "M"], "dam 4 is not there", "E09")
    ok(family_url, "birth", "--dam", "4", "--sire", "3", "--date", "2019-05-01", "--at", "TALLINN", "--cub", "M")


def test_estimated_dates_compare_by_bounds(family_url):
    # Dam born "2013" (any day of 2013): on 2015-06-01 she is 1.4 to 2.4 years old, so she may be 2: accepted.
    ok(family_url, "animal", "add", "--id", "20", "--sex", "F", "--birth-date", "2013", "--at", "LEIPZIG",
       "--dam", "2", "--sire", "1")
    ok(family_url, "birth", "--dam", "20", "--sire", "1", "--date", "2015-06-01", "--at", "LEIPZIG", "--cub", "M")
    # Death known only to the year: a birth inside that year is possible, one after it is not.
    ok(family_url, "death", "20", "--date", "2016")
    ok(family_url, "birth", "--dam", "20", "--sire", "1", "--date", "2016-03-01", "--at", "LEIPZIG", "--cub", "F")
    assert_refused(family_url, ["birth", "--dam", "20", "--sire", "1", "--date", "2017-03-01", "--at", "LEIPZIG",
                                "--cub", "F"], "dam 20 died (2016)")


def test_exact_date_would_have_been_wrong(family_url):
    # Exact 2013-12-31 birth: only 1.4 years old on 2015-06-01 -> refused (the rule is not lenient by accident).
    ok(family_url, "animal", "add", "--id", "21", "--sex", "F", "--birth-date", "2013-12-31", "--at", "LEIPZIG",
       "--dam", "2", "--sire", "1")
    assert_refused(family_url, ["birth", "--dam", "21", "--sire", "1", "--date", "2015-06-01", "--at", "LEIPZIG",
                                "--cub", "M"], "P07")


def test_bad_cub_sex_and_empty_litter(family_url):
    assert_refused(family_url, ["birth", "--dam", "2", "--sire", "1", "--date", "2019-05-01", "--at", "LEIPZIG",
                                "--cub", "X"], "--cub 'X' is not a sex")


def test_release_goes_to_a_release_site(family_url):
    assert_refused(family_url, ["release", "3", "--date", "2019-05-01", "--to", "NOWHERE"], "no release site")
    assert_refused(family_url, ["release", "3", "--date", "2019-05-01", "--to", "TALLINN"],
                   "not a release site or wild area", "E13")
    ok(family_url, "release", "3", "--date", "2019-05-01", "--to", "LAZOVSKY")
    assert_refused(family_url, ["release", "3", "--date", "2019-06-01", "--to", "LAZOVSKY"], "already in the wild")


def test_institution_input_checks(book_url):
    assert_refused(book_url, ["institution", "add", "TOOLONGCODE1", "--name", "X", "--country", "DE", "--lat", "1",
                              "--lon", "1"], "is not a mnemonic")
    assert_refused(book_url, ["institution", "add", "X1", "--name", "X", "--country", "DE", "--lat", "95",
                              "--lon", "1"], "latitude 95")
    assert_refused(book_url, ["institution", "add", "X1", "--name", "X", "--country", "Germany", "--lat", "5",
                              "--lon", "1"], "not a 2-letter ISO code")
    assert_refused(book_url, ["institution", "add", "LEIPZIG", "--name", "X", "--country", "DE", "--lat", "5",
                              "--lon", "1"], "already exists")
    assert_refused(book_url, ["institution", "add", "X1", "--name", "X", "--country", "DE", "--lat", "5",
                              "--lon", "1", "--region", "MARS"], "unknown region")


def test_species_change_that_breaks_the_book_is_refused(family_url):
    # Cubs born to 7-year-old founders: a minimum breeding age of 10 would make the book invalid.
    assert_refused(family_url, ["species", "set", "--min-age-female", "10"], "would break the rules")
