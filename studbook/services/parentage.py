"""Unknown parents, honestly: the potential parents of each UNK sire or dam, and MULT proposals.

A studbook's UNK parent is rarely unknowable: the records say which animals of the
right sex were at the birth institution when the young was conceived (nprcgenekeepr
calls them "potential parents"; PMx records the hypothesis as a MULT parent).
:func:`potential_parents` works on the plain :class:`~studbook.records.Book` (pure);
:func:`suggest` and :func:`apply` are the service entry points (one transaction each,
opened by the caller).

A candidate for the UNK **sire** of young *Y* (born at *P*) is an animal that

* is male (a candidate dam: female; sex U is never a candidate);
* may have been at *P* (``records.may_be_at`` over its location history) on some day of
  the conception window: birth minus the longest .. birth minus the shortest gestation
  (egg species: incubation, and the laying place ``--laid-at``; the window then opens
  ``rules.FERTILISATION_DAYS`` earlier, as rule E09 reads it). A candidate **dam** must
  have been at the place of birth on the birth day (egg species: at the laying place in
  the laying window), as rule E09 requires of a recorded dam. Being there in the window
  also means alive then: an animal's last location ends at its death;
* was of breeding age: at the young's birth at least the species' minimum breeding age
  (could have been, with fuzzy dates) and at most its maximum (rule P07's reading);
* is neither *Y* nor a descendant of *Y* (known parents and MULT candidates).

Births with nothing to go on get no candidates and say why: no birth event or place,
an undetermined birth date, an egg from a wild nest (its parents are wild), a sire slot
of an artificial insemination (the sire need not have been there).

The proposal is equal-probability MULT over the candidates. A single candidate is
proposed as MULT with probability 1 (an inference, not a record: rule P10 warns, which
keeps it visible).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from ..dates import age_in_years
from ..errors import InvalidInputError, NotFoundError
from ..records import Book, EventFacts, may_be_at
from ..rules import FERTILISATION_DAYS, Finding

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from .pedigree_rows import LoadedPedigree

ROLES = ("sire", "dam")


@dataclass(frozen=True)
class Suggestion:
    """The potential parents of one UNK slot (*role*) of animal *studbook_id*.

    ``window``: the days a candidate must have been at ``place`` (None when no window
    can be set); ``reason``: why there is no candidate (None when there are some).
    """

    studbook_id: str
    role: str
    birth: str
    place: str | None
    window: tuple[date, date] | None
    candidates: tuple[str, ...]
    reason: str | None = None

    @property
    def proposal(self) -> tuple[tuple[str, float], ...]:
        """Equal-probability MULT over the candidates (empty without candidates)."""
        k = len(self.candidates)
        return tuple((c, 1.0 / k) for c in self.candidates)

    def row(self) -> dict[str, Any]:
        return {
            "id": self.studbook_id, "role": self.role, "born": self.birth, "at": self.place,
            "window_start": self.window[0].isoformat() if self.window else None,
            "window_end": self.window[1].isoformat() if self.window else None,
            "n_candidates": len(self.candidates), "candidates": " ".join(self.candidates),
            "probability": round(1.0 / len(self.candidates), 6) if self.candidates else None,
            "reason": self.reason,
        }


def _minus(day: date, days: int) -> date:
    try:
        return day - timedelta(days=days)
    except OverflowError:
        return date.min


def descendants(book: Book, sid: str) -> set[str]:
    """Every descendant of *sid* (through known parents and MULT candidates)."""
    out: set[str] = set()
    todo = [sid]
    while todo:
        for kid in book.children.get(todo.pop(), ()):
            if kid not in out:
                out.add(kid)
                todo.append(kid)
    return out


def _window(book: Book, role: str, birth_ev: EventFacts, born_early: date, born_late: date) -> tuple[str, date, date]:
    """(place, start, end): where and when a candidate of *role* must have been."""
    sp = book.species
    tmin, tmax = sp.term_days
    assert birth_ev.institution is not None
    if sp.lays_eggs:
        place = birth_ev.laid_at or birth_ev.institution
        if role == "sire":
            return place, _minus(born_early, tmax + FERTILISATION_DAYS), _minus(born_late, tmin)
        return place, _minus(born_early, tmax), _minus(born_late, tmin)
    if role == "sire":
        return birth_ev.institution, _minus(born_early, tmax), _minus(born_late, tmin)
    return birth_ev.institution, born_early, born_late


def potential_parents(book: Book, studbook_id: str, role: str) -> Suggestion:
    """The potential parents of the *role* slot of *studbook_id* (pure; see the module docstring)."""
    a = book.animals[studbook_id]
    born = str(a.birth)
    birth_ev = next((e for e in book.events.get(studbook_id, []) if e.kind == "birth"), None)

    def none(reason: str, place: str | None = None, window: tuple[date, date] | None = None) -> Suggestion:
        return Suggestion(studbook_id, role, born, place, window, (), reason)

    if birth_ev is None or birth_ev.institution is None:
        return none("no birth event with a place is recorded")
    if a.birth.is_unknown:
        return none("the birth date is undetermined", birth_ev.institution)
    if birth_ev.wild_egg:
        return none("an egg from a wild nest: its parents are wild", birth_ev.institution)
    if role == "sire" and a.artificial_insemination:
        return none("artificial insemination: the sire need not have been at the birth place", birth_ev.institution)
    place, start, end = _window(book, role, birth_ev, a.birth.earliest, a.birth.latest)
    want = "M" if role == "sire" else "F"
    sp = book.species
    min_age, max_age = sp.min_breeding_age(want), sp.max_breeding_age(want)
    excluded = descendants(book, studbook_id) | {studbook_id}
    wild_place = book.is_wild_place(place)
    found: list[str] = []
    for cid, c in book.animals.items():
        if c.sex != want or cid in excluded:
            continue
        if c.birth.earliest >= a.birth.latest:  # not born before the young (P06)
            continue
        if not c.birth.is_unknown:
            if age_in_years(c.birth.earliest, a.birth.latest) < min_age:  # too young whatever the dates (P07)
                continue
            if age_in_years(c.birth.latest, a.birth.earliest) > max_age:  # too old whatever the dates
                continue
        if may_be_at(book.events.get(cid, []), place, start, end, wild_place=wild_place, ordered=True) is not True:
            continue
        found.append(cid)
    found.sort(key=_id_key)
    if not found:
        word = "male" if want == "M" else "female"
        return none(f"no {word} of breeding age is recorded at {place} from {start} to {end}", place, (start, end))
    return Suggestion(studbook_id, role, born, place, (start, end), tuple(found))


def _id_key(sid: str) -> tuple[int, int, str]:
    return (0, int(sid), "") if sid.isdigit() else (1, 0, sid)


def unk_slots(book: Book, role: str | None = None) -> list[tuple[str, str]]:
    """Every ``(studbook_id, role)`` whose parent is UNK, in studbook-ID order."""
    out = []
    for sid in sorted(book.animals, key=_id_key):
        a = book.animals[sid]
        for r, kind in (("sire", a.sire_kind), ("dam", a.dam_kind)):
            if kind == "UNK" and role in (None, r):
                out.append((sid, r))
    return out


def suggestions_for(book: Book, ids: Sequence[str] | None, role: str | None = None) -> list[Suggestion]:
    """The suggestions for the UNK slots of *ids* (None: every UNK slot of the book).

    Refuses an ID that is not in the book (or void) and one without an UNK parent (of *role*).
    """
    if role is not None and role not in ROLES:
        raise InvalidInputError(f"role {role!r} is not sire or dam", "write --role sire or --role dam")
    if ids is None:
        return [potential_parents(book, sid, r) for sid, r in unk_slots(book, role)]
    out: list[Suggestion] = []
    for sid in ids:
        a = book.animals.get(sid)
        if a is None:
            raise NotFoundError(f"no animal with studbook ID {sid!r}", "check the ID with `studbook animal find`")
        slots = [r for r, kind in (("sire", a.sire_kind), ("dam", a.dam_kind)) if kind == "UNK" and role in (None, r)]
        if not slots:
            what = f"{role} is" if role else "sire and dam are"
            raise InvalidInputError(
                f"animal {sid}: its {what} not UNK (sire {a.sire or a.sire_kind}, dam {a.dam or a.dam_kind})",
                "only an UNK parent gets suggestions; `animal update --sire UNK --reason ...` undoes a correction")
        out += [potential_parents(book, sid, r) for r in slots]
    return out


def mult_proposals(suggestions: Iterable[Suggestion]) -> dict[tuple[str, str], tuple[tuple[str, float], ...]]:
    """``(studbook_id, role) -> ((candidate, probability), ...)`` for the slots that have candidates."""
    return {(s.studbook_id, s.role): s.proposal for s in suggestions if s.candidates}


# --- services -------------------------------------------------------------------------

def suggest(session: Session, ids: Sequence[str] | None, role: str | None = None) -> list[Suggestion]:
    """The potential parents of the UNK slots of *ids* (None: all UNK slots of the book)."""
    from .book import load_book

    if ids is not None:
        ids = [i.strip() for i in ids]
    return suggestions_for(load_book(session), ids, role)


@dataclass(frozen=True)
class Applied:
    applied: list[Suggestion]
    skipped: list[Suggestion]
    warnings: list[Finding]


def apply(session: Session, suggestions: Sequence[Suggestion], reason: str | None) -> Applied:
    """Record each proposal as MULT parents through the correction service (audited, rule-checked).

    A suggestion without candidates is skipped (and listed); none to apply at all is refused.
    Reversible: ``animal update ID --sire UNK --reason ...``.
    """
    from .access import authorized, require_keeper
    from .animals import ParentSpec
    from .corrections import CorrectionResult, update_animal

    if not reason or not reason.strip():
        raise InvalidInputError("--apply changes the book: it needs a reason",
                                "give --reason TEXT (it goes into the audit log)")
    todo = [s for s in suggestions if s.candidates]
    skipped = [s for s in suggestions if not s.candidates]
    if not todo:
        raise InvalidInputError("no UNK parent has a potential parent: nothing to apply",
                                "see the reasons without --apply")
    found: list[Finding] = []
    require_keeper(session, action="apply_parentage")  # parents across the book: the keeper's call
    for s in todo:
        spec = ParentSpec("MULT", None, s.proposal)
        with authorized(session):
            if s.role == "sire":
                result = update_animal(session, s.studbook_id, reason=reason, sire=spec)
            else:
                result = update_animal(session, s.studbook_id, reason=reason, dam=spec)
        assert isinstance(result, CorrectionResult)
        found += result.warnings
    return Applied(todo, skipped, found)


# --- sensitivity: UNK as founders vs UNK as MULT of the potential parents --------------

def proposals(session: Session, role: str | None = None) -> dict[tuple[str, str], tuple[tuple[str, float], ...]]:
    """The equal-probability MULT proposal of every UNK slot that has potential parents."""
    return mult_proposals(suggest(session, None, role))


SENSITIVITY_LABELS = {
    "gene_diversity": "GD", "founder_genome_equivalents": "FGE", "mean_kinship": "mean MK",
    "n_founders": "founders", "n_phantom_founders": "phantom founders (UNK/WILD halves)",
    "founder_equivalents": "founder equivalents (fe)", "mean_inbreeding": "mean F",
    "mean_percent_known": "mean % known",
}


def summary_sensitivity(loaded: LoadedPedigree,
                        props: dict[tuple[str, str], tuple[tuple[str, float], ...]]) -> tuple[list[dict[str, Any]], int]:
    """(rows ``measure, unk_as_founders, unk_as_mult, change``, UNK slots replaced) for the living
    analysis population of *loaded*; the book is not changed."""
    import math

    from ..genetics.sensitivity import MEASURES, summary_both

    both = summary_both(loaded.pedigree, props)
    rows = []
    for key in MEASURES:
        a, b = both["unk_as_founders"][key], both["unk_as_mult"][key]
        if key == "mean_percent_known":
            a, b = round(100 * a, 2), round(100 * b, 2)
        num = lambda x: None if isinstance(x, float) and math.isnan(x) else x  # noqa: E731
        change = None if num(a) is None or num(b) is None else b - a
        rows.append({"measure": SENSITIVITY_LABELS[key], "key": key, "unk_as_founders": num(a),
                     "unk_as_mult": num(b), "change": change})
    return rows, int(both["replaced"])


def pair_rank_sensitivity(pop: Any, table: Any, pairs: Sequence[tuple[str, str]],
                          props: dict[tuple[str, str], tuple[tuple[str, float], ...]]) -> list[dict[str, Any]]:
    """Each pair of *pairs* (male, female) ranked among all pairs of *table* under both assumptions.

    The rank is ``recommend pair-table``'s (``services.recommend.pair_rows(rank=True)``: MSI, then
    the larger ΔGD, then IDs), once on the population *pop* as read (UNK as founders) and once
    with the same animals and eligibility on the pedigree whose UNK slots are the MULT *props*
    (kinship, % known and so MSI recomputed). Nothing is written to the book.
    """
    from dataclasses import replace

    from ..genetics import inbreeding, kinship_matrix, percent_known
    from ..genetics.sensitivity import with_mult_parents
    from .recommend import pair_rows, pair_table

    ped2, _used = with_mult_parents(pop.loaded.pedigree, props)
    L2 = ped2.indices(pop.ids)
    K2 = kinship_matrix(ped2, L2)
    pop2 = replace(pop, loaded=replace(pop.loaded, pedigree=ped2), idx=L2, K=K2, mk=K2.mean(axis=1),
                   known=percent_known(ped2)[L2], F=inbreeding(ped2)[L2])
    table2 = pair_table(pop2, table.config)
    before = {(r["male"], r["female"]): r for r in pair_rows(pop, table, rank=True)}
    after = {(r["male"], r["female"]): r for r in pair_rows(pop2, table2, rank=True)}
    out = []
    for male, female in pairs:
        a, b = before.get((male, female)), after.get((male, female))
        out.append({
            "male": male, "female": female,
            "rank_unk_as_founders": a["rank"] if a else None, "rank_unk_as_mult": b["rank"] if b else None,
            "msi_unk_as_founders": a["msi"] if a else None, "msi_unk_as_mult": b["msi"] if b else None,
            "delta_gd_unk_as_founders": a["delta_gd"] if a else None,
            "delta_gd_unk_as_mult": b["delta_gd"] if b else None,
        })
    return out
