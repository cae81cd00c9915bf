"""SPARKS exchange and moves records -> the rows of a book folder (pure: records in, rows out).

The mapping is faithful: it does not fix the data. Every move becomes one event, in the
order of the moves table; where the two tables disagree the moves win, the
disagreement is counted in the :class:`SparksMapping` and the exchange's value is kept
in the animal's notes. Nothing is dropped without a trace: a code or field the book has
no place for goes to the notes of the animal or event, and is counted. The rules
(run by the loader afterwards) then find the data's own errors. Each rule below is
explained in ``docs/sparks.md``.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from ..errors import ImportFormatError
from .sparks_layout import ANALYSIS_COLUMNS, EVENT_OF_CODE, EXCHANGE_COLUMNS, MOVES_COLUMNS

Record = dict[str, Any]
Row = dict[str, str]
NO_LOCAL_ID = {"", "NONE", "BLANK"}
CODE_RE = re.compile(r"^[A-Z0-9][A-Z0-9 _\-]{0,8}$")
WILD_KINDS = ("release-site", "wild-area")
EXAMPLES = 5
# Exchange columns the book derives from the moves (compared, not stored), or that are outputs of
# an analysis or PMx's own placeholders: not studbook data.
DERIVED = {"ID", "DID", "SID", "DATEIN", "IN_EST", "DATEOUT", "OUT_EST", "LOCATION", "LOCAL_ID", "INSTCODE",
           "DEAD", "DEATHDATE", "DEATH_EST", "SELECTED", "DAM_ID_TMP", "SIRE_IDTMP", *ANALYSIS_COLUMNS}
EXCHANGE_KNOWN = {c.name for c in EXCHANGE_COLUMNS}
MOVES_KNOWN = {c.name for c in MOVES_COLUMNS}


@dataclass
class SparksMapping:
    """The book-folder rows, and what the mapping found on the way."""

    animals: list[tuple[int, Row]] = field(default_factory=list)  # (exchange record, row)
    events: list[tuple[int, Row]] = field(default_factory=list)  # (moves record, row); 0: from the exchange
    institutions: list[tuple[int, Row]] = field(default_factory=list)
    mult: list[tuple[int, Row]] = field(default_factory=list)
    census_date: date | None = None
    moves: int = 0
    institution_kinds: dict[str, int] = field(default_factory=dict)
    codes_kept_as_notes: dict[str, int] = field(default_factory=dict)  # transaction code -> moves
    fields_kept_as_notes: dict[str, int] = field(default_factory=dict)  # column -> cells
    unknown_estimate_codes: dict[str, int] = field(default_factory=dict)
    renamed_codes: dict[str, str] = field(default_factory=dict)
    deaths_from_exchange: int = 0  # DEAD=T without a death move: a death at an undetermined date
    deleted_local_ids: int = 0  # NONE/BLANK placeholders read as "no local ID"
    laid_at: int = 0
    wild_eggs: int = 0
    disagreements: dict[str, int] = field(default_factory=dict)
    examples: dict[str, list[str]] = field(default_factory=dict)

    def disagree(self, kind: str, example: str) -> None:
        self.disagreements[kind] = self.disagreements.get(kind, 0) + 1
        shown = self.examples.setdefault(kind, [])
        if len(shown) < EXAMPLES:
            shown.append(example)

    def count(self, bag: dict[str, int], key: str) -> None:
        bag[key] = bag.get(key, 0) + 1


def text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "T" if value else "F"
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()


def fuzzy(value: Any, est: Any, found: SparksMapping) -> str:
    """A date and its SPARKS estimate code as a studbook date.

    Blank: the exact day; ``D``: the day is an estimate (``~YYYY-MM-DD``); ``M``: only the
    month is known (``YYYY-MM``); ``Y``: only the year (``YYYY``); no date: ``unknown``.
    Another code is counted and the day kept as exact (the value is all there is). A
    date that could not be read stays as its text, for the loader to report.
    """
    if value is None or value == "":
        return "unknown"
    if not isinstance(value, date):
        return str(value)
    code = text(est).upper()
    if code == "D":
        return "~" + value.isoformat()
    if code == "M":
        return f"{value.year:04d}-{value.month:02d}"
    if code == "Y":
        return f"{value.year:04d}"
    if code:
        found.count(found.unknown_estimate_codes, code)
    return value.isoformat()


def sex_of(value: Any) -> str:
    """SPARKS SEX: 1 male, 0 female, anything else (5 in SPARKS) unknown."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return "U"
    return {1: "M", 0: "F"}.get(int(value), "U") if value == int(value) else "U"


