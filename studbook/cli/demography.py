"""``studbook demography ...``: life tables, growth (λ), census over time, age pyramid."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

import click

from .app import AppContext, pass_app
from .output import as_of_option, emit, emit_json, format_option, message

POPULATION = click.Choice(["captive", "all"])
_SEX_LABEL = {"M": "males", "F": "females", "all": "both sexes"}


@click.group()
def demography() -> None:
    """Demography (PMx/SPARKS-style): life tables, λ, census over time, age pyramid."""


def _window_options(f: Any) -> Any:
    f = click.option("--to", "last_year", type=int, metavar="YEAR",
                     help="Last year of the window (default: the reference day's year; cut at that day).")(f)
    return click.option("--from", "first_year", type=int, metavar="YEAR",
                        help="First year of the window (default: the year of the book's first birth).")(f)


def _population_option(default: str, help_text: str) -> Any:
    return click.option("--population", type=POPULATION, default=default, show_default=True, help=help_text)


_LIFE_POPULATION_HELP = ("captive: time in zoos and breeding centres only (a release or LTF removes the animal "
                         "from risk); all: life in the wild after a release counts too.")


def _num(v: Any) -> Any:
    return None if v is None else round(v, 6) if isinstance(v, float) else v


@demography.command("life-table")
@_window_options
@click.option("--sex", type=click.Choice(["M", "F", "all"]), default="all", show_default=True)
@_population_option("captive", _LIFE_POPULATION_HELP)
@click.option("--class-width", "width", type=click.IntRange(1, 50), default=1, show_default=True,
              help="Width of the age classes in years (no species parameter sets it yet).")
@as_of_option
@format_option
@pass_app
def life_table_cmd(app: AppContext, first_year: int | None, last_year: int | None, sex: str, population: str,
                   width: int, as_of: str | None, fmt: str) -> None:
    """Age-specific life table: at risk (animal-years), deaths, Qx (95% interval), Px, lx, births, Mx, ex.

    Partial dates count at their midpoint; animals and births with an undetermined date are left out
    and counted on stderr. Formulas and sources: docs/demography.md.
    """
    from ..services.demography import life_table_report

    with app.session() as session:
        rep = life_table_report(session, first_year=first_year, last_year=last_year, sex=sex, as_of=as_of,
                                population=population, width=width)
    t, g = rep.table, rep.growth
    if rep.note:
        message(rep.note)
    rows = [asdict(r) for r in t.rows]
    if fmt == "json":
        emit_json({"sex": t.sex, "population": t.population, "window_start": t.start.isoformat(),
                   "window_end": t.end.isoformat(), "class_width_years": t.width, "animals": t.n_animals,
                   "deaths": t.n_deaths, "births": t.n_births, "left_out_animals": t.left_out_animals,
                   "left_out_births": t.left_out_births, "lambda": g.lam, "r": g.r,
                   "generation_time": g.generation_time, "r0": g.r0, "growth_note": g.reason, "rows": rows})
        return
    title = f"Life table: {_SEX_LABEL[t.sex]}, {t.population} population, {t.window}"
    emit(rows, fmt, title=title)
    message(f"{title}: {t.n_animals} animals, {t.n_deaths} deaths, {_num(t.n_births)} births to parents at risk.")
    if g.lam is not None:
        message(f"lambda {g.lam:.4f} per year, r {g.r:.4f}, T {g.generation_time:.2f} years, R0 {g.r0:.3f} "
                "(studbook demography summary).")
    else:
        message(f"No lambda: {g.reason}.")
    small = sum(1 for r in t.rows if r.small_risk)
    if small:
        message(f"{small} age class(es) rest on fewer than 20 animal-years at risk: read their Qx with its 95% "
                "interval (qx_low, qx_high).")
    if t.left_out_animals or t.left_out_births:
        message(f"Left out for an undetermined date: {t.left_out_animals} animal(s), {t.left_out_births} birth(s).")


@demography.command("summary")
@_window_options
@_population_option("captive", _LIFE_POPULATION_HELP)
@as_of_option
@format_option
@pass_app
def summary_cmd(app: AppContext, first_year: int | None, last_year: int | None, population: str,
                as_of: str | None, fmt: str) -> None:
    """Growth from the life tables of females, males and both: λ (Leslie matrix), r = ln λ, T, R0, the window."""
    from ..services.demography import growth_summary

    with app.session() as session:
        s = growth_summary(session, first_year=first_year, last_year=last_year, as_of=as_of, population=population)
    if s.note:
        message(s.note)
    rows = [{"sex": r.sex, "population": r.population, "window_start": r.window_start.isoformat(),
             "window_end": r.window_end.isoformat(), "lambda": r.lam, "r": r.r, "generation_time": r.generation_time,
             "r0": r.r0, "age_classes": r.age_classes, "animals": r.animals, "deaths": r.deaths, "births": r.births,
             "note": r.reason} for r in s.rows]
    emit(rows, fmt, title="Growth from the life tables (studbook demography life-table)")
    if s.left_out_animals or s.left_out_births:
        message(f"Left out for an undetermined date: {s.left_out_animals} animal(s), {s.left_out_births} birth(s).")


@demography.command("census")
@click.option("--by", type=click.Choice(["region", "institution", "sex"]), default="region", show_default=True)
@click.option("--every", type=click.Choice(["year", "month"]), default="year", show_default=True,
              help="Count at each year end (31 December) or month end, and on the last day of the window.")
@_window_options
@as_of_option
@format_option
@pass_app
def census_cmd(app: AppContext, by: str, every: str, first_year: int | None, last_year: int | None,
               as_of: str | None, fmt: str) -> None:
    """Living animals (captive or in the wild) at each date, by region, institution or sex.

    Each count equals `studbook animal list --alive --as-of DATE` on that date; `none` is a place with no region.
    """
    from ..services.demography import census_report

    with app.session() as session:
        rep = census_report(session, by=by, every=every, first_year=first_year, last_year=last_year, as_of=as_of)
    if rep.note:
        message(rep.note)
    rows = []
    for p in rep.points:
        counts = dict(p.counts)
        rows.append({"date": p.day.isoformat(), "total": p.total, **{g: counts.get(g, 0) for g in rep.groups}})
    emit(rows, fmt, title=f"Living animals by {by}")


@demography.command("pyramid")
@_population_option("all", "all: every living animal (captive or in the wild); captive: in zoos only.")
@click.option("--class-width", "width", type=click.IntRange(1, 50), default=1, show_default=True,
              help="Width of the age classes in years.")
@as_of_option
@format_option
@pass_app
def pyramid_cmd(app: AppContext, population: str, width: int, as_of: str | None, fmt: str) -> None:
    """Age-sex pyramid: living animals per age class and sex (age from the birth date's midpoint)."""
    from ..services.demography import age_pyramid

    with app.session() as session:
        rep = age_pyramid(session, as_of=as_of, population=population, width=width)
    if rep.note:
        message(rep.note)
    p = rep.pyramid
    rows = [asdict(r) for r in p.rows]
    emit(rows, fmt, title=f"Age pyramid on {p.day.isoformat()} ({population})")
    if p.age_unknown:
        message(f"{p.age_unknown} living animal(s) of undetermined age are not in the pyramid.")
