"""The Python API gives the same results as the CLI and enforces the same rules."""

from __future__ import annotations

import json

import pytest
from conftest import run_cli, table_counts

from studbook import api
from studbook.errors import ValidationError


def test_api_matches_cli_on_the_sample(sample_url):
    s = api.genetic_summary(sample_url)
    cli = json.loads(run_cli(sample_url, "genetics", "summary", "--format", "json").stdout)
    assert s == cli
    mk = api.mean_kinship_table(sample_url)
    assert mk == json.loads(run_cli(sample_url, "genetics", "mean-kinship", "--format", "json").stdout)
    f = api.inbreeding(sample_url)
    assert len(f) == s["n_records"]
    labels, k = api.kinship(sample_url, ["1", "2"])
    assert labels == ["1", "2"] and k[0, 0] == 0.5
    assert [x for x in api.validate(sample_url) if x.severity == "error"] == []
    # --as-of: the same day through both.
    then = api.genetic_summary(sample_url, as_of="2010-01-01")
    assert then == json.loads(run_cli(sample_url, "genetics", "summary", "--as-of", "2010-01-01",
                                      "--format", "json").stdout)
    assert then["as_of"] == "2010-01-01" and then["n_records"] < s["n_records"]
    loaded = api.load_pedigree(sample_url, as_of="2010-01-01")
    assert loaded.day.isoformat() == "2010-01-01" and loaded.note is None


def test_api_writes_follow_the_rules(family_url):
    res = api.register_birth(family_url, dam="2", sire="1", date="2019-06-01", at="LEIPZIG", cubs=["M"], user="api-user")
    assert res.studbook_ids == ["5"]
    before = table_counts(family_url)
    with pytest.raises(ValidationError) as exc:
        api.register_birth(family_url, dam="3", sire="1", date="2019-07-01", at="LEIPZIG", cubs=["M"])
    assert "not female" in exc.value.reason
    assert table_counts(family_url) == before
    audit = json.loads(run_cli(family_url, "audit", "--animal", "5", "--format", "json").stdout)
    assert {a["user"] for a in audit} == {"api-user"}


def test_api_decisions_match_cli(sample_url):
    rows, summary = api.recommend_pairs(sample_url, max_pairs=10)
    cli = json.loads(run_cli(sample_url, "recommend", "pairs", "--max-pairs", "10", "--format", "json").stdout)
    assert [(r["male"], r["female"]) for r in rows] == [(r["male"], r["female"]) for r in cli]
    assert summary["pairs"] == 10
    moves, pairs, totals = api.recommend_transfers(sample_url, distance_weight=0.5)
    plan = json.loads(run_cli(sample_url, "recommend", "transfers", "--distance-weight", "0.5",
                              "--format", "json").stdout)
    assert totals["total_km"] == plan["totals"]["total_km"] and len(moves) == len(plan["transfers"])
    cands, impact = api.recommend_reintroduction(sample_url, count=4, sex_ratio=(1, 1))
    assert len(cands) == 4 and impact["captive_gd_loss"] <= impact["random_group_loss_median"]
    rows, _ = api.recommend_pairs(sample_url, max_pairs=5, as_of="2010-01-01")
    cli = json.loads(run_cli(sample_url, "recommend", "pairs", "--max-pairs", "5", "--as-of", "2010-01-01",
                             "--format", "json").stdout)
    assert [(r["male"], r["female"]) for r in rows] == [(r["male"], r["female"]) for r in cli]
