"""The rules of who may write what (studbook.access): pure, one passing and one failing case per rule."""

from __future__ import annotations

import pytest

from studbook.access import Actor, WriteRequest, decide, may_decide, table_write_allowed

KEEPER = Actor("kim", "keeper")
COORD = Actor("cora", "coordinator")
TOM = Actor("tom", "registrar", frozenset({"TALLINN"}))
READER = Actor("rita", "reader")


def req(action: str, *places: str, author: str | None = None) -> WriteRequest:
    return WriteRequest(action, "animal 4", frozenset(places), author)


@pytest.mark.parametrize("action", ["birth", "add_animal", "capture", "death", "release", "ltf", "set_flags"])
def test_registrar_writes_at_own_institution_apply_elsewhere_pending(action):
    assert decide(TOM, req(action, "TALLINN")).outcome == "apply"
    d = decide(TOM, req(action, "LEIPZIG"))
    assert d.outcome == "pending"
    assert "LEIPZIG" in d.reason and "tom" in d.reason


def test_registrar_transfers_out_of_and_into_own_institution():
    assert decide(TOM, req("transfer", "TALLINN", "LEIPZIG")).outcome == "apply"  # out of or into TALLINN
    assert decide(TOM, req("transfer", "MOSCOW", "LEIPZIG")).outcome == "pending"


@pytest.mark.parametrize("action", ["correct_animal", "update_animal", "correct_event", "void_event", "void_animal"])
def test_registrar_corrects_own_records_others_pending(action):
    assert decide(TOM, req(action, author="tom")).outcome == "apply"
    assert decide(TOM, req(action, author="kim")).outcome == "pending"
    assert decide(TOM, req(action, author=None)).outcome == "pending"


def test_keeper_everything_reader_nothing():
    for action in ("death", "institution", "user", "decide_pending", "plan"):
        assert decide(KEEPER, req(action, "LEIPZIG")).outcome == "apply"
        d = decide(READER, req(action, "LEIPZIG"))
        assert d.outcome == "deny" and "reader" in d.reason


def test_disabled_user_is_denied_even_as_keeper():
    d = decide(Actor("kim", "keeper", active=False), req("death", "LEIPZIG"))
    assert d.outcome == "deny" and "disabled" in d.reason


def test_deciding_pending_updates():
    assert may_decide(KEEPER).applies and may_decide(COORD).applies
    assert may_decide(TOM).outcome == "deny"
    assert may_decide(READER).outcome == "deny"


def test_coordinator_plans_and_applies_approved_updates_only():
    assert decide(COORD, req("plan")).outcome == "apply"
    assert decide(TOM, req("plan")).outcome == "deny"
    assert decide(COORD, req("death", "LEIPZIG")).outcome == "deny"
    assert decide(COORD, req("death", "LEIPZIG"), approving=True).outcome == "apply"
    assert decide(TOM, req("death", "LEIPZIG"), approving=True).outcome == "pending"  # approving needs a decider


def test_registrar_may_not_touch_institutions_or_users():
    assert decide(TOM, req("institution", "TALLINN")).outcome == "deny"
    assert decide(TOM, req("user")).outcome == "deny"
    assert decide(Actor("x", "registrar"), req("death", "TALLINN")).outcome == "deny"  # bound to no institution


def test_unguarded_table_writes():
    assert table_write_allowed(KEEPER, frozenset({"species"})).applies
    assert table_write_allowed(COORD, frozenset({"plan", "recommendation"})).applies
    assert not table_write_allowed(COORD, frozenset({"species"})).applies
    assert not table_write_allowed(TOM, frozenset({"institution"})).applies
