"""Tests for studbook.io.pedigree_csv: reference pedigrees, hostile files, repair mode."""

from __future__ import annotations

import csv
import dataclasses
import io
import os
import re
import subprocess
import sys
from pathlib import Path
from random import Random

import networkx as nx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from studbook.errors import ImportFormatError
from studbook.io.pedigree_csv import (
    RESERVED_IDS,
    PedigreeFile,
    PedigreeRow,
    parse_pedigree_text,
    read_pedigree_csv,
)

SHARED = Path(os.environ.get("STUDBOOK_SHARED_DIR") or Path(__file__).resolve().parents[2] / "shared")
PEDIGREES = SHARED / "reference" / "pedigrees"
DATA = Path(__file__).resolve().parent / "data" / "pedigree_csv"
ERRORS_FILE = "optisel_hinterwald_errors.csv"
LINE = re.compile(r"^line \d+: ")

CLEAN_FILES = sorted(p.name for p in PEDIGREES.glob("*.csv") if p.name != ERRORS_FILE) if PEDIGREES.is_dir() else []


def problems_of(text: str, **kw: object) -> list[str]:
    with pytest.raises(ImportFormatError) as info:
        parse_pedigree_text(text, **kw)  # type: ignore[arg-type]
    assert all(LINE.match(p) for p in info.value.problems), info.value.problems
    return info.value.problems


def by_id(pf: PedigreeFile) -> dict[str, PedigreeRow]:
    return {r.id: r for r in pf.rows}


def raw_rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def assert_consistent(pf: PedigreeFile) -> None:
    """Independent checks: unique ids, every parent has a row, parent sexes, no loop."""
    ids = [r.id for r in pf.rows]
    assert len(ids) == len(set(ids))
    rows = by_id(pf)
    sires = {r.sire for r in pf.rows if r.sire is not None}
    dams = {r.dam for r in pf.rows if r.dam is not None}
    assert sires | dams <= rows.keys()
    assert not sires & dams
    assert all(rows[s].sex != "F" for s in sires) and all(rows[d].sex != "M" for d in dams)
    assert all(r.id not in (r.sire, r.dam) for r in pf.rows)
    graph = nx.DiGraph()
    graph.add_nodes_from(ids)
    graph.add_edges_from((p, r.id) for r in pf.rows for p in (r.sire, r.dam) if p is not None)
    assert nx.is_directed_acyclic_graph(graph)
    for r in pf.rows:  # WILD flags only on empty slots
        assert not (r.sire_wild and r.sire is not None) and not (r.dam_wild and r.dam is not None)


# ---------------------------------------------------------------- reference pedigrees


@pytest.mark.parametrize("name", CLEAN_FILES)
def test_reference_pedigree_parses(name: str) -> None:
    path = PEDIGREES / name
    raw = raw_rows(path)
    pf = read_pedigree_csv(path)
    assert pf.columns == ("id", "sire", "dam", "sex", "birth_year")
    assert pf.repairs == ()
    assert len(pf.rows) == len(raw) + len(pf.added_parents)
    assert_consistent(pf)
    for row, rec in zip(pf.rows, raw):
        assert row.id == rec["id"] and row.sex == rec["sex"]
        assert (row.sire or "", row.dam or "") == (rec["sire"], rec["dam"])
        assert row.birth_year == (int(rec["birth_year"]) if rec["birth_year"] else None)
        founder = not rec["sire"] and not rec["dam"]
        assert (row.sire_wild, row.dam_wild) == (founder, founder)  # founder rule; one blank = UNK


def test_reference_files_are_all_covered() -> None:
    assert len(CLEAN_FILES) == 21  # 22 files, one with deliberate errors


def test_optisel_errors_file_is_refused_with_every_problem() -> None:
    with pytest.raises(ImportFormatError) as info:
        read_pedigree_csv(PEDIGREES / ERRORS_FILE)
    err = info.value
    assert err.reason.startswith(f"{PEDIGREES / ERRORS_FILE} has {len(err.problems)} problem(s)")
    assert "--repair" in (err.hint or "")
    assert len(err.problems) >= 20
    assert all(re.match(r"^line \d+: animal \d+: ", p) for p in err.problems), err.problems
    joined = "\n".join(err.problems)
    assert "line 1150: animal 276000811476506: is its own dam" in joined
    assert "sire 276000810087663 is female (line 1678)" in joined
    loop = next(p for p in err.problems if "own ancestor" in p)
    for animal in ("276000802918754", "276000802938197", "276000890878480", "276000802875148"):
        assert animal in loop