def institution_code(raw: Any, found: SparksMapping) -> str:
    code = text(raw).upper()
    if not code or CODE_RE.match(code):
        return code
    fixed = re.sub(r"[^A-Z0-9 _\-]", "-", code)[:9]
    if not fixed[0].isalnum():
        fixed = ("X" + fixed)[:9]
    found.renamed_codes[text(raw)] = fixed
    return fixed


def map_sparks(exchange: Iterable[tuple[int, Record]], moves: Iterable[tuple[int, Record]], *,
               incubation: tuple[int, int] | None = None, census: date | None = None,
               mult: Iterable[tuple[int, Row]] = ()) -> SparksMapping:
    """The book-folder rows of a SPARKS book (module docstring; ``docs/sparks.md``).

    *incubation*: (min, max) days of an egg species, for reading where eggs were laid;
    *census*: the book's census date (default: the latest date in either table);
    *mult*: MULT candidates (``studbook_id, role, candidate, probability``) from a side file.
    Refuses (:class:`ImportFormatError`) a moves table naming animals the exchange lacks.
    """
    found = SparksMapping()
    ex = [(n, _clean_exchange(r)) for n, r in exchange]
    mv = [(n, _clean_move(r, found)) for n, r in moves]
    found.moves = len(mv)
    known = {r["STUD_ID"] for _n, r in ex}
    strangers = sorted({r["STUD_ID"] for _n, r in mv} - known)
    if strangers:
        first = next(n for n, r in mv if r["STUD_ID"] == strangers[0])
        raise ImportFormatError(
            f"the moves table names {len(strangers)} animal(s) that are not in the exchange table "
            f"({', '.join(strangers[:5])}{', ...' if len(strangers) > 5 else ''}; first at moves record {first}); "
            "nothing was imported", "give the exchange and moves tables of the same book")
    by_id: dict[str, list[Record]] = defaultdict(list)
    for _n, m in mv:
        by_id[m["STUD_ID"]].append(m)
    parents = {r["STUD_ID"]: (r["SIRE_ID"], r["DAM_ID"]) for _n, r in ex}
    kinds = guess_kinds(by_id, {sid: p[1] for sid, p in parents.items()})
    found.census_date = census or _latest_date(ex, mv)
    last_event = _events(mv, by_id, parents, kinds, incubation, found)
    for n, r in ex:
        found.animals.append((n, _animal(r, by_id.get(r["STUD_ID"], []), kinds, found)))
        _death_from_exchange(r, by_id.get(r["STUD_ID"], []), last_event, found)
    found.institutions = [(0, {"code": c, "name": c, "kind": k}) for c, k in sorted(kinds.items())]
    found.institution_kinds = dict(sorted(Counter(kinds.values()).items()))
    found.mult = list(mult)
    return found


def _clean_exchange(r: Record) -> Record:
    r = dict(r)
    for key in ("STUD_ID", "DAM_ID", "SIRE_ID"):
        r[key] = text(r.get(key)).upper() if text(r.get(key)).upper() in ("WILD", "UNK") or text(
            r.get(key)).upper().startswith("MULT") else text(r.get(key))
    return r


def _clean_move(m: Record, found: SparksMapping) -> Record:
    m = dict(m)
    m["STUD_ID"] = text(m.get("STUD_ID"))
    m["TRAN_CODE"] = text(m.get("TRAN_CODE")).upper()
    m["_loc"] = institution_code(m.get("LOCATION"), found)
    return m


def _latest_date(ex: list[tuple[int, Record]], mv: list[tuple[int, Record]]) -> date | None:
    days = [v for _n, r in ex for k in ("BDATE", "DATEIN", "DATEOUT", "DEATHDATE") if isinstance(v := r.get(k), date)]
    days += [v for _n, m in mv for k in ("TRAN_DATE", "REM_DATE") if isinstance(v := m.get(k), date)]
    return max(days, default=None)


