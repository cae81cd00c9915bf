"""A small dBase III (``.dbf``) writer: the tables SPARKS hands to PM2000/PMx.

Pure: bytes in memory, no database, no third-party package (``dbfread`` reads the
files back in the tests). The layout is dBase III without memo, as in the real SPARKS
export (``shared/reference/studbooks/california_condor/exchange.dbf``):

* a 32-byte header: version ``0x03``; date of last update as three bytes
  ``YY MM DD`` with ``YY`` = year mod 100, as SPARKS writes it (2016 -> 16); number of
  records (uint32); header length and record length (uint16); byte 29 the language
  driver of the encoding (``0x03`` = Windows ANSI cp1252; SPARKS leaves 0);
* one 32-byte descriptor per field: name (11 bytes, NUL padded), type, the field's
  offset in the record (uint32, as SPARKS fills it), width, decimals, 14 zero bytes;
* ``0x0D``; then each record: a deletion flag ``' '`` and the fields; then ``0x1A``.

Field values:

* ``C`` text in a single-byte encoding (default cp1252), left-aligned and padded with
  spaces; the fields named in *right_aligned* are right-aligned, as SPARKS stores IDs
  (``'   123'``);
* ``D`` ``YYYYMMDD``, or 8 spaces for no date;
* ``L`` ``T``/``F``, ``?`` for None;
* ``N`` right-aligned, with the column's decimals (``' -1.0000'`` in N8.4); spaces for None.

Nothing is cut silently. :func:`fit_columns` widens a ``C`` field to its longest
encoded value (at most 254 bytes, the dBase III limit) and an ``N`` field to its widest
number, and reports every change; :func:`dbf_bytes` then cuts a text still longer than
254 bytes, and replaces a character the encoding cannot hold by ``?``, and counts both
(:class:`DbfResult`). CSV is the lossless form of the same tables.
"""

from __future__ import annotations

import codecs
import struct
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, NamedTuple

MAX_C_WIDTH = 254
MAX_N_WIDTH = 20  # dBase III numbers: up to 20 characters (19 digits and a sign, or a point)
MAX_RECORD_LENGTH = 65535
# Language driver IDs (header byte 29) of the encodings a SPARKS-era reader knows.
LANGUAGE_DRIVER = {"cp437": 0x01, "cp850": 0x02, "cp1252": 0x03, "cp866": 0x65, "cp1251": 0xC9}


class DbfColumn(NamedTuple):
    """One field: name (at most 10 ASCII characters), dBase type (C, D, L or N), width, decimals."""

    name: str
    type: str
    width: int
    decimals: int = 0


@dataclass
class DbfResult:
    """What writing the values cost: text cut at 254 bytes and characters the encoding cannot hold.

    ``cut`` and ``unencodable``: field name -> number of values.
    """

    cut: dict[str, int] = field(default_factory=dict)
    unencodable: dict[str, int] = field(default_factory=dict)

    @property
    def lost(self) -> int:
        """Values that did not reach the file as they are."""
        return sum(self.cut.values()) + sum(self.unencodable.values())


def _check_encoding(encoding: str) -> str:
    name = codecs.lookup(encoding).name
    try:
        single = all(len(bytes([b]).decode(name)) == 1 for b in range(0x20, 0x7F))
    except UnicodeDecodeError:  # pragma: no cover - not an ASCII-compatible encoding
        single = False
    if not single or len("é".encode(name, errors="replace")) != 1:
        raise ValueError(f"{encoding!r} is not a single-byte encoding; a dBase text field counts bytes")
    return name


def encode_text(value: str, encoding: str = "cp1252") -> tuple[bytes, bool]:
    """*value* in *encoding*; characters it cannot hold become ``?``. Returns (bytes, any replaced)."""
    try:
        return value.encode(encoding), False
    except UnicodeEncodeError:
        return value.encode(encoding, errors="replace"), True


def number_text(value: float | int, decimals: int) -> str:
    """A number as dBase writes it: the given decimals (``-1.0000``), integers without a point."""
    if decimals:
        return f"{float(value):.{decimals}f}"
    return str(int(round(value)))


def _needed(col: DbfColumn, value: Any, encoding: str) -> int:
    if value is None:
        return 0
    if col.type == "C":
        return len(encode_text(str(value), encoding)[0])
    if col.type == "N":
        return len(number_text(value, col.decimals))
    return 0


def fit_columns(columns: Sequence[DbfColumn], rows: Iterable[Mapping[str, Any]], *,
                encoding: str = "cp1252") -> tuple[list[DbfColumn], dict[str, tuple[int, int]]]:
    """The columns widened to hold every value: C up to 254 bytes, N up to 20 characters.

    Returns the columns and the widened ones (name -> (old width, new width)). Never narrows.
    """
    encoding = _check_encoding(encoding)
    need = {c.name: 0 for c in columns}
    for row in rows:
        for c in columns:
            if c.type in "CN":
                need[c.name] = max(need[c.name], _needed(c, row.get(c.name), encoding))
    out: list[DbfColumn] = []
    widened: dict[str, tuple[int, int]] = {}
    for c in columns:
        limit = MAX_C_WIDTH if c.type == "C" else MAX_N_WIDTH
        width = max(c.width, min(need[c.name], limit)) if c.type in "CN" else c.width
        if width != c.width:
            widened[c.name] = (c.width, width)
        out.append(c._replace(width=width))
    return out, widened


