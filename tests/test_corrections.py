"""Corrections and voids: every record can be fixed with a reason, nothing is lost, rules hold after."""

from __future__ import annotations

from conftest import assert_refused, jout, ok, run_cli, table_counts


def _birth_event(url: str, sid: str) -> int:
    return next(e["event_id"] for e in jout(url, "event", "list", sid) if e["event"] == "birth")


def test_sex_of_a_cub_registered_u_can_be_corrected(family_url):
    ok(family_url, "birth", "--dam", "2", "--sire", "1", "--date", "2018-04-20", "--at", "LEIPZIG", "--cub", "U")
    assert_refused(family_url, ["animal", "update", "5", "--sex", "F"], "needs a reason")
    ok(family_url, "animal", "update", "5", "--sex", "F", "--reason", "sexed at first vet check")
    assert jout(family_url, "animal", "show", "5")["sex"] == "F"
    row = next(a for a in jout(family_url, "audit", "--animal", "5") if a["action"] == "update")
    assert row["reason"] == "sexed at first vet check" and row["user"] == "tester"
    assert row["before"]["sex"] == "U" and row["after"]["sex"] == "F"


def test_birth_date_correction_moves_the_birth_event_too(family_url):
    ok(family_url, "animal", "update", "3", "--birth-date", "2015-05-03", "--reason", "keeper's diary")
    shown = jout(family_url, "animal", "show", "3")
    assert shown["birth"] == "2015-05-03"
    assert [e["date"] for e in jout(family_url, "event", "list", "3") if e["event"] == "birth"] == ["2015-05-03"]
    assert ok(family_url, "validate").exit_code == 0


def test_parentage_and_birth_place_corrections(family_url):
    ok(family_url, "animal", "add", "--id", "9", "--sex", "M", "--birth-date", "~2007", "--at", "LEIPZIG",
       "--wild-born", "--capture-date", "2009")
    ok(family_url, "animal", "update", "3", "--sire", "9:0.5", "--sire", "1:0.5", "--reason", "two males housed")
    assert jout(family_url, "animal", "show", "3")["sire"] == "MULT(9:0.5, 1:0.5)"
    ok(family_url, "animal", "update", "3", "--sire", "UNK", "--reason", "no idea after all")
    assert jout(family_url, "animal", "show", "3")["sire"] == "UNK"
    # A correction that breaks a rule is refused and writes nothing: the dam is not at TALLINN.
    assert_refused(family_url, ["animal", "update", "3", "--birth-institution", "TALLINN", "--reason", "x"], "E09")
    # Making the dam male breaks P02 for her offspring: re-checked on the offspring too.
    assert_refused(family_url, ["animal", "update", "2", "--sex", "M", "--reason", "x"], "P02")


def test_event_update_and_void(family_url):
    ok(family_url, "transfer", "3", "--to", "TALLINN", "--date", "2017-09-01")
    ev = next(e for e in jout(family_url, "event", "list", "3") if e["event"] == "transfer")
    ok(family_url, "event", "update", str(ev["event_id"]), "--date", "2017-09-03", "--at", "MOSCOW",
       "--reason", "wrong zoo typed")
    assert jout(family_url, "animal", "show", "3")["location"] == "MOSCOW"
    ok(family_url, "event", "void", str(ev["event_id"]), "--reason", "the move was cancelled")
    assert jout(family_url, "animal", "show", "3")["location"] == "LEIPZIG"
    listed = jout(family_url, "event", "list", "3")
    assert [(e["event"], e["void"]) for e in listed] == [("birth", False), ("transfer", True)]
    assert "VOID: the move was cancelled" in listed[1]["detail"]
    assert_refused(family_url, ["event", "void", str(_birth_event(family_url, "3")), "--reason", "x"],
                   "an animal without its birth breaks rule E03")
    assert_refused(family_url, ["event", "update", "999999", "--date", "2017-01-01", "--reason", "x"],
                   "no event with id 999999")


