"""Who may write what, enforced in the services: applied, pending (then approved or rejected) or denied and audited.

Fixture book (conftest): LEIPZIG holds 1, 2 (wild founders) and their litter 3 (M), 4 (F); TALLINN, MOSCOW.
Users: kim (keeper), cora (coordinator), tom (registrar of TALLINN), rita (reader). On SQLite the CLI's local
user is the keeper; `--as NAME` (a keeper's option) runs a command as NAME, exactly as a registrar's own
database login does on PostgreSQL (tests/test_rls_postgres.py).
"""

from __future__ import annotations

import pytest
from conftest import jout, ok, run_cli, table_counts
from sqlalchemy import create_engine, text

from studbook.access import Actor
from studbook.db import session_scope
from studbook.errors import PermissionDeniedError
from studbook.services import events
from studbook.services.pending import PendingUpdate, list_pending

TOM = Actor("tom", "registrar", frozenset({"TALLINN"}))


def rows(url: str, sql: str) -> list[tuple]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return [tuple(r) for r in conn.execute(text(sql))]
    finally:
        engine.dispose()


def kinds(url: str, sid: str) -> list[str]:
    return [h["event"] for h in jout(url, "history", sid)]  # type: ignore[union-attr]


@pytest.fixture
def book(family_url: str) -> str:
    for args in (["kim", "--role", "keeper"], ["cora", "--role", "coordinator"],
                 ["tom", "--role", "registrar", "--institution", "TALLINN"], ["rita", "--role", "reader"]):
        ok(family_url, "user", "add", *args, "--no-password")
    return family_url


def test_registrar_death_of_an_animal_held_elsewhere_becomes_pending_then_keeper_approves(book):
    before = table_counts(book)
    r = ok(book, "--as", "tom", "death", "4", "--date", "2026-11-20", "--cause", "old age")
    assert r.stderr.startswith("pending update #1: death of 4 at LEIPZIG on 2026-11-20 awaits the keeper's approval")
    after = table_counts(book)
    assert {k for k in after if after[k] != before[k]} == {"pending_update", "audit_log"}
    assert "death" not in kinds(book, "4")
    r = ok(book, "--as", "kim", "pending", "approve", "1")
    assert "Approved pending update #1 of tom: applied by kim" in r.stderr
    assert kinds(book, "4")[-1] == "death"
    audit = rows(book, "SELECT \"user\", action, table_name, reason FROM audit_log WHERE record = '4' ORDER BY id")
    assert ("tom", "insert", "pending_update", None) in audit
    death = [a for a in audit if a[1] == "insert" and a[2] == "event"][-1]
    assert death[0] == "kim" and "pending update #1 by tom, approved by kim" in death[3]
    assert [a for a in audit if a[2] == "pending_update" and a[1] == "update"][0][0] == "kim"
    assert ok(book, "pending", "list", "--format", "json").stdout.strip() == "[]"


def test_registrar_writes_about_own_animals_apply_at_once(book):
    ok(book, "transfer", "3", "--to", "TALLINN", "--date", "2020-01-01")  # the keeper
    r = ok(book, "--as", "tom", "transfer", "3", "--to", "MOSCOW", "--date", "2021-01-01")  # out of TALLINN
    assert "Recorded transfer of 3" in r.stderr
    assert "pending" not in r.stderr
    r = ok(book, "--as", "tom", "transfer", "3", "--to", "TALLINN", "--date", "2022-01-01")  # into TALLINN
    r = ok(book, "--as", "tom", "death", "3", "--date", "2023-01-01")
    assert kinds(book, "3")[-1] == "death"
    assert rows(book, "SELECT \"user\" FROM audit_log WHERE action = 'insert' AND table_name = 'event' "
                      "ORDER BY id DESC")[0] == ("tom",)
    assert rows(book, "SELECT count(*) FROM pending_update") == [(0,)]


def test_reader_write_is_denied_nothing_written_denial_audited(book):
    before = table_counts(book)
    r = run_cli(book, "--as", "rita", "death", "4", "--date", "2026-11-20")
    assert r.exit_code == 5, r.stderr
    assert r.stderr.splitlines()[0] == ("Error: user rita is a reader and may not write (death of animal 4); "
                                        "nothing was written")
    after = table_counts(book)
    assert {k: after[k] - before[k] for k in after if after[k] != before[k]} == {"audit_log": 1}
    assert rows(book, "SELECT \"user\", action, table_name, record FROM audit_log ORDER BY id DESC")[0] == (
        "rita", "deny", "death", "4")


