"""Pedigree drawings: a networkx graph of the animals to draw, and its Graphviz DOT text.

Pure: a :class:`~studbook.pedigree.Pedigree` and display facts in, a graph and text
out (rendering the DOT text with Graphviz is the services' business).

Symbols (``docs/pedigree-drawings.md``):

* males are squares, females circles, unknown sex diamonds;
* dead animals are grey, with ``†`` before the ID;
* every animal shows its inbreeding coefficient F;
* a WILD parent is a green triangle ``WILD``, an unknown parent a dotted box ``UNK``
  (each a unique founder, drawn once per slot; one mark when both slots are alike);
* MULT candidate parents are joined by dashed edges labelled with their probability;
* the focus animals are yellow; common ancestors (``--pair``) have a red border, the
  lowest common ancestors are also filled pink.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from studbook.pedigree import SEX_LABELS, Pedigree

SHAPES = {"M": "square", "F": "circle", "U": "diamond"}


@dataclass(frozen=True)
class AnimalFacts:
    """What a drawing shows of an animal besides its parents."""

    name: str | None = None
    birth: str | None = None
    dead: bool = False


@dataclass(frozen=True)
class DrawNode:
    """One node: an animal (``kind='animal'``) or a WILD/UNK founder mark.

    ``role``: focus, common (common ancestor), lowest (lowest common ancestor),
    ancestor, descendant, mate or parent-mark.
    """

    key: str
    label: str
    kind: str
    sex: str
    role: str
    dead: bool = False
    inbreeding: float | None = None
    name: str | None = None
    birth: str | None = None


@dataclass(frozen=True)
class DrawEdge:
    """Parent → child; ``probability`` is set for a MULT candidate (dashed), None otherwise."""

    parent: str
    child: str
    role: str
    probability: float | None = None


def _children(ped: Pedigree) -> list[list[int]]:
    kids: list[list[int]] = [[] for _ in range(ped.n)]
    for i in range(ped.n):
        for p in _parents(ped, i):
            kids[p[0]].append(i)
    return kids


def _parents(ped: Pedigree, i: int) -> list[tuple[int, str, float | None]]:
    """(parent, role, probability) of ``i``: known parents (None) and MULT candidates (π)."""
    out: list[tuple[int, str, float | None]] = []
    for slot, known, mult in (("sire", ped.sire, ped.sire_mult), ("dam", ped.dam, ped.dam_mult)):
        if known[i] >= 0:
            out.append((int(known[i]), slot, None))
        out.extend((c, slot, p) for c, p in mult.of(i))
    return out


def _marks(ped: Pedigree, i: int) -> list[tuple[str, str]]:
    """WILD/UNK founder marks of ``i``'s empty slots: (kind, slots) with slots 'sire', 'dam' or 'parents'."""
    kinds: list[tuple[str, str | None]] = []
    for slot, known, wild, mult in (("sire", ped.sire, ped.sire_wild, ped.sire_mult),
                                    ("dam", ped.dam, ped.dam_wild, ped.dam_mult)):
        if known[i] >= 0 or mult.of(i):
            kinds.append((slot, None))
        else:
            kinds.append((slot, "WILD" if wild[i] else "UNK"))
    (_, ks), (_, kd) = kinds
    if ks is not None and ks == kd:
        return [(ks, "parents")]
    return [(k, slot) for slot, k in kinds if k is not None]


