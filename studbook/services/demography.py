"""Demography reports of the book: life tables, growth, census, age pyramid and kinship-value weights.

Each function reads the book in the session it is given (one read, plain records), hands
them to the pure ``studbook.demography`` and returns frozen dataclasses. The report and the
API call these by name: ``life_table_report``, ``growth_summary``, ``census_report``,
``age_pyramid``, ``kinship_weights``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from .. import census as cen
from .. import demography as dem
from ..dates import FuzzyDate
from ..errors import InvalidInputError
from ..records import EventFacts
from .pedigree_rows import CENSUS_SQL, EVENTS_SQL, MULT_SQL, event_facts_by_animal, parse_as_of, reference_day

if TYPE_CHECKING:  # SQLAlchemy is imported only where a session is used (the SQLite fast path never loads it)
    from sqlalchemy.orm import Session

ANIMALS_SQL = """
SELECT a.id, a.studbook_id, a.sex, a.birth_date, a.birth_precision, a.birth_estimated,
       a.sire_kind, s.studbook_id, a.dam_kind, d.studbook_id, a.exclude_from_analysis
FROM animal a LEFT JOIN animal s ON a.sire_id = s.id LEFT JOIN animal d ON a.dam_id = d.id
WHERE a.void = false
ORDER BY a.id
"""
INSTITUTIONS_SQL = "SELECT code, kind, region FROM institution"
CENSUS_GROUPS = ("region", "institution", "sex")
EVERY = ("year", "month")


@dataclass(frozen=True)
class AnimalRecord:
    studbook_id: str
    sex: str
    birth: FuzzyDate
    sires: tuple[tuple[str, float], ...]
    dams: tuple[tuple[str, float], ...]
    excluded: bool


@dataclass(frozen=True)
class DemographyBook:
    """The book as the demography reads it: animals, their events in order, places, the reference day."""

    animals: dict[str, AnimalRecord]
    events: dict[str, list[EventFacts]]
    kinds: dict[str, str]
    regions: dict[str, str | None]
    day: date
    note: str | None


def _as_date(value: object) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def read_book(session: Session, as_of: str | date | None = None) -> DemographyBook:
    """Read animals, events, MULT parents and institutions (void records left out) in *session*.

    The reference day is *as_of*, else the book's census date (with a note), else today."""
    from sqlalchemy import text

    return read_book_rows(lambda sql: list(session.execute(text(sql))), as_of)


def read_book_rows(run: Callable[[str], Sequence[Sequence[Any]]], as_of: str | date | None = None) -> DemographyBook:
    """:func:`read_book` with *run* executing each SQL text and returning its rows (a session, or the
    stdlib ``sqlite3`` fast path of ``fastread.run_sqlite``)."""
    day = as_of if isinstance(as_of, date) else parse_as_of(as_of)
    census_rows = run(CENSUS_SQL)
    census = census_rows[0] if census_rows else None
    day, note = reference_day(day, census[0] if census else None)
    day = day or date.today()
    mult: dict[tuple[str, str], list[tuple[str, float]]] = {}
    for sid, role, cid, prob in run(MULT_SQL):
        mult.setdefault((sid, role), []).append((cid, float(prob)))
    animals: dict[str, AnimalRecord] = {}
    sid_of: dict[int, str] = {}
    for pk, sid, sex, bdate, bprec, best, skind, s_sid, dkind, d_sid, excl in run(ANIMALS_SQL):
        sid_of[pk] = sid

        def parents(kind: str, pid: str | None, role: str, sid: str = sid) -> tuple[tuple[str, float], ...]:
            if kind == "ID" and pid:
                return ((pid, 1.0),)
            if kind == "MULT":
                return tuple(mult.get((sid, role), ()))
            return ()

        animals[sid] = AnimalRecord(sid, sex, FuzzyDate.from_db(_as_date(bdate), bprec or "D", bool(best)),
                                    parents(skind, s_sid, "sire"), parents(dkind, d_sid, "dam"), bool(excl))
    by_pk = event_facts_by_animal([tuple(r) for r in run(EVENTS_SQL)], sid_of)
    events = {sid_of[pk]: evs for pk, evs in by_pk.items()}
    kinds: dict[str, str] = {}
    regions: dict[str, str | None] = {}
    for code, kind, region in run(INSTITUTIONS_SQL):
        kinds[str(code)] = str(kind)
        regions[str(code)] = region
    return DemographyBook(animals, events, kinds, regions, day, note)