def test_registrar_may_not_approve_and_institutions_are_the_keepers(book):
    ok(book, "--as", "tom", "death", "4", "--date", "2026-11-20")
    r = run_cli(book, "--as", "tom", "pending", "approve", "1")
    assert r.exit_code == 5 and "only the keeper or a coordinator may approve" in r.stderr
    r = run_cli(book, "--as", "tom", "institution", "add", "RIGA", "--name", "Riga Zoo")
    assert r.exit_code == 5 and "may not write to institution" in r.stderr
    assert rows(book, "SELECT count(*) FROM institution WHERE code = 'RIGA'") == [(0,)]
    assert rows(book, "SELECT status FROM pending_update") == [("pending",)]


def test_coordinator_rejects_with_a_reason_or_approves_as_themselves(book):
    ok(book, "--as", "tom", "death", "4", "--date", "2026-11-20")
    ok(book, "--as", "tom", "animal", "update", "2", "--do-not-breed")
    assert run_cli(book, "--as", "cora", "pending", "reject", "1", "--reason", "").exit_code == 1
    ok(book, "--as", "cora", "pending", "reject", "1", "--reason", "4 is alive: Leipzig saw her today")
    assert "death" not in kinds(book, "4")
    r = run_cli(book, "--as", "kim", "pending", "approve", "1")
    assert r.exit_code == 1 and "already rejected by cora" in r.stderr
    ok(book, "--as", "cora", "pending", "approve", "2")
    assert jout(book, "animal", "show", "2")["flags"]  # type: ignore[index]
    listed = jout(book, "pending", "list", "--all")
    assert [(p["id"], p["status"], p["decided_by"]) for p in listed] == [  # type: ignore[union-attr,index]
        (1, "rejected", "cora"), (2, "approved", "cora")]
    assert rows(book, "SELECT \"user\" FROM audit_log WHERE table_name = 'animal' AND action = 'update' "
                      "ORDER BY id DESC")[0] == ("cora",)


def test_registrar_corrects_records_they_entered_others_are_pending(book):
    ok(book, "transfer", "4", "--to", "TALLINN", "--date", "2020-01-01")
    r = ok(book, "--as", "tom", "birth", "--dam", "4", "--sire", "UNK", "--date", "2026-11-20", "--at", "TALLINN",
           "--cub", "U")
    cub = r.stdout.split()[0]
    r = ok(book, "--as", "tom", "animal", "update", cub, "--sex", "F", "--reason", "sexed at the vet check")
    assert "Updated animal" in r.stderr
    r = ok(book, "--as", "tom", "animal", "update", "1", "--sex", "F", "--reason", "a typo?")
    assert "pending update #1: update animal of animal 1" in r.stderr
    assert jout(book, "animal", "show", "1")["sex"] == "M"  # type: ignore[index]


def test_an_approval_goes_through_the_normal_rules(book):
    ok(book, "--as", "tom", "death", "4", "--date", "2014-01-01")  # before her birth: pending, not checked yet
    r = run_cli(book, "--as", "kim", "pending", "approve", "1")
    assert r.exit_code == 1, r.stderr
    assert rows(book, "SELECT status FROM pending_update") == [("pending",)]
    assert "death" not in kinds(book, "4")


def test_services_return_a_typed_pending_update(book):
    """The web path: the actor comes from the login session, the service returns PendingUpdate."""
    with session_scope(book, write=True, actor=TOM, command="web") as s:
        result = events.death(s, "4", date="2026-11-20")
    assert isinstance(result, PendingUpdate) and result.id == 1 and result.requested_by == "tom"
    with pytest.raises(PermissionDeniedError), session_scope(book, actor=TOM) as s:
        list_pending(s)
    with session_scope(book, actor=Actor("cora", "coordinator")) as s:
        assert [p.summary for p in list_pending(s)] == ["death of 4 at LEIPZIG on 2026-11-20"]
