"""`genetics summary --sensitivity` and `recommend pairs --sensitivity`: UNK as founders vs as MULT.

The tiny pedigree, by hand. Founders S1, S2 (males) and D (female); Y is D's young with an UNK
sire; the living are Y and S1. Kinship φ:

* UNK as founders: φ(Y,Y) = φ(S1,S1) = 1/2, φ(Y,S1) = 0, so mean MK = (1/2 + 0 + 0 + 1/2)/4 = 1/4,
  GD = 3/4, FGE = 1/(2 MK) = 2. Founders with descendants among the living: S1, D and the
  phantom "UNK sire of Y".
* UNK as MULT(S1: 1/2, S2: 1/2): φ(Y,S1) = 1/2 [1/2 φ(S1,S1) + 1/2 φ(S2,S1) + φ(D,S1)] =
  1/2 [1/4] = 1/8; φ(Y,Y) = 1/2 (F_Y = 0). Mean MK = (1/2 + 1/8 + 1/8 + 1/2)/4 = 5/16,
  GD = 11/16 = 0.6875, FGE = 1/(2 * 5/16) = 1.6; founders S1, S2, D; no phantom.
"""

from __future__ import annotations

import pytest
from conftest import jout, ok

from studbook.genetics.sensitivity import summary_both, with_mult_parents
from studbook.pedigree import Pedigree, PedigreeRecord


def _tiny() -> Pedigree:
    return Pedigree.from_records([
        PedigreeRecord("S1", sex="M", alive=True), PedigreeRecord("S2", sex="M"), PedigreeRecord("D", sex="F"),
        PedigreeRecord("Y", dam="D", sex="F", alive=True)])


def test_gd_under_mult_by_hand():
    both = summary_both(_tiny(), {("Y", "sire"): (("S1", 0.5), ("S2", 0.5))})
    a, b = both["unk_as_founders"], both["unk_as_mult"]
    assert both["replaced"] == 1
    assert a["mean_kinship"] == pytest.approx(1 / 4) and a["gene_diversity"] == pytest.approx(3 / 4)
    assert a["founder_genome_equivalents"] == pytest.approx(2.0)
    assert (a["n_founders"], a["n_phantom_founders"]) == (2, 1)
    assert b["mean_kinship"] == pytest.approx(5 / 16) and b["gene_diversity"] == pytest.approx(11 / 16)
    assert b["founder_genome_equivalents"] == pytest.approx(1.6)
    assert (b["n_founders"], b["n_phantom_founders"]) == (3, 0)


def test_only_unk_slots_with_known_candidates_are_replaced():
    ped = _tiny()
    # Y's dam is known (not UNK); a candidate missing from the pedigree leaves the slot UNK.
    new, used = with_mult_parents(ped, {("Y", "dam"): (("S1", 1.0),), ("Y", "sire"): (("NOPE", 1.0),)})
    assert used == 0 and new.to_records() == ped.to_records()
    same = summary_both(ped, {})
    assert same["unk_as_founders"] == same["unk_as_mult"]


def test_summary_sensitivity_cli(book_url):
    """The same tiny book through the CLI: sire 1 (M), 2 (M), dam 3 at LEIPZIG; 4 born there with an UNK sire;
    2 and 3 dead, so the living are 1 and 4 (S1 and Y above) and GD goes from 3/4 to 11/16."""
    for sid, sex in (("1", "M"), ("2", "M"), ("3", "F")):
        ok(book_url, "animal", "add", "--id", sid, "--sex", sex, "--birth-date", "2010-01-01", "--at", "LEIPZIG")
    ok(book_url, "animal", "add", "--id", "4", "--sex", "F", "--birth-date", "2015-06-01", "--at", "LEIPZIG",
       "--dam", "3")
    ok(book_url, "death", "2", "--date", "2016-01-01")
    ok(book_url, "death", "3", "--date", "2016-01-01")
    rows = {r["key"]: r for r in jout(book_url, "genetics", "summary", "--sensitivity", "--as-of", "2020-01-01")}
    assert rows["gene_diversity"]["unk_as_founders"] == pytest.approx(0.75)
    assert rows["gene_diversity"]["unk_as_mult"] == pytest.approx(0.6875)
    assert rows["gene_diversity"]["change"] == pytest.approx(-0.0625)
    assert rows["founder_genome_equivalents"]["unk_as_mult"] == pytest.approx(1.6)
    assert (rows["n_founders"]["unk_as_founders"], rows["n_founders"]["unk_as_mult"]) == (2, 3)
    # The book is not changed.
    assert jout(book_url, "animal", "show", "4")["sire"] == "UNK"
    r = ok(book_url, "genetics", "summary", "--sensitivity", "--as-of", "2020-01-01")
    assert "0.6875" in r.stdout and "1 UNK parent(s) replaced" in r.stderr


def test_sample_book_sensitivity(sample_url):
    rows = {r["key"]: r for r in jout(sample_url, "genetics", "summary", "--sensitivity")}
    gd = rows["gene_diversity"]
    assert gd["unk_as_founders"] == pytest.approx(jout(sample_url, "genetics", "summary")["gene_diversity"])
    assert gd["unk_as_mult"] < gd["unk_as_founders"]
    assert rows["n_phantom_founders"]["unk_as_mult"] == 0
    assert rows["mean_percent_known"]["unk_as_mult"] == 100.0


def test_pairs_sensitivity_ranks(sample_url):
    plain = jout(sample_url, "recommend", "pairs", "--max-pairs", "3")
    pairs = jout(sample_url, "recommend", "pairs", "--max-pairs", "3", "--sensitivity")
    assert [(p["male"], p["female"]) for p in pairs] == [(p["male"], p["female"]) for p in plain]
    for p in pairs:
        assert isinstance(p["rank_unk_as_founders"], int) and isinstance(p["rank_unk_as_mult"], int)
        assert p["delta_gd_unk_as_founders"] == pytest.approx(p["delta_gd"])
    table = ok(sample_url, "recommend", "pairs", "--max-pairs", "3", "--sensitivity").stdout
    assert "rank unk as mult" in table


def test_transfers_sensitivity_ranks_are_the_pair_table_order(sample_url):
    """Each pair of the plan, ranked with UNK as founders, sits at that place in `pair-table`'s full ranking."""
    import csv
    import io

    plan = jout(sample_url, "recommend", "transfers", "--sensitivity")
    ranking = list(csv.DictReader(io.StringIO(ok(sample_url, "recommend", "pair-table", "--format", "csv").stdout)))
    place = {(r["male"], r["female"]): k for k, r in enumerate(ranking, 1)}
    assert plan["pairs"]
    for p in plan["pairs"]:
        assert p["rank_unk_as_founders"] == place[(p["male"], p["female"])]
        assert isinstance(p["rank_unk_as_mult"], int) and p["rank_unk_as_mult"] >= 1
    # Under the MULT assumption some pair of the plan moves in the ranking: the unknowns matter.
    assert any(p["rank_unk_as_mult"] != p["rank_unk_as_founders"] for p in plan["pairs"])
    table = ok(sample_url, "recommend", "transfers", "--sensitivity").stdout
    assert "rank unk as mult" in table
