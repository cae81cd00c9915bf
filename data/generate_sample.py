#!/usr/bin/env python3
"""Generate the SYNTHETIC Amur leopard sample studbook in data/sample/.

Real zoos (names, cities, coordinates), invented animals. Deterministic: the only
randomness is random.Random(2026); standard library only. A month-by-month
simulation from 1960 to the reference date 2026-11-01 (captures, conceptions,
births, deaths, transfers, releases), then a self-check (``check``) that asserts
every studbook rule on the written files. Run: ``python data/generate_sample.py``.
"""
from __future__ import annotations

import calendar
import csv
import json
import re
import sys
from datetime import date, timedelta
from pathlib import Path
from random import Random

R = Random(2026)
REF = date(2026, 11, 1)
OUT = Path(__file__).resolve().parent / "sample"
SPECIES = {"common_name": "Amur leopard", "scientific_name": "Panthera pardus orientalis",
           "gestation_min_days": 90, "gestation_max_days": 105, "min_breeding_age_male": 2.0,
           "min_breeding_age_female": 2.0, "max_breeding_age_male": 17.0, "max_breeding_age_female": 16.0,
           "longevity_years": 24.0,
           # Husbandry: cubs stay with their mother 18-24 months (the lower end); releases of 1-3-year-olds.
           "dependence_months": 18.0, "release_age_min": 1.0, "release_age_max": 3.0,
           "reference_date": REF.isoformat(), "census_date": REF.isoformat()}
PULL, P_SEASON, P_OFF = 0.3, 0.4, 0.08   # monthly: pairing move, conception in Jan-Apr / rest of year
HYBRID_P, HYBRID_STOP, HYBRID_MAX = 0.5, 2012, 8   # hybrid-suspect line: breeds less, <= 8 living, none after
P_MULT, MAX_MULT = 0.08, 6   # litters with two candidate sires
STRICT_YEARS = 1   # conceptions this close to the reference date need room for two cubs of each sex
# programme target size (breeding recommendations slow down near it): (year, living animals)
TARGET = [(1960, 10), (1970, 45), (1980, 100), (1990, 145), (2000, 185), (2010, 215), (2018, 270), (2026, 380)]


def target(d):
    for (y0, n0), (y1, n1) in zip(TARGET, TARGET[1:]):
        if d.year < y1:
            return n0 + (n1 - n0) * (d.year - y0 + d.month / 12) / (y1 - y0)
    return TARGET[-1][1]

RELEASE_SITE = "Lazovsky Zapovednik, Primorsky Krai"
# Releases go to this release site (kind release-site), from the animal's last holder. It is
# not in INST: the simulation's zoos (and so every random draw) stay as they were.
RELEASE_CODE = "LAZOVSKY"
RELEASE_INST = dict(code=RELEASE_CODE, name="Lazovsky Zapovednik", city="Lazo", country="RU", region="",
                    latitude="43.2000", longitude="133.9000", capacity_males="", capacity_females="",
                    kind="release-site")