# --------------------------------------------------------------------------- life tables
@dataclass(frozen=True)
class LifeTableReport:
    """A life table with its growth figures and the note on the reference day."""

    table: dem.LifeTable
    growth: dem.Growth
    note: str | None


def _check_choice(value: str, allowed: tuple[str, ...], what: str) -> str:
    if value not in allowed:
        raise InvalidInputError(f"{what} {value!r} is not one of {', '.join(allowed)}", f"use one of {', '.join(allowed)}")
    return value


def _window(book: DemographyBook, first_year: int | None, last_year: int | None) -> tuple[date, date]:
    """[1 January of *first_year*, 31 December of *last_year*], cut at the reference day.

    Defaults: the year of the earliest birth in the book, and the reference day."""
    day = book.day
    if first_year is None:
        years = [m.year for a in book.animals.values() if (m := a.birth.midpoint()) is not None]
        first_year = min(years, default=day.year)
    if last_year is None:
        last_year = max(day.year, first_year)
    for y, opt in ((first_year, "--from"), (last_year, "--to")):
        if not 1 <= y <= 9998:
            raise InvalidInputError(f"{opt} {y} is not a year", "give a year such as 1990")
    if first_year > last_year:
        raise InvalidInputError(f"--from {first_year} is after --to {last_year}", "give --from YEAR before --to YEAR")
    start, end = date(first_year, 1, 1), min(date(last_year, 12, 31), day)
    if start > end:
        raise InvalidInputError(f"the window starts on {start}, after the reference day {day}",
                                "choose an earlier --from, or a later --as-of")
    return start, end


def _histories(book: DemographyBook, population: str) -> tuple[list[dem.LifeHistory], int]:
    out = []
    left_out = 0
    for sid, a in book.animals.items():
        h = dem.life_history(sid, a.sex, a.birth, book.events.get(sid, []), book.kinds, population)
        if h is None:
            left_out += 1
        else:
            out.append(h)
    return out, left_out


def _births(book: DemographyBook) -> tuple[list[dem.BirthRecord], int]:
    out = []
    left_out = 0
    for a in book.animals.values():
        if not (a.sires or a.dams):
            continue
        born = a.birth.midpoint()
        if born is None:
            left_out += 1
            continue
        out.append(dem.BirthRecord(born, a.sex, a.sires, a.dams))
    return out, left_out


def _table(book: DemographyBook, start: date, end: date, sex: str, population: str, width: int,
           histories: list[dem.LifeHistory] | None = None, births: list[dem.BirthRecord] | None = None,
           left: tuple[int, int] = (0, 0)) -> dem.LifeTable:
    if histories is None:
        histories, left_h = _histories(book, population)
        births, left_b = _births(book)
        left = (left_h, left_b)
    return dem.life_table(histories, births or [], start, end, sex=sex, population=population, width=width,
                          left_out_animals=left[0], left_out_births=left[1])


def life_table_report(session: Session, *, first_year: int | None = None, last_year: int | None = None,
                      sex: str = "all", as_of: str | date | None = None, population: str = "captive",
                      width: int = 1) -> LifeTableReport:
    """The life table of *sex* (M, F or all) in *population* (captive or all) over the window, with λ."""
    _check_choice(sex, dem.SEXES, "--sex")
    _check_choice(population, dem.POPULATIONS, "--population")
    if width < 1:
        raise InvalidInputError(f"age class width {width} must be a whole number of years, at least 1",
                                "the default is 1 year")
    book = read_book(session, as_of)
    start, end = _window(book, first_year, last_year)
    table = _table(book, start, end, sex, population, width)
    return LifeTableReport(table, dem.growth(table), book.note)


