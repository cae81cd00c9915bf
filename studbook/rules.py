"""The studbook rules, as pure functions over plain records.

``check_book`` is the one code path for every write (CLI, import, library) and for
``studbook validate``: a write runs it on the animals it touched (and their
offspring) inside its transaction and is refused on any ERROR; ``validate`` runs
it on the whole book and lists every finding.

Partial and estimated dates are compared by their earliest/latest possible day
(``FuzzyDate``): a rule reports an error only when the order is impossible for
every possible day.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from .dates import age_in_years
from .loops import find_pedigree_loops
from .records import (
    LOCATION_EVENTS,
    AnimalFacts,
    Book,
    EventFacts,
    may_be_at,
    parents_of,
    status_of,
)
from .text import is_plain_number

ERROR = "error"
WARNING = "warning"

_ID_RE = re.compile(r"^T?[1-9][0-9]*$")
MULT_TOLERANCE = 1e-6
FERTILISATION_DAYS = 30  # egg species: fertilisation precedes laying by days to weeks


@dataclass(frozen=True)
class Finding:
    code: str
    severity: str
    studbook_id: str
    message: str
    hint: str = ""

    def line(self) -> str:
        text = f"{self.severity.upper()} {self.code} animal {self.studbook_id}: {self.message}"
        return text + (f" (hint: {self.hint})" if self.hint else "")


class _Collector:
    def __init__(self) -> None:
        self.findings: list[Finding] = []

    def error(self, code: str, sid: str, msg: str, hint: str = "") -> None:
        self.findings.append(Finding(code, ERROR, sid, msg, hint))

    def warn(self, code: str, sid: str, msg: str, hint: str = "") -> None:
        self.findings.append(Finding(code, WARNING, sid, msg, hint))


def affected(book: Book, touched: Iterable[str]) -> set[str]:
    """The animals whose rules can change when *touched* change: themselves and their offspring."""
    out = set(touched)
    for sid in list(out):
        out.update(book.children.get(sid, ()))
    return out


def check_book(book: Book, only: Iterable[str] | None = None) -> list[Finding]:
    """Every finding for the animals in *only* (default: the whole book)."""
    ids = sorted(book.animals, key=_id_sort_key) if only is None else sorted(affected(book, only), key=_id_sort_key)
    out = _Collector()
    loops = find_pedigree_loops({sid: parents_of(a) for sid, a in book.animals.items()})
    for sid in ids:
        a = book.animals.get(sid)
        if a is None:
            continue
        _check_identity(book, a, out)
        _check_parents(book, a, out, loops)
        _check_litter(book, a, out)
        _check_events(book, a, out)
    return out.findings


# Which error to name first when one write breaks several rules: the root cause
# (a bad date or parent) before its consequences (event order, first event).
_PRIORITY = ("D01", "D02", "E04", "E05", "P03", "P01", "P02", "P04", "P05", "P06", "P07", "P08", "P09", "P10",
             "P12", "B01", "E08", "E13", "E11", "E09", "E07", "D03", "E03", "E02", "E01")


def errors_of(findings: Iterable[Finding]) -> list[Finding]:
    """The errors, most telling first."""
    errs = [f for f in findings if f.severity == ERROR]
    rank = {c: i for i, c in enumerate(_PRIORITY)}
    return sorted(errs, key=lambda f: rank.get(f.code, len(rank)))


def _id_sort_key(sid: str) -> tuple[int, int, str]:
    return (0, int(sid), sid) if is_plain_number(sid) else (1, 0, sid)


# --- identity -----------------------------------------------------------------

def _check_identity(book: Book, a: AnimalFacts, out: _Collector) -> None:
    sid = a.studbook_id
    if not _ID_RE.match(sid):
        out.warn("A03", sid, f"studbook ID {sid!r} is not plain digits (or T + digits for a temporary ID)",
                 "SPARKS/ZIMS IDs start at 1 with no leading zeros; '001' and '1' are different IDs")
    if a.birth.earliest > book.today:
        out.error("D01", sid, f"birth date {a.birth} is in the future", "check the year")
    if not a.birth.is_unknown and a.birth.latest.year < book.species.earliest_year:
        out.error("D02", sid, f"birth date {a.birth} is before {book.species.earliest_year}",
                  "check the year (a typo such as 0999 for 1999?); a book of older records sets "
                  "`studbook species set --earliest-year`")


# --- parentage ------------------------------------------------------------------

def _death(book: Book, sid: str) -> EventFacts | None:
    for ev in book.events.get(sid, ()):
        if ev.kind == "death":
            return ev
    return None


def _check_parents(book: Book, a: AnimalFacts, out: _Collector, loops: set[str]) -> None:
    sid = a.studbook_id
    for role, kind, parent, cands, want in (
        ("sire", a.sire_kind, a.sire, a.sire_candidates, "M"),
        ("dam", a.dam_kind, a.dam, a.dam_candidates, "F"),
    ):
        if kind == "ID" and not parent:
            out.error("P12", sid, f"{role} is marked as a known animal but no ID is given", f"give --{role} ID or UNK")
            continue
        if kind != "MULT" and cands:
            out.error("P12", sid, f"{role} has MULT candidates but is recorded as {kind}", f"record the {role} as MULT")
        if kind == "MULT":
            _check_mult(book, a, role, cands, want, out)
            continue
        if kind != "ID" or parent is None:
            continue
        p = book.animals.get(parent)
        if p is None:
            out.error("P03", sid, f"{role} {parent} is not in the studbook",
                      "register the parent first, or write UNK / WILD")
            continue
        _check_parent_sex(sid, role, p, want, out)
        _check_parent_dates(book, a, role, p, out, strict=True)
    if a.sire and a.dam and a.sire == a.dam:
        out.error("P04", sid, f"the same animal {a.sire} is given as sire and dam", "check the parent IDs")
    if (a.sire == sid) or (a.dam == sid):
        out.error("P05", sid, "the animal is given as its own parent", "check the parent IDs")
    elif sid in loops:
        out.error("P05", sid, "the animal would be its own ancestor (a loop in the pedigree)",
                  "one of the parent IDs along this line is wrong; check them with `studbook pedigree`")
    if a.birth_type == "wild" and not _born_in_the_wild(book, sid):
        captive_parents = [p for p in (a.sire, a.dam) if p]
        if captive_parents:
            out.warn("P11", sid, f"wild-born animal has known captive parents ({', '.join(captive_parents)})",
                     "a cub of a dam pregnant at capture counts as captive-born")


def _born_in_the_wild(book: Book, sid: str) -> bool:
    """Born (hatched) at a release site or wild area: a young of released parents."""
    return any(e.kind == "birth" and book.is_wild_place(e.institution) for e in book.events.get(sid, ()))


def _check_parent_sex(sid: str, role: str, p: AnimalFacts, want: str, out: _Collector, *, mult: bool = False) -> None:
    if p.sex == want:
        return
    word = "male" if want == "M" else "female"
    if p.sex == "U":
        out.warn("P01" if role == "sire" else "P02", sid, f"{role} {p.studbook_id} has unknown sex", f"record its sex as {want}")
    elif mult:
        out.warn("P10", sid, f"MULT {role} candidate {p.studbook_id} is not {word}", "remove it from the candidates")
    else:
        out.error("P01" if role == "sire" else "P02", sid, f"{role} {p.studbook_id} is not {word} (sex {p.sex})",
                  f"check the {role} ID; the {role} must be {word}")


def _check_parent_dates(book: Book, a: AnimalFacts, role: str, p: AnimalFacts, out: _Collector, *, strict: bool) -> None:
    """Birth order, breeding age, alive at birth / at conception."""
    sid, sp = a.studbook_id, book.species
    report = out.error if strict else out.warn
    code = lambda c: c if strict else "P10"  # noqa: E731 - MULT candidates only get warnings
    if p.birth.earliest >= a.birth.latest:
        report(code("P06"), sid, f"{role} {p.studbook_id} (born {p.birth}) is not born before its offspring (born {a.birth})",
               "check both birth dates and the parent ID")
        return
    min_age = sp.min_breeding_age(p.sex)
    oldest_possible = age_in_years(p.birth.earliest, a.birth.latest)
    if oldest_possible < min_age:
        report(code("P07"), sid,
               f"{role} {p.studbook_id} was at most {oldest_possible:.1f} years old at the birth; "
               f"the minimum breeding age is {min_age:g} years",
               "check the parent ID and both birth dates (species parameters set the minimum)")
    youngest_possible = age_in_years(p.birth.latest, a.birth.earliest)
    if youngest_possible > sp.max_breeding_age(p.sex):
        out.warn("P07", sid, f"{role} {p.studbook_id} was over {youngest_possible:.0f} years old at the birth",
                 "check the parent ID and both birth dates")
    death = _death(book, p.studbook_id)
    if death is None:
        return
    if role == "dam":
        laid_by = _minus(a.birth.earliest, sp.term_days[1]) if sp.lays_eggs else a.birth.earliest
        if death.date.latest < laid_by:
            what = "the laying of this egg" if sp.lays_eggs else "this birth"
            report(code("P08"), sid, f"dam {p.studbook_id} died ({death.date}) before {what} ({a.birth})",
                   "check the dam ID, the birth date and the dam's death date")
    elif not a.birth.is_unknown:
        conception = _conception(book, a)[0]
        if death.date.latest < conception:
            term = "incubation" if sp.lays_eggs else "gestation"
            if a.artificial_insemination:
                out.warn("P09", sid, f"sire {p.studbook_id} died ({death.date}) before conception; recorded as artificial insemination")
            else:
                report(code("P09"), sid,
                       f"sire {p.studbook_id} died ({death.date}) before the conception "
                       f"(birth {a.birth} minus {(a.birth.earliest - conception).days} days of {term})",
                       "check the sire ID and the dates; if this was artificial insemination, record it (--ai)")


def _check_mult(book: Book, a: AnimalFacts, role: str, cands: tuple[tuple[str, float], ...], want: str, out: _Collector) -> None:
    sid = a.studbook_id
    if not cands:
        out.error("P10", sid, f"{role} is MULT but no candidate {role}s are recorded", f"give --{role} ID:P for each candidate")
        return
    seen: set[str] = set()
    for cid, prob in cands:
        if cid in seen:
            out.error("P10", sid, f"MULT {role} candidate {cid} is listed twice", "list each candidate once")
        seen.add(cid)
        if not (0 < prob <= 1):
            out.error("P10", sid, f"MULT {role} candidate {cid} has probability {prob:g}; it must be in (0, 1]",
                      "give each candidate a probability such as 0.5")
        p = book.animals.get(cid)
        if p is None:
            out.error("P03", sid, f"MULT {role} candidate {cid} is not in the studbook", "register it first")
            continue
        if cid == sid:
            out.error("P05", sid, "the animal is among its own candidate parents", "check the candidate IDs")
            continue
        _check_parent_sex(sid, role, p, want, out, mult=True)
        _check_parent_dates(book, a, role, p, out, strict=False)
    total = sum(p for _, p in cands)
    if abs(total - 1.0) > MULT_TOLERANCE:
        out.error("P10", sid, f"MULT {role} probabilities sum to {total:g}, not 1",
                  "make the candidates' probabilities add up to 1 (e.g. 0.5 and 0.5)")
    if len(cands) == 1:
        out.warn("P10", sid, f"MULT {role} has a single candidate", f"record the {role} as a known animal instead")


# --- events ---------------------------------------------------------------------

def _check_events(book: Book, a: AnimalFacts, out: _Collector) -> None:
    sid = a.studbook_id
    evs = book.events.get(sid, [])
    if not evs:
        out.error("E01", sid, "the animal has no events", "record its birth or capture")
        return
    first = evs[0]
    if first.kind not in ("birth", "capture"):
        out.error("E02", sid, f"the first event is a {first.kind}, not a birth or capture",
                  "record the birth or capture first")
    _check_birth_events(book, a, evs, out)
    location: str | None = None
    ended: EventFacts | None = None
    for ev in evs:
        _check_event_date(book, a, ev, out)
        if ended is not None and ended.kind == "death":
            out.error("E05", sid, f"{ev.kind} on {ev.date} comes after the death on {ended.date}",
                      "nothing can happen after death; check the dates")
            continue
        for code in (ev.institution, ev.from_institution, ev.laid_at):
            if code is not None and code not in book.institutions:
                out.error("E08", sid, f"unknown institution {code!r} on the {ev.kind} of {ev.date}",
                          "add it with `studbook institution add`")
        if ended is not None and ev.kind not in ("capture", "death"):
            out.warn("E10", sid, f"{ev.kind} on {ev.date} after lost to follow-up on {ended.date} with no recapture",
                     "record the recapture (`studbook capture`) first")
        if ev.kind in LOCATION_EVENTS:
            _check_move(book, sid, ev, location, ended, out)
            location, ended = ev.institution, None
        elif ev.kind == "death":
            if ev.institution is not None and location is not None and ev.institution != location and ended is None:
                out.error("E07", sid, f"death on {ev.date} recorded at {ev.institution} but the animal is at {location}",
                          "record the transfer first")
            ended = ev
        else:  # ltf
            ended = ev
    _check_birth_place(book, a, evs, out)
    _check_longevity(book, a, evs, out)


def _check_event_date(book: Book, a: AnimalFacts, ev: EventFacts, out: _Collector) -> None:
    sid = a.studbook_id
    if ev.kind == "birth" and ev.date == a.birth:
        return  # the birth date itself is checked once, with the animal (D01, D02)
    if ev.date.earliest > book.today:
        out.error("D01", sid, f"{ev.kind} date {ev.date} is in the future", "check the date")
    if not ev.date.is_unknown and ev.date.latest.year < book.species.earliest_year:
        out.error("D02", sid, f"{ev.kind} date {ev.date} is before {book.species.earliest_year}",
                  "check the year (a typo such as 0999 for 1999?); a book of older records sets "
                  "`studbook species set --earliest-year`")
    if ev.date.latest < a.birth.earliest and ev.kind != "birth":  # a birth event off the birth date: E03
        out.error("E04", sid, f"{ev.kind} on {ev.date} is before the birth ({a.birth})", "check both dates")


def _check_birth_events(book: Book, a: AnimalFacts, evs: list[EventFacts], out: _Collector) -> None:
    sid = a.studbook_id
    births = [e for e in evs if e.kind == "birth"]
    if len(births) > 1:
        out.error("E02", sid, "the animal has more than one birth event", "void the duplicate (`studbook event void`)")
    for b in births:
        if b.date != a.birth:
            out.error("E03", sid, f"the birth event date {b.date} differs from the birth date {a.birth}",
                      "keep one birth date")
    if a.birth_type == "wild" and any(not book.is_wild_place(b.institution) for b in births):
        out.error("E03", sid, "a wild-born animal has a birth event at a captive institution",
                  "record its capture instead, or change the birth type; a young born in the wild is born at a "
                  "release site or wild area")
    if a.birth_type == "captive" and not births:
        out.error("E03", sid, "a captive-born animal has no birth event", "record where it was born")
    deaths = [e for e in evs if e.kind == "death"]
    if len(deaths) > 1:
        out.error("E05", sid, "the animal has more than one death", "void the duplicate death (`studbook event void`)")


def _check_move(book: Book, sid: str, ev: EventFacts, location: str | None, ended: EventFacts | None,
                out: _Collector) -> None:
    """One location at a time: births and captures place the animal, transfers and releases move it."""
    in_wild = location is not None and book.is_wild_place(location)
    if ev.kind in ("birth", "capture"):
        if ev.institution is None:
            out.error("E07", sid, f"{ev.kind} on {ev.date} has no institution", "give --at CODE")
        if ev.kind == "capture" and location is not None and ended is None and not in_wild:
            out.error("E11", sid, f"captured on {ev.date} but the animal is at {location} then (in captivity)",
                      "only an animal in the wild or lost to follow-up can be captured; check the date, "
                      "or record a transfer")
        return
    if location is None:
        out.error("E07", sid, f"{ev.kind} on {ev.date} before the animal was placed anywhere",
                  "record the birth or capture first")
    elif ev.from_institution is not None and ev.from_institution != location and ended is None:
        out.error("E07", sid, f"{ev.kind} on {ev.date} is from {ev.from_institution} but the animal is at {location}",
                  f"a move starts at the animal's current place ({location}); record the move before it")
    if ev.institution is not None and ev.institution == (ev.from_institution or location):
        out.error("E07", sid, f"{ev.kind} on {ev.date} goes to the place it is already at ({ev.institution})",
                  "give another --to")
    if ev.kind == "release":
        if ev.institution is not None and ev.institution in book.institutions and not book.is_wild_place(ev.institution):
            out.error("E13", sid, f"released on {ev.date} to {ev.institution}, which is not a release site or wild area",
                      "release to a site of kind release-site or wild-area "
                      "(`studbook institution add CODE --kind release-site`), or record a transfer")
    elif in_wild and ev.institution is not None and not book.is_wild_place(ev.institution):
        out.warn("E12", sid, f"transfer on {ev.date} from the wild ({location}) to {ev.institution}: read as a recapture",
                 "record it with `studbook capture` to make the recapture explicit")
    elif location is not None and not in_wild and book.is_wild_place(ev.institution):
        out.warn("E12", sid, f"transfer on {ev.date} from captivity ({location}) to the wild ({ev.institution}): "
                 "read as a release", "record it with `studbook release` to make the release explicit")


def _check_birth_place(book: Book, a: AnimalFacts, evs: list[EventFacts], out: _Collector) -> None:
    """A birth (or, for egg species, the laying) takes place where the dam is; the sire is there at conception."""
    birth = next((e for e in evs if e.kind == "birth"), None)
    if birth is None or birth.institution is None or a.birth.is_unknown:
        return
    sid = a.studbook_id
    place, start, end = _laying(book, a, birth)
    word = "laid" if book.species.lays_eggs else "born"
    if a.dam_kind == "ID" and a.dam in book.animals and not birth.wild_egg:
        here = may_be_at(book.events.get(a.dam, []), place, start, end, wild_place=book.is_wild_place(place),
                         ordered=True)
        if here is False:
            when = str(a.birth) if not book.species.lays_eggs else f"{start} to {end}"
            out.error("E09", sid, f"{word} at {place} but dam {a.dam} is not there ({when})",
                      "record the dam's transfer first, or check the place"
                      + (" (an egg laid elsewhere: --laid-at; from a wild nest: --wild-egg)" if book.species.lays_eggs
                         else ""))
    if a.sire_kind == "ID" and a.sire in book.animals and not a.artificial_insemination and not birth.wild_egg:
        c_start, c_end = _conception(book, a)
        here = may_be_at(book.events.get(a.sire, []), place, c_start, c_end, ordered=True)
        if here is False:
            out.warn("E09", sid, f"sire {a.sire} was not at {place} around the conception",
                     "check the sire, or record the transfer or artificial insemination")


def _laying(book: Book, a: AnimalFacts, birth: EventFacts) -> tuple[str, date, date]:
    """Where and when the dam gave birth (live) or laid the egg (egg species)."""
    sp = book.species
    assert birth.institution is not None
    if not sp.lays_eggs:
        return birth.institution, a.birth.earliest, a.birth.latest
    tmin, tmax = sp.term_days
    return birth.laid_at or birth.institution, _minus(a.birth.earliest, tmax), _minus(a.birth.latest, tmin)


def _conception(book: Book, a: AnimalFacts) -> tuple[date, date]:
    """Possible days of conception: birth minus gestation; for eggs, up to a month before laying."""
    sp = book.species
    tmin, tmax = sp.term_days
    if sp.lays_eggs:
        return _minus(a.birth.earliest, tmax + FERTILISATION_DAYS), _minus(a.birth.latest, tmin)
    return _minus(a.birth.earliest, tmax), _minus(a.birth.latest, tmin)


def _minus(day: date, days: int) -> date:
    try:
        return day - timedelta(days=days)
    except OverflowError:  # an open bound (undetermined date)
        return date.min


def _check_longevity(book: Book, a: AnimalFacts, evs: list[EventFacts], out: _Collector) -> None:
    """No animal lives beyond the species' longevity (dead at that age, or still alive at the census)."""
    if a.birth.is_unknown:
        return
    limit = book.species.longevity_years
    st = status_of(evs, book.institutions, ordered=True)
    if st.fate == "dead" and st.end is not None and not st.end.is_unknown:
        age, what = age_in_years(a.birth.latest, st.end.earliest), "at its death"
    elif st.alive:
        age, what = age_in_years(a.birth.latest, book.reference_day), f"on {book.reference_day}"
    else:
        return
    if age > limit:
        out.error("D03", a.studbook_id, f"the animal would be at least {age:.1f} years old {what}; "
                  f"the species' longevity is {limit:g} years",
                  "check the birth date, or record its death or loss to follow-up "
                  "(`studbook species set --longevity` if the longevity is wrong)")


