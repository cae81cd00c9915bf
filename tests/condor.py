"""Convert the SPARKS California condor studbook (``exchange.dbf`` + ``moves.dbf``) to a book folder.

The source is the real SPARKS -> PM2000/PMx export in
``shared/reference/studbooks/california_condor/`` (807 birds, 4,076 moves; layouts in
``shared/reference/studbooks/README.md`` and ``shared/docs/formats-and-validation.md`` 1.2).
The output is the *new* book-folder format (``species.json`` with ``reproduction``,
``incubation_*`` and ``census_date``; ``institutions.csv`` with ``kind``; ``events.csv``
with ``laid_at``, ``wild_egg`` and ``notes``).

The converter is faithful: it does not fix the data. Every move becomes exactly one event,
in the order of ``moves.dbf``; duplicate moves are kept, missing moves are not invented,
and the two tables are not reconciled beyond the rules below. Where they disagree the
moves win and the disagreement is counted in the :class:`CondorReport`. So a book built
from it loads only with ``--allow-problems``, and its problems are the data's own.
The output is deterministic (same input, same bytes).

Mapping, rule by rule
---------------------
IDs
    ``STUD_ID``/``DAM_ID``/``SIRE_ID`` are right-aligned text (C6): they are trimmed, nothing
    else (a leading zero would be kept: SPARKS treats "01" and "1" as different IDs).
    ``WILD`` and ``UNK`` parents are kept; ``MULT`` would go to ``mult_parents.csv`` but the
    book has none, so that file is a header only (MULT candidates are not in the export).
Sex
    ``SEX`` 1 -> M, 0 -> F, anything else (5 in this book) -> U.
Dates
    A dBase date plus its estimate code (``BIRTH_EST``, ``TDATE_EST``, ...): blank = exact
    day ``YYYY-MM-DD``; ``D`` = estimated day ``~YYYY-MM-DD``; ``M`` = month known
    ``YYYY-MM``; ``Y`` = year known ``YYYY``; an empty date = ``unknown``. Any other code is
    counted in the report and written as an exact day (the value is all we have).
Birth date and type
    ``birth_date`` is the exchange ``BDATE``/``BIRTH_EST``, even where it disagrees with the
    first move (counted; the birth event keeps the move's date). ``birth_type`` is ``wild``
    when the bird's first move is AB (caught from the wild) or an AA hatch at a wild area
    (a chick hatched in the wild: to released parents, to wild parents, or from a captive
    egg fostered into a wild nest; the model records it as a birth at that wild area),
    otherwise ``captive``.
House name, rearing, flags
    The export has no house-name, rearing or flag column: ``house_name`` is empty,
    ``rearing`` is ``unknown``, the flags are 0. ``COMMENT`` (trimmed) goes to ``notes``; in
    this book it mostly holds the bird's name and field tag ("Topa-topa", "Paxa Y23").
    ``DAM_ID_TMP``/``SIRE_IDTMP`` ("1?", "2?") are PMx's placeholders for WILD parents and
    columns 24-35 are analysis outputs: none of them is studbook data, all are dropped.
Events (one per move, same order)
    - AA -> ``birth`` (the hatch) at ``LOCATION``.
    - AB -> ``capture`` at ``LOCATION`` (the wild area the bird was caught in; a bird caught
      again after a release gets a second capture, as recorded).
    - AS -> ``transfer`` to ``LOCATION`` from the bird's previous location (the location of
      its previous move). A transfer out of a wild area is written as is: the new model
      reads it as an implicit recapture.
    - BI -> ``release`` to the wild ``LOCATION``, ``from_institution`` = previous location.
    - BA -> ``death`` at ``LOCATION`` (where it died; not necessarily the previous location).
    - any other code -> no event: a ``notes`` entry ("SPARKS move XX at LOC on DATE") on the
      bird's previous event (the next one if it has none), counted in the report.
    ``LOCAL_ID`` is trimmed; ``NONE``, ``BLANK`` and empty mean "no local ID" and give an
    empty cell (BLANK is SPARKS' literal placeholder, 117 times, mostly at BRDS PREY: kept
    it would make ~100 birds share the accession number "BLANK"). Other odd values
    (``NHXX`` on deaths, ``______``) are kept as written. ``loan`` is 1 only for a move whose
    PHYSICAL flag is set but OWNER is not (none here: every move is physical and owner).
    ``REM_DATE``/``INSTCODE`` of a move (all empty here) would go to the event's notes.
Eggs (``laid_at``, ``wild_egg``), set only where the moves clearly say so
    For each hatch (AA) with a known dam and an exact hatch date, the dam's location is read
    from *her* moves over the laying window, hatch - 60 to hatch - 50 days (the incubation
    bounds below): if she stayed at one place L for the whole window and L is not the hatch
    location, the egg was laid at L and moved, so ``laid_at`` = L. Then:
    - hatch at a captive place, L a wild area -> also ``wild_egg=1`` (an egg taken from a
      wild nest, e.g. 1983-84 eggs hatched at SANDIEGOZ, or 2000s eggs of released pairs);
    - hatch at a captive place, dam with no move yet and first move a capture (AB) -> she
      was still wild: ``wild_egg=1``, ``laid_at`` empty (the data has no place for her);
    - hatch at a captive place with both parents WILD -> ``wild_egg=1`` (none in this book);
    - hatch in the wild, L a captive place -> ``laid_at`` = L (a captive-laid egg fostered
      into a wild nest), ``wild_egg=0``;
    - hatch in the wild and L another wild area -> nothing (free-flying birds; the wild-area
      codes are regions, not nest sites).
Institutions
    SPARKS has no geography: ``name`` = the code, and ``city``, ``country``, ``region``,
    coordinates and capacities are empty. Codes are trimmed and upper-cased; any character
    outside ``[A-Z0-9 _-]`` becomes ``-`` and the code is cut to 9 characters (the report
    lists every change; none was needed here). Near-duplicates (PACINES/PAICINES,
    VERMILLIO/VERMILION) are kept apart: merging them would be fixing the data.
    ``kind`` is guessed from how birds *arrive* at each location:
    - wild: more arrivals by release (BI) and capture there (AB) than by transfer (AS)
      (CALIFORNI 697 BI + 72 AB vs 3 AS; ARIZONA; BAJA). HOPPER gets one BI against 116 AS,
      so it stays captive. A place no bird ever arrives at by AS/BI/AB (only hatches and
      deaths there) takes the side of where its birds came from: the dam's location at each
      hatch, the bird's previous location at each death (UTAH: wild; OREGON: captive).
      Every wild location here also has captures or hatches, so all are ``wild-area``;
      ``release-site`` is kept for a wild location that only ever receives releases
      (none in this book).
    - captive: ``breeding-centre`` where birds hatch (LOSANGELE, SD-WAP, BRDS PREY,
      PORTLAND, SANDIEGOZ, OREGON), ``zoo`` otherwise. The field pens (PAICINES, BITTER CK,
      VENTANA, VERMILION, HOPPER, SPM SITE, LION, ...) are captive: birds reach them by AS
      transfers from zoos and leave them by BI releases into the wild areas, and released
      birds come back to them by AS (trapped for treatment). They become ``zoo`` for want
      of a "holding pen" kind.
Species (``species.json``): published biology, widened to lenient bounds
    (figures as commonly cited, e.g. Snyder & Snyder 2000, *The California Condor*, and the
    USFWS California Condor Recovery Plan, 1996; quoted from memory, not re-checked here):
    - one egg per clutch, incubated about 56 days (54-58): incubation 50-60 days. The same
      values are written as gestation: the rules read incubation for an egg species, and
      gestation must stay a valid range for readers that do not know ``reproduction``;
    - first breeding at about 6 years (rarely 5): minimum breeding age 4 for both sexes,
      a lenient bound, so that an early breeder is not flagged;
    - maximum breeding age 50 and longevity 80: both well above the oldest birds reported
      (wild life span is usually quoted as up to ~60 years), so that only impossible ages
      are flagged;
    - ``census_date``: the export carries no snapshot date. Every transaction must be on or
      before the snapshot, so it is the latest date in either table: 2016-09-26, the release
      (BI) of bird 735. That move may itself be a typo (bird 735's exchange DATEOUT is
      2016-02-23, and the moves are otherwise dense only up to 2016-02-10; bird 752 has
      the only other move after February 2016, on 2016-09-02), but any earlier census
      date would put recorded moves in the future.
"""

