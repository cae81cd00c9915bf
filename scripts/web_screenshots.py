"""Regenerate the README's pictures of the web application: ``docs/img/web-registrar.png`` and
``docs/img/web-dashboard.png``.

    python scripts/web_screenshots.py            # writes both into docs/img/
    python scripts/web_screenshots.py --out DIR  # somewhere else

Loads the bundled sample book into a temporary SQLite file, adds a keeper and a registrar of
TALLINN (``studbook user add``), serves it with ``studbook.web`` (uvicorn in a thread), registers
a litter through the form as the registrar in Debian's headless chromium (``/usr/bin/chromium`` or
``$STUDBOOK_CHROMIUM``, driven by playwright, never a downloaded browser), and saves the registrar's
"my institution" page and the keeper's population dashboard.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]
PASSWORD = "leopard-demo-password"


def chromium() -> str:
    exe = os.environ.get("STUDBOOK_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(exe).exists():
        sys.exit("Debian's chromium is needed: apt-get install chromium (never `playwright install`)")
    return exe


def studbook(db: Path, *args: str, stdin: str | None = None) -> None:
    subprocess.run([sys.executable, "-m", "studbook", "--db", str(db), *args], input=stdin, text=True, check=True,
                   cwd=db.parent, capture_output=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "img")
    out: Path = parser.parse_args().out
    out.mkdir(parents=True, exist_ok=True)
    exe = chromium()
    import uvicorn
    from playwright.sync_api import sync_playwright

    from studbook.config import resolve_url
    from studbook.web.app import create_app
    from studbook.web.settings import WebSettings

    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "demo.db"
        studbook(db, "init", "--sample")
        studbook(db, "user", "add", "keeper", "--role", "keeper", "--password-stdin", stdin=PASSWORD + "\n")
        studbook(db, "user", "add", "tallinn", "--role", "registrar", "--institution", "TALLINN", "--password-stdin",
                 stdin=PASSWORD + "\n")
        app = create_app(WebSettings(db_url=resolve_url(str(db)), secret_key="screenshots-only-not-a-secret"))
        port = free_port()
        server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off"))
        threading.Thread(target=server.run, daemon=True).start()
        while not server.started:
            time.sleep(0.05)
        base = f"http://127.0.0.1:{port}"
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=exe, headless=True, args=ARGS)
                page = browser.new_context(viewport={"width": 1280, "height": 860}).new_page()

                def log_in(name: str) -> None:
                    page.goto(base + "/login")
                    page.fill("input[name=name]", name)
                    page.fill("input[name=password]", PASSWORD)
                    page.click("button[type=submit]")
                    page.wait_for_url(base + "/")

                log_in("tallinn")
                page.goto(base + "/record/birth")
                for sel, value in (("dam", "1098"), ("sire", "1062:0.5 930:0.5"), ("date", "2026-10-15")):
                    page.fill(f"input[name={sel}]", value)
                page.select_option("select[name=cub_sex_1]", "M")
                page.select_option("select[name=cub_sex_2]", "F")
                page.fill("input[name=cub_name_1]", "Pärn")
                page.fill("input[name=cub_name_2]", "Mari")
                page.click("#record-form button[type=submit]")
                page.wait_for_selector("a.new-id")
                page.goto(base + "/")
                page.screenshot(path=str(out / "web-registrar.png"))
                page.click("form.logout button")
                log_in("keeper")
                page.goto(base + "/dashboard")
                page.screenshot(path=str(out / "web-dashboard.png"))
                browser.close()
        finally:
            server.should_exit = True
    print(f"wrote {out / 'web-registrar.png'} and {out / 'web-dashboard.png'}")


if __name__ == "__main__":
    main()
