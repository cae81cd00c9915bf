"""``studbook parentage ...``: the potential parents of UNK sires and dams, and MULT proposals."""

from __future__ import annotations

import click

from .app import AppContext, pass_app
from .output import emit, format_option, message, warnings


@click.group()
def parentage() -> None:
    """Unknown parents: potential sires and dams from the location history, as MULT proposals."""


@parentage.command("suggest")
@click.argument("ids", nargs=-1)
@click.option("--all-unk", is_flag=True, help="Every animal with an UNK sire or dam.")
@click.option("--role", type=click.Choice(["sire", "dam"]), help="Only this parent slot.")
@click.option("--apply", "do_apply", is_flag=True,
              help="Record each proposal as MULT parents (audited; undo with `animal update ID --sire UNK`).")
@click.option("--reason", help="Why (required with --apply; goes into the audit log).")
@format_option
@pass_app
def suggest_cmd(app: AppContext, ids: tuple[str, ...], all_unk: bool, role: str | None, do_apply: bool,
                reason: str | None, fmt: str) -> None:
    """Potential parents of each UNK parent: animals of the right sex at the birth institution in the
    conception window, of breeding age, not descendants; proposed as equal-probability MULT."""
    from ..errors import InvalidInputError
    from ..services.parentage import apply, suggest

    if bool(ids) == all_unk:
        raise InvalidInputError("give studbook IDs or --all-unk (not both)",
                                "e.g. `studbook parentage suggest 1383` or `studbook parentage suggest --all-unk`")
    if do_apply and not (reason and reason.strip()):
        raise InvalidInputError("--apply changes the book: it needs a reason",
                                "give --reason TEXT (it goes into the audit log)")
    with app.session(write=do_apply) as session:
        found = suggest(session, list(ids) if ids else None, role)
        result = apply(session, found, reason) if do_apply else None
    rows = [s.row() for s in found]
    if fmt == "json":
        for r, s in zip(rows, found):
            r["candidates"] = list(s.candidates)
    emit(rows, fmt, title="Potential parents of UNK parents (equal-probability MULT proposal)")
    with_cands = sum(1 for s in found if s.candidates)
    message(f"{len(found)} UNK parent(s); {with_cands} with potential parents, {len(found) - with_cands} without.")
    if result is not None:
        warnings(result.warnings)
        message(f"Recorded {len(result.applied)} MULT parent(s)"
                + (f"; skipped {len(result.skipped)} without candidates" if result.skipped else "") + ".")


def pair_sensitivity(app: AppContext, pop: object, table: object, rows: list[dict[str, object]]) -> list[dict[str, object]]:
    """`recommend pairs --sensitivity`: add each pair's rank under both UNK assumptions to *rows* (in place)."""
    from ..services.parentage import pair_rank_sensitivity, proposals

    with app.session() as session:
        props = proposals(session)
    ranks = pair_rank_sensitivity(pop, table, [(str(r["male"]), str(r["female"])) for r in rows], props)
    for r, k in zip(rows, ranks):
        r.update({key: v for key, v in k.items() if key not in ("male", "female")})
    return ranks


def render_pair_sensitivity(ranks: list[dict[str, object]], fmt: str) -> None:
    """After the pairs: the ranks table (terminal); csv names where the ranks are; json has them in each pair."""
    if fmt == "table":
        emit([{k: (f"{v:.3g}" if isinstance(v, float) else v) for k, v in r.items()} for r in ranks], "table",
             title="Rank of each pair among all pairs: UNK parents as founders vs as MULT of their potential parents")
    elif fmt == "csv":
        message("--sensitivity: the ranks under both assumptions are in --format json (each pair) or table.")
    message("Ranks as `recommend pair-table` orders all eligible pairs (MSI, then the larger ΔGD); "
            "the UNK-as-MULT pedigree is not written to the book.")
