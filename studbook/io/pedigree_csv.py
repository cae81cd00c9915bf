"""Read a plain pedigree CSV (``id,sire,dam,sex[,birth_year|birth_date][,alive]``).

This is the exchange format of the R pedigree packages (kinship2, pedtools, optiSel,
nprcgenekeepr) and of ``shared/reference/pedigrees``. The reader is pure (stdlib
only), streams the file line by line and either returns a :class:`PedigreeFile` or
raises ONE :class:`~studbook.errors.ImportFormatError` listing every problem, each
as ``line N: animal X: ...``.

Format
    * A header row is required, matched case-insensitively: ``id`` (or
      ``studbook_id``/``ego_id``), ``sire`` (``father``/``fid``/``dadid``), ``dam``
      (``mother``/``mid``/``momid``), ``sex``; optional ``birth_year`` *or*
      ``birth_date`` (not both) and ``alive``. Other columns are ignored.
    * Separator ``,``; ``;`` and tab are sniffed from the header. Quoting as in RFC 4180.
    * UTF-8 with or without BOM. UTF-16, invalid UTF-8 and NUL bytes are refused.
    * Cells are stripped of surrounding white space; ids are otherwise kept as
      written (``007`` and ``7`` are different animals).
    * Sex: ``M/F/U``, ``male/female/unknown`` or the kinship2/pedtools numbers
      ``1`` (male), ``2`` (female), ``0``/``3`` (unknown); case-insensitive.
    * ``birth_year``: four digits. ``birth_date``: ``YYYY-MM-DD``, ``YYYY-MM`` or
      ``YYYY`` with an optional leading ``~`` (see :mod:`studbook.dates`); it is kept
      as written and also fills ``birth_year``. ``alive``: ``1/0``, ``true/false``,
      ``yes/no``. Empty or ``NA`` means not known (``None``).

Unknown parents and the founder rule
    A parent cell may hold an id or one of the codes (case-insensitive) *blank*
    (empty, ``0``, ``NA``, ``unknown``), ``UNK`` or ``WILD``:

    * ``WILD`` is always a wild parent (unknown, unrelated, counts as known).
    * ``UNK`` is always an unknown parent (not wild).
    * When BOTH cells are blank the row is a founder of the file and both parents
      count as WILD: founders of a pedigree file are taken as wild-caught founders
      (100 % known), as the R packages do.
    * A blank next to anything else (an id, ``UNK`` or ``WILD``) is unknown.

    A parent with no row of its own is normal: a founder row is added for it (sex
    from its role, both parents WILD, ``line`` = the line that first names it) and its
    id is listed in :attr:`PedigreeFile.added_parents`.

Checks and ``repair``
    Problems found: missing/duplicate/ambiguous header columns, ragged rows, empty or
    reserved ids (a parent code such as ``0`` used as an id) or ids with control
    characters, duplicate ids, invalid sex/birth/alive values, an animal as its own
    parent, the same animal as sire and dam, a sire whose row says F or a dam whose
    row says M, an animal of sex U (or without a row) used both as sire and as dam,
    and loops (an animal its own ancestor; all loops are found in linear time).
    Row order does not matter: parents may come after their offspring.

    With ``repair=True`` the reader behaves like optiSel's ``prePed``: repairable
    problems are fixed and each fix is listed as a :class:`RepairAction` - a wrong
    parent is cleared (it becomes unknown, not wild), sire == dam clears both, a loop
    is broken by clearing both parents of the animal of the loop that comes latest in
    the file, later rows of a duplicate id (and rows with an empty or reserved id) are
    dropped, an invalid sex becomes ``U`` and an invalid birth/alive value is cleared.
    For a U-sex parent used in both roles the role used less often is cleared (a tie
    keeps the role used first). Encoding, size, header and ragged-row problems are
    never repaired.
"""

from __future__ import annotations

import csv
import dataclasses
import re
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from studbook.dates import FuzzyDate
from studbook.errors import ImportFormatError, InvalidInputError
from studbook.io.files import check_input_file
from studbook.loops import pedigree_knots

__all__ = ["PedigreeFile", "PedigreeRow", "RepairAction", "parse_pedigree_text", "read_pedigree_csv"]

