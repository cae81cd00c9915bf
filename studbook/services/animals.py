"""Animals: add (founders and historical records), list, show, history, pedigree, flags."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..dates import FuzzyDate, years_between
from ..errors import InvalidInputError, ValidationError
from ..models import BIRTH_TYPES, REARINGS, SEXES, Animal, Event, Institution, LocalId, ParentCandidate, Species
from ..records import Book, Status, status_of
from ..rules import Finding
from ..text import check_studbook_id, clean_text, is_plain_number
from .access import authorize, plain, request
from .book import enforce_rules, event_facts, get_animal, get_institution, institution_kinds, load_book, today

if TYPE_CHECKING:
    from .pending import PendingUpdate

FLAGS = ("exclude_from_analysis", "do_not_breed", "contracepted", "hybrid_suspect", "exclude_from_release")
MAX_ID_LENGTH = 64
TEXT_LIMITS = {"house name": 120, "local ID": 16, "site": 200}


@dataclass(frozen=True)
class ParentSpec:
    """A parent slot as the user gave it: a known ID, UNK, WILD or MULT candidates."""

    kind: str = "UNK"
    studbook_id: str | None = None
    candidates: tuple[tuple[str, float], ...] = ()

    def label(self) -> str:
        if self.kind == "ID":
            return str(self.studbook_id)
        if self.kind == "MULT":
            return "MULT(" + ", ".join(f"{c}:{p:g}" for c, p in self.candidates) + ")"
        return self.kind


def parse_parent(values: list[str] | tuple[str, ...] | str | None, role: str) -> ParentSpec:
    """``None``/UNK, WILD, an ID, or several ``ID:P`` (MULT)."""
    if values is None:
        return ParentSpec("UNK")
    if isinstance(values, str):
        values = [values]
    values = [v.strip() for v in values if v is not None]
    if not values or values == [""]:
        raise InvalidInputError(f"--{role} is empty", f"write UNK for an unknown {role}")
    if len(values) == 1 and ":" not in values[0]:
        v = values[0]
        if v.upper() in ("UNK", "WILD"):
            return ParentSpec(v.upper())
        if v.upper() == "MULT":
            raise InvalidInputError(f"--{role} MULT needs its candidates",
                                    f"give --{role} ID:P once per candidate, e.g. --{role} 12:0.5 --{role} 15:0.5")
        return ParentSpec("ID", v)
    cands: list[tuple[str, float]] = []
    for v in values:
        cid, sep, prob = v.rpartition(":")
        if not sep or not cid:
            raise InvalidInputError(f"--{role} {v!r}: with several {role}s each must be ID:PROBABILITY",
                                    f"e.g. --{role} 12:0.5 --{role} 15:0.5")
        try:
            p = float(prob)
        except ValueError:
            raise InvalidInputError(f"--{role} {v!r}: probability {prob!r} is not a number",
                                    "write a probability such as 0.5 (or 50%)") from None
        if not 0 < p <= 1:
            raise InvalidInputError(f"--{role} {v!r}: probability {p:g} must be above 0 and at most 1 [rule P10]",
                                    "give each candidate a probability such as 0.5; together they must sum to 1")
        cands.append((cid.strip(), p))
    return ParentSpec("MULT", None, tuple(cands))


def check_length(value: str | None, what: str, record: str) -> str | None:
    """Clean one-line text for a column: no control or invisible characters, not longer than it fits."""
    return clean_text(value, what=what, record=f"animal {record}", limit=TEXT_LIMITS[what])


def check_choice(value: str, allowed: tuple[str, ...], what: str, record: str) -> str:
    v = value.strip()
    if v not in allowed:
        raise InvalidInputError(f"animal {record}: {what} {value!r} is not one of {', '.join(allowed)}",
                                f"write one of {', '.join(allowed)}")
    return v


def check_new_id(session: Session, studbook_id: str, taken: set[str] | None = None) -> str:
    """A valid, unused studbook ID (*taken*: IDs already known to be used, saves a query).

    Void animals keep their IDs: an ID is never given twice.
    """
    sid = check_studbook_id(studbook_id)
    used = (sid in taken) if taken is not None else (
        session.scalars(select(Animal.id).where(Animal.studbook_id == sid)).first() is not None)
    if used:
        raise ValidationError(f"studbook ID {sid} is already used", "IDs are permanent and unique; use the next free ID")
    return sid


def _sequence(session: Session) -> Species:
    row = session.scalars(select(Species).limit(1)).first()
    if row is None:
        raise InvalidInputError("the book has no species parameters yet", "run `studbook init` first")
    return row


def next_studbook_id(session: Session) -> int:
    """The number `birth` gives next: the book's ID sequence (``species.next_studbook_id``, 1 when unset),
    skipping IDs already used. An outlier typed by hand (``--id 1479000000``) does not move it."""
    n = _sequence(session).next_studbook_id or 1
    while session.scalars(select(Animal.id).where(Animal.studbook_id == str(n))).first() is not None:
        n += 1
    return n


def claim_next_ids(session: Session, count: int) -> list[int]:
    """Take *count* free numbers from the sequence and move it past them (writers are serialised)."""
    out: list[int] = []
    n = next_studbook_id(session)
    while len(out) < count:
        if session.scalars(select(Animal.id).where(Animal.studbook_id == str(n))).first() is None:
            out.append(n)
        n += 1
    _sequence(session).next_studbook_id = out[-1] + 1
    return out


def advance_sequence(session: Session, studbook_id: str) -> None:
    """An animal registered by hand with the very next number moves the sequence on (other numbers do not)."""
    if not is_plain_number(studbook_id):
        return
    row = _sequence(session)
    if int(studbook_id) == (row.next_studbook_id or 1):
        row.next_studbook_id = int(studbook_id) + 1


def apply_parent(session: Session, animal: Animal, role: str, spec: ParentSpec,
                 lookup: dict[str, Animal] | None = None) -> None:
    """Set one parent slot; *lookup* resolves IDs loaded in the same transaction."""

    def find(sid: str) -> Animal:
        if lookup is not None and sid in lookup:
            return lookup[sid]
        return get_animal(session, sid)

    setattr(animal, f"{role}_kind", spec.kind)
    parent = find(spec.studbook_id) if spec.kind == "ID" and spec.studbook_id else None
    if parent is not None and parent.id is not None:
        # Plain foreign key: lets a whole book (even one with a loop, which the rules then
        # report) be linked after all animals are inserted.
        setattr(animal, f"{role}_id", parent.id)
    else:
        setattr(animal, role, parent)
    for cid, prob in spec.candidates:
        cand = find(cid)
        if cand.id is not None:
            animal.candidates.append(ParentCandidate(role=role, candidate_id=cand.id, probability=prob))
        else:
            animal.candidates.append(ParentCandidate(role=role, candidate=cand, probability=prob))


def create_animal(
    session: Session,
    studbook_id: str,
    *,
    sex: str,
    birth: FuzzyDate,
    birth_type: str,
    sire: ParentSpec,
    dam: ParentSpec,
    rearing: str = "unknown",
    house_name: str | None = None,
    artificial_insemination: bool = False,
    flags: dict[str, bool] | None = None,
    taken: set[str] | None = None,
) -> Animal:
    """Insert the master record (no events, no rule check: callers add events, then enforce)."""
    sid = check_new_id(session, studbook_id, taken)
    sex = check_choice(sex.upper(), SEXES, "sex", sid)
    birth_type = check_choice(birth_type, BIRTH_TYPES, "birth type", sid)
    rearing = check_choice(rearing, REARINGS, "rearing", sid)
    house_name = check_length(house_name, "house name", sid)
    animal = Animal(
        studbook_id=sid, sex=sex, birth_date=birth.db_value, birth_precision=birth.precision,
        birth_estimated=birth.estimated, birth_type=birth_type, house_name=house_name or None,
        rearing=rearing, artificial_insemination=artificial_insemination, **(flags or {}),
    )
    apply_parent(session, animal, "sire", sire)
    apply_parent(session, animal, "dam", dam)
    session.add(animal)
    return animal


def add_event(
    session: Session,
    animal: Animal,
    kind: str,
    when: FuzzyDate,
    *,
    at: str | None = None,
    from_code: str | None = None,
    loan: bool = False,
    cause: str | None = None,
    site: str | None = None,
    local_id: str | None = None,
    institutions: dict[str, Institution] | None = None,
) -> Event:
    def inst_of(code: str) -> Institution:
        if institutions is not None and code in institutions:
            return institutions[code]
        return get_institution(session, code)

    inst = inst_of(at) if at else None
    frm = inst_of(from_code) if from_code else None
    local_id = check_length(local_id, "local ID", animal.studbook_id)
    site = check_length(site, "site", animal.studbook_id)
    cause = clean_text(cause, what="cause", record=f"animal {animal.studbook_id}", multiline=True)
    ev = Event(animal=animal, kind=kind, date=when.db_value, date_precision=when.precision,
               date_estimated=when.estimated, institution=inst, from_institution=frm,
               loan=loan, cause=cause or None, site=site or None)
    session.add(ev)
    if local_id and inst is not None:
        add_local_id(animal, inst, local_id, ev)
    return ev


def add_local_id(animal: Animal, inst: Institution, local_id: str, event: Event | None = None) -> None:
    """Keep the holder's accession number of this holding; earlier ones stay (never overwritten)."""
    same = any((li.institution is inst or li.institution_id == inst.id) and li.local_id == local_id
               for li in animal.local_ids)
    if not same:
        animal.local_ids.append(LocalId(institution=inst, local_id=local_id, event=event))


