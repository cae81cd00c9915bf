"""Readable output (issue 10, items 2 and 5): ranked pair list, MSI matrix, the rule behind each MSI,
no formula escaping of a bare "-", rounding on terminals, the whole transfer plan as CSV, gene-drop FGE order."""

from __future__ import annotations

import csv
import io
import json

import pytest
from conftest import jout, ok, run_cli

from studbook.cli.output import _human, emit
from studbook.io.cells import escape_cell

# --- cells and the CSV emitter -------------------------------------------------------------------------


@pytest.mark.parametrize(("cell", "expected"), [
    ("-", "-"), ("--", "--"),                       # MSI "do not pair": text, nothing to evaluate
    ("-1+2", "'-1+2"), ("-A1", "'-A1"), ("- 1", "'- 1"), ("-x", "'-x"),   # formulas stay escaped
    ("=1+1", "'=1+1"), ("@SUM(A1)", "'@SUM(A1)"), ("+1+1", "'+1+1"), ("\tx", "'\tx"),
    ("-0.25", "-0.25"), ("1383", "1383"),         # plain numbers and IDs are left alone
])
def test_escape_cell(cell, expected):
    assert escape_cell(cell) == expected


def test_csv_emitter_writes_a_bare_dash_as_is(capsys):
    emit([{"msi": "-", "note": "-1+2"}, {"msi": "3", "note": "=cmd"}], "csv")
    rows = list(csv.reader(io.StringIO(capsys.readouterr().out)))
    assert rows == [["msi", "note"], ["-", "'-1+2"], ["3", "'=cmd"]]


# --- numbers on a terminal -----------------------------------------------------------------------------


@pytest.mark.parametrize(("value", "column", "shown"), [
    (-1.1102230246251565e-16, "F", "0"), (-0.0, None, "0"), (4.9e-13, "delta_gd", "0"),
    (-4.9e-13, "kinship", "0"), (5e-12, "delta_gd", "5e-12"),        # above the noise level: kept
    (0.0240241, "kinship", "0.0240"), (0.0345713, "mean_kinship", "0.0346"), (0.25, "offspring_F", "0.2500"),
    (-0.00001, "F", "0.0000"),                     # rounds to zero: no "-0.0000"
    (0.000143766, "delta_gd", "0.000143766"), (0.921182, "gene_diversity", "0.921182"),
    (None, "F", ""), (3, "F", "3"),
])
def test_terminal_rounding(value, column, shown):
    assert _human(value, column) == shown


def test_tables_show_noise_as_zero_and_machine_formats_stay_exact(capsys):
    rows = [{"id": "1229", "F": -1.1102230246251565e-16}, {"id": "1167", "F": 0.05889892578125}]
    emit(rows, "table")
    out = capsys.readouterr().out
    assert "e-16" not in out and "0.0589" in out and "0.05889892578125" not in out
    emit(rows, "json")
    assert json.loads(capsys.readouterr().out)[0]["F"] == -1.1102230246251565e-16
    emit(rows, "csv")
    assert "0.05889892578125" in capsys.readouterr().out


# --- pair-table ---------------------------------------------------------------------------------------


def test_male_1383_is_dash_with_every_female(sample_url):
    """1383 is 44.4% known (genetics mean-kinship); PMx's rule dashes all his pairs, offspring % known aside."""
    mk = {r["id"]: r for r in jout(sample_url, "genetics", "mean-kinship")}
    assert 40 < mk["1383"]["percent_known"] < 50
    rows = jout(sample_url, "recommend", "pair-table")
    his = [r for r in rows if r["male"] == "1383"]
    females = {r["female"] for r in rows}
    assert len(his) == len(females) and all(r["msi"] == "-" for r in his)
    assert all(r["msi_rule"].startswith("male 1383 44.4% known < 50%") for r in his)
    assert max(r["offspring_percent_known"] for r in his) >= 50    # the old offspring rule let these through
    ev = jout(sample_url, "recommend", "evaluate", "1383", "1314")
    assert ev["msi"] == "-" and ev["msi_rule"] == "male 1383 44.4% known < 50%" and ev["male_percent_known"] == 44.4