COLUMN_ALIASES: dict[str, tuple[str, ...]] = {
    "id": ("id", "studbook_id", "ego_id"),
    "sire": ("sire", "father", "fid", "dadid"),
    "dam": ("dam", "mother", "mid", "momid"),
    "sex": ("sex",),
    "birth_year": ("birth_year",),
    "birth_date": ("birth_date",),
    "alive": ("alive",),
}
_FIELD_OF = {alias: name for name, aliases in COLUMN_ALIASES.items() for alias in aliases}
BLANK_CODES = frozenset({"", "0", "na", "unknown"})
RESERVED_IDS = BLANK_CODES | {"unk", "wild"}
_SEX_WORDS = {"m": "M", "male": "M", "f": "F", "female": "F", "u": "U", "unknown": "U"}
# Sex code conventions (``import pedigree --sex-codes``): kinship2/pedtools (1 male, 2 female,
# 0 or 3 unknown; the default), SPARKS (1 male, 0 female, 5 unknown) and text only (M/F/U).
SEX_CONVENTIONS: dict[str, dict[str, str]] = {
    "kinship2": {**_SEX_WORDS, "1": "M", "2": "F", "0": "U", "3": "U"},
    "sparks": {**_SEX_WORDS, "1": "M", "0": "F", "5": "U"},
    "text": dict(_SEX_WORDS),
}
SEX_CODES = SEX_CONVENTIONS["kinship2"]
_SEX_HELP = {"kinship2": "M, F or U, or 1, 2, 0", "sparks": "M, F or U, or 1, 0, 5 (SPARKS)", "text": "M, F or U"}
ALIVE_CODES = {"1": True, "true": True, "yes": True, "0": False, "false": False, "no": False}
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
MAX_LINE_BYTES = 1024 * 1024  # a pedigree row is a few dozen bytes; a longer line is not a pedigree
MAX_COLUMNS = 1000
_UTF8_HINT = "re-save the file as UTF-8 (e.g. 'CSV UTF-8' in Excel or LibreOffice) and import it again"


@dataclass(frozen=True, slots=True)
class PedigreeRow:
    """One animal of the file (see the module docstring for the founder rule)."""

    line: int
    id: str
    sire: str | None
    dam: str | None
    sire_wild: bool
    dam_wild: bool
    sex: str
    birth_year: int | None = None
    birth_date: str | None = None
    alive: bool | None = None


@dataclass(frozen=True, slots=True)
class RepairAction:
    """One change made by ``repair=True`` (``line`` is the line of the changed row)."""

    line: int
    id: str
    action: str


@dataclass(frozen=True)
class PedigreeFile:
    """A parsed pedigree file.

    Attributes:
        rows: Animals in file order (parents not necessarily first), followed by
            the founder rows added for parents without a row of their own.
        repairs: Changes made in repair mode (empty otherwise).
        columns: The header as written, including ignored columns.
        added_parents: Ids of the added founder rows, in order of first mention.
    """

    rows: tuple[PedigreeRow, ...]
    repairs: tuple[RepairAction, ...]
    columns: tuple[str, ...]
    added_parents: tuple[str, ...] = ()
    notices: tuple[str, ...] = ()  # the sex column looks like another convention than the one read


class _Report:
    """Collects problems (line, text, repairable) or, in repair mode, repairs."""

    def __init__(self, repair: bool, sex_codes: str = "kinship2") -> None:
        self.repair = repair
        self.sex_codes = sex_codes
        self.raw_sexes: set[str] = set()
        self.problems: list[tuple[int, str, bool]] = []
        self.repairs: list[RepairAction] = []
        self.encoding = False  # an encoding problem was found
        self.stopped = False  # the file was not read to the end

    def fatal(self, line: int, text: str, *, encoding: bool = False, stop: bool = False) -> None:
        """Record a problem that repair mode cannot fix."""
        self.problems.append((line, text, False))
        self.encoding = self.encoding or encoding
        self.stopped = self.stopped or stop

    def fix(self, line: int, animal: str, problem: str, action: str) -> bool:
        """Record a repairable problem; True when it must be repaired now."""
        if self.repair:
            self.repairs.append(RepairAction(line, animal, action))
            return True
        self.problems.append((line, f"animal {animal}: {problem}" if animal else problem, True))
        return False

    def raise_if_any(self, source: str) -> None:
        if not self.problems:
            return
        if self.encoding:
            hint = _UTF8_HINT
        elif self.repair:
            hint = "fix the lines listed; --repair cannot fix header, ragged-row or CSV quoting problems"
        elif not all(repairable for _, _, repairable in self.problems):
            hint = ("fix the lines listed; --repair can fix the parent, duplicate and value problems "
                    "but not header, ragged-row or CSV quoting ones")
        else:
            hint = ("fix the lines listed, or run with --repair to clear wrong parents, break loops "
                    "and drop duplicate rows (every change is listed)")
        lines = [f"line {n}: {text}" for n, text, _ in sorted(self.problems, key=lambda p: p[0])]
        raise ImportFormatError(f"{source} has {len(lines)} problem(s); nothing was imported", hint, lines)


