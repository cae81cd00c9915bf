"""``studbook export book`` / ``export pedigree``: golden round trips on SQLite and PostgreSQL.

(a) export book -> init --from-folder -> every table identical (natural keys, not surrogate ids);
(b) the same after writes on a copy of the sample; what the loader cannot read yet is xfail(strict);
(c) export pedigree -> import pedigree -> the same F and kinship (below a MULT slot: see docs/export.md).
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import _dispose, fresh_database, ok, run_cli

# Left out of the comparison: the audit log, and the optimistic-locking counter (a write bumps it).
SKIP_TABLES = {"audit_log", "alembic_version"}
SKIP_COLUMNS = {("animal", "version")}


@pytest.fixture
def empty_url(sample_url: str, tmp_path: Path) -> Iterator[str]:
    """A new database with no schema on the same backend as the sample (no sqlite x postgres cross product)."""
    with fresh_database("sqlite" if sample_url.startswith("sqlite") else "postgres", tmp_path) as url:
        yield url
        # Dropping this database clears the engine cache (conftest._dispose) without closing the sample's
        # pool: close it first, or a later PostgreSQL copy of the sample (CREATE DATABASE ... TEMPLATE)
        # finds the sample in use.
        _dispose(sample_url)


def canonical_dump(url: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every table (audit_log aside) as sorted rows, surrogate ids replaced by natural keys.

    Animal -> studbook ID, institution -> code, event -> (studbook ID, rank among the animal's events
    by id), plan -> its rank by id; ``event.litter_id`` (an event id without a foreign key) is mapped too.
    """
    from sqlalchemy import create_engine, select

    from studbook.models import Base

    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            t = Base.metadata.tables
            animal = {r.id: r.studbook_id for r in conn.execute(select(t["animal"].c.id, t["animal"].c.studbook_id))}
            inst = {r.id: r.code for r in conn.execute(select(t["institution"].c.id, t["institution"].c.code))}
            event: dict[int, tuple[str, int]] = {}
            rank: dict[str, int] = {}
            ev = t["event"]
            for r in conn.execute(select(ev.c.id, ev.c.animal_id).order_by(ev.c.id)):
                sid = animal[r.animal_id]
                rank[sid] = rank.get(sid, 0) + 1
                event[r.id] = (sid, rank[sid])
            plan = {r.id: k for k, r in enumerate(conn.execute(select(t["plan"].c.id).order_by(t["plan"].c.id)))}
            maps = {"animal": animal, "institution": inst, "event": event, "plan": plan}
            out: dict[str, list[tuple[Any, ...]]] = {}
            for table in Base.metadata.sorted_tables:
                if table.name in SKIP_TABLES:
                    continue
                rows = []
                for r in conn.execute(select(table)):
                    cells = []
                    for col in table.columns:
                        if col.name == "id" or (table.name, col.name) in SKIP_COLUMNS:
                            continue
                        value = r._mapping[col]
                        fks = list(col.foreign_keys)
                        target = fks[0].column.table.name if fks else ("event" if col.name == "litter_id" else None)
                        if target is not None and value is not None:
                            value = maps[target][value]
                        cells.append((col.name, value))
                    rows.append(tuple(cells))
                out[table.name] = sorted(rows, key=repr)
            return out
    finally:
        engine.dispose()


def assert_same_book(a: str, b: str) -> None:
    da, db = canonical_dump(a), canonical_dump(b)
    assert da.keys() == db.keys()
    for name in da:
        only_a = [r for r in da[name] if r not in db[name]]
        only_b = [r for r in db[name] if r not in da[name]]
        assert not only_a and not only_b, (name, only_a[:3], only_b[:3])
        assert da[name] == db[name], name


def export_and_reload(src: str, dst: str, tmp_path: Path) -> Path:
    folder = tmp_path / "book-out"
    ok(src, "export", "book", str(folder))
    r = ok(dst, "init", "--from-folder", str(folder))
    assert "Loaded" in r.stderr
    return folder


def test_export_book_round_trips_the_sample(sample_url: str, empty_url: str, tmp_path: Path) -> None:
    folder = export_and_reload(sample_url, empty_url, tmp_path)
    assert sorted(p.name for p in folder.iterdir()) == [
        "animals.csv", "events.csv", "institutions.csv", "mult_parents.csv", "species.json"]
    species = json.loads((folder / "species.json").read_text(encoding="utf-8"))
    assert species["census_date"] == "2026-11-01" and species["next_studbook_id"] == 1479
    assert {"reproduction", "incubation_min_days", "clutch_interval_days", "earliest_year"} <= species.keys()
    with (folder / "events.csv").open(encoding="utf-8", newline="") as fh:
        dates = {row["date"] for row in csv.DictReader(fh)}
    assert any(d.startswith("~") for d in dates) and any(len(d) == 4 for d in dates)
    assert_same_book(sample_url, empty_url)