# code|name|city|country|region|lat|lon|cap males|cap females|year joined the programme
INSTITUTIONS = """\
MOSCOW|Moscow Zoo|Moscow|RU|EARAZA|55.7610|37.5785|6|7|1960
NOVOSIBIR|Novosibirsk Zoo|Novosibirsk|RU|EARAZA|55.0580|82.8990|3|4|1965
SPBURG|Leningrad Zoo|Saint Petersburg|RU|EARAZA|59.9520|30.3065|3|3|1970
EKATERINB|Yekaterinburg Zoo|Yekaterinburg|RU|EARAZA|56.8330|60.6190|3|3|1975
PERM|Perm Zoo|Perm|RU|EARAZA|58.0125|56.2420|3|3|1980
ROSTOV|Rostov-on-Don Zoo|Rostov-on-Don|RU|EARAZA|47.2560|39.6715|3|3|1990
KALININGR|Kaliningrad Zoo|Kaliningrad|RU|EARAZA|54.7225|20.4975|3|3|1995
MINSK|Minsk Zoo|Minsk|BY|EARAZA|53.8480|27.6215|1|2|1985
KYIV|Kyiv Zoo|Kyiv|UA|EARAZA|50.4560|30.4645|3|3|1980
ALMATY|Almaty Zoo|Almaty|KZ|EARAZA|43.2595|76.9580|1|2|1990
TALLINN|Tallinn Zoo|Tallinn|EE|EAZA|59.4253|24.6585|4|5|1960
LEIPZIG|Zoo Leipzig|Leipzig|DE|EAZA|51.3490|12.3705|3|4|1962
BERLINTP|Tierpark Berlin|Berlin|DE|EAZA|52.5010|13.5320|3|4|1962
PRAGUE|Prague Zoo|Prague|CZ|EAZA|50.1165|14.4060|3|3|1965
HELSINKI|Korkeasaari Zoo|Helsinki|FI|EAZA|60.1755|24.9855|3|3|1968
DRESDEN|Zoo Dresden|Dresden|DE|EAZA|51.0385|13.7590|3|3|1970
BUDAPEST|Budapest Zoo and Botanical Garden|Budapest|HU|EAZA|47.5185|19.0780|3|3|1972
WROCLAW|Wrocław Zoo|Wrocław|PL|EAZA|51.1045|17.0745|3|3|1973
RIGA|Riga Zoo|Riga|LV|EAZA|57.0070|24.1595|3|3|1975
COPENHAGN|Copenhagen Zoo|Copenhagen|DK|EAZA|55.6725|12.5215|3|3|1975
DVURKRAL|Safari Park Dvůr Králové|Dvůr Králové nad Labem|CZ|EAZA|50.4330|15.7980|3|3|1976
ZURICH|Zoo Zürich|Zürich|CH|EAZA|47.3850|8.5745|3|3|1978
ROTTERDAM|Diergaarde Blijdorp|Rotterdam|NL|EAZA|51.9275|4.4480|3|3|1978
WARSZAWA|Warsaw Zoo|Warsaw|PL|EAZA|52.2580|21.0230|3|3|1980
TWYCROSS|Twycross Zoo|Atherstone|GB|EAZA|52.6380|-1.5120|3|3|1980
MARWELL|Marwell Zoo|Winchester|GB|EAZA|50.9920|-1.2820|3|3|1982
WIEN|Tiergarten Schönbrunn|Vienna|AT|EAZA|48.1825|16.3025|3|3|1983
COLCHESTR|Colchester Zoo|Colchester|GB|EAZA|51.8640|0.8330|3|3|1985
FRANKFURT|Frankfurt Zoo|Frankfurt am Main|DE|EAZA|50.1165|8.7005|3|3|1985
WUPPERTAL|Zoo Wuppertal|Wuppertal|DE|EAZA|51.2385|7.1065|3|3|1986
NURNBERG|Tiergarten Nürnberg|Nuremberg|DE|EAZA|49.4485|11.1475|3|3|1987
MUNICH|Tierpark Hellabrunn|Munich|DE|EAZA|48.0995|11.5555|3|3|1990
PLZEN|Zoo Plzeň|Plzeň|CZ|EAZA|49.7560|13.3580|2|2|1991
NORDENSAR|Nordens Ark|Hunnebostrand|SE|EAZA|58.4450|11.4410|3|3|1992
HANNOVER|Erlebnis-Zoo Hannover|Hannover|DE|EAZA|52.3775|9.7730|3|3|1993
KOLMARDEN|Kolmården Wildlife Park|Kolmården|SE|EAZA|58.6670|16.3720|3|3|1995
BASEL|Zoo Basel|Basel|CH|EAZA|47.5475|7.5785|1|2|1995
ODENSE|Odense Zoo|Odense|DK|EAZA|55.3845|10.3710|2|2|1996
AALBORG|Aalborg Zoo|Aalborg|DK|EAZA|57.0370|9.8990|3|3|1997
OLOMOUC|Olomouc Zoo|Olomouc|CZ|EAZA|49.6385|17.3310|3|3|1998
BRATISLAV|Bratislava Zoo|Bratislava|SK|EAZA|48.1680|17.0740|2|2|1999
ZAGREB|Zagreb Zoo|Zagreb|HR|EAZA|45.8185|16.0180|2|2|2000
LJUBLJANA|Ljubljana Zoo|Ljubljana|SI|EAZA|46.0530|14.4720|2|2|2001
POZNAN|Nowe Zoo Poznań|Poznań|PL|EAZA|52.4010|17.0700|3|3|2003
DUBLIN|Dublin Zoo|Dublin|IE|EAZA|53.3560|-6.3050|3|3|2005
BELFAST|Belfast Zoo|Belfast|GB|EAZA|54.6575|-5.9440|2|2|2006
PARIS|Parc Zoologique de Paris|Paris|FR|EAZA|48.8325|2.4160|3|3|2008
MULHOUSE|Parc Zoologique et Botanique de Mulhouse|Mulhouse|FR|EAZA|47.7340|7.3480|3|3|2009
LAFLECHE|Zoo de La Flèche|La Flèche|FR|EAZA|47.6830|-0.0520|3|3|2011
LISBOA|Jardim Zoológico de Lisboa|Lisbon|PT|EAZA|38.7440|-9.1705|3|3|2012
MADRID|Zoo Aquarium de Madrid|Madrid|ES|EAZA|40.4095|-3.7625|3|3|2014
CINCINNAT|Cincinnati Zoo and Botanical Garden|Cincinnati|US|AZA|39.1450|-84.5085|3|4|1975
BRONX|Bronx Zoo|New York|US|AZA|40.8505|-73.8770|3|3|1976
PHILADELP|Philadelphia Zoo|Philadelphia|US|AZA|39.9715|-75.1955|3|3|1977
MINNESOTA|Minnesota Zoo|Apple Valley|US|AZA|44.7675|-93.1965|3|3|1978
TOLEDO|Toledo Zoo|Toledo|US|AZA|41.6225|-83.5815|3|3|1979
OMAHA|Omaha's Henry Doorly Zoo and Aquarium|Omaha|US|AZA|41.2255|-95.9285|3|3|1980
BROOKFIEL|Brookfield Zoo|Brookfield|US|AZA|41.8350|-87.8330|3|3|1981
TULSA|Tulsa Zoo|Tulsa|US|AZA|36.2125|-95.9050|3|3|1983
LOUISVILL|Louisville Zoo|Louisville|US|AZA|38.2055|-85.7055|3|3|1984
DETROIT|Detroit Zoo|Royal Oak|US|AZA|42.4770|-83.1495|2|2|1985
STLOUIS|Saint Louis Zoo|St. Louis|US|AZA|38.6355|-90.2925|3|3|1986
KANSASCTY|Kansas City Zoo|Kansas City|US|AZA|39.0075|-94.5290|1|2|1988
SALTLAKE|Utah's Hogle Zoo|Salt Lake City|US|AZA|40.7505|-111.8145|3|3|1989
COLOSPRNG|Cheyenne Mountain Zoo|Colorado Springs|US|AZA|38.7715|-104.8540|3|3|1990
TACOMA|Point Defiance Zoo and Aquarium|Tacoma|US|AZA|47.3050|-122.5205|3|3|1991
DENVER|Denver Zoo|Denver|US|AZA|39.7500|-104.9505|1|1|1992
CLEVELAND|Cleveland Metroparks Zoo|Cleveland|US|AZA|41.4455|-81.7125|3|3|1993
COLUMBUS|Columbus Zoo and Aquarium|Powell|US|AZA|40.1565|-83.1185|3|3|1995
SYRACUSE|Rosamond Gifford Zoo|Syracuse|US|AZA|43.0435|-76.1860|2|2|1996
PITTSBURG|Pittsburgh Zoo|Pittsburgh|US|AZA|40.4845|-79.9210|2|2|1998
ROCHESTER|Seneca Park Zoo|Rochester|US|AZA|43.2065|-77.6195|2|2|2000
MILWAUKEE|Milwaukee County Zoo|Milwaukee|US|AZA|43.0325|-88.0390|3|3|2002
SEATTLE|Woodland Park Zoo|Seattle|US|AZA|47.6685|-122.3505|3|3|2004
TORONTO|Toronto Zoo|Toronto|CA|AZA|43.8175|-79.1860|3|3|2006
TAMA|Tama Zoological Park|Hino|JP|JAZA|35.6490|139.4040|3|3|1988
SAPPORO|Sapporo Maruyama Zoo|Sapporo|JP|JAZA|43.0510|141.3070|3|3|1990
NAGOYA|Higashiyama Zoo and Botanical Gardens|Nagoya|JP|JAZA|35.1570|136.9760|3|3|1992
KOBE|Kobe Oji Zoo|Kobe|JP|JAZA|34.7100|135.2150|2|2|1994
KYOTO|Kyoto City Zoo|Kyoto|JP|JAZA|35.0130|135.7830|2|2|1996
YOKOHAMA|Yokohama Zoological Gardens Zoorasia|Yokohama|JP|JAZA|35.4940|139.5270|3|3|1999
ASAHIKAWA|Asahiyama Zoo|Asahikawa|JP|JAZA|43.7680|142.4800|2|2|2002
FUKUOKA|Fukuoka City Zoo|Fukuoka|JP|JAZA|33.5780|130.3870|3|3|2008
"""
INST = {}
for _line in INSTITUTIONS.strip().splitlines():
    c, n, city, cc, reg, lat, lon, cm, cf, join = _line.split("|")
    INST[c] = dict(code=c, name=n, city=city, country=cc, region=reg, latitude=lat, longitude=lon,
                   capacity_males=int(cm), capacity_females=int(cf), join=int(join))
