"""`studbook pedigree`: the text tree (old outputs kept), drawings (DOT, SVG, PNG), --pair, errors, a browser check."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from conftest import ok, run_cli

from studbook.drawing import AnimalFacts, pedigree_graph, to_dot
from studbook.genetics import inbreeding
from studbook.pedigree import Pedigree
from studbook.pedigree import PedigreeRecord as R

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz `dot` is not installed")


def small() -> Pedigree:
    # A (M, WILD parents) x B (F, UNK parents) -> C (M), D (F); C x D -> E (U, F = 1/4);
    # G: sire MULT C (0.25) / X (0.75), dam D.
    return Pedigree.from_records([
        R("A", sex="M", sire_wild=True, dam_wild=True), R("B", sex="F"), R("X", sex="M"),
        R("C", "A", "B", sex="M"), R("D", "A", "B", sex="F"), R("E", "C", "D", sex="U"),
        R("G", dam="D", sire_mult=(("C", 0.25), ("X", 0.75)), sex="F")])


def _node(dot: str, key: str) -> str:
    m = re.search(rf'^  "{re.escape(key)}" \[(.*)\];$', dot, re.M)
    assert m, key
    return m.group(1)


def test_symbols():
    ped = small()
    g = pedigree_graph(ped, [ped.index_of("E"), ped.index_of("G")], ancestors=3, inbreeding=inbreeding(ped),
                       facts={"A": AnimalFacts(name="Amur", birth="2001", dead=True)})
    dot = to_dot(g, "test")
    assert 'shape="square"' in _node(dot, "a:C") and 'shape="circle"' in _node(dot, "a:D")
    assert 'shape="diamond"' in _node(dot, "a:E")
    assert "F=0.2500" in _node(dot, "a:E") and "F=0" in _node(dot, "a:C")  # hand values: 1/4 and 0
    a = _node(dot, "a:A")
    assert 'label="† A\\nAmur\\nb. 2001\\nF=0"' in a and 'fillcolor="#d5d5d5"' in a and "dead" in a
    assert 'label="WILD"' in _node(dot, "wild:A:parents")  # both parents WILD: one mark
    assert 'label="UNK"' in _node(dot, "unk:B:parents")
    assert '"a:C" -> "a:G" [style=dashed, label="p=0.25"' in dot
    assert '"a:X" -> "a:G" [style=dashed, label="p=0.75"' in dot
    assert '"a:C" -> "a:E";' in dot
    assert "focus" in _node(dot, "a:E") and "focus" in _node(dot, "a:G")


def test_generations_and_descendants():
    ped = small()
    labels = lambda g: sorted(d["label"] for _, d in g.nodes(data=True) if d["kind"] == "animal")  # noqa: E731
    assert labels(pedigree_graph(ped, [ped.index_of("E")], ancestors=1)) == ["C", "D", "E"]
    g = pedigree_graph(ped, [ped.index_of("C")], ancestors=0, descendants=1)
    # children E and G (C is a MULT candidate of G) with their other parents: dam D, the other candidate X
    assert labels(g) == ["C", "D", "E", "G", "X"]
    assert g.nodes["a:D"]["role"] == g.nodes["a:X"]["role"] == "mate"


def test_pair_highlights_common_ancestors():
    ped = small()
    g = pedigree_graph(ped, [ped.index_of("E"), ped.index_of("G")], ancestors=0, pair=True)
    roles = {d["label"]: d["role"] for _, d in g.nodes(data=True)}
    # common ancestors of E and G: C (candidate sire of G), D, and above them A, B; the lowest are C and D
    assert roles == {"E": "focus", "G": "focus", "C": "lowest", "D": "lowest"}
    g = pedigree_graph(ped, [ped.index_of("E"), ped.index_of("G")], ancestors=1, pair=True)
    roles = {d["label"]: d["role"] for _, d in g.nodes(data=True)}
    assert roles["A"] == roles["B"] == "common"
    assert 'color="#c0392b"' in _node(to_dot(g), "a:A")


@needs_dot
def test_hostile_labels_stay_text(tmp_path):
    import subprocess

    ped = Pedigree.from_records([R('a"b\\', sex="M"), R("c", 'a"b\\', None)])
    g = pedigree_graph(ped, [1], ancestors=1, facts={"c": AnimalFacts(name='say "hi"\n\x1b[2J')})
    dot = to_dot(g)
    p = subprocess.run(["dot", "-Tsvg"], input=dot.encode(), capture_output=True)
    assert p.returncode == 0, p.stderr
    svg = p.stdout.decode()
    assert "\x1b" not in svg and "say &quot;hi&quot;" in svg and "a&quot;b\\" in svg


def test_drawing_and_paths_are_pure():
    from test_architecture import DB, PKG, UI, _hits, imported_modules

    for path in (PKG / "drawing.py", PKG / "genetics" / "paths.py"):
        mods = imported_modules(path)
        assert not _hits(mods, UI + DB), path
        assert not [m for m in mods if m.startswith(("studbook.services", "studbook.cli", "studbook.models",
                                                     "studbook.db"))], path


# --- CLI on the sample book -------------------------------------------------------------------------------

GRANDPARENTS = ["1422", "1256", "967", "1012", "1249", "1096", "1128"]  # 1422's tree, depth first (sire first)


def test_old_outputs_and_alias(sample_url):
    csv = ok(sample_url, "pedigree", "1422", "--generations", "2", "--format", "csv").stdout
    assert [ln.split(",")[2] for ln in csv.splitlines()[1:]] == GRANDPARENTS
    assert ok(sample_url, "pedigree", "1422", "--ancestors", "2", "--format", "csv").stdout == csv
    tree = json.loads(ok(sample_url, "pedigree", "1422", "--generations", "1", "--format", "json").stdout)
    assert tree["studbook_id"] == "1422" and [p["studbook_id"] for p in tree["parents"]] == ["1256", "1249"]
    text = ok(sample_url, "pedigree", "1422").stdout
    assert "sire: 1256 ♂" in text and "dam: 1249 ♀" in text
    assert ok(sample_url, "pedigree", "1422", "--format", "table").stdout == text
    r = run_cli(sample_url, "pedigree", "1422", "--generations", "2", "--ancestors", "3")
    assert r.exit_code == 2 and "--generations is another name for --ancestors" in r.stderr


def test_descendants_text(sample_url):
    out = ok(sample_url, "pedigree", "967", "--ancestors", "1", "--descendants", "2").stdout
    assert "descendants" in out and "offspring: 1256" in out and "offspring: 1422" in out
    rows = ok(sample_url, "pedigree", "967", "--ancestors", "1", "--descendants", "1", "--format", "csv").stdout
    assert "-1,offspring,1128,F,2017-07-31" in rows.splitlines()


def test_dot_and_json(sample_url, tmp_path):
    dot = ok(sample_url, "pedigree", "1422", "--ancestors", "2", "--format", "dot").stdout
    assert dot.startswith("digraph pedigree {") and dot.count('class="animal') == 7
    out = tmp_path / "t.json"
    r = ok(sample_url, "pedigree", "1422", "--ancestors", "2", "--format", "json", "--output", str(out))
    assert r.stdout == ""
    tree = json.loads(out.read_text())  # json of one animal: the tree, as before

    def ids(node):  # type: ignore[no-untyped-def]
        return [node["studbook_id"], *(i for p in node["parents"] for i in ids(p))]

    assert ids(tree) == GRANDPARENTS


def test_pair(sample_url):
    obj = json.loads(ok(sample_url, "pedigree", "--pair", "1256", "1249", "--format", "json").stdout)
    # 1256 = 967 x 1012; 1249 = 1096 x 1128 and 1128 = 967 x 1012: lowest common ancestors 967 and 1012
    assert obj["lowest_common_ancestors"] == ["967", "1012"]
    assert sorted(n["label"] for n in obj["nodes"]) == ["1012", "1128", "1249", "1256", "967"]
    kin = json.loads(ok(sample_url, "genetics", "kinship", "1256", "1249", "--format", "json").stdout)
    assert obj["kinship"] == next(r["kinship"] for r in kin if r["id1"] != r["id2"])
    r = run_cli(sample_url, "pedigree", "--pair", "1256", "1256", "--format", "dot")
    assert r.exit_code == 1 and "two different animals" in r.stderr


@needs_dot
def test_svg_and_png_files(sample_url, tmp_path):
    svg, png = tmp_path / "p.svg", tmp_path / "p.png"
    r = ok(sample_url, "pedigree", "1422", "--format", "svg", "--output", str(svg))
    assert "Wrote" in r.stderr and svg.read_text().lstrip().startswith("<?xml") and "<svg" in svg.read_text()
    ok(sample_url, "pedigree", "--pair", "1256", "1249", "--format", "png", "--output", str(png))
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_without_graphviz(sample_url, tmp_path, monkeypatch):
    import studbook.services.drawing as drawing

    monkeypatch.setattr(drawing.shutil, "which", lambda name: None)
    out = tmp_path / "p.svg"
    r = run_cli(sample_url, "pedigree", "1422", "--format", "svg", "--output", str(out))
    assert r.exit_code == 1 and "Traceback" not in r.stderr
    assert r.stderr.splitlines()[0] == "Error: Graphviz `dot` is not installed (needed for --format svg)"
    assert "apt install graphviz" in r.stderr and "brew install graphviz" in r.stderr
    assert not out.exists()
    assert ok(sample_url, "pedigree", "1422", "--format", "dot").stdout.startswith("digraph")  # dot needs no Graphviz


def test_errors_and_no_database_created(sample_url, tmp_path):
    r = run_cli(sample_url, "pedigree", "nope", "--format", "svg")
    assert r.exit_code == 1 and "Error: no animal with studbook ID 'nope'" in r.stderr
    r = run_cli(sample_url, "pedigree", "nope")
    assert r.exit_code == 1 and "Error:" in r.stderr and "Traceback" not in r.stderr
    assert run_cli(sample_url, "pedigree").exit_code == 2
    missing = tmp_path / "none.db"
    for args in (["pedigree", "1"], ["pedigree", "1", "--format", "dot"], ["pedigree", "--pair", "1", "2"]):
        r = run_cli(str(missing), *args)
        assert r.exit_code == 3 and not missing.exists(), (args, r.stderr)


def test_api(sample_url):
    from studbook import api

    d = api.pedigree_drawing(sample_url, "1422", ancestors=1)
    assert sorted(n.label for n in d.nodes) == ["1249", "1256", "1422"]
    if shutil.which("dot"):
        assert api.render_pedigree(d, "svg").lstrip().startswith(b"<?xml")


# --- in a browser -----------------------------------------------------------------------------------------

@needs_dot
def test_svg_pedigree_renders_in_chromium(sample_url, tmp_path: Path):
    from browser import open_page, require_chromium

    require_chromium()
    svg = tmp_path / "pedigree-1422.svg"
    ok(sample_url, "pedigree", "1422", "--ancestors", "2", "--format", "svg", "--output", str(svg))
    shot = tmp_path / "pedigree-1422.png"
    report = open_page(svg, selectors=["svg", "g.node.animal", "g.edge", "g.node.focus"], screenshot=shot)
    assert report.errors == []
    (w, h), = report.sizes["svg"]
    assert w > 100 and h > 100
    assert len(report.sizes["g.node.animal"]) == 7 and all(w > 0 and h > 0 for w, h in report.sizes["g.node.animal"])
    # 1422, 1256 and 1249 have both parents drawn, and so has 1128 (967 x 1012, also 1256's parents): 8 edges
    assert len(report.sizes["g.edge"]) == 8
    ids = sorted(t.split()[0].removeprefix("a:") for t in report.texts["g.node.animal"])  # <title>a:ID</title>
    assert ids == sorted(GRANDPARENTS)
    assert "1422" in report.texts["g.node.focus"][0]
    assert shot.stat().st_size > 5000 and shot.read_bytes()[:4] == b"\x89PNG"
