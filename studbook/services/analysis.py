"""The numeric boundary: database rows -> frozen Pedigree, genetics results -> labelled rows.

``load_pedigree`` is the only code that turns studbook rows into arrays. It reads
columns with Core selects (no ORM objects). Everything else here calls the pure
``studbook.genetics`` functions and maps indices back to studbook IDs.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from ..errors import InvalidInputError, NotFoundError
from ..models import Animal, Event, Institution, ParentCandidate
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


def _decimal_year(d: date | None) -> float | None:
    if d is None:
        return None
    return d.year + (d.timetuple().tm_yday - 0.5) / 365.25


def load_pedigree(session: Session) -> LoadedPedigree:
    """The whole book as a frozen :class:`Pedigree` plus display info per animal.

    Alive = has a birth/capture and no death, release or lost-to-follow-up event.
    The living analysis population is the living animals not flagged
    ``exclude_from_analysis``.
    """
    sire = aliased(Animal)
    dam = aliased(Animal)
    rows = session.execute(
        select(Animal.studbook_id, Animal.sex, Animal.birth_date, Animal.sire_kind, sire.studbook_id,
               Animal.dam_kind, dam.studbook_id, Animal.exclude_from_analysis, Animal.do_not_breed,
               Animal.contracepted, Animal.hybrid_suspect, Animal.exclude_from_release, Animal.rearing,
               Animal.id, Animal.house_name, Animal.health_notes)
        .outerjoin(sire, Animal.sire_id == sire.id)
        .outerjoin(dam, Animal.dam_id == dam.id)
        .order_by(Animal.id)
    ).all()
    ended = set(session.scalars(select(Event.animal_id).where(Event.kind.in_(END_KINDS))))
    location: dict[int, str | None] = {}
    inst = aliased(Institution)
    for animal_id, code in session.execute(
        select(Event.animal_id, inst.code)
        .outerjoin(inst, Event.institution_id == inst.id)
        .where(Event.kind.in_(LOCATION_KINDS))
        .order_by(Event.animal_id, Event.date.nulls_first(), Event.id)
    ):
        location[animal_id] = code
    cand = aliased(Animal)
    child = aliased(Animal)
    mult: dict[tuple[str, str], list[tuple[str, float]]] = {}
    for sid, role, cid, prob in session.execute(
        select(child.studbook_id, ParentCandidate.role, cand.studbook_id, ParentCandidate.probability)
        .join(child, ParentCandidate.animal_id == child.id)
        .join(cand, ParentCandidate.candidate_id == cand.id)
        .order_by(ParentCandidate.id)
    ):
        mult.setdefault((sid, role), []).append((cid, float(prob)))
    records = []
    info: dict[str, AnimalInfo] = {}
    for (sid, sex, bdate, skind, s_sid, dkind, d_sid, excl, dnb, contra, hybrid, no_release, rearing, pk, name,
         health) in rows:
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
            "parent_reared": rearing == "parent", "health_notes": bool(health and health.strip())}, name)
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


def rows_to_dicts(rows: list[Any]) -> list[dict[str, Any]]:
    from dataclasses import asdict

    return [asdict(r) for r in rows]
