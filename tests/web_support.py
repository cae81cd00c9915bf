"""The web application under test: a sample book with users, served by uvicorn on a free port.

Real parts only: the sample studbook (SQLite file or PostgreSQL database), the users
service, uvicorn in a thread, and Debian's chromium through playwright (``browser.py``).
"""

from __future__ import annotations

import contextlib
import re
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

PASSWORD = "correct horse battery staple"
SECRET = "test-secret-key-0123456789abcdef"

# Users made in every web test book: name -> (role, institutions).
USERS = {
    "keeper": ("keeper", ()),
    "coord": ("coordinator", ()),
    "reg_tallinn": ("registrar", ("TALLINN",)),
    "reg_leipzig": ("registrar", ("LEIPZIG",)),
    "reader": ("reader", ()),
    "gone": ("registrar", ("TALLINN",)),  # disabled after creation
}


def add_users(url: str) -> None:
    """The users of :data:`USERS` with :data:`PASSWORD` (the first is the keeper); ``gone`` is then disabled."""
    from studbook.access import local_keeper
    from studbook.db import session_scope
    from studbook.services import users

    with session_scope(url, write=True, user="setup", actor=local_keeper("setup")) as session:
        for name, (role, places) in USERS.items():
            users.add_user(session, name, role=role, institutions=list(places), password=PASSWORD)
        users.disable_user(session, "gone")


def settings_for(url: str, **kw: Any) -> Any:
    from studbook.web.settings import WebSettings

    return WebSettings(db_url=url, secret_key=SECRET, **{"login_attempts": 1000, **kw})


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Served:
    base: str
    url: str
    app: Any


@contextlib.contextmanager
def serve(url: str) -> Iterator[Served]:
    """``create_app`` on *url* under uvicorn in a thread, on a free port of 127.0.0.1."""
    import uvicorn

    from studbook.web.app import create_app

    app = create_app(settings_for(url))
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    try:
        yield Served(f"http://127.0.0.1:{port}", url, app)
    finally:
        server.should_exit = True
        thread.join(10)


def client(url: str, **kw: Any) -> Any:
    """A starlette TestClient (httpx) on the app of *url*: no server, same ASGI app."""
    from fastapi.testclient import TestClient

    from studbook.web.app import create_app

    return TestClient(create_app(settings_for(url, **kw)), base_url="http://127.0.0.1", follow_redirects=False)


CSRF_RE = re.compile(r'name="csrf_token" value="([0-9a-f]+)"')


def csrf_of(html: str) -> str:
    m = CSRF_RE.search(html)
    assert m, "no CSRF token on the page"
    return m.group(1)


def login(c: Any, name: str, password: str = PASSWORD) -> Any:
    """Log *c* in through the login form; returns the response of the POST."""
    page = c.get("/login")
    return c.post("/login", data={"name": name, "password": password, "csrf_token": csrf_of(page.text), "next": "/"})


def post_form(c: Any, path: str, data: dict[str, str], *, page: str | None = None) -> Any:
    """POST a form with the CSRF token of the page that shows it (*page*, default *path*)."""
    token = csrf_of(c.get(page or path).text)
    return c.post(path, data={**data, "csrf_token": token})


def api_token(c: Any, name: str) -> dict[str, str]:
    r = c.post("/api/session", json={"name": name, "password": PASSWORD})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['token']}"}


@contextlib.contextmanager
def prepared_book(sample_url: str, folder: Any) -> Iterator[str]:
    """A writable copy of the sample book with the users of :data:`USERS`."""
    from conftest import copy_database

    with copy_database(sample_url, folder) as url:
        add_users(url)
        yield url


def route_table(app: Any) -> list[tuple[str, str]]:
    """Every (method, path) the application answers (FastAPI's flattened routes)."""
    from fastapi.routing import iter_route_contexts

    out = []
    for rc in iter_route_contexts(app.routes):
        for m in sorted(getattr(rc, "methods", None) or ()):
            if m != "HEAD":
                out.append((m, rc.path))
    return out


def record_counts(url: str) -> dict[str, int]:
    """Row counts of the studbook's records (logins and the audit log left out: logging in writes them)."""
    from conftest import table_counts

    return {k: v for k, v in table_counts(url).items() if k not in ("audit_log", "login_session", "app_user")}
