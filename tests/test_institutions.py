"""Institution kinds and optional geography: add, update (audited), list."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import assert_refused, jout, ok, run_cli


def _institutions(url: str) -> dict[str, dict[str, Any]]:
    rows = jout(url, "institution", "list")
    assert isinstance(rows, list)
    return {r["code"]: r for r in rows}


def _released_to_lazo(url: str) -> None:
    """A release site LAZO that received animal 1 (wild-born, caught 2011 to Leipzig, released 2012)."""
    ok(url, "institution", "add", "LAZO", "--name", "Lazovsky", "--kind", "release-site")
    ok(url, "animal", "add", "--id", "1", "--sex", "M", "--birth-date", "2010", "--at", "LEIPZIG",
       "--wild-born", "--capture-date", "2011")
    ok(url, "release", "1", "--date", "2012-01-01", "--to", "LAZO")


def test_kinds_match_the_schema():
    from studbook.cli.records import INSTITUTION_KIND_CHOICES
    from studbook.models import INSTITUTION_KINDS

    assert tuple(INSTITUTION_KIND_CHOICES) == tuple(INSTITUTION_KINDS)


def test_add_without_country_or_coordinates(book_url):
    ok(book_url, "institution", "add", "SPARKS1", "--name", "Some holder")
    row = _institutions(book_url)["SPARKS1"]
    assert row == {"code": "SPARKS1", "name": "Some holder", "kind": "zoo", "city": None, "country": None,
                   "region": None, "latitude": None, "longitude": None, "capacity_males": None,
                   "capacity_females": None}
    # The fixture's institutions keep their geography and are zoos by default.
    leipzig = _institutions(book_url)["LEIPZIG"]
    assert leipzig["kind"] == "zoo" and leipzig["country"] == "DE"
    assert leipzig["latitude"] == pytest.approx(51.3485) and leipzig["longitude"] == pytest.approx(12.3709)


def test_add_release_site_and_wild_area(book_url):
    ok(book_url, "institution", "add", "LAZO", "--name", "Lazovsky Zapovednik", "--kind", "release-site",
       "--country", "ru", "--lat", "43.2", "--lon", "133.9")
    ok(book_url, "institution", "add", "LAND", "--name", "Land of the Leopard", "--kind", "wild-area")
    ok(book_url, "institution", "add", "BC", "--name", "Breeding centre", "--kind", "breeding-centre")
    rows = _institutions(book_url)
    assert rows["LAZO"]["kind"] == "release-site" and rows["LAZO"]["country"] == "RU"
    assert rows["LAZO"]["latitude"] == pytest.approx(43.2) and rows["LAZO"]["longitude"] == pytest.approx(133.9)
    assert rows["LAND"]["kind"] == "wild-area" and rows["LAND"]["latitude"] is None
    assert rows["BC"]["kind"] == "breeding-centre"
    table = ok(book_url, "institution", "list").stdout
    assert "release-site" in table and "wild-area" in table


def test_add_refuses_an_unknown_kind(book_url):
    r = run_cli(book_url, "institution", "add", "X1", "--name", "X", "--kind", "aquarium")
    assert r.exit_code == 2 and "aquarium" in r.stderr
    assert "X1" not in _institutions(book_url)


@pytest.mark.parametrize(("coords", "fragment"), [
    (["--lat", "51.3"], "latitude (51.3) has no longitude"),
    (["--lon", "12.4"], "longitude (12.4) has no latitude"),
], ids=["lat-only", "lon-only"])
def test_one_coordinate_alone_is_refused(book_url, coords, fragment):
    assert_refused(book_url, ["institution", "add", "X1", "--name", "X", *coords], "institution X1", fragment)


@pytest.mark.parametrize(("coords", "fragment"), [
    (["--lat", "95.3", "--lon", "12"], "latitude 95.3 is outside -90..90"),
    (["--lat", "-90.5", "--lon", "12"], "latitude -90.5 is outside -90..90"),
    (["--lat", "51", "--lon", "181"], "longitude 181.0 is outside -180..180"),
    (["--lat", "nan", "--lon", "12"], "latitude nan is outside -90..90"),
], ids=["lat-95.3", "lat--90.5", "lon-181", "lat-nan"])
def test_coordinates_out_of_range_are_refused(book_url, coords, fragment):
    assert_refused(book_url, ["institution", "add", "X1", "--name", "X", *coords], "institution X1", fragment)


def test_add_keeps_every_other_check(book_url):
    assert_refused(book_url, ["institution", "add", "X1", "--name", "X", "--country", "Germany"],
                   "not a 2-letter ISO code")
    assert_refused(book_url, ["institution", "add", "X1", "--name", "X", "--region", "MARS"], "unknown region")
    assert_refused(book_url, ["institution", "add", "X1", "--name", "X", "--capacity-males", "-1"],
                   "male capacity -1 is negative")
    assert_refused(book_url, ["institution", "add", "X1", "--name", "   "], "the name is empty")
    assert_refused(book_url, ["institution", "add", "X1", "--name", "N" * 201], "name is 201 characters long")
    assert_refused(book_url, ["institution", "add", "X1", "--name", "X", "--city", "C" * 121],
                   "city is 121 characters long")
    assert_refused(book_url, ["institution", "add", "TOOLONGCODE", "--name", "X"], "is not a mnemonic")
    assert_refused(book_url, ["institution", "add", "leipzig", "--name", "X"], "already exists")


@pytest.mark.parametrize(("option", "value"), [
    ("--name", "\x1b[2J"),
    ("--name", "Zoo\u202eLeipzig"),
    ("--city", "Leip\u200bzig"),
], ids=["name-esc", "name-rlo", "city-zwsp"])
def test_add_refuses_control_and_invisible_characters(book_url, option, value):
    args = ["institution", "add", "X1", "--name", "X", option, value]
    r = assert_refused(book_url, args, "institution X1", "contains")
    assert "\x1b" not in r.stderr


def test_update_name_kind_and_coordinates(book_url):
    ok(book_url, "institution", "add", "LAZO", "--name", "Lazovsky", "--kind", "zoo")
    r = ok(book_url, "institution", "update", "lazo", "--name", "Lazovsky Zapovednik", "--kind", "release-site",
           "--lat", "43.2", "--lon", "133.9", "--country", "ru", "--city", "Lazo", "--region", "earaza",
           "--capacity-males", "3", "--capacity-females", "0", "--reason", "site survey 2024")
    assert "Updated institution LAZO" in r.stderr
    assert _institutions(book_url)["LAZO"] == {
        "code": "LAZO", "name": "Lazovsky Zapovednik", "kind": "release-site", "city": "Lazo", "country": "RU",
        "region": "EARAZA", "latitude": pytest.approx(43.2), "longitude": pytest.approx(133.9),
        "capacity_males": 3, "capacity_females": 0}
    audit = jout(book_url, "audit", "--limit", "1")
    assert isinstance(audit, list)
    (last,) = audit
    assert (last["command"], last["action"], last["table"], last["record"], last["reason"], last["user"]) == (
        "institution update", "update", "institution", "LAZO", "site survey 2024", "tester")
    assert last["before"]["name"] == "Lazovsky" and last["after"]["name"] == "Lazovsky Zapovednik"
    assert last["before"]["kind"] == "zoo" and last["after"]["kind"] == "release-site"
    assert last["before"]["latitude"] is None and last["after"]["latitude"] == pytest.approx(43.2)
    assert last["after"]["longitude"] == pytest.approx(133.9)


def test_update_without_reason_is_audited_too(book_url):
    ok(book_url, "institution", "update", "TALLINN", "--capacity-females", "4")
    (last,) = jout(book_url, "audit", "--limit", "1")  # type: ignore[misc]
    assert last["record"] == "TALLINN" and last["reason"] is None
    assert last["before"] == {"capacity_females": None} and last["after"] == {"capacity_females": 4}


def test_update_clears_optional_fields_with_none(book_url):
    ok(book_url, "institution", "update", "LEIPZIG", "--lat", "none", "--lon", "NONE", "--country", "none",
       "--region", "none", "--reason", "SPARKS location without geography")
    row = _institutions(book_url)["LEIPZIG"]
    assert (row["latitude"], row["longitude"], row["country"], row["region"]) == (None, None, None, None)
    assert row["name"] == "Zoo Leipzig" and row["kind"] == "zoo"


def test_update_checks_like_add(book_url):
    assert_refused(book_url, ["institution", "update", "LEIPZIG", "--lat", "95.3"], "latitude 95.3 is outside")
    assert_refused(book_url, ["institution", "update", "LEIPZIG", "--lat", "none"],
                   "institution LEIPZIG", "longitude (12.3709) has no latitude")
    assert_refused(book_url, ["institution", "update", "LEIPZIG", "--lat", "north"], "latitude 'north' is not a number")
    assert_refused(book_url, ["institution", "update", "LEIPZIG", "--capacity-males", "-2"], "male capacity -2 is negative")
    assert_refused(book_url, ["institution", "update", "LEIPZIG", "--capacity-males", "2.5"], "is not a whole number")
    assert_refused(book_url, ["institution", "update", "LEIPZIG", "--country", "Germany"], "not a 2-letter ISO code")
    assert_refused(book_url, ["institution", "update", "LEIPZIG", "--region", "MARS"], "unknown region")
    assert_refused(book_url, ["institution", "update", "LEIPZIG", "--name", "  "], "the name is empty")
    assert_refused(book_url, ["institution", "update", "LEIPZIG"], "nothing to change")
    assert_refused(book_url, ["institution", "update", "NOWHERE", "--name", "X"], "no institution with code 'NOWHERE'")
    assert_refused(book_url, ["institution", "update", "LEIPZIG", "--name", "\x1b[2J"],
                   "institution LEIPZIG: name contains a control character (U+001B at position 1)")
    assert_refused(book_url, ["institution", "update", "LEIPZIG", "--city", "a\u202eb"],
                   "institution LEIPZIG: city contains an invisible formatting character")
    assert_refused(book_url, ["institution", "update", "LEIPZIG", "--name", "X", "--reason", "why\x07"],
                   "institution LEIPZIG: reason contains a control character")
    assert _institutions(book_url)["LEIPZIG"]["name"] == "Zoo Leipzig"


def test_name_with_terminal_escape_is_refused(book_url):
    assert_refused(book_url, ["institution", "add", "X1", "--name", "\x1b[2J"],
                   "institution X1: name contains a control character (U+001B at position 1)")


def test_release_site_with_a_release_cannot_become_a_zoo(book_url):
    _released_to_lazo(book_url)
    assert_refused(book_url, ["institution", "update", "LAZO", "--kind", "zoo", "--reason", "mistake"],
                   "animal 1", "not a release site or wild area", "[rule E13]")
    assert _institutions(book_url)["LAZO"]["kind"] == "release-site"
    # Another wild kind keeps the release valid; other fields of the site can change freely.
    ok(book_url, "institution", "update", "LAZO", "--kind", "wild-area", "--name", "Lazovsky Zapovednik")
    row = _institutions(book_url)["LAZO"]
    assert (row["kind"], row["name"]) == ("wild-area", "Lazovsky Zapovednik")
    assert_refused(book_url, ["institution", "update", "LAZO", "--kind", "breeding-centre"], "[rule E13]")


def test_kind_change_of_a_place_without_rule_effects(book_url):
    _released_to_lazo(book_url)
    # Leipzig held animal 1 before its release: a breeding centre is captive too, nothing breaks.
    ok(book_url, "institution", "update", "LEIPZIG", "--kind", "breeding-centre")
    assert _institutions(book_url)["LEIPZIG"]["kind"] == "breeding-centre"
    v = run_cli(book_url, "validate", "--format", "json")
    assert v.exit_code == 0, v.stderr
