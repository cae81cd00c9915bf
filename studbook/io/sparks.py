"""Reading the SPARKS exchange and moves tables, as dBase ``.dbf`` or as ``.csv``.

Both forms give the same records: a dict per record, column name -> value, where a
``C`` column is text (trimmed), a ``D`` column a :class:`datetime.date` or None, an
``L`` column True/False/None, an ``N`` column an int/float or None. A cell that cannot
be read as its type is kept as its text (a ``str``): the caller turns it into a
problem of that record, so one bad cell never blocks the book.

Whole-file faults are *structural* and raise :class:`SparksFileError` (nothing can be
trusted after them): not a dBase file, a header whose length does not match its field
list, a record length that is not the sum of the fields, a file shorter or longer than
its header announces (truncated, or extra data), a required column missing, a CSV that
is not UTF-8 (UTF-16 and Windows cp1252 are named), a CSV line that is not a record,
or a table larger than :data:`MAX_TABLE_BYTES`.

Reading streams: a record at a time, so memory stays bounded whatever the file holds.
The dBase fields are decoded with dbfread's field parser (a well-kept reader); the
file layout is checked here first, because dbfread trusts the header.
"""

from __future__ import annotations

import csv
import io
import struct
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import IO, Any

from ..errors import ImportFormatError
from .files import check_input_file
from .sparks_layout import EXCHANGE_COLUMNS, EXCHANGE_REQUIRED, MOVES_COLUMNS, MOVES_REQUIRED, Column

# The largest real studbooks hold tens of thousands of animals and a few hundred thousand
# moves: a few MB. A larger table is not a studbook (a wrong file); it is refused unread.
MAX_TABLE_BYTES = 64 * 1024 * 1024
MAX_CSV_LINE = 64 * 1024  # characters: the longest SPARKS record is 250 bytes
DBASE_VERSIONS = {0x03, 0x83, 0x04, 0x8B, 0x30, 0x31, 0xF5}
VFP_BACKLINK = 263  # Visual FoxPro headers carry 263 extra bytes after the field list
ENCODING = "cp1252"  # SPARKS ran on Windows
Record = dict[str, Any]

LAYOUTS = {"exchange": (EXCHANGE_COLUMNS, EXCHANGE_REQUIRED), "moves": (MOVES_COLUMNS, MOVES_REQUIRED)}


class SparksFileError(ImportFormatError):
    """A SPARKS table that cannot be read at all (a structural fault)."""


def _refuse(path: Path, why: str, hint: str) -> SparksFileError:
    return SparksFileError(f"{path.name}: {why}; nothing was imported", hint)


def read_table(path: Path, table: str) -> Iterator[tuple[int, Record]]:
    """(record number, record) of the SPARKS *table* (``exchange`` or ``moves``) in *path*.

    The form is chosen by the suffix: ``.dbf`` or ``.csv``. Deleted dBase records are
    skipped (their numbers are not reused).
    """
    path = Path(path)
    try:
        size = check_input_file(path, what=f"the {table} table", max_bytes=2**62,
                                hint="give the exchange and moves tables, e.g. exchange.dbf moves.dbf")
    except ImportFormatError as exc:
        raise SparksFileError(exc.reason.replace("nothing was read", "nothing was imported"), exc.hint) from None
    if size > MAX_TABLE_BYTES:
        raise _refuse(path, f"{size / 2**20:.0f} MB is larger than any studbook table (the limit is "
                      f"{MAX_TABLE_BYTES // 2**20} MB)", "check that this is the SPARKS " + table + " table")
    suffix = path.suffix.lower()
    if suffix == ".dbf":
        return _read_dbf(path, table)
    if suffix == ".csv":
        return _read_csv(path, table)
    raise _refuse(path, f"a {table} table must be a .dbf or a .csv file", "export it from SPARKS or PMx as DBF or CSV")


# -- dBase ---------------------------------------------------------------------------
def dbf_layout(path: Path, fh: IO[bytes]) -> tuple[int, int, int, list[Column]]:
    """(record count, header length, record length, fields) of a dBase file, checked against its size."""
    head = fh.read(32)
    if len(head) < 32 or head[0] not in DBASE_VERSIONS:
        raise _refuse(path, "not a dBase (.dbf) file (its first bytes are not a dBase header)",
                      "give the .dbf exported by SPARKS, or its CSV form with a .csv name")
    count, header_len, record_len = struct.unpack("<IHH", head[4:12])
    fields: list[Column] = []
    while True:
        desc = fh.read(32)
        if not desc:
            raise _refuse(path, "the header ends before its field list does (truncated file)",
                          "export the table again")
        if desc[0] == 0x0D:
            break
        if len(desc) < 32:
            raise _refuse(path, "the header ends inside a field description (truncated file)",
                          "export the table again")
        name = desc[:11].split(b"\0", 1)[0].decode("ascii", "replace").strip().upper()
        fields.append(Column(name, chr(desc[11]), desc[16], desc[17]))
    list_end = 32 + 32 * len(fields) + 1
    if header_len not in (list_end, list_end + VFP_BACKLINK):
        raise _refuse(path, f"the header says it is {header_len} bytes long but its {len(fields)} fields end at "
                      f"byte {list_end} (a wrong header length)", "the file is damaged: export the table again")
    if record_len != 1 + sum(f.width for f in fields):
        raise _refuse(path, f"the header says a record is {record_len} bytes but its fields add up to "
                      f"{1 + sum(f.width for f in fields)}", "the file is damaged: export the table again")
    size = path.stat().st_size
    expected = header_len + count * record_len
    if size < expected:
        held = max(0, size - header_len) // record_len
        raise _refuse(path, f"truncated: the header announces {count} records but the file holds {held} whole "
                      f"record(s) ({size} of {expected} bytes)", "copy or export the table again")
    extra = size - expected
    if extra > 1:
        raise _refuse(path, f"the header announces {count} records but the file holds {extra} more bytes than "
                      "those (a record count that disagrees with the header)",
                      "the file is damaged: export the table again")
    return count, header_len, record_len, fields


