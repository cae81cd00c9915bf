"""The column read path (issue 13) against the previous record-by-record path.

* ``Pedigree.from_columns`` (and ``from_records``, which now runs through it) against
  ``reference.pedigree_before.Pedigree.from_records``, the previous implementation kept
  verbatim: same arrays, same errors, on the reference pedigrees, hypothesis pedigrees
  (WILD, MULT, MULT litters, inbred founders, shuffled input) and broken records.
* ``pedigree_rows.build_loaded`` (columns, one status per distinct event sequence)
  against ``reference.read_path_before.build_loaded_before`` (one ``PedigreeRecord``
  and one ``status_of`` per animal), on the sample book on both databases, on several days.
* ``analysis.read_rows`` (driver cursor) against ``read_rows_orm`` (SQLAlchemy rows).
"""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import date

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pedigree_gallery import load_records, pedigree_names
from reference import pedigree_before
from reference.read_path_before import build_loaded_before
from sqlalchemy import create_engine
from sqlalchemy.orm import Session
from strategies import pedigree_records

from studbook.errors import PedigreeError
from studbook.pedigree import Pedigree, PedigreeRecord
from studbook.records import EventFacts, status_of
from studbook.services.analysis import read_rows, read_rows_orm
from studbook.services.pedigree_rows import build_loaded, statuses_by_animal

FIELDS = ("sire", "dam", "sex", "alive", "in_analysis", "sire_wild", "dam_wild", "birth_year",
          "founder_inbreeding")


def assert_same(new: Pedigree, old: object) -> None:
    assert new.ids == old.ids  # type: ignore[attr-defined]
    for name in FIELDS:
        np.testing.assert_array_equal(getattr(new, name), getattr(old, name), err_msg=name)
    for slot in ("sire_mult", "dam_mult"):
        a, b = getattr(new, slot), getattr(old, slot)
        for part in ("ptr", "cand", "prob", "litter"):
            np.testing.assert_array_equal(getattr(a, part), getattr(b, part), err_msg=f"{slot}.{part}")


def errors_of(build: object) -> list[str] | None:
    try:
        build()  # type: ignore[operator]
    except PedigreeError as exc:
        return list(exc.problems)
    return None


def columns_of(recs: list[PedigreeRecord]) -> dict[str, object]:
    """The column form, with only the non-plain animals given whole."""
    special = {i: r for i, r in enumerate(recs)
               if r.sire_wild or r.dam_wild or r.sire_mult or r.dam_mult or r.founder_inbreeding
               or r.sire_mult_litter or r.dam_mult_litter}
    return dict(ids=[r.id for r in recs], sire=[r.sire for r in recs], dam=[r.dam for r in recs],
                sex=[r.sex for r in recs], alive=[r.alive for r in recs], in_analysis=[r.in_analysis for r in recs],
                birth_year=[np.nan if r.birth_year is None else r.birth_year for r in recs], special=special)


def check_both(recs: list[PedigreeRecord], check_sex: bool = True) -> None:
    old_errors = errors_of(lambda: pedigree_before.Pedigree.from_records(recs, check_sex=check_sex))
    assert errors_of(lambda: Pedigree.from_records(recs, check_sex=check_sex)) == old_errors
    assert errors_of(lambda: Pedigree.from_columns(**columns_of(recs), check_sex=check_sex)) == old_errors
    if old_errors is None:
        old = pedigree_before.Pedigree.from_records(recs, check_sex=check_sex)
        assert_same(Pedigree.from_records(recs, check_sex=check_sex), old)
        assert_same(Pedigree.from_columns(**columns_of(recs), check_sex=check_sex), old)


@pytest.mark.parametrize("name", pedigree_names(include_errors=True))
def test_reference_pedigrees(name: str) -> None:
    recs = load_records(name)
    check_both(recs)
    check_both(list(reversed(recs)), check_sex=False)


@settings(max_examples=150, deadline=None)
@given(pedigree_records(max_size=30), st.randoms(use_true_random=False))
def test_hypothesis_pedigrees_incl_mult_litters(recs: list[PedigreeRecord], rnd: random.Random) -> None:
    check_both(recs)
    shuffled = list(recs)
    rnd.shuffle(shuffled)
    check_both(shuffled)


