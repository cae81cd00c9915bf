"""`studbook import pedigree` and the `genetics` commands, end to end through the database.

Every reference pedigree goes CSV -> database -> Pedigree -> numbers, and the numbers
are compared with the plain twins in tests/reference (dense tabular kinship) built
straight from the CSV file, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest
from conftest import jout, ok, run_cli, table_counts
from pedigree_gallery import has_subset, load_pedigree, pedigree_dir, pedigree_names, subset_ids
from reference.naive_kinship import dense_kinship, naive_inbreeding

SMALL = [n for n in pedigree_names() if n != "kinship2_minnbreast"]




def _with_alive(name, tmp_path):
    """The reference pedigree with an `alive` column from its reference subset."""
    living = set(subset_ids(name))
    src = pedigree_dir() / f"{name}.csv"
    dst = tmp_path / f"{name}.csv"
    with src.open(encoding="utf-8", newline="") as fi, dst.open("w", encoding="utf-8", newline="") as fo:
        r = csv.DictReader(fi)
        w = csv.DictWriter(fo, fieldnames=[*r.fieldnames, "alive"])
        w.writeheader()
        for row in r:
            w.writerow({**row, "alive": "1" if row["id"] in living else "0"})
    return dst


@pytest.mark.parametrize("name", SMALL)
def test_import_then_inbreeding_equals_naive(name, empty_url):
    ok(empty_url, "import", "pedigree", str(pedigree_dir() / f"{name}.csv"))
    got = {r["id"]: r["F"] for r in jout(empty_url, "genetics", "inbreeding")}
    ped = load_pedigree(name)
    want = naive_inbreeding(ped)
    assert set(got) == set(ped.ids)
    for i, sid in enumerate(ped.ids):
        assert got[sid] == pytest.approx(want[i], abs=1e-12), sid


@pytest.mark.parametrize("name", [n for n in SMALL if has_subset(n)])
def test_reference_population_mk_gd_fge(name, empty_url, tmp_path):
    ok(empty_url, "import", "pedigree", str(_with_alive(name, tmp_path)))
    s = jout(empty_url, "genetics", "summary")
    ped = load_pedigree(name)
    idx = ped.indices(subset_ids(name))
    k = dense_kinship(ped)[np.ix_(idx, idx)]
    mk = k.mean(axis=1)
    assert s["n_living"] == len(idx)
    assert s["mean_kinship"] == pytest.approx(mk.mean(), abs=1e-12)
    assert s["gene_diversity"] == pytest.approx(1 - mk.mean(), abs=1e-12)
    assert s["founder_genome_equivalents"] == pytest.approx(1 / (2 * mk.mean()), rel=1e-10)
    table = jout(empty_url, "genetics", "mean-kinship")
    by_id = {r["id"]: r["mean_kinship"] for r in table}
    for j, i in enumerate(idx):
        assert by_id[ped.ids[i]] == pytest.approx(mk[j], abs=1e-12)
    assert [r["mean_kinship"] for r in table] == sorted(r["mean_kinship"] for r in table)


def test_large_pedigree_imports(empty_url):
    r = ok(empty_url, "import", "pedigree", str(pedigree_dir() / "kinship2_minnbreast.csv"))
    assert "Imported 28081 animals" in r.stderr
    f = jout(empty_url, "genetics", "inbreeding")
    assert len(f) == 28081


def test_errors_file_is_refused_with_every_problem_then_repaired(empty_url):
    path = str(pedigree_dir() / "optisel_hinterwald_errors.csv")
    ok(empty_url, "db", "upgrade")
    before = table_counts(empty_url)
    r = run_cli(empty_url, "import", "pedigree", path)
    assert r.exit_code == 1 and "Traceback" not in r.stderr
    problems = [ln for ln in r.stderr.splitlines() if ln.startswith("  - line ")]
    assert len(problems) >= 10
    assert "nothing was imported" in r.stderr.splitlines()[0]
    assert table_counts(empty_url) == before
    r = ok(empty_url, "import", "pedigree", path, "--repair")
    repairs = [ln for ln in r.stderr.splitlines() if ln.startswith("Repaired: line ")]
    assert len(repairs) >= len(problems) // 2
    assert "Imported" in r.stderr.splitlines()[-1]


def test_kinship_long_matrix_and_ids(empty_url, tmp_path):
    name = "textbook_double_first_cousins"
    ok(empty_url, "import", "pedigree", str(pedigree_dir() / f"{name}.csv"))
    ped = load_pedigree(name)
    dense = dense_kinship(ped)
    rows = jout(empty_url, "genetics", "kinship")
    n = ped.n  # no alive column: every animal is living
    assert len(rows) == n * (n + 1) // 2
    for r in rows:
        assert r["kinship"] == pytest.approx(dense[ped.index_of(r["id1"]), ped.index_of(r["id2"])], abs=1e-12)
    (tmp_path / "ids.txt").write_text("# two cousins\nJ\n\nK\n")
    sub = jout(empty_url, "genetics", "kinship", "L", "--ids-file", str(tmp_path / "ids.txt"), "--matrix")
    assert sub["ids"] == ["L", "J", "K"]
    m = np.array(sub["matrix"])
    assert m[0, 0] == pytest.approx(0.5 + 0.5 * 0.125) and np.allclose(m, m.T)
    assert m[1, 2] == pytest.approx(0.125)
    r = run_cli(empty_url, "genetics", "kinship", "NOPE")
    assert r.exit_code == 1 and "no animal with studbook ID 'NOPE'" in r.stderr


@pytest.mark.parametrize("name, animal, value", [
    ("textbook_fullsib", "E", 1 / 4), ("textbook_halfsib", "G", 1 / 8), ("textbook_first_cousins", "K", 1 / 16),
    ("textbook_double_first_cousins", "L", 1 / 8),
    ("textbook_sibmating_chain", "G2M", 1 / 4), ("textbook_sibmating_chain", "G3M", 3 / 8),
    ("textbook_sibmating_chain", "G4M", 1 / 2), ("textbook_sibmating_chain", "G5M", 19 / 32),
    ("textbook_sibmating_chain", "G6M", 43 / 64),
])
def test_hand_known_values_through_the_cli(name, animal, value, empty_url):
    ok(empty_url, "import", "pedigree", str(pedigree_dir() / f"{name}.csv"))
    f = {r["id"]: r["F"] for r in jout(empty_url, "genetics", "inbreeding")}
    assert f[animal] == value


def test_sample_genetics(sample_url):
    s = jout(sample_url, "genetics", "summary")
    for key in ("n_living", "n_founders", "mean_kinship", "gene_diversity", "founder_genome_equivalents",
                "founder_equivalents", "mean_inbreeding"):
        assert s[key] is not None, key
    assert 0.8 < s["gene_diversity"] < 0.99
    assert s["gene_diversity"] == pytest.approx(1 - s["mean_kinship"])
    a = jout(sample_url, "genetics", "gene-drop", "--iterations", "2000", "--seed", "7")
    b = jout(sample_url, "genetics", "gene-drop", "--iterations", "2000", "--seed", "7")
    assert a == b
    assert abs(a["gene_diversity"] - s["gene_diversity"]) < 4 * a["gene_diversity_se"] + 1e-3
    founders = jout(sample_url, "genetics", "founders", "--iterations", "500")
    assert sum(r["contribution"] for r in founders) == pytest.approx(1.0)
    assert all(0 <= r["retention"] <= 1 for r in founders if r["retention"] is not None)
    gu = jout(sample_url, "genetics", "gene-drop", "--iterations", "200", "--per-animal")
    assert len(gu) == s["n_living"] and all(0 <= r["genome_uniqueness"] <= 1 for r in gu)


def test_too_long_ids_and_texts_are_refused_cleanly(empty_url, tmp_path):
    f = tmp_path / "long.csv"
    f.write_text("id,sire,dam,sex\n" + "X" * 70 + ",,,M\nB,,,F\n")
    r = run_cli(empty_url, "import", "pedigree", str(f))
    assert r.exit_code == 1 and "line 2" in r.stderr and "at most 64" in r.stderr


def test_long_house_name_is_refused_before_the_database(family_url):
    r = run_cli(family_url, "animal", "update", "3", "--name", "N" * 200)
    assert r.exit_code == 1 and "house name is 200 characters long" in r.stderr


def test_validate_lists_every_problem_of_an_imported_book(empty_url):
    # The Hinterwald herdbook has a few birth years out of order (a parent born after its calf):
    # the import accepts them as warnings, `validate` reports them all at once as errors.
    r = ok(empty_url, "import", "pedigree", str(pedigree_dir() / "optisel_hinterwald.csv"))
    assert "P06" in r.stderr
    v = run_cli(empty_url, "validate", "--format", "json")
    assert v.exit_code == 1 and "error(s)" in v.stderr
    findings = json.loads(v.stdout)
    p06 = [f for f in findings if f["code"] == "P06"]
    assert p06 and all(f["severity"] == "error" and f["hint"] for f in p06)
    assert {f["severity"] for f in findings} == {"error", "warning"}
