"""``import sparks``, rule by rule on small hand-made tables, and hostile files.

Each mapping rule of docs/sparks.md has a table here whose expected book was worked out
by hand. Hostile files are refused with one clear line, exit 1, no traceback, and no
database left behind.
"""

from __future__ import annotations

import csv
import shutil
import struct
from pathlib import Path
from typing import Any

import pytest
from conftest import jout, run_cli
from pedigree_gallery import shared_dir
from test_export import canonical_dump

SRC = shared_dir() / "reference" / "studbooks" / "california_condor"
EXCHANGE_HEADER = ["STUD_ID", "DAM_ID", "SIRE_ID", "BDATE", "BIRTH_EST", "SEX", "DEAD", "DEATHDATE", "DEATH_EST",
                   "LOCATION", "COMMENT"]
MOVES_HEADER = ["STUD_ID", "TRAN_CODE", "PHYSICAL", "OWNER", "LOCATION", "LOCAL_ID", "TRAN_DATE", "TDATE_EST",
                "REM_DATE", "RDATE_EST", "INSTCODE"]


def write_csv(path: Path, header: list[str], rows: list[list[str]], encoding: str = "utf-8") -> Path:
    with path.open("w", newline="", encoding=encoding) as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)
    return path


def small_book(tmp: Path, exchange: list[list[str]] | None = None, moves: list[list[str]] | None = None,
               extra_exchange: list[str] = ()) -> tuple[Path, Path]:  # type: ignore[assignment]
    """Two founders at a zoo (WILD parents), their captive-born son, and a wild-caught female."""
    ex = exchange if exchange is not None else [
        ["1", "WILD", "WILD", "2000-03-01", "", "1", "F", "", "", "ZOOA", "Old male"],
        ["2", "WILD", "WILD", "2001-06-01", "M", "0", "F", "", "", "ZOOA", ""],
        ["3", "2", "1", "2010-05-04", "", "1", "F", "", "", "ZOOB", ""],
        ["4", "UNK", "UNK", "2005-01-01", "Y", "0", "F", "", "", "ZOOA", ""],
    ]
    mv = moves if moves is not None else [
        ["1", "AA", "T", "T", "ZOOA", "A1", "2000-03-01", "", "", "", ""],
        ["2", "AA", "T", "T", "ZOOA", "A2", "2001-06-01", "M", "", "", ""],
        ["3", "AA", "T", "T", "ZOOA", "NONE", "2010-05-04", "", "", "", ""],
        ["3", "AS", "T", "T", "ZOOB", "B3", "2012-02-10", "D", "", "", ""],
        ["4", "AB", "T", "T", "FOREST", "NONE", "2009-07-01", "", "", "", ""],
        ["4", "AS", "T", "T", "ZOOA", "A4", "2009-07-02", "", "", "", ""],
    ]
    header = EXCHANGE_HEADER + list(extra_exchange)
    return (write_csv(tmp / "exchange.csv", header, ex), write_csv(tmp / "moves.csv", MOVES_HEADER, mv))


def load(tmp: Path, ex: Path, mv: Path, *extra: str) -> tuple[str, Any]:
    url = "sqlite:///" + str(tmp / "book.db")
    r = run_cli(url, "import", "sparks", str(ex), str(mv), *extra)
    assert r.exit_code == 0, r.stderr
    return url, r


def rows(url: str, table: str) -> list[dict[str, Any]]:
    return [dict(r) for r in canonical_dump(url)[table]]


def test_small_book_mapping(tmp_path: Path) -> None:
    url, r = load(tmp_path, *small_book(tmp_path))
    animals = {a["studbook_id"]: a for a in rows(url, "animal")}
    # Sex 1 male, 0 female; BIRTH_EST: blank exact, M month known, Y year known; WILD/UNK parents.
    assert (animals["1"]["sex"], animals["2"]["sex"], animals["4"]["sex"]) == ("M", "F", "F")
    assert jout(url, "animal", "show", "2")["birth"] == "2001-06"
    assert jout(url, "animal", "show", "4")["birth"] == "2005"
    assert (animals["1"]["sire_kind"], animals["4"]["dam_kind"]) == ("WILD", "UNK")
    assert animals["1"]["notes"] == "Old male"
    # TDATE_EST D: an estimated day. AS: a transfer from the previous location.
    events = jout(url, "event", "list", "3")
    assert [(e["event"], e["institution"], e["from_institution"], e["date"]) for e in events] == [
        ("birth", "ZOOA", None, "2010-05-04"), ("transfer", "ZOOB", "ZOOA", "~2012-02-10")]
    # AB: a capture from the wild; FOREST only ever receives captures: a wild area; birth type wild.
    kinds = {i["code"]: i["kind"] for i in jout(url, "institution", "list")}
    assert kinds == {"FOREST": "wild-area", "ZOOA": "breeding-centre", "ZOOB": "zoo"}
    assert animals["4"]["birth_type"] == "wild"
    # LOCAL_ID: NONE is none; others per holding.
    assert jout(url, "animal", "show", "3")["local_ids"] == ["ZOOB:B3"]
    assert "Kept as notes: move codes none; fields none." in r.stderr


