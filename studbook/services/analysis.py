"""The numeric boundary: database rows -> frozen Pedigree, genetics results -> labelled rows.

``load_pedigree`` is the only code that turns studbook rows into arrays. It reads
columns with Core selects (no ORM objects). Everything else here calls the pure
``studbook.genetics`` functions and maps indices back to studbook IDs.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from ..models import Animal, Event, Institution
from .book import mult_candidates
from .pedigree_rows import (  # noqa: F401  (re-exported)
    END_KINDS,
    LOCATION_KINDS,
    AnimalInfo,
    LoadedPedigree,
    age_years,
    build_loaded,
    fates,
    read_ids_file,
    resolve_ids,
)


def load_pedigree(session: Session) -> LoadedPedigree:
    """The whole book as a frozen :class:`Pedigree` plus display info per animal (Core selects).

    Alive = has a birth/capture and no death, release or lost-to-follow-up event.
    The living analysis population is the living animals not flagged
    ``exclude_from_analysis``. ``fastread.load_pedigree_sqlite`` runs the same query
    without SQLAlchemy.
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
    inst = aliased(Institution)
    ended, location = fates(session.execute(
        select(Event.animal_id, Event.kind, Event.date, Event.id, inst.code)
        .outerjoin(inst, Event.institution_id == inst.id)
    ).all())
    mult = mult_candidates(session)
    return build_loaded(rows, ended, location, mult)
