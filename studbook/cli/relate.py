"""``studbook relate A B``: the kinship of two animals explained by Wright's paths."""

from __future__ import annotations

import click

from .app import AppContext, pass_app
from .output import as_of_option, emit, emit_json, message


@click.command()
@click.argument("a")
@click.argument("b")
@click.option("--max-paths", type=int, default=1000, show_default=True,
              help="List at most this many paths, largest contribution first.")
@click.option("--format", "fmt", type=click.Choice(["text", "table", "csv", "json"]), default="text",
              show_default=True, help="text for people; csv (one row per path) or json for machines.")
@as_of_option
@pass_app
def relate(app: AppContext, a: str, b: str, max_paths: int, fmt: str, as_of: str | None) -> None:
    """Kinship of A and B, their common ancestors and every path through them (Wright 1922).

    Each path A → C ← B whose two legs share no animal but the common ancestor C adds
    (1/2)^(n1+n2+1) (1 + F_C), times the probability of every MULT parent it goes through;
    the paths add up to the kinship. A and B may be the same animal or one the other's ancestor.
    """
    from ..services.drawing import path_rows, relate_animals
    from ..services.genetics import load_for_analysis

    loaded = load_for_analysis(app.url, app.session, as_of)
    for line in (loaded.note, loaded.problems_warning()):
        if line:
            message(line)
    res = relate_animals(loaded, a, b, max_paths=max_paths)
    r = res.relationship
    if fmt == "json":
        emit_json(res.to_dict())
        return
    if fmt == "csv":
        emit(path_rows(r), "csv", columns=["path", "ancestor", "n1", "n2", "ancestor_F", "mult", "weight",
                                           "contribution"])
        return
    from .output import console, printable

    out = console()
    if a == b:
        head = f"kinship φ({a}, {a}) = {res.kinship:.6g} = ½(1 + F) with F of {a} = {res.inbreeding_a:.4g}"
    else:
        head = (f"kinship φ({a}, {b}) = {res.kinship:.6g}   (F of {a} = {res.inbreeding_a:.4g}, F of {b} = "
                f"{res.inbreeding_b:.4g}; a cub of theirs would have F = {res.kinship:.4g})")
    out.print(printable(head), markup=False, highlight=False)
    if not r.paths:
        out.print(printable(f"{a} and {b} have no common ancestor in the book: unrelated (φ = 0)."),
                  markup=False, highlight=False)
        return
    lowest = ", ".join(r.lowest_common_ancestors)
    out.print(printable(f"lowest common ancestors: {lowest}"), markup=False, highlight=False)
    emit([{"ancestor": c.id, "F": c.inbreeding, "lowest": "yes" if c.lowest else "", "paths": c.n_paths,
           "contribution": c.contribution} for c in r.common_ancestors if c.n_paths],
         "table", title="Common ancestors")
    emit([{"#": k, **row} for k, row in enumerate(path_rows(r), start=1)], "table",
         title="Paths (A ... C ... B), largest first", columns=["#", "path", "n1", "n2", "ancestor_F", "mult",
                                                                 "contribution"])
    shown: set[tuple[str, str]] = set()
    for m in res.mult_slots:
        if (m.animal, m.slot) in shown:
            continue
        shown.update((x, m.slot) for x in m.littermates)
        cands = ", ".join(f"{c} (p={p:g})" for c, p in m.candidates)
        mates = f"; one mating with {', '.join(m.littermates)}" if m.littermates else ""
        out.print(printable(f"MULT {m.slot} of {m.animal}: {cands}{mates}"), markup=False, highlight=False)
    if r.complete:
        out.print(printable(f"sum of the {len(r.paths)} paths = {r.paths_sum:.12g} "
                            f"(fast kinship {res.kinship:.12g})"), markup=False, highlight=False)
    else:
        message(f"Only the {len(r.paths)} largest paths are listed (--max-paths {max_paths}); they add up to "
                f"{r.paths_sum:.6g} of φ = {res.kinship:.6g}. Raise --max-paths to list more.")
