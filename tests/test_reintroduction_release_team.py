"""Reintroduction a release team would accept: species release ages, dependent young and their dams,
founder lineages kept in captivity, few institutions near each other; on the sample book and on small
constructed books where each rule makes the difference. Expected values are worked out by hand."""

from __future__ import annotations

import re
from collections import Counter
from datetime import date

import numpy as np
import pytest
from conftest import jout, ok, run_cli

from studbook.errors import InvalidInputError
from studbook.recommend import select_release_group
from studbook.services.reintroduction import exact_age, independence_day, parse_sex_ratio

CENSUS = date(2026, 11, 1)


# ----------------------------------------------------------------------------- small pure pieces
def test_exact_age_counts_birthdays():
    assert exact_age(date(2023, 11, 1), CENSUS) == 3.0           # the third birthday: 3 years, inclusive
    assert exact_age(date(2025, 11, 1), CENSUS) == 1.0
    assert exact_age(date(2024, 2, 29), date(2025, 2, 28)) == 1.0
    assert exact_age(None, CENSUS) is None


def test_exact_age_part_year():
    # 2026-10-31 -> 2027-10-31 has 365 days; 2023-10-31 is 3 years and 1 day old on 2026-11-01.
    assert exact_age(date(2023, 10, 31), CENSUS) == pytest.approx(3 + 1 / 365)


def test_independence_day():
    assert independence_day(date(2025, 5, 1), 18) == date(2026, 11, 1)
    assert independence_day(date(2025, 8, 31), 6) == date(2026, 2, 28)   # no 31 February
    assert independence_day(date(2025, 1, 1), 0.5) == date(2025, 1, 16)  # half a month = 15.2 days


def test_parse_sex_ratio():
    assert parse_sex_ratio("1:1") == (1, 1) and parse_sex_ratio("0:1") == (0, 1) and parse_sex_ratio(None) is None
    with pytest.raises(InvalidInputError):
        parse_sex_ratio("1-1")


# ------------------------------------------------------------- the domain: lineages and logistics
K4 = np.diag([0.5] * 4)  # four unrelated, non-inbred animals: every removal costs the same
SEX4 = np.array([1, 1, 1, 1], dtype=np.int8)
ALL4 = np.ones(4, dtype=bool)


def test_lineage_guard_keeps_a_carrier():
    # All scores are equal, so without the guard ties go to the lower position: {0, 1}.
    plain = select_release_group(K4, ALL4, SEX4, 2, draws=1)
    assert plain.chosen.tolist() == [0, 1]
    # Lineage 0 is carried by 0 and 1, lineage 1 by 2 alone: 2 can never go, and once 0 is
    # chosen 1 is the last carrier of lineage 0, so the group is {0, 3}.
    carriers = np.array([[1, 0], [1, 0], [0, 1], [0, 0]], dtype=bool)
    sel = select_release_group(K4, ALL4, SEX4, 2, draws=1, carriers=carriers)
    assert sel.chosen.tolist() == [0, 3] and sel.fewest_carriers_left == 1
    # Three animals cannot go without taking a lineage's last carrier.
    with pytest.raises(InvalidInputError, match="last carriers of a founder lineage"):
        select_release_group(K4, ALL4, SEX4, 3, draws=1, carriers=carriers)
    # Keeping two carriers: lineage 0 has only two, lineage 1 one; only animal 3 may go.
    one = select_release_group(K4, ALL4, SEX4, 1, draws=1, carriers=carriers, keep_carriers=2)
    assert one.chosen.tolist() == [3]


def test_lineage_guard_tries_again_after_a_dead_end():
    # Two unrelated founders 0, 1 and their offspring 2, who carries both lineages.
    # Removing 2 raises GD (r = 0.75, 0.75, 1; S = 2.5: GD without 2 = 1 - 1/4, without 0 = 1 - 1.5/4),
    # so the greedy takes 2 first; then 0 and 1 are each the last carrier of their lineage.
    # Without 2 the greedy takes {0, 1}, and 2 keeps both lineages.
    K = np.array([[0.5, 0, 0.25], [0, 0.5, 0.25], [0.25, 0.25, 0.5]])
    carriers = np.array([[1, 0], [0, 1], [1, 1]], dtype=bool)
    sex = np.ones(3, dtype=np.int8)
    assert select_release_group(K, np.ones(3, bool), sex, 1, draws=1).chosen.tolist() == [2]
    sel = select_release_group(K, np.ones(3, bool), sex, 2, draws=1, carriers=carriers)
    assert sorted(sel.chosen.tolist()) == [0, 1] and sel.fewest_carriers_left == 1


