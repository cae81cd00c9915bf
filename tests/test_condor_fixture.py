"""The SPARKS mapping (``studbook.io.sparks_map``, behind ``import sparks``) on the real condor book, alone.

The source is ``shared/reference/studbooks/california_condor/`` (``$STUDBOOK_SHARED_DIR`` or
``<repo>/../shared``). Expected values below were read by hand from the DBF files, not
recomputed with the mapping.
"""

from __future__ import annotations

import re
from collections import Counter

import pytest
from condor import SPECIES_FILE
from pedigree_gallery import shared_dir

from studbook.dates import FuzzyDate
from studbook.services.sparks_import import SparksBook, read_sparks

SRC = shared_dir() / "reference" / "studbooks" / "california_condor"
CODE_RE = re.compile(r"^[A-Z0-9][A-Z0-9 _\-]{0,8}$")

# 4,076 moves: AA 792, AB 96, AS 1,863, BI 951, BA 374 -> one event each; plus 231 deaths of DEAD=T birds.
EVENTS_BY_KIND = {"birth": 792, "capture": 96, "transfer": 1863, "release": 951, "death": 374 + 231}
DEAD_WITHOUT_MOVE = "DEAD=T without a death move (a death at an undetermined date, or DEATHDATE)"


@pytest.fixture(scope="module")
def book() -> SparksBook:
    if not (SRC / "exchange.dbf").is_file() or not (SRC / "moves.dbf").is_file():
        pytest.fail(f"the condor studbook is missing ({SRC}): put shared/ next to the repository "
                    "or set STUDBOOK_SHARED_DIR")
    return read_sparks(SRC / "exchange.dbf", SRC / "moves.dbf", species_file=SPECIES_FILE)


@pytest.fixture(scope="module")
def animals(book: SparksBook) -> dict[str, dict[str, str]]:
    ids = [r["studbook_id"] for _n, r in book.mapping.animals]
    assert len(ids) == len(set(ids)), "studbook IDs must be unique"
    return {r["studbook_id"]: r for _n, r in book.mapping.animals}


@pytest.fixture(scope="module")
def events(book: SparksBook) -> list[dict[str, str]]:
    return [r for _n, r in book.mapping.events]


@pytest.fixture(scope="module")
def institutions(book: SparksBook) -> dict[str, dict[str, str]]:
    return {r["code"]: r for _n, r in book.mapping.institutions}


def _history(events: list[dict[str, str]], sid: str) -> list[tuple[str, ...]]:
    keys = ("event", "date", "institution", "from_institution", "local_id", "laid_at", "wild_egg")
    return [tuple(e[k] for k in keys) for e in events if e["studbook_id"] == sid]


def test_species(book: SparksBook) -> None:
    assert book.species == {
        "common_name": "California condor", "scientific_name": "Gymnogyps californianus",
        "gestation_min_days": 50, "gestation_max_days": 60,
        "min_breeding_age_male": 4.0, "min_breeding_age_female": 4.0,
        "max_breeding_age_male": 50.0, "max_breeding_age_female": 50.0, "longevity_years": 80.0,
        "reproduction": "egg", "incubation_min_days": 50, "incubation_max_days": 60, "clutch_interval_days": 20,
        # The latest date of both tables: bird 735's release (BI) on 2016-09-26.
        "census_date": "2016-09-26",
    }


def test_counts(book: SparksBook, animals: dict[str, dict[str, str]], events: list[dict[str, str]]) -> None:
    m = book.mapping
    assert (len(m.animals), m.moves, len(m.events), m.deaths_from_exchange) == (807, 4076, 4307, 231)
    # Every move is one event, numbered by its moves record; the added deaths come from the exchange (0).
    assert sorted(n for n, _r in m.events if n) == list(range(1, 4077))
    assert dict(Counter(e["event"] for e in events)) == EVENTS_BY_KIND
    assert m.codes_kept_as_notes == {} and m.fields_kept_as_notes == {}  # only AA/AB/AS/BI/BA occur
    assert m.renamed_codes == {} and m.unknown_estimate_codes == {}


def test_sexes(animals: dict[str, dict[str, str]]) -> None:
    assert dict(Counter(a["sex"] for a in animals.values())) == {"M": 392, "F": 362, "U": 53}