def _event_id(url: str, sid: str, kind: str) -> str:
    rows = json.loads(ok(url, "event", "list", sid, "--format", "json").stdout)
    return str(next(r["event_id"] for r in rows if r["event"] == kind))


def _write_some(url: str) -> None:
    ok(url, "event", "update", _event_id(url, "1475", "death"), "--cause", "renal failure", "--reason",
       "necropsy report")
    ok(url, "animal", "update", "1188", "--sex", "m", "--name", "Amur II", "--reason", "name typo")
    ok(url, "animal", "update", "1041", "--notes", "moved indoors", "--exclude-from-release")
    ok(url, "release", "1038", "--date", "2026-11-10", "--to", "LAZOVSKY", "--site", "Kedrovaya valley")
    ok(url, "transfer", "951", "--to", "NOVOSIBIR", "--date", "2026-11-12", "--local-id", "N951", "--loan")


def test_export_book_round_trips_after_writes(sample_copy_url: str, empty_url: str, tmp_path: Path) -> None:
    _write_some(sample_copy_url)
    export_and_reload(sample_copy_url, empty_url, tmp_path)
    assert_same_book(sample_copy_url, empty_url)


def test_export_book_round_trips_a_split_litter(sample_copy_url: str, empty_url: str, tmp_path: Path) -> None:
    ok(sample_copy_url, "animal", "update", "1188", "--birth-date", "2019-05-30", "--reason", "typo in the birth date")
    export_and_reload(sample_copy_url, empty_url, tmp_path)
    assert_same_book(sample_copy_url, empty_url)


@pytest.mark.xfail(strict=True, reason="init --from-folder does not read void_animals.csv / void_events.csv yet")
def test_export_book_round_trips_a_void_animal(sample_copy_url: str, empty_url: str, tmp_path: Path) -> None:
    ok(sample_copy_url, "animal", "void", "1475", "--reason", "duplicate registration")
    folder = export_and_reload(sample_copy_url, empty_url, tmp_path)
    assert (folder / "void_animals.csv").exists() and (folder / "void_events.csv").exists()
    assert_same_book(sample_copy_url, empty_url)


@pytest.mark.xfail(strict=True, reason="init --from-folder does not read health_notes.csv yet")
def test_export_book_round_trips_health_notes(sample_copy_url: str, empty_url: str, tmp_path: Path) -> None:
    ok(sample_copy_url, "animal", "update", "1041", "--health-notes", "lame left hind")
    folder = export_and_reload(sample_copy_url, empty_url, tmp_path)
    assert (folder / "health_notes.csv").exists()
    assert_same_book(sample_copy_url, empty_url)


@pytest.mark.xfail(strict=True, reason="init --from-folder does not read local_ids.csv yet (events.csv carries one "
                   "local ID per event: a second one for the same holding is lost)")
def test_export_book_round_trips_a_second_local_id(sample_copy_url: str, empty_url: str, tmp_path: Path) -> None:
    ok(sample_copy_url, "event", "update", _event_id(sample_copy_url, "951", "transfer"), "--local-id", "X951",
       "--reason", "second accession number")
    folder = export_and_reload(sample_copy_url, empty_url, tmp_path)
    assert (folder / "local_ids.csv").exists()
    assert_same_book(sample_copy_url, empty_url)


