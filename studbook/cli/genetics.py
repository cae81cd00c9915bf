"""``studbook genetics ...``: kinship, inbreeding, mean kinship, summary, founders, gene drop."""

from __future__ import annotations

import sys
from typing import Any

import click

from .app import AppContext, pass_app
from .output import as_of_option, emit, emit_json, emit_object, format_option, message


@click.group()
def genetics() -> None:
    """Pedigree genetics of the book (PMx-style): F, kinship, MK, GD, FGE, founders, gene drop."""


def _load(app: AppContext, as_of: str | None) -> Any:
    """The book on --as-of (default: its census date, else today); the note and the open-problems
    warning go to stderr."""
    from ..services.genetics import load_for_analysis

    loaded = load_for_analysis(app.url, app.session, as_of)
    for line in (loaded.note, loaded.problems_warning()):
        if line:
            message(line)
    return loaded


@genetics.command("inbreeding")
@as_of_option
@format_option
@pass_app
def inbreeding_cmd(app: AppContext, as_of: str | None, fmt: str) -> None:
    """Inbreeding coefficient F of every animal (id,F)."""
    from ..services.genetics import inbreeding_rows

    emit(inbreeding_rows(_load(app, as_of)), fmt, title="Inbreeding")


@genetics.command("kinship")
@click.argument("ids", nargs=-1)
@click.option("--ids-file", type=click.Path(dir_okay=False), help="File with one studbook ID per line.")
@click.option("--matrix", is_flag=True, help="Write the square matrix instead of id1,id2,kinship rows.")
@click.option("--float32", "float32", is_flag=True, help="Single precision (halves memory for very large sets).")
@click.option("--output", type=click.Path(dir_okay=False), metavar="FILE.npy|FILE.csv",
              help="With --matrix: write the matrix to this file as it is computed (no copy in memory). "
                   ".npy: numpy binary, the IDs one per line in FILE.ids.txt; .csv: as --format csv.")
@as_of_option
@format_option
@pass_app
def kinship_cmd(app: AppContext, ids: tuple[str, ...], ids_file: str | None, matrix: bool, float32: bool,
                output: str | None, as_of: str | None, fmt: str) -> None:
    """Kinship coefficients among IDS (default: the living analysis population).

    Long format: every unordered pair once plus the self pairs (id1,id2,kinship). For a large
    population write the matrix to a file: --matrix --float32 --output kinship.npy.
    """
    import numpy as np

    from ..services.analysis import read_ids_file
    from ..services.genetics import kinship_long, kinship_square, write_kinship_matrix

    if output and not matrix:
        raise click.UsageError("--output is for the square matrix: add --matrix")
    wanted = list(ids) + (read_ids_file(ids_file) if ids_file else [])
    loaded = _load(app, as_of)
    dtype = np.float32 if float32 else np.float64
    if output:
        count = write_kinship_matrix(loaded, wanted or None, output, dtype=dtype)
        message(f"Wrote the {count} x {count} kinship matrix to {output}.")
        return
    if not matrix:
        emit(kinship_long(loaded, wanted or None, dtype=dtype), fmt, title="Kinship")
        return
    labels, k = kinship_square(loaded, wanted or None, dtype=dtype)
    if fmt == "json":
        emit_json({"ids": labels, "matrix": k.tolist()})
    elif fmt == "csv":
        import csv

        from .output import escape_cell

        w = csv.writer(sys.stdout, lineterminator="\r\n")
        w.writerow(["id", *(escape_cell(x) for x in labels)])
        for lab, row in zip(labels, k.tolist()):
            w.writerow([escape_cell(lab), *(repr(float(v)) for v in row)])
    else:
        if len(labels) > 30:
            message(f"{len(labels)} animals: too wide for a table; use --format csv or json.")
            raise SystemExit(0)
        rows = [{"id": lab, **{o: f"{v:.4f}" for o, v in zip(labels, row)}} for lab, row in zip(labels, k.tolist())]
        emit(rows, "table", title="Kinship matrix")


