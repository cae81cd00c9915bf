"""Hostile input: text is stored as text and always rendered as text; control characters are refused;
studbook IDs are plain ASCII so that no ID can look like another."""

from __future__ import annotations

import ast
import json

import pytest
from conftest import ROOT, ok, run_cli

from studbook.errors import InvalidInputError
from studbook.text import ID_MAX_LENGTH, check_studbook_id, clean_text, is_plain_number

# --- clean_text -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", [
    "Amur", "[/]", "[link=http://x]y[/link]", "[bold]x[/bold]", ":smile:", "<script>", "=1+1", "Zoo Łódź",
    "Tierpark 'Friedrichsfelde'", "日本平動物園", "Московский зоопарк", "a\\x1b", "100 %", "mañana",
])
def test_clean_text_accepts_plain_text(value):
    assert clean_text(value, what="house name", record="animal 1202") == value


def test_clean_text_strips_and_empties_to_none():
    assert clean_text("  Amur \n", what="house name", record="animal 1") == "Amur"
    assert clean_text(None, what="house name", record="animal 1") is None
    assert clean_text("", what="house name", record="animal 1") is None
    assert clean_text(" \t\n ", what="house name", record="animal 1") is None


def _refused(value, **kw) -> InvalidInputError:
    with pytest.raises(InvalidInputError) as info:
        clean_text(value, **{"what": "house name", "record": "animal 1202", **kw})
    assert info.value.hint
    return info.value


def test_clean_text_refuses_terminal_escape_naming_record_field_and_position():
    err = _refused("\x1b]0;owned\x07\x1b[2J")
    assert err.reason == "animal 1202: house name contains a control character (U+001B at position 1)"
    assert "special characters" in (err.hint or "")


@pytest.mark.parametrize(("value", "code", "pos"), [
    ("ab\x07", "U+0007", 3),            # BEL
    ("a\x1b[31mred", "U+001B", 2),      # ANSI colour
    ("a\x00b", "U+0000", 2),            # NUL
    ("a\rb", "U+000D", 2),              # carriage return (overwrites the line)
    ("a\x7fb", "U+007F", 2),            # DEL
    ("a\x9bb", "U+009B", 2),            # C1 CSI
    ("a\x85b", "U+0085", 2),            # C1 NEL
    ("a\nb", "U+000A", 2),              # newline in a one-line field
    ("a\tb", "U+0009", 2),              # tab in a one-line field
])
def test_clean_text_refuses_control_characters(value, code, pos):
    err = _refused(value)
    assert "control character" in err.reason
    assert f"({code} at position {pos})" in err.reason


@pytest.mark.parametrize(("value", "code"), [
    ("Am\u200bur", "U+200B"),     # zero-width space
    ("Am\u200dur", "U+200D"),     # zero-width joiner
    ("Am\u200cur", "U+200C"),     # zero-width non-joiner
    ("abc\u202egpj.exe", "U+202E"),  # right-to-left override
    ("a\u202ab", "U+202A"),       # left-to-right embedding
    ("a\u2066b\u2069", "U+2066"),  # left-to-right isolate
    ("a\u2069", "U+2069"),        # pop directional isolate
    ("a\u200fb", "U+200F"),       # right-to-left mark
    ("\ufeffAmur", "U+FEFF"),     # BOM
    ("a\u00adb", "U+00AD"),       # soft hyphen
])
def test_clean_text_refuses_invisible_format_characters(value, code):
    err = _refused(value)
    assert "invisible formatting character" in err.reason
    assert code in err.reason
    assert err.reason.startswith("animal 1202: house name ")


@pytest.mark.parametrize("value", ["a\u2028b", "a\u2029b", "a\udcffb"])
def test_clean_text_refuses_separators_and_undecodable_bytes(value):
    err = _refused(value)
    assert f"U+{ord(value[1]):04X} at position 2" in err.reason


def test_clean_text_multiline_allows_newline_and_tab_only():
    note = "line one\n\tline two\nline three"
    assert clean_text(note, what="note", record="animal 3", multiline=True) == note
    err = _refused("line one\n\x1b[2J", what="note", record="animal 3", multiline=True)
    assert err.reason == "animal 3: note contains a control character (U+001B at position 10)"
    assert "U+200B" in _refused("a\n\u200b", what="note", record="animal 3", multiline=True).reason
    assert "U+000D" in _refused("a\r\nb", what="note", record="animal 3", multiline=True).reason