def test_logistics_breaks_ties_towards_one_institution():
    # Animals 0 and 3 are at institution 0, 1 and 2 at institutions 1 and 2.
    site = np.array([0, 1, 2, 0])
    sel = select_release_group(K4, ALL4, SEX4, 2, draws=1, site=site)
    # First pick: the institution with most candidates (0: animals 0 and 3), then the same institution.
    assert sel.chosen.tolist() == [0, 3] and sel.sites == (0,)


def test_logistics_prefers_the_nearest_institution():
    site = np.array([0, 2, 1, 3])
    D = np.array([[0, 100, 5000, np.nan], [100, 0, 5000, np.nan], [5000, 5000, 0, np.nan],
                  [np.nan, np.nan, np.nan, 0]])
    # Every institution has one candidate: animal 0 first (lowest position), then the one at
    # institution 1 (100 km from 0) rather than 2 (5000 km) or 3 (no coordinates).
    sel = select_release_group(K4, ALL4, SEX4, 2, draws=1, site=site, site_km=D)
    assert sel.chosen.tolist() == [0, 2] and sel.sites == (0, 1)


def test_logistics_never_beats_a_real_genetic_difference():
    # Animal 3 (institution 0, with animal 0) is a full sib of 0: with group weight 1 its score
    # after 0 is chosen is 0.25 higher than an unrelated animal's.
    K = K4.copy()
    K[0, 3] = K[3, 0] = 0.25
    site = np.array([0, 1, 2, 0])
    sel = select_release_group(K, ALL4, SEX4, 2, draws=1, site=site, group_weight=1.0, tolerance=0.002)
    assert 3 not in sel.chosen.tolist()
    # ...unless the tolerance says that difference does not matter.
    loose = select_release_group(K, ALL4, SEX4, 2, draws=1, site=site, group_weight=1.0, tolerance=1.0)
    assert sorted(loose.chosen.tolist()) == [0, 3]


def test_max_institutions():
    site = np.array([0, 1, 2, 2])
    # Only institution 2 has two animals: with one institution the group is {2, 3}.
    sel = select_release_group(K4, ALL4, SEX4, 2, draws=1, site=site, max_sites=1)
    assert sorted(sel.chosen.tolist()) == [2, 3] and sel.sites == (2,)
    with pytest.raises(InvalidInputError, match="within 1 institution"):
        select_release_group(K4, ALL4, SEX4, 3, draws=1, site=site, max_sites=1)
    # A sex ratio: 2 males + 1 female from 2 institutions; males at 0 and 1, females at 1 and 2.
    sex = np.array([1, 1, 2, 2], dtype=np.int8)
    site = np.array([0, 1, 1, 2])
    sel = select_release_group(K4, ALL4, sex, 3, sex_ratio=(2, 1), draws=1, site=site, max_sites=2)
    assert sorted(sel.chosen.tolist()) in ([0, 1, 2], [0, 1, 3])
    assert len(sel.sites) <= 2


# ------------------------------------------------------------------------ a small constructed book
def _add(url: str, sid: str, sex: str, born: str, at: str, sire: str | None = None, dam: str | None = None) -> None:
    args = ["--id", sid, "--sex", sex, "--birth-date", born, "--at", at, "--rearing", "parent"]
    args += ["--sire", sire, "--dam", dam] if sire and dam else ["--wild-born", "--capture-date", "2016-01-01"]
    ok(url, "animal", "add", *args)


