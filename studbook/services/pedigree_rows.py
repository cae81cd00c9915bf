"""Rows of the book -> frozen Pedigree: the one place where labels become indices.

Pure: no database library. The two readers (SQLAlchemy in ``analysis``, the stdlib
``sqlite3`` fast path in ``fastread``) run the same SQL text (the ``*_SQL``
constants below) and hand the rows, as :class:`BookRows`, to :func:`build_loaded`.
The status of every animal (alive, in the wild, where) comes from
``records.status_of`` over its events, exactly as ``animal list`` derives it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np

from ..dates import FuzzyDate
from ..errors import InvalidInputError, NotFoundError
from ..pedigree import Pedigree, PedigreeRecord
from ..records import EventFacts, Status, status_of

# The read path's SQL, run as is by both readers. Void animals and events count nowhere
# (booleans: SQLite stores 0/1 and reads FALSE as 0; PostgreSQL has a boolean type).
ANIMALS_SQL = """
SELECT a.studbook_id, a.sex, a.birth_date, a.sire_kind, s.studbook_id, a.dam_kind, d.studbook_id,
       a.exclude_from_analysis, a.do_not_breed, a.contracepted, a.hybrid_suspect, a.exclude_from_release,
       a.rearing, a.id, a.house_name, a.health_notes
FROM animal a LEFT JOIN animal s ON a.sire_id = s.id LEFT JOIN animal d ON a.dam_id = d.id
WHERE a.void = false
ORDER BY a.id
"""
# Unsorted: each animal's events are put in order by ``records.order_events``.
EVENTS_SQL = """
SELECT e.animal_id, e.kind, e.date, e.date_precision, e.date_estimated, e.id, i.code
FROM event e LEFT JOIN institution i ON e.institution_id = i.id
WHERE e.void = false
"""
MULT_SQL = """
SELECT c.studbook_id, p.role, k.studbook_id, p.probability FROM parent_candidate p
JOIN animal c ON p.animal_id = c.id JOIN animal k ON p.candidate_id = k.id
WHERE c.void = false
ORDER BY p.id
"""
# The litter of each born animal: littermates of one MULT mating share one unknown parent.
LITTERS_SQL = """
SELECT a.studbook_id, e.litter_id FROM event e JOIN animal a ON e.animal_id = a.id
WHERE e.kind = 'birth' AND e.void = false AND a.void = false AND e.litter_id IS NOT NULL
"""
INSTITUTIONS_SQL = "SELECT code, kind FROM institution"
CENSUS_SQL = "SELECT census_date FROM species ORDER BY id"
OPEN_PROBLEMS_SQL = "SELECT count(*) FROM problem WHERE resolved_at IS NULL"

CENSUS_NOTE = ("As of the book's census date {day} (--as-of DATE for another day; "
               "`studbook species set --census-date none` to use today).")


@dataclass(frozen=True)
class BookRows:
    """What the read path's SQL returned, as plain tuples (see the ``*_SQL`` constants)."""

    animals: Sequence[tuple[Any, ...]]
    events: Sequence[tuple[Any, ...]]
    mult: Sequence[tuple[Any, ...]]
    institutions: Sequence[tuple[Any, ...]] = ()
    census: Any = None
    open_problems: int = 0
    litters: Sequence[tuple[Any, ...]] = ()  # LITTERS_SQL rows (studbook_id, litter id)


@dataclass(frozen=True)
class AnimalInfo:
    """What reports show next to the numbers (not needed by the algorithms).

    ``fate``: captive, wild, dead, ltf or unplaced (``records.Status.fate``) on the
    reference day; ``alive`` = captive or wild; ``in_wild`` = wild.
    """

    sex: str
    birth_date: date | None
    location: str | None
    alive: bool
    flags: dict[str, bool]
    house_name: str | None = None
    fate: str = "unplaced"
    in_wild: bool = False


@dataclass(frozen=True)
class LoadedPedigree:
    """The book on one day: the frozen pedigree, display info per animal, and what the CLI reports.

    ``day``: the reference day the book was read at (None = today); ``note``: why it is
    not today when the user did not ask (the census date); ``open_problems``: the
    book's open problems (numbers may be wrong while there are any).
    """

    pedigree: Pedigree
    info: dict[str, AnimalInfo]
    day: date | None = None
    note: str | None = None
    open_problems: int = 0
    kinds: dict[str, str] = field(default_factory=dict)

    def problems_warning(self) -> str | None:
        if not self.open_problems:
            return None
        return (f"Warning: the book has {self.open_problems} open problem(s); numbers may be wrong "
                "(see `studbook problems list --open`)")


def _as_date(value: Any) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def _decimal_year(d: date | None) -> float | None:
    if d is None:
        return None
    return d.year + (d.toordinal() - date(d.year, 1, 1).toordinal() + 0.5) / 365.25


def parse_as_of(text: str | None) -> date | None:
    """``--as-of`` text -> a day (a month or year means its last day); None when not given.

    ``services.census.reference_day`` uses it too.
    """
    if not text:
        return None
    d = FuzzyDate.parse(text, what="--as-of")
    if d.is_unknown or d.estimated:
        raise InvalidInputError(f"--as-of {text!r} must be a date such as 2010-01-01", "write YYYY-MM-DD")
    return d.latest