# -- events ----------------------------------------------------------------------------
def _events(mv: list[tuple[int, Record]], by_id: Mapping[str, list[Record]], parents: Mapping[str, tuple[str, str]],
            kinds: Mapping[str, str], incubation: tuple[int, int] | None,
            found: SparksMapping) -> dict[str, Row]:
    """One event per move, in the moves' order; returns each animal's last event."""
    pending: dict[str, list[str]] = defaultdict(list)  # notes waiting for an animal's first event
    last: dict[str, Row] = {}
    previous: dict[str, str] = {}
    for n, m in mv:
        sid, code, loc = m["STUD_ID"], m["TRAN_CODE"], m["_loc"]
        when = fuzzy(m.get("TRAN_DATE"), m.get("TDATE_EST"), found)
        extra = _move_notes(m, found)
        kind = EVENT_OF_CODE.get(code)
        if kind is None:
            found.count(found.codes_kept_as_notes, code or "(blank)")
            note = "; ".join([f"SPARKS move {code or '(blank)'} at {loc or '(none)'} on {when}", *extra])
            if sid in last:
                last[sid]["notes"] = "; ".join(x for x in (last[sid]["notes"], note) if x)
            else:
                pending[sid].append(note)
            previous[sid] = loc
            continue
        local = text(m.get("LOCAL_ID"))
        if local.upper() in NO_LOCAL_ID:
            found.deleted_local_ids += bool(local)
            local = ""
        physical, owner = m.get("PHYSICAL"), m.get("OWNER")
        ev: Row = {
            "studbook_id": sid, "event": kind, "date": when, "institution": loc,
            "from_institution": previous.get(sid, "") if kind in ("transfer", "release") else "",
            "loan": "1" if physical is True and owner is False else "0", "local_id": local,
            "laid_at": "", "wild_egg": "0", "notes": "; ".join(pending.pop(sid, []) + extra),
        }
        if kind == "birth" and incubation:
            _egg(ev, m, by_id, parents.get(sid, ("", "")), kinds, incubation, found)
        found.events.append((n, ev))
        last[sid] = ev
        previous[sid] = loc
    for sid, notes in pending.items():  # an animal whose only moves have codes the book has no event for
        found.disagree("moves with no event", f"{sid}: {'; '.join(notes)}")
    return last


def _move_notes(m: Record, found: SparksMapping) -> list[str]:
    """Cells of a move the event has no place for, as note fragments."""
    out = []
    if m.get("REM_DATE") not in (None, ""):
        out.append(f"SPARKS REM_DATE {fuzzy(m['REM_DATE'], m.get('RDATE_EST'), found)}")
        found.count(found.fields_kept_as_notes, "REM_DATE")
    if text(m.get("INSTCODE")):
        out.append(f"SPARKS INSTCODE {text(m['INSTCODE'])}")
        found.count(found.fields_kept_as_notes, "INSTCODE")
    if m.get("PHYSICAL") is False:
        out.append("SPARKS PHYSICAL F (an ownership-only move)")
        found.count(found.fields_kept_as_notes, "PHYSICAL")
    for key in sorted(set(m) - MOVES_KNOWN - {"_loc"}):
        if text(m[key]):
            out.append(f"SPARKS {key} {text(m[key])}")
            found.count(found.fields_kept_as_notes, key)
    return out


def _location_at(moves: list[Record], day: date) -> str | None:
    """Where an animal is on *day* per its moves: None before its first move; "" once dead."""
    where: str | None = None
    for m in moves:
        when = m.get("TRAN_DATE")
        if not isinstance(when, date) or when > day:
            break
        where = "" if m["TRAN_CODE"] == "BA" else m["_loc"]
    return where


def _stayed_at(moves: list[Record], start: date, end: date) -> str | None:
    """The one place an animal was at throughout [start, end], else None."""
    where = _location_at(moves, start)
    if not where:
        return None
    if any(isinstance(d := m.get("TRAN_DATE"), date) and start < d <= end for m in moves):
        return None
    return where