AFFINITY = {frozenset(["EAZA", "EARAZA"]): 0.12, frozenset(["EAZA", "AZA"]): 0.03, frozenset(["AZA", "JAZA"]): 0.05,
            frozenset(["EAZA", "JAZA"]): 0.03, frozenset(["EARAZA", "JAZA"]): 0.015, frozenset(["AZA", "EARAZA"]): 0.01}

NAMES = {
    "EARAZA": ("Amur Bars Grom Kedr Sever Timur Yasha Baikal Ural Vityaz Lazo Dozor Veter Buran Kazbek Rubin Tigran "
               "Zhuk Khasan Sikhote Uragan Yenisei Orlik Svyatoslav Ratmir Makar",
               "Taiga Zarya Alyona Lada Vesna Nika Mira Dusya Zlata Kira Sonya Asya Marusya Lyuba Dasha Ksyusha "
               "Ussuri Nadezhda Olga Vasilisa Alisa Yesenia Milana Varya Stesha"),
    "CYR": ("Амур Барс Гром Кедр Буран Тимур Лазо Дозор", "Тайга Заря Лада Злата Кира Веста Дуся Маруся"),
    "EAZA": ("Dmitri Kristoffer Lars Milo Viktor Boris Sasha Ivan Leo Finn Oskar Aleksei Kolja Nikolai Felix Jasper "
             "Emil Anton Hugo Jakub Otto Rasmus Nico Kai Ludwig Mischa Tarik",
             "Anja Nadia Freya Mila Svetla Lumi Elsa Hanna Ilka Alina Ronja Tanja Katja Ada Nova Zora Irina Liesel "
             "Marta Astra Saskia Yana Bella Ilse Sofia"),
    "AZA": ("Nikolai Sergei Rakhan Arsenyev Max Dmitri Timor Gus Pavel Sochi Boris Mikey Koda Yuri Anatoly Kirill "
            "Zeus Ruslan Tor Ozzy",
            "Anya Ameera Zeya Oksana Luna Koshka Natasha Dasha Valentina Ruby Ila Sofia Polina Kharis Katya Nadya "
            "Sasha Mila Ivy Zoya"),
    "JAZA": ("Taro Kaito Sora Haru Ryu Kenta Shin Riku Hayate Kotaro Daichi Jin Takeru",
             "Hana Yuki Sakura Mei Kaede Aoi Momo Rin Kiku Ayame Koharu Mio Akari"),
}
CAUSES = {"neo": ["neonatal", "neonatal", "stillborn", "maternal neglect", "hypothermia", "unknown"],
          "juv": ["pneumonia", "enteritis", "trauma - conspecific", "metabolic bone disease", "unknown"],
          "adult": ["renal failure", "neoplasia", "pneumonia", "trauma - conspecific", "anaesthesia complication",
                    "heart failure", "pyometra", "unknown"],
          "old": ["euthanasia - age", "euthanasia - renal failure", "renal failure", "neoplasia",
                  "euthanasia - degenerative joint disease", "hepatocellular carcinoma", "unknown"]}
# Wild-caught animals: capture date, institution, sex, birth date as recorded, note
FOUNDERS = [
    (date(1961, 5, 12), "MOSCOW", "M", "~1958", ""), (date(1961, 9, 3), "MOSCOW", "F", "1959", ""),
    (date(1962, 4, 20), "TALLINN", "F", "~1959", ""), (date(1962, 10, 8), "TALLINN", "M", "1960", ""),
    (date(1963, 6, 1), "LEIPZIG", "M", "~1960", ""), (date(1963, 6, 1), "LEIPZIG", "F", "~1961", ""),
    (date(1964, 3, 15), "BERLINTP", "F", "1962", ""), (date(1965, 7, 22), "MOSCOW", "M", "~1962", ""),
    (date(1965, 11, 5), "NOVOSIBIR", "F", "1964", ""), (date(1966, 8, 30), "BERLINTP", "M", "~1963", ""),
    (date(1967, 5, 9), "PRAGUE", "F", "1965", ""), (date(1968, 4, 14), "TALLINN", "M", "~1965", ""),
    (date(1969, 9, 1), "MOSCOW", "F", "1967", ""),
    (date(1973, 2, 17), "BERLINTP", "M", "~1970",
     "Wild-caught, origin uncertain (NE China/Korea border); subspecies doubtful"),
    (date(1997, 3, 11), "MOSCOW", "F", "~1996-08", "Orphaned cub confiscated in Primorsky Krai"),
    (date(2009, 12, 2), "NOVOSIBIR", "M", "~2007", "Injured conflict animal, unfit for release, Khasansky district"),
]
LAST_ORIGINAL = date(1975, 1, 1)   # wild-caught before this form the original founder group (IDs 1..k)


# --- partial dates -------------------------------------------------------------
DATE_RE = re.compile(r"^(~)?(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")
MARGIN = {"D": 30, "M": 31, "Y": 365}


def span(s: str) -> tuple[date, date]:
    """Earliest and latest possible day of a written date (``~`` widens by 30/31/365 days)."""
    m = DATE_RE.match(s)
    if not m:
        raise ValueError(f"bad date {s!r}")
    est, y, mo, d = m.groups()
    y = int(y)
    if d:
        lo = hi = date(y, int(mo), int(d))
        p = "D"
    elif mo:
        lo, hi, p = date(y, int(mo), 1), date(y, int(mo), calendar.monthrange(y, int(mo))[1]), "M"
    else:
        lo, hi, p = date(y, 1, 1), date(y, 12, 31), "Y"
    if est:
        lo, hi = lo - timedelta(MARGIN[p]), hi + timedelta(MARGIN[p])
    return lo, hi


def years(a: date, b: date) -> float:
    return (b - a).days / 365.25


# --- simulation ------------------------------------------------------------------
class Cat:
    def __init__(self, seq, sex, born, bstr, wild, sire, dam, inst):
        self.seq, self.sex, self.born, self.bstr, self.wild = seq, sex, born, bstr, wild
        self.blo, self.bhi = span(bstr)
        self.sire, self.dam, self.loc, self.birth_inst = sire, dam, inst, inst   # sire/dam: Cat or None
        self.events, self.alive, self.end = [], True, None
        self.since = self.last = born
        self.lock, self.hold, self.breed_ok, self.preg = born, born, born, False
        self.cands, self.unk_sire, self.ai = None, False, False
        self.rearing, self.name, self.notes, self.hybrid = "parent", "", "", False
        self.litters, self.id = [], None

    def age(self, d):
        return years(self.born, d)

    def kin(self, depth=1):
        out, layer = {self}, [self]
        for _ in range(depth):
            layer = [p for c in layer for p in (c.sire, c.dam) if p is not None]
            out.update(layer)
        return out


cats, living, at = [], {}, {c: {} for c in INST}
reserved = {c: {"M": 0, "F": 0} for c in INST}
pregnancies, counters = [], {}
stats = {"ltf": 0, "release": 0, "mult": 0}


def local_id(inst):
    if inst not in counters:
        counters[inst] = [R.choice(["", "", "", "M", "A"]), R.randint(100, 9000)]
    counters[inst][1] += R.randint(1, 25)
    return f"{counters[inst][0]}{counters[inst][1]}"


