"""``studbook recommend ...`` (pairs, transfers, reintroduction) and ``studbook plan ...``."""

from __future__ import annotations

from typing import Any

import click

from .app import AppContext, pass_app
from .output import as_of_option, emit, emit_json, emit_object, format_option, message

RELAX = click.Choice(["age", "do-not-breed", "contracepted"])


def _relax_option(f: Any) -> Any:
    return click.option("--relax", multiple=True, type=RELAX,
                        help="Lift one breeding exclusion (repeatable): age, do-not-breed, contracepted.")(f)


def _msi_option(f: Any) -> Any:
    return click.option("--msi-config", type=click.Path(dir_okay=False),
                        help="JSON or TOML file with MSI thresholds (see docs/decisions.md).")(f)


def _population(app: AppContext, *, as_of: str | None, relax: tuple[str, ...] = (), distances: bool = False) -> Any:
    """The living analysis population on --as-of (default: the census date, else today).

    The census-date note, the open-problems warning and (*distances*) the institutions left
    out of distance-based planning go to stderr, one line each.
    """
    from ..services.recommend import build_population

    with app.session() as session:
        pop = build_population(session, relax=relax, as_of=as_of)
    for line in (pop.loaded.note, pop.loaded.problems_warning(), pop.coordinates_warning() if distances else None):
        if line:
            message(line)
    return pop


def _day(pop: Any) -> str | None:
    """The day the plan was computed for (None: the day it was saved)."""
    return pop.loaded.day.isoformat() if pop.loaded.day else None


@click.group()
def recommend() -> None:
    """Breeding and transfer decisions: MSI pair table, optimal pairs, transfer plan, release candidates."""


@recommend.command("pair-table")
@_relax_option
@_msi_option
@as_of_option
@format_option
@pass_app
def pair_table_cmd(app: AppContext, relax: tuple[str, ...], msi_config: str | None, as_of: str | None,
                   fmt: str) -> None:
    """MSI of every eligible male x female (a matrix on a terminal; one row per pair with csv/json)."""
    from ..services.recommend import load_msi_config, pair_rows, pair_table

    config = load_msi_config(msi_config)
    pop = _population(app, as_of=as_of, relax=relax)
    table = pair_table(pop, config)
    rows = pair_rows(pop, table)
    if fmt != "table":
        emit(rows, fmt, columns=["male", "female", "kinship", "delta_gd", "mk_difference", "msi"])
        return
    males = sorted({r["male"] for r in rows}, key=lambda s: (len(s), s))
    females = sorted({r["female"] for r in rows}, key=lambda s: (len(s), s))
    msi = {(r["male"], r["female"]): r["msi"] for r in rows}
    from rich.table import Table

    from .output import console, rich_text

    # IDs are stored text: Text cells and headers, never markup.
    title = f"MSI: {len(males)} males (rows) x {len(females)} females (columns); 1 best, 6 worst, - do not pair"
    t = Table(title=rich_text(title))
    t.add_column("male")
    for f in females:
        t.add_column(rich_text(f), justify="center")
    for m in males:
        t.add_row(rich_text(m), *(rich_text(msi[(m, f)]) for f in females))
    console().print(t)


@recommend.command("evaluate")
@click.argument("male")
@click.argument("female")
@_msi_option
@as_of_option
@format_option
@pass_app
def evaluate_cmd(app: AppContext, male: str, female: str, msi_config: str | None, as_of: str | None,
                 fmt: str) -> None:
    """Explain one prospective pair: kinship, offspring F, change in GD, MK difference, MSI, distance."""
    from ..services.recommend import evaluate_one, load_msi_config

    config = load_msi_config(msi_config)
    pop = _population(app, as_of=as_of, distances=True)
    emit_object(evaluate_one(pop, male, female, config), fmt, title=f"Pair {male} x {female}")


