"""``studbook export ...``: take a book out as a book folder, a generic pedigree CSV, SPARKS tables,
PMx input files or an Excel workbook (read only)."""

from __future__ import annotations

from pathlib import Path

import click

from .app import AppContext, pass_app
from .output import as_of_option, message


@click.group()
def export() -> None:
    """Take the book out: book folder, pedigree CSV, SPARKS tables, PMx files or an Excel workbook (read only)."""


@export.command("book")
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
@pass_app
def export_book(app: AppContext, folder: Path) -> None:
    """Write the whole book to FOLDER in the book folder format (data/README.md, docs/export.md).

    FOLDER must be new or empty. Void records, extra local IDs, health notes and the book's
    problems go to extra files, written only when they have rows; `init --from-folder` loads them all.
    """
    from ..services.export import book_export, check_target, write_book_folder

    check_target(folder)  # refused before the database is opened
    with app.session() as session:
        book = book_export(session)
    report = write_book_folder(book, folder)
    counts = report.counts
    message(f"Wrote {report.folder}: {counts.get('institutions.csv', 0)} institutions, "
            f"{counts.get('animals.csv', 0)} animals, {counts.get('events.csv', 0)} events, "
            f"{counts.get('mult_parents.csv', 0)} MULT candidates ({', '.join(report.written)}).")
    if report.not_loaded:
        message(f"Note: {', '.join(report.not_loaded)} hold records that `studbook init --from-folder` does not "
                "load yet (docs/export.md).")


@export.command("pedigree")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--as-of", "as_of", metavar="DATE",
              help="Who is alive on this date (default: the book's census date, else today).")
@pass_app
def export_pedigree(app: AppContext, file: Path, as_of: str | None) -> None:
    """Write the generic pedigree CSV id,sire,dam,sex,birth_date,alive to FILE (a new file).

    The format `studbook import pedigree` and the R pedigree packages read. Unknown and WILD
    parents are empty; a MULT parent is written as its most probable candidate (a tie: the
    lowest studbook ID), so F and kinship below a MULT slot differ from the book's. Void
    records and animals born after the day are left out.
    """
    from ..services.export import check_new_file, pedigree_export, write_pedigree_csv

    check_new_file(file)  # refused before the database is opened
    with app.session() as session:
        ped = pedigree_export(session, as_of)
    if ped.note:
        message(ped.note)
    write_pedigree_csv(ped, file)
    alive = sum(r.alive == "1" for r in ped.rows)
    message(f"Wrote {file}: {len(ped.rows)} animals ({alive} alive)"
            + (f"; {ped.mult_slots} MULT parent(s) written as their most probable candidate" if ped.mult_slots
               else "") + ".")


@export.command("sparks")
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["dbf", "csv"]), default="dbf", show_default=True,
              help="dbf: dBase III files as SPARKS writes them; csv: the same columns in UTF-8 (lossless).")
@pass_app
def export_sparks(app: AppContext, folder: Path, fmt: str) -> None:
    """Write the SPARKS exchange and moves tables (PMx's primary input) to FOLDER (new or empty).

    exchange.dbf + moves.dbf, or exchange.csv + moves.csv with --format csv (lossless), and
    beside them mult.csv (MULT candidates) and species.json, which `import sparks` reads with
    --mult and --species-file. What the SPARKS layout cannot carry (house names, flags, event
    notes...) is counted on stderr (docs/export-sparks-pmx-xlsx.md).
    """
    from ..services.export import check_folder_target
    from ..services.export_sparks import sparks_export, write_sparks_folder

    check_folder_target(folder)  # refused before the database is opened
    with app.session() as session:
        tables = sparks_export(session)
    report = write_sparks_folder(tables, folder, fmt)
    if tables.note:
        message(f"Analysis columns (INBREED, KNOWN, MK): {tables.note}")
    message(f"Wrote {report.folder}: {report.animals} animals, {report.moves} moves, {report.mult} MULT candidates "
            f"({', '.join(report.written)}).")
    if report.widened:
        message("Widened to fit the values: " + ", ".join(
            f"{col} {kind}{old} -> {kind}{new} ({name})" for name, col, kind, old, new in report.widened) + ".")
    if report.lost:
        message("Lost in the DBF (--format csv keeps them): " + ", ".join(
            f"{n} {col} value(s) {why} ({name})" for name, col, n, why in report.lost) + ".")
    if report.not_carried:
        message("Not carried by the SPARKS layout: " + ", ".join(
            f"{n} {what}" for what, n in report.not_carried.items()) + ".")


@export.command("pmx")
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
@as_of_option
@pass_app
def export_pmx(app: AppContext, folder: Path, as_of: str | None) -> None:
    """Write what PMx needs to FOLDER (new or empty): exchange.csv, mult.csv and pmxcens.csv.

    The book on --as-of (default: its census date, else today): full birth dates (a partial
    one gets the middle of its range, code D), the MULT candidates, and the census of the
    animals alive on that day (docs/export-sparks-pmx-xlsx.md).
    """
    from ..services.export import check_folder_target
    from ..services.export_pmx import pmx_export, write_pmx_folder

    check_folder_target(folder)  # refused before the database is opened
    with app.session() as session:
        pmx = pmx_export(session, as_of)
    if pmx.note:
        message(pmx.note)
    written = write_pmx_folder(pmx, folder)
    message(f"Wrote {folder}: {len(pmx.exchange)} animals, {len(pmx.mult)} MULT candidates, "
            f"{len(pmx.census)} alive on {pmx.day.isoformat()} ({', '.join(written)}).")
    if pmx.midpoint_births:
        message(f"Note: {pmx.midpoint_births} birth date(s) are not exact days: written as the middle of their "
                "range with BIRTH_EST D.")
    if pmx.no_birth_date:
        shown = ", ".join(pmx.no_birth_date[:10]) + (" ..." if len(pmx.no_birth_date) > 10 else "")
        message(f"Warning: {len(pmx.no_birth_date)} animal(s) have no birth date, which PMx needs: {shown}.")


@export.command("xlsx")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@pass_app
def export_xlsx(app: AppContext, file: Path) -> None:
    """Write the whole book to FILE.xlsx (a new file): one sheet per table of `export book`.

    IDs stay text, exact days are date cells (partial dates text), headers frozen, autofilters
    on; no cell is ever a formula.
    """
    from ..services.export_xlsx import book_workbook, check_xlsx_target, write_workbook

    check_xlsx_target(file)  # refused before the database is opened
    with app.session() as session:
        workbook = book_workbook(session)
    write_workbook(workbook, file)
    counts = workbook.counts()
    message(f"Wrote {file}: {len(counts)} sheets ("
            + ", ".join(f"{name} {n}" for name, n in counts.items()) + ").")
