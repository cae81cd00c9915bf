"""Creating a book: the bundled sample, and the species parameters that the rules read.

Loading a whole book from a folder of CSV files is ``services.book_folder``.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields, replace
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..dates import FuzzyDate
from ..errors import InvalidInputError, StudbookError, ValidationError
from ..models import REPRODUCTION, Species
from ..records import SpeciesParams
from ..rules import check_book, errors_of
from .animals import next_studbook_id as _next_free_id
from .book import load_book, species_params, today
from .problems import close_mended, known_errors, list_problems

T = TypeVar("T")

SPECIES_FIELDS = tuple(f.name for f in fields(SpeciesParams))
# species.json keys kept on the book rather than in SpeciesParams. ``reference_date`` is
# the older name of ``census_date`` (the sample book writes both).
BOOK_KEYS = ("census_date", "reference_date", "next_studbook_id")
def sample_dir() -> Path:
    """The bundled synthetic Amur leopard studbook (installed package or checkout)."""
    here = Path(__file__).resolve().parents[1]
    for candidate in (here / "sample", here.parent / "data" / "sample"):
        if (candidate / "animals.csv").exists():
            return candidate
    raise StudbookError("the sample studbook files are missing from this installation", "reinstall studbook")


# --- species parameters ------------------------------------------------------------------

def field_kind(name: str) -> str:
    """'str', 'int', 'float', 'int?' or 'float?' (optional), from SpeciesParams' annotation."""
    ann = str(next(f.type for f in fields(SpeciesParams) if f.name == name)).replace(" ", "")
    if ann in ("int|None", "Optional[int]"):
        return "int?"
    if ann in ("float|None", "Optional[float]"):
        return "float?"
    return ann if ann in ("str", "int", "float") else "str"


def species_problems(params: SpeciesParams) -> list[str]:
    """Every reason why these species parameters cannot be used (empty: they are fine)."""
    out: list[str] = []
    p = params
    if not (p.common_name or "").strip():
        out.append("the common name is empty")
    for name in SPECIES_FIELDS:
        value = getattr(p, name)
        if isinstance(value, float) and not math.isfinite(value):
            out.append(f"{name} {value} is not a number")
    if p.gestation_min_days <= 0 or p.gestation_max_days < p.gestation_min_days:
        out.append(f"gestation {p.gestation_min_days}-{p.gestation_max_days} days is not a valid range "
                   "(minimum above 0, maximum at least the minimum)")
    for sex in ("male", "female"):
        lo, hi = getattr(p, f"min_breeding_age_{sex}"), getattr(p, f"max_breeding_age_{sex}")
        if lo < 0 or hi < lo:
            out.append(f"{sex} breeding ages {lo:g}-{hi:g} years are not a valid range")
    if not p.longevity_years > 0:
        out.append(f"longevity {p.longevity_years:g} years must be above 0")
    if p.reproduction not in REPRODUCTION:
        out.append(f"reproduction {p.reproduction!r} is not one of {', '.join(REPRODUCTION)}")
    inc_lo, inc_hi = p.incubation_min_days, p.incubation_max_days
    if (inc_lo is None) != (inc_hi is None):
        out.append("incubation needs both a minimum and a maximum (or neither)")
    elif inc_lo is not None and inc_hi is not None and (inc_lo <= 0 or inc_hi < inc_lo):
        out.append(f"incubation {inc_lo}-{inc_hi} days is not a valid range")
    clutch = getattr(p, "clutch_interval_days", None)
    if clutch is not None and clutch <= 0:
        out.append(f"clutch interval {clutch} days must be above 0")
    dep = getattr(p, "dependence_months", None)
    if dep is not None and not (math.isfinite(dep) and dep >= 0):
        out.append(f"dependence {dep:g} months must be 0 or more")
    r_lo, r_hi = getattr(p, "release_age_min", None), getattr(p, "release_age_max", None)
    for name, value in (("minimum", r_lo), ("maximum", r_hi)):
        if value is not None and not (math.isfinite(value) and value >= 0):
            out.append(f"release {name} age {value:g} years must be 0 or more")
    if r_lo is not None and r_hi is not None and r_hi < r_lo:
        out.append(f"release ages {r_lo:g}-{r_hi:g} years are not a valid range")
    earliest = getattr(p, "earliest_year", None)
    if earliest is not None and not 1 <= earliest <= today().year:
        out.append(f"earliest year {earliest} must be between 1 and {today().year}")
    return out


SPECIES_HINT = ("give the minimum and maximum gestation in days (e.g. 90 and 105 for leopards), breeding ages and "
                "longevity in years, reproduction live or egg")