def test_optisel_errors_file_repaired() -> None:
    path = PEDIGREES / ERRORS_FILE
    pf = read_pedigree_csv(path, repair=True)
    assert_consistent(pf)
    raw = raw_rows(path)
    assert len(pf.rows) == len(raw) + len(pf.added_parents)
    assert len(pf.added_parents) == 2
    # every change against the file is listed at its line, and every repair changed something
    repaired_lines = {a.line for a in pf.repairs}
    changed_lines = set()
    for line, (row, rec) in enumerate(zip(pf.rows, raw), start=2):
        assert row.line == line and row.id == rec["id"]
        if (row.sire or "", row.dam or "") != (rec["sire"], rec["dam"]):
            changed_lines.add(line)
    assert changed_lines == repaired_lines
    assert len(pf.repairs) == 21  # 19 female sire, 1 own dam, 1 loop
    assert sum("broke loop" in a.action for a in pf.repairs) == 1


# ---------------------------------------------------------------- fixture files


def test_kinship2_style_tab_aliases_numeric_sex_dates_alive() -> None:
    pf = read_pedigree_csv(DATA / "kinship2_style.tsv")
    assert pf.columns[0] == "famid"
    rows = by_id(pf)
    assert [rows[i].sex for i in ("101", "102", "201", "202", "203", "301")] == ["M", "F", "M", "F", "U", "U"]
    assert (rows["102"].birth_date, rows["102"].birth_year, rows["102"].alive) == ("~1991-06", 1991, False)
    assert (rows["201"].birth_date, rows["201"].alive) == ("2001-03-15", True)
    assert (rows["202"].birth_date, rows["202"].alive) == (None, True)
    assert rows["203"].alive is None
    assert rows["101"].sire_wild and rows["101"].dam_wild  # "0","0" = founder
    assert pf.added_parents == ("999",)
    assert rows["999"] == PedigreeRow(7, "999", None, None, True, True, "F")


def test_excel_bom_semicolon_crlf_quoted() -> None:
    pf = read_pedigree_csv(DATA / "excel_bom_semicolon.csv")
    assert pf.columns == ("Studbook_ID", "Father", "Mother", "Sex", "Birth_Year", "Notes")
    assert [(r.id, r.sire, r.dam, r.birth_year) for r in pf.rows] == [
        ("Éclair", None, None, 2015), ("Ödön", None, None, 2014), ("Zoë", "Ödön", "Éclair", 2019)]


@pytest.mark.parametrize("name", ["utf16.csv", "utf16_no_bom.csv", "latin1.csv", "nul_byte.csv"])
def test_bad_encodings_refused_with_one_problem(name: str) -> None:
    with pytest.raises(ImportFormatError) as info:
        read_pedigree_csv(DATA / name, repair=True)
    assert len(info.value.problems) == 1 and LINE.match(info.value.problems[0])
    assert "UTF-8" in (info.value.hint or "")


def test_small_errors_golden() -> None:
    with pytest.raises(ImportFormatError) as info:
        read_pedigree_csv(DATA / "small_errors.csv")
    assert info.value.problems == [
        "line 4: animal C: invalid sex 'X' (use M, F or U, or 1, 2, 0; --sex-codes kinship2|sparks|text says which "
        "numbers mean what)",
        "line 5: animal D: invalid birth_year '20x5' (four digits)",
        "line 5: animal D: dam A is male (line 2)",
        "line 5: animal D: sire B is female (line 3)",
        "line 6: animal E: is its own sire",
        "line 7: animal F: has A as both sire and dam",
        "line 8: animal C: duplicate id (first at line 4)",
        "line 10: animal H: is its own ancestor: H, which is a child of G, which is a child of H",
        "line 11: animal Q: used as sire (line 11, 2x) and as dam (line 12, 1x): sex conflict",
        "line 14: empty id",
    ]