def _save(app: AppContext, kind: str, title: str | None, parameters: dict[str, Any], summary: dict[str, Any],
          recs: list[dict[str, Any]]) -> None:
    from ..services.plans import save_plan

    with app.session(write=True) as session:
        plan = save_plan(session, kind, title=title, parameters=parameters, summary=summary, recommendations=recs)
        plan_id = plan.id
    message(f"Saved as plan {plan_id} ({len(recs)} recommendations): `studbook plan show {plan_id}`.")


def _summary_lines(summary: dict[str, Any]) -> None:
    for k, v in summary.items():
        if isinstance(v, float):
            v = f"{v:.6g}"
        message(f"  {k.replace('_', ' ')}: {v}")


@recommend.command("pairs")
@click.option("--strategy", type=click.Choice(["optimal", "dynamic-mk"]), default="optimal", show_default=True)
@click.option("--max-pairs", type=int, help="At most this many pairs.")
@click.option("--allow-dash", is_flag=True, help="Allow pairs whose MSI is '-' (do not pair without advice).")
@click.option("--save", is_flag=True, help="Save the result as a plan to track.")
@click.option("--title", help="Title of the saved plan.")
@_relax_option
@_msi_option
@as_of_option
@format_option
@pass_app
def pairs_cmd(app: AppContext, strategy: str, max_pairs: int | None, allow_dash: bool, save: bool,
              title: str | None, relax: tuple[str, ...], msi_config: str | None, as_of: str | None, fmt: str) -> None:
    """The set of pairs (each animal at most once) that maximises the population's genetic gain."""
    from ..services.recommend import load_msi_config, pair_table, recommend_pairs

    config = load_msi_config(msi_config)
    pop = _population(app, as_of=as_of, relax=relax, distances=True)
    table = pair_table(pop, config)
    rows, summary = recommend_pairs(pop, table, strategy=strategy, max_pairs=max_pairs, allow_dash=allow_dash)
    emit(rows, fmt, title=f"Recommended pairs ({strategy})", columns=[
        "male", "female", "kinship", "offspring_F", "delta_gd", "msi", "male_institution", "female_institution",
        "distance_km", "move"])
    _summary_lines(summary)
    if save:
        _save(app, "pairs", title, {"strategy": strategy, "max_pairs": max_pairs, "allow_dash": allow_dash,
                                    "relax": list(relax), "msi_config": msi_config, "as_of": _day(pop)},
              summary, [{"kind": "breed", "male": r["male"], "female": r["female"],
                         "details": {"kinship": r["kinship"], "delta_gd": r["delta_gd"], "msi": r["msi"]}}
                        for r in rows])


@recommend.command("transfers")
@click.option("--distance-weight", type=float, default=0.0, show_default=True,
              help="Cost of 1000 km of moves, as a multiple of the mean gene-diversity gain of an optimal pair "
                   "(0 = genetics only; 0.5 = a 1000 km move must be worth half a pair).")
@click.option("--cross-region-km", type=float, default=3000.0, show_default=True,
              help="Extra cost of a move between regions (permits, quarantine), in km.")
