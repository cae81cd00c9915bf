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


def _husbandry_options(f: Any) -> Any:
    """Options shared by `recommend pairs` and `recommend transfers`: the husbandry rules of a plan
    (docs/decisions.md, "Transfer plans a coordinator would sign")."""
    opts = [
        click.option("--allow-msi", multiple=True, metavar="CLASSES",
                     help="Also recommend pairs of these MSI classes (5, 6, -; repeatable or comma list). "
                          "Default: MSI 1-4 only."),
        click.option("--proven-years", type=float, default=3.0, show_default=True,
                     help="A male and female with an offspring born in these last years, both at the same "
                          "institution now, are a proven pair: kept together, no other partner."),
        click.option("--break-proven-pairs", is_flag=True, help="Allow proven pairs to be split up."),
        click.option("--dependence-months", type=click.FloatRange(min=0), metavar="MONTHS",
                     help="Young under this age stay with their dam, who is neither moved nor re-paired "
                          "[default: the species' dependence_months; 0 = no constraint]."),
        click.option("--block", multiple=True, metavar="A:B",
                     help="Two regions or ISO countries that cannot exchange animals now (repeatable), "
                          "e.g. EAZA:EARAZA or GB:RU."),
        click.option("--permits", "permits_file", type=click.Path(dir_okay=False),
                     help="TOML or JSON file of [[permit]] entries: between = [A, B] with ban = true or cost_km = N."),
    ]
    for opt in reversed(opts):
        f = opt(f)
    return f


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
@click.option("--top", type=click.IntRange(min=1), metavar="N",
              help="Show the N best pairs [table: 20; csv/json: every pair].")
@click.option("--matrix", is_flag=True,
              help="The full male x female MSI matrix (PMx layout: males as rows) instead of the ranked list.")
@click.option("--output", type=click.Path(dir_okay=False), metavar="FILE.csv",
              help="Write the full MSI matrix (PMx layout) to this new CSV file (refused if it exists).")
@_relax_option
@_msi_option
@as_of_option
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default=None,
              help="table for people; csv or json for machines [default: table on a terminal, csv when piped].")
@pass_app
def pair_table_cmd(app: AppContext, top: int | None, matrix: bool, output: str | None, relax: tuple[str, ...],
                   msi_config: str | None, as_of: str | None, fmt: str | None) -> None:
    """Eligible pairs ranked best first (MSI, offspring F, change in GD and the rule that set the MSI).

    The full MSI matrix of every eligible male x female only with --matrix, or written to a file
    with --output FILE.csv.
    """
    from ..services.recommend import load_msi_config, pair_rows, pair_table
    from .output import console

    if fmt is None:
        fmt = "table" if console().is_terminal else "csv"
    config = load_msi_config(msi_config)
    pop = _population(app, as_of=as_of, relax=relax)
    table = pair_table(pop, config)
    if output or matrix:
        rows = pair_rows(pop, table)
        if output:
            from ..errors import InvalidInputError

            try:
                with open(output, "x", encoding="utf-8", newline="") as fh:
                    _write_msi_matrix(rows, fh, "csv")
            except FileExistsError:
                raise InvalidInputError(f"{output} already exists", "give a new file name") from None
            except FileNotFoundError:
                from pathlib import Path

                raise InvalidInputError(f"folder {Path(output).parent} does not exist; nothing was written",
                                        "create the folder first, or give another path") from None
            except OSError as exc:
                raise InvalidInputError(f"cannot write {output}: {exc.strerror or exc}; nothing was written",
                                        "give a new file in a folder you can write to") from None
            n_m = len({r["male"] for r in rows})
            message(f"Wrote {output} (MSI matrix: {n_m} males x {len(rows) // max(n_m, 1)} females).")
        if matrix:
            _write_msi_matrix(rows, None, {"csv": "csv", "json": "json"}.get(fmt, "text"))
        return
    ranked = pair_rows(pop, table, rank=True)
    n_dash = sum(r["msi"] == "-" for r in ranked)
    limit = top if top is not None else (20 if fmt == "table" else None)
    shown = ranked if limit is None else ranked[:limit]
    columns = ["rank", "male", "female", "msi", "offspring_F", "delta_gd", "mk_difference", "msi_rule",
               "male_institution", "female_institution"]
    if fmt == "table":
        emit(shown, "table", columns=columns, title=(
            f"Best {len(shown)} of {len(ranked)} eligible pairs (MSI 1 best, 6 worst, - do not pair; "
            f"{n_dash} pairs are -)"))
        message("The full matrix: --matrix, or --output msi.csv (PMx layout); every pair: --format csv.")
    else:
        emit(shown, fmt, columns=[*columns, "kinship", "offspring_percent_known", "male_percent_known",
                                  "female_percent_known"])


