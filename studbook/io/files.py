"""Opening input files safely: regular files only, a size cap, strict UTF-8, bounded JSON.

Every file-reading command goes through :func:`check_input_file` before it opens a file,
so that a FIFO, ``/dev/zero``, a socket or a folder is refused at once (opening a FIFO
blocks forever; ``/dev/zero`` never ends) and a file larger than the reader's cap is
refused before a byte is read. :func:`read_text_file` reads a small text file (JSON,
TOML, a list of IDs) under a cap, as strict UTF-8 with an optional BOM, and names
UTF-16, NUL bytes and Windows cp1252/Latin-1 text. :func:`parse_json` turns a JSON
document that is nested too deeply for Python's parser into one clear error.

Pure: stdlib only; errors are :class:`~studbook.errors.ImportFormatError` (exit code 1).
"""

from __future__ import annotations

import json
import os
import re
import stat
from pathlib import Path
from typing import Any

from ..errors import ImportFormatError

__all__ = ["MAX_CONFIG_BYTES", "check_input_file", "decode_utf8", "parse_json", "read_text_file"]

MAX_CONFIG_BYTES = 4 * 1024 * 1024  # a species.json, an MSI configuration, a permits file, an ID list
UTF8_HINT = "save the file as UTF-8 (e.g. 'CSV UTF-8' in Excel or LibreOffice) and try again"


def _mb(n: int) -> str:
    if n < 2**20:
        return f"{n} bytes"
    return f"{n / 2**20:.1f} MB" if n < 10 * 2**20 else f"{n // 2**20} MB"


def check_input_file(path: str | Path, *, what: str, max_bytes: int, hint: str) -> int:
    """Refuse anything but an existing regular file of at most *max_bytes*; returns its size.

    *what* names the file in the message (``"the pedigree file"``); *hint* says what to give.
    """
    p = Path(path)
    try:
        st = os.stat(p)
    except FileNotFoundError:
        raise ImportFormatError(f"{what} {p}: no such file; nothing was read", hint) from None
    except OSError as exc:
        raise ImportFormatError(f"{what} {p} cannot be read: {exc.strerror or exc}; nothing was read", hint) from None
    if stat.S_ISDIR(st.st_mode):
        raise ImportFormatError(f"{what} {p} is a folder, not a file; nothing was read", hint)
    if not stat.S_ISREG(st.st_mode):
        kind = ("a FIFO (named pipe)" if stat.S_ISFIFO(st.st_mode) else "a device" if
                stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode) else "a socket" if
                stat.S_ISSOCK(st.st_mode) else "not a regular file")
        raise ImportFormatError(f"{what} {p} is {kind}, not a regular file; nothing was read",
                                "studbook reads only regular files (a pipe or a device could block or never end): "
                                "save the data to a file first")
    if st.st_size > max_bytes:
        raise ImportFormatError(f"{what} {p} is {_mb(st.st_size)}, more than the limit of {_mb(max_bytes)}; "
                                "nothing was read", f"check that this is the right file; {hint}")
    return int(st.st_size)


def decode_utf8(data: bytes, *, what: str, hint: str = UTF8_HINT) -> str:
    """Strict UTF-8 (a leading BOM is dropped); UTF-16, NUL bytes and other encodings are named."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ImportFormatError(f"{what} is UTF-16 text, not UTF-8; nothing was read", hint)
    data = data.removeprefix(b"\xef\xbb\xbf")
    nul = data.find(b"\x00")
    if nul >= 0:
        line = data.count(b"\n", 0, nul) + 1
        raise ImportFormatError(f"{what} line {line}: contains a NUL byte (a binary or UTF-16 file?); "
                                "nothing was read", hint)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise ImportFormatError(f"{what} line {line}: is not valid UTF-8 (byte 0x{data[exc.start]:02x}; "
                                "Windows cp1252 or Latin-1 text?); nothing was read", hint) from None


def read_text_file(path: str | Path, *, what: str, hint: str, max_bytes: int = MAX_CONFIG_BYTES) -> str:
    """A small text file as strict UTF-8, after :func:`check_input_file`; reads at most *max_bytes*."""
    check_input_file(path, what=what, max_bytes=max_bytes, hint=hint)
    try:
        with open(path, "rb") as fh:
            data = fh.read(max_bytes + 1)
    except OSError as exc:
        raise ImportFormatError(f"{what} {path} cannot be read: {exc.strerror or exc}; nothing was read",
                                hint) from None
    if len(data) > max_bytes:  # grew since it was checked
        raise ImportFormatError(f"{what} {path} is larger than the limit of {_mb(max_bytes)}; nothing was read", hint)
    return decode_utf8(data, what=f"{what} {path}", hint=UTF8_HINT)


MAX_JSON_DEPTH = 200
"""Deepest nesting of [ and { a configuration document may have (real ones have 3 or 4)."""


def json_depth(text: str, limit: int = MAX_JSON_DEPTH) -> int:
    """The nesting depth of ``[``/``{`` outside strings, counted up to just past *limit*.

    Checked before parsing: the C parser recurses once per level, and with a raised
    recursion limit a document nested 100,000 deep overflows the C stack instead of
    raising RecursionError."""
    depth = deepest = 0
    in_str = False
    skip = -1
    for m in re.finditer(r'[\[\]{}"\\]', text):
        i = m.start()
        if i == skip:
            continue
        c = text[i]
        if in_str:
            if c == "\\":
                skip = i + 1
            elif c == '"':
                in_str = False
        elif c == '"':
            in_str = True
        elif c in "[{":
            depth += 1
            deepest = max(deepest, depth)
            if deepest > limit:
                break
        else:
            depth -= 1
    return deepest


def parse_json(text: str, *, what: str, hint: str) -> Any:
    """``json.loads`` with one clear error for bad syntax or a document nested too deeply."""
    if json_depth(text) > MAX_JSON_DEPTH:
        raise ImportFormatError(f"{what} is nested too deeply to be read (more than {MAX_JSON_DEPTH} levels of "
                                "[ or { inside each other; not a configuration file)", hint)
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ImportFormatError(f"{what} is not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})",
                                hint) from None
    except RecursionError:
        raise ImportFormatError(f"{what} is nested too deeply to be read (thousands of [ or {{ inside each "
                                "other; not a configuration file)", hint) from None