def _egg(ev: Row, m: Record, by_id: Mapping[str, list[Record]], parents: tuple[str, str],
         kinds: Mapping[str, str], incubation: tuple[int, int], found: SparksMapping) -> None:
    """``laid_at``/``wild_egg`` of a hatch, only where the dam's moves say so (docs/sparks.md)."""
    hatch_loc, day = m["_loc"], m.get("TRAN_DATE")
    sire, dam = parents
    captive_hatch = kinds.get(hatch_loc) not in WILD_KINDS
    if captive_hatch and sire == "WILD" and dam == "WILD":
        ev["wild_egg"] = "1"
    elif dam.isdigit() and isinstance(day, date) and not text(m.get("TDATE_EST")):
        dam_moves = by_id.get(dam, [])
        laid = _stayed_at(dam_moves, day - timedelta(days=incubation[1]), day - timedelta(days=incubation[0]))
        if laid is not None and laid != hatch_loc:
            laid_wild = kinds.get(laid) in WILD_KINDS
            if captive_hatch or not laid_wild:
                ev["laid_at"] = laid
                found.laid_at += 1
                if captive_hatch and laid_wild:
                    ev["wild_egg"] = "1"
        elif (captive_hatch and dam_moves and _location_at(dam_moves, day - timedelta(days=incubation[0])) is None
              and dam_moves[0]["TRAN_CODE"] == "AB"):  # the dam was still wild when she laid it
            ev["wild_egg"] = "1"
    found.wild_eggs += ev["wild_egg"] == "1"


# -- institutions ------------------------------------------------------------------------
def guess_kinds(by_id: Mapping[str, list[Record]], dams: Mapping[str, str]) -> dict[str, str]:
    """Institution kind per location code, from how animals arrive there (docs/sparks.md).

    In the wild where releases and captures outnumber transfers; a place nobody arrives
    at by transfer, release or capture takes the side of where its animals came from.
    A wild place that only ever receives releases is a release site, another a wild area;
    a captive place where young are born is a breeding centre, another a zoo.
    """
    arrivals: dict[str, Counter[str]] = defaultdict(Counter)
    hatches: dict[str, list[tuple[str, Any]]] = defaultdict(list)
    deaths: dict[str, list[str]] = defaultdict(list)
    for sid, moves in by_id.items():
        for k, m in enumerate(moves):
            code, loc = m["TRAN_CODE"], m["_loc"]
            if not loc:
                continue
            arrivals[loc][code] += 1
            if code == "AA":
                hatches[loc].append((sid, m.get("TRAN_DATE")))
            elif code == "BA" and k > 0:
                deaths[loc].append(moves[k - 1]["_loc"])
    wild = {loc: c["BI"] + c["AB"] > c["AS"] for loc, c in arrivals.items() if c["BI"] + c["AB"] + c["AS"]}
    for loc in sorted(arrivals):
        if loc in wild:
            continue
        votes: Counter[bool] = Counter()
        for sid, day in hatches[loc]:
            dam_loc = _location_at(by_id.get(dams.get(sid, ""), []), day) if isinstance(day, date) else None
            if dam_loc and dam_loc in wild:
                votes[wild[dam_loc]] += 1
        for prev in deaths[loc]:
            if prev in wild:
                votes[wild[prev]] += 1
        wild[loc] = votes[True] > votes[False]
    kinds = {}
    for loc, c in arrivals.items():
        if wild[loc]:
            kinds[loc] = "release-site" if c["BI"] > 0 and c["AB"] + c["AA"] == 0 else "wild-area"
        else:
            kinds[loc] = "breeding-centre" if c["AA"] else "zoo"
    return kinds


# -- animals -----------------------------------------------------------------------------
def _animal(r: Record, moves: list[Record], kinds: Mapping[str, str], found: SparksMapping) -> Row:
    sid = r["STUD_ID"]
    notes = [text(r.get("COMMENT"))] if text(r.get("COMMENT")) else []
    if not isinstance(r.get("SEX"), int) or r.get("SEX") not in (0, 1, 5):
        if text(r.get("SEX")):
            notes.append(f"SPARKS SEX {text(r.get('SEX'))}")
            found.count(found.fields_kept_as_notes, "SEX")
    if text(r.get("SOCIALGRP")):
        notes.append(f"SPARKS SOCIALGRP {text(r['SOCIALGRP'])}")
        found.count(found.fields_kept_as_notes, "SOCIALGRP")
    for key in sorted(set(r) - EXCHANGE_KNOWN):
        if text(r[key]):
            notes.append(f"SPARKS {key} {text(r[key])}")
            found.count(found.fields_kept_as_notes, key)
    _compare(r, moves, found, notes)
    first = moves[0] if moves else None
    wild_born = first is not None and (first["TRAN_CODE"] == "AB" or (
        first["TRAN_CODE"] == "AA" and kinds.get(first["_loc"]) in WILD_KINDS))
    return {
        "studbook_id": sid, "sex": sex_of(r.get("SEX")), "birth_date": fuzzy(r.get("BDATE"), r.get("BIRTH_EST"), found),
        "birth_type": "wild" if wild_born else "captive",
        "sire": _parent(r["SIRE_ID"]), "dam": _parent(r["DAM_ID"]), "rearing": "unknown", "notes": "; ".join(notes),
    }