def test_small_errors_repaired() -> None:
    pf = read_pedigree_csv(DATA / "small_errors.csv", repair=True)
    assert_consistent(pf)
    assert [(a.line, a.id, a.action) for a in pf.repairs] == [
        (4, "C", "invalid sex 'X' set to U"),
        (5, "D", "cleared birth_year '20x5'"),
        (5, "D", "cleared dam A (male, line 2)"),
        (5, "D", "cleared sire B (female, line 3)"),
        (6, "E", "cleared sire (animal is its own sire)"),
        (7, "F", "cleared sire and dam A (same animal as both parents)"),
        (8, "C", "dropped duplicate row (first at line 4)"),
        (10, "H", "broke loop: cleared parents of H (sire G, dam B); it is its own ancestor: "
                  "H, which is a child of G, which is a child of H"),
        (12, "J", "cleared dam Q (sex conflict: also used as sire)"),
        (14, "", "dropped row (empty id)"),
    ]
    rows = by_id(pf)
    assert rows["C"].line == 4 and rows["C"].birth_year == 2005  # first row kept
    assert (rows["H"].sire, rows["H"].dam, rows["H"].sire_wild) == (None, None, False)  # cleared = unknown
    assert (rows["G"].sire, rows["E"].dam) == ("H", "B")
    assert pf.added_parents == ("Q",) and rows["Q"].sex == "M"


# ---------------------------------------------------------------- handmade cases

HEAD = "id,sire,dam,sex\n"


def test_aliases_and_numeric_sex_codes() -> None:
    pf = parse_pedigree_text("EGO_ID,FID,MID,Sex\n1,0,0,1\n2,0,0,2\n3,1,2,0\n4,1,2,3\n5,1,2,female\n")
    assert [r.sex for r in pf.rows] == ["M", "F", "U", "U", "F"]
    assert [(r.sire, r.dam) for r in pf.rows[2:]] == [("1", "2")] * 3
    pf = parse_pedigree_text("studbook_id,father,mother,sex\nA,,,m\nB,,,F\nC,A,B,Unknown\n")
    assert by_id(pf)["C"].sex == "U"
    pf = parse_pedigree_text("id\tdadid\tmomid\tsex\textra\nA\tNA\tNA\tM\tx\n")
    assert pf.columns == ("id", "dadid", "momid", "sex", "extra") and pf.rows[0].sire_wild


def test_semicolon_and_bom_text() -> None:
    pf = parse_pedigree_text("\ufeffid;sire;dam;sex\nA;;;M\nB;;;F\nC;A;B;F\n")
    assert pf.columns == ("id", "sire", "dam", "sex")
    assert by_id(pf)["C"].dam == "B"


def test_utf16_and_nul(tmp_path: Path) -> None:
    path = tmp_path / "u16.csv"
    path.write_text(HEAD + "A,,,M\n", encoding="utf-16")
    with pytest.raises(ImportFormatError, match="problem"):
        read_pedigree_csv(path)
    problems = problems_of(HEAD + "A,,,M\nB\x00,,,F\n")
    assert problems == ["line 3: contains a NUL character; stopped reading"]


def test_size_cap(tmp_path: Path) -> None:
    path = tmp_path / "big.csv"
    path.write_text(HEAD + "A,,,M\n" * 100)
    with pytest.raises(ImportFormatError) as info:
        read_pedigree_csv(path, max_bytes=500)
    assert info.value.reason == (f"the pedigree file {path} is {path.stat().st_size} bytes, more than the limit of 500 bytes; "
                                 "nothing was read")


def test_missing_file_and_missing_columns(tmp_path: Path) -> None:
    with pytest.raises(ImportFormatError, match="no such file"):
        read_pedigree_csv(tmp_path / "nope.csv")
    problems = problems_of("id,sire,sex\nA,,M\n", repair=True)
    assert len(problems) == 1 and "missing required column 'dam'" in problems[0]
    assert problems_of("") == ["line 1: file is empty; expected a header row such as id,sire,dam,sex"]
    assert "both give the sire" in problems_of("id,sire,father,dam,sex\n")[0]