def test_broken_records_give_the_same_errors() -> None:
    base = [PedigreeRecord("A", sex="M"), PedigreeRecord("B", sex="F"),
            PedigreeRecord("C", "A", "B", sex="M"), PedigreeRecord("D", "C", "B", sex="F")]
    cases = [
        base + [PedigreeRecord("A", sex="F")],  # duplicate
        base + [PedigreeRecord("E", "X", "B")],  # missing parent
        base + [PedigreeRecord("E", "E", "B")],  # own parent
        base + [PedigreeRecord("E", "B", "A")],  # sexes swapped
        base + [PedigreeRecord("E", "A", "A")],  # both sire and dam
        base + [PedigreeRecord("E", sex="Q")],  # bad sex
        [replace(base[0], sire="D"), *base[1:]],  # cycle
        base + [PedigreeRecord("E", dam="B", sire_mult=(("A", 0.5), ("C", 0.4)))],  # bad sum
        base + [PedigreeRecord("E", "A", "B", sire_wild=True)],  # WILD and a sire
        base + [PedigreeRecord("E", founder_inbreeding=1.5)],
        base + [PedigreeRecord("E", "A", "B", founder_inbreeding=0.25)],
        base + [PedigreeRecord("E", "A", "B", sire_mult_litter="L")],  # litter key without MULT
        base + [PedigreeRecord("E", dam="B", sire_mult=(("A", 0.5), ("C", 0.5)), sire_mult_litter="L"),
                PedigreeRecord("F", dam="B", sire_mult=(("A", 0.6), ("C", 0.4)), sire_mult_litter="L")],
    ]
    for recs in cases:
        assert errors_of(lambda r=recs: pedigree_before.Pedigree.from_records(r)) is not None
        check_both(recs)


def test_status_per_distinct_sequence_is_status_of() -> None:
    kinds = {"Z1": "zoo", "R": "release_site"}
    rows = [  # (animal pk, kind, date, precision, estimated, event id, institution)
        (1, "birth", "2001-05-01", "D", False, 1, "Z1"), (1, "transfer", "2003-01-01", "M", False, 7, "R"),
        (2, "birth", "2001-05-01", "D", False, 2, "Z1"), (2, "transfer", "2003-01-01", "M", False, 3, "R"),
        (3, "death", None, "U", False, 4, "Z1"), (3, "birth", "2001-01-01", "Y", True, 5, "Z1"),
        (4, "transfer", "2002-01-01", "Y", False, 9, "R"), (4, "transfer", "2002-01-01", "Y", False, 8, "Z1"),
        (6, "release", "2005-02-02", "D", False, 10, "ELSEWHERE"),
    ]
    pks = [1, 2, 3, 4, 5, 6]
    for day in (None, date(2002, 1, 1), date(2004, 1, 1), date(2010, 1, 1)):
        got = statuses_by_animal(rows, pks, kinds, day)
        for pk in pks:
            from studbook.dates import FuzzyDate

            evs = [EventFacts(str(pk), k, FuzzyDate.from_db(date.fromisoformat(d[:10]) if d else None, p, e), c,
                              event_id=i) for a, k, d, p, e, i, c in rows if a == pk]
            assert got[pk] == status_of(evs, kinds, day), (pk, day)


def test_read_rows_driver_equals_orm(sample_url: str) -> None:
    engine = create_engine(sample_url)
    try:
        with Session(engine) as session:
            fast, orm = read_rows(session), read_rows_orm(session)
    finally:
        engine.dispose()
    assert fast == orm


@pytest.mark.parametrize("day", [None, date(1995, 6, 30), date(2010, 1, 1)])
def test_build_loaded_equals_record_path(sample_url: str, day: date | None) -> None:
    engine = create_engine(sample_url)
    try:
        with Session(engine) as session:
            rows = read_rows(session)
    finally:
        engine.dispose()
    new, old = build_loaded(rows, day), build_loaded_before(rows, day)
    assert_same(new.pedigree, old.pedigree)
    assert new.info == old.info
    assert (new.day, new.note, new.open_problems, new.kinds) == (old.day, old.note, old.open_problems, old.kinds)
    assert new.pedigree.sire_mult.has().any()  # the sample has MULT sires (some shared by litters)
