"""Census over time and the age pyramid: each census count is `animal list --alive --as-of` that day."""

from __future__ import annotations

from collections import Counter

import pytest
from conftest import assert_refused, jout
from test_demography_lifetable import _hand_book

from studbook import api

DAYS = ["1985-12-31", "2000-12-31", "2012-12-31", "2024-12-31", "2026-11-01"]


@pytest.fixture(scope="module")
def regions(sample_url):
    return {r["code"]: r["region"] or "none" for r in jout(sample_url, "institution", "list")}


def _alive_by(url, day, key):
    rows = jout(url, "animal", "list", "--alive", "--as-of", day)
    return Counter(key(r) for r in rows), len(rows)


def test_census_equals_animal_list_by_region(sample_url, regions):
    rows = {r["date"]: r for r in jout(sample_url, "demography", "census", "--by", "region", "--from", "1985")}
    assert list(rows)[0] == "1985-12-31" and list(rows)[-1] == "2026-11-01"  # year ends, then the census date
    for day in DAYS:
        by_region, total = _alive_by(sample_url, day, lambda r: regions[r["location"]])
        got = {k: v for k, v in rows[day].items() if k not in ("date", "total") and v}
        assert rows[day]["total"] == total
        assert got == dict(by_region), day


def test_census_by_institution_and_sex_monthly(sample_url):
    day = "2024-06-30"
    rows = {r["date"]: r for r in jout(sample_url, "demography", "census", "--by", "institution", "--every",
                                       "month", "--from", "2024", "--to", "2024")}
    assert len(rows) == 12 and day in rows
    by_inst, total = _alive_by(sample_url, day, lambda r: r["location"])
    assert {k: v for k, v in rows[day].items() if k not in ("date", "total") and v} == dict(by_inst)
    sexes = {r["date"]: r for r in jout(sample_url, "demography", "census", "--by", "sex", "--from", "2012",
                                        "--to", "2012")}
    by_sex, total = _alive_by(sample_url, "2012-12-31", lambda r: r["sex"])
    assert sexes["2012-12-31"]["total"] == total
    assert {k: v for k, v in sexes["2012-12-31"].items() if k not in ("date", "total") and v} == dict(by_sex)


def test_pyramid_by_hand(book_url):
    """On 2014-12-31: 20 (M, 9), 2 (F, 7), and the litter of 2010-06-01 (M, F, U: 4); 1 and 3 are dead."""
    url = _hand_book(book_url)
    rows = jout(url, "demography", "pyramid", "--as-of", "2014-12-31")
    got = {r["age"]: (r["males"], r["females"], r["unknown"]) for r in rows if r["males"] + r["females"] + r["unknown"]}
    assert got == {4: (1, 1, 1), 7: (0, 1, 0), 9: (1, 0, 0)}
    assert [r["age"] for r in rows] == list(range(10))
    # 3 is in the wild on 2013-06-01: in the pyramid of everyone alive, not in the captive one.
    alive = jout(url, "demography", "pyramid", "--as-of", "2013-06-01")
    captive = jout(url, "demography", "pyramid", "--as-of", "2013-06-01", "--population", "captive")
    assert sum(r["females"] for r in alive) == sum(r["females"] for r in captive) + 1
    rep = api.age_pyramid(url, as_of="2014-12-31")
    assert [(r.age, r.males, r.females, r.unknown) for r in rep.pyramid.rows] == [
        (r["age"], r["males"], r["females"], r["unknown"]) for r in rows]


def test_pyramid_equals_the_living_on_the_sample(sample_url):
    rows = jout(sample_url, "demography", "pyramid")
    alive = jout(sample_url, "animal", "list", "--alive")
    counts = Counter(r["sex"] for r in alive)
    assert sum(r["males"] for r in rows) == counts["M"] and sum(r["females"] for r in rows) == counts["F"]
    assert sum(r["unknown"] for r in rows) == counts.get("U", 0)


def test_census_api_matches_cli(sample_url):
    rep = api.census(sample_url, by="region", first_year=2020)
    cli = jout(sample_url, "demography", "census", "--by", "region", "--from", "2020")
    assert [p.day.isoformat() for p in rep.points] == [r["date"] for r in cli]
    assert [p.total for p in rep.points] == [r["total"] for r in cli]
    assert [dict(p.counts) for p in rep.points] == [
        {k: v for k, v in r.items() if k not in ("date", "total") and v} for r in cli]


def test_census_refuses_bad_windows(book_url):
    assert_refused(book_url, ["demography", "census", "--from", "2020", "--to", "2019"], "--from 2020 is after")
    assert_refused(book_url, ["demography", "census", "--from", "0"], "--from 0 is not a year")


def test_demography_layers():
    """The demography module is pure (no database, no UI); its service never touches the UI."""
    from test_architecture import DB, PKG, UI, _hits, imported_modules

    mods = imported_modules(PKG / "demography.py")
    assert not _hits(mods, UI + DB), mods
    assert not [m for m in mods if m.startswith(("studbook.services", "studbook.cli", "studbook.models", "studbook.db"))]
    service = imported_modules(PKG / "services" / "demography.py")
    assert not _hits(service, UI) and not [m for m in service if m.startswith("studbook.cli")]