def test_ragged_rows_are_not_repaired() -> None:
    problems = problems_of(HEAD + "A,,,M\nB,,F\nC,A,B,F,extra\n", repair=True)
    assert problems == ["line 3: has 3 fields, the header has 4 (row starts 'B')",
                        "line 4: has 5 fields, the header has 4 (row starts 'C')"]


def test_blank_lines_are_skipped_and_line_numbers_kept() -> None:
    pf = parse_pedigree_text(HEAD + "A,,,M\n\n,,,\nB,,,F\r\n")
    assert [(r.id, r.line) for r in pf.rows] == [("A", 2), ("B", 5)]


def test_duplicate_id() -> None:
    text = HEAD + "A,,,M\nB,,,F\nA,,,F\n"
    assert problems_of(text) == ["line 4: animal A: duplicate id (first at line 2)"]
    pf = parse_pedigree_text(text, repair=True)
    assert [r.id for r in pf.rows] == ["A", "B"] and by_id(pf)["A"].sex == "M"


def test_self_parent_and_same_sire_dam() -> None:
    text = HEAD + "A,A,,M\nB,,B,F\nC,X,X,F\nD,D,D,U\n"
    assert problems_of(text) == [
        "line 2: animal A: is its own sire", "line 3: animal B: is its own dam",
        "line 4: animal C: has X as both sire and dam", "line 5: animal D: is its own sire and dam"]
    pf = parse_pedigree_text(text, repair=True)
    assert all(r.sire is None and r.dam is None for r in pf.rows)
    assert pf.added_parents == () and len(pf.repairs) == 4


def test_two_animal_loop_parents_later_in_file() -> None:
    text = HEAD + "C,A,B,M\nA,C,B,M\nB,,,F\n"  # parents may come after offspring
    assert problems_of(text) == [
        "line 3: animal A: is its own ancestor: A, which is a child of C, which is a child of A"]
    pf = parse_pedigree_text(text, repair=True)
    assert by_id(pf)["A"].sire is None and by_id(pf)["C"].sire == "A"
    assert_consistent(pf)


def test_knot_of_loops_broken_until_acyclic() -> None:
    # A<->B and B<->C share B: one knot of three animals, two loops
    text = HEAD + "A,,B,M\nB,A,C,F\nC,,B,F\n"
    problems = problems_of(text)
    assert len(problems) == 1 and "3 animals are tangled" in problems[0]
    pf = parse_pedigree_text(text, repair=True)
    assert_consistent(pf)
    assert sum("broke loop" in a.action for a in pf.repairs) >= 1


def test_only_animals_on_loops_are_reported_not_their_descendants() -> None:
    # A<->B is a loop; C descends from it and is the dam of D, on the loop D<->E; F descends from both.
    # One topological sort leaves A..F over; only the two knots are reported, each once.
    text = HEAD + "A,B,,M\nB,A,,M\nC,B,,F\nD,E,C,M\nE,D,,M\nF,D,,M\n"
    assert problems_of(text) == [
        "line 3: animal B: is its own ancestor: B, which is a child of A, which is a child of B",
        "line 6: animal E: is its own ancestor: E, which is a child of D, which is a child of E"]
    pf = parse_pedigree_text(text, repair=True)
    assert [a.id for a in pf.repairs] == ["B", "E"]
    assert [(r.id, r.sire, r.dam) for r in pf.rows] == [
        ("A", "B", None), ("B", None, None), ("C", "B", None), ("D", "E", "C"), ("E", None, None), ("F", "D", None)]
    assert_consistent(pf)


def test_parent_sex_conflicts() -> None:
    text = HEAD + "S,,,F\nD,,,M\nX,S,D,U\n"
    assert problems_of(text) == ["line 4: animal X: sire S is female (line 2)",
                                 "line 4: animal X: dam D is male (line 3)"]
    assert problems_of(HEAD + "P,,,U\nX,P,Q,M\nY,R,P,F\n") == [
        "line 2: animal P: used as sire (line 3, 1x) and as dam (line 4, 1x): sex conflict"]
    pf = parse_pedigree_text(HEAD + "P,,,U\nX,P,Q,M\nY,R,P,F\n", repair=True)
    assert by_id(pf)["Y"].dam is None and by_id(pf)["X"].sire == "P"  # tie: the first role wins