def _write_msi_matrix(rows: list[dict[str, Any]], out: Any, how: str) -> None:
    """The PMx MSI layout: one row per male, one column per female; *how* is csv, json or text (aligned)."""
    import csv
    import sys

    from .output import printable

    def key(s: str) -> tuple[int, str]:
        return (len(s), s)

    males = sorted({r["male"] for r in rows}, key=key)
    females = sorted({r["female"] for r in rows}, key=key)
    msi = {(r["male"], r["female"]): r["msi"] for r in rows}
    lines = [["male/female", *females]] + [[m, *(msi[(m, f)] for f in females)] for m in males]
    stream = out or sys.stdout
    if how == "json":
        from .output import emit_json

        emit_json({"males": males, "females": females, "msi": [line[1:] for line in lines[1:]]}, stream)
        return
    if how == "csv":
        from ..io.cells import escape_cell

        csv.writer(stream, lineterminator="\r\n").writerows([[escape_cell(c) for c in line] for line in lines])
        return
    width = max(len(c) for line in lines for c in line[1:])
    first = max(len(line[0]) for line in lines)
    for line in lines:
        stream.write(printable(line[0].ljust(first) + " " + " ".join(c.rjust(width) for c in line[1:]), keep="")
                     + "\n")


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
@click.option("--allow-dash", is_flag=True, help="Allow pairs whose MSI is '-' (same as --allow-msi -).")
@_husbandry_options
@click.option("--save", is_flag=True, help="Save the result as a plan to track.")
@click.option("--title", help="Title of the saved plan.")
@click.option("--sensitivity", is_flag=True,
              help="Also rank each pair with UNK parents as MULT of their potential parents (`parentage suggest`).")
@_relax_option
@_msi_option
@as_of_option
@format_option
@pass_app
def pairs_cmd(app: AppContext, strategy: str, max_pairs: int | None, allow_dash: bool, allow_msi: tuple[str, ...],
              proven_years: float, break_proven_pairs: bool, dependence_months: float | None,
              block: tuple[str, ...], permits_file: str | None, save: bool, title: str | None, relax: tuple[str, ...], msi_config: str | None, as_of: str | None,
              fmt: str, sensitivity: bool = False) -> None:
    """The set of pairs (each animal at most once) that maximises the population's genetic gain."""
    from ..services.recommend import load_msi_config, load_permits, pair_table, recommend_pairs

    config = load_msi_config(msi_config)
    permits = load_permits(block, permits_file)
    pop = _population(app, as_of=as_of, relax=relax, distances=True)
    table = pair_table(pop, config)
    rows, summary = recommend_pairs(pop, table, strategy=strategy, max_pairs=max_pairs, allow_dash=allow_dash,
                                    allow_msi=allow_msi, proven_years=proven_years,
                                    break_proven_pairs=break_proven_pairs, dependence_months=dependence_months,
                                    permits=permits)
    if sensitivity:
        from .parentage import pair_sensitivity, render_pair_sensitivity

        ranks = pair_sensitivity(app, pop, table, rows)  # adds the ranks to each row (json shows them)
    emit(rows, fmt, title=f"Recommended pairs ({strategy})", columns=[
        "male", "female", "kinship", "offspring_F", "delta_gd", "msi", "male_institution", "female_institution",
        "distance_km", "move"])
    _summary_lines(summary)
    if sensitivity:
        render_pair_sensitivity(ranks, fmt)
    if save:
        _save(app, "pairs", title, {"strategy": strategy, "max_pairs": max_pairs, "allow_dash": allow_dash,
                                    "allow_msi": list(allow_msi), "proven_years": proven_years,
                                    "break_proven_pairs": break_proven_pairs,
                                    "dependence_months": dependence_months, "block": list(block),
                                    "permits": permits_file, "relax": list(relax), "msi_config": msi_config, "as_of": _day(pop)},
              summary, [{"kind": "breed", "male": r["male"], "female": r["female"],
                         "details": {"kinship": r["kinship"], "delta_gd": r["delta_gd"], "msi": r["msi"]}}
                        for r in rows])


@recommend.command("transfers")
@click.option("--distance-weight", type=float, default=0.1, show_default=True,
              help="Cost of 1000 km of moves, as a multiple of the mean gene-diversity gain of an optimal pair "
                   "(0 = genetics only; 0.5 = a 1000 km move must be worth half a pair).")
