"""Book-level commands: init, db, species, institution, validate, audit."""

from __future__ import annotations

from dataclasses import asdict

import click

from .app import AppContext, pass_app
from .output import emit, emit_object, format_option, message


@click.command()
@click.option("--sample", is_flag=True, help="Load the bundled synthetic Amur leopard studbook.")
@click.option("--from-folder", "folder", type=click.Path(exists=True, file_okay=False),
              help="Load a book folder (species.json, institutions.csv, animals.csv, mult_parents.csv, events.csv).")
@pass_app
def init(app: AppContext, sample: bool, folder: str | None) -> None:
    """Create the database (or migrate it to the latest schema); optionally load a book."""
    from pathlib import Path

    from ..db import upgrade
    from ..services.setup import ensure_species, load_book_folder, sample_dir

    upgrade(app.url)
    with app.session(write=True) as session:
        if sample or folder:
            report = load_book_folder(session, sample_dir() if sample else Path(folder))  # type: ignore[arg-type]
            message(f"Loaded {report.animals} animals, {report.events} events, {report.institutions} institutions "
                    f"({report.warnings} warnings; see `studbook validate`).")
        else:
            ensure_species(session)
    message(f"Database ready: {app.url}")


@click.group()
def db() -> None:
    """Database schema: upgrade, current revision."""


@db.command("upgrade")
@click.option("--revision", default="head", show_default=True, help="Target revision.")
@pass_app
def db_upgrade(app: AppContext, revision: str) -> None:
    """Migrate the schema to the latest revision (safe to run again)."""
    from ..db import current_revision, upgrade

    upgrade(app.url, revision)
    message(f"Schema at revision {current_revision(app.url)}.")


@db.command("current")
@pass_app
def db_current(app: AppContext) -> None:
    """Print the schema revision of the database and of this studbook."""
    from ..db import current_revision, head_revision

    cur = current_revision(app.url)
    head = head_revision()
    click.echo(f"{cur or 'none'} (head: {head}){'' if cur == head else ' - run `studbook db upgrade`'}")


@click.group()
def species() -> None:
    """The species parameters that validation reads (gestation, breeding ages, longevity)."""


@species.command("show")
@format_option
@pass_app
def species_show(app: AppContext, fmt: str) -> None:
    """Show the species parameters."""
    from ..services.book import species_params

    with app.session() as session:
        emit_object(asdict(species_params(session)), fmt, title="Species")


@species.command("set")
@click.option("--common-name")
@click.option("--scientific-name")
@click.option("--gestation-min", "gestation_min_days", type=int, help="Days.")
@click.option("--gestation-max", "gestation_max_days", type=int, help="Days.")
@click.option("--min-age-male", "min_breeding_age_male", type=float, help="Years.")
@click.option("--min-age-female", "min_breeding_age_female", type=float, help="Years.")
@click.option("--max-age-male", "max_breeding_age_male", type=float, help="Years.")
@click.option("--max-age-female", "max_breeding_age_female", type=float, help="Years.")
@click.option("--longevity", "longevity_years", type=float, help="Years.")
@pass_app
def species_set(app: AppContext, **changes: object) -> None:
    """Change species parameters (the whole book is re-validated; an error refuses the change)."""
    from dataclasses import replace

    from ..errors import ValidationError
    from ..rules import check_book, errors_of
    from ..services.book import load_book, species_params
    from ..services.setup import set_species

    with app.session(write=True) as session:
        params = replace(species_params(session), **{k: v for k, v in changes.items() if v is not None})
        set_species(session, params)
        errors = errors_of(check_book(load_book(session)))
        if errors:
            raise ValidationError(f"with these parameters {len(errors)} record(s) would break the rules; nothing changed",
                                  "fix the records first or choose other values",
                                  problems=[e.line() for e in errors])
    message("Species parameters updated.")


@click.group()
def institution() -> None:
    """Holding institutions."""


