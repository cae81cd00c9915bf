"""`studbook relate A B` and the API on the sample book (SQLite and PostgreSQL)."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import jout, ok, run_cli

from studbook import api


def _kinship(url: str, a: str, b: str) -> float:
    rows = jout(url, "genetics", "kinship", a, b)
    assert isinstance(rows, list)
    return next(r["kinship"] for r in rows if {r["id1"], r["id2"]} == {a, b} and (a == b or r["id1"] != r["id2"]))


def test_mult_littermates(sample_url):
    # 124 and 125: one litter of dam 68, sire MULT 74 (p 0.5) / 80 (p 0.5), all three unrelated and not inbred.
    # The sire is one animal for the litter, so they are full sibs whoever he is: 1/8 + 1/2*1/8 + 1/2*1/8 = 1/4.
    res = jout(sample_url, "relate", "124", "125")
    assert res["kinship"] == 0.25 and res["paths_sum"] == 0.25 and res["complete"]
    got = {p["ancestor"]: (p["weight"], p["contribution"]) for p in res["paths"]}
    assert got == {"68": (1.0, 0.125), "74": (0.5, 0.0625), "80": (0.5, 0.0625)}
    sire = next(m for m in res["mult_parents"] if m["animal"] == "124")
    assert sire["slot"] == "sire" and {c["id"]: c["probability"] for c in sire["candidates"]} == {"74": 0.5, "80": 0.5}
    assert "125" in sire["littermates"]


@pytest.mark.parametrize("a,b", [("264", "289"), ("1256", "1249"), ("1422", "1249"), ("601", "1422")])
def test_paths_add_up_to_the_kinship(sample_url, a, b):
    res = jout(sample_url, "relate", a, b, "--max-paths", "20000")
    assert res["complete"], res["n_paths_listed"]
    assert res["paths_sum"] == pytest.approx(_kinship(sample_url, a, b), abs=1e-12)
    contributions = [p["contribution"] for p in res["paths"]]
    assert contributions == sorted(contributions, reverse=True)


def test_self_and_ancestor(sample_url):
    f = {r["id"]: r["F"] for r in jout(sample_url, "genetics", "inbreeding")}  # type: ignore[union-attr]
    res = jout(sample_url, "relate", "1422", "1422")
    assert res["paths_sum"] == pytest.approx(0.5 * (1 + f["1422"]), abs=1e-15)
    assert [p["path"] for p in res["paths"]] == ["1422"]
    up = jout(sample_url, "relate", "1422", "1249")  # 1249 is the dam of 1422
    assert up["lowest_common_ancestors"] == ["1249"]
    assert up["paths"][0]["path"] == "1422-1249" and up["paths"][0]["n2"] == 0


def test_text_csv_and_cap(sample_url):
    r = ok(sample_url, "relate", "124", "125")
    assert "kinship φ(124, 125) = 0.25" in r.stdout
    assert "MULT sire of 124: 74 (p=0.5), 80 (p=0.5); one mating with 125, 126" in r.stdout
    assert "sum of the 3 paths = 0.25" in r.stdout
    csv = ok(sample_url, "relate", "124", "125", "--format", "csv").stdout.splitlines()
    assert csv[0] == "path,ancestor,n1,n2,ancestor_F,mult,weight,contribution"
    assert csv[1] == "124-68-125,68,1,1,0.0,,1.0,0.125"
    capped = run_cli(sample_url, "relate", "1256", "1249", "--max-paths", "5", "--format", "json")
    assert capped.exit_code == 0
    import json

    obj = json.loads(capped.stdout)
    assert not obj["complete"] and obj["n_paths_listed"] == 5 and obj["paths_sum"] < obj["kinship"]
    assert "Only the 5 largest paths" in ok(sample_url, "relate", "1256", "1249", "--max-paths", "5").stderr


def test_errors(sample_url, tmp_path: Path):
    r = run_cli(sample_url, "relate", "1422", "nope")
    assert r.exit_code == 1 and r.stderr.splitlines()[-2] == "Error: no animal with studbook ID 'nope'"
    assert "Hint: " in r.stderr and "Traceback" not in r.stderr
    r = run_cli(sample_url, "relate", "1422", "1249", "--max-paths", "0")
    assert r.exit_code == 1 and "--max-paths 0 must be at least 1" in r.stderr
    missing = tmp_path / "none.db"
    r = run_cli(str(missing), "relate", "1", "2")
    assert r.exit_code == 3 and "does not exist" in r.stderr and not missing.exists()


def test_api(sample_url):
    res = api.relate(sample_url, "124", "125")
    assert res.kinship == 0.25 and res.relationship.complete and len(res.relationship.paths) == 3
