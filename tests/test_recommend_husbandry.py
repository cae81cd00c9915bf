"""Husbandry constraints (studbook.recommend.husbandry): expected values worked out by hand on tiny books."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from studbook.errors import InvalidInputError
from studbook.recommend.husbandry import (
    Birth,
    Dependence,
    Permits,
    Present,
    dependence,
    msi_allowed,
    occupancy,
    parse_msi_classes,
    partner_ok,
    partner_rules,
    permits_from,
    proven_pairs,
    years_before,
)
from studbook.recommend.msi import DASH

DAY = date(2026, 11, 1)


def test_occupancy_counts_every_animal_present_per_sex():
    # an excluded old male, a cub of unknown sex and two females: all take room
    here = [Present("1", "M", "KYIV"), Present("2", "M", "KYIV"), Present("3", "F", "KYIV"),
            Present("4", "U", "KYIV"), Present("5", "F", "POZNAN")]
    assert occupancy(here) == {("KYIV", "M"): 2, ("KYIV", "F"): 1, ("KYIV", "U"): 1, ("POZNAN", "F"): 1}
    assert occupancy([]) == {}


def test_years_before():
    assert years_before(DAY, 3) == date(2023, 11, 1)
    assert years_before(date(2024, 2, 29), 1) == date(2023, 2, 28)
    assert years_before(DAY, 0.5) == date(2026, 5, 2)   # 182.6 -> 183 days before; 1 May is 184 days before


def test_proven_pairs_keep_recent_breeders_held_together():
    here = [Present("M1", "M", "A"), Present("F1", "F", "A"), Present("M2", "M", "A"), Present("F2", "F", "A"),
            Present("M3", "M", "A"), Present("F3", "F", "B"), Present("F4", "F", "A")]
    births = [
        Birth("c1", "M1", "F1", date(2025, 6, 1)),    # 17 months ago, same site: proven
        Birth("c2", "M2", "F2", date(2023, 10, 31)),  # 3 years and 1 day ago: too old
        Birth("c3", "M3", "F3", date(2025, 1, 1)),    # recent, but she is at B now: not held together
        Birth("c4", "DEAD", "F4", date(2025, 1, 1)),  # the sire is not present (dead or gone)
        Birth("c5", None, "F1", date(2026, 1, 1)),    # unknown sire
        Birth("c6", "M2", "F2", date(2026, 12, 1)),   # after the reference day
    ]
    assert proven_pairs(births, here, DAY, 3) == [("M1", "F1")]
    # the boundary: exactly 3 years ago is outside (after DAY - 3 years), a day later inside
    edge = [Birth("c7", "M2", "F2", date(2023, 11, 1)), Birth("c8", "M3", "F4", date(2023, 11, 2))]
    assert proven_pairs(edge, here, DAY, 3) == [("M3", "F4")]
    # a longer window takes the 2023 litter too
    assert proven_pairs(births, here, DAY, 4) == [("M1", "F1"), ("M2", "F2")]
    assert proven_pairs(births, here, DAY, 0) == []
    with pytest.raises(InvalidInputError):
        proven_pairs(births, here, DAY, -1)


def test_dependent_young_and_their_dams():
    here = [Present(i, s, "A") for i, s in (("S", "M"), ("D", "F"), ("D2", "F"), ("y1", "U"), ("y2", "M"),
                                             ("y3", "F"))]
    births = [
        Birth("y1", "S", "D", date(2026, 2, 1)),     # 9 months: dependent at 18 months
        Birth("y2", "S", "D2", date(2025, 4, 1)),    # 19 months: independent
        Birth("y3", None, "D2", date(2025, 6, 1)),   # 17 months: dependent, sire unknown
        Birth("y4", "S", "GONE", date(2026, 3, 1)),  # the young is not present
    ]
    dep = dependence(births, here, DAY, 18)
    assert dep.young == frozenset({"y1", "y3"})
    assert dict(dep.dams) == {"D": frozenset({"S"}), "D2": frozenset()}
    assert dependence(births, here, DAY, 12).young == frozenset({"y1"})
    assert dependence(births, here, DAY, None) == Dependence(frozenset())
    assert dependence(births, here, DAY, 0).young == frozenset()


def test_partner_rules():
    site = {"M1": "A", "F1": "A", "S": "A", "D": "A", "D2": "B", "S2": "A"}
    dep = Dependence(frozenset({"y"}), {"D": frozenset({"S"}), "D2": frozenset({"S2"})})
    rules = partner_rules([("M1", "F1")], dep, site)
    # proven pair: each other only; D: the sire of her cub, held with her; D2: her cub's sire is elsewhere
    assert rules == {"M1": frozenset({"F1"}), "F1": frozenset({"M1"}), "D": frozenset({"S"}), "D2": frozenset()}
    # a dam in a proven pair with another male, cub by S: both rules -> nobody
    both = partner_rules([("M1", "D")], Dependence(frozenset(), {"D": frozenset({"S"})}), site)
    assert both["D"] == frozenset() and both["M1"] == frozenset({"D"})
    # positions: male 0 may only take female 2; female 3 nobody
    ok = partner_ok([0, 0, 1, 1], [2, 3, 2, 3], {0: frozenset({2}), 2: frozenset({0}), 3: frozenset()})
    assert ok.tolist() == [True, False, False, False]
    assert partner_ok([0, 1], [2, 3], {}).tolist() == [True, True]


def test_msi_classes():
    assert parse_msi_classes(()) == {1, 2, 3, 4}
    assert parse_msi_classes(["5,6", "-"]) == {1, 2, 3, 4, 5, 6, DASH}
    with pytest.raises(InvalidInputError):
        parse_msi_classes(["7"])
    assert msi_allowed(np.array([1, 4, 5, 6, DASH], dtype=np.int8)).tolist() == [True, True, False, False, False]
    assert msi_allowed([5, DASH], {1, 5}).tolist() == [True, False]


def test_permits_ban_and_cost_by_region_or_country():
    p = permits_from(["EAZA:EARAZA"], {"permit": [
        {"between": ["AZA", "EAZA"], "cost_km": 2000},
        {"between": ["gb", "us"], "cost_km": 500},
        {"between": ["JAZA", "AZA"], "cost_km": 100},
        {"between": ["JAZA", "AZA"], "ban": True},
    ]})
    assert p.between(("EAZA", "GB"), ("EARAZA", "RU")) is None           # blocked both ways
    assert p.between(("EARAZA", "RU"), ("EAZA", "CZ")) is None
    assert p.between(("EAZA", "GB"), ("AZA", "US")) == 2000.0            # the larger of two applying costs
    assert p.between(("EAZA", "CZ"), ("AZA", "US")) == 2000.0
    assert p.between(("JAZA", "JP"), ("AZA", "US")) is None              # a ban wins over a cost
    assert p.between(("EAZA", "GB"), ("EAZA", "CZ")) == 0.0              # no rule applies
    assert p.between((None, None), ("EARAZA", "RU")) == 0.0
    assert not Permits() and p
    assert permits_from(["gb:ru"]).between((None, "GB"), (None, "RU")) is None
    for bad in (["EAZA"], ["EAZA:EAZA"], ["A:B:C"]):
        with pytest.raises(InvalidInputError):
            permits_from(bad)
    for entry in ({"between": ["A"]}, {"between": ["A", "B"]}, {"between": ["A", "B"], "cost_km": -1}, {"ban": True}):
        with pytest.raises(InvalidInputError):
            permits_from((), {"permit": [entry]})


def test_service_gathers_the_facts_from_a_small_book(family_url):
    """Family book (1 M x 2 F at LEIPZIG, litter 3 M + 4 F of 2015-05-01) plus: cub 5 (U) of 1 x 2 born
    2019-03-01, 4 moved to TALLINN on 2018-01-01, 3 excluded from analysis. Worked out by hand."""
    from conftest import ok

    from studbook.db import session_scope
    from studbook.services.recommend import build_population, husbandry

    url = family_url
    ok(url, "species", "set", "--dependence-months", "18")
    ok(url, "birth", "--dam", "2", "--sire", "1", "--date", "2019-03-01", "--at", "LEIPZIG", "--cub", "U")
    ok(url, "transfer", "4", "--to", "TALLINN", "--date", "2018-01-01")
    ok(url, "animal", "update", "3", "--exclude")
    with session_scope(url) as session:
        on_2020 = build_population(session, as_of="2020-01-01")
        on_2023 = build_population(session, as_of="2023-01-01")
    assert "3" not in on_2020.ids                                   # excluded from analysis ...
    hb = husbandry(on_2020)
    code = {s.code: k for k, s in enumerate(on_2020.sites)}
    # ... but present: LEIPZIG holds males 1 and 3, female 2 (cub 5 is of unknown sex); TALLINN female 4
    assert hb.occupancy[code["LEIPZIG"]].tolist() == [2.0, 1.0]
    assert hb.occupancy[code["TALLINN"]].tolist() == [0.0, 1.0]
    assert hb.occupancy.sum() == 4
    # 1 x 2 bred 10 months ago and are held together: proven; cub 5 (10 months < 18) is dependent, so is its dam
    assert hb.proven == [("1", "2")]
    assert hb.dependent_dams == ["2"] and hb.dependent_young == ["5"]
    pos = {sid: k for k, sid in enumerate(on_2020.ids)}
    assert hb.partners == {pos["1"]: frozenset({pos["2"]}), pos["2"]: frozenset({pos["1"]})}
    assert {sid for sid in on_2020.ids if hb.immobile[pos[sid]]} == {"1", "2", "5"}
    # lifted: no proven pair; the dam keeps the dependent-young rule (only the cub's sire, held with her)
    lifted = husbandry(on_2020, break_proven_pairs=True)
    assert lifted.proven == [] and lifted.partners == {pos["2"]: frozenset({pos["1"]})}
    assert husbandry(on_2020, dependence_months=0).dependent_dams == []
    # three years later: cub 5 is 3.8 years old, and the 2019 litter is older than 3 years
    later = husbandry(on_2023)
    assert later.proven == [] and later.dependent_dams == [] and later.dependent_young == []
    assert husbandry(on_2023, proven_years=4).proven == [("1", "2")]
    assert not later.immobile.any()
