"""``studbook report``: everything the population report shows, gathered in one session.

:func:`gather_report` reads the book's rows once (``analysis.read_rows``), builds the
book on the reference day and at each year end from them (``pedigree_rows.build_loaded``),
and collects the sections the report shows, each from the service a command uses
(so every number in the report is the number that command prints). Rendering to
HTML and PDF is ``studbook.report_render`` (pure); writing the files is
:func:`write_file_atomic`.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .. import __version__
from ..errors import InvalidInputError, StudbookError
from .history import GeneticHistory, genetic_history, point_of
from .problems import ProblemRow

# Report sections: (key, title, the command that prints the same numbers).
SECTIONS = (
    ("summary", "The book", "studbook genetics summary; studbook problems list --open"),
    ("census", "Census by region over time", "studbook demography census --by region"),
    ("pyramid", "Age-sex pyramid", "studbook demography pyramid"),
    ("history", "Gene diversity and FGE history", "studbook genetics history"),
    ("founders", "Founder representation and retention", "studbook genetics founders"),
    ("mean-kinship", "Mean kinship", "studbook genetics mean-kinship"),
    ("life-table", "Life table and growth", "studbook demography life-table; studbook demography summary"),
    ("plan", "The current plan and its fulfilment", "studbook plan show ID; studbook plan report"),
)
Progress = Callable[[str], None]


@dataclass(frozen=True)
class Section:
    """Rows and facts of one section, or why it is not available (``missing``)."""

    rows: tuple[dict[str, Any], ...] = ()
    facts: dict[str, Any] = field(default_factory=dict)
    missing: str | None = None


@dataclass(frozen=True)
class ReportData:
    """What the report shows, all as of ``day`` (the book as it stood then)."""

    species: str
    scientific_name: str
    day: date
    note: str | None
    generated_at: str
    version: str
    schema_revision: str
    book: dict[str, Any]
    genetics: dict[str, Any]
    problems: tuple[ProblemRow, ...]
    history: GeneticHistory
    founders: tuple[dict[str, Any], ...]
    gene_drop: dict[str, Any]
    mean_kinship: tuple[dict[str, Any], ...]
    census: Section
    pyramid: Section
    life_table: Section
    plan: Section
    fulfilment: tuple[dict[str, Any], ...]


def gather_report(session: Session, as_of: date | None = None, *, iterations: int = 1000, seed: int = 1,
                  progress: Progress | None = None) -> ReportData:
    """Collect every section of the report from *session* (read only).

    Args:
        as_of: The reference day (default: the book's census date, else today).
        iterations, seed: The gene drop of the founder retention (``genetics founders``).
        progress: Called with the name of each step as it starts.
    """
    from ..db import head_revision
    from ..models import Institution, Species
    from .analysis import read_rows
    from .genetics import founder_rows, mean_kinship_rows, run_gene_drop, summary
    from .pedigree_rows import build_loaded
    from .problems import list_problems

    step = progress or (lambda _name: None)
    step("reading the book")
    rows = read_rows(session)
    loaded = build_loaded(rows, as_of)
    day = loaded.day or date.today()
    species = session.execute(select(Species.common_name, Species.scientific_name).limit(1)).first()
    regions = {str(c): r for c, r in session.execute(select(Institution.code, Institution.region))}
    step("genetic summary")
    gen = summary(loaded)
    step("genetic history")
    hist = genetic_history(rows, as_of=day)
    if not hist.points or hist.points[-1].day != day:  # the report's day closes the curve
        hist = replace(hist, points=(*hist.points, point_of(loaded)))
    step("founders and gene drop")
    # No living animal: no founder is represented (and `genetics founders` fails on an empty pedigree).
    res = run_gene_drop(loaded, iterations, seed) if len(loaded.pedigree.living) else None
    founders = founder_rows(loaded, gene_drop_result=res) if res is not None else []
    step("mean kinship")
    mk = mean_kinship_rows(loaded)
    step("demography")
    census, pyramid, life = _demography(session, day)
    step("plans")
    plan, fulfil = _plan(session)
    alive = [inf for inf in loaded.info.values() if inf.alive]
    by_region = Counter(("in the wild" if inf.in_wild else (regions.get(inf.location or "") or "no region"))
                        for inf in alive)
    book = {
        "records": loaded.pedigree.n, "alive": len(alive), "males": sum(i.sex == "M" for i in alive),
        "females": sum(i.sex == "F" for i in alive), "unknown_sex": sum(i.sex not in ("M", "F") for i in alive),
        "in_the_wild": sum(i.in_wild for i in alive),
        "institutions_holding": len({i.location for i in alive if i.location and not i.in_wild}),
        "alive_by_region": dict(sorted(by_region.items(), key=lambda kv: (-kv[1], kv[0]))),
        "open_problems": loaded.open_problems,
    }
    return ReportData(
        species=species[0] if species else "", scientific_name=species[1] if species else "", day=day,
        note=loaded.note, generated_at=datetime.now(UTC).isoformat(timespec="seconds"), version=__version__,
        schema_revision=head_revision(), book=book, genetics=gen,
        problems=tuple(list_problems(session, only_open=True)), history=hist, founders=tuple(founders),
        gene_drop={"iterations": iterations, "seed": seed, "ran": res is not None}, mean_kinship=tuple(mk),
        census=census, pyramid=pyramid, life_table=life, plan=plan, fulfilment=tuple(fulfil),
    )


def _plan(session: Session) -> tuple[Section, list[dict[str, Any]]]:
    """The latest saved plan (``plan show``) and the fulfilment of all plans (``plan report``)."""
    from ..models import Plan
    from .plans import fulfilment_report, show_plan

    last = session.scalar(select(func.max(Plan.id)))
    if last is None:
        return Section(missing="no plan has been saved yet (`studbook recommend pairs --save` saves one)"), []
    p = show_plan(session, int(last))
    facts = {k: p[k] for k in ("plan", "kind", "title", "created", "by")}
    facts["summary"] = p["summary"]
    facts["fulfilment"] = p["fulfilment"]
    return Section(rows=tuple(p["recommendations"]), facts=facts), fulfilment_report(session)


def _demography(session: Session, day: date) -> tuple[Section, Section, Section]:
    """Census by region, age-sex pyramid and life tables with λ, from ``services.demography`` (the services
    of ``demography census --by region``, ``demography pyramid``, ``demography life-table`` and ``summary``).

    A section the book cannot give (e.g. no dated records) says why instead of failing the whole report."""
    from . import demography as dem

    def census() -> Section:
        rep = dem.census_report(session, by="region", every="year", as_of=day)
        series: dict[str, list[tuple[str, int]]] = {g: [] for g in rep.groups}
        rows = []
        for p in rep.points:
            counts = dict(p.counts)
            rows.append({"day": p.day.isoformat(), "total": p.total, **{g: counts.get(g, 0) for g in rep.groups}})
            for g in rep.groups:
                series[g].append((p.day.isoformat(), counts.get(g, 0)))
        return Section(rows=tuple(rows), facts={"series": series, "groups": rep.groups})

    def pyramid() -> Section:
        rep = dem.age_pyramid(session, as_of=day)
        rows = tuple({"age": f"{r.age}-{r.age_to}", "males": r.males, "females": r.females, "unknown_sex": r.unknown}
                     for r in rep.pyramid.rows)
        classes = [(f"{r.age}-{r.age_to}", r.males, r.females) for r in rep.pyramid.rows]
        return Section(rows=rows, facts={"classes": classes, "age_unknown": rep.pyramid.age_unknown})

    def life() -> Section:
        growth = dem.growth_summary(session, as_of=day)
        rows: list[dict[str, Any]] = []
        for sex in ("F", "M"):
            table = dem.life_table_report(session, sex=sex, as_of=day).table
            rows += [{"sex": sex, **{k: v for k, v in asdict(r).items() if k not in ("mx_risk", "small_risk")}}
                     for r in table.rows]
        g_rows = [{"sex": g.sex, "lambda": g.lam, "r": g.r, "generation_time": g.generation_time, "R0": g.r0,
                   "animals": g.animals, "deaths": g.deaths, "births": g.births, "why_no_lambda": g.reason}
                  for g in growth.rows]
        window = f"{growth.rows[0].window_start.isoformat()} to {growth.rows[0].window_end.isoformat()}"
        return Section(rows=tuple(rows), facts={"growth": g_rows, "window": window,
                                                "population": growth.rows[0].population})

    return _section(census), _section(pyramid), _section(life)


def _section(make: Callable[[], Section]) -> Section:
    try:
        return make()
    except StudbookError as exc:
        return Section(missing=exc.reason)


# --- writing the files -----------------------------------------------------------------------------------------

HTML_SUFFIXES = (".html", ".htm")


def check_report_target(path: Path, suffixes: tuple[str, ...], what: str) -> None:
    """*path* must end in one of *suffixes*, not be a folder, and be in a folder that exists.

    An existing report is replaced (atomically); a file of another kind never is, by the suffix rule.
    """
    path = Path(path)
    if path.suffix.lower() not in suffixes:
        raise InvalidInputError(f"{what} {path} does not end in {' or '.join(suffixes)}; nothing was written",
                                f"give a file name ending in {suffixes[0]}")
    if path.is_dir():
        raise InvalidInputError(f"{what} {path} is a folder; nothing was written", "give a file name")
    parent = path.resolve().parent
    if not parent.is_dir():
        raise InvalidInputError(f"folder {parent} does not exist; nothing was written",
                                "create the folder first, or give another path")
    if not os.access(parent, os.W_OK):
        raise InvalidInputError(f"folder {parent} is not writable; nothing was written", "give another path")


def write_file_atomic(path: Path, data: bytes) -> None:
    """Write *data* to a temporary file of the same folder, then rename it to *path*: readers see the old
    file or the new one, never half of one, and a failure leaves the old file as it was."""
    from .export import current_umask

    path = Path(path)
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.resolve().parent)
    tmp = Path(name)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        tmp.chmod(0o666 & ~current_umask())  # mkstemp makes it private; the report gets the usual mode
        os.replace(tmp, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
