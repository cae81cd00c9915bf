"""A smaller version of benchmarks/load.py in CI: 8 writer processes x 10 births at once, CLI and API, both databases.

Asserted: events expected = present, 0 duplicate studbook IDs, 0 lost updates (two processes transferring
one animal from the same zoo at the same moment: exactly one wins), audit rows = writes, and every error is
a busy database (exit 4 / ConflictError) that wrote nothing.
"""

from __future__ import annotations

import sys
import threading

from conftest import ROOT

sys.path.insert(0, str(ROOT / "benchmarks"))

import load  # noqa: E402

WORKERS, EVENTS = 8, 10


def _check(rep, *, busy_allowed=False):
    text = "\n".join(rep.lines())
    assert rep.expected == rep.present, text
    assert rep.duplicate_ids == 0, text
    assert rep.contests == rep.workers // 2 and rep.lost_updates == 0, text
    assert rep.audit_rows == rep.writes, text
    for kind in rep.errors:
        assert kind.startswith("exit 4") or kind.startswith("contest exit 1") or (
            busy_allowed and kind.startswith("contest exit 4")), text
        assert "unexpected" not in kind and "exit 99" not in kind, text
    return text


def test_load_holds(empty_url):
    """Half the workers write through the CLI (`studbook.cli.main`), half through `studbook.api`."""
    rep = load.run_load(empty_url, "db", "mixed", WORKERS, EVENTS)
    _check(rep)
    assert rep.expected == WORKERS * EVENTS and not any(k.startswith("exit") for k in rep.errors), rep.lines()
    assert rep.contest_outcomes == {"exit 0": WORKERS // 2, "exit 1": WORKERS // 2}, rep.lines()


def test_load_with_a_stuck_writer_is_exit_4_and_nothing_half_written(empty_url, monkeypatch):
    """A writer holds the lock longer than the lock timeout in the middle of the load: the writers that
    gave up say so with exit 4, the others go on; the book holds exactly the births that reported success."""
    from test_concurrency import hold_write_lock

    monkeypatch.setenv("STUDBOOK_LOCK_TIMEOUT", "0.5")
    stop = threading.Event()
    held = threading.Event()

    def stuck():
        with hold_write_lock(empty_url):
            held.set()  # the writers start only once the lock is held: no race with a fast machine
            stop.wait(2.0)

    t = threading.Thread(target=stuck)

    def start_stuck_writer() -> None:
        t.start()
        held.wait(10.0)

    try:
        rep = load.run_load(empty_url, "db", "mixed", 4, 8, started=start_stuck_writer)
    finally:
        stop.set()
        if t.is_alive():
            t.join()
    _check(rep, busy_allowed=True)
    assert any(k.startswith("exit 4") for k in rep.errors), rep.lines()
