"""`studbook report`: one self-contained HTML file (and PDF) that a browser renders completely."""

from __future__ import annotations

import re
import zlib
from pathlib import Path

import pytest
from conftest import assert_refused, jout, ok, run_cli

from studbook.services.report import SECTIONS

# Plots drawn from the genetics (always); the demography plots are there when the demography service is.
GENETICS_PLOTS = ("history", "founders", "mk")
DEMOGRAPHY_PLOTS = {"census": "census", "pyramid": "pyramid", "life-table": "life"}


def _browser_check(html: Path, screenshot: Path) -> dict[str, object]:
    """Open *html* in Debian's headless chromium (``tests/browser.py``: never a downloaded browser, network
    refused) and measure what rendered: errors, each section's size, each plot's size and marks."""
    from browser import open_page

    plots = (*GENETICS_PLOTS, *DEMOGRAPHY_PLOTS.values())
    keys = [k for k, _, _ in SECTIONS]
    selectors = [*(f"section#{k}" for k in keys), *(f"#{k} [data-missing]" for k in keys),
                 *(f'svg.plot[data-plot="{p}"]' for p in plots), *(f'svg.plot[data-plot="{p}"] path' for p in plots)]
    page = open_page(html, selectors=selectors, screenshot=screenshot)
    sizes = page.sizes
    return {
        "errors": page.errors,
        "sections": {k: sizes[f"section#{k}"][0][1] for k in keys if sizes[f"section#{k}"]},
        "missing": [k for k in keys if sizes[f"#{k} [data-missing]"]],
        "plots": {p: (*sizes[f'svg.plot[data-plot="{p}"]'][0], len(sizes[f'svg.plot[data-plot="{p}"] path']))
                  for p in plots if sizes[f'svg.plot[data-plot="{p}"]']},
    }


def pdf_facts(data: bytes) -> tuple[int, list[str]]:
    """(number of pages, bookmark titles) of a PDF, read from its (deflated) objects."""
    blobs = [data]
    for m in re.finditer(rb"stream\r?\n", data):
        end = data.find(b"endstream", m.end())
        try:
            blobs.append(zlib.decompress(data[m.end():end]))
        except zlib.error:
            pass
    blob = b"\n".join(blobs)
    pages = len(re.findall(rb"/Type\s*/Page\b(?!s)", blob))
    titles = [t.decode("latin-1").replace("\\(", "(").replace("\\)", ")")
              for t in re.findall(rb"/Title\s*\(((?:[^()\\]|\\.)*)\)", blob)]
    return pages, titles


def test_report_on_the_sample_book(sample_url, tmp_path):
    """Every section and plot is there and renders in chromium (on SQLite; on PostgreSQL the HTML only)."""
    html = tmp_path / "report.html"
    r = ok(sample_url, "report", "--output", str(html))
    assert r.stdout == ""
    assert "Wrote " in r.stderr and "Traceback" not in r.stderr
    text = html.read_text(encoding="utf-8")
    # Self-contained: no external resource of any kind.
    assert not re.search(r"<(script|link|img|iframe)\b", text)
    assert not re.search(r"""(src|href)\s*=\s*["'](https?:|//)""", text)
    assert "Amur leopard" in text and "The book as it stood on <strong>2026-11-01</strong>" in text
    # The numbers are those of the commands the sections name.
    summary = jout(sample_url, "genetics", "summary")
    assert f"<td>{summary['gene_diversity']:.4f}</td>" in text
    assert f"<td>{summary['founder_genome_equivalents']:.2f}</td>" in text
    top = jout(sample_url, "genetics", "mean-kinship")[0]
    assert f"<td>{top['id']}</td>" in text[text.index('id="mean-kinship"'):]
    for key, title, command in SECTIONS:
        assert f'id="{key}"' in text and title in text and command.split(";")[0] in text
    plots = set(re.findall(r'<svg class="plot"[^>]*data-plot="([a-z]+)"', text))
    missing = {m for m in DEMOGRAPHY_PLOTS if f'id="{m}"' in text
               and 'data-missing="1"' in text[text.index(f'id="{m}"'):].split("</section>")[0]}
    assert set(GENETICS_PLOTS) | {p for s, p in DEMOGRAPHY_PLOTS.items() if s not in missing} <= plots
    if not sample_url.startswith("sqlite"):
        return  # kept light: the rendering does not depend on the database

    shown = _browser_check(html, tmp_path / "report.png")
    assert shown["errors"] == []
    assert set(shown["sections"]) == {k for k, _, _ in SECTIONS}
    assert all(h > 50 for h in shown["sections"].values()), shown["sections"]
    assert plots == set(shown["plots"]), shown["plots"]
    for name, (w, h, marks) in shown["plots"].items():
        assert w > 300 and h > 150 and marks > 10, (name, w, h, marks)
    assert set(shown["missing"]) <= set(DEMOGRAPHY_PLOTS) | {"plan"}  # the sample book has no saved plan
    shot = (tmp_path / "report.png").read_bytes()
    assert shot.startswith(b"\x89PNG") and len(shot) > 50_000