def test_unknown_codes_and_fields_are_kept_as_notes(tmp_path: Path) -> None:
    ex, mv = small_book(tmp_path, extra_exchange=["TATTOO"])
    # Add a TATTOO column value to bird 1 and a move with a code the book has no event for.
    exchange = list(csv.reader(ex.open(encoding="utf-8")))[1:]
    exchange = [r + (["T-77"] if r[0] == "1" else [""]) for r in exchange]
    write_csv(ex, EXCHANGE_HEADER + ["TATTOO"], exchange)
    moves = list(csv.reader(mv.open(encoding="utf-8")))[1:]
    moves.insert(1, ["1", "ZZ", "T", "T", "ZOOA", "", "2003-04-05", "", "", "", "VET"])
    write_csv(mv, MOVES_HEADER, moves)
    url, r = load(tmp_path, ex, mv)
    assert "Kept as notes: move codes ZZ 1; fields INSTCODE 1, TATTOO 1." in r.stderr
    animals = {a["studbook_id"]: a for a in rows(url, "animal")}
    assert animals["1"]["notes"] == "Old male; SPARKS TATTOO T-77"
    birth_1 = [e for e in rows(url, "event") if e["animal_id"] == "1"]
    assert birth_1[0]["notes"] == "SPARKS move ZZ at ZOOA on 2003-04-05; SPARKS INSTCODE VET"


def test_release_site_death_ltf_and_dead_flag(tmp_path: Path) -> None:
    ex, mv = small_book(tmp_path)
    exchange = list(csv.reader(ex.open(encoding="utf-8")))[1:]
    exchange[2][6] = "T"  # bird 3: DEAD=T, no death move, DEATHDATE given
    exchange[2][7] = "2016-08-01"
    exchange[2][8] = "M"
    exchange[0][6] = "T"  # bird 1: DEAD=T, and a BA move
    write_csv(ex, EXCHANGE_HEADER, exchange)
    moves = list(csv.reader(mv.open(encoding="utf-8")))[1:]
    moves += [["3", "BI", "T", "T", "HILLS", "NONE", "2015-04-01", "", "", "", ""],
              ["1", "BA", "T", "T", "ZOOA", "", "2014-02-02", "", "", "", ""],
              ["2", "LTF", "T", "T", "ZOOA", "", "2013-01-01", "Y", "", "", ""]]
    write_csv(mv, MOVES_HEADER, moves)
    url, r = load(tmp_path, ex, mv)
    kinds = {i["code"]: i["kind"] for i in jout(url, "institution", "list")}
    assert kinds["HILLS"] == "release-site"  # only ever receives releases
    assert "(1 more deaths from DEAD=T without a death move)" in r.stderr
    ev3 = jout(url, "event", "list", "3")
    assert [(e["event"], e["institution"], e["date"]) for e in ev3][-2:] == [
        ("release", "HILLS", "2015-04-01"), ("death", "HILLS", "2016-08")]
    assert [e["event"] for e in jout(url, "event", "list", "2")][-1] == "ltf"
    assert jout(url, "animal", "show", "2")["status"] == "ltf"
    assert jout(url, "animal", "show", "1")["status"] == "dead"


def test_mult_parents_from_a_side_file(tmp_path: Path) -> None:
    ex, mv = small_book(tmp_path)
    exchange = list(csv.reader(ex.open(encoding="utf-8")))[1:]
    exchange[2][2] = "MULT1"  # bird 3: sire one of 1 and 4? 4 is female: use 1 and a new male 5
    exchange.append(["5", "WILD", "WILD", "1999-01-01", "", "1", "F", "", "", "ZOOA", ""])
    write_csv(ex, EXCHANGE_HEADER, exchange)
    moves = list(csv.reader(mv.open(encoding="utf-8")))[1:] + [["5", "AB", "T", "T", "FOREST", "", "2000-01-01",
                                                               "", "", "", ""],
                                                              ["5", "AS", "T", "T", "ZOOA", "", "2000-02-01",
                                                               "", "", "", ""]]
    write_csv(mv, MOVES_HEADER, moves)
    mult = write_csv(tmp_path / "mult.csv", ["studbook_id", "role", "candidate", "probability"],
                     [["3", "sire", "1", "0.75"], ["3", "sire", "5", "0.25"]])
    url, r = load(tmp_path, ex, mv, "--mult", str(mult))
    assert "MULT slots: 1" in r.stderr
    cands = sorted((c["candidate_id"], c["probability"]) for c in rows(url, "parent_candidate"))
    assert cands == [("1", 0.75), ("5", 0.25)]