@dataclass(frozen=True)
class GrowthRow:
    """λ, r, T and R0 of one sex's life table (``demography summary``)."""

    sex: str
    population: str
    window_start: date
    window_end: date
    lam: float | None
    r: float | None
    generation_time: float | None
    r0: float | None
    age_classes: int
    animals: int
    deaths: int
    births: float
    reason: str | None


@dataclass(frozen=True)
class GrowthSummary:
    rows: tuple[GrowthRow, ...]
    note: str | None
    left_out_animals: int
    left_out_births: int


def growth_summary(session: Session, *, first_year: int | None = None, last_year: int | None = None,
                   as_of: str | date | None = None, population: str = "captive", width: int = 1) -> GrowthSummary:
    """λ, r = ln λ, generation time T and R0 from the life tables of females, males and both sexes."""
    _check_choice(population, dem.POPULATIONS, "--population")
    book = read_book(session, as_of)
    start, end = _window(book, first_year, last_year)
    histories, left_h = _histories(book, population)
    births, left_b = _births(book)
    rows = []
    for sex in ("F", "M", "all"):
        t = _table(book, start, end, sex, population, width, histories, births, (left_h, left_b))
        g = dem.growth(t)
        rows.append(GrowthRow(sex, population, start, end, g.lam, g.r, g.generation_time, g.r0, g.classes,
                              t.n_animals, t.n_deaths, t.n_births, g.reason))
    return GrowthSummary(tuple(rows), book.note, left_h, left_b)


# --------------------------------------------------------------------------- kinship value
@dataclass(frozen=True)
class KinshipWeights:
    """Reproductive value v of each living animal (None with ``reason`` when there is no life table
    to give it), and the statement of the life tables used."""

    values: dict[str, float] | None
    basis: str
    reason: str | None = None


def kinship_weights(session: Session, day: date | None, ids: list[str]) -> KinshipWeights:
    """Fisher's reproductive value of each of *ids* (the living analysis population) on *day*.

    From the captive life tables of its sex (both sexes for an animal of unknown sex) over the
    whole book up to *day*: v of its age class (age from the birth date's midpoint), with that
    table's λ. None with a reason when a needed table gives no λ or an animal's age is unknown."""
    return weights_of(read_book(session, day), ids)


def kinship_weights_for(url: str, session_factory: Callable[[], Any], day: date | None,
                        ids: list[str]) -> KinshipWeights:
    """:func:`kinship_weights` on the book at *url*: a SQLite file through the stdlib read-only
    fast path (no SQLAlchemy), other databases in a session of *session_factory*."""
    from ..config import sqlite_path

    path = sqlite_path(url)
    if path is not None:
        from .fastread import run_sqlite

        return weights_of(run_sqlite(path, lambda run: read_book_rows(run, day)), ids)
    with session_factory() as session:
        return kinship_weights(session, day, ids)