def test_report_pdf_with_a_plan_and_hostile_text(sample_copy_url, tmp_path):
    """The PDF (same HTML, WeasyPrint) has pages and every section title; stored text is never markup."""
    if not sample_copy_url.startswith("sqlite"):
        pytest.skip("one backend is enough for the PDF and the rendering of a plan (kept light)")
    ok(sample_copy_url, "recommend", "pairs", "--save", "--max-pairs", "3", "--title", "<b>2027</b> & co")
    ok(sample_copy_url, "species", "set", "--common-name", "<script>alert(1)</script> leopard")
    html, pdf = tmp_path / "r.htm", tmp_path / "r.pdf"
    # An earlier day keeps the PDF small (and fast); the plan section does not depend on the day.
    ok(sample_copy_url, "report", "--output", str(html), "--pdf", str(pdf), "--as-of", "1985-06-30",
       "--iterations", "50")
    text = html.read_text(encoding="utf-8")
    assert "<script>" not in text and "&lt;script&gt;alert(1)&lt;/script&gt; leopard" in text
    assert "<b>2027</b>" not in text and "&lt;b&gt;2027&lt;/b&gt; &amp; co" in text
    plan = text[text.index('id="plan"'):]
    assert "Plan 1 (pairs)" in plan and "proposed" in plan and "No plan" not in plan
    assert "The book as it stood on <strong>1985-06-30</strong>" in text
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF")
    pages, titles = pdf_facts(data)
    assert pages > 5
    for _key, title, _command in SECTIONS:
        assert title in titles, (title, titles)


def test_write_file_atomic_replaces_a_report(tmp_path):
    from studbook.services.report import write_file_atomic

    target = tmp_path / "r.html"
    target.write_text("old report")
    write_file_atomic(target, b"<html>new</html>")
    assert target.read_bytes() == b"<html>new</html>"
    assert [p.name for p in tmp_path.iterdir()] == ["r.html"]  # no temporary file left behind


def test_report_refuses_bad_paths(sample_url, tmp_path):
    for args, fragment in (
        (["--output", str(tmp_path / "report.txt")], "does not end in .html"),
        (["--output", str(tmp_path / "nowhere" / "r.html")], "does not exist"),
        (["--output", str(tmp_path / "r.html"), "--pdf", str(tmp_path / "r.html")], "does not end in .pdf"),
        (["--output", str(tmp_path / "r.html"), "--as-of", "someday"], "--as-of"),
    ):
        assert_refused(sample_url, ["report", *args], fragment)
    (tmp_path / "dir.html").mkdir()
    assert_refused(sample_url, ["report", "--output", str(tmp_path / "dir.html")], "is a folder")
    assert list(tmp_path.iterdir()) == [tmp_path / "dir.html"]


def test_report_on_an_empty_book(book_url, tmp_path):
    """A book without animals still gives a whole report: each section says what it cannot show."""
    html = tmp_path / "empty.html"
    ok(book_url, "report", "--output", str(html))
    text = html.read_text(encoding="utf-8")
    for key, title, _command in SECTIONS:
        assert f'id="{key}"' in text and title in text
    assert "no founder is represented" in text and "No data to plot" in text and '<svg class="plot"' not in text


def test_report_never_creates_a_database(tmp_path):
    missing = tmp_path / "none.db"
    r = run_cli(str(missing), "report", "--output", str(tmp_path / "r.html"))
    assert r.exit_code == 3 and r.stderr.startswith("Error: ") and "Traceback" not in r.stderr
    assert not missing.exists() and not (tmp_path / "r.html").exists()


def test_python_api(sample_url, tmp_path):
    if not sample_url.startswith("sqlite"):
        pytest.skip("the API calls the same services as the CLI, tested on both databases above (kept light)")
    from studbook import api

    out = tmp_path / "api.html"
    data = api.report(sample_url, output=out, as_of="1975-12-31", iterations=20)
    assert data.day.isoformat() == "1975-12-31" and data.history.points[-1].day == data.day
    assert data.genetics["gene_diversity"] == pytest.approx(
        api.genetic_summary(sample_url, as_of="1975-12-31")["gene_diversity"], rel=1e-12)
    assert '<svg class="plot"' in out.read_text(encoding="utf-8")