@institution.command("add")
@click.argument("code")
@click.option("--name", required=True)
@click.option("--country", required=True, help="ISO 3166 alpha-2, e.g. DE.")
@click.option("--lat", "latitude", type=float, required=True, help="Latitude, decimal degrees.")
@click.option("--lon", "longitude", type=float, required=True, help="Longitude, decimal degrees (east +).")
@click.option("--city")
@click.option("--region", help="EAZA, AZA, EARAZA, JAZA, ...")
@click.option("--capacity-males", type=int, help="Spaces for males.")
@click.option("--capacity-females", type=int, help="Spaces for females.")
@pass_app
def institution_add(app: AppContext, code: str, **fields: object) -> None:
    """Add an institution with its mnemonic CODE (at most 9 characters)."""
    from ..services.institutions import add_institution

    with app.session(write=True) as session:
        row = add_institution(session, code, **fields)  # type: ignore[arg-type]
    message(f"Added institution {row.code} ({row.name}).")


@institution.command("list")
@format_option
@pass_app
def institution_list(app: AppContext, fmt: str) -> None:
    """List institutions."""
    from ..services.institutions import list_institutions

    with app.session() as session:
        rows = [asdict(r) for r in list_institutions(session)]
    emit(rows, fmt, title="Institutions")


@click.command()
@format_option
@click.option("--errors-only", is_flag=True, help="Leave out warnings.")
@pass_app
def validate(app: AppContext, fmt: str, errors_only: bool) -> None:
    """Check the whole book and list every error and warning (exit 1 if any error)."""
    from ..errors import ValidationError
    from ..services.validate import validate_book

    with app.session() as session:
        findings = validate_book(session)
    if errors_only:
        findings = [f for f in findings if f.severity == "error"]
    n_err = sum(f.severity == "error" for f in findings)
    rows = [asdict(f) for f in findings]
    if rows or fmt != "table":
        emit(rows, fmt, title="Validation", columns=["severity", "code", "studbook_id", "message", "hint"])
    message(f"{n_err} error(s), {len(findings) - n_err} warning(s).")
    if n_err:
        raise ValidationError(f"the book has {n_err} error(s)", "fix them; each line names the animal and the rule")


@click.command()
@click.option("--animal", "studbook_id", help="Only changes of this animal.")
@click.option("--limit", type=click.IntRange(1), default=50, show_default=True)
@format_option
@pass_app
def audit(app: AppContext, studbook_id: str | None, limit: int, fmt: str) -> None:
    """Show the audit log (newest first): who changed what, when, before and after."""
    from ..services.auditlog import audit_rows

    with app.session() as session:
        rows = audit_rows(session, studbook_id=studbook_id, limit=limit)
    emit(rows, fmt, title="Audit log")




@click.group("import")
def import_group() -> None:
    """Import data from other tools."""


@import_group.command("pedigree")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--repair", is_flag=True,
              help="Fix repairable problems the way optiSel's prePed does (break loops, clear impossible parents) "
                   "and list every change.")
@pass_app
def import_pedigree_cmd(app: AppContext, file: str, repair: bool) -> None:
    """Import a generic pedigree CSV (id,sire,dam,sex[,birth_year|birth_date][,alive]); all or nothing."""
    from ..db import upgrade
    from ..services.imports import import_pedigree

    upgrade(app.url)
    with app.session(write=True) as session:
        report = import_pedigree(session, file, repair=repair)
    for line in report.repairs:
        message(f"Repaired: {line}")
    if report.warnings:
        from collections import Counter

        codes = Counter(w.split()[1] for w in report.warnings)
        message(f"{len(report.warnings)} warning(s) ({', '.join(f'{c} x{n}' for c, n in sorted(codes.items()))}); "
                "`studbook validate` lists them.")
    message(f"Imported {report.animals} animals from {report.file} ({report.added_parents} parents without a row "
            f"added as founders, {report.dead} dead, {len(report.repairs)} repairs).")
