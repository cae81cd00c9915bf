"""One read path: both readers run the same SQL, one builder derives status with ``records.status_of``.

Who counts: an animal in the wild is alive (in the genetics) but never a breeder, mover or
release candidate. Every read command reads the book on one day (--as-of, else the census
date, else today). Open problems and institutions without coordinates are said on stderr.
"""

from __future__ import annotations

import functools
from datetime import date
from pathlib import Path

import numpy as np
import pytest
from conftest import jout, ok, run_cli

from studbook import api
from studbook.config import sqlite_path
from studbook.dates import FuzzyDate
from studbook.db import session_scope
from studbook.services.analysis import load_pedigree
from studbook.services.fastread import load_pedigree_sqlite

PROBLEMS_LINE = "open problem(s); numbers may be wrong (see `studbook problems list --open`)"


# ----------------------------------------------------------------------------- helpers
def sql(url: str, statement: str, **params: object) -> None:
    """Change the book behind the CLI's back (what a test cannot yet do through a command)."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(text(statement), params)
    finally:
        engine.dispose()


def add_release_site(url: str, code: str = "LAZOVSKY") -> None:
    """Make sure the book has the release site *code* (the test book may already have it)."""
    kinds = {i["code"]: i["kind"] for i in jout(url, "institution", "list")}  # type: ignore[union-attr]
    if code not in kinds:
        ok(url, "institution", "add", code, "--name", "Lazovsky Zapovednik", "--kind", "release-site")
    assert kinds.get(code, "release-site") == "release-site"


def same_loaded(a, b) -> None:
    """Identical Pedigree arrays and AnimalInfo."""
    pa, pb = a.pedigree, b.pedigree
    assert pa.ids == pb.ids
    for name in ("sire", "dam", "sex", "alive", "in_analysis", "sire_wild", "dam_wild", "founder_inbreeding"):
        assert np.array_equal(getattr(pa, name), getattr(pb, name)), name
    assert np.allclose(pa.birth_year, pb.birth_year, equal_nan=True)
    for name in ("sire_mult", "dam_mult"):
        for f in ("ptr", "cand", "prob"):
            assert np.array_equal(getattr(getattr(pa, name), f), getattr(getattr(pb, name), f)), (name, f)
    assert a.info == b.info
    assert (a.day, a.note, a.open_problems, a.kinds) == (b.day, b.note, b.open_problems, b.kinds)


@functools.cache
def _sqlite_sample(folder: str) -> str:
    url = "sqlite:///" + str(Path(folder) / "sample.db")
    ok(url, "init", "--sample")
    return url


def plain_status(history: list[dict], wild: set[str]) -> tuple[str, str | None]:
    """The twin: walk the events in order; birth/capture/transfer/release place the animal, death/ltf end it."""
    fate, where = "unplaced", None
    for h in history:
        if h["void"]:
            continue
        if h["event"] in ("birth", "capture", "transfer", "release"):
            if fate != "dead":
                fate, where = ("wild" if h["institution"] in wild else "captive"), h["institution"]
        elif h["event"] == "death":
            fate = "dead"
        elif fate != "dead":
            fate = "ltf"
    return fate, where


def summary(url: str, *args: str) -> dict:
    return jout(url, "genetics", "summary", *args)  # type: ignore[return-value]


# ------------------------------------------------------------------ (a) one read path
def test_fast_path_and_sqlalchemy_path_read_the_same_sample(sample_url, tmp_path_factory):
    """SQLite: both readers on one file. PostgreSQL: its SQLAlchemy path against the fast path on SQLite."""
    if sample_url.startswith("sqlite"):
        fast_url = sample_url
    else:
        fast_url = _sqlite_sample(str(tmp_path_factory.mktemp("fast")))
    for day in (None, date(2010, 1, 1), date(2024, 12, 31)):
        with session_scope(sample_url) as session:
            core = load_pedigree(session, day)
        fast = load_pedigree_sqlite(str(sqlite_path(fast_url)), day)
        same_loaded(core, fast)
        assert len(core.pedigree.living) > (100 if day else 250)


# ------------------------------------------------- (b) status == animal list == plain twin
def test_status_of_every_animal_matches_animal_list_and_the_event_history(sample_url):
    loaded = api.load_pedigree(sample_url)
    listed = {a["studbook_id"]: a for a in jout(sample_url, "animal", "list")}  # type: ignore[union-attr]
    assert set(listed) == set(loaded.info)
    for sid, inf in loaded.info.items():
        assert (inf.fate, inf.location) == (listed[sid]["status"], listed[sid]["location"]), sid
        assert inf.alive == (inf.fate in ("captive", "wild")) and inf.in_wild == (inf.fate == "wild")
    alive = jout(sample_url, "animal", "list", "--alive")
    assert int(loaded.pedigree.alive.sum()) == len(alive)  # type: ignore[arg-type]

    wild = {i["code"] for i in jout(sample_url, "institution", "list")  # type: ignore[union-attr]
            if i.get("kind") in ("release-site", "wild-area")}
    released = sorted(sid for sid, a in listed.items() if a["status"] == "wild")
    assert released, "the sample book has no animal in the wild"
    every_fate = {f: [s for s, a in listed.items() if a["status"] == f][:5] for f in ("dead", "ltf", "captive")}
    picked = released + sorted(listed)[::60] + [s for ids in every_fate.values() for s in ids]
    far = api.load_pedigree(sample_url, as_of="2999-12-31")  # every recorded event counts, as for the twin
    for sid in picked:
        fate, where = plain_status(jout(sample_url, "history", sid), wild)  # type: ignore[arg-type]
        inf = far.info[sid]
        assert inf.fate == fate, (sid, inf.fate, fate)
        if inf.alive:
            assert inf.location == where, sid


# --------------------------------------------------------------- (c) void records
def test_void_animals_and_events_count_nowhere(sample_copy_url):
    url = sample_copy_url
    before = summary(url)
    loaded = api.load_pedigree(url)
    ped = loaded.pedigree
    parents = set(ped.sire.tolist()) | set(ped.dam.tolist()) | set(ped.sire_mult.cand.tolist()) \
        | set(ped.dam_mult.cand.tolist())
    leaf = next(ped.ids[i] for i in ped.living.tolist() if i not in parents)
    ok(url, "animal", "void", leaf, "--reason", "entered twice")
    after = summary(url)
    assert after["n_records"] == before["n_records"] - 1
    assert after["n_alive"] == before["n_alive"] - 1 and after["n_living"] == before["n_living"] - 1
    assert leaf not in {r["id"] for r in jout(url, "genetics", "inbreeding")}  # type: ignore[union-attr]

    # Void a recent death: the animal lives again, in the genetics as in `animal list`.
    dead = [a["studbook_id"] for a in jout(url, "animal", "list", "--status", "dead")  # type: ignore[union-attr]
            if a["age"] is not None and a["age"] < 8]
    for sid in reversed(dead):
        death = [h for h in jout(url, "history", sid) if h["event"] == "death"]  # type: ignore[union-attr]
        if run_cli(url, "event", "void", str(death[-1]["event_id"]), "--reason", "was a mix-up").exit_code == 0:
            break
    else:
        pytest.fail("no death could be voided")
    revived = summary(url)
    assert revived["n_alive"] == after["n_alive"] + 1
    assert revived["n_alive"] == len(jout(url, "animal", "list", "--alive"))  # type: ignore[arg-type]
    assert api.load_pedigree(url).info[sid].alive


# ------------------------------------------------------------------------ (d) --as-of
@pytest.mark.parametrize("day", ["2010-01-01", "1995-06-30"])
def test_as_of_counts_who_was_alive_on_that_day(sample_url, day):
    s = summary(sample_url, "--as-of", day)
    alive = jout(sample_url, "animal", "list", "--alive", "--as-of", day)
    assert s["n_alive"] == len(alive) and s["as_of"] == day  # type: ignore[arg-type]
    assert s["n_living"] == sum(1 for a in alive if "exclude_from_analysis" not in a["flags"])  # type: ignore[union-attr]
    # In the pedigree: every animal born by that day (a wild-born animal caught later is a record, not living).
    when = date.fromisoformat(day)
    born = {a["studbook_id"] for a in jout(sample_url, "animal", "list")  # type: ignore[union-attr]
            if (b := FuzzyDate.parse(a["birth"])).is_unknown or b.value <= when}
    assert {r["id"] for r in jout(sample_url, "genetics", "inbreeding", "--as-of", day)} == born  # type: ignore[union-attr]
    assert {a["studbook_id"] for a in jout(sample_url, "animal", "list", "--as-of", day)} <= born  # type: ignore[union-attr]
    mk = jout(sample_url, "genetics", "mean-kinship", "--as-of", day)
    assert {r["id"] for r in mk} == {a["studbook_id"] for a in alive  # type: ignore[union-attr]
                                     if "exclude_from_analysis" not in a["flags"]}
    ages = {a["studbook_id"]: a["age"] for a in alive}  # type: ignore[union-attr]
    for r in mk[::10]:  # type: ignore[index]
        assert r["age"] == pytest.approx(ages[r["id"]], abs=0.11), r["id"]


def test_census_date_is_the_default_day_and_is_said(family_url):
    url = family_url
    plain = run_cli(url, "genetics", "summary", "--format", "json")
    assert "census date" not in plain.stderr and "Warning" not in plain.stderr
    sql(url, "UPDATE species SET census_date = :d", d=date(2012, 1, 1))
    r = ok(url, "genetics", "summary", "--format", "json")
    assert "As of the book's census date 2012-01-01" in r.stderr
    import json

    s = json.loads(r.stdout)
    assert s["as_of"] == "2012-01-01" and s["n_records"] == 2 and s["n_alive"] == 2  # the litter of 2015 is not born
    r = ok(url, "genetics", "summary", "--as-of", "2016-01-01", "--format", "json")
    assert "census date" not in r.stderr and json.loads(r.stdout)["n_alive"] == 4
    r = run_cli(url, "recommend", "pair-table", "--format", "json")
    assert "As of the book's census date 2012-01-01" in r.stderr
    bad = run_cli(url, "genetics", "summary", "--as-of", "2010-02-30")
    assert bad.exit_code != 0 and "--as-of" in bad.stderr


# ------------------------------------------- (e) a released animal lives, but does not breed
def test_released_animal_counts_as_alive_but_is_no_breeder(family_url):
    url = family_url
    add_release_site(url)
    before = jout(url, "recommend", "pair-table", "--as-of", "2019-01-01")
    assert {r["male"] for r in before} == {"1", "3"}  # type: ignore[union-attr]
    ok(url, "release", "3", "--date", "2019-05-01", "--to", "LAZOVSKY")
    s = summary(url, "--as-of", "2020-01-01")
    assert s["n_living"] == 4 and s["n_living_in_wild"] == 1
    inf = api.load_pedigree(url, as_of="2020-01-01").info["3"]
    assert inf.alive and inf.in_wild and inf.fate == "wild" and inf.location == "LAZOVSKY"
    mk = {r["id"]: r for r in jout(url, "genetics", "mean-kinship", "--as-of", "2020-01-01")}  # type: ignore[union-attr]
    assert mk["3"]["in_wild"] and mk["3"]["institution"] == "LAZOVSKY"
    table = jout(url, "recommend", "pair-table", "--as-of", "2020-01-01")
    assert {r["male"] for r in table} == {"1"}  # type: ignore[union-attr]
    pairs = jout(url, "recommend", "pairs", "--as-of", "2020-01-01", "--allow-dash")
    assert all("3" not in (p["male"], p["female"]) for p in pairs)  # type: ignore[union-attr]
    ev = jout(url, "recommend", "evaluate", "3", "4", "--as-of", "2020-01-01")
    assert ev["male_eligible"] is False and "in the wild" in ev["male_not_eligible_because"]  # type: ignore[index]
    plan = jout(url, "recommend", "transfers", "--as-of", "2020-01-01", "--allow-dash")
    assert all(m["animal"] != "3" for m in plan["transfers"])  # type: ignore[index]
    rel = jout(url, "recommend", "reintroduction", "--count", "2", "--include-hand-reared", "--as-of", "2020-01-01")
    assert rel["candidates"] and all(c["id"] != "3" for c in rel["candidates"])  # type: ignore[index]
    # Before the release the same animal was a captive breeder: the day decides.
    assert api.load_pedigree(url, as_of="2019-01-01").info["3"].fate == "captive"
    # Caught again: captive (and a breeder) once more.
    ok(url, "capture", "3", "--date", "2021-03-01", "--at", "TALLINN")
    table = jout(url, "recommend", "pair-table", "--as-of", "2022-01-01")
    assert {r["male"] for r in table} == {"1", "3"}  # type: ignore[union-attr]


def test_animals_born_after_the_day_are_not_in_the_pedigree(family_url):
    loaded = api.load_pedigree(family_url, as_of="2015-04-30")
    assert loaded.pedigree.ids == ("1", "2") and loaded.day == date(2015, 4, 30)
    r = run_cli(family_url, "recommend", "evaluate", "3", "4", "--as-of", "2014-01-01")
    assert r.exit_code == 1 and "not in the living analysis population" in r.stderr
    # Ages are taken on the day: the litter is under the minimum breeding age of 2 in 2016.
    ev = jout(family_url, "recommend", "evaluate", "3", "4", "--as-of", "2016-01-01")
    assert "younger than 2 years" in ev["male_not_eligible_because"]  # type: ignore[index]


# ------------------------------------------------------------------ open problems
def test_open_problems_are_said_once_on_stderr(family_url):
    from studbook.services.problems import NewProblem, record_problems

    url = family_url
    assert "problem" not in run_cli(url, "genetics", "summary").stderr
    with session_scope(url, write=True, user="tester", command="test") as session:
        record_problems(session, [NewProblem("F01", "error", "9", "unreadable row"),
                                  NewProblem("E07", "error", "3", "a broken event")])
    for args in (["genetics", "summary"], ["genetics", "inbreeding"], ["genetics", "mean-kinship"],
                 ["recommend", "pair-table"], ["recommend", "pairs", "--allow-dash"]):
        r = run_cli(url, *args, "--format", "json")
        assert r.exit_code == 0, (args, r.stderr)
        lines = [ln for ln in r.stderr.splitlines() if "open problem" in ln]
        assert lines == [f"Warning: the book has 2 {PROBLEMS_LINE}"], (args, r.stderr)
    assert api.load_pedigree(url).open_problems == 2


# --------------------------------------------------- institutions without coordinates
def test_institutions_without_coordinates_are_named_and_left_out_of_distances(family_url):
    """Unrelated wild-caught animals: 5 (F) at LEIPZIG, 8 (M) at TALLINN, 6 (M) and 7 (F) at MOSCOW, which
    loses its coordinates. A pair across MOSCOW needs a move of unknown length: left out of the plan."""
    import json

    url = family_url
    for args in (["--id", "5", "--sex", "F", "--at", "LEIPZIG"], ["--id", "6", "--sex", "M", "--at", "MOSCOW"],
                 ["--id", "7", "--sex", "F", "--at", "MOSCOW"], ["--id", "8", "--sex", "M", "--at", "TALLINN"]):
        ok(url, "animal", "add", *args, "--birth-date", "~2012", "--wild-born", "--capture-date", "2014-06")
    r = ok(url, "recommend", "evaluate", "6", "5", "--as-of", "2020-01-01", "--format", "json")
    assert json.loads(r.stdout)["distance_km"] > 1000 and "coordinates" not in r.stderr
    sql(url, "UPDATE institution SET latitude = NULL, longitude = NULL WHERE code = 'MOSCOW'")
    r = ok(url, "recommend", "transfers", "--as-of", "2020-01-01", "--format", "json")
    # Named once; a place without coordinates that holds nobody of the population (KEDROVAYA, if the
    # test book has it) is not.
    assert [ln for ln in r.stderr.splitlines() if "coordinates" in ln] == [
        "Warning: 1 institution(s) have no coordinates and are left out of distance-based planning: MOSCOW"]
    plan = json.loads(r.stdout)
    assert [(m["animal"], m["from"], m["to"]) for m in plan["transfers"]] in (
        [("8", "TALLINN", "LEIPZIG")], [("5", "LEIPZIG", "TALLINN")])
    assert all(m["distance_km"] > 0 for m in plan["transfers"])
    held = {(p["male"], p["female"]): (p["male_institution"], p["female_institution"]) for p in plan["pairs"]}
    assert held == {("6", "7"): ("MOSCOW", "MOSCOW"), ("8", "5"): ("TALLINN", "LEIPZIG")}
    assert plan["totals"]["total_km"] == plan["transfers"][0]["distance_km"]
    ev = jout(url, "recommend", "evaluate", "6", "5", "--as-of", "2020-01-01")
    assert ev["distance_km"] is None  # type: ignore[index]
    ev = jout(url, "recommend", "evaluate", "8", "5", "--as-of", "2020-01-01")
    assert ev["distance_km"] > 1000  # type: ignore[index,operator]
    holdings = jout(url, "recommend", "transfers", "--holdings", "--as-of", "2020-01-01")
    for h in holdings:  # type: ignore[union-attr]
        pair = {h["institution_1"], h["institution_2"]}
        assert (h["distance_km"] is None) == ("MOSCOW" in pair and len(pair) == 2), h
    r = ok(url, "recommend", "pairs", "--as-of", "2020-01-01", "--format", "json")
    assert "left out of distance-based planning: MOSCOW" in r.stderr
    assert "NaN" not in r.stdout
