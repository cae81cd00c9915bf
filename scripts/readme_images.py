"""Regenerate the README's picture of the population report: ``docs/img/report.png``.

    python scripts/readme_images.py            # writes docs/img/report.png
    python scripts/readme_images.py --out DIR  # somewhere else

Loads the bundled sample book into a temporary SQLite file (``studbook init --sample``), writes
``studbook report`` for it, opens the HTML in Debian's headless chromium (``/usr/bin/chromium``, or
``$STUDBOOK_CHROMIUM``; driven by playwright, never a downloaded browser) and saves a screenshot of
the top of the page. Deterministic apart from the "Generated" time stamp in the report's header.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def chromium() -> str:
    exe = os.environ.get("STUDBOOK_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(exe).exists():
        sys.exit("Debian's chromium is needed: apt-get install chromium (never `playwright install`)")
    return exe


def studbook(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "studbook", *args], check=True, cwd=ROOT)


def report_png(out: Path, *, width: int = 1280, height: int = 1900) -> Path:
    """The sample book's report, screenshot of its first *height* CSS pixels at *width*."""
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp:
        db, html = Path(tmp) / "sample.db", Path(tmp) / "report.html"
        studbook("--db", str(db), "init", "--sample")
        studbook("--db", str(db), "report", "--output", str(html))
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium(), args=["--no-sandbox", "--disable-gpu"])
            try:
                page = browser.new_page(viewport={"width": width, "height": height})
                page.goto(html.as_uri(), wait_until="load")
                target = out / "report.png"
                page.screenshot(path=str(target), clip={"x": 0, "y": 0, "width": width, "height": height})
            finally:
                browser.close()
    return target


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "img", help="folder of the PNG files")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    print(report_png(args.out))


if __name__ == "__main__":
    main()