def add_animal(
    session: Session,
    studbook_id: str,
    *,
    sex: str,
    birth_date: str,
    at: str,
    sire: ParentSpec | None = None,
    dam: ParentSpec | None = None,
    wild_born: bool = False,
    capture_date: str | None = None,
    house_name: str | None = None,
    rearing: str = "unknown",
    local_id: str | None = None,
    flags: dict[str, bool] | None = None,
) -> tuple[Animal, list[Finding]] | PendingUpdate:
    """Register a founder or a historical animal with its birth (or capture) at *at*."""
    birth = FuzzyDate.parse(birth_date, what=f"animal {studbook_id}: birth date")
    pending = authorize(
        session, "add_animal", lambda: request("add_animal", f"animal {studbook_id}", [at.upper()]),
        params=plain({"studbook_id": studbook_id, "sex": sex, "birth_date": birth_date, "at": at, "sire": sire,
                      "dam": dam, "wild_born": wild_born, "capture_date": capture_date, "house_name": house_name,
                      "rearing": rearing, "local_id": local_id, "flags": flags}),
        record=studbook_id, summary=f"new animal {studbook_id} at {at.upper()}")
    if pending is not None:
        return pending
    default = ParentSpec("WILD") if wild_born else ParentSpec("UNK")
    animal = create_animal(
        session, studbook_id, sex=sex, birth=birth, birth_type="wild" if wild_born else "captive",
        sire=sire or default, dam=dam or default, rearing=rearing, house_name=house_name, flags=flags,
    )
    if wild_born:
        captured = FuzzyDate.parse(capture_date, what=f"animal {studbook_id}: capture date") if capture_date else birth
        add_event(session, animal, "capture", captured, at=at, local_id=local_id)
    else:
        if capture_date:
            raise InvalidInputError(f"animal {studbook_id}: --capture-date is only for wild-born animals",
                                    "add --wild-born, or drop --capture-date")
        add_event(session, animal, "birth", birth, at=at, local_id=local_id)
    advance_sequence(session, animal.studbook_id)
    warnings = enforce_rules(session, [animal.studbook_id])
    return animal, warnings


