"""Pedigree construction, validation and queries."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from pedigree_gallery import load_records, pedigree_names
from strategies import pedigree_records

from studbook.errors import NotFoundError, PedigreeError
from studbook.pedigree import Pedigree
from studbook.pedigree import PedigreeRecord as R


def test_orders_parents_first_and_keeps_input_order():
    ped = Pedigree.from_records([R("E", "C", "D"), R("A", sex="M"), R("B", sex="F"),
                                 R("X"), R("C", "A", "B", sex="M"), R("D", "A", "B", sex="F")])
    pos = {x: i for i, x in enumerate(ped.ids)}
    for child, par in (("C", "A"), ("C", "B"), ("E", "C"), ("E", "D")):
        assert pos[par] < pos[child]
    # already sorted input keeps its order exactly
    sorted_recs = [R("A", sex="M"), R("B", sex="F"), R("C", "A", "B")]
    assert Pedigree.from_records(sorted_recs).ids == ("A", "B", "C")


def test_stable_order_moves_parent_just_before_first_child():
    ped = Pedigree.from_records([R("A"), R("C", "B"), R("D"), R("B", sex="M")])
    assert ped.ids == ("A", "B", "C", "D")


def test_arrays_read_only_and_invariant_checked():
    ped = Pedigree.from_records([R("A", sex="M"), R("B", sex="F"), R("C", "A", "B")])
    with pytest.raises(ValueError):
        ped.sire[2] = 1
    with pytest.raises(ValueError):
        Pedigree(ids=("A", "B"), sire=np.array([1, -1]), dam=np.array([-1, -1]),
                 sex=np.zeros(2), alive=np.zeros(2), in_analysis=np.ones(2),
                 sire_wild=np.zeros(2), dam_wild=np.zeros(2), birth_year=np.zeros(2),
                 founder_inbreeding=np.zeros(2), sire_mult=ped.sire_mult.empty(2),
                 dam_mult=ped.dam_mult.empty(2))


def test_collects_every_problem():
    recs = [
        R("A", sex="M"), R("A", sex="F"),                      # duplicate
        R("B", sex="F"), R("C", "Z", "B"),                     # missing parent Z
        R("D", "B", "A"),                                      # sire female, dam male
        R("E", "A", "A"),                                      # same as sire and dam
        R("P", "Q", None, sex="M"), R("Q", "P", None, sex="M"),  # cycle
        R("S", "S"),                                           # own parent
        R("M", sire_mult=(("A", 0.5), ("P", 0.4))),            # MULT sum
        R("N", sire_mult=(("A", 1.5), ("P", -0.5))),           # MULT <= 0
        R("W", "A", sire_wild=True),                           # wild + id
        R("I", "A", founder_inbreeding=0.25),                  # F for non-founder
    ]
    with pytest.raises(PedigreeError) as exc:
        Pedigree.from_records(recs)
    text = "\n".join(exc.value.problems)
    for needle in ("duplicate id 'A'", "'Z' is not in the records", "is F, not male",
                   "is M, not female", "both sire and dam", "cycle", "'P'", "'Q'",
                   "its own sire", "sum to 0.9", "must be > 0", "WILD", "founder inbreeding"):
        assert needle in text, needle
    assert exc.value.hint


def test_rejects_hinterwald_with_errors():
    with pytest.raises(PedigreeError) as exc:
        Pedigree.from_records(load_records("optisel_hinterwald_errors", living=[]))
    assert len(exc.value.problems) > 10
    assert any("duplicate" in p or "not in the records" in p or "not male" in p
               or "not female" in p or "cycle" in p for p in exc.value.problems)


def test_index_queries_and_not_found():
    ped = Pedigree.from_records([R("A", sex="M", alive=True), R("B", sex="F"),
                                 R("C", "A", "B", alive=True, in_analysis=False),
                                 R("D", sire_mult=(("A", 1.0),), alive=True)])
    assert ped.index_of("C") == 2
    assert ped.indices(["C", "A"]).tolist() == [2, 0]
    assert ped.living.tolist() == [0, 3]
    assert ped.founders.tolist() == [0, 1]  # D has a MULT sire: not a founder
    with pytest.raises(NotFoundError):
        ped.index_of("nope")
    with pytest.raises(NotFoundError) as exc:
        ped.indices(["A", "x", "y"])
    assert "'x'" in exc.value.reason and exc.value.hint


def test_ancestors_mask():
    ped = Pedigree.from_records([R("A", sex="M"), R("B", sex="F"), R("X"),
                                 R("C", "A", "B", sex="M"), R("D", sire_mult=(("C", 1.0),))])
    m = ped.ancestors_mask([ped.index_of("D")])
    assert {ped.ids[i] for i in np.flatnonzero(m)} == {"A", "B", "C", "D"}


@pytest.mark.parametrize("name", pedigree_names())
def test_gallery_loads_parents_first(name):
    ped = Pedigree.from_records(load_records(name))
    assert np.all(ped.sire < np.arange(ped.n)) and np.all(ped.dam < np.arange(ped.n))


@settings(max_examples=40, deadline=None)
@given(pedigree_records())
def test_roundtrip_and_reorder(recs):
    ped = Pedigree.from_records(recs)
    again = Pedigree.from_records(ped.to_records())
    assert again.ids == ped.ids
    rev = ped.reordered(np.arange(ped.n)[::-1])
    assert sorted(rev.ids) == sorted(ped.ids)
    for i in range(rev.n):
        s = rev.sire[i]
        assert s < i
        j = ped.index_of(rev.ids[i])
        assert (s < 0 and ped.sire[j] < 0) or rev.ids[s] == ped.ids[ped.sire[j]]
