"""The Python API: the same operations as the CLI, for scripts and notebooks.

Each function takes ``db`` (a file path or SQLAlchemy URL, as ``--db``), runs in one
transaction and returns plain data (dicts, lists, dataclasses, numpy arrays).
Writes go through the same rules and audit log as the CLI.

    >>> from studbook import api                                   # doctest: +SKIP
    >>> api.init("demo.db", sample=True)                           # doctest: +SKIP
    >>> api.genetic_summary("demo.db")["gene_diversity"]           # doctest: +SKIP
    0.92...
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .audit import current_user
from .config import resolve_url
from .db import session_scope, upgrade


def _url(db: str | None) -> str:
    return resolve_url(db)


def init(db: str | None = None, *, sample: bool = False) -> None:
    """Create or migrate the schema; optionally load the bundled sample studbook."""
    from .services.book_folder import load_book_folder
    from .services.setup import ensure_species, sample_dir

    url = _url(db)
    upgrade(url)
    with session_scope(url, write=True, user=current_user(), command="api init") as session:
        if sample:
            load_book_folder(session, sample_dir())
        else:
            ensure_species(session)


def load_pedigree(db: str | None = None, *, as_of: str | None = None) -> Any:
    """The book as a frozen :class:`studbook.pedigree.Pedigree` plus per-animal info (``LoadedPedigree``).

    ``as_of`` (``YYYY-MM-DD``, as ``--as-of``): who is alive and where on that day; default the
    book's census date, else today. ``.note`` says when the census date was used,
    ``.open_problems`` counts the book's open problems.
    """
    from .services.genetics import load_for_analysis

    url = _url(db)
    return load_for_analysis(url, lambda: session_scope(url), as_of)


def genetic_summary(db: str | None = None, *, as_of: str | None = None) -> dict[str, Any]:
    from .services.genetics import summary

    return summary(load_pedigree(db, as_of=as_of))


def mean_kinship_table(db: str | None = None, *, as_of: str | None = None) -> list[dict[str, Any]]:
    """The mean-kinship table of ``genetics mean-kinship``, the kinship value included."""
    return kinship_value_table(db, as_of=as_of)


def inbreeding(db: str | None = None, *, as_of: str | None = None) -> dict[str, float]:
    from .services.genetics import inbreeding_rows

    return {r["id"]: r["F"] for r in inbreeding_rows(load_pedigree(db, as_of=as_of))}


def kinship(db: str | None = None, ids: list[str] | None = None, *, as_of: str | None = None
            ) -> tuple[list[str], Any]:
    """(labels, square kinship matrix) of ``ids`` (default: the living analysis population)."""
    from .services.genetics import kinship_square

    return kinship_square(load_pedigree(db, as_of=as_of), ids)


def gene_drop(db: str | None = None, *, iterations: int = 5000, seed: int | None = 1,
              as_of: str | None = None) -> dict[str, Any]:
    from .services.genetics import gene_drop_summary, run_gene_drop

    loaded = load_pedigree(db, as_of=as_of)
    return gene_drop_summary(loaded, run_gene_drop(loaded, iterations, seed), seed)


def import_pedigree(db: str | None, path: str | Path, *, repair: bool = False, user: str | None = None) -> Any:
    from .services.imports import import_pedigree as run

    url = _url(db)
    upgrade(url)
    with session_scope(url, write=True, user=current_user(user), command="api import pedigree") as session:
        return run(session, path, repair=repair)


def register_birth(db: str | None, *, dam: str, sire: str | list[str], date: str, at: str, cubs: list[str],
                   user: str | None = None, **options: Any) -> Any:
    """Register a litter (``sire`` an ID, ``"UNK"``, or ``["12:0.5", "15:0.5"]`` for MULT)."""
    from .services.animals import parse_parent
    from .services.events import register_birth as run

    with session_scope(_url(db), write=True, user=current_user(user), command="api birth") as session:
        return run(session, dam=dam, sire=parse_parent(sire, "sire"), date=date, at=at, cubs=cubs, **options)


def transfer(db: str | None, studbook_id: str, *, to: str, date: str, user: str | None = None,
             **options: Any) -> Any:
    from .services.events import transfer as run

    with session_scope(_url(db), write=True, user=current_user(user), command="api transfer") as session:
        return run(session, studbook_id, to=to, date=date, **options)


def validate(db: str | None = None) -> list[Any]:
    from .services.validate import validate_book

    with session_scope(_url(db)) as session:
        return validate_book(session)


def recommend_pairs(db: str | None = None, *, strategy: str = "optimal", max_pairs: int | None = None,
                    allow_dash: bool = False, as_of: str | None = None) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    from .services.recommend import build_population, load_msi_config, pair_table
    from .services.recommend import recommend_pairs as run

    with session_scope(_url(db)) as session:
        pop = build_population(session, as_of=as_of)
    return run(pop, pair_table(pop, load_msi_config(None)), strategy=strategy, max_pairs=max_pairs,
               allow_dash=allow_dash)


def recommend_transfers(db: str | None = None, *, distance_weight: float = 0.1, cross_region_km: float = 0.0,
                        max_pairs: int | None = None, as_of: str | None = None
                        ) -> tuple[list[dict[str, Any]], list[dict[str, Any]], dict[str, Any]]:
    from .services.recommend import build_population, load_msi_config, pair_table
    from .services.recommend import recommend_transfers as run

    with session_scope(_url(db)) as session:
        pop = build_population(session, as_of=as_of)
    return run(pop, pair_table(pop, load_msi_config(None)), distance_weight=distance_weight,
               cross_region_km=cross_region_km, max_pairs=max_pairs, allow_dash=False)


def recommend_reintroduction(db: str | None = None, *, count: int, sex_ratio: tuple[int, int] | None = None,
                             min_age: float | None = None, max_age: float | None = None,
                             parent_reared_only: bool = True, seed: int = 0, as_of: str | None = None
                             ) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    from .services.book import species_params
    from .services.recommend import build_population
    from .services.reintroduction import recommend_reintroduction as run

    with session_scope(_url(db)) as session:
        pop = build_population(session, as_of=as_of)
        species = species_params(session)
    return run(pop, species, count=count, sex_ratio=sex_ratio, min_age=min_age, max_age=max_age,
               parent_reared_only=parent_reared_only, allow_health_notes=False, seed=seed)


# --- demography (life tables, census, pyramid) ---
def life_table(db: str | None = None, *, sex: str = "all", first_year: int | None = None,
               last_year: int | None = None, as_of: str | None = None, population: str = "captive",
               width: int = 1) -> Any:
    """``demography life-table``: a ``services.demography.LifeTableReport`` (``.table.rows``, ``.growth``)."""
    from .services.demography import life_table_report

    with session_scope(_url(db)) as session:
        return life_table_report(session, first_year=first_year, last_year=last_year, sex=sex, as_of=as_of,
                                 population=population, width=width)


def demography_summary(db: str | None = None, *, first_year: int | None = None, last_year: int | None = None,
                       as_of: str | None = None, population: str = "captive") -> Any:
    """``demography summary``: λ, r, T, R0 of females, males and both (``services.demography.GrowthSummary``)."""
    from .services.demography import growth_summary

    with session_scope(_url(db)) as session:
        return growth_summary(session, first_year=first_year, last_year=last_year, as_of=as_of,
                              population=population)


def census(db: str | None = None, *, by: str = "region", every: str = "year", first_year: int | None = None,
           last_year: int | None = None, as_of: str | None = None) -> Any:
    """``demography census``: living counts at each year or month end (``services.demography.CensusReport``)."""
    from .services.demography import census_report

    with session_scope(_url(db)) as session:
        return census_report(session, by=by, every=every, first_year=first_year, last_year=last_year, as_of=as_of)


def age_pyramid(db: str | None = None, *, as_of: str | None = None, population: str = "all", width: int = 1) -> Any:
    """``demography pyramid``: living animals per sex and age class (``services.demography.PyramidReport``)."""
    from .services.demography import age_pyramid as run

    with session_scope(_url(db)) as session:
        return run(session, as_of=as_of, population=population, width=width)


def kinship_value_table(db: str | None = None, *, as_of: str | None = None) -> list[dict[str, Any]]:
    """``genetics mean-kinship`` with the kinship value (KV) next to MK, as the CLI prints it."""
    from .services.demography import kinship_weights
    from .services.genetics import mean_kinship_rows

    loaded = load_pedigree(db, as_of=as_of)
    ids = [loaded.pedigree.ids[int(i)] for i in loaded.pedigree.living]
    with session_scope(_url(db)) as session:
        weights = kinship_weights(session, loaded.day, ids)
    return mean_kinship_rows(loaded, weights)



# --- relate and pedigree drawings ---


def relate(db: str | None, a: str, b: str, *, max_paths: int | None = 1000, as_of: str | None = None) -> Any:
    """φ(A, B) explained by Wright's paths (``studbook relate``): a ``services.drawing.RelateResult``.

    ``.kinship`` is the fast kinship; ``.relationship.paths`` the paths, largest contribution first
    (at most *max_paths*; ``.relationship.complete`` says whether all are listed, and then
    ``.paths_sum`` equals ``.kinship``).
    """
    from .services.drawing import relate_animals

    return relate_animals(load_pedigree(db, as_of=as_of), a, b, max_paths=max_paths)


def pedigree_drawing(db: str | None, studbook_id: str | None = None, *, pair: tuple[str, str] | None = None,
                     ancestors: int | None = None, descendants: int = 0, as_of: str | None = None) -> Any:
    """A pedigree drawing (``studbook pedigree ID`` / ``--pair A B``): a ``services.drawing.PedigreeDrawing``.

    ``.dot`` is the Graphviz text; ``.nodes`` and ``.edges`` what is drawn. Render it with
    :func:`render_pedigree`.
    """
    from .errors import InvalidInputError
    from .services.drawing import pedigree_drawing as run

    if (studbook_id is None) == (pair is None):
        raise InvalidInputError("give one animal ID or a pair", "pedigree_drawing(db, '1422') or pair=('A', 'B')")
    ids = list(pair) if pair else [str(studbook_id)]
    return run(load_pedigree(db, as_of=as_of), ids, ancestors=ancestors, descendants=descendants,
               pair=pair is not None)


def render_pedigree(drawing: Any, fmt: str = "svg") -> bytes:
    """SVG or PNG bytes of a :func:`pedigree_drawing` (or of DOT text), by Graphviz ``dot``."""
    from .services.drawing import render

    return render(drawing if isinstance(drawing, str) else drawing.dot, fmt)


# --- genetics history and report ---


def genetic_history(db: str | None = None, *, every: str = "year", from_year: int | None = None,
                    to_year: int | None = None, as_of: str | None = None) -> list[dict[str, Any]]:
    """GD, FGE, mean MK, mean F, founders represented and N living at each year (or month) end, from the
    book as it stood then (``studbook genetics history``); each row equals ``genetic_summary(as_of=day)``."""
    from .services.history import genetic_history as history
    from .services.history import read_book_rows
    from .services.pedigree_rows import parse_as_of

    url = _url(db)
    rows = read_book_rows(url, lambda: session_scope(url))
    return history(rows, every=every, from_year=from_year, to_year=to_year, as_of=parse_as_of(as_of)).rows()


def report(db: str | None = None, *, output: str | Path, pdf: str | Path | None = None, as_of: str | None = None,
           iterations: int = 1000, seed: int = 1) -> Any:
    """Write the population report (``studbook report``): one self-contained HTML file, and the same as PDF
    when *pdf* is given. Returns the gathered :class:`studbook.services.report.ReportData`."""
    from .report_render import html_to_pdf, render_html
    from .services.pedigree_rows import parse_as_of
    from .services.report import HTML_SUFFIXES, check_report_target, gather_report, write_file_atomic

    check_report_target(Path(output), HTML_SUFFIXES, "output")
    if pdf is not None:
        check_report_target(Path(pdf), (".pdf",), "pdf")
    with session_scope(_url(db)) as session:
        data = gather_report(session, parse_as_of(as_of), iterations=iterations, seed=seed)
    html = render_html(data)
    write_file_atomic(Path(output), html.encode("utf-8"))
    if pdf is not None:
        write_file_atomic(Path(pdf), html_to_pdf(html))
    return data
