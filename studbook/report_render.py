"""The population report as one self-contained HTML file (and the same HTML as PDF).

Pure: :class:`studbook.services.report.ReportData` in, text or bytes out; no database.
Plots are drawn with matplotlib (Agg backend) as SVG and inlined in the page, the CSS
is inline, nothing is fetched from the network. Every piece of stored text (names,
IDs, titles, problem messages) goes through Jinja2's autoescaping, and matplotlib
escapes the text it writes into the SVG. Heavy libraries are imported on first use.
"""

from __future__ import annotations

import io
import math
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .services.report import ReportData

TEMPLATES = Path(__file__).resolve().parent / "templates"
MALE, FEMALE, OTHER = "#2f6f9f", "#c2563a", "#8a8a8a"
PALETTE = ("#2f6f9f", "#c2563a", "#4f9a5d", "#8c6bb1", "#d9a13b", "#5ba3b5", "#b5475b", "#6b6b6b")


# --- plots -------------------------------------------------------------------------------------------------------

@contextmanager
def _figure(width: float = 7.0, height: float = 3.2) -> Iterator[Any]:
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    fig = plt.figure(figsize=(width, height), layout="constrained")
    try:
        yield fig
    finally:
        plt.close(fig)


def _svg(fig: Any, name: str, label: str) -> str:
    """The figure as an inline ``<svg>`` element (no XML prolog), its ids unique to *name*."""
    import matplotlib

    buf = io.StringIO()
    with matplotlib.rc_context({"svg.hashsalt": name, "svg.fonttype": "none"}):
        fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None})
    text = buf.getvalue()
    text = text[text.index("<svg"):]
    # Element ids (figure_1, axes_1, ...) are the same in every figure: prefix them so the page has unique ids.
    text = re.sub(r'id="([^"]+)"', lambda m: f'id="{name}-{m.group(1)}"', text)
    text = re.sub(r'(url\(#|xlink:href="#|href="#)([^")]+)', lambda m: f"{m.group(1)}{name}-{m.group(2)}", text)
    from markupsafe import escape

    return text.replace("<svg ", f'<svg class="plot" role="img" aria-label="{escape(label)}" data-plot="{name}" ', 1)


def _style(ax: Any) -> None:
    ax.spines[["top", "right"]].set_visible(False)
    ax.grid(axis="y", color="#dddddd", linewidth=0.6)
    ax.set_axisbelow(True)


def history_plot(rows: Sequence[dict[str, Any]]) -> str | None:
    """GD (left axis) and FGE (right axis) at each period end."""
    pts = [r for r in rows if r["gene_diversity"] is not None]
    if not pts:
        return None
    from datetime import date

    days = [date.fromisoformat(r["day"]) for r in pts]
    with _figure() as fig:
        ax = fig.add_subplot()
        ax.plot(days, [r["gene_diversity"] for r in pts], color=PALETTE[0], linewidth=1.8, label="GD")
        ax.set_ylabel("gene diversity (GD)", color=PALETTE[0])
        _style(ax)
        ax2 = ax.twinx()
        ax2.plot(days, [r["founder_genome_equivalents"] for r in pts], color=PALETTE[1], linewidth=1.4,
                 linestyle="--", label="FGE")
        ax2.set_ylabel("founder genome equivalents (FGE)", color=PALETTE[1])
        ax2.spines[["top"]].set_visible(False)
        fig.legend(loc="outside lower center", ncols=2, frameon=False)
        return _svg(fig, "history", "Gene diversity and founder genome equivalents over time")