@click.option("--cross-region-min-gain", type=float, default=1.0, show_default=True,
              help="A pair needing a move between regions must gain at least this many mean pair gains.")
@click.option("--allow-opposite-flows", is_flag=True,
              help="Allow moves in both directions between two regions in one plan.")
@click.option("--cross-region-km", type=float, default=0.0, show_default=True,
              help="Flat extra cost (km) of every move between regions; --block/--permits set it per pair.")
@click.option("--max-pairs", type=int)
@click.option("--allow-dash", is_flag=True, help="Allow pairs whose MSI is '-' (same as --allow-msi -).")
@_husbandry_options
@click.option("--holdings", is_flag=True, help="Instead: mean kinship between the holdings of every two institutions.")
@click.option("--sensitivity", is_flag=True,
              help="Also rank each pair of the plan with UNK parents as MULT of their potential parents "
                   "(`parentage suggest`), beside the ranks with UNK parents as founders.")
@click.option("--save", is_flag=True, help="Save the plan (pairs and transfers) to track.")
@click.option("--title")
@_relax_option
@_msi_option
@as_of_option
@format_option
@pass_app
def transfers_cmd(app: AppContext, distance_weight: float, cross_region_min_gain: float, allow_opposite_flows: bool,
                  cross_region_km: float, max_pairs: int | None, allow_dash: bool, allow_msi: tuple[str, ...],
                  proven_years: float, break_proven_pairs: bool, dependence_months: float | None,
                  block: tuple[str, ...], permits_file: str | None, holdings: bool, sensitivity: bool, save: bool,
                  title: str | None, relax: tuple[str, ...], msi_config: str | None, as_of: str | None,
                  fmt: str) -> None:
    """The breeding-and-transfer plan: which animals move where, why, and at what distance."""
    from ..services.recommend import (
        holdings_kinship_rows,
        load_msi_config,
        load_permits,
        pair_table,
        recommend_transfers,
    )

    config = load_msi_config(msi_config)
    permits = load_permits(block, permits_file)
    pop = _population(app, as_of=as_of, relax=relax, distances=True)
    if holdings:
        emit(holdings_kinship_rows(pop), fmt, title="Mean kinship between institutions' holdings (lowest first)")
        return
    table = pair_table(pop, config)
    moves, pairs, totals = recommend_transfers(
        pop, table, distance_weight=distance_weight, cross_region_km=cross_region_km, max_pairs=max_pairs,
        allow_dash=allow_dash, allow_msi=allow_msi, proven_years=proven_years, break_proven_pairs=break_proven_pairs,
        dependence_months=dependence_months, cross_region_min_gain=cross_region_min_gain, allow_opposite_flows=allow_opposite_flows, permits=permits)
    ranks = None
    if sensitivity:
        from .parentage import pair_sensitivity

        ranks = pair_sensitivity(app, pop, table, pairs)  # adds the ranks to each pair (json shows them)
    if fmt == "json":
        emit_json({"transfers": moves, "pairs": pairs, "totals": totals})
    elif fmt == "csv":
        emit(_plan_rows(moves, pairs), "csv", columns=PLAN_COLUMNS)
        _summary_lines(totals)
    else:
        emit(moves, fmt, title="Transfers", columns=[
            "animal", "sex", "from", "to", "distance_km", "cross_region", "pair_male", "pair_female", "delta_gd", "why"])
        emit(pairs, "table", title="Pairs", columns=["male", "female", "offspring_F", "delta_gd", "msi", "move"])
        _summary_lines(totals)
    if ranks is not None:
        from .parentage import render_pair_sensitivity

        render_pair_sensitivity(ranks, fmt)
    if save:
        recs = [{"kind": "breed", "male": p["male"], "female": p["female"],
                 "details": {"kinship": p["kinship"], "delta_gd": p["delta_gd"], "msi": p["msi"]}} for p in pairs]
        recs += [{"kind": "transfer", "animal": m["animal"], "from": m["from"], "to": m["to"],
                  "details": {"distance_km": m["distance_km"], "cross_region": m["cross_region"], "why": m["why"]}}
                 for m in moves]
        _save(app, "transfers", title, {"distance_weight": distance_weight, "cross_region_km": cross_region_km,
                                        "cross_region_min_gain": cross_region_min_gain,
                                        "allow_opposite_flows": allow_opposite_flows, "allow_msi": list(allow_msi),
                                        "proven_years": proven_years, "break_proven_pairs": break_proven_pairs,
                                        "dependence_months": dependence_months, "block": list(block), "permits": permits_file,
                                        "max_pairs": max_pairs, "allow_dash": allow_dash, "relax": list(relax),
                                        "msi_config": msi_config, "as_of": _day(pop)}, totals, recs)


