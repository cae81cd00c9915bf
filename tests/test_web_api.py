"""The JSON API: its OpenAPI document fuzzed with schemathesis (no server error), and its rules and roles."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from web_support import api_token, client, prepared_book, record_counts, settings_for

pytestmark = pytest.mark.filterwarnings("ignore:Using `httpx`")


@pytest.fixture(scope="module")
def web_url(sample_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with prepared_book(sample_url, tmp_path_factory.mktemp("webapi")) as url:
        yield url


def test_openapi_document_fuzzed_without_server_error(web_url: str) -> None:
    import schemathesis

    from studbook.web.app import create_app

    app = create_app(settings_for(web_url))
    with client(web_url) as c:
        tokens = {name: api_token(c, name) for name in ("keeper", "reg_tallinn")}
    schema = schemathesis.openapi.from_asgi("/api/openapi.json", app, headers=tokens["keeper"])
    errors: list[str] = []
    calls = 0
    for result in schema.get_all_operations():
        op = result.ok()
        if op.label == "DELETE /api/session":  # would end the token the others use; tested below
            continue
        for who, n in (("keeper", 6), ("reg_tallinn", 2)):
            calls += fuzz(op, tokens[who], n, errors)
    assert calls >= 60
    assert not errors, errors


def fuzz(op: Any, headers: dict[str, str], n: int, errors: list[str]) -> int:
    """Up to *n* generated calls of *op*; every 5xx is added to *errors*. Returns the number of calls."""
    from hypothesis import HealthCheck, given, settings

    done = []

    @settings(max_examples=n, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(case=op.as_strategy())
    def call(case: Any) -> None:
        r = case.call(headers=headers)
        done.append(r.status_code)
        if r.status_code >= 500:
            errors.append(f"{op.label}: {r.status_code} {r.text[:200]}")

    call()
    return len(done)


def test_api_needs_login_and_documents_its_auth(web_url: str) -> None:
    with client(web_url) as c:
        assert c.get("/api/openapi.json").status_code == 401
        h = api_token(c, "reader")
        doc = c.get("/api/openapi.json", headers=h).json()
        assert doc["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
        assert "/api/births" in doc["paths"] and "/api/pending/{update_id}/{decision}" in doc["paths"]
        assert c.get("/api/me", headers=h).json() == {"user": "reader", "role": "reader", "institutions": []}
        assert c.delete("/api/session", headers=h).status_code == 200
        assert c.get("/api/me", headers=h).status_code == 401


def test_api_rules_roles_and_pending_updates(web_url: str) -> None:
    with client(web_url) as c:
        reg, keeper, reader = (api_token(c, n) for n in ("reg_tallinn", "keeper", "reader"))
        before = record_counts(web_url)
        # the CLI's reason and hint; nothing written
        r = c.post("/api/deaths", headers=reg, json={"studbook_id": "1286", "date": "2026-13-45"})
        assert r.status_code == 422
        assert r.json()["error"].startswith("animal 1286: death date '2026-13-45' is not a real calendar date")
        assert r.json()["hint"]
        r = c.post("/api/deaths", headers=reader, json={"studbook_id": "1286", "date": "2026-10-01"})
        assert r.status_code == 403 and "reader" in r.json()["error"]
        assert record_counts(web_url) == before
        # TALLINN's registrar about a LEIPZIG animal: a pending update, not a change
        r = c.post("/api/deaths", headers=reg, json={"studbook_id": "1148", "date": "2026-10-02", "cause": "api"})
        assert r.status_code == 202, r.text
        pid = r.json()["pending_update"]
        assert c.get("/api/animals/1148", headers=reg).json()["row"]["status"] == "captive"
        assert c.get("/api/pending", headers=reg).status_code == 403
        assert any(p["id"] == pid for p in c.get("/api/pending", headers=keeper).json())
        r = c.post(f"/api/pending/{pid}/approve", headers=keeper, json={})
        assert r.status_code == 200, r.text
        assert c.get("/api/animals/1148", headers=reg).json()["row"]["status"] == "dead"
        # an own animal: applied at once
        r = c.post("/api/transfers", headers=reg, json={"studbook_id": "930", "to": "LEIPZIG", "date": "2026-10-03"})
        assert r.status_code == 200 and r.json()["institution"] == "LEIPZIG", r.text
