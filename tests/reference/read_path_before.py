"""Reference twin: ``pedigree_rows.build_loaded`` before the column path (issue 13).

One ``PedigreeRecord`` and one ``records.status_of`` per animal, then
``Pedigree.from_records`` of the previous implementation (``pedigree_before``).
Compared with the library in ``tests/test_fast_read.py``. Not used by studbook.
"""

from __future__ import annotations

from datetime import date

from studbook.pedigree import Pedigree, PedigreeRecord
from studbook.records import status_of
from studbook.services.pedigree_rows import (
    AnimalInfo,
    BookRows,
    LoadedPedigree,
    _as_date,
    _decimal_year,
    _mating,
    _on_day,
    event_facts_by_animal,
    reference_day,
)

from . import pedigree_before


def build_loaded_before(rows: BookRows, as_of: date | None = None) -> LoadedPedigree:
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
    """
    day, note = reference_day(as_of, rows.census)
    kinds = {str(code): str(kind) for code, kind in rows.institutions}
    animals = list(rows.animals)
    if day is not None:
        animals = _on_day(animals, rows.mult, day)
    mult: dict[tuple[str, str], list[tuple[str, float]]] = {}
    for sid, role, cid, prob in rows.mult:
        mult.setdefault((sid, role), []).append((cid, float(prob)))
    events = event_facts_by_animal(rows.events, {r[13]: r[0] for r in animals})
    litter_of = {str(sid): lit for sid, lit in rows.litters}
    records = []
    info: dict[str, AnimalInfo] = {}
    for (sid, sex, bdate, skind, s_sid, dkind, d_sid, excl, dnb, contra, hybrid, no_release, rearing, pk, name,
         health) in animals:
        bdate = _as_date(bdate)
        st = status_of(events.get(pk, ()), kinds, day)
        alive = st.alive
        records.append(PedigreeRecord(
            id=sid, sire=s_sid if skind == "ID" else None, dam=d_sid if dkind == "ID" else None,
            sire_wild=skind == "WILD", dam_wild=dkind == "WILD",
            sire_mult=tuple(mult.get((sid, "sire"), ())) if skind == "MULT" else (),
            dam_mult=tuple(mult.get((sid, "dam"), ())) if dkind == "MULT" else (),
            sire_mult_litter=_mating(litter_of.get(sid), mult.get((sid, "sire"))) if skind == "MULT" else None,
            dam_mult_litter=_mating(litter_of.get(sid), mult.get((sid, "dam"))) if dkind == "MULT" else None,
            sex=sex, alive=alive, in_analysis=not excl, birth_year=_decimal_year(bdate),
        ))
        info[sid] = AnimalInfo(sex, bdate, st.location, alive, {
            "exclude_from_analysis": bool(excl), "do_not_breed": bool(dnb), "contracepted": bool(contra),
            "hybrid_suspect": bool(hybrid), "exclude_from_release": bool(no_release),
            "parent_reared": rearing == "parent", "health_notes": bool(health and str(health).strip())},
            name, st.fate, st.fate == "wild")
    # Parents' sexes are the rules' business (P01/P02, possibly open problems), not the analysis'.
    before = pedigree_before.Pedigree.from_records(
        records, check_sex=False)
    ped = Pedigree(**{k: getattr(before, k) for k in Pedigree.__dataclass_fields__ if k != '_cache'})
    return LoadedPedigree(ped, info, day, note,
                          int(rows.open_problems or 0), kinds)
