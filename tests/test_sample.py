"""The bundled synthetic Amur leopard studbook: realistic, valid, reproducible."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter

from conftest import ROOT, jout, run_cli


def test_sample_passes_validate_with_no_errors(sample_url):
    r = run_cli(sample_url, "validate", "--errors-only", "--format", "json")
    assert r.exit_code == 0, r.stderr
    assert json.loads(r.stdout) == []


def test_sample_is_a_realistic_leopard_book(sample_url):
    animals = jout(sample_url, "animal", "list")
    living = [a for a in animals if a["fate"] == "alive"]
    assert 1300 <= len(animals) <= 1700
    assert 270 <= len(living) <= 330
    institutions = {i["code"]: i for i in jout(sample_url, "institution", "list")}
    held = {a["location"] for a in living}
    assert 70 <= len(held) <= 90
    regions = Counter(institutions[a["location"]]["region"] for a in living)
    assert set(regions) == {"EAZA", "AZA", "EARAZA", "JAZA"}
    founders = [a for a in animals if a["birth_type"] == "wild"]
    assert 12 <= len(founders) <= 20
    assert any(a["sire"].startswith("MULT(") for a in animals)
    assert any(a["sire"] == "UNK" for a in animals)
    flags = Counter(f for a in animals for f in a["flags"])
    assert flags["hybrid_suspect"] and flags["do_not_breed"] and flags["contracepted"]
    fates = Counter(a["fate"] for a in animals)
    assert fates["released"] and fates["dead"] > 800
    assert max(a["age"] for a in living) < 25
    species = jout(sample_url, "species", "show")
    assert species["common_name"] == "Amur leopard" and species["gestation_max_days"] == 105


def test_generator_is_deterministic(tmp_path):
    p = subprocess.run([sys.executable, str(ROOT / "data" / "generate_sample.py"), "--out", str(tmp_path)],
                       capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    for f in (ROOT / "data" / "sample").iterdir():
        assert (tmp_path / f.name).read_bytes() == f.read_bytes(), f.name


def test_loading_twice_is_refused(sample_url):
    r = run_cli(sample_url, "init", "--sample")
    assert r.exit_code == 1 and "already holds animals" in r.stderr
