"""``studbook import ...``: books and pedigrees from other tools (SPARKS, generic pedigree CSV)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from .app import AppContext, pass_app
from .output import NamedSteps, message

if TYPE_CHECKING:
    from ..services.sparks_import import SparksImportReport


@click.group("import")
def import_group() -> None:
    """Import data from other tools."""


@import_group.command("pedigree")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--repair", is_flag=True,
              help="Fix repairable problems the way optiSel's prePed does (break loops, clear impossible parents) "
                   "and list every change.")
@click.option("--sex-codes", type=click.Choice(["kinship2", "sparks", "text"]), default="kinship2",
              show_default=True,
              help="What numbers in the sex column mean: kinship2/pedtools 1 male, 2 female, 0 unknown; "
                   "SPARKS 1 male, 0 female, 5 unknown; text: only M, F, U.")
@pass_app
def import_pedigree_cmd(app: AppContext, file: str, repair: bool, sex_codes: str) -> None:
    """Import a generic pedigree CSV (id,sire,dam,sex[,birth_year|birth_date][,alive]); all or nothing."""
    from ..db import new_database_or_nothing, upgrade
    from ..services.imports import IMPORT_STEPS, import_pedigree

    with new_database_or_nothing(app.url):  # a refused import leaves no new database file behind
        upgrade(app.url)
        with NamedSteps("import", len(IMPORT_STEPS)) as step, app.session(write=True) as session:
            report = import_pedigree(session, file, repair=repair, sex_codes=sex_codes, progress=step)
    for notice in report.notices:
        message(f"Warning: {notice}")
    for line in report.repairs:
        message(f"Repaired: {line}")
    if report.earliest_year is not None:
        message(f"The book's earliest year is now {report.earliest_year}, the oldest birth in the file "
                "(dates before it are refused as typos, rule D02).")
    if report.warnings:
        from collections import Counter

        codes = Counter(w.split()[1] for w in report.warnings)
        message(f"{len(report.warnings)} warning(s) ({', '.join(f'{c} x{n}' for c, n in sorted(codes.items()))}); "
                "`studbook validate` lists them.")
    message(f"Imported {report.animals} animals from {report.file} ({report.added_parents} parents without a row "
            f"added as founders, {report.dead} dead, {len(report.repairs)} repairs).")


@import_group.command("sparks")
@click.argument("exchange", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("moves", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--species-file", type=click.Path(dir_okay=False, path_type=Path), metavar="species.json",
              help="The species' biology (the keys of a book folder's species.json); SPARKS tables have none.")
@click.option("--mult", "mult_file", type=click.Path(dir_okay=False, path_type=Path), metavar="FILE.csv",
              help="MULT candidates: studbook_id,role,candidate,probability (as `export pmx` writes mult.csv).")
@click.option("--allow-problems", is_flag=True,
              help="Load even with errors: each is stored as an open problem (`studbook problems list`). "
                   "Structural faults of the files are refused anyway.")
@click.option("--problems", "problems_file", type=click.Path(dir_okay=False), metavar="FILE.csv",
              help="Write every problem and warning found to this CSV file, even when the import is refused.")
@click.option("--dry-run", is_flag=True, help="Report what would be loaded and every problem; write nothing.")
@pass_app
def import_sparks_cmd(app: AppContext, exchange: Path, moves: Path, species_file: Path | None,
                      mult_file: Path | None, allow_problems: bool, problems_file: str | None, dry_run: bool) -> None:
    """Import a SPARKS book: the EXCHANGE and MOVES tables, each .dbf or .csv (docs/sparks.md).

    Creates the database when it does not exist yet (like init); it must hold no animals.
    All or nothing: every problem is listed and nothing is written, unless --allow-problems.
    """
    from ..db import new_database_or_nothing, upgrade
    from ..services.sparks_import import dry_run_sparks, load_sparks, read_sparks
    from .records import problems_file_on_refusal, write_problems_file

    book = read_sparks(exchange, moves, species_file=species_file, mult_file=mult_file)
    with problems_file_on_refusal(problems_file):
        if dry_run:
            report = dry_run_sparks(book, user=app.username())
        else:
            with new_database_or_nothing(app.url):
                upgrade(app.url)
                with app.session(write=True) as session:
                    report = load_sparks(session, book, allow_problems=allow_problems)
    write_problems_file(problems_file, report.found)
    _render_sparks_report(report)


def _render_sparks_report(report: SparksImportReport) -> None:
    def counts(bag: dict[str, int]) -> str:
        return ", ".join(f"{k} {v}" for k, v in bag.items()) or "none"

    verb = "Would load" if report.dry_run else "Loaded"
    message(f"{verb} {report.animals} of {report.exchange_records} animals and {report.events} events from "
            f"{report.moves_records} moves ({report.deaths_from_exchange} more deaths from DEAD=T without a death "
            f"move); events: {counts(report.events_by_kind)}.")
    message(f"Institutions created: {counts(report.institutions_by_kind)}; MULT slots: {report.mult_slots}.")
    message(f"Kept as notes: move codes {counts(report.codes_kept_as_notes)}; fields "
            f"{counts(report.fields_kept_as_notes)}.")
    if report.disagreements:
        message(f"Exchange vs moves (the moves win): {counts(report.disagreements)}.")
    stored = "" if report.dry_run else f"; {report.problems_stored} stored as open problems (`studbook problems list`)"
    message(f"Problems: {sum(report.problems_by_code.values())} ({counts(report.problems_by_code)}){stored}; "
            f"{report.warnings} warnings; {report.skipped_rows} records not loaded.")
