"""The rules engine tested directly: ``check_book`` on small in-memory books, no database.

One table. For every rule code that ``studbook/rules.py`` can emit (and every variant of it) there is a
*failing* book, where the code must appear with its severity for the named animal, and a *passing* book,
the smallest change that makes the record valid, where the code must not appear at all. Expected values
are written out by hand (dates counted on a calendar), never computed with the code under test.

The base book ``FAMILY``: two wild-born founders caught 2006-01-01 at ZOO (1: male, 2: female, both born
2005-05-01) and their cub 3, born 2010-05-01 at ZOO. Species: Amur leopard (gestation 90-105 days, breeding
ages 2-17 (males) and 2-16 (females), longevity 24 years). Today is 2026-11-30.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from studbook.dates import FuzzyDate
from studbook.records import AnimalFacts, Book, EventFacts, SpeciesParams
from studbook.rules import ERROR, WARNING, Finding, check_book, errors_of

TODAY = date(2026, 11, 30)
KINDS = {"ZOO": "zoo", "ZOO2": "zoo", "BC": "breeding-centre", "SITE": "release-site", "WILD": "wild-area"}
LEOPARD = SpeciesParams(
    common_name="Amur leopard", gestation_min_days=90, gestation_max_days=105,
    min_breeding_age_male=2.0, min_breeding_age_female=2.0, max_breeding_age_male=17.0, max_breeding_age_female=16.0,
    longevity_years=24.0,
)
# An egg species. Gestation is left at the 1-day default on purpose: every egg rule must use the incubation.
EGG = SpeciesParams(
    common_name="California condor", reproduction="egg", incubation_min_days=50, incubation_max_days=60,
    min_breeding_age_male=2.0, min_breeding_age_female=2.0, max_breeding_age_male=50.0, max_breeding_age_female=50.0,
    longevity_years=80.0,
)

Member = AnimalFacts | EventFacts | tuple[AnimalFacts, list[EventFacts]]


# --- the builder ----------------------------------------------------------------------------------------------

def E(sid: str, kind: str, when: str, at: str | None = None, frm: str | None = None, **kw: Any) -> EventFacts:
    """One event of animal *sid* (the builder numbers events in the order they are written)."""
    return EventFacts(sid, kind, FuzzyDate.parse(when), at, frm, **kw)


def _parent(value: str | None) -> tuple[str, str | None]:
    if value in (None, "UNK"):
        return "UNK", None
    if value == "WILD":
        return "WILD", None
    return "ID", value


def A(sid: str, sex: str = "M", born: str = "2010-05-01", *, wild: bool = False, sire: str | None = None,
      dam: str | None = None, sire_c: tuple[tuple[str, float], ...] = (), dam_c: tuple[tuple[str, float], ...] = (),
      ai: bool = False, **kw: Any) -> AnimalFacts:
    """A master record; sire/dam: an ID, UNK or WILD (wild-born default WILD); *_c: MULT candidates."""
    default = "WILD" if wild else "UNK"
    sire_kind, sire_id = ("MULT", None) if sire_c else _parent(sire or default)
    dam_kind, dam_id = ("MULT", None) if dam_c else _parent(dam or default)
    fields: dict[str, Any] = dict(birth_type="wild" if wild else "captive", sire_kind=sire_kind, sire=sire_id,
                                  dam_kind=dam_kind, dam=dam_id, sire_candidates=sire_c, dam_candidates=dam_c,
                                  artificial_insemination=ai)
    fields.update(kw)
    return AnimalFacts(sid, sex, FuzzyDate.parse(born), **fields)


def founder(sid: str, sex: str, born: str = "2005-05-01", *, at: str = "ZOO",
            caught: str = "2006-01-01") -> tuple[AnimalFacts, list[EventFacts]]:
    """A wild-born animal (parents WILD) caught on *caught* to *at*."""
    return A(sid, sex, born, wild=True), [E(sid, "capture", caught, at)]


def young(sid: str, sex: str = "M", born: str = "2010-05-01", *, at: str | None = "ZOO", sire: str | None = "1",
          dam: str | None = "2", litter: int | None = None, laid_at: str | None = None, wild_egg: bool = False,
          **kw: Any) -> tuple[AnimalFacts, list[EventFacts]]:
    """A captive-born animal (default: a cub of 1 and 2) with its birth event at *at* on its birth date."""
    animal = A(sid, sex, born, sire=sire, dam=dam, **kw)
    return animal, [E(sid, "birth", born, at, litter_id=litter, laid_at=laid_at, wild_egg=wild_egg)]


def orphan(sid: str, born: str = "2010-05-01", **kw: Any) -> tuple[AnimalFacts, list[EventFacts]]:
    """A captive-born animal of unknown parents, born at ZOO."""
    return young(sid, born=born, sire="UNK", dam="UNK", **kw)


def book(*members: Member, kinds: dict[str, str] | None = None, species: SpeciesParams = LEOPARD,
         today: date = TODAY, census: date | None = None) -> Book:
    """A Book from animals and events (bare, or as ``(animal, [events])`` pairs), in the order given."""
    animals: dict[str, AnimalFacts] = {}
    events: list[EventFacts] = []
    for m in members:
        if isinstance(m, AnimalFacts):
            animals[m.studbook_id] = m
        elif isinstance(m, EventFacts):
            events.append(m)
        else:
            animals[m[0].studbook_id] = m[0]
            events.extend(m[1])
    by_animal: dict[str, list[EventFacts]] = {sid: [] for sid in animals}
    for n, ev in enumerate(events, 1):
        by_animal.setdefault(ev.studbook_id, []).append(replace(ev, event_id=n))
    return Book(species, animals, by_animal, dict(KINDS if kinds is None else kinds), today, census=census)


FAMILY = (founder("1", "M"), founder("2", "F"), young("3"))
M4 = founder("4", "M")  # a second possible sire
MULT_OK = (("1", 0.5), ("4", 0.5))


def family(*extra: Member, sire: Member | None = None, dam: Member | None = None, cub: Member | None = None,
           **opts: Any) -> Book:
    """FAMILY with the sire, dam or cub replaced, plus *extra* members."""
    return book(sire or FAMILY[0], dam or FAMILY[1], cub or FAMILY[2], *extra, **opts)


# --- the table ------------------------------------------------------------------------------------------------

CASES: list[Any] = []


def pair(name: str, code: str, severity: str, sid: str, failing: Book, passing: Book, *,
         marks: Any = ()) -> None:
    """*failing* has finding (*code*, *severity*) for animal *sid*; *passing* has no *code* finding at all."""
    CASES.append(pytest.param(failing, code, severity, sid, id=f"{code}-{name}-fails", marks=marks))
    CASES.append(pytest.param(passing, code, None, sid, id=f"{code}-{name}-passes", marks=marks))


def fails(name: str, code: str, severity: str, sid: str, failing: Book, *, marks: Any = ()) -> None:
    CASES.append(pytest.param(failing, code, severity, sid, id=f"{code}-{name}-fails", marks=marks))


def passes(name: str, code: str, passing: Book, *, marks: Any = ()) -> None:
    CASES.append(pytest.param(passing, code, None, "", id=f"{code}-{name}-passes", marks=marks))


# A03 studbook IDs: plain digits or T + digits, no leading zero.
pair("leading-zero", "A03", WARNING, "007", book(orphan("007")), book(orphan("7")))
passes("temporary-id", "A03", book(orphan("T12")))

# D01 nothing in the future (today 2026-11-30).
pair("birth-in-future", "D01", ERROR, "5", book(orphan("5", born="2026-12-01")), book(orphan("5", born="2026-11-30")))
pair("partial-birth-month-in-future", "D01", ERROR, "5", book(orphan("5", born="2026-12")),
     book(orphan("5", born="2026")))
pair("event-in-future", "D01", ERROR, "3", family(E("3", "death", "2026-12-01", "ZOO")),
     family(E("3", "death", "2026-11-30", "ZOO")))

# D02 nothing before the book's earliest year (default 1850).
_DIED_1860 = E("5", "death", "1860-01-01", "ZOO")
pair("birth-before-1850", "D02", ERROR, "5", book(orphan("5", born="1849-12-31"), _DIED_1860),
     book(orphan("5", born="1850-01-01"), _DIED_1860))
passes("estimated-birth-may-be-1850", "D02", book(orphan("5", born="~1849"), _DIED_1860))
passes("earliest-year-set-by-species", "D02", book(orphan("5", born="1849-12-31"), _DIED_1860,
                                                   species=replace(LEOPARD, earliest_year=1800)))
pair("event-before-1850", "D02", ERROR, "5", book(founder("5", "M", born="unknown", caught="1849-06-01")),
     book(founder("5", "M", born="unknown", caught="1850-06-01")))

# D03 longevity (24 years): alive today or at the census, or at death.
pair("alive-too-old", "D03", ERROR, "5", book(founder("5", "M", born="2000-01-01", caught="2001-01-01")),
     book(founder("5", "M", born="2003-01-01", caught="2004-01-01")))
pair("died-too-old", "D03", ERROR, "5",
     book(founder("5", "M", born="1990-01-01", caught="1991-01-01"), E("5", "death", "2015-06-01", "ZOO")),
     book(founder("5", "M", born="1990-01-01", caught="1991-01-01"), E("5", "death", "2013-06-01", "ZOO")))
pair("alive-at-census", "D03", ERROR, "5",
     book(founder("5", "M", born="2000-01-01", caught="2001-01-01"), census=date(2024, 6, 1)),
     book(founder("5", "M", born="2000-01-01", caught="2001-01-01"), census=date(2020, 1, 1)))

# P01 / P02 the sire is male, the dam female (unknown sex: a warning).
pair("sire-female", "P01", ERROR, "3", family(sire=founder("1", "F")), family())
pair("sire-unknown-sex", "P01", WARNING, "3", family(sire=founder("1", "U")), family())
pair("dam-male", "P02", ERROR, "3", family(dam=founder("2", "M")), family())
pair("dam-unknown-sex", "P02", WARNING, "3", family(dam=founder("2", "U")), family())

# P03 a parent is in the studbook.
pair("sire-missing", "P03", ERROR, "3", family(cub=young("3", sire="9")), family())
pair("mult-candidate-missing", "P03", ERROR, "3", family(M4, cub=young("3", sire_c=(("1", 0.5), ("9", 0.5)))),
     family(M4, cub=young("3", sire_c=MULT_OK)))

# P04 sire and dam differ.
pair("same-sire-and-dam", "P04", ERROR, "3", family(cub=young("3", sire="2", dam="2")), family())

# P05 no animal is its own parent or ancestor.
pair("own-sire", "P05", ERROR, "3", family(cub=young("3", sire="3")), family())
_LOOP_11 = young("11", born="2006-06-01", sire="10", dam="UNK")
_LOOP_12 = young("12", born="2009-01-01", sire="11", dam="UNK")
pair("ancestor-loop", "P05", ERROR, "10",
     book(young("10", born="2004-01-01", sire="12", dam="UNK"), _LOOP_11, _LOOP_12),
     book(young("10", born="2004-01-01", sire="UNK", dam="UNK"), _LOOP_11, _LOOP_12))
pair("own-mult-candidate", "P05", ERROR, "3", family(M4, cub=young("3", sire_c=(("3", 0.5), ("1", 0.5)))),
     family(M4, cub=young("3", sire_c=MULT_OK)))

# P06 a parent is born before its young.
pair("dam-born-same-day", "P06", ERROR, "3", family(dam=founder("2", "F", born="2010-05-01", caught="2010-05-01")),
     family(dam=founder("2", "F", born="2005-05-01", caught="2010-05-01")))

# P07 breeding age: minimum (error) and maximum (warning).
pair("dam-too-young", "P07", ERROR, "3", family(dam=founder("2", "F", born="2009-01-01", caught="2009-06-01")),
     family(dam=founder("2", "F", born="2008-01-01", caught="2009-06-01")))
pair("sire-too-young", "P07", ERROR, "3", family(sire=founder("1", "M", born="2009-01-01", caught="2009-06-01")),
     family(sire=founder("1", "M", born="2008-01-01", caught="2009-06-01")))
# Partial dates: a dam born "2013" may be 2.4 years old on 2015-06-01; born 2013-12-31 she is 1.4.
pair("partial-dam-birth-year", "P07", ERROR, "3",
     family(dam=founder("2", "F", born="2013-12-31", caught="2014-06-01"), cub=young("3", born="2015-06-01")),
     family(dam=founder("2", "F", born="2013", caught="2014-06-01"), cub=young("3", born="2015-06-01")))
pair("dam-over-maximum", "P07", WARNING, "3",
     family(E("2", "death", "2012-01-01", "ZOO"), dam=founder("2", "F", born="1993-01-01", caught="1994-01-01")),
     family(E("2", "death", "2012-01-01", "ZOO"), dam=founder("2", "F", born="1995-01-01", caught="1996-01-01")))
# On her second birthday a dam is two years old, whether or not a 29 February lies in between.
passes("dam-two-on-the-day-across-29-february", "P07",
       family(dam=founder("2", "F", born="2007-05-01", caught="2008-01-01"), cub=young("3", born="2009-05-01")))
passes("dam-two-on-the-day", "P07",
       family(dam=founder("2", "F", born="2008-05-01", caught="2009-01-01"), cub=young("3", born="2010-05-01")))

# P08 the dam is alive at the birth (egg species: at the earliest possible laying, hatch minus 60 days).
pair("dam-died-before-birth", "P08", ERROR, "3", family(E("2", "death", "2010-04-30", "ZOO")),
     family(E("2", "death", "2010-05-01", "ZOO")))
pair("partial-dam-death", "P08", ERROR, "3", family(E("2", "death", "2010-04", "ZOO")),
     family(E("2", "death", "2010", "ZOO")))
pair("egg-dam-died-before-laying", "P08", ERROR, "3", family(E("2", "death", "2010-03-01", "ZOO"), species=EGG),
     family(E("2", "death", "2010-03-02", "ZOO"), species=EGG))

# P09 the sire is alive at the earliest conception (2010-05-01 minus 105 days = 2010-01-16); AI: a warning.
pair("sire-died-before-conception", "P09", ERROR, "3", family(E("1", "death", "2010-01-15", "ZOO")),
     family(E("1", "death", "2010-01-16", "ZOO")))
pair("sire-died-before-conception-ai", "P09", WARNING, "3",
     family(E("1", "death", "2010-01-15", "ZOO"), cub=young("3", ai=True)),
     family(E("1", "death", "2010-01-16", "ZOO"), cub=young("3", ai=True)))
# Egg species: hatch minus 60 days of incubation minus 30 days of fertilisation = 2010-01-31.
pair("egg-sire-died-before-fertilisation", "P09", ERROR, "3",
     family(E("1", "death", "2010-01-30", "ZOO"), species=EGG),
     family(E("1", "death", "2010-01-31", "ZOO"), species=EGG))

# P10 MULT parents: candidates recorded, probabilities in (0, 1] summing to 1, each listed once; warnings for
# a single candidate and for candidates that would break a parent rule.
_MULT_PASS = family(M4, cub=young("3", sire_c=MULT_OK))
pair("no-candidates", "P10", ERROR, "3", family(M4, cub=young("3", sire_kind="MULT", sire=None)), _MULT_PASS)
pair("probability-zero", "P10", ERROR, "3", family(M4, cub=young("3", sire_c=(("1", 0.0), ("4", 1.0)))), _MULT_PASS)
pair("probability-over-one", "P10", ERROR, "3", family(M4, cub=young("3", sire_c=(("1", 1.5), ("4", -0.5)))),
     _MULT_PASS)
pair("sum-not-one", "P10", ERROR, "3", family(M4, cub=young("3", sire_c=(("1", 0.5), ("4", 0.4)))), _MULT_PASS)
pair("duplicate-candidate", "P10", ERROR, "3", family(M4, cub=young("3", sire_c=(("1", 0.5), ("1", 0.5)))),
     _MULT_PASS)
pair("single-candidate", "P10", WARNING, "3", family(M4, cub=young("3", sire_c=(("1", 1.0),))), _MULT_PASS)
pair("candidate-wrong-sex", "P10", WARNING, "3", family(M4, cub=young("3", sire_c=(("1", 0.5), ("2", 0.5)))),
     _MULT_PASS)
pair("candidate-too-young", "P10", WARNING, "3",
     family(founder("4", "M", born="2009-01-01", caught="2009-06-01"), cub=young("3", sire_c=MULT_OK)), _MULT_PASS)
pair("dam-candidates-sum", "P10", ERROR, "3",
     family(founder("6", "F"), cub=young("3", dam_c=(("2", 0.5), ("6", 0.25)))),
     family(founder("6", "F"), cub=young("3", dam_c=(("2", 0.5), ("6", 0.5)))))

# P11 a wild-born animal has wild (or unknown) parents, unless born in the wild to released parents.
pair("wild-born-captive-parents", "P11", WARNING, "5",
     family((A("5", "M", wild=True, sire="1", dam="2"), [E("5", "capture", "2011-01-01", "ZOO")])),
     family((A("5", "M", wild=True), [E("5", "capture", "2011-01-01", "ZOO")])))
passes("born-in-the-wild-to-released-parents", "P11",
       book(*FAMILY[:2], E("1", "release", "2009-01-01", "SITE", "ZOO"), E("2", "release", "2009-01-01", "SITE", "ZOO"),
            (A("5", "M", wild=True, sire="1", dam="2"),
             [E("5", "birth", "2010-05-01", "SITE"), E("5", "capture", "2011-01-01", "ZOO")])))

# P12 the parent kind matches the data.
pair("known-sire-without-id", "P12", ERROR, "3", family(cub=young("3", sire_kind="ID", sire=None)),
     family(cub=young("3", sire="UNK")))
pair("candidates-without-mult", "P12", ERROR, "3",
     family(M4, cub=young("3", sire="1", sire_candidates=MULT_OK)), family(M4, cub=young("3", sire_c=MULT_OK)))

# B01 one litter per minimum gestation (egg species: per minimum incubation, or the clutch interval).
pair("same-litter-twice", "B01", ERROR, "6", family(young("6", "F", litter=2), cub=young("3", litter=1)),
     family(young("6", "F", litter=1), cub=young("3", litter=1)))
pair("second-litter-within-gestation", "B01", ERROR, "6", family(young("6", "F", born="2010-07-01")),
     family(young("6", "F", born="2010-07-30")))  # 61 days; 90 days
pair("egg-within-incubation", "B01", ERROR, "6", family(young("6", "F", born="2010-06-10"), species=EGG),
     family(young("6", "F", born="2010-06-20"), species=EGG))  # 40 days; 50 days
pair("egg-within-clutch-interval", "B01", ERROR, "6",
     family(young("6", "F", born="2010-05-21"), species=replace(EGG, clutch_interval_days=30)),
     family(young("6", "F", born="2010-06-10"), species=replace(EGG, clutch_interval_days=30)))  # 20; 40 days

# E01 every animal has events.
pair("no-events", "E01", ERROR, "5", book(A("5")), book(orphan("5")))

# E02 the first event is a birth or capture; one birth.
pair("first-event-transfer", "E02", ERROR, "5",
     book(A("5", born="2005-05-01", wild=True), E("5", "transfer", "2006-01-01", "ZOO")),
     book(A("5", born="2005-05-01", wild=True), E("5", "capture", "2006-01-01", "ZOO")))
pair("two-births", "E02", ERROR, "5", book(orphan("5"), E("5", "birth", "2010-05-01", "ZOO")), book(orphan("5")))

# E03 the birth event agrees with the master record.
pair("birth-event-date-differs", "E03", ERROR, "5", book(A("5"), E("5", "birth", "2010-05-02", "ZOO")),
     book(A("5"), E("5", "birth", "2010-05-01", "ZOO")))
pair("wild-born-born-in-a-zoo", "E03", ERROR, "5", book(A("5", wild=True), E("5", "birth", "2010-05-01", "ZOO")),
     book(A("5", wild=True), E("5", "birth", "2010-05-01", "SITE")))
pair("captive-born-without-birth", "E03", ERROR, "5",
     book(A("5", born="2005-05-01"), E("5", "capture", "2006-01-01", "ZOO")),
     book(A("5", born="2005-05-01", wild=True), E("5", "capture", "2006-01-01", "ZOO")))

# E04 no event before the birth.
pair("transfer-before-birth", "E04", ERROR, "5", book(orphan("5"), E("5", "transfer", "2010-04-30", "ZOO2")),
     book(orphan("5"), E("5", "transfer", "2010-05-01", "ZOO2")))
pair("partial-transfer-before-birth", "E04", ERROR, "5", book(orphan("5"), E("5", "transfer", "2010-04", "ZOO2")),
     book(orphan("5"), E("5", "transfer", "2010", "ZOO2")))

# E05 nothing after death; one death.
pair("transfer-after-death", "E05", ERROR, "5",
     book(orphan("5"), E("5", "death", "2012-01-01"), E("5", "transfer", "2012-06-01", "ZOO2")),
     book(orphan("5"), E("5", "death", "2012-01-01"), E("5", "transfer", "2011-06-01", "ZOO2")))
pair("two-deaths", "E05", ERROR, "5", book(orphan("5"), E("5", "death", "2012-01-01"), E("5", "death", "2012-02-01")),
     book(orphan("5"), E("5", "death", "2012-01-01")))
# Partial dates: a death dated "2004" may follow a transfer on 2004-07-31; one dated 2004-06 may not.
_DEATH_2004 = (orphan("5", born="2000-05-01"), E("5", "transfer", "2004-07-31", "ZOO2", "ZOO"))
pair("partial-death-year-after-transfer", "E05", ERROR, "5",
     book(*_DEATH_2004, E("5", "death", "2004-06", "ZOO2")), book(*_DEATH_2004, E("5", "death", "2004", "ZOO2")))

# E07 one place at a time.
pair("transfer-from-wrong-place", "E07", ERROR, "5", book(orphan("5"), E("5", "transfer", "2011-01-01", "BC", "ZOO2")),
     book(orphan("5"), E("5", "transfer", "2011-01-01", "BC", "ZOO")))
pair("transfer-to-same-place", "E07", ERROR, "5", book(orphan("5"), E("5", "transfer", "2011-01-01", "ZOO", "ZOO")),
     book(orphan("5"), E("5", "transfer", "2011-01-01", "ZOO2", "ZOO")))
pair("death-elsewhere", "E07", ERROR, "5", book(orphan("5"), E("5", "death", "2012-01-01", "ZOO2")),
     book(orphan("5"), E("5", "death", "2012-01-01", "ZOO")))
pair("birth-without-place", "E07", ERROR, "5", book(orphan("5", at=None)), book(orphan("5")))
pair("move-before-placed", "E07", ERROR, "5",
     book(A("5", born="2005-05-01", wild=True), E("5", "transfer", "2006-01-01", "ZOO")),
     book(A("5", born="2005-05-01", wild=True), E("5", "capture", "2006-01-01", "ZOO")))
# After a loss to follow-up the place is unknown: the body may be found anywhere (E10 allows a death then).
passes("death-elsewhere-after-ltf", "E07",
       book(orphan("5"), E("5", "release", "2011-01-01", "SITE", "ZOO"), E("5", "ltf", "2012-01-01"),
            E("5", "death", "2013-01-01", "WILD")))

# E08 every institution code is known.
pair("unknown-birth-place", "E08", ERROR, "5", book(orphan("5", at="MARS")), book(orphan("5")))
pair("unknown-origin", "E08", ERROR, "5", book(orphan("5"), E("5", "transfer", "2011-01-01", "ZOO2", "MARS")),
     book(orphan("5"), E("5", "transfer", "2011-01-01", "ZOO2", "ZOO")))
pair("unknown-laying-place", "E08", ERROR, "3", family(cub=young("3", laid_at="MARS"), species=EGG),
     family(cub=young("3", laid_at="ZOO"), species=EGG))

# E09 the dam is where her young is born (egg species: where the egg is laid); the sire is there at conception.
pair("dam-not-at-birth-place", "E09", ERROR, "3", family(cub=young("3", at="ZOO2")), family())
pair("egg-laid-where-dam-is-not", "E09", ERROR, "3", family(cub=young("3", at="ZOO", laid_at="ZOO2"), species=EGG),
     family(cub=young("3", at="ZOO2", laid_at="ZOO"), species=EGG))
pair("egg-hatched-away-from-dam", "E09", ERROR, "3", family(cub=young("3", at="ZOO2"), species=EGG),
     family(cub=young("3", at="ZOO2", wild_egg=True), species=EGG))
pair("sire-elsewhere-at-conception", "E09", WARNING, "3", family(sire=founder("1", "M", at="ZOO2")), family())
passes("sire-elsewhere-but-ai", "E09", family(sire=founder("1", "M", at="ZOO2"), cub=young("3", ai=True)))

# E10 nothing but a capture or death after a loss to follow-up.
pair("transfer-after-ltf", "E10", WARNING, "5",
     book(orphan("5"), E("5", "ltf", "2011-01-01"), E("5", "transfer", "2012-01-01", "ZOO2")),
     book(orphan("5"), E("5", "ltf", "2011-01-01"), E("5", "capture", "2012-01-01", "ZOO2")))

# E11 only an animal in the wild or lost to follow-up can be captured.
pair("backdated-capture", "E11", ERROR, "5",
     book(founder("5", "M"), E("5", "release", "2010-01-01", "SITE"), E("5", "capture", "2009-06-01", "ZOO2")),
     book(founder("5", "M"), E("5", "release", "2010-01-01", "SITE"), E("5", "capture", "2010-06-01", "ZOO2")))
pair("captive-born-captured", "E11", ERROR, "5", book(orphan("5"), E("5", "capture", "2012-01-01", "ZOO2")),
     book(orphan("5"), E("5", "ltf", "2011-01-01"), E("5", "capture", "2012-01-01", "ZOO2")))

# E12 a transfer between the wild and captivity is read as a recapture or a release.
_RELEASED = (orphan("5"), E("5", "release", "2011-01-01", "SITE", "ZOO"))
pair("transfer-wild-to-zoo", "E12", WARNING, "5", book(*_RELEASED, E("5", "transfer", "2012-01-01", "ZOO2", "SITE")),
     book(*_RELEASED, E("5", "capture", "2012-01-01", "ZOO2")))
pair("transfer-zoo-to-wild", "E12", WARNING, "5", book(orphan("5"), E("5", "transfer", "2011-01-01", "SITE", "ZOO")),
     book(orphan("5"), E("5", "release", "2011-01-01", "SITE", "ZOO")))
passes("transfer-wild-to-wild", "E12", book(*_RELEASED, E("5", "transfer", "2012-01-01", "WILD", "SITE")))

# E13 a release goes to a release site or wild area.
pair("release-to-zoo", "E13", ERROR, "5", book(orphan("5"), E("5", "release", "2011-01-01", "ZOO2", "ZOO")),
     book(orphan("5"), E("5", "release", "2011-01-01", "SITE", "ZOO")))
pair("release-to-breeding-centre", "E13", ERROR, "5", book(orphan("5"), E("5", "release", "2011-01-01", "BC", "ZOO")),
     book(orphan("5"), E("5", "release", "2011-01-01", "WILD", "ZOO")))


# --- the tests ------------------------------------------------------------------------------------------------

def _show(findings: list[Finding]) -> str:
    return "\n".join(f.line() for f in findings) or "(no findings)"


@pytest.mark.parametrize(("the_book", "code", "severity", "sid"), CASES)
def test_rule(the_book: Book, code: str, severity: str | None, sid: str) -> None:
    findings = check_book(the_book)
    if severity is None:
        assert [f for f in findings if f.code == code] == [], _show(findings)
    else:
        assert any((f.code, f.severity, f.studbook_id) == (code, severity, sid) for f in findings), _show(findings)


def test_the_base_book_is_clean() -> None:
    assert check_book(family()) == []
    assert check_book(family(species=EGG)) == []
    assert check_book(family(M4, cub=young("3", sire_c=MULT_OK))) == []


def test_partial_death_year_after_transfer_is_no_error_at_all() -> None:
    """A death dated "2004" after a transfer on 2004-07-31: some day of 2004 fits, so nothing is wrong."""
    b = book(*_DEATH_2004, E("5", "death", "2004", "ZOO2"))
    assert [e.kind for e in b.events["5"]] == ["birth", "transfer", "death"]
    assert check_book(b) == []


def test_partial_dam_birth_year_is_no_error_at_all() -> None:
    """A dam born "2013" may be over two years old on 2015-06-01 (min age 2): no error."""
    b = family(dam=founder("2", "F", born="2013", caught="2014-06-01"), cub=young("3", born="2015-06-01"))
    assert errors_of(check_book(b)) == []


def test_only_checks_the_touched_animals_and_their_offspring() -> None:
    b = family(orphan("007"), dam=founder("2", "M"))  # P02 on cub 3; A03 on the unrelated 007
    assert {(f.code, f.severity, f.studbook_id) for f in check_book(b)} == {("P02", ERROR, "3"), ("A03", WARNING, "007")}
    assert [(f.code, f.studbook_id) for f in check_book(b, only=["2"])] == [("P02", "3")]  # 3 is 2's offspring
    assert [(f.code, f.studbook_id) for f in check_book(b, only=["3"])] == [("P02", "3")]
    assert [(f.code, f.studbook_id) for f in check_book(b, only=["007"])] == [("A03", "007")]


def test_every_rule_code_has_a_failing_and_a_passing_case() -> None:
    """A new code in rules.py needs its pair here."""
    source = (Path(__file__).resolve().parents[1] / "studbook" / "rules.py").read_text(encoding="utf-8")
    emitted = set(re.findall(r'"([A-Z]\d\d)"', source))  # every code literal: findings and their priority
    assert {"A03", "D01", "E13", "P01", "P02", "B01"} <= emitted  # the pattern still finds them
    ids = [p.id for p in CASES]
    for code in sorted(emitted):
        assert any(i.startswith(f"{code}-") and i.endswith("-fails") for i in ids), f"{code}: no failing case"
        assert any(i.startswith(f"{code}-") and i.endswith("-passes") for i in ids), f"{code}: no passing case"
