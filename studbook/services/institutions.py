"""Institutions: add, update and list.

An institution is a zoo or breeding centre (captive) or a release site or wild area
(in the wild). Country and coordinates are optional (SPARKS locations have neither);
coordinates are given both or neither. Changing the kind of a place re-checks the
rules of every animal with an event there (a release to a place that is no longer a
release site is refused, rule E13).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from ..audit import set_reason
from ..errors import InvalidInputError, ValidationError
from ..models import INSTITUTION_KINDS, REGIONS, Animal, Event, Institution
from ..rules import Finding
from ..text import clean_text
from .book import enforce_rules, get_institution

_CODE_RE = re.compile(r"^[A-Z0-9][A-Z0-9 _\-]{0,8}$")
NAME_LIMIT = 200
CITY_LIMIT = 120
REASON_LIMIT = 2000
# Fields `update_institution` can change; the optional ones can be cleared (None, or the word "none").
FIELDS = ("name", "kind", "country", "latitude", "longitude", "city", "region", "capacity_males", "capacity_females")
OPTIONAL_FIELDS = ("country", "latitude", "longitude", "city", "region", "capacity_males", "capacity_females")
CLEAR_WORD = "none"


@dataclass(frozen=True)
class InstitutionRow:
    code: str
    name: str
    kind: str
    city: str | None
    country: str | None
    region: str | None
    latitude: float | None
    longitude: float | None
    capacity_males: int | None
    capacity_females: int | None


@dataclass(frozen=True)
class InstitutionUpdate:
    """What ``update_institution`` did: the row after the change, the fields changed, rule warnings."""

    row: InstitutionRow
    changed: list[str]
    warnings: list[Finding] = field(default_factory=list)


def _row(i: Institution) -> InstitutionRow:
    return InstitutionRow(i.code, i.name, i.kind or "zoo", i.city, i.country, i.region, i.latitude, i.longitude,
                          i.capacity_males, i.capacity_females)


def _check_code(code: str) -> str:
    code = code.strip().upper()
    if not _CODE_RE.match(code):
        raise InvalidInputError(
            f"institution code {code!r} is not a mnemonic of 1-9 letters/digits",
            "use a SPARKS/ZIMS style code such as LEIPZIG or CINCINNAT (at most 9 characters)",
        )
    return code


def _check_name(code: str, name: str | None) -> str:
    text = clean_text(name, what="name", record=f"institution {code}", limit=NAME_LIMIT)
    if text is None:
        raise InvalidInputError(f"institution {code}: the name is empty", "give --name")
    return text


def _check_city(code: str, city: str | None) -> str | None:
    return clean_text(city, what="city", record=f"institution {code}", limit=CITY_LIMIT)


def _check_kind(code: str, kind: str | None) -> str:
    value = (kind or "").strip().lower()
    if value not in INSTITUTION_KINDS:
        raise InvalidInputError(f"institution {code}: kind {kind!r} is not one of {', '.join(INSTITUTION_KINDS)}",
                                "zoo or breeding-centre for captivity, release-site or wild-area for the wild")
    return value


def _check_country(code: str, country: str | None) -> str | None:
    if country is None or not country.strip():
        return None
    value = country.strip().upper()
    if not re.fullmatch(r"[A-Z]{2}", value):
        raise InvalidInputError(f"institution {code}: country {value!r} is not a 2-letter ISO code",
                                "write e.g. DE, US, RU, JP")
    return value


def _check_region(code: str, region: str | None) -> str | None:
    if region is None or not region.strip():
        return None
    value = region.strip().upper()
    if value not in REGIONS:
        raise InvalidInputError(f"institution {code}: unknown region {value!r}", f"use one of {', '.join(REGIONS)}")
    return value


def _check_coordinates(code: str, latitude: float | None, longitude: float | None) -> None:
    if (latitude is None) != (longitude is None):
        given, value, missing = (("latitude", latitude, "longitude") if latitude is not None
                                 else ("longitude", longitude, "latitude"))
        raise InvalidInputError(f"institution {code}: the {given} ({value}) has no {missing}; "
                                "coordinates go in pairs",
                                "give both --lat and --lon, or neither (--lat none --lon none clears both)")
    if latitude is not None and not -90 <= latitude <= 90:
        raise InvalidInputError(f"institution {code}: latitude {latitude} is outside -90..90",
                                "latitude comes first, in decimal degrees (e.g. 51.35 for Leipzig)")
    if longitude is not None and not -180 <= longitude <= 180:
        raise InvalidInputError(f"institution {code}: longitude {longitude} is outside -180..180",
                                "longitude in decimal degrees, east positive (e.g. 12.37 for Leipzig)")


def _check_capacities(code: str, capacity_males: int | None, capacity_females: int | None) -> None:
    for label, cap in (("male", capacity_males), ("female", capacity_females)):
        if cap is not None and cap < 0:
            raise InvalidInputError(f"institution {code}: {label} capacity {cap} is negative",
                                    "give the number of spaces, 0 or more")


def add_institution(
    session: Session,
    code: str,
    *,
    name: str,
    kind: str = "zoo",
    country: str | None = None,
    latitude: float | None = None,
    longitude: float | None = None,
    city: str | None = None,
    region: str | None = None,
    capacity_males: int | None = None,
    capacity_females: int | None = None,
) -> InstitutionRow:
    """Add an institution after checking every field (country and coordinates are optional)."""
    code = _check_code(code)
    kind = _check_kind(code, kind)
    country = _check_country(code, country)
    region = _check_region(code, region)
    _check_coordinates(code, latitude, longitude)
    _check_capacities(code, capacity_males, capacity_females)
    name = _check_name(code, name)
    city = _check_city(code, city)
    if session.scalars(select(Institution).where(Institution.code == code)).first() is not None:
        raise ValidationError(f"institution {code} already exists", "institution codes are unique; pick another code")
    inst = Institution(code=code, name=name, kind=kind, city=city, country=country, region=region,
                       latitude=latitude, longitude=longitude,
                       capacity_males=capacity_males, capacity_females=capacity_females)
    session.add(inst)
    session.flush()
    return _row(inst)


def _is_clear(value: Any) -> bool:
    return value is None or (isinstance(value, str) and value.strip().lower() == CLEAR_WORD)


def _number(code: str, key: str, value: Any, kind: type) -> Any:
    """A float or int from a number or its text; None for None / "none"."""
    if _is_clear(value):
        return None
    label = key.replace("_", " ")
    if isinstance(value, bool):
        raise InvalidInputError(f"institution {code}: {label} {value!r} is not a number", f"give a number or {CLEAR_WORD}")
    if isinstance(value, str):
        text = value.strip()
        try:
            value = int(text) if kind is int else float(text)
        except ValueError:
            what = "a whole number" if kind is int else "a number"
            raise InvalidInputError(f"institution {code}: {label} {text!r} is not {what}",
                                    f"give {what}, or {CLEAR_WORD} to clear it") from None
    if kind is int:
        if isinstance(value, float):
            if not value.is_integer():
                raise InvalidInputError(f"institution {code}: {label} {value} is not a whole number",
                                        "give the number of spaces, 0 or more")
            value = int(value)
        return int(value)
    value = float(value)
    if math.isnan(value):
        raise InvalidInputError(f"institution {code}: {label} {value} is not a number", "give decimal degrees")
    return value


def _animals_at(session: Session, inst: Institution) -> list[str]:
    """Studbook IDs of the (non-void) animals with a (non-void) event that names *inst*."""
    q = (select(Animal.studbook_id).join(Event, Event.animal_id == Animal.id)
         .where(Animal.void.is_(False), Event.void.is_(False),
                or_(Event.institution_id == inst.id, Event.from_institution_id == inst.id,
                    Event.laid_at_id == inst.id))
         .distinct())
    return sorted(session.scalars(q))


def update_institution(session: Session, code: str, *, reason: str | None = None, **changes: Any) -> InstitutionUpdate:
    """Change fields of institution *code* (audited; *reason* goes into the audit log).

    *changes*: any of name, kind, country, latitude, longitude, city, region, capacity_males,
    capacity_females. An optional field (all but name and kind) is cleared by None or the word
    ``none``; numbers may be given as text. Every check of ``add_institution`` applies to the
    result (coordinates both or neither). Changing the kind re-checks the rules of every animal
    with an event at the institution; a broken rule refuses the whole change.
    """
    unknown = sorted(set(changes) - set(FIELDS))
    if unknown:
        raise InvalidInputError(f"institution {code}: cannot change {', '.join(unknown)}",
                                f"the fields are {', '.join(FIELDS)}")
    if not changes:
        raise InvalidInputError(f"institution {code}: nothing to change",
                                "give at least one of --name, --kind, --country, --lat, --lon, --city, --region, "
                                "--capacity-males, --capacity-females")
    inst = get_institution(session, code.strip())
    code = inst.code
    for key in ("name", "kind"):
        if key in changes and changes[key] is None:
            raise InvalidInputError(f"institution {code}: the {key} cannot be cleared", f"give a new {key}")
    new: dict[str, Any] = {
        "name": _check_name(code, changes["name"]) if "name" in changes else inst.name,
        "kind": _check_kind(code, changes["kind"]) if "kind" in changes else (inst.kind or "zoo"),
        "country": (None if _is_clear(changes["country"]) else _check_country(code, changes["country"]))
        if "country" in changes else inst.country,
        "city": (None if _is_clear(changes["city"]) else _check_city(code, changes["city"]))
        if "city" in changes else inst.city,
        "region": (None if _is_clear(changes["region"]) else _check_region(code, changes["region"]))
        if "region" in changes else inst.region,
    }
    for key, kind in (("latitude", float), ("longitude", float), ("capacity_males", int), ("capacity_females", int)):
        new[key] = _number(code, key, changes[key], kind) if key in changes else getattr(inst, key)
    _check_coordinates(code, new["latitude"], new["longitude"])
    _check_capacities(code, new["capacity_males"], new["capacity_females"])
    if reason is not None:
        set_reason(session, clean_text(reason, what="reason", record=f"institution {code}", limit=REASON_LIMIT,
                                       multiline=True))
    changed = [key for key in FIELDS if new[key] != getattr(inst, key)]
    old_kind = inst.kind
    for key in changed:
        setattr(inst, key, new[key])
    session.flush()
    warnings: list[Finding] = []
    if "kind" in changed and old_kind != new["kind"]:
        touched = _animals_at(session, inst)
        if touched:
            warnings = enforce_rules(session, touched)
    return InstitutionUpdate(_row(inst), changed, warnings)


def list_institutions(session: Session) -> list[InstitutionRow]:
    return [_row(i) for i in session.scalars(select(Institution).order_by(Institution.code))]