def test_a_litter_registered_twice_is_withdrawn(family_url):
    ok(family_url, "animal", "add", "--id", "10", "--sex", "F", "--birth-date", "2012-01-01", "--at", "LEIPZIG")
    first = ok(family_url, "birth", "--dam", "10", "--sire", "1", "--date", "2019-05-01", "--at", "LEIPZIG",
               "--cub", "M", "--cub", "F").stdout.split()[::2]
    # The same litter entered again is refused (rule B01) ...
    assert_refused(family_url, ["birth", "--dam", "10", "--sire", "1", "--date", "2019-05-01", "--at", "LEIPZIG",
                                "--cub", "M", "--cub", "F"], "B01", "the same litter entered twice")
    # ... and a late-registered cub is added to the first litter.
    litter = _birth_event(family_url, first[0])
    late = ok(family_url, "birth", "--dam", "10", "--sire", "1", "--date", "2019-05-01", "--at", "LEIPZIG",
              "--cub", "U", "--add-to-litter", str(litter)).stdout.split()[0]
    assert len(jout(family_url, "animal", "list", "--alive")) == 4 + 1 + 3
    ok(family_url, "animal", "void", late, "--reason", "registered twice by mistake")
    assert late not in [a["studbook_id"] for a in jout(family_url, "animal", "list")]
    shown = jout(family_url, "animal", "show", late)
    assert shown["status"] == "void" and shown["void_reason"] == "registered twice by mistake"
    # The voided ID is never given again.
    again = ok(family_url, "birth", "--dam", "2", "--sire", "1", "--date", "2020-05-01", "--at", "LEIPZIG",
               "--cub", "M").stdout.split()[0]
    assert int(again) == int(late) + 1


def test_a_parent_cannot_be_void(family_url):
    assert_refused(family_url, ["animal", "void", "2", "--reason", "x"], "is a parent of 2 animal(s) (3, 4)")
    r = run_cli(family_url, "animal", "void", "3")
    assert r.exit_code == 2 and "--reason" in r.stderr


def test_void_keeps_history(family_url):
    before = table_counts(family_url)
    ok(family_url, "animal", "void", "4", "--reason", "duplicate record")
    after = table_counts(family_url)
    assert after["animal"] == before["animal"] and after["event"] == before["event"]
    assert any(a["reason"] == "duplicate record" for a in jout(family_url, "audit", "--animal", "4"))


def test_returning_animal_keeps_every_local_id(family_url):
    ok(family_url, "transfer", "3", "--to", "TALLINN", "--date", "2017-09-01", "--local-id", "T1")
    ok(family_url, "transfer", "3", "--to", "LEIPZIG", "--date", "2018-09-01", "--local-id", "L2")
    ok(family_url, "transfer", "3", "--to", "TALLINN", "--date", "2019-09-01", "--local-id", "T9")
    assert jout(family_url, "animal", "show", "3")["local_ids"] == ["TALLINN:T1", "LEIPZIG:L2", "TALLINN:T9"]
    found = jout(family_url, "animal", "find", "t1")
    assert [(f["studbook_id"], f["matched"], f["value"]) for f in found] == [("3", "local id", "TALLINN:T1")]


def test_find_by_id_name_and_local_id(family_url):
    ok(family_url, "birth", "--dam", "2", "--sire", "1", "--date", "2018-04-20", "--at", "LEIPZIG",
       "--cub", "F", "--cub", "M", "--name", "Zarya", "--name", "Amur", "--local-id", "Z-18", "--local-id", "A-18")
    assert [f["studbook_id"] for f in jout(family_url, "animal", "find", "zarya")] == ["5"]
    assert [(f["studbook_id"], f["value"]) for f in jout(family_url, "animal", "find", "A-18")] == [
        ("6", "LEIPZIG:A-18")]
    assert [f["studbook_id"] for f in jout(family_url, "animal", "find", "6")][0] == "6"
    assert_refused(family_url, ["animal", "find", " "], "nothing to find")


def test_next_id_ignores_an_outlier_typed_by_hand(family_url):
    ok(family_url, "animal", "add", "--id", "1479000000", "--sex", "M", "--birth-date", "2010",
       "--at", "LEIPZIG", "--wild-born", "--capture-date", "2011")
    ok(family_url, "animal", "add", "--id", "9" * 30, "--sex", "M", "--birth-date", "2010",
       "--at", "LEIPZIG", "--wild-born", "--capture-date", "2011")
    r = ok(family_url, "birth", "--dam", "2", "--sire", "1", "--date", "2018-04-20", "--at", "LEIPZIG", "--cub", "M")
    assert r.stdout.split()[0] == "5"


def test_confusable_ids_are_refused(family_url):
    for bad in ("\uff11\uff14\uff17\uff19", "\u0422100", "12\u200b3", "\u202e321", "\u0661\u0662\u0663"):
        r = run_cli(family_url, "animal", "add", "--id", bad, "--sex", "M", "--birth-date", "2010",
                    "--at", "LEIPZIG", "--wild-born")
        assert r.exit_code == 1 and "is not valid" in r.stderr, (bad, r.stderr)


def test_control_characters_are_refused_at_entry(family_url):
    assert_refused(family_url, ["animal", "update", "3", "--name", "\x1b]0;owned\x07\x1b[2J"], "control character")
    assert_refused(family_url, ["death", "3", "--date", "2020-01-01", "--cause", "x\x1b[2J"], "control character")
