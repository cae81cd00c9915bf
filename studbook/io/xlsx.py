"""Excel (.xlsx) export for zoo staff (formats-and-validation.md §4).

Rules:

* one sheet per table; header row bold and frozen; autofilter over the table;
  column widths from the content (8–60 characters);
* dates and datetimes are real date cells with an explicit number format
  (``yyyy-mm-dd``; ``yyyy-mm-dd hh:mm:ss`` when a time is present). Aware
  datetimes are converted to UTC first. Strings in a *date column* that are
  complete ISO dates (``2020-01-31``) become date cells; partial or uncertain
  dates stay text;
* ids (*text columns*, and any column whose name ends in ``_id``) are always
  text, so ``"001"`` stays ``"001"``; numbers elsewhere stay numbers
  (NaN is written as an empty cell);
* never a formula: every string goes through :func:`escape_cell` (the same rule
  as the CSV writer, from :mod:`studbook.io.cells`: text starting with
  ``= + - @ tab CR NUL`` that is not a plain number gets a leading ``'``, ASVS
  v5 1.2.10) and is written with ``write_string``; the workbook is opened with
  ``strings_to_formulas``/``strings_to_urls``/``strings_to_numbers`` off.

xlsxwriter is imported inside :func:`write_xlsx` only.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Collection, Sequence
from os import PathLike
from typing import Any

from studbook.errors import InvalidInputError

from .cells import DANGEROUS_PREFIXES, escape_cell  # noqa: F401  (re-exported)

TEXT_COLUMNS = ("id", "studbook_id", "local_id", "male", "female", "animal", "sire", "dam",
                "institution", "site", "from_site", "to_site", "mnemonic", "house_name")
DATE_COLUMNS = ("date", "birth_date", "death_date", "event_date", "from_date", "to_date",
                "start_date", "end_date", "as_of", "created_at", "updated_at")

MAX_ROWS = 1_048_575        # Excel's 1,048,576 rows minus the header
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")


def _sheet_names(names: Sequence[str]) -> list[str]:
    out: list[str] = []
    seen: set[str] = set()
    for raw in names:
        base = _BAD_SHEET_CHARS.sub("_", str(raw)).strip("'") or "Sheet"
        name = base[:31]
        k = 2
        while name.lower() in seen:
            suffix = f" ({k})"
            name = base[: 31 - len(suffix)] + suffix
            k += 1
        seen.add(name.lower())
        out.append(name)
    return out


def _as_utc_naive(value: dt.datetime) -> dt.datetime:
    if value.tzinfo is not None:
        value = value.astimezone(dt.UTC).replace(tzinfo=None)
    return value


def _display_len(value: Any) -> int:
    if isinstance(value, dt.datetime):
        return 19 if (value.hour, value.minute, value.second) != (0, 0, 0) else 10
    if isinstance(value, dt.date):
        return 10
    if isinstance(value, float):
        return len(f"{value:.6g}")
    return max((len(part) for part in str(value).splitlines()), default=0)


def write_xlsx(path: str | PathLike[str],
               sheets: Sequence[tuple[str, Sequence[str], Sequence[Sequence[Any]]]], *,
               text_columns: Collection[str] = TEXT_COLUMNS,
               date_columns: Collection[str] = DATE_COLUMNS) -> None:
    """Write tables to an .xlsx workbook, one sheet each (module docstring for the rules).

    Args:
        path: Output file.
        sheets: ``(sheet name, column names, rows)`` per sheet. Sheet names are
            made valid (≤ 31 characters, no ``[]:*?/\\``, unique).
        text_columns: Columns always written as text (ids).
        date_columns: Columns whose ISO date strings become date cells.

    Raises:
        InvalidInputError: a table has more rows than Excel allows, or a row has
            more values than the header.
    """
    import xlsxwriter  # lazy: only the export needs it

    text = {c.lower() for c in text_columns}
    dates = {c.lower() for c in date_columns}
    names = _sheet_names([s[0] for s in sheets])
    for name, (_, _, rows) in zip(names, sheets):
        if len(rows) > MAX_ROWS:
            raise InvalidInputError(
                f"sheet {name!r} has {len(rows):,} rows; Excel allows {MAX_ROWS:,}",
                hint="export CSV instead")
    wb = xlsxwriter.Workbook(str(path), {"strings_to_formulas": False, "strings_to_urls": False,
                                         "strings_to_numbers": False})
    try:
        head = wb.add_format({"bold": True, "bottom": 1})
        fmt_date = wb.add_format({"num_format": "yyyy-mm-dd"})
        fmt_dt = wb.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
        fmt_text = wb.add_format({"num_format": "@"})
        for name, (_, columns, rows) in zip(names, sheets):
            cols = [str(c) for c in columns]
            ws = wb.add_worksheet(name)
            is_text = [c.lower() in text or c.lower().endswith("_id") for c in cols]
            is_date = [c.lower() in dates for c in cols]
            width = [len(c) for c in cols]
            for j, c in enumerate(cols):
                ws.write_string(0, j, escape_cell(c), head)
            for i, row in enumerate(rows, start=1):
                if len(row) > len(cols):
                    raise InvalidInputError(
                        f"sheet {name!r} row {i} has {len(row)} values for {len(cols)} columns")
                for j, v in enumerate(row):
                    if v is None:
                        continue
                    if i <= 2000:
                        width[j] = max(width[j], _display_len(v))
                    if is_text[j] and not isinstance(v, (dt.date, dt.datetime)):
                        s = v if isinstance(v, str) else str(v)
                        ws.write_string(i, j, escape_cell(s), fmt_text)
                    elif isinstance(v, dt.datetime):
                        v = _as_utc_naive(v)
                        timed = (v.hour, v.minute, v.second, v.microsecond) != (0, 0, 0, 0)
                        ws.write_datetime(i, j, v, fmt_dt if timed else fmt_date)
                    elif isinstance(v, dt.date):
                        ws.write_datetime(i, j, dt.datetime(v.year, v.month, v.day), fmt_date)
                    elif isinstance(v, bool):
                        ws.write_boolean(i, j, v)
                    elif isinstance(v, (int, float)) or _is_numpy_number(v):
                        x = float(v)
                        if math.isnan(x):
                            continue
                        if math.isinf(x):
                            ws.write_string(i, j, "inf" if x > 0 else "-inf")
                        else:
                            ws.write_number(i, j, int(v) if isinstance(v, int) else x)
                    else:
                        s = str(v)
                        if is_date[j] and _ISO_DATE.match(s):
                            try:
                                ws.write_datetime(i, j, dt.datetime.strptime(s, "%Y-%m-%d"), fmt_date)
                                continue
                            except ValueError:
                                pass
                        ws.write_string(i, j, escape_cell(s))
            for j, w in enumerate(width):
                ws.set_column(j, j, min(max(w + 2, 8), 60))
            ws.freeze_panes(1, 0)
            if cols:
                ws.autofilter(0, 0, max(len(rows), 1), len(cols) - 1)
    finally:
        wb.close()


def _is_numpy_number(v: Any) -> bool:
    return type(v).__module__ == "numpy" and hasattr(v, "dtype") and v.dtype.kind in "iuf"