def test_clean_text_limit():
    assert clean_text("x" * 10, what="house name", record="animal 1", limit=10) == "x" * 10
    assert clean_text("  " + "x" * 10 + "  ", what="house name", record="animal 1", limit=10) == "x" * 10
    err = _refused("x" * 11, limit=10)
    assert err.reason == "animal 1202: house name is 11 characters long (at most 10)"
    assert "10" in (err.hint or "")


# --- check_studbook_id / is_plain_number ----------------------------------------------------------------------


@pytest.mark.parametrize("value", ["1479", "0042", "T12", "T1", "DE-0042", "ISIS.123", "A/17", "ab_9", "x",
                                   "9" * ID_MAX_LENGTH])
def test_check_studbook_id_accepts_ascii_ids(value):
    assert check_studbook_id(value) == value


def test_check_studbook_id_strips():
    assert check_studbook_id("  1479 ") == "1479"


@pytest.mark.parametrize(("value", "code", "pos"), [
    ("１４７９", "U+FF11", 1),        # fullwidth digits
    ("14７9", "U+FF17", 3),
    ("Т100", "U+0422", 1),           # Cyrillic capital TE
    ("T1О0", "U+041E", 3),           # Cyrillic capital O
    ("١٢٣", "U+0661", 1),            # Arabic-Indic digits (str.isdigit() is True for these)
    ("۱۲۳", "U+06F1", 1),            # extended Arabic-Indic digits
    ("1479\u200b", "U+200B", 5),     # zero-width space
    ("\u202e1479", "U+202E", 1),     # right-to-left override
    ("14 79", "U+0020", 3),          # inner space
    ("14\x1b79", "U+001B", 3),       # escape
    ("1479\n2", "U+000A", 5),        # newline
    ("ß12", "U+00DF", 1),
    ("12é", "U+00E9", 3),
    ("a'b", "U+0027", 2),
    ("a;b", "U+003B", 2),
    ("[/]", "U+005B", 1),
])
def test_check_studbook_id_refuses_non_ascii_and_punctuation(value, code, pos):
    with pytest.raises(InvalidInputError) as info:
        check_studbook_id(value)
    reason = info.value.reason
    assert reason.startswith("studbook ID '"), reason
    assert " is not valid: " in reason
    assert f"{code}" in reason and f"at position {pos}" in reason, reason
    assert info.value.hint and "ASCII" in info.value.hint
    # the reason shows invisible characters visibly, never raw
    assert "\u200b" not in reason and "\u202e" not in reason and "\x1b" not in reason and "\n" not in reason


def test_check_studbook_id_names_the_character():
    with pytest.raises(InvalidInputError) as info:
        check_studbook_id("Т100")
    assert "U+0422 CYRILLIC CAPITAL LETTER TE" in info.value.reason
    assert "'Т100'" in info.value.reason


@pytest.mark.parametrize("value", ["", "   ", "-12", ".12", "/12", "_12", "1" * (ID_MAX_LENGTH + 1)])
def test_check_studbook_id_refuses_empty_bad_start_and_too_long(value):
    with pytest.raises(InvalidInputError) as info:
        check_studbook_id(value)
    assert info.value.reason.startswith("studbook ID '")
    assert info.value.hint


@pytest.mark.parametrize(("value", "expected"), [
    ("1479", True), ("0042", True), ("0", True),
    ("", False), ("T12", False), ("12a", False), (" 12", False), ("12\n", False), ("-1", False), ("1.5", False),
    ("١٢٣", False), ("１２３", False), ("²", False), ("12\u200b", False),
])
def test_is_plain_number_is_ascii_digits_only(value, expected):
    assert is_plain_number(value) is expected


