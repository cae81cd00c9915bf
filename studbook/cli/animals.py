"""Animal and event commands: animal add/list/show/update, birth, transfer, death, release, ltf, history.

`pedigree` lives in ``pedigree_draw``."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

import click

from .app import AppContext, pass_app
from .output import as_of_option, emit, emit_object, format_option, message, warnings
from .pending import became_pending

SEX = click.Choice(["M", "F", "U"], case_sensitive=False)


@click.group()
def animal() -> None:
    """Animals: add founders and historical records, list, show, update flags."""


@animal.command("add")
@click.option("--id", "studbook_id", required=True, help="Studbook ID (text; '001' and '1' differ).")
@click.option("--sex", type=SEX, required=True)
@click.option("--birth-date", required=True, help="YYYY-MM-DD, YYYY-MM or YYYY; ~ for an estimate.")
@click.option("--at", "at", required=True, help="Institution of birth (or of capture, with --wild-born).")
@click.option("--sire", multiple=True, help="Sire ID, UNK or WILD; or ID:P several times (MULT).")
@click.option("--dam", multiple=True, help="Dam ID, UNK or WILD; or ID:P several times (MULT).")
@click.option("--wild-born", is_flag=True, help="Wild-born founder: parents WILD, first event a capture at --at.")
@click.option("--capture-date", help="Date of capture of a wild-born animal (default: the birth date).")
@click.option("--name", "house_name", help="House name.")
@click.option("--rearing", type=click.Choice(["parent", "hand", "mixed", "unknown"]), default="unknown", show_default=True)
@click.option("--local-id", help="The institution's accession number.")
@pass_app
def animal_add(app: AppContext, studbook_id: str, sex: str, birth_date: str, at: str, sire: tuple[str, ...],
               dam: tuple[str, ...], wild_born: bool, capture_date: str | None, house_name: str | None,
               rearing: str, local_id: str | None) -> None:
    """Register a founder or a historical animal."""
    from ..services.animals import add_animal, parse_parent

    with app.session(write=True) as session:
        result = add_animal(
            session, studbook_id, sex=sex.upper(), birth_date=birth_date, at=at,
            sire=parse_parent(list(sire), "sire") if sire else None,
            dam=parse_parent(list(dam), "dam") if dam else None,
            wild_born=wild_born, capture_date=capture_date, house_name=house_name, rearing=rearing, local_id=local_id,
        )
        if became_pending(result):
            return
        animal_, warns = result
        sid = animal_.studbook_id
    warnings(warns)
    message(f"Added animal {sid}.")


@animal.command("list")
@click.option("--alive", is_flag=True, help="Only living animals (in captivity or in the wild); same as --status alive.")
@click.option("--status", type=click.Choice(["captive", "wild", "dead", "ltf", "alive", "all"]), default=None,
              help="captive, wild (released or born in the wild), dead, ltf (lost to follow-up), alive, all.")
@click.option("--at", "at", help="Only animals now at this institution.")
@click.option("--sex", type=SEX)
@as_of_option
@format_option
@pass_app
def animal_list(app: AppContext, alive: bool, status: str | None, at: str | None, sex: str | None,
                as_of: str | None, fmt: str) -> None:
    """List animals with their derived status and location (on the census date, or --as-of)."""
    from ..services.animals import animal_rows
    from ..services.census import reference_day

    with app.session() as session:
        day = reference_day(session, as_of)
        rows = [asdict(r) for r in animal_rows(session, status=status or ("alive" if alive else "all"), at=at,
                                               sex=sex.upper() if sex else None, as_of=day.day)]
    if day.note:
        message(day.note)
    emit(rows, fmt, title=f"Animals ({len(rows)})")


@animal.command("find")
@click.argument("text")
@format_option
@pass_app
def animal_find(app: AppContext, text: str, fmt: str) -> None:
    """Find animals by studbook ID, house name or local ID (current or past holdings)."""
    from ..services.animals import find_animals

    with app.session() as session:
        rows = [asdict(r) for r in find_animals(session, text)]
    emit(rows, fmt, title=f"Animals matching {text!r}")


@animal.command("show")
@click.argument("studbook_id")
@as_of_option
@format_option
@pass_app
def animal_show(app: AppContext, studbook_id: str, as_of: str | None, fmt: str) -> None:
    """Show one animal: master record, status, local IDs, offspring."""
    from ..services.animals import show_animal
    from ..services.census import reference_day

    with app.session() as session:
        day = reference_day(session, as_of)
        d = show_animal(session, studbook_id, as_of=day.day)
    if day.note:
        message(day.note)
    obj: dict[str, Any] = asdict(d.row)
    obj.update(rearing=d.rearing, artificial_insemination=d.artificial_insemination,
               local_ids=d.local_ids, offspring=d.offspring, notes=d.notes, health_notes=d.health_notes)
    if d.void:
        obj.update(void=True, void_reason=d.void_reason)
    if fmt == "json":
        obj["history"] = [asdict(h) for h in d.history]
        obj["version"] = d.version  # for `animal update --expect-version`
    emit_object(obj, fmt, title=f"Animal {d.row.studbook_id}")


@animal.command("update")
@click.argument("studbook_id")
@click.option("--name", "house_name", help="House name.")
@click.option("--rearing", type=click.Choice(["parent", "hand", "mixed", "unknown"]))
@click.option("--exclude/--include", "exclude_from_analysis", default=None, help="Exclude from genetic analysis.")
@click.option("--do-not-breed/--may-breed", "do_not_breed", default=None)
@click.option("--contracepted/--not-contracepted", "contracepted", default=None)
@click.option("--hybrid-suspect/--not-hybrid-suspect", "hybrid_suspect", default=None)
@click.option("--exclude-from-release/--release-ok", "exclude_from_release", default=None)
@click.option("--health-notes")
@click.option("--notes")
@click.option("--sex", "new_sex", type=SEX, help="Correct the sex (e.g. a cub registered U). Needs --reason.")
@click.option("--birth-date", help="Correct the birth date (and the birth event's). Needs --reason.")
@click.option("--sire", multiple=True, help="Correct the sire: ID, UNK, WILD, or ID:P several times (MULT). Needs --reason.")
@click.option("--dam", multiple=True, help="Correct the dam: ID, UNK, WILD, or ID:P several times (MULT). Needs --reason.")
@click.option("--birth-institution", help="Correct where it was born (or first captured). Needs --reason.")
@click.option("--reason", help="Why: required for corrections; goes into the audit log.")
@click.option("--expect-version", type=click.IntRange(1), default=None,
              help="The record version you read (`animal show`): refused (exit 4) if someone changed it since.")
@pass_app
def animal_update(app: AppContext, studbook_id: str, new_sex: str | None, birth_date: str | None,
                  sire: tuple[str, ...], dam: tuple[str, ...], birth_institution: str | None, reason: str | None,
                  expect_version: int | None, **flags: Any) -> None:
    """Change flags, house name, rearing or notes, or correct sex, birth date, parents or place of birth (audited)."""
    from ..services.animals import parse_parent
    from ..services.corrections import update_animal

    with app.session(write=True) as session:
        result = update_animal(
            session, studbook_id, reason=reason, flags={k: v for k, v in flags.items() if v is not None},
            sex=new_sex, birth_date=birth_date, sire=parse_parent(list(sire), "sire") if sire else None,
            dam=parse_parent(list(dam), "dam") if dam else None, birth_institution=birth_institution,
            expected_version=expect_version)
    if became_pending(result):
        return
    warnings(result.warnings)
    message(f"Updated animal {studbook_id}: {', '.join(result.changed)}.")


@animal.command("void")
@click.argument("studbook_id")
@click.option("--reason", required=True, help="Why the record is withdrawn (audit log).")
@pass_app
def animal_void(app: AppContext, studbook_id: str, reason: str) -> None:
    """Withdraw a mistaken animal record: it stays, marked void, and counts nowhere; its ID is not reused."""
    from ..services.corrections import void_animal

    with app.session(write=True) as session:
        result = void_animal(session, studbook_id, reason=reason)
    if became_pending(result):
        return
    message(f"Animal {studbook_id} is void.")


@click.command()
@click.option("--dam", required=True, help="Dam studbook ID.")
@click.option("--sire", multiple=True, required=True, help="Sire ID or UNK; or ID:P once per candidate (MULT).")
@click.option("--date", "date", required=True, help="Birth date (YYYY-MM-DD; YYYY-MM, YYYY or ~ if unsure).")
@click.option("--at", "at", required=True,
              help="Where the litter was born or the egg hatched (a release site for young born in the wild).")
@click.option("--cub", "cubs", multiple=True, required=True, help="Sex of each cub: M, F or U (repeat per cub).")
@click.option("--name", "names", multiple=True, help="House name of each cub, in --cub order.")
@click.option("--local-id", "local_ids", multiple=True, help="Local ID of each cub at --at, in --cub order.")
@click.option("--rearing", type=click.Choice(["parent", "hand", "mixed", "unknown"]), default="parent", show_default=True)
@click.option("--ai", is_flag=True, help="Conceived by artificial insemination.")
@click.option("--laid-at", help="Egg species: where the dam laid the egg (default: --at).")
@click.option("--wild-egg", is_flag=True, help="Egg species: the egg was taken from a wild nest.")
@click.option("--add-to-litter", type=int, metavar="EVENT_ID",
              help="Add a late-registered young to the litter of this birth event.")
@format_option
@pass_app
def birth(app: AppContext, dam: str, sire: tuple[str, ...], date: str, at: str, cubs: tuple[str, ...],
          names: tuple[str, ...], local_ids: tuple[str, ...], rearing: str, ai: bool, laid_at: str | None,
          wild_egg: bool, add_to_litter: int | None, fmt: str) -> None:
    """Register a litter or clutch; assigns and prints the next studbook IDs."""
    from ..services.animals import parse_parent
    from ..services.events import register_birth

    with app.session(write=True) as session:
        result = register_birth(session, dam=dam, sire=parse_parent(list(sire), "sire"), date=date, at=at,
                                cubs=list(cubs), rearing=rearing, artificial_insemination=ai, names=list(names) or None,
                                local_ids=list(local_ids) or None, laid_at=laid_at, wild_egg=wild_egg,
                                add_to_litter=add_to_litter)
    if became_pending(result):
        return
    warnings(result.warnings)
    if fmt == "table":
        message(f"Registered litter {result.litter_id} of {len(result.studbook_ids)} at {result.institution} on "
                f"{result.date} (dam {result.dam}, sire {result.sire}).")
        for sid, sex in zip(result.studbook_ids, cubs):
            click.echo(f"{sid}\t{sex.upper()}")
    else:
        emit([{"studbook_id": s, "sex": x.upper(), "dam": result.dam, "sire": result.sire, "date": result.date,
               "institution": result.institution} for s, x in zip(result.studbook_ids, cubs)], fmt)


def _event_done(result: Any) -> None:
    if became_pending(result):
        return
    warnings(result.warnings)
    where = f" {result.from_institution} -> {result.institution}" if result.from_institution else (
        f" at {result.institution}" if result.institution else "")
    message(f"Recorded {result.event} of {result.studbook_id} on {result.date}{where}.")


@click.command()
@click.argument("studbook_id")
@click.option("--to", "to", required=True, help="Receiving institution code.")
@click.option("--date", "date", required=True)
@click.option("--loan", is_flag=True, help="The move is a loan (ownership stays with the sender).")
@click.option("--from", "from_code", help="Sending institution (checked against the animal's current one).")
@click.option("--local-id", help="Accession number at the receiving institution.")
@pass_app
def transfer(app: AppContext, studbook_id: str, to: str, date: str, loan: bool, from_code: str | None,
             local_id: str | None) -> None:
    """Move an animal from its current institution to another."""
    from ..services.events import transfer as do_transfer

    with app.session(write=True) as session:
        result = do_transfer(session, studbook_id, to=to, date=date, loan=loan, from_code=from_code, local_id=local_id)
    _event_done(result)


@click.command()
@click.argument("studbook_id")
@click.option("--date", "date", required=True)
@click.option("--cause", help="Cause of death.")
@click.option("--at", "at", help="Where it died (checked against where it is: a zoo or a site in the wild).")
@pass_app
def death(app: AppContext, studbook_id: str, date: str, cause: str | None, at: str | None) -> None:
    """Record a death (in captivity or in the wild)."""
    from ..services.events import death as do_death

    with app.session(write=True) as session:
        result = do_death(session, studbook_id, date=date, cause=cause, at=at)
    _event_done(result)


@click.command()
@click.argument("studbook_id")
@click.option("--date", "date", required=True)
@click.option("--to", "to", required=True, help="Release site or wild area (an institution of that kind).")
@click.option("--site", help="Where exactly, as free text (e.g. a valley or a GPS label).")
@pass_app
def release(app: AppContext, studbook_id: str, date: str, to: str, site: str | None) -> None:
    """Release an animal to the wild: it is then alive in the wild until death, loss or capture."""
    from ..services.events import release as do_release

    with app.session(write=True) as session:
        result = do_release(session, studbook_id, date=date, to=to, site=site)
    _event_done(result)


@click.command()
@click.argument("studbook_id")
@click.option("--date", "date", required=True)
@pass_app
def ltf(app: AppContext, studbook_id: str, date: str) -> None:
    """Record that an animal is lost to follow-up."""
    from ..services.events import lost_to_follow_up

    with app.session(write=True) as session:
        result = lost_to_follow_up(session, studbook_id, date=date)
    _event_done(result)


@click.command()
@click.argument("studbook_id")
@click.option("--date", "date", required=True)
@click.option("--at", "at", required=True, help="Institution that receives the animal.")
@click.option("--local-id", help="Accession number at the receiving institution.")
@pass_app
def capture(app: AppContext, studbook_id: str, date: str, at: str, local_id: str | None) -> None:
    """Record the capture of a released or lost-to-follow-up animal."""
    from ..services.events import capture as do_capture

    with app.session(write=True) as session:
        result = do_capture(session, studbook_id, date=date, at=at, local_id=local_id)
    _event_done(result)


@click.command()
@click.argument("studbook_id")
@format_option
@pass_app
def history(app: AppContext, studbook_id: str, fmt: str) -> None:
    """The life events of an animal, in order."""
    from ..services.animals import history as get_history

    with app.session() as session:
        rows = [asdict(h) for h in get_history(session, studbook_id)]
    emit(rows, fmt, title=f"History of {studbook_id}")