def pedigree_graph(ped: Pedigree, focus: Sequence[int], *, ancestors: int, descendants: int = 0,
                   inbreeding: np.ndarray | None = None, facts: Mapping[str, AnimalFacts] | None = None,
                   pair: bool = False) -> Any:
    """The animals to draw as a ``networkx.DiGraph`` (edges parent → child).

    Single animals: ``focus``, their ancestors up to ``ancestors`` generations (MULT
    candidates included, WILD/UNK marks for empty slots) and their descendants up to
    ``descendants`` generations with the descendants' other parents (``mate``).

    ``pair=True`` (two focus animals): the two, their lowest common ancestors and every
    animal on a line of descent between them; common ancestors highlighted; then
    ``ancestors`` more generations above the lowest common ancestors.

    Node attributes are the fields of :class:`DrawNode`; edge attributes those of
    :class:`DrawEdge`. Keys: ``a:<id>`` for animals, ``wild:<id>:<slot>``/``unk:…`` for marks.
    """
    import networkx as nx

    facts = facts or {}
    F = inbreeding
    ids = ped.ids
    g = nx.DiGraph()
    role: dict[int, str] = {}
    frontier: dict[int, int] = {}  # animal -> generations still to draw above it
    common: np.ndarray | None = None

    if pair:
        a, b = focus
        anc_a, anc_b = ped.ancestors_mask(a), ped.ancestors_mask(b)
        common = anc_a & anc_b
        idx_common = np.flatnonzero(common).tolist()
        below = {p for i in idx_common for p, _, _ in _parents(ped, i) if common[p]}
        lowest = [i for i in idx_common if i not in below]  # no common ancestor among its children
        on = np.zeros(ped.n, dtype=bool)
        on[lowest] = True
        for i in np.flatnonzero(anc_a | anc_b).tolist():  # parents first
            if any(on[p] for p, _, _ in _parents(ped, i)):
                on[i] = True
        for i in np.flatnonzero(on).tolist():
            role[i] = "lowest" if i in lowest else ("common" if common[i] else "ancestor")
        for i in lowest:
            frontier[i] = ancestors
    else:
        for i in focus:
            frontier[i] = ancestors
    for i in focus:
        role[i] = "focus"
    # ancestors, generation by generation
    todo = [i for i, n in frontier.items() if n > 0]
    depth = dict(frontier)
    while todo:
        nxt = []
        for i in todo:
            for p, _, _ in _parents(ped, i):
                if p not in role:
                    role[p] = "common" if common is not None and common[p] else "ancestor"
                if depth.get(p, -1) < depth[i] - 1:
                    depth[p] = depth[i] - 1
                    nxt.append(p)
        todo = [p for p in nxt if depth[p] > 0]
    expanded = {i for i, d in depth.items() if d > 0}
    if descendants > 0:
        kids = _children(ped)
        gen = list(focus)
        for _ in range(descendants):
            nxt = []
            for i in gen:
                for c in kids[i]:
                    if c not in role:
                        role[c] = "descendant"
                        nxt.append(c)
                    for p, _, _ in _parents(ped, c):
                        role.setdefault(p, "mate")
            gen = nxt
    for i, r in role.items():
        sid = ids[i]
        fa = facts.get(sid, AnimalFacts())
        g.add_node(f"a:{sid}", key=f"a:{sid}", label=sid, kind="animal", sex=SEX_LABELS[int(ped.sex[i])],
                   role=r, dead=fa.dead, inbreeding=None if F is None else float(F[i]), name=fa.name,
                   birth=fa.birth)
    for i in role:
        for p, slot, prob in _parents(ped, i):
            if p in role:
                g.add_edge(f"a:{ids[p]}", f"a:{ids[i]}", parent=f"a:{ids[p]}", child=f"a:{ids[i]}",
                           role=slot, probability=prob)
        if i in expanded and not pair:
            for kind, slots in _marks(ped, i):
                key = f"{kind.lower()}:{ids[i]}:{slots}"
                g.add_node(key, key=key, label=kind, kind=kind.lower(), sex="U", role="parent-mark", dead=False,
                           inbreeding=None, name=None, birth=None)
                g.add_edge(key, f"a:{ids[i]}", parent=key, child=f"a:{ids[i]}", role=slots, probability=None)
    return g


def nodes_and_edges(g: Any) -> tuple[list[DrawNode], list[DrawEdge]]:
    """The graph's nodes and edges as dataclasses, in a stable order (oldest animals first)."""
    nodes = [DrawNode(**{k: d[k] for k in DrawNode.__dataclass_fields__}) for _, d in g.nodes(data=True)]
    edges = [DrawEdge(**{k: d[k] for k in DrawEdge.__dataclass_fields__}) for _, _, d in g.edges(data=True)]
    return nodes, edges


def _esc(text: Any) -> str:
    """Text inside a DOT double-quoted string: no control characters, backslash and quote escaped."""
    s = "".join(ch if ch.isprintable() else f"\\x{ord(ch):02x}" for ch in str(text))
    return s.replace("\\", "\\\\").replace('"', '\\"')


def _f_text(f: float | None) -> str:
    if f is None or (isinstance(f, float) and math.isnan(f)):
        return ""
    return "F=0" if abs(f) < 5e-13 else f"F={f:.4f}"