def test_missing_parent_row_is_added_as_founder() -> None:
    pf = parse_pedigree_text(HEAD + "C,A,B,M\nD,A,E,F\n")
    assert pf.added_parents == ("A", "B", "E")
    assert [(r.id, r.sex, r.line, r.sire_wild, r.dam_wild) for r in pf.rows[2:]] == [
        ("A", "M", 2, True, True), ("B", "F", 2, True, True), ("E", "F", 3, True, True)]
    assert pf.repairs == ()


@pytest.mark.parametrize(
    ("sire", "dam", "expected"),
    [
        ("", "", (None, None, True, True)),  # founder: both wild
        ("0", "NA", (None, None, True, True)),
        ("unknown", "", (None, None, True, True)),
        ("P", "", ("P", None, False, False)),  # one blank next to a known parent = UNK
        ("", "Q", (None, "Q", False, False)),
        ("UNK", "", (None, None, False, False)),  # UNK is never wild
        ("unk", "unk", (None, None, False, False)),
        ("WILD", "", (None, None, True, False)),
        ("wild", "UNK", (None, None, True, False)),
        ("P", "Wild", ("P", None, False, True)),
    ],
)
def test_founder_rule(sire: str, dam: str, expected: tuple[object, ...]) -> None:
    row = parse_pedigree_text(f"{HEAD}X,{sire},{dam},M\n").rows[0]
    assert (row.sire, row.dam, row.sire_wild, row.dam_wild) == expected


def test_reserved_and_control_ids() -> None:
    assert problems_of(HEAD + "NA,,,M\n") == [
        "line 2: id 'NA' is an unknown-parent code and cannot name an animal"]
    assert "control character" in problems_of(HEAD + "A\x07,,,M\n")[0]


def test_formula_like_and_quoted_ids_are_kept_verbatim() -> None:
    # cells are data, never evaluated; exporters must escape them for spreadsheets
    pf = parse_pedigree_text(HEAD + '=1+2,,,M\n"@x, y",,,F\n-3,=1+2,"@x, y",U\n')
    assert [(r.id, r.sire, r.dam) for r in pf.rows] == [
        ("=1+2", None, None), ("@x, y", None, None), ("-3", "=1+2", "@x, y")]


