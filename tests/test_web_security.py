"""Security of the web application: login everywhere, CSRF, sessions, lockout, throttling, injection."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from web_support import (
    PASSWORD,
    api_token,
    client,
    csrf_of,
    login,
    post_form,
    prepared_book,
    record_counts,
    route_table,
)

from studbook.web.app import PUBLIC_ROUTES
from studbook.web.auth import COOKIE

pytestmark = pytest.mark.filterwarnings("ignore:Using `httpx`")

PAYLOAD = "<script>alert('x')</script>' OR 1=1; DROP TABLE animal;--"


@pytest.fixture(scope="module")
def web_url(sample_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with prepared_book(sample_url, tmp_path_factory.mktemp("websec")) as url:
        yield url


def _fill(path: str) -> str:
    return re.sub(r"\{[^}]+\}", lambda m: "approve" if m.group(0) == "{decision}" else "1", path)


def test_every_route_but_login_needs_a_login(web_url: str) -> None:
    with client(web_url) as c:
        routes = route_table(c.app)
        assert ("GET", "/api/openapi.json") in routes and ("POST", "/record/{kind}") in routes
        assert set(PUBLIC_ROUTES) <= set(routes)
        checked = 0
        for method, path in routes:
            if (method, path) in PUBLIC_ROUTES:
                continue
            r = c.request(method, _fill(path), json={} if path.startswith("/api/") else None)
            if path.startswith("/api/"):
                assert r.status_code == 401, (method, path, r.status_code, r.text)
                assert r.json()["error"]
            elif method == "GET":
                assert r.status_code == 303 and r.headers["location"].startswith("/login"), (method, path, r.status_code)
            else:  # a POST without a session has no valid CSRF token either
                assert r.status_code in (303, 401, 403), (method, path, r.status_code)
                assert r.status_code != 200
            checked += 1
        assert checked >= 25
        assert c.get("/login").status_code == 200


def test_csrf_token_missing_or_wrong_is_refused(web_url: str) -> None:
    before = record_counts(web_url)
    with client(web_url) as c, client(web_url) as other:
        assert login(c, "keeper").status_code == 303
        assert login(other, "keeper").status_code == 303
        data = {"studbook_id": "884", "date": "2026-10-30", "cause": "test"}
        r = c.post("/record/death", data=data)
        assert r.status_code == 403 and "CSRF" in r.text
        r = c.post("/record/death", data={**data, "csrf_token": "0" * 64})
        assert r.status_code == 403
        foreign = csrf_of(other.get("/record/death").text)  # a valid token of another session
        r = c.post("/record/death", data={**data, "csrf_token": foreign})
        assert r.status_code == 403
        r = c.post("/logout", data={})
        assert r.status_code == 403
        # the API with the browser's cookie needs the token in a header
        r = c.post("/api/deaths", json={"studbook_id": "884", "date": "2026-10-30"})
        assert r.status_code == 403, r.text
    assert record_counts(web_url) == before


def test_login_gives_a_new_session_id_and_logout_ends_it(web_url: str) -> None:
    with client(web_url) as c:
        c.get("/login")
        anonymous = c.cookies.get(COOKIE)
        assert anonymous
        r = login(c, "reg_tallinn")
        assert r.status_code == 303
        cookie = r.headers["set-cookie"]
        assert "HttpOnly" in cookie and "samesite=lax" in cookie.lower()
        logged_in = c.cookies.get(COOKIE)
        assert logged_in and logged_in != anonymous
        assert c.get("/").status_code == 200
        # the pre-login cookie (what an attacker could have planted) grants nothing
        with client(web_url) as attacker:
            attacker.cookies.set(COOKIE, anonymous)
            assert attacker.get("/").status_code == 303
        stolen = logged_in
        r = post_form(c, "/logout", {}, page="/")
        assert r.status_code == 303
        with client(web_url) as replay:
            replay.cookies.set(COOKIE, stolen)
            assert replay.get("/").status_code == 303  # the login session ended on the server


def test_disabled_user_cannot_log_in(web_url: str) -> None:
    with client(web_url) as c:
        r = login(c, "gone")
        assert r.status_code == 401
        assert "disabled" in r.text
        assert c.get("/").status_code == 303
        assert c.post("/api/session", json={"name": "gone", "password": PASSWORD}).status_code == 401


def test_lockout_after_failures_and_login_throttle(web_url: str) -> None:
    with client(web_url) as c:
        for _ in range(5):
            r = login(c, "reader", "wrong password")
            assert r.status_code == 401 and "unknown user or wrong password" in r.text
        r = login(c, "reader")  # the right password, but locked now
        assert r.status_code == 401 and "locked" in r.text
    with client(web_url, login_attempts=3) as c:
        for _ in range(3):
            assert login(c, "nobody", "x").status_code == 401
        r = login(c, "coord")
        assert r.status_code == 429 and int(r.headers["retry-after"]) > 0
        assert "too many login attempts" in r.text


FORMS = {
    "birth": {"dam": "1098", "sire": "1062", "date": "2026-10-20", "at": "TALLINN", "rearing": "parent",
              "cub_sex_1": "M", "cub_name_1": "n", "cub_local_1": "L1"},
    "transfer": {"studbook_id": "930", "to": "LEIPZIG", "date": "2026-10-25", "from_code": "", "local_id": "x"},
    "death": {"studbook_id": "1026", "date": "2026-10-26", "at": "", "cause": "c"},
    "release": {"studbook_id": "1062", "date": "2026-10-27", "to": "LAZOVSKY", "site": "s"},
    "correction": {"studbook_id": "1286", "sex": "", "birth_date": "", "sire": "", "dam": "",
                   "birth_institution": "", "reason": "r"},
}


def test_injection_strings_in_every_field_are_text_and_escaped(web_url: str) -> None:
    with client(web_url) as c:
        assert login(c, "keeper").status_code == 303
        for kind, fields in FORMS.items():
            for field in fields:
                if field in ("rearing", "sex"):
                    continue
                data = {**fields, field: PAYLOAD}
                r = post_form(c, f"/record/{kind}", data)
                assert r.status_code < 500, (kind, field, r.status_code)
                assert "<script>alert" not in r.text, (kind, field)
        # stored as typed and shown escaped: a cub name, a death cause, a release site
        r = post_form(c, "/record/birth", {**FORMS["birth"], "dam": "1040", "sire": "884", "at": "LEIPZIG", "cub_name_1": PAYLOAD, "cub_local_1": "<b>';--"})
        assert r.status_code == 200, r.text
        cub = re.search(r'class="new-id" href="/animals/(\w+)"', r.text).group(1)  # type: ignore[union-attr]
        page = c.get(f"/animals/{cub}").text
        assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&#39; OR 1=1; DROP TABLE animal;--" in page
        assert "<script>" not in page
        found = c.get("/search", params={"q": "DROP TABLE"}, follow_redirects=True)
        assert cub in found.text and "<script>alert" not in found.text
        api = c.get(f"/api/animals/{cub}", headers=api_token(c, "keeper")).json()
        assert api["row"]["house_name"] == PAYLOAD
    assert record_counts(web_url)["animal"] > 0
