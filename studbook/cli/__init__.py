"""Command-line interface. ``main`` is the only place errors become text and exit codes."""

from __future__ import annotations

import sys

import click

from ..errors import ExitCode, StudbookError


def _print_error(exc: StudbookError) -> None:
    """``Error: reason``, every problem as ``  - problem``, ``Hint: hint``; plain text on stderr.

    Reasons, problems and hints quote user text (IDs, names, file lines), so each goes through
    ``printable`` (newlines escaped too: one line each): no control or escape sequence reaches the
    terminal. Every problem is listed, however many.
    """
    from .output import printable

    click.echo(f"Error: {printable(exc.reason, keep='')}", err=True)
    problems = getattr(exc, "problems", None) or []
    if len(problems) > 1 or (problems and problems[0] not in exc.reason):
        for p in problems:
            click.echo(f"  - {printable(p, keep='')}", err=True)
    if exc.hint:
        click.echo(f"Hint: {printable(exc.hint, keep='')}", err=True)


def _check_arguments(args: list[str]) -> None:
    """Refuse an argument that is not valid UTF-8 before any command sees it.

    Python decodes such bytes as lone surrogates (U+DC80..U+DCFF); they cannot be stored in a
    text column, written to the audit log or sent to PostgreSQL, so they are refused here, once.
    """
    from ..errors import InvalidInputError

    for n, arg in enumerate(args, 1):
        bad = next((ch for ch in arg if "\udc80" <= ch <= "\udcff"), None)
        if bad is not None:
            shown = arg.encode("utf-8", "surrogateescape").decode("ascii", "backslashreplace")
            raise InvalidInputError(
                f"command-line argument {n} ('{shown}') is not valid UTF-8 (byte 0x{ord(bad) - 0xDC00:02x})",
                "studbook takes UTF-8 text and file names: set a UTF-8 locale (e.g. LANG=C.UTF-8) or rename the file")


def main(argv: list[str] | None = None) -> None:
    """Entry point of the ``studbook`` command."""
    from .app import cli

    args = sys.argv[1:] if argv is None else argv
    debug = "--debug" in args
    try:
        _check_arguments(args)
        cli.main(args=args, prog_name="studbook", standalone_mode=False)
    except StudbookError as exc:
        if debug:
            raise
        _print_error(exc)
        sys.exit(int(exc.exit_code))
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(int(ExitCode.INTERRUPTED))
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        click.echo("Interrupted: nothing was written.", err=True)
        sys.exit(int(ExitCode.INTERRUPTED))
    except BrokenPipeError:
        sys.exit(0)
    except Exception as exc:  # the last line of defence: one line, no traceback
        if debug:
            raise
        from .output import printable

        click.echo(f"Error: unexpected {type(exc).__name__}: {printable(exc, keep='')}", err=True)
        click.echo("Hint: nothing was written; run again with --debug for the traceback and report it", err=True)
        sys.exit(int(ExitCode.USER_ERROR))
