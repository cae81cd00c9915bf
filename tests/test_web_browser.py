"""The web application in headless chromium (Debian's, through playwright): a registrar's day and the keeper's review.

One server per backend (uvicorn in a thread) over a fresh copy of the sample book with users;
screenshots go to the test's temporary folder.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from browser import CHROMIUM_ARGS, require_chromium
from web_support import PASSWORD, prepared_book, record_counts, serve


@pytest.fixture(scope="module")
def web_url(sample_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with prepared_book(sample_url, tmp_path_factory.mktemp("webbrowser")) as url:
        yield url


@pytest.fixture
def browser_page() -> Iterator[tuple[Any, list[str]]]:
    """A chromium page and the list its console errors and page errors go to."""
    exe = require_chromium()
    from playwright.sync_api import sync_playwright

    errors: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=exe, headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
            page.set_default_timeout(20_000)
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: errors.append(str(e)))
            yield page, errors
        finally:
            browser.close()


def log_in(page: Any, base: str, name: str) -> None:
    page.goto(base + "/")
    assert page.url.startswith(base + "/login"), page.url
    page.fill("input[name=name]", name)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(base + "/")


def log_out(page: Any) -> None:
    page.click("form.logout button")
    page.wait_for_url(re.compile(r".*/login"))


def submit(page: Any) -> str:
    page.click("#record-form button[type=submit]")
    page.wait_for_load_state()
    return str(page.inner_text("main"))


def test_registrar_day_and_keeper_review(web_url: str, browser_page: tuple[Any, list[str]], tmp_path: Path) -> None:
    page, errors = browser_page
    with serve(web_url) as srv:
        base = srv.base
        log_in(page, base, "reg_tallinn")
        assert "TALLINN: animals held" in page.inner_text("main")

        # a litter of two with MULT sires
        page.goto(base + "/record/birth")
        page.fill("input[name=dam]", "1098")
        page.fill("input[name=sire]", "1062:0.5 930:0.5")
        page.fill("input[name=date]", "2026-10-15")
        assert page.input_value("input[name=at]") == "TALLINN"
        page.select_option("select[name=cub_sex_1]", "M")
        page.select_option("select[name=cub_sex_2]", "F")
        page.fill("input[name=cub_name_1]", "Pärn")
        page.fill("input[name=cub_name_2]", "Mari")
        text = submit(page)
        assert "Registered litter" in text and "of 2 at TALLINN on 2026-10-15" in text, text
        assert "sire MULT(1062:0.5, 930:0.5)" in text
        cubs = page.eval_on_selector_all("a.new-id", "els => els.map(e => e.textContent)")
        assert len(cubs) == 2
        page.screenshot(path=str(tmp_path / "1-litter.png"), full_page=True)

        # transfer the first cub out to Leipzig
        page.goto(f"{base}/record/transfer?id={cubs[0]}")
        page.fill("input[name=to]", "LEIPZIG")
        page.fill("input[name=date]", "2026-10-30")
        text = submit(page)
        assert f"Recorded transfer of {cubs[0]} on 2026-10-30 TALLINN -> LEIPZIG." in text, text

        # the animal page: history, parents, pedigree
        page.click(f"a.new-id:text-is('{cubs[0]}')")
        page.wait_for_url(f"{base}/animals/{cubs[0]}")
        main = page.inner_text("main")
        assert "Pärn" in main and "captive at LEIPZIG" in main
        history = page.inner_text("table.history")
        assert "birth" in history and "transfer" in history and "LEIPZIG" in history
        assert "MULT" in main and "1098" in main
        if page.query_selector("img.pedigree"):
            page.wait_for_function("document.querySelector('img.pedigree').complete")
            assert page.evaluate("document.querySelector('img.pedigree').naturalWidth") > 0
        page.screenshot(path=str(tmp_path / "2-animal.png"), full_page=True)

        # a wrong value: the rule's message and hint, nothing written
        before = record_counts(web_url)
        page.goto(base + "/record/death?id=1286")
        page.fill("input[name=date]", "2026-13-45")
        text = submit(page)
        assert "Error: animal 1286: death date '2026-13-45' is not a real calendar date" in text, text
        assert "Hint: " in text
        assert page.input_value("input[name=date]") == "2026-13-45"
        assert record_counts(web_url) == before
        page.screenshot(path=str(tmp_path / "3-refused.png"), full_page=True)

        # a death of a LEIPZIG animal by TALLINN's registrar: a pending update, not a change
        page.goto(base + "/record/death?id=1148")
        page.fill("input[name=date]", "2026-10-31")
        page.fill("input[name=cause]", "old age")
        text = submit(page)
        found = re.search(r"Pending update #(\d+) awaits approval", text)
        assert found, text
        pid = found.group(1)
        page.goto(base + "/animals/1148")
        assert "captive at LEIPZIG" in page.inner_text("main")
        log_out(page)

        # the keeper approves it
        log_in(page, base, "keeper")
        page.goto(base + "/pending")
        card = page.locator(f"#pending-{pid}")
        assert "reg_tallinn" in card.inner_text()
        page.screenshot(path=str(tmp_path / "4-pending.png"), full_page=True)
        card.locator("button[value=approve]").click()
        page.wait_for_load_state()
        assert f"Pending update #{pid} approved." in page.inner_text("main")
        page.goto(base + "/animals/1148")
        main = page.inner_text("main")
        assert "dead" in main and "old age" in main
        page.goto(base + "/dashboard")
        assert page.inner_text("#gd").startswith("0.")
        page.screenshot(path=str(tmp_path / "5-dashboard.png"), full_page=True)
    # the refused form answers 422 on purpose; anything else (a CSP violation, a missing file) is an error
    assert not [e for e in errors if "status of 422" not in e], errors
    assert all((tmp_path / f).stat().st_size > 0 for f in ("1-litter.png", "2-animal.png", "5-dashboard.png"))
