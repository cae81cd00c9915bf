"""One-way dependencies: cli -> services -> domain; the domain never imports the database or the UI."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT

PKG = ROOT / "studbook"
DOMAIN = [PKG / "pedigree.py", PKG / "records.py", PKG / "rules.py", PKG / "loops.py", PKG / "text.py",
          PKG / "dates.py", PKG / "errors.py", PKG / "access.py", PKG / "demography.py", PKG / "census.py",
          PKG / "drawing.py",
          PKG / "config.py", *sorted((PKG / "genetics").glob("*.py")), *sorted((PKG / "recommend").glob("*.py")),
          *sorted((PKG / "io").glob("*.py")), PKG / "services" / "pedigree_rows.py"]
UI = ("click", "rich")
DB = ("sqlalchemy", "alembic", "psycopg")


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            mod = node.module or ""
            if node.level:
                base = path.relative_to(ROOT).with_suffix("").parts[: -node.level]
                mod = ".".join([*base, mod]) if mod else ".".join(base)
            out.add(mod)
    return out


def _hits(mods: set[str], banned: tuple[str, ...]) -> list[str]:
    return sorted(m for m in mods if m.split(".")[0] in banned)


@pytest.mark.parametrize("path", DOMAIN, ids=lambda p: str(p.relative_to(ROOT)))
def test_domain_is_pure(path):
    mods = imported_modules(path)
    assert not _hits(mods, UI + DB), f"{path.name} imports {_hits(mods, UI + DB)}"
    assert not [m for m in mods if m.startswith(("studbook.services", "studbook.cli", "studbook.models",
                                                 "studbook.db"))]


@pytest.mark.parametrize("path", sorted((PKG / "services").glob("*.py")), ids=lambda p: p.name)
def test_services_never_touch_the_ui(path):
    mods = imported_modules(path)
    assert not _hits(mods, UI), f"{path.name} imports {_hits(mods, UI)}"
    assert not [m for m in mods if m.startswith("studbook.cli")]


def test_help_starts_without_database_or_numpy():
    code = ("import sys, contextlib, io\nfrom studbook.cli import main\n"
            "with contextlib.redirect_stdout(io.StringIO()):\n"
            "    try:\n        main(['--help'])\n    except SystemExit:\n        pass\n"
            "print(','.join(sorted(m for m in ('sqlalchemy', 'numpy', 'alembic', 'scipy', 'networkx') "
            "if m in sys.modules)))")
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert p.returncode == 0, p.stderr
    assert p.stdout.strip() == ""


def test_sqlite_analysis_does_not_load_sqlalchemy(tmp_path):
    db = tmp_path / "a.db"
    assert subprocess.run([sys.executable, str(ROOT / "cli.py"), "--db", str(db), "init"],
                          capture_output=True).returncode == 0
    code = ("import sys, contextlib, io\nfrom studbook.cli import main\n"
            "with contextlib.redirect_stdout(io.StringIO()):\n"
            f"    try:\n        main(['--db', {str(db)!r}, 'genetics', 'inbreeding', '--format', 'csv'])\n"
            "    except SystemExit as e:\n        assert not e.code, e.code\n"
            "print('sqlalchemy' in sys.modules)")
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert p.returncode == 0, p.stderr
    assert p.stdout.strip() == "False"


# The web application is an outer layer beside the CLI: it may import services (and the domain),
# never the CLI; nothing inside (services, domain, CLI) imports it.
WEB = sorted((PKG / "web").glob("*.py"))


@pytest.mark.parametrize("path", WEB, ids=lambda p: p.name)
def test_web_is_an_outer_layer_over_services(path):
    mods = imported_modules(path)
    assert not _hits(mods, UI), f"{path.name} imports {_hits(mods, UI)}"
    assert not [m for m in mods if m.startswith("studbook.cli")], f"{path.name} imports the CLI"


@pytest.mark.parametrize("path", [*DOMAIN, *sorted((PKG / "services").glob("*.py")),
                                  *sorted((PKG / "cli").glob("*.py"))], ids=lambda p: str(p.relative_to(ROOT)))
def test_nothing_inside_imports_the_web(path):
    mods = imported_modules(path)
    inner = [m for m in mods if m.startswith("studbook.web")]
    if path.name == "serve.py":  # `studbook serve` starts the web application: the one allowed door
        return
    assert not inner, f"{path.name} imports {inner}"