def house_name(cat):
    reg = INST[cat.loc]["region"]
    if reg == "EARAZA" and R.random() < 0.25:
        reg = "CYR"
    return R.choice(NAMES[reg][0 if cat.sex == "M" else 1].split())


def related(a, b):
    return bool(a.kin() & b.kin())


def free(inst, sex, d):
    if INST[inst]["join"] > d.year:
        return 0
    used = sum(1 for c in at[inst].values() if c.sex == sex)
    return INST[inst]["capacity_males" if sex == "M" else "capacity_females"] - used - reserved[inst][sex]


def place(cat, inst, d):
    cat.loc, cat.since, cat.last = inst, d, d
    at[inst][cat.seq] = cat


def new_cat(sex, born, bstr, wild, sire, dam, inst):
    cat = Cat(len(cats), sex, born, bstr, wild, sire, dam, inst)
    cats.append(cat)
    living[cat.seq] = cat
    place(cat, inst, born)
    return cat


def finish(cat, kind, d, cause="", site=""):
    # A release moves the animal to the release site, from its holder; other endings happen where it is.
    inst, frm = (RELEASE_CODE, cat.loc) if kind == "release" else (cat.loc, "")
    cat.events.append([kind, d, inst, frm, 0, "", cause, site])
    cat.alive, cat.end, cat.last = False, d, d
    living.pop(cat.seq)
    at[cat.loc].pop(cat.seq)


def move(cat, dest, d):
    loan = int(R.random() < (0.5 if INST[dest]["region"] != INST[cat.loc]["region"] else 0.25))
    cat.events.append(["transfer", d, dest, cat.loc, loan, local_id(dest), "", ""])
    at[cat.loc].pop(cat.seq)
    place(cat, dest, d)


def can_breed(cat, c):
    """Breeding eligibility at conception c, with margins for the recorded birth-date uncertainty."""
    if not cat.alive or cat.preg or c < cat.breed_ok:
        return False
    if cat.hybrid and (c.year >= HYBRID_STOP or sum(x.hybrid for x in living.values()) >= HYBRID_MAX
                       or (not cat.wild and R.random() > HYBRID_P)):
        return False
    lo, hi = (2.6, 16.3) if cat.sex == "M" else (2.6, 15.0)
    settled = (c - cat.since).days >= (120 if cat.sex == "M" else 60)
    return years(cat.bhi, c) >= lo and years(cat.blo, c) <= hi and settled


def adult(cat, d):
    return 2.5 <= cat.age(d) <= (14 if cat.sex == "M" else 12.5) and not (cat.hybrid and d.year >= HYBRID_STOP)


def has_partner(cat, inst, d):
    return any(o.sex != cat.sex and adult(o, d) and not related(o, cat) for o in at[inst].values())


def try_move(cat, d, need_partner):
    opts = []
    here = INST[cat.loc]["region"]
    for code, inst in INST.items():
        if code == cat.loc or free(code, cat.sex, d) <= 0:
            continue
        w = 1.0 if inst["region"] == here else AFFINITY[frozenset([here, inst["region"]])]
        partner = has_partner(cat, code, d)
        rival = any(o.sex == cat.sex and adult(o, d) for o in at[code].values())
        if need_partner and not partner:
            continue
        w *= 5 if partner and not rival else (1.5 if not rival else 0.5)
        opts.append((w, code))
    if not opts:
        return False
    x = R.random() * sum(w for w, _ in opts)
    for w, code in opts:  # noqa: B007 - the chosen code is used after the loop
        x -= w
        if x <= 0:
            break
    move(cat, code, d)
    return True


def day_in(start, end, after):
    lo = max(start, after)
    return None if lo > end else lo + timedelta(R.randint(0, (end - lo).days))


def conceive(dam, sire, c, cands=None, ai=False):
    pneo = 0.38 if c.year < 1980 else 0.30 if c.year < 2000 else 0.24
    # room for a litter is judged before the litter is drawn (no bias on litter size or survival);
    # a big litter may briefly overfill a zoo until its cubs disperse
    if any(free(dam.loc, s, c) < (2 if c.year >= REF.year - STRICT_YEARS else 1) for s in "MF"):
        return False
    cubs = []
    for _ in range(R.choices([1, 2, 3, 4], [22, 50, 23, 5])[0]):
        neo = R.random() < pneo
        sex = "U" if neo and R.random() < 0.15 else R.choice("MF")
        cubs.append((sex, neo))
    need = {s: sum(1 for x, n in cubs if x == s and not n) for s in "MF"}
    birth = c + timedelta(R.randint(92, 103))
    for s in "MF":
        reserved[dam.loc][s] += need[s]
    unk = not ai and not cands and R.random() < (0.08 if c.year < 1985 else 0.015)
    pregnancies.append(dict(dam=dam, sire=sire, cands=cands, ai=ai, unk=unk, birth=birth, cubs=cubs, need=need))
    dam.preg = True
    for male, _ in (cands or [(sire, 1)]) if not ai else []:
        male.lock = male.hold = max(male.lock, birth)
    return True


def give_birth(p):
    dam, birth = p["dam"], p["birth"]
    for s in "MF":
        reserved[dam.loc][s] -= p["need"][s]
    dam.preg = False
    survivors = 0
    for sex, neo in p["cubs"]:
        cub = new_cat(sex, birth, birth.isoformat(), False, p["sire"], dam, dam.loc)
        cub.cands, cub.unk_sire, cub.ai = p["cands"], p["unk"], p["ai"]
        cub.hybrid = dam.hybrid or p["sire"].hybrid or any(m.hybrid for m, _ in p["cands"] or [])
        cub.events.append(["birth", birth, dam.loc, "", 0, local_id(dam.loc), "", ""])
        if birth.year < 1975 and R.random() < 0.3:
            cub.rearing = "unknown"
        elif R.random() < (0.4 if neo else 0.1):
            cub.rearing = "unknown" if neo else "hand"
        if neo:
            finish(cub, "death", birth + timedelta(R.randint(0, min(30, (REF - birth).days))),
                   R.choice(CAUSES["neo"]))
        else:
            survivors += 1
            cub.name = house_name(cub)
    dam.litters.append(birth)
    dam.last = max(dam.last, birth + timedelta(1))
    dam.breed_ok = birth + timedelta(365 if survivors else 120)
    dam.lock = birth + timedelta(548 if survivors else 30)


def mortality(cat, start, end):
    if cat.preg or cat.hold > start:
        return
    a = cat.age(start)
    q = (0.12 if a < 1 else 0.05 if a < 3 else 0.045 if a < 10 else 0.08 if a < 14 else 0.15 if a < 17
         else 0.25 if a < 20 else 0.45 if a < 22 else 0.7)
    if a >= 23.3 or R.random() < 1 - (1 - q) ** (1 / 12):
        d = day_in(start, end, cat.last)
        if d:
            kind = "juv" if a < 2 else "adult" if a < 14 else "old"
            finish(cat, "death", d, R.choice(CAUSES[kind]))
            if cat.sex == "F":
                for kid_birth in cat.litters:
                    if (d - kid_birth).days < 60:
                        for k in cats:
                            if k.dam is cat and k.born == kid_birth and k.alive:
                                k.rearing = "hand"


