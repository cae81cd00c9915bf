"""Book-level commands: init, db, species, institution, validate, audit."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from typing import Any

import click

from .app import AppContext, pass_app
from .output import emit, emit_object, format_option, message


@click.command()
@click.option("--sample", is_flag=True, help="Load the bundled synthetic Amur leopard studbook.")
@click.option("--from-folder", "folder", type=click.Path(exists=True, file_okay=False),
              help="Load a book folder (species.json, institutions.csv, animals.csv, mult_parents.csv, events.csv).")
@click.option("--allow-problems", is_flag=True,
              help="Load the book even if it has errors: unreadable rows are skipped and every error is stored "
                   "as an open problem (`studbook problems list`).")
@click.option("--problems", "problems_file", type=click.Path(dir_okay=False), metavar="FILE.csv",
              help="Write every problem found (and every warning) to this CSV file, even when the load is refused.")
@pass_app
def init(app: AppContext, sample: bool, folder: str | None, allow_problems: bool, problems_file: str | None) -> None:
    """Create the database (or migrate it to the latest schema); optionally load a book.

    A book loads all or nothing: every problem is listed (unreadable rows and broken rules
    together) and nothing is written, unless --allow-problems.
    """
    from pathlib import Path

    from ..db import new_database_or_nothing, upgrade
    from ..services.book_folder import load_book_folder
    from ..services.setup import ensure_species, sample_dir

    if sample and folder:
        raise click.UsageError("give --sample or --from-folder, not both")
    if (allow_problems or problems_file) and not (sample or folder):
        raise click.UsageError("--allow-problems and --problems go with --from-folder DIR (or --sample)")
    report = None
    # a refused load leaves no new database file behind (as `import sparks`)
    with problems_file_on_refusal(problems_file), new_database_or_nothing(app.url):
        upgrade(app.url)
        with app.session(write=True) as session:
            if sample or folder:
                report = load_book_folder(session, sample_dir() if sample else Path(str(folder)),
                                          allow_problems=allow_problems)
            else:
                ensure_species(session)
    if report is not None:
        write_problems_file(problems_file, report.found)
        if allow_problems:
            message(f"Loaded {report.animals} animals, {report.events} events, {report.institutions} institutions "
                    f"({report.warnings} warnings; {report.problems_stored} open problems stored — see "
                    "`studbook problems list`).")
        else:
            message(f"Loaded {report.animals} animals, {report.events} events, {report.institutions} institutions "
                    f"({report.warnings} warnings; see `studbook validate`).")
    message(f"Database ready: {app.url}")


@contextmanager
def problems_file_on_refusal(path: str | None) -> Iterator[None]:
    """A refused load still writes every problem it found to *path* (``--problems``), and says so."""
    from ..services.book_folder import BookLoadRefused

    try:
        yield
    except BookLoadRefused as exc:
        if path:
            failed = _write_problems(path, exc.found)
            exc.hint = (exc.hint or "") + (f"; could not write {path}: {failed}" if failed else
                                           f"; {path} lists them with the warnings ({len(exc.found)} rows)")
        raise


def write_problems_file(path: str | None, found: list[Any]) -> None:
    """``--problems FILE.csv`` after a load: every problem and warning found."""
    if path:
        failed = _write_problems(path, found)
        message(f"Could not write {path}: {failed}" if failed
                else f"Wrote {len(found)} problem(s) and warning(s) to {path}.")


def _write_problems(path: str, found: list[Any]) -> str | None:
    """Write the problems CSV (file,line,animal,code,severity,message,hint); the reason when it cannot."""
    from ..services.book_folder import PROBLEM_COLUMNS

    try:
        with open(path, "w", encoding="utf-8", newline="") as fh:
            emit([p.as_row() for p in found], "csv", columns=PROBLEM_COLUMNS, out=fh)
    except OSError as exc:
        return exc.strerror or str(exc)
    return None


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


@db.command("grant-app-role")
@click.argument("logins", nargs=-1, metavar="[LOGIN ...]")
@pass_app
def db_grant_app_role(app: AppContext, logins: tuple[str, ...]) -> None:
    """PostgreSQL: create/grant the application role studbook_app (INSERT/SELECT only on the audit log)
    and make each database LOGIN a member (docs/users-and-roles.md)."""
    from ..services.pg_roles import grant_app_role

    with app.session(write=True) as session:
        done = grant_app_role(session, list(logins))
    message(done)


@click.group()
def species() -> None:
    """The species parameters that validation reads (gestation, breeding ages, longevity, reproduction), the
    book's census date and its ID sequence."""


