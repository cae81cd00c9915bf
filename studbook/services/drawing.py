"""`relate` and `pedigree` drawings on the book: typed results for the CLI and the Python API.

The book comes in as a :class:`~studbook.services.pedigree_rows.LoadedPedigree` (one read,
``genetics.load_for_analysis``); the pure code is :mod:`studbook.genetics.paths` (Wright's
paths) and :mod:`studbook.drawing` (graph and DOT text). Graphviz ``dot`` is run here,
as a subprocess, for svg and png.
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import asdict, dataclass
from typing import Any

from ..drawing import AnimalFacts, DrawEdge, DrawNode, descendant_rows, nodes_and_edges, pedigree_graph, to_dot
from ..errors import InvalidInputError, StudbookError
from ..genetics.paths import DEFAULT_MAX_PATHS, Relationship, relate
from .pedigree_rows import LoadedPedigree, resolve_ids

GRAPHVIZ_HINT = ("install Graphviz (Debian/Ubuntu: apt install graphviz; macOS: brew install graphviz), "
                 "or write the DOT text with --format dot")
RENDERED = ("svg", "png")


class GraphvizMissingError(StudbookError):
    """Graphviz ``dot`` is needed (svg, png) but not on PATH."""


@dataclass(frozen=True)
class MultSlot:
    """A MULT parent slot met on the listed paths: its candidates and littermates sharing it."""

    animal: str
    slot: str
    candidates: tuple[tuple[str, float], ...]
    littermates: tuple[str, ...]


@dataclass(frozen=True)
class RelateResult:
    """``studbook relate A B``: φ by the fast kinship and by Wright's paths (which must agree)."""

    a: str
    b: str
    kinship: float
    inbreeding_a: float
    inbreeding_b: float
    relationship: Relationship
    mult_slots: tuple[MultSlot, ...]
    as_of: str | None

    @property
    def paths_sum(self) -> float:
        return self.relationship.paths_sum

    def to_dict(self) -> dict[str, Any]:
        r = self.relationship
        return {
            "a": self.a, "b": self.b, "kinship": self.kinship, "paths_sum": r.paths_sum,
            "complete": r.complete, "max_paths": r.max_paths, "n_paths_listed": len(r.paths),
            "inbreeding_a": self.inbreeding_a, "inbreeding_b": self.inbreeding_b, "as_of": self.as_of,
            "lowest_common_ancestors": list(r.lowest_common_ancestors),
            "common_ancestors": [asdict(c) for c in r.common_ancestors],
            "paths": path_rows(r),
            "mult_parents": [{"animal": m.animal, "slot": m.slot,
                              "candidates": [{"id": c, "probability": p} for c, p in m.candidates],
                              "littermates": list(m.littermates)} for m in self.mult_slots],
        }


def path_rows(r: Relationship) -> list[dict[str, Any]]:
    """One row per path: the path text, its ancestor, legs, MULT choices and contribution."""
    return [{"path": p.text(), "ancestor": p.ancestor, "n1": p.n1, "n2": p.n2,
             "ancestor_F": p.ancestor_inbreeding,
             "mult": "; ".join(f"{s.child}->{s.parent} p={s.probability:g}" + (" (one draw for both)" if s.shared
                                                                              else "") for s in p.steps),
             "weight": p.weight, "contribution": p.contribution} for p in r.paths]


def relate_animals(loaded: LoadedPedigree, a: str, b: str, *, max_paths: int | None = DEFAULT_MAX_PATHS
                   ) -> RelateResult:
    """φ(A, B), its common ancestors and Wright's paths (largest first, at most *max_paths*).

    Raises:
        NotFoundError: A or B is not in the book (on the reference day).
        InvalidInputError: *max_paths* below 1.
    """
    from ..genetics import inbreeding, kinship_matrix

    if max_paths is not None and max_paths < 1:
        raise InvalidInputError(f"--max-paths {max_paths} must be at least 1", "e.g. --max-paths 1000")
    ped = loaded.pedigree
    ia, ib = resolve_ids(ped, [a, b])
    F = inbreeding(ped)
    rel = relate(ped, a, b, inbreeding=F, max_paths=max_paths)
    phi = float(kinship_matrix(ped, [ia, ib])[0, 1])
    on_paths = {x for p in rel.paths for x in (*p.leg_a, *p.leg_b)}
    slots = []
    for sid in sorted(on_paths, key=ped.index_of):
        i = ped.index_of(sid)
        for slot, m in (("sire", ped.sire_mult), ("dam", ped.dam_mult)):
            cands = m.of(i)
            if not cands:
                continue
            lit = m.litters() if hasattr(m, "litters") else None
            mates: tuple[str, ...] = ()
            if lit is not None:
                mates = tuple(ped.ids[j] for j in range(ped.n) if lit[j] == lit[i] and j != i)
            slots.append(MultSlot(sid, slot, tuple((ped.ids[c], p) for c, p in cands), mates))
    return RelateResult(a, b, phi, float(F[ia]), float(F[ib]), rel, tuple(slots),
                        loaded.day.isoformat() if loaded.day else None)


@dataclass(frozen=True)
class PedigreeDrawing:
    """A pedigree drawing: what is drawn (nodes, edges) and its DOT text.

    ``kinship``, ``common`` and ``lowest`` are filled for ``--pair``.
    """

    focus: tuple[str, ...]
    pair: bool
    ancestors: int
    descendants: int
    nodes: tuple[DrawNode, ...]
    edges: tuple[DrawEdge, ...]
    dot: str
    kinship: float | None = None
    common: tuple[str, ...] = ()
    lowest: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"focus": list(self.focus), "pair": self.pair, "ancestors": self.ancestors,
                "descendants": self.descendants, "kinship": self.kinship, "common_ancestors": list(self.common),
                "lowest_common_ancestors": list(self.lowest),
                "nodes": [asdict(n) for n in self.nodes], "edges": [asdict(e) for e in self.edges]}


