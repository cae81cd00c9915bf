"""``studbook pedigree``: an animal's ancestors and descendants as a text tree, or drawn (DOT, SVG, PNG)."""

from __future__ import annotations

import sys
from dataclasses import asdict
from typing import Any

import click

from .app import AppContext, pass_app
from .output import emit, emit_json, message

PEDIGREE_FORMATS = ("text", "table", "dot", "svg", "png", "csv", "json")


@click.command()
@click.argument("studbook_id", required=False)
@click.option("--ancestors", type=int, default=None,
              help="Generations of ancestors [default: 3; with --pair: 0 above the lowest common ancestors].")
@click.option("--generations", type=int, default=None, help="Same as --ancestors (the older name).")
@click.option("--descendants", type=int, default=0, show_default=True, help="Generations of descendants.")
@click.option("--pair", nargs=2, metavar="A B",
              help="Draw A and B, their lowest common ancestors and every animal between (highlighted).")
@click.option("--format", "fmt", type=click.Choice(PEDIGREE_FORMATS), default="text", show_default=True,
              help="text tree (table is the same); dot (Graphviz text); svg or png (needs Graphviz `dot`); "
                   "csv or json for machines.")
@click.option("--output", "-o", "output", type=click.Path(dir_okay=False),
              help="Write to FILE instead of stdout (needed for png on a terminal).")
@pass_app
def pedigree(app: AppContext, studbook_id: str | None, ancestors: int | None, generations: int | None,
             descendants: int, pair: tuple[str, str] | None, fmt: str, output: str | None) -> None:
    """An animal's ancestors (and descendants) as a tree, or drawn: males squares, females circles, unknown
    sex diamonds, dead grey (†), WILD/UNK founder marks, MULT parents dashed with their probabilities, F on
    each animal. `--pair A B` draws two animals and their common ancestors.

    Examples: `studbook pedigree 1422 --ancestors 4`, `studbook pedigree 1422 --format svg -o 1422.svg`,
    `studbook pedigree --pair 1256 1249 --format png -o pair.png`.
    """
    if generations is not None:
        if ancestors is not None and ancestors != generations:
            raise click.UsageError("--generations is another name for --ancestors: give one of them")
        ancestors = generations
    if (studbook_id is None) == (not pair):
        raise click.UsageError("give one animal ID, or --pair A B (not both)")
    if pair and descendants:
        raise click.UsageError("--descendants is for one animal; --pair draws the lines between two")
    if fmt == "table":
        fmt = "text"
    if output and fmt == "text":
        raise click.UsageError("--output is for dot, svg, png, csv and json; redirect the text tree with > FILE")
    if fmt in ("text", "csv", "json") and not pair:
        assert studbook_id is not None
        _trees(app, studbook_id, 3 if ancestors is None else ancestors, descendants, fmt, output)
        return
    from ..services.drawing import pedigree_drawing, render
    from ..services.genetics import load_for_analysis

    if fmt == "png" and not output and sys.stdout.isatty():
        raise click.UsageError("png is binary: give --output FILE (or pipe the output)")
    loaded = load_for_analysis(app.url, app.session)
    ids = list(pair) if pair else [str(studbook_id)]
    drawing = pedigree_drawing(loaded, ids, ancestors=ancestors, descendants=descendants, pair=bool(pair))
    animals = sum(1 for n in drawing.nodes if n.kind == "animal")
    if fmt in ("svg", "png"):
        _write(render(drawing.dot, fmt), output)
    elif fmt == "dot":
        _write(drawing.dot.encode("utf-8"), output)
    elif fmt == "json":
        _write_text(lambda out: emit_json(drawing.to_dict(), out), output)
    elif fmt == "csv":
        _write_text(lambda out: emit(_node_rows(drawing), "csv", out=out), output)
    else:  # text, --pair
        emit(_node_rows(drawing), "table", title=f"{ids[0]} and {ids[1]}: kinship {drawing.kinship:.4f}")
        message(f"Common ancestors drawn: {', '.join(drawing.common) or 'none'}; lowest: "
                f"{', '.join(drawing.lowest) or 'none'}. `studbook relate {ids[0]} {ids[1]}` lists the paths.")
        return
    if output:
        message(f"Wrote {output} ({animals} animals).")


