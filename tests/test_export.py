"""``studbook export book`` / ``export pedigree``: golden round trips on SQLite and PostgreSQL.

(a) export book -> init --from-folder -> every table identical (natural keys, not surrogate ids);
(b) the same after writes on a copy of the sample: corrections, void records, health notes, extra
    local IDs, and a book's problems with their history (the real condor book too);
(c) export pedigree -> import pedigree -> the same F and kinship (below a MULT slot: see docs/export.md).
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import _dispose, fresh_database, jout, ok, run_cli

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
    r = ok(src, "export", "book", str(folder))
    assert "does not load" not in r.stderr  # every file of the folder is loaded
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


def test_export_book_round_trips_a_void_animal(sample_copy_url: str, empty_url: str, tmp_path: Path) -> None:
    ok(sample_copy_url, "animal", "void", "1475", "--reason", "duplicate registration")
    folder = export_and_reload(sample_copy_url, empty_url, tmp_path)
    assert (folder / "void_animals.csv").exists() and (folder / "void_events.csv").exists()
    assert_same_book(sample_copy_url, empty_url)


def test_export_book_round_trips_health_notes(sample_copy_url: str, empty_url: str, tmp_path: Path) -> None:
    ok(sample_copy_url, "animal", "update", "1041", "--health-notes", "lame left hind")
    folder = export_and_reload(sample_copy_url, empty_url, tmp_path)
    assert (folder / "health_notes.csv").exists()
    assert_same_book(sample_copy_url, empty_url)


def test_export_book_round_trips_a_second_local_id(sample_copy_url: str, empty_url: str, tmp_path: Path) -> None:
    ok(sample_copy_url, "event", "update", _event_id(sample_copy_url, "951", "transfer"), "--local-id", "X951",
       "--reason", "second accession number")
    folder = export_and_reload(sample_copy_url, empty_url, tmp_path)
    assert (folder / "local_ids.csv").exists()
    assert_same_book(sample_copy_url, empty_url)


def test_export_book_round_trips_void_events_and_their_local_ids(sample_copy_url: str, empty_url: str,
                                                                 tmp_path: Path) -> None:
    # A void transfer of a non-void animal with its local ID and a second one, then the same move again
    # (same day and place: the local IDs must find their own event).
    move = ("transfer", "951", "--to", "NOVOSIBIR", "--date", "2026-11-12")
    ok(sample_copy_url, *move, "--local-id", "N951")
    transfer = str([e for e in jout(sample_copy_url, "event", "list", "951") if e["event"] == "transfer"][-1]["event_id"])
    ok(sample_copy_url, "event", "update", transfer, "--local-id", "X951", "--reason", "second accession number")
    ok(sample_copy_url, "event", "void", transfer, "--reason", "entered at the wrong animal")
    ok(sample_copy_url, *move, "--local-id", "N951B")
    # A void young with health notes, in the middle of its litter; another animal's health notes.
    ok(sample_copy_url, "animal", "update", "1477", "--health-notes", "weak at birth")
    ok(sample_copy_url, "animal", "void", "1477", "--reason", "registered twice")
    ok(sample_copy_url, "animal", "update", "1041", "--health-notes", "lame left hind\nsecond line")
    folder = export_and_reload(sample_copy_url, empty_url, tmp_path)
    for name in ("void_animals.csv", "void_events.csv", "local_ids.csv", "health_notes.csv"):
        assert (folder / name).exists(), name
    assert_same_book(sample_copy_url, empty_url)
    shown = jout(empty_url, "animal", "show", "1477")
    assert shown["void"] and shown["void_reason"] == "registered twice"
    history = jout(empty_url, "event", "list", "951")
    assert [e["void"] for e in history if e["event"] == "transfer"][-1] is True


# A small book with a rule error (6: parents 3 and 4 too young, 4 dead) and an unreadable row (7: sex X).
SMALL_BOOK = {
    "species.json": json.dumps({
        "common_name": "Amur leopard", "scientific_name": "Panthera pardus orientalis", "gestation_min_days": 90,
        "gestation_max_days": 105, "min_breeding_age_male": 2.0, "min_breeding_age_female": 2.0,
        "max_breeding_age_male": 17.0, "max_breeding_age_female": 16.0, "longevity_years": 24.0}),
    "institutions.csv": "code,name\nLEIPZIG,Zoo Leipzig\nTALLINN,Tallinn Zoo\n",
    "animals.csv": "studbook_id,sex,birth_date,birth_type,sire,dam\n1,M,~2005,wild,WILD,WILD\n"
                   "2,F,~2005,wild,WILD,WILD\n3,M,2010-05-01,,1,2\n4,F,2010-05-01,,1,2\n6,F,2011-01-01,,3,4\n"
                   "7,X,2012-01-01,,1,2\n",
    "events.csv": "studbook_id,event,date,institution\n1,capture,2007,LEIPZIG\n2,capture,2007,LEIPZIG\n"
                  "3,birth,2010-05-01,LEIPZIG\n4,birth,2010-05-01,LEIPZIG\n4,death,2010-05-09,LEIPZIG\n"
                  "6,birth,2011-01-01,LEIPZIG\n",
}


def test_export_book_round_trips_problems_with_their_history(backend: str, tmp_path: Path) -> None:
    src_folder = tmp_path / "small"
    src_folder.mkdir()
    for name, text in SMALL_BOOK.items():
        (src_folder / name).write_text(text, encoding="utf-8")
    with fresh_database(backend, tmp_path) as src, fresh_database(backend, tmp_path) as dst:
        ok(src, "init", "--from-folder", str(src_folder), "--allow-problems")
        problems = jout(src, "problems", "list")
        assert {"F01", "P07", "P08"} <= {p["code"] for p in problems}
        unreadable = next(p for p in problems if p["code"] == "F01")
        ok(src, "problems", "resolve", str(unreadable["id"]), "--reason", "animal 7 was a typo of 6")
        folder = tmp_path / "out"
        ok(src, "export", "book", str(folder))
        assert (folder / "problems.csv").exists()
        # The reload finds the same rule errors again: refused without --allow-problems, like any book with errors.
        refused = run_cli(dst, "init", "--from-folder", str(folder))
        assert refused.exit_code == 1 and "nothing was loaded" in refused.stderr
        r = ok(dst, "init", "--from-folder", str(folder), "--allow-problems")
        # problems.csv's, not stored a second time by the reload (which finds the rule errors again)
        assert f"{len(problems) - 1} open problems stored" in r.stderr
        assert_same_book(src, dst)
        again = jout(dst, "problems", "list")
        assert [(p["code"], p["resolved"] is not None, p["resolution"]) for p in again] == [
            (p["code"], p["resolved"] is not None, p["resolution"]) for p in jout(src, "problems", "list")]


@pytest.fixture(scope="module")
def condor_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from condor import convert_condor
    from pedigree_gallery import shared_dir

    dest = tmp_path_factory.mktemp("condor") / "book"
    convert_condor(shared_dir() / "reference" / "studbooks" / "california_condor", dest)
    return dest


def test_export_book_round_trips_the_condor_book(condor_folder: Path, backend: str, tmp_path: Path) -> None:
    """The real condor book (41 open problems) after a correction that mends one and a problem closed by hand."""
    with fresh_database(backend, tmp_path) as src, fresh_database(backend, tmp_path) as dst:
        loaded = ok(src, "init", "--from-folder", str(condor_folder), "--allow-problems").stderr
        n_events = int(loaded.split("Loaded 807 animals, ")[1].split(" events")[0])
        dup = [e for e in jout(src, "event", "list", "317") if e["event"] == "transfer"
               and e["institution"] == e["from_institution"] == "PAICINES"]
        ok(src, "event", "void", str(dup[0]["event_id"]), "--reason", "duplicate arrival in the SPARKS export")
        p07 = next(p for p in jout(src, "problems", "list", "--open") if p["code"] == "P07")
        ok(src, "problems", "resolve", str(p07["id"]), "--reason", "checked: the sire's birth date is a guess")
        folder = tmp_path / "condor-out"
        ok(src, "export", "book", str(folder))
        assert {"void_events.csv", "problems.csv"} <= {p.name for p in folder.iterdir()}
        r = ok(dst, "init", "--from-folder", str(folder), "--allow-problems")
        assert f"Loaded 807 animals, {n_events - 1} events, 29 institutions" in r.stderr  # one is void
        assert "39 open problems stored" in r.stderr
        assert len(jout(dst, "problems", "list")) == 41
        assert_same_book(src, dst)


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
