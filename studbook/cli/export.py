"""``studbook export ...``: take a book out as a book folder or a generic pedigree CSV (read only)."""

from __future__ import annotations

from pathlib import Path

import click

from .app import AppContext, pass_app
from .output import message


@click.group()
def export() -> None:
    """Take the book out: the folder `init --from-folder` loads, or a generic pedigree CSV (read only)."""


@export.command("book")
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
@pass_app
def export_book(app: AppContext, folder: Path) -> None:
    """Write the whole book to FOLDER in the book folder format (data/README.md, docs/export.md).

    FOLDER must be new or empty. What `init --from-folder` cannot load yet (void records, extra
    local IDs, health notes, problems) goes to extra files, listed on stderr.
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