def test_export_book_refuses_a_non_empty_folder(sample_url: str, tmp_path: Path) -> None:
    folder = tmp_path / "taken"
    folder.mkdir()
    (folder / "keep.txt").write_text("mine", encoding="utf-8")
    r = run_cli(sample_url, "export", "book", str(folder))
    assert r.exit_code == 1, r.stderr
    assert r.stderr.startswith("Error: ") and "not empty" in r.stderr.splitlines()[0]
    assert "Traceback" not in r.stderr
    assert [p.name for p in folder.iterdir()] == ["keep.txt"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["taken"]  # no temporary folder left behind


def test_export_book_into_an_empty_folder(sample_url: str, tmp_path: Path) -> None:
    folder = tmp_path / "empty"
    folder.mkdir()
    ok(sample_url, "export", "book", str(folder))
    assert (folder / "animals.csv").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["empty"]


def test_export_does_not_create_a_database(tmp_path: Path) -> None:
    db = tmp_path / "missing.db"
    r = run_cli(str(db), "export", "book", str(tmp_path / "out"))
    assert r.exit_code != 0 and not db.exists() and not (tmp_path / "out").exists()


def _f(url: str) -> dict[str, float]:
    rows = json.loads(ok(url, "genetics", "inbreeding", "--format", "json").stdout)
    return {r["id"]: r["F"] for r in rows}


def _mult_descendants(url: str) -> set[str]:
    """Animals with a MULT slot in their ancestry (or their own)."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(text(
                "SELECT a.studbook_id, a.sire_kind, a.dam_kind, s.studbook_id, d.studbook_id FROM animal a "
                "LEFT JOIN animal s ON s.id = a.sire_id LEFT JOIN animal d ON d.id = a.dam_id")).all()
    finally:
        engine.dispose()
    parents = {r[0]: [p for p in (r[3], r[4]) if p] for r in rows}
    hit = {r[0] for r in rows if "MULT" in (r[1], r[2])}
    changed = True
    while changed:
        changed = False
        for sid, ps in parents.items():
            if sid not in hit and any(p in hit for p in ps):
                hit.add(sid)
                changed = True
    return hit


def test_export_pedigree_round_trips_f_and_kinship(sample_url: str, empty_url: str, tmp_path: Path) -> None:
    path = tmp_path / "ped.csv"
    r = ok(sample_url, "export", "pedigree", str(path))
    assert "most probable candidate" in r.stderr
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert list(rows[0]) == ["id", "sire", "dam", "sex", "birth_date", "alive"]
    assert sum(r["alive"] == "1" for r in rows) == 308  # living on the census date (data/README.md)
    ok(empty_url, "import", "pedigree", str(path))
    before, after = _f(sample_url), _f(empty_url)
    assert before.keys() == after.keys()
    mult = _mult_descendants(sample_url)
    same = [sid for sid in before if sid not in mult]
    assert len(same) > 1000
    for sid in same:
        assert abs(before[sid] - after[sid]) <= 1e-15, (sid, before[sid], after[sid])
    # Below a MULT slot the file holds one candidate, not the probability-weighted mixture.
    assert any(abs(before[s] - after[s]) > 1e-15 for s in mult) or not mult
    living = [r["id"] for r in rows if r["alive"] == "1"]
    ids = [sid for sid in living if sid not in mult][:6]
    assert len(ids) == 6

    def kin(url: str) -> list[tuple[str, str, float]]:
        out = json.loads(ok(url, "genetics", "kinship", *ids, "--format", "json").stdout)
        return [(k["id1"], k["id2"], k["kinship"]) for k in out]

    for (a1, b1, k1), (a2, b2, k2) in zip(kin(sample_url), kin(empty_url), strict=True):
        assert (a1, b1) == (a2, b2) and abs(k1 - k2) <= 1e-15, (a1, b1, k1, k2)


def test_export_pedigree_as_of(sample_url: str, tmp_path: Path) -> None:
    path = tmp_path / "ped-2000.csv"
    ok(sample_url, "export", "pedigree", str(path), "--as-of", "2000-01-01")
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert 0 < len(rows) < 1478
    assert all(int(r["birth_date"].lstrip("~")[:4]) <= 2000 for r in rows if r["birth_date"])
    assert {r["alive"] for r in rows} == {"0", "1"}
    r = run_cli(sample_url, "export", "pedigree", str(path))
    assert r.exit_code == 1 and "already exists" in r.stderr


def test_pure_helpers() -> None:
    from datetime import date

    from studbook.services.export import date_text, most_probable, number_text, parent_text

    assert most_probable([("74", 0.5), ("80", 0.5)]) == "74"
    assert most_probable([("74", 0.3), ("80", 0.7)]) == "80"
    assert [date_text(date(2024, 5, 1), "D", False), date_text(date(2024, 5, 1), "M", True),
            date_text(date(2024, 1, 1), "Y", True), date_text(None, "U", False)] == [
        "2024-05-01", "~2024-05", "~2024", "unknown"]
    assert number_text(0.1) == "0.1" and float(number_text(1 / 3)) == 1 / 3 and number_text(None) == ""
    assert parent_text("ID", "12") == "12" and parent_text("MULT", None) == "MULT"