def _check_columns(columns: Sequence[DbfColumn]) -> None:
    seen: set[str] = set()
    for c in columns:
        if not c.name or len(c.name) > 10 or not c.name.isascii() or "\0" in c.name:
            raise ValueError(f"dBase field name {c.name!r}: 1 to 10 ASCII characters")
        if c.name.upper() in seen:
            raise ValueError(f"dBase field name {c.name!r} appears twice")
        seen.add(c.name.upper())
        if c.type not in "CDLN" or len(c.type) != 1:
            raise ValueError(f"field {c.name}: type {c.type!r} is not C, D, L or N")
        if c.type == "D" and c.width != 8 or c.type == "L" and c.width != 1:
            raise ValueError(f"field {c.name}: a {c.type} field has width {8 if c.type == 'D' else 1}")
        if not 1 <= c.width <= (MAX_C_WIDTH if c.type == "C" else MAX_N_WIDTH if c.type == "N" else 8):
            raise ValueError(f"field {c.name}: width {c.width} out of range")
        if c.decimals and (c.type != "N" or c.decimals > c.width - 2):
            raise ValueError(f"field {c.name}: {c.decimals} decimals do not fit a {c.type}{c.width}")
    if 1 + sum(c.width for c in columns) > MAX_RECORD_LENGTH:
        raise ValueError("the record is longer than a dBase III record can be")


def _cut(value: str, width: int, encoding: str) -> bytes:
    """The longest prefix of *value* whose encoding fits *width* bytes."""
    out = b""
    for ch in value:
        b = encode_text(ch, encoding)[0]
        if len(out) + len(b) > width:
            break
        out += b
    return out


def _cell(col: DbfColumn, value: Any, encoding: str, right: bool, result: DbfResult) -> bytes:
    w = col.width
    if col.type == "C":
        text = "" if value is None else str(value)
        raw, replaced = encode_text(text, encoding)
        if replaced:
            result.unencodable[col.name] = result.unencodable.get(col.name, 0) + 1
        if len(raw) > w:
            result.cut[col.name] = result.cut.get(col.name, 0) + 1
            raw = _cut(raw.decode(encoding), w, encoding)
        return raw.rjust(w, b" ") if right else raw.ljust(w, b" ")
    if col.type == "D":
        if value is None:
            return b" " * 8
        if not isinstance(value, date):
            raise TypeError(f"field {col.name}: {value!r} is not a date")
        return f"{value.year:04d}{value.month:02d}{value.day:02d}".encode("ascii")
    if col.type == "L":
        return b"?" if value is None else (b"T" if value else b"F")
    if value is None:
        return b" " * w
    text = number_text(value, col.decimals)
    if len(text) > w:
        raise ValueError(f"field {col.name}: {text} does not fit N{w}.{col.decimals} (call fit_columns first)")
    return text.rjust(w).encode("ascii")


def dbf_bytes(columns: Sequence[DbfColumn], rows: Sequence[Mapping[str, Any]], *, updated: date,
              encoding: str = "cp1252", right_aligned: Collection[str] = ()) -> tuple[bytes, DbfResult]:
    """The whole ``.dbf`` file for *rows* (dicts keyed by field name; a missing key is an empty value).

    Args:
        columns: The fields, widths already fitted (:func:`fit_columns`).
        rows: The records.
        updated: The header's date of last update.
        encoding: A single-byte encoding for C fields (default cp1252, as SPARKS).
        right_aligned: C fields whose values are right-aligned (IDs).

    Returns:
        The file's bytes and what the values lost (:class:`DbfResult`).
    """
    encoding = _check_encoding(encoding)
    _check_columns(columns)
    right = set(right_aligned)
    record_length = 1 + sum(c.width for c in columns)
    header_length = 32 + 32 * len(columns) + 1
    if len(rows) > 0xFFFFFFFF:  # pragma: no cover - far beyond any studbook
        raise ValueError("too many records for a dBase file")
    header = bytearray(32)
    header[0] = 0x03
    header[1:4] = bytes((updated.year % 100, updated.month, updated.day))
    struct.pack_into("<IHH", header, 4, len(rows), header_length, record_length)
    header[29] = LANGUAGE_DRIVER.get(encoding, 0)
    parts = [bytes(header)]
    offset = 1
    for c in columns:
        desc = bytearray(32)
        desc[0:11] = c.name.upper().encode("ascii").ljust(11, b"\0")
        desc[11] = ord(c.type)
        struct.pack_into("<I", desc, 12, offset)
        desc[16] = c.width
        desc[17] = c.decimals
        parts.append(bytes(desc))
        offset += c.width
    parts.append(b"\r")
    result = DbfResult()
    for row in rows:
        parts.append(b" ")
        for c in columns:
            parts.append(_cell(c, row.get(c.name), encoding, c.name in right, result))
    parts.append(b"\x1a")
    return b"".join(parts), result
