"""Concurrent writers in real parallel processes: no duplicate studbook IDs, no lost events."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date, timedelta

from conftest import ROOT, run_cli

WORKER = r"""
import sys, io, contextlib, json
from studbook.cli import main
url, first_day, count, step = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
from datetime import date, timedelta
d0 = date.fromisoformat(first_day)
out = []
for k in range(count):
    buf, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(buf), contextlib.redirect_stderr(err):
        try:
            main(["--db", url, "--user", "worker", "birth", "--dam", "2", "--sire", "1",
                  "--date", (d0 + timedelta(days=k * step)).isoformat(), "--at", "LEIPZIG",
                  "--cub", "M", "--cub", "F", "--format", "json"])
            code = 0
        except SystemExit as e:
            code = int(e.code or 0)
    out.append({"code": code, "ids": [r["studbook_id"] for r in json.loads(buf.getvalue())] if code == 0 else [],
                "err": err.getvalue()})
print(json.dumps(out))
"""


def _spawn(args: list[str]) -> subprocess.Popen[str]:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.Popen([sys.executable, "-c", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=env)


def test_parallel_births_never_share_an_id(family_url):
    # Every litter of dam 2 at least 100 days from any other (rule B01): worker w takes every 6th slot.
    workers, per_worker = 6, 4
    procs = [
        _spawn([WORKER, family_url, (date(2016, 1, 1) + timedelta(days=100 * w)).isoformat(), str(per_worker),
                str(100 * workers)])
        for w in range(workers)
    ]
    results = []
    for p in procs:
        out, err = p.communicate(timeout=300)
        assert p.returncode == 0, err
        results.extend(json.loads(out))
    assert all(r["code"] == 0 for r in results), [r["err"] for r in results if r["code"]]
    ids = [i for r in results for i in r["ids"]]
    assert len(ids) == len(set(ids)) == workers * per_worker * 2
    assert sorted(map(int, ids)) == list(range(5, 5 + len(ids)))  # no gaps, no duplicates
    animals = json.loads(run_cli(family_url, "animal", "list", "--format", "json").stdout)
    assert len(animals) == 4 + len(ids)
    births = [a for a in animals if a["dam"] == "2"]
    assert len(births) == 2 + len(ids)
    audit = json.loads(run_cli(family_url, "audit", "--limit", "100000", "--format", "json").stdout)
    assert sum(1 for a in audit if a["table"] == "animal" and a["action"] == "insert" and a["user"] == "worker") == len(ids)
    assert sum(1 for a in audit if a["table"] == "event" and a["action"] == "insert" and a["user"] == "worker") == len(ids)
    r = run_cli(family_url, "validate", "--errors-only", "--format", "json")
    assert r.exit_code == 0 and json.loads(r.stdout) == []


def test_parallel_transfers_of_one_animal_one_wins(family_url):
    code = (
        "import sys; from studbook.cli import main; "
        "main(['--db', sys.argv[1], 'transfer', '3', '--from', 'LEIPZIG', '--to', sys.argv[2], '--date', '2018-01-01'])"
    )
    procs = [_spawn([code, family_url, dest]) for dest in ("TALLINN", "MOSCOW") * 3]
    outcomes = []
    for p in procs:
        _out, err = p.communicate(timeout=300)
        outcomes.append((p.returncode, err))
    winners = [o for o in outcomes if o[0] == 0]
    assert len(winners) == 1, outcomes
    for rc, err in outcomes:
        if rc:
            assert rc == 1 and "not at LEIPZIG" in err and "Traceback" not in err
    hist = json.loads(run_cli(family_url, "history", "3", "--format", "json").stdout)
    assert [h["event"] for h in hist] == ["birth", "transfer"]
