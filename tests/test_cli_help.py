"""Every command has help text and is mentioned in the README (sqlite-utils' test_docs)."""

from __future__ import annotations

import click
import pytest
from conftest import ROOT, run_cli

from studbook.cli.app import cli


def _commands(group: click.Group, prefix: tuple[str, ...] = ()):
    ctx = click.Context(group)
    for name in group.list_commands(ctx):
        cmd = group.get_command(ctx, name)
        path = (*prefix, name)
        yield path, cmd
        if isinstance(cmd, click.Group):
            yield from _commands(cmd, path)


ALL = list(_commands(cli))
assert len(ALL) > 40, "the command tree was not found"


@pytest.mark.parametrize("path", [p for p, _ in ALL], ids=[" ".join(p) for p, _ in ALL])
def test_help(path, tmp_path):
    r = run_cli(str(tmp_path / "x.db"), *path, "--help")
    assert r.exit_code == 0, r.stderr
    assert "Usage: studbook" in r.stdout
    cmd = dict(ALL)[path]
    assert (cmd.help or "").strip(), f"{' '.join(path)} has no help text"


@pytest.mark.parametrize("path", [p for p, c in ALL if not isinstance(c, click.Group)],
                         ids=[" ".join(p) for p, c in ALL if not isinstance(c, click.Group)])
def test_readme_mentions_every_command(path):
    import re

    readme = (ROOT / "README.md").read_text()
    pattern = r"studbook (--db \S+ )?" + re.escape(" ".join(path)) + r"\b"
    assert re.search(pattern, readme), f"README does not mention `studbook {' '.join(path)}`"


def test_short_help_alias(tmp_path):
    assert run_cli(str(tmp_path / "x.db"), "-h").exit_code == 0