@click.option("--max-pairs", type=int)
@click.option("--allow-dash", is_flag=True)
@click.option("--holdings", is_flag=True, help="Instead: mean kinship between the holdings of every two institutions.")
@click.option("--save", is_flag=True, help="Save the plan (pairs and transfers) to track.")
@click.option("--title")
@_relax_option
@_msi_option
@as_of_option
@format_option
@pass_app
def transfers_cmd(app: AppContext, distance_weight: float, cross_region_km: float, max_pairs: int | None,
                  allow_dash: bool, holdings: bool, save: bool, title: str | None, relax: tuple[str, ...],
                  msi_config: str | None, as_of: str | None, fmt: str) -> None:
    """The breeding-and-transfer plan: which animals move where, why, and at what distance."""
    from ..services.recommend import holdings_kinship_rows, load_msi_config, pair_table, recommend_transfers

    config = load_msi_config(msi_config)
    pop = _population(app, as_of=as_of, relax=relax, distances=True)
    if holdings:
        emit(holdings_kinship_rows(pop), fmt, title="Mean kinship between institutions' holdings (lowest first)")
        return
    table = pair_table(pop, config)
    moves, pairs, totals = recommend_transfers(pop, table, distance_weight=distance_weight,
                                               cross_region_km=cross_region_km, max_pairs=max_pairs,
                                               allow_dash=allow_dash)
    if fmt == "json":
        emit_json({"transfers": moves, "pairs": pairs, "totals": totals})
    else:
        emit(moves, fmt, title="Transfers", columns=[
            "animal", "sex", "from", "to", "distance_km", "cross_region", "pair_male", "pair_female", "delta_gd", "why"])
        if fmt == "table":
            emit(pairs, "table", title="Pairs", columns=["male", "female", "kinship", "delta_gd", "msi", "move"])
        _summary_lines(totals)
    if save:
        recs = [{"kind": "breed", "male": p["male"], "female": p["female"],
                 "details": {"kinship": p["kinship"], "delta_gd": p["delta_gd"], "msi": p["msi"]}} for p in pairs]
        recs += [{"kind": "transfer", "animal": m["animal"], "from": m["from"], "to": m["to"],
                  "details": {"distance_km": m["distance_km"], "cross_region": m["cross_region"], "why": m["why"]}}
                 for m in moves]
        _save(app, "transfers", title, {"distance_weight": distance_weight, "cross_region_km": cross_region_km,
                                        "max_pairs": max_pairs, "allow_dash": allow_dash, "relax": list(relax),
                                        "msi_config": msi_config, "as_of": _day(pop)}, totals, recs)


@recommend.command("reintroduction")
@click.option("--count", type=int, required=True, help="How many animals to release.")
@click.option("--sex-ratio", help="Males:females of the group, e.g. 1:1.")
@click.option("--min-age", type=float, help="Youngest age (years).")
@click.option("--max-age", type=float, help="Oldest age (years).")
@click.option("--include-hand-reared", is_flag=True, help="Allow hand-reared animals (default: parent-reared only).")
@click.option("--include-health-notes", is_flag=True, help="Allow animals with health notes.")
@click.option("--group-weight", type=float, default=0.25, show_default=True,
              help="Weight of the released group's own diversity against the captive loss (0 = captive loss only).")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the random-group comparison.")
@click.option("--output", type=click.Path(dir_okay=False), help="Write to this file (required for xlsx).")
@click.option("--save", is_flag=True, help="Save the candidate list as a plan to track.")
@click.option("--title")
@as_of_option
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json", "xlsx"]), default="table",
              show_default=True)
