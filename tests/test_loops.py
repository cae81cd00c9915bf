"""studbook.loops against a plain, obviously correct twin.

The twin walks each animal's ancestors with a visited set and says whether it meets
the animal again: O(animals x ancestors), the way the rules found loops before.
The linear version (one topological sort, then strongly connected parts of the
leftover) must give exactly the same set, on the reference pedigrees (clean, with
the deliberate errors of optiSel's herdbook, and with loops added) and on random
graphs with and without loops.
"""

from __future__ import annotations

import csv
import random
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from pedigree_gallery import pedigree_dir, pedigree_names
from strategies import pedigree_records

from studbook.loops import find_pedigree_loops, pedigree_knots, unsorted_animals
from studbook.pedigree import PedigreeRecord

# --- the twins ------------------------------------------------------------------


def twin_loops(parents: dict[str, list[str]]) -> set[str]:
    """Animals found among their own ancestors by walking every animal's ancestors."""
    out = set()
    for animal in parents:
        seen: set[str] = set()
        stack = list(parents[animal])
        while stack:
            p = stack.pop()
            if p == animal:
                out.add(animal)
                break
            if p in seen or p not in parents:
                continue
            seen.add(p)
            stack.extend(parents[p])
    return out


def twin_ancestors(parents: dict[str, list[str]], animal: str) -> set[str]:
    seen: set[str] = set()
    stack = list(parents[animal])
    while stack:
        p = stack.pop()
        if p in seen or p not in parents:
            continue
        seen.add(p)
        stack.extend(parents[p])
    return seen


def check_against_twins(parents: dict[str, list[str]]) -> set[str]:
    loops = find_pedigree_loops(parents)
    assert loops == twin_loops(parents)
    knots = pedigree_knots(parents)
    assert set().union(*knots) == loops
    assert sum(len(k) for k in knots) == len(loops)  # disjoint
    for knot in knots:  # each knot: its animals are each other's ancestors
        some = next(iter(knot))
        assert knot <= twin_ancestors(parents, some) | {some}
        assert all(some in twin_ancestors(parents, other) for other in knot)
    below = {a for a in parents if a in loops or twin_ancestors(parents, a) & loops}
    assert unsorted_animals(parents) == below
    return loops


# --- inputs ---------------------------------------------------------------------


def csv_parents(name: str) -> dict[str, list[str]]:
    with (pedigree_dir() / f"{name}.csv").open(encoding="utf-8", newline="") as fh:
        return {row["id"]: [p for p in (row["sire"], row["dam"]) if p] for row in csv.DictReader(fh)}


def record_parents(records: list[PedigreeRecord]) -> dict[str, list[str]]:
    """Every possible parent of each record, as the rules see them (known parents and MULT candidates)."""
    return {r.id: [p for p in (r.sire, r.dam) if p] + [c for c, _ in (*r.sire_mult, *r.dam_mult)] for r in records}


# --- reference pedigrees ----------------------------------------------------------


@pytest.mark.parametrize("name", pedigree_names())
def test_clean_reference_pedigrees_have_no_loops(name):
    parents = csv_parents(name)
    assert check_against_twins(parents) == set()
    assert unsorted_animals(parents) == set()


def test_herdbook_with_deliberate_errors():
    # optiSel's PedigWithErrors has loops and an animal that is its own dam.
    parents = csv_parents("optisel_hinterwald_errors")
    loops = check_against_twins(parents)
    assert loops
    assert "276000811476506" in loops  # its own dam: a loop of one


@pytest.mark.parametrize("name", pedigree_names())
def test_reference_pedigrees_with_a_loop_added(name):
    # The last animal with a known parent becomes a parent of one of its founder ancestors:
    # the whole line from that founder down to the animal is then a loop.
    parents = csv_parents(name)
    child = next(a for a in reversed(list(parents)) if parents[a])
    line = twin_ancestors(parents, child)
    founder = min(a for a in line if not parents[a])
    parents[founder] = [child]
    loops = check_against_twins(parents)
    assert founder in loops and child in loops
    assert loops <= line | {child}