def holder(session: Session, animal: Animal) -> str | None:
    """Where the animal is now (None when dead, lost or unplaced): a registrar of it may write about it."""
    st = status_of(event_facts(animal), institution_kinds(session))
    return st.location if st.fate in ("captive", "wild") else None


def set_flags(session: Session, studbook_id: str, changes: dict[str, object]) -> Animal | PendingUpdate:
    """Change flags, house name, rearing or notes of an animal (audited)."""
    animal = get_animal(session, studbook_id)
    pending = authorize(
        session, "set_flags", lambda: request("set_flags", f"animal {animal.studbook_id}", [holder(session, animal)]),
        params={"studbook_id": animal.studbook_id, "changes": plain(changes)}, record=animal.studbook_id,
        summary=f"change of {', '.join(k.replace('_', ' ') for k in changes)} of animal {animal.studbook_id}")
    if pending is not None:
        return pending
    for key, value in changes.items():
        if key == "house_name":
            value = check_length(str(value), "house name", studbook_id)
        if key in ("notes", "health_notes"):
            value = clean_text(str(value), what=key.replace("_", " "), record=f"animal {studbook_id}", multiline=True)
        if key == "rearing":
            value = check_choice(str(value), REARINGS, "rearing", studbook_id)
        setattr(animal, key, value)
    enforce_rules(session, [studbook_id])
    return animal


# --- reading -------------------------------------------------------------------------

STATUS_FILTERS = ("captive", "wild", "dead", "ltf", "alive", "all")


@dataclass(frozen=True)
class AnimalRow:
    studbook_id: str
    house_name: str | None
    sex: str
    birth: str
    age: float | None
    birth_type: str
    sire: str
    dam: str
    status: str  # captive | wild | dead | ltf | unplaced (as of the census date)
    location: str | None
    flags: tuple[str, ...] = field(default_factory=tuple)