@pass_app
def reintroduction_cmd(app: AppContext, count: int, sex_ratio: str | None, min_age: float | None,
                       max_age: float | None, include_hand_reared: bool, include_health_notes: bool,
                       group_weight: float, seed: int,
                       output: str | None, save: bool, title: str | None, as_of: str | None, fmt: str) -> None:
    """Release candidates whose removal costs the captive population the least gene diversity."""
    from ..errors import InvalidInputError
    from ..services.recommend import parse_sex_ratio, recommend_reintroduction

    ratio = parse_sex_ratio(sex_ratio)
    if fmt == "xlsx" and not output:
        raise InvalidInputError("--format xlsx needs --output FILE.xlsx", "e.g. --output release.xlsx")
    pop = _population(app, as_of=as_of)
    rows, summary = recommend_reintroduction(
        pop, count=count, sex_ratio=ratio, min_age=min_age, max_age=max_age,
        parent_reared_only=not include_hand_reared, allow_health_notes=include_health_notes, seed=seed,
        group_weight=group_weight)
    columns = ["id", "name", "sex", "birth_date", "age", "institution", "mean_kinship", "F", "percent_known",
               "delta_gd_if_removed", "founder_lineages"]
    if fmt == "xlsx":
        from ..io.xlsx import write_xlsx

        assert output is not None  # checked above: xlsx needs --output
        write_xlsx(output, [
            ("Candidates", columns, [[r[c] for c in columns] for r in rows]),
            ("Release impact", ["measure", "value"], [[k, v] for k, v in summary.items()]),
        ])
        message(f"Wrote {output} ({len(rows)} candidates).")
    elif output:
        with open(output, "w", encoding="utf-8", newline="") as fh:
            if fmt == "json":
                emit_json({"candidates": rows, "release_impact": summary}, fh)
            else:
                emit(rows, "csv" if fmt == "table" else fmt, columns=columns, out=fh)
        message(f"Wrote {output} ({len(rows)} candidates).")
    elif fmt == "json":
        emit_json({"candidates": rows, "release_impact": summary})
    else:
        emit(rows, fmt, title="Reintroduction candidates", columns=columns)
    if fmt in ("table", "csv") or output:
        message("Release impact:")
        _summary_lines(summary)
    if save:
        _save(app, "reintroduction", title, {"count": count, "sex_ratio": sex_ratio, "min_age": min_age,
                                             "max_age": max_age, "parent_reared_only": not include_hand_reared,
                                             "group_weight": group_weight, "seed": seed, "as_of": _day(pop)}, summary,
              [{"kind": "release", "animal": r["id"], "from": r["institution"],
                "details": {"delta_gd_if_removed": r["delta_gd_if_removed"], "mean_kinship": r["mean_kinship"]}}
               for r in rows])


@click.group()
def plan() -> None:
    """Saved plans and the fate of their recommendations."""


@plan.command("list")
@format_option
@pass_app
def plan_list(app: AppContext, fmt: str) -> None:
    """Saved plans with how many recommendations are fulfilled and open."""
    from ..services.plans import list_plans

    with app.session() as session:
        emit(list_plans(session), fmt, title="Plans")


@plan.command("show")
@click.argument("plan_id", type=int)
@format_option
@pass_app
def plan_show(app: AppContext, plan_id: int, fmt: str) -> None:
    """A plan: its parameters, the book it was computed from, its recommendations and fulfilment rates."""
    from ..services.plans import show_plan

    with app.session() as session:
        p = show_plan(session, plan_id)
    if fmt == "json":
        emit_json(p)
        return
    if fmt == "csv":
        emit(p["recommendations"], "csv")
        return
    message(f"Plan {p['plan']} ({p['kind']}) {p['title'] or ''} by {p['by']} on {p['created']}")
    message(f"  parameters: {p['parameters']}")
    message(f"  book: {p['book_state']}")
    emit(p["recommendations"], "table", title="Recommendations",
         columns=["id", "kind", "male", "female", "animal", "from", "to", "status", "status_date", "reason"])
    rows = [{"kind": k, **v} for k, v in p["fulfilment"].items()]
    emit(rows, "table", title="Fulfilment")


@plan.command("set-status")
@click.argument("plan_id", type=int)
@click.argument("recommendation_id", type=int)
@click.argument("status", type=click.Choice(["proposed", "accepted", "declined", "fulfilled", "failed"]))
@click.option("--reason", help="Why (required for declined and failed).")
@click.option("--date", "on", help="When (default today).")
@pass_app
def plan_set_status(app: AppContext, plan_id: int, recommendation_id: int, status: str, reason: str | None,
                    on: str | None) -> None:
    """Record what became of a recommendation (accepted, declined, fulfilled, failed)."""
    from ..services.plans import set_status

    with app.session(write=True) as session:
        set_status(session, plan_id, recommendation_id, status, reason=reason, on=on)
    message(f"Recommendation {recommendation_id} of plan {plan_id} is now {status}.")


@plan.command("report")
@format_option
@pass_app
def plan_report(app: AppContext, fmt: str) -> None:
    """Fulfilment rates of all recommendations, per plan and kind."""
    from ..services.plans import fulfilment_report

    with app.session() as session:
        emit(fulfilment_report(session), fmt, title="Fulfilment of recommendations")