@pytest.fixture
def release_book(book_url: str) -> str:
    """Census 2026-11-01; release ages 1-3 years; young depend on their dam for 18 months.

    Founders (wild-born): 1 M, 2 F at LEIPZIG and 5 M, 6 F at TALLINN, born 2015 (11 years
    old: breeding age); 7 M, 8 F at MOSCOW, born 2008 (18: past breeding age, 17 M / 16 F).

    ========  ===  =====  ==========  ======================================================
    animal    sex  of     born        on 2026-11-01
    ========  ===  =====  ==========  ======================================================
    10        M    1 x 2  2023-11-01  exactly 3 years: in the window
    11        F    7 x 8  2023-10-31  3 years and a day: outside; the only young carrier of 7 and 8
    14        F    1 x 2  2025-03-01  20 months: independent, in the window
    15        F    5 x 6  2023-12-01  35 months, in the window, but the dam of 16
    12, 13    M, F 5 x 6  2025-08-01  15 months: in the window, dependent; so their dam 6 is held
    16        M    5 x 15 2026-06-01  5 months: dependent; so his dam 15 is held
    ========  ===  =====  ==========  ======================================================
    """
    url = book_url
    ok(url, "species", "set", "--release-age-min", "1", "--release-age-max", "3", "--dependence-months", "18",
       "--census-date", "2026-11-01")
    for sid, sex, born, at in (("1", "M", "2015-01-01", "LEIPZIG"), ("2", "F", "2015-01-01", "LEIPZIG"),
                               ("5", "M", "2015-01-01", "TALLINN"), ("6", "F", "2015-01-01", "TALLINN"),
                               ("7", "M", "2008-01-01", "MOSCOW"), ("8", "F", "2008-01-01", "MOSCOW")):
        _add(url, sid, sex, born, at)
    _add(url, "10", "M", "2023-11-01", "LEIPZIG", "1", "2")
    _add(url, "11", "F", "2023-10-31", "MOSCOW", "7", "8")
    _add(url, "14", "F", "2025-03-01", "LEIPZIG", "1", "2")
    _add(url, "15", "F", "2023-12-01", "TALLINN", "5", "6")
    _add(url, "12", "M", "2025-08-01", "TALLINN", "5", "6")
    _add(url, "13", "F", "2025-08-01", "TALLINN", "5", "6")
    _add(url, "16", "M", "2026-06-01", "TALLINN", "5", "15")
    return url


def release(url: str, *args: str) -> tuple[list[dict], dict]:
    out = jout(url, "recommend", "reintroduction", *args)
    return out["candidates"], out["release_impact"]  # type: ignore[index]


def ids(cands: list[dict]) -> list[str]:
    return sorted(c["id"] for c in cands)


def test_constructed_book_defaults(release_book):
    # Eligible: 10 (M) and 14 (F) only.
    cands, impact = release(release_book, "--count", "2", "--sex-ratio", "1:1")
    assert ids(cands) == ["10", "14"]
    assert impact["eligible"] == 2 and impact["release_ages"] == "1-3" and impact["release_ages_from"] == "species"
    assert "dependent young: 3" in impact["not_eligible"]          # 12, 13, 16
    assert "dam with dependent young: 2" in impact["not_eligible"]  # 6, 15
    # In the window: 10, 12, 13, 14, 15; outside: the six founders, 11 (3 years and a day), 16 (5 months).
    assert "outside the release ages: 8" in impact["not_eligible"]
    assert impact["institutions"] == 1 and impact["institution_codes"] == "LEIPZIG"
    assert impact["group_founder_lineages"] == 2  # founders 1 and 2
    # Lineages with young carriers: 1, 2 (themselves, 10, 14), 5, 6 (themselves, 12, 13, 15, 16), 7 and 8 (11).
    assert impact["lineages_with_young_carriers"] == 6


def test_age_window_from_the_species_and_the_options(release_book):
    bad = run_cli(release_book, "recommend", "reintroduction", "--count", "3")
    assert bad.exit_code == 1 and "only 2 eligible" in bad.stderr
    # --max-age overrides the species' window: 11 (3 years and a day) comes in,
    # but it is the last young carrier of founders 7 and 8 (next test); 1, 2, 5 (11 years) too.
    cands, impact = release(release_book, "--count", "3", "--max-age", "12")
    assert impact["release_ages"] == "1-12" and impact["release_ages_from"] == "options"
    assert all(1 <= c["age"] <= 12 for c in cands)
    assert "11" not in ids(cands)


def test_dependent_young_and_their_dams(release_book):
    # Two females: only 14 qualifies (13 is dependent, 15 has a dependent cub).
    bad = run_cli(release_book, "recommend", "reintroduction", "--count", "2", "--sex-ratio", "0:1")
    assert bad.exit_code == 1 and "1 eligible females" in bad.stderr
    # With a dependence of 4 months 13 (15 months) and 15 (her cub is 5 months) qualify.
    ok(release_book, "species", "set", "--dependence-months", "4")
    cands, impact = release(release_book, "--count", "3", "--sex-ratio", "0:1")
    assert ids(cands) == ["13", "14", "15"]
    assert "dependent" not in impact["not_eligible"]


def test_last_carriers_of_a_founder_lineage_stay(release_book):
    # With a window up to 4 years, 11 (sole young carrier of founders 7 and 8) is in the window;
    # the eligible females are 11 and 14 (13 is dependent, 15 has a dependent cub), and 11 may not go.
    bad = run_cli(release_book, "recommend", "reintroduction", "--count", "2", "--sex-ratio", "0:1",
                  "--max-age", "4")
    assert bad.exit_code == 1 and "last carriers of a founder lineage" in bad.stderr
    # A second young carrier of 7 and 8 (a 6-year-old full sib at Moscow, outside the window) lets 11 go.
    _add(release_book, "18", "M", "2020-06-01", "MOSCOW", "7", "8")
    cands, impact = release(release_book, "--count", "2", "--sex-ratio", "0:1", "--max-age", "4")
    assert ids(cands) == ["11", "14"]
    assert impact["fewest_young_carriers_left"] == 1


