"""Cell values that are safe in a spreadsheet (CSV and XLSX share this rule)."""

from __future__ import annotations

from typing import Any

DANGEROUS_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\0")


def escape_cell(value: Any) -> Any:
    """Neutralise spreadsheet formulas (OWASP/ASVS 1.2.10): ``'`` before text starting with = + - @ tab CR NUL.

    Plain numbers written as text (``"-0.25"``) are left alone, and so is a cell of
    dashes only (``"-"``, the MSI "do not pair", or ``"--"``): a spreadsheet reads it as
    text, there is nothing after the sign to evaluate. ``"-1+2"`` and ``"-A1"`` are
    formulas and stay escaped. Non-strings are returned unchanged.

    Example:
        >>> escape_cell("=1+1"), escape_cell("-0.25"), escape_cell("@SUM(A1)"), escape_cell(3)
        ("'=1+1", '-0.25', "'@SUM(A1)", 3)
        >>> escape_cell("-"), escape_cell("-1+2")
        ('-', "'-1+2")
    """
    if isinstance(value, str) and value.startswith(DANGEROUS_PREFIXES):
        if value.strip("-") == "":
            return value
        try:
            float(value)
            return value
        except ValueError:
            return "'" + value
    return value