def _check_litter(book: Book, a: AnimalFacts, out: _Collector) -> None:
    """A dam gives birth (or lays a clutch) at most once within the minimum gestation (incubation).

    Births of one litter share a litter id (records without one: births whose possible
    days overlap are taken as one litter); any other birth to the same dam must be at
    least the minimum term away for some possible day of both dates. Two registrations
    of overlapping dates are the same litter entered twice.
    """
    if a.dam_kind != "ID" or not a.dam or a.birth.is_unknown:
        return
    sid = a.studbook_id
    tmin = book.species.min_birth_interval
    a_first, a_last = a.birth.earliest, a.birth.latest
    mine: int | None = None
    for sib in book.children.get(a.dam, ()):
        s = book.animals.get(sib)
        if sib == sid or s is None or s.dam != a.dam or s.birth.is_unknown:
            continue
        s_first, s_last = s.birth.earliest, s.birth.latest
        if max((a_last - s_first).days, (s_last - a_first).days) >= tmin:
            continue  # far enough apart for some possible days: nothing to check
        mine = mine if mine is not None else _litter_of(book, sid)
        theirs = _litter_of(book, sib)
        overlap = a_first <= s_last and s_first <= a_last
        if (mine == theirs) if (mine is not None and theirs is not None) else overlap:
            continue
        if overlap:
            out.error("B01", sid, f"dam {a.dam} already has a litter born on {s.birth} (animal {sib}): "
                      "the same litter entered twice?",
                      "void the duplicate (`studbook animal void ID --reason ...`), or add a late-registered young "
                      "to the first litter with `studbook birth --add-to-litter EVENT_ID`")
        else:
            word = "interval between clutches" if book.species.lays_eggs else "gestation"
            out.error("B01", sid, f"dam {a.dam} gave birth to {sib} on {s.birth}, less than the minimum "
                      f"{word} ({tmin} days) from this birth ({a.birth})",
                      "check the dam and both birth dates; one litter is one registration"
                      + (" (`studbook species set --clutch-interval` for replacement clutches)"
                         if book.species.lays_eggs else ""))


def _litter_of(book: Book, sid: str) -> int | None:
    for ev in book.events.get(sid, ()):
        if ev.kind == "birth":
            return ev.litter_id
    return None
