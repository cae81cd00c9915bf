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
    animals = jout(sample_url, "animal", "list")  # on the census date, 2026-11-01
    living = [a for a in animals if a["status"] in ("captive", "wild")]
    captive = [a for a in living if a["status"] == "captive"]
    assert 1300 <= len(animals) <= 1700
    assert 270 <= len(captive) <= 330
    institutions = {i["code"]: i for i in jout(sample_url, "institution", "list")}
    held = {a["location"] for a in captive}
    assert 70 <= len(held) <= 90
    regions = Counter(institutions[a["location"]]["region"] for a in captive)
    assert set(regions) == {"EAZA", "AZA", "EARAZA", "JAZA"}
    founders = [a for a in animals if a["birth_type"] == "wild"]
    assert 12 <= len(founders) <= 20
    assert any(a["sire"].startswith("MULT(") for a in animals)
    assert any(a["sire"] == "UNK" for a in animals)
    flags = Counter(f for a in animals for f in a["flags"])
    assert flags["hybrid_suspect"] and flags["do_not_breed"] and flags["contracepted"]
    fates = Counter(a["status"] for a in animals)
    assert fates["dead"] > 800 and fates["ltf"] == 5
    assert max(a["age"] for a in living) < 25
    species = jout(sample_url, "species", "show")
    assert species["common_name"] == "Amur leopard" and species["gestation_max_days"] == 105
    assert species["census_date"] == "2026-11-01" and species["next_studbook_id"] == len(animals) + 1


def test_released_animals_live_in_the_wild_at_the_release_site(sample_url):
    site = {i["code"]: i for i in jout(sample_url, "institution", "list")}["LAZOVSKY"]
    assert (site["kind"], site["country"], site["region"], site["capacity_males"]) == ("release-site", "RU", None, None)
    assert round(site["latitude"]) == 43 and round(site["longitude"]) == 134
    wild = jout(sample_url, "animal", "list", "--status", "wild")
    assert len(wild) == 5 and {a["location"] for a in wild} == {"LAZOVSKY"}
    alive = jout(sample_url, "animal", "list", "--alive")
    assert {a["studbook_id"] for a in wild} <= {a["studbook_id"] for a in alive}
    history = jout(sample_url, "event", "list", wild[0]["studbook_id"])
    release = next(h for h in history if h["event"] == "release")
    assert release["institution"] == "LAZOVSKY" and release["from_institution"]
    assert "Lazovsky Zapovednik, Primorsky Krai" in release["detail"]


def test_generator_is_deterministic(tmp_path):
    p = subprocess.run([sys.executable, str(ROOT / "data" / "generate_sample.py"), "--out", str(tmp_path)],
                       capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    for f in (ROOT / "data" / "sample").iterdir():
        assert (tmp_path / f.name).read_bytes() == f.read_bytes(), f.name


def test_loading_twice_is_refused(sample_url):
    r = run_cli(sample_url, "init", "--sample")
    assert r.exit_code == 1 and "already holds animals" in r.stderr