def _parent(value: str) -> str:
    """A parent cell: an ID, WILD, UNK (also for an empty cell) or MULT (``MULT``, ``MULT1``...)."""
    return "MULT" if value.startswith("MULT") else value or "UNK"


def _death_from_exchange(r: Record, moves: list[Record], last: dict[str, Row], found: SparksMapping) -> None:
    """DEAD=T without a death move: a death at the last place, on DEATHDATE or an undetermined date.

    SPARKS marks DEAD=T on animals known dead whose death was never entered as a move (in
    the condor book: 231 released birds). The book records the death; its date is
    DEATHDATE when given, else undetermined (``unknown``: after the animal's last dated event).
    """
    if r.get("DEAD") is not True or any(m["TRAN_CODE"] == "BA" for m in moves) or not moves:
        return
    sid = r["STUD_ID"]
    where = next((m["_loc"] for m in reversed(moves) if m["_loc"]), "")
    ev: Row = {"studbook_id": sid, "event": "death", "date": fuzzy(r.get("DEATHDATE"), r.get("DEATH_EST"), found),
               "institution": where, "from_institution": "", "loan": "0", "local_id": "", "laid_at": "",
               "wild_egg": "0", "notes": ""}
    found.events.append((0, ev))
    last[sid] = ev
    found.deaths_from_exchange += 1


def _compare(r: Record, moves: list[Record], found: SparksMapping, notes: list[str]) -> None:
    """Count where the exchange disagrees with the animal's moves (the moves win; the exchange value is noted)."""
    sid = r["STUD_ID"]
    if not moves:
        found.disagree("animal with no moves", sid)
        return
    deaths = [m for m in moves if m["TRAN_CODE"] == "BA"]
    if deaths and r.get("DEAD") is False:
        found.disagree("death move but DEAD=F", f"{sid}: BA {deaths[0]['_loc']} {text(deaths[0].get('TRAN_DATE'))}")
        notes.append("SPARKS exchange: DEAD=F")
    if r.get("DEAD") is True and not deaths:
        found.disagree("DEAD=T without a death move (a death at an undetermined date, or DEATHDATE)", sid)
    if deaths and r.get("DEATHDATE") is not None and (r.get("DEATHDATE"), text(r.get("DEATH_EST")).upper()) != (
            deaths[-1].get("TRAN_DATE"), text(deaths[-1].get("TDATE_EST")).upper()):
        shown = fuzzy(r.get("DEATHDATE"), r.get("DEATH_EST"), found)
        found.disagree("DEATHDATE differs from the death move", f"{sid}: DEATHDATE {shown}")
        notes.append(f"SPARKS exchange: DEATHDATE {shown}")
    first = moves[0]
    if first["TRAN_CODE"] == "AA" and (r.get("BDATE"), text(r.get("BIRTH_EST")).upper()) != (
            first.get("TRAN_DATE"), text(first.get("TDATE_EST")).upper()):
        found.disagree("BDATE differs from the birth move (AA)",
                       f"{sid}: BDATE {fuzzy(r.get('BDATE'), r.get('BIRTH_EST'), found)}, "
                       f"AA {fuzzy(first.get('TRAN_DATE'), first.get('TDATE_EST'), found)}")
    location = text(r.get("LOCATION")).upper()
    if location and location != moves[-1]["_loc"]:
        found.disagree("LOCATION differs from the last move", f"{sid}: LOCATION {location}")
        notes.append(f"SPARKS exchange: LOCATION {location}")