def _read_dbf(path: Path, table: str) -> Iterator[tuple[int, Record]]:
    from dbfread import DBF
    from dbfread.field_parser import FieldParser

    with path.open("rb") as fh:
        count, header_len, record_len, fields = dbf_layout(path, fh)
    _check_columns(path, table, [f.name for f in fields])
    parser = FieldParser(DBF(str(path), load=False, encoding=ENCODING, char_decode_errors="strict"))
    field_info = DBF(str(path), load=False, encoding=ENCODING).fields

    def records() -> Iterator[tuple[int, Record]]:
        with path.open("rb") as fh:
            fh.seek(header_len)
            for number in range(1, count + 1):
                raw = fh.read(record_len)
                if raw[:1] == b"*":
                    continue  # deleted
                if raw[:1] != b" ":
                    raise _refuse(path, f"record {number} does not start with a record marker (a damaged file)",
                                  "export the table again")
                rec: Record = {}
                pos = 1
                for info in field_info:
                    data = raw[pos:pos + info.length]
                    pos += info.length
                    rec[info.name.upper()] = _dbf_value(parser, info, data)
                yield number, rec

    return records()


def _dbf_value(parser: Any, info: Any, data: bytes) -> Any:
    """One dBase cell: its value, or its text when it cannot be read as its type."""
    try:
        value = parser.parse(info, data)
    except (ValueError, UnicodeDecodeError, struct.error):
        return data.decode(ENCODING, "replace").strip() or None
    return value.strip() if isinstance(value, str) else value


# -- CSV -----------------------------------------------------------------------------
def _read_csv(path: Path, table: str) -> Iterator[tuple[int, Record]]:
    with path.open("rb") as fh:
        start = fh.read(4096)
    if start.startswith((b"\xff\xfe", b"\xfe\xff")) or start.count(b"\0") * 3 >= len(start) > 1:
        raise _refuse(path, "the file is UTF-16 text, not UTF-8", "save it as \"CSV UTF-8\" and import it again")
    if b"\0" in start:
        line = start.count(b"\n", 0, start.index(b"\0")) + 1
        raise _refuse(path, f"line {line} contains a NUL byte (a binary file?)",
                      "save it as \"CSV UTF-8\" and import it again")
    types = {c.name: c.type for c in LAYOUTS[table][0]}

    def records() -> Iterator[tuple[int, Record]]:
        with path.open("rb") as raw:
            text = io.TextIOWrapper(raw, encoding="utf-8-sig", errors="strict", newline="")
            lines = _bounded_lines(path, text)
            reader = csv.reader(lines)
            try:
                header = [h.strip().upper() for h in next(reader, [])]
                _check_columns(path, table, header)
                for number, cells in enumerate(reader, 1):
                    if not any(c.strip() for c in cells):
                        continue
                    if len(cells) != len(header):
                        raise _refuse(path, f"record {number} (line {reader.line_num}) has {len(cells)} cells but "
                                      f"the header names {len(header)} columns",
                                      "quote cells that contain a comma, or export the table again")
                    yield number, {h: _csv_value(types.get(h, "C"), c) for h, c in zip(header, cells)}
            except UnicodeDecodeError as exc:
                raise _refuse(path, f"the file is not UTF-8 (byte 0x{exc.object[exc.start]:02x} near line "
                              f"{reader.line_num + 1}; Windows cp1252 or Latin-1 text?)",
                              "save it as \"CSV UTF-8\" and import it again") from None
            except csv.Error as exc:
                raise _refuse(path, f"line {reader.line_num} is not CSV: {exc}", "check the quotes on that line") \
                    from None

    return records()


def _bounded_lines(path: Path, text: IO[str]) -> Iterator[str]:
    number = 0
    while True:
        line = text.readline(MAX_CSV_LINE + 1)
        if not line:
            return
        number += 1
        if len(line) > MAX_CSV_LINE:
            raise _refuse(path, f"line {number} is longer than {MAX_CSV_LINE // 1024} KiB (not a studbook table)",
                          "check that this is the right file")
        yield line


def _csv_value(kind: str, cell: str) -> Any:
    """A CSV cell as the value its dBase column would give (its text when unreadable)."""
    text = cell.strip()
    if kind == "C":
        return text
    if not text:
        return None
    if kind == "D":
        try:
            return date.fromisoformat(text) if len(text) == 10 else text
        except ValueError:
            return text
    if kind == "L":
        return {"T": True, "Y": True, "F": False, "N": False}.get(text.upper(), text)
    if kind == "N":
        try:
            return int(text)
        except ValueError:
            try:
                return float(text)
            except ValueError:
                return text
    return text


def _check_columns(path: Path, table: str, header: list[str]) -> None:
    required = LAYOUTS[table][1]
    missing = [c for c in required if c not in header]
    if missing:
        raise _refuse(path, f"this is not a SPARKS {table} table: no column {', '.join(missing)} "
                      f"(its columns: {', '.join(header[:12]) or 'none'})",
                      f"the {table} table has the columns {', '.join(c.name for c in LAYOUTS[table][0][:6])}, ...; "
                      "check the order of the two files (exchange first, then moves)")


def layout_columns(table: str) -> tuple[str, ...]:
    return tuple(c.name for c in LAYOUTS[table][0])
