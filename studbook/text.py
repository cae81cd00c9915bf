"""Checks for text typed or imported by people: free text and studbook IDs.

Pure functions (no database, no UI). Services call them before anything is stored, so that
stored text is always plain, visible text:

* :func:`clean_text` for free text (house names, notes, institution names, plan titles, user names...):
  surrounding whitespace is stripped; control characters (``ESC``, ``BEL``...), invisible format
  characters (zero-width space/joiner, bidi overrides, BOM...), line/paragraph separators and undecodable
  bytes are refused, naming the record, the field, the code point and its position.
* :func:`check_studbook_id` for IDs: plain ASCII only, so that no ID can look like another one.
* :func:`is_plain_number` to tell numeric IDs from others (``str.isdigit`` is true for ``'١٢٣'``
  and ``'１２３'``; this is not).

Text such as ``[/]`` or ``[link=...]`` is valid text: it is stored as typed and the CLI never
renders stored text as markup.
"""

from __future__ import annotations

import re
import unicodedata

from .errors import InvalidInputError

ID_MAX_LENGTH = 64
ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/-]*")
_PLAIN_NUMBER = re.compile(r"[0-9]+")
_ID_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._/-")

TEXT_HINT = "type the text again without special characters (control, invisible or direction-changing characters)"
ID_HINT = ("a studbook ID is 1-64 plain ASCII characters: letters A-Z/a-z, digits 0-9 and . _ / - "
           "(not first); type it again on a plain keyboard layout")

# Unicode general categories refused in free text, with the words used in the error message.
_REFUSED = {
    "Cc": "a control character",
    "Cf": "an invisible formatting character",
    "Zl": "a line separator",
    "Zp": "a paragraph separator",
    "Cs": "an undecodable byte",
}


def _codepoint(ch: str) -> str:
    """``U+001B`` or ``U+FF11 FULLWIDTH DIGIT ONE`` when the character has a name."""
    name = unicodedata.name(ch, "")
    return f"U+{ord(ch):04X}" + (f" {name}" if name else "")


def _visible(value: str, limit: int = 80) -> str:
    """*value* for an error message: refused (invisible) characters written as ``\\uXXXX``, long values cut."""
    out = "".join(
        f"\\u{ord(ch):04x}" if unicodedata.category(ch) in _REFUSED else ch for ch in value[:limit]
    )
    return out + ("…" if len(value) > limit else "")


def clean_text(value: str | None, *, what: str, record: str, limit: int | None = None,
               multiline: bool = False) -> str | None:
    """Free text ready to store: stripped, ``None`` when empty; refuses what a reader could not see.

    *what* names the field (``"house name"``) and *record* the record (``"animal 1202"``); both go into
    the error reason, e.g. ``animal 1202: house name contains a control character (U+001B at position 1)``.
    Positions count characters from 1, after stripping surrounding whitespace.

    Refused (:class:`InvalidInputError`):

    * control characters (Unicode category Cc: ``ESC``, ``BEL``, ``CR``, ``DEL``, C1 controls...);
      with ``multiline=True`` (notes) newline ``\\n`` and tab ``\\t`` are allowed, otherwise they are refused too;
    * format characters (Cf): zero-width space/joiner/non-joiner, bidi embeddings and overrides
      U+202A-U+202E, isolates U+2066-U+2069, marks U+200E/U+200F, soft hyphen, BOM U+FEFF...;
    * line and paragraph separators U+2028/U+2029 (Zl, Zp) and lone surrogates (Cs: bytes that were not
      valid UTF-8 on the command line);
    * text longer than *limit* characters (after stripping), when *limit* is given.

    Anything else is valid text and is returned unchanged, including ``[/]``, ``<b>`` or ``=1+1``:
    rendering and export are responsible for showing it literally.
    """
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    for pos, ch in enumerate(text, 1):
        cat = unicodedata.category(ch)
        if cat not in _REFUSED or (multiline and ch in "\n\t"):
            continue
        raise InvalidInputError(
            f"{record}: {what} contains {_REFUSED[cat]} (U+{ord(ch):04X} at position {pos})", TEXT_HINT
        )
    if limit is not None and len(text) > limit:
        raise InvalidInputError(
            f"{record}: {what} is {len(text)} characters long (at most {limit})",
            f"shorten the {what} to at most {limit} characters",
        )
    return text


def check_studbook_id(value: str) -> str:
    """The studbook ID *value*, stripped, if it is a valid ID; else :class:`InvalidInputError`.

    An ID is 1-64 ASCII characters matching ``[A-Za-z0-9][A-Za-z0-9._/-]*``: an ASCII letter or digit,
    then ASCII letters, digits, ``.``, ``_``, ``/`` or ``-``. This covers plain numbers (``1479``),
    temporary IDs (``T`` + digits, ``T12``) and the letters and digits of imported herdbook IDs
    (``DE-0042``, ``ISIS.123``, ``A/17``).

    Everything else is refused so that no ID can look like another: fullwidth digits (``１４７９``),
    Cyrillic or Greek look-alike letters (``Т100``), other scripts' digits (``١٢٣``), zero-width and
    direction-changing characters, spaces and any other punctuation. The reason names the first
    offending character as ``U+XXXX``, e.g.
    ``studbook ID '１４７９' is not valid: U+FF11 FULLWIDTH DIGIT ONE at position 1 is not a plain ASCII ...``.
    """
    sid = value.strip()
    shown = _visible(sid)
    if not sid:
        raise InvalidInputError("studbook ID '' is not valid: it is empty", ID_HINT)
    for pos, ch in enumerate(sid, 1):
        if ch not in _ID_CHARS:
            kind = "letter or digit" if ch.isalnum() else "character allowed in an ID"
            raise InvalidInputError(
                f"studbook ID '{shown}' is not valid: {_codepoint(ch)} at position {pos} "
                f"is not a plain ASCII {kind}", ID_HINT
            )
    if not ID_PATTERN.fullmatch(sid):  # only the first character can still be wrong: . _ / -
        raise InvalidInputError(
            f"studbook ID '{shown}' is not valid: it starts with {_codepoint(sid[0])}; "
            "the first character must be an ASCII letter or digit", ID_HINT
        )
    if len(sid) > ID_MAX_LENGTH:
        raise InvalidInputError(
            f"studbook ID '{shown}' is not valid: it is {len(sid)} characters long (at most {ID_MAX_LENGTH})",
            ID_HINT,
        )
    return sid


def is_plain_number(sid: str) -> bool:
    """True when *sid* is ASCII digits only (``'0042'`` yes; ``'١٢٣'``, ``'１２３'``, ``''``, ``'T1'`` no)."""
    return _PLAIN_NUMBER.fullmatch(sid) is not None