def test_well_known_pairs_are_unaffected(sample_url, tmp_path):
    """With the parent rule off (threshold 0) only the pairs of an animal under 50% known change."""
    off = tmp_path / "off.toml"
    off.write_text("[msi]\nparent_known_dash = 0\n")
    on = {(r["male"], r["female"]): r for r in jout(sample_url, "recommend", "pair-table")}
    without = {(r["male"], r["female"]): r for r in jout(sample_url, "recommend", "pair-table",
                                                         "--msi-config", str(off))}
    assert on.keys() == without.keys()
    changed = {k for k in on if on[k]["msi"] != without[k]["msi"]}
    assert changed and all(on[k]["msi"] == "-" for k in changed)
    assert all(min(on[k]["male_percent_known"], on[k]["female_percent_known"]) < 50 for k in changed)
    well = [k for k in on if min(on[k]["male_percent_known"], on[k]["female_percent_known"]) >= 50]
    assert well and all(on[k]["msi"] == without[k]["msi"] for k in well)


def test_ranked_list_top_n_and_order(sample_url):
    rows = list(csv.DictReader(io.StringIO(ok(sample_url, "recommend", "pair-table", "--top", "30",
                                              "--format", "csv").stdout)))
    assert [int(r["rank"]) for r in rows] == list(range(1, 31))

    def severity(r):
        return 7 if r["msi"] == "-" else int(r["msi"])
    keys = [(severity(r), -float(r["delta_gd"])) for r in rows]
    assert keys == sorted(keys)
    full = jout(sample_url, "recommend", "pair-table")
    assert full[-1]["msi"] == "-" and len(full) > 30
    table = ok(sample_url, "recommend", "pair-table", "--format", "table").stdout
    assert "Best 20 of" in table and "msi rule" in table


def test_matrix_file_is_new_and_keeps_the_dash(sample_url, tmp_path):
    out = tmp_path / "msi.csv"
    r = ok(sample_url, "recommend", "pair-table", "--output", str(out))
    assert "Wrote" in r.stderr and r.stdout == ""
    lines = list(csv.reader(out.open(encoding="utf-8", newline="")))
    header = lines[0]
    col = header.index("1314")
    row = next(line for line in lines if line[0] == "1383")
    assert row[col] == "-"                            # not "'-"
    assert all(c == "-" for c in row[1:])
    again = run_cli(sample_url, "recommend", "pair-table", "--output", str(out))
    assert again.exit_code == 1 and "already exists" in again.stderr


# --- transfers: the whole plan ------------------------------------------------------------------------


def test_transfers_csv_has_every_pair_and_every_move(sample_url):
    plan = jout(sample_url, "recommend", "transfers")
    rows = list(csv.DictReader(io.StringIO(ok(sample_url, "recommend", "transfers", "--format", "csv").stdout)))
    pairs = [r for r in rows if r["kind"] == "pair"]
    moves = [r for r in rows if r["kind"] == "move"]
    assert len(pairs) == len(plan["pairs"]) and len(moves) == len(plan["transfers"])
    assert {(r["male"], r["female"]) for r in pairs} == {(p["male"], p["female"]) for p in plan["pairs"]}
    assert all(r["why"] for r in rows)
    assert all(r["animal"] in (r["male"], r["female"]) for r in moves)
    assert all(r["msi"] != "'-" for r in pairs)


# --- gene drop ----------------------------------------------------------------------------------------


def test_gene_drop_puts_the_pmx_comparable_fge_first(sample_url):
    out = ok(sample_url, "genetics", "gene-drop", "--iterations", "300", "--seed", "3", "--format", "table").stdout
    first = out.index("FGE (PMx-comparable")
    assert first < out.index("FGE (allele retention, not PMx-comparable)")
    assert out.count("(SE)") >= 3
    s = jout(sample_url, "genetics", "gene-drop", "--iterations", "300", "--seed", "3")
    keys = list(s)
    assert keys.index("founder_genome_equivalents_from_gd") < keys.index("founder_genome_equivalents_allele_retention")
    gd, se = s["gene_diversity"], s["gene_diversity_se"]
    # delta method: d/dGD 1/(2(1-GD)) = 1/(2(1-GD)^2)
    assert s["founder_genome_equivalents_from_gd_se"] == pytest.approx(se / (2 * (1 - gd) ** 2))
    assert abs(s["founder_genome_equivalents_from_gd"] - s["founder_genome_equivalents_from_mk"]) < 0.5
    assert s["founder_genome_equivalents_allele_retention"] > s["founder_genome_equivalents_from_gd"] + 1


def test_inbreeding_csv_shows_round_off_as_zero(sample_url):
    # 1229-1231: parents related only through round-off (F computed as -1.1e-16 before)
    rows = {r["id"]: r["F"] for r in csv.DictReader(io.StringIO(ok(sample_url, "genetics", "inbreeding",
                                                                   "--format", "csv").stdout))}
    assert [rows[x] for x in ("1229", "1230", "1231")] == ["0.0", "0.0", "0.0"]
    assert not any("e-1" in v for v in rows.values())