def test_a_mult_parent_without_candidates_is_a_problem(tmp_path: Path) -> None:
    ex, mv = small_book(tmp_path)
    exchange = list(csv.reader(ex.open(encoding="utf-8")))[1:]
    exchange[2][2] = "MULT"
    write_csv(ex, EXCHANGE_HEADER, exchange)
    r = run_cli("sqlite:///" + str(tmp_path / "b.db"), "import", "sparks", str(ex), str(mv))
    assert r.exit_code == 1 and "nothing was loaded" in r.stderr
    assert not (tmp_path / "b.db").exists()


def test_leading_zeros_are_kept(tmp_path: Path) -> None:
    ex, mv = small_book(tmp_path)
    exchange = list(csv.reader(ex.open(encoding="utf-8")))[1:]
    exchange[3][0] = "004"
    write_csv(ex, EXCHANGE_HEADER, exchange)
    moves = [m if m[0] != "4" else ["004", *m[1:]] for m in list(csv.reader(mv.open(encoding="utf-8")))[1:]]
    write_csv(mv, MOVES_HEADER, moves)
    url, _ = load(tmp_path, ex, mv)
    assert sorted(a["studbook_id"] for a in rows(url, "animal")) == ["004", "1", "2", "3"]


def test_a_bad_cell_is_a_problem_of_its_record_not_a_refusal_of_the_file(tmp_path: Path) -> None:
    ex, mv = small_book(tmp_path)
    exchange = list(csv.reader(ex.open(encoding="utf-8")))[1:]
    exchange[1][3] = "2001-13-45"
    write_csv(ex, EXCHANGE_HEADER, exchange)
    r = run_cli("sqlite:///" + str(tmp_path / "b.db"), "import", "sparks", str(ex), str(mv), "--allow-problems")
    assert r.exit_code == 0, r.stderr
    problems = jout("sqlite:///" + str(tmp_path / "b.db"), "problems", "list", "--open")
    # Bird 2 cannot be loaded without a birth date; its son and its move say so, naming the SPARKS records.
    assert [(p["animal"], p["source"]) for p in problems] == [
        ("2", "exchange.csv record 2"), ("3", "exchange.csv record 3"), ("2", "moves.csv record 2")]
    assert "birth date '2001-13-45' is not a real calendar date" in problems[0]["message"]
    assert "dam 2 was not loaded: its row (exchange.csv record 2) could not be read" in problems[1]["message"]
    assert "2 records not loaded" in r.stderr


# -- hostile files ------------------------------------------------------------------------------
def refused(tmp_path: Path, ex: Path, mv: Path, *fragments: str) -> str:
    db = tmp_path / "hostile.db"
    r = run_cli(str(db), "import", "sparks", str(ex), str(mv), "--allow-problems")
    assert r.exit_code == 1, r.stderr
    assert r.stderr.startswith("Error: ") and "Traceback" not in r.stderr + r.stdout
    first = r.stderr.splitlines()[0]
    for frag in fragments:
        assert frag in first, (frag, first)
    assert "nothing was imported" in first and "\nHint: " in r.stderr
    assert not db.exists(), "a refused import left a database behind"
    return first