def test_ids_and_parents(animals: dict[str, dict[str, str]], events: list[dict[str, str]]) -> None:
    assert all(sid.isdigit() and not sid.startswith("0") for sid in animals)
    # 809 is the highest ID; 163 and 173 are not used.
    assert set(range(1, 810)) - {int(s) for s in animals} == {163, 173}
    assert {e["studbook_id"] for e in events} == set(animals)
    for a in animals.values():
        for role in ("sire", "dam"):
            assert a[role] in animals or a[role] in ("WILD", "UNK"), (a["studbook_id"], role, a[role])
    # 19 dams and 18 sires are WILD (bird 19 has a WILD dam and sire 4); none is UNK or MULT.
    assert Counter(a["dam"] for a in animals.values() if not a["dam"].isdigit()) == {"WILD": 19}
    assert Counter(a["sire"] for a in animals.values() if not a["sire"].isdigit()) == {"WILD": 18}


def test_first_events(book: SparksBook, animals: dict[str, dict[str, str]], events: list[dict[str, str]]) -> None:
    first: dict[str, str] = {}
    for e in events:
        first.setdefault(e["studbook_id"], e["event"])
    assert set(first) == set(animals)
    assert Counter(first.values()) == {"birth": 792, "capture": 15}
    assert "moves with no event" not in book.mapping.disagreements
    # Exactly one birth for the 792 AA birds; the 15 caught (AB) first are the wild-born ones.
    births = Counter(e["studbook_id"] for e in events if e["event"] == "birth")
    assert set(births.values()) == {1} and len(births) == 792
    assert {s for s, k in first.items() if k == "capture"} <= {
        s for s, a in animals.items() if a["birth_type"] == "wild"}
    # Wild-born: the 15 caught first, and the 151 hatched at a wild area (AA at CALIFORNI, ARIZONA, BAJA, UTAH).
    assert Counter(a["birth_type"] for a in animals.values()) == {"captive": 641, "wild": 166}
    # 66 birds are caught again (AB) after a release: 12 and 1 among them.
    recaptured = {e["studbook_id"] for k, e in enumerate(events) if e["event"] == "capture"
                  and any(p["studbook_id"] == e["studbook_id"] for p in events[:k])}
    assert len(recaptured) == 66 and {"1", "12"} <= recaptured


def test_institutions(book: SparksBook, institutions: dict[str, dict[str, str]],
                      events: list[dict[str, str]]) -> None:
    assert len(institutions) == 29
    for code, inst in institutions.items():
        assert CODE_RE.match(code), code
        assert inst["name"] == code and set(inst) == {"code", "name", "kind"}  # no place, no coordinates
    used = {e[k] for e in events for k in ("institution", "from_institution", "laid_at")} - {""}
    assert used == set(institutions)
    assert all(e["institution"] for e in events)
    kinds = {code: inst["kind"] for code, inst in institutions.items()}
    assert {c for c, k in kinds.items() if k == "wild-area"} == {"CALIFORNI", "ARIZONA", "BAJA", "UTAH"}
    assert {c for c, k in kinds.items() if k == "breeding-centre"} == {
        "LOSANGELE", "SD-WAP", "BRDS PREY", "PORTLAND", "SANDIEGOZ", "OREGON"}
    assert book.mapping.institution_kinds == {"breeding-centre": 6, "wild-area": 4, "zoo": 19}
    # The field pens are captive: birds reach them by transfer and leave them by release.
    assert kinds["PAICINES"] == kinds["HOPPER"] == kinds["VERMILION"] == "zoo"
    # Near-duplicate codes are kept apart, as written.
    assert {"PACINES", "PAICINES", "VERMILLIO", "VERMILION"} <= set(institutions)


def test_dates_and_local_ids(animals: dict[str, dict[str, str]], events: list[dict[str, str]]) -> None:
    for a in animals.values():
        FuzzyDate.parse(a["birth_date"])
    for e in events:
        if e["date"] != "unknown":
            assert FuzzyDate.parse(e["date"]).latest <= FuzzyDate.parse("2016-09-26").latest
        assert e["local_id"].upper() not in ("NONE", "BLANK")
        assert e["loan"] == "0"
    precision = Counter(re.sub(r"\d", "9", e["date"]) for e in events)
    assert precision == {"9999-99-99": 4032, "~9999-99-99": 17, "9999-99": 3, "9999": 24,
                         "unknown": 231}