def read_pedigree_csv(path: str | Path, *, repair: bool = False, max_bytes: int = 200_000_000,
                      sex_codes: str = "kinship2") -> PedigreeFile:
    """Read a pedigree CSV file, streaming it; refuse files larger than ``max_bytes``.

    Raises:
        ImportFormatError: with every problem found (see the module docstring).
    """
    path = Path(path)
    if sex_codes not in SEX_CONVENTIONS:
        raise ImportFormatError(f"unknown sex code convention {sex_codes!r}",
                                f"use one of {', '.join(SEX_CONVENTIONS)}")
    report = _Report(repair, sex_codes)
    check_input_file(path, what="the pedigree file", max_bytes=max_bytes,
                     hint="give a CSV file with the header id,sire,dam,sex (see `studbook import pedigree --help`)")
    try:
        with path.open("rb") as fh:
            return _parse(_decode(fh, report, max_bytes), report, str(path))
    except OSError as exc:
        raise ImportFormatError(f"cannot read {path}: {exc.strerror or exc}", "check the file name") from None


def parse_pedigree_text(text: str, *, repair: bool = False, source: str = "<text>") -> PedigreeFile:
    """Parse pedigree CSV text (same rules as :func:`read_pedigree_csv`)."""
    report = _Report(repair)
    return _parse(_text_lines(text, report), report, source)


def _decode(fh: BinaryIO, report: _Report, max_bytes: int) -> Iterator[str]:
    """Yield the decoded lines of a binary file; stop at the first encoding problem."""
    total, n = 0, 0
    while raw := fh.readline(MAX_LINE_BYTES + 1):
        n += 1
        total += len(raw)
        if len(raw) > MAX_LINE_BYTES:
            report.fatal(n, f"is longer than {MAX_LINE_BYTES // 1024} KiB (a pedigree row is a few dozen bytes: "
                            "not a pedigree file, or a file without line ends); stopped reading", stop=True)
            return
        if total > max_bytes:
            report.fatal(n, f"file is larger than the limit of {max_bytes} bytes; stopped reading", stop=True)
            return
        if n == 1:
            if raw.startswith((b"\xff\xfe", b"\xfe\xff")) or raw.count(b"\x00") * 3 >= len(raw) > 1:
                report.fatal(1, "file is UTF-16 (or UTF-32), not UTF-8", encoding=True, stop=True)
                return
            raw = raw.removeprefix(b"\xef\xbb\xbf")
        if b"\x00" in raw:
            report.fatal(n, "contains a NUL byte (binary or UTF-16 file?); stopped reading", encoding=True, stop=True)
            return
        try:
            yield raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            report.fatal(n, f"is not valid UTF-8 (byte 0x{raw[exc.start]:02x} at column {exc.start + 1}; "
                            "Latin-1 or cp1251?)", encoding=True, stop=True)
            return


def _text_lines(text: str, report: _Report) -> Iterator[str]:
    """Yield the ``\\n``-terminated lines of ``text`` (BOM removed); stop at a NUL."""
    text = text.removeprefix("\ufeff")
    start, n = 0, 0
    while start < len(text):
        end = text.find("\n", start)
        end = len(text) if end < 0 else end + 1
        line, start, n = text[start:end], end, n + 1
        if "\x00" in line:
            report.fatal(n, "contains a NUL character; stopped reading", encoding=True, stop=True)
            return
        yield line