STYLE: dict[str, dict[str, str]] = {
    "focus": {"fillcolor": "#fff2a8", "penwidth": "2"},
    "lowest": {"fillcolor": "#f8c9c0", "color": "#c0392b", "penwidth": "3"},
    "common": {"color": "#c0392b", "penwidth": "3"},
    "mate": {"fillcolor": "#f2f2f2"},
}
DEAD = {"fillcolor": "#d5d5d5", "fontcolor": "#555555"}


def _attrs(attrs: Mapping[str, str]) -> str:
    return ", ".join(f'{k}="{_esc(v)}"' for k, v in attrs.items())


def to_dot(g: Any, title: str | None = None) -> str:
    """Graphviz DOT text of a :func:`pedigree_graph` (parents above children).

    Node ``class`` attributes (``animal focus dead``, ``founder-mark wild``...) reach SVG output,
    so a browser or a test can find the kinds of nodes.
    """
    out = ["digraph pedigree {",
           '  graph [rankdir=TB, fontname="Helvetica", nodesep=0.3, ranksep=0.45'
           + (f', label="{_esc(title)}", labelloc=t, fontsize=14' if title else "") + "];",
           '  node [fontname="Helvetica", fontsize=10, style=filled, fillcolor=white, width=0.9];',
           '  edge [arrowsize=0.6, color="#555555"];']
    for key, d in sorted(g.nodes(data=True), key=_order):
        if d["kind"] in ("wild", "unk"):
            mark = ({"label": "WILD", "shape": "triangle", "fillcolor": "#cfe8cf"} if d["kind"] == "wild" else
                    {"label": "UNK", "shape": "box", "style": "dotted,filled", "fillcolor": "#eeeeee"})
            out.append(f'  "{_esc(key)}" [{_attrs(mark)}, fontsize=8, width=0.5, class="founder-mark {d["kind"]}"];')
            continue
        lines = [("† " if d["dead"] else "") + d["label"]]
        if d.get("name"):
            lines.append(str(d["name"]))
        if d.get("birth"):
            lines.append(f"b. {d['birth']}")
        ftext = _f_text(d.get("inbreeding"))
        if ftext:
            lines.append(ftext)
        attrs = {"shape": SHAPES.get(d["sex"], "diamond"), **STYLE.get(d["role"], {})}
        if d["dead"]:  # grey; the focus and lowest common ancestors keep their fill
            attrs["fontcolor"] = DEAD["fontcolor"]
            if d["role"] not in ("focus", "lowest"):
                attrs["fillcolor"] = DEAD["fillcolor"]
        label = "\\n".join(_esc(x) for x in lines)
        cls = f'animal {d["role"]}' + (" dead" if d["dead"] else "")
        out.append(f'  "{_esc(key)}" [label="{label}", {_attrs(attrs)}, class="{cls}"];')
    for u, v, d in sorted(g.edges(data=True), key=lambda e: (e[1], e[0])):
        extra = ""
        if d.get("probability") is not None:
            extra = f' [style=dashed, label="p={d["probability"]:.2g}", fontsize=8, fontname="Helvetica"]'
        out.append(f'  "{_esc(u)}" -> "{_esc(v)}"{extra};')
    out.append("}")
    return "\n".join(out) + "\n"


def _order(item: tuple[str, dict[str, Any]]) -> tuple[int, str]:
    return (0 if item[1]["kind"] == "animal" else 1, item[0])


def descendant_rows(ped: Pedigree, i: int, generations: int) -> list[tuple[int, int, str, float | None]]:
    """Descendants of ``i`` up to ``generations`` deep, depth first: (depth, index, role, probability).

    ``role`` is 'offspring' (or 'offspring (MULT candidate)' when ``i``'s line is a MULT
    candidate parent of it, with the probability). An animal reached twice is listed twice.
    """
    kids = _children(ped)
    out: list[tuple[int, int, str, float | None]] = []

    def walk(v: int, depth: int) -> None:
        if depth > generations:
            return
        for c in kids[v]:
            prob = next((p for q, _, p in _parents(ped, c) if q == v), None)
            out.append((depth, c, "offspring" if prob is None else "offspring (MULT candidate)", prob))
            walk(c, depth + 1)

    walk(i, 1)
    return out


def iter_labels(g: Any) -> Iterable[str]:
    """Labels of the animal nodes (tests and reports)."""
    return (d["label"] for _, d in g.nodes(data=True) if d["kind"] == "animal")
