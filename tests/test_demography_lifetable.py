"""Life tables, growth (λ) and kinship value, checked on a small book worked out by hand.

The hand book (window 2010-2014, captive population unless said):

* 1 (F) born 2009-01-01 at LEIPZIG, dies in "2011" (a year date: its midpoint 2011-07-02 counts),
  182 days into her class 2 (2011-01-01 .. 2012-01-01, 365 days).
* 2 (F) born 2007-01-01: already 3 when the window opens (enters at age 3); at risk to its end.
* 3 (F) wild-born 2008-07-01, captured (imported) at TALLINN on 2011-07-01 at age 3; released at
  LAZOVSKY on 2013-01-01 (184 days into her class 4: out of captive risk); dies there on 2014-01-01.
* 20 (M) wild-born 2005-01-01, captured at LEIPZIG 2009-01-01; sires with 2 a litter on 2010-06-01:
  4 (F), 5 (M), 6 (U); dam 2 is then 3, sire 20 is 5.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from conftest import assert_refused, jout, ok, run_cli

from studbook import api


def _hand_book(url: str) -> str:
    ok(url, "animal", "add", "--id", "1", "--sex", "F", "--birth-date", "2009-01-01", "--at", "LEIPZIG")
    ok(url, "death", "1", "--date", "2011")
    ok(url, "animal", "add", "--id", "2", "--sex", "F", "--birth-date", "2007-01-01", "--at", "LEIPZIG")
    ok(url, "animal", "add", "--id", "3", "--sex", "F", "--birth-date", "2008-07-01", "--at", "TALLINN",
       "--wild-born", "--capture-date", "2011-07-01")
    ok(url, "release", "3", "--to", "LAZOVSKY", "--date", "2013-01-01")
    ok(url, "death", "3", "--date", "2014-01-01")
    ok(url, "animal", "add", "--id", "20", "--sex", "M", "--birth-date", "2005-01-01", "--at", "LEIPZIG",
       "--wild-born", "--capture-date", "2009-01-01")
    ok(url, "birth", "--dam", "2", "--sire", "20", "--date", "2010-06-01", "--at", "LEIPZIG",
       "--cub", "F", "--cub", "M", "--cub", "U")
    return url


@pytest.fixture
def hand_url(book_url: str) -> str:
    return _hand_book(book_url)


WINDOW = ("--from", "2010", "--to", "2014")


def _col(table: dict, key: str) -> list:
    return [r[key] for r in table["rows"]]


def test_female_captive_life_table_by_hand(hand_url):
    t = jout(hand_url, "demography", "life-table", "--sex", "F", *WINDOW)
    assert (t["window_start"], t["window_end"], t["population"]) == ("2010-01-01", "2014-12-31", "captive")
    assert _col(t, "age") == [0, 1, 2, 3, 4, 5, 6, 7]
    # Qx risk: 4 in class 0 (2010-06 .. 2011-06); 1 and 4 in class 1; in class 2, 4 (1.0) and 1, who died
    # 182 days in and counts to the end of the class (1.0); class 3: 2, 3 (captured at 3) and 4;
    # class 4: 2 (1.0), 3 until her release (184/365), 4 until the window ends (214/365); 5-7: 2 alone.
    expected_q_risk = [1, 2, 2, 3, 1 + 184 / 365 + 214 / 365, 1, 1, 1]
    assert _col(t, "qx_risk") == pytest.approx(expected_q_risk, abs=1e-12)
    # Mx risk: the time lived only: 1 lived 182/365 of her class 2.
    assert _col(t, "mx_risk") == pytest.approx([1, 2, 1 + 182 / 365, 3, 1 + 398 / 365, 1, 1, 1], abs=1e-12)
    assert _col(t, "deaths") == [0, 0, 1, 0, 0, 0, 0, 0]
    assert _col(t, "qx") == pytest.approx([0, 0, 0.5, 0, 0, 0, 0, 0])
    assert _col(t, "px") == pytest.approx([1, 1, 0.5, 1, 1, 1, 1, 1])
    assert _col(t, "lx") == pytest.approx([1, 1, 1, 0.5, 0.5, 0.5, 0.5, 0.5])
    # Births to dams of age x: 2 had 3 young at 3; same-sex young: the F 1, the M 0, the U 1/2 -> 1.5 / 3.0.
    assert _col(t, "births") == pytest.approx([0, 0, 0, 3, 0, 0, 0, 0])
    assert _col(t, "mx") == pytest.approx([0, 0, 0, 0.5, 0, 0, 0, 0])
    # ex = Σ_{y>=x} (l_y + l_{y+1})/2 / l_x: L = 1, 1, .75, .5, .5, .5, .5, .5 -> e0 = 5.25, e2 = 3.25, e3 = 5.
    assert _col(t, "ex") == pytest.approx([5.25, 4.25, 3.25, 5.0, 4.0, 3.0, 2.0, 1.0])
    # Wilson 95% interval of q2 = 1/2 on 2 at risk: (0.5 + z²/4 ± z sqrt(1/8 + z²/16)) / (1 + z²/2), z = 1.96.
    row2 = t["rows"][2]
    assert (row2["qx_low"], row2["qx_high"]) == pytest.approx((0.094531, 0.905469), abs=1e-6)
    assert t["rows"][0]["qx_low"] == 0 and t["rows"][0]["qx_high"] == pytest.approx(0.793451, abs=1e-6)
    assert all(r["small_risk"] for r in t["rows"])
    # R0 = l3 M3 = 1/4; λ^-3 / 4 = 1 -> λ = 4^(-1/3); T = 3.
    assert t["r0"] == pytest.approx(0.25)
    assert t["lambda"] == pytest.approx(0.25 ** (1 / 3), rel=1e-9)
    assert t["r"] == pytest.approx(math.log(0.25) / 3, rel=1e-9)
    assert t["generation_time"] == pytest.approx(3.0, rel=1e-9)


def test_population_all_keeps_life_in_the_wild(hand_url):
    """3 stays at risk after her release (class 4 whole) and her death in the wild counts in class 5."""
    t = jout(hand_url, "demography", "life-table", "--sex", "F", "--population", "all", *WINDOW)
    assert _col(t, "qx_risk")[4] == pytest.approx(2 + 214 / 365, abs=1e-12)
    assert _col(t, "qx_risk")[5] == pytest.approx(2.0, abs=1e-12)  # 2, and 3 dying 184 days in
    assert _col(t, "mx_risk")[5] == pytest.approx(1 + 184 / 365, abs=1e-12)
    assert _col(t, "deaths") == [0, 0, 1, 0, 0, 1, 0, 0]
    assert _col(t, "lx") == pytest.approx([1, 1, 1, 0.5, 0.5, 0.5, 0.25, 0.25])
    captive = jout(hand_url, "demography", "life-table", "--sex", "F", *WINDOW)
    assert captive["deaths"] == 1 and t["deaths"] == 2


def test_both_sexes_count_births_to_each_parent(hand_url):
    t = jout(hand_url, "demography", "life-table", *WINDOW)
    # The litter counts for the dam (3 at age 3) and for the sire (3 at age 5).
    assert _col(t, "births")[3] == pytest.approx(3) and _col(t, "births")[5] == pytest.approx(3)
    # Class 5: 2 (2012) and 20 (2010) at risk; the sire's same-sex young: M 1 + U 1/2.
    assert _col(t, "mx_risk")[5] == pytest.approx(2.0)
    assert _col(t, "mx")[5] == pytest.approx(1.5 / 2)
    # Class 3: 2, 3, 4, 5 and 6 at risk; the dam's same-sex young: F 1 + U 1/2.
    assert _col(t, "mx")[3] == pytest.approx(1.5 / 5)


def test_undetermined_dates_are_left_out_and_counted(hand_url):
    ok(hand_url, "animal", "add", "--id", "30", "--sex", "F", "--birth-date", "unknown", "--at", "MOSCOW")
    r = ok(hand_url, "demography", "life-table", "--sex", "F", *WINDOW)
    assert "Left out for an undetermined date: 1 animal(s), 0 birth(s)." in r.stderr
    t = jout(hand_url, "demography", "life-table", "--sex", "F", *WINDOW)
    assert t["left_out_animals"] == 1 and t["animals"] == 4
    # KV is never faked: an animal of undetermined age leaves KV null, and says why.
    mk = jout(hand_url, "genetics", "mean-kinship")
    assert all(row["kinship_value"] is None for row in mk)
    assert "undetermined age" in mk[0]["kinship_value_note"]
    assert "undetermined age" in run_cli(hand_url, "genetics", "mean-kinship").stderr


def test_as_of_cuts_the_window(hand_url):
    """On 2011-03-01 the book has no death yet: 1 has not died, 3 is not captured."""
    t = jout(hand_url, "demography", "life-table", "--sex", "F", "--from", "2010", "--as-of", "2011-03-01")
    assert t["window_end"] == "2011-03-01" and t["deaths"] == 0
    # Class 2 of 1: 2011-01-01 .. 2011-03-02 (60 days of 365).
    assert _col(t, "qx_risk")[2] == pytest.approx(60 / 365, abs=1e-12)


def test_kinship_value_by_hand(hand_url):
    """KV_i = Σ_j v_j φ_ij / Σ_j v_j, v from the captive life tables of 2005-2014 (the whole book).

    Living on 2014-12-31: 2 (F, 7), 4 (F, 4), 5 (M, 4), 6 (U, 4), 20 (M, 9). Females: no class after 3
    breeds, so v = 0 for 2 and 4. Males: no death, M_5 = 1.5 (20's young: M + U/2 over his year 2010),
    λ^5 = 1.5, v_4 = λ^4 λ^-5 M_5 = 1.5 / λ, v_9 = 0. Both sexes (6): q_2 = 1/5 (1 died; 1, 2, 4, 5, 6
    at risk), l_3..l_5 = 0.8, M_3 = 1.5/5, M_5 = 1.5/2: 0.24 λ^-3 + 0.6 λ^-5 = 1, v_4 = λ^4 (0.8 M_5 λ^-5)/0.8.
    """
    ok(hand_url, "species", "set", "--census-date", "2014-12-31")
    lam_m = 1.5 ** (1 / 5)
    v5 = 1.5 / lam_m
    roots = np.roots([1, 0, 0, -0.24, 0, -0.6])  # λ^5 - 0.24 λ^2 - 0.6 = 0
    lam_all = max(r.real for r in roots if abs(r.imag) < 1e-12 and r.real > 0)
    v6 = 0.75 / lam_all
    kv = {r["id"]: r["kinship_value"] for r in jout(hand_url, "genetics", "mean-kinship")}
    # φ: 5 and 6 are full sibs (1/4), each 1/2 with itself; 2 and 20 are their parents, 4 their full sib.
    assert kv["2"] == pytest.approx(0.25) and kv["20"] == pytest.approx(0.25) and kv["4"] == pytest.approx(0.25)
    assert kv["5"] == pytest.approx((v5 / 2 + v6 / 4) / (v5 + v6), rel=1e-9)
    assert kv["6"] == pytest.approx((v5 / 4 + v6 / 2) / (v5 + v6), rel=1e-9)
    r = ok(hand_url, "genetics", "mean-kinship")
    assert "captive life tables by sex, 2005-01-01 to 2014-12-31" in r.stderr
    assert api.kinship_value_table(hand_url) == jout(hand_url, "genetics", "mean-kinship")


def test_lambda_is_the_euler_lotka_root_on_the_sample(sample_url):
    """λ of the Leslie matrix equals the positive root of Σ λ^-x l_x M_x = 1, found here with numpy.roots:
    multiplied by λ^k it is the polynomial λ^k - Σ_x l_x M_x λ^(k-x)."""
    s = jout(sample_url, "demography", "summary")
    assert [r["sex"] for r in s] == ["F", "M", "all"]
    for row in s:
        t = jout(sample_url, "demography", "life-table", "--sex", row["sex"])
        lx, mx = _col(t, "lx"), [m or 0.0 for m in _col(t, "mx")]
        k = len(lx) - 1
        coeffs = [1.0] + [0.0] * k
        for x in range(k + 1):
            coeffs[x] -= lx[x] * mx[x]  # term λ^(k-x)
        roots = np.roots(coeffs)
        root = max(r.real for r in roots if abs(r.imag) < 1e-9 and r.real > 0)
        assert row["lambda"] == pytest.approx(root, rel=1e-9)
        assert row["r"] == pytest.approx(math.log(root), rel=1e-9)
        assert row["r0"] == pytest.approx(sum(a * b for a, b in zip(lx, mx)), rel=1e-12)
        assert row["generation_time"] == pytest.approx(
            sum(x * root ** -x * a * b for x, (a, b) in enumerate(zip(lx, mx))), rel=1e-9)
        assert t["lambda"] == row["lambda"]
    assert 1.0 < s[0]["lambda"] < 1.1  # the synthetic book grew a few per cent a year


def test_reproductive_values_fisher():
    """v_x = λ^x / l_x Σ_{y>=x} λ^-y l_y M_y on the hand table of females: v_0 = 1, v_1 = λ^-2/4,
    v_2 = λ^-1/4, v_3 = M_3 = 1/2, v_4.. = 0 (λ^3 = 1/4)."""
    from datetime import date

    from studbook import demography as dem

    h = [dem.LifeHistory("a", "F", date(2000, 1, 1), (dem.Span(date(2000, 1, 1), date(2002, 1, 1), True),)),
         dem.LifeHistory("b", "F", date(2000, 1, 1), (dem.Span(date(2000, 1, 1), None),)),
         dem.LifeHistory("s", "M", date(1990, 1, 1), (dem.Span(date(1990, 1, 1), None),))]
    births = [dem.BirthRecord(date(2003, 6, 1), "F", (("s", 1.0),), (("b", 1.0),)),
              dem.BirthRecord(date(2003, 6, 1), "U", (("s", 1.0),), (("b", 1.0),))]
    t = dem.life_table(h, births, date(2000, 1, 1), date(2004, 12, 31), sex="F")
    # q_2 = 1/2 (a dies on her 2nd birthday... at the start of class 2: 1 death over 2 at risk).
    assert [r.qx for r in t.rows] == pytest.approx([0, 0, 0.5, 0, 0])
    assert [r.mx for r in t.rows] == pytest.approx([0, 0, 0, 1.5, 0])
    g = dem.growth(t)
    lam = (0.5 * 1.5) ** (1 / 3)
    assert g.lam == pytest.approx(lam, rel=1e-9)
    assert dem.reproductive_values(t, lam) == pytest.approx(
        [1.0, 0.75 * lam ** -2, 0.75 * lam ** -1, 1.5, 0.0], rel=1e-9)


def test_not_enough_data_says_why(book_url):
    ok(book_url, "animal", "add", "--id", "1", "--sex", "F", "--birth-date", "2015-01-01", "--at", "LEIPZIG")
    ok(book_url, "animal", "add", "--id", "2", "--sex", "M", "--birth-date", "2015-01-01", "--at", "LEIPZIG")
    s = jout(book_url, "demography", "summary")
    assert all(r["lambda"] is None for r in s)
    assert s[0]["note"] == "no young were born to animals at risk in this window"
    mk = jout(book_url, "genetics", "mean-kinship")
    assert [r["kinship_value"] for r in mk] == [None, None]
    assert "no young were born" in mk[0]["kinship_value_note"]


def test_bad_input_is_one_clear_line(hand_url, tmp_path):
    assert_refused(hand_url, ["demography", "life-table", "--from", "2014", "--to", "2010"], "--from 2014 is after")
    assert_refused(hand_url, ["demography", "summary", "--from", "2030", "--as-of", "2020-01-01"], "window starts")
    r = run_cli(hand_url, "demography", "life-table", "--sex", "X")
    assert r.exit_code == 2 and "Traceback" not in r.stderr
    missing = tmp_path / "none.db"
    r = run_cli(str(missing), "demography", "life-table")
    assert r.exit_code == 3 and r.stderr.startswith("Error: ") and not missing.exists()


def test_api_matches_cli(hand_url):
    from dataclasses import asdict

    rep = api.life_table(hand_url, sex="F", first_year=2010, last_year=2014)
    cli = jout(hand_url, "demography", "life-table", "--sex", "F", *WINDOW)
    assert [asdict(r) for r in rep.table.rows] == cli["rows"]
    assert rep.growth.lam == cli["lambda"]
    s = api.demography_summary(hand_url, first_year=2010, last_year=2014)
    assert [r.lam for r in s.rows] == [r["lambda"] for r in jout(hand_url, "demography", "summary", *WINDOW)]


def test_two_year_classes(hand_url):
    """--class-width 2: risk in classes of 2 years. Class 1 (ages 2-4): 1 counts her whole class once
    she dies (1.0), 4 lives it all (1.0), 2 and 3 only their year 3 (0.5 each); q = 1/3."""
    t = jout(hand_url, "demography", "life-table", "--sex", "F", "--class-width", "2", *WINDOW)
    assert t["class_width_years"] == 2 and _col(t, "age") == [0, 2, 4, 6]
    assert _col(t, "qx_risk")[1] == pytest.approx(3.0, abs=1e-12)
    assert _col(t, "qx")[1] == pytest.approx(1 / 3)
    assert _col(t, "mx_risk")[1] == pytest.approx((4 + 182 / 365) / 2, abs=1e-12)
    assert _col(t, "mx")[1] == pytest.approx(1.5 / ((4 + 182 / 365) / 2))
    # λ per 2-year class solves λ_c^-1 l_1 M_1 = 1 with l_1 = 1 (nobody died in class 0); per year: its root.
    assert t["lambda"] == pytest.approx((1.5 / ((4 + 182 / 365) / 2)) ** 0.5, rel=1e-9)
    assert t["generation_time"] == pytest.approx(2.0, rel=1e-9)