def simulate():
    founders = sorted(FOUNDERS)
    ai_targets = [date(2017, 1, 1), date(2022, 1, 1)]
    release_months = {(2024, 9), (2025, 5), (2025, 10)}
    y, m = 1960, 1
    while date(y, m, 1) <= REF:
        start = date(y, m, 1)
        end = min(date(y, m, calendar.monthrange(y, m)[1]), REF)
        # captures
        while founders and founders[0][0] <= end:
            cap, inst, sex, bstr, note = founders.pop(0)
            lo, hi = span(bstr)
            cat = new_cat(sex, lo + (hi - lo) // 2, bstr, True, None, None, inst)
            cat.since = cat.last = cap
            cat.rearing, cat.notes, cat.name = "unknown", note or "Wild-caught, Primorsky Krai", house_name(cat)
            cat.hybrid = "doubtful" in note
            cat.events.append(["capture", cap, inst, "", 0, local_id(inst), "", ""])
        # births
        for p in sorted([p for p in pregnancies if p["birth"] <= end], key=lambda p: p["birth"]):
            pregnancies.remove(p)
            give_birth(p)
        # deaths, losses, releases
        for cat in list(living.values()):
            mortality(cat, start, end)
        for cat in list(living.values()):
            if (1988 <= y <= 1996 and INST[cat.loc]["region"] == "EARAZA" and cat.loc != "MOSCOW"
                    and cat.age(start) > 2 and cat.lock <= start and not cat.preg
                    and stats["ltf"] < 5 and R.random() < 0.004):
                finish(cat, "ltf", day_in(start, end, cat.last) or end)
                cat.notes = "Lost to follow-up: the holder stopped reporting"
                stats["ltf"] += 1
        if (y, m) in release_months:
            pool = [c for c in living.values() if INST[c.loc]["country"] == "RU" and 0.9 <= c.age(start) <= 2.3
                    and c.rearing == "parent" and not c.hybrid and c.lock <= start]
            for cat in R.sample(pool, min(2, len(pool))):
                d = day_in(start, end, cat.last)
                finish(cat, "release", d, site=RELEASE_SITE)
                cat.notes = f"Released to the wild {d.year} (reintroduction, {RELEASE_SITE})"
                stats["release"] += 1
        # transfers: juveniles leave the birth zoo at 1.5-3 y; adults without a partner move to pair
        for cat in list(living.values()):
            if cat.lock > start or cat.preg or cat.last > end:
                continue
            a = cat.age(start)
            moved_before = any(e[0] == "transfer" for e in cat.events)
            if 1.5 <= a <= 3.2 and not cat.wild and not moved_before:
                if R.random() < (0.12 if a < 2.2 else 0.3):
                    d = day_in(start, end, cat.last + timedelta(1))
                    if d:
                        try_move(cat, d, False)
            elif adult(cat, start) and 3 <= a <= 12 and not has_partner(cat, cat.loc, start) \
                    and R.random() < 0.06:
                d = day_in(start, end, cat.last + timedelta(1))
                if d:
                    try_move(cat, d, True)
        # breeding recommendations: a zoo with an unpaired breeding female gets a surplus male (or vice versa)
        for code in INST:
            for sex in "FM":
                lonely = [c for c in at[code].values() if c.sex == sex and adult(c, start) and c.age(start) <= 11
                          and not has_partner(c, code, start)]
                want = "M" if sex == "F" else "F"
                if not lonely or free(code, want, start) <= 0 or R.random() > PULL:
                    continue
                pool = [c for c in living.values() if c.sex == want and c.loc != code and adult(c, start)
                        and 3 <= c.age(start) <= 11 and c.lock <= start and not c.preg and c.last < start
                        and not related(c, lonely[0]) and (not has_partner(c, c.loc, start) or R.random() < 0.1)]
                weights = [1.0 if INST[c.loc]["region"] == INST[code]["region"] else
                           AFFINITY[frozenset([INST[c.loc]["region"], INST[code]["region"]])] for c in pool]
                if pool:
                    pick = R.choices(pool, weights)[0]
                    move(pick, code, day_in(start, end, pick.last + timedelta(1)))
        # conceptions (seasonal: births mostly April-August)
        pmonth = (P_SEASON if m <= 4 else P_OFF) * min(1.0, max(0.05, (target(start) - len(living)) / (0.1 * target(start))))
        for code in INST:
            females = [c for c in at[code].values() if c.sex == "F"]
            for dam in females:
                c = day_in(start, end, dam.last + timedelta(1))
                if c is None or not can_breed(dam, c) or R.random() > pmonth:
                    continue
                males = [s for s in at[code].values() if s.sex == "M" and can_breed(s, c) and not related(s, dam)]
                if not males:
                    continue
                sire = R.choice(males)
                cands = None
                if len(males) >= 2 and y >= 1975 and stats["mult"] < MAX_MULT and R.random() < P_MULT:
                    other = R.choice([s for s in males if s is not sire])
                    pa = R.choice([0.5, 0.5, 0.6, 0.7])
                    cands = [(sire, pa), (other, round(1 - pa, 2))]
                if conceive(dam, sire, c, cands) and cands:
                    stats["mult"] += 1
        if ai_targets and start >= ai_targets[0]:
            for dam in [c for c in living.values() if c.sex == "F"]:
                c = day_in(start, end, dam.last + timedelta(1))
                if c and can_breed(dam, c) and not any(s.sex == "M" for s in at[dam.loc].values()):
                    donors = [s for s in cats if s.sex == "M" and not s.alive and s.events[-1][0] == "death"
                              and 1 < years(s.end, c) < 8 and years(s.blo, c) < 16.2 and years(s.bhi, c) > 4
                              and not s.hybrid and not related(s, dam)]
                    if donors and conceive(dam, R.choice(donors), c, ai=True):
                        ai_targets.pop(0)
                        break
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    # the rare zoo still over capacity at the reference date moves out its youngest independent animals
    start = date(REF.year, REF.month, 1) - timedelta(days=20)
    for code in INST:
        for sex in "MF":
            extra = sorted((c for c in at[code].values() if c.sex == sex and c.lock <= start and not c.preg
                            and c.last < start), key=lambda c: -c.born.toordinal())
            while free(code, sex, REF) < 0 and extra:
                cat = extra.pop(0)
                d = day_in(start, REF - timedelta(1), cat.last + timedelta(1))
                if d:
                    try_move(cat, d, False)


# --- from the simulation to studbook rows ------------------------------------------
A_COLS = ["studbook_id", "house_name", "sex", "birth_date", "birth_type", "sire", "dam", "rearing",
          "exclude_from_analysis", "do_not_breed", "contracepted", "hybrid_suspect", "artificial_insemination", "notes"]
E_COLS = ["studbook_id", "event", "date", "institution", "from_institution", "loan", "local_id", "cause", "site"]
M_COLS = ["studbook_id", "role", "candidate", "probability"]
I_COLS = ["code", "name", "city", "country", "region", "latitude", "longitude", "capacity_males", "capacity_females",
          "kind"]


def build():
    orig = sorted((c for c in cats if c.wild and c.events[0][1] < LAST_ORIGINAL), key=lambda c: (c.events[0][1], c.seq))
    rest = sorted((c for c in cats if c not in orig), key=lambda c: (c.events[0][1], c.seq))
    for i, c in enumerate(orig + rest, start=1):
        c.id = str(i)
    hybrid_root = next(c for c in cats if c.wild and c.hybrid)
    animals, events, mult = [], [], []
    for c in orig + rest:
        flags = dict(exclude_from_analysis=0, do_not_breed=0, contracepted=0, hybrid_suspect=int(c.hybrid),
                     artificial_insemination=int(c.ai))
        notes = [c.notes] if c.notes else []
        if c.hybrid:
            flags["exclude_from_analysis"] = 1
            if c is not hybrid_root:
                notes.append(f"Hybrid suspect: descends from {hybrid_root.id} (subspecies doubtful)")
        if c.alive:
            a = c.age(REF)
            recent = any(years(b, REF) < 3 for b in c.litters)
            if c.hybrid:
                flags["do_not_breed"] = 1
            elif (c.sex == "F" and a >= 14 and R.random() < 0.5) or R.random() < 0.04:
                flags["do_not_breed"] = 1
                why = R.choice(["post-reproductive", "chronic renal disease", "genetically over-represented"]
                               if a >= 14 else ["genetically over-represented", "medical", "vasectomised"])
                notes.append("Do not breed: " + why)
                if why in ("post-reproductive", "vasectomised"):
                    flags["exclude_from_analysis"] = 1
            elif c.sex == "F" and 3 <= a <= 13 and not recent and R.random() < 0.35:
                flags["contracepted"] = 1
                notes.append("Contracepted (deslorelin implant)")
        if c.wild:
            sire = dam = "WILD"
        else:
            dam = c.dam.id
            sire = "MULT" if c.cands else "UNK" if c.unk_sire else c.sire.id
            if c.cands:
                mult += [dict(studbook_id=c.id, role="sire", candidate=m.id, probability=f"{p:g}") for m, p in c.cands]
                notes.append("Two males housed with the dam at conception")
            if c.ai:
                notes.append(f"Artificial insemination, frozen semen of {c.sire.id} (died {c.sire.end.year})")
            if c.unk_sire:
                notes.append("Sire not recorded (group housing)")
        animals.append(dict(studbook_id=c.id, house_name=c.name, sex=c.sex, birth_date=c.bstr,
                            birth_type="wild" if c.wild else "captive", sire=sire, dam=dam, rearing=c.rearing,
                            notes="; ".join(notes), **flags))
        for kind, d, inst, frm, loan, lid, cause, site in c.events:
            events.append(dict(studbook_id=c.id, event=kind, date=d.isoformat(), institution=inst,
                               from_institution=frm, loan=loan, local_id=lid, cause=cause, site=site))
    return animals, events, mult


def coarsen(book):
    """Old records: give some dates month/year precision or a ~ estimate, keeping every rule satisfied."""
    def attempt(sid, rows_fields, new):
        old = [row[f] for row, f in rows_fields]
        for row, f in rows_fields:
            row[f] = new
        if any(check_animal(book, x) for x in [sid] + book["children"].get(sid, [])):
            for (row, f), v in zip(rows_fields, old):
                row[f] = v
    for sid, a in book["animals"].items():
        evs = book["events"][sid]
        y = int(a["birth_date"].lstrip("~")[:4])
        r = R.random()
        if a["birth_type"] == "captive" and (y < 1980 and r < 0.37 or y < 1990 and r < 0.08):
            new = a["birth_date"][:4] if y < 1980 and r > 0.30 else a["birth_date"][:7]
            attempt(sid, [(a, "birth_date"), (evs[0], "date")], new)
        for ev in evs:
            d = ev["date"]
            y, r = int(d[:4]), R.random()
            if ev["event"] == "capture" and y < 1970 and r < 0.5:
                attempt(sid, [(ev, "date")], d[:7])
            elif ev["event"] == "transfer" and y < 1975 and r < 0.15:
                attempt(sid, [(ev, "date")], d[:7])
            elif ev["event"] == "death" and (y < 1985 and r < 0.2 or y < 1995 and r < 0.05):
                attempt(sid, [(ev, "date")], ("~" if r < 0.05 else "") + d[:7])
            elif ev["event"] == "death" and y < 1990 and r > 0.97:
                attempt(sid, [(ev, "date")], "~" + d)


def make_book(animals, events, mult, insts, species):
    book = dict(animals={a["studbook_id"]: a for a in animals}, events={}, mult={}, children={},
                inst={i["code"]: i for i in insts}, species=species, rows=(animals, events, mult, insts))
    for e in events:
        book["events"].setdefault(e["studbook_id"], []).append(e)
    for m in mult:
        book["mult"].setdefault((m["studbook_id"], m["role"]), []).append((m["candidate"], float(m["probability"])))
    for a in animals:
        parents = [a["sire"], a["dam"]] + [c for r in ("sire", "dam") for c, _ in book["mult"].get((a["studbook_id"], r), [])]
        for p in parents:
            book["children"].setdefault(p, []).append(a["studbook_id"])
    return book


# --- the rules ------------------------------------------------------------------------
LOC_EVENTS, END_EVENTS = ("birth", "capture", "transfer"), ("death", "release", "ltf")


def where(evs, lo, hi):
    """The institution the animal is surely at for the whole window [lo, hi], else None."""
    cur = None
    for ev in evs:
        elo, ehi = span(ev["date"])
        if ev["event"] in LOC_EVENTS:
            if ehi <= lo:
                cur = ev["institution"]
            elif elo > hi:
                break
            else:
                return None
        elif ev["event"] in ("release", "ltf") and elo <= hi:
            return None
    return cur


def check_animal(book, sid):
    """Every rule about one animal (its fields, its parents, its events). Strict with partial dates:
    an order must hold for every possible day."""
    errs = []
    err = lambda msg: errs.append(f"animal {sid}: {msg}")  # noqa: E731
    a, sp = book["animals"][sid], book["species"]
    evs = book["events"].get(sid, [])
    if not re.fullmatch(r"[1-9][0-9]*", sid):
        err("ID is not digits without leading zeros")
    if a["sex"] not in ("M", "F", "U") or a["birth_type"] not in ("captive", "wild", "unknown") \
            or a["rearing"] not in ("parent", "hand", "unknown"):
        err("illegal sex, birth type or rearing code")
    if any(a[f] not in ("0", "1", 0, 1) for f in A_COLS[8:13]):
        err("flags must be 0/1")
    try:
        blo, bhi = span(a["birth_date"])
    except ValueError as exc:
        return [f"animal {sid}: {exc}"]
    if bhi > REF:
        err("birth in the future")
    wild = a["birth_type"] == "wild"
    if wild != (a["sire"] == "WILD" and a["dam"] == "WILD") or (not wild and "WILD" in (a["sire"], a["dam"])):
        err("WILD parents iff wild-born")
    ai = str(a["artificial_insemination"]) == "1"
    first = evs[0] if evs else None
    birth_inst = first["institution"] if first and first["event"] == "birth" else None

    def parent(pid, role, want):
        p = book["animals"].get(pid)
        if p is None or not pid.isdigit() or int(pid) >= int(sid):
            return err(f"{role} {pid} missing or not before the offspring in ID order")
        if p["sex"] != want:
            err(f"{role} {pid} has sex {p['sex']}")
        plo, phi = span(p["birth_date"])
        if not phi < blo:
            err(f"{role} {pid} not surely born before offspring")
        if (blo - phi).days / 365.25 < sp[f"min_breeding_age_{'male' if want == 'M' else 'female'}"]:
            err(f"{role} {pid} under minimum breeding age")
        if (bhi - plo).days / 365.25 > sp[f"max_breeding_age_{'male' if want == 'M' else 'female'}"]:
            err(f"{role} {pid} over maximum breeding age")
        pevs = book["events"].get(pid, [])
        death = next((e for e in pevs if e["event"] == "death"), None)
        dlo = span(death["date"])[0] if death else None
        if role == "dam" and death and not dlo > bhi:
            err(f"dam {pid} not surely alive at the birth")
        if role == "sire" and death and not ai and not dlo >= bhi - timedelta(sp["gestation_max_days"]):
            err(f"sire {pid} not surely alive at conception")
        if role == "sire" and ai and not (death and span(death["date"])[1] < blo - timedelta(105)):
            err(f"AI litter but sire {pid} was alive at conception")
        if birth_inst and role == "dam" and where(pevs, blo, bhi) != birth_inst:
            err(f"dam {pid} not surely at {birth_inst} at the birth")
        if birth_inst and role == "sire" and not ai and where(
                pevs, blo - timedelta(sp["gestation_max_days"]), bhi - timedelta(sp["gestation_min_days"])) != birth_inst:
            err(f"sire {pid} not surely at {birth_inst} at conception")

    for role, want in (("sire", "M"), ("dam", "F")):
        v = a[role]
        if v == "MULT":
            cands = book["mult"].get((sid, role), [])
            if len(cands) < 2 or any(p <= 0 for _, p in cands) or abs(sum(p for _, p in cands) - 1) > 1e-9:
                err(f"MULT {role} needs >= 2 candidates with probabilities summing to 1")
            for cid, _ in cands:
                parent(cid, role, want)
        elif v not in ("UNK", "WILD"):
            parent(v, role, want)
        elif book["mult"].get((sid, role)):
            err(f"MULT candidates for a {v} {role}")
    if ai and not a["sire"].isdigit():
        err("AI litter needs a known sire")
    # events
    if not evs:
        return errs + [f"animal {sid}: no events"]
    if first["event"] != ("capture" if wild else "birth"):
        err(f"first event is {first['event']}")
    if first["event"] == "birth" and first["date"] != a["birth_date"]:
        err("birth event date differs from birth date")
    if first["event"] == "capture" and not span(first["date"])[0] >= bhi:
        err("capture not surely after birth")
    loc, prev_hi, ended = None, None, False
    for i, ev in enumerate(evs):
        k, (lo, hi) = ev["event"], span(ev["date"])
        if ended:
            err(f"{k} after the record ended")
        if hi > REF:
            err(f"{k} {ev['date']} in the future")
        if prev_hi is not None and lo < prev_hi:
            err(f"{k} {ev['date']} not surely after the previous event")
        if lo < blo:
            err(f"{k} before birth")
        prev_hi = hi
        if ev["institution"] not in book["inst"]:
            err(f"unknown institution {ev['institution']!r}")
        if (k in ("transfer", "release")) != bool(ev["from_institution"]) or str(ev["loan"]) not in ("0", "1"):
            err("from_institution only (and always) on transfers and releases; loan 0/1")
        if k in LOC_EVENTS and not (1 <= len(ev["local_id"]) <= 6):
            err(f"{k} needs a local ID of at most 6 characters")
        if k in ("birth", "capture") and i > 0:
            err(f"second {k}")
        elif k == "transfer" and (ev["from_institution"] != loc or ev["institution"] == loc):
            err(f"transfer {ev['from_institution']}->{ev['institution']} but the animal is at {loc}")
        elif k in END_EVENTS:
            ended = True
            if k == "release" and (ev["from_institution"] != loc or ev["institution"] not in book["inst"]
                                   or book["inst"][ev["institution"]].get("kind") != "release-site"):
                err(f"release {ev['from_institution']}->{ev['institution']}: not from {loc} to a release site")
            elif k != "release" and ev["institution"] != loc:
                err(f"{k} at {ev['institution']} but the animal is at {loc}")
            if (k == "death") != bool(ev["cause"]) or (k == "release") != bool(ev["site"]):
                err("cause only on deaths, site only on releases")
        elif k not in LOC_EVENTS:
            err(f"unknown event {k!r}")
        loc = ev["institution"]
    if bhi < date(REF.year - 25, REF.month, REF.day) and not ended:
        err("born over 25 years ago but still alive")
    return errs


def living_now(book):
    return {sid: evs[-1]["institution"] for sid, evs in book["events"].items() if evs[-1]["event"] not in END_EVENTS}


def check(book):
    """All rules on the whole book; returns the list of errors (empty = the book is valid)."""
    animals, events, mult, insts = book["rows"]
    errs = []
    if book["species"] != SPECIES:
        errs.append("species.json differs from the specification")
    codes = [i["code"] for i in insts]
    if len(set(codes)) != len(codes):
        errs.append("duplicate institution codes")
    for i in insts:
        zoo = i["kind"] == "zoo"   # the one release site has no region and no capacities
        if not re.fullmatch(r"[A-Z0-9]{1,9}", i["code"]) or not re.fullmatch(r"[A-Z]{2}", i["country"]) \
                or i["kind"] not in ("zoo", "release-site") \
                or i["region"] not in (("EAZA", "AZA", "EARAZA", "JAZA") if zoo else ("",)) or not i["name"] \
                or not (-90 <= float(i["latitude"]) <= 90 and -180 <= float(i["longitude"]) <= 180) \
                or (zoo and (int(i["capacity_males"]) < 0 or int(i["capacity_females"]) < 0)) \
                or (not zoo and (i["capacity_males"] or i["capacity_females"])):
            errs.append(f"institution {i['code']}: bad field")
    if [a["studbook_id"] for a in animals] != [str(n) for n in range(1, len(animals) + 1)]:
        errs.append("studbook IDs are not 1..N in row order")
    order = [int(e["studbook_id"]) for e in events]
    if order != sorted(order) or set(map(str, order)) - set(book["animals"]):
        errs.append("events not sorted by studbook ID, or for unknown animals")
    for (sid, role) in book["mult"]:
        if sid not in book["animals"] or role not in ("sire", "dam") or book["animals"][sid][role] != "MULT":
            errs.append(f"mult_parents row for {sid}/{role} without a MULT parent")
    for sid in book["animals"]:
        errs += check_animal(book, sid)
    counts = {}
    for sid, inst in living_now(book).items():
        sex = book["animals"][sid]["sex"]
        if sex == "U":
            errs.append(f"animal {sid}: living with unknown sex")
        counts[(inst, sex)] = counts.get((inst, sex), 0) + 1
    for (inst, sex), n in counts.items():
        cap = int(book["inst"][inst]["capacity_males" if sex == "M" else "capacity_females"])
        if n > cap:
            errs.append(f"institution {inst}: {n} living {sex} > capacity {cap}")
    return errs


def summary(book):
    animals, events, mult, insts = book["rows"]
    A, alive = book["animals"], living_now(book)
    flag = lambda f: sum(a[f] == "1" for a in animals)  # noqa: E731
    by_region = {}
    for _sid, inst in alive.items():
        by_region[book["inst"][inst]["region"]] = by_region.get(book["inst"][inst]["region"], 0) + 1
    wild = [a["studbook_id"] for a in animals if a["birth_type"] == "wild"]
    anc = {}
    for a in animals:
        sid = a["studbook_id"]
        ps = [a["sire"], a["dam"]] + [c for r in ("sire", "dam") for c, _ in book["mult"].get((sid, r), [])]
        anc[sid] = {sid}.union(*[anc[p] for p in ps if p in anc])
    contributing = {f for f in wild if any(f in anc[s] and s != f for s in alive)}
    litters = {(a["dam"], a["birth_date"]) for a in animals if a["birth_type"] == "captive"}
    neo = sum(1 for sid, evs in book["events"].items() if evs[0]["event"] == "birth" and evs[-1]["event"] == "death"
              and (span(evs[-1]["date"])[0] - span(evs[0]["date"])[1]).days <= 30)
    transfers = [e for e in events if e["event"] == "transfer"]
    xreg = sum(book["inst"][e["institution"]]["region"] != book["inst"][e["from_institution"]]["region"]
               for e in transfers)
    captive = [a for a in animals if a["birth_type"] == "captive"]
    lines = [
        f"animals: {len(animals)} (captive-born {len(captive)}, wild-born {len(wild)}); living {len(alive)}",
        f"institutions: {len(insts)} listed, {len({e['institution'] for e in events})} ever used, "
        f"{len(set(alive.values()))} holding living animals",
        "living per region: " + ", ".join(f"{r} {n}" for r, n in sorted(by_region.items())),
        f"living by sex: M {sum(A[s]['sex'] == 'M' for s in alive)}, F {sum(A[s]['sex'] == 'F' for s in alive)}",
        f"founders: {len(wild)} wild-caught, {len(contributing)} with living descendants",
        f"litters: {len(litters)} (mean size {len(captive) / max(1, len(litters)):.2f}); "
        f"MULT litters {len({(a['dam'], a['birth_date']) for a in animals if a['sire'] == 'MULT'})}; "
        f"AI litters {len({(a['dam'], a['birth_date']) for a in animals if a['artificial_insemination'] == '1'})}",
        f"UNK sires: {sum(a['sire'] == 'UNK' for a in animals)} animals "
        f"({100 * sum(a['sire'] == 'UNK' for a in animals) / len(captive):.1f}% of captive-born)",
        f"sex U: {sum(a['sex'] == 'U' for a in animals)}; neonatal deaths (<=30 d): {neo} "
        f"({100 * neo / len(captive):.0f}% of captive births); hand-reared {sum(a['rearing'] == 'hand' for a in animals)}",
        "flags: " + ", ".join(f"{f} {flag(f)}" for f in A_COLS[8:13]),
        f"living flagged: do_not_breed {sum(A[s]['do_not_breed'] == '1' for s in alive)}, contracepted "
        f"{sum(A[s]['contracepted'] == '1' for s in alive)}, hybrid_suspect {sum(A[s]['hybrid_suspect'] == '1' for s in alive)}"
        f", excluded {sum(A[s]['exclude_from_analysis'] == '1' for s in alive)}",
        f"events: {len(events)}; transfers {len(transfers)} (cross-region {xreg}, loans "
        f"{sum(e['loan'] == '1' for e in transfers)}); releases {sum(e['event'] == 'release' for e in events)}; "
        f"ltf {sum(e['event'] == 'ltf' for e in events)}; deaths {sum(e['event'] == 'death' for e in events)}",
        f"partial/estimated dates: {sum(len(a['birth_date']) != 10 for a in animals)} birth dates, "
        f"{sum(len(e['date']) != 10 for e in events)} event dates",
    ]
    return "\n".join(lines)


# --- files ----------------------------------------------------------------------------
def write_csv(path, cols, rows):
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=cols, lineterminator="\n")
        w.writeheader()
        w.writerows(rows)