def _bad_id(value: str) -> str | None:
    """Why ``value`` cannot be an animal id, or None."""
    if value.lower() in RESERVED_IDS:
        return f"id {value!r} is an unknown-parent code and cannot name an animal"
    if _CONTROL.search(value):
        return f"id {value!r} contains a control character"
    return None


def _header(line: str, report: _Report) -> tuple[str, tuple[str, ...], dict[str, int]]:
    """Sniff the separator and map the fields to column positions."""
    best: tuple[int, str, list[str]] | None = None
    for sep in (",", ";", "\t"):
        try:
            names = next(csv.reader([line], delimiter=sep), [])
        except csv.Error:  # e.g. the whole line is one field over the csv module's limit with this separator
            names = []
        score = sum(n.strip().lower() in _FIELD_OF for n in names)
        if best is None or score > best[0]:
            best = (score, sep, names)
    assert best is not None
    _, sep, names = best
    if len(names) > MAX_COLUMNS:
        report.fatal(1, f"the header has {len(names)} columns, more than the limit of {MAX_COLUMNS} "
                        "(a pedigree has id,sire,dam,sex and a few more)")
        return sep, (), {}
    columns = tuple(n.strip() for n in names)
    where: dict[str, int] = {}
    for i, name in enumerate(columns):
        field = _FIELD_OF.get(name.lower())
        if field is None:
            continue
        if field in where:
            report.fatal(1, f"columns {columns[where[field]]!r} and {name!r} both give the {field}")
        else:
            where[field] = i
    for field in ("id", "sire", "dam", "sex"):
        if field not in where:
            report.fatal(1, f"missing required column {field!r} (also accepted: "
                            f"{', '.join(COLUMN_ALIASES[field][1:]) or 'no alias'}); header is {line.strip()!r}")
    if "birth_year" in where and "birth_date" in where:
        report.fatal(1, "has both birth_year and birth_date columns; keep one")
    return sep, columns, where


def _parse(lines: Iterator[str], report: _Report, source: str) -> PedigreeFile:
    first = next(lines, None)
    if first is None:
        if not report.problems:
            report.fatal(1, "file is empty; expected a header row such as id,sire,dam,sex")
        report.raise_if_any(source)
        raise AssertionError("unreachable")
    sep, columns, where = _header(first, report)
    if report.problems:
        report.raise_if_any(source)
    rows: list[PedigreeRow] = []
    index: dict[str, int] = {}
    reader = csv.reader(lines, delimiter=sep)
    prev = 0
    while True:
        try:
            fields = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            report.fatal(prev + 2, f"cannot be read as CSV ({exc}); check quotes and line ends", stop=True)
            break
        line, prev = prev + 2, reader.line_num
        if not any(f.strip() for f in fields):
            continue  # blank line
        row = _row(line, [f.strip() for f in fields], len(columns), where, report)
        if row is None:
            continue
        if row.id in index:
            first_line = rows[index[row.id]].line
            report.fix(line, row.id, f"duplicate id (first at line {first_line})",
                       f"dropped duplicate row (first at line {first_line})")
            continue
        index[row.id] = len(rows)
        rows.append(row)
    if report.stopped:
        report.raise_if_any(source)  # the file was not read to the end: skip the cross-row checks
    if not rows and not report.problems:
        report.fatal(2, "the file has a header but no animals (a header-only or empty export?)")
    _check_parent_sexes(rows, index, report)
    added = _add_missing_parents(rows, index)
    _check_loops(rows, index, report)
    report.raise_if_any(source)
    repairs = tuple(sorted(report.repairs, key=lambda a: a.line))
    return PedigreeFile(tuple(rows), repairs, columns, added, _sex_notices(report))


def _sex_notices(report: _Report) -> tuple[str, ...]:
    """A sex column whose codes look like another convention than the one read (SPARKS 0 = female)."""
    seen, codes = report.raw_sexes, report.sex_codes
    if codes == "kinship2" and (("0" in seen and "1" in seen and "2" not in seen) or "5" in seen):
        return ("the sex column has the codes " + ", ".join(sorted(seen)) + " and no 2: in SPARKS files 0 means "
                "female and 5 unknown, but here 0 was read as unknown; use --sex-codes sparks if this is a "
                "SPARKS file",)
    if codes == "sparks" and ("2" in seen or "3" in seen):
        return ("the sex column has the code 2 or 3, which SPARKS does not use: in kinship2/pedtools files 2 means "
                "female and 0 unknown; use --sex-codes kinship2 if so",)
    return ()