def _parent_label(kind: str, pid: str | None, cands: tuple[tuple[str, float], ...]) -> str:
    return ParentSpec(kind, pid, cands).label()


def _wanted(status: Status, which: str) -> bool:
    if which == "all":
        return True
    if which == "alive":
        return status.alive
    return status.fate == which


def animal_rows(session: Session, *, status: str = "all", at: str | None = None, sex: str | None = None,
                as_of: date | None = None, book: Book | None = None) -> list[AnimalRow]:
    """Animals with their status and place on *as_of* (default today); born after it: left out.

    *status*: captive, wild, dead, ltf, alive (captive or wild) or all.
    """
    if status not in STATUS_FILTERS:
        raise InvalidInputError(f"status {status!r} is not one of {', '.join(STATUS_FILTERS)}",
                                f"use one of {', '.join(STATUS_FILTERS)}")
    book = book or load_book(session)
    day = as_of or today()
    extra = {
        sid: (name, tuple(f for f, v in zip(FLAGS, vals) if v))
        for sid, name, *vals in session.execute(
            select(Animal.studbook_id, Animal.house_name, *(getattr(Animal, f) for f in FLAGS))
            .where(Animal.void.is_(False))
        )
    }
    code = get_institution(session, at).code if at else None
    rows = []
    for sid in sorted(book.animals, key=_id_order):
        a = book.animals[sid]
        if as_of is not None and not a.birth.is_unknown and a.birth.value > as_of:
            continue
        st = status_of(book.events.get(sid, []), book.institutions, as_of)
        if st.fate == "unplaced" and as_of is not None:
            continue
        if not _wanted(st, status) or (code and (st.location != code or not st.alive)) or (sex and a.sex != sex):
            continue
        name, flags = extra[sid]
        rows.append(AnimalRow(
            sid, name, a.sex, str(a.birth), _age(a.birth, st, day), a.birth_type,
            _parent_label(a.sire_kind, a.sire, a.sire_candidates),
            _parent_label(a.dam_kind, a.dam, a.dam_candidates),
            st.fate, st.location, flags,
        ))
    return rows


def _id_order(sid: str) -> tuple[bool, int, str]:
    return (not is_plain_number(sid), int(sid) if is_plain_number(sid) else 0, sid)


def _age(birth: FuzzyDate, st: Status, day: date) -> float | None:
    if birth.is_unknown or (st.end and st.end.is_unknown):
        return None
    end = st.end.value if st.end and not st.alive else day
    return round(years_between(birth.value, end), 1)


@dataclass(frozen=True)
class HistoryRow:
    event_id: int
    date: str
    event: str
    institution: str | None
    from_institution: str | None
    detail: str
    void: bool = False


@dataclass(frozen=True)
class AnimalDetail:
    row: AnimalRow
    rearing: str
    artificial_insemination: bool
    local_ids: list[str]
    offspring: list[str]
    history: list[HistoryRow]
    status: Status
    notes: str | None
    health_notes: str | None
    void: bool = False
    void_reason: str | None = None
    version: int = 0  # of the master record, for `animal update --expect-version`


def history(session: Session, studbook_id: str) -> list[HistoryRow]:
    """Every event of an animal with its stable event id, in order; void events last, marked void."""
    animal = get_animal(session, studbook_id, include_void=True)
    order = {f.event_id: k for k, f in enumerate(event_facts(animal))}
    out = []
    for e in sorted(animal.events, key=lambda e: (e.void, order.get(e.id, 0), e.id)):
        when = FuzzyDate.from_db(e.date, e.date_precision, e.date_estimated)
        detail = []
        if e.loan:
            detail.append("on loan")
        if e.cause:
            detail.append(f"cause: {e.cause}")
        if e.site:
            detail.append(f"site: {e.site}")
        if e.laid_at is not None:
            detail.append(f"laid at {e.laid_at.code}")
        if e.wild_egg:
            detail.append("egg from a wild nest")
        if e.litter_id is not None and e.kind == "birth":
            detail.append(f"litter {e.litter_id}")
        if e.notes:
            detail.append(e.notes)
        if e.void:
            detail.append(f"VOID: {e.void_reason}")
        out.append(HistoryRow(e.id, str(when), e.kind, e.institution.code if e.institution else None,
                              e.from_institution.code if e.from_institution else None, "; ".join(detail), e.void))
    return out