def test_transfers_and_releases_come_from_the_previous_location(events: list[dict[str, str]]) -> None:
    where: dict[str, str] = {}
    for e in events:
        if e["event"] in ("transfer", "release"):
            assert e["from_institution"] == where[e["studbook_id"]]
        else:
            assert e["from_institution"] == ""
        where[e["studbook_id"]] = e["institution"]


def test_bird_1_topa_topa(animals: dict[str, dict[str, str]], events: list[dict[str, str]]) -> None:
    # exchange: "     1", WILD/WILD, BDATE 1966-01-01 Y, SEX 1, DEAD F, COMMENT Topa-topa.
    a = animals["1"]
    assert (a["sex"], a["birth_date"], a["birth_type"], a["sire"], a["dam"], a["notes"]) == (
        "M", "1966", "wild", "WILD", "WILD", "Topa-topa")
    # moves: AB CALIFORNI 1967-02-12 D NONE; AS LOSANGELE 1967-02-12 D " 03588"; BI CALIFORNI 1967-02-23 W1;
    #        AB CALIFORNI 1967-03-03 D NONE; AS LOSANGELE 1967-03-03 " 03588".
    assert _history(events, "1") == [
        ("capture", "~1967-02-12", "CALIFORNI", "", "", "", "0"),
        ("transfer", "~1967-02-12", "LOSANGELE", "CALIFORNI", "03588", "", "0"),
        ("release", "1967-02-23", "CALIFORNI", "LOSANGELE", "W1", "", "0"),
        ("capture", "~1967-03-03", "CALIFORNI", "", "", "", "0"),
        ("transfer", "1967-03-03", "LOSANGELE", "CALIFORNI", "03588", "", "0"),
    ]


def test_bird_12(animals: dict[str, dict[str, str]], events: list[dict[str, str]]) -> None:
    # exchange: WILD/WILD, BDATE 1976-01-01 Y, SEX 0, DEAD T, DEATHDATE 2003-02-13 D, COMMENT Ssf/ac8.
    a = animals["12"]
    assert (a["sex"], a["birth_date"], a["birth_type"], a["sire"], a["dam"], a["notes"]) == (
        "F", "1976", "wild", "WILD", "WILD", "Ssf/ac8")
    assert _history(events, "12") == [
        ("capture", "1986-06-06", "CALIFORNI", "", "B12", "", "0"),
        ("transfer", "1986-06-06", "SD-WAP", "CALIFORNI", "034630", "", "0"),
        ("transfer", "1986-10-17", "LOSANGELE", "SD-WAP", "002484", "", "0"),
        ("transfer", "1988-11-01", "SD-WAP", "LOSANGELE", "034630", "", "0"),
        ("transfer", "1999-08-05", "VENTANA", "SD-WAP", "034630", "", "0"),
        ("transfer", "1999-10-05", "LOSANGELE", "VENTANA", "002484", "", "0"),
        ("transfer", "2000-03-28", "HOPPER", "LOSANGELE", "B12", "", "0"),
        ("release", "2000-04-04", "CALIFORNI", "HOPPER", "B12", "", "0"),
        ("capture", "2002-11-11", "CALIFORNI", "", "B12", "", "0"),
        ("transfer", "2002-11-14", "LOSANGELE", "CALIFORNI", "002484", "", "0"),
        ("transfer", "2002-12-18", "HOPPER", "LOSANGELE", "B12", "", "0"),
        ("release", "2002-12-18", "CALIFORNI", "HOPPER", "B12", "", "0"),
        ("death", "~2003-02-13", "CALIFORNI", "", "", "", "0"),
    ]


