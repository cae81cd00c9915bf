"""A plain (non-editable) install must carry the migrations and the sample book."""

from __future__ import annotations

import subprocess
import sys
import zipfile

from conftest import ROOT


def test_wheel_contains_migrations_sample_and_every_subpackage(tmp_path):
    p = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(ROOT)],
        capture_output=True, text=True,
    )
    assert p.returncode == 0, p.stderr
    wheel = next(tmp_path.glob("studbook-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "studbook/migrations/env.py" in names and "studbook/migrations/script.py.mako" in names
    for version in (ROOT / "migrations" / "versions").glob("*.py"):
        assert f"studbook/migrations/versions/{version.name}" in names
    for f in (ROOT / "data" / "sample").iterdir():
        assert f"studbook/sample/{f.name}" in names
    for init in (ROOT / "studbook").rglob("__init__.py"):
        rel = init.relative_to(ROOT).as_posix()
        assert rel in names, f"{rel} is missing from the wheel: add its package to pyproject.toml"
    assert "studbook/cli/__init__.py" in names