def reference_day(as_of: date | None, census: Any) -> tuple[date | None, str | None]:
    """(day, note): *as_of*, else the book's census date (with a note), else (None, None) = today."""
    if as_of is not None:
        return as_of, None
    day = _as_date(census)
    if day is None:
        return None, None
    return day, CENSUS_NOTE.format(day=day.isoformat())


def event_facts_by_animal(events: Iterable[tuple[Any, ...]], sid_of: dict[int, str]) -> dict[int, list[EventFacts]]:
    """Event rows ``(animal pk, kind, date, precision, estimated, event id, institution code)`` as
    ``records.EventFacts`` per animal pk (animals not in *sid_of* are left out)."""
    out: dict[int, list[EventFacts]] = {}
    for pk, kind, when, precision, estimated, eid, code in events:
        sid = sid_of.get(pk)
        if sid is None:
            continue
        out.setdefault(pk, []).append(EventFacts(
            sid, kind, FuzzyDate.from_db(_as_date(when), precision or "D", bool(estimated)), code, event_id=int(eid)))
    return out


def statuses_by_animal(events: Iterable[tuple[Any, ...]], pks: Iterable[int], kinds: dict[str, str],
                       day: date | None) -> dict[int, Status]:
    """``records.status_of`` of every animal pk in *pks* from ``EVENTS_SQL`` rows, on *day*.

    Exactly ``status_of`` (tests compare them): a status depends only on the animal's events
    (kind, date, precision, estimated, institution) in the order of their ids, so animals whose
    events read the same (an imported book's births at one place in one year, say) share one
    computation: the ``EventFacts`` are built only for each new sequence.
    """
    wanted = set(pks)
    rows_of: dict[int, list[tuple[Any, ...]]] = {}
    for row in events:
        if row[0] in wanted:
            lst = rows_of.get(row[0])
            if lst is None:
                rows_of[row[0]] = [row]
            else:
                lst.append(row)
    memo: dict[tuple[Any, ...], Status] = {}
    out: dict[int, Status] = {}
    none = status_of((), kinds, day)
    for pk in wanted:
        evs = rows_of.get(pk)
        if evs is None:
            out[pk] = none
            continue
        if len(evs) > 1:
            evs.sort(key=_event_id)
        sig = tuple((kind, when, precision, bool(estimated), code) for _pk, kind, when, precision, estimated, _eid, code
                    in evs)
        st = memo.get(sig)
        if st is None:
            st = memo[sig] = status_of([
                EventFacts("", kind, FuzzyDate.from_db(_as_date(when), precision or "D", est), code, event_id=k)
                for k, (kind, when, precision, est, code) in enumerate(sig)], kinds, day)
        out[pk] = st
    return out


def _event_id(row: tuple[Any, ...]) -> int:
    return int(row[5])


