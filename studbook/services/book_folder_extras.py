"""The files ``export book`` adds to a book folder, so that a round trip loses nothing.

Read by ``book_folder._FolderLoader`` through its own ``read``, ``problem`` and ``attempt``
(so a book read into memory, ``BookTables``, loads the same way), with the same checks as
the other files: a row that cannot be read is an ``F01`` problem with its file and line.

- ``void_animals.csv`` (with ``void_mult_parents.csv``): void animal records, loaded void with
  their ``void_reason``. Their studbook IDs stay taken; no rule runs on them (the rules read
  ``book.load_book``, which leaves void records out).
- ``void_events.csv``: void events, of void and non-void animals, and every event of a void
  animal, loaded void with their reason, in the source book's event order (``source_event_id``).
- ``health_notes.csv``: the health notes of the animals.
- ``local_ids.csv``: local IDs ``events.csv`` cannot carry, each attached to the event it names
  (kind, date, place: the first match no other source event took), or to no event.
- ``problems.csv``: the book's problems with their history (open ones stay open, resolved ones
  keep when, by whom and why). When the file is there its problems are the book's: an error the
  load finds again (the same rule and animal, whether the file's problem is open or resolved; an
  unreadable row: the same message) is not stored a second time, and only errors the file does
  not hold are stored, as new open problems. The load is still refused on any error without
  ``allow_problems``, as for any book.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from ..dates import FuzzyDate
from ..errors import InvalidInputError
from ..models import EVENT_KINDS, PROBLEM_SEVERITIES, Animal, Event, Institution, Problem
from ..text import check_studbook_id, clean_text
from .animals import add_local_id, check_length
from .problems import FORMAT_CODE, NewProblem, record_problems

if TYPE_CHECKING:
    from .book_folder import LoadProblem, Mult, Pending, _FolderLoader

EXTRA_REQUIRED_COLUMNS: dict[str, tuple[str, ...]] = {
    "void_animals.csv": ("studbook_id", "sex", "birth_date", "sire", "dam", "void_reason"),
    "void_mult_parents.csv": ("studbook_id", "role", "candidate", "probability"),
    "void_events.csv": ("studbook_id", "event", "date", "void_reason"),
    "local_ids.csv": ("studbook_id", "institution", "local_id"),
    "health_notes.csv": ("studbook_id", "health_notes"),
    "problems.csv": ("code", "severity", "message"),
}
ProblemKey = tuple[str, str | None, str | None]


class FolderExtras:
    """What the extra files add to one load (a part of ``_FolderLoader``)."""

    def __init__(self, loader: _FolderLoader) -> None:
        self.loader = loader
        self.void: dict[str, Animal] = {}  # void animals by studbook ID
        self.void_mult: Mult = {}
        self.void_births: list[Event] = []
        self.events_of: dict[str, list[Event]] = {}  # studbook ID -> its loaded events (void too), in load order
        self.named: dict[str, Event] = {}  # source event id (or "line N") -> the event a local ID was attached to
        self.used: set[int] = set()  # id() of those events
        self.problems: list[Problem] | None = None  # problems.csv; None: the folder has no such file

    # -- void_animals.csv, void_mult_parents.csv ------------------------------------------
    def void_animals(self) -> list[Pending]:
        """Add the void animals (parents are linked later, by ``void_parents``)."""
        name, loader = "void_animals.csv", self.loader
        self.void_mult = loader.mult("void_mult_parents.csv")
        taken = set(loader.animals)
        pending: list[Pending] = []
        for line, r in loader.read(name, optional=True):
            got = loader.animal_row(name, line, r, self.void_mult, taken)
            if got is None:
                continue
            a = got[0]
            a.void, a.void_reason = True, self.reason(name, line, a.studbook_id, r, required=True)
            self.void[a.studbook_id] = a
            pending.append((line, *got))
        return pending

    def void_parents(self, pending: list[Pending]) -> None:
        """Link the parents of void animals: non-void or void animals."""
        self.loader.parents(pending, self.void_mult, file="void_animals.csv",
                            lookup={**self.loader.animals, **self.void})

    def reason(self, name: str, line: int, sid: str, r: dict[str, str], *, required: bool) -> str | None:
        """The ``void_reason`` cell; a problem when it is *required* and empty, or cannot be read."""
        text = r.get("void_reason", "")
        reason = self.loader.attempt(name, line, sid, clean_text, text, what="void reason", record=f"animal {sid}",
                                     limit=2000, multiline=True)
        if reason is None and required and not text.strip():
            self.loader.problem(name, line, sid, f"animal {sid}: void_reason is empty",
                                "give the reason the record was withdrawn; it was loaded void without one")
        return reason

    # -- void_events.csv -----------------------------------------------------------------
    def merged_events(self, live: list[tuple[int, dict[str, str]]]) -> list[tuple[str, int, dict[str, str]]]:
        """The rows of events.csv and void_events.csv in the source book's event order.

        events.csv is in event id order without the ids; a void event with ``source_event_id`` S
        goes after the first S - 1 events of both files (exact when the source's event ids have
        no gaps). A void event without a usable id goes after all the others.
        """
        out: list[tuple[str, int, dict[str, str]]] = []
        later: list[tuple[str, int, dict[str, str]]] = []
        placed = n_void = 0
        for line, r in self.loader.read("void_events.csv", optional=True):
            source = self.source_id(line, r)
            if source is None:
                later.append(("void_events.csv", line, r))
                continue
            while placed < min(source - 1 - n_void, len(live)):
                out.append(("events.csv", *live[placed]))
                placed += 1
            out.append(("void_events.csv", line, r))
            n_void += 1
        return out + [("events.csv", *row) for row in live[placed:]] + later

    def source_id(self, line: int, r: dict[str, str]) -> int | None:
        text = r.get("source_event_id", "").strip()
        if text.isascii() and text.isdigit() and int(text) > 0:
            return int(text)
        if text:
            sid = r["studbook_id"].strip()
            self.loader.problem("void_events.csv", line, sid,
                                f"animal {sid}: source_event_id {text!r} is not a whole number above 0",
                                "give the event's id in the exported book, or leave it empty; "
                                "the event was loaded after the others")
        return None

    def void_event(self, line: int, r: dict[str, str], institutions: dict[str, Institution], egg: bool) -> None:
        """One row of void_events.csv: the event, loaded void (an event of a void animal: as it was)."""
        name, loader = "void_events.csv", self.loader
        sid = r["studbook_id"].strip()
        animal = loader.animals.get(sid) or self.void.get(sid)
        if animal is None:
            loader.problem(name, line, sid, f"animal {loader.missing(sid, '', name)}; this void event was not loaded",
                           "load the animal's row first (animals.csv or void_animals.csv), or remove this event")
            loader.skipped += 1
            return
        ev = loader.event_row(name, line, r, animal, institutions, egg)
        if ev is None:
            return
        reason = self.reason(name, line, sid, r, required=not animal.void)
        ev.void, ev.void_reason = not animal.void or reason is not None, reason
        if ev.kind == "birth":
            self.void_births.append(ev)
        source = r.get("source_event_id", "").strip()
        if source.isdigit():  # a local ID of local_ids.csv naming this id is this event's
            self.named.setdefault(source, ev)
            self.used.add(id(ev))

    def loaded_event(self, ev: Event) -> None:
        """Every loaded event (events.csv and void_events.csv), for the events local_ids.csv names."""
        self.events_of.setdefault(ev.animal.studbook_id, []).append(ev)

    # -- health_notes.csv ----------------------------------------------------------------
    def health_notes(self) -> None:
        for line, r in self.loader.read("health_notes.csv", optional=True):
            if not self.health_note(line, r):
                self.loader.skipped += 1

    def health_note(self, line: int, r: dict[str, str]) -> bool:
        """One row of health_notes.csv; False (with a problem) when it was not loaded."""
        name, loader = "health_notes.csv", self.loader
        sid, text = r["studbook_id"].strip(), r["health_notes"]
        animal = loader.animals.get(sid) or self.void.get(sid)
        if animal is None:
            loader.problem(name, line, sid, f"animal {loader.missing(sid, '', name)}; its health notes were not "
                           "loaded", "remove this row or register the animal")
            return False
        if not text.strip():
            return True  # nothing to load
        notes = loader.attempt(name, line, sid, clean_text, text, what="health notes", record=f"animal {sid}",
                               multiline=True)
        if notes is None:
            return False
        if animal.health_notes is not None:
            loader.problem(name, line, sid, f"animal {sid}: health notes are given twice",
                           "give one health_notes per animal (in health_notes.csv or animals.csv); "
                           "this row was not loaded")
            return False
        animal.health_notes = notes
        return True

    # -- local_ids.csv -------------------------------------------------------------------
    def local_ids(self, institutions: dict[str, Institution]) -> None:
        for line, r in self.loader.read("local_ids.csv", optional=True):
            if not self.local_id(line, r, institutions):
                self.loader.skipped += 1

    def local_id(self, line: int, r: dict[str, str], institutions: dict[str, Institution]) -> bool:
        """One row of local_ids.csv; False (with a problem) when it was not loaded."""
        name, loader = "local_ids.csv", self.loader
        sid, code, text = r["studbook_id"].strip(), r["institution"].strip(), r["local_id"]
        animal = loader.animals.get(sid) or self.void.get(sid)
        if animal is None:
            loader.problem(name, line, sid, f"animal {loader.missing(sid, '', name)}; this local ID was not loaded",
                           "remove this row or register the animal")
            return False
        inst = institutions.get(code) or institutions.get(code.upper())
        if inst is None:
            loader.problem(name, line, sid, f"animal {sid}: institution {code!r} of local ID {text.strip()!r} is not "
                           "in institutions.csv", "add the institution, or remove this row; it was not loaded")
            return False
        value = loader.attempt(name, line, sid, check_length, text, "local ID", sid)
        if value is None:
            if not text.strip():
                loader.problem(name, line, sid, f"animal {sid}: local_id is empty", "give the local ID, or remove "
                               "this row; it was not loaded")
            return False
        add_local_id(animal, inst, value, self.named_event(line, sid, r))
        return True

    def named_event(self, line: int, sid: str, r: dict[str, str]) -> Event | None:
        """The event a local_ids.csv row names (``event,event_date,event_institution``); None for none.

        Rows with the same ``source_event_id`` name one event; another source id takes the first
        matching event no other took (two arrivals on one day at one place stay apart).
        """
        kind = r.get("event", "").strip().lower()
        if not kind:
            return None
        matches = self.matching_events(line, sid, kind, r)
        key = r.get("source_event_id", "").strip() or f"line {line}"
        if key in self.named and self.named[key] in matches:
            return self.named[key]
        ev = next((e for e in matches if id(e) not in self.used), matches[0] if matches else None)
        if ev is not None:
            self.named.setdefault(key, ev)
            self.used.add(id(ev))
        return ev

    def matching_events(self, line: int, sid: str, kind: str, r: dict[str, str]) -> list[Event]:
        """The loaded events of *sid* of this kind, date and place (a problem when there is none)."""
        name, loader = "local_ids.csv", self.loader
        hint = "name an event of the animal (events.csv or void_events.csv), or leave event empty; the local ID " \
               "was loaded without its event"
        if kind not in EVENT_KINDS:
            loader.problem(name, line, sid, f"animal {sid}: event {r['event']!r} is not one of "
                           f"{', '.join(EVENT_KINDS)}", hint)
            return []
        when = loader.attempt(name, line, sid, FuzzyDate.parse, r.get("event_date", ""),
                              what=f"animal {sid}: {kind} date")
        if when is None:
            return []
        at = r.get("event_institution", "").strip().upper() or None
        found = [e for e in self.events_of.get(sid, []) if e.kind == kind
                 and (e.date, e.date_precision, e.date_estimated) == (when.db_value, when.precision, when.estimated)
                 and (e.institution.code if e.institution is not None else None) == at]
        if not found:
            loader.problem(name, line, sid, f"animal {sid} has no {kind} on {when}" + (f" at {at}" if at else "")
                           + f" for local ID {r['local_id'].strip()!r}", hint)
        return found

    # -- problems.csv --------------------------------------------------------------------
    def read_problems(self) -> None:
        """Read problems.csv (stored by ``store_problems`` once the load goes ahead)."""
        name, loader = "problems.csv", self.loader
        there = name in loader.tables.rows if loader.tables is not None else (loader.folder / name).is_file()
        if not there:
            return
        self.problems = []
        for line, r in loader.read(name, optional=True):
            try:
                self.problems.append(self.problem_row(r))
            except InvalidInputError as exc:
                loader.problem(name, line, r.get("animal", "").strip() or None, exc.reason, exc.hint)
                loader.skipped += 1

    def problem_row(self, r: dict[str, str]) -> Problem:
        """One row of problems.csv as a Problem (InvalidInputError when a cell cannot be read)."""
        code = clean_text(r["code"], what="code", record="problem", limit=8)
        if not code:
            raise InvalidInputError("problem: code is empty", "give the rule code (E07, F01, ...)")
        what = f"problem {code}"
        severity = r["severity"].strip().lower()
        if severity not in PROBLEM_SEVERITIES:
            raise InvalidInputError(f"{what}: severity {r['severity']!r} is not error or warning",
                                    "write error or warning; this problem was not loaded")
        animal = r.get("animal", "").strip() or None
        message = clean_text(r["message"], what="message", record=what, multiline=True)
        if not message:
            raise InvalidInputError(f"{what}: message is empty", "give the problem's message; it was not loaded")
        opened_at, resolved_at = _stamp(r, "opened_at", what), _stamp(r, "resolved_at", what)
        resolved_by = clean_text(r.get("resolved_by"), what="resolved_by", record=what, limit=120)
        resolution = clean_text(r.get("resolution"), what="resolution", record=what, multiline=True)
        if (resolved_at is None) != (resolved_by is None) or (resolution and resolved_at is None):
            raise InvalidInputError(f"{what}: resolved_at, resolved_by and resolution go together",
                                    "a resolved problem gives when and by whom it was closed (and why), an open one "
                                    "none of them; this problem was not loaded")
        return Problem(
            code=code, severity=severity, animal=check_studbook_id(animal) if animal else None, message=message,
            hint=clean_text(r.get("hint"), what="hint", record=what, multiline=True),
            source=clean_text(r.get("source"), what="source", record=what, limit=200),
            opened_at=opened_at or datetime.now(UTC),
            opened_by=clean_text(r.get("opened_by"), what="opened_by", record=what, limit=120)
            or str(self.loader.session.info.get("user", "unknown")),
            resolved_at=resolved_at, resolved_by=resolved_by, resolution=resolution)

    def store_problems(self, errors: list[LoadProblem]) -> int:
        """Store the problems: problems.csv's, then the load's errors it does not hold; returns how many are open.

        Without problems.csv every error is stored as an open problem.
        """
        session = self.loader.session
        known: set[ProblemKey] = set()
        if self.problems is not None:
            session.add_all(self.problems)
            known = {_key(p.code, p.animal, p.message) for p in self.problems}
        new = [p for p in errors if _key(p.code, p.animal, p.message) not in known]
        n_new = record_problems(session, (
            NewProblem(p.code, p.severity, p.animal, p.message, p.hint, p.source) for p in new)) if new else 0
        session.flush()
        return n_new + sum(p.resolved_at is None for p in self.problems or ())


def _key(code: str, animal: str | None, message: str) -> ProblemKey:
    """What makes two problems one: the rule and the animal; for an unreadable row (F01) also the message."""
    return (code, animal, message if code == FORMAT_CODE else None)


def _stamp(r: dict[str, str], key: str, what: str) -> datetime | None:
    text = r.get(key, "").strip()
    if not text:
        return None
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        raise InvalidInputError(f"{what}: {key} {text!r} is not a date and time",
                                "write ISO 8601, e.g. 2026-11-01T09:30:00+00:00; this problem was not loaded") from None
