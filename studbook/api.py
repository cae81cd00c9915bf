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
    from .services.genetics import mean_kinship_rows

    return mean_kinship_rows(load_pedigree(db, as_of=as_of))


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


# --- relate and pedigree drawings ---


# --- genetics history and report ---