def set_species(session: Session, params: SpeciesParams) -> SpeciesParams:
    """Store the species parameters (one row), after checking them all."""
    problems = species_problems(params)
    if problems:
        reason = problems[0] if len(problems) == 1 else f"{len(problems)} species parameters are not valid"
        raise ValidationError(reason, SPECIES_HINT, problems=problems)
    row = session.scalars(select(Species).limit(1)).first()
    if row is None:
        row = Species(**asdict(params))
        session.add(row)
    else:
        for k, v in asdict(params).items():
            setattr(row, k, v)
    session.flush()
    return params


def ensure_species(session: Session) -> None:
    if session.scalars(select(Species.id).limit(1)).first() is None:
        set_species(session, SpeciesParams())


def species_row(session: Session) -> Species:
    ensure_species(session)
    row = session.scalars(select(Species).limit(1)).first()
    assert row is not None
    return row


def parse_census_date(text: str) -> date | None:
    """A census date: a full day ``YYYY-MM-DD`` not after today, or ``none`` (no census date)."""
    raw = (text or "").strip()
    if raw.lower() == "none":
        return None
    d = FuzzyDate.parse(raw, what="census date")
    if not d.is_exact:
        raise InvalidInputError(f"census date {text!r} must be one exact day", "write YYYY-MM-DD, or none")
    if d.value > today():
        raise InvalidInputError(f"census date {d} is in the future", "the census date is the day of a snapshot "
                                "of the book, today at the latest")
    return d.value


def next_id_value(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InvalidInputError(f"next studbook ID {value!r} must be a whole number of 1 or more",
                                "give the number `birth` should give next, e.g. 1479")
    return value


@dataclass(frozen=True)
class SpeciesUpdate:
    """What ``update_species`` changed, and how many open problems the change mended."""

    changed: list[str]
    closed_problems: int = 0


def update_species(session: Session, *, census_date: str | None = None, next_studbook_id: int | None = None,
                   **params: Any) -> SpeciesUpdate:
    """``species set``: change species parameters, the census date or the ID sequence.

    *params* are SpeciesParams fields (None: unchanged); *census_date* is a day or
    ``none``. The whole book is checked again: the change is refused when it would
    bring a NEW error (one the book did not have before and that is not an open
    problem); open problems it mends are closed.
    """
    unknown = sorted(set(params) - set(SPECIES_FIELDS))
    if unknown:
        raise InvalidInputError(f"unknown species parameter(s): {', '.join(unknown)}",
                                f"use {', '.join(SPECIES_FIELDS)}")
    given = {k: v for k, v in params.items() if v is not None}
    if not given and census_date is None and next_studbook_id is None:
        raise InvalidInputError("nothing to change", "give at least one option, e.g. --gestation-min 90")
    row = species_row(session)
    before_params = species_params(session)
    before = {(f.studbook_id, f.code) for f in errors_of(check_book(load_book(session)))}
    changed = [k for k, v in given.items() if getattr(before_params, k) != v]
    set_species(session, replace(before_params, **given))
    if census_date is not None:
        day = parse_census_date(census_date)
        if row.census_date != day:
            changed.append("census_date")
        row.census_date = day
    if next_studbook_id is not None:
        n = next_id_value(next_studbook_id)
        if row.next_studbook_id != n:
            changed.append("next_studbook_id")
        row.next_studbook_id = n
    session.flush()
    book = load_book(session)
    findings = check_book(book)
    errors = errors_of(findings)
    known = known_errors(session, {e.studbook_id for e in errors})
    new = [e for e in errors if (e.studbook_id, e.code) not in before and (e.studbook_id, e.code) not in known]
    if new:
        records = len({e.studbook_id for e in new})
        raise ValidationError(
            f"with these parameters {records} record(s) would break the rules ({len(new)} new error(s)); "
            "nothing changed",
            "fix the records first or choose other values", problems=[e.line() for e in new])
    closed = close_mended(session, findings, {p.animal for p in list_problems(session, only_open=True) if p.animal})
    return SpeciesUpdate(changed, closed)


def species_info(session: Session) -> dict[str, Any]:
    """Everything `species show` prints: the parameters, the census date and the next studbook ID."""
    row = session.scalars(select(Species).limit(1)).first()
    info: dict[str, Any] = asdict(species_params(session))
    info["census_date"] = row.census_date.isoformat() if row is not None and row.census_date else None
    info["next_studbook_id"] = _next_free_id(session) if row is not None else 1
    return info


# --- loading a book folder ----------------------------------------------------------------