def build_loaded(rows: BookRows, as_of: date | None = None) -> LoadedPedigree:
    """Build the Pedigree of the book on the reference day from the read path's rows.

    Each animal row: ``(studbook_id, sex, birth_date, sire_kind, sire_studbook_id, dam_kind,
    dam_studbook_id, exclude_from_analysis, do_not_breed, contracepted, hybrid_suspect,
    exclude_from_release, rearing, pk, house_name, health_notes)``; event rows as
    ``EVENTS_SQL``; MULT rows ``(studbook_id, role, candidate, probability)``.

    The reference day is *as_of*, else the book's census date, else today (None: every
    recorded event counts). On a given day, animals born after it are left out (and so
    is anything descending from them, which only a broken record can have); the status
    of the others is ``records.status_of`` of their events that had happened by then.
    Alive = captive or in the wild; the living analysis population is the living
    animals not flagged ``exclude_from_analysis``.

    The pedigree is built from columns (``Pedigree.from_columns``, the validation of
    ``from_records``): only animals with a WILD or MULT parent get a ``PedigreeRecord``.
    """
    day, note = reference_day(as_of, rows.census)
    kinds = {str(code): str(kind) for code, kind in rows.institutions}
    animals = list(rows.animals)
    if day is not None:
        animals = _on_day(animals, rows.mult, day)
    mult: dict[tuple[str, str], list[tuple[str, float]]] = {}
    for sid, role, cid, prob in rows.mult:
        mult.setdefault((sid, role), []).append((cid, float(prob)))
    status = statuses_by_animal(rows.events, [r[13] for r in animals], kinds, day)
    litter_of = {str(sid): lit for sid, lit in rows.litters}
    n = len(animals)
    ids: list[str] = []
    sires: list[str | None] = []
    dams: list[str | None] = []
    sexes: list[str] = []
    alive_col = np.zeros(n, bool)
    in_analysis = np.ones(n, bool)
    birth_year = np.full(n, np.nan)
    special: dict[int, PedigreeRecord] = {}
    year_of: dict[Any, tuple[date | None, float | None]] = {}  # raw birth date -> (day, decimal year)
    info: dict[str, AnimalInfo] = {}
    for k, (sid, sex, bdate, skind, s_sid, dkind, d_sid, excl, dnb, contra, hybrid, no_release, rearing, pk, name,
            health) in enumerate(animals):
        known = year_of.get(bdate)
        if known is None:
            day_of = _as_date(bdate)
            known = year_of[bdate] = (day_of, _decimal_year(day_of))
        bdate, by = known
        st = status[pk]
        alive = st.alive
        sire = s_sid if skind == "ID" else None
        dam = d_sid if dkind == "ID" else None
        if skind in ("WILD", "MULT") or dkind in ("WILD", "MULT"):
            special[k] = PedigreeRecord(
                id=sid, sire=sire, dam=dam, sire_wild=skind == "WILD", dam_wild=dkind == "WILD",
                sire_mult=tuple(mult.get((sid, "sire"), ())) if skind == "MULT" else (),
                dam_mult=tuple(mult.get((sid, "dam"), ())) if dkind == "MULT" else (),
                sire_mult_litter=_mating(litter_of.get(sid), mult.get((sid, "sire"))) if skind == "MULT" else None,
                dam_mult_litter=_mating(litter_of.get(sid), mult.get((sid, "dam"))) if dkind == "MULT" else None,
                sex=sex, alive=alive, in_analysis=not excl, birth_year=by,
            )
        ids.append(sid)
        sires.append(sire)
        dams.append(dam)
        sexes.append(sex)
        alive_col[k] = alive
        in_analysis[k] = not excl
        if by is not None:
            birth_year[k] = by
        info[sid] = AnimalInfo(sex, bdate, st.location, alive, {
            "exclude_from_analysis": bool(excl), "do_not_breed": bool(dnb), "contracepted": bool(contra),
            "hybrid_suspect": bool(hybrid), "exclude_from_release": bool(no_release),
            "parent_reared": rearing == "parent", "health_notes": bool(health and str(health).strip())},
            name, st.fate, st.fate == "wild")
    # Parents' sexes are the rules' business (P01/P02, possibly open problems), not the analysis'.
    ped = Pedigree.from_columns(ids, sires, dams, sexes, alive=alive_col, in_analysis=in_analysis,
                                birth_year=birth_year, special=special, check_sex=False)
    return LoadedPedigree(ped, info, day, note, int(rows.open_problems or 0), kinds)



def _mating(litter: Any, cands: Sequence[tuple[str, float]] | None) -> str | None:
    """Key of the one mating a MULT slot stands for: young of one litter (``litter_id`` of their
    births) with the same candidates share it (one unknown parent for the litter; decision in
    docs/decisions.md). Littermates given different candidates stay separate matings."""
    if litter is None or not cands:
        return None
    return f"{litter}:" + ";".join(f"{c}={p:.9f}" for c, p in sorted(cands))


def _on_day(animals: list[tuple[Any, ...]], mult_rows: Iterable[tuple[Any, ...]], day: date) -> list[tuple[Any, ...]]:
    """The animals born by *day* (an undetermined birth counts as born), as ``animal list --as-of``.

    Parents come before offspring, so nothing refers to a left-out animal; should a broken
    record say otherwise, its descendants are left out too rather than given unknown parents.
    """
    gone = {r[0] for r in animals if (b := _as_date(r[2])) is not None and b > day}
    if not gone:
        return animals
    parents: dict[str, set[str]] = {}
    for r in animals:
        parents[r[0]] = {p for kind, p in ((r[3], r[4]), (r[5], r[6])) if kind == "ID" and p is not None}
    for sid, _role, cid, _prob in mult_rows:
        if sid in parents:
            parents[sid].add(cid)
    changed = True
    while changed:
        changed = False
        for sid, ps in parents.items():
            if sid not in gone and ps & gone:
                gone.add(sid)
                changed = True
    return [r for r in animals if r[0] not in gone]


def resolve_ids(ped: Pedigree, labels: list[str]) -> list[int]:
    out = []
    for label in labels:
        try:
            out.append(ped.index_of(label))
        except (KeyError, NotFoundError):
            raise NotFoundError(f"no animal with studbook ID {label!r}",
                                "check the ID with `studbook animal list`") from None
    return out


def read_ids_file(path: str) -> list[str]:
    """One studbook ID per line (blank lines and # comments ignored)."""
    from ..io.files import read_text_file
    from ..text import ID_MAX_LENGTH

    hint = "give a text file with one ID per line"
    text = read_text_file(path, what="the ID file", hint=hint)
    ids = []
    for n, line in enumerate(text.splitlines(), 1):
        value = line.strip()
        if not value or value.startswith("#"):
            continue
        if len(value) > ID_MAX_LENGTH:
            raise InvalidInputError(f"the ID file {path} line {n}: {value[:20]!r}... is {len(value)} characters "
                                    f"long, not a studbook ID (at most {ID_MAX_LENGTH})", hint)
        ids.append(value)
    return ids


def age_years(birth: date | None, today: date | None = None) -> float | None:
    if birth is None:
        return None
    return round(((today or date.today()) - birth).days / 365.25, 1)