@species.command("show")
@format_option
@pass_app
def species_show(app: AppContext, fmt: str) -> None:
    """Show the species parameters, the census date and the next studbook ID."""
    from ..services.setup import species_info

    with app.session() as session:
        info = species_info(session)
    emit_object(info, fmt, title="Species")


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
@click.option("--reproduction", type=click.Choice(["live", "egg"]),
              help="live (births) or egg (hatches: incubation takes the place of gestation).")
@click.option("--incubation-min", "incubation_min_days", type=int, metavar="DAYS", help="Egg species: days.")
@click.option("--incubation-max", "incubation_max_days", type=int, metavar="DAYS", help="Egg species: days.")
@click.option("--clutch-interval", "clutch_interval_days", type=int, metavar="DAYS",
              help="Egg species: fewest days between two clutches of one dam (replacement clutches).")
@click.option("--dependence-months", type=float, metavar="MONTHS",
              help="Young depend on their dam until this age: she is not moved or re-paired, they are not moved.")
@click.option("--release-age-min", type=float, metavar="YEARS", help="Default youngest age of release candidates.")
@click.option("--release-age-max", type=float, metavar="YEARS", help="Default oldest age of release candidates.")
@click.option("--earliest-year", type=int, metavar="YEAR", help="Dates before this year are refused as typos (D02).")
@click.option("--census-date", metavar="DATE|none",
              help="The book's census date (read commands show the book on it); none: today.")
@click.option("--next-id", "next_studbook_id", type=int, metavar="N", help="The studbook ID `birth` gives next.")
@pass_app
def species_set(app: AppContext, **changes: object) -> None:
    """Change species parameters (the whole book is checked again; a new error refuses the change)."""
    from ..services.setup import update_species

    with app.session(write=True) as session:
        result = update_species(session, **changes)  # type: ignore[arg-type]
    closed = f" {result.closed_problems} open problem(s) mended and closed." if result.closed_problems else ""
    message(f"Species parameters updated ({', '.join(result.changed) or 'no value changed'}).{closed}")


INSTITUTION_KIND_CHOICES = ("zoo", "breeding-centre", "release-site", "wild-area")  # models.INSTITUTION_KINDS


@click.group()
def institution() -> None:
    """Holding institutions: zoos and breeding centres, release sites and wild areas."""


@institution.command("add")
@click.argument("code")
@click.option("--name", required=True)
@click.option("--kind", type=click.Choice(INSTITUTION_KIND_CHOICES), default="zoo", show_default=True,
              help="zoo or breeding-centre (captive), release-site or wild-area (in the wild).")
@click.option("--country", help="ISO 3166 alpha-2, e.g. DE (optional).")
@click.option("--lat", "latitude", type=float, help="Latitude, decimal degrees (with --lon, or neither).")
@click.option("--lon", "longitude", type=float, help="Longitude, decimal degrees, east + (with --lat, or neither).")
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
    message(f"Added institution {row.code} ({row.name}, {row.kind}).")


@institution.command("update")
@click.argument("code")
@click.option("--name", help="New name.")
@click.option("--kind", type=click.Choice(INSTITUTION_KIND_CHOICES),
              help="zoo or breeding-centre (captive), release-site or wild-area (in the wild); the rules of the "
                   "animals that were there are checked again.")