# ------------------------------------------------------------------------------ the sample book
def _birth(text: str) -> date:
    """Earliest day of a book date (``~2019``, ``2019-05``, ``2019-05-03``)."""
    parts = [int(p) for p in re.findall(r"\d+", text)]
    return date(parts[0], parts[1] if len(parts) > 1 else 1, parts[2] if len(parts) > 2 else 1)


def test_sample_book_release_team_rules(sample_url):
    cands, impact = release(sample_url, "--count", "6", "--sex-ratio", "1:1")
    assert len(cands) == 6 and Counter(c["sex"] for c in cands) == {"M": 3, "F": 3}
    animals = jout(sample_url, "animal", "list", "--status", "all")
    by_id = {a["studbook_id"]: a for a in animals}  # type: ignore[union-attr]
    chosen = {c["id"] for c in cands}
    # Release ages 1-3 on the census date 2026-11-01, both ends included.
    for c in cands:
        assert date(2023, 11, 1) <= _birth(by_id[c["id"]]["birth"]) <= date(2025, 11, 1)
        assert by_id[c["id"]]["status"] == "captive"
    # Not dependent (18 months: born after 2025-05-01) and no dam of a living young born after 2025-05-01.
    for c in cands:
        assert _birth(by_id[c["id"]]["birth"]) <= date(2025, 5, 1)
    for a in animals:  # type: ignore[union-attr]
        if a["status"] in ("captive", "wild") and _birth(a["birth"]) > date(2025, 5, 1):
            assert a["dam"] not in chosen
    # Every founder lineage with a captive descendant of breeding age or younger (M <= 17, F <= 16)
    # keeps one after the release. Founders: no known parent; descendants through sires, dams and MULT.
    children: dict[str, list[str]] = {}
    for a in animals:  # type: ignore[union-attr]
        for slot in (a["sire"], a["dam"]):
            for p in re.findall(r"([^\s(,:]+):[\d.]+", slot) if slot.startswith("MULT") else [slot]:
                if p in by_id:
                    children.setdefault(p, []).append(a["studbook_id"])
    founders = [a["studbook_id"] for a in animals  # type: ignore[union-attr]
                if a["sire"] in ("UNK", "WILD") and a["dam"] in ("UNK", "WILD")]

    def young_carrier(sid: str) -> bool:
        a = by_id[sid]
        limit = 17 if a["sex"] == "M" else 16
        return (a["status"] == "captive" and "exclude_from_analysis" not in a["flags"]
                and (a["age"] is None or a["age"] <= limit))

    protected = 0
    for f in founders:
        seen, stack = {f}, [f]
        while stack:
            for ch in children.get(stack.pop(), []):
                if ch not in seen:
                    seen.add(ch)
                    stack.append(ch)
        carriers = {s for s in seen if young_carrier(s)}
        if carriers:
            protected += 1
            assert carriers - chosen, f"founder {f} loses its last young carriers"
    assert protected == impact["lineages_with_young_carriers"]
    # The report: the group's GD and founder coverage, captive GD after, the comparison.
    assert 0 < impact["group_gd"] < 1 and 1 <= impact["group_founder_lineages"] <= impact["captive_founder_lineages"]
    assert impact["captive_gd_before"] - impact["captive_gd_after"] == pytest.approx(impact["captive_gd_loss"])
    assert len(impact["genetic_best_ids"].split()) == 6
    assert impact["logistics_cost_captive_gd"] == pytest.approx(
        impact["genetic_best_captive_gd_after"] - impact["captive_gd_after"])
    assert impact["institutions"] == len(impact["institution_codes"].split()) == len({c["institution"] for c in cands})


def test_sample_book_max_institutions(sample_url):
    cands, impact = release(sample_url, "--count", "6", "--sex-ratio", "1:1", "--max-institutions", "3")
    assert len({c["institution"] for c in cands}) <= 3 and impact["institutions"] <= 3
    bad = run_cli(sample_url, "recommend", "reintroduction", "--count", "6", "--sex-ratio", "1:1",
                  "--max-institutions", "2")
    assert bad.exit_code == 1 and "within 2 institution" in bad.stderr
