"""Command-line interface. ``main`` is the only place errors become text and exit codes."""

from __future__ import annotations

import sys

import click

from ..errors import ExitCode, StudbookError


def _print_error(exc: StudbookError) -> None:
    click.echo(f"Error: {exc.reason}", err=True)
    problems = getattr(exc, "problems", None) or []
    if len(problems) > 1 or (problems and problems[0] not in exc.reason):
        for p in problems[:200]:
            click.echo(f"  - {p}", err=True)
        if len(problems) > 200:
            click.echo(f"  ... and {len(problems) - 200} more", err=True)
    if exc.hint:
        click.echo(f"Hint: {exc.hint}", err=True)


def main(argv: list[str] | None = None) -> None:
    """Entry point of the ``studbook`` command."""
    from .app import cli

    args = sys.argv[1:] if argv is None else argv
    debug = "--debug" in args
    try:
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
        click.echo(f"Error: unexpected {type(exc).__name__}: {exc}", err=True)
        click.echo("Hint: nothing was written; run again with --debug for the traceback and report it", err=True)
        sys.exit(int(ExitCode.USER_ERROR))
