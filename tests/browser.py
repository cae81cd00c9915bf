"""Headless Chromium for tests: open a local file, collect console errors, measure elements, save a screenshot.

Only Debian's ``chromium`` is used (``$STUDBOOK_CHROMIUM``, else ``chromium`` on PATH, else
``/usr/bin/chromium``), driven by the ``playwright`` Python package with ``executable_path``.
No browser is ever downloaded (never run ``playwright install``). Pages are opened offline:
every request that is not a local file is refused and listed in ``PageReport.blocked``,
so a report that needs the network shows up in the test.

Without chromium, :func:`require_chromium` skips the test with a loud reason, except on CI
(the ``CI`` environment variable set), where a missing browser fails the test.

Use::

    from browser import open_page

    report = open_page(path, selectors=["svg", "g.node"], screenshot=tmp_path / "shot.png")
    assert not report.errors
    assert report.sizes["g.node"] and all(w > 0 and h > 0 for w, h in report.sizes["g.node"])
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pytest

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]


def chromium_path() -> str | None:
    """The Debian chromium executable, or None."""
    env = os.environ.get("STUDBOOK_CHROMIUM")
    if env:
        return env if Path(env).exists() else None
    found = shutil.which("chromium")
    if found:
        return found
    return "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None


def require_chromium() -> str:
    """The chromium path; skip loudly without it (fail on CI, where it must be installed)."""
    exe = chromium_path()
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        exe = None
        what = "the playwright Python package is not installed (pip install '.[test]')"
    else:
        what = "Debian's chromium is not installed (apt install chromium; never `playwright install`)"
    if exe is None:
        msg = f"BROWSER TEST NOT RUN: {what}"
        if os.environ.get("CI"):
            pytest.fail(msg + " - CI must install it (.ci/run)")
        pytest.skip(msg)
    return exe


@dataclass
class PageReport:
    """What the page did: console errors, uncaught errors, refused requests, element sizes and texts."""

    url: str
    title: str
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)
    sizes: dict[str, list[tuple[float, float]]] = field(default_factory=dict)
    texts: dict[str, list[str]] = field(default_factory=dict)
    screenshot: Path | None = None

    @property
    def errors(self) -> list[str]:
        """Console errors, uncaught exceptions and refused network requests together."""
        return [*self.console_errors, *self.page_errors, *(f"network request refused: {u}" for u in self.blocked)]


def open_page(path: str | Path, *, selectors: Sequence[str] = (), screenshot: str | Path | None = None,
              full_page: bool = True, viewport: tuple[int, int] = (1280, 900), wait_for: str | None = None,
              timeout_ms: int = 30_000) -> PageReport:
    """Open the local file *path* in headless chromium and report on it.

    Args:
        path: An HTML, SVG or image file.
        selectors: CSS selectors whose elements are measured (``sizes``: width, height of each
            bounding box) and read (``texts``: their text content).
        screenshot: Where to save a PNG screenshot (``full_page`` by default; a bare SVG
            document is shot with the window resized to it, up to 8000 pixels a side).
        viewport: Window size in CSS pixels.
        wait_for: A selector to wait for before measuring (pages that draw with scripts).
        timeout_ms: Page load and wait timeout.
    """
    from playwright.sync_api import sync_playwright

    exe = require_chromium()
    url = Path(path).resolve().as_uri()
    report = PageReport(url=url, title="")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=exe, headless=True, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]})

            def route(r):  # type: ignore[no-untyped-def]
                if r.request.url.startswith(("file:", "data:", "blob:", "about:")):
                    r.continue_()
                else:
                    report.blocked.append(r.request.url)
                    r.abort()

            context.route("**/*", route)
            page = context.new_page()
            page.on("console", lambda m: report.console_errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: report.page_errors.append(str(e)))
            page.goto(url, wait_until="load", timeout=timeout_ms)
            if wait_for:
                page.wait_for_selector(wait_for, timeout=timeout_ms)
            report.title = page.title()
            for sel in selectors:
                report.sizes[sel] = [tuple(x) for x in page.eval_on_selector_all(
                    sel, "els => els.map(e => { const r = e.getBoundingClientRect(); return [r.width, r.height]; })")]
                report.texts[sel] = page.eval_on_selector_all(sel, "els => els.map(e => e.textContent || '')")
            if screenshot is not None:
                if page.evaluate("document.documentElement.tagName.toLowerCase()") == "html":
                    page.screenshot(path=str(screenshot), full_page=full_page)
                else:  # a bare SVG document: chromium cannot take a full-page shot; fit the window to it
                    w, h = page.evaluate("(() => { const r = document.documentElement.getBoundingClientRect(); "
                                         "return [Math.ceil(r.width), Math.ceil(r.height)]; })()")
                    if full_page and w > 0 and h > 0:
                        page.set_viewport_size({"width": min(int(w), 8000), "height": min(int(h), 8000)})
                    page.screenshot(path=str(screenshot))
                report.screenshot = Path(screenshot)
        finally:
            browser.close()
    return report