from __future__ import annotations

import csv
import json
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from dbfread import DBF

# Sources and reasoning: module docstring, "Species". census_date is added from the data.
SPECIES: dict[str, Any] = {
    "common_name": "California condor",
    "scientific_name": "Gymnogyps californianus",
    # Incubation about 56 days (54-58) as published; 50-60 is the lenient bound. Gestation
    # repeats it: an egg species has no gestation, but the field must stay a valid range.
    "gestation_min_days": 50,
    "gestation_max_days": 60,
    # First breeding at about 6 years (rarely 5): 4 is deliberately lenient.
    "min_breeding_age_male": 4.0,
    "min_breeding_age_female": 4.0,
    # Far above any reported breeding age / life span (wild: up to ~60 years quoted).
    "max_breeding_age_male": 50.0,
    "max_breeding_age_female": 50.0,
    "longevity_years": 80.0,
    "reproduction": "egg",
    "incubation_min_days": 50,
    "incubation_max_days": 60,
    # Condors lay a replacement egg about 4 weeks after the first is taken ("double
    # clutching", used throughout the recovery programme); one dam's chicks then hatch
    # 24+ days apart in this book. 20 days is the fewest days between two clutches.
    "clutch_interval_days": 20,
}

ANIMAL_FIELDS = ("studbook_id", "house_name", "sex", "birth_date", "birth_type", "sire", "dam", "rearing",
                 "exclude_from_analysis", "do_not_breed", "contracepted", "hybrid_suspect",
                 "artificial_insemination", "notes")