def test_truncated_dbf_is_refused(tmp_path: Path) -> None:
    data = (SRC / "moves.dbf").read_bytes()
    (tmp_path / "moves.dbf").write_bytes(data[: len(data) // 2])
    refused(tmp_path, SRC / "exchange.dbf", tmp_path / "moves.dbf", "moves.dbf", "truncated",
            "announces 4076 records")


def test_dbf_with_a_wrong_header_length_is_refused(tmp_path: Path) -> None:
    data = bytearray((SRC / "exchange.dbf").read_bytes())
    struct.pack_into("<H", data, 8, struct.unpack_from("<H", data, 8)[0] + 32)
    (tmp_path / "exchange.dbf").write_bytes(bytes(data))
    refused(tmp_path, tmp_path / "exchange.dbf", SRC / "moves.dbf", "exchange.dbf", "wrong header length")


def test_dbf_with_more_data_than_its_header_is_refused(tmp_path: Path) -> None:
    shutil.copy(SRC / "moves.dbf", tmp_path / "moves.dbf")
    with (tmp_path / "moves.dbf").open("ab") as fh:
        fh.write(b" " * 53 * 3)
    refused(tmp_path, SRC / "exchange.dbf", tmp_path / "moves.dbf", "record count that disagrees with the header")


def test_not_a_dbf_is_refused(tmp_path: Path) -> None:
    (tmp_path / "exchange.dbf").write_text("STUD_ID,DAM_ID\n1,2\n")
    refused(tmp_path, tmp_path / "exchange.dbf", SRC / "moves.dbf", "not a dBase")


def test_utf16_csv_is_refused(tmp_path: Path) -> None:
    ex, mv = small_book(tmp_path)
    (tmp_path / "ex16.csv").write_bytes(ex.read_text(encoding="utf-8").encode("utf-16"))
    refused(tmp_path, tmp_path / "ex16.csv", mv, "ex16.csv", "UTF-16")


def test_cp1252_csv_is_refused(tmp_path: Path) -> None:
    ex, mv = small_book(tmp_path)
    exchange = list(csv.reader(ex.open(encoding="utf-8")))[1:]
    exchange[0][10] = "Zoológico de Chapultepec"
    write_csv(ex, EXCHANGE_HEADER, exchange, encoding="cp1252")
    refused(tmp_path, ex, mv, "exchange.csv", "not UTF-8", "cp1252")


def test_moves_of_animals_not_in_the_exchange_are_refused(tmp_path: Path) -> None:
    ex, mv = small_book(tmp_path)
    moves = list(csv.reader(mv.open(encoding="utf-8")))[1:] + [["99", "AA", "T", "T", "ZOOA", "", "2011-01-01",
                                                               "", "", "", ""]]
    write_csv(mv, MOVES_HEADER, moves)
    refused(tmp_path, ex, mv, "not in the exchange table", "99", "moves record 7")


def test_files_in_the_wrong_order_are_refused(tmp_path: Path) -> None:
    ex, mv = small_book(tmp_path)
    refused(tmp_path, mv, ex, "moves.csv", "not a SPARKS exchange table", "no column DAM_ID")


def test_a_row_with_too_many_cells_is_refused(tmp_path: Path) -> None:
    ex, mv = small_book(tmp_path)
    with mv.open("a", encoding="utf-8") as fh:
        fh.write("4,AS,T,T,ZOOB,NONE,2013-01-01,,,,,EXTRA\n")
    refused(tmp_path, ex, mv, "record 7", "12 cells", "11 columns")


@pytest.mark.parametrize("suffix", [".dbf", ".csv"])
def test_a_200_mb_file_is_refused_unread(tmp_path: Path, suffix: str) -> None:
    """A 200 MB table is not a studbook (the largest are a few MB): refused from its size, in bounded memory."""
    import subprocess
    import sys

    big = tmp_path / f"moves{suffix}"
    with big.open("wb") as fh:
        fh.write((SRC / "moves.dbf").read_bytes()[:385] if suffix == ".dbf" else b",".join(
            h.encode() for h in MOVES_HEADER) + b"\n")
        fh.truncate(200 * 1024 * 1024)
    db = tmp_path / "big.db"
    # VmHWM (peak resident memory) of the child's own address space: ru_maxrss would carry the
    # parent's (pytest's) peak across exec.
    script = ("import sys\nfrom studbook.cli import main\n"
              "def peak():\n    return next(l.split()[1] for l in open('/proc/self/status') if l.startswith('VmHWM'))\n"
              "try:\n    main(sys.argv[1:])\nexcept SystemExit:\n    print(peak(), file=sys.stderr); raise\n")
    r = subprocess.run([sys.executable, "-c", script, "--db", str(db), "import", "sparks", str(SRC / "exchange.dbf"),
                        str(big)], capture_output=True, text=True, timeout=120)
    assert r.returncode == 1, r.stderr
    first = r.stderr.splitlines()[0]
    assert first.startswith("Error: ") and "200 MB is larger than any studbook table" in first
    peak_kb = int(r.stderr.splitlines()[-1])
    assert peak_kb < 200 * 1024, f"peak memory {peak_kb} kB: the file was read"
    assert not db.exists()
