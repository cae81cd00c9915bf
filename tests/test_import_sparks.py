"""``studbook import sparks``: the real California condor book, and the mapping rule by rule.

Expected values come from the DBF files read with dbfread here (an independent reader of
the same bytes), from the pedigree-only import of the same book, or were worked out by
hand for the small tables below; never from the importer itself.
"""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from conftest import BACKENDS, ROOT, fresh_database, jout, ok, run_cli, table_counts
from pedigree_gallery import shared_dir
from test_condor_book import REAL_ERRORS
from test_export import canonical_dump

SRC = shared_dir() / "reference" / "studbooks" / "california_condor"
SPECIES = ROOT / "data" / "species" / "california_condor.json"


def dbf_rows(name: str) -> list[dict[str, Any]]:
    from dbfread import DBF

    return [dict(r) for r in DBF(str(SRC / name))]


def sparks(url: str, exchange: Path, moves: Path, *extra: str) -> Any:
    return run_cli(url, "import", "sparks", str(exchange), str(moves), *extra)


@pytest.fixture(scope="module", params=BACKENDS)
def condor(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The condor book imported from its two DBF files, once per backend: (url, report text)."""
    with fresh_database(str(request.param), tmp_path_factory.mktemp("condor")) as url:
        r = sparks(url, SRC / "exchange.dbf", SRC / "moves.dbf", "--species-file", str(SPECIES), "--allow-problems")
        assert r.exit_code == 0, r.stderr
        yield url, r.stderr


# -- the real book --------------------------------------------------------------------------
def test_condor_loads_every_bird_and_every_move(condor: Any) -> None:
    url, report = condor
    exchange, moves = dbf_rows("exchange.dbf"), dbf_rows("moves.dbf")
    assert (len(exchange), len(moves)) == (807, 4076)
    with_death_move = {m["STUD_ID"].strip() for m in moves if m["TRAN_CODE"] == "BA"}
    dead_without_move = [r for r in exchange if r["DEAD"] and r["STUD_ID"].strip() not in with_death_move]
    assert len(dead_without_move) == 231
    codes = Counter(m["TRAN_CODE"] for m in moves)
    assert codes == {"AA": 792, "AB": 96, "AS": 1863, "BI": 951, "BA": 374}
    # The report's counts add up: every move is one event, plus one death per DEAD=T bird without a BA move.
    assert "Loaded 807 of 807 animals and 4307 events from 4076 moves (231 more deaths" in report
    assert "events: birth 792, capture 96, death 605, release 951, transfer 1863." in report
    assert "0 records not loaded" in report
    counts = table_counts(url)
    assert (counts["animal"], counts["event"]) == (807, 4076 + 231)
    assert "Institutions created: breeding-centre 6, wild-area 4, zoo 19" in report


def test_condor_open_problems_are_the_real_errors(condor: Any) -> None:
    url, report = condor
    problems = jout(url, "problems", "list", "--open")
    assert {(p["code"], p["animal"]) for p in problems} == set(REAL_ERRORS)
    assert len(problems) == 41
    assert "Problems: 41 (E03 15, E07 20, E09 2, E11 1, E13 1, P07 1, P08 1)" in report
    # Each names the SPARKS record it came from.
    by_key = {(p["code"], p["animal"]): p["source"] for p in problems}
    assert by_key[("P07", "19")] == "exchange.dbf record 19"
    first_move_of_63_release = next(k for k, m in enumerate(dbf_rows("moves.dbf"), 1)
                                    if m["STUD_ID"].strip() == "63" and m["TRAN_CODE"] == "BI"
                                    and m["LOCATION"].strip() == "HOPPER")
    assert by_key[("E13", "63")] == f"moves.dbf record {first_move_of_63_release}"


def test_condor_living_population_is_the_202_birds_not_dead(condor: Any) -> None:
    url, _ = condor
    not_dead = {r["STUD_ID"].strip() for r in dbf_rows("exchange.dbf") if not r["DEAD"]}
    alive = jout(url, "animal", "list", "--status", "alive")
    assert len(not_dead) == 202
    assert {a["studbook_id"] for a in alive} == not_dead
    summary = jout(url, "genetics", "summary")
    assert summary["n_living"] == 202


def test_undetermined_death_counts_only_after_the_last_dated_event(condor: Any) -> None:
    url, _ = condor
    # Bird 20: DEAD=T, no death move; released on 2015-12-29 (its exchange DATEOUT).
    assert jout(url, "animal", "show", "20")["status"] == "dead"
    assert jout(url, "animal", "show", "20", "--as-of", "2015-12-29")["status"] == "wild"
    assert jout(url, "animal", "show", "20", "--as-of", "2014-01-01")["status"] == "captive"


def _pedigree_csv(path: Path) -> None:
    """The same book as a bare pedigree, written from the DBF with dbfread: alive = not DEAD."""
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["id", "sire", "dam", "sex", "alive"])
        for r in dbf_rows("exchange.dbf"):
            def parent(v: str) -> str:
                return "" if v.strip() in ("WILD", "UNK") else v.strip()
            w.writerow([r["STUD_ID"].strip(), parent(r["SIRE_ID"]), parent(r["DAM_ID"]), r["SEX"],
                        0 if r["DEAD"] else 1])


def test_condor_genetics_equal_the_pedigree_import(condor: Any, tmp_path: Path) -> None:
    url, _ = condor
    _pedigree_csv(tmp_path / "ped.csv")
    with fresh_database("sqlite" if url.startswith("sqlite") else "postgres", tmp_path) as ped:
        ok(ped, "import", "pedigree", str(tmp_path / "ped.csv"), "--sex-codes", "sparks")
        a, b = jout(url, "genetics", "summary"), jout(ped, "genetics", "summary")
        for key in ("n_living", "n_founders", "mean_kinship", "gene_diversity", "founder_genome_equivalents",
                    "founder_equivalents", "mean_inbreeding"):
            assert a[key] == pytest.approx(b[key], abs=1e-15), key
        f_a = {r["id"]: r["F"] for r in jout(url, "genetics", "inbreeding")}
        f_b = {r["id"]: r["F"] for r in jout(ped, "genetics", "inbreeding")}
        assert f_a.keys() == f_b.keys() and len(f_a) == 807
        assert max(abs(f_a[k] - f_b[k]) for k in f_a) <= 1e-15
        assert max(f_a.values()) > 0.1  # the book is inbred: the comparison is not of zeros
        k_a = {(r["id1"], r["id2"]): r["kinship"] for r in jout(url, "genetics", "kinship")}
        k_b = {(r["id1"], r["id2"]): r["kinship"] for r in jout(ped, "genetics", "kinship")}
        assert k_a.keys() == k_b.keys() and len(k_a) == 202 * 203 // 2
        assert max(abs(k_a[k] - k_b[k]) for k in k_a) <= 1e-15


def _dbf_to_csv(name: str, dest: Path) -> None:
    """A DBF table as PMx's CSV form: same columns, ISO dates, T/F logicals (written with dbfread, not our reader)."""
    from dbfread import DBF

    table = DBF(str(SRC / name))
    with dest.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(table.field_names)
        for r in table:
            w.writerow(["" if v is None else ("T" if v else "F") if isinstance(v, bool) else
                        v.isoformat() if hasattr(v, "isoformat") else str(v) for v in r.values()])


def _without_sources(dump: dict[str, list[tuple[Any, ...]]]) -> dict[str, list[tuple[Any, ...]]]:
    """Problems name their file (exchange.dbf / exchange.csv) and the time they were opened: set both aside."""
    out = dict(dump)
    out["problem"] = sorted((tuple((k, v.replace(".csv", ".dbf") if k == "source" else v) for k, v in row
                                  if k != "opened_at") for row in dump["problem"]), key=repr)
    return out


def test_dbf_and_csv_forms_give_identical_books(condor: Any, tmp_path: Path) -> None:
    url, _ = condor
    _dbf_to_csv("exchange.dbf", tmp_path / "exchange.csv")
    _dbf_to_csv("moves.dbf", tmp_path / "moves.csv")
    with fresh_database("sqlite" if url.startswith("sqlite") else "postgres", tmp_path) as other:
        r = sparks(other, tmp_path / "exchange.csv", tmp_path / "moves.csv", "--species-file", str(SPECIES),
                   "--allow-problems")
        assert r.exit_code == 0, r.stderr
        a, b = _without_sources(canonical_dump(url)), _without_sources(canonical_dump(other))
        assert len(a["animal"]) == 807 and len(a["event"]) == 4307 and len(a["problem"]) == 41
        assert a == b


def test_refused_without_allow_problems_and_nothing_created(tmp_path: Path) -> None:
    db = tmp_path / "condor.db"
    out = tmp_path / "problems.csv"
    r = run_cli(str(db), "import", "sparks", str(SRC / "exchange.dbf"), str(SRC / "moves.dbf"),
                "--species-file", str(SPECIES), "--problems", str(out))
    assert r.exit_code == 1 and r.stderr.startswith("Error: ") and "nothing was loaded" in r.stderr
    assert "Traceback" not in r.stderr
    assert not db.exists(), "a refused import left a database behind"
    errors = [row for row in csv.DictReader(out.open(encoding="utf-8")) if row["severity"] == "error"]
    assert {(row["code"], row["animal"]) for row in errors} == set(REAL_ERRORS)


def test_dry_run_reports_and_writes_nothing(tmp_path: Path) -> None:
    db = tmp_path / "condor.db"
    r = run_cli(str(db), "import", "sparks", str(SRC / "exchange.dbf"), str(SRC / "moves.dbf"),
                "--species-file", str(SPECIES), "--dry-run")
    assert r.exit_code == 0, r.stderr
    assert "Would load 807 of 807 animals and 4307 events" in r.stderr
    assert "Problems: 41 (" in r.stderr and "stored" not in r.stderr
    assert not db.exists()


def test_a_book_with_animals_is_not_imported_into(condor: Any) -> None:
    url, _ = condor
    before = table_counts(url)
    r = sparks(url, SRC / "exchange.dbf", SRC / "moves.dbf", "--allow-problems")
    assert r.exit_code == 1 and "already holds animals" in r.stderr.splitlines()[0]
    assert table_counts(url) == before