EVENT_FIELDS = ("studbook_id", "event", "date", "institution", "from_institution", "loan", "local_id", "cause",
                "site", "laid_at", "wild_egg", "notes")
INSTITUTION_FIELDS = ("code", "name", "city", "country", "region", "latitude", "longitude", "capacity_males",
                      "capacity_females", "kind")
MULT_FIELDS = ("studbook_id", "role", "candidate", "probability")

EVENT_OF_CODE = {"AA": "birth", "AB": "capture", "AS": "transfer", "BI": "release", "BA": "death"}
NO_LOCAL_ID = {"", "NONE", "BLANK"}
CODE_RE = re.compile(r"^[A-Z0-9][A-Z0-9 _\-]{0,8}$")
WILD_KINDS = ("release-site", "wild-area")
EXAMPLES = 5  # examples kept per disagreement kind


@dataclass
class CondorReport:
    """What the conversion found: counts, and a few examples of each disagreement."""

    animals: int = 0
    moves: int = 0
    events: int = 0
    census_date: str = ""
    events_by_kind: dict[str, int] = field(default_factory=dict)
    institutions_by_kind: dict[str, int] = field(default_factory=dict)
    sexes: dict[str, int] = field(default_factory=dict)
    birth_types: dict[str, int] = field(default_factory=dict)
    # Moves with a code outside AA/AB/AS/BI/BA, kept as notes: code -> count.
    codes_kept_as_notes: dict[str, int] = field(default_factory=dict)
    # Location codes changed to fit ^[A-Z0-9][A-Z0-9 _-]{0,8}$: raw -> written.
    renamed_codes: dict[str, str] = field(default_factory=dict)
    # Estimate codes outside blank/D/M/Y: code -> count.
    unknown_estimate_codes: dict[str, int] = field(default_factory=dict)
    # IDs that are not plain digits (none expected).
    malformed_ids: list[str] = field(default_factory=list)
    # Animals whose first event is not a birth or capture; animals with a capture that is not
    # their first event (caught again after a release).
    bad_first_event: list[str] = field(default_factory=list)
    recaptured: list[str] = field(default_factory=list)
    local_ids_blanked: int = 0
    laid_at: dict[str, str] = field(default_factory=dict)  # hatchling -> where the egg was laid
    wild_eggs: list[str] = field(default_factory=list)
    # kind of disagreement between exchange.dbf and moves.dbf -> count, and examples.
    disagreements: dict[str, int] = field(default_factory=dict)
    disagreement_examples: dict[str, list[str]] = field(default_factory=dict)

    def disagree(self, kind: str, example: str) -> None:
        self.disagreements[kind] = self.disagreements.get(kind, 0) + 1
        ex = self.disagreement_examples.setdefault(kind, [])
        if len(ex) < EXAMPLES:
            ex.append(example)


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def fuzzy(value: date | None, est: str, report: CondorReport) -> str:
    """A dBase date and its SPARKS estimate code as a studbook date string."""
    if value is None:
        return "unknown"
    code = _text(est).upper()
    if code == "D":
        return "~" + value.isoformat()
    if code == "M":
        return f"{value.year:04d}-{value.month:02d}"
    if code == "Y":
        return f"{value.year:04d}"
    if code:
        report.unknown_estimate_codes[code] = report.unknown_estimate_codes.get(code, 0) + 1
    return value.isoformat()


