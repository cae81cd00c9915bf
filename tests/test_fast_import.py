"""``import pedigree`` progress (issue 13): the steps are reported in order, and the CLI shows
a bar only on a terminal (stderr of a pipe or a test runner gets the plain lines only)."""

from __future__ import annotations

from pathlib import Path

from conftest import ok

from studbook.db import session_scope, upgrade
from studbook.services.imports import IMPORT_STEPS, import_pedigree


def _csv(path: Path) -> Path:
    path.write_text("id,sire,dam,sex,birth_year\n1,,,M,2000\n2,,,F,2000\n3,1,2,F,2004\n", encoding="utf-8")
    return path


def test_steps_are_reported_in_order(empty_url: str, tmp_path: Path) -> None:
    upgrade(empty_url)
    steps: list[str] = []
    with session_scope(empty_url, user="tester", write=True) as session:
        report = import_pedigree(session, _csv(tmp_path / "p.csv"), progress=steps.append)
    assert steps == list(IMPORT_STEPS)
    assert report.animals == 3


def test_no_bar_outside_a_terminal(empty_url: str, tmp_path: Path) -> None:
    r = ok(empty_url, "import", "pedigree", str(_csv(tmp_path / "p.csv")))
    assert r.stderr.strip().splitlines() == ["Imported 3 animals from p.csv (0 parents without a row added as "
                                             "founders, 0 dead, 0 repairs)."]