def read_book(folder):
    def rows(name):
        with (folder / name).open(newline="", encoding="utf-8") as fh:
            return list(csv.DictReader(fh))
    species = json.loads((folder / "species.json").read_text(encoding="utf-8"))
    return make_book(rows("animals.csv"), rows("events.csv"), rows("mult_parents.csv"),
                     rows("institutions.csv"), species)


def main(argv: list[str] | None = None):
    global OUT
    args = sys.argv[1:] if argv is None else argv
    if args[:1] == ["--out"] and len(args) == 2:   # e.g. to check determinism into a scratch folder
        OUT = Path(args[1])
    simulate()
    animals, events, mult = build()
    insts = [{**{k: v for k, v in i.items() if k in I_COLS}, "kind": "zoo"} for i in INST.values()] + [RELEASE_INST]
    book = make_book(animals, events, mult, insts, SPECIES)
    coarsen(book)
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "species.json").write_text(json.dumps(SPECIES, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    write_csv(OUT / "institutions.csv", I_COLS, insts)
    write_csv(OUT / "animals.csv", A_COLS, animals)
    write_csv(OUT / "events.csv", E_COLS, events)
    write_csv(OUT / "mult_parents.csv", M_COLS, mult)
    book = read_book(OUT)                       # check what was written, not what is in memory
    errs = check(book)
    print(summary(book))
    if errs:
        print(f"\n{len(errs)} RULE VIOLATION(S):", *errs[:50], sep="\n", file=sys.stderr)
        return 1
    print(f"\nall rules pass; files written to {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
