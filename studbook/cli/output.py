"""Rendering: rich tables for people, CSV/JSON for machines (stdout only).

Stored text (names, notes, IDs, titles, user names) is data, never markup or terminal control:
tables get :class:`rich.text.Text` cells (:func:`rich_text`), strings given to rich as markup go
through :func:`safe`, and everything written to a terminal goes through :func:`printable`.
CSV and JSON output stay byte-exact data (CSV escapes formula cells via ``studbook.io.cells``).
"""

from __future__ import annotations

import csv
import io
import json
import sys
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

import click

from ..io.cells import escape_cell  # noqa: F401  (re-exported for the commands)

if TYPE_CHECKING:
    from rich.text import Text

F = TypeVar("F", bound=Callable[..., Any])
FORMATS = ("table", "csv", "json")

# Characters that would act on the terminal or hide/reorder text, by Unicode category: control (C0, DEL,
# C1), format (zero-width, bidi overrides and isolates, BOM...), line/paragraph separators, lone surrogates.
_UNPRINTABLE = frozenset({"Cc", "Cf", "Zl", "Zp", "Cs"})


def printable(value: Any, *, keep: str = "\n\t") -> str:
    """``str(value)`` made safe for a terminal: nothing in it can act as a control or escape sequence.

    Newline and tab are kept (the characters in *keep*; ``keep=""`` for one-line output such as error
    lines, where they are escaped too, so a value can never start a line of its own). Every other control character (C0 such as ``ESC`` and ``BEL``, ``CR``, ``DEL``,
    C1 such as ``CSI`` U+009B), every format character (zero-width space/joiner, bidi overrides and isolates,
    BOM...), line/paragraph separators and lone surrogates (undecodable bytes) are replaced by a *visible*
    escape: ``\\xNN`` for code points up to U+00FF (``ESC`` -> ``\\x1b``), ``\\uXXXX`` above
    (RLO -> ``\\u202e``). A visible escape rather than U+FFFD, so that the reader can see which character is
    stored and fix the record. Markup is left alone: see :func:`safe` for text given to rich as markup.
    """
    text = value if isinstance(value, str) else str(value)
    if text.isprintable():  # fast path: no control, format, separator or surrogate characters at all
        return text
    import unicodedata

    return "".join(
        (f"\\x{ord(ch):02x}" if ord(ch) <= 0xFF else f"\\u{ord(ch):04x}")
        if ch not in keep and unicodedata.category(ch) in _UNPRINTABLE else ch
        for ch in text
    )


def safe(value: Any) -> str:
    """*value* for a rich markup string: :func:`printable`, then with ``[`` escaped so no tag is interpreted.

    Use where stored text must be embedded in markup (``f"[bold]{safe(name)}[/bold]"``); where possible
    prefer :func:`rich_text`, which is never parsed at all (no markup, no ``:emoji:`` codes).
    """
    from rich.markup import escape

    return escape(printable(value))


def rich_text(value: Any, style: str = "") -> Text:
    """A :class:`rich.text.Text` of ``printable(value)``: rendered literally (no markup, no emoji codes)."""
    from rich.text import Text

    return Text(printable(value), style=style)


def format_option(f: F) -> F:
    return click.option(
        "--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True,
        help="table for people; csv or json for machines (data only on stdout).",
    )(f)


def as_of_option(f: F) -> F:
    return click.option(
        "--as-of", "as_of", metavar="DATE",
        help="Show the book as it stood on this date (default: the book's census date, else today).",
    )(f)


def _plain(value: Any) -> Any:
    if isinstance(value, (list, tuple)):
        return ";".join(str(v) for v in value)
    return value


# Columns of kinship-scale values (kinship, F, mean kinship, MK difference): 4 decimals on a terminal.
_FOUR_DECIMALS = frozenset({"F", "offspring_F", "kinship", "mean_kinship", "mk", "mk_difference",
                            "male_mean_kinship", "female_mean_kinship", "mean_inbreeding"})
ZERO_NOISE = 5e-13
"""Table cells show values closer to 0 than this as 0 (float round-off such as -1.1e-16)."""


def _human(value: Any, column: str | None = None) -> str:
    """Table cell text; machine formats (csv, json) keep full precision.

    Floats: ``-0.0`` and anything with ``|x| < 5e-13`` (round-off) show as ``0``; kinship-scale
    columns (kinship, F, MK, MK difference) to 4 decimals; others to 6 significant digits.

    Example:
        >>> _human(-1.1e-16, "F"), _human(0.0240241, "kinship"), _human(-0.0), _human(0.000143766)
        ('0', '0.0240', '0', '0.000143766')
    """
    if value is None:
        return ""
    if isinstance(value, float):
        if value == value and abs(value) < ZERO_NOISE:  # also -0.0; NaN falls through
            return "0"
        text = f"{value:.4f}" if column in _FOUR_DECIMALS else f"{value:.6g}"
        return text[1:] if text.startswith("-") and text.strip("-0.") == "" else text
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

        table = Table(title=None if title is None else rich_text(title), show_lines=False)
        for c in cols:
            table.add_column(rich_text(str(c).replace("_", " ")))
        for r in rows:
            table.add_row(*(rich_text(_human(r.get(c), c)) for c in cols))
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

        table = Table(title=None if title is None else rich_text(title), show_header=False)
        table.add_column("field", style="bold")
        table.add_column("value")
        for k, v in obj.items():
            table.add_row(rich_text(str(k).replace("_", " ")), rich_text(_human(v, k)))
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
    """A human message: always stderr, through :func:`printable` (plain text, never markup)."""
    click.echo(printable(text), err=True)


def warnings(findings: Iterable[Any]) -> None:
    """One ``Warning:`` line per finding on stderr (made printable by :func:`message`)."""
    for f in findings:
        message(f"Warning: animal {f.studbook_id}: {f.message}" + (f" (hint: {f.hint})" if f.hint else ""))


class NamedSteps:
    """A progress bar of named steps on stderr, only when stderr is a terminal (never in pipes or logs)."""

    def __init__(self, what: str, total: int) -> None:
        self.what, self.total = what, total
        self.prog: Any = None
        self.task: Any = None
        self.done = -1

    def __enter__(self) -> Callable[[str], None]:
        con = err_console()
        if con.is_terminal:
            from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

            self.prog = Progress(TextColumn(f"{self.what}: {{task.description}}"), BarColumn(), TimeElapsedColumn(),
                                 console=con, transient=True)
            self.prog.start()
            self.task = self.prog.add_task("starting", total=self.total)
        return self.step

    def step(self, name: str) -> None:
        self.done += 1
        if self.prog is not None:
            self.prog.update(self.task, description=name, completed=self.done)

    def __exit__(self, *exc: object) -> None:
        if self.prog is not None:
            self.prog.stop()
