"""Every README example runs as written.

The ```bash blocks of README.md are run in order, each as one bash script with
`set -euo pipefail`, in one scratch folder, with the installed `studbook` command on
PATH, so the walk-through works on the sample book exactly as a newcomer types it.
The install commands (`pip install ... &&`) are left out (CI runs them for real), and
so is the block that runs the test suite itself. Reference syntax (options in
brackets) lives in ```text blocks, which are not run.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT

BLOCK = re.compile(r"```bash\n(.*?)```", re.S)


def readme_blocks() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return BLOCK.findall(text)


def _runnable(block: str) -> str | None:
    if "pytest" in block:
        return None
    return re.sub(r"pip install \S+ && ", "", block)


def _studbook_on_path() -> dict[str, str]:
    env = dict(os.environ)
    bindir = str(Path(sys.executable).parent)
    env["PATH"] = bindir + os.pathsep + env.get("PATH", "")
    env.pop("STUDBOOK_DB", None)
    env["STUDBOOK_USER"] = "readme"
    from pedigree_gallery import shared_dir

    env["STUDBOOK_SHARED_DIR"] = str(shared_dir())  # the SPARKS example reads the condor book from shared/
    return env


def test_readme_has_runnable_examples():
    blocks = [b for b in map(_runnable, readme_blocks()) if b]
    assert len(blocks) >= 5
    assert shutil.which("studbook", path=_studbook_on_path()["PATH"]), "the studbook command is not installed"


def test_every_readme_example_runs(tmp_path):
    env = _studbook_on_path()
    for k, block in enumerate(b for b in map(_runnable, readme_blocks()) if b):
        script = "set -euo pipefail\n" + block
        r = subprocess.run(["bash", "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True,
                           timeout=600)
        if r.returncode != 0:
            pytest.fail(f"README bash block {k + 1} failed (exit {r.returncode}):\n{block}\n--- stderr:\n"
                        f"{r.stderr[-3000:]}")
        # An example shown as refused (`... || echo "refused: ..."`) must really be refused.
        expected = re.findall(r'\|\| echo "(refused[^"]*)"', block)
        shown = [ln for ln in r.stdout.splitlines() if ln.startswith("refused")]
        assert shown == expected, f"README bash block {k + 1}: refusals {shown} != {expected}"