PLAN_COLUMNS = ["kind", "male", "female", "msi", "offspring_F", "delta_gd", "animal", "sex", "from", "to",
                "distance_km", "cross_region", "why"]
"""Columns of ``recommend transfers --format csv``: one ``pair`` row per pair of the plan, then one ``move`` row
per transfer, each with its reason (``why``)."""


def _plan_rows(moves: list[dict[str, Any]], pairs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The whole plan as one table: every pair (with where it breeds) and every move (with its reason)."""
    rows: list[dict[str, Any]] = []
    for p in pairs:
        move = p.get("move") or ""
        where = (f"move {move}" if move else
                 f"together at {p.get('male_institution')}" if p.get("male_institution") else "no move")
        why = f"MSI {p.get('msi')} ({p.get('msi_rule')})" if p.get("msi_rule") else f"MSI {p.get('msi')}"
        rows.append({"kind": "pair", "male": p.get("male"), "female": p.get("female"), "msi": p.get("msi"),
                     "offspring_F": p.get("offspring_F", p.get("kinship")), "delta_gd": p.get("delta_gd"),
                     "distance_km": p.get("distance_km"), "why": f"{why}; {where}"})
    for m in moves:
        rows.append({"kind": "move", "male": m.get("pair_male"), "female": m.get("pair_female"),
                     "delta_gd": m.get("delta_gd"), "animal": m.get("animal"), "sex": m.get("sex"),
                     "from": m.get("from"), "to": m.get("to"), "distance_km": m.get("distance_km"),
                     "cross_region": m.get("cross_region"), "why": m.get("reason") or m.get("why")})
    return rows


@recommend.command("reintroduction")
@click.option("--count", type=int, required=True, help="How many animals to release.")
@click.option("--sex-ratio", help="Males:females of the group, e.g. 1:1.")
@click.option("--min-age", type=float, help="Youngest age (years; default: the species' release_age_min).")
@click.option("--max-age", type=float, help="Oldest age (years; default: the species' release_age_max).")
@click.option("--include-hand-reared", is_flag=True, help="Allow hand-reared animals (default: parent-reared only).")
@click.option("--include-health-notes", is_flag=True, help="Allow animals with health notes.")
@click.option("--group-weight", type=float, default=0.25, show_default=True,
              help="Weight of the released group's own diversity against the captive loss (0 = captive loss only).")
@click.option("--max-institutions", type=int, help="Take the group from at most this many institutions.")
@click.option("--keep-carriers", type=int, default=1, show_default=True,
              help="Breeding-age (or younger) carriers each founder lineage keeps in captivity.")
@click.option("--tolerance", type=float, default=0.002, show_default=True,
              help="Score difference (kinship units) under which candidates count as genetically equal "
                   "(then the nearer institution wins).")
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
                       group_weight: float, max_institutions: int | None, keep_carriers: int, tolerance: float,
                       seed: int, output: str | None, save: bool, title: str | None, as_of: str | None,
                       fmt: str) -> None:
    """Release candidates whose removal costs the captive population the least gene diversity.

    Defaults follow the species: release ages, no dependent young and no dam with
    dependent young; no founder lineage loses its last young carriers in captivity.
    """
    from ..errors import InvalidInputError
    from ..services.book import species_params
    from ..services.reintroduction import parse_sex_ratio, recommend_reintroduction

    ratio = parse_sex_ratio(sex_ratio)
    if fmt == "xlsx" and not output:
        raise InvalidInputError("--format xlsx needs --output FILE.xlsx", "e.g. --output release.xlsx")
    pop = _population(app, as_of=as_of)
    with app.session() as session:
        species = species_params(session)
    rows, summary = recommend_reintroduction(
        pop, species, count=count, sex_ratio=ratio, min_age=min_age, max_age=max_age,
        parent_reared_only=not include_hand_reared, allow_health_notes=include_health_notes, seed=seed,
        group_weight=group_weight, max_institutions=max_institutions, keep_carriers=keep_carriers,
        tolerance=tolerance)
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
                                             "group_weight": group_weight, "max_institutions": max_institutions,
                                             "keep_carriers": keep_carriers, "tolerance": tolerance,
                                             "seed": seed, "as_of": _day(pop)}, summary,
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