def show_animal(session: Session, studbook_id: str, as_of: date | None = None) -> AnimalDetail:
    """One animal: master record, status, local IDs (every holding), offspring, events (reads only its family)."""
    animal = get_animal(session, studbook_id, include_void=True)
    hist = history(session, studbook_id)
    if animal.void:
        st = Status("void", None, None)
        row = AnimalRow(animal.studbook_id, animal.house_name, animal.sex, str(FuzzyDate.from_db(
            animal.birth_date, animal.birth_precision, animal.birth_estimated)), None, animal.birth_type, "", "",
            "void", None)
        offspring: list[str] = []
    else:
        book = load_book(session, [animal.studbook_id])
        row = next(r for r in animal_rows(session, book=book, as_of=as_of) if r.studbook_id == animal.studbook_id)
        st = status_of(book.events.get(animal.studbook_id, []), book.institutions, as_of)
        offspring = sorted(book.children.get(animal.studbook_id, []), key=_id_order)
    return AnimalDetail(
        row=row, rearing=animal.rearing, artificial_insemination=animal.artificial_insemination,
        local_ids=[f"{li.institution.code}:{li.local_id}" for li in sorted(animal.local_ids, key=lambda li: li.id)],
        offspring=offspring, history=hist, status=st, notes=animal.notes, health_notes=animal.health_notes,
        void=animal.void, void_reason=animal.void_reason, version=animal.version,
    )


@dataclass(frozen=True)
class FoundAnimal:
    studbook_id: str
    matched: str  # studbook id | house name | local id
    value: str
    house_name: str | None
    sex: str
    void: bool


def find_animals(session: Session, text: str, *, limit: int = 100) -> list[FoundAnimal]:
    """Animals whose studbook ID, house name or local ID (current or past, any holding) matches *text*.

    Exact matches first, then case-insensitive substrings.
    """
    needle = (text or "").strip()
    if not needle:
        raise InvalidInputError("nothing to find", "give a studbook ID, a house name or a local ID")
    like = f"%{needle.lower()}%"
    found: dict[tuple[str, str, str], FoundAnimal] = {}
    queries = (
        ("studbook id", select(Animal.studbook_id, Animal.studbook_id, Animal.house_name, Animal.sex, Animal.void)
         .where(func.lower(Animal.studbook_id).like(like))),
        ("house name", select(Animal.studbook_id, Animal.house_name, Animal.house_name, Animal.sex, Animal.void)
         .where(func.lower(Animal.house_name).like(like))),
        ("local id", select(Animal.studbook_id, Institution.code + ":" + LocalId.local_id, Animal.house_name,
                            Animal.sex, Animal.void)
         .join(LocalId, LocalId.animal_id == Animal.id).join(Institution, LocalId.institution_id == Institution.id)
         .where(func.lower(LocalId.local_id).like(like))),
    )
    for what, q in queries:
        for sid, value, name, sex, void in session.execute(q.limit(limit)):
            found.setdefault((sid, what, str(value)), FoundAnimal(sid, what, str(value), name, sex, bool(void)))

    def exact(f: FoundAnimal) -> bool:
        return f.value.lower() == needle.lower() or f.value.lower().endswith(":" + needle.lower())

    return sorted(found.values(), key=lambda f: (not exact(f), _id_order(f.studbook_id), f.matched))[:limit]


@dataclass(frozen=True)
class PedigreeNode:
    label: str
    studbook_id: str | None
    sex: str | None
    birth: str | None
    role: str
    parents: list[PedigreeNode]


def pedigree_tree(session: Session, studbook_id: str, generations: int = 3) -> PedigreeNode:
    """Ancestors of an animal, *generations* deep (MULT slots list their candidates)."""
    if generations < 1:
        raise InvalidInputError(f"--generations {generations} must be at least 1", "e.g. --generations 3")
    root = get_animal(session, studbook_id)
    book = load_book(session, [root.studbook_id])

    def node(sid: str, role: str, depth: int, prob: float | None = None) -> PedigreeNode:
        a = book.animals[sid]
        label = sid if prob is None else f"{sid} (p={prob:g})"
        parents: list[PedigreeNode] = []
        if depth < generations:
            for r, kind, pid, cands in (("sire", a.sire_kind, a.sire, a.sire_candidates),
                                        ("dam", a.dam_kind, a.dam, a.dam_candidates)):
                if kind == "ID" and pid:
                    parents.append(node(pid, r, depth + 1))
                elif kind == "MULT":
                    parents.extend(node(c, f"{r} candidate", depth + 1, p) for c, p in cands)
                else:
                    parents.append(PedigreeNode(kind, None, None, None, r, []))
        return PedigreeNode(label, sid, a.sex, str(a.birth), role, parents)

    return node(root.studbook_id, "animal", 0)