def _facts(loaded: LoadedPedigree) -> dict[str, AnimalFacts]:
    out = {}
    for sid, inf in loaded.info.items():
        out[sid] = AnimalFacts(inf.house_name, str(inf.birth_date.year) if inf.birth_date else None,
                               inf.fate == "dead")
    return out


def pedigree_drawing(loaded: LoadedPedigree, ids: list[str], *, ancestors: int | None = None,
                     descendants: int = 0, pair: bool = False) -> PedigreeDrawing:
    """Draw one animal (``ids = [ID]``) or a pair (``pair=True``, ``ids = [A, B]``).

    One animal: ``ancestors`` generations up (default 3) and ``descendants`` down.
    A pair: both, their lowest common ancestors and every animal between (common
    ancestors highlighted), plus ``ancestors`` generations above those (default 0).

    Raises:
        NotFoundError: an ID is not in the book.
        InvalidInputError: negative generations, or a pair of one animal twice.
    """
    from ..genetics import inbreeding, kinship_matrix

    if ancestors is None:
        ancestors = 0 if pair else 3
    if ancestors < 0 or descendants < 0:
        raise InvalidInputError("--ancestors and --descendants must be 0 or more", "e.g. --ancestors 3")
    ped = loaded.pedigree
    idx = resolve_ids(ped, ids)
    if pair and idx[0] == idx[1]:
        raise InvalidInputError(f"--pair needs two different animals, got {ids[0]} twice",
                                "e.g. studbook pedigree --pair 1256 1249")
    F = inbreeding(ped)
    g = pedigree_graph(ped, idx, ancestors=ancestors, descendants=0 if pair else descendants, inbreeding=F,
                       facts=_facts(loaded), pair=pair)
    nodes, edges = nodes_and_edges(g)
    order = {f"a:{sid}": k for k, sid in enumerate(ped.ids)}
    nodes.sort(key=lambda n: (order.get(n.key, len(order)), n.key))
    if pair:
        phi = float(kinship_matrix(ped, idx)[0, 1])
        title = f"{ids[0]} and {ids[1]}: kinship {phi:.4f}"
        common = tuple(n.label for n in nodes if n.role in ("common", "lowest"))
        lowest = tuple(n.label for n in nodes if n.role == "lowest")
        return PedigreeDrawing(tuple(ids), True, ancestors, 0, tuple(nodes), tuple(edges), to_dot(g, title),
                               phi, common, lowest)
    title = f"Pedigree of {ids[0]}" + (f" ({loaded.info[ids[0]].house_name})"
                                       if ids[0] in loaded.info and loaded.info[ids[0]].house_name else "")
    return PedigreeDrawing(tuple(ids), False, ancestors, descendants, tuple(nodes), tuple(edges), to_dot(g, title))


def render(dot: str, fmt: str) -> bytes:
    """The DOT text rendered by Graphviz ``dot`` (found on PATH) as svg or png bytes.

    Raises:
        GraphvizMissingError: ``dot`` is not installed (with the install hint).
        StudbookError: ``dot`` failed.
    """
    if fmt not in RENDERED:
        raise InvalidInputError(f"cannot render {fmt!r}", "use svg or png")
    exe = shutil.which("dot")
    if exe is None:
        raise GraphvizMissingError(f"Graphviz `dot` is not installed (needed for --format {fmt})", GRAPHVIZ_HINT)
    try:
        p = subprocess.run([exe, f"-T{fmt}"], input=dot.encode("utf-8"), capture_output=True, timeout=300,
                           check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise StudbookError(f"Graphviz `dot` could not run: {exc}", GRAPHVIZ_HINT) from None
    if p.returncode != 0:
        err = p.stderr.decode("utf-8", "replace").strip().splitlines()
        raise StudbookError(f"Graphviz `dot` failed: {err[0] if err else f'exit {p.returncode}'}",
                            "write the DOT text with --format dot and check it")
    return p.stdout


@dataclass(frozen=True)
class DescendantRow:
    """One descendant in the text tree: generations below the animal, and how it descends."""

    generation: int
    id: str
    sex: str
    birth: str | None
    role: str
    probability: float | None


@dataclass(frozen=True)
class FamilyTrees:
    """The text view of `studbook pedigree ID`: the ancestor tree and the descendants (depth first)."""

    ancestors: Any  # services.animals.PedigreeNode
    descendants: tuple[DescendantRow, ...]


def family_trees(session: Any, studbook_id: str, ancestors: int, descendants: int = 0) -> FamilyTrees:
    """Ancestors *ancestors* generations deep (``animals.pedigree_tree``) and descendants down to *descendants*."""
    from . import animals

    if descendants < 0:
        raise InvalidInputError(f"--descendants {descendants} must be 0 or more", "e.g. --descendants 2")
    tree = animals.pedigree_tree(session, studbook_id, ancestors)
    rows: list[DescendantRow] = []
    if descendants:
        from .analysis import load_pedigree

        loaded = load_pedigree(session)
        ped = loaded.pedigree
        (i,) = resolve_ids(ped, [tree.studbook_id or studbook_id])
        for depth, c, role, prob in descendant_rows(ped, i, descendants):
            sid = ped.ids[c]
            inf = loaded.info.get(sid)
            rows.append(DescendantRow(depth, sid, inf.sex if inf else "U",
                                      str(inf.birth_date) if inf and inf.birth_date else None, role, prob))
    return FamilyTrees(tree, tuple(rows))
