"""Decisions on the sample studbook, through the CLI: pair table, pairs, transfers, plans, reintroduction."""

from __future__ import annotations

import csv
import io
import json
from collections import Counter

import numpy as np
import pytest
from conftest import jout, ok, run_cli

from studbook import api


@pytest.fixture(scope="module")
def population(sample_url):
    """Kinship matrix and MK of the living analysis population, straight from the genetics layer."""
    labels, K = api.kinship(sample_url)
    return labels, K


def gd_with_offspring(K, s, d):
    """GD recomputed from scratch with one offspring of s x d appended to the matrix."""
    n = K.shape[0]
    f = 0.5 * (K[s] + K[d])
    big = np.zeros((n + 1, n + 1))
    big[:n, :n] = K
    big[n, :n] = big[:n, n] = f
    big[n, n] = 0.5 * (1 + K[s, d])
    return 1 - big.mean()


def test_pair_table_rows_and_delta_gd_from_scratch(sample_url, population):
    labels, K = population
    rows = list(csv.DictReader(io.StringIO(ok(sample_url, "recommend", "pair-table", "--format", "csv").stdout)))
    assert list(rows[0])[:8] == ["rank", "male", "female", "msi", "offspring_F", "delta_gd", "mk_difference",
                                 "msi_rule"]
    males, females = {r["male"] for r in rows}, {r["female"] for r in rows}
    assert len(rows) == len(males) * len(females)
    pos = {sid: i for i, sid in enumerate(labels)}
    gd = 1 - K.mean()
    for r in rows[:: max(1, len(rows) // 40)]:
        s, d = pos[r["male"]], pos[r["female"]]
        assert float(r["kinship"]) == pytest.approx(K[s, d], abs=1e-12)
        assert float(r["delta_gd"]) == pytest.approx(gd_with_offspring(K, s, d) - gd, abs=1e-12)
        assert r["msi"] in {"1", "2", "3", "4", "5", "6", "-"}
    # Piped with no --format: the ranked list as csv (it used to print an empty matrix).
    piped = list(csv.DictReader(io.StringIO(ok(sample_url, "recommend", "pair-table").stdout)))
    assert piped == rows
    matrix = list(csv.reader(io.StringIO(ok(sample_url, "recommend", "pair-table", "--matrix", "--format", "csv").stdout)))
    assert matrix[0][0] == "male/female" and len(matrix) == len(males) + 1 and len(matrix[0]) == len(females) + 1
    msi = {(r["male"], r["female"]): r["msi"] for r in rows}
    for line in matrix[1:]:
        assert line[1:] == [msi[(line[0], f)] for f in matrix[0][1:]]
    text = ok(sample_url, "recommend", "pair-table", "--matrix", "--format", "table").stdout.splitlines()
    assert len(text) == len(males) + 1 and text[0].split() == matrix[0]


def test_ineligible_animals_are_not_paired(sample_url):
    rows = jout(sample_url, "recommend", "pair-table")
    animals = {a["studbook_id"]: a for a in jout(sample_url, "animal", "list", "--alive")}
    for r in rows:
        for sid in (r["male"], r["female"]):
            flags = animals[sid]["flags"]
            assert not {"do_not_breed", "contracepted", "hybrid_suspect", "exclude_from_analysis"} & set(flags), sid
            assert 2 <= animals[sid]["age"] <= 17
    relaxed = jout(sample_url, "recommend", "pair-table", "--relax", "contracepted", "--relax", "do-not-breed")
    assert len(relaxed) > len(rows)


def test_evaluate_explains_one_pair(sample_url):
    row = jout(sample_url, "recommend", "pair-table")[0]
    ev = jout(sample_url, "recommend", "evaluate", row["male"], row["female"])
    assert ev["delta_gd"] == pytest.approx(row["delta_gd"]) and ev["msi"] == row["msi"]
    assert ev["kinship"] == pytest.approx(row["kinship"]) and "distance_km" in ev
    r = run_cli(sample_url, "recommend", "evaluate", row["female"], row["male"])
    assert r.exit_code == 1 and "is not a male" in r.stderr


def _gd_after(K, pairs):
    from studbook.recommend.pairing import population_gd_after

    return population_gd_after(K, pairs)


def test_optimal_pairs_beat_random_and_mk_rank_pairing(sample_url, population):
    labels, K = population
    pos = {sid: i for i, sid in enumerate(labels)}
    # The pure optimiser (no proven pair kept, MSI 5 and 6 allowed, dams with young re-paired), as the MK-rank
    # rival has no such rules.
    rows = jout(sample_url, "recommend", "pairs", "--break-proven-pairs", "--allow-msi", "5,6", "--dependence-months", "0")
    assert rows, "no pairs recommended"
    used = Counter([r["male"] for r in rows] + [r["female"] for r in rows])
    assert max(used.values()) == 1  # each animal in at most one pair
    for col in ("male", "female", "kinship", "offspring_F", "delta_gd", "msi", "male_institution",
                "female_institution", "distance_km", "move"):
        assert col in rows[0]
    chosen = [(pos[r["male"]], pos[r["female"]]) for r in rows]
    table = jout(sample_url, "recommend", "pair-table")
    # Animals whose every pair is "-" (male 1383, 44% known) are never paired: leave them out of the rivals too.
    males = sorted({r["male"] for r in table if r["msi"] != "-"}, key=lambda m: K[pos[m]].mean())
    females = sorted({r["female"] for r in table if r["msi"] != "-"}, key=lambda f: K[pos[f]].mean())
    k = len(chosen)
    # MK-rank pairing (PMx's classic): lowest-MK male with lowest-MK female, and so on.
    ranked = [(pos[m], pos[f]) for m, f in zip(males[:k], females[:k])]
    rng = np.random.default_rng(0)
    random_gds = []
    for _ in range(50):
        mm = rng.permutation(males)[:k]
        ff = rng.permutation(females)[:k]
        random_gds.append(_gd_after(K, [(pos[m], pos[f]) for m, f in zip(mm, ff)]))
    ours = _gd_after(K, chosen)
    assert ours > max(random_gds)
    assert ours >= _gd_after(K, ranked) - 1e-12
    dyn = jout(sample_url, "recommend", "pairs", "--strategy", "dynamic-mk")
    assert dyn and max(Counter([r["male"] for r in dyn] + [r["female"] for r in dyn]).values()) == 1
    limited = jout(sample_url, "recommend", "pairs", "--max-pairs", "5")
    assert len(limited) == 5


def test_transfer_plan_respects_capacity_and_trades_distance(sample_url):
    plan0 = jout(sample_url, "recommend", "transfers")
    plan1 = jout(sample_url, "recommend", "transfers", "--distance-weight", "0.5")
    t0, t1 = plan0["totals"], plan1["totals"]
    assert t1["total_km"] <= t0["total_km"] and t1["gain_sum_delta_gd"] <= t0["gain_sum_delta_gd"] + 1e-15
    assert "gives up" in t1["traded"]
    assert t0["gene_diversity_after_births"] > t0["gene_diversity_now"]
    institutions = {i["code"]: i for i in jout(sample_url, "institution", "list")}
    animals = jout(sample_url, "animal", "list", "--alive")
    for plan in (plan0, plan1):
        count = Counter((a["location"], a["sex"]) for a in animals if "exclude_from_analysis" not in a["flags"])
        before = dict(count)
        for m in plan["transfers"]:
            assert m["from"] != m["to"] and m["distance_km"] > 0
            count[(m["from"], m["sex"])] -= 1
            count[(m["to"], m["sex"])] += 1
        for (code, sex), n in count.items():
            cap = institutions[code]["capacity_males" if sex == "M" else "capacity_females"]
            if cap is not None and n > before.get((code, sex), 0):
                assert n <= cap, (code, sex, n, cap)
        movers = {m["animal"] for m in plan["transfers"]}
        for p in plan["pairs"]:
            if p["male_institution"] != p["female_institution"]:
                assert {p["male"], p["female"]} & movers
    holdings = jout(sample_url, "recommend", "transfers", "--holdings")
    assert holdings == sorted(holdings, key=lambda r: (r["mean_kinship"], r["institution_1"], r["institution_2"]))


def test_plan_lifecycle_and_fulfilment(sample_copy_url):
    url = sample_copy_url
    r = ok(url, "recommend", "transfers", "--distance-weight", "0.5", "--save", "--title", "2027 plan")
    assert "Saved as plan 1" in r.stderr
    plan = jout(url, "plan", "show", "1")
    assert plan["title"] == "2027 plan" and plan["parameters"]["distance_weight"] == 0.5
    assert plan["book_state"]["animals"] > 1000 and plan["book_state"]["schema_revision"]
    recs = plan["recommendations"]
    breed = [x for x in recs if x["kind"] == "breed"]
    moves = [x for x in recs if x["kind"] == "transfer"]
    assert breed and all(x["status"] == "proposed" for x in recs)
    # Accept, then fail with a reason; a final status cannot change again.
    ok(url, "plan", "set-status", "1", str(breed[0]["id"]), "accepted")
    r = run_cli(url, "plan", "set-status", "1", str(breed[0]["id"]), "declined")
    assert r.exit_code == 1 and "needs a reason" in r.stderr
    ok(url, "plan", "set-status", "1", str(breed[0]["id"]), "declined", "--reason", "pair incompatible")
    r = run_cli(url, "plan", "set-status", "1", str(breed[0]["id"]), "accepted")
    assert r.exit_code == 1 and "cannot become accepted" in r.stderr
    # A registered transfer that matches a recommendation fulfils it.
    if moves:
        mv = moves[0]
        ok(url, "transfer", mv["animal"], "--to", mv["to"], "--date", "2026-11-10")
    # A registered birth of a recommended pair fulfils it (the dam must be where the litter is born).
    pair = next(x for x in breed[1:] if x["status"] == "proposed")
    dam_at = {a["studbook_id"]: a["location"] for a in jout(url, "animal", "list", "--alive")}[pair["female"]]
    sire_at = {a["studbook_id"]: a["location"] for a in jout(url, "animal", "list", "--alive")}[pair["male"]]
    if sire_at != dam_at:
        ok(url, "transfer", pair["male"], "--to", dam_at, "--date", "2026-06-01")
    ok(url, "birth", "--dam", pair["female"], "--sire", pair["male"], "--date", "2026-10-20", "--at", dam_at,
       "--cub", "M", "--cub", "F")
    after = {x["id"]: x for x in jout(url, "plan", "show", "1")["recommendations"]}
    assert after[pair["id"]]["status"] == "fulfilled" and after[pair["id"]]["reason"].startswith("birth of")
    if moves:
        assert after[moves[0]["id"]]["status"] == "fulfilled"
    report = {(r["plan"], r["kind"]): r for r in jout(url, "plan", "report")}
    assert report[(1, "breed")]["fulfilled"] >= 1 and report[(1, "breed")]["declined"] == 1
    assert report[("all", "breed")]["fulfilled_percent"] > 0
    assert [p["plan"] for p in jout(url, "plan", "list")] == [1]


def test_death_fails_open_recommendations(sample_copy_url):
    url = sample_copy_url
    ok(url, "recommend", "pairs", "--max-pairs", "3", "--save")
    rec = jout(url, "plan", "show", "1")["recommendations"][0]
    ok(url, "death", rec["male"], "--date", "2026-11-01", "--cause", "old age")
    rec2 = jout(url, "plan", "show", "1")["recommendations"][0]
    assert rec2["status"] == "failed" and "died" in rec2["reason"]


def test_reintroduction_candidates(sample_url, tmp_path):
    out = jout(sample_url, "recommend", "reintroduction", "--count", "6", "--sex-ratio", "1:1", "--min-age", "1",
               "--max-age", "4")
    cands, impact = out["candidates"], out["release_impact"]
    assert len(cands) == 6 and Counter(c["sex"] for c in cands) == {"M": 3, "F": 3}
    assert all(1 <= c["age"] <= 4 for c in cands)
    animals = {a["studbook_id"]: a for a in jout(sample_url, "animal", "list", "--alive")}
    for c in cands:
        assert "hybrid_suspect" not in animals[c["id"]]["flags"]
        for col in ("id", "name", "sex", "age", "institution", "mean_kinship", "F", "percent_known",
                    "delta_gd_if_removed", "founder_lineages"):
            assert col in c
    assert impact["captive_gd_loss"] <= impact["random_group_loss_median"]
    assert impact["captive_gd_before"] - impact["captive_gd_after"] == pytest.approx(impact["captive_gd_loss"])
    assert 0 < impact["group_gd"] < 1 and impact["group_fge"] > 0
    # Candidates are captive; removing one: the reported delta equals the captive GD recomputed without it.
    assert all(animals[c["id"]]["status"] == "captive" for c in cands)
    captive = [a["studbook_id"] for a in jout(sample_url, "animal", "list", "--status", "captive")
               if "exclude_from_analysis" not in a["flags"]]
    labels, K = api.kinship(sample_url, captive)
    i = labels.index(cands[0]["id"])
    keep = [j for j in range(len(labels)) if j != i]
    assert cands[0]["delta_gd_if_removed"] == pytest.approx((1 - K[np.ix_(keep, keep)].mean()) - (1 - K.mean()),
                                                             abs=1e-12)
    bad = run_cli(sample_url, "recommend", "reintroduction", "--count", "500")
    assert bad.exit_code == 1 and "eligible" in bad.stderr


def test_reintroduction_xlsx_for_spreadsheets(sample_url, tmp_path):
    import datetime

    from openpyxl import load_workbook

    path = tmp_path / "release.xlsx"
    ok(sample_url, "recommend", "reintroduction", "--count", "4", "--format", "xlsx", "--output", str(path))
    wb = load_workbook(path)
    assert wb.sheetnames == ["Candidates", "Release impact"]
    ws = wb["Candidates"]
    assert ws.freeze_panes == "A2" and ws.auto_filter.ref
    header = [c.value for c in ws[1]]
    assert header[:3] == ["id", "name", "sex"]
    row = [c for c in ws[2]]
    assert row[0].data_type == "s"  # ids as text
    bd = row[header.index("birth_date")]
    assert isinstance(bd.value, datetime.datetime) and bd.is_date
    r = run_cli(sample_url, "recommend", "reintroduction", "--count", "4", "--format", "xlsx")
    assert r.exit_code == 1 and "--output" in r.stderr


def test_msi_thresholds_come_from_configuration(sample_url, tmp_path):
    from conftest import ROOT

    default = jout(sample_url, "recommend", "pair-table")
    same = jout(sample_url, "recommend", "pair-table", "--msi-config", str(ROOT / "docs" / "msi.example.toml"))
    assert [r["msi"] for r in same] == [r["msi"] for r in default]
    strict = tmp_path / "strict.json"
    strict.write_text(json.dumps({"inbreeding_six": 0.005, "inbreeding_dash": 0.01}))
    changed = jout(sample_url, "recommend", "pair-table", "--msi-config", str(strict))
    assert all(r["msi"] == "-" for r in changed if r["kinship"] >= 0.01)
    assert sum(r["msi"] == "-" for r in changed) > sum(r["msi"] == "-" for r in default)
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"inbreeding_dahs": 0.1}))
    r = run_cli(sample_url, "recommend", "pair-table", "--msi-config", str(bad))
    assert r.exit_code == 1 and "inbreeding_dahs" in r.stderr and "Traceback" not in r.stderr
    assert "\nHint: " in r.stderr
