"""Institutions: add and list."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..errors import InvalidInputError, ValidationError
from ..models import REGIONS, Institution

_CODE_RE = re.compile(r"^[A-Z0-9][A-Z0-9 _\-]{0,8}$")


@dataclass(frozen=True)
class InstitutionRow:
    code: str
    name: str
    city: str | None
    country: str
    region: str | None
    latitude: float
    longitude: float
    capacity_males: int | None
    capacity_females: int | None


def _row(i: Institution) -> InstitutionRow:
    return InstitutionRow(i.code, i.name, i.city, i.country, i.region, i.latitude, i.longitude,
                          i.capacity_males, i.capacity_females)


def add_institution(
    session: Session,
    code: str,
    *,
    name: str,
    country: str,
    latitude: float,
    longitude: float,
    city: str | None = None,
    region: str | None = None,
    capacity_males: int | None = None,
    capacity_females: int | None = None,
) -> InstitutionRow:
    """Add an institution after checking every field."""
    code = code.strip().upper()
    if not _CODE_RE.match(code):
        raise InvalidInputError(
            f"institution code {code!r} is not a mnemonic of 1-9 letters/digits",
            "use a SPARKS/ZIMS style code such as LEIPZIG or CINCINNAT (at most 9 characters)",
        )
    country = country.strip().upper()
    if not re.fullmatch(r"[A-Z]{2}", country):
        raise InvalidInputError(f"institution {code}: country {country!r} is not a 2-letter ISO code",
                                "write e.g. DE, US, RU, JP")
    if region is not None:
        region = region.strip().upper()
        if region not in REGIONS:
            raise InvalidInputError(f"institution {code}: unknown region {region!r}",
                                    f"use one of {', '.join(REGIONS)}")
    if not -90 <= latitude <= 90:
        raise InvalidInputError(f"institution {code}: latitude {latitude} is outside -90..90",
                                "latitude comes first, in decimal degrees (e.g. 51.35 for Leipzig)")
    if not -180 <= longitude <= 180:
        raise InvalidInputError(f"institution {code}: longitude {longitude} is outside -180..180",
                                "longitude in decimal degrees, east positive (e.g. 12.37 for Leipzig)")
    for label, cap in (("male", capacity_males), ("female", capacity_females)):
        if cap is not None and cap < 0:
            raise InvalidInputError(f"institution {code}: {label} capacity {cap} is negative",
                                    "give the number of spaces, 0 or more")
    if not name.strip():
        raise InvalidInputError(f"institution {code}: the name is empty", "give --name")
    for label, value, limit in (("name", name.strip(), 200), ("city", city, 120)):
        if value is not None and len(value) > limit:
            raise InvalidInputError(f"institution {code}: the {label} is {len(value)} characters long; at most {limit} fit",
                                    f"shorten the {label}")
    if session.scalars(select(Institution).where(Institution.code == code)).first() is not None:
        raise ValidationError(f"institution {code} already exists", "institution codes are unique; pick another code")
    inst = Institution(code=code, name=name.strip(), city=city, country=country, region=region,
                       latitude=latitude, longitude=longitude,
                       capacity_males=capacity_males, capacity_females=capacity_females)
    session.add(inst)
    session.flush()
    return _row(inst)


def list_institutions(session: Session) -> list[InstitutionRow]:
    return [_row(i) for i in session.scalars(select(Institution).order_by(Institution.code))]