def test_text_module_is_pure():
    tree = ast.parse((ROOT / "studbook" / "text.py").read_text(encoding="utf-8"))
    mods = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    mods |= {n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    assert not {m.split(".")[0] for m in mods} & {"sqlalchemy", "click", "rich", "alembic", "psycopg"}


# --- rendering helpers ----------------------------------------------------------------------------------------


def test_printable_replaces_controls_visibly():
    from studbook.cli.output import printable

    assert printable("plain [/] text") == "plain [/] text"
    assert printable("\x1b]0;owned\x07\x1b[2J") == "\\x1b]0;owned\\x07\\x1b[2J"
    assert printable("a\u202eb\u200bc\x9bd\x7f") == "a\\u202eb\\u200bc\\x9bd\\x7f"
    assert printable("a\nb\tc\rd") == "a\nb\tc\\x0dd"
    assert printable("a\nb", keep="") == "a\\x0ab"
    assert printable("a\udcffb") == "a\\udcffb"
    assert printable(12) == "12"


def test_safe_escapes_markup():
    from rich.console import Console

    from studbook.cli.output import safe

    con = Console(width=100, record=True, file=open("/dev/null", "w"))  # noqa: SIM115
    for value in ("[/]", "[link=http://x]y[/link]", "[bold]b[/bold]", "x\\", "\\[/]"):
        con.print(f"[bold]{safe(value)}[/bold]")
    text = con.export_text()
    assert text.splitlines() == ["[/]", "[link=http://x]y[/link]", "[bold]b[/bold]", "x\\", "\\[/]"]


def test_emit_and_emit_object_render_stored_text_literally(capsys):
    from studbook.cli.output import emit, emit_object, message, warnings

    evil = "[/] [link=http://x]y[/link] :smile: \x1b]0;owned\x07\u202e"
    shown = "[/] [link=http://x]y[/link] :smile: \\x1b]0;owned\\x07\\u202e"
    emit([{"studbook_id": "[/]", "house_name": evil}], "table", title=f"Animal {evil}")
    emit_object({"studbook_id": "[/]", "house_name": evil, "notes": "a\nb"}, "table", title=f"Animal {evil}")
    message(f"Updated {evil}")

    class Finding:
        studbook_id, message, hint = "[/]", evil, "[bold]"

    warnings([Finding()])
    out, err = capsys.readouterr()
    for stream in (out, err):
        assert "\x1b" not in stream and "\x07" not in stream and "\u202e" not in stream
    assert out.count(shown) == 4, out  # two titles, two cells
    assert f"Updated {shown}" in err
    assert f"Warning: animal [/]: {shown} (hint: [bold])" in err
    # machine formats are data, unchanged
    emit([{"house_name": evil}], "json")
    assert json.loads(capsys.readouterr().out) == [{"house_name": evil}]
    emit([{"house_name": evil}], "csv")
    assert capsys.readouterr().out == f"house_name\r\n{evil}\r\n"


def test_print_error_lists_every_problem_on_plain_safe_lines(capsys):
    from studbook.cli import _print_error
    from studbook.errors import ValidationError

    problems = [f"animal {i}: bad" for i in range(450)] + ["animal \x1b[2J: evil\nsecond line"]
    _print_error(ValidationError("the book is \x1b]0;x\x07 broken", "fix \u202eit", problems))
    err = capsys.readouterr().err
    lines = err.splitlines()
    assert lines[0] == "Error: the book is \\x1b]0;x\\x07 broken"
    assert lines[1:-1] == [f"  - animal {i}: bad" for i in range(450)] + ["  - animal \\x1b[2J: evil\\x0asecond line"]
    assert lines[-1] == "Hint: fix \\u202eit"
    assert "more" not in err and "\x1b" not in err


# --- rendering through the CLI --------------------------------------------------------------------------------

HOSTILE = ["[/]", "[link=http://x]y[/link]", "[bold]not bold[/]", "[red", ":smile:", "x\\"]


@pytest.mark.parametrize("name", HOSTILE)
def test_markup_like_house_name_is_shown_literally(family_url, name):
    url = family_url
    ok(url, "animal", "update", "3", "--name", name)
    listed = ok(url, "animal", "list")
    assert name in listed.stdout, listed.stdout
    assert "Traceback" not in listed.stderr
    shown = ok(url, "animal", "show", "3")
    assert name in shown.stdout, shown.stdout
    ok(url, "pedigree", "3")
    ok(url, "pedigree", "4")
    audit = ok(url, "audit")
    assert "\x1b" not in audit.stdout
    # machine formats keep the data byte-exact
    rows = json.loads(ok(url, "animal", "list", "--format", "json").stdout)
    assert [r for r in rows if r["studbook_id"] == "3"][0]["house_name"] == name
    assert name in ok(url, "animal", "list", "--format", "csv").stdout


def test_pedigree_tree_labels_are_text_not_markup(family_url, monkeypatch):
    """IDs stored before IDs were checked (or imported) such as '[/]' are drawn literally in the tree."""
    import studbook.services.animals as services

    def fake_tree(session, studbook_id, generations=3):
        unk = services.PedigreeNode("UNK", None, None, None, "dam", [])
        evil = services.PedigreeNode("[/] (p=0.5)", "[/]", "M", "2010", "sire candidate", [])
        link = services.PedigreeNode("[link=http://x]9[/link]\x1b[2J", "x", "F", "2008", "dam", [])
        return services.PedigreeNode("[bold]3", "3", "M", "2015-05-01", "animal", [evil, link, unk])

    monkeypatch.setattr(services, "pedigree_tree", fake_tree)
    out = ok(family_url, "pedigree", "3").stdout
    assert "[bold]3 ♂ b. 2015-05-01" in out
    assert "sire candidate: [/] (p=0.5) ♂ b. 2010" in out
    assert "dam: [link=http://x]9[/link]\\x1b[2J ♀ b. 2008" in out
    assert "dam: UNK" in out
    assert "\x1b" not in out


def test_link_markup_is_not_a_link(family_url):
    ok(family_url, "animal", "update", "3", "--name", "[link=http://x]y[/link]")
    out = ok(family_url, "animal", "list").stdout
    assert "[link=http://x]y[/link]" in out
    assert "\x1b]8;" not in out  # no OSC 8 hyperlink


def test_markup_like_user_name_in_audit(family_url):
    r = run_cli(family_url, "animal", "update", "3", "--name", "Amur", user="[/]")
    assert r.exit_code == 0, r.stderr
    r = run_cli(family_url, "animal", "update", "4", "--name", "Bora", user="[link=http://x]me[/link]")
    assert r.exit_code == 0, r.stderr
    audit = ok(family_url, "audit")
    assert "[/]" in audit.stdout
    assert "[link=http://x]me[/link]" in audit.stdout


def test_markup_like_institution_name(family_url):
    ok(family_url, "institution", "add", "EVIL", "--name", "[/]Zoo [bold]x", "--country", "DE",
       "--lat", "51", "--lon", "12", "--city", "[link=http://x]Leipzig[/link]")
    out = ok(family_url, "institution", "list").stdout
    assert "[/]Zoo [bold]x" in out
    assert "[link=http://x]Leipzig[/link]" in out


def test_markup_like_plan_title(family_url):
    r = run_cli(family_url, "recommend", "pairs", "--save", "--title", "[/] plan [link=http://x]x[/link]",
                "--relax", "age")
    if r.exit_code != 0:
        pytest.skip(f"no pairs to save in this book: {r.stderr}")
    out = ok(family_url, "plan", "list").stdout
    assert "[/] plan [link=http://x]x[/link]" in out
    shown = ok(family_url, "plan", "show", "1")
    assert "[/] plan [link=http://x]x[/link]" in shown.stderr + shown.stdout


def test_table_output_of_stored_control_characters_is_visible_not_raw(family_url):
    """Text stored before the services refused it (or written by another tool) still cannot reach the terminal."""
    from sqlalchemy import create_engine, text

    from studbook.models import Animal

    engine = create_engine(family_url)
    try:
        with engine.begin() as conn:
            conn.execute(text(f"UPDATE {Animal.__tablename__} SET house_name = :n WHERE studbook_id = '3'"),
                         {"n": "\x1b]0;owned\x07\x1b[2J\u202eevil"})
    finally:
        engine.dispose()
    for args in (("animal", "list"), ("animal", "show", "3")):
        out = ok(family_url, *args).stdout
        assert "\x1b" not in out and "\x07" not in out and "\u202e" not in out
        assert "\\x1b]0;owned\\x07\\x1b[2J\\u202eevil" in out
    rows = json.loads(ok(family_url, "animal", "list", "--format", "json").stdout)
    assert [r for r in rows if r["studbook_id"] == "3"][0]["house_name"] == "\x1b]0;owned\x07\x1b[2J\u202eevil"
