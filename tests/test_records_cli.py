"""Registrar workflows through the CLI: what is written, what is shown, what is audited."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys

import pytest
from conftest import ROOT, assert_refused, jout, ok, run_cli
from sqlalchemy import create_engine, text


def test_institution_list_formats(book_url):
    rows = jout(book_url, "institution", "list")
    assert [(r["code"], r["kind"]) for r in rows] == [
        ("KEDROVAYA", "wild-area"), ("LAZOVSKY", "release-site"), ("LEIPZIG", "zoo"), ("MOSCOW", "zoo"),
        ("TALLINN", "zoo")]
    assert rows[2]["latitude"] == pytest.approx(51.3485) and rows[0]["latitude"] is None
    r = ok(book_url, "institution", "list", "--format", "csv")
    parsed = list(csv.DictReader(io.StringIO(r.stdout)))
    assert parsed[4]["region"] == "EAZA" and parsed[0]["latitude"] == "" and r.stderr == ""
    assert "Zoo Leipzig" in ok(book_url, "institution", "list").stdout


def test_birth_assigns_next_ids_and_prints_them(family_url):
    r = ok(family_url, "birth", "--dam", "2", "--sire", "1", "--date", "2018-04-20", "--at", "LEIPZIG",
           "--cub", "F", "--cub", "M", "--cub", "U", "--name", "Zarya", "--name", "Amur", "--name", "")
    assert r.stdout.split() == ["5", "F", "6", "M", "7", "U"]
    shown = jout(family_url, "animal", "show", "5")
    assert shown["house_name"] == "Zarya" and shown["sire"] == "1" and shown["dam"] == "2"
    assert shown["location"] == "LEIPZIG" and shown["status"] == "captive"
    assert [h["event"] for h in shown["history"]] == ["birth"]
    assert "5" in jout(family_url, "animal", "show", "2")["offspring"]


def test_list_filters_and_derived_location(family_url):
    ok(family_url, "transfer", "3", "--to", "TALLINN", "--date", "2017-09-01", "--loan", "--local-id", "M123")
    ok(family_url, "death", "1", "--date", "2020-01-05", "--cause", "old age")
    alive = jout(family_url, "animal", "list", "--alive")
    assert [r["studbook_id"] for r in alive] == ["2", "3", "4"]
    assert [r["studbook_id"] for r in jout(family_url, "animal", "list", "--at", "TALLINN")] == ["3"]
    assert [r["studbook_id"] for r in jout(family_url, "animal", "list", "--alive", "--sex", "F")] == ["2", "4"]
    everyone = {r["studbook_id"]: r for r in jout(family_url, "animal", "list")}
    assert everyone["1"]["status"] == "dead" and everyone["3"]["location"] == "TALLINN"
    hist = jout(family_url, "history", "3")
    assert [(h["event"], h["institution"], h["from_institution"]) for h in hist] == [
        ("birth", "LEIPZIG", None), ("transfer", "TALLINN", "LEIPZIG")]
    assert hist[1]["detail"] == "on loan"
    assert jout(family_url, "animal", "show", "3")["local_ids"] == ["TALLINN:M123"]


def test_release_and_ltf(family_url):
    ok(family_url, "release", "3", "--date", "2019-05-01", "--to", "LAZOVSKY", "--site", "Kedrovaya valley")
    ok(family_url, "ltf", "4", "--date", "2019-06-01")
    rows = {r["studbook_id"]: (r["status"], r["location"]) for r in jout(family_url, "animal", "list")}
    assert rows["3"] == ("wild", "LAZOVSKY") and rows["4"] == ("ltf", "LEIPZIG")
    # In the wild counts as alive; lost to follow-up does not.
    assert [r["studbook_id"] for r in jout(family_url, "animal", "list", "--alive")] == ["1", "2", "3"]
    assert [r["studbook_id"] for r in jout(family_url, "animal", "list", "--status", "wild")] == ["3"]
    assert [r["studbook_id"] for r in jout(family_url, "animal", "list", "--status", "captive")] == ["1", "2"]


def test_recapture_after_release(family_url):
    ok(family_url, "release", "3", "--date", "2019-05-01", "--to", "LAZOVSKY")
    ok(family_url, "capture", "3", "--date", "2020-02-01", "--at", "MOSCOW", "--local-id", "R1")
    row = {r["studbook_id"]: r for r in jout(family_url, "animal", "list")}["3"]
    assert row["status"] == "captive" and row["location"] == "MOSCOW"
    assert [h["event"] for h in jout(family_url, "history", "3")] == ["birth", "release", "capture"]
    assert_refused(family_url, ["capture", "4", "--date", "2020-02-01", "--at", "MOSCOW"],
                   "only an animal in the wild or lost to follow-up can be captured")
    assert_refused(family_url, ["capture", "3", "--date", "2020-03-01", "--at", "MOSCOW"],
                   "only an animal in the wild or lost to follow-up can be captured")


def test_pedigree_tree(family_url):
    ok(family_url, "birth", "--dam", "4", "--sire", "3", "--date", "2019-05-01", "--at", "LEIPZIG", "--cub", "M")
    tree = jout(family_url, "pedigree", "5", "--generations", "2")
    assert tree["studbook_id"] == "5"
    assert [p["studbook_id"] for p in tree["parents"]] == ["3", "4"]
    assert [g["studbook_id"] for g in tree["parents"][0]["parents"]] == ["1", "2"]
    assert tree["parents"][0]["parents"][0]["parents"] == []  # cut at 2 generations
    text_tree = ok(family_url, "pedigree", "5").stdout
    assert "sire: 3" in text_tree and "WILD" in text_tree


def test_animal_update_flags(family_url):
    ok(family_url, "animal", "update", "4", "--contracepted", "--do-not-breed", "--name", "Dasha")
    row = jout(family_url, "animal", "show", "4")
    assert set(row["flags"]) == {"contracepted", "do_not_breed"} and row["house_name"] == "Dasha"
    assert_refused(family_url, ["animal", "update", "4"], "nothing to change")


def test_audit_log_records_who_what_before_after(family_url):
    run_cli(family_url, "animal", "update", "4", "--do-not-breed", user="registrar-anna")
    rows = jout(family_url, "audit", "--animal", "4")
    upd = [r for r in rows if r["action"] == "update"][0]
    assert upd["user"] == "registrar-anna" and upd["command"] == "animal update"
    assert upd["before"]["do_not_breed"] is False and upd["after"]["do_not_breed"] is True
    inserts = [r for r in rows if r["action"] == "insert"]
    assert {r["table"] for r in inserts} >= {"animal", "event"}
    assert all(r["user"] == "tester" for r in inserts)


def test_refused_command_leaves_no_audit_rows(family_url):
    before = len(jout(family_url, "audit", "--limit", "1000"))
    run_cli(family_url, "birth", "--dam", "3", "--sire", "1", "--date", "2019-05-01", "--at", "LEIPZIG", "--cub", "M")
    assert len(jout(family_url, "audit", "--limit", "1000")) == before


def test_audit_log_is_append_only(family_url):
    engine = create_engine(family_url)
    try:
        for stmt in ("UPDATE audit_log SET user = 'mallory'", "DELETE FROM audit_log"):
            with pytest.raises(Exception, match="append-only"):
                with engine.begin() as conn:
                    conn.execute(text(stmt.replace("user", '"user"')))
    finally:
        engine.dispose()
    assert all(r["user"] == "tester" for r in jout(family_url, "audit", "--limit", "1000"))


def test_validate_clean_book(family_url):
    r = ok(family_url, "validate", "--format", "json")
    assert json.loads(r.stdout) == [] and "0 error(s)" in r.stderr


def test_machine_output_is_only_data(family_url):
    r = ok(family_url, "birth", "--dam", "2", "--sire", "1", "--date", "2018-04-20", "--at", "LEIPZIG",
           "--cub", "F", "--format", "csv")
    assert r.stdout.splitlines()[0] == "studbook_id,sex,dam,sire,date,institution"
    assert r.stdout.splitlines()[1].startswith("5,F,2,1,2018-04-20,LEIPZIG")


def test_csv_escapes_formulas(book_url):
    ok(book_url, "institution", "add", "EVIL", "--name", "=HYPERLINK(\"http://x\")", "--country", "DE",
       "--lat", "1", "--lon", "-2.5")
    rows = list(csv.DictReader(io.StringIO(ok(book_url, "institution", "list", "--format", "csv").stdout)))
    evil = [r for r in rows if r["code"] == "EVIL"][0]
    assert evil["name"].startswith("'=") and evil["longitude"] == "-2.5"


def test_schema_missing_and_db_commands(empty_url):
    r = run_cli(empty_url, "animal", "list")
    # SQLite: the file does not exist (and is not created); PostgreSQL: the database has no schema.
    assert r.exit_code == 3 and ("no studbook schema" in r.stderr or "does not exist" in r.stderr)
    assert "studbook init" in r.stderr
    ok(empty_url, "db", "upgrade")
    from studbook.db import head_revision

    head = head_revision()
    assert ok(empty_url, "db", "current").stdout.startswith(f"{head} (head: {head})")
    ok(empty_url, "init")  # idempotent


def test_missing_folder_for_sqlite(tmp_path):
    r = run_cli(str(tmp_path / "no" / "such" / "dir" / "x.db"), "init")
    assert r.exit_code == 3 and r.stderr.startswith("Error: cannot create the database")


def test_cli_shim_and_environment(tmp_path):
    db = tmp_path / "env.db"
    env = dict(os.environ, STUDBOOK_DB=str(db), STUDBOOK_USER="keeper-ivan", PYTHONPATH=str(ROOT))
    for args in (["init"], ["institution", "add", "MOSCOW", "--name", "Moscow Zoo", "--country", "RU",
                            "--lat", "55.761", "--lon", "37.578"]):
        p = subprocess.run([sys.executable, str(ROOT / "cli.py"), *args], env=env, capture_output=True, text=True)
        assert p.returncode == 0, p.stderr
    p = subprocess.run([sys.executable, "-m", "studbook", "audit", "--format", "json"], env=env,
                       capture_output=True, text=True, cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    assert {r["user"] for r in json.loads(p.stdout)} == {"keeper-ivan"}
    bad = subprocess.run([sys.executable, str(ROOT / "cli.py"), "death", "1", "--date", "2020"], env=env,
                         capture_output=True, text=True)
    assert bad.returncode == 1 and "Traceback" not in bad.stderr and bad.stderr.startswith("Error: no animal")


def test_not_a_database_file(tmp_path):
    bad = tmp_path / "notes.db"
    bad.write_text("these are my notes, not a studbook\n")
    for args in (["animal", "list"], ["genetics", "summary"], ["init"]):
        r = run_cli(str(bad), *args)
        assert r.exit_code == 3, (args, r.stderr)
        assert "file is not a database" in r.stderr and "Traceback" not in r.stderr and "\nHint: " in r.stderr
    assert bad.read_text() == "these are my notes, not a studbook\n"


def test_unreachable_server_is_one_clear_line():
    r = run_cli("postgresql+psycopg://nobody@127.0.0.1:1/none", "animal", "list")
    assert r.exit_code == 3
    lines = r.stderr.splitlines()
    assert len(lines) == 2 and lines[0].startswith("Error: cannot open the database") and lines[1].startswith("Hint:")