@genetics.command("mean-kinship")
@as_of_option
@format_option
@pass_app
def mean_kinship_cmd(app: AppContext, as_of: str | None, fmt: str) -> None:
    """Mean kinship table of the living analysis population, lowest MK (most valuable) first.

    Next to MK, the kinship value KV (MK weighted by the reproductive value of the kin, from the
    captive life tables of the whole book; `studbook demography life-table`), or null with the reason.
    """
    from ..services.demography import kinship_weights_for
    from ..services.genetics import mean_kinship_rows

    loaded = _load(app, as_of)
    ids = [loaded.pedigree.ids[int(i)] for i in loaded.pedigree.living]
    rows = mean_kinship_rows(loaded, kinship_weights_for(app.url, app.session, loaded.day, ids))
    note = rows[0]["kinship_value_note"] if rows else None
    if fmt == "table":
        rows = [{k: v for k, v in r.items() if k != "kinship_value_note"} for r in rows]
    emit(rows, fmt, title="Mean kinship (living analysis population)")
    if note:
        message(f"Note: {note}.")


@genetics.command("summary")
@click.option("--sensitivity", is_flag=True,
              help="GD, FGE, mean MK and founders with UNK parents as founders (as reported) and as MULT of "
                   "their potential parents (`parentage suggest`), side by side; the book is not changed.")
@as_of_option
@format_option
@pass_app
def summary_cmd(app: AppContext, sensitivity: bool, as_of: str | None, fmt: str) -> None:
    """Gene diversity, mean kinship, founder genome equivalents, founder equivalents, mean F."""
    from ..services.genetics import summary

    loaded = _load(app, as_of)
    if not sensitivity:
        emit_object(summary(loaded), fmt, title="Genetic summary (living analysis population)")
        return
    from ..services.parentage import proposals, summary_sensitivity

    with app.session() as session:
        props = proposals(session)
    rows, replaced = summary_sensitivity(loaded, props)
    if fmt != "table":
        emit(rows, fmt)
    else:
        emit([{k: (f"{v:.6g}" if isinstance(v, float) else v) for k, v in r.items() if k != "key"} for r in rows],
             fmt, title="Genetic summary: UNK parents as founders vs as MULT of their potential parents")
    message(f"{replaced} UNK parent(s) replaced by equal-probability MULT of their potential parents "
            "(`studbook parentage suggest --all-unk` lists them); the book is not changed.")


def _progress(total_label: str) -> tuple[Any, Any]:
    """A rich progress bar on stderr when stderr is a terminal; otherwise nothing."""
    from .output import err_console

    con = err_console()
    if not con.is_terminal:
        return None, None
    from rich.progress import Progress

    prog = Progress(console=con, transient=True)
    task = prog.add_task(total_label, total=None)

    def update(done: int, total: int) -> None:
        prog.update(task, completed=done, total=total)

    return prog, update


@genetics.command("founders")
@click.option("--gene-drop/--no-gene-drop", "with_drop", default=True, show_default=True,
              help="Also estimate allele retention by gene drop.")
@click.option("--iterations", type=int, default=5000, show_default=True,
              help="Gene-drop iterations (at most 1,000,000).")
@click.option("--seed", type=int, default=1, show_default=True, help="Random seed of the gene drop.")
@as_of_option
@format_option
@pass_app
def founders_cmd(app: AppContext, with_drop: bool, iterations: int, seed: int, as_of: str | None, fmt: str) -> None:
    """Per founder: contribution to the living, living descendants, allele retention."""
    from ..services.genetics import founder_rows, run_gene_drop

    loaded = _load(app, as_of)
    res = None
    if with_drop and len(loaded.pedigree.living):
        prog, update = _progress("gene drop")
        if prog:
            with prog:
                res = run_gene_drop(loaded, iterations, seed, update)
        else:
            res = run_gene_drop(loaded, iterations, seed)
    emit(founder_rows(loaded, gene_drop_result=res), fmt, title="Founders")


@genetics.command("gene-drop")
@click.option("--iterations", type=int, default=5000, show_default=True,
              help="Gene-drop iterations (at most 1,000,000).")
@click.option("--seed", type=int, default=1, show_default=True, help="Same seed, same result.")
@click.option("--threshold", type=click.IntRange(0, 3), default=1, show_default=True,
              help="Genome uniqueness: alleles carried by at most this many other living animals.")