def _row(line: int, values: list[str], width: int, where: dict[str, int], report: _Report) -> PedigreeRow | None:
    """Parse one data row; None when the row is dropped."""
    if len(values) != width:
        report.fatal(line, f"has {len(values)} fields, the header has {width} (row starts {values[0]!r})")
        return None
    animal = values[where["id"]]
    why = "empty id" if not animal else _bad_id(animal)
    if why:
        report.fix(line, "", why, f"dropped row ({why})")
        return None
    raw_sex = values[where["sex"]]
    if raw_sex.isascii() and raw_sex.isdigit():
        report.raw_sexes.add(raw_sex)
    sex = SEX_CONVENTIONS[report.sex_codes].get(raw_sex.lower())
    if sex is None:
        report.fix(line, animal, f"invalid sex {raw_sex!r} (use {_SEX_HELP[report.sex_codes]}; "
                   "--sex-codes kinship2|sparks|text says which numbers mean what)",
                   f"invalid sex {raw_sex!r} set to U")
        sex = "U"
    parents: list[str | None] = []
    codes: list[str] = []
    for slot in ("sire", "dam"):
        value = values[where[slot]]
        code = value.lower()
        if code in BLANK_CODES:
            code = "blank"
        elif code not in ("unk", "wild"):
            code = "id"
            why = _bad_id(value)
            if why and report.fix(line, animal, f"{slot}: {why}", f"cleared {slot} {value!r}"):
                value, code = "", "unk"
        parents.append(value if code == "id" else None)
        codes.append(code)
    sire, dam = parents
    founder = codes == ["blank", "blank"]
    if sire is not None and sire == dam:
        what = "is its own sire and dam" if sire == animal else f"has {sire} as both sire and dam"
        if report.fix(line, animal, what, f"cleared sire and dam {sire} (same animal as both parents)"):
            sire = dam = None
    else:
        if sire == animal and report.fix(line, animal, "is its own sire", "cleared sire (animal is its own sire)"):
            sire = None
        if dam == animal and report.fix(line, animal, "is its own dam", "cleared dam (animal is its own dam)"):
            dam = None
    birth_year, birth_date, alive = None, None, None
    if "birth_year" in where:
        raw = values[where["birth_year"]]
        if raw.lower() not in ("", "na"):
            if len(raw) == 4 and raw.isascii() and raw.isdigit():
                birth_year = int(raw)
            else:
                report.fix(line, animal, f"invalid birth_year {raw!r} (four digits)", f"cleared birth_year {raw!r}")
    if "birth_date" in where:
        raw = values[where["birth_date"]]
        if raw.lower() not in ("", "na"):
            try:
                parsed = FuzzyDate.parse(raw, what="birth_date")
                if not parsed.is_unknown:
                    birth_date, birth_year = raw, parsed.value.year
            except InvalidInputError as exc:
                report.fix(line, animal, f"invalid {exc.reason}", f"cleared birth_date {raw!r}")
    if "alive" in where:
        raw = values[where["alive"]]
        if raw.lower() not in ("", "na"):
            alive = ALIVE_CODES.get(raw.lower())
            if alive is None:
                report.fix(line, animal, f"invalid alive {raw!r} (use 1/0, true/false or yes/no)",
                           f"cleared alive {raw!r}")
    return PedigreeRow(line, animal, sire, dam, founder or codes[0] == "wild", founder or codes[1] == "wild",
                       sex, birth_year, birth_date, alive)