def _node_rows(drawing: Any) -> list[dict[str, Any]]:
    return [{"id": n.label, "kind": n.kind, "role": n.role, "sex": n.sex, "F": n.inbreeding, "dead": n.dead,
             "name": n.name, "birth": n.birth} for n in drawing.nodes]


def _write(data: bytes, output: str | None) -> None:
    if output:
        from ..errors import InvalidInputError

        try:
            with open(output, "wb") as fh:
                fh.write(data)
        except OSError as exc:
            raise InvalidInputError(f"cannot write {output}: {exc.strerror}", "check the folder and its permissions"
                                    ) from None
        return
    sys.stdout.flush()
    sys.stdout.buffer.write(data) if hasattr(sys.stdout, "buffer") else sys.stdout.write(data.decode("utf-8",
                                                                                                 "replace"))


def _write_text(write: Any, output: str | None) -> None:
    if not output:
        write(None)
        return
    import io

    buf = io.StringIO()
    write(buf)
    _write(buf.getvalue().encode("utf-8"), output)


def _trees(app: AppContext, studbook_id: str, ancestors: int, descendants: int, fmt: str,
           output: str | None) -> None:
    """The text tree, or its rows as csv/json (the command's original output)."""
    from ..services.drawing import family_trees

    with app.session() as session:
        trees = family_trees(session, studbook_id, ancestors, descendants)
    tree, below = trees.ancestors, trees.descendants
    if fmt == "json":
        obj = asdict(tree)
        if descendants:
            obj["descendants"] = [asdict(d) for d in below]
        _write_text(lambda out: emit_json(obj, out), output)
        return
    if fmt == "csv":
        rows: list[dict[str, Any]] = []

        def walk(node: Any, depth: int) -> None:
            rows.append({"generation": depth, "role": node.role, "id": node.label, "sex": node.sex,
                         "birth": node.birth})
            for p in node.parents:
                walk(p, depth + 1)

        walk(tree, 0)
        rows += [{"generation": -d.generation, "role": d.role, "id": d.id, "sex": d.sex, "birth": d.birth}
                 for d in below]
        _write_text(lambda out: emit(rows, "csv", out=out), output)
        return
    _print_tree(tree, below)


def _print_tree(tree: Any, below: Any) -> None:
    from rich.text import Text
    from rich.tree import Tree

    from .output import console, printable

    def sym(sex: str | None) -> str:
        return {"M": "♂", "F": "♀"}.get(sex or "", "")

    def label(node: Any) -> Text:
        # A Text, never markup: IDs and labels are stored text ("[/]" must print as "[/]").
        if node.studbook_id is None:
            return Text(printable(f"{node.role}: {node.label}"), style="dim")
        role = "" if node.role == "animal" else f"{node.role}: "
        return Text.assemble(printable(role), (printable(node.label), "bold"),
                             printable(f" {sym(node.sex)} b. {node.birth}"))

    def build(t: Any, node: Any) -> None:
        for p in node.parents:
            build(t.add(label(p)), p)

    root = Tree(label(tree))
    build(root, tree)
    console().print(root)
    if below:
        down = Tree(Text("descendants", style="bold"))
        stack: list[Any] = [down]
        for d in below:
            del stack[d.generation:]
            p = f" (p={d.probability:g})" if d.probability is not None else ""
            text = Text.assemble(printable(f"{d.role}: "), (printable(d.id), "bold"),
                                 printable(f"{p} {sym(d.sex)} b. {d.birth}"))
            stack.append(stack[-1].add(text))
        console().print(down)