def test_pure_module_imports() -> None:
    code = ("import sys, studbook.io.pedigree_csv; "
            "print(sorted(m for m in ('numpy', 'sqlalchemy', 'click', 'rich', 'networkx') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=Path(__file__).resolve().parents[1])
    assert out.stdout.strip() == "[]"


def test_alive_parsing() -> None:
    text = "id,sire,dam,sex,alive\n" + "".join(
        f"A{i},,,M,{v}\n" for i, v in enumerate(["1", "0", "TRUE", "false", "Yes", "no", "", "NA"]))
    assert [r.alive for r in parse_pedigree_text(text).rows] == [True, False, True, False, True, False, None, None]
    assert parse_pedigree_text(HEAD + "A,,,M\n").rows[0].alive is None
    bad = "id,sire,dam,sex,alive\nA,,,M,maybe\n"
    assert problems_of(bad) == ["line 2: animal A: invalid alive 'maybe' (use 1/0, true/false or yes/no)"]
    assert parse_pedigree_text(bad, repair=True).rows[0].alive is None


def test_birth_date_parsing() -> None:
    text = "id,sire,dam,sex,birth_date\nA,,,M,2001-02-03\nB,,,F,~2002-05\nC,A,B,F,2004\nD,A,B,F,\nE,A,B,M,unknown\n"
    rows = parse_pedigree_text(text).rows
    assert [(r.birth_date, r.birth_year) for r in rows] == [
        ("2001-02-03", 2001), ("~2002-05", 2002), ("2004", 2004), (None, None), (None, None)]
    problems = problems_of("id,sire,dam,sex,birth_date\nA,,,M,2001-02-31\nB,,,F,03/04/2001\n")
    assert [p[:30] for p in problems] == ["line 2: animal A: invalid birt", "line 3: animal B: invalid birt"]
    assert "not a real calendar date" in problems[0]


def test_birth_year_and_birth_date_together_is_a_problem() -> None:
    problems = problems_of("id,sire,dam,sex,birth_year,birth_date\nA,,,M,2000,2000\n", repair=True)
    assert problems == ["line 1: has both birth_year and birth_date columns; keep one"]


def test_invalid_birth_year() -> None:
    assert problems_of("id,sire,dam,sex,birth_year\nA,,,M,1999.5\n") == [
        "line 2: animal A: invalid birth_year '1999.5' (four digits)"]


def test_long_chain_and_long_loop_are_iterative() -> None:
    n = 50_000  # far deeper than Python's recursion limit
    lines = [f"a{i},{f'a{i - 1}' if i else ''},,M\n" for i in range(n)]
    pf = parse_pedigree_text(HEAD + "".join(reversed(lines)))  # offspring first
    assert len(pf.rows) == n
    lines[0] = f"a0,a{n - 1},,M\n"  # close the chain into one loop of n animals
    problems = problems_of(HEAD + "".join(lines))
    assert len(problems) == 1 and "..." in problems[0]
    assert len(parse_pedigree_text(HEAD + "".join(lines), repair=True).repairs) == 1


# ---------------------------------------------------------------- round trip (hypothesis)

ID_TEXT = st.text(
    alphabet=st.characters(blacklist_categories=("Cc", "Cs")), min_size=1, max_size=8
).filter(lambda s: s == s.strip() and s.lower() not in RESERVED_IDS and "\ufeff" not in s)


@st.composite
def pedigrees(draw: st.DrawFn) -> tuple[list[PedigreeRow], list[tuple[str, str]]]:
    """Random parents-first pedigrees with the cells to write for each parent slot."""
    ids = draw(st.lists(ID_TEXT, min_size=1, max_size=25, unique=True))
    rows: list[PedigreeRow] = []
    cells: list[tuple[str, str]] = []
    blank = st.sampled_from(["", "0", "NA", "na", "unknown"])
    for animal in ids:
        slots = []
        for want in ("M", "F"):
            candidates = [r.id for r in rows if r.sex == want]
            kind = draw(st.sampled_from(["blank", "UNK", "WILD"] + ["id"] * bool(candidates)))
            if kind == "id":
                slots.append((kind, draw(st.sampled_from(candidates))))
            else:
                text = draw(blank) if kind == "blank" else draw(st.sampled_from([kind, kind.lower()]))
                slots.append((kind, text))
        founder = slots[0][0] == slots[1][0] == "blank"
        (skind, stext), (dkind, dtext) = slots
        rows.append(PedigreeRow(
            0, animal, stext if skind == "id" else None, dtext if dkind == "id" else None,
            skind == "WILD" or founder, dkind == "WILD" or founder, draw(st.sampled_from("MFU")),
            draw(st.none() | st.integers(1000, 2999)), None, draw(st.none() | st.booleans())))
        cells.append((stext, dtext))
    return rows, cells


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(pedigrees(), st.sampled_from([",", ";", "\t"]), st.randoms(use_true_random=False))
def test_round_trip(ped: tuple[list[PedigreeRow], list[tuple[str, str]]], sep: str, rnd: Random) -> None:
    rows, cells = ped
    order = list(range(len(rows)))
    rnd.shuffle(order)  # offspring may now come before their parents
    out = io.StringIO()
    writer = csv.writer(out, delimiter=sep, lineterminator="\n")
    writer.writerow(["id", "sire", "dam", "sex", "birth_year", "alive"])
    for i in order:
        r = rows[i]
        alive = "" if r.alive is None else rnd.choice(["1", "true", "Yes"] if r.alive else ["0", "FALSE", "no"])
        writer.writerow([r.id, *cells[i], r.sex, "" if r.birth_year is None else r.birth_year, alive])
    pf = parse_pedigree_text(out.getvalue())
    assert pf.added_parents == () and pf.repairs == ()
    assert [r.line for r in pf.rows] == list(range(2, len(rows) + 2))
    assert pf.rows == tuple(dataclasses.replace(rows[i], line=n) for n, i in enumerate(order, start=2))
    assert_consistent(pf)