def test_bird_28_sisquoc_wild_egg(animals: dict[str, dict[str, str]], events: list[dict[str, str]]) -> None:
    # exchange: dam 11, sire 2, BDATE 1983-03-30, SEX 1, DEAD F, COMMENT Sisquoc.
    # Dam 11's first move is her capture (AB) on 1985-09-06: in 1983 she was wild, so the egg
    # hatched at SANDIEGOZ came from a wild nest (where exactly is not recorded).
    a = animals["28"]
    assert (a["sex"], a["birth_date"], a["birth_type"], a["sire"], a["dam"], a["notes"]) == (
        "M", "1983-03-30", "captive", "2", "11", "Sisquoc")
    assert _history(events, "28") == [
        ("birth", "1983-03-30", "SANDIEGOZ", "", "012174", "", "1"),
        ("transfer", "1983-03-31", "SD-WAP", "SANDIEGOZ", "012174", "", "0"),
    ]


def test_bird_765_utah_hatch(animals: dict[str, dict[str, str]], events: list[dict[str, str]]) -> None:
    # exchange: dam 409, sire 337, BDATE 2014-06-26, SEX 5, DEAD T, DEATHDATE 2014-10-19, LOCATION ARIZONA.
    # moves: AA UTAH 2014-04-26 AZ414; BA ARIZONA 2014-10-19 AZ414. BDATE and the hatch move disagree:
    # both are kept (birth date from BDATE, birth event from the move).
    a = animals["765"]
    assert (a["sex"], a["birth_date"], a["birth_type"], a["sire"], a["dam"], a["notes"]) == (
        "U", "2014-06-26", "wild", "337", "409", "")
    assert _history(events, "765") == [
        ("birth", "2014-04-26", "UTAH", "", "AZ414", "", "0"),
        ("death", "2014-10-19", "ARIZONA", "", "AZ414", "", "0"),
    ]


def test_eggs(book: SparksBook, events: list[dict[str, str]]) -> None:
    births = {e["studbook_id"]: e for e in events if e["event"] == "birth"}
    wild_eggs = {s for s, e in births.items() if e["wild_egg"] == "1"}
    laid_at = {s: e["laid_at"] for s, e in births.items() if e["laid_at"]}
    assert (book.mapping.wild_eggs, book.mapping.laid_at) == (len(wild_eggs), len(laid_at))
    # 15 eggs of 1983-86 hatched at SANDIEGOZ/SD-WAP while the dam was still wild when she laid
    # them (41: her dam 8 never caught; 44: dam 12 caught on the day it hatched), and 9 eggs of
    # released dams (e.g. 262) hatched at LOSANGELE.
    assert len(wild_eggs) == 24
    assert {"28", "41", "44", "262"} <= wild_eggs
    assert births["41"]["laid_at"] == "CALIFORNI" and births["262"]["laid_at"] == "CALIFORNI"
    # Eggs moved between captive places (48: dam 31 at LOSANGELE, hatched at SD-WAP) and captive
    # eggs fostered into wild nests (263: dam 40 at LOSANGELE, hatched in CALIFORNI).
    assert births["48"]["laid_at"] == "LOSANGELE" and births["48"]["wild_egg"] == "0"
    assert births["263"]["laid_at"] == "LOSANGELE" and births["263"]["wild_egg"] == "0"
    assert len(laid_at) == 109
    assert all(e["laid_at"] == "" and e["wild_egg"] == "0" for e in events if e["event"] != "birth")


def test_disagreements(book: SparksBook, animals: dict[str, dict[str, str]], events: list[dict[str, str]]) -> None:
    # 231 released birds are DEAD=T with no death move (and no DEATHDATE); 15 BDATEs disagree with
    # the hatch move. Nothing else disagrees.
    assert book.mapping.disagreements == {DEAD_WITHOUT_MOVE: 231, "BDATE differs from the birth move (AA)": 15}
    # Bird 20 (DEAD=T, no DEATHDATE, last move BI CALIFORNI 2015-12-29): a death at an undetermined date there.
    assert [(e["event"], e["date"], e["institution"]) for e in events if e["studbook_id"] == "20"][-2:] == [
        ("release", "2015-12-29", "CALIFORNI"), ("death", "unknown", "CALIFORNI")]
    assert animals["20"]["birth_type"] == "wild"
    dead = {e["studbook_id"] for e in events if e["event"] == "death"}
    assert len(dead) == 374 + 231


def test_deterministic(book: SparksBook) -> None:
    again = read_sparks(SRC / "exchange.dbf", SRC / "moves.dbf", species_file=SPECIES_FILE)
    assert again.mapping == book.mapping and again.species == book.species
