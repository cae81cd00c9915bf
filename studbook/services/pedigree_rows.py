"""Rows of the animal table -> frozen Pedigree (the one place where labels become indices).

Pure: no database library. The two readers (SQLAlchemy Core in ``analysis``, the
stdlib ``sqlite3`` fast path in ``fastread``) run the same query and hand the
same tuples here.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from ..errors import InvalidInputError, NotFoundError
from ..pedigree import Pedigree, PedigreeRecord

END_KINDS = ("death", "release", "ltf")
LOCATION_KINDS = ("birth", "capture", "transfer")


@dataclass(frozen=True)
class AnimalInfo:
    """What reports show next to the numbers (not needed by the algorithms)."""

    sex: str
    birth_date: date | None
    location: str | None
    alive: bool
    flags: dict[str, bool]
    house_name: str | None = None


@dataclass(frozen=True)
class LoadedPedigree:
    pedigree: Pedigree
    info: dict[str, AnimalInfo]


def _as_date(value: Any) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def _decimal_year(d: date | None) -> float | None:
    if d is None:
        return None
    return d.year + (d.toordinal() - date(d.year, 1, 1).toordinal() + 0.5) / 365.25


def fates(events: Iterable[tuple[int, str, Any, int, str | None]]) -> tuple[set[int], dict[int, str | None]]:
    """(animals whose record has ended, last location per animal) from raw event rows.

    Each row: ``(animal pk, kind, date or None, event id, institution code)``. Events are
    taken in the order of ``records.EventFacts.sort_key``: by date (an undetermined
    death/release/ltf last, any other undetermined event first), then birth/capture
    before transfers before endings, then entry order. A capture after a release
    brings the animal back; nothing brings it back after death.
    """
    rank = {"birth": 0, "capture": 0, "transfer": 1, "death": 2, "release": 2, "ltf": 2}
    keyed = sorted(
        (pk, str(when)[:10] if when is not None else ("9999-12-31" if rank[kind] == 2 else "0000-00-00"),
         rank[kind], eid, kind, code)
        for pk, kind, when, eid, code in events
    )
    ended: set[int] = set()
    dead: set[int] = set()
    location: dict[int, str | None] = {}
    for pk, _day, _rank, _eid, kind, code in keyed:
        if kind in LOCATION_KINDS:
            location[pk] = code
            if pk not in dead:
                ended.discard(pk)
        else:
            ended.add(pk)
            if kind == "death":
                dead.add(pk)
    return ended, location


def build_loaded(
    animals: Iterable[tuple[Any, ...]],
    ended: set[int],
    location: dict[int, str | None],
    mult: dict[tuple[str, str], list[tuple[str, float]]],
) -> LoadedPedigree:
    """Build the Pedigree from the animal rows.

    Each animal row: ``(studbook_id, sex, birth_date, sire_kind, sire_studbook_id, dam_kind,
    dam_studbook_id, exclude_from_analysis, do_not_breed, contracepted, hybrid_suspect,
    exclude_from_release, rearing, pk, house_name, health_notes)``. ``ended``: pks with a death,
    release or lost-to-follow-up event; ``location``: pk -> institution of its last location
    event; ``mult``: (studbook_id, role) -> candidates.

    Alive = placed somewhere (birth/capture) and not ended. The living analysis
    population is the living animals not flagged ``exclude_from_analysis``.
    """
    records = []
    info: dict[str, AnimalInfo] = {}
    for (sid, sex, bdate, skind, s_sid, dkind, d_sid, excl, dnb, contra, hybrid, no_release, rearing, pk, name,
         health) in animals:
        bdate = _as_date(bdate)
        alive = pk in location and pk not in ended
        records.append(PedigreeRecord(
            id=sid, sire=s_sid if skind == "ID" else None, dam=d_sid if dkind == "ID" else None,
            sire_wild=skind == "WILD", dam_wild=dkind == "WILD",
            sire_mult=tuple(mult.get((sid, "sire"), ())) if skind == "MULT" else (),
            dam_mult=tuple(mult.get((sid, "dam"), ())) if dkind == "MULT" else (),
            sex=sex, alive=alive, in_analysis=not excl, birth_year=_decimal_year(bdate),
        ))
        info[sid] = AnimalInfo(sex, bdate, location.get(pk), alive, {
            "exclude_from_analysis": bool(excl), "do_not_breed": bool(dnb), "contracepted": bool(contra),
            "hybrid_suspect": bool(hybrid), "exclude_from_release": bool(no_release),
            "parent_reared": rearing == "parent", "health_notes": bool(health and str(health).strip())}, name)
    return LoadedPedigree(Pedigree.from_records(records), info)


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
    try:
        with open(path, encoding="utf-8-sig") as fh:
            return [ln.strip() for ln in fh if ln.strip() and not ln.lstrip().startswith("#")]
    except OSError as exc:
        raise InvalidInputError(f"cannot read the ID file {path}: {exc.strerror}", "give a text file with one ID per line") from None


def age_years(birth: date | None, today: date | None = None) -> float | None:
    if birth is None:
        return None
    return round(((today or date.today()) - birth).days / 365.25, 1)
