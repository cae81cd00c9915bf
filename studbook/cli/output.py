"""Rendering: rich tables for people, CSV/JSON for machines (stdout only)."""

from __future__ import annotations

import csv
import io
import json
import sys
from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar

import click

from ..io.cells import escape_cell  # noqa: F401  (re-exported for the commands)

F = TypeVar("F", bound=Callable[..., Any])
FORMATS = ("table", "csv", "json")


def format_option(f: F) -> F:
    return click.option(
        "--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True,
        help="table for people; csv or json for machines (data only on stdout).",
    )(f)


def _plain(value: Any) -> Any:
    if isinstance(value, (list, tuple)):
        return ";".join(str(v) for v in value)
    return value


def _human(value: Any) -> str:
    """Table cell text: floats to 6 significant digits (machine formats keep full precision)."""
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(_plain(value))


def emit(rows: Sequence[dict[str, Any]], fmt: str, *, title: str | None = None,
         columns: Sequence[str] | None = None, out: Any = None) -> None:
    """Write *rows* (dicts with the same keys) in the requested format."""
    cols = list(columns or (rows[0].keys() if rows else []))
    stream = out or sys.stdout
    if fmt == "json":
        emit_json(list(rows), stream)
    elif fmt == "csv":
        buf = io.StringIO()
        # RFC 4180: CRLF line ends, so a CR or LF inside a value is always quoted.
        w = csv.writer(buf, lineterminator="\r\n")
        w.writerow(cols)
        for r in rows:
            w.writerow([escape_cell(_plain(r.get(c))) for c in cols])
        stream.write(buf.getvalue())
    else:
        from rich.table import Table

        table = Table(title=title, show_lines=False)
        for c in cols:
            table.add_column(c.replace("_", " "))
        for r in rows:
            table.add_row(*(_human(r.get(c)) for c in cols))
        console().print(table)
        if not rows:
            message("(no rows)")


def emit_json(obj: Any, out: Any = None) -> None:
    """A JSON document (dates as ISO text) on stdout or *out*."""
    (out or sys.stdout).write(json.dumps(obj, ensure_ascii=False, indent=2, default=str) + "\n")


def emit_object(obj: dict[str, Any], fmt: str, *, title: str | None = None) -> None:
    """One record: key/value table, a one-row CSV, or a JSON object."""
    if fmt == "json":
        emit_json(obj)
    elif fmt == "csv":
        emit([obj], "csv")
    else:
        from rich.table import Table

        table = Table(title=title, show_header=False)
        table.add_column("field", style="bold")
        table.add_column("value")
        for k, v in obj.items():
            table.add_row(k.replace("_", " "), _human(v))
        console().print(table)


_console = None
_err_console = None


def console() -> Any:
    global _console
    if _console is None:
        from rich.console import Console

        _console = Console()
        if not _console.is_terminal:  # piped or captured: no wrapping of wide tables at 80 columns
            _console = Console(width=200)
    return _console


def err_console() -> Any:
    global _err_console
    if _err_console is None:
        from rich.console import Console

        _err_console = Console(stderr=True)
    return _err_console


def message(text: str) -> None:
    """A human message: always stderr."""
    click.echo(text, err=True)


def warnings(findings: Iterable[Any]) -> None:
    for f in findings:
        message(f"Warning: animal {f.studbook_id}: {f.message}" + (f" (hint: {f.hint})" if f.hint else ""))