def _same_date(a: date | None, a_est: str, b: date | None, b_est: str) -> bool:
    """Equal as written (value and estimate code), the way a keeper would compare them."""
    return a == b and _text(a_est).upper() == _text(b_est).upper()


def institution_code(raw: str, report: CondorReport) -> str:
    code = _text(raw).upper()
    if CODE_RE.match(code):
        return code
    fixed = re.sub(r"[^A-Z0-9 _\-]", "-", code)[:9]
    if not fixed or not fixed[0].isalnum():
        fixed = ("X" + fixed)[:9]
    report.renamed_codes[raw] = fixed
    return fixed


def sex_of(value: Any) -> str:
    return {1: "M", 0: "F"}.get(value if isinstance(value, int) else -1, "U")


def _read(path: Path) -> list[dict[str, Any]]:
    return [dict(r) for r in DBF(str(path), char_decode_errors="replace")]


def _location_at(moves: list[dict[str, Any]], day: date) -> str | None:
    """Where a bird is on ``day`` per its moves: None before its first move; "" once dead."""
    where: str | None = None
    for m in moves:
        if m["TRAN_DATE"] is None or m["TRAN_DATE"] > day:
            break
        where = "" if m["TRAN_CODE"] == "BA" else m["_loc"]
    return where


def _stayed_at(moves: list[dict[str, Any]], start: date, end: date) -> str | None:
    """The one place a bird was at throughout [start, end], else None."""
    where = _location_at(moves, start)
    if not where:
        return None
    if any(m["TRAN_DATE"] is not None and start < m["TRAN_DATE"] <= end for m in moves):
        return None
    return where


def _kinds(moves_by_id: dict[str, list[dict[str, Any]]], dams: dict[str, str]) -> dict[str, str]:
    """Institution kind per location code, from how birds arrive there (see the module docstring)."""
    arrivals: dict[str, Counter[str]] = defaultdict(Counter)
    hatches: dict[str, list[tuple[str, date | None]]] = defaultdict(list)
    deaths: dict[str, list[str]] = defaultdict(list)  # location -> previous locations
    for sid, moves in moves_by_id.items():
        for k, m in enumerate(moves):
            code, loc = m["TRAN_CODE"], m["_loc"]
            arrivals[loc][code] += 1
            if code == "AA":
                hatches[loc].append((sid, m["TRAN_DATE"]))
            elif code == "BA" and k > 0:
                deaths[loc].append(moves[k - 1]["_loc"])
    wild: dict[str, bool] = {}
    for loc, c in arrivals.items():
        if c["BI"] + c["AB"] + c["AS"]:
            wild[loc] = c["BI"] + c["AB"] > c["AS"]
    for loc in sorted(arrivals):
        if loc in wild:
            continue
        votes: Counter[bool] = Counter()
        for sid, day in hatches[loc]:
            dam_loc = _location_at(moves_by_id.get(dams.get(sid, ""), []), day) if day else None
            if dam_loc and dam_loc in wild:
                votes[wild[dam_loc]] += 1
        for prev in deaths[loc]:
            if prev in wild:
                votes[wild[prev]] += 1
        wild[loc] = votes[True] > votes[False]
    kinds = {}
    for loc, c in arrivals.items():
        if wild[loc]:
            only_releases = c["BI"] > 0 and c["AB"] + c["AA"] == 0
            kinds[loc] = "release-site" if only_releases else "wild-area"
        else:
            kinds[loc] = "breeding-centre" if c["AA"] else "zoo"
    return kinds