def test_long_chain_is_handled_without_recursion():
    n = 100_000
    parents = {f"a{i}": [f"a{i - 1}"] if i else [] for i in range(n)}
    assert find_pedigree_loops(parents) == set()
    parents["a0"] = [f"a{n - 1}"]
    assert len(find_pedigree_loops(parents)) == n
    parents["a0"] = [f"a{n // 2}"]
    assert find_pedigree_loops(parents) == {f"a{i}" for i in range(n // 2 + 1)}
    assert len(unsorted_animals(parents)) == n


def test_pure_module():
    code = ("import sys, studbook.loops; print(sorted(m for m in ('sqlalchemy', 'click', 'rich', 'numpy', "
            "'networkx', 'studbook.records', 'studbook.rules') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=Path(__file__).resolve().parents[1])
    assert out.stdout.strip() == "[]"


def test_small_cases():
    assert find_pedigree_loops({}) == set()
    assert find_pedigree_loops({"a": ["a"]}) == {"a"}  # its own parent
    assert find_pedigree_loops({"a": ["b", "b"], "b": []}) == set()  # same animal as sire and dam
    assert find_pedigree_loops({"a": ["b", "b"], "b": ["a"]}) == {"a", "b"}
    assert find_pedigree_loops({"a": ["x"], "b": ["x", "a"]}) == set()  # x has no row
    assert find_pedigree_loops({"a": iter(["b"]), "b": ("a",), "c": {"a"}}) == {"a", "b"}  # any iterables
    between = {"a": ["b"], "b": ["a"], "c": ["b"], "d": ["c", "e"], "e": ["d"]}  # c: below one loop, above another
    assert check_against_twins(between) == {"a", "b", "d", "e"}
    assert unsorted_animals(between) == {"a", "b", "c", "d", "e"}


# --- random graphs ----------------------------------------------------------------


@st.composite
def parent_maps(draw: st.DrawFn, *, acyclic: bool) -> dict[str, list[str]]:
    """Animals with 0-4 parents (MULT candidates included). ``acyclic``: only earlier animals
    are parents; otherwise any animal, itself included. Some parents have no row."""
    n = draw(st.integers(0, 30))
    ids = [f"a{i}" for i in range(n)]
    outside = ["x1", "x2"]
    parents: dict[str, list[str]] = {}
    for i, animal in enumerate(ids):
        pool = (ids[:i] if acyclic else ids) + outside
        parents[animal] = draw(st.lists(st.sampled_from(pool), max_size=4))
    order = draw(st.permutations(ids))  # row order must not matter
    return {a: parents[a] for a in order}


@settings(max_examples=300, deadline=None)
@given(parent_maps(acyclic=True))
def test_random_graphs_without_loops(parents):
    assert check_against_twins(parents) == set()


@settings(max_examples=300, deadline=None)
@given(parent_maps(acyclic=False))
def test_random_graphs_with_loops(parents):
    assume(twin_loops(parents))
    assert check_against_twins(parents)


@settings(max_examples=200, deadline=None)
@given(parent_maps(acyclic=False))
def test_random_graphs_any(parents):
    check_against_twins(parents)


@settings(max_examples=150, deadline=None)
@given(pedigree_records(max_size=30))
def test_generated_pedigrees_have_no_loops(records):
    assert check_against_twins(record_parents(records)) == set()


@settings(max_examples=150, deadline=None)
@given(pedigree_records(min_size=2, max_size=30), st.randoms(use_true_random=False))
def test_generated_pedigrees_with_a_loop(records, rnd: random.Random):
    # Make an ancestor of some animal one of its children: every animal on the path is then on a loop.
    parents = record_parents(records)
    with_parents = [a for a in parents if parents[a]]
    assume(with_parents)
    child = rnd.choice(with_parents)
    ancestor = rnd.choice(sorted(twin_ancestors(parents, child)))
    parents[ancestor] = [*parents[ancestor], child]
    loops = check_against_twins(parents)
    assert {child, ancestor} <= loops
