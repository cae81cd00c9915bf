"""Loops in a pedigree (an animal among its own ancestors), found in linear time.

Pure functions over plain mappings (no database, no CLI): the book rules, the
pedigree CSV reader and anyone else can use them.

The method is one topological sort of the whole pedigree (Kahn's algorithm over the
parent -> child edges): an animal is taken once all its parents are taken, so an
animal that is never taken is on a loop or descends from one. Only those leftover
animals are searched further, for their strongly connected parts (iterative
Tarjan), which are the loops themselves. Both steps are O(animals + parent links),
against O(animals x ancestors) for walking every animal's ancestors.

Use: the book rules compute the set once per ``check_book`` call, over the animals
of the Book they check (``find_pedigree_loops({sid: parents_of(a) for sid, a in
book.animals.items()})``), and report P05 for a checked animal in the set; the CSV
reader (:mod:`studbook.io.pedigree_csv`) reports and breaks each knot of
:func:`pedigree_knots`.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Iterator, Mapping
from typing import TypeVar

__all__ = ["find_pedigree_loops", "pedigree_knots", "unsorted_animals"]

K = TypeVar("K", bound=Hashable)


def _graph(parents: Mapping[K, Iterable[K]]) -> dict[K, tuple[K, ...]]:
    """Each animal's parents that are animals of the mapping (others cannot be on a loop)."""
    return {v: tuple(p for p in ps if p in parents) for v, ps in parents.items()}


def unsorted_animals(parents: Mapping[K, Iterable[K]]) -> set[K]:
    """The animals a topological sort cannot place: those on a loop and their descendants.

    Kahn's algorithm: every animal starts with the number of its parent links; an
    animal whose parents are all placed is placed and releases its children. A
    parent that is not a key of ``parents`` has no known parents of its own, so it
    counts as placed. An animal given as both sire and dam counts twice, in both
    directions, so it is placed all the same.
    """
    return _unsorted(_graph(parents))


def _unsorted(graph: dict[K, tuple[K, ...]]) -> set[K]:
    waiting = {v: len(ps) for v, ps in graph.items()}
    children: dict[K, list[K]] = {}
    for v, ps in graph.items():
        for p in ps:
            children.setdefault(p, []).append(v)
    ready = [v for v, n in waiting.items() if n == 0]
    while ready:
        v = ready.pop()
        for c in children.get(v, ()):
            waiting[c] -= 1
            if waiting[c] == 0:
                ready.append(c)
    return {v for v, n in waiting.items() if n > 0}


def pedigree_knots(parents: Mapping[K, Iterable[K]]) -> list[set[K]]:
    """The knots of the pedigree: strongly connected sets of animals that contain a loop.

    A knot is either several animals that are each other's ancestors, or a single
    animal that is its own parent. Every animal on a loop is in exactly one knot;
    animals that only descend from a loop are in none. Knots are listed in the
    order Tarjan's algorithm closes them (ancestor knots before descendant knots).
    """
    graph = _graph(parents)
    left = _unsorted(graph)
    if not left:
        return []
    sub = {v: tuple(p for p in graph[v] if p in left) for v in graph if v in left}
    return [knot for knot in _components(sub) if len(knot) > 1 or any(p in knot for p in sub[next(iter(knot))])]


def find_pedigree_loops(parents: Mapping[str, Iterable[str]]) -> set[str]:
    """The animals that are their own ancestors (on a loop of the pedigree).

    Args:
        parents: every animal of the book (or of the part of it being checked)
            mapped to its possible parents: sire, dam and any MULT candidates
            (``records.parents_of``). Parents that are not keys of the mapping are
            taken to have no known parents; empty values and duplicates are fine.

    Returns:
        The set of animals ``a`` for which following parent links from ``a`` leads
        back to ``a``, self-parents included. Animals that only descend from a loop
        are not in it. This is exactly the set for which walking each animal's
        ancestors with a visited set would find the animal itself, computed with
        one topological sort of the whole pedigree plus a strongly-connected-part
        search of the few animals the sort leaves over: O(animals + parent links).

    Example:
        >>> sorted(find_pedigree_loops({"a": ["b"], "b": ["a"], "c": ["a", "x"], "d": ["d"]}))
        ['a', 'b', 'd']
    """
    out: set[str] = set()
    for knot in pedigree_knots(parents):
        out |= knot
    return out


def _components(graph: Mapping[K, tuple[K, ...]]) -> Iterator[set[K]]:
    """Strongly connected components of ``graph`` (iterative Tarjan, edges child -> parent)."""
    order: dict[K, int] = {}
    low: dict[K, int] = {}
    stack: list[K] = []
    on_stack: set[K] = set()
    for root in graph:
        if root in order:
            continue
        order[root] = low[root] = len(order)
        stack.append(root)
        on_stack.add(root)
        work: list[tuple[K, Iterator[K]]] = [(root, iter(graph[root]))]
        while work:
            v, it = work[-1]
            for w in it:
                if w not in order:
                    order[w] = low[w] = len(order)
                    stack.append(w)
                    on_stack.add(w)
                    work.append((w, iter(graph[w])))
                    break
                if w in on_stack:
                    low[v] = min(low[v], order[w])
            else:
                work.pop()
                if work:
                    u = work[-1][0]
                    low[u] = min(low[u], low[v])
                if low[v] == order[v]:
                    component: set[K] = set()
                    while True:
                        w = stack.pop()
                        on_stack.discard(w)
                        component.add(w)
                        if w == v:
                            break
                    yield component
