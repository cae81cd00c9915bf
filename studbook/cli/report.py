"""``studbook report``: the population report as one self-contained HTML file (and PDF)."""

from __future__ import annotations

import time
from pathlib import Path

import click

from .app import AppContext, pass_app
from .output import NamedSteps, as_of_option, message


@click.command("report")
@as_of_option
@click.option("--output", "-o", "output", required=True, metavar="FILE.html",
              help="The HTML file to write (replaced atomically if it exists).")
@click.option("--pdf", "pdf", metavar="FILE.pdf",
              help="Also write the same report as PDF.")
@click.option("--iterations", type=click.IntRange(1, 100_000), default=1000, show_default=True,
              help="Gene-drop iterations of the founder retention.")
@click.option("--seed", type=int, default=1, show_default=True, help="Random seed of the gene drop.")
@pass_app
def report(app: AppContext, as_of: str | None, output: str, pdf: str | None, iterations: int, seed: int) -> None:
    """Population report: summary and problems, census, pyramid, GD/FGE history, founders, MK, life table, plan.

    One HTML file that opens without network access (plots as inline SVG, CSS inline); --pdf writes the same
    content as PDF. Every section names the command that prints its numbers.
    """
    from ..services.pedigree_rows import parse_as_of
    from ..services.report import HTML_SUFFIXES, check_report_target, gather_report, write_file_atomic

    day = parse_as_of(as_of)
    check_report_target(Path(output), HTML_SUFFIXES, "--output")
    if pdf is not None:
        check_report_target(Path(pdf), (".pdf",), "--pdf")
        if Path(pdf).resolve() == Path(output).resolve():
            from ..errors import InvalidInputError

            raise InvalidInputError("--output and --pdf name the same file; nothing was written",
                                    "give two file names, e.g. report.html and report.pdf")
    started = time.monotonic()
    steps = ["reading the book", "genetic summary", "genetic history", "founders and gene drop", "mean kinship",
             "demography", "plans", "drawing the plots", "writing the PDF"]
    with NamedSteps("report", len(steps) - (pdf is None)) as step:
        with app.session() as session:
            data = gather_report(session, day, iterations=iterations, seed=seed, progress=step)
        from ..report_render import html_to_pdf, render_html

        step("drawing the plots")
        html = render_html(data)
        pdf_bytes = None
        if pdf is not None:
            step("writing the PDF")
            pdf_bytes = html_to_pdf(html)
    write_file_atomic(Path(output), html.encode("utf-8"))
    if pdf is not None and pdf_bytes is not None:
        write_file_atomic(Path(pdf), pdf_bytes)
    if data.note:
        message(data.note)
    if data.book["open_problems"]:
        message(f"Warning: the book has {data.book['open_problems']} open problem(s); numbers may be wrong "
                "(see `studbook problems list --open`)")
    missing = [s for s, sec in (("census", data.census), ("pyramid", data.pyramid), ("life table", data.life_table))
               if sec.missing]
    if missing:
        message(f"Not available in this report: {', '.join(missing)} ({data.census.missing or data.life_table.missing}).")
    written = output + (f" and {pdf}" if pdf else "")
    message(f"Wrote {written} ({time.monotonic() - started:.1f} s).")


