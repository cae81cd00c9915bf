"""`studbook genetics history`: the book as it stood at each year end (the --as-of read path)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from conftest import assert_refused, jout, ok, run_cli

from studbook.services.history import period_ends

SUMMARY_KEYS = ("n_living", "gene_diversity", "founder_genome_equivalents", "mean_kinship", "mean_inbreeding",
                "n_founders", "founder_equivalents")


def test_last_year_end_equals_summary_as_of_that_day(sample_url):
    rows = jout(sample_url, "genetics", "history")
    # The sample book's census date is 2026-11-01: the last year end is 2025-12-31, the first 1961 (first capture).
    assert rows[-1]["day"] == "2025-12-31"
    assert rows[0]["day"] == "1961-12-31"
    assert [r["day"] for r in rows] == [f"{y}-12-31" for y in range(1961, 2026)]
    summary = jout(sample_url, "genetics", "summary", "--as-of", "2025-12-31")
    for key in SUMMARY_KEYS:
        assert rows[-1][key] == pytest.approx(summary[key], rel=1e-12, abs=1e-15), key
    assert rows[-1]["n_alive"] == summary["n_alive"]
    # An earlier year too: the book as it stood then, not today's animals recomputed.
    mid = next(r for r in rows if r["day"] == "1990-12-31")
    then = jout(sample_url, "genetics", "summary", "--as-of", "1990-12-31")
    assert mid["gene_diversity"] == pytest.approx(then["gene_diversity"], rel=1e-12)
    assert mid["n_living"] == then["n_living"] != rows[-1]["n_living"]
    assert mid["n_alive"] == then["n_alive"]


def test_range_and_month_ends(sample_url):
    rows = jout(sample_url, "genetics", "history", "--from", "2024", "--to", "2025")
    assert [r["day"] for r in rows] == ["2024-12-31", "2025-12-31"]
    months = jout(sample_url, "genetics", "history", "--every", "month", "--from", "2026")
    # Up to the census date 2026-11-01: January to October.
    assert [r["day"][:7] for r in months] == [f"2026-{m:02d}" for m in range(1, 11)]
    oct_summary = jout(sample_url, "genetics", "summary", "--as-of", "2026-10-31")
    assert months[-1]["gene_diversity"] == pytest.approx(oct_summary["gene_diversity"], rel=1e-12)


def test_hand_computed_book(family_url):
    """Founders 1 (M) and 2 (F) captured 2010-03; their litter 3, 4 born 2015-05-01; 1 dies in 2017;
    3 x 4 have 5 in 2018 (F_5 = 1/4).

    Year end 2014, L = {1, 2}: mean MK = (½ + ½)/4 = 1/4, GD = 3/4, FGE = 2.
    2015, L = {1, 2, 3, 4}: Σφ = 4·½ (self) + 2·(4·¼ parent-offspring + ¼ sibs) = 4.5, mean MK = 4.5/16.
    2017, L = {2, 3, 4}: Σφ = 3·½ + 2·(3·¼) = 3, mean MK = 1/3, GD = 2/3 (the death changes GD).
    2018, L = {2, 3, 4, 5}: φ_55 = 5/8, φ_25 = ¼, φ_35 = φ_45 = 3/8:
    Σφ = 3·½ + 5/8 + 2·(3·¼ + ¼ + 2·3/8) = 5.625, mean MK = 5.625/16; mean F = (1/4)/4.
    """
    ok(family_url, "death", "1", "--date", "2017-06-01", "--cause", "old age")
    ok(family_url, "birth", "--dam", "4", "--sire", "3", "--date", "2018-06-01", "--at", "LEIPZIG", "--cub", "F")
    rows = {r["day"][:4]: r for r in jout(family_url, "genetics", "history", "--from", "2009", "--to", "2018")}
    assert rows["2009"]["n_alive"] == 0 and rows["2009"]["gene_diversity"] is None
    expected = {  # year: (N living, mean MK, mean F, founders represented)
        "2014": (2, 1 / 4, 0.0, 2), "2015": (4, 4.5 / 16, 0.0, 2), "2016": (4, 4.5 / 16, 0.0, 2),
        "2017": (3, 1 / 3, 0.0, 2), "2018": (4, 5.625 / 16, 1 / 16, 2),
    }
    for year, (n, mmk, f, nf) in expected.items():
        r = rows[year]
        assert r["n_living"] == r["n_alive"] == n, year
        assert r["mean_kinship"] == pytest.approx(mmk, abs=1e-12), year
        assert r["gene_diversity"] == pytest.approx(1 - mmk, abs=1e-12), year
        assert r["founder_genome_equivalents"] == pytest.approx(1 / (2 * mmk), abs=1e-9), year
        assert r["mean_inbreeding"] == pytest.approx(f, abs=1e-12), year
        assert r["n_founders"] == nf, year
    # The default start is the first year end with living animals (captured 2010).
    first = jout(family_url, "genetics", "history")[0]
    assert first["day"] == "2010-12-31" and first["gene_diversity"] == pytest.approx(0.75)


def test_refusals_and_read_only(family_url, tmp_path: Path):
    assert_refused(family_url, ["genetics", "history", "--from", "2018", "--to", "2015"], "--from 2018")
    assert_refused(family_url, ["genetics", "history", "--as-of", "2016-06-30", "--to", "2016"], "--to 2016")
    assert_refused(family_url, ["genetics", "history", "--from", "0"], "--from 0 is not a year")
    missing = tmp_path / "none.db"
    r = run_cli(str(missing), "genetics", "history")
    assert r.exit_code != 0 and r.stderr.startswith("Error: ") and "Traceback" not in r.stderr
    assert not missing.exists()


def test_period_ends():
    assert period_ends(date(2019, 6, 1), date(2020, 12, 30)) == [date(2019, 12, 31)]
    assert period_ends(date(2024, 1, 5), date(2024, 3, 31), "month") == [
        date(2024, 1, 31), date(2024, 2, 29), date(2024, 3, 31)]
    assert period_ends(date(2024, 11, 5), date(2025, 1, 31), "month")[-2:] == [date(2024, 12, 31), date(2025, 1, 31)]


def test_python_api(sample_url):
    from studbook import api

    rows = api.genetic_history(sample_url, from_year=2020)
    assert rows == jout(sample_url, "genetics", "history", "--from", "2020")
    assert rows[-1]["gene_diversity"] == pytest.approx(
        api.genetic_summary(sample_url, as_of="2025-12-31")["gene_diversity"], rel=1e-12)