def mk_histogram(rows: Sequence[dict[str, Any]]) -> str | None:
    """The distribution of mean kinship over the living analysis population."""
    mk = [r["mean_kinship"] for r in rows if r.get("mean_kinship") is not None]
    if not mk:
        return None
    with _figure(7.0, 2.8) as fig:
        ax = fig.add_subplot()
        ax.hist(mk, bins=min(30, max(5, len(mk) // 8)), color=PALETTE[0], edgecolor="white")
        mean = sum(mk) / len(mk)
        ax.axvline(mean, color=PALETTE[1], linestyle="--", linewidth=1.2, label=f"mean MK {mean:.4f}")
        ax.set_xlabel("mean kinship (MK)")
        ax.set_ylabel("animals")
        ax.legend(frameon=False)
        _style(ax)
        return _svg(fig, "mk", "Distribution of mean kinship")


def founder_plot(rows: Sequence[dict[str, Any]]) -> str | None:
    """Each founder's contribution to the living (bars) and its allele retention (points, right axis)."""
    rows = [r for r in rows if r["contribution"] > 0][:30]
    if not rows:
        return None
    with _figure(7.0, 3.2) as fig:
        ax = fig.add_subplot()
        x = list(range(len(rows)))
        colours = [PALETTE[0] if r["kind"] == "founder" else OTHER for r in rows]
        ax.bar(x, [r["contribution"] for r in rows], color=colours, label="contribution p (bars; grey: phantom)")
        ax.set_xticks(x, [str(r["founder"]) for r in rows], rotation=90, fontsize=7)
        ax.set_ylabel("contribution to the living (p)")
        _style(ax)
        if any(r.get("retention") is not None for r in rows):
            ax2 = ax.twinx()
            ax2.plot(x, [math.nan if r.get("retention") is None else r["retention"] for r in rows], "o",
                     color=PALETTE[1], markersize=4, label="retention r (points)")
            ax2.set_ylim(0, 1.05)
            ax2.set_ylabel("allele retention (r)", color=PALETTE[1])
            ax2.spines[["top"]].set_visible(False)
        fig.legend(loc="outside lower center", ncols=2, frameon=False, fontsize=8)
        return _svg(fig, "founders", "Founder contributions and allele retention")


def census_plot(series: dict[str, list[tuple[str, int]]]) -> str | None:
    """Living animals per region (or other group) at each date: one line per group."""
    if not series or not any(v for v in series.values()):
        return None
    from datetime import date

    with _figure() as fig:
        ax = fig.add_subplot()
        for k, (group, pts) in enumerate(sorted(series.items())):
            ax.plot([date.fromisoformat(d[:10]) for d, _ in pts], [n for _, n in pts],
                    color=PALETTE[k % len(PALETTE)], linewidth=1.6,
                    label="no region (e.g. in the wild)" if group == "none" else str(group))
        ax.set_ylabel("living animals")
        _style(ax)
        ax.legend(frameon=False, fontsize=8, ncols=2)
        return _svg(fig, "census", "Census by region over time")


def pyramid_plot(classes: Sequence[tuple[str, int, int]]) -> str | None:
    """Age-sex pyramid: (age class label, males, females), youngest first; males left, females right."""
    if not classes or not any(m or f for _, m, f in classes):
        return None
    with _figure(6.0, max(2.6, 0.15 * len(classes) + 1.2)) as fig:
        ax = fig.add_subplot()
        y = list(range(len(classes)))
        ax.barh(y, [-m for _, m, _ in classes], color=MALE, label="males")
        ax.barh(y, [f for _, _, f in classes], color=FEMALE, label="females")
        ax.set_yticks(y, [c for c, _, _ in classes], fontsize=7)
        top = max(max(m, f) for _, m, f in classes) or 1
        ax.set_xlim(-top * 1.1, top * 1.1)
        ticks = ax.get_xticks()
        ax.set_xticks(ticks, [str(abs(int(t))) for t in ticks])
        ax.axvline(0, color="#333333", linewidth=0.6)
        ax.set_xlabel("animals")
        ax.set_ylabel("age (years)")
        ax.legend(frameon=False, loc="upper right", fontsize=8)
        ax.spines[["top", "right"]].set_visible(False)
        return _svg(fig, "pyramid", "Age-sex pyramid")


def life_table_plot(rows: Sequence[dict[str, Any]]) -> str | None:
    """Survivorship lx by age (and sex when the rows say it)."""
    pts = [r for r in rows if r.get("lx") is not None and r.get("x", r.get("age")) is not None]
    if not pts:
        return None
    with _figure(6.0, 2.8) as fig:
        ax = fig.add_subplot()
        groups: dict[str, list[dict[str, Any]]] = {}
        for r in pts:
            groups.setdefault(str(r.get("sex") or "all"), []).append(r)
        colours = {"M": MALE, "F": FEMALE}
        for k, (sex, rs) in enumerate(sorted(groups.items())):
            ax.step([r.get("x", r.get("age")) for r in rs], [r["lx"] for r in rs], where="post",
                    color=colours.get(sex, PALETTE[(k + 2) % len(PALETTE)]), label=f"lx ({sex})")
        ax.set_xlabel("age x (years)")
        ax.set_ylabel("survivorship lx")
        ax.set_ylim(0, 1.05)
        ax.legend(frameon=False, fontsize=8)
        _style(ax)
        return _svg(fig, "life", "Survivorship by age")


# --- HTML and PDF ------------------------------------------------------------------------------------------------

def _num(value: Any, digits: int = 4) -> str:
    """A table cell: floats to *digits* decimals (round-off near 0 as 0), None empty."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else ""
    if isinstance(value, float):
        if math.isnan(value):
            return ""
        if abs(value) < 5e-13:
            return "0"
        return f"{value:.{digits}f}"
    return str(value)


# Decimals per column of the report's tables (default 4: kinship-scale values).
_DIGITS = {"age": 1, "percent_known": 1, "mk_zscore": 2, "qx_risk": 1, "births": 1, "generation_time": 2,
           "founder_genome_equivalents": 2, "founder_equivalents": 2, "ex": 1, "distance_km": 0,
           "detail_delta_gd": 6, "detail_distance_km": 0}


def _cell(value: Any, column: Any) -> str:
    """A table cell of *column*: :func:`_num` with the column's decimals."""
    return _num(value, _DIGITS.get(str(column), 4))


def _label(key: Any) -> str:
    return str(key).replace("_", " ")


def render_html(data: ReportData) -> str:
    """The report as one HTML document (UTF-8 text) with every plot inline."""
    from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
    from markupsafe import Markup

    from .services.report import SECTIONS

    env = Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=select_autoescape(["html", "j2"]),
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters["num"] = _num
    env.filters["cell"] = _cell
    env.filters["label"] = _label
    hist_rows = data.history.rows()

    def safe(svg: str | None) -> Markup | None:
        return None if svg is None else Markup(svg)  # noqa: S704  (matplotlib output; text in it is escaped)

    plots = {
        "history": safe(history_plot(hist_rows)),
        "mk": safe(mk_histogram(data.mean_kinship)),
        "founders": safe(founder_plot(data.founders)),
        "census": safe(census_plot(data.census.facts.get("series", {}))) if not data.census.missing else None,
        "pyramid": safe(pyramid_plot(data.pyramid.facts.get("classes", ()))) if not data.pyramid.missing else None,
        "life": safe(life_table_plot(data.life_table.rows)) if not data.life_table.missing else None,
    }
    css = (TEMPLATES / "report.css").read_text(encoding="utf-8")
    return env.get_template("report.html.j2").render(
        d=data, sections=SECTIONS, titles={k: t for k, t, _ in SECTIONS}, commands={k: c for k, _, c in SECTIONS},
        plots=plots, history_rows=hist_rows, css=Markup(css),  # noqa: S704  (our own file)
        plan_fulfilment=[{"kind": k, **v} for k, v in data.plan.facts.get("fulfilment", {}).items()],
    )


def html_to_pdf(html: str) -> bytes:
    """The same HTML as a PDF (WeasyPrint; the print rules of the page's CSS apply)."""
    import logging

    from weasyprint import HTML

    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    logging.getLogger("fontTools").setLevel(logging.ERROR)
    pdf = HTML(string=html, base_url=str(TEMPLATES)).write_pdf()
    assert pdf is not None
    return bytes(pdf)
