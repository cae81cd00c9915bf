"""The registrar's forms over the services (no browser), and `studbook serve` as a real process."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest
from web_support import SECRET, client, free_port, login, post_form, prepared_book, record_counts

pytestmark = pytest.mark.filterwarnings("ignore:Using `httpx`")


@pytest.fixture(scope="module")
def web_url(sample_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with prepared_book(sample_url, tmp_path_factory.mktemp("webforms")) as url:
        yield url


def test_registrar_forms_apply_or_become_pending(web_url: str) -> None:
    with client(web_url) as c:
        assert login(c, "reg_leipzig").status_code == 303
        home = c.get("/").text
        assert "LEIPZIG: animals held" in home and "/animals/884" in home
        # a litter with one known sire, cubs with local IDs
        r = post_form(c, "/record/birth", {"dam": "1040", "sire": "884", "date": "2026-10-10", "at": "LEIPZIG",
                                           "rearing": "hand", "cub_sex_1": "U", "cub_local_1": "LZ26-1"})
        assert r.status_code == 200 and "Registered litter" in r.text, r.text
        cub = re.search(r'class="new-id" href="/animals/(\w+)"', r.text).group(1)  # type: ignore[union-attr]
        # a correction of a record this registrar entered: applied, with the reason
        r = post_form(c, "/record/correction", {"studbook_id": cub, "sex": "F", "reason": "sexed at the vet check"})
        assert r.status_code == 200 and f"Updated animal {cub}: sex" in r.text, r.text
        # without a reason: the service's message, nothing written
        before = record_counts(web_url)
        r = post_form(c, "/record/correction", {"studbook_id": cub, "sex": "M", "reason": ""})
        assert r.status_code == 422 and "reason" in r.text and "Hint:" in r.text
        assert record_counts(web_url) == before
        # a correction of someone else's record: pending
        r = post_form(c, "/record/correction", {"studbook_id": "884", "birth_date": "2011-05-28",
                                                "reason": "typo in the birth date"})
        assert r.status_code == 202 and "awaits approval" in r.text, r.text
        # an arrival from elsewhere into LEIPZIG, then a release of an own animal
        r = post_form(c, "/record/transfer", {"studbook_id": "1286", "from_code": "TALLINN", "to": "LEIPZIG",
                                              "date": "2026-10-20", "local_id": "LZ-1286"}, page="/record/transfer?arrival=1")
        assert r.status_code == 200 and "TALLINN -&gt; LEIPZIG" in r.text, r.text
        r = post_form(c, "/record/release", {"studbook_id": "1286", "to": "LAZOVSKY", "date": "2026-10-29"})
        assert r.status_code == 200 and "Recorded release of 1286" in r.text, r.text
        # search by house name and by local ID
        assert "/animals/884" in c.get("/search", params={"q": "kiril"}, follow_redirects=True).text
        r = c.get("/search", params={"q": "LZ-1286"})
        assert r.status_code == 303 and r.headers["location"] == "/animals/1286"


def test_reader_sees_pages_but_may_not_write(web_url: str) -> None:
    with client(web_url) as c:
        assert login(c, "reader").status_code == 303
        assert c.get("/animals/884").status_code == 200
        before = record_counts(web_url)
        r = post_form(c, "/record/death", {"studbook_id": "884", "date": "2026-10-30"})
        assert r.status_code == 403 and "reader" in r.text
        assert c.get("/pending").status_code == 403
        assert record_counts(web_url) == before
    with client(web_url) as c:
        assert login(c, "coord").status_code == 303
        page = c.get("/dashboard").text
        assert "gene diversity (GD)" in page and "Mean kinship" in page
        assert c.get("/plans").status_code == 200
        assert c.get("/pending").status_code == 200


def test_studbook_serve_runs(web_url: str) -> None:
    port = free_port()
    env = {**os.environ, "STUDBOOK_SECRET_KEY": SECRET, "STUDBOOK_SECURE_COOKIES": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "studbook", "--db", web_url, "serve", "--port", str(port)],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        import httpx

        deadline = time.monotonic() + 30
        while True:
            try:
                r = httpx.get(f"http://127.0.0.1:{port}/login", timeout=2)
                break
            except httpx.TransportError:
                assert proc.poll() is None, proc.communicate()
                assert time.monotonic() < deadline, "studbook serve did not answer"
                time.sleep(0.2)
        assert r.status_code == 200 and "Log in" in r.text
        assert "Secure" in r.headers["set-cookie"] and "HttpOnly" in r.headers["set-cookie"]
        assert "frame-ancestors 'none'" in r.headers["content-security-policy"]
        assert httpx.get(f"http://127.0.0.1:{port}/").status_code == 303
    finally:
        proc.terminate()
        out, err = proc.communicate(timeout=15)
    assert "studbook serving" in err and "password" not in err.lower()