def weights_of(book: DemographyBook, ids: list[str]) -> KinshipWeights:
    """:func:`kinship_weights` of the book already read."""
    try:
        start, end = _window(book, None, None)
    except InvalidInputError as exc:
        return KinshipWeights(None, "no life table", f"no life table: {exc.reason}")
    histories, left_h = _histories(book, "captive")
    births, left_b = _births(book)
    basis = f"captive life tables by sex, {start.isoformat()} to {end.isoformat()} (studbook demography life-table)"
    needed = {book.animals[i].sex if book.animals[i].sex in ("M", "F") else "all" for i in ids if i in book.animals}
    values_by_sex: dict[str, tuple[list[float], int]] = {}
    for sex in sorted(needed):
        t = _table(book, start, end, sex, "captive", 1, histories, births, (left_h, left_b))
        g = dem.growth(t)
        if g.lam is None:
            label = {"M": "males", "F": "females", "all": "both sexes"}[sex]
            return KinshipWeights(None, basis, f"no reproductive value for {label}: {g.reason}")
        values_by_sex[sex] = (dem.reproductive_values(t, g.lam), len(t.rows))
    out: dict[str, float] = {}
    unknown_age = []
    for i in ids:
        a = book.animals.get(i)
        born = a.birth.midpoint() if a else None
        if a is None or born is None:
            unknown_age.append(i)
            continue
        v, n = values_by_sex[a.sex if a.sex in ("M", "F") else "all"]
        c = dem.age_class(born, max(book.day, born))
        out[i] = v[c] if c < n else 0.0
    if unknown_age:
        return KinshipWeights(None, basis, f"{len(unknown_age)} living animal(s) of undetermined age "
                                        f"(first: {unknown_age[0]}) have no reproductive value")
    if not any(out.values()):
        return KinshipWeights(None, basis, "every living animal has reproductive value 0 (past the ages that breed)")
    return KinshipWeights(out, basis)


# --------------------------------------------------------------------------- census and pyramid
@dataclass(frozen=True)
class CensusReport:
    by: str
    every: str
    groups: tuple[str, ...]
    points: tuple[cen.CensusPoint, ...]
    note: str | None


def census_days(first: date, last: date, every: str) -> list[date]:
    """Year ends (31 December) or month ends from *first* to *last*, and *last* itself when it is not one."""
    days: list[date] = []
    if every == "year":
        days = [date(y, 12, 31) for y in range(first.year, last.year + 1) if date(y, 12, 31) <= last]
    else:
        y, m = first.year, first.month
        while True:
            nxt = date(y + (m == 12), m % 12 + 1, 1)
            end = nxt - timedelta(days=1)
            if end > last:
                break
            days.append(end)
            y, m = nxt.year, nxt.month
    if not days or days[-1] != last:
        days.append(last)
    return days


def census_report(session: Session, *, by: str = "region", every: str = "year", first_year: int | None = None,
                  last_year: int | None = None, as_of: str | date | None = None) -> CensusReport:
    """Living animals (captive or in the wild) at each year or month end, by region, institution or sex.

    Each count is ``animal list --alive --as-of`` that day (``records.status_of``)."""
    _check_choice(by, CENSUS_GROUPS, "--by")
    _check_choice(every, EVERY, "--every")
    book = read_book(session, as_of)
    start, end = _window(book, first_year, last_year)
    timelines = {sid: cen.status_timeline(book.events.get(sid, []), book.kinds, a.birth)
                 for sid, a in book.animals.items()}
    points = cen.census(timelines, census_days(start, end, every), by,
                        {sid: a.sex for sid, a in book.animals.items()}, book.regions)
    groups = sorted({g for p in points for g, _n in p.counts})
    return CensusReport(by, every, tuple(groups), tuple(points), book.note)


@dataclass(frozen=True)
class PyramidReport:
    pyramid: cen.Pyramid
    population: str
    note: str | None


def age_pyramid(session: Session, *, as_of: str | date | None = None, population: str = "all",
                width: int = 1) -> PyramidReport:
    """Living animals per sex and age class on the reference day (population all: captive and in the wild)."""
    _check_choice(population, dem.POPULATIONS, "--population")
    if width < 1:
        raise InvalidInputError(f"age class width {width} must be at least 1", "the default is 1 year")
    book = read_book(session, as_of)
    living = []
    for sid, a in book.animals.items():
        st = cen.status_timeline(book.events.get(sid, []), book.kinds, a.birth).on(book.day)
        if st is None or not st.alive or (population == "captive" and st.fate != "captive"):
            continue
        living.append((a.sex, a.birth))
    return PyramidReport(cen.pyramid(living, book.day, width), population, book.note)