@click.option("--per-animal", is_flag=True, help="Rows of genome uniqueness per living animal instead of the summary.")
@as_of_option
@format_option
@pass_app
def gene_drop_cmd(app: AppContext, iterations: int, seed: int, threshold: int, per_animal: bool, as_of: str | None,
                  fmt: str) -> None:
    """Gene drop: founder allele retention, GD and FGE with standard errors, genome uniqueness."""
    from ..services.genetics import gene_drop_summary, genome_uniqueness_rows, run_gene_drop

    loaded = _load(app, as_of)
    prog, update = _progress("gene drop")
    if prog:
        with prog:
            res = run_gene_drop(loaded, iterations, seed, update, threshold)
    else:
        res = run_gene_drop(loaded, iterations, seed, None, threshold)
    if per_animal:
        emit(genome_uniqueness_rows(loaded, res), fmt, title="Genome uniqueness")
    else:
        summary = gene_drop_summary(loaded, res, seed)
        title = f"Gene drop ({iterations} iterations)"
        emit_object(summary if fmt != "table" else _gene_drop_table(summary), fmt, title=title)


# Table labels of the gene-drop summary: (key, label); the key's ``_se`` is shown next to it as ± SE.
_GENE_DROP_LABELS = (
    ("iterations", "iterations"), ("seed", "seed"), ("n_living", "living animals"),
    ("founder_genome_equivalents_from_gd", "FGE (PMx-comparable, 1/(2(1-GD)))"),
    ("founder_genome_equivalents_from_mk", "FGE from mean kinship (genetics summary)"),
    ("gene_diversity", "GD (gene drop)"), ("gene_diversity_from_mk", "GD from mean kinship"),
    ("founder_genome_equivalents_allele_retention", "FGE (allele retention, not PMx-comparable)"),
    ("founder_alleles_surviving", "founder alleles surviving"),
    ("genome_uniqueness_threshold", "genome uniqueness threshold"),
)


def _gene_drop_table(summary: dict[str, Any]) -> dict[str, Any]:
    """The gene-drop summary for people: readable labels, each value with its SE (± SE, 4 significant digits)."""
    out: dict[str, Any] = {}
    for key, label in _GENE_DROP_LABELS:
        v, se = summary.get(key), summary.get(f"{key}_se")
        if isinstance(v, float):
            v = f"{v:.6g}" + (f" ± {se:.2g} (SE)" if isinstance(se, float) else "")
        out[label] = v
    return out


@genetics.command("history")
@click.option("--every", type=click.Choice(["year", "month"]), default="year", show_default=True,
              help="A point at each year end (31 December) or each month end.")
@click.option("--from", "from_year", type=int, metavar="YEAR", help="First year (default: the first with living animals).")
@click.option("--to", "to_year", type=int, metavar="YEAR", help="Last year (default: the year of the reference day).")
@as_of_option
@format_option
@pass_app
def history_cmd(app: AppContext, every: str, from_year: int | None, to_year: int | None, as_of: str | None,
                fmt: str) -> None:
    """GD, FGE, mean MK, mean F, founders represented and N living at each year end, from the book as it
    stood then (each point equals `genetics summary --as-of` that day)."""
    from ..services.history import genetic_history, read_book_rows
    from ..services.pedigree_rows import parse_as_of

    day = parse_as_of(as_of)
    rows = read_book_rows(app.url, app.session)
    prog, update = _progress("genetic history")
    if prog:
        with prog:
            hist = genetic_history(rows, every=every, from_year=from_year, to_year=to_year, as_of=day,
                                   progress=update)
    else:
        hist = genetic_history(rows, every=every, from_year=from_year, to_year=to_year, as_of=day)
    if hist.note:
        message(hist.note)
    if rows.open_problems:
        message(f"Warning: the book has {rows.open_problems} open problem(s); numbers may be wrong "
                "(see `studbook problems list --open`)")
    if fmt != "table":
        emit(hist.rows(), fmt, columns=_HISTORY_COLUMNS)
        return

    def fixed(v: float | None, digits: int) -> str:
        return "" if v is None else f"{v:.{digits}f}"

    emit([{every: p.day.isoformat()[:4 if every == "year" else 7], "alive": p.n_alive, "N": p.n_living, "GD": fixed(p.gene_diversity, 4),
           "FGE": fixed(p.founder_genome_equivalents, 2), "MK": fixed(p.mean_kinship, 4),
           "F": fixed(p.mean_inbreeding, 4), "founders": p.n_founders, "fe": fixed(p.founder_equivalents, 2)}
          for p in hist.points], fmt,
         title=f"Genetic history at each {every} end (N: living analysis population)")


_HISTORY_COLUMNS = ("day", "n_alive", "n_living", "gene_diversity", "founder_genome_equivalents", "mean_kinship",
                    "mean_inbreeding", "n_founders", "founder_equivalents")
