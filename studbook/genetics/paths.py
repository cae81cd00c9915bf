"""Kinship explained: Wright's path method on the ancestor graph.

Definition (Wright 1922): the kinship of A and B is the sum, over their common
ancestors C and over every pair of paths A → C and B → C (the *legs*) that share
no animal except C, of::

    (½)^(n1 + n2 + 1) (1 + F_C)  =  (½)^n1 (½)^n2 · φ_CC,

where n1, n2 count the generations of the two legs and F_C is the inbreeding of
C. A may equal B (one empty pair of legs: φ_AA = ½(1 + F_A)), and one may be an
ancestor of the other (that leg is empty).

MULT parents. A MULT slot stands for *one* unknown parent, candidate c_k with
probability π_k, shared by the littermates of one mating (Lacy 2012;
:mod:`studbook.genetics._graph`). In the graph it is a *litter node* V between
the litter and its candidates: the step child → V is a generation (½), the
step V → c_k weighs π_k. So:

* a leg through a MULT slot to candidate c_k is weighted by π_k;
* two legs that meet at a litter node (they come from two littermates) meet at
  one parent drawn once: the meeting splits into one path per candidate c_k,
  weighted by π_k once (not π_k²), with ancestor c_k; legs never continue
  through a litter node they share;
* a MULT slot of its own (no littermates) can only be reached by both legs
  through its one child, where they have already met, so it behaves like the
  first rule.

A path's contribution is therefore ``Π π (½)^(n1+n2+1) (1 + F_C)``, π over the
MULT choices of the path. This is exact, never an approximation: expanding
φ(x, y) = Σ_parents ½ φ(parent, y), always on the younger of the two nodes (a
litter node counts as just older than its first animal), with φ(V, y) =
Σ_k π_k φ(c_k, y) and φ(V, V) = Σ_k π_k φ(c_k, c_k), gives exactly these pairs
of legs, and these equations are the ones the fast kinship solves. So every
MULT case is a path sum. An unknown or WILD parent is a phantom founder related
to nobody: no path goes through it.

The ancestor graph is a :class:`networkx.DiGraph` (child → parent edges with the
slot and the probability); ancestor sets, lowest common ancestors and the legs
(simple paths of that graph) come from it. Paths are listed largest
contribution first (best-first search, so a cap keeps the most important
ones); when there are more than ``max_paths``, the result says it is
incomplete and the listed paths explain only part of φ.

References:
    Wright, S. (1922) Coefficients of inbreeding and relationship. Am. Nat.
    56:330–338.
    Lacy, R.C. (2012) Extending pedigree analysis for uncertain parentage and
    diverse breeding strategies. J. Hered. 103:197–205.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import count
from typing import Any

import numpy as np
from numpy.typing import NDArray

from studbook.pedigree import MultParents, Pedigree

DEFAULT_MAX_PATHS = 1000
"""Paths listed by :func:`relate` unless told otherwise."""


@dataclass(frozen=True)
class Step:
    """A MULT choice of a path: ``child`` → candidate ``parent`` with ``probability``.

    ``shared``: both legs meet at this MULT parent (``child`` then names the two
    littermates, ``"A/B"``), so the candidate is drawn once for both.
    """

    child: str
    parent: str
    role: str
    probability: float
    shared: bool = False


@dataclass(frozen=True)
class KinshipPath:
    """One of Wright's paths: two legs meeting at the common ancestor.

    Attributes:
        ancestor: The common ancestor C.
        leg_a: Animals from A up to C (both included; just ``(C,)`` when A is C).
        leg_b: Animals from B up to C.
        steps: The MULT choices (candidate parents) of the path, with their probabilities.
        weight: Product of those probabilities (1 without MULT).
        ancestor_inbreeding: F_C.
        contribution: ``weight · (½)^(n1+n2+1) · (1 + F_C)``.
    """

    ancestor: str
    leg_a: tuple[str, ...]
    leg_b: tuple[str, ...]
    steps: tuple[Step, ...]
    weight: float
    ancestor_inbreeding: float
    contribution: float

    @property
    def n1(self) -> int:
        """Generations of leg A."""
        return len(self.leg_a) - 1

    @property
    def n2(self) -> int:
        """Generations of leg B."""
        return len(self.leg_b) - 1

    def text(self) -> str:
        """``A-X-C-Y-B``: leg A up to C, then down leg B."""
        return "-".join([*self.leg_a, *reversed(self.leg_b[:-1])])


@dataclass(frozen=True)
class CommonAncestor:
    """A common ancestor of A and B and what its listed paths contribute."""

    id: str
    inbreeding: float
    lowest: bool
    n_paths: int
    contribution: float


@dataclass(frozen=True)
class Relationship:
    """φ(A, B) explained by Wright's paths (see the module docs).

    Attributes:
        a, b: The two animals (labels).
        paths: Listed paths, largest contribution first.
        common_ancestors: Every common ancestor (A or B included when one is an
            ancestor of the other) with its listed paths' share, largest first.
        lowest_common_ancestors: Common ancestors none of whose descendants is a
            common ancestor, oldest first.
        complete: All paths are listed (False when ``max_paths`` stopped the search).
        max_paths: The cap used (None = none).
    """

    a: str
    b: str
    paths: tuple[KinshipPath, ...]
    common_ancestors: tuple[CommonAncestor, ...]
    lowest_common_ancestors: tuple[str, ...]
    complete: bool
    max_paths: int | None

    @property
    def paths_sum(self) -> float:
        """Σ contributions of the listed paths (φ_AB when ``complete``)."""
        return math.fsum(p.contribution for p in self.paths)


def _litters(m: MultParents) -> NDArray[np.int32]:
    lit = getattr(m, "litters", None)  # littermates sharing one MULT parent (older pedigrees: none)
    return lit() if lit is not None else np.where(m.has(), np.arange(len(m.ptr) - 1), -1).astype(np.int32)


def animal_node(i: int) -> int:
    """Node of animal ``i`` in :func:`ancestor_graph` (litter nodes sit just below their first animal)."""
    return 3 * i


def ancestor_graph(ped: Pedigree, idx: Sequence[int]) -> Any:
    """The ancestors of ``idx`` (themselves included) as a ``networkx.DiGraph``.

    Node ``3i`` is animal ``i`` (``kind="animal"``, ``label``); node ``3l − 2`` / ``3l − 1``
    is the MULT sire / dam *litter node* of the litter whose first animal is ``l``
    (``kind="mult"``). Numbers grow from old to young, so a parent's node is always
    smaller than its child's. Edges go child → parent with ``role``, ``probability``
    (1 for a parent slot, π_k for a MULT candidate) and ``weight`` (½ per generation,
    π_k per candidate).
    """
    import networkx as nx

    g = nx.DiGraph()
    sl, dl = _litters(ped.sire_mult), _litters(ped.dam_mult)
    for i in np.flatnonzero(ped.ancestors_mask(list(idx))).tolist():
        g.add_node(3 * i, label=ped.ids[i], kind="animal", index=i)
        for slot, known, mult, lit, off in (("sire", ped.sire, ped.sire_mult, sl, 2),
                                           ("dam", ped.dam, ped.dam_mult, dl, 1)):
            p = int(known[i])
            if p >= 0:
                g.add_edge(3 * i, 3 * p, role=slot, probability=1.0, weight=0.5)
            elif lit[i] >= 0:
                leader = int(lit[i])
                v = 3 * leader - off
                if v not in g:
                    g.add_node(v, label=f"MULT {slot} of {ped.ids[leader]}", kind="mult", index=leader)
                    for c, prob in mult.of(leader):
                        g.add_edge(v, 3 * c, role=f"{slot} candidate", probability=prob, weight=prob)
                g.add_edge(3 * i, v, role=slot, probability=1.0, weight=0.5)
    return g


_Item = tuple[float, int, bool, int, int, tuple[int, ...], tuple[int, ...], float, tuple[Step, ...]]


def relate(ped: Pedigree, a: str, b: str, *, inbreeding: NDArray[np.float64] | None = None,
           max_paths: int | None = DEFAULT_MAX_PATHS) -> Relationship:
    """Kinship φ(A, B) as Wright's sum of paths through the common ancestors.

    φ_AB = Σ_C Σ_(legs sharing only C) Π π (½)^(n1+n2+1)(1 + F_C), the product over
    the path's MULT choices (module docs; Wright 1922, Lacy 2012).

    Args:
        ped: The pedigree.
        a, b: Studbook labels (may be equal; one may be an ancestor of the other).
        inbreeding: F of every animal (default: :func:`studbook.genetics.inbreeding`).
        max_paths: List at most this many paths (largest first); None = all.

    Returns:
        The :class:`Relationship`; ``paths_sum`` equals φ_AB when ``complete``.

    Raises:
        NotFoundError: A or B is not in the pedigree.

    Example:
        Half sibs C, D of sire A: one path C-A-D, φ = (½)³ = 1/8.

        >>> from studbook.pedigree import PedigreeRecord as R
        >>> ped = Pedigree.from_records([R("A", sex="M"), R("B", sex="F"), R("X", sex="F"),
        ...     R("C", "A", "B"), R("D", "A", "X")])
        >>> r = relate(ped, "C", "D")
        >>> [p.text() for p in r.paths], r.paths_sum, r.complete
        (['C-A-D'], 0.125, True)
    """
    import networkx as nx

    ia, ib = ped.index_of(a), ped.index_of(b)
    if inbreeding is None:
        from studbook.genetics.inbreeding import inbreeding as compute_f

        inbreeding = compute_f(ped)
    F = inbreeding
    g = ancestor_graph(ped, [ia, ib])
    na, nb = 3 * ia, 3 * ib
    animals = {v for v, k in g.nodes(data="kind") if k == "animal"}
    common = (nx.descendants(g, na) | {na}) & (nx.descendants(g, nb) | {nb}) & animals
    lowest = {c for c in common if not (nx.ancestors(g, c) & common)}
    bits: dict[int, int] = {}  # ancestor sets as bitsets: can a state still meet?
    for v in sorted(g.nodes):
        m = 1 << v
        for p in g.successors(v):
            m |= bits[p]
        bits[v] = m
    ids, label = ped.ids, g.nodes

    def lab(v: int) -> str:
        return str(label[v]["label"])

    paths: list[KinshipPath] = []
    tie = count()
    heap: list[_Item] = []  # (-bound, tie, done, x, y, leg_x, leg_y, weight, steps)

    def push(key: float, done: bool, x: int, y: int, lx: tuple[int, ...], ly: tuple[int, ...], w: float,
             steps: tuple[Step, ...]) -> None:
        heapq.heappush(heap, (-key, next(tie), done, x, y, lx, ly, w, steps))

    if bits[na] & bits[nb]:
        push(1.0, False, na, nb, (na,), (nb,), 1.0, ())
    budget = None if max_paths is None else 200 * max_paths + 10_000
    pops = 0
    while heap and (max_paths is None or len(paths) < max_paths):
        item = heapq.heappop(heap)
        neg, _, done, x, y, lx, ly, w, steps = item
        pops += 1
        if budget is not None and pops > budget:
            heapq.heappush(heap, item)
            break
        if done:
            paths.append(KinshipPath(lab(x), tuple(lab(v) for v in lx if v in animals),
                                     tuple(lab(v) for v in ly if v in animals), steps,
                                     float(math.prod(s.probability for s in steps)), float(F[x // 3]), -neg))
            continue
        if x == y and x in animals:  # met at an animal: φ_CC = ½(1 + F_C)
            push(w * 0.5 * (1.0 + float(F[x // 3])), True, x, y, lx, ly, w, steps)
            continue
        if x == y:  # met at a shared MULT parent: one draw for both legs
            kids = f"{lab(lx[-2])}/{lab(ly[-2])}"
            for c, data in g[x].items():
                p = float(data["probability"])
                st = (*steps, Step(kids, lab(c), str(data["role"]), p, shared=True))
                push(w * p * 0.5 * (1.0 + float(F[c // 3])), True, c, c, (*lx, c), (*ly, c), w * p, st)
            continue
        on_x = x > y  # expand the younger node
        v, other = (x, y) if on_x else (y, x)
        for p, data in g[v].items():
            if not bits[p] & bits[other]:
                continue
            nw = w * float(data["weight"])
            st = steps
            if g.nodes[v]["kind"] == "mult":
                st = (*steps, Step(lab((lx if on_x else ly)[-2]), lab(p), str(data["role"]),
                                   float(data["probability"])))
            leg = (*(lx if on_x else ly), p)
            if on_x:
                push(nw, False, p, y, leg, ly, nw, st)
            else:
                push(nw, False, x, p, lx, leg, nw, st)
    complete = not heap
    per: dict[str, list[float]] = {}
    for pth in paths:
        per.setdefault(pth.ancestor, []).append(pth.contribution)
    cas = [CommonAncestor(ids[c // 3], float(F[c // 3]), c in lowest, len(per.get(ids[c // 3], [])),
                          math.fsum(per.get(ids[c // 3], []))) for c in common]
    cas.sort(key=lambda c: (-c.contribution, c.id))
    return Relationship(a, b, tuple(paths), tuple(cas), tuple(ids[c // 3] for c in sorted(lowest)),
                        complete, max_paths)