def _check_parent_sexes(rows: list[PedigreeRow], index: dict[str, int], report: _Report) -> None:
    """Sire with a female row, dam with a male row, U/unlisted parent in both roles."""
    uses: dict[str, tuple[list[int], list[int]]] = {}
    for i, r in enumerate(rows):
        if r.sire is not None and r.sire == r.dam:
            continue  # already reported as "both sire and dam"
        for slot, parent in enumerate((r.sire, r.dam)):
            if parent is not None and parent != r.id:  # own parent: already reported
                uses.setdefault(parent, ([], []))[slot].append(i)
    for parent, (as_sire, as_dam) in uses.items():
        own = rows[index[parent]] if parent in index else None
        sex = own.sex if own is not None else "U"
        wrong: list[tuple[int, str, str, str]]  # (row, role, problem, reason)
        if own is not None and sex == "F":
            wrong = [(i, "sire", f"is female (line {own.line})", f"female, line {own.line}") for i in as_sire]
        elif own is not None and sex == "M":
            wrong = [(i, "dam", f"is male (line {own.line})", f"male, line {own.line}") for i in as_dam]
        elif as_sire and as_dam:
            first_sire, first_dam = rows[as_sire[0]].line, rows[as_dam[0]].line
            if not report.repair:
                line = own.line if own is not None else min(first_sire, first_dam)
                report.problems.append((line, f"animal {parent}: used as sire (line {first_sire}, "
                                              f"{len(as_sire)}x) and as dam (line {first_dam}, "
                                              f"{len(as_dam)}x): sex conflict", True))
                continue
            keep_sire = (len(as_sire), -first_sire) > (len(as_dam), -first_dam)
            role, other = ("dam", "sire") if keep_sire else ("sire", "dam")
            why = f"sex conflict: also used as {other}"
            wrong = [(i, role, why, why) for i in (as_dam if keep_sire else as_sire)]
        else:
            continue
        for i, role, problem, reason in wrong:
            r = rows[i]
            if report.fix(r.line, r.id, f"{role} {parent} {problem}", f"cleared {role} {parent} ({reason})"):
                rows[i] = dataclasses.replace(r, sire=None) if role == "sire" else dataclasses.replace(r, dam=None)


def _add_missing_parents(rows: list[PedigreeRow], index: dict[str, int]) -> tuple[str, ...]:
    """Append a WILD x WILD founder row for every parent without a row of its own."""
    added: list[str] = []
    for i in range(len(rows)):
        r = rows[i]
        for parent, sex in ((r.sire, "M"), (r.dam, "F")):
            if parent is not None and parent not in index:
                index[parent] = len(rows)
                rows.append(PedigreeRow(r.line, parent, None, None, True, True, sex))
                added.append(parent)
    return tuple(added)


def _check_loops(rows: list[PedigreeRow], index: dict[str, int], report: _Report) -> None:
    """Report (or break) every loop; each strongly connected knot is handled once.

    One topological sort of the whole file finds the rows on or below a loop
    (:func:`studbook.loops.pedigree_knots`); only those are searched for knots.
    """

    def parents(v: int) -> list[int]:
        r = rows[v]
        return [index[p] for p in (r.sire, r.dam) if p is not None and p != r.id]

    pending = deque(pedigree_knots({v: parents(v) for v in range(len(rows))}))
    while pending:
        knot = pending.popleft()
        start = max(knot, key=lambda v: rows[v].line)
        cycle = _shortest_cycle(start, knot, parents)
        names = [rows[v].id for v in cycle]
        if len(names) > 12:
            names = names[:6] + ["..."] + names[-5:]
        chain = ", which is a child of ".join(names + [rows[start].id])
        problem = f"is its own ancestor: {chain}"
        if len(knot) > len(cycle):
            problem += f" ({len(knot)} animals are tangled in loops here)"
        r = rows[start]
        if report.fix(r.line, r.id, problem, f"broke loop: cleared parents of {r.id} "
                                             f"(sire {r.sire or 'UNK'}, dam {r.dam or 'UNK'}); it {problem}"):
            rows[start] = dataclasses.replace(r, sire=None, dam=None, sire_wild=False, dam_wild=False)
            pending.extend(pedigree_knots({v: parents(v) for v in knot - {start}}))


def _shortest_cycle(start: int, knot: set[int], parents: Callable[[int], list[int]]) -> list[int]:
    """Shortest ancestor path from ``start`` back to itself inside ``knot`` (BFS)."""
    came: dict[int, int] = {}
    queue = deque([start])
    while queue:
        v = queue.popleft()
        for w in parents(v):
            if w == start:
                path = [v]
                while path[-1] != start:
                    path.append(came[path[-1]])
                return path[::-1]
            if w in knot and w not in came:
                came[w] = v
                queue.append(w)
    raise AssertionError("a strongly connected knot always has a cycle")