def _write_csv(path: Path, fields: tuple[str, ...], rows: list[dict[str, Any]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=fields, lineterminator="\n")
        w.writeheader()
        w.writerows(rows)


def convert_condor(src_dir: Path, dest_dir: Path) -> CondorReport:
    """Write the condor book folder from ``src_dir``/{exchange,moves}.dbf into ``dest_dir``."""
    report = CondorReport()
    exchange = _read(Path(src_dir) / "exchange.dbf")
    moves = _read(Path(src_dir) / "moves.dbf")
    report.animals, report.moves = len(exchange), len(moves)

    for r in exchange:
        for key in ("STUD_ID", "DAM_ID", "SIRE_ID"):
            r[key] = _text(r[key])
    for m in moves:
        m["STUD_ID"] = _text(m["STUD_ID"])
        m["TRAN_CODE"] = _text(m["TRAN_CODE"]).upper()
        m["_loc"] = institution_code(m["LOCATION"], report)
    for sid in sorted({r["STUD_ID"] for r in exchange} | {m["STUD_ID"] for m in moves}):
        if not sid.isdigit():
            report.malformed_ids.append(sid)

    moves_by_id: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for m in moves:  # file order is each bird's move order
        moves_by_id[m["STUD_ID"]].append(m)
    dams = {r["STUD_ID"]: r["DAM_ID"] for r in exchange}
    parents = {r["STUD_ID"]: (r["SIRE_ID"], r["DAM_ID"]) for r in exchange}
    kinds = _kinds(moves_by_id, dams)

    all_dates = [r[k] for r in exchange for k in ("BDATE", "DATEIN", "DATEOUT", "DEATHDATE")]
    all_dates += [m[k] for m in moves for k in ("TRAN_DATE", "REM_DATE")]
    census = max(d for d in all_dates if d is not None)
    report.census_date = census.isoformat()

    # Events, in moves.dbf order.
    inc_min, inc_max = timedelta(days=SPECIES["incubation_min_days"]), timedelta(days=SPECIES["incubation_max_days"])
    events: list[dict[str, Any]] = []
    by_kind: Counter[str] = Counter()
    notes_codes: Counter[str] = Counter()
    first_event: dict[str, str] = {}
    captures: Counter[str] = Counter()
    pending_notes: dict[str, list[str]] = defaultdict(list)  # notes waiting for a bird's first event
    last_event: dict[str, dict[str, Any]] = {}
    previous_loc: dict[str, str] = {}
    for m in moves:
        sid, code, loc = m["STUD_ID"], m["TRAN_CODE"], m["_loc"]
        when = fuzzy(m["TRAN_DATE"], m["TDATE_EST"], report)
        extra = []
        if m.get("REM_DATE") is not None:
            extra.append(f"SPARKS REM_DATE {fuzzy(m['REM_DATE'], m.get('RDATE_EST', ''), report)}")
        if _text(m.get("INSTCODE")):
            extra.append(f"SPARKS INSTCODE {_text(m['INSTCODE'])}")
        kind = EVENT_OF_CODE.get(code)
        if kind is None:
            notes_codes[code] += 1
            note = f"SPARKS move {code} at {loc} on {when}"
            if sid in last_event:
                ev = last_event[sid]
                ev["notes"] = "; ".join(x for x in (ev["notes"], note) if x)
            else:
                pending_notes[sid].append(note)
            previous_loc[sid] = loc
            continue
        local = _text(m["LOCAL_ID"])
        if local.upper() in NO_LOCAL_ID:
            if local:
                report.local_ids_blanked += 1
            local = ""
        physical, owner = bool(m.get("PHYSICAL")), bool(m.get("OWNER"))
        ev = {
            "studbook_id": sid, "event": kind, "date": when, "institution": loc,
            "from_institution": previous_loc.get(sid, "") if kind in ("transfer", "release") else "",
            "loan": "1" if physical and not owner else "0", "local_id": local, "cause": "", "site": "",
            "laid_at": "", "wild_egg": "0", "notes": "; ".join(pending_notes.pop(sid, []) + extra),
        }
        if kind == "birth":
            _egg(ev, m, moves_by_id, parents.get(sid, ("", "")), kinds, inc_min, inc_max, report)
        if kind == "capture" and sid in first_event:
            captures[sid] += 1
        first_event.setdefault(sid, kind)
        by_kind[kind] += 1
        events.append(ev)
        last_event[sid] = ev
        previous_loc[sid] = loc
    for sid, notes in pending_notes.items():  # a bird whose only moves have unknown codes
        report.bad_first_event.append(sid)
        report.disagree("moves with no event", f"{sid}: {'; '.join(notes)}")
    report.events = len(events)
    report.events_by_kind = dict(sorted(by_kind.items()))
    report.codes_kept_as_notes = dict(sorted(notes_codes.items()))
    report.recaptured = sorted(captures, key=_id_key)

    # Animals, in exchange.dbf order.
    animals = []
    for r in exchange:
        sid = r["STUD_ID"]
        mv = moves_by_id.get(sid, [])
        first = first_event.get(sid)
        if first not in ("birth", "capture"):
            report.bad_first_event.append(sid)
        notes = [_text(r["COMMENT"])] if _text(r["COMMENT"]) else []
        _compare(r, mv, report, notes)
        sex = sex_of(r["SEX"])
        animals.append({
            "studbook_id": sid, "house_name": "", "sex": sex,
            "birth_date": fuzzy(r["BDATE"], r["BIRTH_EST"], report),
            "birth_type": "wild" if mv and (mv[0]["TRAN_CODE"] == "AB" or (
                mv[0]["TRAN_CODE"] == "AA" and kinds.get(mv[0]["_loc"]) in ("release-site", "wild-area")))
            else "captive",
            "sire": r["SIRE_ID"] or "UNK", "dam": r["DAM_ID"] or "UNK", "rearing": "unknown",
            "exclude_from_analysis": "0", "do_not_breed": "0", "contracepted": "0", "hybrid_suspect": "0",
            "artificial_insemination": "0", "notes": "; ".join(notes),
        })
    for sid in sorted(set(moves_by_id) - {r["STUD_ID"] for r in exchange}, key=_id_key):
        report.disagree("moves of a bird not in exchange.dbf", sid)
    report.sexes = dict(sorted(Counter(a["sex"] for a in animals).items()))
    report.birth_types = dict(sorted(Counter(a["birth_type"] for a in animals).items()))
    report.bad_first_event = sorted(set(report.bad_first_event), key=_id_key)

    institutions = [
        {"code": c, "name": c, "city": "", "country": "", "region": "", "latitude": "", "longitude": "",
         "capacity_males": "", "capacity_females": "", "kind": kinds[c]}
        for c in sorted(kinds)
    ]
    report.institutions_by_kind = dict(sorted(Counter(kinds.values()).items()))

    dest = Path(dest_dir)
    dest.mkdir(parents=True, exist_ok=True)
    species = dict(SPECIES, census_date=report.census_date)
    (dest / "species.json").write_text(json.dumps(species, indent=2) + "\n", encoding="utf-8")
    _write_csv(dest / "institutions.csv", INSTITUTION_FIELDS, institutions)
    _write_csv(dest / "animals.csv", ANIMAL_FIELDS, animals)
    _write_csv(dest / "events.csv", EVENT_FIELDS, events)
    _write_csv(dest / "mult_parents.csv", MULT_FIELDS, [])  # no MULT parent in this book
    return report


def _id_key(sid: str) -> tuple[int, str]:
    return (int(sid), sid) if sid.isdigit() else (1 << 30, sid)


def _egg(ev: dict[str, Any], m: dict[str, Any], moves_by_id: dict[str, list[dict[str, Any]]],
         parents: tuple[str, str], kinds: dict[str, str], inc_min: timedelta, inc_max: timedelta,
         report: CondorReport) -> None:
    """Set ``laid_at``/``wild_egg`` of a hatch where the moves clearly say so (module docstring)."""
    sid, hatch_loc, day = m["STUD_ID"], m["_loc"], m["TRAN_DATE"]
    sire, dam = parents
    captive_hatch = kinds.get(hatch_loc) not in WILD_KINDS
    if captive_hatch and sire == "WILD" and dam == "WILD":
        ev["wild_egg"] = "1"
    elif dam.isdigit() and day is not None and not _text(m["TDATE_EST"]):
        dam_moves = moves_by_id.get(dam, [])
        laid = _stayed_at(dam_moves, day - inc_max, day - inc_min)
        if laid is not None and laid != hatch_loc:
            laid_wild = kinds.get(laid) in WILD_KINDS
            if captive_hatch or not laid_wild:
                ev["laid_at"] = laid
                report.laid_at[sid] = laid
                if captive_hatch and laid_wild:
                    ev["wild_egg"] = "1"
        elif (captive_hatch and dam_moves and _location_at(dam_moves, day - inc_min) is None
              and dam_moves[0]["TRAN_CODE"] == "AB"):  # the dam was not caught yet when she laid it
            ev["wild_egg"] = "1"
    if ev["wild_egg"] == "1":
        report.wild_eggs.append(sid)


def _compare(r: dict[str, Any], moves: list[dict[str, Any]], report: CondorReport, notes: list[str]) -> None:
    """Count where exchange.dbf disagrees with the bird's moves (the moves win)."""
    sid = r["STUD_ID"]
    if not moves:
        report.disagree("bird with no moves", sid)
        return
    deaths = [m for m in moves if m["TRAN_CODE"] == "BA"]
    dead = bool(r["DEAD"])
    if dead and not deaths:
        if moves[-1]["TRAN_CODE"] == "BI":
            # PMx convention: a released bird has left the managed population.
            report.disagree("DEAD=T, no death move, last move a release",
                            f"{sid}: DATEOUT {r['DATEOUT']}, release {moves[-1]['TRAN_DATE']}")
        else:
            report.disagree("DEAD=T, no death move", f"{sid}: last move {moves[-1]['TRAN_CODE']} "
                            f"{moves[-1]['_loc']} {moves[-1]['TRAN_DATE']}")
            notes.append(f"SPARKS exchange: DEAD=T, DEATHDATE {fuzzy(r['DEATHDATE'], r['DEATH_EST'], report)}")
    if r["DEATHDATE"] is not None and not deaths:
        report.disagree("DEATHDATE but no death move", f"{sid}: DEATHDATE {r['DEATHDATE']}")
        if dead and moves[-1]["TRAN_CODE"] == "BI":
            notes.append(f"SPARKS exchange: DEATHDATE {fuzzy(r['DEATHDATE'], r['DEATH_EST'], report)}")
    if deaths and not dead:
        report.disagree("death move but DEAD=F", f"{sid}: BA {deaths[0]['_loc']} {deaths[0]['TRAN_DATE']}")
        notes.append("SPARKS exchange: DEAD=F")
    if deaths and dead and not _same_date(r["DEATHDATE"], r["DEATH_EST"], deaths[-1]["TRAN_DATE"],
                                          deaths[-1]["TDATE_EST"]):
        report.disagree("DEATHDATE differs from the death move",
                        f"{sid}: DEATHDATE {fuzzy(r['DEATHDATE'], r['DEATH_EST'], report)}, "
                        f"BA {fuzzy(deaths[-1]['TRAN_DATE'], deaths[-1]['TDATE_EST'], report)}")
        notes.append(f"SPARKS exchange: DEATHDATE {fuzzy(r['DEATHDATE'], r['DEATH_EST'], report)}")
    first = moves[0]
    if first["TRAN_CODE"] == "AA" and not _same_date(r["BDATE"], r["BIRTH_EST"], first["TRAN_DATE"],
                                                     first["TDATE_EST"]):
        report.disagree("BDATE differs from the hatch move (AA)",
                        f"{sid}: BDATE {fuzzy(r['BDATE'], r['BIRTH_EST'], report)}, "
                        f"AA {fuzzy(first['TRAN_DATE'], first['TDATE_EST'], report)}")
    if first["TRAN_CODE"] == "AB" and r["BDATE"] is not None and r["BDATE"] > first["TRAN_DATE"]:
        report.disagree("BDATE after the capture move (AB)", f"{sid}: BDATE {r['BDATE']}, AB {first['TRAN_DATE']}")
    if _text(r["LOCATION"]) and _text(r["LOCATION"]).upper() != moves[-1]["_loc"]:
        report.disagree("LOCATION differs from the last move",
                        f"{sid}: LOCATION {_text(r['LOCATION'])}, last move {moves[-1]['_loc']}")
        notes.append(f"SPARKS exchange: LOCATION {_text(r['LOCATION'])}")
