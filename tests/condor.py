"""The SPARKS California condor studbook as a book folder, through studbook's own SPARKS mapping.

The source is the real SPARKS -> PM2000/PMx export in
``shared/reference/studbooks/california_condor/`` (807 birds, 4,076 moves). It is read and
mapped by ``studbook.services.sparks_import.read_sparks`` (the code behind
``studbook import sparks``; the mapping is ``docs/sparks.md``) and written as the files
of a book folder, so that the folder loader (``init --from-folder``) can be tested on a
real book too. The mapping does not fix the data: the book loads only with
``--allow-problems``, and its problems are the data's own.

Species (``data/species/california_condor.json``): published biology, widened to lenient
bounds (figures as commonly cited, e.g. Snyder & Snyder 2000, *The California Condor*,
and the USFWS California Condor Recovery Plan, 1996; quoted from memory, not re-checked):

- one egg per clutch, incubated about 56 days (54-58): incubation 50-60 days. The same
  values are written as gestation: the rules read incubation for an egg species, and
  gestation must stay a valid range for readers that do not know ``reproduction``;
- condors lay a replacement egg about 4 weeks after the first is taken ("double
  clutching"): one dam's chicks then hatch 24+ days apart; the clutch interval is 20 days;
- first breeding at about 6 years (rarely 5): minimum breeding age 4 for both sexes, a
  lenient bound, so that an early breeder is not flagged;
- maximum breeding age 50 and longevity 80: well above the oldest birds reported (wild
  life span is usually quoted as up to ~60 years), so that only impossible ages are flagged;
- the census date is not in the export: it is the latest date in either table,
  2016-09-26 (the release of bird 735).
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

from studbook.io.sparks_map import SparksMapping
from studbook.services.export import ANIMAL_COLUMNS, EVENT_COLUMNS, INSTITUTION_COLUMNS, MULT_COLUMNS
from studbook.services.sparks_import import read_sparks

SPECIES_FILE = Path(__file__).resolve().parents[1] / "data" / "species" / "california_condor.json"


def _write_csv(path: Path, columns: tuple[str, ...], rows: list[dict[str, str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=columns, lineterminator="\n", restval="")
        w.writeheader()
        w.writerows(rows)


def convert_condor(src_dir: Path, dest_dir: Path) -> SparksMapping:
    """Write the condor book folder from ``src_dir``/{exchange,moves}.dbf into ``dest_dir``."""
    src = Path(src_dir)
    book = read_sparks(src / "exchange.dbf", src / "moves.dbf", species_file=SPECIES_FILE)
    m = book.mapping
    dest = Path(dest_dir)
    dest.mkdir(parents=True, exist_ok=True)
    (dest / "species.json").write_text(json.dumps(book.species, indent=2) + "\n", encoding="utf-8")
    _write_csv(dest / "institutions.csv", INSTITUTION_COLUMNS, [r for _n, r in m.institutions])
    _write_csv(dest / "animals.csv", ANIMAL_COLUMNS, [r for _n, r in m.animals])
    _write_csv(dest / "events.csv", EVENT_COLUMNS, [r for _n, r in m.events])
    _write_csv(dest / "mult_parents.csv", MULT_COLUMNS, [r for _n, r in m.mult])
    return m
