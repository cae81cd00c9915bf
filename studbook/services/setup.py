"""Creating a book: schema, species parameters, and loading a book from CSV files."""

from __future__ import annotations

import csv
import json
from dataclasses import asdict, dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from ..dates import FuzzyDate
from ..errors import ImportFormatError, StudbookError, ValidationError
from ..models import Animal, Institution, Species
from ..records import SpeciesParams
from ..rules import check_book, errors_of
from .animals import FLAGS, ParentSpec, add_event, apply_parent, create_animal
from .book import get_animal, load_book
from .institutions import add_institution

SPECIES_FIELDS = tuple(f for f in SpeciesParams.__dataclass_fields__)


def sample_dir() -> Path:
    """The bundled synthetic Amur leopard studbook (installed package or checkout)."""
    here = Path(__file__).resolve().parents[1]
    for candidate in (here / "sample", here.parent / "data" / "sample"):
        if (candidate / "animals.csv").exists():
            return candidate
    raise StudbookError("the sample studbook files are missing from this installation", "reinstall studbook")


def set_species(session: Session, params: SpeciesParams) -> SpeciesParams:
    if params.gestation_min_days <= 0 or params.gestation_max_days < params.gestation_min_days:
        raise ValidationError(
            f"gestation {params.gestation_min_days}-{params.gestation_max_days} days is not a valid range",
            "give the minimum and maximum gestation in days, e.g. 90 and 105 for leopards",
        )
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


@dataclass(frozen=True)
class LoadReport:
    institutions: int
    animals: int
    events: int
    mult_slots: int
    warnings: int


def _read_csv(path: Path) -> list[tuple[int, dict[str, str]]]:
    if not path.exists():
        raise ImportFormatError(f"{path.name} is missing from {path.parent}", "a book folder needs institutions.csv, animals.csv and events.csv")
    with path.open(newline="", encoding="utf-8-sig") as fh:
        return [(n, row) for n, row in enumerate(csv.DictReader(fh), start=2)]


def _flag(value: str | None) -> bool:
    return (value or "").strip().lower() in ("1", "true", "yes", "y")


def load_book_folder(session: Session, folder: Path) -> LoadReport:
    """Load a whole book (the format of ``data/sample``) in one transaction.

    Every row goes through the same constructors and the same rules as the CLI;
    any error rolls everything back and lists every problem.
    """
    if session.scalars(select(Animal.id).limit(1)).first() is not None:
        raise ValidationError("this database already holds animals; a book can only be loaded into an empty one",
                              "use a new --db file")
    species_path = folder / "species.json"
    if species_path.exists():
        raw = json.loads(species_path.read_text(encoding="utf-8"))
        set_species(session, SpeciesParams(**{k: raw[k] for k in SPECIES_FIELDS if k in raw}))
    else:
        ensure_species(session)
    with session.no_autoflush:
        return _load_rows(session, folder)


def _load_rows(session: Session, folder: Path) -> LoadReport:
    problems: list[str] = []

    def guard(where: str, fn, *args, **kw):  # type: ignore[no-untyped-def]
        try:
            return fn(*args, **kw)
        except StudbookError as exc:
            problems.append(f"{where}: {exc.reason}" + (f" (hint: {exc.hint})" if exc.hint else ""))
            return None

    n_inst = 0
    for line, r in _read_csv(folder / "institutions.csv"):
        def cap(v: str | None) -> int | None:
            return int(v) if v not in (None, "") else None
        if guard(f"institutions.csv line {line}", add_institution, session, r["code"], name=r["name"], country=r["country"],
                 latitude=float(r["latitude"]), longitude=float(r["longitude"]), city=r.get("city") or None,
                 region=r.get("region") or None, capacity_males=cap(r.get("capacity_males")),
                 capacity_females=cap(r.get("capacity_females"))):
            n_inst += 1
    mult: dict[tuple[str, str], list[tuple[str, float]]] = {}
    mult_path = folder / "mult_parents.csv"
    if mult_path.exists():
        for _line, r in _read_csv(mult_path):
            mult.setdefault((r["studbook_id"], r["role"]), []).append((r["candidate"], float(r["probability"])))
    animals: dict[str, Animal] = {}
    parents: list[tuple[str, Animal, dict[str, ParentSpec]]] = []
    for line, r in _read_csv(folder / "animals.csv"):
        sid = r["studbook_id"]
        specs = {}
        for role in ("sire", "dam"):
            v = (r.get(role) or "").strip()
            if v.upper() == "MULT":
                specs[role] = ParentSpec("MULT", None, tuple(mult.get((sid, role), ())))
            elif v.upper() in ("UNK", "WILD"):
                specs[role] = ParentSpec(v.upper())
            elif not v:
                problems.append(f"animals.csv line {line}: animal {sid}: {role} is blank (hint: write UNK for an unknown {role})")
                specs[role] = ParentSpec("UNK")
            else:
                specs[role] = ParentSpec("ID", v)
        birth = guard(f"animals.csv line {line}", FuzzyDate.parse, r["birth_date"], what=f"animal {sid}: birth date")
        if birth is None:
            continue
        # Parents are linked in a second pass: a parent may come later in the file.
        a = guard(f"animals.csv line {line}", create_animal, session, sid, sex=r["sex"], birth=birth,
                  birth_type=r.get("birth_type") or "captive", sire=ParentSpec("UNK"), dam=ParentSpec("UNK"),
                  rearing=r.get("rearing") or "unknown", house_name=r.get("house_name") or None,
                  artificial_insemination=_flag(r.get("artificial_insemination")),
                  flags={f: _flag(r.get(f)) for f in FLAGS if f in r}, taken=set(animals))
        if a is not None:
            a.notes = r.get("notes") or None
            animals[sid] = a
            parents.append((f"animals.csv line {line}", a, specs))
    session.flush()
    for a in animals.values():  # new animals have no local IDs yet: no need to ask the database
        set_committed_value(a, "local_ids", [])
    for where, a, specs in parents:
        for role in ("sire", "dam"):
            guard(where, apply_parent, session, a, role, specs[role], animals)
    institutions = {i.code: i for i in session.scalars(select(Institution))}
    n_events = 0
    for line, r in _read_csv(folder / "events.csv"):
        sid = r["studbook_id"]
        animal = animals.get(sid) or guard(f"events.csv line {line}", get_animal, session, sid)
        when = guard(f"events.csv line {line}", FuzzyDate.parse, r["date"], what=f"animal {sid}: {r['event']} date")
        if animal is None or when is None:
            continue
        if guard(f"events.csv line {line}", add_event, session, animal, r["event"], when,
                 at=r.get("institution") or None, from_code=r.get("from_institution") or None,
                 loan=_flag(r.get("loan")), cause=r.get("cause") or None, site=r.get("site") or None,
                 local_id=r.get("local_id") or None, institutions=institutions) is not None:
            n_events += 1
    if problems:
        raise ImportFormatError(f"the book in {folder} has {len(problems)} problem(s); nothing was loaded",
                                "fix the listed lines and load again", problems=problems)
    session.flush()
    findings = check_book(load_book(session))
    errors = errors_of(findings)
    if errors:
        raise ValidationError(f"the book in {folder} breaks {len(errors)} rule(s); nothing was loaded",
                              "fix the listed animals and load again", problems=[f.line() for f in errors])
    return LoadReport(n_inst, len(animals), n_events, len(mult), len(findings) - len(errors))