@click.option("--country", help="ISO 3166 alpha-2, or none to clear.")
@click.option("--lat", "latitude", help="Latitude, decimal degrees, or none to clear (with --lon none).")
@click.option("--lon", "longitude", help="Longitude, decimal degrees, east +, or none to clear (with --lat none).")
@click.option("--city", help="City, or none to clear.")
@click.option("--region", help="EAZA, AZA, EARAZA, JAZA, ..., or none to clear.")
@click.option("--capacity-males", help="Spaces for males, or none to clear.")
@click.option("--capacity-females", help="Spaces for females, or none to clear.")
@click.option("--reason", help="Why (goes into the audit log).")
@pass_app
def institution_update(app: AppContext, code: str, reason: str | None, **fields: str | None) -> None:
    """Change fields of institution CODE (audited); `none` clears an optional field."""
    from ..services.institutions import update_institution
    from .output import warnings

    changes = {k: v for k, v in fields.items() if v is not None}
    with app.session(write=True) as session:
        result = update_institution(session, code, reason=reason, **changes)
    warnings(result.warnings)
    done = ", ".join(f.replace("_", " ") for f in result.changed) or "nothing changed"
    message(f"Updated institution {result.row.code}: {done}.")


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
    """Check the whole book and list every error and warning, and the open problems (exit 1 if any error)."""
    from ..errors import ValidationError
    from ..services.validate import validation_report

    with app.session() as session:
        report = validation_report(session)
    findings = report.findings
    if errors_only:
        findings = [f for f in findings if f.severity == "error"]
    n_err = sum(f.severity == "error" for f in findings)
    rows = [asdict(f) for f in findings]
    if rows or fmt != "table":
        emit(rows, fmt, title="Validation", columns=["severity", "code", "studbook_id", "message", "hint"])
    known = f" ({report.known} of them open problems)" if report.known else ""
    message(f"{n_err} error(s){known}, {len(findings) - n_err} warning(s).")
    if n_err:
        raise ValidationError(f"the book has {n_err} error(s)",
                              "fix them; each line names the animal and the rule"
                              + ("; `studbook problems list --open` lists the open problems" if report.known else ""))


@click.group(invoke_without_command=True)
@click.option("--animal", "studbook_id", help="Only changes of this animal.")
@click.option("--limit", type=click.IntRange(1), default=50, show_default=True)
@format_option
@click.pass_context
def audit(ctx: click.Context, studbook_id: str | None, limit: int, fmt: str) -> None:
    """Show the audit log (newest first): who changed what, when, before and after.

    `studbook audit verify` checks that nobody rewrote it."""
    if ctx.invoked_subcommand is not None:
        return
    from ..services.auditlog import audit_rows

    app = ctx.find_object(AppContext)
    assert app is not None
    with app.session() as session:
        rows = audit_rows(session, studbook_id=studbook_id, limit=limit)
    emit(rows, fmt, title="Audit log")


@audit.command("verify")
@format_option
@pass_app
def audit_verify(app: AppContext, fmt: str) -> None:
    """Check the audit log's hash chain and its guards (triggers, owner); name the first broken row.

    Exit 0 when intact, 1 when a row was changed, inserted or removed behind the application's
    back or a guard is missing. Keep the printed head hash elsewhere: a later run whose chain no
    longer contains it shows a log rewritten from scratch."""
    from ..errors import ValidationError
    from ..services.auditlog import verify_audit

    with app.session() as session:
        result = verify_audit(session)
    if fmt == "json":
        emit_object(result, fmt, title="Audit log verification")
    else:
        message(f"{result['rows']} audit row(s) checked.")
        for p in result["problems"]:
            message(f"problem: {p}")
        if result["first_broken"] is None:
            message(f"The hash chain is intact; head {result['head']}.")
    if not result["ok"]:
        broken = (f"audit row {result['first_broken']} is broken: {result['why']}"
                  if result["first_broken"] is not None else "; ".join(result["problems"]))
        raise ValidationError(f"the audit log fails verification: {broken}",
                              "restore the book from a backup taken before that row, or ask the database owner")
